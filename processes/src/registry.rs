//! The process registry: the only place that joins the families' process lists. `GET /processes` serialises it
//! and nothing else, so the listing is exactly what runs.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use serde_json::Value as Json;

use crate::graph::Args;
use crate::{Ctx, Result, Value};

/// The signature of a process implementation.
pub(crate) type Implementation = fn(&mut Args, &Ctx) -> Result<Value>;

/// A declared parameter.
#[derive(Debug)]
pub(crate) struct Param {
    pub(crate) name: String,
    pub(crate) optional: bool,
    /// The schema accepts `null`.
    pub(crate) nullable: bool,
    pub(crate) default: Option<Value>,
}

/// A process: its openEO metadata and its implementation.
pub struct ProcessDef {
    id: String,
    metadata: Json,
    params: Vec<Param>,
    implementation: Implementation,
}

impl std::fmt::Debug for ProcessDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessDef").field("id", &self.id).finish()
    }
}

impl ProcessDef {
    /// Builds a definition from its metadata JSON (embedded at compile time) and its implementation.
    pub(crate) fn new(json: &'static str, implementation: Implementation) -> ProcessDef {
        let metadata: Json = serde_json::from_str(json).unwrap_or(Json::Null);
        let id = metadata
            .get("id")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string();
        let params = metadata
            .get("parameters")
            .and_then(Json::as_array)
            .map(|ps| {
                ps.iter()
                    .map(|p| Param {
                        name: p.get("name").and_then(Json::as_str).unwrap_or_default().to_string(),
                        optional: p.get("optional").and_then(Json::as_bool).unwrap_or(false),
                        nullable: p.get("schema").is_some_and(accepts_null),
                        default: p.get("default").map(crate::graph::json_to_value),
                    })
                    .collect()
            })
            .unwrap_or_default();
        ProcessDef {
            id,
            metadata,
            params,
            implementation,
        }
    }

    /// The process id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The openEO process description served by `GET /processes`.
    pub fn metadata(&self) -> &Json {
        &self.metadata
    }

    pub(crate) fn parameters(&self) -> &[Param] {
        &self.params
    }

    pub(crate) fn parameter(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The schema `subtype`s the parameter `name` accepts (of any alternative of its schema).
    pub(crate) fn subtypes(&self, name: &str) -> Vec<String> {
        let schema = self
            .metadata
            .get("parameters")
            .and_then(Json::as_array)
            .and_then(|ps| ps.iter().find(|p| p.get("name").and_then(Json::as_str) == Some(name)))
            .and_then(|p| p.get("schema"));
        let alternatives = match schema {
            Some(Json::Array(alts)) => alts.iter().collect(),
            Some(s) => vec![s],
            None => Vec::new(),
        };
        alternatives
            .into_iter()
            .filter_map(|s| s.get("subtype").and_then(Json::as_str).map(str::to_string))
            .collect()
    }

    pub(crate) fn implementation(&self) -> Implementation {
        self.implementation
    }
}

/// True when a JSON schema (or any alternative of a schema list) has type `null`.
fn accepts_null(schema: &Json) -> bool {
    match schema {
        Json::Array(alts) => alts.iter().any(accepts_null),
        Json::Object(o) => match o.get("type") {
            Some(Json::String(t)) => t == "null",
            Some(Json::Array(ts)) => ts.iter().any(|t| t == "null"),
            _ => o.get("anyOf").or_else(|| o.get("oneOf")).is_some_and(accepts_null),
        },
        _ => false,
    }
}

/// All processes by id.
#[derive(Debug)]
pub struct Registry {
    processes: BTreeMap<String, &'static ProcessDef>,
}

/// Every process of every family: the one place that joins the family lists.
fn definitions() -> Vec<ProcessDef> {
    [
        crate::cubes::processes(),
        crate::math::processes(),
        crate::arrays::processes(),
        crate::logic::processes(),
        crate::comparison::processes(),
        crate::texts::processes(),
        crate::dates::processes(),
        crate::development::processes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

impl Registry {
    /// The standard registry (built once per process).
    pub fn standard() -> Arc<Registry> {
        static REGISTRY: OnceLock<Arc<Registry>> = OnceLock::new();
        REGISTRY
            .get_or_init(|| {
                let defs = definitions();
                let processes = defs
                    .into_iter()
                    .map(|d| -> &'static ProcessDef { Box::leak(Box::new(d)) })
                    .map(|d| (d.id.clone(), d))
                    .collect();
                Arc::new(Registry { processes })
            })
            .clone()
    }

    /// The process with `id`.
    pub fn get(&self, id: &str) -> Option<&'static ProcessDef> {
        self.processes.get(id).copied()
    }

    /// Every process, sorted by id.
    pub fn all(&self) -> impl Iterator<Item = &'static ProcessDef> + '_ {
        self.processes.values().copied()
    }

    /// The processes of this registry whose ids are in `ids` (a back-end that offers only some of them); ids it
    /// does not know are left out.
    pub fn subset<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Registry {
        let processes = ids
            .into_iter()
            .filter_map(|id| self.processes.get_key_value(id))
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        Registry { processes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_match_metadata() {
        let defs = definitions();
        let mut ids: Vec<&str> = defs.iter().map(ProcessDef::id).collect();
        assert!(
            ids.iter().all(|i| !i.is_empty()),
            "every metadata file parses and has an id"
        );
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate process ids");
        for d in &defs {
            assert!(
                d.metadata().get("parameters").is_some() && d.metadata().get("returns").is_some(),
                "{}",
                d.id()
            );
        }
    }
}
