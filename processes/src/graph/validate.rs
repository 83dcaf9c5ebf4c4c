//! Static validation: everything about a process graph that can be known without a catalog or data. The server
//! runs it when a graph is stored (`POST /jobs`, `PATCH /jobs/{id}`, `PUT /process_graphs/{id}`) and as the first
//! part of `/validation`; what needs collections or data is left to evaluation.
//!
//! Checked, for every node and every callback node: the process exists in the node's namespace; no argument the
//! process does not declare, every required one present; literal bounding boxes (order, and latitude/longitude
//! ranges when in EPSG:4326), literal temporal intervals (dates, start before end) and literal output formats, by
//! the same functions evaluation uses, chosen by the parameter's schema `subtype`. User-defined processes that call
//! themselves, directly or through others, are found by [`udp_cycle`].

use std::collections::{BTreeSet, HashMap};

use serde_json::Value as Json;

use super::eval::json_to_value;
use super::{Args, Namespace, ProcessGraph, UdpLookup, callbacks};
use crate::registry::ProcessDef;
use crate::{Error, Registry, Result, Value};

/// Every problem of `graph` that can be found without data, each wrapped with its node; empty when none.
pub fn validate(graph: &ProcessGraph, registry: &Registry, udps: Option<&dyn UdpLookup>) -> Vec<Error> {
    let mut errors = Vec::new();
    for (id, node) in graph.nodes() {
        let mut node_errors = Vec::new();
        let def = (node.namespace != Namespace::User)
            .then(|| registry.get(&node.process_id))
            .flatten();
        let udp_known = || {
            node.namespace != Namespace::Backend && udps.is_some_and(|u| u.process_graph(&node.process_id).is_some())
        };
        match def {
            Some(def) => node_errors.extend(check_arguments(def, &node.arguments)),
            None if udp_known() => {}
            None => node_errors.push(Error::ProcessUnsupported {
                process: node.process_id.clone(),
            }),
        }
        for cb in node.arguments.values().flat_map(callbacks) {
            match ProcessGraph::from_json(cb) {
                Ok(g) => node_errors.extend(validate(&g, registry, udps)),
                Err(e) => node_errors.push(e),
            }
        }
        errors.extend(node_errors.into_iter().map(|e| e.in_node(id, &node.process_id)));
    }
    errors
}

/// The first problem [`validate`] finds.
///
/// # Errors
/// That problem.
pub fn check(graph: &ProcessGraph, registry: &Registry, udps: Option<&dyn UdpLookup>) -> Result<()> {
    match validate(graph, registry, udps).into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Names and literal values of a predefined process's arguments, checked.
fn check_arguments(def: &'static ProcessDef, arguments: &serde_json::Map<String, Json>) -> Vec<Error> {
    let mut errors = Args::name_errors(def, arguments.keys());
    // only literal values can be checked before evaluation
    let literals: HashMap<String, Value> = arguments
        .iter()
        .filter(|(name, v)| def.parameter(name).is_some() && is_literal(v))
        .map(|(name, v)| (name.clone(), json_to_value(v)))
        .collect();
    let args = Args::unchecked(def, literals);
    for name in arguments.keys().filter(|n| args.has(n)) {
        let subtypes = def.subtypes(name);
        let has = |s: &str| subtypes.iter().any(|t| t == s);
        let checked = if has("bounding-box") {
            super::super::cubes::spatial_extent(&args, name).map(|_| ())
        } else if has("temporal-interval") {
            args.interval(name).map(|_| ())
        } else if has("output-format") {
            args.string(name).and_then(|f| crate::output_format(&f).map(|_| ()))
        } else {
            Ok(())
        };
        if let Err(e) = checked {
            errors.push(e);
        }
    }
    errors
}

/// True when `v` holds no reference (`from_node`, `from_parameter`) and no callback.
fn is_literal(v: &Json) -> bool {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Json::Object(o) => {
                if o.contains_key("from_node") || o.contains_key("from_parameter") || o.contains_key("process_graph") {
                    return false;
                }
                stack.extend(o.values());
            }
            Json::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    true
}

/// The chain of user-defined processes through which `id`, if stored with `graph`, would call itself
/// (`[id, …, id]`), or `None`. Other user-defined processes are looked up in `udps`; predefined processes end a
/// path unless a node asks for the `user` namespace.
pub fn udp_cycle(id: &str, graph: &ProcessGraph, registry: &Registry, udps: &dyn UdpLookup) -> Option<Vec<String>> {
    let calls = |g: &ProcessGraph| -> Vec<String> {
        g.process_calls()
            .into_iter()
            .filter(|(pid, ns)| *ns == Namespace::User || (*ns == Namespace::Any && registry.get(pid).is_none()))
            .map(|(pid, _)| pid)
            .collect()
    };
    // depth-first over the call graph with explicit paths; each process is expanded once
    let mut seen = BTreeSet::new();
    let mut stack: Vec<(String, Vec<String>)> = calls(graph).into_iter().map(|c| (c, vec![id.to_string()])).collect();
    while let Some((callee, path)) = stack.pop() {
        let mut path = path;
        path.push(callee.clone());
        if callee == id {
            return Some(path);
        }
        if !seen.insert(callee.clone()) {
            continue;
        }
        if let Some(g) = udps.process_graph(&callee) {
            stack.extend(calls(&g).into_iter().map(|c| (c, path.clone())));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn graph(v: Json) -> ProcessGraph {
        ProcessGraph::from_json(&v).unwrap()
    }

    fn codes(v: Json) -> Vec<String> {
        validate(&graph(v), &Registry::standard(), None)
            .iter()
            .map(|e| e.code().to_string())
            .collect()
    }

    #[test]
    fn finds_unknown_processes_and_arguments() {
        let c = codes(json!({
            "a": {"process_id": "no_such_process", "arguments": {}},
            "b": {"process_id": "add", "arguments": {"x": 1, "z": 2}},
            "d": {"process_id": "load_collection", "arguments": {}},
            "c": {"process_id": "apply", "arguments": {"data": {"from_node": "b"}, "process": {"process_graph": {
                "n": {"process_id": "bogus", "arguments": {}, "result": true}}}}, "result": true},
        }));
        assert!(c.contains(&"ProcessUnsupported".to_string()), "{c:?}");
        assert!(c.contains(&"ProcessParameterUnsupported".to_string()), "{c:?}");
        assert!(c.contains(&"ProcessParameterRequired".to_string()), "{c:?}");
        assert_eq!(c.iter().filter(|x| *x == "ProcessUnsupported").count(), 2, "{c:?}");
    }

    #[test]
    fn checks_literal_extents_and_formats() {
        let load = |extent: Json, temporal: Json| {
            codes(json!({
                "l": {"process_id": "load_collection", "arguments": {"id": "X", "spatial_extent": extent, "temporal_extent": temporal}},
                "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "l"}, "format": "GTiff"}, "result": true},
            }))
        };
        let ok = json!({"west": 11.0, "south": 46.0, "east": 12.0, "north": 47.0});
        assert!(load(ok.clone(), json!(["2022-01-01", "2022-02-01"])).is_empty());
        assert_eq!(
            load(
                json!({"west": 11.0, "south": 46.0, "east": 12.0, "north": 91.0}),
                Json::Null
            ),
            ["ProcessParameterInvalid"]
        );
        assert_eq!(
            load(
                json!({"west": -540.0, "south": 46.0, "east": 12.0, "north": 47.0}),
                Json::Null
            ),
            ["ProcessParameterInvalid"]
        );
        assert_eq!(
            load(ok.clone(), json!(["2022-02-01", "2022-01-01"])),
            ["TemporalExtentEmpty"]
        );
        assert_eq!(load(ok, json!(["yesterday", null])), ["ProcessParameterInvalid"]);
        let fmt = codes(json!({
            "a": {"process_id": "add", "arguments": {"x": 1, "y": 2}},
            "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "a"}, "format": "NoSuchFormat"}, "result": true},
        }));
        assert_eq!(fmt, ["FormatUnsupported"]);
    }

    struct Udps(Vec<(&'static str, Json)>);

    impl UdpLookup for Udps {
        fn process_graph(&self, id: &str) -> Option<ProcessGraph> {
            self.0.iter().find(|(k, _)| *k == id).map(|(_, v)| graph(v.clone()))
        }
    }

    #[test]
    fn finds_recursive_udps() {
        let calls = |callee: &str| json!({"n": {"process_id": callee, "arguments": {}, "result": true}});
        let registry = Registry::standard();
        let stored = Udps(vec![("a", calls("b")), ("b", calls("c")), ("c", calls("pi"))]);
        assert_eq!(
            udp_cycle("a", &graph(calls("a")), &registry, &stored),
            Some(vec!["a".into(), "a".into()])
        );
        assert_eq!(
            udp_cycle("c", &graph(calls("a")), &registry, &stored),
            Some(vec!["c".into(), "a".into(), "b".into(), "c".into()])
        );
        assert_eq!(udp_cycle("a", &graph(calls("b")), &registry, &stored), None);
    }
}
