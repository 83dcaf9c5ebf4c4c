//! Vector cubes as `aggregate_spatial` makes them, and their output: GeoJSON (one feature per geometry, one
//! property per label combination), CSV (one row per geometry and label combination), netCDF (a `geometry`
//! dimension with WKT, written by the engine) and JSON (dimensions, coordinates and nested data).

use std::path::Path;
use std::sync::Arc;

use openeo_engine::{ExecOptions, VectorCube, VectorValues};
use serde_json::{Value as Json, json};

use crate::{Error, Result};

/// A vector cube: the engine's aggregation, the GeoJSON of its geometries and the optional dimension holding
/// `value`, `total_count` and `valid_count`.
#[derive(Clone, Debug)]
pub struct VectorData {
    /// The aggregation.
    pub cube: VectorCube,
    /// Per geometry: its GeoJSON geometry and its feature properties (`null` for bare geometries).
    pub features: Arc<Vec<(Json, Json)>>,
    /// The name of the dimension with the labels `value`, `total_count`, `valid_count`, if requested.
    pub target_dimension: Option<String>,
}

/// Names of the columns a vector cube's values get: one per label combination of the raster dimensions
/// (labels joined by `_`; `value` without dimensions), and the counts when requested.
fn columns(values: &VectorValues) -> Vec<Vec<String>> {
    let mut combos: Vec<Vec<String>> = vec![Vec::new()];
    for d in &values.dims {
        combos = combos
            .iter()
            .flat_map(|c| {
                d.labels().to_strings().into_iter().map(move |l| {
                    let mut c = c.clone();
                    c.push(l);
                    c
                })
            })
            .collect();
    }
    combos
}

fn number(v: f32) -> Json {
    serde_json::Number::from_f64(f64::from(v)).map_or(Json::Null, Json::Number)
}

impl VectorData {
    /// Computes the values and writes them to `path` in `format` (`GeoJSON`, `CSV`, `netCDF` or `JSON`).
    ///
    /// # Errors
    /// Engine errors while computing; file-system errors; [`Error::FormatUnsupported`] for raster formats.
    pub fn write(&self, format: &str, path: &Path, opts: &ExecOptions) -> Result<()> {
        let values = self.cube.compute(opts)?;
        if format == "netCDF" {
            let geometries: Vec<String> = self.features.iter().map(|(g, _)| g.to_string()).collect();
            return Ok(values.write_netcdf(path, &geometries, self.target_dimension.as_deref())?);
        }
        let text = match format {
            "GeoJSON" => serde_json::to_vec(&self.geojson(&values)),
            "JSON" => serde_json::to_vec(&self.json(&values)),
            "CSV" => Ok(self.csv(&values).into_bytes()),
            other => {
                return Err(Error::FormatUnsupported {
                    format: format!("{other} (a vector cube is written as GeoJSON, CSV, netCDF or JSON)"),
                });
            }
        }
        .map_err(|e| Error::Engine(openeo_engine::Error::Internal { message: e.to_string() }))?;
        crate::output::write_atomically(path, &text)
    }

    /// Per geometry and label combination: the value and, with a target dimension, the two counts.
    fn cells(&self, values: &VectorValues, g: usize, k: usize, planes: usize) -> Vec<(&'static str, Json)> {
        let i = g * planes + k;
        let mut out = vec![("value", number(values.values[i]))];
        if let Some(counts) = &values.counts {
            out.push(("total_count", json!(counts[i].0)));
            out.push(("valid_count", json!(counts[i].1)));
        }
        out
    }

    fn geojson(&self, values: &VectorValues) -> Json {
        let combos = columns(values);
        let planes = combos.len();
        let features: Vec<Json> = self
            .features
            .iter()
            .enumerate()
            .map(|(g, (geometry, properties))| {
                let mut props = match properties {
                    Json::Object(o) => o.clone(),
                    _ => serde_json::Map::new(),
                };
                for (k, combo) in combos.iter().enumerate() {
                    for (what, v) in self.cells(values, g, k, planes) {
                        let mut name: Vec<&str> = combo.iter().map(String::as_str).collect();
                        if name.is_empty() || what != "value" {
                            name.push(what);
                        }
                        props.insert(name.join("_"), v);
                    }
                }
                json!({"type": "Feature", "id": g, "geometry": geometry, "properties": props})
            })
            .collect();
        json!({"type": "FeatureCollection", "features": features})
    }

    fn csv(&self, values: &VectorValues) -> String {
        let combos = columns(values);
        let planes = combos.len();
        let mut header: Vec<String> = vec!["feature".into()];
        header.extend(values.dims.iter().map(|d| d.name().to_string()));
        header.push("value".into());
        if values.counts.is_some() {
            header.extend(["total_count".into(), "valid_count".into()]);
        }
        let mut out = header.join(",") + "\n";
        for g in 0..self.features.len() {
            for (k, combo) in combos.iter().enumerate() {
                let mut row = vec![g.to_string()];
                row.extend(combo.iter().map(|l| csv_field(l)));
                for (_, v) in self.cells(values, g, k, planes) {
                    row.push(if v.is_null() { String::new() } else { v.to_string() });
                }
                out.push_str(&row.join(","));
                out.push('\n');
            }
        }
        out
    }

    fn json(&self, values: &VectorValues) -> Json {
        let combos = columns(values);
        let planes = combos.len();
        let mut names = vec![Json::String("geometry".into())];
        let mut coords = serde_json::Map::new();
        coords.insert(
            "geometry".into(),
            Json::Array(self.features.iter().map(|(g, _)| g.clone()).collect()),
        );
        for d in &values.dims {
            names.push(Json::String(d.name().to_string()));
            coords.insert(d.name().to_string(), json!(d.labels().to_strings()));
        }
        if let Some(t) = &self.target_dimension {
            names.push(Json::String(t.clone()));
            coords.insert(t.clone(), json!(["value", "total_count", "valid_count"]));
        }
        // geometries × label combinations (× the target dimension), nested in dimension order
        let lens: Vec<usize> = values.dims.iter().map(|d| d.len()).collect();
        let leaf = |g: usize, k: usize| -> Json {
            let cells: Vec<Json> = self.cells(values, g, k, planes).into_iter().map(|(_, v)| v).collect();
            if self.target_dimension.is_some() {
                Json::Array(cells)
            } else {
                cells[0].clone()
            }
        };
        fn nest(lens: &[usize], base: usize, leaf: &dyn Fn(usize) -> Json) -> Json {
            match lens {
                [] => leaf(base),
                [n, rest @ ..] => {
                    let stride: usize = rest.iter().product();
                    Json::Array((0..*n).map(|i| nest(rest, base + i * stride, leaf)).collect())
                }
            }
        }
        let data: Vec<Json> = (0..self.features.len())
            .map(|g| nest(&lens, 0, &|k| leaf(g, k)))
            .collect();
        json!({"type": "vectorcube", "dimensions": names, "coords": coords, "nodata": null, "data": data})
    }
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
