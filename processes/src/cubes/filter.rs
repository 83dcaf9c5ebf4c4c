//! filter_temporal, filter_bbox, filter_bands, filter_labels: pushed down into the loads by the engine. A filter
//! that selects nothing gives a cube without values along that dimension (see `CubeMeta::is_empty`), as the
//! definitions describe; the processes refuse such a cube as input. filter_bands refuses names that match no band.

use openeo_engine::{Bbox, Crs, Cube, DimensionKind};

use super::coded;
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

/// `cube` limited to the pixels whose centres lie in `bbox` (in `crs`), without pixels when none does.
pub(super) fn pixels_in(cube: &Cube, bbox: &Bbox, crs: &Crs) -> Result<Cube> {
    Ok(match cube.filter_bbox(bbox, crs) {
        Err(openeo_engine::Error::NoDataAvailable { .. }) => cube.nothing_selected(None)?,
        other => other?,
    })
}

pub(super) fn filter_bbox(args: &mut Args, _: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let (bbox, crs) =
        spatial_extent(args, "extent")?.ok_or_else(|| args.invalid("extent", "a bounding box is required"))?;
    Ok(Value::Cube(Box::new(pixels_in(&cube, &bbox, &crs)?)))
}

/// filter_bands: the bands named (by name, or every band of a common name, in the cube's order) and then the bands
/// whose centre wavelength lies in one of the ranges, in the order of the criteria, each band once.
pub(super) fn filter_bands(args: &mut Args, _: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let names = args.opt_strings("bands")?.unwrap_or_default();
    let ranges = wavelength_ranges(args)?;
    if names.is_empty() && ranges.is_empty() {
        return Err(coded(
            "BandFilterParameterMissing",
            "filter_bands: give 'bands' or 'wavelengths'",
        ));
    }
    let meta = cube.meta();
    let Some(&axis) = meta.axes_of_kind(DimensionKind::Bands).first() else {
        return Err(coded(
            "DimensionMissing",
            format!(
                "filter_bands: the cube has no bands dimension (dimensions: {})",
                meta.dimension_names().join(", ")
            ),
        ));
    };
    let bands = meta.bands().unwrap_or_default();
    let mut keep: Vec<usize> = Vec::new();
    let mut add = |i: usize| {
        if !keep.contains(&i) {
            keep.push(i);
        }
    };
    for name in &names {
        if let Some(i) = bands.iter().position(|b| &b.name == name) {
            add(i);
            continue;
        }
        let common: Vec<usize> = (0..bands.len())
            .filter(|&i| bands[i].common_name.as_deref() == Some(name.as_str()))
            .collect();
        if common.is_empty() {
            return Err(openeo_engine::Error::BandNotFound {
                band: name.clone(),
                available: bands.iter().map(|b| b.name.as_str()).collect::<Vec<_>>().join(", "),
            }
            .into());
        }
        common.into_iter().for_each(&mut add);
    }
    for (lo, hi) in ranges {
        (0..bands.len())
            .filter(|&i| bands[i].wavelength.is_some_and(|w| w >= lo && w <= hi))
            .for_each(&mut add);
    }
    Ok(Value::Cube(Box::new(cube.keep_labels(axis, &keep)?)))
}

/// The `wavelengths` of filter_bands: `[min, max]` pairs in micrometres (the spec's default `[]`, which the
/// client sends by omitting the argument, means none).
fn wavelength_ranges(args: &Args) -> Result<Vec<(f64, f64)>> {
    let bad = || {
        args.invalid(
            "wavelengths",
            "expected a list of [minimum, maximum] pairs in micrometres",
        )
    };
    let items = match args.get("wavelengths")? {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items, _) => items,
        _ => return Err(bad()),
    };
    items
        .iter()
        .map(|pair| match pair {
            Value::Array(p, _) => match p.as_slice() {
                [Value::Number(lo), Value::Number(hi)] if lo <= hi => Ok((*lo, *hi)),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        })
        .collect()
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
    Ok(Value::Cube(Box::new(cube.keep_labels(axis, &keep)?)))
}
