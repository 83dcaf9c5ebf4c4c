//! `openeo-local serve`: the openEO HTTP API on axum + tokio.

mod app;
mod auth;
mod collections;
mod config;
mod error;
mod outbound;
mod signing;
mod stac;
mod state;

pub(crate) use app::MAX_BODY_BYTES;
pub use app::{app, catalog_for, serve, state};
pub use collections::Collections;
pub use config::ServerConfig;
pub use outbound::{OutboundConfig, outbound_policy};
pub use state::AppState;

pub use auth::hash_password;
pub(crate) use auth::{AuthUser, check_basic as auth_check_basic};
pub(crate) use error::{ApiError, ApiResult};
pub(crate) use signing::{LinkError, Signer};
pub(crate) use stac::{collection_stac, job_result_item, job_results_stac};
