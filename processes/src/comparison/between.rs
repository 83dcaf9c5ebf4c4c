//! between: `min <= x <= max` (or `< max`), `false` for swapped bounds and for an `x` that is not a number.

use crate::graph::Args;
use crate::math::{Accepts, Output, cellwise, from_truth};
use crate::{Ctx, Result, Value};

pub(super) fn between(args: &mut Args, _: &Ctx) -> Result<Value> {
    let (x, min, max) = (args.get("x")?, args.get("min")?, args.get("max")?);
    let exclude_max = args.bool("exclude_max")?;
    let inside = |x: f64, min: f64, max: f64| min <= max && x >= min && if exclude_max { x < max } else { x <= max };
    if [&x, &min, &max].iter().any(|v| matches!(v, Value::Field(_))) {
        let operands = [("x", &x), ("min", &min), ("max", &max)];
        return cellwise(
            args.process(),
            &operands,
            Accepts::NumbersAndBooleans,
            Output::Boolean,
            |v| {
                if v.iter().any(|c| c.is_nan()) {
                    return f64::NAN;
                }
                // at the cells' float32 precision, as the other comparisons
                let [x, min, max] = [v[0], v[1], v[2]].map(|c| f64::from(c as f32));
                from_truth(Some(inside(x, min, max)))
            },
        );
    }
    let bound = |name: &str, v: &Value| match v {
        Value::Number(n) => Ok(*n),
        other => Err(args.invalid(name, format!("expected a number, got {}", other.type_name()))),
    };
    let (min, max) = (bound("min", &min)?, bound("max", &max)?);
    Ok(match x {
        Value::Null => Value::Null,
        Value::Number(n) => Value::Bool(inside(n, min, max)),
        _ => Value::Bool(false),
    })
}
