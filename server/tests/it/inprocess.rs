//! The router built in-process (`serve::state` + `serve::app`, requests through `tower::ServiceExt::oneshot`, no
//! socket): the injected registry of a fixture configuration decides what runs, and collections that are still
//! loading are waited for while other endpoints answer at once.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use openeo_engine::synthetic_value;
use openeo_server::serve::{Collections, ServerConfig, app, catalog_for, state};
use serde_json::{Value, json};
use tower::ServiceExt;

const CONFIG: &str = r#"
signing_secret = "in-process"

[[collections]]
id = "FIX_S2"
source = { kind = "synthetic", crs = "EPSG:32632", origin = [600000, 5200000], resolution = 10, size = [64, 64], dates = ["2022-06-01", "2022-06-11"], seed = 7 }
bands = [{ name = "B04" }, { name = "B08" }]

[fixture]
processes = ["load_collection", "reduce_dimension", "max", "save_result"]

[[fixture.users]]
name = "alice"
token = "alice-token"
"#;

const ALICE: &str = "Bearer basic//alice-token";

/// The fixture configuration in `dir` (data directory inside it).
fn config(dir: &std::path::Path) -> ServerConfig {
    let path = dir.join("fixture.toml");
    std::fs::write(&path, CONFIG).unwrap();
    let mut cfg = ServerConfig::load(&path).unwrap();
    cfg.data_dir = dir.join("data");
    cfg
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_stack_size(openeo_engine::THREAD_STACK_BYTES)
        .build()
        .unwrap()
}

/// Sends one request through the router: status and JSON body.
async fn send(router: &Router, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, ALICE)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// The maximum over both dates of B04 at one pixel, as a graph built by a client writes it.
fn max_graph(x: usize, y: usize) -> Value {
    let (e, n) = (600_000.0 + 10.0 * x as f64, 5_200_000.0 - 10.0 * y as f64);
    json!({"process": {"process_graph": {
        "load": {"process_id": "load_collection", "arguments": {"id": "FIX_S2", "bands": ["B04"],
            "spatial_extent": {"west": e, "east": e + 10.0, "south": n - 10.0, "north": n, "crs": 32632},
            "temporal_extent": null}},
        "max": {"process_id": "reduce_dimension", "arguments": {"data": {"from_node": "load"}, "dimension": "t",
            "reducer": {"process_graph": {"m": {"process_id": "max", "arguments": {"data": {"from_parameter": "data"}}, "result": true}}}}},
        "save": {"process_id": "save_result", "arguments": {"data": {"from_node": "max"}, "format": "JSON"}, "result": true}}}})
}

/// Every number of a JSON answer, in document order.
fn numbers(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Number(n) => out.push(n.as_f64().unwrap()),
        Value::Array(a) => a.iter().for_each(|v| numbers(v, out)),
        Value::Object(o) => o.values().for_each(|v| numbers(v, out)),
        _ => {}
    }
}

#[test]
fn the_fixture_registry_decides_what_runs() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let catalog = Arc::new(catalog_for(&cfg).unwrap());
    let router = app(state(cfg, catalog.into()).unwrap());
    runtime().block_on(async {
        let (st, procs) = send(&router, "GET", "/openeo/1.2/processes", None).await;
        assert_eq!(st, 200);
        let ids: Vec<&str> = procs["processes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["load_collection", "max", "reduce_dimension", "save_result"]);

        // a pixel that is valid on both dates: the answer is the larger generator value
        let (x, y) = (0..64)
            .flat_map(|y| (0..64).map(move |x| (x, y)))
            .find(|&(x, y)| synthetic_value(7, 0, 0, x, y) > 0 && synthetic_value(7, 0, 1, x, y) > 0)
            .unwrap();
        let want = f64::from(synthetic_value(7, 0, 0, x, y).max(synthetic_value(7, 0, 1, x, y)));
        let (st, v) = send(&router, "POST", "/openeo/1.2/result", Some(&max_graph(x, y))).await;
        assert_eq!(st, 200, "{v}");
        let mut got = Vec::new();
        numbers(&v["data"], &mut got);
        assert_eq!(got, [want], "{v}");

        // a process the registry does not offer is refused at the door, in a callback too
        let mut g = max_graph(x, y);
        g["process"]["process_graph"]["max"]["arguments"]["reducer"]["process_graph"]["m"]["process_id"] = json!("min");
        let (st, v) = send(&router, "POST", "/openeo/1.2/result", Some(&g)).await;
        assert_eq!((st, v["code"].as_str()), (400, Some("ProcessUnsupported")), "{v}");
        // and a batch job with it is not created
        let (st, v) = send(&router, "POST", "/openeo/1.2/jobs", Some(&g)).await;
        assert_eq!((st, v["code"].as_str()), (400, Some("ProcessUnsupported")), "{v}");
    });
}

#[test]
fn collections_still_loading_are_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let loading = Collections::pending();
    let router = app(state(cfg.clone(), loading.clone()).unwrap());
    runtime().block_on(async {
        // capabilities need no collections
        let (st, caps) = send(&router, "GET", "/openeo/1.2", None).await;
        assert_eq!((st, caps["api_version"].as_str()), (200, Some("1.2.0")));
        // a collection request waits for the load
        let pending = tokio::spawn({
            let router = router.clone();
            async move { send(&router, "GET", "/openeo/1.2/collections/FIX_S2", None).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!pending.is_finished(), "answered before the collections were loaded");
        loading.start(move || catalog_for(&cfg)).unwrap();
        let (st, doc) = pending.await.unwrap();
        assert_eq!((st, doc["id"].as_str()), (200, Some("FIX_S2")), "{doc}");
    });

    // a failed load: collection requests answer 503, the rest still works
    let dir = tempfile::tempdir().unwrap();
    let failed = Collections::pending();
    let router = app(state(config(dir.path()), failed.clone()).unwrap());
    failed.start(|| Err("the collections file is broken".into())).unwrap();
    runtime().block_on(async {
        let (st, v) = send(&router, "GET", "/openeo/1.2/collections", None).await;
        assert_eq!((st, v["code"].as_str()), (503, Some("ServiceUnavailable")), "{v}");
        assert!(v["message"].as_str().unwrap().contains("broken"), "{v}");
        let (st, _) = send(&router, "GET", "/openeo/1.2", None).await;
        assert_eq!(st, 200);
    });
}
