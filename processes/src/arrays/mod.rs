//! Array processes: array_element, first, last, count. Inside callbacks the arrays hold per-cell fields.

use std::sync::Arc;

use crate::graph::Args;
use crate::math::reduce_values;
use crate::registry::ProcessDef;
use crate::{Ctx, Error, Result, Value};

/// The processes of this family.
pub(crate) fn processes() -> Vec<ProcessDef> {
    vec![
        ProcessDef::new(include_str!("specs/array_element.json"), array_element),
        ProcessDef::new(include_str!("specs/first.json"), first),
        ProcessDef::new(include_str!("specs/last.json"), last),
        ProcessDef::new(include_str!("specs/count.json"), count),
    ]
}

fn array_element(args: &mut Args, _: &Ctx) -> Result<Value> {
    let Value::Array(items, labels) = args.get("data")? else {
        return Err(args.invalid("data", "expected an array"));
    };
    let index = args.opt_number("index")?;
    let label = args.get("label")?;
    let return_nodata = args.bool("return_nodata")?;
    let pos = match (index, &label) {
        (Some(_), Value::Text(_) | Value::Number(_)) => {
            return Err(Error::invalid(
                args.process(),
                "index",
                "give either index or label, not both",
            ));
        }
        (Some(i), _) => {
            if i < 0.0 || i.fract() != 0.0 {
                return Err(args.invalid("index", "must be a non-negative integer"));
            }
            ((i as usize) < items.len()).then_some(i as usize)
        }
        (None, Value::Text(l)) => labels.as_ref().and_then(|ls| ls.iter().position(|x| x == l)),
        (None, Value::Number(n)) => labels
            .as_ref()
            .and_then(|ls| ls.iter().position(|x| x.parse::<f64>().ok() == Some(*n))),
        (None, _) => {
            return Err(Error::ProcessParameterRequired {
                process: args.process().into(),
                parameter: "index".into(),
            });
        }
    };
    match pos {
        Some(p) => Ok(items[p].clone()),
        None if return_nodata => Ok(Value::Null),
        None => Err(Error::ArrayElementNotAvailable {
            what: match (index, label) {
                (Some(i), _) => format!("index {i}"),
                (_, l) => format!("label {}", l.to_json()),
            },
        }),
    }
}

fn pick(args: &Args, from_end: bool) -> Result<Value> {
    let data = args.get("data")?;
    let ignore = !matches!(args.get("ignore_nodata")?, Value::Bool(false));
    let Value::Array(items, _) = &data else {
        return Err(args.invalid("data", "expected an array"));
    };
    if items.is_empty() {
        return Ok(Value::Null);
    }
    if !ignore {
        let v = if from_end { items.last() } else { items.first() };
        return Ok(v.cloned().unwrap_or(Value::Null));
    }
    // With all-scalar input reduce_values returns the first/last valid; with fields it works per cell.
    reduce_values(args.process(), &data, true, |v| {
        if from_end { v[v.len() - 1] } else { v[0] }
    })
}

fn first(args: &mut Args, _: &Ctx) -> Result<Value> {
    pick(args, false)
}

fn last(args: &mut Args, _: &Ctx) -> Result<Value> {
    pick(args, true)
}

fn count(args: &mut Args, _: &Ctx) -> Result<Value> {
    let data = args.get("data")?;
    let Value::Array(items, _) = &data else {
        return Err(args.invalid("data", "expected an array"));
    };
    let all = match args.get("condition")? {
        Value::Null => false,
        Value::Bool(true) => true,
        _ => {
            return Err(args.invalid(
                "condition",
                "only null (count valid values) and true (count all) are supported",
            ));
        }
    };
    if all {
        return Ok(Value::Number(items.len() as f64));
    }
    let len = items.iter().find_map(|v| match v {
        Value::Field(f) => Some(f.len()),
        _ => None,
    });
    let valid = |v: &Value, i: usize| match v {
        Value::Null => false,
        Value::Number(n) => !n.is_nan(),
        Value::Field(f) => f.get(i).is_some_and(|x| !x.is_nan()),
        _ => true,
    };
    Ok(match len {
        None => Value::Number(items.iter().filter(|v| valid(v, 0)).count() as f64),
        Some(n) => Value::Field(
            (0..n)
                .map(|i| items.iter().filter(|v| valid(v, i)).count() as f32)
                .collect::<Arc<[f32]>>(),
        ),
    })
}
