//! The job runner: starts jobs on a bounded number of worker slots (shared with sync requests), reports progress,
//! cancels, and publishes results atomically (written to a temporary directory, renamed when complete).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use openeo_engine::{ExecOptions, Progress};
use serde_json::{Value, json};

use super::{JobStatus, Store};
use crate::admission::{Admission, Busy};
use crate::serve::AppState;

/// The shared budget and the cancel flags of queued and running jobs.
pub(crate) struct Runner {
    admission: Arc<Admission>,
    cancels: Mutex<HashMap<String, Arc<AtomicBool>>>,
    max_jobs: usize,
}

struct JobProgress {
    store: Arc<Store>,
    job: String,
    last: Mutex<f64>,
}

impl Progress for JobProgress {
    fn tiles_done(&self, done: usize, total: usize) {
        let p = (100.0 * done as f64 / total.max(1) as f64).floor();
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if p >= *last + 1.0 {
            *last = p;
            let _ = self.store.set_progress(&self.job, p.min(99.0));
        }
    }
}

impl Runner {
    /// A runner over `admission` that lets at most `max_jobs` jobs be queued or running.
    pub(crate) fn new(admission: Arc<Admission>, max_jobs: usize) -> Runner {
        Runner {
            admission,
            cancels: Mutex::new(HashMap::new()),
            max_jobs,
        }
    }

    /// The budget shared by sync requests and jobs.
    pub(crate) fn admission(&self) -> &Admission {
        &self.admission
    }

    /// Refuses another job when `max_jobs` are already queued or running.
    ///
    /// # Errors
    /// [`Busy`] when the queue is full.
    pub(crate) fn has_room(&self) -> Result<(), Busy> {
        let active = self
            .cancels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len();
        if active >= self.max_jobs {
            Err(Busy { retry_after: 30 })
        } else {
            Ok(())
        }
    }

    fn flag(&self, id: &str) -> Arc<AtomicBool> {
        let mut m = self.cancels.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        m.entry(id.to_string())
            .or_insert_with(|| Arc::new(AtomicBool::new(false)))
            .clone()
    }

    fn forget(&self, id: &str) {
        self.cancels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id);
    }

    /// Asks a queued or running job to stop.
    pub(crate) fn cancel(&self, id: &str) {
        if let Some(f) = self
            .cancels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(id)
        {
            f.store(true, Ordering::Relaxed);
        }
    }

    /// Queues job `id` of `user` and runs it when a slot is free.
    pub(crate) fn start(state: &AppState, id: String, user: String, process: Value) {
        let flag = state.runner.flag(&id);
        flag.store(false, Ordering::Relaxed);
        let state = state.clone();
        tokio::spawn(async move {
            // remote branches become partial jobs on their back-ends, read back with load_stac
            let process = match federate(&state, &id, process).await {
                Ok(p) => p,
                Err(message) => {
                    let _ = state.store.transition(
                        &id,
                        JobStatus::Error,
                        &[JobStatus::Queued],
                        "error",
                        Some("PartialJobFailed"),
                        &message,
                    );
                    state.runner.forget(&id);
                    return;
                }
            };
            // dependencies are awaited before taking a worker slot, so a job never blocks the job it waits for
            if let Err(message) = wait_for_dependencies(&state, &id, &process, &flag).await {
                let status = if flag.load(Ordering::Relaxed) {
                    JobStatus::Canceled
                } else {
                    JobStatus::Error
                };
                let (level, code) = match status {
                    JobStatus::Error => ("error", Some("DependencyFailed")),
                    _ => ("info", None),
                };
                let _ = state
                    .store
                    .transition(&id, status, &[JobStatus::Queued], level, code, &message);
                state.runner.forget(&id);
                return;
            }
            let Some(_reservation) = state.runner.admission.admit().await else {
                return;
            };
            if flag.load(Ordering::Relaxed) {
                state.runner.forget(&id);
                return;
            }
            if !state
                .store
                .transition(
                    &id,
                    JobStatus::Running,
                    &[JobStatus::Queued],
                    "info",
                    None,
                    "the job started",
                )
                .unwrap_or(false)
            {
                state.runner.forget(&id);
                return;
            }
            let st = state.clone();
            let (jid, f) = (id.clone(), flag.clone());
            let outcome = tokio::task::spawn_blocking(move || execute(&st, &jid, &user, &process, f)).await;
            let canceled = flag.load(Ordering::Relaxed);
            match outcome {
                Ok(Ok(())) => {
                    let _ = state.store.transition(
                        &id,
                        JobStatus::Finished,
                        &[JobStatus::Running],
                        "info",
                        None,
                        "the job finished",
                    );
                }
                Ok(Err(_)) | Err(_) if canceled => {
                    let _ = state.store.transition(
                        &id,
                        JobStatus::Canceled,
                        &[JobStatus::Running],
                        "info",
                        None,
                        "the job was canceled",
                    );
                }
                Ok(Err(e)) => {
                    let _ = state.store.transition(
                        &id,
                        JobStatus::Error,
                        &[JobStatus::Running],
                        "error",
                        Some(&e.code),
                        &format!("{}: {}", e.code, e.message),
                    );
                }
                Err(e) => {
                    tracing::error!("job {id}: the computation stopped unexpectedly: {e}");
                    let _ = state.store.transition(
                        &id,
                        JobStatus::Error,
                        &[JobStatus::Running],
                        "error",
                        Some("Internal"),
                        "the computation stopped unexpectedly; see the server log",
                    );
                }
            }
            state.runner.forget(&id);
        });
    }
}

/// Cuts the graph when it uses collections of remote back-ends: creates and starts the partial jobs there and
/// returns the local graph (unchanged without remote parts). Every partial job is logged.
pub(crate) async fn federate(state: &AppState, id: &str, process: Value) -> Result<Value, String> {
    if !state.federation.enabled() {
        return Ok(process);
    }
    let fed = state.federation.clone();
    let catalog = state.catalog.get().await.map_err(|e| e.message)?;
    let title = format!("openeo-local job {id}");
    let (local, jobs) =
        tokio::task::spawn_blocking(move || crate::federation::split_graph(&fed, &catalog, &process, &title))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("creating a partial job failed: {e}"))?;
    for j in &jobs {
        state.store.log(
            id,
            "info",
            &format!(
                "partial job {} on back-end {} computes node '{}'; results: {}",
                j.job_id, j.remote, j.node, j.url
            ),
        );
    }
    Ok(local)
}

/// The `url` of every `load_stac` node of the graph.
fn load_stac_urls(process: &Value) -> Vec<String> {
    process
        .get("process_graph")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|g| g.values())
        .filter(|n| n.get("process_id").and_then(Value::as_str) == Some("load_stac"))
        .filter_map(|n| n.pointer("/arguments/url").and_then(Value::as_str).map(String::from))
        .collect()
}

/// Polls every `load_stac` URL while its root `openeo:status` is `running`; `error`/`canceled` fail the job,
/// `finished` or no status proceed. Gives up after the configured maximum wait. The URLs are read through the
/// server's outbound policy, so a refused URL fails the job before anything is fetched.
async fn wait_for_dependencies(state: &AppState, id: &str, process: &Value, cancel: &AtomicBool) -> Result<(), String> {
    let poll = std::time::Duration::from_secs_f64(state.cfg.dependency_poll_seconds.max(0.05));
    let deadline = Instant::now() + std::time::Duration::from_secs_f64(state.cfg.dependency_max_wait_seconds.max(0.0));
    for url in load_stac_urls(process) {
        let mut logged = false;
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err("the job was canceled while waiting for its dependencies".into());
            }
            let (u, outbound) = (url.clone(), state.outbound.clone());
            let fetched = tokio::task::spawn_blocking(move || outbound.fetch_text(&u))
                .await
                .map_err(|e| e.to_string())?;
            let status = match fetched {
                Ok(text) => serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|d| d.get("openeo:status").and_then(Value::as_str).map(String::from)),
                Err(e) => return Err(format!("dependency {url} cannot be read: {e}")),
            };
            match status.as_deref() {
                Some("running") => {
                    if Instant::now() >= deadline {
                        return Err(format!(
                            "dependency {url} did not finish within {} s",
                            state.cfg.dependency_max_wait_seconds
                        ));
                    }
                    if !logged {
                        state
                            .store
                            .log(id, "info", &format!("waiting for dependency {url} (status running)"));
                        logged = true;
                    }
                    tokio::time::sleep(poll).await;
                }
                Some(s @ ("error" | "canceled")) => return Err(format!("dependency {url} ended with status {s}")),
                _ => {
                    if logged {
                        state.store.log(id, "info", &format!("dependency {url} is finished"));
                    }
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Runs the job's graph into a temporary directory and publishes it as the job's results directory: the files
/// and the directory are flushed to disk before the rename, and the rename before the database says `finished`.
fn execute(
    state: &AppState,
    id: &str,
    user: &str,
    process: &Value,
    cancel: Arc<AtomicBool>,
) -> Result<(), crate::RunError> {
    let t0 = Instant::now();
    let storage = |what: &str, e: &dyn std::fmt::Display| crate::RunError {
        code: "StorageFailure".into(),
        message: format!("{what}: {e}"),
        client: false,
    };
    let dir = state.jobs_dir.join(id);
    let tmp = dir.join(PARTIAL_RESULTS);
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| storage("cannot create the results directory", &e))?;
    let opts = ExecOptions {
        memory_budget: Some(state.cfg.memory_budget_mib << 20),
        cancel: Some(cancel),
        progress: Some(Arc::new(JobProgress {
            store: state.store.clone(),
            job: id.to_string(),
            last: Mutex::new(0.0),
        })),
        stats: None,
    };
    let graph = json!({"process": process});
    let catalog = state.catalog.wait().map_err(|e| crate::RunError {
        code: "ServiceUnavailable".into(),
        message: format!("the collections are not available: {e}"),
        client: false,
    })?;
    let eval = crate::plan_graph(&graph, state.ctx_with(user, catalog))?;
    let extent = crate::result_extent(&eval);
    let out = crate::write_results(eval, &tmp.join("openEO.tif"), &opts)?;
    let mut assets: Vec<Value> = out
        .files
        .iter()
        .map(|(p, media)| with_extent(asset_info(p, media), &extent))
        .collect();
    if let Some(bucket) = &state.cfg.results_location {
        // kept in the bucket only: uploaded before the job is recorded as finished
        let prefix = format!("{bucket}/{id}");
        upload_dir(&tmp, &prefix).map_err(|e| storage("cannot store the results in the bucket", &e))?;
        for a in &mut assets {
            let name = a.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
            a["stored"] = json!(format!("{prefix}/{name}"));
        }
        let _ = std::fs::remove_dir_all(&tmp);
    } else {
        sync_dir(&tmp, true).map_err(|e| storage("cannot flush the results", &e))?;
        let results = dir.join("results");
        let _ = std::fs::remove_dir_all(&results);
        std::fs::rename(&tmp, &results).map_err(|e| storage("cannot publish the results", &e))?;
        sync_dir(&dir, false).map_err(|e| storage("cannot flush the results", &e))?;
    }
    state
        .store
        .set_results(id, &Value::Array(assets), t0.elapsed().as_secs_f64())
        .map_err(|e| storage("cannot record the results", &e))?;
    Ok(())
}

/// Uploads every file under `dir` (directories such as Zarr stores included) to `prefix/{relative path}`.
fn upload_dir(dir: &Path, prefix: &str) -> openeo_engine::Result<()> {
    let io = |source| openeo_engine::Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().to_string())
                    .collect();
                openeo_engine::upload_file(&path, &format!("{prefix}/{}", rel.join("/")))?;
            }
        }
    }
    Ok(())
}

/// The name of the directory a job writes its results to before they are published (removed at start-up).
pub(crate) const PARTIAL_RESULTS: &str = ".results.part";

/// Flushes a directory entry list to disk, and with `files` every file in it, also those inside its directories
/// (Zarr stores).
fn sync_dir(dir: &Path, files: bool) -> std::io::Result<()> {
    if files {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_file() {
                std::fs::File::open(&path)?.sync_all()?;
            } else if path.is_dir() {
                sync_dir(&path, true)?;
            }
        }
    }
    std::fs::File::open(dir)?.sync_all()
}

/// Asset metadata of one result file, read back from its header.
fn asset_info(path: &Path, media: &str) -> Value {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let media = if media.starts_with("image/tiff") {
        "image/tiff; application=geotiff"
    } else {
        media
    };
    let mut v = json!({"name": name, "type": media});
    let gdal_name = if media == "application/x-netcdf" {
        // first variable
        openeo_engine::read_info(&path.to_string_lossy())
            .ok()
            .and_then(|i| i.subdatasets.first().map(|s| s.0.clone()))
    } else if media.starts_with("image/tiff") {
        Some(path.to_string_lossy().to_string())
    } else {
        None
    };
    if let Some(info) = gdal_name.and_then(|n| openeo_engine::read_info(&n).ok()) {
        let g = &info.grid;
        let b = g.bounds();
        if let Some(e) = g.crs.epsg() {
            v["proj:epsg"] = json!(e);
        }
        v["proj:shape"] = json!([g.height, g.width]);
        v["proj:bbox"] = json!([b.west, b.south, b.east, b.north]);
        if let Ok(w) =
            openeo_engine::crs_from_user("EPSG:4326").and_then(|wgs| openeo_engine::transform_bbox(&b, &g.crs, &wgs))
        {
            v["bbox_wgs84"] = json!([w.west, w.south, w.east, w.north]);
        }
        let names: Vec<Value> = info.band_names.iter().flatten().map(|n| json!({"name": n})).collect();
        if !names.is_empty() {
            v["eo:bands"] = json!(names);
        }
        if let Some(t) = info.datetime {
            v["datetime"] = json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        }
    }
    v
}

/// An asset's description completed from the plan where reading the file back gave nothing: its WGS 84 bounding
/// box, and the time span of the results when the file has no single date.
fn with_extent(mut asset: Value, extent: &crate::ResultExtent) -> Value {
    if asset.get("bbox_wgs84").is_none()
        && let Some(b) = extent.bbox
    {
        asset["bbox_wgs84"] = json!(b);
    }
    if asset.get("datetime").is_none()
        && let Some((start, end)) = extent.time
    {
        let text = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        asset["start_datetime"] = json!(text(start));
        asset["end_datetime"] = json!(text(end));
    }
    asset
}

/// The results directory of a job.
pub(crate) fn results_dir(jobs_dir: &Path, id: &str) -> PathBuf {
    jobs_dir.join(id).join("results")
}
