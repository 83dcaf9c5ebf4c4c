//! Hardening: deep and recursive graphs answer 4xx on every entry point and the server stays up; every error is
//! an openEO error; graphs are validated when stored; the data directory and the signing secret are private; a
//! sync result that cannot be one file is refused before computing; the busy answer.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::server::{Server, create_job, header, http, wait_status};

/// A chain of `n` `add` nodes, each adding 1 to the previous one (the first to 0).
fn add_chain(n: usize) -> Value {
    let mut g = Map::new();
    for i in 0..n {
        let x = if i == 0 {
            json!(0)
        } else {
            json!({"from_node": format!("a{}", i - 1)})
        };
        g.insert(
            format!("a{i}"),
            json!({"process_id": "add", "arguments": {"x": x, "y": 1}}),
        );
    }
    g[&format!("a{}", n - 1)]["result"] = json!(true);
    json!({"process": {"process_graph": g}})
}

/// `load_collection` of a small window, then `n - 2` `apply(x + 1)` nodes, then `save_result` (netCDF).
fn apply_chain(n: usize) -> Value {
    let mut g = Map::new();
    g.insert(
        "n0".into(),
        json!({"process_id": "load_collection", "arguments": {"id": "SYNTH_S2_UTM", "bands": ["B04"],
            "temporal_extent": ["2022-06-01", "2022-06-03"],
            "spatial_extent": {"west": 676000, "south": 5152900, "east": 676100, "north": 5153000, "crs": 32632}}}),
    );
    for i in 1..n - 1 {
        g.insert(
            format!("n{i}"),
            json!({"process_id": "apply", "arguments": {"data": {"from_node": format!("n{}", i - 1)},
                "process": {"process_graph": {"p": {"process_id": "add",
                    "arguments": {"x": {"from_parameter": "x"}, "y": 1}, "result": true}}}}}),
        );
    }
    g.insert(
        format!("n{}", n - 1),
        json!({"process_id": "save_result", "arguments": {"data": {"from_node": format!("n{}", n - 2)},
            "format": "netCDF"}, "result": true}),
    );
    json!({"process": {"process_graph": g}})
}

fn assert_openeo_error(st: u16, body: &Value, status: u16, code: &str) {
    assert_eq!(st, status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].is_string() && body["id"].is_string(), "{body}");
}

/// Sends the head of a `POST /result` whose body would be 5 MiB, and reads the answer.
fn announce_large_body(s: &Server, token: &str) -> (u16, Value) {
    use std::io::{Read, Write};
    let base = s.url.strip_prefix("http://").unwrap();
    let (host, path) = base.split_once('/').unwrap();
    let mut conn = std::net::TcpStream::connect(host).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        conn,
        "POST /{path}/result HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        5 << 20
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    // the body may come in chunks: take the JSON object inside
    let body = match (text.find('{'), text.rfind('}')) {
        (Some(a), Some(b)) if a < b => &text[a..=b],
        _ => "",
    };
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn alive(s: &Server) {
    let (st, _, _) = http("GET", &format!("{}/", s.url), None, None, None);
    assert_eq!(st, 200, "the server is still up");
}

#[test]
fn deep_and_recursive_graphs_answer_4xx_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let t = s.token("alice", "secret");
    let too_deep = [
        ("1,500 add nodes", add_chain(1_500)),
        ("20,000 add nodes", add_chain(20_000)),
        ("5,000 apply nodes", apply_chain(5_000)),
    ];
    for (what, graph) in &too_deep {
        let (st, v, _) = http("POST", &format!("{}/validation", s.url), Some(graph), Some(&t), None);
        assert_eq!(st, 200, "{what}");
        assert_eq!(v["errors"][0]["code"], "ProcessGraphComplexity", "{what}: {v}");
        let (st, e, _) = http("POST", &format!("{}/result", s.url), Some(graph), Some(&t), None);
        assert_openeo_error(st, &e, 400, "ProcessGraphComplexity");
        let (st, e, _) = http("POST", &format!("{}/jobs", s.url), Some(graph), Some(&t), None);
        assert_openeo_error(st, &e, 400, "ProcessGraphComplexity");
        let udp = json!({"process_graph": graph["process"]["process_graph"]});
        let (st, e, _) = http(
            "PUT",
            &format!("{}/process_graphs/deep", s.url),
            Some(&udp),
            Some(&t),
            None,
        );
        assert_openeo_error(st, &e, 400, "ProcessGraphComplexity");
        alive(&s);
    }

    // at the limit, the graphs run: the evaluation threads' stacks hold the deepest graph allowed
    let (st, v, _) = http(
        "POST",
        &format!("{}/result", s.url),
        Some(&add_chain(1_000)),
        Some(&t),
        None,
    );
    assert_eq!((st, v.as_f64()), (200, Some(1000.0)), "{v}");
    let (st, v, _) = http(
        "POST",
        &format!("{}/result", s.url),
        Some(&apply_chain(1_000)),
        Some(&t),
        None,
    );
    assert_eq!(st, 200, "{v}");
    let id = create_job(&s, &t, &apply_chain(1_000));
    http("POST", &format!("{}/jobs/{id}/results", s.url), None, Some(&t), None);
    assert_eq!(wait_status(&s, &t, &id, &["finished", "error"], 120), "finished");

    // user-defined processes that call themselves are refused when stored
    let calls = |callee: &str| json!({"process_graph": {"c": {"process_id": callee, "arguments": {}, "result": true}}});
    let put = |id: &str, body: &Value| {
        http(
            "PUT",
            &format!("{}/process_graphs/{id}", s.url),
            Some(body),
            Some(&t),
            None,
        )
    };
    let (st, e, _) = put("selfish", &calls("selfish"));
    assert_openeo_error(st, &e, 400, "ProcessGraphInvalid");
    let adds = json!({"process_graph": {"c": {"process_id": "add", "arguments": {"x": 1, "y": 2}, "result": true}}});
    let (st, e, _) = put("one", &adds);
    assert_eq!(st, 200, "{e}");
    let (st, e, _) = put("two", &calls("one"));
    assert_eq!(st, 200, "{e}");
    let (st, e, _) = put("one", &calls("two"));
    assert_openeo_error(st, &e, 400, "ProcessGraphInvalid");
    assert!(e["message"].as_str().unwrap().contains("one → two → one"), "{e}");
    // and what is stored still runs
    let use_two = json!({"process": {"process_graph": {"u": {"process_id": "two", "arguments": {}, "result": true}}}});
    let (st, v, _) = http("POST", &format!("{}/result", s.url), Some(&use_two), Some(&t), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v.as_f64(), Some(3.0), "{v}");
    alive(&s);
}

#[test]
fn every_error_is_an_openeo_error() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let t = s.token("alice", "secret");
    // wrong method: 405 with Allow and a JSON body
    let (st, e, h) = http("DELETE", &format!("{}/collections", s.url), None, None, None);
    assert_openeo_error(st, &e, 405, "MethodNotAllowed");
    assert!(header(&h, "allow").is_some_and(|a| a.contains("GET")), "{h:?}");
    // unknown path
    let (st, e, _) = http("GET", &format!("{}/no/such/thing", s.url), None, None, None);
    assert_openeo_error(st, &e, 404, "NotFound");
    // a body over the limit: refused from its Content-Length, before it is sent
    let (st, e) = announce_large_body(&s, &t);
    assert_openeo_error(st, &e, 413, "PayloadTooLarge");
    // invalid UTF-8 in a path segment
    let (st, e, _) = http("GET", &format!("{}/jobs/%FF%FE", s.url), None, Some(&t), None);
    assert_openeo_error(st, &e, 400, "BadRequest");
    alive(&s);
}

#[test]
fn graphs_are_validated_when_stored() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let t = s.token("alice", "secret");
    let graph = |nodes: Value| json!({"process": {"process_graph": nodes}});
    let load = |extent: Value| {
        graph(json!({
            "l": {"process_id": "load_collection", "arguments": {"id": "SYNTH_S2_UTM", "spatial_extent": extent}},
            "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "l"}, "format": "GTiff"}, "result": true}}))
    };
    let cases = [
        (
            graph(json!({"x": {"process_id": "no_such", "arguments": {}, "result": true}})),
            "ProcessUnsupported",
        ),
        (
            graph(json!({"x": {"process_id": "load_collection", "arguments": {}, "result": true}})),
            "ProcessParameterRequired",
        ),
        (
            graph(json!({"x": {"process_id": "add", "arguments": {"x": 1, "y": 2, "z": 3}, "result": true}})),
            "ProcessParameterUnsupported",
        ),
        (
            graph(json!({"x": {"process_id": "add", "arguments": {"x": {"from_node": null}, "y": 2}, "result": true}})),
            "ProcessGraphInvalid",
        ),
        (
            graph(
                json!({"x": {"process_id": "add", "namespace": "file:///etc", "arguments": {"x": 1, "y": 2}, "result": true}}),
            ),
            "ProcessUnsupported",
        ),
        (
            load(json!({"west": 11, "south": 46, "east": 12, "north": 91})),
            "ProcessParameterInvalid",
        ),
        (
            load(json!({"west": -540, "south": 46, "east": 12, "north": 47})),
            "ProcessParameterInvalid",
        ),
        (
            graph(json!({"a": {"process_id": "add", "arguments": {"x": 1, "y": 2}},
            "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "a"}, "format": "XYZ"}, "result": true}})),
            "FormatUnsupported",
        ),
    ];
    let id = create_job(&s, &t, &add_chain(2));
    for (body, code) in &cases {
        let (st, e, _) = http("POST", &format!("{}/jobs", s.url), Some(body), Some(&t), None);
        assert_openeo_error(st, &e, 400, code);
        let (st, e, _) = http("PATCH", &format!("{}/jobs/{id}", s.url), Some(body), Some(&t), None);
        assert_openeo_error(st, &e, 400, code);
        let udp = json!({"process_graph": body["process"]["process_graph"]});
        let (st, e, _) = http(
            "PUT",
            &format!("{}/process_graphs/p1", s.url),
            Some(&udp),
            Some(&t),
            None,
        );
        assert_openeo_error(st, &e, 400, code);
    }
    let (_, list, _) = http("GET", &format!("{}/jobs", s.url), None, Some(&t), None);
    assert_eq!(list["jobs"].as_array().unwrap().len(), 1, "nothing invalid was stored");
}

#[cfg(unix)]
#[test]
fn the_data_directory_and_the_secret_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let data = dir.path().join("data");
    let s = Server::start(dir.path(), "");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("signing-secret")), 0o600);
    s.kill();
    // a secret left readable by others is narrowed at the next start, and kept
    let secret = std::fs::read_to_string(data.join("signing-secret")).unwrap();
    std::fs::set_permissions(data.join("signing-secret"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _s = Server::start(dir.path(), "");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("signing-secret")), 0o600);
    assert_eq!(std::fs::read_to_string(data.join("signing-secret")).unwrap(), secret);
}

#[test]
fn sync_results_that_are_not_one_file_are_refused_before_computing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let t = s.token("alice", "secret");
    let graph = json!({"process": {"process_graph": {
        "l": {"process_id": "load_collection", "arguments": {"id": "SYNTH_S2_UTM", "bands": ["B04"]}},
        "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "l"}, "format": "GTiff"}, "result": true}}}});
    let t0 = Instant::now();
    let (st, e, _) = http("POST", &format!("{}/result", s.url), Some(&graph), Some(&t), None);
    assert_openeo_error(st, &e, 501, "FeatureUnsupported");
    assert!(t0.elapsed() < Duration::from_secs(2), "refused from the plan");
}

#[test]
fn kill_with_ten_running_and_five_waiting_jobs_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = crate::jobs::slow_collection(dir.path());
    let s = Server::start_with(dir.path(), "worker_slots = 10", &cfg);
    let t = s.token("alice", "secret");
    let done = crate::jobs::finished_small_job(&s, &t, "GTiff");
    let (_, res, _) = http("GET", &format!("{}/jobs/{done}/results", s.url), None, Some(&t), None);
    let first_asset = |res: &Value| {
        let assets = res["assets"].as_object().unwrap();
        assert_eq!(assets.len(), 1, "{res}");
        assets.values().next().unwrap()["href"].as_str().unwrap().to_string()
    };
    let asset = first_asset(&res);
    let before = ureq::get(&asset).call().unwrap().into_body().read_to_vec().unwrap();

    let slow: Vec<String> = (0..15).map(|_| create_job(&s, &t, &crate::jobs::slow_job())).collect();
    for id in &slow {
        http("POST", &format!("{}/jobs/{id}/results", s.url), None, Some(&t), None);
    }
    let count = |status: &str| {
        let (_, list, _) = http("GET", &format!("{}/jobs", s.url), None, Some(&t), None);
        list["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["status"] == status)
            .count()
    };
    let t0 = Instant::now();
    while (count("running"), count("queued")) != (10, 5) {
        assert!(t0.elapsed() < Duration::from_secs(60), "10 running and 5 queued");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    s.kill();

    let s = Server::start_with(dir.path(), "worker_slots = 10", &cfg);
    let t = s.token("alice", "secret");
    let (_, list, _) = http("GET", &format!("{}/jobs", s.url), None, Some(&t), None);
    let jobs = list["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 16, "every job is listed");
    assert!(
        jobs.iter().all(|j| j["status"] != "running" && j["status"] != "queued"),
        "{list}"
    );
    for id in &slow {
        let (_, j, _) = http("GET", &format!("{}/jobs/{id}", s.url), None, Some(&t), None);
        assert_eq!(j["status"], "error");
        let (_, logs, _) = http(
            "GET",
            &format!("{}/jobs/{id}/logs?level=error", s.url),
            None,
            Some(&t),
            None,
        );
        assert_eq!(logs["logs"][0]["code"], "JobInterrupted", "{logs}");
        let (st, e, _) = http("GET", &format!("{}/jobs/{id}/results", s.url), None, Some(&t), None);
        assert!(
            st >= 400 && e["code"].is_string(),
            "no result of an interrupted job is served: {st} {e}"
        );
    }
    let (_, res, _) = http("GET", &format!("{}/jobs/{done}/results", s.url), None, Some(&t), None);
    let asset = first_asset(&res);
    let after = ureq::get(&asset).call().unwrap().into_body().read_to_vec().unwrap();
    assert_eq!(before, after, "the finished result is intact");
    let mut leftovers = Vec::new();
    let mut stack = vec![dir.path().join("data")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.to_string_lossy().contains(".part") {
                leftovers.push(p.clone());
            }
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    assert!(leftovers.is_empty(), "no partial files remain: {leftovers:?}");
}
