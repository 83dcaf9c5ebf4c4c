//! `/processes`, `/validation` and user-defined process graphs (`/process_graphs`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use openeo_processes::{ProcessGraph, Registry};
use serde_json::{Value, json};

use super::parse_json;
use crate::serve::{ApiError, ApiResult, AppState, AuthUser};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/processes", get(list))
        .route("/validation", post(validation))
        .route("/process_graphs", get(list_udps))
        .route("/process_graphs/{id}", get(get_udp).put(put_udp).delete(delete_udp))
}

async fn list(State(s): State<AppState>) -> Json<Value> {
    let fed = s.federation.enabled();
    let processes: Vec<Value> = Registry::standard()
        .all()
        .map(|p| {
            let mut m = p.metadata().clone();
            if fed {
                m["federation:backends"] = json!(s.federation.process_backends(p.id()));
            }
            m
        })
        .collect();
    let mut out =
        json!({"processes": processes, "links": [{"rel": "self", "href": format!("{}/processes", s.api_url)}]});
    let missing = s.federation.missing();
    if !missing.is_empty() {
        out["federation:missing"] = json!(missing);
    }
    Json(out)
}

/// Everything that can be known before reading data: structure, unknown processes, arguments, collections,
/// bands, extents, merge overlaps.
async fn validation(State(s): State<AppState>, AuthUser(user): AuthUser, body: Bytes) -> ApiResult<Json<Value>> {
    let body = parse_json(&body)?;
    let graph = body
        .get("process_graph")
        .map(|g| json!({"process_graph": g}))
        .or_else(|| body.get("process").cloned())
        .unwrap_or(body);
    let udps = s.udps(&user);
    let (catalog, outbound) = (s.catalog.clone(), s.outbound.clone());
    let errors = tokio::task::spawn_blocking(move || {
        let mut errors = Vec::new();
        match ProcessGraph::from_json(&graph) {
            Err(e) => errors.push(json!({"code": e.code(), "message": e.to_string()})),
            Ok(g) => {
                let registry = Registry::standard();
                for (node, pid) in g.process_ids() {
                    if registry.get(&pid).is_none() && udps.process_graph(&pid).is_none() {
                        errors.push(json!({"code": "ProcessUnsupported", "message": format!("node '{node}': process '{pid}' is not supported")}));
                    }
                }
                if let (true, Err(e)) = (errors.is_empty(), crate::plan_graph(&graph, catalog, Some(udps), outbound)) {
                    errors.push(json!({"code": e.code, "message": e.message}));
                }
            }
        }
        errors
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(json!({"errors": errors})))
}

async fn list_udps(State(s): State<AppState>, AuthUser(user): AuthUser) -> ApiResult<Json<Value>> {
    let items: Vec<Value> = s
        .store
        .udps(&user)
        .map_err(ApiError::internal)?
        .into_iter()
        .map(|mut v| {
            if let Some(o) = v.as_object_mut() {
                o.remove("process_graph");
            }
            v
        })
        .collect();
    Ok(Json(json!({"processes": items, "links": []})))
}

fn not_found(id: &str) -> ApiError {
    ApiError::new("ProcessGraphNotFound", format!("process graph '{id}' does not exist"))
}

async fn get_udp(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    s.store
        .udp(&user, &id)
        .map_err(ApiError::internal)?
        .map(Json)
        .ok_or_else(|| not_found(&id))
}

async fn put_udp(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let mut body = parse_json(&body)?;
    if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') || Registry::standard().get(&id).is_some()
    {
        return Err(ApiError::new(
            "ProcessGraphIdInvalid",
            format!("'{id}' is not a valid id or is a predefined process"),
        ));
    }
    let pg = body
        .get("process_graph")
        .cloned()
        .ok_or_else(|| ApiError::new("ProcessGraphMissing", "the body has no 'process_graph'"))?;
    ProcessGraph::from_json(&pg).map_err(|e| ApiError::new(e.code(), e.to_string()))?;
    if let Some(o) = body.as_object_mut() {
        o.insert("id".into(), json!(id));
    }
    s.store.put_udp(&user, &id, &body).map_err(ApiError::internal)?;
    Ok(StatusCode::OK)
}

async fn delete_udp(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if s.store.delete_udp(&user, &id).map_err(ApiError::internal)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}
