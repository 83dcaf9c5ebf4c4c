//! load_collection (<https://processes.openeo.org/#load_collection>). Departures: a GeoJSON spatial extent is
//! reduced to its bounding box; `properties` conditions are evaluated on collection-level properties, except
//! `federation:backends`, which only pins the back-end in a federation and is ignored here.

use openeo_engine::{Bbox, Cube, PropertyValue, crs_from_user};

use crate::graph::callback::Inputs;
use crate::graph::{Args, CallbackFn};
use crate::{Ctx, Error, Result, Value};

pub(super) fn load_collection(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let id = args.string("id")?;
    let collection = ctx
        .catalog
        .get(&id)
        .cloned()
        .ok_or_else(|| Error::CollectionNotFound { collection: id.clone() })?;
    let bbox = spatial_extent(args, "spatial_extent")?;
    let interval = match args.get("temporal_extent")? {
        Value::Null => (None, None),
        _ => args.interval("temporal_extent")?,
    };
    let bands = args.opt_strings("bands")?;
    if bands.as_ref().is_some_and(Vec::is_empty) {
        return Err(args.invalid(
            "bands",
            "the list of bands is empty; omit it or pass null for all bands",
        ));
    }
    check_properties(args, ctx, &collection.properties)?;
    let cube = Cube::load(collection, bbox, interval, bands.as_deref())?;
    Ok(Value::Cube(Box::new(cube)))
}

/// Reads a bounding box `{west, south, east, north, crs?}` or GeoJSON (reduced to its bounding box).
pub(crate) fn spatial_extent(args: &Args, name: &str) -> Result<Option<(Bbox, openeo_engine::Crs)>> {
    let v = args.get(name)?;
    let Value::Object(o) = &v else {
        return match v {
            Value::Null => Ok(None),
            other => Err(args.invalid(
                name,
                format!("expected a bounding box object, got {}", other.type_name()),
            )),
        };
    };
    let num = |k: &str| match o.get(k) {
        Some(Value::Number(n)) => Some(*n),
        _ => None,
    };
    if let (Some(west), Some(south), Some(east), Some(north)) = (num("west"), num("south"), num("east"), num("north")) {
        if west > east || south > north {
            return Err(args.invalid(name, "west must not exceed east and south must not exceed north"));
        }
        let geographic = match o.get("crs") {
            None | Some(Value::Null) => true,
            Some(Value::Number(n)) => *n == 4326.0,
            Some(Value::Text(s)) => s == "4326" || s.eq_ignore_ascii_case("EPSG:4326"),
            Some(_) => false,
        };
        if geographic {
            check_lon_lat(args, name, &[(west, south), (east, north)])?;
        }
        let crs = match o.get("crs") {
            None | Some(Value::Null) => crs_from_user("4326")?,
            Some(Value::Number(n)) => crs_from_user(&format!("{n}"))?,
            Some(Value::Text(s)) => crs_from_user(s)?,
            Some(_) => return Err(args.invalid(name, "crs must be an EPSG code or WKT")),
        };
        return Ok(Some((
            Bbox {
                west,
                south,
                east,
                north,
            },
            crs,
        )));
    }
    let mut pts = Vec::new();
    collect_coordinates(&v, &mut pts);
    if pts.is_empty() {
        return Err(args.invalid(name, "expected west/south/east/north or a GeoJSON geometry"));
    }
    check_lon_lat(args, name, &pts)?;
    let b = pts.iter().fold(
        Bbox {
            west: f64::MAX,
            south: f64::MAX,
            east: f64::MIN,
            north: f64::MIN,
        },
        |b, &(x, y)| Bbox {
            west: b.west.min(x),
            south: b.south.min(y),
            east: b.east.max(x),
            north: b.north.max(y),
        },
    );
    Ok(Some((b, crs_from_user("4326")?)))
}

/// Longitudes must lie in [-180, 180] and latitudes in [-90, 90].
fn check_lon_lat(args: &Args, name: &str, points: &[(f64, f64)]) -> Result<()> {
    match points
        .iter()
        .find(|(x, y)| !(-180.0..=180.0).contains(x) || !(-90.0..=90.0).contains(y))
    {
        Some((x, y)) => Err(args.invalid(
            name,
            format!("longitude {x} / latitude {y} is outside [-180, 180] / [-90, 90] (EPSG:4326)"),
        )),
        None => Ok(()),
    }
}

fn collect_coordinates(v: &Value, out: &mut Vec<(f64, f64)>) {
    match v {
        Value::Array(items, _) => {
            if let [Value::Number(x), Value::Number(y), ..] = items.as_slice() {
                out.push((*x, *y));
            } else {
                items.iter().for_each(|i| collect_coordinates(i, out));
            }
        }
        Value::Object(o) => {
            for k in ["coordinates", "geometry", "features", "geometries"] {
                if let Some(x) = o.get(k) {
                    collect_coordinates(x, out);
                }
            }
        }
        _ => {}
    }
}

/// Every `properties` condition must hold for the collection's properties, else nothing is loaded.
fn check_properties(args: &Args, ctx: &Ctx, props: &[(String, PropertyValue)]) -> Result<()> {
    let conds = match args.get("properties")? {
        Value::Object(conds) => conds,
        Value::Null => return Ok(()),
        other => {
            return Err(args.invalid(
                "properties",
                format!("expected an object of conditions, got {}", other.type_name()),
            ));
        }
    };
    for (name, cond) in conds {
        if name == "federation:backends" {
            // routing information for federations (which back-end serves the collection), not a data filter
            continue;
        }
        let Value::Callback(graph) = cond else {
            return Err(args.invalid("properties", format!("condition for '{name}' is not a process graph")));
        };
        let value = match props.iter().find(|(k, _)| *k == name) {
            Some((_, PropertyValue::Text(s))) => Value::Text(s.clone()),
            Some((_, PropertyValue::Number(n))) => Value::Number(*n),
            Some((_, PropertyValue::Bool(b))) => Value::Bool(*b),
            None => Value::Null,
        };
        let f = CallbackFn::new(graph, Inputs::Named(&["value"]), Value::Null, ctx);
        let ok = f.eval_values(vec![value])?;
        if !matches!(ok, Value::Bool(true)) {
            return Err(openeo_engine::Error::NoDataAvailable {
                reason: format!("the property condition on '{name}' excludes all data"),
            }
            .into());
        }
    }
    Ok(())
}
