//! Authentication: HTTP Basic against the configured users (argon2 hashes) issues tokens; requests carry
//! `Authorization: Bearer basic//<token>`. Optionally, tokens minted by openeo-aggregator
//! (`basic//<urlsafe-base64(user id)>`) are accepted, and in fixture mode the fixed tokens of its users.

use argon2::{Argon2, PasswordHash, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

use super::{ApiError, AppState};

/// The authenticated user of a request.
pub(crate) struct AuthUser(pub(crate) String);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if header.is_empty() {
            return Err(ApiError::new(
                "AuthenticationRequired",
                "this endpoint needs authentication (Bearer basic//<token>)",
            ));
        }
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(|| ApiError::new("AuthenticationSchemeInvalid", "use a Bearer token"))?;
        let Some(basic) = token.strip_prefix("basic//") else {
            return Err(ApiError::new(
                "TokenInvalid",
                "only basic//<token> bearer tokens are accepted",
            ));
        };
        if let Some(user) = state.fixture.as_ref().and_then(|f| f.token_user(basic)) {
            return Ok(AuthUser(user.to_string()));
        }
        if let Some(user) = state.store.token_user(basic).map_err(ApiError::internal)? {
            return Ok(AuthUser(user));
        }
        if state.cfg.federation.accept_aggregator_tokens {
            let decoded = URL_SAFE.decode(basic).ok().and_then(|b| String::from_utf8(b).ok());
            if let Some(user) = decoded.filter(|u| !u.is_empty() && u.chars().all(|c| !c.is_control())) {
                return Ok(AuthUser(user));
            }
        }
        Err(ApiError::new("TokenInvalid", "the access token is invalid or expired"))
    }
}

/// Checks `Authorization: Basic …` against the configured users; returns the user id.
pub(crate) fn check_basic(state: &AppState, header: Option<&str>) -> Result<String, ApiError> {
    let value = header
        .and_then(|h| h.strip_prefix("Basic "))
        .ok_or_else(|| ApiError::new("AuthenticationRequired", "send HTTP Basic credentials"))?;
    let decoded = STANDARD
        .decode(value.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| ApiError::new("CredentialsInvalid", "malformed Basic credentials"))?;
    let (user, password) = decoded
        .split_once(':')
        .ok_or_else(|| ApiError::new("CredentialsInvalid", "malformed Basic credentials"))?;
    let ok = state.cfg.users.iter().any(|u| {
        u.name == user
            && PasswordHash::new(&u.password_hash)
                .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    });
    if ok {
        Ok(user.to_string())
    } else {
        Err(ApiError::new("CredentialsInvalid", "wrong user name or password"))
    }
}

/// An argon2id PHC hash of `password` with a random salt.
///
/// # Errors
/// Only if hashing fails.
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::PasswordHasher;
    use argon2::password_hash::SaltString;
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}
