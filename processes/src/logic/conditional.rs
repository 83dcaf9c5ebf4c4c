//! if: `accept` where `value` is true, else `reject` (no-data counts as not true). A boolean `value` picks a whole
//! argument, whatever its type; a per-cell `value` picks cell by cell from numbers, booleans or fields.

use crate::graph::Args;
use crate::math::{Accepts, Output, cellwise, to_truth};
use crate::{Ctx, Result, Value};

pub(super) fn if_(args: &mut Args, _: &Ctx) -> Result<Value> {
    let value = args.get("value")?;
    let (accept, reject) = (args.get("accept")?, args.get("reject")?);
    match value {
        Value::Bool(true) => Ok(accept),
        Value::Bool(false) | Value::Null => Ok(reject),
        Value::Field(_) => {
            let operands = [("value", &value), ("accept", &accept), ("reject", &reject)];
            cellwise(
                args.process(),
                &operands,
                Accepts::NumbersAndBooleans,
                Output::Number,
                |v| {
                    if to_truth(v[0]) == Some(true) { v[1] } else { v[2] }
                },
            )
        }
        other => Err(args.invalid("value", format!("expected a boolean, got {}", other.type_name()))),
    }
}
