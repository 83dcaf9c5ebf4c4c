//! filter_temporal, filter_bbox, filter_bands: pushed down into the loads by the engine.

use super::load::spatial_extent;
use crate::graph::callback::Inputs;
use crate::graph::{Args, CallbackFn};
use crate::{Ctx, Result, Value};

pub(super) fn filter_temporal(args: &mut Args, _: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let (start, end) = args.interval("extent")?;
    let dim = args.opt_string("dimension")?;
    Ok(Value::Cube(Box::new(cube.filter_temporal(
        start,
        end,
        dim.as_deref(),
    )?)))
}

pub(super) fn filter_bbox(args: &mut Args, _: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let (bbox, crs) =
        spatial_extent(args, "extent")?.ok_or_else(|| args.invalid("extent", "a bounding box is required"))?;
    Ok(Value::Cube(Box::new(cube.filter_bbox(&bbox, &crs)?)))
}

pub(super) fn filter_bands(args: &mut Args, _: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    // the spec's default `[]` (what the client sends by omitting the argument) means no wavelength filter
    let no_wavelengths = match args.get("wavelengths")? {
        Value::Null => true,
        Value::Array(v, _) => v.is_empty(),
        _ => false,
    };
    if !no_wavelengths {
        return Err(args.invalid(
            "wavelengths",
            "filtering by wavelength is not supported; use band names",
        ));
    }
    let bands = args
        .opt_strings("bands")?
        .ok_or_else(|| args.invalid("bands", "a list of band names is required"))?;
    Ok(Value::Cube(Box::new(cube.filter_bands(&bands)?)))
}

/// filter_labels: the condition is evaluated on every label of the dimension while planning (labels as text; numeric
/// text as numbers), and the labels it accepts are kept.
pub(super) fn filter_labels(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let dimension = args.string("dimension")?;
    if dimension == "x" || dimension == "y" {
        return Err(openeo_engine::Error::Unsupported {
            message: "filter_labels on a spatial dimension (use filter_bbox)".into(),
        }
        .into());
    }
    let axis = cube.meta().axis(&dimension)?;
    let condition = CallbackFn::new(
        args.callback("condition")?,
        Inputs::Named(&["value"]),
        args.get("context")?,
        ctx,
    );
    let mut keep = Vec::new();
    for (i, label) in cube.meta().dims()[axis].labels().to_strings().into_iter().enumerate() {
        let value = match label.parse::<f64>() {
            Ok(n) if n.is_finite() => Value::Number(n),
            _ => Value::Text(label),
        };
        match condition.eval_values(vec![value])? {
            Value::Bool(true) => keep.push(i),
            Value::Bool(false) | Value::Null => {}
            other => {
                return Err(args.invalid(
                    "condition",
                    format!("the condition must return a boolean, it returned {}", other.type_name()),
                ));
            }
        }
    }
    Ok(Value::Cube(Box::new(cube.select(axis, &keep)?)))
}
