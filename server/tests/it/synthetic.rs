//! A server whose collections are all `synthetic`: it starts without data files, describes the collections from
//! the configuration and computes results from the generator's formula.

use openeo_engine::synthetic_value;
use serde_json::{Value, json};

use crate::server::{Server, http};

const FIX_S2: &str = r#"
[[collections]]
id = "FIX_S2"
source = { kind = "synthetic", crs = "EPSG:32632", origin = [600000, 5200000], resolution = 10, size = [1024, 768], dates = ["2022-06-01", "2022-06-11"], seed = 42 }
bands = [{ name = "B04", common_name = "red" }, { name = "B08", common_name = "nir" }]
"#;

/// The mean over both dates of band `b` at pixel (`x`, `y`), `None` when both are no-data (0).
fn mean(b: usize, x: usize, y: usize) -> Option<f64> {
    let v: Vec<f64> = (0..2)
        .map(|t| synthetic_value(42, b, t, x, y))
        .filter(|&v| v != 0)
        .map(f64::from)
        .collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

#[test]
fn synthetic_collections_are_served_without_files() {
    let dir = tempfile::tempdir().unwrap();
    // twenty more collections of the same kind, and no data directory at all
    let more: String = (0..20).map(|i| FIX_S2.replace("FIX_S2", &format!("FIX_{i}"))).collect();
    let collections = dir.path().join("collections.toml");
    std::fs::write(&collections, format!("{FIX_S2}{more}")).unwrap();
    let s = Server::start_with(dir.path(), "", &collections);

    let (st, list, _) = http("GET", &format!("{}/collections", s.url), None, None, None);
    assert_eq!(st, 200);
    assert_eq!(list["collections"].as_array().unwrap().len(), 21);

    let (st, c, _) = http("GET", &format!("{}/collections/FIX_S2", s.url), None, None, None);
    assert_eq!(st, 200, "{c}");
    let dims = &c["cube:dimensions"];
    assert_eq!(
        dims["x"],
        json!({"type": "spatial", "axis": "x", "extent": [600000.0, 610240.0], "step": 10.0, "reference_system": 32632})
    );
    assert_eq!(
        dims["y"],
        json!({"type": "spatial", "axis": "y", "extent": [5192320.0, 5200000.0], "step": 10.0, "reference_system": 32632})
    );
    assert_eq!(
        dims["t"]["values"],
        json!(["2022-06-01T00:00:00Z", "2022-06-11T00:00:00Z"])
    );
    assert_eq!(dims["bands"]["values"], json!(["B04", "B08"]));
    assert_eq!(
        c["summaries"]["eo:bands"][1],
        json!({"name": "B08", "common_name": "nir"})
    );
    let bbox: Vec<f64> = c["extent"]["spatial"]["bbox"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        bbox[0] > 10.2 && bbox[2] < 10.5 && bbox[1] > 46.8 && bbox[3] < 47.0,
        "{bbox:?}"
    );

    // centres of columns 300..=308 and rows 188..=199
    let g = json!({"process": {"process_graph": {
        "load": {"process_id": "load_collection", "arguments": {"id": "FIX_S2", "bands": ["red"],
            "spatial_extent": {"west": 603001, "east": 603089, "south": 5198001, "north": 5198117, "crs": 32632},
            "temporal_extent": ["2022-06-01", "2022-06-21"]}},
        "mean": {"process_id": "reduce_dimension", "arguments": {"data": {"from_node": "load"}, "dimension": "t",
            "reducer": {"process_graph": {"m": {"process_id": "mean", "arguments": {"data": {"from_parameter": "data"}}, "result": true}}}}},
        "save": {"process_id": "save_result", "arguments": {"data": {"from_node": "mean"}, "format": "JSON"}, "result": true}}}});
    let t = s.token("alice", "secret");
    let (st, r, _) = http("POST", &format!("{}/result", s.url), Some(&g), Some(&t), None);
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["order"], json!(["bands", "y", "x"]));
    let xs: Vec<f64> = r["dimensions"]["x"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let ys: Vec<f64> = r["dimensions"]["y"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!((xs.len(), xs[0]), (9, 603_005.0));
    assert_eq!((ys.len(), ys[0]), (12, 5_198_115.0));
    let mut valid = 0;
    for (row, y) in ys.iter().enumerate() {
        for (col, x) in xs.iter().enumerate() {
            let (px, py) = (((x - 600_000.0) / 10.0) as usize, ((5_200_000.0 - y) / 10.0) as usize);
            let want = mean(0, px, py);
            let got = &r["data"][0][row][col];
            assert_eq!(got.as_f64(), want, "pixel ({px}, {py}): {got}");
            assert!(want.is_some() || *got == Value::Null);
            valid += usize::from(want.is_some());
        }
    }
    assert!(valid > 0);
}
