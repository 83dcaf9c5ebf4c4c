//! Callbacks as engine cell functions: the child graph is evaluated once per tile on per-cell fields.

use std::collections::HashMap;
use std::sync::Arc;

use openeo_engine::CellFn;

use super::ProcessGraph;
use super::eval::eval_graph;
use crate::{Ctx, Result, Value};

/// How the engine's inputs are passed to the callback.
#[derive(Debug, Clone)]
pub(crate) enum Inputs {
    /// All inputs as one labelled array parameter (reducers: `data`).
    Array { name: &'static str, labels: Arc<[String]> },
    /// All inputs as one array parameter without labels, of any length (`aggregate_spatial`'s pixels).
    List { name: &'static str },
    /// Each input as its own parameter (`x` for apply; `x`, `y` for resolvers).
    Named(&'static [&'static str]),
}

/// A callback graph bound to its parameters.
pub(crate) struct CallbackFn {
    /// `Some((process, ignore_nodata))` when the graph is just `<reducer>(data)`.
    fast: Option<(String, bool)>,
    graph: Arc<ProcessGraph>,
    inputs: Inputs,
    context: Value,
    ctx: Ctx,
}

impl std::fmt::Debug for CallbackFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackFn").field("inputs", &self.inputs).finish()
    }
}

impl CallbackFn {
    pub(crate) fn new(graph: Arc<ProcessGraph>, inputs: Inputs, context: Value, ctx: &Ctx) -> CallbackFn {
        let fast = match &inputs {
            Inputs::Array { name, .. } | Inputs::List { name } => simple_reducer(&graph, name),
            Inputs::Named(_) => None,
        };
        CallbackFn {
            fast,
            graph,
            inputs,
            context,
            ctx: ctx.clone(),
        }
    }

    /// A callback that is also tried once on a single no-data cell, so that what fails for every cell (an undefined
    /// parameter, an unknown process, an array element that does not exist, a result that is not one value per
    /// cell) is reported while planning, before any data is read.
    pub(crate) fn try_new(graph: Arc<ProcessGraph>, inputs: Inputs, context: Value, ctx: &Ctx) -> Result<CallbackFn> {
        let f = CallbackFn::new(graph, inputs, context, ctx);
        f.call(&f.probe(&[f32::NAN]), 1)?;
        Ok(f)
    }

    /// Inputs of one cell for trying the callback: `cell` for every input it takes.
    fn probe<'a>(&self, cell: &'a [f32]) -> Vec<&'a [f32]> {
        let lanes = match &self.inputs {
            Inputs::Array { labels, .. } => labels.len(),
            Inputs::List { .. } => 1,
            Inputs::Named(names) => names.len(),
        };
        vec![cell; lanes]
    }

    /// Like [`CallbackFn::try_new`] for callbacks that return an array per cell (`apply_dimension`): also the
    /// number of values they return, which the output dimension gets as its length.
    pub(crate) fn try_new_many(
        graph: Arc<ProcessGraph>,
        inputs: Inputs,
        context: Value,
        ctx: &Ctx,
    ) -> Result<(CallbackFn, usize)> {
        let f = CallbackFn::new(graph, inputs, context, ctx);
        let n = f.call_many(&f.probe(&[f32::NAN]), 1)?.len();
        Ok((f, n))
    }

    /// Evaluates the callback on plain values (used for scalar checks and by tests).
    pub(crate) fn eval_values(&self, values: Vec<Value>) -> Result<Value> {
        let mut params = HashMap::new();
        match &self.inputs {
            Inputs::Array { name, labels } => {
                params.insert((*name).to_string(), Value::Array(values, Some(labels.clone())));
            }
            Inputs::List { name } => {
                params.insert((*name).to_string(), Value::Array(values, None));
            }
            Inputs::Named(names) => {
                for (n, v) in names.iter().zip(values) {
                    params.insert((*n).to_string(), v);
                }
            }
        }
        params.insert("context".into(), self.context.clone());
        eval_graph(&self.graph, &params, &self.ctx)
    }
}

impl CellFn for CallbackFn {
    fn accumulator(&self, len: usize) -> Option<Box<dyn openeo_engine::Accumulator>> {
        let (process, ignore) = self.fast.as_ref()?;
        crate::math::Streaming::new(process, len, *ignore).map(|s| Box::new(s) as Box<dyn openeo_engine::Accumulator>)
    }

    fn call_many(&self, inputs: &[&[f32]], len: usize) -> openeo_engine::Result<Vec<Vec<f32>>> {
        let out = self.evaluate(inputs)?;
        match out {
            Value::Array(items, _) => items.into_iter().map(|v| lane(v, len)).collect(),
            other => Ok(vec![lane(other, len)?]),
        }
    }

    fn call(&self, inputs: &[&[f32]], len: usize) -> openeo_engine::Result<Vec<f32>> {
        if let Some(out) = self
            .fast
            .as_ref()
            .and_then(|(p, ignore)| crate::math::reduce_lanes(p, inputs, len, *ignore))
        {
            return Ok(out);
        }
        lane(self.evaluate(inputs)?, len)
    }
}

impl CallbackFn {
    /// The callback's result for the cells of `inputs` (one field per input).
    fn evaluate(&self, inputs: &[&[f32]]) -> openeo_engine::Result<Value> {
        let values = inputs.iter().map(|s| Value::Field(Arc::from(*s))).collect();
        self.eval_values(values).map_err(|e| openeo_engine::Error::Callback {
            code: e.code().to_string(),
            message: e.to_string(),
        })
    }
}

/// One value per cell from a callback's result: a field, or one number (null, boolean) for every cell.
fn lane(v: Value, len: usize) -> openeo_engine::Result<Vec<f32>> {
    match v {
        Value::Field(f) if f.len() == len => Ok(f.to_vec()),
        Value::Number(n) => Ok(vec![n as f32; len]),
        Value::Null => Ok(vec![f32::NAN; len]),
        Value::Bool(b) => Ok(vec![if b { 1.0 } else { 0.0 }; len]),
        other => Err(openeo_engine::Error::Callback {
            code: "ProcessParameterInvalid".into(),
            message: format!(
                "the callback must return one number per cell, it returned {}",
                other.type_name()
            ),
        }),
    }
}

/// Recognises `{"r": {"process_id": <reducer>, "arguments": {"data": {"from_parameter": <param>}, "ignore_nodata"?: bool}}}`.
fn simple_reducer(graph: &ProcessGraph, param: &str) -> Option<(String, bool)> {
    let node = graph.single_node()?;
    let data = node.arguments.get("data")?;
    if data.get("from_parameter").and_then(serde_json::Value::as_str) != Some(param) {
        return None;
    }
    let ignore = match node.arguments.get("ignore_nodata") {
        None => true,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(_) => return None,
    };
    if node.arguments.keys().any(|k| k != "data" && k != "ignore_nodata") {
        return None;
    }
    Some((node.process_id.clone(), ignore))
}
