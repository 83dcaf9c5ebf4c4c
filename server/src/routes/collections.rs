//! `/collections`, `/collections/{id}`, `/collections/{id}/queryables`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::serve::{ApiError, ApiResult, AppState, collection_stac};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/collections", get(list))
        .route("/collections/{id}", get(one))
        .route("/collections/{id}/queryables", get(queryables))
}

async fn list(State(s): State<AppState>) -> Json<Value> {
    let cols: Vec<Value> = s
        .catalog
        .collections()
        .iter()
        .map(|c| collection_stac(c, &s.api_url, false))
        .collect();
    Json(json!({"collections": cols, "links": [{"rel": "self", "href": format!("{}/collections", s.api_url)}]}))
}

fn find<'a>(s: &'a AppState, id: &str) -> ApiResult<&'a openeo_engine::Collection> {
    s.catalog
        .get(id)
        .map(AsRef::as_ref)
        .ok_or_else(|| ApiError::new("CollectionNotFound", format!("collection '{id}' does not exist")))
}

async fn one(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(collection_stac(find(&s, &id)?, &s.api_url, true)))
}

async fn queryables(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let c = find(&s, &id)?;
    let mut props = serde_json::Map::new();
    for (k, v) in &c.properties {
        let t = match v {
            openeo_engine::PropertyValue::Text(_) => "string",
            openeo_engine::PropertyValue::Number(_) => "number",
            openeo_engine::PropertyValue::Bool(_) => "boolean",
        };
        props.insert(k.clone(), json!({"type": t, "title": k}));
    }
    Ok(Json(json!({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": format!("{}/collections/{id}/queryables", s.api_url),
        "type": "object",
        "title": format!("Queryables of {id}"),
        "properties": props,
        "additionalProperties": false,
    })))
}
