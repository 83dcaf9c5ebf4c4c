//! Band math, apply, resolvers, netCDF time axes and JSON output.

use serde_json::json;

use crate::util::*;

fn cb(process: &str, args: serde_json::Value) -> serde_json::Value {
    json!({"process_graph": {"n": {"process_id": process, "arguments": args, "result": true}}})
}

#[test]
fn netcdf_keeps_time_with_cf_units() {
    let dir = tempfile::tempdir().unwrap();
    let g = json!({"process_graph": {
        "l": {"process_id": "load_collection", "arguments": {"id": "SYNTH_S2_UTM", "bands": ["B02"], "temporal_extent": ["2022-06-07", "2022-06-20"],
              "spatial_extent": {"west": 676000, "south": 5152800, "east": 676100, "north": 5153000, "crs": 32632}}},
        "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "l"}, "format": "NETCDF"}, "result": true}}});
    let files = run(&g, &dir.path().join("t.nc")).unwrap();
    let info = openeo_engine::read_info(&format!("NETCDF:\"{}\":B02", files[0].display())).unwrap();
    let times: Vec<String> = info
        .times
        .unwrap()
        .iter()
        .map(|t| t.format("%Y-%m-%d").to_string())
        .collect();
    assert_eq!(times, ["2022-06-07", "2022-06-12", "2022-06-17"]);
    assert_eq!(info.grid.crs.epsg(), Some(32632));
    assert_eq!((info.grid.width, info.grid.height), (10, 20));
    // values: date 2022-06-12 (index 2 in the collection), band B02 (index 0), seed 1
    let r = read_band(&format!("NETCDF:\"{}\":B02", files[0].display()), 2);
    for (x, y) in [(0usize, 0usize), (5, 7), (9, 19)] {
        let v = f64::from(openeo_engine::synthetic_value(1, 0, 2, x, y));
        assert!(close(r.values[y * r.width + x], if v == 0.0 { f64::NAN } else { v }));
    }
}

#[test]
fn band_math_ndvi_apply_and_resolver() {
    let dir = tempfile::tempdir().unwrap();
    let ext = json!({"west": 676000, "south": 5152950, "east": 676050, "north": 5153000, "crs": 32632});
    let nd = json!({"process_graph": {
        "n": {"process_id": "array_element", "arguments": {"data": {"from_parameter": "data"}, "label": "B08"}},
        "r": {"process_id": "array_element", "arguments": {"data": {"from_parameter": "data"}, "index": 0}},
        "d": {"process_id": "normalized_difference", "arguments": {"x": {"from_node": "n"}, "y": {"from_node": "r"}}, "result": true}}});
    let g = json!({"process_graph": {
        "l": {"process_id": "load_collection", "arguments": {"id": "SYNTH_S2_UTM", "bands": ["red", "nir"], "temporal_extent": ["2022-06-02", "2022-06-03"], "spatial_extent": ext}},
        "r": {"process_id": "reduce_dimension", "arguments": {"data": {"from_node": "l"}, "dimension": "bands", "reducer": nd}},
        "v": {"process_id": "ndvi", "arguments": {"data": {"from_node": "l"}}},
        "scaled": {"process_id": "apply", "arguments": {"data": {"from_node": "v"}, "process": cb("linear_scale_range", json!({"x": {"from_parameter": "x"}, "inputMin": -1, "inputMax": 1, "outputMin": 0, "outputMax": 200}))}},
        "m": {"process_id": "merge_cubes", "arguments": {"cube1": {"from_node": "r"}, "cube2": {"from_node": "scaled"},
              "overlap_resolver": cb("subtract", json!({"x": {"from_parameter": "y"}, "y": {"from_parameter": "x"}}))}},
        "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "m"}, "format": "JSON"}, "result": true}}});
    let files = run(&g, &dir.path().join("r.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    assert_eq!(doc["order"], json!(["t", "y", "x"]));
    let data = &doc["data"][0];
    for y in 0..5 {
        for x in 0..5 {
            let (red, nir) = (
                f64::from(openeo_engine::synthetic_value(1, 2, 0, x, y)),
                f64::from(openeo_engine::synthetic_value(1, 3, 0, x, y)),
            );
            let got = &data[y][x];
            if red == 0.0 || nir == 0.0 {
                assert!(got.is_null());
                continue;
            }
            let ndvi = (nir - red) / (nir + red);
            // resolver: y - x = scaled(ndvi) - ndvi
            let want = (ndvi + 1.0) * 100.0 - ndvi;
            assert!(close(got.as_f64().unwrap(), want), "{got} vs {want}");
        }
    }
}

#[test]
fn scalar_graphs_and_reducers_follow_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    let eval = |process: &str, args: serde_json::Value| {
        let out = dir.path().join(format!("{process}.json"));
        run(
            &json!({"process_graph": {"n": {"process_id": process, "arguments": args, "result": true}}}),
            &out,
        )
        .unwrap();
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(&out).unwrap()).unwrap()
    };
    assert_eq!(eval("mean", json!({"data": [1, null, 3]})), json!(2.0));
    assert_eq!(
        eval("mean", json!({"data": [1, null, 3], "ignore_nodata": false})),
        json!(null)
    );
    assert_eq!(
        eval("sd", json!({"data": [2, 4, 4, 4, 5, 5, 7, 9]})).as_f64().unwrap(),
        (32.0f64 / 7.0).sqrt()
    );
    assert_eq!(eval("variance", json!({"data": [1, 2, 3, 4]})), json!(5.0 / 3.0));
    assert_eq!(eval("median", json!({"data": [5, 1, 3, 2]})), json!(2.5));
    assert_eq!(eval("count", json!({"data": [1, null, 3]})), json!(2.0));
    assert_eq!(eval("first", json!({"data": [null, 2, 3]})), json!(2.0));
    assert_eq!(eval("last", json!({"data": [1, 2, null]})), json!(2.0));
    assert_eq!(eval("product", json!({"data": [2, 3, 4]})), json!(24.0));
    assert_eq!(
        eval("linear_scale_range", json!({"x": 15, "inputMin": 0, "inputMax": 10})),
        json!(1.0)
    );
    assert_eq!(eval("power", json!({"base": 2, "p": 10})), json!(1024.0));
    assert_eq!(eval("add", json!({"x": 1, "y": null})), json!(null));
}
