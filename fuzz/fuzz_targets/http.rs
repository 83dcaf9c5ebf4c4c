//! The HTTP API in-process: `app(state)` over a temporary data directory (built once, with the bundled
//! collections and the demo users), driven with `tower::ServiceExt::oneshot` on a current-thread tokio runtime.
//!
//! Input layout: a fixed-size [`Head`] (read with `arbitrary`, one byte per field) picks the method, the route
//! template and its path segments, the authentication and a few headers; the rest of the input is the body,
//! after the lines some choices take from its front, in this order: the path when the route is [`RAW`], the
//! query (`extras` bit 32), the `Authorization` value (`auth` 6), `Range` (bit 2), `Accept` (bit 4) and one
//! `Name: value` header (bit 16); bit 64 pads the body with spaces past the 4 MiB limit. The seeding script
//! `fuzz/seed.py` writes inputs in this layout.
//!
//! Checks: no panic, and every answer with status ≥ 400 (except to `HEAD`, which has no body) is a JSON object
//! with string `code` and `message`. With `OPENEO_FUZZ_DENY_INTERNAL=1`, a 500 answer also counts as a crash.
//!
//! No network: bodies that mention `load_stac` are not sent (that process fetches URLs), and no remote back-end
//! is configured. Files are written only in the temporary data directory; batch jobs the fuzzer creates are
//! deleted again once more than a few exist, so the directory stays small. The directory outlives the process
//! (libFuzzer exits without running destructors): `scripts/fuzz.sh` points `TMPDIR` at a directory it removes.
#![no_main]

use std::sync::{Mutex, OnceLock};

use arbitrary::{Arbitrary, Unstructured};
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, Response, StatusCode, header};
use libfuzzer_sys::fuzz_target;
use openeo_local_fuzz::{bytes_mention_load_stac, testdata_catalog};
use openeo_server::serve::{ServerConfig, app, state};
use serde_json::Value as Json;
use tower::ServiceExt;

/// The fixed-size part of an input; each field is one byte, taken modulo the length of its list.
#[derive(Arbitrary, Debug)]
struct Head {
    method: u8,
    route: u8,
    id: u8,
    sub: u8,
    auth: u8,
    content_type: u8,
    extras: u8,
}

const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE", "FUZZ",
];

/// Route templates: `{id}` and `{sub}` are replaced by entries of [`IDS`]; `{signed}` is a signed result link (of
/// a job's results, an item or an asset) seen in an earlier answer, picked by `sub`.
const ROUTES: &[&str] = &[
    "/",
    "/.well-known/openeo",
    "/openeo/1.2/",
    "/openeo/1.2/conformance",
    "/openeo/1.2/collections",
    "/openeo/1.2/collections/{id}",
    "/openeo/1.2/collections/{id}/queryables",
    "/openeo/1.2/processes",
    "/openeo/1.2/file_formats",
    "/openeo/1.2/udf_runtimes",
    "/openeo/1.2/service_types",
    "/openeo/1.2/credentials/basic",
    "/openeo/1.2/credentials/oidc",
    "/openeo/1.2/me",
    "/openeo/1.2/health",
    "/openeo/1.2/validation",
    "/openeo/1.2/result",
    "/openeo/1.2/process_graphs",
    "/openeo/1.2/process_graphs/{id}",
    "/openeo/1.2/jobs",
    "/openeo/1.2/jobs/{id}",
    "/openeo/1.2/jobs/{id}/results",
    "/openeo/1.2/jobs/{id}/logs",
    "/openeo/1.2/jobs/{id}/estimate",
    "/openeo/1.2/jobs/{id}/results/{sub}",
    "/openeo/1.2/jobs/{id}/results/{sub}/{sub}",
    "/openeo/1.2/jobs/{id}/results/{sub}/items/{sub}",
    "/openeo/1.2/{id}",
    "{signed}",
];

/// The route whose path is the first line of the rest of the input.
const RAW: usize = ROUTES.len();

/// Path segments; `{job}` is the newest batch job the fuzzer created.
const IDS: &[&str] = &[
    "{job}",
    "SENTINEL2_L2A_SAMPLE",
    "SYNTH_S2_UTM",
    "SENTINEL3_OLCI_NORTHSEA",
    "fuzz_udp",
    "j-0000000000000000",
    "nope",
    "..",
    "%2e%2e",
    "a%20b",
    "%ff%fe",
    "%00",
    "",
    "result.tif",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
];

const CONTENT_TYPES: &[Option<&str>] = &[
    Some("application/json"),
    None,
    Some("text/plain"),
    Some("application/json; charset=utf-8"),
    Some("application/x-www-form-urlencoded"),
    Some("multipart/form-data; boundary=x"),
];

/// A body size just past the server's limit (4 MiB).
const OVERSIZE: usize = (4 << 20) + 1;

/// Batch jobs kept before the oldest is deleted.
const KEEP_JOBS: usize = 4;

/// `alice:secret` (a demo user of `testdata/server.toml`).
const ALICE_BASIC: &str = "Basic YWxpY2U6c2VjcmV0";

struct Server {
    rt: tokio::runtime::Runtime,
    router: Router,
    /// `Authorization` value with a valid bearer token of alice.
    bearer: String,
    /// Batch jobs created by the fuzzer, oldest first.
    jobs: Mutex<Vec<String>>,
    /// Signed result links seen in answers (path and query), newest last.
    signed: Mutex<Vec<String>>,
    deny_internal: bool,
    _data_dir: tempfile::TempDir,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/server.toml");
        let mut cfg = ServerConfig::load(&config).expect("testdata/server.toml loads");
        let data_dir = tempfile::tempdir().expect("a temporary directory");
        cfg.data_dir = data_dir.path().to_path_buf();
        cfg.signing_secret = Some("fuzz".into());
        cfg.worker_slots = 2;
        cfg.memory_budget_mib = 64;
        // keep synchronous results tiny, so a fuzzed /result never computes for long
        cfg.sync_max_megavalues = 0.05;
        cfg.remotes.clear();
        let st = state(cfg, testdata_catalog().into()).expect("the server state builds");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_stack_size(openeo_engine::THREAD_STACK_BYTES)
            .build()
            .expect("a tokio runtime");
        let router = app(st);
        let login = Request::get("/openeo/1.2/credentials/basic")
            .header(header::AUTHORIZATION, ALICE_BASIC)
            .body(Body::empty())
            .expect("a valid request");
        let (_, body) = rt.block_on(send(&router, login));
        let token = serde_json::from_slice::<Json>(&body)
            .ok()
            .and_then(|v| v["access_token"].as_str().map(String::from))
            .expect("basic login answers a token");
        Server {
            rt,
            router,
            bearer: format!("Bearer basic//{token}"),
            jobs: Mutex::new(Vec::new()),
            signed: Mutex::new(Vec::new()),
            deny_internal: std::env::var_os("OPENEO_FUZZ_DENY_INTERNAL").is_some_and(|v| v == "1"),
            _data_dir: data_dir,
        }
    })
}

async fn send(router: &Router, req: Request<Body>) -> (Response<()>, Vec<u8>) {
    let resp = match router.clone().oneshot(req).await {
        Ok(r) => r,
        Err(e) => match e {},
    };
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 256 << 20)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    (Response::from_parts(parts, ()), bytes)
}

/// Splits off the first line of `rest` (without its `\n`).
fn line<'a>(rest: &mut &'a [u8]) -> &'a [u8] {
    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let l = &rest[..end];
    *rest = rest.get(end + 1..).unwrap_or(&[]);
    l
}

fn pick<T: Copy>(list: &[T], i: u8) -> T {
    list[usize::from(i) % list.len()]
}

fn segment(i: u8, newest_job: Option<&str>) -> String {
    match pick(IDS, i) {
        "{job}" => newest_job.unwrap_or("j-none").to_string(),
        s => s.to_string(),
    }
}

/// The request an input describes, or `None` when it is not a valid HTTP request.
fn request(s: &Server, head: &Head, mut rest: &[u8]) -> Option<Request<Body>> {
    let newest = s.jobs.lock().ok().and_then(|j| j.last().cloned());
    let route = usize::from(head.route) % (ROUTES.len() + 1);
    let mut path = if route == RAW {
        String::from_utf8_lossy(line(&mut rest)).into_owned()
    } else if ROUTES[route] == "{signed}" {
        let signed = s.signed.lock().ok().map(|l| l.clone()).unwrap_or_default();
        match signed.len() {
            0 => "/openeo/1.2/jobs/j-none/results/none".to_string(),
            n => signed[usize::from(head.sub) % n].clone(),
        }
    } else {
        ROUTES[route]
            .replacen("{id}", &segment(head.id, newest.as_deref()), 1)
            .replace("{sub}", &segment(head.sub, newest.as_deref()))
    };
    if head.extras & 32 != 0 {
        path = format!("{path}?{}", String::from_utf8_lossy(line(&mut rest)));
    }
    let mut b = Request::builder().method(Method::from_bytes(pick(METHODS, head.method).as_bytes()).ok()?);
    b = b.uri(path);
    b = match head.auth % 8 {
        0 => b,
        1..=4 => b.header(header::AUTHORIZATION, &s.bearer),
        5 => b.header(header::AUTHORIZATION, "Bearer basic//not-a-token"),
        6 => b.header(header::AUTHORIZATION, line(&mut rest)),
        // a valid Basic login costs an argon2 verification (tens of ms): only for one auth value in 256
        _ if head.auth == 255 => b.header(header::AUTHORIZATION, ALICE_BASIC),
        _ => b.header(header::AUTHORIZATION, "Basic Ym9iOndyb25n"),
    };
    if let Some(ct) = pick(CONTENT_TYPES, head.content_type) {
        b = b.header(header::CONTENT_TYPE, ct);
    }
    if head.extras & 1 != 0 {
        b = b.header(header::ORIGIN, "http://client.invalid");
    }
    if head.extras & 2 != 0 {
        b = b.header(header::RANGE, line(&mut rest));
    }
    if head.extras & 4 != 0 {
        b = b.header(header::ACCEPT, line(&mut rest));
    }
    if head.extras & 8 != 0 {
        b = b.header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST");
    }
    if head.extras & 16 != 0 {
        let l = line(&mut rest);
        let (name, value) = l.split_at(l.iter().position(|&c| c == b':').unwrap_or(l.len()));
        b = b.header(name, value.get(1..).unwrap_or(&[]));
    }
    if bytes_mention_load_stac(rest) {
        return None;
    }
    let mut body = rest.to_vec();
    if head.extras & 64 != 0 {
        // JSON whitespace past the server's 4 MiB body limit
        body.resize(body.len().max(OVERSIZE), b' ');
    }
    b.body(Body::from(body)).ok()
}

/// Signed links kept for `{signed}`.
const KEEP_SIGNED: usize = 16;

/// The API's base URL in links (`public_url` is not set in `testdata/server.toml`).
const API_BASE: &str = "http://127.0.0.1:8080";

/// Remembers the signed result links (hrefs below `/results/`) of a JSON answer.
fn track_signed(s: &Server, body: &[u8]) {
    let Ok(doc) = serde_json::from_slice::<Json>(body) else {
        return;
    };
    let mut found = Vec::new();
    let mut stack = vec![&doc];
    while let Some(v) = stack.pop() {
        match v {
            Json::Object(o) => {
                if let Some(Json::String(h)) = o.get("href")
                    && let Some(path) = h.strip_prefix(API_BASE)
                    && path.contains("/results/")
                {
                    found.push(path.to_string());
                }
                stack.extend(o.values());
            }
            Json::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    if let (false, Ok(mut signed)) = (found.is_empty(), s.signed.lock()) {
        for f in found {
            if !signed.contains(&f) {
                signed.push(f);
            }
        }
        let extra = signed.len().saturating_sub(KEEP_SIGNED);
        signed.drain(..extra);
    }
}

/// Remembers a batch job the fuzzer created, deleting the oldest beyond [`KEEP_JOBS`].
fn track_job(s: &Server, resp: &Response<()>) {
    let Some(id) = resp.headers().get("openeo-identifier").and_then(|v| v.to_str().ok()) else {
        return;
    };
    let evicted = match s.jobs.lock() {
        Ok(mut jobs) => {
            jobs.push(id.to_string());
            (jobs.len() > KEEP_JOBS).then(|| jobs.remove(0))
        }
        Err(_) => None,
    };
    if let Some(old) = evicted {
        let del = Request::delete(format!("/openeo/1.2/jobs/{old}"))
            .header(header::AUTHORIZATION, &s.bearer)
            .body(Body::empty());
        if let Ok(del) = del {
            let _ = s.rt.block_on(send(&s.router, del));
        }
    }
}

fn check(method: &Method, resp: &Response<()>, body: &[u8], deny_internal: bool) {
    let status = resp.status();
    if deny_internal {
        assert_ne!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error: {}",
            String::from_utf8_lossy(body)
        );
    }
    if status.as_u16() < 400 || method == Method::HEAD {
        return;
    }
    let doc: Option<Json> = serde_json::from_slice(body).ok();
    let ok = doc
        .as_ref()
        .is_some_and(|d| d["code"].is_string() && d["message"].is_string());
    assert!(
        ok,
        "{method} answered {status} without an openEO error body: {:?}",
        String::from_utf8_lossy(body)
    );
}

fuzz_target!(|data: &[u8]| {
    let s = server();
    let mut u = Unstructured::new(data);
    let Ok(head) = Head::arbitrary(&mut u) else {
        return;
    };
    let rest = &data[data.len() - u.len()..];
    let Some(req) = request(s, &head, rest) else {
        return;
    };
    let method = req.method().clone();
    let (resp, body) = s.rt.block_on(send(&s.router, req));
    check(&method, &resp, &body, s.deny_internal);
    track_job(s, &resp);
    track_signed(s, &body);
    // spawned tasks (batch jobs) run only while the runtime is driven: let them take a turn
    s.rt.block_on(tokio::task::yield_now());
});
