//! array_apply, array_filter: a callback on each element, with the parameters `x` (the element), `index`, `label`
//! (`null` unless the array is labelled) and `context`.
//!
//! Inside callbacks the elements are fields and so is what the callback gives for them: `array_apply` then gives
//! an array of fields, and `array_filter` keeps, cell by cell, the elements whose condition is true in that cell.
//! As all elements of an array hold the same cells, the result has one element for each element that the
//! condition may keep in some cell (its condition is a field, or `true`), and no labels; each cell's kept values
//! come first, in their order, and no-data fills the rest. A condition that depends only on `index`, `label` or
//! `context` filters the array exactly, labels included.

use std::sync::Arc;

use super::cells::{Columns, lanes};
use super::labels::label_value;
use crate::graph::callback::Inputs;
use crate::graph::{Args, CallbackFn};
use crate::{Ctx, Error, Result, Value};

/// The callback parameters besides `context`.
const PARAMETERS: &[&str] = &["x", "index", "label"];

/// An array and what a callback gave for each of its elements.
struct Each {
    items: Vec<Value>,
    labels: Option<Arc<[String]>>,
    results: Vec<Value>,
}

/// Runs the callback `name` on every element of `data`.
fn each(args: &Args, name: &str, ctx: &Ctx) -> Result<Each> {
    let Value::Array(items, labels) = args.get("data")? else {
        return Err(args.invalid("data", "expected an array"));
    };
    let f = CallbackFn::new(
        args.callback(name)?,
        Inputs::Named(PARAMETERS),
        args.get("context")?,
        ctx,
    );
    let results = items
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let label = labels
                .as_ref()
                .and_then(|l| l.get(i))
                .map_or(Value::Null, |l| label_value(l));
            f.eval_values(vec![x.clone(), Value::Number(i as f64), label])
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Each { items, labels, results })
}

/// array_apply: the callback's result for every element, labels kept.
pub(super) fn array_apply(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let Each { labels, results, .. } = each(args, "process", ctx)?;
    Ok(Value::Array(results, labels))
}

/// What a condition gave for one element.
enum Keep {
    /// Kept (`true`).
    All,
    /// Dropped (`false` or no-data).
    None,
    /// Kept in the cells where the field is true (non-zero, not no-data).
    Cells(Arc<[f32]>),
}

/// array_filter: the elements for which the condition is `true` (no-data counts as `false`).
pub(super) fn array_filter(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let Each { items, labels, results } = each(args, "condition", ctx)?;
    let keep = results
        .into_iter()
        .map(|r| match r {
            Value::Bool(true) => Ok(Keep::All),
            Value::Bool(false) | Value::Null => Ok(Keep::None),
            Value::Field(f) => Ok(Keep::Cells(f)),
            other => Err(Error::invalid(
                args.process(),
                "condition",
                format!("the condition must return a boolean, it returned {}", other.type_name()),
            )),
        })
        .collect::<Result<Vec<_>>>()?;
    let cells = keep.iter().find_map(|k| match k {
        Keep::Cells(f) => Some(f.len()),
        _ => None,
    });
    let Some(cells) = cells else {
        let kept: Vec<usize> = (0..items.len()).filter(|i| matches!(keep[*i], Keep::All)).collect();
        let labels = labels.map(|l| {
            kept.iter()
                .filter_map(|i| l.get(*i).cloned())
                .collect::<Arc<[String]>>()
        });
        let items = kept.iter().map(|i| items[*i].clone()).collect();
        return Ok(Value::Array(items, labels));
    };
    // cell by cell: each cell's kept values first, no-data after them
    let candidates: Vec<usize> = (0..items.len()).filter(|i| !matches!(keep[*i], Keep::None)).collect();
    let candidate_items: Vec<Value> = candidates.iter().map(|i| items[*i].clone()).collect();
    let values = lanes(args.process(), "data", &candidate_items)?;
    let mut out = Columns::new(args.process(), candidates.len(), cells)?;
    for i in 0..cells {
        let mut k = 0;
        for (j, lane) in candidates.iter().zip(&values) {
            let kept = match &keep[*j] {
                Keep::All => true,
                Keep::None => false,
                Keep::Cells(f) => f.get(i).is_some_and(|c| !c.is_nan() && *c != 0.0),
            };
            if kept {
                out.set(k, i, lane.at(i));
                k += 1;
            }
        }
    }
    Ok(Value::Array(out.into_items(), None))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Value;
    use crate::testutil::{assert_fields, assert_json, call, callback, ctx, field, labelled, value};

    fn gt(param: &str, y: f64) -> Value {
        callback(
            json!({"gt": {"process_id": "gt", "arguments": {"x": {"from_parameter": param}, "y": y}, "result": true}}),
        )
    }

    #[test]
    fn apply_passes_index_label_and_context() {
        let ctx = ctx();
        let graph = callback(json!({
            "t": {"process_id": "text_concat", "arguments": {"data": [
                {"from_parameter": "label"}, {"from_parameter": "index"},
                {"from_parameter": "x"}, {"from_parameter": "context"}
            ]}, "result": true}
        }));
        let data = labelled(vec![Value::Number(1.5), Value::Text("b".into())], &["B1", "7"]);
        let args = [
            ("data", data),
            ("process", graph.clone()),
            ("context", Value::Text("!".into())),
        ];
        let out = call("array_apply", &args, &ctx).unwrap();
        assert_json(&out, json!(["B101.5!", "71b!"]));
        assert!(
            matches!(&out, Value::Array(_, Some(l)) if l.len() == 2),
            "labels are kept"
        );
        let plain = call(
            "array_apply",
            &[("data", value(json!([true]))), ("process", graph)],
            &ctx,
        )
        .unwrap();
        assert_json(&plain, json!(["null0truenull"]));
    }

    #[test]
    fn apply_on_fields() {
        let ctx = ctx();
        let n = f32::NAN;
        let data = Value::Array(vec![field(&[1.0, n]), field(&[3.0, 4.0])], None);
        let weighted = callback(json!({"m": {
            "process_id": "multiply",
            "arguments": {"x": {"from_parameter": "x"}, "y": {"from_parameter": "index"}},
            "result": true
        }}));
        let out = call("array_apply", &[("data", data), ("process", weighted)], &ctx).unwrap();
        assert_fields(&out, &[&[0.0, n], &[3.0, 4.0]]);
    }

    #[test]
    fn filter_conditions() {
        let ctx = ctx();
        let data = labelled(
            vec![Value::Number(1.0), Value::Null, Value::Number(3.0)],
            &["a", "b", "c"],
        );
        let out = call(
            "array_filter",
            &[("data", data.clone()), ("condition", gt("x", 2.0))],
            &ctx,
        )
        .unwrap();
        assert_json(&out, json!([3]));
        assert!(matches!(&out, Value::Array(_, Some(l)) if l[..] == ["c".to_string()]));
        let number = callback(json!({"a": {"process_id": "add", "arguments": {"x": 1, "y": 1}, "result": true}}));
        let bad = call("array_filter", &[("data", data), ("condition", number)], &ctx);
        assert_eq!(bad.unwrap_err().code(), "ProcessParameterInvalid");
    }

    #[test]
    fn filter_on_fields_keeps_each_cells_values_first() {
        let ctx = ctx();
        let n = f32::NAN;
        let data = labelled(
            vec![field(&[1.0, 5.0, n]), Value::Number(4.0), field(&[6.0, 0.0, 7.0])],
            &["a", "b", "c"],
        );
        let out = call(
            "array_filter",
            &[("data", data.clone()), ("condition", gt("x", 2.0))],
            &ctx,
        )
        .unwrap();
        assert_fields(&out, &[&[4.0, 5.0, 4.0], &[6.0, 4.0, 7.0], &[n, n, n]]);
        assert!(matches!(&out, Value::Array(_, None)), "per-cell results have no labels");
        // a condition on the index only filters the array exactly
        let out = call("array_filter", &[("data", data), ("condition", gt("index", 0.0))], &ctx).unwrap();
        assert!(matches!(&out, Value::Array(items, Some(l)) if items.len() == 2 && l[0] == "b"));
    }
}
