//! ndvi (<https://processes.openeo.org/#ndvi>): bands found by name or common name; the bands dimension is dropped
//! unless `target_band` names a new band to append.

use std::sync::Arc;

use openeo_engine::{BandInfo, CellFn, DimensionKind, Labels};

use crate::graph::Args;
use crate::{Ctx, Error, Result, Value};

/// (nir − red) / (nir + red) per cell.
#[derive(Debug)]
struct NormalizedDifference;

impl CellFn for NormalizedDifference {
    fn call(&self, inputs: &[&[f32]], len: usize) -> openeo_engine::Result<Vec<f32>> {
        let [nir, red] = inputs else {
            return Err(openeo_engine::Error::Callback {
                code: "Internal".into(),
                message: "ndvi needs two bands".into(),
            });
        };
        Ok((0..len).map(|i| (nir[i] - red[i]) / (nir[i] + red[i])).collect())
    }
}

pub(super) fn ndvi(args: &mut Args, _: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let nir = args.string("nir")?;
    let red = args.string("red")?;
    let target = args.opt_string("target_band")?;
    let pair = cube.filter_bands(&[nir, red]).map_err(|e| match e {
        openeo_engine::Error::BandNotFound { band, .. } => args.invalid(
            if band == args.string("nir").unwrap_or_default() {
                "nir"
            } else {
                "red"
            },
            format!("no band named or with common name '{band}'"),
        ),
        other => other.into(),
    })?;
    let axis = *pair
        .meta()
        .axes_of_kind(DimensionKind::Bands)
        .first()
        .ok_or_else(|| Error::invalid("ndvi", "data", "the cube has no bands dimension"))?;
    let reduced = pair.reduce(axis, Arc::new(NormalizedDifference))?;
    let Some(name) = target else {
        return Ok(Value::Cube(Box::new(reduced)));
    };
    if cube.meta().bands().is_some_and(|b| b.iter().any(|x| x.name == name)) {
        return Err(args.invalid("target_band", format!("a band named '{name}' already exists")));
    }
    // Put the result back as a one-label bands dimension and merge it after the existing bands.
    let with_band = add_band_axis(&reduced, axis, &name)?;
    Ok(Value::Cube(Box::new(cube.merge(&with_band, None)?)))
}

/// Adds a bands axis with one label at `axis` by selecting from a cube that has it (reusing the pair's layout).
fn add_band_axis(cube: &openeo_engine::Cube, axis: usize, name: &str) -> Result<openeo_engine::Cube> {
    let expanded = cube.expand(axis, "bands", Labels::Bands(vec![BandInfo::named(name)]))?;
    Ok(expanded)
}
