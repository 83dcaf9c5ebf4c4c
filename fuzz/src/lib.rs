//! Shared pieces of the fuzz targets in `fuzz_targets/`: the bundled collections (loaded once), the filter that
//! keeps fuzz inputs away from the network and the file system, and the big-stack thread that plans are built on.
//!
//! Nothing here writes files outside temporary directories or opens network connections: `load_stac` is the only
//! process that fetches (HTTP or local files), and every input that mentions it is skipped by
//! [`mentions_load_stac`]; the STAC parsing itself is fuzzed by the `stac` target through
//! [`openeo_processes::stac_assets`] with an in-memory fetcher.
#![forbid(unsafe_code)]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use openeo_engine::Catalog;
use serde_json::Value as Json;

/// The bundled collections (`testdata/collections.toml`), loaded on first use after setting GDAL up as
/// `openeo-local serve` does (64 MiB block cache). Only file headers are read.
///
/// # Panics
/// When GDAL or the bundled collections cannot be set up (a broken checkout, not a finding).
pub fn testdata_catalog() -> Arc<Catalog> {
    static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
    CATALOG
        .get_or_init(|| {
            if let Err(e) = openeo_engine::init_gdal(64) {
                panic!("cannot set GDAL up: {e}");
            }
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/collections.toml");
            match Catalog::load(&path) {
                Ok(c) => Arc::new(c),
                Err(e) => panic!("cannot load {}: {e}", path.display()),
            }
        })
        .clone()
}

/// True when any string in `v` (object keys included) names `load_stac`, in any case. Such inputs would make the
/// evaluator fetch documents over HTTP or read local files, so the targets skip them.
pub fn mentions_load_stac(v: &Json) -> bool {
    let hit = |s: &str| s.to_ascii_lowercase().contains("load_stac");
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Json::String(s) if hit(s) => return true,
            Json::Array(a) => stack.extend(a),
            Json::Object(o) => {
                if o.keys().any(|k| hit(k)) {
                    return true;
                }
                stack.extend(o.values());
            }
            _ => {}
        }
    }
    false
}

/// The same check on raw bytes that may not be JSON: the bytes, lowercased, contain `load_stac` (or, when they
/// parse as JSON, any string does, which also catches `\u` escapes).
pub fn bytes_mention_load_stac(bytes: &[u8]) -> bool {
    if bytes.to_ascii_lowercase().windows(9).any(|w| w == b"load_stac") {
        return true;
    }
    serde_json::from_slice::<Json>(bytes).is_ok_and(|v| mentions_load_stac(&v))
}

/// Runs `f` on a thread with the stack the engine asks for when building or evaluating plans
/// ([`openeo_engine::THREAD_STACK_BYTES`]), as the server and the CLI do. A panic on that thread aborts the
/// process through libFuzzer's panic hook, so it is reported like one on the main thread.
///
/// # Panics
/// When the thread cannot be started.
pub fn on_plan_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .stack_size(openeo_engine::THREAD_STACK_BYTES)
            .spawn_scoped(s, f)
            .unwrap_or_else(|e| panic!("cannot start a thread: {e}"));
        match handle.join() {
            Ok(v) => v,
            Err(p) => std::panic::resume_unwind(p),
        }
    })
}
