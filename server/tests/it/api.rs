//! Discovery, auth, errors, sync processing, validation, user-defined processes, CORS and path hygiene.

use serde_json::json;

use crate::server::{Server, header, http, seed};

#[test]
fn discovery_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let root = s.url.trim_end_matches("/openeo/1.2");
    let (st, wk, _) = http("GET", &format!("{root}/.well-known/openeo"), None, None, None);
    assert_eq!(st, 200);
    assert_eq!(wk["versions"][0]["api_version"], "1.2.0");
    let (_, cap, _) = http("GET", &format!("{}/", s.url), None, None, None);
    let paths: Vec<&str> = cap["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"/jobs") && paths.contains(&"/jobs/{job_id}/results") && paths.contains(&"/result"));
    let (_, c, _) = http(
        "GET",
        &format!("{}/collections/SENTINEL2_L2A_SAMPLE", s.url),
        None,
        None,
        None,
    );
    assert_eq!(c["cube:dimensions"]["x"]["reference_system"], 32632);
    assert_eq!(c["cube:dimensions"]["t"]["values"], json!(["2022-06-12T00:00:00Z"]));
    assert_eq!(
        c["summaries"]["eo:bands"][2],
        json!({"name": "B04", "common_name": "red", "center_wavelength": 0.665, "nodata": 0.0})
    );
    let (_, p, _) = http("GET", &format!("{}/processes", s.url), None, None, None);
    let ids: Vec<&str> = p["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"merge_cubes") && ids.contains(&"mean"));
    // double slashes and trailing slashes are tolerated
    let (st, _, _) = http("GET", &format!("{}//collections/", s.url), None, None, None);
    assert_eq!(st, 200);
    // CORS preflight
    let (st, _, h) = http("OPTIONS", &format!("{}/jobs", s.url), None, None, None);
    assert!(
        st < 300 && header(&h, "access-control-allow-methods").is_some(),
        "{st} {h:?}"
    );
}

#[test]
fn auth_errors() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let (st, e, _) = http("GET", &format!("{}/me", s.url), None, None, None);
    assert_eq!((st, e["code"].as_str()), (401, Some("AuthenticationRequired")));
    let (st, e, _) = http("GET", &format!("{}/me", s.url), None, Some("Bearer basic//nope"), None);
    assert_eq!((st, e["code"].as_str()), (403, Some("TokenInvalid")));
    let (st, e, _) = http(
        "GET",
        &format!("{}/credentials/basic", s.url),
        None,
        Some("Basic YWxpY2U6d3Jvbmc="),
        None,
    );
    assert_eq!((st, e["code"].as_str()), (401, Some("CredentialsInvalid")));
    let t = s.token("alice", "secret");
    let (st, me, _) = http("GET", &format!("{}/me", s.url), None, Some(&t), None);
    assert_eq!((st, me["user_id"].as_str()), (200, Some("alice")));
    // aggregator-style tokens are refused unless enabled
    let (st, _, _) = http(
        "GET",
        &format!("{}/me", s.url),
        None,
        Some("Bearer basic//YWxpY2U="),
        None,
    );
    assert_eq!(st, 403);
}

#[test]
fn sync_results_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "sync_max_megavalues = 0.5");
    let t = s.token("alice", "secret");
    let mut body = seed();
    body["job_options"] = json!({"memory": "2G"});
    let (st, b, h) = http("POST", &format!("{}/result", s.url), Some(&body), Some(&t), None);
    assert_eq!(st, 200, "{b}");
    assert_eq!(header(&h, "content-type"), Some("image/tiff; application=geotiff"));
    // too large for sync: the whole Landsat collection
    let big = json!({"process": {"process_graph": {
        "l": {"process_id": "load_collection", "arguments": {"id": "LANDSAT8_L1TP_NY2018"}},
        "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "l"}, "format": "netCDF"}, "result": true}}}});
    let (st, e, _) = http("POST", &format!("{}/result", s.url), Some(&big), Some(&t), None);
    assert_eq!((st, e["code"].as_str()), (400, Some("ProcessGraphComplexity")));
    let bad = json!({"process": {"process_graph": {"x": {"process_id": "nope", "arguments": {}, "result": true}}}});
    let (st, e, _) = http("POST", &format!("{}/result", s.url), Some(&bad), Some(&t), None);
    assert_eq!((st, e["code"].as_str()), (400, Some("ProcessUnsupported")));
    assert!(e["message"].as_str().unwrap().contains("'x'"));
    let nocol = json!({"process": {"process_graph": {"l": {"process_id": "load_collection", "arguments": {"id": "NOPE"}, "result": true}}}});
    let (st, e, _) = http("POST", &format!("{}/result", s.url), Some(&nocol), Some(&t), None);
    assert_eq!((st, e["code"].as_str()), (404, Some("CollectionNotFound")));
    let (st, e, _) = http(
        "POST",
        &format!("{}/result", s.url),
        Some(&json!({"nothing": 1})),
        Some(&t),
        None,
    );
    assert_eq!((st, e["code"].as_str()), (400, Some("ProcessGraphMissing")));
    let (st, e, _) = http("GET", &format!("{}/collections/NOPE", s.url), None, None, None);
    assert_eq!((st, e["code"].as_str()), (404, Some("CollectionNotFound")));
    assert!(e["id"].is_string() && e["message"].is_string());
}

#[test]
fn validation_and_user_defined_processes() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let t = s.token("alice", "secret");
    let (st, v, _) = http(
        "POST",
        &format!("{}/validation", s.url),
        Some(&seed()["process"]),
        Some(&t),
        None,
    );
    assert_eq!((st, v["errors"].as_array().map(Vec::len)), (200, Some(0)), "{v}");
    let overlap = json!({"process_graph": {
        "a": {"process_id": "load_collection", "arguments": {"id": "SYNTH_S2_UTM"}},
        "m": {"process_id": "merge_cubes", "arguments": {"cube1": {"from_node": "a"}, "cube2": {"from_node": "a"}}},
        "f": {"process_id": "frobnicate", "arguments": {"data": {"from_node": "m"}}, "result": true}}});
    let (_, v, _) = http("POST", &format!("{}/validation", s.url), Some(&overlap), Some(&t), None);
    assert_eq!(v["errors"][0]["code"], "ProcessUnsupported");
    let mut only_overlap = overlap.clone();
    only_overlap["process_graph"]["f"] = json!({"process_id": "save_result", "arguments": {"data": {"from_node": "m"}, "format": "GTiff"}, "result": true});
    let (_, v, _) = http(
        "POST",
        &format!("{}/validation", s.url),
        Some(&only_overlap),
        Some(&t),
        None,
    );
    assert_eq!(v["errors"][0]["code"], "OverlapResolverMissing");
    // a user-defined process used as process_id
    let udp = json!({"summary": "double", "parameters": [{"name": "v", "schema": {"type": "number"}}], "process_graph": {
        "m": {"process_id": "multiply", "arguments": {"x": {"from_parameter": "v"}, "y": 2}, "result": true}}});
    let (st, _, _) = http(
        "PUT",
        &format!("{}/process_graphs/double", s.url),
        Some(&udp),
        Some(&t),
        None,
    );
    assert_eq!(st, 200);
    let (_, list, _) = http("GET", &format!("{}/process_graphs", s.url), None, Some(&t), None);
    assert_eq!(list["processes"][0]["id"], "double");
    let g =
        json!({"process": {"process_graph": {"d": {"process_id": "double", "arguments": {"v": 21}, "result": true}}}});
    let (st, v, _) = http("POST", &format!("{}/result", s.url), Some(&g), Some(&t), None);
    assert_eq!((st, v), (200, json!(42.0)));
    let bob = s.token("bob", "secret2");
    let (st, _, _) = http(
        "GET",
        &format!("{}/process_graphs/double", s.url),
        None,
        Some(&bob),
        None,
    );
    assert_eq!(st, 404);
    let (st, _, _) = http(
        "DELETE",
        &format!("{}/process_graphs/double", s.url),
        None,
        Some(&t),
        None,
    );
    assert_eq!(st, 204);
}
