//! Running a process graph to result files: evaluate the graph into plans, then execute every `save_result`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use openeo_engine::{Catalog, ExecOptions, OutboundPolicy};
use openeo_processes::{
    Ctx, Evaluation, ProcessGraph, Registry, SaveData, SaveRequest, Value, evaluate, format_file_info, write_save,
    write_value,
};

/// Why a run failed: the openEO error code and message.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct RunError {
    /// openEO error code.
    pub code: String,
    /// Message naming the node and parameter where known.
    pub message: String,
    /// True for the user's errors (4xx), false for server failures.
    pub client: bool,
}

impl From<openeo_processes::Error> for RunError {
    fn from(e: openeo_processes::Error) -> RunError {
        RunError {
            code: e.code().to_string(),
            client: e.is_client_error(),
            message: e.to_string(),
        }
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct RunOutput {
    /// Files written, with their media types.
    pub files: Vec<(PathBuf, &'static str)>,
}

/// Evaluates `graph` into plans (no pixel is read) with the collections, processes, user-defined processes and
/// outbound policy of `ctx` (a fresh context: it collects the graph's `save_result` requests): everything that can
/// be known before reading data is checked.
///
/// # Errors
/// [`RunError`] with the openEO code of the first problem.
pub fn plan_graph(graph: &serde_json::Value, ctx: Ctx) -> Result<Evaluation, RunError> {
    let graph = ProcessGraph::from_json(graph)?;
    Ok(evaluate(&graph, &ctx)?)
}

/// A planning context for `catalog` with every process of the registry (as `openeo-local run` uses it).
pub fn standard_ctx(catalog: Arc<Catalog>, outbound: Arc<OutboundPolicy>) -> Ctx {
    Ctx::new(catalog, Registry::standard(), None).with_outbound(outbound)
}

/// The save request of a graph without `save_result`: its result cube, in the format the output file's extension
/// `ext` names (`tif`, `nc`, `geojson`, `csv`; JSON otherwise, and always for a cube without spatial dimensions).
/// `None` when the result is not a cube.
fn implicit_save(result: &Value, ext: &str) -> Option<SaveRequest> {
    let (data, format) = match result {
        Value::Cube(c) => (
            SaveData::Raster((**c).clone()),
            // a cube without spatial dimensions is written as JSON only
            match ext {
                _ if !c.meta().has_spatial_dims() => "JSON",
                "tif" | "tiff" => "GTiff",
                "nc" => "netCDF",
                "zarr" => "Zarr",
                _ => "JSON",
            },
        ),
        Value::Vector(v) => (
            SaveData::Vector(v.clone()),
            match ext {
                "geojson" => "GeoJSON",
                "csv" => "CSV",
                _ => "JSON",
            },
        ),
        _ => return None,
    };
    Some(SaveRequest {
        data,
        format: format.into(),
        options: Default::default(),
    })
}

/// The save requests of `eval`: its `save_result` calls, or its result cube saved as GTiff (rasters) or JSON.
fn saves_or_result(eval: &Evaluation) -> Vec<SaveRequest> {
    if eval.saves.is_empty() {
        implicit_save(&eval.result, "tif").into_iter().collect()
    } else {
        eval.saves.clone()
    }
}

/// Where and when the results of an evaluation lie: the WGS 84 bounding box of their grids (or geometries) and
/// the first and last instant of their temporal dimensions, known from the plans.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultExtent {
    /// West, south, east, north in WGS 84.
    pub bbox: Option<[f64; 4]>,
    /// The first and last instant (or period start).
    pub time: Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>,
}

/// The extent of `eval`'s results (see [`ResultExtent`]).
pub fn result_extent(eval: &Evaluation) -> ResultExtent {
    let mut bbox: Option<openeo_engine::Bbox> = None;
    let mut times = Vec::new();
    let wgs84 = openeo_engine::crs_from_user("EPSG:4326").ok();
    for save in saves_or_result(eval) {
        let (b, dims) = match &save.data {
            SaveData::Raster(c) => {
                let g = c.meta().grid();
                let b = wgs84
                    .as_ref()
                    .and_then(|w| openeo_engine::transform_bbox(&g.bounds(), &g.crs, w).ok());
                (b, c.meta().dims().to_vec())
            }
            SaveData::Vector(v) => {
                let b = v.cube.geometries().iter().map(|g| g.bbox()).reduce(|a, b| a.union(&b));
                (b, v.cube.dims().to_vec())
            }
        };
        if let Some(b) = b {
            bbox = Some(bbox.map_or(b, |a| a.union(&b)));
        }
        for d in dims {
            times.extend(d.labels().instants().unwrap_or_default());
        }
    }
    ResultExtent {
        bbox: bbox.map(|b| [b.west, b.south, b.east, b.north]),
        time: times.iter().min().zip(times.iter().max()).map(|(a, b)| (*a, *b)),
    }
}

/// Number of values (pixels × other labels, or geometries × labels) the evaluation's results hold.
pub fn result_values(eval: &Evaluation) -> f64 {
    saves_or_result(eval).iter().map(|s| s.data.value_count()).sum()
}

/// How many files [`write_results`] will write for `eval` (GTiff when the graph has no `save_result`), known from
/// the plans before anything is computed.
///
/// # Errors
/// [`RunError`] for an unsupported format.
pub fn result_file_count(eval: &Evaluation) -> Result<usize, RunError> {
    let saves = saves_or_result(eval);
    if saves.is_empty() {
        return Ok(1);
    }
    let mut n = 0;
    for s in &saves {
        n += match &s.data {
            SaveData::Raster(c) => openeo_processes::file_count(c, &s.format)?,
            SaveData::Vector(_) => 1,
        };
    }
    Ok(n)
}

/// Refuses results that are directories (Zarr stores) where one file is answered (synchronous processing).
///
/// # Errors
/// [`RunError`] `FormatUnsupported`.
pub fn refuse_directories(eval: &Evaluation) -> Result<(), RunError> {
    if saves_or_result(eval)
        .iter()
        .any(|s| s.format.eq_ignore_ascii_case("zarr"))
    {
        return Err(RunError {
            code: "FormatUnsupported".into(),
            message: "Zarr output is a directory of files, which a synchronous answer cannot hold: run it as a batch \
                      job (its results list the store as one asset) or with `openeo-local run`"
                .into(),
            client: true,
        });
    }
    Ok(())
}

/// Writes the results of `eval` to `output` (its extension picks the format when the graph has no
/// `save_result`). Several `save_result` nodes get `output` with `_1`, `_2`… appended.
///
/// # Errors
/// [`RunError`] with the openEO code of the first failure.
pub fn write_results(eval: Evaluation, output: &Path, opts: &ExecOptions) -> Result<RunOutput, RunError> {
    let mut saves = eval.saves;
    if saves.is_empty() {
        let ext = output
            .extension()
            .map(|e| e.to_string_lossy().to_string())
            .unwrap_or_else(|| "json".into());
        match implicit_save(&eval.result, &ext) {
            Some(save) => saves.push(save),
            None => {
                let path = output.with_extension("json");
                write_value(&eval.result, &path)?;
                return Ok(RunOutput {
                    files: vec![(path, "application/json")],
                });
            }
        }
    }
    let many = saves.len() > 1;
    let mut files = Vec::new();
    for (i, save) in saves.iter().enumerate() {
        let (ext, media) = format_file_info(&save.format)?;
        let stem = output
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "result".into());
        let name = if many {
            format!("{stem}_{}.{ext}", i + 1)
        } else {
            format!("{stem}.{ext}")
        };
        let path = output.with_file_name(name);
        for f in write_save(save, &path, opts)? {
            files.push((f, media));
        }
    }
    Ok(RunOutput { files })
}

/// [`plan_graph`] then [`write_results`].
///
/// # Errors
/// [`RunError`] with the openEO code of the first failure.
pub fn run_graph(
    graph: &serde_json::Value,
    ctx: Ctx,
    output: &Path,
    opts: &ExecOptions,
) -> Result<RunOutput, RunError> {
    let eval = plan_graph(graph, ctx)?;
    tracing::debug!("process graph planned");
    write_results(eval, output, opts)
}
