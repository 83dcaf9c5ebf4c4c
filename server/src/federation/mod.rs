//! The local partial-job executor: remote openEO back-ends listed in the configuration, their collections merged
//! into this server's listings (`federation:backends`, `federation:missing`), and graphs that use remote
//! collections cut like openeo-aggregator's "deep" split — each remote branch runs as a batch job on its back-end
//! and is read back with `load_stac` from the job's signed canonical partial URL.

mod client;
mod split;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde::Deserialize;
use serde_json::Value;

pub(crate) use client::Client;
pub(crate) use split::split_graph;

/// A remote back-end in the configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteConfig {
    /// Back-end id (`^[a-z0-9]+$`), used in `federation:backends`.
    pub id: String,
    /// API root, e.g. `http://127.0.0.1:8082/openeo/1.2`.
    pub url: String,
    /// User for HTTP Basic authentication.
    #[serde(default)]
    pub user: Option<String>,
    /// Password for HTTP Basic authentication.
    #[serde(default)]
    pub password: Option<String>,
}

/// What is known about the remotes: their collections and whether they answered.
#[derive(Default)]
pub(crate) struct Federation {
    remotes: Vec<Arc<Client>>,
    /// Remote collection documents (as listed by the remote) by collection id, with the remote's id.
    collections: RwLock<BTreeMap<String, (String, Value)>>,
    /// Remote ids that did not answer at the last refresh.
    missing: RwLock<Vec<String>>,
    /// Process ids offered by each remote.
    processes: RwLock<BTreeMap<String, Vec<String>>>,
}

impl Federation {
    pub(crate) fn new(remotes: &[RemoteConfig]) -> Federation {
        Federation {
            remotes: remotes.iter().map(|r| Arc::new(Client::new(r.clone()))).collect(),
            ..Federation::default()
        }
    }

    /// True when remotes are configured.
    pub(crate) fn enabled(&self) -> bool {
        !self.remotes.is_empty()
    }

    pub(crate) fn remote(&self, id: &str) -> Option<Arc<Client>> {
        self.remotes.iter().find(|r| r.id() == id).cloned()
    }

    /// Reloads the remotes' collection listings (blocking HTTP; call from a blocking thread).
    pub(crate) fn refresh(&self) {
        let mut cols = BTreeMap::new();
        let mut missing = Vec::new();
        let mut procs = BTreeMap::new();
        for r in &self.remotes {
            if let Ok(doc) = r.get_json("/processes") {
                let ids = doc.get("processes").and_then(Value::as_array).into_iter().flatten();
                procs.insert(
                    r.id().to_string(),
                    ids.filter_map(|p| p.get("id").and_then(Value::as_str).map(String::from))
                        .collect(),
                );
            }
            match r.get_json("/collections") {
                Ok(doc) => {
                    for c in doc.get("collections").and_then(Value::as_array).into_iter().flatten() {
                        if let Some(id) = c.get("id").and_then(Value::as_str) {
                            cols.entry(id.to_string())
                                .or_insert_with(|| (r.id().to_string(), c.clone()));
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!("remote back-end {} is unreachable: {e}", r.id());
                    missing.push(r.id().to_string());
                }
            }
        }
        if let Ok(mut c) = self.collections.write() {
            *c = cols;
        }
        if let Ok(mut m) = self.missing.write() {
            *m = missing;
        }
        if let Ok(mut p) = self.processes.write() {
            *p = procs;
        }
    }

    /// The back-ends offering process `id`: this one first, then the remotes that list it.
    pub(crate) fn process_backends(&self, id: &str) -> Vec<String> {
        let mut out = vec!["local".to_string()];
        if let Ok(p) = self.processes.read() {
            out.extend(
                p.iter()
                    .filter(|(_, ids)| ids.iter().any(|x| x == id))
                    .map(|(r, _)| r.clone()),
            );
        }
        out
    }

    /// Remote collections (id → (remote id, listing document)).
    pub(crate) fn collections(&self) -> BTreeMap<String, (String, Value)> {
        self.collections.read().map(|c| c.clone()).unwrap_or_default()
    }

    /// Remotes that did not answer at the last refresh.
    pub(crate) fn missing(&self) -> Vec<String> {
        self.missing.read().map(|m| m.clone()).unwrap_or_default()
    }

    /// The `federation` object of `GET /`: every back-end with its URL and status.
    pub(crate) fn describe(&self, local_url: &str) -> Value {
        let missing = self.missing();
        let mut fed = serde_json::Map::new();
        fed.insert(
            "local".into(),
            serde_json::json!({"title": "this back-end", "url": local_url, "status": "online"}),
        );
        for r in &self.remotes {
            let status = if missing.iter().any(|m| m == r.id()) {
                "offline"
            } else {
                "online"
            };
            fed.insert(
                r.id().into(),
                serde_json::json!({"title": r.id(), "url": r.url(), "status": status}),
            );
        }
        Value::Object(fed)
    }
}
