//! array_create, array_append, array_concat: building arrays. The elements are taken as they are (fields inside
//! callbacks too); labels follow the specification's rules.

use std::collections::HashSet;
use std::sync::Arc;

use super::labels::{format_number, label_text};
use crate::graph::Args;
use crate::{Ctx, Error, Result, Value};

/// The most elements `array_create` makes.
const MAX_CREATED: usize = 1_000_000;

/// array_create: `data` (a plain array: labels are dropped) `repeat` times.
pub(super) fn array_create(args: &mut Args, _: &Ctx) -> Result<Value> {
    let items = match args.get("data")? {
        Value::Array(items, _) => items,
        Value::Null => Vec::new(),
        other => return Err(args.invalid("data", format!("expected an array, got {}", other.type_name()))),
    };
    let repeat = match args.get("repeat")? {
        Value::Null => 1.0,
        Value::Number(n) => n,
        other => return Err(args.invalid("repeat", format!("expected an integer, got {}", other.type_name()))),
    };
    if !(repeat >= 1.0 && repeat.fract() == 0.0) {
        return Err(args.invalid("repeat", "must be an integer of at least 1"));
    }
    if items.is_empty() {
        return Ok(Value::Array(items, None));
    }
    let total = (items.len() as f64) * repeat;
    if total > MAX_CREATED as f64 {
        return Err(args.invalid(
            "repeat",
            format!("the array would have {total} elements, more than the {MAX_CREATED} allowed"),
        ));
    }
    let repeat = repeat as usize;
    let mut out = Vec::with_capacity(items.len() * repeat);
    for _ in 0..repeat {
        out.extend(items.iter().cloned());
    }
    Ok(Value::Array(out, None))
}

/// array_append: `value` at the end; a labelled array gets the label `label`, or the new element's index.
pub(super) fn array_append(args: &mut Args, _: &Ctx) -> Result<Value> {
    let Value::Array(mut items, labels) = args.get("data")? else {
        return Err(args.invalid("data", "expected an array"));
    };
    let value = args.get("value")?;
    let label = args.get("label")?;
    let given = match &label {
        Value::Null => None,
        v => Some(label_text(v).ok_or_else(|| args.invalid("label", "expected a number or a string"))?),
    };
    let labels = match (labels, given) {
        (None, Some(_)) => {
            return Err(Error::ArrayNotLabeled {
                process: args.process().into(),
            });
        }
        (None, None) => None,
        (Some(labels), given) => {
            let new = given.unwrap_or_else(|| format_number(items.len() as f64));
            if labels.contains(&new) {
                return Err(Error::LabelExists { label: new });
            }
            let mut labels = labels.to_vec();
            labels.push(new);
            Some(Arc::from(labels))
        }
    };
    items.push(value);
    Ok(Value::Array(items, labels))
}

/// array_concat: `array1` then `array2`; labels are kept when both arrays have them (and must then differ).
/// The labels of an array, if it has them.
type Labels = Option<Arc<[String]>>;

/// An array argument; a single value (a number, or a field of cells inside a callback) counts as an array of one,
/// as clients write `array_concat(data, ndvi)` to append a computed value.
fn array_or_single(args: &Args, name: &str) -> Result<(Vec<Value>, Labels)> {
    match args.get(name)? {
        Value::Array(items, labels) => Ok((items, labels)),
        v @ (Value::Number(_) | Value::Field(_) | Value::Null | Value::Bool(_) | Value::Text(_)) => Ok((vec![v], None)),
        other => Err(args.invalid(name, format!("expected an array, got {}", other.type_name()))),
    }
}

pub(super) fn array_concat(args: &mut Args, _: &Ctx) -> Result<Value> {
    let (mut items, labels1) = array_or_single(args, "array1")?;
    let (items2, labels2) = array_or_single(args, "array2")?;
    let labels = match (labels1, labels2) {
        (Some(a), Some(b)) => {
            let first: HashSet<&String> = a.iter().collect();
            if let Some(l) = b.iter().find(|l| first.contains(l)) {
                return Err(Error::ArrayLabelConflict { label: l.clone() });
            }
            Some(a.iter().chain(b.iter()).cloned().collect::<Arc<[String]>>())
        }
        _ => None,
    };
    items.extend(items2);
    Ok(Value::Array(items, labels))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Value;
    use crate::testutil::{assert_json, call, ctx, field, labelled, value};

    fn labels(v: &Value) -> Option<Vec<String>> {
        match v {
            Value::Array(_, l) => l.as_ref().map(|l| l.to_vec()),
            other => panic!("expected an array, got {other:?}"),
        }
    }

    #[test]
    fn create_repeats_and_refuses_bad_counts() {
        let ctx = ctx();
        let run = |repeat: Value| {
            call(
                "array_create",
                &[("data", value(json!([1, 2]))), ("repeat", repeat)],
                &ctx,
            )
        };
        assert_json(&run(Value::Number(3.0)).unwrap(), json!([1, 2, 1, 2, 1, 2]));
        for bad in [0.0, 1.5, -1.0, f64::NAN] {
            assert_eq!(
                run(Value::Number(bad)).unwrap_err().code(),
                "ProcessParameterInvalid",
                "{bad}"
            );
        }
        assert_eq!(run(Value::Number(1e12)).unwrap_err().code(), "ProcessParameterInvalid");
        let empty = call(
            "array_create",
            &[("data", value(json!([]))), ("repeat", Value::Number(1e12))],
            &ctx,
        );
        assert_json(&empty.unwrap(), json!([]));
        let dropped = call("array_create", &[("data", labelled(vec![Value::Null], &["a"]))], &ctx).unwrap();
        assert_eq!(labels(&dropped), None, "array_create makes a plain array");
    }

    #[test]
    fn append_labels() {
        let ctx = ctx();
        let data = labelled(vec![Value::Number(1.0), Value::Number(2.0)], &["a", "1"]);
        let run = |label: Value| {
            call(
                "array_append",
                &[("data", data.clone()), ("value", Value::Number(3.0)), ("label", label)],
                &ctx,
            )
        };
        let out = run(Value::Text("c".into())).unwrap();
        assert_json(&out, json!([1, 2, 3]));
        assert_eq!(labels(&out), Some(vec!["a".into(), "1".into(), "c".into()]));
        // the next index, 2, is free; a given number label is written as a number
        assert_eq!(labels(&run(Value::Null).unwrap()).unwrap()[2], "2");
        assert_eq!(labels(&run(Value::Number(7.5)).unwrap()).unwrap()[2], "7.5");
        assert_eq!(run(Value::Number(1.0)).unwrap_err().code(), "LabelExists");
        assert_eq!(run(Value::Text("a".into())).unwrap_err().code(), "LabelExists");
        assert_eq!(run(Value::Bool(true)).unwrap_err().code(), "ProcessParameterInvalid");
        let index_taken = labelled(vec![Value::Number(1.0)], &["1"]);
        let next = call("array_append", &[("data", index_taken), ("value", Value::Null)], &ctx);
        assert_eq!(
            next.unwrap_err().code(),
            "LabelExists",
            "the natural next index 1 is a label already"
        );
        let plain = call(
            "array_append",
            &[
                ("data", value(json!([1]))),
                ("value", Value::Null),
                ("label", Value::Text("x".into())),
            ],
            &ctx,
        );
        assert_eq!(plain.unwrap_err().code(), "ArrayNotLabeled");
    }

    #[test]
    fn append_and_concat_keep_fields() {
        let ctx = ctx();
        let data = labelled(vec![field(&[1.0, 2.0])], &["B1"]);
        let out = call(
            "array_append",
            &[("data", data.clone()), ("value", field(&[3.0, 4.0]))],
            &ctx,
        )
        .unwrap();
        assert!(matches!(&out, Value::Array(items, Some(l)) if items.len() == 2 && l[1] == "1"));
        let both = call("array_concat", &[("array1", data.clone()), ("array2", out)], &ctx);
        assert_eq!(both.unwrap_err().code(), "ArrayLabelConflict");
        let other = labelled(vec![field(&[5.0, 6.0])], &["B2"]);
        let joined = call("array_concat", &[("array1", data.clone()), ("array2", other)], &ctx).unwrap();
        assert_eq!(labels(&joined), Some(vec!["B1".into(), "B2".into()]));
        let plain = call("array_concat", &[("array1", data), ("array2", value(json!([1])))], &ctx).unwrap();
        assert_eq!(labels(&plain), None, "labels are dropped unless both arrays have them");
        // a single value counts as an array of one; an object does not
        let single = call(
            "array_concat",
            &[("array1", Value::Number(1.0)), ("array2", value(json!([2])))],
            &ctx,
        );
        assert!(matches!(single.unwrap(), Value::Array(v, None) if v.len() == 2));
        let bad = call(
            "array_concat",
            &[("array1", value(json!({"a": 1}))), ("array2", value(json!([])))],
            &ctx,
        );
        assert_eq!(bad.unwrap_err().code(), "ProcessParameterInvalid");
    }
}
