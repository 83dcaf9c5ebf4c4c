//! Helpers shared by the unit tests of the process families: calling a process directly with values, building
//! per-cell fields and comparing them, and the conformance runner over the openEO test corpus (`corpus`).

mod corpus;
mod cubes;
mod json5;

use std::collections::HashMap;
use std::sync::Arc;

use crate::graph::Args;
use crate::{Ctx, Registry, Result, Value};

/// A context without collections.
pub(crate) fn ctx() -> Ctx {
    let catalog = openeo_engine::Catalog::from_toml("", std::path::Path::new(".")).unwrap();
    Ctx::new(Arc::new(catalog), Registry::standard(), None)
}

/// Runs the registered process `id` with `args`, checked as a graph node's arguments are.
pub(crate) fn call(id: &str, args: &[(&str, Value)], ctx: &Ctx) -> Result<Value> {
    let def = Registry::standard()
        .get(id)
        .unwrap_or_else(|| panic!("process {id} is not registered"));
    let values: HashMap<String, Value> = args.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect();
    let mut args = Args::new(def, values)?;
    (def.implementation())(&mut args, ctx)
}

/// A field of `cells`.
pub(crate) fn field(cells: &[f32]) -> Value {
    Value::Field(Arc::from(cells))
}

/// Asserts that `v` is a field equal to `expected` (NaN equals NaN).
pub(crate) fn assert_cells(v: &Value, expected: &[f32]) {
    let Value::Field(cells) = v else {
        panic!("expected a field, got {v:?}");
    };
    let same = cells.len() == expected.len()
        && cells
            .iter()
            .zip(expected)
            .all(|(a, e)| a == e || (a.is_nan() && e.is_nan()) || (a - e).abs() <= 1e-6 * e.abs().max(1.0));
    assert!(same, "got {cells:?}, expected {expected:?}");
}

/// The plain value of `json` (arrays without labels).
pub(crate) fn value(json: serde_json::Value) -> Value {
    crate::graph::json_to_value(&json)
}

/// An array of `items` with the labels `labels`.
pub(crate) fn labelled(items: Vec<Value>, labels: &[&str]) -> Value {
    let labels: Vec<String> = labels.iter().map(|l| (*l).to_string()).collect();
    Value::Array(items, Some(labels.into()))
}

/// The callback of the process graph `json` (the node map).
pub(crate) fn callback(json: serde_json::Value) -> Value {
    Value::Callback(Arc::new(crate::ProcessGraph::from_json(&json).unwrap()))
}

/// Asserts that `v` is an array of fields, element `k` equal to `expected[k]` (see [`assert_cells`]).
pub(crate) fn assert_fields(v: &Value, expected: &[&[f32]]) {
    let Value::Array(items, _) = v else {
        panic!("expected an array, got {v:?}");
    };
    assert_eq!(items.len(), expected.len(), "elements of {v:?}");
    for (item, e) in items.iter().zip(expected) {
        assert_cells(item, e);
    }
}

/// A reducer callback over a dimension with `labels`, as `reduce_dimension` builds it, probed like it.
pub(crate) fn reducer(json: serde_json::Value, labels: &[&str], ctx: &Ctx) -> Result<crate::graph::CallbackFn> {
    let graph = Arc::new(crate::ProcessGraph::from_json(&json).unwrap());
    let labels: Vec<String> = labels.iter().map(|l| (*l).to_string()).collect();
    let inputs = crate::graph::callback::Inputs::Array {
        name: "data",
        labels: labels.into(),
    };
    crate::graph::CallbackFn::try_new(graph, inputs, Value::Null, ctx)
}

/// Asserts that `v` is the plain value `expected` (numbers compared as `f64`, labels ignored).
pub(crate) fn assert_json(v: &Value, expected: serde_json::Value) {
    assert_eq!(v.to_json(), value(expected).to_json());
}
