//! Writing tiles into the netCDF file made by [`super::gdal::create_netcdf`]: a tile that covers whole chunks is
//! encoded (shuffle + DEFLATE, as the variables declare) on several threads and stored with HDF5's direct chunk
//! write, so compression is not limited to one core; any other tile goes through HDF5's own (serial) write path.
//! The file is renamed to its final name when complete.
#![allow(unsafe_code)]

use std::path::PathBuf;

use rayon::prelude::*;

use super::gdal::{NetcdfLayout, create_netcdf};
use crate::{Block, CubeMeta, Error, Result, TileSink, Window};

/// Writes a cube as one netCDF file; see [`crate::create_sink`].
pub(crate) struct NetcdfSink {
    layout: NetcdfLayout,
    /// Open while writing; closed by `finish`.
    file: Option<hdf5::File>,
    datasets: Vec<hdf5::Dataset>,
    shuffle: bool,
    /// Image rows and columns.
    size: (usize, usize),
}

fn h5_error(what: &str) -> impl FnOnce(hdf5::Error) -> Error + '_ {
    move |e| Error::internal(format!("HDF5 failed to {what}: {e}"))
}

impl NetcdfSink {
    /// Creates the file for `meta` (UInt16 variables with fill value 0 when `uint16`, else Float32 with NaN),
    /// compressed with shuffle and zlib at level `deflate`, or uncompressed.
    ///
    /// # Errors
    /// Unsupported cubes, or the file not being creatable.
    pub(crate) fn create(
        meta: &CubeMeta,
        path: &std::path::Path,
        uint16: bool,
        deflate: Option<u8>,
    ) -> Result<NetcdfSink> {
        let layout = create_netcdf(meta, path, uint16, deflate)?;
        let file = hdf5::File::open_rw(&layout.temp).map_err(h5_error("reopen the netCDF file"))?;
        let datasets = (layout.vars.iter())
            .map(|v| file.dataset(v).map_err(h5_error("open a variable")))
            .collect::<Result<Vec<_>>>()?;
        let filters = datasets.first().map(hdf5::Dataset::filters).unwrap_or_default();
        // what the variables were created with: shuffle, then DEFLATE
        let shuffle = filters.contains(&hdf5::filters::Filter::Shuffle);
        if !filters
            .iter()
            .all(|f| matches!(f, hdf5::filters::Filter::Shuffle | hdf5::filters::Filter::Deflate(_)))
        {
            return Err(Error::internal(format!("unexpected netCDF filters {filters:?}")));
        }
        let grid = meta.grid();
        Ok(NetcdfSink {
            layout,
            file: Some(file),
            datasets,
            shuffle,
            size: (grid.height, grid.width),
        })
    }

    /// Number of planes per variable (the product of the other dimensions' lengths).
    fn planes(&self) -> usize {
        self.layout.outer.iter().product()
    }

    /// The position of plane `k` (row-major over the other dimensions) along each of them.
    fn plane_index(&self, mut k: usize) -> Vec<usize> {
        let mut index = vec![0; self.layout.outer.len()];
        for (i, &n) in self.layout.outer.iter().enumerate().rev() {
            index[i] = k % n;
            k /= n;
        }
        index
    }

    /// The values of variable `var` in plane `k` in `block` (`window.cells()` of them).
    fn plane<'a>(&self, block: &'a Block, window: &Window, var: usize, k: usize) -> Result<&'a [f32]> {
        let mut outer = self.plane_index(k).into_iter();
        let mut flat = 0;
        for (axis, &n) in self.layout.block_axes.iter().enumerate() {
            let i = if Some(axis) == self.layout.band_axis {
                var
            } else {
                outer.next().unwrap_or(0)
            };
            flat = flat * n + i;
        }
        let cells = window.cells();
        block
            .values()
            .get(flat * cells..(flat + 1) * cells)
            .ok_or_else(|| Error::internal("block smaller than expected"))
    }

    /// True when `window` covers exactly one chunk (edge chunks: up to the image's edge).
    fn is_one_chunk(&self, w: &Window) -> bool {
        let ((ch, cw), (rows, cols)) = (self.layout.chunk, self.size);
        w.x0.is_multiple_of(cw)
            && w.y0.is_multiple_of(ch)
            && (w.width == cw || (w.width < cw && w.x0 + w.width == cols))
            && (w.height == ch || (w.height < ch && w.y0 + w.height == rows))
    }

    /// The values of a tile as one whole chunk: edge chunks are stored whole, padded with the fill value.
    fn padded(&self, plane: &[f32], window: &Window) -> Vec<f32> {
        let (ch, cw) = self.layout.chunk;
        let fill = if self.layout.uint16 { 0.0 } else { f32::NAN };
        let mut values = vec![fill; ch * cw];
        for (r, row) in plane.chunks_exact(window.width).enumerate() {
            values[r * cw..r * cw + window.width].copy_from_slice(row);
        }
        values
    }

    /// Encodes one chunk as the variables store it: UInt16 (NaN → 0, rounded, clamped) or Float32, little-endian,
    /// then, for compressed variables, shuffled when they shuffle and zlib-compressed at their level.
    fn encode(&self, values: &[f32]) -> Result<Vec<u8>> {
        let bytes: Vec<u8> = if self.layout.uint16 {
            values.iter().flat_map(|&v| to_u16(v).to_le_bytes()).collect()
        } else {
            values.iter().flat_map(|v| v.to_le_bytes()).collect()
        };
        let Some(level) = self.layout.deflate else {
            return Ok(bytes);
        };
        let size = if self.layout.uint16 { 2 } else { 4 };
        let bytes = if self.shuffle {
            let n = values.len();
            let mut shuffled = vec![0u8; bytes.len()];
            for (k, sample) in bytes.chunks_exact(size).enumerate() {
                for (j, &b) in sample.iter().enumerate() {
                    shuffled[j * n + k] = b;
                }
            }
            shuffled
        } else {
            bytes
        };
        let level =
            libdeflater::CompressionLvl::new(i32::from(level)).map_err(|_| Error::internal("compression level"))?;
        let mut compressor = libdeflater::Compressor::new(level);
        let mut out = vec![0u8; compressor.zlib_compress_bound(bytes.len())];
        let n = compressor
            .zlib_compress(&bytes, &mut out)
            .map_err(|e| Error::internal(format!("compressing a netCDF chunk: {e}")))?;
        out.truncate(n);
        Ok(out)
    }

    /// Stores an encoded chunk of variable `var` in plane `k` whose first pixel is (`y0`, `x0`).
    fn write_chunk(&self, var: usize, k: usize, (y0, x0): (usize, usize), data: &[u8]) -> Result<()> {
        let mut offset: Vec<u64> = self.plane_index(k).into_iter().map(|i| i as u64).collect();
        offset.extend([y0 as u64, x0 as u64]);
        let id = self.datasets[var].id();
        // SAFETY: `id` is an open chunked dataset of rank `offset.len()`, `offset` is chunk-aligned and `data` is a
        // complete encoded chunk for its filter pipeline (filter mask 0: all filters applied); the call runs under
        // the hdf5 crate's global lock.
        let status = hdf5::sync::sync(|| unsafe {
            hdf5_metno_sys::h5d::H5Dwrite_chunk(
                id,
                hdf5_metno_sys::h5p::H5P_DEFAULT,
                0,
                offset.as_ptr(),
                data.len(),
                data.as_ptr().cast(),
            )
        });
        if status < 0 {
            return Err(Error::internal(format!(
                "HDF5 failed to write a chunk of {}",
                self.layout.vars[var]
            )));
        }
        Ok(())
    }

    /// Writes a tile that does not cover exactly one chunk through HDF5's own write path.
    fn write_region(&self, window: &Window, block: &Block) -> Result<()> {
        for var in 0..self.layout.vars.len() {
            for k in 0..self.planes() {
                let plane = self.plane(block, window, var, k)?;
                let written = if self.layout.uint16 {
                    self.write_plane(var, k, window, plane.iter().map(|&v| to_u16(v)).collect())
                } else {
                    self.write_plane(var, k, window, plane.to_vec())
                };
                written.map_err(h5_error("write netCDF data"))?;
            }
        }
        Ok(())
    }

    /// Writes the `window` of variable `var` in plane `k` from its values in row-major order.
    fn write_plane<T: hdf5::H5Type>(&self, var: usize, k: usize, window: &Window, values: Vec<T>) -> hdf5::Result<()> {
        let (y, x, h, w) = (window.y0, window.x0, window.height, window.width);
        let a =
            ndarray::Array2::from_shape_vec((h, w), values).map_err(|e| hdf5::Error::from(e.to_string().as_str()))?;
        let ds = &self.datasets[var];
        match self.plane_index(k).as_slice() {
            [] => ds.write_slice(&a, ndarray::s![y..y + h, x..x + w]),
            [i] => ds.write_slice(&a, ndarray::s![*i, y..y + h, x..x + w]),
            [i, j] => ds.write_slice(&a, ndarray::s![*i, *j, y..y + h, x..x + w]),
            _ => Err(hdf5::Error::from("more than two dimensions besides bands")),
        }
    }
}

/// A UInt16 sample for a value: NaN → 0 (the fill value), else rounded and clamped.
fn to_u16(v: f32) -> u16 {
    if v.is_nan() {
        0
    } else {
        v.round().clamp(0.0, 65535.0) as u16
    }
}

impl TileSink for NetcdfSink {
    fn write_tile(&mut self, window: &Window, block: &Block) -> Result<()> {
        if !self.is_one_chunk(window) {
            return self.write_region(window, block);
        }
        let planes = self.planes();
        let chunks: Vec<(usize, usize)> = (0..self.layout.vars.len())
            .flat_map(|var| (0..planes).map(move |k| (var, k)))
            .collect();
        // encoded on the global pool (not the engine's, whose threads may be waiting for this writer), a few at a
        // time so the writer never holds more than one encoded chunk per thread
        for batch in chunks.chunks(rayon::current_num_threads().max(1)) {
            let encoded = (batch.par_iter())
                .map(|&(var, k)| self.encode(&self.padded(self.plane(block, window, var, k)?, window)))
                .collect::<Result<Vec<_>>>()?;
            for (&(var, k), data) in batch.iter().zip(&encoded) {
                self.write_chunk(var, k, (window.y0, window.x0), data)?;
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Vec<PathBuf>> {
        self.datasets.clear();
        if let Some(file) = self.file.take() {
            file.close().map_err(h5_error("close the netCDF file"))?;
        }
        let target = self.layout.target.clone();
        std::fs::rename(&self.layout.temp, &target).map_err(|source| Error::Io {
            path: target.clone(),
            source,
        })?;
        Ok(vec![target])
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::{Asset, BandInfo, Dimension, Grid, Labels};

    const W: usize = 700;
    const H: usize = 600;

    fn value(var: usize, t: usize, x: usize, y: usize) -> f32 {
        if (x * 7 + y * 13 + var + t).is_multiple_of(41) {
            f32::NAN
        } else {
            (x + 3 * y + 100 * var + 1000 * t) as f32
        }
    }

    /// Writes 2 bands × 3 dates in tiles of `side` px and reads every variable and date back through GDAL.
    fn round_trip(side: usize, uint16: bool, deflate: Option<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let grid = Grid {
            crs: crate::crs_from_user("EPSG:32632").unwrap(),
            transform: [600_000.0, 10.0, 0.0, 5_200_000.0, 0.0, -10.0],
            width: W,
            height: H,
        };
        let times = (1..=3)
            .map(|d| Utc.with_ymd_and_hms(2022, 1, d, 0, 0, 0).unwrap())
            .collect();
        let dims = vec![
            Dimension::new("t", Labels::Time(times)),
            Dimension::new(
                "bands",
                Labels::Bands(vec![BandInfo::named("B04"), BandInfo::named("B08")]),
            ),
        ];
        let meta = CubeMeta::new(dims, grid.clone());
        let path = dir.path().join("out.nc");
        let mut sink: Box<dyn TileSink> = Box::new(NetcdfSink::create(&meta, &path, uint16, deflate).unwrap());
        for y0 in (0..H).step_by(side) {
            for x0 in (0..W).step_by(side) {
                let w = Window {
                    x0,
                    y0,
                    width: side.min(W - x0),
                    height: side.min(H - y0),
                };
                let mut data = Vec::new();
                for t in 0..3 {
                    for var in 0..2 {
                        for y in y0..y0 + w.height {
                            data.extend((x0..x0 + w.width).map(|x| value(var, t, x, y)));
                        }
                    }
                }
                sink.write_tile(&w, &Block::new(vec![3, 2, w.height, w.width], data).unwrap())
                    .unwrap();
            }
        }
        assert_eq!(sink.finish().unwrap(), vec![path.clone()]);
        for (var, name) in ["B04", "B08"].iter().enumerate() {
            for t in 0..3 {
                let asset = Asset {
                    path: format!("NETCDF:\"{}\":{name}", path.display()),
                    band: t + 1,
                    grid: grid.clone(),
                    nodata: Some(if uint16 { 0.0 } else { f64::NAN }),
                    synthetic: None,
                };
                let mut out = vec![0f32; W * H];
                crate::io::gdal::read_band_rect(&asset, (0, 0, W, H), &mut out).unwrap();
                for (i, &got) in out.iter().enumerate() {
                    let want = value(var, t, i % W, i / W);
                    let same = got == want || (got.is_nan() && want.is_nan());
                    assert!(
                        same,
                        "{name} t{t} pixel {i}: {got} instead of {want} (tiles of {side}, uint16 {uint16}, {deflate:?})"
                    );
                }
            }
        }
    }

    #[test]
    fn whole_chunk_tiles_round_trip() {
        round_trip(512, false, Some(1));
        round_trip(512, true, Some(1));
        round_trip(512, false, None);
        round_trip(512, true, Some(6));
    }

    #[test]
    fn tiles_smaller_than_chunks_round_trip() {
        round_trip(256, false, Some(1));
        round_trip(256, false, None);
    }

    #[test]
    fn text_labels_become_a_string_coordinate_and_two_dimensions_besides_bands() {
        let dir = tempfile::tempdir().unwrap();
        let grid = Grid {
            crs: crate::crs_from_user("EPSG:32632").unwrap(),
            transform: [600_000.0, 10.0, 0.0, 5_200_000.0, 0.0, -10.0],
            width: 4,
            height: 3,
        };
        let labels = vec!["first_date".to_string(), "2022-06".to_string()];
        let quantiles: Vec<String> = ["0", "1", "2"].map(String::from).to_vec();
        let dims = vec![
            Dimension::new("t", Labels::Other(labels.clone())),
            Dimension::new(
                "bands",
                Labels::Bands(vec![BandInfo::named("B04"), BandInfo::named("B08")]),
            ),
            Dimension::new("q", Labels::Other(quantiles.clone())),
        ];
        let meta = CubeMeta::new(dims, grid);
        let path = dir.path().join("labels.nc");
        let mut sink: Box<dyn TileSink> = Box::new(NetcdfSink::create(&meta, &path, false, Some(1)).unwrap());
        let w = Window {
            x0: 0,
            y0: 0,
            width: 4,
            height: 3,
        };
        // block layout [t, bands, q, y, x]
        let data: Vec<f32> = (0..2 * 2 * 3 * 12).map(|v| v as f32).collect();
        sink.write_tile(&w, &Block::new(vec![2, 2, 3, 3, 4], data.clone()).unwrap())
            .unwrap();
        sink.finish().unwrap();
        let file = hdf5::File::open(&path).unwrap();
        let text = |name: &str| -> Vec<String> {
            let values = file
                .dataset(name)
                .unwrap()
                .read_1d::<hdf5::types::VarLenUnicode>()
                .unwrap();
            values.iter().map(|s| s.as_str().to_string()).collect()
        };
        assert_eq!(text("t"), labels);
        assert_eq!(text("q"), quantiles);
        for (b, band) in ["B04", "B08"].iter().enumerate() {
            let var = file.dataset(band).unwrap();
            assert_eq!(var.shape(), vec![2, 3, 3, 4]);
            let want: Vec<f32> = (0..2)
                .flat_map(|t| (0..3).map(move |q| (t, q)))
                .flat_map(|(t, q)| data[((t * 2 + b) * 3 + q) * 12..][..12].to_vec())
                .collect();
            assert_eq!(var.read_raw::<f32>().unwrap(), want, "{band}");
        }
    }
}
