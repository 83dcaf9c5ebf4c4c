//! Every bad input gives an openEO error code with the node named, never a panic.

use serde_json::{Value, json};

use crate::util::*;

fn code_of(graph: Value) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let e = run(&graph, &dir.path().join("x.tif")).expect_err("the graph must fail");
    (e.code, e.message)
}

fn load(args: Value) -> Value {
    json!({"process_graph": {
        "load": {"process_id": "load_collection", "arguments": args},
        "save": {"process_id": "save_result", "arguments": {"data": {"from_node": "load"}, "format": "GTiff"}, "result": true}}})
}

#[test]
fn unknown_process() {
    let (code, msg) =
        code_of(json!({"process_graph": {"n1": {"process_id": "frobnicate", "arguments": {}, "result": true}}}));
    assert_eq!(code, "ProcessUnsupported");
    assert!(msg.contains("n1") && msg.contains("frobnicate"), "{msg}");
}

#[test]
fn unknown_collection() {
    let (code, msg) = code_of(load(json!({"id": "NOPE"})));
    assert_eq!(code, "CollectionNotFound");
    assert!(msg.contains("load"), "{msg}");
}

#[test]
fn missing_and_unknown_arguments() {
    let (code, msg) = code_of(load(json!({})));
    assert_eq!(code, "ProcessParameterRequired");
    assert!(msg.contains("'id'") && msg.contains("load"), "{msg}");
    let (code, _) = code_of(load(json!({"id": "SYNTH_S2_UTM", "colour": "red"})));
    assert_eq!(code, "ProcessParameterUnsupported");
}

#[test]
fn invalid_argument_names_the_parameter() {
    let (code, msg) = code_of(load(
        json!({"id": "SYNTH_S2_UTM", "temporal_extent": ["yesterday", null]}),
    ));
    assert_eq!(code, "ProcessParameterInvalid");
    assert!(msg.contains("temporal_extent"), "{msg}");
}

#[test]
fn band_not_found() {
    let (code, msg) = code_of(load(json!({"id": "SYNTH_S2_UTM", "bands": ["B99"]})));
    assert_eq!(code, "BandNotAvailable");
    assert!(msg.contains("B99"), "{msg}");
}

#[test]
fn empty_temporal_extent() {
    let (code, _) = code_of(load(
        json!({"id": "SYNTH_S2_UTM", "temporal_extent": ["2022-06-12", "2022-06-12"]}),
    ));
    assert_eq!(code, "TemporalExtentEmpty");
}

#[test]
fn bbox_outside_the_data() {
    let (code, _) = code_of(load(
        json!({"id": "SYNTH_S2_UTM", "spatial_extent": {"west": 0.0, "south": 0.0, "east": 1.0, "north": 1.0}}),
    ));
    assert_eq!(code, "NoDataAvailable");
    let (code, _) = code_of(load(
        json!({"id": "SYNTH_S2_UTM", "temporal_extent": ["2030-01-01", null]}),
    ));
    assert_eq!(code, "NoDataAvailable");
}

#[test]
fn unsupported_format() {
    let (code, _) = code_of(json!({"process_graph": {
        "load": {"process_id": "load_collection", "arguments": {"id": "SYNTH_S2_UTM"}},
        "save": {"process_id": "save_result", "arguments": {"data": {"from_node": "load"}, "format": "PNGX"}, "result": true}}}));
    assert_eq!(code, "FormatUnsupported");
}

#[test]
fn invalid_graphs() {
    let (code, _) = code_of(
        json!({"process_graph": {"a": {"process_id": "add", "arguments": {"x": 1, "y": {"from_node": "zz"}}, "result": true}}}),
    );
    assert_eq!(code, "ProcessGraphInvalid");
    let (code, _) = code_of(json!({"process_graph": {"a": {"process_id": "add", "arguments": {"x": 1, "y": 2}}}}));
    assert_eq!(code, "ProcessGraphInvalid");
}

/// Overlap without resolver is decided before reading: the files are gone and the error is still the overlap.
#[test]
fn overlap_without_resolver_is_detected_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    std::fs::create_dir(&data).unwrap();
    for d in ["20220602", "20220607"] {
        std::fs::copy(
            testdata(&format!("synthetic/utm/SYNTH_{d}_B04.tif")),
            data.join(format!("S_{d}_B04.tif")),
        )
        .unwrap();
    }
    let cfg = "[[collections]]\nid = \"C\"\nsource = { kind = \"files\", glob = \"d/*.tif\", pattern = '_(?P<date>\\d{8})_(?P<band>B04)' }\nbands = [{ name = \"B04\", nodata = 0 }]\n";
    let cat = std::sync::Arc::new(openeo_engine::Catalog::from_toml(cfg, dir.path()).unwrap());
    std::fs::remove_dir_all(&data).unwrap();
    let merge = |resolver: Value| {
        json!({"process_graph": {
            "a": {"process_id": "load_collection", "arguments": {"id": "C"}},
            "b": {"process_id": "load_collection", "arguments": {"id": "C"}},
            "m": {"process_id": "merge_cubes", "arguments": {"cube1": {"from_node": "a"}, "cube2": {"from_node": "b"}, "overlap_resolver": resolver}},
            "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "m"}, "format": "GTiff"}, "result": true}}})
    };
    let e = run_with(&merge(Value::Null), cat.clone(), &dir.path().join("o.tif")).unwrap_err();
    assert_eq!(e.code, "OverlapResolverMissing");
    assert!(e.message.contains("'m'"), "{}", e.message);
    // with a resolver the plan is valid and reading the missing file fails cleanly
    let resolver = json!({"process_graph": {"s": {"process_id": "add", "arguments": {"x": {"from_parameter": "x"}, "y": {"from_parameter": "y"}}, "result": true}}});
    let e = run_with(&merge(resolver), cat, &dir.path().join("o.tif")).unwrap_err();
    assert_eq!(e.code, "Internal");
    assert!(!e.client && e.message.contains("S_20220602_B04.tif"), "{}", e.message);
}

#[test]
fn array_element_out_of_range() {
    let reducer = json!({"process_graph": {"e": {"process_id": "array_element", "arguments": {"data": {"from_parameter": "data"}, "index": 7}, "result": true}}});
    let (code, _) = code_of(json!({"process_graph": {
        "l": {"process_id": "load_collection", "arguments": {"id": "SYNTH_S2_UTM", "bands": ["B04", "B08"]}},
        "r": {"process_id": "reduce_dimension", "arguments": {"data": {"from_node": "l"}, "dimension": "bands", "reducer": reducer}},
        "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "r"}, "format": "GTiff"}, "result": true}}}));
    assert_eq!(code, "ArrayElementNotAvailable");
}
