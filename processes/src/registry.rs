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

    /// The openEO process definitions this back-end follows (not part of every checkout).
    const UPSTREAM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/openeo-specs/processes");

    /// Intended interface differences from the upstream definitions: (process id, aspect, reason), the aspect being
    /// `categories`, `experimental`, `deprecated`, `parameters` (the names in order), `parameter <name>`, `returns`,
    /// `exceptions` or `process_graph`. None so far.
    const DEPARTURES: &[(&str, &str, &str)] = &[];

    /// A parameter without its own description, with the flags `optional`, `deprecated` and `experimental` spelt
    /// out. Its schema stays as it is: the texts inside a schema belong to it (`{"description": "Any data type."}`
    /// is the schema of any value, and clients and the conformance suite compare schemas whole).
    fn parameter_interface(p: &Json) -> Json {
        let mut p = p.clone();
        if let Json::Object(o) = &mut p {
            o.remove("description");
            for flag in ["optional", "deprecated", "experimental"] {
                o.entry(flag).or_insert(Json::Bool(false));
            }
        }
        p
    }

    fn flag(doc: &Json, name: &str) -> Json {
        Json::Bool(doc.get(name).and_then(Json::as_bool).unwrap_or(false))
    }

    /// The parameters of a process definition by name, in order.
    fn parameters(doc: &Json) -> Vec<(&str, &Json)> {
        doc.get("parameters")
            .and_then(Json::as_array)
            .map(|ps| {
                ps.iter()
                    .map(|p| (p.get("name").and_then(Json::as_str).unwrap_or_default(), p))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// True when both are texts that are the same apart from letter case and white space.
    fn same_text(a: Option<&Json>, b: Option<&Json>) -> bool {
        let norm = |v: Option<&Json>| {
            v.and_then(Json::as_str)
                .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase())
        };
        matches!((norm(a), norm(b)), (Some(x), Some(y)) if x == y)
    }

    /// Every process that has an upstream definition keeps its interface (categories, flags, parameter names and
    /// order, parameter schemas (whole), defaults and flags, return schema, exception codes, and the process graph
    /// when it has one), and describes itself in its own words: no summary or description of the process, a
    /// parameter or the return value is the upstream text.
    #[test]
    fn interfaces_match_upstream_and_prose_is_our_own() {
        if !std::path::Path::new(UPSTREAM).is_dir() {
            println!("skipped: no upstream process definitions at {UPSTREAM}");
            return;
        }
        let mut problems = Vec::new();
        let mut departed = std::collections::HashSet::new();
        let mut compared = 0;
        for def in definitions() {
            let id = def.id();
            let found = [
                format!("{UPSTREAM}/{id}.json"),
                format!("{UPSTREAM}/proposals/{id}.json"),
            ]
            .iter()
            .find_map(|path| std::fs::read_to_string(path).ok());
            let Some(text) = found else {
                continue;
            };
            let upstream: Json = serde_json::from_str(&text).expect("upstream definition parses");
            let ours = def.metadata();
            compared += 1;
            let mut check = |aspect: String, mine: Json, theirs: Json| {
                if mine == theirs {
                    return;
                }
                if DEPARTURES.iter().any(|(i, a, _)| *i == id && *a == aspect) {
                    departed.insert((id.to_string(), aspect));
                } else {
                    problems.push(format!(
                        "{id}: {aspect} differs from upstream:\n  ours     {mine}\n  upstream {theirs}"
                    ));
                }
            };
            let field = |doc: &Json, name: &str| doc.get(name).cloned().unwrap_or(Json::Null);
            check(
                "categories".into(),
                field(ours, "categories"),
                field(&upstream, "categories"),
            );
            for name in ["experimental", "deprecated"] {
                check(name.into(), flag(ours, name), flag(&upstream, name));
            }
            let (mine, theirs) = (parameters(ours), parameters(&upstream));
            let names = |ps: &[(&str, &Json)]| Json::from(ps.iter().map(|(n, _)| *n).collect::<Vec<_>>());
            check("parameters".into(), names(&mine), names(&theirs));
            for (name, p) in &mine {
                if let Some((_, q)) = theirs.iter().find(|(n, _)| n == name) {
                    check(
                        format!("parameter {name}"),
                        parameter_interface(p),
                        parameter_interface(q),
                    );
                }
            }
            let returns = |doc: &Json| field(&field(doc, "returns"), "schema");
            check("returns".into(), returns(ours), returns(&upstream));
            let codes = |doc: &Json| {
                let mut codes: Vec<String> = field(doc, "exceptions")
                    .as_object()
                    .map(|o| o.keys().cloned().collect())
                    .unwrap_or_default();
                codes.sort();
                Json::from(codes)
            };
            check("exceptions".into(), codes(ours), codes(&upstream));
            if ours.get("process_graph").is_some() {
                check(
                    "process_graph".into(),
                    field(ours, "process_graph"),
                    field(&upstream, "process_graph"),
                );
            }
            let mut copied = |what: String, a: Option<&Json>, b: Option<&Json>| {
                if same_text(a, b) {
                    problems.push(format!(
                        "{id}: the {what} is upstream's text; describe this implementation"
                    ));
                }
            };
            for key in ["summary", "description"] {
                copied(key.into(), ours.get(key), upstream.get(key));
            }
            for (name, p) in &mine {
                if let Some((_, q)) = theirs.iter().find(|(n, _)| n == name) {
                    copied(
                        format!("description of parameter {name}"),
                        p.get("description"),
                        q.get("description"),
                    );
                }
            }
            let returns_description = |doc: &Json| field(&field(doc, "returns"), "description");
            copied(
                "description of the return value".into(),
                Some(&returns_description(ours)),
                Some(&returns_description(&upstream)),
            );
        }
        for (id, aspect, reason) in DEPARTURES {
            if !departed.contains(&(id.to_string(), aspect.to_string())) {
                problems.push(format!(
                    "{id}: {aspect} is listed as a departure ({reason}) but matches upstream"
                ));
            }
        }
        assert!(compared > 0, "no process has an upstream definition in {UPSTREAM}");
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
