//! clip, constant, exp, ln, log, sgn, mod, pi, e, nan. See <https://processes.openeo.org>.
//!
//! Departures: `mod` by an infinite divisor returns `x` unchanged, as the openEO test cases expect.
//! `ln(0)` and `log(0, b)` are −∞ and `mod(x, 0)` is ±∞ or NaN (IEEE 754), never an error.

use std::cell::Cell;

use super::cellwise::{binary, elementwise, unary};
use crate::graph::Args;
use crate::registry::ProcessDef;
use crate::{Ctx, Error, Result, Value};

pub(super) fn processes() -> Vec<ProcessDef> {
    vec![
        ProcessDef::new(include_str!("specs/clip.json"), clip),
        ProcessDef::new(include_str!("specs/constant.json"), constant),
        ProcessDef::new(include_str!("specs/exp.json"), exp),
        ProcessDef::new(include_str!("specs/ln.json"), ln),
        ProcessDef::new(include_str!("specs/log.json"), log),
        ProcessDef::new(include_str!("specs/sgn.json"), sgn),
        ProcessDef::new(include_str!("specs/mod.json"), mod_),
        ProcessDef::new(include_str!("specs/pi.json"), pi),
        ProcessDef::new(include_str!("specs/e.json"), e),
        ProcessDef::new(include_str!("specs/nan.json"), nan),
    ]
}

fn clip(args: &mut Args, _: &Ctx) -> Result<Value> {
    let (x, min, max) = (args.get("x")?, args.get("min")?, args.get("max")?);
    let swapped = Cell::new(matches!((&min, &max), (Value::Number(lo), Value::Number(hi)) if lo > hi));
    let out = elementwise(args.process(), &[("x", &x), ("min", &min), ("max", &max)], |v| {
        if v[1] > v[2] {
            swapped.set(true);
        }
        v[0].max(v[1]).min(v[2])
    })?;
    if swapped.get() {
        return Err(Error::MinMaxSwapped {
            process: args.process().into(),
        });
    }
    Ok(out)
}

fn constant(args: &mut Args, _: &Ctx) -> Result<Value> {
    args.get("x")
}

fn exp(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "p", f64::exp)
}

fn ln(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", f64::ln)
}

fn log(args: &mut Args, _: &Ctx) -> Result<Value> {
    binary(args, "x", "base", |x, base| {
        if base == 10.0 {
            x.log10()
        } else if base == 2.0 {
            x.log2()
        } else {
            x.ln() / base.ln()
        }
    })
}

fn sgn(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", |x| {
        if x > 0.0 {
            1.0
        } else if x < 0.0 {
            -1.0
        } else {
            0.0
        }
    })
}

/// The remainder of `x / y` with the sign of the divisor (floored modulo).
fn modulo(x: f64, y: f64) -> f64 {
    if y == 0.0 {
        return if x > 0.0 {
            f64::INFINITY
        } else if x < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::NAN
        };
    }
    if y.is_infinite() && x.is_finite() {
        return x;
    }
    let r = x % y;
    if r == 0.0 {
        0.0
    } else if (r < 0.0) != (y < 0.0) {
        r + y
    } else {
        r
    }
}

fn mod_(args: &mut Args, _: &Ctx) -> Result<Value> {
    binary(args, "x", "y", modulo)
}

fn pi(_: &mut Args, _: &Ctx) -> Result<Value> {
    Ok(Value::Number(std::f64::consts::PI))
}

fn e(_: &mut Args, _: &Ctx) -> Result<Value> {
    Ok(Value::Number(std::f64::consts::E))
}

/// nan: the number NaN.
fn nan(_: &mut Args, _: &Ctx) -> Result<Value> {
    Ok(Value::Number(f64::NAN))
}

#[cfg(test)]
mod tests {
    use super::modulo;
    use crate::Value;
    use crate::testutil::{assert_cells, call, ctx, field};

    #[test]
    fn modulo_has_the_sign_of_the_divisor() {
        assert_eq!(modulo(-27.0, 5.0), 3.0);
        assert_eq!(modulo(27.0, -5.0), -3.0);
        assert_eq!(modulo(-27.0, -5.0), -2.0);
        assert_eq!(modulo(-5.0, 5.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(modulo(-2.0, 0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn fields() {
        let ctx = ctx();
        let x = field(&[-3.0, 0.5, f32::NAN, 7.0]);
        let clip = [
            ("x", x.clone()),
            ("min", Value::Number(0.0)),
            ("max", Value::Number(5.0)),
        ];
        assert_cells(&call("clip", &clip, &ctx).unwrap(), &[0.0, 0.5, f32::NAN, 5.0]);
        let swapped = [
            ("x", x.clone()),
            ("min", field(&[0.0, 1.0, 0.0, 0.0])),
            ("max", Value::Number(0.5)),
        ];
        assert_eq!(call("clip", &swapped, &ctx).unwrap_err().code(), "MinMaxSwapped");
        assert_cells(
            &call("sgn", &[("x", x.clone())], &ctx).unwrap(),
            &[-1.0, 1.0, f32::NAN, 1.0],
        );
        let m = call("mod", &[("x", x.clone()), ("y", Value::Number(2.0))], &ctx).unwrap();
        assert_cells(&m, &[1.0, 0.5, f32::NAN, 1.0]);
        let l = call(
            "log",
            &[("x", field(&[100.0, 8.0, 0.0])), ("base", field(&[10.0, 2.0, 10.0]))],
            &ctx,
        );
        assert_cells(&l.unwrap(), &[2.0, 3.0, f32::NEG_INFINITY]);
        assert_cells(
            &call("exp", &[("p", field(&[0.0, f32::NAN]))], &ctx).unwrap(),
            &[1.0, f32::NAN],
        );
        assert!(matches!(call("constant", &[("x", x)], &ctx).unwrap(), Value::Field(_)));
    }
}
