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
    /// An option for every `save_result` of the graph, `KEY=VALUE` (a JSON value, else text), e.g.
    /// `compress=deflate` or `zlevel=4`; replaces the graph's own (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    save_option: Vec<String>,
    #[command(flatten)]
    engine: EngineArgs,
}

/// Sets `options` on every top-level `save_result` node of `graph` (a process, a `/result` body or a node map).
fn set_save_options(graph: &mut serde_json::Value, options: &[String]) -> Result<(), RunError> {
    let mut pairs = Vec::new();
    for o in options {
        let (k, v) = o.split_once('=').ok_or_else(|| {
            err(
                "ProcessParameterInvalid",
                format!("--save-option '{o}' is not KEY=VALUE"),
            )
        })?;
        let value = serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_string()));
        pairs.push((k.to_string(), value));
    }
    let mut root = graph;
    for key in ["process", "process_graph"] {
        if root.get(key).is_some() {
            root = &mut root[key];
        }
    }
    if let serde_json::Value::Object(nodes) = root {
        for node in nodes.values_mut() {
            if node.get("process_id").and_then(serde_json::Value::as_str) != Some("save_result") {
                continue;
            }
            let Some(args) = node.get_mut("arguments").and_then(serde_json::Value::as_object_mut) else {
                continue;
            };
            let entry = args.entry("options").or_insert_with(|| serde_json::json!({}));
            if entry.is_null() {
                *entry = serde_json::json!({});
            }
            if let Some(o) = entry.as_object_mut() {
                o.extend(pairs.iter().cloned());
            }
        }
    }
    Ok(())
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
    let mut graph: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        err(
            "ProcessGraphInvalid",
            format!("{} is not valid JSON: {e}", a.graph.display()),
        )
    })?;
    set_save_options(&mut graph, &a.save_option)?;
    openeo_engine::init_gdal(a.engine.gdal_cache).map_err(|e| err("Internal", e.to_string()))?;
    tracing::debug!("GDAL initialised");
    let catalog = load_catalog(a.engine.config.as_deref(), &outbound).map_err(|e| RunError {
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
        let (requests, bytes) = openeo_engine::remote_reads();
        if requests > 0 {
            eprintln!(
                "{requests} remote range requests, {:.1} MiB received",
                bytes as f64 / f64::from(1 << 20)
            );
        }
    }
    for (f, _) in &out.files {
        println!("{}", f.display());
    }
    if let (Some(_), Some(kib)) = (std::env::var_os("OPENEO_LOCAL_REPORT_RSS"), super::peak_rss_kib()) {
        eprintln!("peak_rss_kib={kib}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::set_save_options;

    #[test]
    fn save_options_go_to_every_save_result() {
        let mut g = json!({"process": {"process_graph": {
            "l": {"process_id": "load_collection", "arguments": {"id": "X"}},
            "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "l"}, "format": "netCDF",
                  "options": {"compress": "none", "keep": 1}}, "result": true}}}});
        set_save_options(&mut g, &["compress=deflate".into(), "zlevel=4".into()]).unwrap();
        let options = &g["process"]["process_graph"]["s"]["arguments"]["options"];
        assert_eq!(options, &json!({"compress": "deflate", "zlevel": 4, "keep": 1}));
        assert_eq!(g["process"]["process_graph"]["l"]["arguments"], json!({"id": "X"}));
        let mut bare = json!({"s": {"process_id": "save_result", "arguments": {"format": "GTiff"}}});
        set_save_options(&mut bare, &["compress=deflate".into()]).unwrap();
        assert_eq!(bare["s"]["arguments"]["options"], json!({"compress": "deflate"}));
        assert!(set_save_options(&mut bare, &["nonsense".into()]).is_err());
    }
}
