//! `openeo-local run GRAPH.json`: execute a process graph locally with a progress bar.
//!
//! `load_stac` may read public http(s) URLs, loopback (this is a local tool, like a server listening on loopback),
//! the `--allow` entries, and local files under the working directory, the collections configuration's directory
//! and the `--local-root` directories.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use openeo_engine::{ExecOptions, OutboundPolicy, Progress, RunStats};

use super::EngineArgs;
use crate::{RunError, load_catalog, run_graph, standard_ctx};

/// Arguments of `run`.
#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// The process graph JSON file (`-` for standard input).
    graph: PathBuf,
    /// Output file; its extension picks the format when the graph has no save_result.
    #[arg(long, short, default_value = "result.tif")]
    output: PathBuf,
    /// Print the plan before running, and the tiles and source blocks read after.
    #[arg(long)]
    explain: bool,
    /// URL prefix, host or address range `load_stac` may read besides public URLs and loopback (repeatable).
    #[arg(long, value_name = "ENTRY")]
    allow: Vec<String>,
    /// Directory `load_stac` may read local files from besides the working directory and the collections'
    /// directory (repeatable).
    #[arg(long, value_name = "DIR")]
    local_root: Vec<PathBuf>,
    #[command(flatten)]
    engine: EngineArgs,
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn tiles_done(&self, done: usize, total: usize) {
        self.0.set_length(total as u64);
        self.0.set_position(done as u64);
    }
}

fn err(code: &str, message: String) -> RunError {
    RunError {
        code: code.into(),
        message,
        client: true,
    }
}

/// The outbound policy of `run`: see the module documentation.
fn outbound_policy(a: &RunArgs) -> Result<OutboundPolicy, RunError> {
    let config = a.engine.config.clone().unwrap_or_else(crate::default_config_path);
    let config_dir = config.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let cwd =
        std::env::current_dir().map_err(|e| err("Internal", format!("cannot read the working directory: {e}")))?;
    let mut p = OutboundPolicy::new().allow_loopback(true);
    // a missing collections file is reported when the catalog is loaded
    let config_dir = Some(config_dir).filter(|d| d.as_os_str().is_empty() || d.is_dir());
    for dir in [cwd].iter().chain(&config_dir).chain(&a.local_root) {
        p = p
            .try_local_root(dir)
            .map_err(|e| err("ProcessParameterInvalid", e.to_string()))?;
    }
    for entry in &a.allow {
        p = p
            .try_allow(entry)
            .map_err(|e| err("ProcessParameterInvalid", e.to_string()))?;
    }
    Ok(p)
}

pub(crate) fn run(a: &RunArgs) -> Result<(), RunError> {
    let outbound = Arc::new(outbound_policy(a)?);
    let text = if a.graph.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
            .map_err(|e| err("Internal", format!("cannot read standard input: {e}")))?
    } else {
        std::fs::read_to_string(&a.graph)
            .map_err(|e| err("FileNotFound", format!("cannot read {}: {e}", a.graph.display())))?
    };
    let graph: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        err(
            "ProcessGraphInvalid",
            format!("{} is not valid JSON: {e}", a.graph.display()),
        )
    })?;
    openeo_engine::init_gdal(a.engine.gdal_cache).map_err(|e| err("Internal", e.to_string()))?;
    tracing::debug!("GDAL initialised");
    let catalog = load_catalog(a.engine.config.as_deref()).map_err(|e| RunError {
        code: "Internal".into(),
        message: e.to_string(),
        client: false,
    })?;
    tracing::debug!("catalog loaded");
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} tiles {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let stats = Arc::new(RunStats::default());
    let opts = ExecOptions {
        memory_budget: Some(a.engine.memory_budget << 20),
        cancel: None,
        progress: Some(Arc::new(Bar(bar.clone()))),
        stats: Some(stats.clone()),
    };
    if a.explain {
        let g = openeo_processes::ProcessGraph::from_json(&graph)?;
        let ctx = standard_ctx(Arc::new(catalog.clone()), outbound.clone());
        for s in openeo_processes::evaluate(&g, &ctx)?.saves {
            eprint!("{}", s.data.explain());
        }
    }
    let out = run_graph(&graph, standard_ctx(Arc::new(catalog), outbound), &a.output, &opts)?;
    tracing::debug!("results written");
    bar.finish_and_clear();
    if a.explain {
        eprintln!("{}", stats.summary());
    }
    for (f, _) in &out.files {
        println!("{}", f.display());
    }
    if let (Some(_), Some(kib)) = (std::env::var_os("OPENEO_LOCAL_REPORT_RSS"), super::peak_rss_kib()) {
        eprintln!("peak_rss_kib={kib}");
    }
    Ok(())
}
