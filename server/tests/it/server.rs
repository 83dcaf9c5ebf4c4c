//! Starting and stopping servers; HTTP helpers.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
}

/// A running server; killed with SIGKILL on drop.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
}

impl Server {
    /// Starts `openeo-local serve` with the bundled collections and users plus `extra` TOML lines.
    pub(crate) fn start(data_dir: &Path, extra: &str) -> Server {
        Server::start_with(data_dir, extra, &repo("testdata/collections.toml"))
    }

    /// As [`Server::start`] with another collections file.
    pub(crate) fn start_with(data_dir: &Path, extra: &str, collections: &Path) -> Server {
        Server::start_on(data_dir, extra, collections, "127.0.0.1:0")
    }

    /// As [`Server::start_with`], listening on `listen` (`0.0.0.0:0` for a server that is not on loopback; its
    /// `url` still reaches it through 127.0.0.1).
    pub(crate) fn start_on(data_dir: &Path, extra: &str, collections: &Path, listen: &str) -> Server {
        let cfg = data_dir.join("server.toml");
        if !cfg.exists() {
            let base = std::fs::read_to_string(repo("testdata/server.toml")).unwrap();
            let base = base.replace(
                "collections_file = \"collections.toml\"",
                &format!("collections_file = {collections:?}"),
            );
            // extra `key = value` lines replace the defaults of the same keys
            let keys: Vec<String> = extra
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, _)| format!("{} =", k.trim()))
                .collect();
            let base: String = base
                .lines()
                .filter(|l| !keys.iter().any(|k| l.starts_with(k.as_str())))
                .map(|l| format!("{l}\n"))
                .collect();
            // top-level keys first, tables (`[[remotes]]`, …) after everything else
            let split = extra.find("\n[").map_or(extra.len(), |i| i + 1);
            let (keys_part, tables) = extra.split_at(split);
            let base = format!("{keys_part}\n{base}\n{tables}");
            std::fs::write(&cfg, base).unwrap();
        }
        Server::spawn(
            data_dir,
            &[
                "--listen".as_ref(),
                listen.as_ref(),
                "--config".as_ref(),
                cfg.as_os_str(),
            ],
        )
    }

    /// Starts `openeo-local serve` with `args` and `--data-dir <data_dir>/data`.
    pub(crate) fn spawn(data_dir: &Path, args: &[&std::ffi::OsStr]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_openeo-local"))
            .arg("serve")
            .args(args)
            .arg("--data-dir")
            .arg(data_dir.join("data"))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let url = loop {
            let line = lines.next().expect("server exited").unwrap();
            if let Some(u) = line.strip_prefix("openeo-local listening on ") {
                break u.trim_end_matches('/').replace("//0.0.0.0:", "//127.0.0.1:");
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Server { child, url }
    }

    pub(crate) fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub(crate) fn token(&self, user: &str, password: &str) -> String {
        let r = http(
            "GET",
            &format!("{}/credentials/basic", self.url),
            None,
            Some(&basic(user, password)),
            None,
        );
        assert_eq!(r.0, 200, "{:?}", r.1);
        format!("Bearer basic//{}", r.1["access_token"].as_str().unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn basic(user: &str, password: &str) -> String {
    use std::fmt::Write;
    let raw = format!("{user}:{password}");
    // minimal base64 for the test's Basic header
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = raw.as_bytes();
    let mut out = String::new();
    for c in b.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    let mut h = String::new();
    write!(h, "Basic {out}").unwrap();
    h
}

/// Sends a request; returns status, JSON body (Null when not JSON) and headers of interest.
pub(crate) fn http(
    method: &str,
    url: &str,
    body: Option<&Value>,
    auth: Option<&str>,
    range: Option<&str>,
) -> (u16, Value, Vec<(String, String)>) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    if let Some(r) = range {
        req = req.header("Range", r);
    }
    let resp = match body {
        Some(b) => agent.run(
            req.header("Content-Type", "application/json")
                .body(b.to_string())
                .unwrap(),
        ),
        None => agent.run(req.body(()).unwrap()),
    }
    .unwrap();
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let bytes = resp.into_body().read_to_vec().unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let json = if json.is_null() && !bytes.is_empty() {
        Value::String(format!("<{} bytes>", bytes.len()))
    } else {
        json
    };
    (status, json, headers)
}

pub(crate) fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Polls a job until its status is one of `wanted` (at most `secs`).
pub(crate) fn wait_status(s: &Server, auth: &str, id: &str, wanted: &[&str], secs: u64) -> String {
    let t0 = Instant::now();
    loop {
        let (_, j, _) = http("GET", &format!("{}/jobs/{id}", s.url), None, Some(auth), None);
        let st = j["status"].as_str().unwrap_or("").to_string();
        if wanted.contains(&st.as_str()) || t0.elapsed() > Duration::from_secs(secs) {
            return st;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) fn seed() -> Value {
    serde_json::from_str(&std::fs::read_to_string(repo("examples/seed_gtiff.json")).unwrap()).unwrap()
}

/// Creates a job (checking the 201 answer's `Location` and `OpenEO-Identifier`) and returns its id.
pub(crate) fn create_job(s: &Server, t: &str, body: &Value) -> String {
    let (st, _, h) = http("POST", &format!("{}/jobs", s.url), Some(body), Some(t), None);
    assert_eq!(st, 201);
    let id = header(&h, "openeo-identifier").unwrap().to_string();
    assert_eq!(header(&h, "location"), Some(format!("{}/jobs/{id}", s.url).as_str()));
    id
}

/// The `rel=canonical` href of a results document.
pub(crate) fn canonical_link(doc: &Value) -> String {
    let links = doc["links"].as_array().expect("links");
    links
        .iter()
        .find(|l| l["rel"] == "canonical")
        .expect("a canonical link")["href"]
        .as_str()
        .expect("href")
        .to_string()
}
