//! Evaluating a process graph: resolve arguments (`from_node`, `from_parameter`, callbacks), run each node once.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use openeo_engine::{Catalog, Cube, OutboundPolicy};
use serde_json::Value as Json;

use super::{Args, MAX_DEPTH, Namespace, ProcessGraph};
use crate::{Error, Registry, Result, Value};

/// User-defined processes (stored process graphs usable as `process_id`).
pub trait UdpLookup: Send + Sync {
    /// The stored graph with `id`, if any.
    fn process_graph(&self, id: &str) -> Option<ProcessGraph>;
}

/// What a `save_result` call writes.
#[derive(Clone, Debug)]
pub enum SaveData {
    /// A raster cube.
    Raster(Cube),
    /// A vector cube.
    Vector(Box<crate::VectorData>),
}

impl SaveData {
    /// The number of values it holds (pixels × labels, or geometries × labels), known from the plan.
    pub fn value_count(&self) -> f64 {
        match self {
            SaveData::Raster(c) => {
                let g = c.meta().grid();
                (c.meta().values_per_pixel() * g.width * g.height) as f64
            }
            SaveData::Vector(v) => {
                let labels: usize = v.cube.dims().iter().map(|d| d.len()).product();
                (v.cube.geometries().len() * labels) as f64
            }
        }
    }

    /// A description of the plan, for logs and `--explain`.
    pub fn explain(&self) -> String {
        match self {
            SaveData::Raster(c) => c.explain(),
            SaveData::Vector(v) => {
                let raster = v
                    .cube
                    .raster()
                    .map_or_else(|| "(no data under the geometries)\n".into(), Cube::explain);
                format!("aggregate over {} geometries of\n{raster}", v.cube.geometries().len())
            }
        }
    }
}

/// A `save_result` call: what to write and how.
#[derive(Clone, Debug)]
pub struct SaveRequest {
    /// The cube to write.
    pub data: SaveData,
    /// The format name as given (case-insensitive).
    pub format: String,
    /// Format options.
    pub options: BTreeMap<String, Value>,
}

/// What evaluating a graph produced: the result node's value and the `save_result` calls.
#[derive(Debug)]
pub struct Evaluation {
    /// Value of the result node.
    pub result: Value,
    /// Every `save_result` call, in evaluation order.
    pub saves: Vec<SaveRequest>,
}

/// What processes may use while evaluating.
#[derive(Clone)]
pub struct Ctx {
    /// Collections.
    pub catalog: Arc<Catalog>,
    /// Processes.
    pub registry: Arc<Registry>,
    /// User-defined processes.
    pub udps: Option<Arc<dyn UdpLookup>>,
    /// What `load_stac` may read: URLs, local paths, size and time caps.
    pub outbound: Arc<OutboundPolicy>,
    pub(crate) saves: Arc<Mutex<Vec<SaveRequest>>>,
    /// Nesting at which the graph being evaluated was entered (callbacks and user-defined processes add to it).
    level: usize,
    /// The user-defined processes being expanded, outermost first (to refuse recursion).
    udp_chain: Arc<[String]>,
}

impl Ctx {
    /// A context over `catalog` with the strictest outbound policy (public http(s) URLs only, no local files); see
    /// [`Ctx::with_outbound`].
    pub fn new(catalog: Arc<Catalog>, registry: Arc<Registry>, udps: Option<Arc<dyn UdpLookup>>) -> Ctx {
        Ctx {
            catalog,
            registry,
            udps,
            outbound: Arc::new(OutboundPolicy::new()),
            saves: Arc::new(Mutex::new(Vec::new())),
            level: 0,
            udp_chain: Arc::from(Vec::new()),
        }
    }

    /// The context for a callback or node evaluated at nesting `level`.
    fn at_level(&self, level: usize) -> Ctx {
        Ctx { level, ..self.clone() }
    }

    /// The same context with another outbound policy.
    pub fn with_outbound(mut self, outbound: Arc<OutboundPolicy>) -> Ctx {
        self.outbound = outbound;
        self
    }

    pub(crate) fn record_save(&self, s: SaveRequest) {
        if let Ok(mut v) = self.saves.lock() {
            v.push(s);
        }
    }
}

/// Evaluates `graph` (top level, no parameters).
///
/// # Errors
/// Any error of any node, wrapped with the node id and process id.
pub fn evaluate(graph: &ProcessGraph, ctx: &Ctx) -> Result<Evaluation> {
    let result = eval_graph(graph, &HashMap::new(), ctx)?;
    let saves = ctx.saves.lock().map(|v| v.clone()).unwrap_or_default();
    Ok(Evaluation { result, saves })
}

/// Evaluates `graph` with `params` bound, returning the result node's value.
pub(crate) fn eval_graph(graph: &ProcessGraph, params: &HashMap<String, Value>, ctx: &Ctx) -> Result<Value> {
    if ctx.level + graph.depth() > MAX_DEPTH {
        return Err(too_deep());
    }
    let mut memo: HashMap<String, Value> = HashMap::new();
    eval_node(graph, graph.result_id(), params, ctx, ctx.level, &mut memo)
}

fn too_deep() -> Error {
    Error::ProcessGraphComplexity {
        reason: format!(
            "callbacks, user-defined processes and node chains nest deeper than the {MAX_DEPTH} levels allowed"
        ),
    }
}

fn eval_node(
    graph: &ProcessGraph,
    id: &str,
    params: &HashMap<String, Value>,
    ctx: &Ctx,
    level: usize,
    memo: &mut HashMap<String, Value>,
) -> Result<Value> {
    if let Some(v) = memo.get(id) {
        return Ok(v.clone());
    }
    if level > MAX_DEPTH {
        return Err(too_deep());
    }
    let node = graph.node(id).ok_or_else(|| Error::ProcessGraphInvalid {
        reason: format!("missing node '{id}'"),
    })?;
    let mut run = || -> Result<Value> {
        let mut values = HashMap::new();
        for (name, arg) in &node.arguments {
            values.insert(name.clone(), resolve(graph, arg, params, ctx, level, memo)?);
        }
        call_process(&node.process_id, node.namespace, values, &ctx.at_level(level + 1))
    };
    let v = run().map_err(|e| e.in_node(id, &node.process_id))?;
    memo.insert(id.to_string(), v.clone());
    Ok(v)
}

/// Runs process `id` (predefined, else user-defined, as `namespace` allows) with resolved arguments.
pub(crate) fn call_process(id: &str, namespace: Namespace, values: HashMap<String, Value>, ctx: &Ctx) -> Result<Value> {
    if namespace != Namespace::User
        && let Some(def) = ctx.registry.get(id)
    {
        let mut args = Args::new(def, values)?;
        return (def.implementation())(&mut args, ctx);
    }
    if namespace != Namespace::Backend
        && let Some(udp) = ctx.udps.as_ref().and_then(|u| u.process_graph(id))
    {
        if ctx.udp_chain.iter().any(|u| u == id) {
            let chain: Vec<&str> = ctx.udp_chain.iter().map(String::as_str).chain([id]).collect();
            return Err(Error::ProcessGraphInvalid {
                reason: format!("the user-defined process '{id}' calls itself ({})", chain.join(" → ")),
            });
        }
        let inner = Ctx {
            udp_chain: ctx.udp_chain.iter().cloned().chain([id.to_string()]).collect(),
            ..ctx.clone()
        };
        return eval_graph(&udp, &values, &inner);
    }
    Err(Error::ProcessUnsupported {
        process: id.to_string(),
    })
}

fn resolve(
    graph: &ProcessGraph,
    v: &Json,
    params: &HashMap<String, Value>,
    ctx: &Ctx,
    level: usize,
    memo: &mut HashMap<String, Value>,
) -> Result<Value> {
    Ok(match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => Value::Text(s.clone()),
        Json::Array(a) => Value::Array(
            a.iter()
                .map(|x| resolve(graph, x, params, ctx, level, memo))
                .collect::<Result<_>>()?,
            None,
        ),
        Json::Object(o) => {
            if let Some(Json::String(n)) = o.get("from_node") {
                return eval_node(graph, n, params, ctx, level + 1, memo);
            }
            if let Some(Json::String(p)) = o.get("from_parameter") {
                return params
                    .get(p)
                    .cloned()
                    .ok_or_else(|| Error::ProcessGraphParameterMissing { parameter: p.clone() });
            }
            if let Some(pg) = o.get("process_graph") {
                return Ok(Value::Callback(Arc::new(ProcessGraph::from_json(pg)?)));
            }
            Value::Object(
                o.iter()
                    .map(|(k, x)| Ok((k.clone(), resolve(graph, x, params, ctx, level, memo)?)))
                    .collect::<Result<_>>()?,
            )
        }
    })
}

/// Converts plain JSON (no references) to a value.
pub(crate) fn json_to_value(v: &Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => Value::Text(s.clone()),
        Json::Array(a) => Value::Array(a.iter().map(json_to_value).collect(), None),
        Json::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), json_to_value(x))).collect()),
    }
}
