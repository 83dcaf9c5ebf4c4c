//! Cutting a process graph at the borders between back-ends ("deep" split): every maximal branch that only
//! needs one remote back-end's collections becomes a batch job there (ending in `save_result` GTiff) and is
//! replaced locally by `load_stac` on the job's signed canonical partial URL.

use std::collections::{BTreeMap, BTreeSet};

use openeo_engine::Catalog;
use serde_json::{Map, Value, json};

use super::Federation;

/// A partial job created on a remote back-end.
#[derive(Clone, Debug)]
pub(crate) struct RemoteJob {
    pub(crate) remote: String,
    pub(crate) job_id: String,
    pub(crate) url: String,
    pub(crate) node: String,
}

const LOCAL: &str = "local";

fn node_refs(node: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(a) = node.get("arguments") {
        openeo_processes::from_nodes(a, &mut out);
    }
    out
}

/// The back-end a `load_collection(properties={"federation:backends": …})` condition pins, if any.
fn pinned(node: &Value) -> Option<String> {
    let cond = node
        .pointer("/arguments/properties/federation:backends/process_graph")?
        .as_object()?;
    let n = cond.values().next()?;
    let args = n.get("arguments")?;
    for key in ["y", "x", "value"] {
        if let Some(s) = args.get(key).and_then(Value::as_str) {
            return Some(s.to_string());
        }
    }
    None
}

/// The back-end of each `load_collection` node; every other node gets the union of its inputs.
fn backends(graph: &Map<String, Value>, local: &Catalog, fed: &Federation) -> BTreeMap<String, BTreeSet<String>> {
    let remote_cols = fed.collections();
    fn visit(
        id: &str,
        graph: &Map<String, Value>,
        local: &Catalog,
        remote: &BTreeMap<String, (String, Value)>,
        memo: &mut BTreeMap<String, BTreeSet<String>>,
        depth: usize,
    ) -> BTreeSet<String> {
        if let Some(b) = memo.get(id) {
            return b.clone();
        }
        let Some(node) = graph.get(id) else {
            return BTreeSet::new();
        };
        let mut set = BTreeSet::new();
        if node.get("process_id").and_then(Value::as_str) == Some("load_collection") {
            let cid = node.pointer("/arguments/id").and_then(Value::as_str).unwrap_or("");
            let b = match pinned(node) {
                Some(p) => p,
                None if local.get(cid).is_some() => LOCAL.to_string(),
                None => remote.get(cid).map_or_else(|| LOCAL.to_string(), |(r, _)| r.clone()),
            };
            set.insert(b);
        } else if depth < 1000 {
            for r in node_refs(node) {
                set.extend(visit(&r, graph, local, remote, memo, depth + 1));
            }
        }
        memo.insert(id.to_string(), set.clone());
        set
    }
    let mut memo = BTreeMap::new();
    for id in graph.keys() {
        visit(id, graph, local, &remote_cols, &mut memo, 0);
    }
    memo
}

/// The node and all nodes it depends on.
fn ancestors(id: &str, graph: &Map<String, Value>, out: &mut BTreeSet<String>) {
    if !out.insert(id.to_string()) {
        return;
    }
    if let Some(n) = graph.get(id) {
        for r in node_refs(n) {
            ancestors(&r, graph, out);
        }
    }
}

/// Cuts `process` (`{"process_graph": …}`), creates and starts the remote partial jobs, and returns the local
/// process with `load_stac` nodes in place of the remote branches. Graphs without remote parts come back unchanged.
///
/// # Errors
/// A remote refusing a job (the message names the back-end and its answer).
pub(crate) fn split_graph(
    fed: &Federation,
    local: &Catalog,
    process: &Value,
    title: &str,
) -> Result<(Value, Vec<RemoteJob>), String> {
    let Some(graph) = process.get("process_graph").and_then(Value::as_object) else {
        return Ok((process.clone(), vec![]));
    };
    let bk = backends(graph, local, fed);
    let single_remote = |id: &str| -> Option<String> {
        let b = bk.get(id)?;
        (b.len() == 1)
            .then(|| b.iter().next().cloned())
            .flatten()
            .filter(|r| r != LOCAL)
    };
    // consumers of each node
    let mut consumers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, n) in graph {
        for r in node_refs(n) {
            consumers.entry(r).or_default().push(id.clone());
        }
    }
    let result = graph
        .iter()
        .find(|(_, n)| n.get("result").and_then(Value::as_bool) == Some(true))
        .map(|(k, _)| k.clone());
    let mut cuts = Vec::new();
    for id in graph.keys() {
        let Some(r) = single_remote(id) else { continue };
        let is_save = graph[id].get("process_id").and_then(Value::as_str) == Some("save_result");
        if is_save {
            continue;
        }
        let feeds_other = consumers.get(id).into_iter().flatten().any(|c| {
            single_remote(c).as_deref() != Some(r.as_str())
                || graph[c].get("process_id").and_then(Value::as_str) == Some("save_result")
        });
        if feeds_other || result.as_deref() == Some(id.as_str()) {
            cuts.push((id.clone(), r));
        }
    }
    if cuts.is_empty() {
        return Ok((process.clone(), vec![]));
    }
    let mut local_graph = graph.clone();
    let mut jobs = Vec::new();
    for (id, remote_id) in cuts {
        let client = fed
            .remote(&remote_id)
            .ok_or_else(|| format!("back-end '{remote_id}' is not configured"))?;
        let mut keep = BTreeSet::new();
        ancestors(&id, graph, &mut keep);
        let mut sub = Map::new();
        for k in &keep {
            let mut n = graph[k].clone();
            if let Some(o) = n.as_object_mut() {
                o.remove("result");
            }
            sub.insert(k.clone(), n);
        }
        sub.insert(
            "partial_save".into(),
            json!({"process_id": "save_result", "arguments": {"data": {"from_node": id}, "format": "GTiff"}, "result": true}),
        );
        let body = json!({"title": format!("{title} (partial: node {id})"), "process": {"process_graph": sub}});
        let (_, job) = client.post_json("/jobs", &body)?;
        let job_id = job.ok_or_else(|| format!("{remote_id} created a job without OpenEO-Identifier"))?;
        let partial = client.get_json(&format!("/jobs/{job_id}/results?partial=true"))?;
        let url = partial
            .get("links")
            .and_then(Value::as_array)
            .and_then(|l| {
                l.iter()
                    .find(|x| x.get("rel").and_then(Value::as_str) == Some("canonical"))
            })
            .and_then(|x| x.get("href").and_then(Value::as_str))
            .ok_or_else(|| format!("{remote_id} gave no canonical link for job {job_id}"))?
            .to_string();
        client.post_json(&format!("/jobs/{job_id}/results"), &Value::Null)?;
        local_graph.insert(
            id.clone(),
            json!({"process_id": "load_stac", "arguments": {"url": url}}),
        );
        jobs.push(RemoteJob {
            remote: remote_id,
            job_id,
            url,
            node: id,
        });
    }
    // drop nodes the local graph no longer needs
    if let Some(r) = &result {
        let mut keep = BTreeSet::new();
        ancestors(r, &local_graph, &mut keep);
        local_graph.retain(|k, _| keep.contains(k));
    }
    let mut out = process.clone();
    out["process_graph"] = Value::Object(local_graph);
    Ok((out, jobs))
}
