//! Batch jobs: `/jobs`, `/jobs/{id}`, `/jobs/{id}/results` (start, STAC results, cancel), `/jobs/{id}/logs`, and
//! the signed result links `/jobs/{id}/results/{signature}[/{file}]` that answer without authentication (`{file}`
//! may be a file inside a Zarr store result, `openEO.zarr/B04/c/0/0/0`).

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{checked_process, parse_object};
use crate::fixture::JobOp;
use crate::jobs::{Job, JobStatus, Runner, results_dir};
use crate::serve::{ApiError, ApiResult, AppState, AuthUser, job_result_item, job_results_stac};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(list).post(create))
        .route("/jobs/{id}", get(describe).patch(update).delete(delete))
        .route("/jobs/{id}/results", get(results).post(start).delete(cancel))
        .route("/jobs/{id}/logs", get(logs))
        .route("/jobs/{id}/estimate", get(estimate))
        .route("/jobs/{id}/results/{signed}", get(signed_results))
        .route("/jobs/{id}/results/{signed}/{*file}", get(signed_asset))
        .route("/jobs/{id}/results/{signed}/items/{name}", get(signed_item))
}

fn not_found(id: &str) -> ApiError {
    ApiError::new("JobNotFound", format!("job '{id}' does not exist"))
}

fn job_of(s: &AppState, id: &str, user: &str) -> ApiResult<Job> {
    s.store
        .job(id, Some(user))
        .map_err(ApiError::internal)?
        .ok_or_else(|| not_found(id))
}

fn summary(j: &Job) -> Value {
    let mut v = json!({
        "id": j.id, "title": j.title, "description": j.description, "status": j.status.as_str(),
        "progress": j.progress, "created": j.created, "updated": j.updated,
    });
    if let Some(c) = j.cpu_seconds {
        v["usage"] = json!({"duration": {"value": (c * 1000.0).round() / 1000.0, "unit": "seconds"}});
    }
    if let Some(o) = v.as_object_mut() {
        o.retain(|_, x| !x.is_null());
    }
    v
}

async fn list(State(s): State<AppState>, AuthUser(user): AuthUser) -> ApiResult<Json<Value>> {
    let jobs: Vec<Value> = s
        .store
        .jobs_of(&user)
        .map_err(ApiError::internal)?
        .iter()
        .map(summary)
        .collect();
    Ok(Json(json!({"jobs": jobs, "links": []})))
}

async fn create(State(s): State<AppState>, AuthUser(user): AuthUser, body: Bytes) -> ApiResult<Response> {
    let body = parse_object(&body, &["title", "description"])?;
    let process = checked_process(&s, &user, &body).await?;
    fixture_failure(&s, JobOp::Create)?;
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(String::from);
    let now = crate::jobs::now();
    let job = Job {
        id: new_job_id(&s)?,
        user,
        title: text("title"),
        description: text("description"),
        process,
        status: JobStatus::Created,
        progress: 0.0,
        created: now.clone(),
        updated: now,
        results: None,
        cpu_seconds: None,
    };
    s.store.insert_job(&job).map_err(ApiError::internal)?;
    let location = format!("{}/jobs/{}", s.api_url, job.id);
    Ok((
        StatusCode::CREATED,
        [
            (LOCATION, location),
            ("OpenEO-Identifier".parse().map_err(ApiError::internal)?, job.id.clone()),
        ],
    )
        .into_response())
}

/// A new job id: random, or from the fixture's template (skipping ids that exist).
fn new_job_id(s: &AppState) -> ApiResult<String> {
    let Some(fx) = &s.fixture else {
        return Ok(format!("j-{:016x}", rand::random::<u64>()));
    };
    loop {
        let Some(id) = fx.job_id() else {
            return Ok(format!("j-{:016x}", rand::random::<u64>()));
        };
        if s.store.job(&id, None).map_err(ApiError::internal)?.is_none() {
            return Ok(id);
        }
    }
}

/// The failure the fixture's controller asks `op` to answer, if any.
fn fixture_failure(s: &AppState, op: JobOp) -> ApiResult<()> {
    let Some(f) = s.fixture.as_ref().and_then(|f| f.faults.take_job_failure(op)) else {
        return Ok(());
    };
    Err(ApiError {
        status: StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        message: f
            .message
            .unwrap_or_else(|| format!("the fixture makes this job {op:?} fail").to_lowercase()),
        code: f.code,
        retry_after: None,
    })
}

async fn describe(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let j = job_of(&s, &id, &user)?;
    let mut v = summary(&j);
    v["process"] = j.process.clone();
    Ok(Json(v))
}

async fn update(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let j = job_of(&s, &id, &user)?;
    if matches!(j.status, JobStatus::Queued | JobStatus::Running) {
        return Err(ApiError::new("JobLocked", "a queued or running job cannot be modified"));
    }
    let body = parse_object(&body, &["title", "description"])?;
    let process = if body.get("process").is_some() {
        Some(checked_process(&s, &user, &body).await?)
    } else {
        None
    };
    let text = |k: &str| body.get(k).and_then(Value::as_str);
    s.store
        .update_meta(&id, text("title"), text("description"), process.as_ref())
        .map_err(ApiError::internal)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete(State(s): State<AppState>, AuthUser(user): AuthUser, Path(id): Path<String>) -> ApiResult<StatusCode> {
    job_of(&s, &id, &user)?;
    s.runner.cancel(&id);
    s.store.delete_job(&id).map_err(ApiError::internal)?;
    let dir = s.jobs_dir.join(&id);
    let _ = tokio::fs::remove_dir_all(dir).await;
    if let Some(bucket) = &s.cfg.results_location {
        let prefix = format!("{bucket}/{id}");
        let failure = match tokio::task::spawn_blocking(move || openeo_engine::delete_prefix(&prefix)).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(e) => Some(e.to_string()),
        };
        if let Some(e) = failure {
            tracing::warn!("the results of deleted job {id} stay in the bucket: {e}");
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn start(State(s): State<AppState>, AuthUser(user): AuthUser, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let j = job_of(&s, &id, &user)?;
    if matches!(j.status, JobStatus::Queued | JobStatus::Running) {
        return Ok(StatusCode::ACCEPTED);
    }
    fixture_failure(&s, JobOp::Start)?;
    s.runner.has_room().map_err(|b| ApiError::busy(&b))?;
    s.store.set_progress(&id, 0.0).map_err(ApiError::internal)?;
    s.store
        .transition(&id, JobStatus::Queued, &[], "info", None, "the job was queued")
        .map_err(ApiError::internal)?;
    Runner::start(&s, id, user, j.process);
    Ok(StatusCode::ACCEPTED)
}

async fn cancel(State(s): State<AppState>, AuthUser(user): AuthUser, Path(id): Path<String>) -> ApiResult<StatusCode> {
    job_of(&s, &id, &user)?;
    s.runner.cancel(&id);
    s.store
        .transition(
            &id,
            JobStatus::Canceled,
            &[JobStatus::Queued],
            "info",
            None,
            "the job was canceled before it started",
        )
        .map_err(ApiError::internal)?;
    Ok(StatusCode::NO_CONTENT)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn partial(q: &HashMap<String, String>) -> bool {
    q.get("partial").is_some_and(|v| v == "true" || v == "1")
}

/// The results document of `j`, or the error its status calls for.
fn results_doc(s: &AppState, j: &Job, partial: bool) -> ApiResult<Json<Value>> {
    match j.status {
        JobStatus::Finished => {}
        JobStatus::Error if !partial => {
            return Err(ApiError::new(
                "JobFailed",
                format!("job '{}' failed; see its logs", j.id),
            ));
        }
        _ if !partial => {
            return Err(ApiError::new(
                "JobNotFinished",
                format!("job '{}' is {}", j.id, j.status.as_str()),
            ));
        }
        _ => {}
    }
    // Partial (canonical) links live as long as the job; finished-result links expire.
    let expires = if partial {
        0
    } else {
        unix_now() + s.cfg.result_link_hours * 3600
    };
    let signed = s.signer.sign(&j.id, &j.user, expires);
    Ok(Json(job_results_stac(s, j, &signed, expires, partial)))
}

async fn results(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let j = job_of(&s, &id, &user)?;
    // downloads are free: the owner pays nothing
    Ok(([("OpenEO-Costs", "0")], results_doc(&s, &j, partial(&q))?).into_response())
}

/// The job behind a signed link, or 404/403/410.
fn signed_job(s: &AppState, id: &str, signed: &str) -> ApiResult<Job> {
    let j = s
        .store
        .job(id, None)
        .map_err(ApiError::internal)?
        .ok_or_else(|| not_found(id))?;
    match s.signer.verify(&j.id, &j.user, signed, unix_now()) {
        Ok(()) => Ok(j),
        Err(crate::serve::LinkError::Expired) => {
            Err(ApiError::new("ResultLinkExpired", "the signed result link has expired"))
        }
        Err(crate::serve::LinkError::Invalid) => Err(ApiError::new(
            "ResultLinkInvalid",
            "the signature of the result link is invalid",
        )),
    }
}

async fn signed_results(
    State(s): State<AppState>,
    Path((id, signed)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let j = signed_job(&s, &id, &signed)?;
    results_doc(&s, &j, partial(&q) || signed.starts_with("0."))
}

async fn signed_asset(
    State(s): State<AppState>,
    Path((id, signed, file)): Path<(String, String, String)>,
    req: Request<Body>,
) -> ApiResult<Response> {
    let j = signed_job(&s, &id, &signed)?;
    if j.status != JobStatus::Finished {
        return Err(ApiError::new(
            "JobNotFinished",
            format!("job '{id}' has no results yet"),
        ));
    }
    // a result file, or a file inside a result that is a directory (a Zarr store)
    let mut segments = file.split('/');
    let asset = segments.next().unwrap_or_default();
    let inner: Vec<&str> = segments.collect();
    let listed = j
        .results
        .as_ref()
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find(|x| x.get("name").and_then(Value::as_str) == Some(asset)));
    let valid = |seg: &str| !seg.is_empty() && !seg.starts_with('.') && !seg.contains('\\');
    if listed.is_none() || !valid(asset) || !inner.iter().all(|seg| valid(seg)) {
        return Err(ApiError::new(
            "FileNotFound",
            format!("job '{id}' has no result file '{file}'"),
        ));
    }
    let media = if inner.is_empty() {
        listed
            .and_then(|x| x.get("type").and_then(Value::as_str))
            .unwrap_or("application/octet-stream")
    } else if inner.last().is_some_and(|f| f.ends_with(".json")) {
        "application/json"
    } else {
        "application/octet-stream"
    }
    .to_string();
    if let Some(stored) = listed.and_then(|x| x.get("stored")).and_then(Value::as_str) {
        let location = std::iter::once(stored)
            .chain(inner.iter().copied())
            .collect::<Vec<_>>()
            .join("/");
        let range = req
            .headers()
            .get(axum::http::header::RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("bytes="))
            .filter(|v| !v.contains(','))
            .map(str::to_string);
        return stored_asset(&s, location, range, &media).await;
    }
    let path = results_dir(&s.jobs_dir, &id).join(&file);
    if !path.is_file() {
        return Err(ApiError::new(
            "FileNotFound",
            format!("job '{id}' has no result file '{file}'"),
        ));
    }
    let serve = tower_http::services::ServeFile::new_with_mime(&path, &media.parse().map_err(ApiError::internal)?);
    let resp = serve.oneshot(req).await.map_err(ApiError::internal)?;
    Ok(resp.map(Body::new))
}

/// Answers a request for a result kept in the bucket, of type `media`: the object streamed, or the byte range
/// `range` of the request's `Range: bytes=…` (`a-b`, `a-` or `-n`; one range).
async fn stored_asset(s: &AppState, location: String, range: Option<String>, media: &str) -> ApiResult<Response> {
    let catalog = s.catalog.clone();
    let streamed = tokio::task::spawn_blocking(move || {
        // the storage settings come with the collections
        let _ = catalog.wait();
        let mut partial = false;
        let streamed = openeo_engine::stream_object(&location, |size| {
            let (a, b) = range.as_deref()?.split_once('-')?;
            let wanted = match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
                (Some(a), Some(b)) => a..b.saturating_add(1),
                (Some(a), None) => a..size,
                (None, Some(n)) => size.saturating_sub(n)..size,
                (None, None) => return None,
            };
            partial = true;
            Some(wanted)
        });
        streamed.map(|s| (s, partial))
    })
    .await
    .map_err(ApiError::internal)?;
    let ((size, served, body), partial) = streamed.map_err(|e| {
        ApiError::new(
            "FileNotFound",
            format!("the result file cannot be read from the bucket: {e}"),
        )
    })?;
    let mut resp = Response::builder()
        .header(axum::http::header::CONTENT_TYPE, media)
        .header(axum::http::header::ACCEPT_RANGES, "bytes")
        .header(axum::http::header::CONTENT_LENGTH, served.end - served.start);
    resp = if partial {
        resp.status(StatusCode::PARTIAL_CONTENT).header(
            axum::http::header::CONTENT_RANGE,
            format!("bytes {}-{}/{size}", served.start, served.end.saturating_sub(1)),
        )
    } else {
        resp.status(StatusCode::OK)
    };
    resp.body(Body::from_stream(body)).map_err(ApiError::internal)
}

async fn logs(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    job_of(&s, &id, &user)?;
    let offset = q.get("offset").and_then(|o| o.parse::<i64>().ok());
    let min = crate::jobs::level_rank(q.get("level").map_or("debug", String::as_str));
    let entries: Vec<Value> = s
        .store
        .logs(&id, offset, min)
        .map_err(ApiError::internal)?
        .into_iter()
        .map(|e| {
            let mut v = json!({"id": e.seq.to_string(), "level": e.level, "message": e.message, "time": e.time});
            if let Some(code) = e.code {
                v["code"] = json!(code);
            }
            v
        })
        .collect();
    Ok(Json(json!({"logs": entries, "links": []})))
}

/// An estimate from the plan: the size of the results (values × 4 bytes, Float32); no costs are charged.
async fn estimate(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let j = job_of(&s, &id, &user)?;
    let graph = json!({"process": j.process});
    let ctx = s.ctx(&user).await?;
    let eval = tokio::task::spawn_blocking(move || crate::plan_graph(&graph, ctx))
        .await
        .map_err(ApiError::internal)??;
    let bytes = (crate::result_values(&eval) * 4.0).round() as u64;
    Ok(Json(json!({"costs": 0, "size": bytes})))
}

async fn signed_item(
    State(s): State<AppState>,
    Path((id, signed, name)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    let j = signed_job(&s, &id, &signed)?;
    if j.status != JobStatus::Finished {
        return Err(ApiError::new(
            "JobNotFinished",
            format!("job '{id}' has no results yet"),
        ));
    }
    job_result_item(&s, &j, &signed, &name)
        .map(Json)
        .ok_or_else(|| ApiError::new("FileNotFound", format!("job '{id}' has no result file '{name}'")))
}
