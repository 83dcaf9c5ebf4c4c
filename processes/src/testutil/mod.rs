//! Helpers shared by the unit tests of the process families: calling a process directly with values, building
//! per-cell fields and comparing them, and running the openEO test corpus ([`corpus`]).

pub(crate) mod corpus;
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
