//! Reducers: mean, median, min, max, sum, sd, variance, product. `ignore_nodata` defaults to true; all no-data
//! gives no-data; sd and variance are sample statistics (n − 1). Over a labelled array of fields the reduction is
//! done per cell.

use std::sync::Arc;

use crate::graph::Args;
use crate::registry::ProcessDef;
use crate::{Ctx, Error, Result, Value};

pub(super) fn processes() -> Vec<ProcessDef> {
    vec![
        ProcessDef::new(include_str!("specs/mean.json"), mean),
        ProcessDef::new(include_str!("specs/median.json"), median),
        ProcessDef::new(include_str!("specs/min.json"), min),
        ProcessDef::new(include_str!("specs/max.json"), max),
        ProcessDef::new(include_str!("specs/sum.json"), sum),
        ProcessDef::new(include_str!("specs/sd.json"), sd),
        ProcessDef::new(include_str!("specs/variance.json"), variance),
        ProcessDef::new(include_str!("specs/product.json"), product),
    ]
}

/// Reduces the array `data` with `f` over the valid values of each cell (`f` gets a non-empty slice).
/// Without `ignore_nodata`, a cell with any no-data value is no-data.
pub(crate) fn reduce_values(
    process: &str,
    data: &Value,
    ignore_nodata: bool,
    f: impl Fn(&mut [f64]) -> f64,
) -> Result<Value> {
    let Value::Array(items, _) = data else {
        return Err(Error::invalid(
            process,
            "data",
            format!("expected an array, got {}", data.type_name()),
        ));
    };
    let len = items.iter().find_map(|v| match v {
        Value::Field(f) => Some(f.len()),
        _ => None,
    });
    let scalar = |v: &Value, i: usize| -> Result<f64> {
        match v {
            Value::Null => Ok(f64::NAN),
            Value::Number(n) => Ok(*n),
            Value::Field(f) => Ok(f.get(i).map_or(f64::NAN, |x| f64::from(*x))),
            other => Err(Error::invalid(
                process,
                "data",
                format!("expected numbers, got {}", other.type_name()),
            )),
        }
    };
    let mut buf = Vec::with_capacity(items.len());
    let mut cell = |i: usize| -> Result<f64> {
        buf.clear();
        for v in items {
            let x = scalar(v, i)?;
            if x.is_nan() {
                if !ignore_nodata {
                    return Ok(f64::NAN);
                }
            } else {
                buf.push(x);
            }
        }
        Ok(if buf.is_empty() {
            f64::NAN
        } else {
            f(&mut buf)
        })
    };
    match len {
        None => {
            let r = cell(0)?;
            Ok(if r.is_nan() {
                Value::Null
            } else {
                Value::Number(r)
            })
        }
        Some(n) => {
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                out.push(cell(i)? as f32);
            }
            Ok(Value::Field(Arc::from(out)))
        }
    }
}

fn run(args: &Args, f: impl Fn(&mut [f64]) -> f64) -> Result<Value> {
    let data = args.get("data")?;
    let ignore = args.get("ignore_nodata")?;
    let ignore = !matches!(ignore, Value::Bool(false));
    reduce_values(args.process(), &data, ignore, f)
}

fn mean(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, |v| v.iter().sum::<f64>() / v.len() as f64)
}

fn median(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, |v| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    })
}

fn min(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, |v| v.iter().copied().fold(f64::INFINITY, f64::min))
}

fn max(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, |v| {
        v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    })
}

fn sum(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, |v| v.iter().sum())
}

fn product(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, |v| v.iter().product())
}

fn sample_variance(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    if v.len() < 2 {
        return f64::NAN;
    }
    let m = v.iter().sum::<f64>() / n;
    v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)
}

fn variance(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, |v| sample_variance(v))
}

fn sd(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, |v| sample_variance(v).sqrt())
}
