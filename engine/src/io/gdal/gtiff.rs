//! GeoTIFF / COG writer: one tiled Float32 GeoTIFF per date (or one file without a temporal dimension), bands =
//! the remaining labels, NaN nodata. Files are written under a temporary name and renamed when complete.

use std::path::{Path, PathBuf};

use gdal::raster::{Buffer, RasterCreationOptions};
use gdal::{Dataset, DriverManager, Metadata};

use super::srs_of;
use crate::{Block, Compression, CubeMeta, DimensionKind, Error, Labels, Result, TileSink, Window};

/// Writes a cube as GeoTIFF files; see [`crate::create_sink`].
pub(crate) struct GtiffSink {
    files: Vec<OpenFile>,
    /// For every flat non-spatial index of a block: (file, 1-based band).
    layout: Vec<(usize, usize)>,
    cog: bool,
    compress: Compression,
    /// Side of the files' square blocks.
    block: usize,
    /// Width and height of the files.
    size: (usize, usize),
    /// The buffer each band of a tile is handed to GDAL in, reused.
    scratch: Vec<f32>,
}

struct OpenFile {
    dataset: Dataset,
    temp: PathBuf,
    target: PathBuf,
}

impl GtiffSink {
    /// Creates the output files (under temporary names) for `meta`.
    pub(crate) fn create(meta: &CubeMeta, path: &Path, cog: bool, compress: Compression) -> Result<GtiffSink> {
        let dims = meta.dims();
        let time_axes = meta.axes_of_kind(DimensionKind::Temporal);
        if time_axes.len() > 1 {
            return Err(Error::Unsupported {
                message: "GeoTIFF output of a cube with several temporal dimensions".into(),
            });
        }
        let time_axis = time_axes.first().copied();
        let names = file_names(meta, time_axis, path);
        let (layout, band_labels) = band_layout(meta, time_axis);
        let band_count = band_labels.len().max(1);
        let times = time_axis.and_then(|a| dims[a].labels().instants());
        let driver = DriverManager::get_driver_by_name("GTiff").map_err(Error::gdal("loading the GTiff driver"))?;
        let grid = meta.grid();
        let block = if grid.width.max(grid.height) > 256 { 512 } else { 256 };
        let options = RasterCreationOptions::from_iter([
            "TILED=YES".to_string(),
            format!("BLOCKXSIZE={block}"),
            format!("BLOCKYSIZE={block}"),
            format!("COMPRESS={}", compress.gdal_name()),
            // each band's blocks are written on their own, without waiting for the other bands
            "INTERLEAVE=BAND".into(),
            "NUM_THREADS=ALL_CPUS".into(),
            "BIGTIFF=IF_SAFER".into(),
        ]);
        let srs = srs_of(&grid.crs)?;
        let mut files = Vec::new();
        for (i, target) in names.into_iter().enumerate() {
            let temp = temp_name(&target);
            let mut ds = driver
                .create_with_band_type_with_options::<f32, _>(&temp, grid.width, grid.height, band_count, &options)
                .map_err(Error::gdal(format!("creating {}", temp.display())))?;
            ds.set_geo_transform(&grid.transform)
                .map_err(Error::gdal("setting the geotransform"))?;
            ds.set_spatial_ref(&srs).map_err(Error::gdal("setting the CRS"))?;
            if let Some(t) = times.as_ref().and_then(|t| t.get(i)) {
                ds.set_metadata_item("TIFFTAG_DATETIME", &t.format("%Y:%m:%d %H:%M:%S").to_string(), "")
                    .map_err(Error::gdal("setting the date"))?;
            }
            for (b, label) in band_labels.iter().enumerate() {
                let mut band = ds.rasterband(b + 1).map_err(Error::gdal("opening an output band"))?;
                band.set_no_data_value(Some(f64::NAN))
                    .map_err(Error::gdal("setting nodata"))?;
                if !label.is_empty() {
                    band.set_description(label)
                        .map_err(Error::gdal("setting a band name"))?;
                }
            }
            files.push(OpenFile {
                dataset: ds,
                temp,
                target,
            });
        }
        Ok(GtiffSink {
            files,
            layout,
            cog,
            compress,
            block,
            size: (grid.width, grid.height),
            scratch: Vec::new(),
        })
    }
}

/// Where each flat non-spatial index of a block goes: (file = time index, 1-based band = the other dimensions
/// row-major), and the band labels of one file (other dimensions' labels joined by `_`).
fn band_layout(meta: &CubeMeta, time_axis: Option<usize>) -> (Vec<(usize, usize)>, Vec<String>) {
    let dims = meta.dims();
    let lens: Vec<usize> = dims.iter().map(|d| d.len()).collect();
    let total: usize = lens.iter().product();
    let mut layout = Vec::with_capacity(total);
    let mut band_labels = Vec::new();
    for flat in 0..total {
        let idx = unravel(flat, &lens);
        let file = time_axis.map_or(0, |a| idx[a]);
        let mut band = 0usize;
        let mut label = Vec::new();
        for (a, d) in dims.iter().enumerate().filter(|(a, _)| Some(*a) != time_axis) {
            band = band * d.len() + idx[a];
            label.push(d.labels().to_strings().get(idx[a]).cloned().unwrap_or_default());
        }
        if file == 0 {
            band_labels.push(label.join("_"));
        }
        layout.push((file, band + 1));
    }
    (layout, band_labels)
}

/// Row-major multi-index of `flat` for dimension lengths `lens`.
pub(crate) fn unravel(mut flat: usize, lens: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; lens.len()];
    for a in (0..lens.len()).rev() {
        let n = lens[a].max(1);
        idx[a] = flat % n;
        flat /= n;
    }
    idx
}

/// A temporary name in the same directory, so the final rename is atomic.
pub(crate) fn temp_name(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.{}.part", std::process::id()))
}

fn file_names(meta: &CubeMeta, time_axis: Option<usize>, path: &Path) -> Vec<PathBuf> {
    let Some(axis) = time_axis else {
        return vec![path.to_path_buf()];
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "result".into());
    let ext = path
        .extension()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "tif".into());
    let times = match meta.dims()[axis].labels() {
        Labels::Time(times) => times,
        // periods are named by their labels (`2022-06`)
        Labels::Periods(periods) => {
            return periods
                .iter()
                .map(|p| path.with_file_name(format!("{stem}_{}.{ext}", p.label)))
                .collect();
        }
        _ => return vec![path.to_path_buf()],
    };
    let days: Vec<String> = times.iter().map(|t| t.format("%Y-%m-%d").to_string()).collect();
    let unique_days = days.iter().collect::<std::collections::HashSet<_>>().len() == days.len();
    times
        .iter()
        .zip(days)
        .map(|(t, day)| {
            let label = if unique_days {
                day
            } else {
                t.format("%Y-%m-%dT%H%M%SZ").to_string()
            };
            path.with_file_name(format!("{stem}_{label}.{ext}"))
        })
        .collect()
}

impl GtiffSink {
    /// The block `window` is, when it is exactly one block of the files (clipped at their edges) and the files are
    /// uncompressed: such a tile goes to the file directly, past GDAL's block cache.
    fn whole_block(&self, window: &Window) -> Option<(usize, usize)> {
        let b = self.block;
        let fits = |start: usize, len: usize, size: usize| {
            start.is_multiple_of(b) && (len == b || (len < b && start + len == size))
        };
        (self.compress == Compression::None
            && fits(window.x0, window.width, self.size.0)
            && fits(window.y0, window.height, self.size.1))
        .then_some((window.x0 / b, window.y0 / b))
    }
}

impl TileSink for GtiffSink {
    fn write_tile(&mut self, window: &Window, block: &Block) -> Result<()> {
        let cells = window.cells();
        let data = block.values();
        let direct = self.whole_block(window);
        let side = self.block;
        for (flat, &(file, band)) in self.layout.iter().enumerate() {
            let slice = data
                .get(flat * cells..(flat + 1) * cells)
                .ok_or_else(|| Error::internal("block smaller than its layout"))?;
            let mut scratch = std::mem::take(&mut self.scratch);
            scratch.clear();
            let rb = self.files[file].dataset.rasterband(band);
            let mut rb = rb.map_err(Error::gdal("opening an output band"))?;
            let scratch = match direct {
                Some(index) => {
                    if slice.len() == side * side {
                        scratch.extend_from_slice(slice);
                    } else {
                        // a block at the files' edge is padded to its full size
                        scratch.resize(side * side, f32::NAN);
                        for (row, src) in slice.chunks(window.width.max(1)).enumerate() {
                            scratch[row * side..row * side + src.len()].copy_from_slice(src);
                        }
                    }
                    let mut buf = Buffer::new((side, side), scratch);
                    rb.write_block(index, &mut buf).map_err(Error::gdal("writing a tile"))?;
                    buf.into_shape_and_vec().1
                }
                None => {
                    scratch.extend_from_slice(slice);
                    let mut buf = Buffer::new((window.width, window.height), scratch);
                    rb.write(
                        (window.x0 as isize, window.y0 as isize),
                        (window.width, window.height),
                        &mut buf,
                    )
                    .map_err(Error::gdal("writing a tile"))?;
                    buf.into_shape_and_vec().1
                }
            };
            self.scratch = scratch;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for f in self.files {
            let OpenFile {
                mut dataset,
                temp,
                target,
            } = f;
            dataset.flush_cache().map_err(Error::gdal("flushing a GeoTIFF"))?;
            drop(dataset);
            if self.cog {
                let cog_temp = temp.with_extension("cog.part");
                let src = Dataset::open(&temp).map_err(Error::gdal(format!("reopening {}", temp.display())))?;
                let driver = DriverManager::get_driver_by_name("COG").map_err(Error::gdal("loading the COG driver"))?;
                let compress = match self.compress {
                    Compression::None => Compression::Deflate,
                    c => c,
                };
                let opts = RasterCreationOptions::from_iter([
                    format!("COMPRESS={}", compress.gdal_name()),
                    "NUM_THREADS=ALL_CPUS".into(),
                    "BLOCKSIZE=512".into(),
                    "OVERVIEWS=AUTO".into(),
                ]);
                let copy = src
                    .create_copy(&driver, &cog_temp, &opts)
                    .map_err(Error::gdal(format!("writing COG {}", target.display())))?;
                drop(copy);
                drop(src);
                std::fs::remove_file(&temp).map_err(|source| Error::Io {
                    path: temp.clone(),
                    source,
                })?;
                std::fs::rename(&cog_temp, &target).map_err(|source| Error::Io {
                    path: target.clone(),
                    source,
                })?;
            } else {
                std::fs::rename(&temp, &target).map_err(|source| Error::Io {
                    path: target.clone(),
                    source,
                })?;
            }
            out.push(target);
        }
        Ok(out)
    }
}
