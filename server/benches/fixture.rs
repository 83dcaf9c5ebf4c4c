//! Fixture-mode benchmark: how fast a member starts, and how many metadata requests it answers.
//!
//! `cargo bench -p openeo-server --bench fixture` (options after `--`: `--runs N`, `--seconds S`,
//! `--connections C`, `--collections K`). It measures, against the release binary:
//! - start-up: process start to the first `200` on `GET /openeo/1.2/` (and on `GET /openeo/1.2/collections`) for a
//!   fixture configuration of K synthetic collections (default 20), median of N runs (default 11), each with a
//!   fresh data directory; beside it the start of `openeo-local --version`, the floor set by loading the binary and
//!   its shared libraries;
//! - throughput: C keep-alive connections (default 8) on loopback sending `GET /openeo/1.2/` and
//!   `GET /openeo/1.2/collections` for S seconds each (default 5): requests per second and latency percentiles.
//!
//! The load generator is in this file (plain HTTP/1.1 over `std::net`), one thread per connection; it shares the
//! machine's cores with the server, as any load tool on loopback does.
// a measurement that cannot be taken ends the benchmark with the reason
#![allow(clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_openeo-local");

/// Benchmark settings from the command line.
struct Args {
    runs: usize,
    seconds: f64,
    connections: usize,
    collections: usize,
}

fn args() -> Args {
    let mut a = Args {
        runs: 11,
        seconds: 5.0,
        connections: 8,
        collections: 20,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse::<f64>().ok());
        match flag.as_str() {
            "--runs" => a.runs = value().map_or(a.runs, |v| v as usize),
            "--seconds" => a.seconds = value().unwrap_or(a.seconds),
            "--connections" => a.connections = value().map_or(a.connections, |v| v as usize),
            "--collections" => a.collections = value().map_or(a.collections, |v| v as usize),
            _ => {} // cargo bench passes `--bench`
        }
    }
    a
}

/// A fixture configuration with `n` synthetic collections (2 bands, 2 dates, 256² pixels each).
fn fixture_config(n: usize) -> String {
    let mut s = String::from("signing_secret = \"bench\"\n\n");
    for i in 0..n {
        s.push_str(&format!(
            "[[collections]]\nid = \"FIX_{i:02}\"\n\
             source = {{ kind = \"synthetic\", crs = \"EPSG:32632\", origin = [600000, 5200000], resolution = 10, \
             size = [256, 256], dates = [\"2022-06-01\", \"2022-06-11\"], seed = {i} }}\n\
             bands = [{{ name = \"B04\", common_name = \"red\" }}, {{ name = \"B08\", common_name = \"nir\" }}]\n\n"
        ));
    }
    s.push_str("[fixture]\njob_id_template = \"job-{n}\"\n");
    s
}

/// A free loopback port (bound and released; the server binds it right after).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// One HTTP/1.1 keep-alive connection that sends GET requests and reads whole answers.
struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn open(port: u16) -> std::io::Result<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(Conn {
            reader: BufReader::new(s),
        })
    }

    /// Sends `GET path` and returns the status once the whole body is read.
    fn get(&mut self, path: &str) -> std::io::Result<u16> {
        let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        self.reader.get_mut().write_all(req.as_bytes())?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let (mut length, mut chunked) = (0usize, false);
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let h = line.trim_end();
            if h.is_empty() {
                break;
            }
            let lower = h.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
        }
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim(), 16).map_err(std::io::Error::other)?;
                let mut skip = vec![0; size + 2];
                self.reader.read_exact(&mut skip)?;
                if size == 0 {
                    break;
                }
            }
        } else {
            let mut body = vec![0; length];
            self.reader.read_exact(&mut body)?;
        }
        Ok(status)
    }
}

/// Starts `serve --fixture` on `port` with a fresh data directory.
fn spawn(config: &Path, port: u16, data: &Path) -> Child {
    Command::new(BIN)
        .args(["serve", "--fixture"])
        .arg(config)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openeo-local starts")
}

/// Time from `start` until `GET path` answers 200, polling every 0.2 ms.
fn until_ok(start: Instant, port: u16, path: &str) -> Duration {
    loop {
        if let Ok(200) = Conn::open(port).and_then(|mut c| c.get(path)) {
            return start.elapsed();
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the server did not start");
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Start-up figures: `--version`, first 200 on `/`, first 200 on `/collections` (ms, medians of `runs`).
fn startup(dir: &Path, config: &Path, runs: usize) -> (f64, f64, f64, f64) {
    let mut version = Vec::new();
    let (mut root, mut collections) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let t = Instant::now();
        let ok = Command::new(BIN).arg("--version").stdout(Stdio::null()).status();
        assert!(ok.is_ok_and(|s| s.success()), "openeo-local --version fails");
        version.push(ms(t.elapsed()));
        let port = free_port();
        let t = Instant::now();
        let mut child = spawn(config, port, &dir.join(format!("start-{i}")));
        root.push(ms(until_ok(t, port, "/openeo/1.2/")));
        collections.push(ms(until_ok(t, port, "/openeo/1.2/collections")));
        let _ = child.kill();
        let _ = child.wait();
    }
    let max = root.iter().copied().fold(0.0, f64::max);
    (median(&mut version), median(&mut root), max, median(&mut collections))
}

/// Throughput of `path` with `connections` keep-alive connections for `seconds`: (req/s, p50, p99, max) in ms.
fn load(port: u16, path: &str, connections: usize, seconds: f64) -> (f64, f64, f64, f64) {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let t0 = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let path = path.to_string();
            std::thread::spawn(move || {
                let mut conn = Conn::open(port).expect("connects");
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let status = conn.get(&path).expect("answers");
                    assert_eq!(status, 200, "GET {path}");
                    latencies.push(ms(t.elapsed()));
                }
                latencies
            })
        })
        .collect();
    let mut all: Vec<f64> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("load thread"))
        .collect();
    let elapsed = t0.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let pct = |p: f64| all[((all.len() - 1) as f64 * p).round() as usize];
    (all.len() as f64 / elapsed, pct(0.5), pct(0.99), pct(1.0))
}

fn main() {
    let a = args();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = dir.path().join("fixture.toml");
    std::fs::write(&config, fixture_config(a.collections)).expect("writes the configuration");
    println!(
        "fixture benchmark: {} synthetic collections, {} start-ups, {} connections × {} s per endpoint",
        a.collections, a.runs, a.connections, a.seconds
    );
    let (version, root, root_max, collections) = startup(dir.path(), &config, a.runs);
    println!("start-up (process start → first 200), median of {}:", a.runs);
    println!("  GET /openeo/1.2/             {root:6.1} ms (slowest {root_max:.1} ms)");
    println!("  GET /openeo/1.2/collections  {collections:6.1} ms");
    println!("  openeo-local --version       {version:6.1} ms (loading the binary and its libraries)");

    let port = free_port();
    let mut child = spawn(&config, port, &dir.path().join("load"));
    until_ok(Instant::now(), port, "/openeo/1.2/collections");
    println!("throughput ({} keep-alive connections on loopback):", a.connections);
    for path in ["/openeo/1.2/", "/openeo/1.2/collections"] {
        load(port, path, a.connections, 0.5); // warm-up
        let (rps, p50, p99, max) = load(port, path, a.connections, a.seconds);
        println!("  GET {path:26} {rps:8.0} req/s  p50 {p50:.2} ms  p99 {p99:.2} ms  max {max:.2} ms");
    }
    let _ = child.kill();
    let _ = child.wait();
}
