//! `POST /result`: synchronous processing. The plan is checked first (size limit → `ProcessGraphComplexity`),
//! then the computation waits for a worker slot, so requests beyond the slots queue instead of using memory.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use openeo_engine::ExecOptions;

use super::{checked_process, parse_json};
use crate::serve::{ApiError, ApiResult, AppState, AuthUser};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/result", post(result))
}

async fn result(State(s): State<AppState>, AuthUser(user): AuthUser, body: Bytes) -> ApiResult<Response> {
    let body = parse_json(&body)?;
    let process = checked_process(&s, &user, &body).await?;
    let graph = serde_json::json!({"process": process});
    let ctx = s.ctx(&user).await?;
    let eval = tokio::task::spawn_blocking(move || crate::plan_graph(&graph, ctx))
        .await
        .map_err(ApiError::internal)??;
    let values = crate::result_values(&eval) / 1e6;
    if values > s.cfg.sync_max_megavalues {
        return Err(ApiError::new(
            "ProcessGraphComplexity",
            format!(
                "the result has {values:.0} million values, more than the {} million allowed for synchronous processing; use a batch job",
                s.cfg.sync_max_megavalues
            ),
        ));
    }
    crate::refuse_directories(&eval)?;
    let files = crate::result_file_count(&eval)?;
    if files != 1 {
        return Err(ApiError::new(
            "FeatureUnsupported",
            format!(
                "the result would be {files} files (GeoTIFF with a temporal dimension gives one file per date); use netCDF, reduce the time dimension, or a batch job"
            ),
        ));
    }
    let _reservation = s
        .runner
        .admission()
        .admit_sync()
        .await
        .map_err(|b| ApiError::busy(&b))?;
    let dir = s.tmp_dir.join(format!("sync-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).map_err(ApiError::internal)?;
    let budget = s.cfg.memory_budget_mib << 20;
    let out = dir.join("result.tif");
    let written = tokio::task::spawn_blocking(move || {
        crate::write_results(
            eval,
            &out,
            &ExecOptions {
                memory_budget: Some(budget),
                ..Default::default()
            },
        )
    })
    .await
    .map_err(ApiError::internal);
    // the open file stays readable after its directory is removed, so the answer streams from disk
    let file = match written {
        Ok(Ok(o)) => match o.files.first() {
            Some((path, media)) => Ok((tokio::fs::File::open(path).await.map_err(ApiError::internal), *media)),
            None => Err(ApiError::internal("the computation wrote no file")),
        },
        Ok(Err(e)) => Err(e.into()),
        Err(e) => Err(e),
    };
    let _ = tokio::fs::remove_dir_all(&dir).await;
    let (file, media) = file?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file?));
    Ok(([(CONTENT_TYPE, media)], body).into_response())
}
