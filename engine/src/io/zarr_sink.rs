//! Writing a cube as a Zarr V3 store with `zarrs`, in the layout xarray reads as a Dataset: one Float32 array per
//! band (`var` without bands) with dimensions `(t, y, x)` or `(y, x)`, chunks of one date × 512 × 512, zstd, NaN as
//! fill value, and the attribute `grid_mapping`; coordinate arrays `t` (seconds since 1970-01-01, CF `units` and
//! `calendar`), `y` and `x` (pixel centres); `spatial_ref` carrying the CRS as `crs_wkt`. The store is written
//! under a temporary name and renamed when complete.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use zarrs::array::builder::ArrayBuilderFillValue;
use zarrs::array::codec::ZstdCodec;
use zarrs::array::{Array, ArrayBuilder, ArraySubset, data_type};
use zarrs::filesystem::FilesystemStore;
use zarrs::group::GroupBuilder;

use super::gdal::temp_name;
use crate::{Block, CubeMeta, DimensionKind, Error, Result, TileSink, Window};

/// Writes a cube as one Zarr store; see [`crate::create_sink`].
pub(crate) struct ZarrSink {
    temp: PathBuf,
    target: PathBuf,
    /// One array per band.
    arrays: Vec<Array<FilesystemStore>>,
    /// Number of dates (1 without a temporal dimension) and whether the arrays have a `t` dimension.
    dates: usize,
    timed: bool,
    /// The temporal axis comes before the bands axis in blocks.
    time_first: bool,
}

fn zarr_error(what: &str) -> impl FnOnce(String) -> Error + '_ {
    move |e| Error::internal(format!("Zarr output: {what}: {e}"))
}

/// A 1-D array `name` holding `values`.
fn coordinate<T: zarrs::array::Element + Default + Into<ArrayBuilderFillValue> + Copy>(
    store: &Arc<FilesystemStore>,
    name: &str,
    values: &[T],
    data_type: zarrs::array::DataType,
    attributes: serde_json::Map<String, serde_json::Value>,
) -> Result<()> {
    let n = values.len() as u64;
    // the fill value of chunks never written, which coordinates do not have
    let mut builder = ArrayBuilder::new(vec![n], [n.max(1)], data_type, T::default());
    builder.dimension_names(Some([name])).attributes(attributes);
    let array = builder
        .build(store.clone(), &format!("/{name}"))
        .map_err(|e| zarr_error(name)(e.to_string()))?;
    array.store_metadata().map_err(|e| zarr_error(name)(e.to_string()))?;
    array
        .store_array_subset(&array.subset_all(), values)
        .map_err(|e| zarr_error(name)(e.to_string()))
}

impl ZarrSink {
    /// Creates the store for `meta` (dimensions `t`, `bands`, `y`, `x` at most; instants on `t`).
    ///
    /// # Errors
    /// [`Error::Unsupported`] for other dimensions; file-system or zarrs errors.
    pub(crate) fn create(meta: &CubeMeta, path: &Path) -> Result<ZarrSink> {
        let dims = meta.dims();
        let t_axis = meta.axes_of_kind(DimensionKind::Temporal).first().copied();
        let b_axis = meta.axes_of_kind(DimensionKind::Bands).first().copied();
        let times = t_axis.and_then(|a| dims[a].labels().instants());
        if dims.len() > usize::from(t_axis.is_some()) + usize::from(b_axis.is_some())
            || (t_axis.is_some() && times.is_none())
        {
            return Err(Error::Unsupported {
                message: format!(
                    "Zarr output of the dimensions {}: it holds t (instants), bands, y and x",
                    meta.dimension_names().join(", ")
                ),
            });
        }
        let grid = meta.grid();
        if grid.is_empty() {
            return Err(Error::Unsupported {
                message: "Zarr output of a cube without spatial dimensions".into(),
            });
        }
        let bands: Vec<String> = b_axis.map_or_else(|| vec!["var".into()], |a| dims[a].labels().to_strings());
        let target = path.to_path_buf();
        let temp = temp_name(&target);
        let _ = std::fs::remove_dir_all(&temp);
        let store = Arc::new(FilesystemStore::new(&temp).map_err(|e| zarr_error("creating the store")(e.to_string()))?);
        let group = GroupBuilder::new()
            .build(store.clone(), "/")
            .map_err(|e| zarr_error("the root group")(e.to_string()))?;
        group
            .store_metadata()
            .map_err(|e| zarr_error("the root group")(e.to_string()))?;
        let attrs = |pairs: &[(&str, serde_json::Value)]| -> serde_json::Map<String, serde_json::Value> {
            pairs.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect()
        };
        let ys: Vec<f64> = (0..grid.height).map(|j| grid.y_center(j)).collect();
        let xs: Vec<f64> = (0..grid.width).map(|i| grid.x_center(i)).collect();
        coordinate(&store, "y", &ys, data_type::float64(), attrs(&[("axis", "Y".into())]))?;
        coordinate(&store, "x", &xs, data_type::float64(), attrs(&[("axis", "X".into())]))?;
        if let Some(times) = &times {
            let seconds: Vec<i64> = times.iter().map(chrono::DateTime::timestamp).collect();
            let cf = [
                ("units", "seconds since 1970-01-01 00:00:00".into()),
                ("calendar", "proleptic_gregorian".into()),
                ("standard_name", "time".into()),
            ];
            coordinate(&store, "t", &seconds, data_type::int64(), attrs(&cf))?;
        }
        let wkt = grid.crs.wkt().to_string();
        coordinate(
            &store,
            "spatial_ref",
            &[0i64],
            data_type::int64(),
            attrs(&[("crs_wkt", wkt.clone().into()), ("spatial_ref", wkt.into())]),
        )?;
        let dates = times.as_ref().map_or(1, Vec::len);
        let (rows, cols) = (grid.height as u64, grid.width as u64);
        let (ch, cw) = (rows.min(512), cols.min(512));
        let mut arrays = Vec::with_capacity(bands.len());
        for band in &bands {
            let (shape, chunks, names): (Vec<u64>, Vec<u64>, Vec<&str>) = if times.is_some() {
                (vec![dates as u64, rows, cols], vec![1, ch, cw], vec!["t", "y", "x"])
            } else {
                (vec![rows, cols], vec![ch, cw], vec!["y", "x"])
            };
            let mut builder = ArrayBuilder::new(shape, chunks.as_slice(), data_type::float32(), f32::NAN);
            builder
                .bytes_to_bytes_codecs(vec![Arc::new(ZstdCodec::new(1, false))])
                .dimension_names(Some(names))
                .attributes(attrs(&[
                    ("grid_mapping", "spatial_ref".into()),
                    ("long_name", band.as_str().into()),
                ]));
            let array = builder
                .build(store.clone(), &format!("/{band}"))
                .map_err(|e| zarr_error(band)(e.to_string()))?;
            array.store_metadata().map_err(|e| zarr_error(band)(e.to_string()))?;
            arrays.push(array);
        }
        Ok(ZarrSink {
            temp,
            target,
            arrays,
            dates,
            timed: times.is_some(),
            time_first: matches!((t_axis, b_axis), (Some(t), Some(b)) if t < b) || b_axis.is_none(),
        })
    }
}

impl TileSink for ZarrSink {
    fn write_tile(&mut self, window: &Window, block: &Block) -> Result<()> {
        let cells = window.cells();
        let nb = self.arrays.len();
        let (r, c) = (
            window.y0 as u64..(window.y0 + window.height) as u64,
            window.x0 as u64..(window.x0 + window.width) as u64,
        );
        for (b, array) in self.arrays.iter().enumerate() {
            for t in 0..self.dates {
                let flat = if self.time_first {
                    t * nb + b
                } else {
                    b * self.dates + t
                };
                let plane = block
                    .values()
                    .get(flat * cells..(flat + 1) * cells)
                    .ok_or_else(|| Error::internal("block smaller than expected"))?;
                let subset = if self.timed {
                    ArraySubset::new_with_ranges(&[t as u64..t as u64 + 1, r.clone(), c.clone()])
                } else {
                    ArraySubset::new_with_ranges(&[r.clone(), c.clone()])
                };
                array
                    .store_array_subset(&subset, plane)
                    .map_err(|e| zarr_error("writing a tile")(e.to_string()))?;
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Vec<PathBuf>> {
        consolidate(&self.temp)?;
        let _ = std::fs::remove_dir_all(&self.target);
        std::fs::rename(&self.temp, &self.target).map_err(|source| Error::Io {
            path: self.target.clone(),
            source,
        })?;
        Ok(vec![self.target])
    }
}

/// Adds the metadata of every array of the store at `dir` to its root `zarr.json` (`consolidated_metadata`, as
/// zarr-python writes it), so readers over HTTP, which cannot list a store, open it from the root document alone.
fn consolidate(dir: &Path) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let bad = |path: &Path, e: serde_json::Error| Error::internal(format!("{}: {e}", path.display()));
    let mut members = serde_json::Map::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let meta = entry.path().join("zarr.json");
        if meta.is_file() {
            let text = std::fs::read_to_string(&meta).map_err(io(&meta))?;
            let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(&meta, e))?;
            members.insert(entry.file_name().to_string_lossy().to_string(), value);
        }
    }
    let root = dir.join("zarr.json");
    let text = std::fs::read_to_string(&root).map_err(io(&root))?;
    let mut doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(&root, e))?;
    doc["consolidated_metadata"] = serde_json::json!({"kind": "inline", "must_understand": false, "metadata": members});
    let tmp = dir.join(".zarr.json.part");
    std::fs::write(&tmp, doc.to_string()).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &root).map_err(io(&root))
}
