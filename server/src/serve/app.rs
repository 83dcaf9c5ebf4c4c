//! Building the router (CORS, `//` tolerance, openEO error for unknown routes) and running the server.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, Method, Uri};
use axum::response::IntoResponse;
use axum::routing::get;
use tower::Layer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use super::{ApiError, AppState, ServerConfig, Signer};
use openeo_processes::Registry;

use crate::fixture::{Fixture, FixtureListener, Peer};
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
    let mut root = Router::new()
        .route("/.well-known/openeo", get(routes::discovery::well_known))
        .nest("/openeo/1.2", api);
    let fixture = state.fixture.is_some();
    if fixture {
        root = root.nest(crate::fixture::control::PREFIX, crate::fixture::control::routes());
    }
    let root = root
        .fallback(|| async { ApiError::new("NotFound", "no such endpoint") })
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // refuses a too large Content-Length before the body is sent
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // outside the layers above, so their answers become openEO errors too
        .layer(axum::middleware::map_response(super::error::openeo_errors))
        .layer(cors)
        // one structured log line per request: method, path, status, latency
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        );
    let root = if fixture {
        // outermost: records the final status of every request and can drop the connection
        root.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::fixture::control::middleware,
        ))
    } else {
        root
    };
    root.with_state(state)
}

/// The largest request body accepted (a process graph of [`openeo_processes::MAX_NODES`] nodes fits easily);
/// larger ones are answered 413 `PayloadTooLarge`.
pub(crate) const MAX_BODY_BYTES: usize = 4 << 20;

/// A panic in a handler becomes a logged 500 `Internal` answer; the server and other requests go on.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    ApiError::internal(format!("a request handler panicked: {what}")).into_response()
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

/// The result-signing secret: from the configuration, else the one kept in the data directory (readable by the
/// owner only; wider permissions are narrowed with a warning), else a new one written there with mode 0600.
fn secret(cfg: &ServerConfig) -> Result<Vec<u8>, String> {
    if let Some(s) = &cfg.signing_secret {
        return Ok(s.as_bytes().to_vec());
    }
    let path = cfg.data_dir.join("signing-secret");
    if let Ok(s) = std::fs::read_to_string(&path) {
        owner_only(&path, 0o600)?;
        return Ok(s.trim().as_bytes().to_vec());
    }
    let s: String = rand::random::<[u8; 32]>().iter().map(|b| format!("{b:02x}")).collect();
    let tmp = path.with_extension("part");
    let write = || -> std::io::Result<()> {
        let mut f = private_file(&tmp)?;
        std::io::Write::write_all(&mut f, s.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(&cfg.data_dir)?.sync_all()
    };
    write().map_err(|e| format!("cannot store the signing secret: {e}"))?;
    Ok(s.into_bytes())
}

/// Creates (truncating) a file only its owner may read and write.
fn private_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
}

/// Narrows the permissions of `path` to `mode` (owner only) when group or others have any, with a warning.
fn owner_only(path: &std::path::Path, mode: u32) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let current = meta.permissions().mode() & 0o777;
        if current & 0o077 != 0 {
            tracing::warn!(
                "{} was accessible to other accounts (mode {current:o}); narrowing it to {mode:o}",
                path.display()
            );
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                .map_err(|e| format!("cannot restrict the permissions of {}: {e}", path.display()))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Removes what interrupted jobs left behind: results that were being written when the server stopped.
fn remove_partial_results(jobs_dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(jobs_dir) else {
        return;
    };
    for job in entries.flatten() {
        let part = job.path().join(crate::jobs::PARTIAL_RESULTS);
        if part.exists() {
            match std::fs::remove_dir_all(&part) {
                Ok(()) => tracing::info!("removed the unfinished results in {}", part.display()),
                Err(e) => tracing::warn!("cannot remove {}: {e}", part.display()),
            }
        }
    }
}

/// Opens the data directory (database, results, secret; the directory is made private to its owner), removes the
/// leftovers of interrupted jobs, marks those jobs `error` and builds the state.
///
/// # Errors
/// Unusable data directory, database or collections; an invalid `[outbound]` or `[fixture]` table; fixture mode
/// on an address that is not loopback.
pub fn state(cfg: ServerConfig, catalog: super::Collections) -> Result<AppState, String> {
    let (registry, fixture) = fixture_parts(&cfg)?;
    let jobs_dir = cfg.data_dir.join("jobs");
    let tmp_dir = cfg.data_dir.join("tmp");
    let mut private_dir = std::fs::DirBuilder::new();
    private_dir.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut private_dir, 0o700);
    private_dir
        .create(&cfg.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", cfg.data_dir.display()))?;
    owner_only(&cfg.data_dir, 0o700)?;
    for d in [&jobs_dir, &tmp_dir] {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    let _ = std::fs::remove_dir_all(&tmp_dir);
    std::fs::create_dir_all(&tmp_dir).map_err(|e| e.to_string())?;
    remove_partial_results(&jobs_dir);
    let store =
        Store::open(&cfg.data_dir.join("jobs.sqlite")).map_err(|e| format!("cannot open the job database: {e}"))?;
    for id in store.recover_interrupted().map_err(|e| e.to_string())? {
        tracing::warn!("job {id} was interrupted by a restart and is now marked as error");
    }
    let signer = Signer::new(secret(&cfg)?);
    let admission = Arc::new(crate::admission::Admission::new(
        cfg.memory_total(),
        cfg.memory_budget_mib,
        cfg.sync_queue_max,
    ));
    let runner = Arc::new(Runner::new(admission, cfg.job_queue_max));
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
        registry,
        fixture,
    })
}

/// The processes offered and, in fixture mode, the fixture (checked: loopback address, known process ids).
fn fixture_parts(cfg: &ServerConfig) -> Result<(Arc<Registry>, Option<Arc<Fixture>>), String> {
    let standard = Registry::standard();
    let Some(fx) = &cfg.fixture else {
        return Ok((standard, None));
    };
    crate::fixture::check_listen(&cfg.listen)?;
    fx.check()?;
    let registry = match &fx.processes {
        None => standard,
        Some(ids) => {
            if let Some(unknown) = ids.iter().find(|id| standard.get(id).is_none()) {
                return Err(format!(
                    "fixture.processes: '{unknown}' is not a process of this server"
                ));
            }
            Arc::new(standard.subset(ids.iter().map(String::as_str)))
        }
    };
    Ok((registry, Some(Arc::new(Fixture::new(fx.clone())))))
}

/// Serves the API on `listener` until Ctrl-C or SIGTERM, or until the collections fail to load.
///
/// # Errors
/// I/O errors of the listener; why the collections could not be loaded.
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
    let fixture = state.fixture.is_some();
    let collections = state.catalog.clone();
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
    let serving = async {
        if fixture {
            // connections that can be killed (offline), and the peer address for the control API
            let make = Router::new()
                .fallback_service(svc)
                .into_make_service_with_connect_info::<Peer>();
            return axum::serve(FixtureListener(listener), make)
                .with_graceful_shutdown(shutdown)
                .await;
        }
        axum::serve(listener, tower::make::Shared::new(svc))
            .with_graceful_shutdown(shutdown)
            .await
    };
    // a server without its collections is of no use: a failed load ends it
    let failed = async {
        match tokio::task::spawn_blocking(move || collections.wait()).await {
            Ok(Err(e)) => e,
            _ => std::future::pending().await,
        }
    };
    tokio::select! {
        r = serving => r,
        e = failed => Err(std::io::Error::other(e)),
    }
}

/// Loads the collections a server configuration names.
///
/// # Errors
/// Configuration or file errors.
pub fn catalog_for(cfg: &ServerConfig) -> Result<openeo_engine::Catalog, String> {
    let outbound = super::outbound_policy(cfg)?;
    let stac = crate::config::stac_reader(&outbound);
    if let Some(f) = &cfg.collections_file {
        return openeo_engine::Catalog::load_with(&cfg.base_dir.join(f), &stac).map_err(|e| e.to_string());
    }
    let inline = openeo_engine::Catalog::from_toml_with(&cfg.raw, &cfg.base_dir, &stac).map_err(|e| e.to_string())?;
    if inline.collections().is_empty() {
        crate::load_catalog(None, &outbound).map_err(|e| e.to_string())
    } else {
        Ok(inline)
    }
}
