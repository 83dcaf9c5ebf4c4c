//! A small synthetic collection for the unit tests of the cube processes (no files): a cube to call them with.

use std::collections::HashMap;
use std::sync::Arc;

use crate::graph::Args;
use crate::{Ctx, Registry, Result, Value};

/// 64 × 48 pixels of 10 m in EPSG:32632, three dates, two bands.
const CATALOG: &str = r#"
[[collections]]
id = "FIX"
source = { kind = "synthetic", crs = "EPSG:32632", origin = [600000, 5200000], resolution = 10, size = [64, 48], dates = ["2022-06-01", "2022-06-11", "2022-06-21"], seed = 7 }
bands = [{ name = "B04" }, { name = "B08" }]
"#;

/// A context whose catalog holds the collection `FIX`.
pub(super) fn ctx() -> Ctx {
    let catalog = openeo_engine::Catalog::from_toml(CATALOG, std::path::Path::new("/nonexistent")).unwrap();
    Ctx::new(Arc::new(catalog), Registry::standard(), None)
}

/// The whole collection `FIX` as a cube.
pub(super) fn cube(ctx: &Ctx) -> Value {
    call("load_collection", &[("id", Value::Text("FIX".into()))], ctx).unwrap()
}

/// Runs the registered process `id` with `args`, checked as a graph node's arguments are.
pub(super) fn call(id: &str, args: &[(&str, Value)], ctx: &Ctx) -> Result<Value> {
    let def = Registry::standard().get(id).unwrap();
    let values: HashMap<String, Value> = args.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect();
    let mut args = Args::new(def, values)?;
    (def.implementation())(&mut args, ctx)
}

/// The error code of `r`, or `ok`.
pub(super) fn code(r: &Result<Value>) -> String {
    r.as_ref()
        .err()
        .map_or_else(|| "ok".to_string(), |e| e.code().to_string())
}

/// The value of a JSON literal.
pub(super) fn json(v: serde_json::Value) -> Value {
    crate::graph::json_to_value(&v)
}
