//! Zarr stores, local or remote (`s3://bucket/prefix`, an http(s) URL: read through the object store), read with
//! `zarrs`: Zarr V3, and V2 as xarray writes it. A band is an array
//! of the store with dimensions `(time, y, x)` or `(y, x)`, named by V3 `dimension_names` or the V2 attribute
//! `_ARRAY_DIMENSIONS`; the coordinates are the arrays of the same names (pixel centres along `x` and `y`, CF time
//! with `units` and `calendar`), the CRS is the WKT (`crs_wkt` or `spatial_ref`) of the array the band's
//! `grid_mapping` attribute names, and `_FillValue` (or, in V2, the array's fill value) is the nodata value. Chunks are decoded by zarrs (in parallel
//! for a window covering several). Asset names are `ZARR:"<store>":/<array>`; an asset's band number is its time
//! index + 1.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use zarrs::array::Array;
use zarrs::array::ArraySubset;
use zarrs::array::data_type::{
    Float32DataType, Float64DataType, Int8DataType, Int16DataType, Int32DataType, Int64DataType, UInt8DataType,
    UInt16DataType, UInt32DataType, UInt64DataType,
};
use zarrs::filesystem::FilesystemStore;
use zarrs::storage::ReadableStorageTraits;
use zarrs::storage::storage_adapter::async_to_sync::{AsyncToSyncBlockOn, AsyncToSyncStorageAdapter};
use zarrs_object_store::AsyncObjectStore;

use super::codec::Parsed;
use crate::{Error, Grid, Result};

/// An opened band array and what its header says.
pub(crate) struct ZarrBand {
    array: Array<dyn ReadableStorageTraits>,
    /// The array has a leading time dimension.
    timed: bool,
}

/// What the catalog needs to know of a band array.
pub(crate) struct ZarrHeader {
    /// The grid of the `y` and `x` coordinates.
    pub(crate) grid: Grid,
    /// The instants of the time dimension, if the array has one.
    pub(crate) times: Option<Vec<DateTime<Utc>>>,
    /// `_FillValue`, if set.
    pub(crate) nodata: Option<f64>,
}

static OPENED: Parsed<ZarrBand> = Parsed::new();

/// The asset name of array `name` of the store at `store`.
pub(crate) fn asset_name(store: &str, name: &str) -> String {
    format!("ZARR:\"{store}\":/{name}")
}

/// The store and array of an asset name made by [`asset_name`].
fn split(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix("ZARR:\"")?;
    let (store, array) = rest.split_once("\":/")?;
    Some((store.to_string(), array.to_string()))
}

/// Runs the object store's futures for zarrs' synchronous API.
struct IoBlockOn;

impl AsyncToSyncBlockOn for IoBlockOn {
    fn block_on<F: core::future::Future>(&self, future: F) -> F::Output {
        super::store::block_on(true, future)
    }
}

/// The storage of the store at `location`: zarrs' own for a local directory, the object store for a remote prefix.
fn storage(location: &str) -> Result<Arc<dyn ReadableStorageTraits>> {
    if super::store::is_remote(location) {
        let prefixed = super::store::prefix_store(location)?;
        let store = Arc::new(AsyncObjectStore::new(prefixed));
        return Ok(Arc::new(AsyncToSyncStorageAdapter::new(store, IoBlockOn)));
    }
    let fs = FilesystemStore::new(location).map_err(|e| Error::Config {
        message: format!("Zarr store {location}: {e}"),
    })?;
    Ok(Arc::new(fs))
}

fn zarr_error(what: String) -> impl FnOnce(String) -> Error {
    move |e| Error::Config {
        message: format!("{what}: {e}"),
    }
}

fn open_array(store: &str, name: &str) -> Result<Array<dyn ReadableStorageTraits>> {
    let what = format!("Zarr array {name} of {}", store);
    Array::open(storage(store)?, &format!("/{name}")).map_err(|e| zarr_error(what)(e.to_string()))
}

/// The dimension names of `array`: V3 `dimension_names`, else the V2 attribute `_ARRAY_DIMENSIONS`.
fn dimension_names(array: &Array<dyn ReadableStorageTraits>) -> Option<Vec<String>> {
    if let Some(names) = array.dimension_names() {
        let names: Option<Vec<String>> = names.iter().map(|n| n.as_ref().map(ToString::to_string)).collect();
        if names.is_some() {
            return names;
        }
    }
    let attr = array.attributes().get("_ARRAY_DIMENSIONS")?.as_array()?;
    attr.iter().map(|v| v.as_str().map(ToString::to_string)).collect()
}

/// Every element of `subset` of `array` as f64, whatever its numeric data type.
fn read_f64(array: &Array<dyn ReadableStorageTraits>, subset: &ArraySubset) -> std::result::Result<Vec<f64>, String> {
    let dt = array.data_type();
    macro_rules! read_as {
        ($($ty:ty => $t:ty),*) => {
            $(if dt.is::<$ty>() {
                let v: Vec<$t> = array.retrieve_array_subset(subset).map_err(|e| e.to_string())?;
                #[allow(clippy::cast_precision_loss, clippy::cast_lossless)]
                return Ok(v.into_iter().map(|x| x as f64).collect());
            })*
        };
    }
    read_as!(
        Float64DataType => f64, Float32DataType => f32, UInt8DataType => u8, UInt16DataType => u16,
        UInt32DataType => u32, UInt64DataType => u64, Int8DataType => i8, Int16DataType => i16,
        Int32DataType => i32, Int64DataType => i64
    );
    Err("the data type is not numeric".into())
}

/// The whole one-dimensional array `name` as f64.
fn coordinate(store: &str, name: &str) -> Result<(Vec<f64>, serde_json::Map<String, serde_json::Value>)> {
    let array = open_array(store, name)?;
    let values =
        read_f64(&array, &array.subset_all()).map_err(zarr_error(format!("coordinate {name} of {}", store)))?;
    Ok((values, array.attributes().clone()))
}

/// The header of array `name` of the store at `store`; `crs` is used when the array names no grid mapping.
///
/// # Errors
/// [`Error::Config`] for a missing array, dimensions other than `(time, y, x)` or `(y, x)` with coordinates,
/// uneven coordinates, an undecodable time axis or no CRS.
pub(crate) fn header(store: &str, name: &str, crs: Option<&str>) -> Result<ZarrHeader> {
    let bad = |m: String| Error::Config {
        message: format!("Zarr array {name} of {}: {m}", store),
    };
    let array = open_array(store, name)?;
    let dims = dimension_names(&array).ok_or_else(|| bad("its dimensions have no names".into()))?;
    let (time, y, x) = match dims.as_slice() {
        [t, y, x] => (Some(t), y, x),
        [y, x] => (None, y, x),
        other => return Err(bad(format!("dimensions {other:?}: (time, y, x) or (y, x) expected"))),
    };
    let attrs = array.attributes();
    let crs = match attrs.get("grid_mapping").and_then(|g| g.as_str()) {
        Some(gm) => {
            let mapping = open_array(store, gm)?;
            let a = mapping.attributes();
            let wkt = (a.get("crs_wkt").or_else(|| a.get("spatial_ref")))
                .and_then(|w| w.as_str())
                .ok_or_else(|| bad(format!("its grid mapping {gm} has no crs_wkt")))?;
            crate::crs_from_user(wkt)?
        }
        None => {
            crate::crs_from_user(crs.ok_or_else(|| bad("no grid_mapping attribute; set the source's crs".into()))?)?
        }
    };
    let (xs, _) = coordinate(store, x)?;
    let (ys, _) = coordinate(store, y)?;
    let grid = Grid::from_centres(&xs, &ys, crs, None)
        .ok_or_else(|| bad(format!("coordinates {x}/{y} are not an even grid")))?;
    let times = match time {
        None => None,
        Some(t) => {
            let (values, attrs) = coordinate(store, t)?;
            let text = |k: &str| attrs.get(k).and_then(|v| v.as_str()).map(ToString::to_string);
            let units = text("units").ok_or_else(|| bad(format!("time coordinate {t} has no units")))?;
            let calendar = text("calendar").unwrap_or_else(|| "standard".into());
            let decoded = values
                .iter()
                .map(|&v| super::gdal::decode_cf_time(v, &units, &calendar))
                .collect::<std::result::Result<Vec<_>, String>>()
                .map_err(|e| bad(format!("time coordinate {t}: {e}")))?;
            Some(decoded)
        }
    };
    let shape = array.shape();
    let expected: Vec<u64> = times
        .iter()
        .map(|t| t.len() as u64)
        .chain([grid.height as u64, grid.width as u64])
        .collect();
    if shape != expected.as_slice() {
        return Err(bad(format!(
            "shape {shape:?} does not match its coordinates {expected:?}"
        )));
    }
    // `_FillValue`, else the fill value of V2 metadata (where xarray puts it); a V3 fill value is only the value
    // of chunks never written, not a nodata marker
    let v2_fill = || {
        let meta = serde_json::to_value(array.metadata()).ok()?;
        (meta.get("zarr_format")? == 2)
            .then(|| meta.get("fill_value")?.as_f64())
            .flatten()
    };
    let nodata = attrs
        .get("_FillValue")
        .and_then(serde_json::Value::as_f64)
        .or_else(v2_fill);
    Ok(ZarrHeader { grid, times, nodata })
}

/// The band array of an asset name, opened once; `None` for names that are not Zarr assets.
pub(crate) fn open(path: &str) -> Option<Arc<ZarrBand>> {
    OPENED.get(path, || {
        let (store, name) = split(path)?;
        let array = open_array(&store, &name).ok()?;
        let timed = array.dimensionality() == 3;
        Some(ZarrBand { array, timed })
    })
}

/// Forgets the opened arrays (call when files may have changed).
pub(crate) fn clear() {
    OPENED.clear();
}

impl ZarrBand {
    /// Reads the rectangle `(col, row, width, height)` at time index `band - 1` into `buf` as f32, `nodata`
    /// becoming NaN.
    ///
    /// # Errors
    /// The rectangle outside the array, or zarrs failing to read or decode a chunk.
    pub(crate) fn read_rect(
        &self,
        band: usize,
        (col, row, width, height): (usize, usize, usize, usize),
        nodata: Option<f64>,
        buf: &mut [f32],
    ) -> Result<()> {
        let (r, c) = (row as u64..(row + height) as u64, col as u64..(col + width) as u64);
        let subset = if self.timed {
            let t = band.saturating_sub(1) as u64;
            ArraySubset::new_with_ranges(&[t..t + 1, r, c])
        } else {
            ArraySubset::new_with_ranges(&[r, c])
        };
        let values = read_f64(&self.array, &subset).map_err(|e| Error::internal(format!("reading Zarr: {e}")))?;
        if values.len() != buf.len() {
            return Err(Error::internal("Zarr read of an unexpected size"));
        }
        for (d, v) in buf.iter_mut().zip(values) {
            *d = if Some(v) == nodata || v.is_nan() {
                f32::NAN
            } else {
                v as f32
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Writes a Zarr V2 store as xarray does (uncompressed chunks): B04 `(time, y, x)` UInt16 with nodata 0, the
    /// coordinates and a grid mapping.
    pub(crate) fn write_v2_store(dir: &Path, values: &[u16], (nt, h, w): (usize, usize, usize)) {
        let write = |p: &str, text: String| {
            let path = dir.join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(".zgroup", r#"{"zarr_format": 2}"#.into());
        write(".zattrs", "{}".into());
        let array = |name: &str, dtype: &str, shape: Vec<usize>, chunks: Vec<usize>, fill: &str, attrs: String| {
            write(
                &format!("{name}/.zarray"),
                format!(
                    r#"{{"zarr_format": 2, "shape": {shape:?}, "chunks": {chunks:?}, "dtype": "{dtype}", "compressor": null, "fill_value": {fill}, "order": "C", "filters": null}}"#
                ),
            );
            write(&format!("{name}/.zattrs"), attrs);
        };
        let raw = |name: &str, key: &str, bytes: Vec<u8>| {
            std::fs::write(dir.join(name).join(key), bytes).unwrap();
        };
        let xs: Vec<f64> = (0..w).map(|i| 600_005.0 + 10.0 * i as f64).collect();
        let ys: Vec<f64> = (0..h).map(|j| 5_199_995.0 - 10.0 * j as f64).collect();
        let days: Vec<i64> = (0..nt as i64).map(|d| 19_143 + 5 * d).collect(); // 2022-05-31 + 5 d
        for (name, values) in [("x", xs), ("y", ys)] {
            let dims = format!(r#"{{"_ARRAY_DIMENSIONS": ["{name}"]}}"#);
            array(name, "<f8", vec![values.len()], vec![values.len()], "\"NaN\"", dims);
            raw(name, "0", values.iter().flat_map(|v| v.to_le_bytes()).collect());
        }
        let time_attrs =
            r#"{"_ARRAY_DIMENSIONS": ["time"], "units": "days since 1970-01-01", "calendar": "proleptic_gregorian"}"#;
        array("time", "<i8", vec![nt], vec![nt], "null", time_attrs.into());
        raw("time", "0", days.iter().flat_map(|v| v.to_le_bytes()).collect());
        let wkt = crate::crs_from_user("EPSG:32632").unwrap().wkt().replace('"', "\\\"");
        array(
            "spatial_ref",
            "<i8",
            vec![],
            vec![],
            "null",
            format!(r#"{{"_ARRAY_DIMENSIONS": [], "crs_wkt": "{wkt}"}}"#),
        );
        raw("spatial_ref", "0", 0i64.to_le_bytes().to_vec());
        let attrs = r#"{"_ARRAY_DIMENSIONS": ["time", "y", "x"], "grid_mapping": "spatial_ref"}"#;
        // chunks of (1, h, w / 2 rounded up): two chunks per date
        let cw = w.div_ceil(2);
        array("B04", "<u2", vec![nt, h, w], vec![1, h, cw], "0", attrs.into());
        for t in 0..nt {
            for (k, c0) in [0, cw].into_iter().enumerate() {
                let mut bytes = Vec::new();
                for r in 0..h {
                    for c in c0..c0 + cw {
                        let v = if c < w { values[(t * h + r) * w + c] } else { 0 };
                        bytes.extend(v.to_le_bytes());
                    }
                }
                raw("B04", &format!("{t}.0.{k}"), bytes);
            }
        }
    }

    #[test]
    fn headers_and_windows_of_an_xarray_style_v2_store() {
        let dir = tempfile::tempdir().unwrap();
        let (nt, h, w) = (3, 5, 7);
        let values: Vec<u16> = (0..nt * h * w).map(|v| (v % 11) as u16).collect();
        write_v2_store(dir.path(), &values, (nt, h, w));
        let head = header(&dir.path().to_string_lossy(), "B04", None).unwrap();
        assert_eq!(head.grid.transform, [600_000.0, 10.0, 0.0, 5_200_000.0, 0.0, -10.0]);
        assert_eq!((head.grid.width, head.grid.height), (w, h));
        assert_eq!(head.grid.crs.epsg(), Some(32632));
        let times: Vec<String> = head.times.unwrap().iter().map(|t| t.format("%F").to_string()).collect();
        assert_eq!(times, ["2022-05-31", "2022-06-05", "2022-06-10"]);
        assert_eq!(head.nodata, Some(0.0));
        let band = open(&asset_name(&dir.path().to_string_lossy(), "B04")).unwrap();
        let mut buf = vec![0f32; 3 * 2];
        // date 2, rows 1..3, columns 2..5 (across the two chunks)
        band.read_rect(3, (2, 1, 3, 2), Some(0.0), &mut buf).unwrap();
        for r in 0..2 {
            for c in 0..3 {
                let v = values[(2 * h + 1 + r) * w + 2 + c];
                let want = if v == 0 { f32::NAN } else { f32::from(v) };
                let got = buf[r * 3 + c];
                assert!(got == want || (got.is_nan() && want.is_nan()), "{r} {c}: {got} {want}");
            }
        }
        assert!(header(&dir.path().to_string_lossy(), "B99", None).is_err());
    }

    #[test]
    fn a_zarr_collection_loads_filters_and_reduces_like_files() {
        let dir = tempfile::tempdir().unwrap();
        let (nt, h, w) = (3, 5, 7);
        let values: Vec<u16> = (0..nt * h * w).map(|v| (v * 7 % 13) as u16).collect();
        write_v2_store(&dir.path().join("cube.zarr"), &values, (nt, h, w));
        let toml = "[[collections]]\nid = \"Z\"\nsource = { kind = \"zarr\", path = \"cube.zarr\" }\nbands = [{ name = \"B04\" }]\n";
        let catalog = crate::Catalog::from_toml(toml, dir.path()).unwrap();
        let collection = catalog.get("Z").unwrap().clone();
        assert_eq!(collection.items.len(), nt);
        // the last two dates, a box of the pixel centres of rows 1..4 and columns 2..6
        let bbox = crate::Bbox {
            west: 600_020.0,
            east: 600_060.0,
            south: 5_199_960.0,
            north: 5_199_990.0,
        };
        let start = chrono::NaiveDate::from_ymd_opt(2022, 6, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc();
        let crs = crate::crs_from_user("EPSG:32632").unwrap();
        let cube = crate::Cube::load(collection, Some((bbox, crs)), (Some(start), None), None).unwrap();
        let g = cube.meta().grid().clone();
        assert_eq!((g.width, g.height), (4, 3));
        let block = crate::execute_to_memory(&cube, &crate::ExecOptions::default()).unwrap();
        assert_eq!(block.shape(), &[2, 1, 3, 4]);
        for t in 0..2 {
            for r in 0..3 {
                for c in 0..4 {
                    let v = values[((t + 1) * h + 1 + r) * w + 2 + c];
                    let got = block.values()[(t * 3 + r) * 4 + c];
                    let want = if v == 0 { f32::NAN } else { f32::from(v) };
                    assert!(
                        got == want || (got.is_nan() && want.is_nan()),
                        "t{t} r{r} c{c}: {got} {want}"
                    );
                }
            }
        }
    }
}
