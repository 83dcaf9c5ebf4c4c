//! Fixture mode (`serve --fixture`): what the `[fixture]` table narrows, and every fault of the control API as a
//! client sees it, plus the request log.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::server::{Server, header, http};

const CONFIG: &str = r#"
signing_secret = "fixture-test-secret"

[[collections]]
id = "FIX_S2"
source = { kind = "synthetic", crs = "EPSG:32632", origin = [600000, 5200000], resolution = 10, size = [64, 64], dates = ["2022-06-01", "2022-06-11"], seed = 42 }
bands = [{ name = "B04", common_name = "red" }, { name = "B08", common_name = "nir" }]

[fixture]
endpoints = ["/", "/collections", "/collections/{collection_id}", "/processes", "/jobs", "/jobs/{job_id}", "/jobs/{job_id}/results"]
processes = ["load_collection", "reduce_dimension", "mean", "save_result"]
job_id_template = "job-{n}"
file_formats = { output = ["JSON"] }

[[fixture.oidc_providers]]
id = "egi"
issuer = "https://aai.example.org/oidc"
title = "EGI Check-in"

[[fixture.users]]
name = "alice"
token = "alice-token"
"#;

const ALICE: &str = "Bearer basic//alice-token";

fn start(dir: &Path) -> Server {
    let cfg = dir.join("fixture.toml");
    std::fs::write(&cfg, CONFIG).unwrap();
    Server::spawn(
        dir,
        &[
            "--fixture".as_ref(),
            cfg.as_os_str(),
            "--listen".as_ref(),
            "127.0.0.1:0".as_ref(),
        ],
    )
}

/// The control API's base URL.
fn control(s: &Server) -> String {
    format!("{}/_fixture", s.url.trim_end_matches("/openeo/1.2"))
}

/// Sends a control request and checks it succeeded.
fn ctl(s: &Server, method: &str, path: &str, body: Option<Value>) -> Value {
    let (st, v, _) = http(method, &format!("{}{path}", control(s)), body.as_ref(), None, None);
    assert!((200..300).contains(&st), "{method} {path}: {st} {v}");
    v
}

/// A GET that may fail at the connection: the status and raw body, or the transport error.
fn raw_get(url: &str) -> Result<(u16, Vec<u8>), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let resp = agent.get(url).call().map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body = resp.into_body().read_to_vec().map_err(|e| e.to_string())?;
    Ok((status, body))
}

fn graph() -> Value {
    json!({"process_graph": {
        "load": {"process_id": "load_collection", "arguments": {"id": "FIX_S2", "bands": ["B04"],
            "spatial_extent": null, "temporal_extent": null}},
        "save": {"process_id": "save_result", "arguments": {"data": {"from_node": "load"}, "format": "JSON"}, "result": true}}})
}

#[test]
fn fixture_config_narrows_what_is_advertised() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());

    let (st, caps, _) = http("GET", &format!("{}/", s.url), None, None, None);
    assert_eq!(st, 200);
    let paths: Vec<&str> = caps["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/",
            "/collections",
            "/collections/{collection_id}",
            "/processes",
            "/jobs",
            "/jobs/{job_id}",
            "/jobs/{job_id}/results"
        ]
    );

    let (_, procs, _) = http("GET", &format!("{}/processes", s.url), None, None, None);
    let ids: Vec<&str> = procs["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["load_collection", "mean", "reduce_dimension", "save_result"]);
    // validation knows only those
    let mut g = graph();
    g["process_graph"]["abs"] = json!({"process_id": "absolute", "arguments": {"x": 1}});
    let (st, v, _) = http("POST", &format!("{}/validation", s.url), Some(&g), Some(ALICE), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["errors"][0]["code"], "ProcessUnsupported", "{v}");

    let (_, formats, _) = http("GET", &format!("{}/file_formats", s.url), None, None, None);
    let out: Vec<&String> = formats["output"].as_object().unwrap().keys().collect();
    assert_eq!(out, ["JSON"]);
    assert_eq!(formats["input"].as_object().unwrap().len(), 3);

    let (_, oidc, _) = http("GET", &format!("{}/credentials/oidc", s.url), None, None, None);
    assert_eq!(oidc["providers"][0]["id"], "egi");
    assert_eq!(oidc["providers"][0]["issuer"], "https://aai.example.org/oidc");
    assert_eq!(oidc["providers"][0]["title"], "EGI Check-in");

    // a fixed token works without logging in; a wrong one does not
    let (st, me, _) = http("GET", &format!("{}/me", s.url), None, Some(ALICE), None);
    assert_eq!((st, me["user_id"].as_str()), (200, Some("alice")));
    let (st, _, _) = http("GET", &format!("{}/me", s.url), None, Some("Bearer basic//nope"), None);
    assert_eq!(st, 403);

    // job ids from the template
    let body = json!({"process": graph(), "title": "t", "job_options": {"driver-memory": "2G"}});
    for want in ["job-1", "job-2"] {
        let (st, _, h) = http("POST", &format!("{}/jobs", s.url), Some(&body), Some(ALICE), None);
        assert_eq!(st, 201);
        assert_eq!(header(&h, "openeo-identifier"), Some(want));
    }

    // the request log: what was sent, with which token, and what was answered
    let log = ctl(&s, "GET", "/requests?method=post&path=/jobs", None);
    let posts = log["requests"].as_array().unwrap();
    assert_eq!(posts.len(), 2, "{log}");
    assert_eq!(posts[0]["path"], "/openeo/1.2/jobs");
    assert_eq!(posts[0]["authorization"], ALICE);
    assert_eq!(posts[0]["status"], 201);
    assert_eq!(posts[0]["json"]["job_options"], json!({"driver-memory": "2G"}));
    assert!(posts[0]["body"].as_str().unwrap().contains("driver-memory"));
    let all = ctl(&s, "GET", "/requests", None);
    assert_eq!(all["requests"].as_array().unwrap().len(), 9, "{all}");
    ctl(&s, "DELETE", "/requests", None);
    assert_eq!(ctl(&s, "GET", "/requests", None)["requests"], json!([]));
}

#[test]
fn endpoint_faults_are_seen_by_clients() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let collections = format!("{}/collections", s.url);

    // a chosen status, the next time only
    let id = ctl(
        &s,
        "POST",
        "/faults",
        Some(json!({"path": "/collections", "status": 500, "times": 1})),
    )["id"]
        .clone();
    assert!(id.is_u64());
    let (st, v, _) = http("GET", &collections, None, None, None);
    assert_eq!((st, v["code"].as_str()), (500, Some("Internal")), "{v}");
    assert_eq!(http("GET", &collections, None, None, None).0, 200);

    // 503 with a code, only for one method; 404 on one collection
    ctl(
        &s,
        "POST",
        "/faults",
        Some(json!({"path": "/jobs", "method": "POST", "status": 503, "code": "ServiceUnavailable"})),
    );
    let (st, v, _) = http(
        "POST",
        &format!("{}/jobs", s.url),
        Some(&json!({"process": graph()})),
        Some(ALICE),
        None,
    );
    assert_eq!((st, v["code"].as_str()), (503, Some("ServiceUnavailable")));
    assert_eq!(http("GET", &format!("{}/jobs", s.url), None, Some(ALICE), None).0, 200);
    ctl(
        &s,
        "POST",
        "/faults",
        Some(json!({"path": "/collections/*", "status": 404})),
    );
    let (st, v, _) = http("GET", &format!("{collections}/FIX_S2"), None, None, None);
    assert_eq!((st, v["code"].as_str()), (404, Some("NotFound")));
    ctl(&s, "DELETE", "/faults", None);
    assert_eq!(http("GET", &format!("{collections}/FIX_S2"), None, None, None).0, 200);

    // malformed and truncated bodies
    ctl(
        &s,
        "POST",
        "/faults",
        Some(json!({"path": "/collections", "body": "malformed", "times": 1})),
    );
    let (st, body) = raw_get(&collections).unwrap();
    assert_eq!(st, 200);
    assert!(serde_json::from_slice::<Value>(&body).is_err());
    let (_, full) = raw_get(&collections).unwrap();
    ctl(
        &s,
        "POST",
        "/faults",
        Some(json!({"path": "/collections", "body": "truncated", "status": 502, "times": 1})),
    );
    let (st, cut) = raw_get(&collections).unwrap();
    assert_eq!(st, 502);
    assert!(serde_json::from_slice::<Value>(&cut).is_err());
    assert!(full.starts_with(&cut) && cut.len() == full.len() / 2);

    // a required field removed
    ctl(
        &s,
        "POST",
        "/faults",
        Some(json!({"path": "/collections", "remove_field": "collections.*.extent"})),
    );
    let (st, v, _) = http("GET", &collections, None, None, None);
    assert_eq!(st, 200);
    assert_eq!(v["collections"][0]["id"], "FIX_S2");
    assert!(v["collections"][0].get("extent").is_none(), "{v}");
    ctl(
        &s,
        "POST",
        "/faults",
        Some(json!({"path": "/", "remove_field": "api_version"})),
    );
    let (_, caps, _) = http("GET", &format!("{}/", s.url), None, None, None);
    assert!(caps.get("api_version").is_none() && caps.get("endpoints").is_some());

    // latency on one endpoint only
    ctl(&s, "POST", "/reset", None);
    ctl(
        &s,
        "POST",
        "/faults",
        Some(json!({"path": "/jobs*", "method": "GET", "latency_ms": 700})),
    );
    let t = Instant::now();
    assert_eq!(http("GET", &format!("{}/jobs", s.url), None, Some(ALICE), None).0, 200);
    assert!(t.elapsed() >= Duration::from_millis(700), "{:?}", t.elapsed());
    let t = Instant::now();
    assert_eq!(http("GET", &collections, None, None, None).0, 200);
    assert!(t.elapsed() < Duration::from_millis(500), "{:?}", t.elapsed());
    let state = ctl(&s, "GET", "", None);
    assert_eq!(state["faults"][0]["latency_ms"], 700);

    // the log names the fault applied
    let log = ctl(&s, "GET", "/requests?method=GET&path=/jobs", None);
    assert_eq!(log["requests"][0]["faults"].as_array().unwrap().len(), 1);

    // bad control requests are refused
    let (st, _, _) = http(
        "POST",
        &format!("{}/faults", control(&s)),
        Some(&json!({"path": "/x"})),
        None,
        None,
    );
    assert_eq!(st, 400);
}

#[test]
fn job_states_are_forced_and_job_operations_fail() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let jobs = format!("{}/jobs", s.url);
    let body = json!({"process": graph()});

    // the next two creations fail, the third succeeds
    ctl(
        &s,
        "POST",
        "/jobs/fail",
        Some(json!({"operation": "create", "count": 2, "status": 503, "code": "ServiceUnavailable"})),
    );
    for _ in 0..2 {
        let (st, v, _) = http("POST", &jobs, Some(&body), Some(ALICE), None);
        assert_eq!((st, v["code"].as_str()), (503, Some("ServiceUnavailable")), "{v}");
    }
    let (st, _, h) = http("POST", &jobs, Some(&body), Some(ALICE), None);
    assert_eq!(st, 201);
    let id = header(&h, "openeo-identifier").unwrap().to_string();
    assert_eq!(id, "job-1");

    // the next start fails
    ctl(
        &s,
        "POST",
        "/jobs/fail",
        Some(json!({"operation": "start", "status": 500, "code": "Internal", "message": "no capacity"})),
    );
    let (st, v, _) = http("POST", &format!("{jobs}/{id}/results"), None, Some(ALICE), None);
    assert_eq!((st, v["message"].as_str()), (500, Some("no capacity")));
    let (_, j, _) = http("GET", &format!("{jobs}/{id}"), None, Some(ALICE), None);
    assert_eq!(j["status"], "created");

    // forced states with progress
    let describe = || http("GET", &format!("{jobs}/{id}"), None, Some(ALICE), None).1;
    ctl(
        &s,
        "POST",
        &format!("/jobs/{id}/status"),
        Some(json!({"status": "queued"})),
    );
    assert_eq!(describe()["status"], "queued");
    ctl(
        &s,
        "POST",
        &format!("/jobs/{id}/status"),
        Some(json!({"status": "running", "progress": 40})),
    );
    let j = describe();
    assert_eq!(
        (j["status"].as_str(), j["progress"].as_f64()),
        (Some("running"), Some(40.0))
    );
    let (_, list, _) = http("GET", &jobs, None, Some(ALICE), None);
    assert_eq!(list["jobs"][0]["status"], "running");
    ctl(
        &s,
        "POST",
        &format!("/jobs/{id}/status"),
        Some(json!({"status": "error", "code": "PartialJobFailed", "message": "member b2 failed"})),
    );
    assert_eq!(describe()["status"], "error");
    let (_, logs, _) = http("GET", &format!("{jobs}/{id}/logs"), None, Some(ALICE), None);
    let last = logs["logs"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["level"].as_str(), last["code"].as_str(), last["message"].as_str()),
        (Some("error"), Some("PartialJobFailed"), Some("member b2 failed")),
        "{logs}"
    );
    ctl(
        &s,
        "POST",
        &format!("/jobs/{id}/status"),
        Some(json!({"status": "canceled"})),
    );
    assert_eq!(describe()["status"], "canceled");
    ctl(
        &s,
        "POST",
        &format!("/jobs/{id}/status"),
        Some(json!({"status": "finished"})),
    );
    let j = describe();
    assert_eq!(
        (j["status"].as_str(), j["progress"].as_f64()),
        (Some("finished"), Some(100.0))
    );

    // unknown job and unknown status
    let (st, _, _) = http(
        "POST",
        &format!("{}/jobs/nope/status", control(&s)),
        Some(&json!({"status": "error"})),
        None,
        None,
    );
    assert_eq!(st, 404);
    let (st, _, _) = http(
        "POST",
        &format!("{}/jobs/{id}/status", control(&s)),
        Some(&json!({"status": "done"})),
        None,
        None,
    );
    assert_eq!(st, 400);
}

#[test]
fn a_request_its_client_abandons_is_logged() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    ctl(
        &s,
        "POST",
        "/faults",
        Some(json!({"path": "/collections", "latency_ms": 3000})),
    );
    let addr = s
        .url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    conn.write_all(b"GET /openeo/1.2/collections HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    conn.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut buf = [0u8; 64];
    assert!(conn.read(&mut buf).is_err(), "answered despite the latency");
    drop(conn);
    // logged once the server notices the closed connection, long before the latency would have ended
    let t0 = Instant::now();
    let entry = loop {
        let log = ctl(&s, "GET", "/requests?path=/collections", None);
        if let Some(e) = log["requests"].as_array().unwrap().first() {
            break e.clone();
        }
        assert!(
            t0.elapsed() < Duration::from_millis(2500),
            "the abandoned request was not logged"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(entry["status"], Value::Null, "{entry}");
    assert_eq!(entry["faults"].as_array().unwrap().len(), 1, "{entry}");
}

#[test]
fn offline_and_flapping_members_give_connection_errors() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let caps = format!("{}/", s.url);
    assert!(raw_get(&caps).is_ok());

    // offline for a while: a connection error (not an HTTP answer), the control API still answers
    ctl(&s, "POST", "/offline", Some(json!({"seconds": 1.0})));
    let t = Instant::now();
    let e = raw_get(&caps).expect_err("a connection error while offline");
    assert!(!e.is_empty());
    assert_eq!(ctl(&s, "GET", "", None)["offline"], true);
    std::thread::sleep(Duration::from_millis(1100).saturating_sub(t.elapsed()));
    assert_eq!(raw_get(&caps).unwrap().0, 200);

    // offline until told otherwise
    ctl(&s, "POST", "/offline", None);
    assert!(raw_get(&format!("{}/collections", s.url)).is_err());
    ctl(&s, "POST", "/online", None);
    assert_eq!(raw_get(&caps).unwrap().0, 200);

    // flapping: both failures and answers within a few periods
    ctl(
        &s,
        "POST",
        "/flap",
        Some(json!({"period_seconds": 0.2, "seconds": 1.6})),
    );
    let (mut up, mut down) = (0, 0);
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(1200) {
        match raw_get(&caps) {
            Ok(_) => up += 1,
            Err(_) => down += 1,
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    assert!(up > 0 && down > 0, "up {up}, down {down}");
    ctl(&s, "POST", "/reset", None);
    assert_eq!(raw_get(&caps).unwrap().0, 200);
    // dropped requests are logged without a status
    ctl(&s, "POST", "/offline", None);
    let _ = raw_get(&caps);
    ctl(&s, "POST", "/online", None);
    let log = ctl(&s, "GET", "/requests", None);
    let last = log["requests"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["status"], Value::Null, "{log}");
}

#[test]
fn fixture_mode_is_refused_on_a_non_loopback_address() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("fixture.toml");
    std::fs::write(&cfg, CONFIG).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_openeo-local"))
        .args(["serve", "--listen", "0.0.0.0:0", "--fixture"])
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("loopback") && err.contains("0.0.0.0:0"), "{err}");
    // the same table under --config does not enable fixture mode silently
    let out = Command::new(env!("CARGO_BIN_EXE_openeo-local"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--fixture"));
}

#[test]
fn control_api_is_absent_in_normal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let root = s.url.trim_end_matches("/openeo/1.2");
    for (method, path) in [
        ("GET", "/_fixture/requests"),
        ("POST", "/_fixture/offline"),
        ("GET", "/_fixture"),
    ] {
        let (st, v, _) = http(method, &format!("{root}{path}"), None, None, None);
        assert_eq!((st, v["code"].as_str()), (404, Some("NotFound")), "{path}");
    }
    let (st, me, _) = http("GET", &format!("{}/me", s.url), None, Some(ALICE), None);
    assert_eq!(st, 403, "{me}");
}

/// The `openeo-local` process serving several instances; killed on drop.
struct Instances(std::process::Child);

impl Drop for Instances {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn several_instances_run_from_one_command() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<std::ffi::OsString> = vec!["serve".into()];
    for (name, collection) in [("b1", "FIX_A"), ("b2", "FIX_B")] {
        let file = dir.path().join(format!("{name}.toml"));
        let cfg = CONFIG
            .replace("id = \"FIX_S2\"", &format!("id = \"{collection}\""))
            .replace("signing_secret", "listen = \"127.0.0.1:0\"\nsigning_secret");
        std::fs::write(&file, cfg).unwrap();
        args.push("--instance".into());
        args.push(format!("{name}={}", file.display()).into());
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_openeo-local"))
        .args(&args)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let _guard = Instances(child);
    let mut urls = std::collections::BTreeMap::new();
    while urls.len() < 2 {
        let line = lines.next().expect("server exited").unwrap();
        if let Some(rest) = line.strip_prefix("openeo-local instance ") {
            let (name, url) = rest.split_once(" listening on ").unwrap();
            urls.insert(name.to_string(), url.trim_end_matches('/').to_string());
        }
    }
    std::thread::spawn(move || for _ in lines {});
    assert_ne!(urls["b1"], urls["b2"]);
    for (name, want) in [("b1", "FIX_A"), ("b2", "FIX_B")] {
        let (st, v, _) = http("GET", &format!("{}/collections", urls[name]), None, None, None);
        assert_eq!(st, 200);
        assert_eq!(v["collections"][0]["id"], want, "{name}: {v}");
    }
    // each instance has its own controller
    let b1_control = format!("{}/_fixture", urls["b1"].trim_end_matches("/openeo/1.2"));
    let (st, _, _) = http("POST", &format!("{b1_control}/offline"), None, None, None);
    assert_eq!(st, 204);
    assert!(raw_get(&format!("{}/", urls["b1"])).is_err());
    assert_eq!(raw_get(&format!("{}/", urls["b2"])).unwrap().0, 200);
    assert!(dir.path().join("data/b1/jobs.sqlite").exists() && dir.path().join("data/b2/jobs.sqlite").exists());
}
