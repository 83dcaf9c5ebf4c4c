//! save_result (<https://processes.openeo.org/#save_result>): records what to write; the caller executes it.
//! Formats: GTiff (one file per date; options `cog`, `compress`), netCDF (options `compress`, `zlevel`), Zarr (a directory; `openeo-local run` only), JSON (small results) for raster cubes; GeoJSON, CSV,
//! netCDF and JSON for vector cubes.

use std::collections::BTreeMap;

use crate::graph::Args;
use crate::{Ctx, Error, Result, SaveData, SaveRequest, Value};

/// Normalised output format names.
pub fn output_format(name: &str) -> Result<&'static str> {
    match name.to_ascii_lowercase().as_str() {
        "gtiff" | "geotiff" | "tiff" | "cog" => Ok("GTiff"),
        "netcdf" | "nc" => Ok("netCDF"),
        "zarr" => Ok("Zarr"),
        "json" => Ok("JSON"),
        "geojson" => Ok("GeoJSON"),
        "csv" => Ok("CSV"),
        _ => Err(Error::FormatUnsupported {
            format: name.to_string(),
        }),
    }
}

pub(super) fn save_result(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let format = args.string("format")?;
    let normalised = output_format(&format)?;
    let data = match args.get("data")? {
        Value::Cube(c) if ["GTiff", "netCDF", "Zarr", "JSON"].contains(&normalised) => {
            // a cube without values (a filter selected nothing) is written as JSON only
            if normalised != "JSON" {
                c.require_values()?;
            }
            SaveData::Raster(*c)
        }
        Value::Vector(v) if ["GeoJSON", "CSV", "netCDF", "JSON"].contains(&normalised) => SaveData::Vector(v),
        Value::Cube(_) => {
            return Err(args.invalid(
                "format",
                format!("a raster cube is saved as GTiff, netCDF, Zarr or JSON, not {format}"),
            ));
        }
        Value::Vector(_) => {
            return Err(args.invalid(
                "format",
                format!("a vector cube is saved as GeoJSON, CSV, netCDF or JSON, not {format}"),
            ));
        }
        other => return Err(args.invalid("data", format!("expected a data cube, got {}", other.type_name()))),
    };
    let options: BTreeMap<String, Value> = match args.get("options")? {
        Value::Object(o) => o,
        Value::Null => BTreeMap::new(),
        other => {
            return Err(args.invalid("options", format!("expected an object, got {}", other.type_name())));
        }
    };
    match normalised {
        "GTiff" => {
            crate::output::gtiff_options(&format, &options)?;
        }
        "netCDF" => {
            crate::output::netcdf_deflate(&options)?;
        }
        _ => {}
    }
    ctx.record_save(SaveRequest { data, format, options });
    Ok(Value::Bool(true))
}
