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
    /// Checks the arguments against the declared parameters: no unknown names, every required one present (even
    /// when its schema accepts `null`, as the specification has it; the one departure is `load_collection`, whose
    /// `spatial_extent` and `temporal_extent` may be omitted and then mean no limit).
    pub(crate) fn new(def: &'static ProcessDef, values: HashMap<String, Value>) -> Result<Args> {
        match Args::name_errors(def, values.keys()).into_iter().next() {
            Some(e) => Err(e),
            None => Ok(Args { def, values }),
        }
    }

    /// Arguments taken as they are, for checking some of their values (see `graph::validate`).
    pub(crate) fn unchecked(def: &'static ProcessDef, values: HashMap<String, Value>) -> Args {
        Args { def, values }
    }

    /// Every unknown argument name and every missing required parameter.
    pub(crate) fn name_errors<'a>(def: &ProcessDef, names: impl Iterator<Item = &'a String> + Clone) -> Vec<Error> {
        let mut errors = Vec::new();
        for name in names.clone() {
            if def.parameter(name).is_none() {
                errors.push(Error::ProcessParameterUnsupported {
                    process: def.id().into(),
                    parameter: name.clone(),
                });
            }
        }
        for p in def.parameters() {
            let omittable = p.nullable && def.id() == "load_collection";
            if !p.optional && !omittable && !names.clone().any(|n| *n == p.name) {
                errors.push(Error::ProcessParameterRequired {
                    process: def.id().into(),
                    parameter: p.name.clone(),
                });
            }
        }
        errors
    }

    /// True when the argument `name` was given.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
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
            Value::Cube(c) => match c.require_values() {
                Ok(()) => Ok(*c),
                Err(openeo_engine::Error::NoDataAvailable { reason }) => Err(openeo_engine::Error::NoDataAvailable {
                    reason: format!("parameter '{name}': {reason}"),
                }
                .into()),
                Err(e) => Err(e.into()),
            },
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
                match (s, e) {
                    (None, None) => Err(self.invalid(name, "both interval bounds are null")),
                    (Some(start), Some(end)) if start >= end => Err(openeo_engine::Error::TemporalExtentEmpty {
                        start: start.to_rfc3339(),
                        end: end.to_rfc3339(),
                    }
                    .into()),
                    _ => Ok((s, e)),
                }
            }
            _ => Err(self.invalid(name, "expected an array of two dates")),
        }
    }
}

/// Parses an RFC 3339 date-time or a date (midnight UTC); years have four digits (0000–9999), as RFC 3339 has it.
pub(crate) fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    if !(s.len() >= 10 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit)) {
        return None;
    }
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
