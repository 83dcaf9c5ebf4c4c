//! resample_spatial (<https://processes.openeo.org/#resample_spatial>) and resample_cube_spatial
//! (<https://processes.openeo.org/#resample_cube_spatial>): onto a new resolution and/or projection, or onto
//! another cube's grid, with the methods of `gdalwarp`.

use openeo_engine::{Resampling, crs_from_user, resample_grid};

use crate::graph::Args;
use crate::{Ctx, Result, Value};

fn method(args: &Args) -> Result<Resampling> {
    let name = args.opt_string("method")?.unwrap_or_else(|| "near".into());
    Resampling::parse(&name).ok_or_else(|| {
        args.invalid(
            "method",
            format!("unknown resampling method '{name}'; one of near, bilinear, cubic, cubicspline, lanczos, average, sum, rms, min, max, med, mode, q1, q3"),
        )
    })
}

pub(super) fn resample_spatial(args: &mut Args, _: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let resolution = match args.get("resolution")? {
        Value::Null => (0.0, 0.0),
        Value::Number(r) => (r, r),
        Value::Array(v, _) => match v.as_slice() {
            [Value::Number(x), Value::Number(y)] => (*x, *y),
            _ => return Err(args.invalid("resolution", "expected a number or two numbers [x, y]")),
        },
        other => return Err(args.invalid("resolution", format!("expected a number, got {}", other.type_name()))),
    };
    if resolution.0 < 0.0 || resolution.1 < 0.0 {
        return Err(args.invalid("resolution", "must not be negative"));
    }
    let crs = match args.get("projection")? {
        Value::Null => None,
        Value::Number(n) if n.fract() == 0.0 => Some(crs_from_user(&format!("{n}"))?),
        Value::Text(s) => Some(crs_from_user(&s)?),
        other => {
            return Err(args.invalid(
                "projection",
                format!("expected an EPSG code or WKT, got {}", other.type_name()),
            ));
        }
    };
    let align = args.opt_string("align")?.unwrap_or_else(|| "upper-left".into());
    if !["upper-left", "upper-right", "lower-left", "lower-right"].contains(&align.as_str()) {
        return Err(args.invalid("align", format!("unknown corner '{align}'")));
    }
    let method = method(args)?;
    let grid = resample_grid(cube.meta().grid(), crs, resolution, &align)?;
    Ok(Value::Cube(Box::new(cube.resample(grid, method)?)))
}

pub(super) fn resample_cube_spatial(args: &mut Args, _: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let target = args.cube("target")?;
    let method = method(args)?;
    Ok(Value::Cube(Box::new(
        cube.resample(target.meta().grid().clone(), method)?,
    )))
}
