//! The API routes, one module per endpoint group; each returns a `Router<AppState>` merged by `serve::app`.

pub(crate) mod collections;
pub(crate) mod discovery;
pub(crate) mod jobs;
pub(crate) mod processes;
pub(crate) mod result;

use axum::body::Bytes;
use serde_json::Value;

use crate::serve::{ApiError, ApiResult, AppState};

/// Parses a JSON request body, answering malformed JSON with an openEO error.
pub(crate) fn parse_json(body: &Bytes) -> ApiResult<Value> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new("RequestBodyInvalid", format!("the request body is not valid JSON: {e}")))
}

/// Parses a request body that must be a JSON object whose `fields`, where present, are strings or null.
pub(crate) fn parse_object(body: &Bytes, fields: &[&str]) -> ApiResult<Value> {
    let v = parse_json(body)?;
    let o = v
        .as_object()
        .ok_or_else(|| ApiError::new("RequestBodyInvalid", "the request body must be a JSON object"))?;
    for f in fields {
        if o.get(*f).is_some_and(|x| !x.is_string() && !x.is_null()) {
            return Err(ApiError::new(
                "RequestBodyInvalid",
                format!("'{f}' must be a string or null"),
            ));
        }
    }
    Ok(v)
}

/// The `process` object of a request body, checked statically against the predefined processes and the user's
/// own (`openeo_processes::validate`): whatever is wrong and needs no data is answered 400 before anything is
/// stored or run.
pub(crate) async fn checked_process(s: &AppState, user: &str, body: &Value) -> ApiResult<Value> {
    let process = process_of(body)?;
    let udps = s.udps(user);
    let p = process.clone();
    let registry = s.registry.clone();
    tokio::task::spawn_blocking(move || {
        let graph = openeo_processes::ProcessGraph::from_json(&p)?;
        openeo_processes::check(&graph, &registry, Some(udps.as_ref()))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(process)
}

/// The `process` object of a request body (`{"process": {"process_graph": …}}`), checked for a process graph.
fn process_of(body: &Value) -> ApiResult<Value> {
    let process = body.get("process").cloned().ok_or_else(|| {
        ApiError::new(
            "ProcessGraphMissing",
            "the request has no 'process' with a 'process_graph'",
        )
    })?;
    if !process.get("process_graph").is_some_and(Value::is_object) {
        return Err(ApiError::new(
            "ProcessGraphMissing",
            "'process' has no 'process_graph' object",
        ));
    }
    Ok(process)
}
