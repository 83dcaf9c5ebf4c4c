//! Process graphs: parsing, evaluation with argument resolution, and callbacks turned into engine cell functions.

pub(crate) mod args;
pub(crate) mod callback;
mod eval;

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use crate::{Error, Result};

pub(crate) use args::Args;
pub(crate) use callback::CallbackFn;
pub(crate) use eval::json_to_value;
pub use eval::{Ctx, Evaluation, SaveRequest, UdpLookup, evaluate};

/// One node of a process graph.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) process_id: String,
    pub(crate) arguments: Map<String, Json>,
}

/// A parsed process graph: nodes by id and the id of the result node.
#[derive(Clone, Debug)]
pub struct ProcessGraph {
    nodes: BTreeMap<String, Node>,
    result: String,
}

impl ProcessGraph {
    /// Parses a process graph given as the bare node map, as `{"process_graph": …}`, or as a request body
    /// `{"process": {"process_graph": …}, …}` (other top-level keys are ignored).
    ///
    /// # Errors
    /// [`Error::ProcessGraphInvalid`] when the structure is wrong or there is not exactly one result node.
    pub fn from_json(v: &Json) -> Result<ProcessGraph> {
        let invalid = |reason: &str| Error::ProcessGraphInvalid { reason: reason.into() };
        let obj = v
            .as_object()
            .ok_or_else(|| invalid("the process graph must be a JSON object"))?;
        if let Some(p) = obj.get("process") {
            return ProcessGraph::from_json(p);
        }
        if let Some(pg) = obj.get("process_graph") {
            return ProcessGraph::from_json(pg);
        }
        let mut nodes = BTreeMap::new();
        let mut result = None;
        for (id, n) in obj {
            let n = n
                .as_object()
                .ok_or_else(|| invalid(&format!("node '{id}' is not an object")))?;
            let process_id = n
                .get("process_id")
                .and_then(Json::as_str)
                .ok_or_else(|| invalid(&format!("node '{id}' has no process_id")))?
                .to_string();
            let arguments = match n.get("arguments") {
                Some(Json::Object(a)) => a.clone(),
                None => Map::new(),
                Some(_) => {
                    return Err(invalid(&format!("the arguments of node '{id}' are not an object")));
                }
            };
            if n.get("result").and_then(Json::as_bool) == Some(true) {
                if result.is_some() {
                    return Err(invalid("more than one node is marked as result"));
                }
                result = Some(id.clone());
            }
            nodes.insert(id.clone(), Node { process_id, arguments });
        }
        if nodes.is_empty() {
            return Err(invalid("the process graph has no nodes"));
        }
        let result = result.ok_or_else(|| invalid("no node is marked as result"))?;
        let graph = ProcessGraph { nodes, result };
        graph.check_references()?;
        Ok(graph)
    }

    /// Process ids used by the graph, including callbacks, with the node ids using them.
    pub fn process_ids(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (id, n) in &self.nodes {
            out.push((id.clone(), n.process_id.clone()));
            for v in n.arguments.values() {
                collect_callbacks(v, &mut out);
            }
        }
        out
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

    /// Every `from_node` must name a node of this graph, and the graph must be acyclic.
    fn check_references(&self) -> Result<()> {
        for (id, n) in &self.nodes {
            let mut refs = Vec::new();
            for v in n.arguments.values() {
                from_nodes(v, &mut refs);
            }
            for r in refs {
                if !self.nodes.contains_key(&r) {
                    return Err(Error::ProcessGraphInvalid {
                        reason: format!("node '{id}' refers to the missing node '{r}'"),
                    });
                }
            }
        }
        let mut state: BTreeMap<&str, u8> = BTreeMap::new();
        for id in self.nodes.keys() {
            self.visit(id, &mut state)?;
        }
        Ok(())
    }

    fn visit<'a>(&'a self, id: &'a str, state: &mut BTreeMap<&'a str, u8>) -> Result<()> {
        match state.get(id) {
            Some(2) => return Ok(()),
            Some(1) => {
                return Err(Error::ProcessGraphInvalid {
                    reason: format!("the graph has a cycle through node '{id}'"),
                });
            }
            _ => {}
        }
        state.insert(id, 1);
        if let Some(n) = self.nodes.get(id) {
            let mut refs = Vec::new();
            for v in n.arguments.values() {
                from_nodes(v, &mut refs);
            }
            for r in refs {
                if let Some((k, _)) = self.nodes.get_key_value(r.as_str()) {
                    self.visit(k, state)?;
                }
            }
        }
        state.insert(id, 2);
        Ok(())
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

fn collect_callbacks(v: &Json, out: &mut Vec<(String, String)>) {
    match v {
        Json::Object(o) => {
            if let Some(pg) = o.get("process_graph") {
                if let Ok(g) = ProcessGraph::from_json(pg) {
                    out.extend(g.process_ids());
                }
            } else {
                o.values().for_each(|x| collect_callbacks(x, out));
            }
        }
        Json::Array(a) => a.iter().for_each(|x| collect_callbacks(x, out)),
        _ => {}
    }
}
