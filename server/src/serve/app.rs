//! Building the router (CORS, `//` tolerance, openEO error for unknown routes) and running the server.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, Method, Uri};
use axum::routing::get;
use tower::Layer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use super::{ApiError, AppState, ServerConfig, Signer};
use crate::jobs::{Runner, Store};
use crate::routes;

/// The API router for `state` (without the path normalisation, which [`serve`] adds in front).
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .merge(routes::discovery::routes())
        .merge(routes::collections::routes())
        .merge(routes::processes::routes())
        .merge(routes::result::routes())
        .merge(routes::jobs::routes());
    let expose = ["link", "location", "openeo-costs", "openeo-identifier"].map(HeaderName::from_static);
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            axum::http::header::AUTHORIZATION,
            axum::http::header::CONTENT_TYPE,
            axum::http::header::RANGE,
        ])
        .expose_headers(expose);
    Router::new()
        .route("/.well-known/openeo", get(routes::discovery::well_known))
        .nest("/openeo/1.2", api)
        .fallback(|| async { ApiError::new("NotFound", "no such endpoint") })
        .layer(cors)
        // one structured log line per request: method, path, status, latency
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// Collapses repeated slashes and drops a trailing slash before routing.
fn normalize(mut req: Request) -> Request {
    let uri = req.uri();
    let path = uri.path();
    let mut clean = String::with_capacity(path.len());
    for part in path.split('/').filter(|p| !p.is_empty()) {
        clean.push('/');
        clean.push_str(part);
    }
    if clean.is_empty() {
        clean.push('/');
    }
    if clean != path {
        let pq = match uri.query() {
            Some(q) => format!("{clean}?{q}"),
            None => clean,
        };
        if let Ok(new) = Uri::builder().path_and_query(pq).build() {
            *req.uri_mut() = new;
        }
    }
    req
}

fn secret(cfg: &ServerConfig) -> Result<Vec<u8>, String> {
    if let Some(s) = &cfg.signing_secret {
        return Ok(s.as_bytes().to_vec());
    }
    let path = cfg.data_dir.join("signing-secret");
    if let Ok(s) = std::fs::read_to_string(&path) {
        return Ok(s.trim().as_bytes().to_vec());
    }
    let s: String = rand::random::<[u8; 32]>().iter().map(|b| format!("{b:02x}")).collect();
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, &s)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| format!("cannot store the signing secret: {e}"))?;
    Ok(s.into_bytes())
}

/// Opens the data directory (database, results, secret), recovers interrupted jobs and builds the state.
///
/// # Errors
/// Unusable data directory, database or collections; an invalid `[outbound]` table.
pub fn state(cfg: ServerConfig, catalog: Arc<openeo_engine::Catalog>) -> Result<AppState, String> {
    let jobs_dir = cfg.data_dir.join("jobs");
    let tmp_dir = cfg.data_dir.join("tmp");
    for d in [&cfg.data_dir, &jobs_dir, &tmp_dir] {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    let _ = std::fs::remove_dir_all(&tmp_dir);
    std::fs::create_dir_all(&tmp_dir).map_err(|e| e.to_string())?;
    let store =
        Store::open(&cfg.data_dir.join("jobs.sqlite")).map_err(|e| format!("cannot open the job database: {e}"))?;
    for id in store.recover_interrupted().map_err(|e| e.to_string())? {
        tracing::warn!("job {id} was interrupted by a restart and is now marked as error");
    }
    let signer = Signer::new(secret(&cfg)?);
    let runner = Arc::new(Runner::new(cfg.worker_slots));
    let api_url = cfg.api_url();
    let federation = Arc::new(crate::federation::Federation::new(&cfg.remotes));
    let outbound = Arc::new(super::outbound_policy(&cfg)?);
    tracing::info!("outbound policy: {outbound}");
    Ok(AppState {
        cfg: Arc::new(cfg),
        catalog,
        store: Arc::new(store),
        federation,
        outbound,
        signer,
        runner,
        api_url,
        jobs_dir,
        tmp_dir,
    })
}

/// Serves the API on `listener` until Ctrl-C or SIGTERM.
///
/// # Errors
/// I/O errors of the listener.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    if state.federation.enabled() {
        // the remotes' listings: once at start, then periodically
        let fed = state.federation.clone();
        let every = std::time::Duration::from_secs_f64(state.cfg.remote_refresh_seconds.max(0.1));
        tokio::spawn(async move {
            loop {
                let f = fed.clone();
                let _ = tokio::task::spawn_blocking(move || f.refresh()).await;
                tokio::time::sleep(every).await;
            }
        });
    }
    let svc = tower::util::MapRequestLayer::new(normalize).layer(app(state));
    let shutdown = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => return,
            };
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
    };
    axum::serve(listener, tower::make::Shared::new(svc))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Loads the collections a server configuration names.
///
/// # Errors
/// Configuration or file errors.
pub fn catalog_for(cfg: &ServerConfig) -> Result<openeo_engine::Catalog, String> {
    if let Some(f) = &cfg.collections_file {
        return openeo_engine::Catalog::load(&cfg.base_dir.join(f)).map_err(|e| e.to_string());
    }
    let inline = openeo_engine::Catalog::from_toml(&cfg.raw, &cfg.base_dir).map_err(|e| e.to_string())?;
    if inline.collections().is_empty() {
        crate::load_catalog(None).map_err(|e| e.to_string())
    } else {
        Ok(inline)
    }
}
