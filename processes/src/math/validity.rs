//! is_nan, is_infinite, is_nodata, is_valid. See <https://processes.openeo.org>.
//!
//! At the top level `null` is no-data and NaN is a number, as specified. Inside callbacks NaN is the cells' no-data
//! marker, so there `is_nan` and `is_nodata` are both true for a no-data cell, `is_infinite` is false for it, and
//! `is_valid` is true for finite cells only.

use super::cellwise::{Accepts, Output, cellwise, from_truth};
use crate::graph::Args;
use crate::registry::ProcessDef;
use crate::{Ctx, Result, Value};

pub(super) fn processes() -> Vec<ProcessDef> {
    vec![
        ProcessDef::new(include_str!("specs/is_nan.json"), is_nan),
        ProcessDef::new(include_str!("specs/is_infinite.json"), is_infinite),
        ProcessDef::new(include_str!("specs/is_nodata.json"), is_nodata),
        ProcessDef::new(include_str!("specs/is_valid.json"), is_valid),
    ]
}

/// `test` of `x`: per cell on a field, else `scalar` of the value.
fn check(args: &Args, test: fn(f64) -> bool, scalar: fn(&Value) -> bool) -> Result<Value> {
    let x = args.get("x")?;
    match x {
        Value::Field(_) => cellwise(args.process(), &[("x", &x)], Accepts::Numbers, Output::Boolean, |v| {
            from_truth(Some(test(v[0])))
        }),
        other => Ok(Value::Bool(scalar(&other))),
    }
}

fn is_nan(args: &mut Args, _: &Ctx) -> Result<Value> {
    check(args, f64::is_nan, |v| matches!(v, Value::Number(n) if n.is_nan()))
}

/// is_infinite: whether `x` is +∞ or −∞ (per cell on a field, a no-data cell being no infinity).
fn is_infinite(args: &mut Args, _: &Ctx) -> Result<Value> {
    check(
        args,
        f64::is_infinite,
        |v| matches!(v, Value::Number(n) if n.is_infinite()),
    )
}

fn is_nodata(args: &mut Args, _: &Ctx) -> Result<Value> {
    check(args, f64::is_nan, |v| matches!(v, Value::Null))
}

fn is_valid(args: &mut Args, _: &Ctx) -> Result<Value> {
    check(args, f64::is_finite, |v| match v {
        Value::Null => false,
        Value::Number(n) => n.is_finite(),
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use crate::testutil::{assert_cells, call, ctx, field};

    #[test]
    fn fields() {
        let ctx = ctx();
        let x = field(&[1.0, f32::NAN, f32::INFINITY]);
        assert_cells(&call("is_nan", &[("x", x.clone())], &ctx).unwrap(), &[0.0, 1.0, 0.0]);
        assert_cells(&call("is_nodata", &[("x", x.clone())], &ctx).unwrap(), &[0.0, 1.0, 0.0]);
        assert_cells(
            &call("is_infinite", &[("x", x.clone())], &ctx).unwrap(),
            &[0.0, 0.0, 1.0],
        );
        assert_cells(&call("is_valid", &[("x", x)], &ctx).unwrap(), &[1.0, 0.0, 0.0]);
    }
}
