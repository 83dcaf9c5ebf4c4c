//! Executing `save_result` requests: choose the engine writer for the format, or build the JSON document for
//! small results.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use openeo_engine::{
    Block, Compression, Cube, CubeMeta, DimensionKind, ExecOptions, OutputFormat, create_sink, execute,
    execute_to_memory,
};
use serde_json::{Value as Json, json};

use crate::{Error, Result, SaveData, SaveRequest, Value, output_format};

/// The file extension and media type of a format name.
///
/// # Errors
/// [`Error::FormatUnsupported`].
pub fn format_file_info(format: &str) -> Result<(&'static str, &'static str)> {
    Ok(match output_format(format)? {
        "GTiff" => ("tif", "image/tiff; application=geotiff"),
        "netCDF" => ("nc", "application/x-netcdf"),
        "Zarr" => ("zarr", "application/vnd+zarr"),
        "GeoJSON" => ("geojson", "application/geo+json"),
        "CSV" => ("csv", "text/csv"),
        _ => ("json", "application/json"),
    })
}

/// How many files `cube` makes in `format`: GTiff writes one per label of the temporal dimension, the others one.
///
/// # Errors
/// [`Error::FormatUnsupported`]; [`Error::NoDataAvailable`] for a cube without values in a format other than JSON.
pub fn file_count(cube: &Cube, format: &str) -> Result<usize> {
    let meta = cube.meta();
    let format = output_format(format)?;
    if format != "JSON" {
        cube.require_values()?;
    }
    Ok(match format {
        "GTiff" => meta
            .axes_of_kind(DimensionKind::Temporal)
            .iter()
            .map(|&a| meta.dims().get(a).map_or(1, |d| d.labels().len()))
            .product(),
        _ => 1,
    })
}

/// Writes `save` to `path` (for GTiff with a temporal dimension, one file per date next to it) and returns the
/// files written.
///
/// # Errors
/// Engine errors while computing or writing.
pub fn write_save(save: &SaveRequest, path: &Path, opts: &ExecOptions) -> Result<Vec<PathBuf>> {
    let (cog, compress) = gtiff_options(&save.format, &save.options)?;
    let format = output_format(&save.format)?;
    let cube = match &save.data {
        SaveData::Vector(v) => {
            v.write(format, path, opts)?;
            return Ok(vec![path.to_path_buf()]);
        }
        SaveData::Raster(cube) => cube,
    };
    if format != "JSON" {
        cube.require_values()?;
    }
    if !cube.meta().has_spatial_dims() && format != "JSON" {
        return Err(Error::FormatUnsupported {
            format: format!("{format} (a cube without spatial dimensions is written as JSON only)"),
        });
    }
    match format {
        "GTiff" => Ok(execute(
            cube,
            create_sink(cube.meta(), path, OutputFormat::GTiff { cog, compress })?,
            opts,
        )?),
        "netCDF" => Ok(execute(
            cube,
            create_sink(
                cube.meta(),
                path,
                OutputFormat::NetCdf {
                    deflate: netcdf_deflate(&save.options)?,
                },
            )?,
            opts,
        )?),
        "Zarr" => Ok(execute(
            cube,
            create_sink(cube.meta(), path, OutputFormat::Zarr)?,
            opts,
        )?),
        "JSON" => {
            let block = execute_to_memory(cube, opts)?;
            let doc = cube_json(cube.meta(), &block);
            write_json(&doc, path)?;
            Ok(vec![path.to_path_buf()])
        }
        other => Err(Error::FormatUnsupported {
            format: format!("{other} (a raster cube is written as GTiff, netCDF, Zarr or JSON)"),
        }),
    }
}

/// The netCDF options of `save_result`: `compress` (`none`, the default, or `deflate`: shuffle and zlib) and
/// `zlevel` (1–9, default 1): the zlib level, or `None` for uncompressed variables.
///
/// # Errors
/// [`Error::ProcessParameterInvalid`] for options of the wrong type or out of range.
pub(crate) fn netcdf_deflate(options: &BTreeMap<String, Value>) -> Result<Option<u8>> {
    let bad = |m: String| Error::invalid("save_result", "options", m);
    let deflate = match options.get("compress") {
        None | Some(Value::Null) => false,
        Some(Value::Text(c)) if c.eq_ignore_ascii_case("none") => false,
        Some(Value::Text(c)) if c.eq_ignore_ascii_case("deflate") => true,
        Some(other) => {
            return Err(bad(format!(
                "netCDF compress is none or deflate, got {}",
                value_text(other)
            )));
        }
    };
    let level = match options.get("zlevel") {
        None | Some(Value::Null) => 1,
        Some(Value::Number(n)) if n.fract() == 0.0 && (1.0..=9.0).contains(n) => *n as u8,
        Some(other) => {
            return Err(bad(format!(
                "zlevel is an integer from 1 to 9, got {}",
                value_text(other)
            )));
        }
    };
    Ok(deflate.then_some(level))
}

/// The GeoTIFF options of `save_result`: `cog` (a boolean, or the format name `COG`) and `compress` (`deflate`,
/// `zstd`, `lzw` or none).
///
/// # Errors
/// [`Error::ProcessParameterInvalid`] for options of the wrong type or an unknown compression.
pub(crate) fn gtiff_options(format: &str, options: &BTreeMap<String, Value>) -> Result<(bool, Compression)> {
    let cog = match options.get("cog") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(Error::invalid(
                "save_result",
                "options",
                format!("cog must be a boolean, got {}", other.type_name()),
            ));
        }
    } || format.eq_ignore_ascii_case("cog");
    let compress = match options.get("compress") {
        None | Some(Value::Null) => Compression::None,
        Some(Value::Text(c)) => Compression::parse(c).ok_or_else(|| {
            Error::invalid(
                "save_result",
                "options",
                format!("unknown compression '{c}' (none, deflate, zstd, lzw)"),
            )
        })?,
        Some(_) => return Err(Error::invalid("save_result", "options", "compress must be a string")),
    };
    Ok((cog, compress))
}

/// Writes a JSON document atomically (temporary file, then rename).
///
/// # Errors
/// File-system errors.
pub fn write_json(doc: &Json, path: &Path) -> Result<()> {
    let text = serde_json::to_vec(doc)
        .map_err(|e| Error::Engine(openeo_engine::Error::Internal { message: e.to_string() }))?;
    write_atomically(path, &text)
}

/// Writes `bytes` to `path` atomically (a `.part` file next to it, then a rename).
///
/// # Errors
/// File-system errors.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".part");
    let tmp = PathBuf::from(tmp);
    let io = |source| {
        Error::Engine(openeo_engine::Error::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// A cube as JSON in the data cube encoding of the openEO process tests: `{"type": "datacube", "order": [names],
/// "dimensions": {name: {"type", "values", …}}, "data": [...]}`, the values nested in `order` (y, x last; none
/// for a cube without spatial dimensions), `null` for no-data. Spatial dimensions carry `axis` and
/// `reference_system` (`EPSG:<code>` or WKT) and their pixel-centre coordinates; temporal labels are RFC 3339.
pub fn cube_json(meta: &CubeMeta, block: &Block) -> Json {
    let g = meta.grid();
    let mut order: Vec<String> = Vec::new();
    let mut dimensions = serde_json::Map::new();
    for d in meta.dims() {
        let kind = match d.kind() {
            openeo_engine::DimensionKind::Temporal => "temporal",
            openeo_engine::DimensionKind::Bands => "bands",
            openeo_engine::DimensionKind::Other => "other",
        };
        order.push(d.name().to_string());
        dimensions.insert(
            d.name().to_string(),
            json!({"type": kind, "values": d.labels().to_strings()}),
        );
    }
    // a cube without spatial dimensions has no values
    let spatial = meta.has_spatial_dims();
    if spatial {
        let ys: Vec<f64> = (0..g.height).map(|j| g.y_center(j)).collect();
        let xs: Vec<f64> = (0..g.width).map(|i| g.x_center(i)).collect();
        for (axis, values) in [("y", ys), ("x", xs)] {
            order.push(axis.to_string());
            dimensions.insert(
                axis.to_string(),
                json!({"type": "spatial", "axis": axis, "values": values, "reference_system": g.crs.label()}),
            );
        }
    }
    fn nest(shape: &[usize], data: &[f32]) -> Json {
        match shape {
            [] => data.first().map_or(
                Json::Null,
                |v| {
                    if v.is_nan() { Json::Null } else { json!(f64::from(*v)) }
                },
            ),
            [n, rest @ ..] => {
                let step: usize = rest.iter().product();
                Json::Array((0..*n).map(|i| nest(rest, &data[i * step..(i + 1) * step])).collect())
            }
        }
    }
    json!({
        "type": "datacube",
        "order": order,
        "dimensions": dimensions,
        "data": if spatial { nest(block.shape(), block.values()) } else { json!([]) },
    })
}

/// A non-cube result as JSON.
pub fn value_json(v: &Value) -> Json {
    v.to_json()
}

/// A non-cube result as JSON text in the encoding of the openEO process tests: numbers that are NaN or infinite
/// are the bare tokens `NaN`, `Infinity` and `-Infinity` (JSON5, as the `openeo` client and Python read them),
/// no-data is `null`.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::Number(n) if n.is_nan() => "NaN".into(),
        Value::Number(n) if n.is_infinite() => if *n > 0.0 { "Infinity" } else { "-Infinity" }.into(),
        Value::Array(items, _) => format!("[{}]", items.iter().map(value_text).collect::<Vec<_>>().join(",")),
        Value::Object(o) => {
            let entries: Vec<String> = o
                .iter()
                .map(|(k, x)| format!("{}:{}", Json::String(k.clone()), value_text(x)))
                .collect();
            format!("{{{}}}", entries.join(","))
        }
        other => other.to_json().to_string(),
    }
}

/// Writes a non-cube result (see [`value_text`]) atomically.
///
/// # Errors
/// File-system errors.
pub fn write_value(v: &Value, path: &Path) -> Result<()> {
    write_atomically(path, value_text(v).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::{netcdf_deflate, value_text};
    use crate::Value;

    #[test]
    fn netcdf_is_uncompressed_unless_deflate_is_asked_for() {
        let options = |pairs: &[(&str, Value)]| pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        let text = |s: &str| Value::Text(s.into());
        assert_eq!(netcdf_deflate(&options(&[])).unwrap(), None);
        assert_eq!(netcdf_deflate(&options(&[("compress", text("none"))])).unwrap(), None);
        assert_eq!(
            netcdf_deflate(&options(&[("compress", text("DEFLATE"))])).unwrap(),
            Some(1)
        );
        let four = options(&[("compress", text("deflate")), ("zlevel", Value::Number(4.0))]);
        assert_eq!(netcdf_deflate(&four).unwrap(), Some(4));
        for bad in [
            options(&[("compress", text("zstd"))]),
            options(&[("compress", Value::Bool(true))]),
            options(&[("compress", text("deflate")), ("zlevel", Value::Number(0.0))]),
            options(&[("compress", text("deflate")), ("zlevel", Value::Number(2.5))]),
        ] {
            assert_eq!(netcdf_deflate(&bad).unwrap_err().code(), "ProcessParameterInvalid");
        }
    }

    #[test]
    fn non_finite_numbers_are_json5_tokens_and_no_data_is_null() {
        let v = Value::Array(
            vec![
                Value::Number(f64::NAN),
                Value::Number(f64::INFINITY),
                Value::Number(f64::NEG_INFINITY),
                Value::Null,
                Value::Number(1.5),
                Value::Text("a\"b".into()),
            ],
            None,
        );
        assert_eq!(value_text(&v), r#"[NaN,Infinity,-Infinity,null,1.5,"a\"b"]"#);
    }
}
