//! `/collections`, `/collections/{id}`, `/collections/{id}/queryables`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use openeo_engine::{Catalog, Collection};
use serde_json::{Value, json};

use crate::serve::{ApiError, ApiResult, AppState, collection_stac};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/collections", get(list))
        .route("/collections/{id}", get(one))
        .route("/collections/{id}/queryables", get(queryables))
}

async fn list(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    let catalog = s.catalog.get().await?;
    let fed = s.federation.enabled();
    let mut cols: Vec<Value> = catalog
        .collections()
        .iter()
        .map(|c| {
            let mut doc = collection_stac(c, &s.api_url, false);
            if fed {
                doc["summaries"] = json!({"federation:backends": ["local"]});
            }
            doc
        })
        .collect();
    for (id, (remote, mut doc)) in s.federation.collections() {
        if catalog.get(&id).is_some() {
            continue;
        }
        doc["summaries"]["federation:backends"] = json!([remote]);
        doc["links"] = json!([{"rel": "self", "href": format!("{}/collections/{id}", s.api_url)}]);
        cols.push(doc);
    }
    let mut out =
        json!({"collections": cols, "links": [{"rel": "self", "href": format!("{}/collections", s.api_url)}]});
    let missing = s.federation.missing();
    if !missing.is_empty() {
        out["federation:missing"] = json!(missing);
    }
    Ok(Json(out))
}

fn find(catalog: &Catalog, id: &str) -> ApiResult<Arc<Collection>> {
    catalog
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::new("CollectionNotFound", format!("collection '{id}' does not exist")))
}

async fn one(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let catalog = s.catalog.get().await?;
    if catalog.get(&id).is_none()
        && let Some((remote, _)) = s.federation.collections().get(&id).cloned()
    {
        // a remote collection: its own full document, marked with its back-end
        let client = s
            .federation
            .remote(&remote)
            .ok_or_else(|| ApiError::new("CollectionNotFound", "unknown back-end"))?;
        let path = format!("/collections/{id}");
        let mut doc = tokio::task::spawn_blocking(move || client.get_json(&path))
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| ApiError::new("ServiceUnavailable", e))?;
        doc["summaries"]["federation:backends"] = json!([remote]);
        return Ok(Json(doc));
    }
    let mut doc = collection_stac(&*find(&catalog, &id)?, &s.api_url, true);
    if s.federation.enabled() {
        doc["summaries"]["federation:backends"] = json!(["local"]);
    }
    Ok(Json(doc))
}

async fn queryables(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let c = find(&*s.catalog.get().await?, &id)?;
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
