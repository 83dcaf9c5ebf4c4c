//! resample_spatial (<https://processes.openeo.org/#resample_spatial>) and resample_cube_spatial
//! (<https://processes.openeo.org/#resample_cube_spatial>): onto a new resolution and/or projection, or onto
//! another cube's grid, with the methods of `gdalwarp`.

use openeo_engine::{Resampling, crs_from_user, resample_grid};

use crate::graph::Args;
use crate::{Ctx, Result, Value};

/// The most pixels a resampled grid may have along an axis (a resolution a million times finer than the cube's
/// would otherwise make a grid that no file format and no computation can hold).
const MAX_AXIS_PIXELS: usize = 1 << 20;

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
    let projection = |text: &str| crs_from_user(text).map_err(|e| args.invalid("projection", e.to_string()));
    let crs = match args.get("projection")? {
        Value::Null => None,
        Value::Number(n) if n.fract() == 0.0 => Some(projection(&format!("{n}"))?),
        Value::Text(s) => Some(projection(&s)?),
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
    if grid.width > MAX_AXIS_PIXELS || grid.height > MAX_AXIS_PIXELS {
        return Err(args.invalid(
            "resolution",
            format!(
                "the resampled grid would be {} × {} pixels; at most {MAX_AXIS_PIXELS} along each axis are supported",
                grid.width, grid.height
            ),
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::super::fixture::{call, code, ctx, cube};
    use crate::Value;

    fn resample(args: &[(&str, Value)]) -> crate::Result<Value> {
        let ctx = ctx();
        let mut all = vec![("data", cube(&ctx))];
        all.extend_from_slice(args);
        call("resample_spatial", &all, &ctx)
    }

    #[test]
    fn gigantic_grids_and_unknown_projections_are_refused_naming_the_parameter() {
        assert_eq!(code(&resample(&[("resolution", Value::Number(20.0))])), "ok");
        // 640 m wide at 1 mm: 640,000 pixels along x
        assert_eq!(code(&resample(&[("resolution", Value::Number(1e-3))])), "ok");
        for r in [1e-4, 1e-6, 1e-300, f64::MIN_POSITIVE] {
            let e = resample(&[("resolution", Value::Number(r))]).unwrap_err();
            assert_eq!(e.code(), "ProcessParameterInvalid", "{r}: {e}");
            assert!(e.to_string().contains("'resolution'"), "{r}: {e}");
        }
        let e = resample(&[("projection", Value::Number(999_999.0))]).unwrap_err();
        assert_eq!(e.code(), "ProcessParameterInvalid");
        assert!(e.to_string().contains("'projection'"), "{e}");
    }
}
