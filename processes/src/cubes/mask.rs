//! mask (<https://processes.openeo.org/#mask>), mask_polygon (<https://processes.openeo.org/#mask_polygon>) and
//! filter_spatial (<https://processes.openeo.org/#filter_spatial>). A pixel belongs to a polygon when its centre
//! does; geometries are GeoJSON in WGS 84 (Polygon, MultiPolygon, Feature, FeatureCollection,
//! GeometryCollection).

use openeo_engine::{Bbox, Polygon, crs_from_user};

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

/// The polygons of a GeoJSON value, checked to be longitudes and latitudes.
fn polygons(args: &Args, name: &str) -> Result<Vec<Polygon>> {
    let mut out = Vec::new();
    collect(&args.get(name)?, &mut out).map_err(|reason| args.invalid(name, reason))?;
    if out.is_empty() {
        return Err(args.invalid(name, "no polygon in the geometries"));
    }
    let outside = out
        .iter()
        .flat_map(|p| p.exterior.iter().chain(p.holes.iter().flatten()))
        .find(|(x, y)| !(-180.0..=180.0).contains(x) || !(-90.0..=90.0).contains(y));
    if let Some((x, y)) = outside {
        return Err(args.invalid(
            name,
            format!("longitude {x} / latitude {y} is outside [-180, 180] / [-90, 90] (GeoJSON is in EPSG:4326)"),
        ));
    }
    Ok(out)
}

/// A ring: an array of at least three `[x, y, …]` positions.
fn ring(v: &Value) -> std::result::Result<Vec<(f64, f64)>, String> {
    let Value::Array(points, _) = v else {
        return Err("a ring must be an array of positions".into());
    };
    let ring: Vec<(f64, f64)> = points
        .iter()
        .map(|p| match p {
            Value::Array(c, _) => match c.as_slice() {
                [Value::Number(x), Value::Number(y), ..] if x.is_finite() && y.is_finite() => Ok((*x, *y)),
                _ => Err("a position must have two numbers".to_string()),
            },
            _ => Err("a position must be an array".to_string()),
        })
        .collect::<std::result::Result<_, _>>()?;
    if ring.len() < 3 {
        return Err("a polygon ring needs at least three positions".into());
    }
    Ok(ring)
}

/// The rings of a GeoJSON Polygon's `coordinates`.
fn polygon(coords: &Value) -> std::result::Result<Polygon, String> {
    let Value::Array(rings, _) = coords else {
        return Err("Polygon coordinates must be an array of rings".into());
    };
    let mut rings = rings.iter().map(ring);
    let exterior = rings.next().ok_or("a Polygon needs an exterior ring")??;
    Ok(Polygon {
        exterior,
        holes: rings.collect::<std::result::Result<_, _>>()?,
    })
}

fn collect(v: &Value, out: &mut Vec<Polygon>) -> std::result::Result<(), String> {
    let Value::Object(o) = v else {
        return Err(format!("expected a GeoJSON object, got {}", v.type_name()));
    };
    let field = |k: &str| o.get(k).ok_or_else(|| format!("GeoJSON object without '{k}'"));
    match o.get("type") {
        Some(Value::Text(t)) => match t.as_str() {
            "Polygon" => out.push(polygon(field("coordinates")?)?),
            "MultiPolygon" => match field("coordinates")? {
                Value::Array(ps, _) => {
                    for p in ps {
                        out.push(polygon(p)?);
                    }
                }
                _ => return Err("MultiPolygon coordinates must be an array of polygons".into()),
            },
            "Feature" => collect(field("geometry")?, out)?,
            "FeatureCollection" | "GeometryCollection" => {
                let key = if t == "FeatureCollection" {
                    "features"
                } else {
                    "geometries"
                };
                match field(key)? {
                    Value::Array(items, _) => {
                        for i in items {
                            collect(i, out)?;
                        }
                    }
                    _ => return Err(format!("'{key}' must be an array")),
                }
            }
            other => return Err(format!("only polygons can mask or filter, not {other} geometries")),
        },
        _ => return Err("a GeoJSON object needs a 'type'".into()),
    }
    Ok(())
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
    let cut = data.filter_bbox(&bbox, &wgs84)?;
    Ok(Value::Cube(Box::new(cut.mask_polygons(polys, wgs84, false, f32::NAN))))
}
