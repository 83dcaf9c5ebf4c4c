//! Direct chunk reads of local netCDF-4 variables (`NETCDF:"file":var`): the chunk index is read once through
//! HDF5 (under its lock), then chunks are read with positional reads and inflated and unshuffled in the worker
//! threads with no lock held, so netCDF input decodes on all cores (GDAL's netCDF driver reads one block at a time
//! under a global lock).
//!
//! Covered: chunked 2-D `(y, x)` and 3-D `(band, y, x)` variables of UInt8 / UInt16 / Int16 / Float32 / Float64 with
//! no filters or shuffle and DEFLATE, a chunk index of at most [`MAX_CHUNKS`] entries (HDF5 1.10 looks chunks up in
//! linear time), and a y coordinate variable, from which the row order GDAL presents is derived. For anything else
//! [`open`] returns `None` and the caller reads through GDAL; the values are the same either way (the tests compare
//! both).
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use hdf5::types::{FloatSize, IntSize, TypeDescriptor};

use super::cache::{Decoded, Reads, identity_key};
use super::codec::{
    MAX_BLOCK_BYTES, Parsed, SampleType, Scratch, check_read, check_stored, file_version, inflate, row_to_f32,
    shuffled_to_f32, swap_bytes, with_scratch,
};
use super::store::{self, Object};
use crate::{Error, Grid, Result, RunStats};

/// Largest chunk index read directly.
const MAX_CHUNKS: usize = 8192;

/// Where one chunk is stored.
#[derive(Clone, Copy, Debug)]
struct StoredChunk {
    address: u64,
    size: u64,
    /// Bit i set: filter i of the pipeline was skipped for this chunk.
    filter_mask: u32,
}

/// The chunk index and encoding of one variable.
#[derive(Debug)]
pub(crate) struct ChunkedVariable {
    /// The file, read through the byte-range store.
    object: Arc<Object>,
    /// Bands (the first dimension of a 3-D variable, 1 otherwise), rows, columns.
    shape: [usize; 3],
    chunk: [usize; 3],
    /// Per chunk, in band-row-column order of the chunk grid; `None` for chunks never written.
    chunks: Vec<Option<StoredChunk>>,
    sample: SampleType,
    big_endian: bool,
    /// Pipeline positions of the shuffle and DEFLATE filters.
    shuffle: Option<usize>,
    deflate: Option<usize>,
    /// The value of chunks never written (the HDF5 fill value).
    fill: f32,
    /// Rows stored south to north: GDAL presents them flipped.
    bottom_up: bool,
}

/// Parsed variables by dataset name and file version.
static OPENED: Parsed<ChunkedVariable> = Parsed::new();

/// The directly readable variable named by GDAL dataset name `name` (`NETCDF:"file":var`) whose GDAL grid is
/// `grid`, parsed once; `None` for anything else.
pub(crate) fn open(name: &str, grid: &Grid) -> Option<Arc<ChunkedVariable>> {
    let (file, var) = split_name(name)?;
    let key = format!("{name}|{}", file_version(Path::new(file)));
    OPENED.get(&key, || ChunkedVariable::parse(Path::new(file), var, grid))
}

/// Forgets the parsed variables (call when files may have changed).
pub(crate) fn clear() {
    OPENED.clear();
}

/// File and variable of `NETCDF:"file":var`.
pub(crate) fn split_name(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("NETCDF:\"")?;
    let (file, var) = rest.rsplit_once("\":")?;
    (!var.is_empty() && !var.contains('/')).then_some((file, var))
}

impl ChunkedVariable {
    fn parse(path: &Path, var: &str, grid: &Grid) -> Option<ChunkedVariable> {
        let object = store::object(path.to_str()?).ok()?;
        let h5 = hdf5::File::open(path).ok()?;
        let ds = h5.dataset(var).ok()?;
        let (shape, chunk) = match (ds.shape().as_slice(), ds.chunk()?.as_slice()) {
            (&[b, r, c], &[cb, cr, cc]) => ([b, r, c], [cb, cr, cc]),
            (&[r, c], &[cr, cc]) => ([1, r, c], [1, cr, cc]),
            _ => return None,
        };
        if shape[1] != grid.height || shape[2] != grid.width || chunk.contains(&0) {
            return None;
        }
        let elements = chunk.iter().try_fold(1usize, |n, &c| n.checked_mul(c))?;
        let (mut shuffle, mut deflate) = (None, None);
        for (i, f) in ds.filters().iter().enumerate() {
            match f {
                hdf5::filters::Filter::Shuffle if deflate.is_none() => shuffle = Some(i),
                hdf5::filters::Filter::Deflate(_) => deflate = Some(i),
                _ => return None,
            }
        }
        let dtype = ds.dtype().ok()?;
        let sample = match dtype.to_descriptor().ok()? {
            TypeDescriptor::Unsigned(IntSize::U1) => SampleType::U8,
            TypeDescriptor::Unsigned(IntSize::U2) => SampleType::U16,
            TypeDescriptor::Integer(IntSize::U2) => SampleType::I16,
            TypeDescriptor::Float(FloatSize::U4) => SampleType::F32,
            TypeDescriptor::Float(FloatSize::U8) => SampleType::F64,
            _ => return None,
        };
        if elements.saturating_mul(sample.size()) > MAX_BLOCK_BYTES {
            return None;
        }
        let big_endian = matches!(dtype.byte_order(), hdf5::datatype::ByteOrder::BigEndian);
        let fill = ds.dcpl().ok()?.fill_value_as::<f64>().unwrap_or(0.0) as f32;
        let bottom_up = rows_bottom_up(&h5, grid)?;
        let chunks = chunk_index(&ds, shape, chunk)?;
        Some(ChunkedVariable {
            object,
            shape,
            chunk,
            chunks,
            sample,
            big_endian,
            shuffle,
            deflate,
            fill,
            bottom_up,
        })
    }

    /// Number of bands.
    pub(crate) fn bands(&self) -> usize {
        self.shape[0]
    }

    /// Width and height of the chunks, and the first row (as GDAL counts rows) of a chunk: rows stored south to
    /// north are presented flipped, so chunk edges then lie at the bottom of the variable plus multiples of the
    /// chunk height.
    pub(crate) fn block_lattice(&self) -> ((usize, usize), usize) {
        let [_, rows, _] = self.shape;
        let [_, cr, cc] = self.chunk;
        ((cc, cr), if self.bottom_up { rows % cr } else { 0 })
    }

    /// Reads the rectangle of `width × height` pixels at (`col`, `row`) of 1-based `band`, rows counted north to
    /// south as GDAL does, into `out` (row-major) as f32 with `nodata` turned into NaN.
    ///
    /// # Errors
    /// The rectangle or band outside the variable, a failing read, or a chunk that does not decode to its size.
    pub(crate) fn read_rect(
        &self,
        band: usize,
        (col, row, width, height): (usize, usize, usize, usize),
        nodata: Option<f64>,
        out: &mut [f32],
        reads: Reads<'_>,
    ) -> Result<()> {
        let [bands, rows, cols] = self.shape;
        let location = self.object.location();
        if !check_read(
            &location,
            band,
            (col, row, width, height),
            out.len(),
            bands,
            (cols, rows),
        )? {
            return Ok(());
        }
        let nodata = nodata.map(|v| v as f32);
        let [cb, cr, cc] = self.chunk;
        let (b, size) = (band - 1, self.sample.size());
        let elements = cb * cr * cc;
        // the stored rows holding the requested ones
        let (s0, s1) = if self.bottom_up {
            (rows - row - height, rows - row)
        } else {
            (row, row + height)
        };
        let key = identity_key(self.object.identity());
        let touched: Vec<(usize, usize, usize)> = (s0 / cr..=(s1 - 1) / cr)
            .flat_map(|cy| (col / cc..=(col + width - 1) / cc).map(move |cx| (cy, cx)))
            .map(|(cy, cx)| (cy, cx, ((b / cb) * rows.div_ceil(cr) + cy) * cols.div_ceil(cc) + cx))
            .collect();
        // the stored bytes of every touched chunk the cache does not hold, read at once
        let wanted: Vec<StoredChunk> = touched
            .iter()
            .filter_map(|&(_, _, index)| self.chunks.get(index).copied().flatten())
            .filter(|c| !reads.cache.is_some_and(|cache| cache.contains(key, c.address)))
            .collect();
        let chunk_bytes = elements * size;
        let mut ranges = Vec::with_capacity(wanted.len());
        for c in &wanted {
            check_stored(&location, c.size, chunk_bytes)?;
            ranges.push(c.address..c.address.saturating_add(c.size));
        }
        let fetched: HashMap<u64, Bytes> = wanted
            .iter()
            .map(|c| c.address)
            .zip(self.object.read_ranges(&ranges)?)
            .collect();
        // pushed out of the cache since it was checked: read alone
        let raw = |c: &StoredChunk| match fetched.get(&c.address) {
            Some(b) => Ok(b.clone()),
            None => self.object.read_range(c.address..c.address.saturating_add(c.size)),
        };
        with_scratch(|scratch| {
            for &(cy, cx, index) in &touched {
                let cached;
                let (stored, decoded): (Stored, &[u8]) = match (reads.cache, self.chunks.get(index).copied().flatten())
                {
                    (Some(cache), Some(c)) => {
                        cached = cache.get(key, c.address, reads.stats, || {
                            let stored = self.load_chunk(index, &raw(&c)?, scratch, reads.stats)?;
                            Ok(Decoded {
                                bytes: std::mem::take(&mut scratch.decoded),
                                kind: stored as u8,
                            })
                        })?;
                        (Stored::from_kind(cached.kind), &cached.bytes)
                    }
                    (None, Some(c)) => (
                        self.load_chunk(index, &raw(&c)?, scratch, reads.stats)?,
                        &scratch.decoded,
                    ),
                    (_, None) => (Stored::Missing, &scratch.decoded),
                };
                let (c0, c1) = (col.max(cx * cc), (col + width).min((cx + 1) * cc));
                for s in s0.max(cy * cr)..s1.min((cy + 1) * cr) {
                    let out_row = if self.bottom_up { rows - 1 - s - row } else { s - row };
                    let dst = &mut out[out_row * width + c0 - col..out_row * width + c1 - col];
                    // element offset of (band, stored row, first column) inside the chunk
                    let at = ((b % cb) * cr + s - cy * cr) * cc + c0 - cx * cc;
                    match stored {
                        Stored::Plain => {
                            row_to_f32(self.sample, &decoded[at * size..(at + c1 - c0) * size], dst, nodata);
                        }
                        Stored::Shuffled => {
                            let place = (elements, at);
                            shuffled_to_f32(self.sample, decoded, place, self.big_endian, dst, nodata);
                        }
                        Stored::Missing => {
                            dst.fill(if Some(self.fill) == nodata { f32::NAN } else { self.fill });
                        }
                    }
                }
            }
            Ok(())
        })
    }

    /// Decodes the stored bytes `raw` of (stored) chunk `index` into `scratch.decoded`: little-endian samples, or
    /// still shuffled (in the stored byte order) when the shuffle filter applies.
    fn load_chunk(&self, index: usize, raw: &[u8], scratch: &mut Scratch, stats: &RunStats) -> Result<Stored> {
        let Some(c) = self.chunks.get(index).copied().flatten() else {
            return Ok(Stored::Missing);
        };
        let elements = self.chunk.iter().product::<usize>();
        let bytes = elements * self.sample.size();
        let applied = |position: Option<usize>| position.is_some_and(|p| c.filter_mask & (1 << p) == 0);
        let broken = |e: String| Error::internal(format!("chunk {index} of {} {e}", self.object.location()));
        stats.block_decoded(c.size);
        if applied(self.deflate) {
            inflate(&mut scratch.inflater, raw, &mut scratch.decoded, bytes).map_err(broken)?;
        } else if raw.len() == bytes {
            scratch.decoded.clear();
            scratch.decoded.extend_from_slice(raw);
        } else {
            return Err(broken(format!("holds {} bytes instead of {bytes}", raw.len())));
        }
        // a shuffled chunk stays shuffled: `read_rect` unshuffles only the samples it needs
        if self.big_endian && !applied(self.shuffle) {
            swap_bytes(self.sample, &mut scratch.decoded);
        }
        Ok(if applied(self.shuffle) {
            Stored::Shuffled
        } else {
            Stored::Plain
        })
    }
}

/// What [`ChunkedVariable::load_chunk`] left in the scratch buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Stored {
    /// Little-endian samples.
    Plain,
    /// Shuffled samples in the stored byte order.
    Shuffled,
    /// Nothing: the chunk was never written.
    Missing,
}

impl Stored {
    /// The kind a cached chunk was stored with (`Stored as u8`).
    fn from_kind(kind: u8) -> Stored {
        match kind {
            k if k == Stored::Plain as u8 => Stored::Plain,
            k if k == Stored::Shuffled as u8 => Stored::Shuffled,
            _ => Stored::Missing,
        }
    }
}

/// Whether the file stores rows south to north: its y coordinate variable (a 1-D variable whose values are the
/// row centres of `grid`, in either order) increases. `None` when no variable matches.
fn rows_bottom_up(h5: &hdf5::File, grid: &Grid) -> Option<bool> {
    let [_, _, _, top, _, dy] = grid.transform;
    let centre = |i: usize| top + (i as f64 + 0.5) * dy;
    let close = |a: f64, b: f64| (a - b).abs() <= 0.01 * dy.abs();
    let (first, last) = (centre(0), centre(grid.height - 1));
    for name in h5.member_names().ok()? {
        let Ok(ds) = h5.dataset(&name) else { continue };
        if ds.shape() != [grid.height] {
            continue;
        }
        let Ok(values) = ds.read_raw::<f64>() else { continue };
        let (Some(&v0), Some(&vn)) = (values.first(), values.last()) else {
            continue;
        };
        if close(v0, first) && close(vn, last) {
            return Some(false);
        }
        if close(v0, last) && close(vn, first) {
            return Some(true);
        }
    }
    None
}

/// Address, size and filter mask of every chunk of `ds` (`None` if the index is too large to read quickly).
fn chunk_index(ds: &hdf5::Dataset, shape: [usize; 3], chunk: [usize; 3]) -> Option<Vec<Option<StoredChunk>>> {
    let grid: Vec<usize> = shape.iter().zip(&chunk).map(|(s, c)| s.div_ceil(*c)).collect();
    if grid.iter().product::<usize>() > MAX_CHUNKS {
        return None;
    }
    let three_d = ds.ndim() == 3;
    let id = ds.id();
    let mut chunks = Vec::with_capacity(grid.iter().product());
    hdf5::sync::sync(|| {
        for b in 0..grid[0] {
            for r in 0..grid[1] {
                for c in 0..grid[2] {
                    let full = [(b * chunk[0]) as u64, (r * chunk[1]) as u64, (c * chunk[2]) as u64];
                    let offset = if three_d { &full[..] } else { &full[1..] };
                    let (mut mask, mut address, mut size) = (0u32, 0u64, 0u64);
                    // SAFETY: `id` is an open dataset of rank `offset.len()`; the out-pointers point at live locals;
                    // the call runs under the hdf5 crate's global lock.
                    let status = unsafe {
                        hdf5_metno_sys::h5d::H5Dget_chunk_info_by_coord(
                            id,
                            offset.as_ptr(),
                            &mut mask,
                            &mut address,
                            &mut size,
                        )
                    };
                    if status < 0 {
                        return None;
                    }
                    // HADDR_UNDEF: never written
                    chunks.push((address != u64::MAX && size > 0).then_some(StoredChunk {
                        address,
                        size,
                        filter_mask: mask,
                    }));
                }
            }
        }
        Some(())
    })?;
    Some(chunks)
}

#[cfg(test)]
mod tests {
    use std::fmt::Write;
    use std::path::PathBuf;

    use super::*;
    use crate::Asset;
    use crate::io::codec::same_as_gdal;

    const T: usize = 3;
    const H: usize = 50;
    const W: usize = 70;

    fn list(values: impl Iterator<Item = String>) -> String {
        values.collect::<Vec<_>>().join(", ")
    }

    /// A netCDF-4 file written by `ncgen`: rows stored south to north or north to south, variables with various
    /// types, chunkings (a chunk spanning two bands, edge chunks), filters, byte orders and a never-written one.
    fn ncgen(dir: &Path, name: &str, bottom_up: bool) -> PathBuf {
        // degrees, so GDAL takes the grid as EPSG:4326
        let ys = (0..H).map(|i| {
            if bottom_up {
                50.0 + 0.01 * i as f64
            } else {
                50.49 - 0.01 * i as f64
            }
        });
        let value = |t: usize, i: usize| (i * 37 + t * 101) % 997;
        let cube = |f: &dyn Fn(usize, usize) -> String| list((0..T * H * W).map(|i| f(i / (H * W), i % (H * W))));
        let mut cdl = format!(
            "netcdf {name} {{\ndimensions:\n t = {T} ;\n y = {H} ;\n x = {W} ;\nvariables:\n double t(t) ;\n  t:units = \"days since 2020-01-01\" ;\n double y(y) ;\n  y:units = \"degrees_north\" ;\n double x(x) ;\n  x:units = \"degrees_east\" ;\n"
        );
        cdl += " ushort a(t, y, x) ;\n  a:_FillValue = 0US ;\n  a:_ChunkSizes = 2, 16, 32 ;\n  a:_Shuffle = \"true\" ;\n  a:_DeflateLevel = 4 ;\n";
        cdl +=
            " short b(t, y, x) ;\n  b:_FillValue = -1s ;\n  b:_ChunkSizes = 1, 20, 20 ;\n  b:_Shuffle = \"true\" ;\n";
        cdl += "  b:_Endianness = \"big\" ;\n";
        cdl += " ushort h(t, y, x) ;\n  h:_ChunkSizes = 3, 10, 70 ;\n  h:_Endianness = \"big\" ;\n";
        cdl += " double c(y, x) ;\n  c:_ChunkSizes = 25, 35 ;\n  c:_DeflateLevel = 1 ;\n";
        cdl += " float f(t, y, x) ;\n  f:_FillValue = NaNf ;\n  f:_ChunkSizes = 1, 50, 70 ;\n  f:_Shuffle = \"true\" ;\n  f:_DeflateLevel = 9 ;\n";
        cdl += " ushort e(t, y, x) ;\n  e:_FillValue = 7US ;\n  e:_ChunkSizes = 1, 16, 16 ;\n";
        cdl += "data:\n";
        let _ = writeln!(cdl, " t = {} ;", list((0..T).map(|t| t.to_string())));
        let _ = writeln!(cdl, " y = {} ;", list(ys.map(|y| y.to_string())));
        let _ = writeln!(
            cdl,
            " x = {} ;",
            list((0..W).map(|i| (7.0 + 0.01 * i as f64).to_string()))
        );
        let _ = writeln!(
            cdl,
            " a = {} ;",
            cube(&|t, i| if value(t, i) < 50 {
                "0".into()
            } else {
                value(t, i).to_string()
            })
        );
        let _ = writeln!(cdl, " b = {} ;", cube(&|t, i| (value(t, i) as i64 - 500).to_string()));
        let _ = writeln!(cdl, " h = {} ;", cube(&|t, i| value(t, i).to_string()));
        let _ = writeln!(
            cdl,
            " c = {} ;",
            list((0..H * W).map(|i| format!("{}.25", value(0, i))))
        );
        let _ = writeln!(
            cdl,
            " f = {} ;",
            cube(&|t, i| if value(t, i) < 30 {
                "NaNf".into()
            } else {
                format!("{}.5", value(t, i))
            })
        );
        cdl += "}\n";
        let (cdl_path, nc) = (dir.join(format!("{name}.cdl")), dir.join(format!("{name}.nc")));
        std::fs::write(&cdl_path, cdl).unwrap();
        let mut command = std::process::Command::new("ncgen");
        command.args(["-k", "nc4", "-o"]).arg(&nc).arg(&cdl_path);
        // HDF5 locks the files it opens with flock(), which belongs to the open file: a child that inherits the
        // descriptor of a netCDF file another test is writing keeps that file locked while it runs, and reading
        // the finished file then fails. The child closes everything but its standard streams before ncgen starts.
        // SAFETY: close_range is async-signal-safe and touches only the child's descriptor table.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut command, || {
                libc::close_range(3, libc::c_uint::MAX, 0);
                Ok(())
            });
        }
        let status = command.status().unwrap();
        assert!(status.success(), "ncgen failed");
        nc
    }

    /// Reads rectangles of every band of `var` directly and through GDAL and requires the same values.
    fn reads_like_gdal(nc: &Path, var: &str, nodata: Option<f64>) {
        let name = format!("NETCDF:\"{}\":{var}", nc.display());
        let info = crate::read_info(&name).unwrap();
        let (w, h) = (info.grid.width, info.grid.height);
        let v = open(&name, &info.grid).unwrap_or_else(|| panic!("{name} should be read directly"));
        assert_eq!(v.bands(), info.nodata.len(), "{name}: bands");
        for band in 1..=v.bands() {
            let asset = Asset {
                path: name.clone(),
                band,
                grid: info.grid.clone(),
                nodata,
                synthetic: None,
            };
            for rect in [
                (0, 0, w, h),
                (3, 5, 20, 11),
                (w - 17, h - 9, 17, 9),
                (31, 0, 2, h),
                (0, 15, w, 2),
            ] {
                same_as_gdal(&asset, rect, |out| {
                    v.read_rect(band, rect, nodata, out, Reads::uncached(&RunStats::default()))
                });
            }
        }
    }

    #[test]
    fn direct_reads_equal_gdal_reads() {
        let dir = tempfile::tempdir().unwrap();
        for bottom_up in [true, false] {
            let nc = ncgen(dir.path(), if bottom_up { "up" } else { "down" }, bottom_up);
            for (var, nodata) in [
                ("a", Some(0.0)),
                ("a", None),
                ("h", None),
                ("b", Some(-1.0)),
                ("c", None),
                ("f", Some(f64::NAN)),
            ] {
                reads_like_gdal(&nc, var, nodata);
            }
            reads_like_gdal(&nc, "e", Some(7.0));
            reads_like_gdal(&nc, "e", None);
            let name = |var: &str| format!("NETCDF:\"{}\":{var}", nc.display());
            let grid = crate::read_info(&name("a")).unwrap().grid;
            let a = open(&name("a"), &grid).unwrap();
            assert_eq!(a.bottom_up, bottom_up, "row order");
            assert_eq!(
                (a.shuffle, a.deflate, a.chunk),
                (Some(0), Some(1), [2, 16, 32]),
                "filters and chunks"
            );
            let b = open(&name("b"), &grid).unwrap();
            assert!(
                b.big_endian && b.shuffle.is_some() && b.deflate.is_none(),
                "b: big-endian, shuffled"
            );
            assert!(open(&name("h"), &grid).unwrap().big_endian, "h: big-endian");
            assert!(
                open(&name("e"), &grid).unwrap().chunks.iter().all(Option::is_none),
                "e is never written"
            );
        }
    }

    #[test]
    fn real_and_generated_files_are_read_directly() {
        let olci = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/olci/olci_c2rcc_northsea_201701.nc");
        reads_like_gdal(&olci, "conc_chl", Some(f64::NAN));
        let dir = tempfile::tempdir().unwrap();
        let spec = crate::SyntheticSpec {
            name: "G".into(),
            grid: Grid {
                crs: crate::crs_from_user("EPSG:32632").unwrap(),
                transform: [600_000.0, 10.0, 0.0, 5_200_000.0, 0.0, -10.0],
                width: 300,
                height: 200,
            },
            bands: vec!["B04".into()],
            dates: (1..=3)
                .filter_map(|d| chrono::NaiveDate::from_ymd_opt(2022, 1, d))
                .collect(),
            seed: 3,
            netcdf: true,
        };
        crate::generate(&spec, dir.path()).unwrap();
        reads_like_gdal(&dir.path().join("G.nc"), "B04", Some(0.0));
    }

    #[test]
    fn other_variables_are_left_to_gdal() {
        let dir = tempfile::tempdir().unwrap();
        let nc = ncgen(dir.path(), "f", false);
        let name = |var: &str| format!("NETCDF:\"{}\":{var}", nc.display());
        let grid = crate::read_info(&name("a")).unwrap().grid;
        // coordinate variables are contiguous, not chunked
        assert!(open(&name("x"), &grid).is_none());
        assert!(open(&name("missing"), &grid).is_none());
        assert!(open("NETCDF:\"/nonexistent.nc\":a", &grid).is_none());
        assert!(split_name("/data/file.nc").is_none());
        assert_eq!(split_name("NETCDF:\"/d/f.nc\":B04"), Some(("/d/f.nc", "B04")));
    }
}
