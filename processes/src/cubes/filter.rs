//! filter_temporal, filter_bbox, filter_bands: pushed down into the loads by the engine.

use super::load::spatial_extent;
use crate::graph::Args;
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
