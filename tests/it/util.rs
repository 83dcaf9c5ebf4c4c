//! Shared helpers: the bundled catalog, running graphs, independent reads.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use gdal::{Dataset, Metadata};
use openeo_engine::{Catalog, ExecOptions, OutboundPolicy};
use serde_json::{Value, json};

pub(crate) fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata").join(name)
}

pub(crate) fn catalog() -> Arc<Catalog> {
    static CAT: OnceLock<Arc<Catalog>> = OnceLock::new();
    CAT.get_or_init(|| {
        openeo_engine::init_gdal(64).unwrap();
        Arc::new(Catalog::load(&testdata("collections.toml")).unwrap())
    })
    .clone()
}

/// Runs a graph on the bundled catalog; returns the files written.
pub(crate) fn run(graph: &Value, out: &Path) -> Result<Vec<PathBuf>, openeo_server::RunError> {
    run_with(graph, catalog(), out)
}

pub(crate) fn run_with(graph: &Value, cat: Arc<Catalog>, out: &Path) -> Result<Vec<PathBuf>, openeo_server::RunError> {
    let opts = ExecOptions {
        memory_budget: Some(8 << 20),
        ..ExecOptions::default()
    };
    openeo_server::run_graph(graph, openeo_server::standard_ctx(cat, outbound()), out, &opts)
        .map(|o| o.files.into_iter().map(|(p, _)| p).collect())
}

/// What the tests' graphs may read: STAC documents the tests write to the temporary directory, and the bundled
/// data they point at.
pub(crate) fn outbound() -> Arc<OutboundPolicy> {
    let policy = OutboundPolicy::new()
        .try_local_root(&std::env::temp_dir())
        .and_then(|p| p.try_local_root(&testdata("")))
        .unwrap();
    Arc::new(policy)
}

pub(crate) fn mean_reducer() -> Value {
    json!({"process_graph": {"m": {"process_id": "mean", "arguments": {"data": {"from_parameter": "data"}}, "result": true}}})
}

/// load → filter_temporal → filter_bbox → reduce(t, mean) nodes with prefix `p`.
pub(crate) fn branch(
    p: &str,
    collection: &str,
    band: &str,
    interval: [&str; 2],
    bbox: Value,
) -> serde_json::Map<String, Value> {
    let v = json!({
        format!("{p}load"): {"process_id": "load_collection", "arguments": {"id": collection, "bands": [band]}},
        format!("{p}time"): {"process_id": "filter_temporal", "arguments": {"data": {"from_node": format!("{p}load")}, "extent": interval}},
        format!("{p}bbox"): {"process_id": "filter_bbox", "arguments": {"data": {"from_node": format!("{p}time")}, "extent": bbox}},
        format!("{p}mean"): {"process_id": "reduce_dimension", "arguments": {"data": {"from_node": format!("{p}bbox")}, "dimension": "t", "reducer": mean_reducer()}},
    });
    v.as_object().unwrap().clone()
}

/// The seed graph: two branches, merged, saved.
pub(crate) fn seed_graph(a: (&str, &str), b: (&str, &str), interval: [&str; 2], bbox: Value, format: &str) -> Value {
    let mut g = branch("a", a.0, a.1, interval, bbox.clone());
    g.extend(branch("b", b.0, b.1, interval, bbox));
    g.insert("merge".into(), json!({"process_id": "merge_cubes", "arguments": {"cube1": {"from_node": "amean"}, "cube2": {"from_node": "bmean"}}}));
    g.insert("save".into(), json!({"process_id": "save_result", "arguments": {"data": {"from_node": "merge"}, "format": format}, "result": true}));
    json!({"process": {"process_graph": g}})
}

/// A band of a raster as f64 values (row-major), with its geotransform and nodata.
pub(crate) struct Raster {
    pub(crate) values: Vec<f64>,
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) transform: [f64; 6],
    pub(crate) nodata: Option<f64>,
    pub(crate) epsg: Option<i32>,
    pub(crate) description: String,
}

pub(crate) fn read_band(path: &str, band: usize) -> Raster {
    let ds = Dataset::open(path).unwrap_or_else(|e| panic!("open {path}: {e}"));
    let b = ds.rasterband(band).unwrap();
    let (width, height) = b.size();
    let buf = b
        .read_as::<f64>((0, 0), (width, height), (width, height), None)
        .unwrap();
    Raster {
        values: buf.data().to_vec(),
        width,
        height,
        transform: ds.geo_transform().unwrap(),
        nodata: b.no_data_value(),
        epsg: ds.spatial_ref().ok().and_then(|s| s.auth_code().ok()),
        description: b.description().unwrap_or_default(),
    }
}

pub(crate) fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-3 * (1.0 + b.abs())
}
