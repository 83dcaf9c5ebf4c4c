//! mask (<https://processes.openeo.org/#mask>), mask_polygon (<https://processes.openeo.org/#mask_polygon>) and
//! filter_spatial (<https://processes.openeo.org/#filter_spatial>). A pixel belongs to a polygon when its centre
//! does; geometries are GeoJSON polygons in WGS 84 (see [`super::geojson`]).

use openeo_engine::{Bbox, Polygon, crs_from_user};

use super::geojson::polygons;

use crate::graph::Args;
use crate::{Ctx, Result, Value};

/// The replacement value: `null` is no-data; numbers and booleans (1/0) as given.
fn replacement(args: &Args) -> Result<f32> {
    match args.get("replacement")? {
        Value::Null => Ok(f32::NAN),
        Value::Number(n) => Ok(n as f32),
        Value::Bool(b) => Ok(if b { 1.0 } else { 0.0 }),
        other => Err(args.invalid(
            "replacement",
            format!("expected a number, boolean or null, got {}", other.type_name()),
        )),
    }
}

pub(super) fn mask(args: &mut Args, _: &Ctx) -> Result<Value> {
    let data = args.cube("data")?;
    let mask = args.cube("mask")?;
    Ok(Value::Cube(Box::new(data.mask(&mask, replacement(args)?)?)))
}

pub(super) fn mask_polygon(args: &mut Args, _: &Ctx) -> Result<Value> {
    let data = args.cube("data")?;
    let polys = polygons(args, "mask")?;
    let inside = args.bool("inside")?;
    let replacement = replacement(args)?;
    Ok(Value::Cube(Box::new(data.mask_polygons(
        polys,
        crs_from_user("4326")?,
        inside,
        replacement,
    ))))
}

pub(super) fn filter_spatial(args: &mut Args, _: &Ctx) -> Result<Value> {
    let data = args.cube("data")?;
    let polys = polygons(args, "geometries")?;
    let wgs84 = crs_from_user("4326")?;
    let bbox = polys
        .iter()
        .map(Polygon::bbox)
        .reduce(|a, b| a.union(&b))
        .unwrap_or(Bbox {
            west: 0.0,
            south: 0.0,
            east: 0.0,
            north: 0.0,
        });
    let cut = super::filter::pixels_in(&data, &bbox, &wgs84)?;
    if cut.meta().is_empty() {
        return Ok(Value::Cube(Box::new(cut)));
    }
    Ok(Value::Cube(Box::new(cut.mask_polygons(polys, wgs84, false, f32::NAN))))
}
