//! netCDF-4 output of vector cubes (`aggregate_spatial` results), through GDAL's multidimensional API: a `geometry`
//! dimension whose string coordinate holds each geometry as WKT (WGS 84, `crs` attribute), the raster's other
//! dimensions (CF time for instants, strings for other labels) and, when requested, the dimension of `value`,
//! `total_count`, `valid_count`; one Float32 variable per band (`value` without bands), `_FillValue` NaN. xarray
//! opens it as a Dataset with those dimensions.

use std::path::Path;

use gdal::vector::Geometry as OgrGeometry;

use super::gtiff::temp_name;
use super::netcdf::Handles;
use crate::{DimensionKind, Error, Result, VectorValues};

/// The WKT of a GeoJSON geometry.
fn wkt(geojson: &str) -> Result<String> {
    let g = OgrGeometry::from_geojson(geojson).map_err(Error::gdal("reading a GeoJSON geometry"))?;
    g.wkt().map_err(Error::gdal("writing WKT"))
}

/// Writes `values` (one row per geometry of `geometries`, given as GeoJSON) to `path`, atomically.
///
/// # Errors
/// GDAL failing to read a geometry or to write the file; file-system errors.
pub(crate) fn write_vector_netcdf(
    path: &Path,
    geometries: &[String],
    values: &VectorValues,
    target_dimension: Option<&str>,
) -> Result<()> {
    let band_axis = values.dims.iter().position(|d| d.kind() == DimensionKind::Bands);
    let outer: Vec<usize> = (0..values.dims.len()).filter(|&a| Some(a) != band_axis).collect();
    let bands: Vec<String> = match band_axis {
        Some(a) => values.dims[a].labels().to_strings(),
        None => vec!["value".into()],
    };
    // the counts are written when they were computed for a target dimension
    let counts = values.counts.as_ref().zip(target_dimension);
    let temp = temp_name(path);
    let mut h = Handles::create(&temp)?;
    let texts = geometries.iter().map(|g| wkt(g)).collect::<Result<Vec<_>>>()?;
    let mut dims = vec![h.label_coordinate("geometry", false, &texts)?];
    h.text_attribute(None, "crs", "EPSG:4326")?;
    for &a in &outer {
        dims.push(h.coordinate_of(&values.dims[a])?);
    }
    if let Some((_, name)) = counts {
        let labels = ["value", "total_count", "valid_count"].map(String::from);
        dims.push(h.label_coordinate(name, false, &labels)?);
    }
    // the combination index of the raster dimensions for a band and an index over the other dimensions
    let lens: Vec<usize> = values.dims.iter().map(crate::Dimension::len).collect();
    let planes: usize = lens.iter().product();
    let outer_count: usize = outer.iter().map(|&a| lens[a]).product();
    let combo = |band: usize, mut k: usize| -> usize {
        let mut index = vec![0; lens.len()];
        for &a in outer.iter().rev() {
            index[a] = k % lens[a];
            k /= lens[a];
        }
        if let Some(b) = band_axis {
            index[b] = band;
        }
        index.iter().zip(&lens).fold(0, |flat, (i, n)| flat * n + i)
    };
    let mut count = vec![geometries.len()];
    count.extend(outer.iter().map(|&a| lens[a]));
    if counts.is_some() {
        count.push(3);
    }
    let start = vec![0u64; count.len()];
    for (b, band) in bands.iter().enumerate() {
        let mut data = Vec::with_capacity(count.iter().product());
        for g in 0..geometries.len() {
            for k in 0..outer_count {
                let i = g * planes + combo(b, k);
                data.push(values.values[i]);
                if let Some((counts, _)) = counts {
                    data.extend([counts[i].0 as f32, counts[i].1 as f32]);
                }
            }
        }
        let float32 = h.float32;
        let arr = h.array(band, &dims, float32, &[])?;
        // SAFETY: a valid array handle.
        unsafe {
            gdal_sys::GDALMDArraySetNoDataValueAsDouble(arr, f64::NAN);
        }
        h.text_attribute(Some(arr), "long_name", band)?;
        h.write(arr, float32, &start, &count, data.as_ptr().cast())?;
    }
    drop(h);
    std::fs::rename(&temp, path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::{BandInfo, Dimension, Labels};

    #[test]
    fn geometries_bands_dates_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zonal.nc");
        let times = vec![
            Utc.with_ymd_and_hms(2022, 6, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2022, 6, 2, 0, 0, 0).unwrap(),
        ];
        let values = VectorValues {
            dims: vec![
                Dimension::new("t", Labels::Time(times)),
                Dimension::new(
                    "bands",
                    Labels::Bands(vec![BandInfo::named("B04"), BandInfo::named("B08")]),
                ),
            ],
            // [geometry][t][band]
            values: (0..8).map(|v| v as f32).collect(),
            counts: Some((0..8).map(|v| (10 + v, v)).collect()),
        };
        let geometries = [
            r#"{"type": "Point", "coordinates": [11.3, 46.5]}"#.to_string(),
            r#"{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}"#.to_string(),
        ];
        write_vector_netcdf(&path, &geometries, &values, Some("stat")).unwrap();
        let file = hdf5::File::open(&path).unwrap();
        let wkt: Vec<String> = (file
            .dataset("geometry")
            .unwrap()
            .read_1d::<hdf5::types::VarLenUnicode>())
        .unwrap()
        .iter()
        .map(|s| s.as_str().to_string())
        .collect();
        assert_eq!(wkt, ["POINT (11.3 46.5)", "POLYGON ((0 0,1 0,1 1,0 0))"]);
        let b08 = file.dataset("B08").unwrap();
        assert_eq!(b08.shape(), vec![2, 2, 3]);
        // B08 is band 1: combinations 1 and 3 of each geometry, with their counts
        let want: Vec<f32> = [1, 3, 5, 7]
            .iter()
            .flat_map(|&i| [i as f32, (10 + i) as f32, i as f32])
            .collect();
        assert_eq!(b08.read_raw::<f32>().unwrap(), want);
    }
}
