//! Partial jobs on one member: a main job reads a dependency job's results through `load_stac` on its signed
//! canonical partial link, waits (without holding the only worker slot) until the dependency finished, and fails
//! when the dependency fails.

use serde_json::{Value, json};

use crate::server::{Server, canonical_link, create_job, http, wait_status};

fn branch(p: &str, band: &str) -> Value {
    json!({
        format!("{p}load"): {"process_id": "load_collection", "arguments": {"id": "SYNTH_S2_UTM", "bands": [band], "spatial_extent": null, "temporal_extent": null}},
        format!("{p}time"): {"process_id": "filter_temporal", "arguments": {"data": {"from_node": format!("{p}load")}, "extent": ["2022-06-01", "2022-06-20"]}},
        format!("{p}bbox"): {"process_id": "filter_bbox", "arguments": {"data": {"from_node": format!("{p}time")}, "extent": {"west": 11.30, "south": 46.47, "east": 11.36, "north": 46.51}}},
        format!("{p}mean"): {"process_id": "reduce_dimension", "arguments": {"data": {"from_node": format!("{p}bbox")}, "dimension": "t",
            "reducer": {"process_graph": {"m": {"process_id": "mean", "arguments": {"data": {"from_parameter": "data"}}, "result": true}}}}},
    })
}

fn graph(mut nodes: Value, result: &str, format: &str) -> Value {
    nodes["save"] = json!({"process_id": "save_result", "arguments": {"data": {"from_node": result}, "format": format}, "result": true});
    json!({"process": {"process_graph": nodes}})
}

fn canonical(s: &Server, t: &str, id: &str) -> String {
    let (st, doc, _) = http(
        "GET",
        &format!("{}/jobs/{id}/results?partial=true", s.url),
        None,
        Some(t),
        None,
    );
    assert_eq!(st, 200);
    canonical_link(&doc)
}

#[test]
fn main_job_waits_for_its_dependency_on_one_worker_slot() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        dir.path(),
        "worker_slots = 1\ndependency_poll_seconds = 0.2\ndependency_max_wait_seconds = 60",
    );
    let t = s.token("alice", "secret");
    let dep = create_job(&s, &t, &graph(branch("b", "B08"), "bmean", "GTiff"));
    let url = canonical(&s, &t, &dep);
    let mut main_nodes = branch("a", "B04");
    main_nodes["stac"] = json!({"process_id": "load_stac", "arguments": {"url": url}});
    main_nodes["merge"] = json!({"process_id": "merge_cubes", "arguments": {"cube1": {"from_node": "amean"}, "cube2": {"from_node": "stac"}}});
    let main = create_job(&s, &t, &graph(main_nodes, "merge", "GTiff"));
    // the main job first: it must wait for the dependency without taking the only slot
    http("POST", &format!("{}/jobs/{main}/results", s.url), None, Some(&t), None);
    std::thread::sleep(std::time::Duration::from_millis(500));
    http("POST", &format!("{}/jobs/{dep}/results", s.url), None, Some(&t), None);
    let status = wait_status(&s, &t, &main, &["finished", "error"], 60);
    let (_, logs, _) = http("GET", &format!("{}/jobs/{main}/logs", s.url), None, Some(&t), None);
    assert_eq!(status, "finished", "{logs}");
    assert!(logs.to_string().contains("waiting for dependency"), "{logs}");

    // the numbers equal the seed graph run in one piece
    let (_, res, _) = http("GET", &format!("{}/jobs/{main}/results", s.url), None, Some(&t), None);
    let href = canonical(&s, &t, &main);
    assert!(res["assets"]["openEO.tif"]["href"].is_string());
    let via_stac = graph(
        json!({"l": {"process_id": "load_stac", "arguments": {"url": href}}}),
        "l",
        "JSON",
    );
    let mut seed_nodes = branch("a", "B04");
    if let (Some(o), Value::Object(b)) = (seed_nodes.as_object_mut(), branch("b", "B08")) {
        o.extend(b);
    }
    seed_nodes["merge"] = json!({"process_id": "merge_cubes", "arguments": {"cube1": {"from_node": "amean"}, "cube2": {"from_node": "bmean"}}});
    let direct = graph(seed_nodes, "merge", "JSON");
    let (st1, a, _) = http("POST", &format!("{}/result", s.url), Some(&via_stac), Some(&t), None);
    let (st2, b, _) = http("POST", &format!("{}/result", s.url), Some(&direct), Some(&t), None);
    assert_eq!((st1, st2), (200, 200), "{a} {b}");
    assert_eq!(a["order"], json!(["bands", "y", "x"]));
    assert_eq!(a["dimensions"]["bands"]["values"], json!(["B04", "B08"]));
    assert_eq!(a["data"], b["data"]);
    assert!(a["data"][1][10][10].is_number());
}

#[test]
fn a_failed_dependency_fails_the_main_job() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "worker_slots = 1\ndependency_poll_seconds = 0.2");
    let t = s.token("alice", "secret");
    let failing = graph(
        json!({"l": {"process_id": "load_collection", "arguments": {"id": "SYNTH_S2_UTM", "spatial_extent": null, "temporal_extent": ["2031-01-01", "2031-02-01"]}}}),
        "l",
        "GTiff",
    );
    let dep = create_job(&s, &t, &failing);
    let url = canonical(&s, &t, &dep);
    let main = create_job(
        &s,
        &t,
        &graph(
            json!({"l": {"process_id": "load_stac", "arguments": {"url": url}}}),
            "l",
            "GTiff",
        ),
    );
    http("POST", &format!("{}/jobs/{main}/results", s.url), None, Some(&t), None);
    http("POST", &format!("{}/jobs/{dep}/results", s.url), None, Some(&t), None);
    assert_eq!(wait_status(&s, &t, &dep, &["finished", "error"], 60), "error");
    assert_eq!(wait_status(&s, &t, &main, &["finished", "error"], 60), "error");
    let (_, logs, _) = http(
        "GET",
        &format!("{}/jobs/{main}/logs?level=error", s.url),
        None,
        Some(&t),
        None,
    );
    let msg = logs["logs"][0]["message"].as_str().unwrap();
    assert!(msg.contains(&dep) && msg.contains("error"), "{msg}");
}

/// The bundled collections with the given ids, as a collections file in `dir` (globs made absolute).
fn subset(dir: &std::path::Path, name: &str, ids: &[&str]) -> std::path::PathBuf {
    let text = std::fs::read_to_string(crate::server::repo("testdata/collections.toml")).unwrap();
    let base = crate::server::repo("testdata");
    let blocks: Vec<String> = text
        .split("[[collections]]")
        .skip(1)
        .filter(|b| ids.iter().any(|id| b.contains(&format!("id = \"{id}\"\n"))))
        .map(|b| {
            format!(
                "[[collections]]{}",
                b.replace("glob = \"", &format!("glob = \"{}/", base.display()))
            )
        })
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, blocks.join("\n")).unwrap();
    path
}

#[test]
fn local_executor_runs_remote_branches_as_partial_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let (da, db, dc) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
    for d in [&da, &db, &dc] {
        std::fs::create_dir_all(d).unwrap();
    }
    let b = Server::start_with(
        &db,
        "dependency_poll_seconds = 0.2",
        &subset(dir.path(), "b.toml", &["SYNTH_S2_LAEA"]),
    );
    let remotes = format!(
        "dependency_poll_seconds = 0.2\nremote_refresh_seconds = 0.3\n[[remotes]]\nid = \"b2\"\nurl = \"{}\"\nuser = \"alice\"\npassword = \"secret\"\n",
        b.url
    );
    let a = Server::start_with(&da, &remotes, &subset(dir.path(), "a.toml", &["SYNTH_S2_UTM"]));
    let t = a.token("alice", "secret");
    // the remote collection is listed with its back-end once the listing was refreshed
    let mut listed = json!(null);
    for _ in 0..50 {
        let (_, cols, _) = http("GET", &format!("{}/collections", a.url), None, None, None);
        listed = cols["collections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "SYNTH_S2_LAEA")
            .cloned()
            .unwrap_or(json!(null));
        if !listed.is_null() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(listed["summaries"]["federation:backends"], json!(["b2"]));
    let (_, cap, _) = http("GET", &format!("{}/", a.url), None, None, None);
    assert_eq!(cap["federation"]["b2"]["status"], "online");
    let (_, procs, _) = http("GET", &format!("{}/processes", a.url), None, None, None);
    let mean = procs["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "mean")
        .unwrap();
    assert_eq!(mean["federation:backends"], json!(["local", "b2"]));

    // the seed scenario across two back-ends
    let mut nodes = branch("a", "B04");
    let mut remote = branch("b", "B08");
    remote["bload"]["arguments"]["id"] = json!("SYNTH_S2_LAEA");
    if let (Some(o), Value::Object(r)) = (nodes.as_object_mut(), remote) {
        o.extend(r);
    }
    nodes["merge"] = json!({"process_id": "merge_cubes", "arguments": {"cube1": {"from_node": "amean"}, "cube2": {"from_node": "bmean"}}});
    let job = create_job(&a, &t, &graph(nodes.clone(), "merge", "JSON"));
    http("POST", &format!("{}/jobs/{job}/results", a.url), None, Some(&t), None);
    let status = wait_status(&a, &t, &job, &["finished", "error"], 120);
    let (_, logs, _) = http("GET", &format!("{}/jobs/{job}/logs", a.url), None, Some(&t), None);
    assert_eq!(status, "finished", "{logs}");
    assert!(
        logs.to_string().contains("partial job") && logs.to_string().contains("b2"),
        "{logs}"
    );
    let (_, res, _) = http("GET", &format!("{}/jobs/{job}/results", a.url), None, Some(&t), None);
    let href = res["assets"]["openEO.json"]["href"].as_str().unwrap().to_string();
    let (_, federated, _) = http("GET", &href, None, None, None);

    // the same graph on one instance that has both collections
    let c = Server::start(&dc, "");
    let tc = c.token("alice", "secret");
    let (st, single, _) = http(
        "POST",
        &format!("{}/result", c.url),
        Some(&graph(nodes, "merge", "JSON")),
        Some(&tc),
        None,
    );
    assert_eq!(st, 200);
    assert_eq!(federated["dimensions"], single["dimensions"]);
    for band in 0..2 {
        let (f, g) = (&federated["data"][band], &single["data"][band]);
        let rows = g.as_array().unwrap();
        let mut diff = 0;
        let mut total = 0;
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.as_array().unwrap().iter().enumerate() {
                total += 1;
                if f[r][c] != *v {
                    if diff < 3 {
                        eprintln!("band {band} at {r},{c}: federated {} single {v}", f[r][c]);
                    }
                    diff += 1;
                }
            }
        }
        assert_eq!(diff, 0, "band {band}: {diff} of {total} values differ");
    }
    assert!(single["data"][1][20][20].is_number());

    // the remote goes away: listed as missing, the local collections stay available
    b.kill();
    let mut missing = json!(null);
    for _ in 0..50 {
        let (_, cols, _) = http("GET", &format!("{}/collections", a.url), None, None, None);
        if cols["federation:missing"] == json!(["b2"]) {
            missing = cols;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let ids: Vec<&str> = missing["collections"]
        .as_array()
        .expect("b2 reported missing")
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["SYNTH_S2_UTM"]);
    let (_, cap, _) = http("GET", &format!("{}/", a.url), None, None, None);
    assert_eq!(cap["federation"]["b2"]["status"], "offline");
}
