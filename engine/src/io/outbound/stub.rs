//! A tiny HTTP/1.1 server on 127.0.0.1 for the outbound tests: canned answers by path (with range requests), a
//! log of the paths asked for. It listens on loopback only and never connects anywhere.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The answer to a path.
pub(crate) enum Reply {
    /// 200 with this body (206 with a slice of it for a range request).
    Ok(Vec<u8>),
    /// 302 to this location.
    Redirect(String),
    /// This status, empty body.
    Status(u16),
    /// Reads the request and answers nothing for five seconds.
    Stall,
}

/// A running stub; its threads end with the test process.
pub(crate) struct Stub {
    /// `http://127.0.0.1:<port>`.
    pub(crate) base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Stub {
    /// Starts answering with `routes(path)`.
    pub(crate) fn start(routes: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let (routes, l) = (Arc::new(routes), log.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (routes, l) = (routes.clone(), l.clone());
                std::thread::spawn(move || answer(stream, &*routes, &l));
            }
        });
        Stub { base, log }
    }

    /// The port listened on.
    pub(crate) fn port(&self) -> u16 {
        self.base.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0)
    }

    /// The paths requested so far.
    pub(crate) fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn answer(stream: TcpStream, routes: &(dyn Fn(&str) -> Reply + Send + Sync), log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let head = line.starts_with("HEAD");
        let mut range = None;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("range: bytes=") {
                let (a, b) = v.trim().split_once('-').unwrap_or(("0", ""));
                range = Some((a.parse::<usize>().unwrap_or(0), b.parse::<usize>().ok()));
            }
        }
        log.lock().unwrap().push(path.clone());
        let (status, headers, body) = match routes(&path) {
            Reply::Ok(data) => match range {
                Some((a, b)) if a < data.len() => {
                    let b = b.unwrap_or(data.len() - 1).min(data.len() - 1);
                    let cr = format!("Content-Range: bytes {a}-{b}/{}\r\n", data.len());
                    (206, cr, data[a..=b].to_vec())
                }
                _ => (200, String::new(), data),
            },
            Reply::Redirect(to) => (302, format!("Location: {to}\r\n"), Vec::new()),
            Reply::Status(s) => (s, String::new(), Vec::new()),
            Reply::Stall => {
                std::thread::sleep(Duration::from_secs(5));
                return;
            }
        };
        let head_text = format!(
            "HTTP/1.1 {status} X\r\n{headers}Accept-Ranges: bytes\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        if stream.write_all(head_text.as_bytes()).is_err() || (!head && stream.write_all(&body).is_err()) {
            return;
        }
    }
}
