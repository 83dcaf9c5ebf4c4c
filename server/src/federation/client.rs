//! A small blocking openEO client for remote back-ends (HTTP Basic login, JSON requests).

use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::RemoteConfig;

/// One remote back-end.
pub(crate) struct Client {
    cfg: RemoteConfig,
    token: Mutex<Option<String>>,
    agent: ureq::Agent,
}

impl Client {
    pub(crate) fn new(cfg: RemoteConfig) -> Client {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            cfg,
            token: Mutex::new(None),
            agent,
        }
    }

    pub(crate) fn id(&self) -> &str {
        &self.cfg.id
    }

    pub(crate) fn url(&self) -> &str {
        self.cfg.url.trim_end_matches('/')
    }

    /// The bearer token, logging in with HTTP Basic on first use.
    fn bearer(&self) -> Result<Option<String>, String> {
        let (Some(user), Some(pw)) = (&self.cfg.user, &self.cfg.password) else {
            return Ok(None);
        };
        let mut t = self.token.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if t.is_none() {
            let basic = STANDARD.encode(format!("{user}:{pw}"));
            let mut resp = self
                .agent
                .get(format!("{}/credentials/basic", self.url()))
                .header("Authorization", format!("Basic {basic}"))
                .call()
                .map_err(|e| e.to_string())?;
            let doc: Value = resp.body_mut().read_json().map_err(|e| e.to_string())?;
            let token = doc
                .get("access_token")
                .and_then(Value::as_str)
                .ok_or("login failed: no access_token")?;
            *t = Some(format!("Bearer basic//{token}"));
        }
        Ok(t.clone())
    }

    fn check(&self, path: &str, mut resp: ureq::http::Response<ureq::Body>) -> Result<(Value, Option<String>), String> {
        let status = resp.status().as_u16();
        let id = resp
            .headers()
            .get("OpenEO-Identifier")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        let doc: Value = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&body).unwrap_or(Value::String(body))
        };
        if status >= 400 {
            let code = doc.get("code").and_then(Value::as_str).unwrap_or("Error");
            let msg = doc.get("message").and_then(Value::as_str).unwrap_or("");
            return Err(format!("{} answered {status} {code} for {path}: {msg}", self.cfg.id));
        }
        Ok((doc, id))
    }

    /// `GET` a JSON document (`path` relative to the API root).
    pub(crate) fn get_json(&self, path: &str) -> Result<Value, String> {
        let mut req = self.agent.get(format!("{}{path}", self.url()));
        if let Some(b) = self.bearer()? {
            req = req.header("Authorization", b);
        }
        let resp = req.call().map_err(|e| format!("{}: {e}", self.cfg.id))?;
        self.check(path, resp).map(|(d, _)| d)
    }

    /// `POST` a JSON body; returns the answer and the `OpenEO-Identifier` header.
    pub(crate) fn post_json(&self, path: &str, body: &Value) -> Result<(Value, Option<String>), String> {
        let mut req = self
            .agent
            .post(format!("{}{path}", self.url()))
            .header("Content-Type", "application/json");
        if let Some(b) = self.bearer()? {
            req = req.header("Authorization", b);
        }
        let resp = req
            .send(body.to_string())
            .map_err(|e| format!("{}: {e}", self.cfg.id))?;
        self.check(path, resp)
    }
}
