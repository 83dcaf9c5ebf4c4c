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
                let v = match value {
                    // all values (size) or none (overlap)
                    Value::Null => continue,
                    Value::Number(v) => v,
                    _ => return Err(args.invalid(name, format!("the {dimension} extent must be a number"))),
                };
                let res = if dimension == "x" { dx.abs() } else { dy.abs() };
                let px = match unit.as_str() {
                    "px" => v,
                    "m" => v / res,
                    other => return Err(args.invalid(name, format!("unknown unit '{other}' (px or m)"))),
                };
                // a neighbourhood has at least one pixel, an overlap may have none
                let least = if name == "size" { 1.0 } else { 0.0 };
                if !(px.is_finite() && (px - px.round()).abs() < 1e-6 && px.round() >= least) {
                    let what = if name == "size" { "positive" } else { "non-negative" };
                    return Err(args.invalid(
                        name,
                        format!("the {dimension} extent ({v} {unit}) is not a {what} whole number of pixels"),
                    ));
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
    // a neighbourhood larger than the cube is the whole cube along that axis
    let size = (sx.unwrap_or(g.width).min(g.width), sy.unwrap_or(g.height).min(g.height));
    let (ox, oy) = extents(args, "overlap", &cube)?;
    let overlap = (ox.unwrap_or(0), oy.unwrap_or(0));
    // each piece is the neighbourhood and its overlap on both sides: bounded by three times the size
    for (axis, o, s) in [("x", overlap.0, size.0), ("y", overlap.1, size.1)] {
        if o > s {
            return Err(args.invalid(
                "overlap",
                format!("the overlap along {axis} ({o} px) is larger than the neighbourhood size ({s} px)"),
            ));
        }
    }
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fixture::{call, code, ctx, cube, json as value};

    fn neighborhood(size: serde_json::Value, overlap: serde_json::Value) -> crate::Result<crate::Value> {
        let ctx = ctx();
        let keep = json!({"r": {"process_id": "apply", "arguments": {"data": {"from_parameter": "data"},
            "process": {"process_graph": {"a": {"process_id": "absolute", "arguments": {"x": {"from_parameter": "x"}},
            "result": true}}}}, "result": true}});
        let process = crate::Value::Callback(std::sync::Arc::new(crate::ProcessGraph::from_json(&keep).unwrap()));
        call(
            "apply_neighborhood",
            &[
                ("data", cube(&ctx)),
                ("process", process),
                ("size", value(size)),
                ("overlap", value(overlap)),
            ],
            &ctx,
        )
    }

    fn xy(v: serde_json::Value) -> serde_json::Value {
        json!([{"dimension": "x", "value": v, "unit": "px"}, {"dimension": "y", "value": v, "unit": "px"}])
    }

    #[test]
    fn sizes_and_overlaps_are_checked_and_bounded() {
        assert_eq!(code(&neighborhood(xy(json!(16)), xy(json!(4)))), "ok");
        // null: the whole axis; beyond the cube: the whole axis too
        assert_eq!(code(&neighborhood(xy(json!(null)), json!(null))), "ok");
        assert_eq!(code(&neighborhood(xy(json!(1e300)), xy(json!(8)))), "ok");
        for (size, overlap, needle) in [
            (xy(json!(0)), json!(null), "not a positive whole number"),
            (xy(json!(-16)), json!(null), "not a positive whole number"),
            (xy(json!(2.5)), json!(null), "not a positive whole number"),
            (xy(json!(16)), xy(json!(-1)), "not a non-negative whole number"),
            (
                xy(json!(16)),
                xy(json!(64)),
                "larger than the neighbourhood size (16 px)",
            ),
            (xy(json!(16)), xy(json!(1e300)), "larger than the neighbourhood size"),
        ] {
            let e = neighborhood(size.clone(), overlap).unwrap_err();
            assert_eq!(e.code(), "ProcessParameterInvalid", "{size}: {e}");
            assert!(e.to_string().contains(needle), "{size}: {e}");
        }
    }
}
