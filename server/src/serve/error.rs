//! API errors: `{id, code, message, links}` with the status that belongs to the code.

use axum::Json;
use axum::body::{Body, HttpBody};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answered to a client.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: String,
    pub(crate) message: String,
    /// Seconds for a `Retry-After` header (busy answers).
    pub(crate) retry_after: Option<u64>,
}

/// Handler result.
pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// The HTTP status of an openEO error code.
fn status_of(code: &str) -> StatusCode {
    match code {
        "AuthenticationRequired" | "AuthenticationSchemeInvalid" | "CredentialsInvalid" => StatusCode::UNAUTHORIZED,
        "TokenInvalid" | "PermissionsInsufficient" | "ResultLinkInvalid" => StatusCode::FORBIDDEN,
        "JobNotFound" | "CollectionNotFound" | "ProcessGraphNotFound" | "NotFound" | "FileNotFound" => {
            StatusCode::NOT_FOUND
        }
        "ResultLinkExpired" => StatusCode::GONE,
        "JobFailed" => StatusCode::FAILED_DEPENDENCY,
        "FeatureUnsupported" => StatusCode::NOT_IMPLEMENTED,
        "ServiceUnavailable" | "InfrastructureBusy" => StatusCode::SERVICE_UNAVAILABLE,
        "Internal" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

impl ApiError {
    /// An error with the status of its code.
    pub(crate) fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: status_of(code),
            code: code.into(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// `503 InfrastructureBusy` with `Retry-After`: the shared budget and its queue are full.
    pub(crate) fn busy(b: &crate::admission::Busy) -> ApiError {
        ApiError {
            retry_after: Some(b.retry_after),
            ..ApiError::new(
                "InfrastructureBusy",
                format!(
                    "the server is busy: all computations and their queue are taken; retry in {} s",
                    b.retry_after
                ),
            )
        }
    }

    /// An internal error: logged in full, answered without details.
    pub(crate) fn internal(e: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {e}");
        ApiError::new("Internal", "an internal error occurred; see the server log")
    }
}

impl From<crate::RunError> for ApiError {
    fn from(e: crate::RunError) -> ApiError {
        if e.client {
            ApiError::new(&e.code, e.message)
        } else {
            ApiError::internal(e.message)
        }
    }
}

impl From<openeo_processes::Error> for ApiError {
    fn from(e: openeo_processes::Error) -> ApiError {
        crate::RunError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let id = format!("{:016x}", rand::random::<u64>());
        let mut res = (
            self.status,
            Json(json!({"id": id, "code": self.code, "message": self.message, "links": []})),
        )
            .into_response();
        if let Some(s) = self.retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(s));
        }
        res
    }
}

/// Turns every error answer that is not already an openEO error (the router's 405, the body limit's 413, the
/// extractors' 400s for malformed paths and queries) into `{id, code, message, links}` with the same status and
/// headers (a 405 keeps its `Allow`).
pub(crate) async fn openeo_errors(res: Response) -> Response {
    let status = res.status();
    // an empty body is no openEO error whatever its type (a bad Range on a JSON asset: 416, the asset's type, no body)
    let is_json = res.body().size_hint().exact() != Some(0)
        && res
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let detail = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "MethodNotAllowed",
            "the endpoint does not support this method; the Allow header lists those it does".to_string(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "PayloadTooLarge",
            format!(
                "the request body is larger than the {} MiB allowed",
                super::app::MAX_BODY_BYTES >> 20
            ),
        ),
        StatusCode::NOT_FOUND => ("NotFound", "no such endpoint".to_string()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("ContentTypeInvalid", detail),
        s if s.is_server_error() => {
            tracing::error!("internal error answered as {s}: {detail}");
            ("Internal", "an internal error occurred; see the server log".to_string())
        }
        _ if detail.is_empty() => ("BadRequest", "the request is malformed".to_string()),
        _ => ("BadRequest", format!("the request is malformed: {detail}")),
    };
    let id = format!("{:016x}", rand::random::<u64>());
    let body = json!({"id": id, "code": code, "message": message, "links": []}).to_string();
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::header::CONTENT_TYPE;
    use axum::http::{Response, StatusCode};

    use super::openeo_errors;

    /// A bad Range on a JSON result asset: the file server answers 416 with the asset's type and no body.
    #[tokio::test]
    async fn an_empty_json_typed_error_becomes_an_openeo_error() {
        let res = Response::builder()
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(CONTENT_TYPE, "application/json")
            .body(Body::empty())
            .unwrap();
        let res = openeo_errors(res).await;
        assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        let body = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(doc["code"], "BadRequest");
        assert!(doc["message"].is_string());
    }
}
