//! Batch jobs: lifecycle, user isolation, signed links, cancel, and durability across kill -9.

use std::process::Command;

use serde_json::{Value, json};

use crate::server::{Server, canonical_link, create_job, header, http, seed, wait_status};

#[test]
fn lifecycle_isolation_and_signed_links() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let t = s.token("alice", "secret");
    let mut body = seed();
    body["title"] = json!("seed");
    body["job_options"] = json!({"anything": true});
    let id = create_job(&s, &t, &body);
    let (_, j, _) = http("GET", &format!("{}/jobs/{id}", s.url), None, Some(&t), None);
    assert_eq!(
        (j["status"].as_str(), j["title"].as_str()),
        (Some("created"), Some("seed"))
    );
    let (st, e, _) = http("GET", &format!("{}/jobs/{id}/results", s.url), None, Some(&t), None);
    assert_eq!((st, e["code"].as_str()), (400, Some("JobNotFinished")));
    let (st, partial, _) = http(
        "GET",
        &format!("{}/jobs/{id}/results?partial=true", s.url),
        None,
        Some(&t),
        None,
    );
    assert_eq!((st, partial["openeo:status"].as_str()), (200, Some("running")));
    let canonical = canonical_link(&partial);
    assert!(canonical.ends_with("?partial=true"));
    let (st, p2, _) = http("GET", &canonical, None, None, None);
    assert_eq!(
        (st, p2["openeo:status"].as_str()),
        (200, Some("running")),
        "the canonical link answers without auth"
    );

    let (st, _, _) = http("POST", &format!("{}/jobs/{id}/results", s.url), None, Some(&t), None);
    assert_eq!(st, 202);
    assert_eq!(wait_status(&s, &t, &id, &["finished", "error"], 60), "finished");
    let (st, res, _) = http("GET", &format!("{}/jobs/{id}/results", s.url), None, Some(&t), None);
    assert_eq!((st, res["openeo:status"].as_str()), (200, Some("finished")));
    let asset = &res["assets"]["openEO.tif"];
    assert_eq!(asset["proj:epsg"], 32632);
    let href = asset["href"].as_str().unwrap().to_string();
    let (st, _, h) = http("GET", &href, None, None, Some("bytes=0-99"));
    assert_eq!((st, header(&h, "content-length")), (206, Some("100")));
    let (st, _, _) = http("GET", &href, None, None, None);
    assert_eq!(st, 200);
    let tampered = href.replacen("/results/", "/results/9", 1);
    let (st, e, _) = http("GET", &tampered, None, None, None);
    assert_eq!((st, e["code"].as_str()), (403, Some("ResultLinkInvalid")));
    // the partial canonical link now shows the finished results
    let (_, done, _) = http("GET", &canonical, None, None, None);
    assert_eq!(done["openeo:status"], "finished");
    assert!(done["assets"]["openEO.tif"]["href"].is_string());

    let bob = s.token("bob", "secret2");
    for path in [
        format!("/jobs/{id}"),
        format!("/jobs/{id}/results"),
        format!("/jobs/{id}/logs"),
    ] {
        let (st, e, _) = http("GET", &format!("{}{path}", s.url), None, Some(&bob), None);
        assert_eq!((st, e["code"].as_str()), (404, Some("JobNotFound")), "{path}");
    }
    let (_, list, _) = http("GET", &format!("{}/jobs", s.url), None, Some(&bob), None);
    assert_eq!(list["jobs"], json!([]));
    let (_, logs, _) = http(
        "GET",
        &format!("{}/jobs/{id}/logs?level=info", s.url),
        None,
        Some(&t),
        None,
    );
    assert!(logs["logs"].as_array().unwrap().len() >= 3);

    let (st, _, _) = http("DELETE", &format!("{}/jobs/{id}", s.url), None, Some(&t), None);
    assert_eq!(st, 204);
    let (st, _, _) = http("GET", &href, None, None, None);
    assert_eq!(st, 404, "deleting a job removes its results");
}

#[test]
fn failed_jobs_report_the_reason_and_links_expire() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "result_link_hours = 0");
    let t = s.token("alice", "secret");
    // well-formed but without data in the extent: accepted, then error with a log entry
    let nodata = json!({"process": {"process_graph": {
        "l": {"process_id": "load_collection", "arguments": {"id": "SYNTH_S2_UTM", "temporal_extent": ["2030-01-01", "2030-02-01"]}},
        "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "l"}, "format": "GTiff"}, "result": true}}}});
    let id = create_job(&s, &t, &nodata);
    http("POST", &format!("{}/jobs/{id}/results", s.url), None, Some(&t), None);
    assert_eq!(wait_status(&s, &t, &id, &["finished", "error"], 60), "error");
    let (st, e, _) = http("GET", &format!("{}/jobs/{id}/results", s.url), None, Some(&t), None);
    assert_eq!((st, e["code"].as_str()), (424, Some("JobFailed")));
    let (_, logs, _) = http(
        "GET",
        &format!("{}/jobs/{id}/logs?level=error", s.url),
        None,
        Some(&t),
        None,
    );
    assert!(
        logs["logs"][0]["message"].as_str().unwrap().contains("NoDataAvailable"),
        "{logs}"
    );

    let ok = create_job(&s, &t, &seed());
    http("POST", &format!("{}/jobs/{ok}/results", s.url), None, Some(&t), None);
    assert_eq!(wait_status(&s, &t, &ok, &["finished", "error"], 60), "finished");
    let (_, res, _) = http("GET", &format!("{}/jobs/{ok}/results", s.url), None, Some(&t), None);
    let href = res["assets"]["openEO.tif"]["href"].as_str().unwrap().to_string();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (st, e, _) = http("GET", &href, None, None, None);
    assert_eq!((st, e["code"].as_str()), (410, Some("ResultLinkExpired")));
}

/// Writes a collection big enough that a COG job takes seconds; returns its collections file.
pub(crate) fn slow_collection(dir: &std::path::Path) -> std::path::PathBuf {
    let data = dir.join("big");
    let st = Command::new(env!("CARGO_BIN_EXE_openeo-local"))
        .args([
            "generate",
            "--name",
            "BIG",
            "--size",
            "3000,3000",
            "--bands",
            "B04",
            "--no-netcdf",
            "--dates",
        ])
        .arg("2022-01-01,2022-01-02,2022-01-03,2022-01-04")
        .arg("--out")
        .arg(&data)
        .output()
        .unwrap();
    assert!(st.status.success());
    let cfg = dir.join("big.toml");
    std::fs::write(&cfg, "[[collections]]\nid = \"BIG\"\nsource = { kind = \"files\", glob = \"big/*.tif\", pattern = '_(?P<date>\\d{8})_(?P<band>B04)' }\nbands = [{ name = \"B04\", nodata = 0 }]\n").unwrap();
    cfg
}

pub(crate) fn slow_job() -> Value {
    json!({"process": {"process_graph": {
        "l": {"process_id": "load_collection", "arguments": {"id": "BIG"}},
        "a": {"process_id": "apply", "arguments": {"data": {"from_node": "l"}, "process": {"process_graph": {
            "s": {"process_id": "sqrt", "arguments": {"x": {"from_parameter": "x"}}, "result": true}}}}},
        "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "a"}, "format": "GTiff", "options": {"cog": true}}, "result": true}}}})
}

/// Runs a small job on the big collection (one date, a 100 × 100 pixel window) to the end; returns its id.
pub(crate) fn finished_small_job(s: &Server, t: &str, format: &str) -> String {
    let small = json!({"process": {"process_graph": {
        "l": {"process_id": "load_collection", "arguments": {"id": "BIG", "temporal_extent": ["2022-01-01", "2022-01-02"],
              "spatial_extent": {"west": 600000, "south": 5199000, "east": 601000, "north": 5200000, "crs": 32632}}},
        "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "l"}, "format": format}, "result": true}}}});
    let done = create_job(s, t, &small);
    http("POST", &format!("{}/jobs/{done}/results", s.url), None, Some(t), None);
    assert_eq!(wait_status(s, t, &done, &["finished", "error"], 60), "finished");
    done
}

#[test]
fn restart_keeps_results_and_marks_interrupted_jobs_and_cancel_stops() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = slow_collection(dir.path());
    let s = Server::start_with(dir.path(), "worker_slots = 1", &cfg);
    let t = s.token("alice", "secret");
    let done = finished_small_job(&s, &t, "netCDF");
    let slow = create_job(&s, &t, &slow_job());
    http("POST", &format!("{}/jobs/{slow}/results", s.url), None, Some(&t), None);
    assert_eq!(
        wait_status(&s, &t, &slow, &["running", "finished", "error"], 30),
        "running"
    );
    s.kill();

    let s = Server::start_with(dir.path(), "worker_slots = 1", &cfg);
    let t = s.token("alice", "secret");
    let (_, list, _) = http("GET", &format!("{}/jobs", s.url), None, Some(&t), None);
    assert_eq!(list["jobs"].as_array().unwrap().len(), 2, "every job is still listed");
    let (_, res, _) = http("GET", &format!("{}/jobs/{done}/results", s.url), None, Some(&t), None);
    let href = res["assets"]["openEO.nc"]["href"].as_str().unwrap().to_string();
    let (st, _, _) = http("GET", &href, None, None, None);
    assert_eq!(st, 200, "a finished result survives kill -9");
    let (_, j, _) = http("GET", &format!("{}/jobs/{slow}", s.url), None, Some(&t), None);
    assert_eq!(j["status"], "error");
    let (_, logs, _) = http(
        "GET",
        &format!("{}/jobs/{slow}/logs?level=error", s.url),
        None,
        Some(&t),
        None,
    );
    assert!(
        logs["logs"][0]["message"].as_str().unwrap().contains("interrupted"),
        "{logs}"
    );
    assert!(
        !dir.path().join("data/jobs").join(&slow).join("results").exists(),
        "no half-written result is published"
    );

    // cancel a running job
    http("POST", &format!("{}/jobs/{slow}/results", s.url), None, Some(&t), None);
    assert_eq!(
        wait_status(&s, &t, &slow, &["running", "finished", "error"], 30),
        "running"
    );
    let (st, _, _) = http(
        "DELETE",
        &format!("{}/jobs/{slow}/results", s.url),
        None,
        Some(&t),
        None,
    );
    assert_eq!(st, 204);
    assert_eq!(
        wait_status(&s, &t, &slow, &["canceled", "finished", "error"], 30),
        "canceled"
    );
}

#[test]
fn multi_file_results_link_signed_items() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let t = s.token("alice", "secret");
    let per_date = json!({"process": {"process_graph": {
        "l": {"process_id": "load_collection", "arguments": {"id": "SYNTH_S2_UTM", "bands": ["B04"], "temporal_extent": ["2022-06-01", "2022-06-10"],
              "spatial_extent": {"west": 676000, "south": 5152800, "east": 676200, "north": 5153000, "crs": 32632}}},
        "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "l"}, "format": "GTiff"}, "result": true}}}});
    let id = create_job(&s, &t, &per_date);
    http("POST", &format!("{}/jobs/{id}/results", s.url), None, Some(&t), None);
    assert_eq!(wait_status(&s, &t, &id, &["finished", "error"], 60), "finished");
    let (_, res, _) = http("GET", &format!("{}/jobs/{id}/results", s.url), None, Some(&t), None);
    let names: Vec<&String> = res["assets"].as_object().unwrap().keys().collect();
    assert_eq!(names, ["openEO_2022-06-02.tif", "openEO_2022-06-07.tif"]);
    let items: Vec<&str> = res["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["rel"] == "item")
        .map(|l| l["href"].as_str().unwrap())
        .collect();
    assert_eq!(items.len(), 2);
    let (st, item, _) = http("GET", items[1], None, None, None);
    assert_eq!(st, 200, "{item}");
    assert_eq!(item["type"], "Feature");
    assert_eq!(item["properties"]["datetime"], "2022-06-07T00:00:00Z");
    let href = item["assets"]["openEO_2022-06-07.tif"]["href"].as_str().unwrap();
    let (st, _, _) = http("GET", href, None, None, Some("bytes=0-9"));
    assert_eq!(st, 206);
    // load_stac reads the per-date results back with their times
    let back = json!({"process": {"process_graph": {"l": {"process_id": "load_stac", "arguments": {"url": res["links"][0]["href"]}},
        "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "l"}, "format": "JSON"}, "result": true}}}});
    let (st, doc, _) = http("POST", &format!("{}/result", s.url), Some(&back), Some(&t), None);
    assert_eq!(st, 200, "{doc}");
    assert_eq!(
        doc["dimensions"]["t"]["values"],
        json!(["2022-06-02T00:00:00Z", "2022-06-07T00:00:00Z"])
    );
}
