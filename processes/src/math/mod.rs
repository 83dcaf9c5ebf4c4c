//! Mathematical processes (arithmetic and statistics). They work on numbers and, inside callbacks, on per-cell
//! fields, element by element; `null` and NaN are no-data.

mod arithmetic;
mod statistics;

use std::sync::Arc;

use crate::registry::ProcessDef;
use crate::{Error, Result, Value};

pub(crate) use statistics::{Streaming, reduce_lanes, reduce_values};

/// The processes of this family.
pub(crate) fn processes() -> Vec<ProcessDef> {
    let mut v = arithmetic::processes();
    v.extend(statistics::processes());
    v
}

/// A numeric operand: a scalar (None = null) or a field.
enum Num<'a> {
    Scalar(Option<f64>),
    Field(&'a [f32]),
}

fn num<'a>(v: &'a Value, process: &str, param: &str) -> Result<Num<'a>> {
    match v {
        Value::Null => Ok(Num::Scalar(None)),
        Value::Number(n) => Ok(Num::Scalar(Some(*n))),
        Value::Field(f) => Ok(Num::Field(f)),
        other => Err(Error::invalid(
            process,
            param,
            format!("expected a number, got {}", other.type_name()),
        )),
    }
}

fn scalar_or_field(len: Option<usize>, f: impl Fn(usize) -> f64) -> Value {
    match len {
        None => {
            let r = f(0);
            if r.is_nan() { Value::Null } else { Value::Number(r) }
        }
        Some(n) => Value::Field((0..n).map(|i| f(i) as f32).collect::<Arc<[f32]>>()),
    }
}

fn get(n: &Num<'_>, i: usize) -> f64 {
    match n {
        Num::Scalar(s) => s.unwrap_or(f64::NAN),
        Num::Field(f) => f.get(i).map_or(f64::NAN, |v| f64::from(*v)),
    }
}

fn field_len(ns: &[&Num<'_>]) -> Option<usize> {
    ns.iter().find_map(|n| match n {
        Num::Field(f) => Some(f.len()),
        Num::Scalar(_) => None,
    })
}

/// Applies `f` element-wise to numeric operands (scalars broadcast over fields); no-data in → no-data out.
pub(crate) fn elementwise(process: &str, operands: &[(&str, &Value)], f: impl Fn(&[f64]) -> f64) -> Result<Value> {
    let nums: Vec<Num<'_>> = operands
        .iter()
        .map(|(p, v)| num(v, process, p))
        .collect::<Result<_>>()?;
    let refs: Vec<&Num<'_>> = nums.iter().collect();
    let len = field_len(&refs);
    let mut buf = vec![0.0; nums.len()];
    let out = match len {
        None => {
            for (b, n) in buf.iter_mut().zip(&nums) {
                *b = get(n, 0);
            }
            if buf.iter().any(|v| v.is_nan()) {
                f64::NAN
            } else {
                f(&buf)
            }
        }
        Some(n) => {
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                for (b, x) in buf.iter_mut().zip(&nums) {
                    *b = get(x, i);
                }
                out.push(if buf.iter().any(|v| v.is_nan()) {
                    f32::NAN
                } else {
                    f(&buf) as f32
                });
            }
            return Ok(Value::Field(out.into()));
        }
    };
    Ok(scalar_or_field(None, |_| out))
}
