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
    Array {
        name: &'static str,
        labels: Arc<[String]>,
    },
    /// Each input as its own parameter (`x` for apply; `x`, `y` for resolvers).
    Named(&'static [&'static str]),
}

/// A callback graph bound to its parameters.
pub(crate) struct CallbackFn {
    graph: Arc<ProcessGraph>,
    inputs: Inputs,
    context: Value,
    ctx: Ctx,
}

impl std::fmt::Debug for CallbackFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackFn")
            .field("inputs", &self.inputs)
            .finish()
    }
}

impl CallbackFn {
    pub(crate) fn new(
        graph: Arc<ProcessGraph>,
        inputs: Inputs,
        context: Value,
        ctx: &Ctx,
    ) -> CallbackFn {
        CallbackFn {
            graph,
            inputs,
            context,
            ctx: ctx.clone(),
        }
    }

    /// Evaluates the callback on plain values (used for scalar checks and by tests).
    pub(crate) fn eval_values(&self, values: Vec<Value>) -> Result<Value> {
        let mut params = HashMap::new();
        match &self.inputs {
            Inputs::Array { name, labels } => {
                params.insert(
                    (*name).to_string(),
                    Value::Array(values, Some(labels.clone())),
                );
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
    fn call(&self, inputs: &[&[f32]], len: usize) -> openeo_engine::Result<Vec<f32>> {
        let values = inputs.iter().map(|s| Value::Field(Arc::from(*s))).collect();
        let out = self
            .eval_values(values)
            .map_err(|e| openeo_engine::Error::Callback {
                code: e.code().to_string(),
                message: e.to_string(),
            })?;
        let bad = |what: &str| openeo_engine::Error::Callback {
            code: "ProcessParameterInvalid".into(),
            message: format!("the callback must return one number per cell, it returned {what}"),
        };
        match out {
            Value::Field(f) if f.len() == len => Ok(f.to_vec()),
            Value::Number(n) => Ok(vec![n as f32; len]),
            Value::Null => Ok(vec![f32::NAN; len]),
            Value::Bool(b) => Ok(vec![if b { 1.0 } else { 0.0 }; len]),
            other => Err(bad(other.type_name())),
        }
    }
}
