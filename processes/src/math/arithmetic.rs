//! add, subtract, multiply, divide, absolute, sqrt, power, linear_scale_range, normalized_difference.
//! See <https://processes.openeo.org>. Division by zero follows IEEE 754 (±inf or NaN, i.e. no-data).

use super::cellwise::{binary, unary};
use super::elementwise;
use crate::graph::Args;
use crate::registry::ProcessDef;
use crate::{Ctx, Result, Value};

pub(super) fn processes() -> Vec<ProcessDef> {
    vec![
        ProcessDef::new(include_str!("specs/add.json"), add),
        ProcessDef::new(include_str!("specs/subtract.json"), subtract),
        ProcessDef::new(include_str!("specs/multiply.json"), multiply),
        ProcessDef::new(include_str!("specs/divide.json"), divide),
        ProcessDef::new(include_str!("specs/absolute.json"), absolute),
        ProcessDef::new(include_str!("specs/sqrt.json"), sqrt),
        ProcessDef::new(include_str!("specs/power.json"), power),
        ProcessDef::new(include_str!("specs/linear_scale_range.json"), linear_scale_range),
        ProcessDef::new(include_str!("specs/normalized_difference.json"), normalized_difference),
    ]
}

fn add(args: &mut Args, _: &Ctx) -> Result<Value> {
    binary(args, "x", "y", |x, y| x + y)
}

fn subtract(args: &mut Args, _: &Ctx) -> Result<Value> {
    binary(args, "x", "y", |x, y| x - y)
}

fn multiply(args: &mut Args, _: &Ctx) -> Result<Value> {
    binary(args, "x", "y", |x, y| x * y)
}

fn divide(args: &mut Args, _: &Ctx) -> Result<Value> {
    binary(args, "x", "y", |x, y| x / y)
}

fn absolute(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", f64::abs)
}

fn sqrt(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", f64::sqrt)
}

fn power(args: &mut Args, _: &Ctx) -> Result<Value> {
    binary(args, "base", "p", f64::powf)
}

fn normalized_difference(args: &mut Args, _: &Ctx) -> Result<Value> {
    binary(args, "x", "y", |x, y| (x - y) / (x + y))
}

fn linear_scale_range(args: &mut Args, _: &Ctx) -> Result<Value> {
    let x = args.get("x")?;
    let (imin, imax) = (args.get("inputMin")?, args.get("inputMax")?);
    let (omin, omax) = (args.get("outputMin")?, args.get("outputMax")?);
    elementwise(
        args.process(),
        &[
            ("x", &x),
            ("inputMin", &imin),
            ("inputMax", &imax),
            ("outputMin", &omin),
            ("outputMax", &omax),
        ],
        |v| {
            let [x, imin, imax, omin, omax] = [v[0], v[1], v[2], v[3], v[4]];
            let c = x.clamp(imin.min(imax), imin.max(imax));
            (c - imin) / (imax - imin) * (omax - omin) + omin
        },
    )
}
