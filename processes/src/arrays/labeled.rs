//! array_create_labeled, array_find_label: making a labelled array from values and labels, and finding the position
//! of a label. Labels are kept as text (see the `labels` module), so a number label and the string of its canonical
//! text are one and the same label. The labels of an array are the same for every cell, so inside callbacks these
//! processes work as at the top level: the elements, fields included, are taken as they are.

use std::collections::HashSet;
use std::sync::Arc;

use super::labels::label_text;
use crate::graph::Args;
use crate::{Ctx, Result, Value};

/// array_create_labeled: the elements of `data`, labelled by `labels` position by position.
pub(super) fn array_create_labeled(args: &mut Args, _: &Ctx) -> Result<Value> {
    let Value::Array(items, _) = args.get("data")? else {
        return Err(args.invalid("data", "expected an array"));
    };
    let Value::Array(given, _) = args.get("labels")? else {
        return Err(args.invalid("labels", "expected an array of numbers and strings"));
    };
    if items.len() != given.len() {
        return Err(crate::cubes::coded(
            "ArrayLengthMismatch",
            format!(
                "array_create_labeled: 'data' has {} elements but 'labels' has {}",
                items.len(),
                given.len()
            ),
        ));
    }
    let mut seen = HashSet::new();
    let labels = given
        .iter()
        .map(|l| {
            let text = label_text(l).ok_or_else(|| {
                args.invalid(
                    "labels",
                    format!(
                        "labels are finite numbers or strings, got {}",
                        crate::output::value_text(l)
                    ),
                )
            })?;
            if !seen.insert(text.clone()) {
                return Err(args.invalid("labels", format!("the label '{text}' is given more than once")));
            }
            Ok(text)
        })
        .collect::<Result<Arc<[String]>>>()?;
    Ok(Value::Array(items, Some(labels)))
}

/// array_find_label: the index of the element labelled `label`, no-data when the array has no such label or no
/// labels at all.
pub(super) fn array_find_label(args: &mut Args, _: &Ctx) -> Result<Value> {
    let Value::Array(_, labels) = args.get("data")? else {
        return Err(args.invalid("data", "expected an array"));
    };
    let label = args.get("label")?;
    if !matches!(label, Value::Number(_) | Value::Text(_)) {
        return Err(args.invalid(
            "label",
            format!("expected a number or a string, got {}", label.type_name()),
        ));
    }
    // a NaN or infinite number names no label
    let found = labels
        .zip(label_text(&label))
        .and_then(|(labels, wanted)| labels.iter().position(|l| *l == wanted));
    Ok(found.map_or(Value::Null, |i| Value::Number(i as f64)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Value;
    use crate::testutil::{call, ctx, field, labelled, reducer, value};

    #[test]
    fn created_labels_must_be_distinct_numbers_or_strings() {
        let ctx = ctx();
        let run = |labels: serde_json::Value| {
            call(
                "array_create_labeled",
                &[("data", value(json!([1, 2]))), ("labels", value(labels))],
                &ctx,
            )
        };
        let out = run(json!(["a", 2.5])).unwrap();
        assert!(matches!(&out, Value::Array(_, Some(l)) if l[..] == ["a".to_string(), "2.5".to_string()]));
        // the number 1 and the string "1" are the same label
        for (labels, code) in [
            (json!(["a", "a"]), "ProcessParameterInvalid"),
            (json!([1, "1"]), "ProcessParameterInvalid"),
            (json!(["a", null]), "ProcessParameterInvalid"),
            (json!(["a", true]), "ProcessParameterInvalid"),
            (json!(["a"]), "ArrayLengthMismatch"),
        ] {
            assert_eq!(run(labels.clone()).unwrap_err().code(), code, "{labels}");
        }
        let not_an_array = call(
            "array_create_labeled",
            &[("data", Value::Number(1.0)), ("labels", value(json!([1])))],
            &ctx,
        );
        assert_eq!(not_an_array.unwrap_err().code(), "ProcessParameterInvalid");
        // fields of cells keep their values
        let cells = call(
            "array_create_labeled",
            &[
                ("data", Value::Array(vec![field(&[1.0, 2.0])], None)),
                ("labels", value(json!(["B1"]))),
            ],
            &ctx,
        )
        .unwrap();
        assert!(matches!(&cells, Value::Array(items, Some(_)) if matches!(items[0], Value::Field(_))));
    }

    #[test]
    fn labels_are_found_by_their_text() {
        let ctx = ctx();
        let data = labelled(vec![Value::Null, Value::Null], &["B1", "4"]);
        let run = |label: Value| call("array_find_label", &[("data", data.clone()), ("label", label)], &ctx);
        assert!(matches!(run(Value::Number(4.0)), Ok(Value::Number(i)) if i == 1.0));
        assert!(matches!(run(Value::Text("B1".into())), Ok(Value::Number(i)) if i == 0.0));
        assert!(matches!(run(Value::Number(f64::NAN)), Ok(Value::Null)));
        assert!(matches!(run(Value::Text("b1".into())), Ok(Value::Null)));
        assert_eq!(run(Value::Bool(true)).unwrap_err().code(), "ProcessParameterInvalid");
    }

    /// Inside a reducer the labels are the dimension's: the index is the same for every cell.
    #[test]
    fn in_a_reducer() {
        let ctx = ctx();
        let graph = json!({
            "i": {"process_id": "array_find_label", "arguments": {
                "data": {"from_parameter": "data"}, "label": "2020-01-02"}},
            "pick": {"process_id": "array_element", "arguments": {
                "data": {"from_parameter": "data"}, "index": {"from_node": "i"}}, "result": true}
        });
        let f = reducer(graph, &["2020-01-01", "2020-01-02"], &ctx).unwrap();
        let lanes: [&[f32]; 2] = [&[1.0, 2.0], &[3.0, 4.0]];
        assert_eq!(openeo_engine::CellFn::call(&f, &lanes, 2).unwrap(), vec![3.0, 4.0]);
    }
}
