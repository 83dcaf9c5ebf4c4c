//! apply_dimension (<https://processes.openeo.org/#apply_dimension>) over a non-spatial dimension: the process
//! gets the labelled array `data` of each cell and returns an array of values, whose length (found while
//! planning) becomes the dimension's. The labels stay when the length does not change, else they are `0`, `1`,
//! …; with `target_dimension` the values go to a new dimension of type `other`, labelled `0`, `1`, …, in the
//! source's place.

use std::sync::Arc;

use openeo_engine::{BandInfo, Dimension, DimensionKind, Labels};

use crate::graph::callback::Inputs;
use crate::graph::{Args, CallbackFn};
use crate::{Ctx, Result, Value};

pub(super) fn apply_dimension(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let process = args.callback("process")?;
    let dimension = args.string("dimension")?;
    if dimension == "x" || dimension == "y" {
        return Err(openeo_engine::Error::Unsupported {
            message: "apply_dimension over a spatial dimension (use apply_kernel or apply_neighborhood)".into(),
        }
        .into());
    }
    let axis = cube.meta().axis(&dimension)?;
    let dim = &cube.meta().dims()[axis];
    let names: Arc<[String]> = dim.labels().to_strings().into();
    let inputs = Inputs::Array {
        name: "data",
        labels: names,
    };
    let (f, n) = CallbackFn::try_new_many(process, inputs, args.get("context")?, ctx)?;
    let numbered = || (0..n).map(|i| i.to_string());
    let new = match args.opt_string("target_dimension")? {
        Some(target) if target != dimension => Dimension::new(target, Labels::Other(numbered().collect())),
        _ if n == dim.len() => dim.clone(),
        // a bands dimension stays one (with bands named 0, 1, …), so writers still find it
        _ if dim.kind() == DimensionKind::Bands => {
            Dimension::new(dimension, Labels::Bands(numbered().map(BandInfo::named).collect()))
        }
        _ => Dimension::new(dimension, Labels::Other(numbered().collect())),
    };
    Ok(Value::Cube(Box::new(cube.apply_lanes(axis, Arc::new(f), new)?)))
}
