//! aggregate_spatial (<https://processes.openeo.org/#aggregate_spatial>): zonal statistics. The raster is
//! restricted to the geometries' bounding box and read tile by tile; the reducer gets the values of the pixels
//! whose centres lie in a polygon (or of the pixel containing a point), without labels and in no particular order.
//! The result is a vector cube (GeoJSON, CSV, netCDF or JSON through `save_result`); with `target_dimension` it also holds
//! the number of pixels and of valid pixels of every value.

use std::sync::Arc;

use openeo_engine::{CellFn, VectorCube, crs_from_user};

use super::geojson::features;
use crate::graph::callback::Inputs;
use crate::graph::{Args, CallbackFn};
use crate::{Ctx, Result, Value, VectorData};

pub(super) fn aggregate_spatial(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let found = features(args, "geometries")?;
    let reducer = args.callback("reducer")?;
    let f = CallbackFn::try_new(reducer, Inputs::List { name: "data" }, args.get("context")?, ctx)?;
    let target = args.opt_string("target_dimension")?;
    if let Some(t) = &target
        && (cube.meta().dims().iter().any(|d| d.name() == t) || t == "x" || t == "y" || t == "geometry")
    {
        return Err(super::coded(
            "TargetDimensionExists",
            format!("the data cube has a dimension named '{t}' already"),
        ));
    }
    let json = found.iter().map(|f| (f.json.clone(), f.properties.clone())).collect();
    let geometries = found.into_iter().map(|f| f.geometry).collect();
    let vector = VectorCube::new(
        &cube,
        geometries,
        crs_from_user("4326")?,
        Arc::new(f) as Arc<dyn CellFn>,
        target.is_some(),
    )?;
    Ok(Value::Vector(Box::new(VectorData {
        cube: vector,
        features: Arc::new(json),
        target_dimension: target,
    })))
}
