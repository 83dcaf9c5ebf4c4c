//! int, floor, ceil, round. See <https://processes.openeo.org>. `round` rounds half to even at `p` decimals
//! (negative `p` rounds to tens, hundreds, …). Results are never negative zero.
//!
//! Inside callbacks the cells are `float32`, rounded after widening to `float64`: a cell holding 0.35 (stored as
//! 0.3499999940…) rounds to 0.3 at one decimal.

use super::cellwise::{elementwise, unary};
use crate::graph::Args;
use crate::registry::ProcessDef;
use crate::{Ctx, Result, Value};

pub(super) fn processes() -> Vec<ProcessDef> {
    vec![
        ProcessDef::new(include_str!("specs/int.json"), int),
        ProcessDef::new(include_str!("specs/floor.json"), floor),
        ProcessDef::new(include_str!("specs/ceil.json"), ceil),
        ProcessDef::new(include_str!("specs/round.json"), round),
    ]
}

/// `-0.0` becomes `0.0`, anything else is unchanged.
fn no_negative_zero(x: f64) -> f64 {
    x + 0.0
}

fn int(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", |x| no_negative_zero(x.trunc()))
}

fn floor(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", |x| no_negative_zero(x.floor()))
}

fn ceil(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", |x| no_negative_zero(x.ceil()))
}

/// `x` rounded half to even at `p` decimals.
fn round_to(x: f64, p: i32) -> f64 {
    let scale = 10f64.powi(p.saturating_abs());
    let r = if p >= 0 {
        let scaled = x * scale;
        if !scaled.is_finite() {
            // no digits to drop at this magnitude (or x itself is infinite)
            return x;
        }
        scaled.round_ties_even() / scale
    } else if scale.is_infinite() {
        0.0
    } else {
        (x / scale).round_ties_even() * scale
    };
    no_negative_zero(r)
}

fn round(args: &mut Args, _: &Ctx) -> Result<Value> {
    let x = args.get("x")?;
    let p = args.opt_number("p")?.unwrap_or(0.0);
    if p.fract() != 0.0 || !p.is_finite() {
        return Err(args.invalid("p", format!("expected an integer, got {p}")));
    }
    let p = p.clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32;
    elementwise(args.process(), &[("x", &x)], |v| round_to(v[0], p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_to_even_at_any_precision() {
        assert_eq!(round_to(2.5, 0), 2.0);
        assert_eq!(round_to(3.5, 0), 4.0);
        assert_eq!(round_to(-2.5, 0), -2.0);
        assert_eq!(round_to(0.125, 2), 0.12);
        assert_eq!(round_to(1250.0, -2), 1200.0);
        assert_eq!(round_to(1350.0, -2), 1400.0);
        assert_eq!(round_to(-0.4, 0).to_bits(), 0.0f64.to_bits());
        assert_eq!(round_to(1e300, 400), 1e300);
        assert_eq!(round_to(123.0, -400), 0.0);
        assert_eq!(round_to(f64::NEG_INFINITY, 2), f64::NEG_INFINITY);
    }

    #[test]
    fn fields() {
        let x = crate::testutil::field(&[1.5, -1.5, f32::NAN, 2.5]);
        let ctx = crate::testutil::ctx();
        let run = |id: &str| crate::testutil::call(id, &[("x", x.clone())], &ctx).unwrap();
        crate::testutil::assert_cells(&run("int"), &[1.0, -1.0, f32::NAN, 2.0]);
        crate::testutil::assert_cells(&run("floor"), &[1.0, -2.0, f32::NAN, 2.0]);
        crate::testutil::assert_cells(&run("ceil"), &[2.0, -1.0, f32::NAN, 3.0]);
        crate::testutil::assert_cells(&run("round"), &[2.0, -2.0, f32::NAN, 2.0]);
    }
}
