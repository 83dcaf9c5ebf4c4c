//! any, all: reducers over an array of booleans (per cell when it holds fields). `ignore_nodata` defaults to true:
//! no-data values are then left out, so an empty or all-no-data array gives `false` (any) or `true` (all).
//! Otherwise the values are folded pairwise with the `or`/`and` truth tables.

use super::boolean::{Truth, and_truth, or_truth};
use crate::graph::Args;
use crate::math::{Accepts, Output, cellwise, from_truth, to_truth};
use crate::{Ctx, Result, Value};

pub(super) fn any(args: &mut Args, _: &Ctx) -> Result<Value> {
    reduce(args, false, or_truth)
}

pub(super) fn all(args: &mut Args, _: &Ctx) -> Result<Value> {
    reduce(args, true, and_truth)
}

/// Folds the values of `data` with `step`, starting from `identity`.
fn reduce(args: &Args, identity: bool, step: fn(Truth, Truth) -> Truth) -> Result<Value> {
    let data = args.get("data")?;
    let ignore_nodata = !matches!(args.get("ignore_nodata")?, Value::Bool(false));
    let Value::Array(items, _) = &data else {
        return Err(args.invalid("data", format!("expected an array, got {}", data.type_name())));
    };
    let operands: Vec<(&str, &Value)> = items.iter().map(|v| ("data", v)).collect();
    cellwise(args.process(), &operands, Accepts::Booleans, Output::Boolean, |v| {
        let truths = v.iter().map(|x| to_truth(*x)).filter(|t| t.is_some() || !ignore_nodata);
        from_truth(truths.fold(Some(identity), step))
    })
}
