//! Process graphs: parsing, evaluation with argument resolution, and callbacks turned into engine cell functions.

pub(crate) mod args;
pub(crate) mod callback;
mod eval;
mod validate;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use crate::{Error, Result};

pub(crate) use args::Args;
pub(crate) use callback::CallbackFn;
pub(crate) use eval::json_to_value;
pub use eval::{Ctx, Evaluation, SaveData, SaveRequest, UdpLookup, evaluate};
pub use validate::{check, udp_cycle, validate};

/// The most nodes a process graph may have, the nodes of its callbacks included. Larger graphs are refused with
/// `ProcessGraphComplexity`.
pub const MAX_NODES: usize = 10_000;

/// The deepest nesting evaluation may reach: the longest chain of `from_node` references of a graph, plus, for
/// every callback and user-defined process entered on the way, the nesting at which it is called. Deeper graphs are
/// refused with `ProcessGraphComplexity`. The server's and the CLI's evaluation threads get stacks that are tested
/// against this limit.
pub const MAX_DEPTH: usize = 1_000;

/// Where a node's process is looked up (`namespace`): anywhere (`null`), only predefined processes (`backend`) or
/// only the user's own (`user`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Namespace {
    /// Predefined first, then user-defined.
    Any,
    /// Predefined processes only.
    Backend,
    /// User-defined processes only.
    User,
}

/// One node of a process graph.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) process_id: String,
    pub(crate) namespace: Namespace,
    pub(crate) arguments: Map<String, Json>,
}

/// A parsed process graph: nodes by id and the id of the result node.
#[derive(Clone, Debug)]
pub struct ProcessGraph {
    nodes: BTreeMap<String, Node>,
    result: String,
    /// Longest chain of `from_node` references, in nodes.
    depth: usize,
    /// Nodes including those of callbacks, at any nesting.
    total_nodes: usize,
}

impl ProcessGraph {
    /// Parses a process graph given as the bare node map, as `{"process_graph": …}`, or as a request body
    /// `{"process": {"process_graph": …}, …}` (other top-level keys are ignored). Callbacks are parsed and checked
    /// too.
    ///
    /// # Errors
    /// [`Error::ProcessGraphInvalid`] when the structure is wrong, a reference dangles or there is not exactly one
    /// result node; [`Error::ProcessGraphComplexity`] beyond [`MAX_NODES`] nodes or [`MAX_DEPTH`] levels;
    /// [`Error::ProcessUnsupported`] for a namespace other than `null`, `backend` or `user`.
    pub fn from_json(v: &Json) -> Result<ProcessGraph> {
        let invalid = |reason: &str| Error::ProcessGraphInvalid { reason: reason.into() };
        let mut v = v;
        // the request body and `{"process_graph": …}` wrappers (bounded: JSON nesting is limited by the parser)
        loop {
            let obj = v
                .as_object()
                .ok_or_else(|| invalid("the process graph must be a JSON object"))?;
            match obj.get("process").or_else(|| obj.get("process_graph")) {
                Some(inner) => v = inner,
                None => break,
            }
        }
        let obj = v
            .as_object()
            .ok_or_else(|| invalid("the process graph must be a JSON object"))?;
        if obj.len() > MAX_NODES {
            return Err(Error::ProcessGraphComplexity {
                reason: format!("the graph has {} nodes, more than the {MAX_NODES} allowed", obj.len()),
            });
        }
        let mut nodes = BTreeMap::new();
        let mut result = None;
        let mut total_nodes = obj.len();
        for (id, n) in obj {
            let n = n
                .as_object()
                .ok_or_else(|| invalid(&format!("node '{id}' is not an object")))?;
            let process_id = n
                .get("process_id")
                .and_then(Json::as_str)
                .ok_or_else(|| invalid(&format!("node '{id}' has no process_id string")))?
                .to_string();
            let namespace = match n.get("namespace") {
                None | Some(Json::Null) => Namespace::Any,
                Some(Json::String(s)) if s == "backend" => Namespace::Backend,
                Some(Json::String(s)) if s == "user" => Namespace::User,
                Some(other) => {
                    return Err(Error::ProcessUnsupported {
                        process: format!("{process_id}' in namespace '{}", namespace_text(other)),
                    }
                    .in_node(id, &process_id));
                }
            };
            let arguments = match n.get("arguments") {
                Some(Json::Object(a)) => a.clone(),
                None => Map::new(),
                Some(_) => {
                    return Err(invalid(&format!("the arguments of node '{id}' are not an object")));
                }
            };
            match n.get("result") {
                None | Some(Json::Null) | Some(Json::Bool(false)) => {}
                Some(Json::Bool(true)) => {
                    if result.is_some() {
                        return Err(invalid("more than one node is marked as result"));
                    }
                    result = Some(id.clone());
                }
                Some(_) => return Err(invalid(&format!("'result' of node '{id}' is not a boolean"))),
            }
            for a in arguments.values() {
                check_references_shape(a).map_err(|reason| invalid(&format!("node '{id}': {reason}")))?;
                for cb in callbacks(a) {
                    let g = ProcessGraph::from_json(cb).map_err(|e| e.in_node(id, &process_id))?;
                    total_nodes += g.total_nodes;
                }
            }
            if total_nodes > MAX_NODES {
                return Err(Error::ProcessGraphComplexity {
                    reason: format!("the graph and its callbacks have more than the {MAX_NODES} nodes allowed"),
                });
            }
            nodes.insert(
                id.clone(),
                Node {
                    process_id,
                    namespace,
                    arguments,
                },
            );
        }
        if nodes.is_empty() {
            return Err(invalid("the process graph has no nodes"));
        }
        let result = result.ok_or_else(|| invalid("no node is marked as result"))?;
        let mut graph = ProcessGraph {
            nodes,
            result,
            depth: 0,
            total_nodes,
        };
        graph.depth = graph.check_references()?;
        if graph.depth > MAX_DEPTH {
            return Err(Error::ProcessGraphComplexity {
                reason: format!(
                    "the graph has a chain of {} nodes, more than the {MAX_DEPTH} allowed",
                    graph.depth
                ),
            });
        }
        Ok(graph)
    }

    /// Longest chain of `from_node` references, in nodes.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of nodes, those of callbacks included.
    pub fn total_nodes(&self) -> usize {
        self.total_nodes
    }

    /// Process ids used by the graph, including callbacks, with the node ids using them.
    pub fn process_ids(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (id, n) in &self.nodes {
            out.push((id.clone(), n.process_id.clone()));
            for cb in n.arguments.values().flat_map(callbacks) {
                if let Ok(g) = ProcessGraph::from_json(cb) {
                    out.extend(g.process_ids());
                }
            }
        }
        out
    }

    /// The processes the graph calls, callbacks included, with the namespace each call asks for.
    pub(crate) fn process_calls(&self) -> Vec<(String, Namespace)> {
        let mut out = Vec::new();
        for n in self.nodes.values() {
            out.push((n.process_id.clone(), n.namespace));
            for cb in n.arguments.values().flat_map(callbacks) {
                if let Ok(g) = ProcessGraph::from_json(cb) {
                    out.extend(g.process_calls());
                }
            }
        }
        out
    }

    /// The nodes by id.
    pub(crate) fn nodes(&self) -> impl Iterator<Item = (&String, &Node)> {
        self.nodes.iter()
    }

    pub(crate) fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// The only node, when the graph has exactly one.
    pub(crate) fn single_node(&self) -> Option<&Node> {
        if self.nodes.len() == 1 {
            self.nodes.values().next()
        } else {
            None
        }
    }

    pub(crate) fn result_id(&self) -> &str {
        &self.result
    }

    /// Every `from_node` must name a node of this graph, and the graph must be acyclic; returns the length of the
    /// longest chain of references (in nodes). Iterative, so a long chain cannot exhaust the stack.
    fn check_references(&self) -> Result<usize> {
        let mut refs: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (id, n) in &self.nodes {
            let mut r = Vec::new();
            for v in n.arguments.values() {
                from_nodes(v, &mut r);
            }
            let mut targets = Vec::with_capacity(r.len());
            for name in r {
                match self.nodes.get_key_value(name.as_str()) {
                    Some((k, _)) => targets.push(k.as_str()),
                    None => {
                        return Err(Error::ProcessGraphInvalid {
                            reason: format!("node '{id}' refers to the missing node '{name}'"),
                        });
                    }
                }
            }
            refs.insert(id.as_str(), targets);
        }
        // depth-first, post-order, with an explicit stack: `depth` holds finished nodes, `open` the current path
        let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
        let mut open: BTreeSet<&str> = BTreeSet::new();
        let mut deepest = 0;
        for start in self.nodes.keys() {
            let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
            while let Some((id, next)) = stack.pop() {
                if next == 0 {
                    if depth.contains_key(id) {
                        continue;
                    }
                    open.insert(id);
                }
                let targets = refs.get(id).map(Vec::as_slice).unwrap_or_default();
                if let Some(&t) = targets.get(next) {
                    stack.push((id, next + 1));
                    if open.contains(t) {
                        return Err(Error::ProcessGraphInvalid {
                            reason: format!("the graph has a cycle through node '{t}'"),
                        });
                    }
                    if !depth.contains_key(t) {
                        stack.push((t, 0));
                    }
                    continue;
                }
                let d = 1 + targets.iter().filter_map(|t| depth.get(t)).max().copied().unwrap_or(0);
                open.remove(id);
                depth.insert(id, d);
                deepest = deepest.max(d);
            }
        }
        Ok(deepest)
    }
}

/// `from_node` references in an argument value (not inside callbacks).
pub fn from_nodes(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::Object(o) => {
            if let Some(Json::String(r)) = o.get("from_node") {
                out.push(r.clone());
            } else if !o.contains_key("process_graph") {
                o.values().for_each(|x| from_nodes(x, out));
            }
        }
        Json::Array(a) => a.iter().for_each(|x| from_nodes(x, out)),
        _ => {}
    }
}

/// A namespace value as text, for messages.
fn namespace_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `from_node` and `from_parameter` must be strings wherever they appear (callbacks are checked when parsed).
fn check_references_shape(v: &Json) -> std::result::Result<(), String> {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Json::Object(o) => {
                for key in ["from_node", "from_parameter"] {
                    if let Some(r) = o.get(key)
                        && !r.is_string()
                    {
                        return Err(format!("'{key}' must be a string, not {r}"));
                    }
                }
                if !o.contains_key("process_graph") {
                    stack.extend(o.values());
                }
            }
            Json::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    Ok(())
}

/// The callback graphs (`{"process_graph": …}`) in an argument value, outermost only.
fn callbacks(v: &Json) -> Vec<&Json> {
    let mut out = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Json::Object(o) => match o.get("process_graph") {
                Some(pg) => out.push(pg),
                None => stack.extend(o.values()),
            },
            Json::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::{Ctx, Registry, UdpLookup, evaluate};

    /// A chain of `n` `add` nodes, each adding 1 to the previous one.
    fn chain(n: usize) -> Json {
        let mut g = Map::new();
        for i in 0..n {
            let x = if i == 0 {
                json!(0)
            } else {
                json!({"from_node": format!("a{}", i - 1)})
            };
            g.insert(
                format!("a{i}"),
                json!({"process_id": "add", "arguments": {"x": x, "y": 1}}),
            );
        }
        g[&format!("a{}", n - 1)]["result"] = json!(true);
        Json::Object(g)
    }

    fn code(r: Result<ProcessGraph>) -> String {
        r.err().map(|e| e.code().to_string()).unwrap_or_default()
    }

    #[test]
    fn depth_and_size_are_limited_without_recursion() {
        assert_eq!(ProcessGraph::from_json(&chain(MAX_DEPTH)).unwrap().depth(), MAX_DEPTH);
        assert_eq!(
            code(ProcessGraph::from_json(&chain(MAX_DEPTH + 1))),
            "ProcessGraphComplexity"
        );
        // far beyond what a recursive walk of the default test thread's stack could take
        assert_eq!(
            code(ProcessGraph::from_json(&chain(MAX_NODES + 1))),
            "ProcessGraphComplexity"
        );
        let mut wide = Map::new();
        for i in 0..=MAX_NODES {
            wide.insert(format!("n{i}"), json!({"process_id": "pi", "result": i == 0}));
        }
        assert_eq!(
            code(ProcessGraph::from_json(&Json::Object(wide))),
            "ProcessGraphComplexity"
        );
    }

    #[test]
    fn structure_errors() {
        let g = |v: Json| code(ProcessGraph::from_json(&v));
        assert_eq!(
            g(
                json!({"a": {"process_id": "add", "arguments": {"x": {"from_node": "b"}, "y": 1}, "result": true},
                     "b": {"process_id": "add", "arguments": {"x": {"from_node": "a"}, "y": 1}}})
            ),
            "ProcessGraphInvalid"
        );
        assert_eq!(
            g(json!({"a": {"process_id": "add", "arguments": {"x": {"from_node": null}, "y": 1}, "result": true}})),
            "ProcessGraphInvalid"
        );
        assert_eq!(
            g(json!({"a": {"process_id": "add", "arguments": {"x": {"from_node": "zz"}, "y": 1}, "result": true}})),
            "ProcessGraphInvalid"
        );
        assert_eq!(
            g(json!({"a": {"process_id": "pi", "namespace": "https://example.org/p.json", "result": true}})),
            "ProcessUnsupported"
        );
        assert_eq!(
            g(json!({"a": {"process_id": 7, "result": true}})),
            "ProcessGraphInvalid"
        );
        assert_eq!(
            g(json!({"a": {"process_id": "pi", "result": "yes"}})),
            "ProcessGraphInvalid"
        );
    }

    struct Recursive;

    impl UdpLookup for Recursive {
        fn process_graph(&self, id: &str) -> Option<ProcessGraph> {
            let callee = if id == "ping" { "pong" } else { "ping" };
            ProcessGraph::from_json(&json!({"c": {"process_id": callee, "arguments": {}, "result": true}})).ok()
        }
    }

    fn ctx(udps: Option<Arc<dyn UdpLookup>>) -> Ctx {
        let catalog = openeo_engine::Catalog::from_toml("", std::path::Path::new(".")).unwrap();
        Ctx::new(Arc::new(catalog), Registry::standard(), udps)
    }

    #[test]
    fn recursive_udps_are_refused_when_run() {
        let g =
            ProcessGraph::from_json(&json!({"c": {"process_id": "ping", "arguments": {}, "result": true}})).unwrap();
        let e = evaluate(&g, &ctx(Some(Arc::new(Recursive)))).unwrap_err();
        assert_eq!(e.code(), "ProcessGraphInvalid");
        assert!(e.to_string().contains("ping → pong → ping"), "{e}");
    }

    #[test]
    fn the_deepest_graph_allowed_evaluates_on_an_engine_sized_stack() {
        let g = ProcessGraph::from_json(&chain(MAX_DEPTH)).unwrap();
        let v = std::thread::Builder::new()
            .stack_size(openeo_engine::THREAD_STACK_BYTES)
            .spawn(move || evaluate(&g, &ctx(None)).map(|e| e.result))
            .unwrap()
            .join()
            .unwrap()
            .unwrap();
        assert!(matches!(v, crate::Value::Number(n) if n == MAX_DEPTH as f64));
    }
}
