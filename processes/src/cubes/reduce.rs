//! reduce_dimension (<https://processes.openeo.org/#reduce_dimension>): any non-spatial dimension, with a reducer
//! callback that sees the labelled array `data` of each cell. Reducing `x` or `y` is not supported.

use std::sync::Arc;

use crate::graph::callback::Inputs;
use crate::graph::{Args, CallbackFn};
use crate::{Ctx, Result, Value};

pub(super) fn reduce_dimension(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let reducer = args.callback("reducer")?;
    let dimension = args.string("dimension")?;
    if dimension == "x" || dimension == "y" {
        return Err(openeo_engine::Error::Unsupported {
            message: "reducing a spatial dimension".into(),
        }
        .into());
    }
    let axis = cube.meta().axis(&dimension)?;
    let labels: Arc<[String]> = cube.meta().dims()[axis].labels().to_strings().into();
    let f = CallbackFn::try_new(
        reducer,
        Inputs::Array { name: "data", labels },
        args.get("context")?,
        ctx,
    )?;
    Ok(Value::Cube(Box::new(cube.reduce(axis, Arc::new(f))?)))
}
