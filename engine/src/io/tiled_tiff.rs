//! Direct tile reads of tiled GeoTIFFs (COGs), local or remote: tile bytes come as byte ranges from the object
//! store (adjacent tiles in one request, requests in parallel) and are inflated with libdeflate, outside GDAL's block
//! cache and dataset handles, so any number of threads decode tiles of one file at once and an open file costs its
//! tile index, nothing more.
//!
//! Covered are the layouts COGs of imagery use: tiled, uncompressed or DEFLATE, no or horizontal predictor, one
//! sample per pixel (or separate planes), UInt8 / UInt16 / Int16 / Float32. For any other file [`open`] returns
//! `None` and the caller reads through GDAL; the values are the same either way (the tests compare both).

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use tiff::decoder::Decoder;
use tiff::tags::Tag;

use super::cache::{Decoded, Reads, identity_key};
use super::codec::{
    BlockRect, MAX_BLOCK_BYTES, Parsed, SampleType, check_read, check_stored, inflate, row_to_f32, swap_bytes,
    with_scratch,
};
use super::store::{self, Object};
use crate::{Error, Result, RunStats};

/// The tile index and encoding of the first (full-resolution) image of a tiled TIFF.
#[derive(Debug)]
pub(crate) struct TiledTiff {
    object: Arc<Object>,
    width: usize,
    height: usize,
    tile_width: usize,
    tile_height: usize,
    /// Number of bands stored as separate planes (1 for single-band files).
    planes: usize,
    offsets: Vec<u64>,
    byte_counts: Vec<u64>,
    sample: SampleType,
    deflate: bool,
    predictor: bool,
    big_endian: bool,
    /// The value of tiles that are not stored: the file's nodata tag, else 0 (as GDAL reads them).
    missing: f32,
    /// The file's GeoTIFF keys, if it has any.
    geokeys: Option<GeoKeys>,
}

/// The GeoTIFF keys of a file: the key directory and the double and ASCII parameters it points into. Files with the
/// same keys have the same CRS.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct GeoKeys {
    directory: Vec<u16>,
    /// The bits of the double parameters.
    doubles: Vec<u64>,
    ascii: String,
}

impl GeoKeys {
    /// The EPSG code of the CRS when the keys are just that: a model type with its EPSG-coded CRS (projected or
    /// geographic), and otherwise only citations, the raster type and the default units (metre, degree). `None`
    /// for anything else (user-defined projections, datums or units, vertical CRSs), which GDAL interprets.
    pub(crate) fn epsg(&self) -> Option<u32> {
        // header: version, revision, minor revision, number of keys; then 4 shorts per key
        let [1, _, _, n, entries @ ..] = self.directory.as_slice() else {
            return None;
        };
        let entries = entries.get(..usize::from(*n) * 4)?;
        let (mut model, mut code) = (None, None);
        for key in entries.chunks_exact(4) {
            // a value stored in the key itself has location 0
            let value = (key[1] == 0 && key[2] == 1).then_some(key[3]);
            match (key[0], value) {
                (1024, Some(v)) => model = Some(v),
                (2048 | 3072, Some(v)) if code.is_none() => code = Some((key[0], v)),
                // raster type; citations (ASCII)
                (1025, Some(_)) | (1026 | 2049 | 3073, None) => {}
                // metre, degree
                (3076, Some(9001)) | (2054, Some(9102)) => {}
                _ => return None,
            }
        }
        match (model, code) {
            (Some(1), Some((3072, v))) | (Some(2), Some((2048, v))) if (1024..32767).contains(&v) => Some(u32::from(v)),
            _ => None,
        }
    }
}

/// Parsed files by object identity.
static OPENED: Parsed<TiledTiff> = Parsed::new();

/// The directly readable tiled TIFF at `location` (a local file name, `s3://…` or an http(s) URL), parsed once per
/// version of the object; `None` for anything else (other formats, GDAL dataset names, `/vsi…` paths, layouts
/// listed in the module documentation as not covered, objects that cannot be opened).
pub(crate) fn open(location: &str) -> Option<Arc<TiledTiff>> {
    if location.starts_with("/vsi") {
        return None;
    }
    let object = store::object(location).ok()?;
    OPENED.get(object.identity(), || TiledTiff::parse(object.clone()))
}

/// Inflates every stored tile of the full-resolution image of each DEFLATE tiled TIFF in `paths` on the calling
/// thread: the stored bytes and the seconds the inflating took (reading excluded), i.e. the single-core decode
/// throughput of exactly these tiles. Files that are not directly readable DEFLATE tiled TIFFs are skipped.
///
/// # Errors
/// A failing read or a tile that does not inflate to its size.
pub fn measure_inflate(paths: &[PathBuf]) -> Result<(u64, f64)> {
    let (mut stored, mut seconds) = (0u64, 0f64);
    let mut inflater = libdeflater::Decompressor::new();
    let mut decoded = Vec::new();
    for path in paths {
        let Some(tiff) = open(&path.to_string_lossy()).filter(|t| t.deflate) else {
            continue;
        };
        let size = tiff.tile_bytes();
        let stored_tiles: Vec<usize> = (0..tiff.offsets.len()).filter(|&i| tiff.is_stored(i)).collect();
        let tiles = tiff.fetch(&stored_tiles)?;
        stored += tiles.iter().map(|t| t.len() as u64).sum::<u64>();
        let t0 = std::time::Instant::now();
        for raw in &tiles {
            inflate(&mut inflater, raw, &mut decoded, size)
                .map_err(|e| Error::internal(format!("{}: a tile {e}", path.display())))?;
        }
        seconds += t0.elapsed().as_secs_f64();
    }
    Ok((stored, seconds))
}

/// Forgets the parsed files (call when files may have changed).
pub(crate) fn clear() {
    OPENED.clear();
}

thread_local! {
    /// Stored bytes of tiles fetched ahead for the window this thread evaluates, by object key and offset.
    static PREFETCHED: std::cell::RefCell<HashMap<(u64, u64), Bytes>> = Default::default();
}

/// A read to come: the file, its 1-based band and the rectangle `(col, row, width, height)`.
pub(crate) type ReadAhead = (Arc<TiledTiff>, usize, (usize, usize, usize, usize));

/// The most stored bytes fetched ahead for one window (the rest is fetched when read).
const PREFETCH_BYTES: u64 = 64 << 20;

/// Fetches the stored tiles the reads `(file, band, rect)` will need from remote files, all at once (requests to
/// several objects in parallel), for the calling thread's next reads; tiles the run's block cache holds are skipped.
///
/// # Errors
/// A failing remote read.
pub(crate) fn prefetch(reads_ahead: &[ReadAhead], reads: Reads<'_>) -> Result<()> {
    let mut jobs = Vec::new();
    let mut keys = Vec::new();
    let mut total = 0u64;
    for (tiff, band, rect) in reads_ahead {
        if !tiff.object.is_remote() || rect.2 == 0 || rect.3 == 0 {
            continue;
        }
        let key = identity_key(tiff.object.identity());
        let wanted = tiff.wanted(*band, *rect, key, reads);
        total += wanted.iter().map(|&i| tiff.byte_counts[i]).sum::<u64>();
        if total > PREFETCH_BYTES {
            break;
        }
        keys.push(wanted.iter().map(|&i| (key, tiff.offsets[i])).collect::<Vec<_>>());
        jobs.push((tiff.object.clone(), tiff.ranges(&wanted)?));
    }
    if jobs.is_empty() {
        return Ok(());
    }
    let fetched = store::read_many(jobs)?;
    PREFETCHED.with_borrow_mut(|m| {
        for (keys, bytes) in keys.into_iter().zip(fetched) {
            m.extend(keys.into_iter().zip(bytes));
        }
    });
    Ok(())
}

/// Drops what was fetched ahead on the calling thread and not read.
pub(crate) fn forget_prefetched() {
    PREFETCHED.with_borrow_mut(HashMap::clear);
}

/// Sequential reads of an object for the TIFF header parser, in windows of 64 KiB (a COG's header and tile index
/// usually fit in the first one).
struct RangeReader {
    object: Arc<Object>,
    pos: u64,
    window: (u64, Bytes),
}

impl RangeReader {
    const WINDOW: u64 = 64 << 10;
}

impl Read for RangeReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let size = self.object.size();
        if self.pos >= size || buf.is_empty() {
            return Ok(0);
        }
        let (start, bytes) = &self.window;
        if self.pos < *start || self.pos >= start + bytes.len() as u64 {
            let end = (self.pos + Self::WINDOW.max(buf.len() as u64)).min(size);
            let bytes = self.object.read_range(self.pos..end).map_err(std::io::Error::other)?;
            self.window = (self.pos, bytes);
        }
        let (start, bytes) = &self.window;
        let at = (self.pos - start) as usize;
        let n = buf.len().min(bytes.len() - at);
        buf[..n].copy_from_slice(&bytes[at..at + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for RangeReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.object.size().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| std::io::Error::other("seek before the start of the object"))?;
        Ok(self.pos)
    }
}

impl TiledTiff {
    fn parse(object: Arc<Object>) -> Option<TiledTiff> {
        let reader = RangeReader {
            object: object.clone(),
            pos: 0,
            window: (0, Bytes::new()),
        };
        let mut dec = Decoder::new(reader).ok()?;
        let mut tag = |t: Tag| dec.find_tag_unsigned::<u64>(t).ok().flatten();
        let width = tag(Tag::ImageWidth)? as usize;
        let height = tag(Tag::ImageLength)? as usize;
        let tile_width = tag(Tag::TileWidth)? as usize;
        let tile_height = tag(Tag::TileLength)? as usize;
        let samples = tag(Tag::SamplesPerPixel).unwrap_or(1) as usize;
        let planar = tag(Tag::PlanarConfiguration).unwrap_or(1);
        let reduced = tag(Tag::NewSubfileType).unwrap_or(0) & 1 == 1;
        let deflate = match tag(Tag::Compression).unwrap_or(1) {
            1 => false,
            8 | 32946 => true,
            _ => return None,
        };
        let predictor = match tag(Tag::Predictor).unwrap_or(1) {
            1 => false,
            2 => true,
            _ => return None,
        };
        // per-sample tags: one value per band, all the same here
        let mut uniform = |t: Tag, default: u64| match dec.find_tag_unsigned_vec::<u64>(t).ok().flatten() {
            None => Some(default),
            Some(v) => v.first().copied().filter(|f| v.iter().all(|x| x == f)),
        };
        let format = uniform(Tag::SampleFormat, 1)?;
        let bits = uniform(Tag::BitsPerSample, 1)?;
        let sample = match (format, bits) {
            (1, 8) => SampleType::U8,
            (1, 16) => SampleType::U16,
            (2, 16) => SampleType::I16,
            (3, 32) if !predictor => SampleType::F32,
            _ => return None,
        };
        let tile_bytes = tile_width.saturating_mul(tile_height).saturating_mul(sample.size());
        if reduced || tile_bytes == 0 || tile_bytes > MAX_BLOCK_BYTES || (samples != 1 && planar != 2) {
            return None;
        }
        let offsets = dec.find_tag_unsigned_vec::<u64>(Tag::TileOffsets).ok().flatten()?;
        let byte_counts = dec.find_tag_unsigned_vec::<u64>(Tag::TileByteCounts).ok().flatten()?;
        let big_endian = matches!(dec.byte_order(), tiff::tags::ByteOrder::BigEndian);
        // GDAL's nodata tag, an ASCII number
        let missing = match dec.find_tag(Tag::Unknown(42113)).ok().flatten() {
            Some(tiff::decoder::ifd::Value::Ascii(s)) => s.trim().parse::<f64>().ok()? as f32,
            _ => 0.0,
        };
        let geokeys = dec
            .find_tag_unsigned_vec::<u16>(Tag::GeoKeyDirectoryTag)
            .ok()
            .flatten()
            .map(|directory| {
                let doubles = match dec.find_tag(Tag::GeoDoubleParamsTag) {
                    Ok(Some(v)) => v.into_f64_vec().unwrap_or_default(),
                    _ => Vec::new(),
                };
                let ascii = match dec.find_tag(Tag::GeoAsciiParamsTag) {
                    Ok(Some(v)) => v.into_string().unwrap_or_default(),
                    _ => String::new(),
                };
                GeoKeys {
                    directory,
                    doubles: doubles.into_iter().map(f64::to_bits).collect(),
                    ascii,
                }
            });
        let tiff = TiledTiff {
            object,
            width,
            height,
            tile_width,
            tile_height,
            planes: samples,
            offsets,
            byte_counts,
            sample,
            deflate,
            predictor,
            big_endian,
            missing,
            geokeys,
        };
        let expected = tiff.tiles_across() * tiff.tiles_down() * tiff.planes;
        (tiff.offsets.len() == expected && tiff.byte_counts.len() == expected).then_some(tiff)
    }

    /// The file's GeoTIFF keys, if it has any.
    pub(crate) fn geokeys(&self) -> Option<&GeoKeys> {
        self.geokeys.as_ref()
    }

    fn tiles_across(&self) -> usize {
        self.width.div_ceil(self.tile_width)
    }

    fn tiles_down(&self) -> usize {
        self.height.div_ceil(self.tile_height)
    }

    /// Width and height of the image.
    pub(crate) fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// Number of bands.
    pub(crate) fn bands(&self) -> usize {
        self.planes
    }

    /// Width and height of the tiles.
    pub(crate) fn block_size(&self) -> (usize, usize) {
        (self.tile_width, self.tile_height)
    }

    /// Reads the rectangle of `width × height` pixels at (`col`, `row`) of 1-based `band` into `out` (row-major,
    /// `width` values per row) as f32, with `nodata` turned into NaN. Tiles that are not stored (sparse files) read
    /// as the file's nodata value, or 0 without one, as GDAL reads them.
    ///
    /// # Errors
    /// The rectangle or band outside the image, a failing read, or a tile that does not inflate to its size.
    pub(crate) fn read_rect(
        &self,
        band: usize,
        (col, row, width, height): (usize, usize, usize, usize),
        nodata: Option<f64>,
        out: &mut [f32],
        reads: Reads<'_>,
    ) -> Result<()> {
        let location = self.object.location();
        if !check_read(
            &location,
            band,
            (col, row, width, height),
            out.len(),
            self.planes,
            (self.width, self.height),
        )? {
            return Ok(());
        }
        let nodata = nodata.map(|v| v as f32);
        let (tw, th) = (self.tile_width, self.tile_height);
        let row_bytes = tw * self.sample.size();
        let key = identity_key(self.object.identity());
        let plane = (band - 1) * self.tiles_across() * self.tiles_down();
        let touched = self.touched((col, row, width, height));
        // the stored bytes of every touched tile the cache does not hold: fetched ahead, or now, at once
        let mut fetched: HashMap<usize, Bytes> = HashMap::new();
        let mut wanted = self.wanted(band, (col, row, width, height), key, reads);
        if self.object.is_remote() {
            PREFETCHED.with_borrow_mut(|m| {
                wanted.retain(|&i| match m.remove(&(key, self.offsets[i])) {
                    Some(b) => {
                        fetched.insert(i, b);
                        false
                    }
                    None => true,
                });
            });
        }
        fetched.extend(wanted.iter().copied().zip(self.fetch(&wanted)?));
        let stored = |index: usize| -> Result<Bytes> {
            match fetched.get(&index) {
                Some(b) => Ok(b.clone()),
                // pushed out of the cache since: fetched alone
                None => Ok(self.fetch(&[index])?.remove(0)),
            }
        };
        with_scratch(|scratch| {
            for &(tx, ty) in &touched {
                let index = plane + ty * self.tiles_across() + tx;
                let cached;
                let decoded: Option<&[u8]> = match reads.cache {
                    Some(cache) if self.is_stored(index) => {
                        cached = cache.get(key, self.offsets[index], reads.stats, || {
                            let (inflater, decoded) = (&mut scratch.inflater, &mut scratch.decoded);
                            self.decode_tile(index, &stored(index)?, inflater, decoded, reads.stats)?;
                            Ok(Decoded {
                                bytes: std::mem::take(&mut scratch.decoded),
                                kind: 0,
                            })
                        })?;
                        Some(&cached.bytes)
                    }
                    _ if self.is_stored(index) => {
                        let (inflater, decoded) = (&mut scratch.inflater, &mut scratch.decoded);
                        self.decode_tile(index, &stored(index)?, inflater, decoded, reads.stats)?;
                        Some(&scratch.decoded[..])
                    }
                    _ => None,
                };
                // the part of the rectangle inside this tile, in tile coordinates
                let (c0, c1) = (col.max(tx * tw) - tx * tw, (col + width).min((tx + 1) * tw) - tx * tw);
                let (r0, r1) = (row.max(ty * th) - ty * th, (row + height).min((ty + 1) * th) - ty * th);
                for r in r0..r1 {
                    let start = (ty * th + r - row) * width + tx * tw + c0 - col;
                    let dst = &mut out[start..start + (c1 - c0)];
                    if let Some(decoded) = decoded {
                        let bytes = &decoded[r * row_bytes..(r + 1) * row_bytes];
                        let size = self.sample.size();
                        row_to_f32(self.sample, &bytes[c0 * size..c1 * size], dst, nodata);
                    } else {
                        dst.fill(if Some(self.missing) == nodata {
                            f32::NAN
                        } else {
                            self.missing
                        });
                    }
                }
            }
            Ok(())
        })
    }

    /// Decodes the stored tile that holds all of `rect` `(col, row, width, height)` of 1-based `band` into `buf`
    /// and gives where the rectangle's samples are in it: the samples are converted later, a few rows at a time.
    /// `None` when the rectangle is empty, spans several tiles, lies in a tile that is not stored or the decoded
    /// tile would take more than `max_bytes` (the caller then reads with [`TiledTiff::read_rect`]). Does not use
    /// the run's block cache.
    ///
    /// # Errors
    /// A request outside the file, a failing read or a tile that does not decode.
    pub(crate) fn decode_within_tile(
        &self,
        band: usize,
        (col, row, width, height): (usize, usize, usize, usize),
        max_bytes: usize,
        buf: &mut Vec<u8>,
        reads: Reads<'_>,
    ) -> Result<Option<BlockRect>> {
        let location = self.object.location();
        let rect = (col, row, width, height);
        if !check_read(
            &location,
            band,
            rect,
            width * height,
            self.planes,
            (self.width, self.height),
        )? {
            return Ok(None);
        }
        let (tw, th) = (self.tile_width, self.tile_height);
        let (tx, ty) = (col / tw, row / th);
        if (col + width - 1) / tw != tx || (row + height - 1) / th != ty || self.tile_bytes() > max_bytes {
            return Ok(None);
        }
        let index = (band - 1) * self.tiles_across() * self.tiles_down() + ty * self.tiles_across() + tx;
        if !self.is_stored(index) {
            return Ok(None);
        }
        let key = identity_key(self.object.identity());
        let ahead = PREFETCHED.with_borrow_mut(|m| m.remove(&(key, self.offsets[index])));
        let raw = match ahead {
            Some(b) => b,
            None => self.fetch(&[index])?.remove(0),
        };
        with_scratch(|scratch| self.decode_tile(index, &raw, &mut scratch.inflater, buf, reads.stats))?;
        let size = self.sample.size();
        Ok(Some(BlockRect {
            sample: self.sample,
            stride: tw * size,
            start: ((row - ty * th) * tw + (col - tx * tw)) * size,
            width,
        }))
    }

    /// The tiles (column, row) a rectangle touches.
    fn touched(&self, (col, row, width, height): (usize, usize, usize, usize)) -> Vec<(usize, usize)> {
        let (tw, th) = (self.tile_width, self.tile_height);
        (row / th..=(row + height - 1) / th)
            .flat_map(|ty| (col / tw..=(col + width - 1) / tw).map(move |tx| (tx, ty)))
            .collect()
    }

    /// The indices of the stored tiles of `band` a rectangle touches that the run's block cache does not hold
    /// (`key`: the object's cache key).
    fn wanted(&self, band: usize, rect: (usize, usize, usize, usize), key: u64, reads: Reads<'_>) -> Vec<usize> {
        let plane = (band - 1) * self.tiles_across() * self.tiles_down();
        self.touched(rect)
            .into_iter()
            .map(|(tx, ty)| plane + ty * self.tiles_across() + tx)
            .filter(|&i| self.is_stored(i) && !reads.cache.is_some_and(|c| c.contains(key, self.offsets[i])))
            .collect()
    }

    /// True when tile `index` is stored (sparse files leave tiles out).
    fn is_stored(&self, index: usize) -> bool {
        self.offsets[index] != 0 && self.byte_counts[index] != 0
    }

    /// Bytes of one decoded tile.
    fn tile_bytes(&self) -> usize {
        self.tile_width * self.tile_height * self.sample.size()
    }

    /// The byte ranges of the (stored) tiles `indices`, each checked against the size of a decoded tile.
    fn ranges(&self, indices: &[usize]) -> Result<Vec<std::ops::Range<u64>>> {
        indices
            .iter()
            .map(|&i| {
                check_stored(&self.object.location(), self.byte_counts[i], self.tile_bytes())?;
                Ok(self.offsets[i]..self.offsets[i].saturating_add(self.byte_counts[i]))
            })
            .collect()
    }

    /// The stored bytes of the (stored) tiles `indices`, in one read of the object.
    fn fetch(&self, indices: &[usize]) -> Result<Vec<Bytes>> {
        self.object.read_ranges(&self.ranges(indices)?)
    }

    /// Decodes the stored bytes `raw` of tile `index` into `decoded` as little-endian samples without predictor.
    fn decode_tile(
        &self,
        index: usize,
        raw: &[u8],
        inflater: &mut libdeflater::Decompressor,
        decoded: &mut Vec<u8>,
        stats: &RunStats,
    ) -> Result<()> {
        let size = self.tile_bytes();
        stats.block_decoded(raw.len() as u64);
        if self.deflate {
            inflate(inflater, raw, decoded, size)
                .map_err(|e| Error::internal(format!("tile {index} of {} {e}", self.object.location())))?;
        } else {
            // an uncompressed tile may be stored shorter than a full tile at the image's edge
            let n = raw.len().min(size);
            decoded.resize(size, 0);
            decoded[..n].copy_from_slice(&raw[..n]);
            decoded[n..].fill(0);
        }
        if self.big_endian {
            swap_bytes(self.sample, decoded);
        }
        if self.predictor {
            self.undo_predictor(decoded);
        }
        Ok(())
    }

    /// Undoes horizontal differencing: each sample becomes the running (wrapping) sum of its row.
    fn undo_predictor(&self, decoded: &mut [u8]) {
        let row_bytes = self.tile_width * self.sample.size();
        for row in decoded.chunks_exact_mut(row_bytes) {
            match self.sample {
                SampleType::U8 => {
                    let mut acc = 0u8;
                    for b in row.iter_mut() {
                        acc = acc.wrapping_add(*b);
                        *b = acc;
                    }
                }
                // Int16 differences wrap the same way as UInt16 ones
                SampleType::U16 | SampleType::I16 => {
                    let mut acc = 0u16;
                    for b in row.chunks_exact_mut(2) {
                        acc = acc.wrapping_add(u16::from_le_bytes([b[0], b[1]]));
                        b.copy_from_slice(&acc.to_le_bytes());
                    }
                }
                SampleType::F32 | SampleType::F64 => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use gdal::raster::{Buffer, GdalType, RasterCreationOptions};
    use gdal::{Dataset, DriverManager};

    use super::*;
    use crate::io::codec::same_as_gdal;
    use crate::{Asset, Crs, Grid};

    const W: usize = 300;
    const H: usize = 200;

    /// Pseudo-random values with runs (so DEFLATE and the predictor have something to do) and some nodata.
    fn value(b: usize, x: usize, y: usize) -> f64 {
        let h = (x * 7919 + y * 104_729 + b * 1299) % 1000;
        if h < 30 {
            0.0
        } else {
            (x / 3 + 2 * y + 11 * b) as f64 + (h % 17) as f64
        }
    }

    /// Writes a `bands`-band GeoTIFF of type `T` with the creation `options`, through GDAL; `cog` converts it.
    fn write<T: GdalType + Copy>(
        dir: &Path,
        name: &str,
        bands: usize,
        options: &[&str],
        cog: bool,
        cast: impl Fn(f64) -> T,
    ) -> String {
        let plain = dir.join(format!("{name}.plain.tif"));
        let opts = RasterCreationOptions::from_iter(options.iter().map(|s| s.to_string()));
        let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
        let mut ds = driver
            .create_with_band_type_with_options::<T, _>(&plain, W, H, bands, &opts)
            .unwrap();
        ds.set_geo_transform(&[500_000.0, 10.0, 0.0, 5_000_000.0, 0.0, -10.0])
            .unwrap();
        for b in 0..bands {
            let data: Vec<T> = (0..W * H).map(|i| cast(value(b, i % W, i / W))).collect();
            let mut band = ds.rasterband(b + 1).unwrap();
            band.write((0, 0), (W, H), &mut Buffer::new((W, H), data)).unwrap();
        }
        drop(ds);
        if !cog {
            return plain.to_string_lossy().to_string();
        }
        let out = dir.join(format!("{name}.tif"));
        let cog_driver = DriverManager::get_driver_by_name("COG").unwrap();
        let copts = RasterCreationOptions::from_iter(["COMPRESS=DEFLATE", "BLOCKSIZE=128", "PREDICTOR=YES"]);
        Dataset::open(&plain)
            .unwrap()
            .create_copy(&cog_driver, &out, &copts)
            .unwrap();
        out.to_string_lossy().to_string()
    }

    fn asset(path: &str, band: usize, nodata: Option<f64>) -> Asset {
        Asset {
            path: path.into(),
            band,
            grid: Grid {
                crs: Crs::new(String::new(), None),
                transform: [500_000.0, 10.0, 0.0, 5_000_000.0, 0.0, -10.0],
                width: W,
                height: H,
            },
            nodata,
            synthetic: None,
        }
    }

    /// Reads several rectangles (inside one tile, across tiles, at the right and bottom edges, the whole image)
    /// directly and through GDAL and requires the same values.
    fn reads_like_gdal(path: &str, bands: usize, nodata: Option<f64>) {
        let tiff = open(path).unwrap_or_else(|| panic!("{path} should be read directly"));
        for band in 1..=bands {
            let a = asset(path, band, nodata);
            for rect in [
                (0, 0, W, H),
                (5, 7, 20, 11),
                (60, 60, 100, 90),
                (W - 37, H - 21, 37, 21),
                (63, 0, 2, H),
            ] {
                let stats = RunStats::default();
                let reads = Reads::uncached(&stats);
                let direct = same_as_gdal(&a, rect, |out| tiff.read_rect(band, rect, nodata, out, reads));
                // every stored tile the rectangle touches, once
                let (tw, th) = (tiff.tile_width, tiff.tile_height);
                let plane = (band - 1) * tiff.tiles_across() * tiff.tiles_down();
                let touched = (rect.1 / th..(rect.1 + rect.3).div_ceil(th))
                    .flat_map(|ty| (rect.0 / tw..(rect.0 + rect.2).div_ceil(tw)).map(move |tx| (tx, ty)))
                    .filter(|&(tx, ty)| tiff.offsets[plane + ty * tiff.tiles_across() + tx] != 0)
                    .count();
                assert_eq!(
                    stats.blocks_decoded(),
                    touched as u64,
                    "{path}: tiles decoded for {rect:?}"
                );
                assert!(
                    direct.iter().any(|v| v.is_nan()) == nodata.is_some(),
                    "{path}: nodata handling"
                );
                // a rectangle inside one stored tile also decodes as samples, converted rows later: the same values
                let mut buf = Vec::new();
                let decoded = tiff
                    .decode_within_tile(band, rect, usize::MAX, &mut buf, reads)
                    .unwrap();
                let inside = rect.0 / tw == (rect.0 + rect.2 - 1) / tw && rect.1 / th == (rect.1 + rect.3 - 1) / th;
                assert_eq!(
                    decoded.is_some(),
                    inside && touched == 1,
                    "{path}: {rect:?} decoded alone"
                );
                let over = tiff.decode_within_tile(band, rect, tiff.tile_bytes() - 1, &mut Vec::new(), reads);
                assert!(
                    over.unwrap().is_none(),
                    "{path}: a tile larger than allowed is left to read_rect"
                );
                if let Some(d) = decoded {
                    let mut values = vec![0f32; rect.2 * rect.3];
                    let (top, bottom) = values.split_at_mut(rect.2 * (rect.3 / 2));
                    d.rows_to_f32(&buf, 0..rect.3 / 2, nodata.map(|v| v as f32), top);
                    d.rows_to_f32(&buf, rect.3 / 2..rect.3, nodata.map(|v| v as f32), bottom);
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&values), bits(&direct), "{path}: {rect:?} converted by rows");
                }
            }
        }
    }

    #[test]
    fn direct_reads_equal_gdal_reads() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let tiled = ["TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=32"];
        let with = |extra: &[&'static str]| [&tiled[..], extra].concat();
        let u16s = |v: f64| v as u16;
        let cases = [
            (
                write(
                    d,
                    "u16_deflate_pred",
                    1,
                    &with(&["COMPRESS=DEFLATE", "PREDICTOR=2"]),
                    false,
                    u16s,
                ),
                1,
            ),
            (write(d, "u16_none_big", 1, &with(&["ENDIANNESS=BIG"]), false, u16s), 1),
            (
                write(
                    d,
                    "u16_pred_big",
                    1,
                    &with(&["COMPRESS=DEFLATE", "PREDICTOR=2", "ENDIANNESS=BIG"]),
                    false,
                    u16s,
                ),
                1,
            ),
            (
                write(d, "i16", 1, &with(&["COMPRESS=DEFLATE", "PREDICTOR=2"]), false, |v| {
                    if v == 0.0 { 0 } else { (v - 300.0) as i16 }
                }),
                1,
            ),
            (
                write(d, "u8", 1, &with(&["COMPRESS=DEFLATE", "PREDICTOR=2"]), false, |v| {
                    v as u8
                }),
                1,
            ),
            (
                write(
                    d,
                    "bands",
                    3,
                    &with(&["COMPRESS=DEFLATE", "INTERLEAVE=BAND"]),
                    false,
                    u16s,
                ),
                3,
            ),
            (write(d, "cog", 1, &["COMPRESS=DEFLATE"], true, u16s), 1),
        ];
        for (path, bands) in &cases {
            reads_like_gdal(path, *bands, Some(0.0));
            reads_like_gdal(path, *bands, None);
        }
        let f32s = write(d, "f32", 1, &with(&["COMPRESS=DEFLATE"]), false, |v| {
            if v == 0.0 { f32::NAN } else { v as f32 / 7.0 }
        });
        reads_like_gdal(&f32s, 1, Some(f64::NAN));
    }

    #[test]
    fn the_real_sentinel2_sample_is_read_directly() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/s2/S2L2A_T32TPS_20220612_B04.tif");
        let path = path.to_string_lossy().to_string();
        let info = crate::read_info(&path).unwrap();
        let tiff = open(&path).expect("a DEFLATE COG is read directly");
        let (w, h) = tiff.size();
        let a = Asset {
            path: path.clone(),
            band: 1,
            grid: info.grid,
            nodata: Some(0.0),
            synthetic: None,
        };
        for rect in [(0, 0, w, h), (250, 250, 20, 20), (w - 3, h - 5, 3, 5)] {
            same_as_gdal(&a, rect, |out| {
                tiff.read_rect(1, rect, Some(0.0), out, Reads::uncached(&RunStats::default()))
            });
        }
        // its keys name the CRS GDAL makes of them
        let ds = Dataset::open(Path::new(&path)).unwrap();
        let gdal_crs = crate::io::gdal::crs_of(&ds).unwrap().unwrap();
        assert_eq!(tiff.geokeys().and_then(GeoKeys::epsg), gdal_crs.epsg());
        assert_eq!(gdal_crs.epsg(), Some(32632));
    }

    /// GeoTIFF keys `(id, location, count, value)` as a key directory.
    fn keys(entries: &[[u16; 4]]) -> GeoKeys {
        let mut directory = vec![1, 1, 0, entries.len() as u16];
        directory.extend(entries.iter().flatten());
        GeoKeys {
            directory,
            doubles: Vec::new(),
            ascii: "WGS 84 / UTM zone 32N|".into(),
        }
    }

    #[test]
    fn only_keys_that_just_name_an_epsg_code_give_it() {
        let projected = [
            [1024, 0, 1, 1],
            [1025, 0, 1, 1],
            [1026, 34737, 22, 0],
            [3072, 0, 1, 32632],
        ];
        assert_eq!(keys(&projected).epsg(), Some(32632));
        assert_eq!(
            keys(&[projected[0], projected[3], [3076, 0, 1, 9001]]).epsg(),
            Some(32632)
        );
        assert_eq!(
            keys(&[[1024, 0, 1, 2], [2048, 0, 1, 4326], [2054, 0, 1, 9102]]).epsg(),
            Some(4326)
        );
        for other in [
            // user-defined CRS, a projection of its own, feet, a vertical CRS, the code stored elsewhere
            vec![[1024, 0, 1, 1], [3072, 0, 1, 32767]],
            vec![projected[0], projected[3], [3074, 0, 1, 16032]],
            vec![projected[0], projected[3], [3076, 0, 1, 9002]],
            vec![projected[0], projected[3], [4096, 0, 1, 5773]],
            vec![projected[0], [3072, 34736, 1, 0]],
            // the model type and the kind of code disagree; no model type
            vec![[1024, 0, 1, 2], projected[3]],
            vec![projected[3]],
        ] {
            assert_eq!(keys(&other).epsg(), None, "{other:?}");
        }
        let mut truncated = keys(&projected);
        truncated.directory.pop();
        assert_eq!(truncated.epsg(), None);
    }

    #[test]
    fn missing_tiles_read_as_nodata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sparse.tif");
        let opts = RasterCreationOptions::from_iter(["TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64", "SPARSE_OK=TRUE"]);
        let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
        let ds = driver
            .create_with_band_type_with_options::<u16, _>(&path, W, H, 1, &opts)
            .unwrap();
        let mut band = ds.rasterband(1).unwrap();
        band.set_no_data_value(Some(9.0)).unwrap();
        band.write((64, 64), (64, 64), &mut Buffer::new((64, 64), vec![5u16; 64 * 64]))
            .unwrap();
        drop(ds);
        let path = path.to_string_lossy().to_string();
        reads_like_gdal(&path, 1, Some(9.0));
        let tiff = open(&path).unwrap();
        let mut out = vec![0f32; W * H];
        let stats = RunStats::default();
        tiff.read_rect(1, (0, 0, W, H), Some(9.0), &mut out, Reads::uncached(&stats))
            .unwrap();
        assert_eq!(stats.blocks_decoded(), 1, "only the stored tile is read");
        assert!(out[..64].iter().all(|v| v.is_nan()), "a missing tile is nodata");
        assert_eq!(out[64 * W + 64], 5.0);
        tiff.read_rect(1, (0, 0, W, H), None, &mut out, Reads::uncached(&stats))
            .unwrap();
        assert_eq!(out[0], 9.0, "a missing tile holds the file's nodata value");
    }

    #[test]
    fn a_replaced_file_is_read_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let opts = ["TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=32", "COMPRESS=DEFLATE"];
        let first = write(d, "v1", 1, &opts, false, |v| v as u16);
        let second = write(d, "v2", 1, &opts, false, |v| (v as u16).wrapping_mul(3));
        let path = d.join("file.tif");
        let path_str = path.to_string_lossy().to_string();
        let read = || {
            let tiff = open(&path_str).unwrap();
            let rect = (10, 10, 100, 50);
            same_as_gdal(&asset(&path_str, 1, None), rect, |out| {
                tiff.read_rect(1, rect, None, out, Reads::uncached(&RunStats::default()))
            })
        };
        std::fs::copy(&first, &path).unwrap();
        let before = read();
        // a new file under the same name (another inode, size and modification time)
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::remove_file(&path).unwrap();
        std::fs::copy(&second, &path).unwrap();
        let after = read();
        assert_ne!(
            before, after,
            "the second file's values are read, directly and through GDAL"
        );
    }

    #[test]
    fn other_layouts_are_left_to_gdal() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let u16s = |v: f64| v as u16;
        for (name, bands, options) in [
            ("lzw", 1, vec!["TILED=YES", "COMPRESS=LZW"]),
            ("striped", 1, vec![]),
            ("pixel_interleaved", 2, vec!["TILED=YES", "INTERLEAVE=PIXEL"]),
        ] {
            let path = write(d, name, bands, &options, false, u16s);
            assert!(open(&path).is_none(), "{name} is not read directly");
        }
        assert!(open(&d.join("missing.tif").to_string_lossy()).is_none());
        assert!(open("/vsicurl/http://127.0.0.1:9/x.tif").is_none());
    }
}
