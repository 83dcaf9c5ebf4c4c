//! apply_neighborhood (<https://processes.openeo.org/#apply_neighborhood>) and apply_polygon
//! (<https://processes.openeo.org/#apply_polygon>): a process graph that takes a data cube (`data`, `context`) and
//! returns one of the same shape, run on spatial neighbourhoods (sizes and overlaps in pixels or metres along `x`
//! and `y`; other dimensions whole) or on one piece per polygon.

use std::sync::Arc;

use openeo_engine::{Cube, CubeFn, crs_from_user};

use super::geojson::polygons;
use crate::graph::callback::Inputs;
use crate::graph::{Args, CallbackFn};
use crate::{Ctx, Result, Value};

/// The process graph as a cube-to-cube function.
#[derive(Debug)]
struct CubeCallback(CallbackFn);

impl CubeFn for CubeCallback {
    fn apply(&self, cube: Cube) -> openeo_engine::Result<Cube> {
        let failed = |code: String, message: String| openeo_engine::Error::Callback { code, message };
        match self.0.eval_values(vec![Value::Cube(Box::new(cube))]) {
            Ok(Value::Cube(c)) => Ok(*c),
            Ok(other) => Err(failed(
                "ProcessParameterInvalid".into(),
                format!("the process must return a data cube, it returned {}", other.type_name()),
            )),
            Err(e) => Err(failed(e.code().to_string(), e.to_string())),
        }
    }
}

fn callback(args: &Args, ctx: &Ctx) -> Result<Arc<dyn CubeFn>> {
    let graph = args.callback("process")?;
    let f = CallbackFn::new(graph, Inputs::Named(&["data"]), args.get("context")?, ctx);
    Ok(Arc::new(CubeCallback(f)))
}

/// Pixels along `x` and `y` from a `size`/`overlap` argument (`None`: not given for that axis).
fn extents(args: &Args, name: &str, cube: &Cube) -> Result<(Option<usize>, Option<usize>)> {
    let items = match args.get(name)? {
        Value::Null => return Ok((None, None)),
        Value::Array(items, _) => items,
        other => return Err(args.invalid(name, format!("expected an array, got {}", other.type_name()))),
    };
    let (dx, dy) = cube.meta().grid().pixel_size();
    let (mut x, mut y) = (None, None);
    for item in items {
        let Value::Object(o) = item else {
            return Err(args.invalid(name, "each element is {dimension, value, unit}"));
        };
        let dimension = match o.get("dimension") {
            Some(Value::Text(d)) => d.clone(),
            _ => return Err(args.invalid(name, "each element needs a dimension")),
        };
        let value = o.get("value").cloned().unwrap_or(Value::Null);
        let unit = match o.get("unit") {
            Some(Value::Text(u)) => u.clone(),
            _ => "px".into(),
        };
        match dimension.as_str() {
            "x" | "y" => {
                let Value::Number(v) = value else {
                    return Err(args.invalid(name, format!("the {dimension} extent must be a number")));
                };
                let res = if dimension == "x" { dx.abs() } else { dy.abs() };
                let px = match unit.as_str() {
                    "px" => v,
                    "m" => v / res,
                    other => return Err(args.invalid(name, format!("unknown unit '{other}' (px or m)"))),
                };
                if !(px.is_finite() && px >= 0.0 && (px - px.round()).abs() < 1e-6) {
                    return Err(args.invalid(name, format!("the {dimension} extent is not a whole number of pixels")));
                }
                let px = Some(px.round() as usize);
                if dimension == "x" { x = px } else { y = px }
            }
            other => {
                cube.meta().axis(other)?;
                // a non-spatial dimension is always given whole
                let whole = matches!(value, Value::Null);
                let no_overlap = name == "overlap" && matches!(value, Value::Number(n) if n == 0.0);
                if !(whole || no_overlap) {
                    return Err(openeo_engine::Error::Unsupported {
                        message: format!(
                            "apply_neighborhood: neighbourhoods along '{other}' (only whole non-spatial dimensions)"
                        ),
                    }
                    .into());
                }
            }
        }
    }
    Ok((x, y))
}

pub(super) fn apply_neighborhood(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let f = callback(args, ctx)?;
    let g = cube.meta().grid();
    let (sx, sy) = extents(args, "size", &cube)?;
    let size = (sx.unwrap_or(g.width), sy.unwrap_or(g.height));
    let (ox, oy) = extents(args, "overlap", &cube)?;
    let overlap = (ox.unwrap_or(0), oy.unwrap_or(0));
    Ok(Value::Cube(Box::new(cube.apply_neighborhoods(f, size, overlap)?)))
}

pub(super) fn apply_polygon(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let polys = polygons(args, "geometries")?;
    let f = callback(args, ctx)?;
    let mask_value = match args.get("mask_value")? {
        Value::Null => f32::NAN,
        Value::Number(n) => n as f32,
        Value::Bool(b) => f32::from(u8::from(b)),
        other => {
            return Err(args.invalid(
                "mask_value",
                format!("expected a number or null, got {}", other.type_name()),
            ));
        }
    };
    Ok(Value::Cube(Box::new(cube.apply_polygons(
        f,
        polys,
        crs_from_user("4326")?,
        mask_value,
    )?)))
}
