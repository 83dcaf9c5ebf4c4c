//! array_modify: removing, inserting and replacing elements. The elements are taken as they are (fields inside
//! callbacks too), so every cell gets the same change.
//!
//! Labels: the result is labelled when both arrays are, or when one of them is empty and the other is labelled.
//! Replacing is removing then inserting, so a label of `values` conflicts only with the labels of the elements of
//! `data` that remain.

use std::collections::HashSet;
use std::sync::Arc;

use crate::graph::Args;
use crate::{Ctx, Error, Result, Value};

/// The argument `name` as a non-negative integer (as a float: a count may be larger than any array).
fn count(args: &Args, name: &str) -> Result<f64> {
    match args.get(name)? {
        Value::Number(n) if n >= 0.0 && n.fract() == 0.0 => Ok(n),
        other => Err(args.invalid(
            name,
            format!(
                "expected an integer of at least 0, got {}",
                crate::output::value_text(&other)
            ),
        )),
    }
}

/// The labels of the result of replacing `data[index..end]` by `values` (see the module documentation).
fn labels_after(
    data: (usize, Option<&[String]>),
    values: (usize, Option<&[String]>),
    index: usize,
    end: usize,
) -> Result<Option<Arc<[String]>>> {
    Ok(match (data, values) {
        ((_, Some(d)), (_, Some(v))) => {
            let kept: HashSet<&String> = d[..index].iter().chain(&d[end..]).collect();
            if let Some(l) = v.iter().find(|l| kept.contains(l)) {
                return Err(Error::ArrayLabelConflict { label: l.clone() });
            }
            Some(d[..index].iter().chain(v).chain(&d[end..]).cloned().collect())
        }
        ((_, Some(d)), (0, None)) => Some(d[..index].iter().chain(&d[end..]).cloned().collect()),
        ((0, None), (_, Some(v))) => Some(v.into()),
        _ => None,
    })
}

/// array_modify: `data` with `length` elements from `index` on replaced by `values`.
pub(super) fn array_modify(args: &mut Args, _: &Ctx) -> Result<Value> {
    let Value::Array(mut items, labels) = args.get("data")? else {
        return Err(args.invalid("data", "expected an array"));
    };
    let Value::Array(values, value_labels) = args.get("values")? else {
        return Err(args.invalid("values", "expected an array"));
    };
    let (index, length) = (count(args, "index")?, count(args, "length")?);
    let n = items.len();
    if index > n as f64 {
        return Err(Error::ArrayElementNotAvailable {
            what: format!("index {index} to modify at (an array of {n} elements takes the indices 0 to {n})"),
        });
    }
    let index = index as usize;
    let end = (index as f64 + length).min(n as f64) as usize;
    let labels = labels_after(
        (n, labels.as_deref()),
        (values.len(), value_labels.as_deref()),
        index,
        end,
    )?;
    items.splice(index..end, values);
    Ok(Value::Array(items, labels))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Value;
    use crate::testutil::{assert_json, call, ctx, field, labelled, value};

    fn modify(data: Value, values: Value, index: f64, length: f64) -> crate::Result<Value> {
        let args = [
            ("data", data),
            ("values", values),
            ("index", Value::Number(index)),
            ("length", Value::Number(length)),
        ];
        call("array_modify", &args, &ctx())
    }

    fn labels(v: &Value) -> Option<Vec<String>> {
        match v {
            Value::Array(_, l) => l.as_ref().map(|l| l.to_vec()),
            other => panic!("expected an array, got {other:?}"),
        }
    }

    #[test]
    fn indices_and_lengths() {
        let abc = || value(json!(["a", "b", "c"]));
        assert_json(
            &modify(abc(), value(json!(["x"])), 3.0, 0.0).unwrap(),
            json!(["a", "b", "c", "x"]),
        );
        assert_json(&modify(abc(), value(json!([])), 0.0, 1e300).unwrap(), json!([]));
        let code = |index: f64, length: f64| {
            modify(abc(), value(json!([])), index, length)
                .unwrap_err()
                .code()
                .to_string()
        };
        assert_eq!(code(4.0, 0.0), "ArrayElementNotAvailable");
        assert_eq!(code(1e300, 0.0), "ArrayElementNotAvailable");
        assert_eq!(code(-1.0, 0.0), "ProcessParameterInvalid");
        assert_eq!(code(0.5, 0.0), "ProcessParameterInvalid");
        assert_eq!(code(f64::NAN, 0.0), "ProcessParameterInvalid");
        assert_eq!(code(0.0, -1.0), "ProcessParameterInvalid");
        let single = modify(abc(), Value::Text("x".into()), 0.0, 0.0);
        assert_eq!(single.unwrap_err().code(), "ProcessParameterInvalid");
    }

    #[test]
    fn labels_follow_the_elements() {
        let data = || labelled(vec![Value::Null, Value::Null, Value::Null], &["a", "b", "c"]);
        // replacing b by a new b is no conflict: the old b is removed first
        let b = labelled(vec![Value::Number(1.0)], &["b"]);
        let out = modify(data(), b.clone(), 1.0, 1.0).unwrap();
        assert_eq!(labels(&out), Some(vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(modify(data(), b, 0.0, 1.0).unwrap_err().code(), "ArrayLabelConflict");
        let removed = modify(data(), value(json!([])), 0.0, 2.0).unwrap();
        assert_eq!(labels(&removed), Some(vec!["c".into()]));
        let plain = modify(data(), value(json!([1])), 0.0, 0.0).unwrap();
        assert_eq!(labels(&plain), None, "a plain array of values drops the labels");
        let into_empty = modify(value(json!([])), labelled(vec![Value::Null], &["z"]), 0.0, 0.0).unwrap();
        assert_eq!(labels(&into_empty), Some(vec!["z".into()]));
    }

    #[test]
    fn fields_are_taken_as_they_are() {
        let data = Value::Array(vec![field(&[1.0, 2.0]), field(&[3.0, 4.0])], None);
        let out = modify(data, Value::Array(vec![Value::Number(9.0)], None), 1.0, 1.0).unwrap();
        assert!(
            matches!(&out, Value::Array(items, None) if matches!(&items[..], [Value::Field(_), Value::Number(_)])),
            "{out:?}"
        );
    }
}
