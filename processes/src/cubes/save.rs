//! save_result (<https://processes.openeo.org/#save_result>): records what to write; the caller executes it.
//! Formats: GTiff (one file per date; option `cog`), netCDF, JSON (small results).

use std::collections::BTreeMap;

use crate::graph::Args;
use crate::{Ctx, Error, Result, SaveRequest, Value};

/// Normalised output format names.
pub fn output_format(name: &str) -> Result<&'static str> {
    match name.to_ascii_lowercase().as_str() {
        "gtiff" | "geotiff" | "tiff" | "cog" => Ok("GTiff"),
        "netcdf" | "nc" => Ok("netCDF"),
        "json" => Ok("JSON"),
        _ => Err(Error::FormatUnsupported {
            format: name.to_string(),
        }),
    }
}

pub(super) fn save_result(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let format = args.string("format")?;
    output_format(&format)?;
    let options: BTreeMap<String, Value> = match args.get("options")? {
        Value::Object(o) => o,
        Value::Null => BTreeMap::new(),
        other => {
            return Err(args.invalid("options", format!("expected an object, got {}", other.type_name())));
        }
    };
    if output_format(&format)? == "GTiff" {
        crate::output::gtiff_options(&format, &options)?;
    }
    ctx.record_save(SaveRequest { cube, format, options });
    Ok(Value::Bool(true))
}
