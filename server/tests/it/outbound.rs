//! The outbound policy over HTTP and on the command line: refused `load_stac` URLs and paths answer 4xx openEO
//! errors naming the node and the URL, redirects to private and link-local addresses are refused before anything
//! connects to them, loopback depends on where the server listens and on the allow list, configured remotes are
//! allowed, and the size and time caps give 4xx errors. A tiny HTTP server on 127.0.0.1 plays the STAC host; no
//! test sends anything to a non-loopback address.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::server::{Server, create_job, http, repo, wait_status};

/// A STAC host on 127.0.0.1: fixed answers by path, and the paths asked for.
struct Stub {
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Stub {
    fn start() -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let l = l.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap_or(0);
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                            break;
                        }
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                    l.lock().unwrap().push(path.clone());
                    let empty = json!({"type": "FeatureCollection", "features": []}).to_string();
                    let (status, extra, body) = match path.as_str() {
                        "/meta" => (
                            302,
                            "Location: http://169.254.169.254/latest/meta-data/\r\n",
                            String::new(),
                        ),
                        "/private" => (302, "Location: http://10.0.0.1/stac.json\r\n", String::new()),
                        "/hop" => (302, "Location: /openeo/1.2/empty.json\r\n", String::new()),
                        "/big" => (200, "", format!("{{\"pad\": \"{}\"}}", "x".repeat(5000))),
                        "/stall" => {
                            std::thread::sleep(Duration::from_secs(5));
                            return;
                        }
                        p if p.ends_with("/empty.json") => (200, "", empty),
                        _ => (404, "", String::new()),
                    };
                    let mut stream = stream;
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status} X\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                });
            }
        });
        Stub { base, log }
    }

    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn stac_graph(url: &str) -> Value {
    json!({"process": {"process_graph": {
        "stac": {"process_id": "load_stac", "arguments": {"url": url}},
        "save": {"process_id": "save_result", "arguments": {"data": {"from_node": "stac"}, "format": "JSON"}, "result": true}}}})
}

/// POSTs a graph reading `url` to `/result`; returns status and body.
fn result(s: &Server, t: &str, url: &str) -> (u16, Value) {
    let (st, body, _) = http(
        "POST",
        &format!("{}/result", s.url),
        Some(&stac_graph(url)),
        Some(t),
        None,
    );
    (st, body)
}

/// Asserts a 4xx openEO error whose message names the node and `names`.
fn assert_refusal(status: u16, body: &Value, code: &str, names: &str) {
    assert!((400..500).contains(&status), "{status} {body}");
    assert!(body["id"].is_string(), "{body}");
    assert_eq!(body["code"], code, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("node 'stac' (load_stac)") && message.contains(names),
        "{message}"
    );
}

#[test]
fn refused_urls_and_paths_answer_4xx_naming_node_and_url() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let t = s.token("alice", "secret");
    let stub = Stub::start();
    for url in [
        "file:///etc/passwd",
        "/etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/stac.json",
        "http://[fe80::1]/stac.json",
        "ftp://example.org/stac.json",
    ] {
        let (st, body) = result(&s, &t, url);
        assert_refusal(st, &body, "ProcessParameterInvalid", url);
        // validation reports the same problem in its list of errors
        let (st, v, _) = http(
            "POST",
            &format!("{}/validation", s.url),
            Some(&stac_graph(url)),
            Some(&t),
            None,
        );
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["errors"][0]["code"], "ProcessParameterInvalid", "{v}");
        assert!(v["errors"][0]["message"].as_str().unwrap().contains(url), "{v}");
    }
    // redirects to the metadata service and a private address are refused before connecting to them
    for (path, target) in [
        ("/meta", "http://169.254.169.254/latest/meta-data/"),
        ("/private", "http://10.0.0.1/stac.json"),
    ] {
        let (st, body) = result(&s, &t, &format!("{}{path}", stub.base));
        assert_refusal(st, &body, "ProcessParameterInvalid", target);
        assert!(body["message"].as_str().unwrap().contains("redirected"), "{body}");
    }
    let asked = stub.requests();
    assert!(asked.iter().all(|p| p == "/meta" || p == "/private"), "{asked:?}");
    // an unreachable or missing document is a 4xx too
    let (st, body) = result(&s, &t, &format!("{}/missing.json", stub.base));
    assert_refusal(st, &body, "ProcessParameterInvalid", "404");
    // loopback is allowed for a server on loopback, redirects are followed
    let (st, body) = result(&s, &t, &format!("{}/hop", stub.base));
    assert_refusal(st, &body, "NoDataAvailable", "lists no raster assets");
}

#[test]
fn a_server_off_loopback_reaches_loopback_only_when_listed() {
    let stub = Stub::start();
    let port = stub.base.rsplit(':').next().unwrap().to_string();
    let collections = repo("testdata/collections.toml");
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_on(dir.path(), "", &collections, "0.0.0.0:0");
    let t = s.token("alice", "secret");
    let url = format!("{}/openeo/1.2/empty.json", stub.base);
    let (st, body) = result(&s, &t, &url);
    assert_refusal(st, &body, "ProcessParameterInvalid", &url);
    assert!(body["message"].as_str().unwrap().contains("loopback"), "{body}");
    // no local files either without local_roots
    let local = repo("testdata/collections.toml");
    let (st, body) = result(&s, &t, local.to_str().unwrap());
    assert_refusal(st, &body, "ProcessParameterInvalid", "not allowed");
    assert!(stub.requests().is_empty());
    s.kill();

    // listed: the host and port (a redirect from there is still checked), or a configured remote (only the URLs
    // under its API root)
    let meta = format!("{}/meta", stub.base);
    for (extra, meta_refused) in [
        (
            format!("[outbound]\nallow = [\"127.0.0.1:{port}\"]"),
            "http://169.254.169.254/latest/meta-data/",
        ),
        (
            format!("[[remotes]]\nid = \"b2\"\nurl = \"{}/openeo/1.2\"", stub.base),
            meta.as_str(),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let s = Server::start_on(dir.path(), &format!("\n{extra}\n"), &collections, "0.0.0.0:0");
        let t = s.token("alice", "secret");
        let (st, body) = result(&s, &t, &url);
        assert_refusal(st, &body, "NoDataAvailable", "lists no raster assets");
        let (st, body) = result(&s, &t, &meta);
        assert_refusal(
            st,
            &body,
            "ProcessParameterInvalid",
            &format!("{meta_refused} is refused"),
        );
    }
}

#[test]
fn a_job_whose_dependency_is_refused_fails_naming_it() {
    let stub = Stub::start();
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let t = s.token("alice", "secret");
    for (url, refused) in [
        (
            "http://169.254.169.254/latest/meta-data/".to_string(),
            "http://169.254.169.254/latest/meta-data/",
        ),
        (format!("{}/private", stub.base), "http://10.0.0.1/stac.json"),
    ] {
        let id = create_job(&s, &t, &stac_graph(&url));
        http("POST", &format!("{}/jobs/{id}/results", s.url), None, Some(&t), None);
        assert_eq!(wait_status(&s, &t, &id, &["error", "finished"], 30), "error");
        let (_, logs, _) = http("GET", &format!("{}/jobs/{id}/logs", s.url), None, Some(&t), None);
        let text = logs.to_string();
        assert!(
            text.contains(&format!("dependency {url}")) && text.contains(&format!("{refused} is refused")),
            "{text}"
        );
    }
    assert_eq!(stub.requests(), ["/private"]);
}

#[test]
fn size_and_time_caps_answer_4xx() {
    let stub = Stub::start();
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "\n[outbound]\nmax_bytes = 1000\ntimeout_seconds = 1\n");
    let t = s.token("alice", "secret");
    let (st, body) = result(&s, &t, &format!("{}/big", stub.base));
    assert_refusal(
        st,
        &body,
        "ProcessParameterInvalid",
        "larger than the limit of 1000 bytes",
    );
    let t0 = std::time::Instant::now();
    let (st, body) = result(&s, &t, &format!("{}/stall", stub.base));
    assert_refusal(st, &body, "ProcessParameterInvalid", "no complete answer within 1 s");
    assert!(t0.elapsed() < Duration::from_secs(4));
}

#[test]
fn run_reads_local_stac_under_its_roots_only() {
    let dir = tempfile::tempdir().unwrap();
    let asset = repo("testdata/synthetic/utm/SYNTH_20220602_B04.tif");
    let item = json!({"type": "Feature", "stac_version": "1.0.0", "id": "a", "geometry": null,
        "properties": {"datetime": "2022-06-02T00:00:00Z"},
        "assets": {"B04": {"href": asset, "type": "image/tiff; application=geotiff"}}, "links": []});
    std::fs::write(dir.path().join("item.json"), item.to_string()).unwrap();
    let extent = json!({"west": 676000, "south": 5152500, "east": 676500, "north": 5153000, "crs": 32632});
    let graph = |url: &str| {
        json!({"process_graph": {
            "stac": {"process_id": "load_stac", "arguments": {"url": url, "spatial_extent": extent}},
            "save": {"process_id": "save_result", "arguments": {"data": {"from_node": "stac"}, "format": "JSON"}, "result": true}}})
    };
    let run = |url: &str, config: &str| {
        std::fs::write(dir.path().join("g.json"), graph(url).to_string()).unwrap();
        Command::new(env!("CARGO_BIN_EXE_openeo-local"))
            .current_dir(dir.path())
            .args(["run", "g.json", "--output", "out.json", "--config", config])
            .output()
            .unwrap()
    };
    // the item lies in the working directory, its asset in the collections' directory
    let bundled = repo("testdata/collections.toml");
    let out = run("item.json", bundled.to_str().unwrap());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let result: Value = serde_json::from_slice(&std::fs::read(dir.path().join("out.json")).unwrap()).unwrap();
    assert_eq!(result["dimensions"]["bands"]["values"], json!(["B04"]));
    // with another collections file the asset is outside every root
    let other = dir.path().join("collections.toml");
    std::fs::write(&other, "").unwrap();
    let out = run("item.json", other.to_str().unwrap());
    assert_eq!(out.status.code(), Some(2));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], "ProcessParameterInvalid", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains(asset.to_str().unwrap()),
        "{err}"
    );
    for url in ["file:///etc/passwd", "/etc/passwd"] {
        let out = run(url, bundled.to_str().unwrap());
        assert_eq!(out.status.code(), Some(2));
        let err: Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["code"], "ProcessParameterInvalid", "{err}");
        assert!(err["message"].as_str().unwrap().contains(url), "{err}");
    }
}
