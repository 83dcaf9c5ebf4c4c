//! eq, neq, gt, gte, lt, lte: scalars with the specification's type rules, fields cell by cell.

use crate::graph::Args;
use crate::math::{Accepts, Output, cellwise, from_truth};
use crate::{Ctx, Result, Value};

/// A comparison.
#[derive(Clone, Copy, Debug)]
enum Op {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Op {
    /// The comparison of two numbers (`delta` only matters for `eq`/`neq`).
    fn numbers(self, a: f64, b: f64, delta: Option<f64>) -> bool {
        let equal = match delta {
            Some(d) => (a - b).abs() <= d,
            None => a == b,
        };
        match self {
            Op::Eq => equal,
            Op::Neq => !equal,
            Op::Gt => a > b,
            Op::Gte => a >= b,
            Op::Lt => a < b,
            Op::Lte => a <= b,
        }
    }

    /// The comparison of two operands that are not both numbers, given whether they are equal.
    fn mixed(self, equal: bool) -> bool {
        match self {
            Op::Eq | Op::Gte | Op::Lte => equal,
            Op::Neq => !equal,
            Op::Gt | Op::Lt => false,
        }
    }
}

pub(super) fn eq(args: &mut Args, _: &Ctx) -> Result<Value> {
    compare(args, Op::Eq)
}

pub(super) fn neq(args: &mut Args, _: &Ctx) -> Result<Value> {
    compare(args, Op::Neq)
}

pub(super) fn gt(args: &mut Args, _: &Ctx) -> Result<Value> {
    compare(args, Op::Gt)
}

pub(super) fn gte(args: &mut Args, _: &Ctx) -> Result<Value> {
    compare(args, Op::Gte)
}

pub(super) fn lt(args: &mut Args, _: &Ctx) -> Result<Value> {
    compare(args, Op::Lt)
}

pub(super) fn lte(args: &mut Args, _: &Ctx) -> Result<Value> {
    compare(args, Op::Lte)
}

/// A top-level operand that is not no-data.
enum Scalar<'a> {
    Number(f64),
    Bool(bool),
    Text(&'a str),
}

/// The operand `name`, `None` for no-data (`null`; a NaN number is compared as IEEE 754 says).
fn scalar<'a>(args: &Args, name: &str, v: &'a Value) -> Result<Option<Scalar<'a>>> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(Some(Scalar::Number(*n))),
        Value::Bool(b) => Ok(Some(Scalar::Bool(*b))),
        Value::Text(s) => Ok(Some(Scalar::Text(s))),
        other => Err(args.invalid(
            name,
            format!("expected a number, a boolean or a string, got {}", other.type_name()),
        )),
    }
}

/// Strict equality of operands that are not both numbers.
fn equal(a: &Scalar<'_>, b: &Scalar<'_>, case_sensitive: bool) -> bool {
    match (a, b) {
        (Scalar::Bool(a), Scalar::Bool(b)) => a == b,
        (Scalar::Text(a), Scalar::Text(b)) if case_sensitive => a == b,
        (Scalar::Text(a), Scalar::Text(b)) => a.to_lowercase() == b.to_lowercase(),
        _ => false,
    }
}

fn compare(args: &Args, op: Op) -> Result<Value> {
    let (x, y) = (args.get("x")?, args.get("y")?);
    // only eq and neq declare delta and case_sensitive
    let (delta, case_sensitive) = match op {
        Op::Eq | Op::Neq => {
            let delta = args.opt_number("delta")?;
            if delta.is_some_and(|d| d.is_nan() || d <= 0.0) {
                return Err(args.invalid("delta", "must be greater than 0"));
            }
            (delta, !matches!(args.get("case_sensitive")?, Value::Bool(false)))
        }
        _ => (None, true),
    };
    if matches!(x, Value::Field(_)) || matches!(y, Value::Field(_)) {
        return compare_cells(args, op, &x, &y, delta);
    }
    Ok(match (scalar(args, "x", &x)?, scalar(args, "y", &y)?) {
        (Some(Scalar::Number(a)), Some(Scalar::Number(b))) => Value::Bool(op.numbers(a, b, delta)),
        (Some(a), Some(b)) => Value::Bool(op.mixed(equal(&a, &b, case_sensitive))),
        _ => Value::Null,
    })
}

/// Compares cell by cell, at the cells' `float32` precision; a string operand equals no cell.
fn compare_cells(args: &Args, op: Op, x: &Value, y: &Value, delta: Option<f64>) -> Result<Value> {
    let (process, accepts, output) = (args.process(), Accepts::NumbersAndBooleans, Output::Boolean);
    let operand = match (x, y) {
        (Value::Text(_), other) => Some(("y", other)),
        (other, Value::Text(_)) => Some(("x", other)),
        _ => None,
    };
    if let Some(cells) = operand {
        let result = from_truth(Some(op.mixed(false)));
        return cellwise(process, &[cells], accepts, output, |v| {
            if v[0].is_nan() { f64::NAN } else { result }
        });
    }
    cellwise(process, &[("x", x), ("y", y)], accepts, output, |v| {
        if v[0].is_nan() || v[1].is_nan() {
            return f64::NAN;
        }
        let (a, b) = (f64::from(v[0] as f32), f64::from(v[1] as f32));
        from_truth(Some(op.numbers(a, b, delta)))
    })
}
