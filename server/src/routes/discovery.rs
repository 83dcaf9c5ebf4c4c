//! Discovery and account endpoints: capabilities, well-known, conformance, formats, credentials, `/me`, health.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use serde_json::{Value, json};

use crate::serve::{ApiResult, AppState, AuthUser};

/// Every endpoint this server implements, as `GET /` lists it.
const ENDPOINTS: &[(&str, &[&str])] = &[
    ("/", &["GET"]),
    ("/conformance", &["GET"]),
    ("/collections", &["GET"]),
    ("/collections/{collection_id}", &["GET"]),
    ("/collections/{collection_id}/queryables", &["GET"]),
    ("/processes", &["GET"]),
    ("/file_formats", &["GET"]),
    ("/udf_runtimes", &["GET"]),
    ("/service_types", &["GET"]),
    ("/credentials/basic", &["GET"]),
    ("/credentials/oidc", &["GET"]),
    ("/me", &["GET"]),
    ("/validation", &["POST"]),
    ("/result", &["POST"]),
    ("/process_graphs", &["GET"]),
    ("/process_graphs/{process_graph_id}", &["GET", "PUT", "DELETE"]),
    ("/jobs", &["GET", "POST"]),
    ("/jobs/{job_id}", &["GET", "PATCH", "DELETE"]),
    ("/jobs/{job_id}/results", &["GET", "POST", "DELETE"]),
    ("/jobs/{job_id}/logs", &["GET"]),
    ("/jobs/{job_id}/estimate", &["GET"]),
    ("/health", &["GET"]),
];

const CONFORMANCE: &[&str] = &[
    "https://api.openeo.org/1.2.0",
    "https://api.stacspec.org/v1.0.0/collections",
    "https://api.stacspec.org/v1.0.0/ogcapi-features",
];

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(capabilities))
        .route(
            "/conformance",
            get(|| async { Json(json!({"conformsTo": CONFORMANCE})) }),
        )
        .route("/file_formats", get(file_formats))
        .route("/udf_runtimes", get(|| async { Json(json!({})) }))
        .route("/service_types", get(|| async { Json(json!({})) }))
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/credentials/oidc", get(oidc))
        .route("/credentials/basic", get(basic))
        .route("/me", get(me))
}

async fn capabilities(State(s): State<AppState>) -> Json<Value> {
    let federation = s.federation.enabled().then(|| s.federation.describe(&s.api_url));
    let api = &s.api_url;
    let advertised = s.fixture.as_ref().and_then(|f| f.config.endpoints.as_ref());
    let endpoints: Vec<Value> = ENDPOINTS
        .iter()
        .filter(|(p, _)| advertised.is_none_or(|a| a.iter().any(|x| x == p)))
        .map(|(p, m)| json!({"path": p, "methods": m}))
        .collect();
    let mut doc = json!({
        "api_version": "1.2.0",
        "backend_version": env!("CARGO_PKG_VERSION"),
        "stac_version": "1.0.0",
        "type": "Catalog",
        "id": "openeo-local",
        "title": "openeo-local",
        "description": "A self-contained openEO back-end serving local COG, GeoTIFF and netCDF data.",
        "production": false,
        "conformsTo": CONFORMANCE,
        "endpoints": endpoints,
        "links": [
            {"rel": "self", "href": format!("{api}/"), "type": "application/json"},
            {"rel": "data", "href": format!("{api}/collections"), "type": "application/json"},
            {"rel": "conformance", "href": format!("{api}/conformance"), "type": "application/json"},
            {"rel": "version-history", "href": format!("{}/.well-known/openeo", api.trim_end_matches("/openeo/1.2")), "type": "application/json"},
        ],
    });
    if let Some(f) = federation {
        doc["federation"] = f;
    }
    Json(doc)
}

/// The body of `/.well-known/openeo` (served at the root).
pub(crate) async fn well_known(State(s): State<AppState>) -> Json<Value> {
    Json(json!({"versions": [{"url": format!("{}/", s.api_url), "api_version": "1.2.0", "production": false}]}))
}

/// The OIDC providers a fixture configuration lists (none otherwise: only Basic login is supported).
async fn oidc(State(s): State<AppState>) -> Json<Value> {
    let providers: Vec<Value> = s
        .fixture
        .iter()
        .flat_map(|f| &f.config.oidc_providers)
        .map(|p| json!({"id": p.id, "issuer": p.issuer, "title": p.title.as_deref().unwrap_or(&p.id), "scopes": ["openid"]}))
        .collect();
    Json(json!({"providers": providers}))
}

async fn file_formats(State(s): State<AppState>) -> Json<Value> {
    let mut all = all_file_formats();
    if let Some(f) = &s.fixture {
        let formats = &f.config.file_formats;
        for (direction, keep) in [("input", &formats.input), ("output", &formats.output)] {
            if let (Some(keep), Some(o)) = (keep, all.get_mut(direction).and_then(Value::as_object_mut)) {
                o.retain(|name, _| keep.iter().any(|k| k.eq_ignore_ascii_case(name)));
            }
        }
    }
    Json(all)
}

fn all_file_formats() -> Value {
    let raster = json!(["raster"]);
    json!({
        "input": {
            "GTiff": {"title": "GeoTIFF / COG", "gis_data_types": raster, "parameters": {}},
            "netCDF": {"title": "netCDF (CF)", "gis_data_types": raster, "parameters": {}},
            "Zarr": {"title": "Zarr V2 (as xarray writes it) and V3", "gis_data_types": raster, "parameters": {}},
        },
        "output": {
            "GTiff": {"title": "GeoTIFF (Float32, one file per date when a temporal dimension remains)", "gis_data_types": raster,
                "parameters": {"cog": {"type": "boolean", "default": false, "description": "Write Cloud Optimized GeoTIFF with overviews."}}},
            "netCDF": {"title": "netCDF-4 (CF-1.9; raster cubes: y/x and up to two more dimensions, one variable per band; vector cubes: a geometry dimension with WKT)", "gis_data_types": ["raster", "vector"], "parameters": {}},
            "Zarr": {"title": "Zarr V3 store (batch jobs only: one asset, a directory; consolidated metadata, one array per band, CF time and CRS as xarray reads them)", "gis_data_types": raster, "parameters": {}},
            "JSON": {"title": "JSON (small raster results in the openEO data cube test encoding, vector cubes)", "gis_data_types": ["raster", "vector", "other"], "parameters": {}},
            "GeoJSON": {"title": "GeoJSON (vector cubes: one feature per geometry, one property per label)", "gis_data_types": ["vector"], "parameters": {}},
            "CSV": {"title": "CSV (vector cubes: one row per geometry and label)", "gis_data_types": ["vector"], "parameters": {}},
        },
    })
}

async fn basic(State(s): State<AppState>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let user = crate::serve::auth_check_basic(&s, headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()))?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>());
    s.store
        .insert_token(&token, &user)
        .map_err(crate::serve::ApiError::internal)?;
    Ok(Json(json!({"access_token": token, "user_id": user})))
}

async fn me(AuthUser(user): AuthUser) -> Json<Value> {
    Json(json!({"user_id": user, "name": user, "links": []}))
}
