//! `/processes`, `/validation` and user-defined process graphs (`/process_graphs`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use openeo_processes::ProcessGraph;
use serde_json::{Value, json};

use super::{parse_json, parse_object};
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
    let processes: Vec<Value> = s
        .registry
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
    let ctx = s.ctx(&user).await?;
    let errors = tokio::task::spawn_blocking(move || {
        let error = |e: &openeo_processes::Error| json!({"code": e.code(), "message": e.to_string()});
        let g = match ProcessGraph::from_json(&graph) {
            Ok(g) => g,
            Err(e) => return vec![error(&e)],
        };
        let problems = openeo_processes::validate(&g, &ctx.registry, ctx.udps.as_deref());
        if !problems.is_empty() {
            return problems.iter().map(error).collect();
        }
        // what needs the catalog: collections, bands, extents against the data, merge overlaps
        match crate::plan_graph(&graph, ctx) {
            Err(e) => vec![json!({"code": e.code, "message": e.message})],
            Ok(_) => Vec::new(),
        }
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
    let mut body = parse_object(&body, &["summary", "description"])?;
    check_udp_signature(&body)?;
    if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') || s.registry.get(&id).is_some() {
        return Err(ApiError::new(
            "ProcessGraphIdInvalid",
            format!("'{id}' is not a valid id or is a predefined process"),
        ));
    }
    let pg = body
        .get("process_graph")
        .cloned()
        .ok_or_else(|| ApiError::new("ProcessGraphMissing", "the body has no 'process_graph'"))?;
    let (udps, udp_id, registry) = (s.udps(&user), id.clone(), s.registry.clone());
    tokio::task::spawn_blocking(move || -> ApiResult<()> {
        let graph = ProcessGraph::from_json(&pg)?;
        if let Some(chain) = openeo_processes::udp_cycle(&udp_id, &graph, &registry, udps.as_ref()) {
            return Err(ApiError::new(
                "ProcessGraphInvalid",
                format!(
                    "the process graph '{udp_id}' would call itself ({}); recursive processes are not supported",
                    chain.join(" → ")
                ),
            ));
        }
        Ok(openeo_processes::check(&graph, &registry, Some(udps.as_ref()))?)
    })
    .await
    .map_err(ApiError::internal)??;
    if let Some(o) = body.as_object_mut() {
        o.insert("id".into(), json!(id));
    }
    s.store.put_udp(&user, &id, &body).map_err(ApiError::internal)?;
    Ok(StatusCode::OK)
}

/// `parameters` (objects with a string `name`) and `returns` (an object) of a user-defined process, where given.
fn check_udp_signature(body: &Value) -> ApiResult<()> {
    let bad = |what: &str| ApiError::new("ProcessGraphInvalid", what.to_string());
    match body.get("parameters") {
        None | Some(Value::Null) => {}
        Some(Value::Array(ps)) => {
            if !ps.iter().all(|p| p.get("name").is_some_and(Value::is_string)) {
                return Err(bad(
                    "every entry of 'parameters' must be an object with a string 'name'",
                ));
            }
        }
        Some(_) => return Err(bad("'parameters' must be an array")),
    }
    if body.get("returns").is_some_and(|r| !r.is_object() && !r.is_null()) {
        return Err(bad("'returns' must be an object"));
    }
    Ok(())
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
