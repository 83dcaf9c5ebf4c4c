//! Typed access to a process's arguments, checked against the parameters its metadata declares.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use openeo_engine::Cube;

use super::ProcessGraph;
use crate::registry::ProcessDef;
use crate::{Error, Result, Value};

/// A temporal interval `[start, end)`; `None` bounds are open.
pub(crate) type Interval = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The arguments of one process call.
pub(crate) struct Args {
    def: &'static ProcessDef,
    values: HashMap<String, Value>,
}

impl Args {
    /// Checks the arguments against the declared parameters: no unknown names, every required one present (a
    /// required parameter whose schema accepts `null` may be omitted and then is `null`).
    pub(crate) fn new(def: &'static ProcessDef, values: HashMap<String, Value>) -> Result<Args> {
        for name in values.keys() {
            if def.parameter(name).is_none() {
                return Err(Error::ProcessParameterUnsupported {
                    process: def.id().into(),
                    parameter: name.clone(),
                });
            }
        }
        for p in def.parameters() {
            if !p.optional && !p.nullable && !values.contains_key(&p.name) {
                return Err(Error::ProcessParameterRequired {
                    process: def.id().into(),
                    parameter: p.name.clone(),
                });
            }
        }
        Ok(Args { def, values })
    }

    /// The process id.
    pub(crate) fn process(&self) -> &'static str {
        self.def.id()
    }

    /// The argument `name`, its default when absent, or null.
    pub(crate) fn get(&self, name: &str) -> Result<Value> {
        let p = self
            .def
            .parameter(name)
            .ok_or_else(|| Error::ProcessParameterUnsupported {
                process: self.def.id().into(),
                parameter: name.into(),
            })?;
        Ok(match self.values.get(name) {
            Some(v) => v.clone(),
            None => p.default.clone().unwrap_or(Value::Null),
        })
    }

    pub(crate) fn invalid(&self, name: &str, reason: impl Into<String>) -> Error {
        Error::invalid(self.def.id(), name, reason)
    }

    pub(crate) fn cube(&self, name: &str) -> Result<Cube> {
        match self.get(name)? {
            Value::Cube(c) => Ok(*c),
            other => Err(self.invalid(name, format!("expected a data cube, got {}", other.type_name()))),
        }
    }

    pub(crate) fn opt_number(&self, name: &str) -> Result<Option<f64>> {
        match self.get(name)? {
            Value::Null => Ok(None),
            Value::Number(n) => Ok(Some(n)),
            other => Err(self.invalid(name, format!("expected a number, got {}", other.type_name()))),
        }
    }

    pub(crate) fn bool(&self, name: &str) -> Result<bool> {
        match self.get(name)? {
            Value::Bool(b) => Ok(b),
            Value::Null => Ok(false),
            other => Err(self.invalid(name, format!("expected a boolean, got {}", other.type_name()))),
        }
    }

    pub(crate) fn opt_string(&self, name: &str) -> Result<Option<String>> {
        match self.get(name)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s)),
            other => Err(self.invalid(name, format!("expected a string, got {}", other.type_name()))),
        }
    }

    pub(crate) fn string(&self, name: &str) -> Result<String> {
        self.opt_string(name)?
            .ok_or_else(|| self.invalid(name, "expected a string, got null"))
    }

    pub(crate) fn opt_strings(&self, name: &str) -> Result<Option<Vec<String>>> {
        match self.get(name)? {
            Value::Null => Ok(None),
            Value::Array(v, _) => v
                .into_iter()
                .map(|x| match x {
                    Value::Text(s) => Ok(s),
                    other => Err(self.invalid(name, format!("expected strings, got {}", other.type_name()))),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            other => Err(self.invalid(name, format!("expected an array of strings, got {}", other.type_name()))),
        }
    }

    pub(crate) fn opt_callback(&self, name: &str) -> Result<Option<Arc<ProcessGraph>>> {
        match self.get(name)? {
            Value::Null => Ok(None),
            Value::Callback(g) => Ok(Some(g)),
            other => Err(self.invalid(name, format!("expected a process graph, got {}", other.type_name()))),
        }
    }

    pub(crate) fn callback(&self, name: &str) -> Result<Arc<ProcessGraph>> {
        self.opt_callback(name)?.ok_or_else(|| Error::ProcessParameterRequired {
            process: self.def.id().into(),
            parameter: name.into(),
        })
    }

    /// A temporal interval `[start, end]` of two instants/dates or nulls.
    pub(crate) fn interval(&self, name: &str) -> Result<Interval> {
        match self.get(name)? {
            Value::Null => Ok((None, None)),
            Value::Array(v, _) if v.len() == 2 => {
                let parse = |x: &Value| -> Result<Option<DateTime<Utc>>> {
                    match x {
                        Value::Null => Ok(None),
                        Value::Text(s) => parse_instant(s)
                            .map(Some)
                            .ok_or_else(|| self.invalid(name, format!("'{s}' is not a date or date-time"))),
                        other => Err(self.invalid(name, format!("expected a date string, got {}", other.type_name()))),
                    }
                };
                let (s, e) = (parse(&v[0])?, parse(&v[1])?);
                if s.is_none() && e.is_none() {
                    return Err(self.invalid(name, "both interval bounds are null"));
                }
                Ok((s, e))
            }
            _ => Err(self.invalid(name, "expected an array of two dates")),
        }
    }
}

/// Parses an RFC 3339 date-time or a date (midnight UTC).
pub(crate) fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|n| n.and_utc())
        })
}
