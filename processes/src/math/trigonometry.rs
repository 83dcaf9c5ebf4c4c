//! sin, cos, tan, arcsin, arccos, arctan, arctan2, sinh, cosh, tanh, arsinh, arcosh, artanh (radians). See
//! <https://processes.openeo.org>. Arguments outside a function's domain give NaN, i.e. no-data.

use super::cellwise::{binary, unary};
use crate::graph::Args;
use crate::registry::ProcessDef;
use crate::{Ctx, Result, Value};

pub(super) fn processes() -> Vec<ProcessDef> {
    vec![
        ProcessDef::new(include_str!("specs/sin.json"), sin),
        ProcessDef::new(include_str!("specs/cos.json"), cos),
        ProcessDef::new(include_str!("specs/tan.json"), tan),
        ProcessDef::new(include_str!("specs/arcsin.json"), arcsin),
        ProcessDef::new(include_str!("specs/arccos.json"), arccos),
        ProcessDef::new(include_str!("specs/arctan.json"), arctan),
        ProcessDef::new(include_str!("specs/arctan2.json"), arctan2),
        ProcessDef::new(include_str!("specs/sinh.json"), sinh),
        ProcessDef::new(include_str!("specs/cosh.json"), cosh),
        ProcessDef::new(include_str!("specs/tanh.json"), tanh),
        ProcessDef::new(include_str!("specs/arsinh.json"), arsinh),
        ProcessDef::new(include_str!("specs/arcosh.json"), arcosh),
        ProcessDef::new(include_str!("specs/artanh.json"), artanh),
    ]
}

fn sin(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", f64::sin)
}

fn cos(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", f64::cos)
}

fn tan(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", f64::tan)
}

fn arcsin(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", f64::asin)
}

fn arccos(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", f64::acos)
}

fn arctan(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", f64::atan)
}

fn arctan2(args: &mut Args, _: &Ctx) -> Result<Value> {
    binary(args, "y", "x", f64::atan2)
}

fn sinh(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", f64::sinh)
}

fn cosh(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", f64::cosh)
}

fn tanh(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", f64::tanh)
}

fn arsinh(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", f64::asinh)
}

fn arcosh(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", f64::acosh)
}

fn artanh(args: &mut Args, _: &Ctx) -> Result<Value> {
    unary(args, "x", f64::atanh)
}

#[cfg(test)]
mod tests {
    use crate::testutil::{assert_cells, call, ctx, field};

    #[test]
    fn fields() {
        let ctx = ctx();
        let x = field(&[0.0, 1.0, f32::NAN]);
        assert_cells(
            &call("sin", &[("x", x.clone())], &ctx).unwrap(),
            &[0.0, 1f32.sin(), f32::NAN],
        );
        assert_cells(
            &call("arcsin", &[("x", field(&[2.0, 1.0]))], &ctx).unwrap(),
            &[f32::NAN, 1.570_796_4],
        );
        let y = field(&[1.0, -1.0, 1.0]);
        let out = call("arctan2", &[("y", y), ("x", crate::Value::Number(-1.0))], &ctx).unwrap();
        assert_cells(&out, &[2.356_194_5, -2.356_194_5, 2.356_194_5]);
        let out = call("arctan2", &[("y", crate::Value::Number(1.0)), ("x", x)], &ctx).unwrap();
        assert_cells(
            &out,
            &[std::f32::consts::FRAC_PI_2, std::f32::consts::FRAC_PI_4, f32::NAN],
        );
    }
}
