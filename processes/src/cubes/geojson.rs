//! GeoJSON geometries (EPSG:4326) as the engine's points and polygons: Point, MultiPoint (one geometry per
//! point), Polygon, MultiPolygon, Feature, FeatureCollection and GeometryCollection. Each feature keeps its JSON
//! (geometry and properties) for output.

use openeo_engine::{Geometry, Polygon};
use serde_json::Value as Json;

use crate::graph::Args;
use crate::{Result, Value};

/// A geometry with the GeoJSON it came from.
#[derive(Clone, Debug)]
pub(crate) struct Feature {
    pub(crate) geometry: Geometry,
    /// The GeoJSON geometry object.
    pub(crate) json: Json,
    /// The feature's properties (`null` for bare geometries).
    pub(crate) properties: Json,
}

/// The features of the GeoJSON argument `name`: one per feature of a collection, one per bare geometry.
pub(crate) fn features(args: &Args, name: &str) -> Result<Vec<Feature>> {
    let mut out = Vec::new();
    collect(&args.get(name)?, &Json::Null, &mut out).map_err(|reason| args.invalid(name, reason))?;
    if out.is_empty() {
        return Err(args.invalid(name, "no geometry in the GeoJSON"));
    }
    let outside = out
        .iter()
        .flat_map(|f| match &f.geometry {
            Geometry::Point { x, y } => vec![(*x, *y)],
            Geometry::Polygons(ps) => ps.iter().flat_map(|p| p.exterior.iter().copied()).collect(),
        })
        .find(|(x, y)| !(-180.0..=180.0).contains(x) || !(-90.0..=90.0).contains(y));
    if let Some((x, y)) = outside {
        return Err(args.invalid(
            name,
            format!("longitude {x} / latitude {y} is outside [-180, 180] / [-90, 90] (GeoJSON is in EPSG:4326)"),
        ));
    }
    Ok(out)
}

/// The polygons of the GeoJSON argument `name` (points are refused).
pub(crate) fn polygons(args: &Args, name: &str) -> Result<Vec<Polygon>> {
    let mut out = Vec::new();
    for f in features(args, name)? {
        match f.geometry {
            Geometry::Polygons(ps) => out.extend(ps),
            Geometry::Point { .. } => return Err(args.invalid(name, "only polygons can mask or filter, not points")),
        }
    }
    Ok(out)
}

type Found = std::result::Result<(), String>;

/// A position `[x, y, …]`.
fn position(v: &Value) -> std::result::Result<(f64, f64), String> {
    match v {
        Value::Array(c, _) => match c.as_slice() {
            [Value::Number(x), Value::Number(y), ..] if x.is_finite() && y.is_finite() => Ok((*x, *y)),
            _ => Err("a position must have two numbers".into()),
        },
        _ => Err("a position must be an array".into()),
    }
}

/// A linear ring (RFC 7946, 3.1.6): at least four positions, the last one equal to the first.
fn ring(v: &Value) -> std::result::Result<Vec<(f64, f64)>, String> {
    let Value::Array(points, _) = v else {
        return Err("a ring must be an array of positions".into());
    };
    let ring: Vec<(f64, f64)> = points.iter().map(position).collect::<std::result::Result<_, _>>()?;
    if ring.len() < 4 {
        return Err(format!(
            "a polygon ring needs at least four positions (the last equal to the first), this one has {}",
            ring.len()
        ));
    }
    if ring.first() != ring.last() {
        return Err(format!(
            "a polygon ring must be closed (its last position equal to its first): it starts at {:?} and ends at {:?}",
            ring[0],
            ring[ring.len() - 1]
        ));
    }
    Ok(ring)
}

/// The rings of a Polygon's `coordinates`.
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

fn list<'a>(v: &'a Value, what: &str) -> std::result::Result<&'a [Value], String> {
    match v {
        Value::Array(items, _) => Ok(items),
        _ => Err(format!("'{what}' must be an array")),
    }
}

fn collect(v: &Value, properties: &Json, out: &mut Vec<Feature>) -> Found {
    let Value::Object(o) = v else {
        return Err(format!("expected a GeoJSON object, got {}", v.type_name()));
    };
    let field = |k: &str| o.get(k).ok_or_else(|| format!("GeoJSON object without '{k}'"));
    let Some(Value::Text(t)) = o.get("type") else {
        return Err("a GeoJSON object needs a 'type'".into());
    };
    let mut push = |geometry| {
        out.push(Feature {
            geometry,
            json: v.to_json(),
            properties: properties.clone(),
        })
    };
    match t.as_str() {
        "Point" => {
            let (x, y) = position(field("coordinates")?)?;
            push(Geometry::Point { x, y });
        }
        "MultiPoint" => {
            for p in list(field("coordinates")?, "coordinates")? {
                let (x, y) = position(p)?;
                out.push(Feature {
                    geometry: Geometry::Point { x, y },
                    json: serde_json::json!({"type": "Point", "coordinates": [x, y]}),
                    properties: properties.clone(),
                });
            }
        }
        "Polygon" => push(Geometry::Polygons(vec![polygon(field("coordinates")?)?])),
        "MultiPolygon" => {
            let ps = list(field("coordinates")?, "coordinates")?.iter().map(polygon);
            push(Geometry::Polygons(ps.collect::<std::result::Result<_, _>>()?));
        }
        "Feature" => {
            let props = o.get("properties").map_or(Json::Null, Value::to_json);
            collect(field("geometry")?, &props, out)?;
        }
        "FeatureCollection" => {
            for f in list(field("features")?, "features")? {
                collect(f, &Json::Null, out)?;
            }
        }
        "GeometryCollection" => {
            for g in list(field("geometries")?, "geometries")? {
                collect(g, properties, out)?;
            }
        }
        other => {
            return Err(format!(
                "{other} geometries are not supported (points and polygons are)"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fixture::{call, code, ctx, cube, json as value};

    #[test]
    fn rings_must_be_closed_linear_rings() {
        let ctx = ctx();
        let mask = |coordinates: serde_json::Value| {
            let polygon = value(json!({"type": "Polygon", "coordinates": coordinates}));
            call("mask_polygon", &[("data", cube(&ctx)), ("mask", polygon)], &ctx)
        };
        let closed = json!([[[10.0, 46.0], [10.1, 46.0], [10.1, 46.1], [10.0, 46.0]]]);
        assert_eq!(code(&mask(closed)), "ok");
        for (coordinates, needle) in [
            (
                json!([[[10.0, 46.0], [10.1, 46.0], [10.1, 46.1]]]),
                "at least four positions",
            ),
            (
                json!([[[10.0, 46.0], [10.1, 46.0], [10.1, 46.1], [10.0, 46.1]]]),
                "must be closed",
            ),
            (
                json!([[[10.0, 46.0], ["10.1", 46.0], [10.1, 46.1], [10.0, 46.0]]]),
                "two numbers",
            ),
        ] {
            let e = mask(coordinates).unwrap_err();
            assert_eq!(e.code(), "ProcessParameterInvalid", "{e}");
            assert!(
                e.to_string().contains("'mask'") && e.to_string().contains(needle),
                "{e}"
            );
        }
    }
}
