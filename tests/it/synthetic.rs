//! Synthetic collections against the generator: the same parameters as a `synthetic` collection (computed while
//! reading) and as a `files` collection over the COGs `generate` writes give exactly the same results.

use std::sync::Arc;

use chrono::NaiveDate;
use openeo_engine::{Catalog, ExecOptions, SyntheticSpec, crs_from_user, execute_to_memory};
use openeo_processes::{Ctx, ProcessGraph, Registry, evaluate};
use serde_json::json;

use crate::util::seed_graph;

/// Dates out of order on purpose: the date index is the position in this list, in the files and on the fly (the
/// graphs average the dates of index 0 and 2, so a mix-up would show).
const DATES: [&str; 3] = ["2022-06-11", "2022-06-01", "2022-06-21"];

fn catalog(dir: &std::path::Path) -> Catalog {
    openeo_engine::init_gdal(64).unwrap();
    let dates: Vec<NaiveDate> = DATES.iter().map(|d| d.parse().unwrap()).collect();
    let crs = crs_from_user("EPSG:32632").unwrap();
    let mut spec = SyntheticSpec::new(
        "FIX",
        crs,
        600_000.0,
        5_200_000.0,
        10.0,
        (700, 600),
        vec!["B04".into(), "B08".into()],
        dates,
        42,
    );
    spec.netcdf = false;
    openeo_engine::generate(&spec, &dir.join("gen")).unwrap();
    let cfg = format!(
        r#"
[[collections]]
id = "FIX_FILES"
source = {{ kind = "files", glob = "gen/FIX_*.tif", pattern = '_(?P<date>\d{{8}})_(?P<band>B\d\d)\.tif$' }}
bands = [{{ name = "B04", common_name = "red" }}, {{ name = "B08", common_name = "nir" }}]

[[collections]]
id = "FIX_SYNTH"
source = {{ kind = "synthetic", crs = "EPSG:32632", origin = [600000, 5200000], resolution = 10, size = [700, 600], dates = {DATES:?}, seed = 42 }}
bands = [{{ name = "B04", common_name = "red" }}, {{ name = "B08", common_name = "nir" }}]
"#
    );
    Catalog::from_toml(&cfg, dir).unwrap()
}

#[test]
fn synthetic_collection_equals_the_generated_files() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Arc::new(catalog(dir.path()));
    let (files, synth) = (cat.get("FIX_FILES").unwrap(), cat.get("FIX_SYNTH").unwrap());
    assert_eq!(files.grid, synth.grid);
    assert_eq!(files.times(), synth.times());
    assert_eq!(files.extent_wgs84, synth.extent_wgs84);
    // a longitude/latitude box well inside the data: reprojected, it cuts the grid at no particular pixel
    let e = synth.extent_wgs84;
    let (dx, dy) = (e.east - e.west, e.north - e.south);
    let bbox = json!({"west": e.west + 0.13 * dx, "east": e.east - 0.21 * dx, "south": e.south + 0.17 * dy, "north": e.north - 0.09 * dy});
    let opts = ExecOptions {
        memory_budget: Some(8 << 20),
        ..ExecOptions::default()
    };
    let run = |id: &str| {
        let g = seed_graph(
            (id, "B04"),
            (id, "nir"),
            ["2022-06-05", "2022-07-01"],
            bbox.clone(),
            "JSON",
        );
        // one context per evaluation (it collects the graph's save_result calls)
        let ctx = Ctx::new(Arc::clone(&cat), Registry::standard(), None);
        let eval = evaluate(&ProcessGraph::from_json(&g).unwrap(), &ctx).unwrap();
        assert_eq!(eval.saves.len(), 1);
        let openeo_processes::SaveData::Raster(cube) = &eval.saves[0].data else {
            panic!("a raster cube is saved");
        };
        (cube.meta().clone(), execute_to_memory(cube, &opts).unwrap())
    };
    let (meta_f, from_files) = run("FIX_FILES");
    let (meta_s, on_the_fly) = run("FIX_SYNTH");
    assert_eq!(meta_f.grid(), meta_s.grid());
    assert_eq!(from_files.shape(), on_the_fly.shape());
    let g = meta_s.grid();
    assert!(g.width > 300 && g.height > 300 && g.transform[0] > 600_000.0, "{g:?}");
    let (a, b) = (from_files.values(), on_the_fly.values());
    let differ = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.to_bits() != y.to_bits() && !(x.is_nan() && y.is_nan()))
        .count();
    assert_eq!(differ, 0, "{differ} of {} values differ", a.len());
    let valid = b.iter().filter(|v| !v.is_nan()).count();
    assert!(
        valid > b.len() * 9 / 10 && valid < b.len(),
        "{valid} of {} valid",
        b.len()
    );
}
