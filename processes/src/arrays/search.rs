//! array_contains, array_find: looking for a value with the rules of `eq` (types strictly checked, an integer equal
//! to the same floating-point number, NaN equal to nothing, no-data matching nothing).
//!
//! Inside callbacks, when the array or the value holds fields, the search is done cell by cell at the cells'
//! 32-bit precision, booleans being the numbers 1 and 0 there (as for `eq`); a string matches only the same string.
//! `array_contains` then gives a field of 1 (found) and 0, `array_find` a field of indices with no-data where the
//! value is not found or is no-data.

use std::sync::Arc;

use super::cells::cell_count;
use crate::graph::Args;
use crate::{Ctx, Result, Value};

/// Strict equality of two plain values, as `eq` has it; arrays, objects and no-data equal nothing.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Text(a), Value::Text(b)) => a == b,
        _ => false,
    }
}

/// The value `v` in cell `i` as a number, `None` when it is no number there (strings, arrays, no-data).
fn number_at(v: &Value, i: usize) -> Option<f64> {
    let n = match v {
        Value::Field(f) => f64::from(*f.get(i)?),
        Value::Number(n) => f64::from(*n as f32),
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => return None,
    };
    (!n.is_nan()).then_some(n)
}

/// The arguments `data` and `value`, and the number of cells when any of them holds fields.
fn arguments(args: &Args) -> Result<(Vec<Value>, Value, Option<usize>)> {
    let Value::Array(items, _) = args.get("data")? else {
        return Err(args.invalid("data", "expected an array"));
    };
    let value = args.get("value")?;
    let cells = match &value {
        Value::Field(f) => Some(f.len()),
        _ => cell_count(&items),
    };
    Ok((items, value, cells))
}

/// The index of the first (or, `reverse`, the last) element of `items` that matches `value` in cell `i`.
fn find_at(items: &[Value], value: &Value, i: usize, reverse: bool) -> Option<usize> {
    let wanted = match value {
        Value::Text(_) => None,
        v => Some(number_at(v, i)?),
    };
    let hit = |v: &Value| match wanted {
        Some(w) => number_at(v, i) == Some(w),
        None => same(v, value),
    };
    if reverse {
        items.iter().rposition(hit)
    } else {
        items.iter().position(hit)
    }
}

/// array_contains: `true` when an element equals `value`; `false` for a no-data value.
pub(super) fn array_contains(args: &mut Args, _: &Ctx) -> Result<Value> {
    let (items, value, cells) = arguments(args)?;
    Ok(match cells {
        None => Value::Bool(items.iter().any(|v| same(v, &value))),
        Some(n) => Value::Field(
            (0..n)
                .map(|i| {
                    if find_at(&items, &value, i, false).is_some() {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect::<Arc<[f32]>>(),
        ),
    })
}

/// array_find: the index of the first (or last) element that equals `value`, no-data when there is none or
/// `value` is no-data, an array or an object.
pub(super) fn array_find(args: &mut Args, _: &Ctx) -> Result<Value> {
    let (items, value, cells) = arguments(args)?;
    let reverse = args.bool("reverse")?;
    Ok(match cells {
        None => {
            let hit = |v: &Value| same(v, &value);
            let found = if reverse {
                items.iter().rposition(hit)
            } else {
                items.iter().position(hit)
            };
            found.map_or(Value::Null, |i| Value::Number(i as f64))
        }
        Some(n) => Value::Field(
            (0..n)
                .map(|i| find_at(&items, &value, i, reverse).map_or(f32::NAN, |k| k as f32))
                .collect::<Arc<[f32]>>(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Value;
    use crate::testutil::{assert_cells, assert_json, call, ctx, field, value};

    #[test]
    fn plain_values_are_compared_strictly() {
        let ctx = ctx();
        let run = |id: &str, data: serde_json::Value, v: Value, reverse: bool| {
            let mut args = vec![("data", value(data)), ("value", v)];
            if id == "array_find" {
                args.push(("reverse", Value::Bool(reverse)));
            }
            call(id, &args, &ctx).unwrap()
        };
        assert_json(
            &run("array_contains", json!([1, true, "1"]), Value::Bool(true), false),
            json!(true),
        );
        assert_json(
            &run("array_contains", json!([1, null]), Value::Null, false),
            json!(false),
        );
        assert_json(
            &run("array_contains", json!([0]), Value::Bool(false), false),
            json!(false),
        );
        let nan = Value::Array(vec![Value::Number(f64::NAN)], None);
        let args = [("data", nan), ("value", Value::Number(f64::NAN))];
        assert_json(&call("array_contains", &args, &ctx).unwrap(), json!(false));
        assert_json(
            &run("array_find", json!(["a", "b", "a"]), Value::Text("a".into()), true),
            json!(2),
        );
        assert_json(
            &run("array_find", json!([1, 2]), value(json!({"a": 1})), false),
            json!(null),
        );
    }

    #[test]
    fn fields_are_searched_cell_by_cell() {
        let ctx = ctx();
        let n = f32::NAN;
        let data = Value::Array(
            vec![field(&[1.0, 2.0, n]), Value::Number(2.0), field(&[1.0, 5.0, 2.0])],
            None,
        );
        let run = |id: &str, v: Value, reverse: bool| {
            let mut args = vec![("data", data.clone()), ("value", v)];
            if id == "array_find" {
                args.push(("reverse", Value::Bool(reverse)));
            }
            call(id, &args, &ctx).unwrap()
        };
        assert_cells(&run("array_find", Value::Number(1.0), false), &[0.0, n, n]);
        assert_cells(&run("array_find", Value::Number(1.0), true), &[2.0, n, n]);
        assert_cells(&run("array_find", Value::Number(2.0), false), &[1.0, 0.0, 1.0]);
        assert_cells(&run("array_find", Value::Null, false), &[n, n, n]);
        assert_cells(&run("array_contains", Value::Number(5.0), false), &[0.0, 1.0, 0.0]);
        assert_cells(&run("array_contains", Value::Null, false), &[0.0, 0.0, 0.0]);
        assert_cells(&run("array_contains", field(&[7.0, 5.0, n]), false), &[0.0, 1.0, 0.0]);
        assert_cells(&run("array_contains", Value::Text("2".into()), false), &[0.0, 0.0, 0.0]);
        // at the cells' precision, as eq
        let tenth = Value::Array(vec![field(&[0.1])], None);
        let args = [("data", tenth), ("value", Value::Number(0.1))];
        assert_cells(&call("array_contains", &args, &ctx).unwrap(), &[1.0]);
    }
}
