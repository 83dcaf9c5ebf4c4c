//! The element-wise core shared by every process that works value by value (arithmetic, comparison, logic,
//! rounding, trigonometry, …). Operands are scalars (`null`, numbers, booleans) or, inside callbacks, per-cell
//! fields (NaN = no-data, booleans as 1.0/0.0). Scalars are broadcast over the fields; without any field the result
//! is a scalar, otherwise a field.
//!
//! The function given sees each operand as an `f64`, NaN standing for no-data, and decides itself what no-data
//! gives (the truth tables of `and`/`or` need that). [`elementwise`] is the common case: no-data in, no-data out.
//! NaN and no-data are one and the same here, as everywhere in the engine.

use std::sync::Arc;

use crate::graph::Args;
use crate::{Error, Result, Value};

/// Which scalar types the operands may have; `null` and fields are always accepted.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Accepts {
    /// Numbers.
    Numbers,
    /// Booleans (as 1.0/0.0).
    Booleans,
    /// Numbers and booleans (as 1.0/0.0).
    NumbersAndBooleans,
}

impl Accepts {
    fn describe(self) -> &'static str {
        match self {
            Accepts::Numbers => "a number",
            Accepts::Booleans => "a boolean",
            Accepts::NumbersAndBooleans => "a number or a boolean",
        }
    }
}

/// What the function's result is: a number, or a boolean (1.0/0.0 in fields, `true`/`false` as a scalar). NaN
/// is no-data either way (`null` as a scalar).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Output {
    /// A number.
    Number,
    /// A boolean.
    Boolean,
}

/// One operand: a scalar (NaN = no-data) or a field.
enum Operand<'a> {
    Scalar(f64),
    Field(&'a [f32]),
}

impl Operand<'_> {
    fn at(&self, i: usize) -> f64 {
        match self {
            Operand::Scalar(s) => *s,
            Operand::Field(f) => f.get(i).map_or(f64::NAN, |v| f64::from(*v)),
        }
    }
}

fn operand<'a>(process: &str, param: &str, v: &'a Value, accepts: Accepts) -> Result<Operand<'a>> {
    use Accepts::{Booleans, Numbers, NumbersAndBooleans};
    match (v, accepts) {
        (Value::Null, _) => Ok(Operand::Scalar(f64::NAN)),
        (Value::Field(f), _) => Ok(Operand::Field(f)),
        (Value::Number(n), Numbers | NumbersAndBooleans) => Ok(Operand::Scalar(*n)),
        (Value::Bool(b), Booleans | NumbersAndBooleans) => Ok(Operand::Scalar(from_truth(Some(*b)))),
        (other, _) => Err(Error::invalid(
            process,
            param,
            format!("expected {}, got {}", accepts.describe(), other.type_name()),
        )),
    }
}

/// Applies `f` to the operands value by value (cell by cell when any operand is a field). `f` gets one `f64` per
/// operand, in order, NaN for no-data, and returns the result (NaN for no-data; 1.0/0.0 for booleans).
///
/// # Errors
/// [`Error::ProcessParameterInvalid`] when an operand has a type `accepts` does not allow.
pub(crate) fn cellwise(
    process: &str,
    operands: &[(&str, &Value)],
    accepts: Accepts,
    output: Output,
    f: impl Fn(&[f64]) -> f64,
) -> Result<Value> {
    let ops = operands
        .iter()
        .map(|(p, v)| operand(process, p, v, accepts))
        .collect::<Result<Vec<_>>>()?;
    let len = ops.iter().find_map(|o| match o {
        Operand::Field(f) => Some(f.len()),
        Operand::Scalar(_) => None,
    });
    let mut buf = vec![0.0; ops.len()];
    let mut at = |i: usize| {
        for (b, o) in buf.iter_mut().zip(&ops) {
            *b = o.at(i);
        }
        f(&buf)
    };
    Ok(match len {
        Some(n) => Value::Field((0..n).map(|i| at(i) as f32).collect::<Arc<[f32]>>()),
        None => {
            let r = at(0);
            // no-data in, no-data out; a NaN computed from numbers (sqrt(-1), 0/0) stays a number
            let nodata = operands.iter().any(|(_, v)| matches!(v, Value::Null));
            match output {
                Output::Number if !nodata => Value::Number(r),
                _ if r.is_nan() => Value::Null,
                Output::Number => Value::Number(r),
                Output::Boolean => Value::Bool(r != 0.0),
            }
        }
    })
}

/// Applies `f` to numeric operands value by value: no-data in any operand gives no-data.
///
/// # Errors
/// [`Error::ProcessParameterInvalid`] when an operand is not a number, `null` or a field.
pub(crate) fn elementwise(process: &str, operands: &[(&str, &Value)], f: impl Fn(&[f64]) -> f64) -> Result<Value> {
    cellwise(process, operands, Accepts::Numbers, Output::Number, |v| {
        if v.iter().any(|x| x.is_nan()) { f64::NAN } else { f(v) }
    })
}

/// The numeric process of one parameter `a`, element-wise.
pub(crate) fn unary(args: &Args, a: &str, f: impl Fn(f64) -> f64) -> Result<Value> {
    let x = args.get(a)?;
    elementwise(args.process(), &[(a, &x)], |v| f(v[0]))
}

/// The numeric process of two parameters `a` and `b`, element-wise.
pub(crate) fn binary(args: &Args, a: &str, b: &str, f: impl Fn(f64, f64) -> f64) -> Result<Value> {
    let (x, y) = (args.get(a)?, args.get(b)?);
    elementwise(args.process(), &[(a, &x), (b, &y)], |v| f(v[0], v[1]))
}

/// A cell value as a truth value: NaN is no-data (`None`), any other non-zero value is true.
pub(crate) fn to_truth(v: f64) -> Option<bool> {
    if v.is_nan() { None } else { Some(v != 0.0) }
}

/// A truth value as a cell value: 1.0, 0.0, or NaN for no-data.
pub(crate) fn from_truth(t: Option<bool>) -> f64 {
    match t {
        Some(true) => 1.0,
        Some(false) => 0.0,
        None => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(v: &[f32]) -> Value {
        Value::Field(Arc::from(v))
    }

    fn cells(v: &Value) -> Vec<f32> {
        match v {
            Value::Field(f) => f.to_vec(),
            other => panic!("expected a field, got {other:?}"),
        }
    }

    #[test]
    fn scalars_broadcast_over_fields_and_nodata_propagates() {
        let x = field(&[1.0, f32::NAN, 3.0]);
        let out = elementwise("add", &[("x", &x), ("y", &Value::Number(10.0))], |v| v[0] + v[1]).unwrap();
        let c = cells(&out);
        assert_eq!((c[0], c[2]), (11.0, 13.0));
        assert!(c[1].is_nan());
        let none = elementwise("add", &[("x", &Value::Null), ("y", &Value::Number(1.0))], |v| {
            v[0] + v[1]
        });
        assert!(matches!(none.unwrap(), Value::Null));
    }

    #[test]
    fn boolean_output() {
        let gt = |v: &[f64]| {
            if v[0].is_nan() {
                f64::NAN
            } else {
                from_truth(Some(v[0] > v[1]))
            }
        };
        let x = field(&[1.0, 5.0, f32::NAN]);
        let operands = [("x", &x), ("y", &Value::Number(2.0))];
        let c = cells(&cellwise("gt", &operands, Accepts::Numbers, Output::Boolean, gt).unwrap());
        assert_eq!((c[0], c[1]), (0.0, 1.0));
        assert!(c[2].is_nan());
        let scalar = cellwise(
            "gt",
            &[("x", &Value::Number(3.0)), ("y", &Value::Number(2.0))],
            Accepts::Numbers,
            Output::Boolean,
            gt,
        );
        assert!(matches!(scalar.unwrap(), Value::Bool(true)));
        let bad = cellwise(
            "gt",
            &[("x", &Value::Bool(true))],
            Accepts::Numbers,
            Output::Boolean,
            gt,
        );
        assert_eq!(bad.unwrap_err().code(), "ProcessParameterInvalid");
    }

    #[test]
    fn boolean_inputs() {
        let not = |v: &[f64]| from_truth(to_truth(v[0]).map(|b| !b));
        let scalar = cellwise(
            "not",
            &[("x", &Value::Bool(false))],
            Accepts::Booleans,
            Output::Boolean,
            not,
        );
        assert!(matches!(scalar.unwrap(), Value::Bool(true)));
        let bad = cellwise(
            "not",
            &[("x", &Value::Number(1.0))],
            Accepts::Booleans,
            Output::Boolean,
            not,
        );
        assert_eq!(bad.unwrap_err().code(), "ProcessParameterInvalid");
        let operands = [("x", &Value::Bool(true)), ("y", &field(&[1.0, 0.0]))];
        let eq = |v: &[f64]| from_truth(Some(v[0] == v[1]));
        let both = cellwise("eq", &operands, Accepts::NumbersAndBooleans, Output::Boolean, eq);
        assert_eq!(cells(&both.unwrap()), vec![1.0, 0.0]);
    }
}
