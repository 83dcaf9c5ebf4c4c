//! and, or, xor, not: the specification's truth tables over `true`, `false` and no-data (`None`).

use crate::graph::Args;
use crate::math::{Accepts, Output, cellwise, from_truth, to_truth};
use crate::{Ctx, Result, Value};

/// A three-valued truth value: `None` is no-data.
pub(super) type Truth = Option<bool>;

/// `and`: false wins, then no-data.
pub(super) fn and_truth(x: Truth, y: Truth) -> Truth {
    match (x, y) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

/// `or`: true wins, then no-data.
pub(super) fn or_truth(x: Truth, y: Truth) -> Truth {
    match (x, y) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

fn xor_truth(x: Truth, y: Truth) -> Truth {
    Some(x? != y?)
}

/// `f` over the boolean parameters `x` and `y`, value by value.
fn binary(args: &Args, f: fn(Truth, Truth) -> Truth) -> Result<Value> {
    let (x, y) = (args.get("x")?, args.get("y")?);
    cellwise(
        args.process(),
        &[("x", &x), ("y", &y)],
        Accepts::Booleans,
        Output::Boolean,
        |v| from_truth(f(to_truth(v[0]), to_truth(v[1]))),
    )
}

pub(super) fn and(args: &mut Args, _: &Ctx) -> Result<Value> {
    binary(args, and_truth)
}

pub(super) fn or(args: &mut Args, _: &Ctx) -> Result<Value> {
    binary(args, or_truth)
}

pub(super) fn xor(args: &mut Args, _: &Ctx) -> Result<Value> {
    binary(args, xor_truth)
}

pub(super) fn not(args: &mut Args, _: &Ctx) -> Result<Value> {
    let x = args.get("x")?;
    cellwise(args.process(), &[("x", &x)], Accepts::Booleans, Output::Boolean, |v| {
        from_truth(to_truth(v[0]).map(|b| !b))
    })
}
