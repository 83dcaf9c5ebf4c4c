//! Array processes. Inside callbacks the arrays hold per-cell fields (see the `cells` module): processes that
//! pick, count or search work cell by cell; processes that give an array give one field per element.
//!
//! - picking and counting: array_element, first, last, count (this module);
//! - building: array_create, array_append, array_concat ([`build`]); array_modify ([`modify`]);
//! - labels: array_labels ([`labels`]); array_create_labeled, array_find_label ([`labeled`]);
//! - searching: array_contains, array_find ([`search`]);
//! - callbacks on each element: array_apply, array_filter ([`apply_filter`]);
//! - filling gaps: array_interpolate_linear ([`interpolate`]);
//! - sorting: sort, order, rearrange ([`sorting`]);
//! - statistics that give arrays: extrema, quantiles ([`statistics`]);
//! - running values: cumsum, cumproduct, cummax, cummin ([`cumulative`]).

mod apply_filter;
mod build;
mod cells;
mod cumulative;
mod interpolate;
mod labeled;
mod labels;
mod modify;
mod search;
mod sorting;
mod statistics;

use std::sync::Arc;

use crate::graph::callback::Inputs;
use crate::graph::{Args, CallbackFn};
use crate::math::reduce_values;
use crate::registry::ProcessDef;
use crate::{Ctx, Error, Result, Value};

pub(crate) use labels::format_number;

/// The processes of this family.
pub(crate) fn processes() -> Vec<ProcessDef> {
    vec![
        ProcessDef::new(include_str!("specs/array_element.json"), array_element),
        ProcessDef::new(include_str!("specs/first.json"), first),
        ProcessDef::new(include_str!("specs/last.json"), last),
        ProcessDef::new(include_str!("specs/count.json"), count),
        ProcessDef::new(include_str!("specs/array_create.json"), build::array_create),
        ProcessDef::new(include_str!("specs/array_append.json"), build::array_append),
        ProcessDef::new(include_str!("specs/array_concat.json"), build::array_concat),
        ProcessDef::new(include_str!("specs/array_modify.json"), modify::array_modify),
        ProcessDef::new(include_str!("specs/array_labels.json"), labels::array_labels),
        ProcessDef::new(
            include_str!("specs/array_create_labeled.json"),
            labeled::array_create_labeled,
        ),
        ProcessDef::new(include_str!("specs/array_find_label.json"), labeled::array_find_label),
        ProcessDef::new(include_str!("specs/array_contains.json"), search::array_contains),
        ProcessDef::new(include_str!("specs/array_find.json"), search::array_find),
        ProcessDef::new(include_str!("specs/array_apply.json"), apply_filter::array_apply),
        ProcessDef::new(include_str!("specs/array_filter.json"), apply_filter::array_filter),
        ProcessDef::new(
            include_str!("specs/array_interpolate_linear.json"),
            interpolate::array_interpolate_linear,
        ),
        ProcessDef::new(include_str!("specs/sort.json"), sorting::sort),
        ProcessDef::new(include_str!("specs/order.json"), sorting::order),
        ProcessDef::new(include_str!("specs/rearrange.json"), sorting::rearrange),
        ProcessDef::new(include_str!("specs/extrema.json"), statistics::extrema),
        ProcessDef::new(include_str!("specs/quantiles.json"), statistics::quantiles),
        ProcessDef::new(include_str!("specs/cumsum.json"), cumulative::cumsum),
        ProcessDef::new(include_str!("specs/cumproduct.json"), cumulative::cumproduct),
        ProcessDef::new(include_str!("specs/cummax.json"), cumulative::cummax),
        ProcessDef::new(include_str!("specs/cummin.json"), cumulative::cummin),
    ]
}

fn array_element(args: &mut Args, _: &Ctx) -> Result<Value> {
    let Value::Array(items, labels) = args.get("data")? else {
        return Err(args.invalid("data", "expected an array"));
    };
    let index = args.opt_number("index")?;
    let label = args.get("label")?;
    let return_nodata = args.bool("return_nodata")?;
    let pos = match (index, &label) {
        (Some(_), Value::Text(_) | Value::Number(_)) => {
            return Err(crate::cubes::coded(
                "ArrayElementParameterConflict",
                "array_element: give either 'index' or 'label', not both",
            ));
        }
        (Some(i), _) => {
            if i.fract() != 0.0 {
                return Err(args.invalid("index", "must be an integer"));
            }
            // a negative index names no element
            (i >= 0.0 && (i as usize) < items.len()).then_some(i as usize)
        }
        (None, Value::Text(l)) => labels.as_ref().and_then(|ls| ls.iter().position(|x| x == l)),
        (None, Value::Number(n)) => labels
            .as_ref()
            .and_then(|ls| ls.iter().position(|x| x.parse::<f64>().ok() == Some(*n))),
        (None, _) => {
            return Err(crate::cubes::coded(
                "ArrayElementParameterMissing",
                "array_element: give 'index' or 'label'",
            ));
        }
    };
    match pos {
        Some(p) => Ok(items[p].clone()),
        None if return_nodata => Ok(Value::Null),
        None => Err(Error::ArrayElementNotAvailable {
            what: match (index, label) {
                (Some(i), _) => format!("index {i}"),
                (_, l) => format!("label {}", l.to_json()),
            },
        }),
    }
}

fn pick(args: &Args, from_end: bool) -> Result<Value> {
    let data = args.get("data")?;
    let ignore = !matches!(args.get("ignore_nodata")?, Value::Bool(false));
    let Value::Array(items, _) = &data else {
        return Err(args.invalid("data", "expected an array"));
    };
    if items.is_empty() {
        return Ok(Value::Null);
    }
    if !ignore {
        let v = if from_end { items.last() } else { items.first() };
        return Ok(v.cloned().unwrap_or(Value::Null));
    }
    // plain values of any type: the first/last that is not no-data (a plain NaN is a number)
    if !items.iter().any(|v| matches!(v, Value::Field(_))) {
        let valid = |v: &&Value| !matches!(v, Value::Null);
        let found = if from_end {
            items.iter().rev().find(valid)
        } else {
            items.iter().find(valid)
        };
        return Ok(found.cloned().unwrap_or(Value::Null));
    }
    // fields: per cell
    reduce_values(args.process(), &data, true, |v| {
        if from_end { v[v.len() - 1] } else { v[0] }
    })
}

fn first(args: &mut Args, _: &Ctx) -> Result<Value> {
    pick(args, false)
}

fn last(args: &mut Args, _: &Ctx) -> Result<Value> {
    pick(args, true)
}

fn count(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let data = args.get("data")?;
    let Value::Array(items, _) = &data else {
        return Err(args.invalid("data", "expected an array"));
    };
    let all = match args.get("condition")? {
        Value::Null => false,
        Value::Bool(true) => true,
        Value::Callback(graph) => {
            let f = CallbackFn::new(graph, Inputs::Named(&["x"]), args.get("context")?, ctx);
            return count_matching(args, &f, items);
        }
        other => {
            return Err(args.invalid(
                "condition",
                format!("expected null, true or a process graph, got {}", other.type_name()),
            ));
        }
    };
    if all {
        return Ok(Value::Number(items.len() as f64));
    }
    let len = items.iter().find_map(|v| match v {
        Value::Field(f) => Some(f.len()),
        _ => None,
    });
    let valid = |v: &Value, i: usize| match v {
        Value::Null => false,
        Value::Number(n) => !n.is_nan(),
        Value::Field(f) => f.get(i).is_some_and(|x| !x.is_nan()),
        _ => true,
    };
    Ok(match len {
        None => Value::Number(items.iter().filter(|v| valid(v, 0)).count() as f64),
        Some(n) => Value::Field(
            (0..n)
                .map(|i| items.iter().filter(|v| valid(v, i)).count() as f32)
                .collect::<Arc<[f32]>>(),
        ),
    })
}

/// count with a condition: the elements (per cell, for fields) for which the condition returns true.
fn count_matching(args: &Args, f: &CallbackFn, items: &[Value]) -> Result<Value> {
    let len = items.iter().find_map(|v| match v {
        Value::Field(f) => Some(f.len()),
        _ => None,
    });
    let mut counts = vec![0f32; len.unwrap_or(1)];
    for item in items {
        match f.eval_values(vec![item.clone()])? {
            Value::Bool(true) => counts.iter_mut().for_each(|c| *c += 1.0),
            Value::Bool(false) | Value::Null => {}
            Value::Field(hits) if hits.len() == counts.len() => {
                for (c, h) in counts.iter_mut().zip(hits.iter()) {
                    if *h != 0.0 && !h.is_nan() {
                        *c += 1.0;
                    }
                }
            }
            other => {
                return Err(args.invalid(
                    "condition",
                    format!("the condition must return a boolean, it returned {}", other.type_name()),
                ));
            }
        }
    }
    Ok(match len {
        None => Value::Number(f64::from(counts[0])),
        Some(_) => Value::Field(counts.into()),
    })
}

#[cfg(test)]
mod tests {
    use openeo_engine::CellFn;
    use serde_json::json;

    use crate::Value;
    use crate::testutil::{call, callback, ctx, field, reducer, value};

    #[test]
    fn count_with_a_condition_counts_plain_values_and_cells() {
        let ctx = ctx();
        let gt2 = callback(json!({"g": {"process_id": "gt",
            "arguments": {"x": {"from_parameter": "x"}, "y": 2}, "result": true}}));
        let plain = value(json!([1, 2, 3, 4, null]));
        let n = call("count", &[("data", plain), ("condition", gt2.clone())], &ctx).unwrap();
        assert!(matches!(n, Value::Number(c) if c == 2.0), "{n:?}");
        let cells = Value::Array(vec![field(&[1.0, 3.0]), field(&[5.0, f32::NAN])], None);
        let Value::Field(c) = call("count", &[("data", cells), ("condition", gt2)], &ctx).unwrap() else {
            panic!("fields give a field");
        };
        assert_eq!(&c[..], &[1.0, 1.0]);
        // first and last of plain values of any type skip no-data
        let texts = value(json!([null, "a", "b", null]));
        let first = call("first", &[("data", texts.clone())], &ctx).unwrap();
        let last = call("last", &[("data", texts)], &ctx).unwrap();
        assert!(matches!((&first, &last), (Value::Text(a), Value::Text(b)) if a == "a" && b == "b"));
    }

    /// A top-level graph: dates shifted by `array_apply`, ordered and rearranged, then joined as text; an error
    /// inside a callback keeps its code.
    #[test]
    fn top_level_graph() {
        let ctx = ctx();
        let graph = |unit: &str| {
            json!({
                "shifted": {"process_id": "array_apply", "arguments": {
                    "data": ["2020-03-31", "2020-01-31", "2020-02-29"],
                    "process": {"process_graph": {"s": {"process_id": "date_shift", "arguments": {
                        "date": {"from_parameter": "x"}, "value": 1, "unit": unit}, "result": true}}}
                }},
                "order": {"process_id": "order", "arguments": {"data": {"from_node": "shifted"}, "asc": false}},
                "sorted": {"process_id": "rearrange", "arguments": {
                    "data": {"from_node": "shifted"}, "order": {"from_node": "order"}}},
                "text": {"process_id": "text_concat", "arguments": {
                    "data": {"from_node": "sorted"}, "separator": ","}, "result": true}
            })
        };
        let run = |unit: &str| crate::evaluate(&crate::ProcessGraph::from_json(&graph(unit)).unwrap(), &ctx);
        let out = run("month").unwrap().result;
        assert!(
            matches!(&out, crate::Value::Text(t) if t == "2020-04-30,2020-03-29,2020-02-29"),
            "{out:?}"
        );
        assert_eq!(run("moon").unwrap_err().code(), "ProcessParameterInvalid");
    }

    /// The array processes as `apply_dimension` runs them: the length of the array a callback gives is found on a
    /// single no-data cell while planning, so it must not depend on the cells' values.
    #[test]
    fn in_apply_dimension() {
        use std::sync::Arc;

        use crate::graph::CallbackFn;
        use crate::graph::callback::Inputs;

        let ctx = ctx();
        let n = f32::NAN;
        let lanes: [&[f32]; 3] = [&[4.0, n], &[2.0, 3.0], &[9.0, 1.0]];
        let run = |process: &str, extra: serde_json::Value| {
            let mut arguments = json!({"data": {"from_parameter": "data"}});
            if let (Some(a), Some(e)) = (arguments.as_object_mut(), extra.as_object()) {
                a.extend(e.clone());
            }
            let graph = json!({"p": {"process_id": process, "arguments": arguments, "result": true}});
            let graph = Arc::new(crate::ProcessGraph::from_json(&graph).unwrap());
            let labels: Arc<[String]> = ["a", "b", "c"].map(String::from).into();
            let inputs = Inputs::Array { name: "data", labels };
            let (f, len) = CallbackFn::try_new_many(graph, inputs, crate::Value::Null, &ctx).unwrap();
            (len, f.call_many(&lanes, 2).unwrap())
        };
        let same = |got: &[Vec<f32>], want: &[[f32; 2]]| {
            let equal = |g: &f32, w: &f32| g == w || (g.is_nan() && w.is_nan());
            let ok = got.len() == want.len()
                && got
                    .iter()
                    .zip(want)
                    .all(|(g, w)| g.iter().zip(w).all(|(g, w)| equal(g, w)));
            assert!(ok, "{got:?} != {want:?}");
        };
        let (len, out) = run("sort", json!({}));
        assert_eq!(len, 3);
        same(&out, &[[2.0, 1.0], [4.0, 3.0], [9.0, n]]);
        let (len, out) = run("order", json!({"asc": false, "nodata": false}));
        assert_eq!(len, 3);
        same(&out, &[[2.0, 0.0], [0.0, 1.0], [1.0, 2.0]]);
        let (len, out) = run("quantiles", json!({"probabilities": 4}));
        assert_eq!(len, 3);
        same(&out, &[[3.0, 1.5], [4.0, 2.0], [6.5, 2.5]]);
        let (len, out) = run("extrema", json!({}));
        assert_eq!(len, 2);
        same(&out, &[[2.0, 1.0], [9.0, 3.0]]);
        let (len, out) = run("array_interpolate_linear", json!({}));
        assert_eq!(len, 3);
        same(&out, &[[4.0, n], [2.0, 3.0], [9.0, 1.0]]);
    }

    /// The array processes inside a reducer callback, as `reduce_dimension` runs it on a block of cells: the
    /// arrays they give are picked from or reduced to one value per cell.
    #[test]
    fn in_reducers() {
        let ctx = ctx();
        let n = f32::NAN;
        let lanes: [&[f32]; 4] = [&[4.0, n, 1.0], &[2.0, 3.0, n], &[9.0, n, n], &[3.0, 1.0, n]];
        let run = |graph: serde_json::Value| {
            let f = reducer(graph, &["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04"], &ctx).unwrap();
            f.call(&lanes, 3).unwrap()
        };
        let data = json!({"from_parameter": "data"});
        let pick = |inner: serde_json::Value, index: usize| {
            json!({
                "inner": inner,
                "pick": {"process_id": "array_element", "arguments": {
                    "data": {"from_node": "inner"}, "index": index}, "result": true}
            })
        };
        let same = |got: Vec<f32>, want: [f32; 3]| {
            assert!(
                got.iter().zip(want).all(|(g, w)| g == &w || (g.is_nan() && w.is_nan())),
                "{got:?} != {want:?}"
            );
        };
        // the second smallest value of each cell; cells with fewer values give no-data
        let sort = json!({"process_id": "sort", "arguments": {"data": data}});
        same(run(pick(sort, 1)), [3.0, 3.0, n]);
        let quantiles = json!({"process_id": "quantiles", "arguments": {"data": data, "probabilities": [0.5]}});
        same(run(pick(quantiles, 0)), [3.5, 2.0, 1.0]);
        let extrema = json!({"process_id": "extrema", "arguments": {"data": data}});
        same(run(pick(extrema, 1)), [9.0, 3.0, 1.0]);
        // the index of each cell's largest value
        same(
            run(json!({
                "max": {"process_id": "max", "arguments": {"data": data}},
                "find": {"process_id": "array_find", "arguments": {
                    "data": data, "value": {"from_node": "max"}}, "result": true}
            })),
            [2.0, 1.0, 0.0],
        );
        // the number of values above 2 in each cell
        same(
            run(json!({
                "filter": {"process_id": "array_filter", "arguments": {"data": data, "condition": {"process_graph": {
                    "gt": {"process_id": "gt", "arguments": {"x": {"from_parameter": "x"}, "y": 2}, "result": true}
                }}}},
                "count": {"process_id": "count", "arguments": {"data": {"from_node": "filter"}}, "result": true}
            })),
            [3.0, 1.0, 0.0],
        );
        // values weighted by their index, summed
        same(
            run(json!({
                "apply": {"process_id": "array_apply", "arguments": {"data": data, "process": {"process_graph": {
                    "m": {"process_id": "multiply", "arguments": {
                        "x": {"from_parameter": "x"}, "y": {"from_parameter": "index"}}, "result": true}
                }}}},
                "sum": {"process_id": "sum", "arguments": {"data": {"from_node": "apply"}}, "result": true}
            })),
            [29.0, 6.0, 0.0],
        );
        // gaps filled along time: the second cell's third value lies between its 3 and 1
        let interpolated = json!({"process_id": "array_interpolate_linear", "arguments": {"data": data}});
        same(run(pick(interpolated, 2)), [9.0, 2.0, n]);
    }
}
