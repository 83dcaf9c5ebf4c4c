//! Values flowing between nodes: JSON-like scalars and containers, per-cell fields (a callback evaluated on a whole
//! tile at once), cubes and callbacks.

use std::collections::BTreeMap;
use std::sync::Arc;

use openeo_engine::Cube;

use crate::graph::ProcessGraph;

/// A value in a process graph.
#[derive(Clone, Debug)]
pub enum Value {
    /// `null` (no-data).
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    Text(String),
    /// An array, with labels when it is a labelled array (a callback's `data`).
    Array(Vec<Value>, Option<Arc<[String]>>),
    /// An object.
    Object(BTreeMap<String, Value>),
    /// One number per cell of a tile (NaN = no-data), inside callbacks.
    Field(Arc<[f32]>),
    /// A data cube (lazy).
    Cube(Box<Cube>),
    /// A vector data cube (lazy).
    Vector(Box<crate::VectorData>),
    /// A child process graph (callback).
    Callback(Arc<ProcessGraph>),
}

impl Value {
    /// The value as JSON (cubes and callbacks become descriptive strings; fields become arrays).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => serde_json::Number::from_f64(*n).map_or(J::Null, J::Number),
            Value::Text(s) => J::String(s.clone()),
            Value::Array(v, _) => J::Array(v.iter().map(Value::to_json).collect()),
            Value::Object(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Value::Field(f) => J::Array(
                f.iter()
                    .map(|v| serde_json::Number::from_f64(f64::from(*v)).map_or(J::Null, J::Number))
                    .collect(),
            ),
            Value::Cube(_) | Value::Vector(_) => J::String("<datacube>".into()),
            Value::Callback(_) => J::String("<process graph>".into()),
        }
    }

    /// A short name of the value's type for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::Text(_) => "string",
            Value::Array(..) => "array",
            Value::Object(_) => "object",
            Value::Field(_) => "number",
            Value::Cube(_) | Value::Vector(_) => "datacube",
            Value::Callback(_) => "process graph",
        }
    }
}
