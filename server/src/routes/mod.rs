//! The API routes, one module per endpoint group; each returns a `Router<AppState>` merged by `serve::app`.

pub(crate) mod collections;
pub(crate) mod discovery;
pub(crate) mod jobs;
pub(crate) mod processes;
pub(crate) mod result;

use axum::body::Bytes;
use serde_json::Value;

use crate::serve::{ApiError, ApiResult};

/// Parses a JSON request body, answering malformed JSON with an openEO error.
pub(crate) fn parse_json(body: &Bytes) -> ApiResult<Value> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new("RequestBodyInvalid", format!("the request body is not valid JSON: {e}")))
}

/// The `process` object of a request body (`{"process": {"process_graph": …}}`), checked for a process graph.
pub(crate) fn process_of(body: &Value) -> ApiResult<Value> {
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
    openeo_processes::ProcessGraph::from_json(&process).map_err(|e| ApiError::new(e.code(), e.to_string()))?;
    Ok(process)
}
