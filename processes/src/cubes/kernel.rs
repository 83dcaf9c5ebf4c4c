//! apply_kernel (<https://processes.openeo.org/#apply_kernel>): a weighted kernel of odd size over `y` and `x`,
//! with the specification's border modes.

use openeo_engine::Border;

use crate::graph::Args;
use crate::{Ctx, Result, Value};

pub(super) fn apply_kernel(args: &mut Args, _: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let bad = || args.invalid("kernel", "expected a two-dimensional array of numbers");
    let Value::Array(rows, _) = args.get("kernel")? else {
        return Err(bad());
    };
    let weights = rows
        .iter()
        .map(|r| match r {
            Value::Array(v, _) => v
                .iter()
                .map(|x| match x {
                    Value::Number(n) => Ok(*n),
                    _ => Err(bad()),
                })
                .collect::<Result<Vec<f64>>>(),
            _ => Err(bad()),
        })
        .collect::<Result<Vec<_>>>()?;
    let factor = args.opt_number("factor")?.unwrap_or(1.0);
    let border = match args.get("border")? {
        Value::Number(n) => Border::Constant(n as f32),
        Value::Text(s) => match s.as_str() {
            "replicate" => Border::Replicate,
            "reflect" => Border::Reflect,
            "reflect_pixel" => Border::ReflectPixel,
            "wrap" => Border::Wrap,
            other => {
                return Err(args.invalid(
                    "border",
                    format!("unknown border mode '{other}'; a number or replicate, reflect, reflect_pixel, wrap"),
                ));
            }
        },
        other => {
            return Err(args.invalid(
                "border",
                format!("expected a number or a mode, got {}", other.type_name()),
            ));
        }
    };
    let replace_invalid = args.opt_number("replace_invalid")?.unwrap_or(0.0);
    Ok(Value::Cube(Box::new(cube.kernel(
        &weights,
        factor,
        border,
        replace_invalid,
    )?)))
}
