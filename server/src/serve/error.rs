//! API errors: `{id, code, message, links}` with the status that belongs to the code.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answered to a client.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: String,
    pub(crate) message: String,
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
        "ServiceUnavailable" => StatusCode::SERVICE_UNAVAILABLE,
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let id = format!("{:016x}", rand::random::<u64>());
        (
            self.status,
            Json(json!({"id": id, "code": self.code, "message": self.message, "links": []})),
        )
            .into_response()
    }
}
