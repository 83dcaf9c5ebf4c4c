//! apply_kernel (<https://processes.openeo.org/#apply_kernel>): a weighted kernel of odd size over `y` and `x`,
//! with the specification's border modes.

use openeo_engine::Border;

use crate::graph::Args;
use crate::{Ctx, Result, Value};

/// The most weights a kernel may have: every output value costs one multiplication per weight, so a kernel of
/// 501 × 501 over a modest cube would compute for many minutes.
const MAX_WEIGHTS: usize = 128 * 128;

/// Rows of equal, non-zero length and no more than [`MAX_WEIGHTS`] weights (the odd sizes are checked by the
/// engine, with their own error code).
fn check_shape(args: &Args, weights: &[Vec<f64>]) -> Result<()> {
    let cols = weights.first().map_or(0, Vec::len);
    if cols == 0 || weights.iter().any(|r| r.len() != cols) {
        return Err(args.invalid(
            "kernel",
            "expected a non-empty array of rows of equal length (a two-dimensional array of numbers)",
        ));
    }
    if weights.len().saturating_mul(cols) > MAX_WEIGHTS {
        return Err(args.invalid(
            "kernel",
            format!(
                "the kernel is {} × {cols}; at most {MAX_WEIGHTS} weights (e.g. 127 × 127) are supported",
                weights.len()
            ),
        ));
    }
    Ok(())
}

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
    check_shape(args, &weights)?;
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fixture::{call, code, ctx, cube, json as value};

    #[test]
    fn kernels_of_a_bad_shape_or_size_are_refused_naming_the_parameter() {
        let ctx = ctx();
        let kernel = |k: serde_json::Value| call("apply_kernel", &[("data", cube(&ctx)), ("kernel", value(k))], &ctx);
        assert_eq!(code(&kernel(json!([[1, 2, 1], [2, 4, 2], [1, 2, 1]]))), "ok");
        assert_eq!(code(&kernel(json!([[1, 1], [1, 1]]))), "KernelDimensionsUneven");
        for bad in [json!([]), json!([[]]), json!([[1, 1, 1], [1, 1], [1, 1, 1]])] {
            let e = kernel(bad.clone()).unwrap_err();
            assert_eq!(e.code(), "ProcessParameterInvalid", "{bad}");
            assert!(e.to_string().contains("'kernel'"), "{e}");
        }
        let big = vec![vec![1; 501]; 501];
        let e = kernel(json!(big)).unwrap_err();
        assert!(e.to_string().contains("501 × 501"), "{e}");
        assert_eq!(code(&kernel(json!(vec![vec![1; 127]; 127]))), "ok");
        assert_eq!(code(&kernel(json!(vec![vec![1; 129]; 129]))), "ProcessParameterInvalid");
    }
}
