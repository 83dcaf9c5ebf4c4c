//! `openeo-local serve`: run the HTTP API; `openeo-local hash-password`: make a password hash for the config.

use std::path::PathBuf;
use std::sync::Arc;

use crate::RunError;
use crate::serve::ServerConfig;

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Server configuration (TOML); default: testdata/server.toml.
    #[arg(long, conflicts_with = "fixture")]
    config: Option<PathBuf>,
    /// Fixture configuration (the server configuration plus a `[fixture]` table): serve as a test member with the
    /// control API under /_fixture/ (loopback addresses only).
    #[arg(long, conflicts_with = "instance")]
    fixture: Option<PathBuf>,
    /// A fixture instance `NAME=FILE` (repeatable): several fixture members in one process, each on the `listen`
    /// address of its file.
    #[arg(long, value_name = "NAME=FILE", conflicts_with_all = ["config", "listen"])]
    instance: Vec<String>,
    /// Listen address, overriding the configuration.
    #[arg(long)]
    listen: Option<String>,
    /// Data directory (job database and results), overriding the configuration; with `--instance`, each instance
    /// uses the subdirectory of its name.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// Loads the fixture configuration of one `--instance NAME=FILE`.
fn instance_config(arg: &str, data_dir: Option<&PathBuf>) -> Result<(String, ServerConfig), RunError> {
    let (name, file) = arg
        .split_once('=')
        .filter(|(n, f)| !n.is_empty() && !f.is_empty())
        .ok_or_else(|| fail(format!("--instance '{arg}': expected NAME=FILE")))?;
    let mut cfg = ServerConfig::load(std::path::Path::new(file)).map_err(fail)?;
    cfg.fixture.get_or_insert_default();
    if let Some(d) = data_dir {
        cfg.data_dir = d.join(name);
    }
    crate::fixture::check_listen(&cfg.listen).map_err(|e| fail(format!("instance {name}: {e}")))?;
    Ok((name.to_string(), cfg))
}

/// Serves several fixture instances from one process, each on its own address and data directory.
fn serve_instances(a: &ServeArgs) -> Result<(), RunError> {
    let mut instances = Vec::new();
    for arg in &a.instance {
        let (name, cfg) = instance_config(arg, a.data_dir.as_ref())?;
        if instances
            .iter()
            .any(|(n, c, _): &(String, ServerConfig, _)| *n == name || c.data_dir == cfg.data_dir)
        {
            return Err(fail(format!(
                "instance {name}: its name or data directory ({}) is used by another instance",
                cfg.data_dir.display()
            )));
        }
        instances.push((name, cfg, None));
    }
    openeo_engine::init_gdal(64).map_err(|e| fail(e.to_string()))?;
    for (name, cfg, catalog) in &mut instances {
        let c = crate::serve::catalog_for(cfg).map_err(|e| fail(format!("instance {name}: {e}")))?;
        *catalog = Some(Arc::new(c));
    }
    let rt = runtime()?;
    rt.block_on(async move {
        let mut running = tokio::task::JoinSet::new();
        for (name, mut cfg, catalog) in instances {
            let catalog = catalog.ok_or_else(|| fail(format!("instance {name}: no collections loaded")))?;
            let listener = tokio::net::TcpListener::bind(&cfg.listen)
                .await
                .map_err(|e| fail(format!("instance {name}: cannot listen on {}: {e}", cfg.listen)))?;
            let addr = listener.local_addr().map_err(|e| fail(e.to_string()))?;
            if cfg.public_url.is_none() {
                cfg.public_url = Some(format!("http://{addr}"));
            }
            let state = crate::serve::state(cfg, catalog.into()).map_err(|e| fail(format!("instance {name}: {e}")))?;
            tracing::info!("instance {name}: serving the openEO API on http://{addr}/openeo/1.2/");
            eprintln!("openeo-local instance {name} listening on http://{addr}/openeo/1.2/");
            running.spawn(async move { (name, crate::serve::serve(listener, state).await) });
        }
        // all stop together on Ctrl-C or SIGTERM; the first failure ends the process
        while let Some(done) = running.join_next().await {
            match done {
                Ok((_, Ok(()))) => {}
                Ok((name, Err(e))) => return Err(fail(format!("instance {name}: {e}"))),
                Err(e) => return Err(fail(e.to_string())),
            }
        }
        Ok(())
    })
}

fn fail(message: String) -> RunError {
    RunError {
        code: "Internal".into(),
        message,
        client: false,
    }
}

pub(crate) fn serve(a: &ServeArgs) -> Result<(), RunError> {
    if !a.instance.is_empty() {
        return serve_instances(a);
    }
    let path = a
        .fixture
        .clone()
        .or_else(|| a.config.clone())
        .unwrap_or_else(|| crate::default_config_path().with_file_name("server.toml"));
    let mut cfg = ServerConfig::load(&path).map_err(fail)?;
    if a.fixture.is_some() {
        cfg.fixture.get_or_insert_default();
    } else if cfg.fixture.is_some() {
        return Err(fail(format!(
            "{} has a [fixture] table; fixture mode is enabled only with --fixture",
            path.display()
        )));
    }
    if let Some(l) = &a.listen {
        cfg.listen = l.clone();
    }
    if cfg.fixture.is_some() {
        crate::fixture::check_listen(&cfg.listen).map_err(fail)?;
    }
    if let Some(d) = &a.data_dir {
        cfg.data_dir = d.clone();
    }
    let t0 = std::time::Instant::now();
    openeo_engine::init_gdal(64).map_err(|e| fail(e.to_string()))?;
    let rt = runtime()?;
    tracing::debug!("start-up: runtime started after {:?}", t0.elapsed());
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&cfg.listen)
            .await
            .map_err(|e| fail(format!("cannot listen on {}: {e}", cfg.listen)))?;
        let addr = listener.local_addr().map_err(|e| fail(e.to_string()))?;
        if cfg.public_url.is_none() {
            cfg.public_url = Some(format!("http://{addr}"));
        }
        // the collections load in the background, so the server answers what does not need them at once; the
        // load starts once the job database is open (both use SQLite, and they slow each other down)
        let catalog = crate::serve::Collections::pending();
        let loading = cfg.clone();
        let state = crate::serve::state(cfg, catalog.clone()).map_err(fail)?;
        catalog
            .start(move || {
                let catalog = crate::serve::catalog_for(&loading);
                tracing::debug!("start-up: collections loaded after {:?}", t0.elapsed());
                catalog
            })
            .map_err(|e| fail(format!("cannot start a thread: {e}")))?;
        tracing::debug!("start-up: ready after {:?}", t0.elapsed());
        tracing::info!("serving the openEO API on http://{addr}/openeo/1.2/");
        eprintln!("openeo-local listening on http://{addr}/openeo/1.2/");
        crate::serve::serve(listener, state)
            .await
            .map_err(|e| fail(e.to_string()))
    })
}

/// Arguments of `hash-password`.
#[derive(Debug, clap::Args)]
pub(crate) struct HashArgs {
    /// The password to hash.
    password: String,
}

pub(crate) fn hash(a: &HashArgs) -> Result<(), RunError> {
    println!("{}", crate::serve::hash_password(&a.password).map_err(fail)?);
    Ok(())
}

/// The server's tokio runtime; its threads (blocking ones included, where graphs are evaluated) get the stack the
/// engine asks for.
fn runtime() -> Result<tokio::runtime::Runtime, RunError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(openeo_engine::THREAD_STACK_BYTES)
        .build()
        .map_err(|e| fail(e.to_string()))
}
