//! What the direct readers ([`super::tiled_tiff`], [`super::netcdf_chunks`]) share: the sample types they decode,
//! per-thread scratch buffers with a libdeflate inflater, and the conversion of decoded rows to f32.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Headers parsed once per key (a name that includes the identity of the file or object, so a replaced file is parsed
/// afresh); `None` remembers a file that is left to GDAL. Holds at most [`Parsed::CAPACITY`] headers, the oldest
/// leaving first.
pub(crate) struct Parsed<T>(OnceLock<Mutex<ParsedMap<T>>>);

/// The headers of a [`Parsed`] and the order they came in.
pub(crate) struct ParsedMap<T> {
    map: HashMap<String, Option<Arc<T>>>,
    order: std::collections::VecDeque<String>,
}

impl<T> Parsed<T> {
    /// The most headers kept.
    pub(crate) const CAPACITY: usize = 1024;

    /// An empty registry (for a `static`).
    pub(crate) const fn new() -> Parsed<T> {
        Parsed(OnceLock::new())
    }

    fn map(&self) -> std::sync::MutexGuard<'_, ParsedMap<T>> {
        self.0
            .get_or_init(|| {
                Mutex::new(ParsedMap {
                    map: HashMap::new(),
                    order: Default::default(),
                })
            })
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The header of `key`, parsed by `parse` the first time it is asked for.
    pub(crate) fn get(&self, key: &str, parse: impl FnOnce() -> Option<T>) -> Option<Arc<T>> {
        if let Some(known) = self.map().map.get(key) {
            return known.clone();
        }
        let parsed = parse().map(Arc::new);
        let mut m = self.map();
        if m.map.insert(key.to_string(), parsed.clone()).is_none() {
            m.order.push_back(key.to_string());
        }
        while m.order.len() > Self::CAPACITY {
            if let Some(old) = m.order.pop_front() {
                m.map.remove(&old);
            }
        }
        parsed
    }

    /// Forgets every parsed header.
    pub(crate) fn clear(&self) {
        let mut m = self.map();
        m.map.clear();
        m.order.clear();
    }
}

/// The identity of a local file for header caches: its size and modification time (empty when it cannot be read).
pub(crate) fn file_version(path: &std::path::Path) -> String {
    std::fs::metadata(path)
        .map(|m| {
            let modified = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}|{modified}", m.len())
        })
        .unwrap_or_default()
}

/// The sample types read directly (anything else is read through GDAL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SampleType {
    U8,
    U16,
    I16,
    F32,
    F64,
}

impl SampleType {
    /// Bytes per sample.
    pub(crate) fn size(self) -> usize {
        match self {
            SampleType::U8 => 1,
            SampleType::U16 | SampleType::I16 => 2,
            SampleType::F32 => 4,
            SampleType::F64 => 8,
        }
    }
}

/// Per-thread buffers: compressed bytes, decoded bytes, and the inflater.
pub(crate) struct Scratch {
    /// Its decoded bytes.
    pub(crate) decoded: Vec<u8>,
    /// The DEFLATE decoder.
    pub(crate) inflater: libdeflater::Decompressor,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch {
        decoded: Vec::new(),
        inflater: libdeflater::Decompressor::new(),
    });
}

/// Runs `f` with this thread's scratch buffers.
pub(crate) fn with_scratch<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
    SCRATCH.with_borrow_mut(f)
}

/// Largest tile or chunk read directly, in decoded bytes (larger ones are left to GDAL).
pub(crate) const MAX_BLOCK_BYTES: usize = 64 << 20;

/// Refuses a block of `count` stored bytes far beyond what a DEFLATE stream of `decoded` bytes can take (a corrupt
/// index), before anything is allocated for it.
///
/// # Errors
/// Such a count.
pub(crate) fn check_stored(name: &dyn std::fmt::Display, count: u64, decoded: usize) -> crate::Result<()> {
    if count > (decoded + decoded / 8 + 4096) as u64 {
        return Err(crate::Error::internal(format!(
            "{name} stores a block of {count} bytes for {decoded} decoded bytes: a corrupt index"
        )));
    }
    Ok(())
}

/// Inflates zlib-wrapped `raw` into `decoded`, which must come out exactly `size` bytes long.
pub(crate) fn inflate(
    inflater: &mut libdeflater::Decompressor,
    raw: &[u8],
    decoded: &mut Vec<u8>,
    size: usize,
) -> Result<(), String> {
    decoded.resize(size, 0);
    let n = inflater
        .zlib_decompress(raw, decoded)
        .map_err(|e| format!("does not inflate: {e}"))?;
    if n == size {
        Ok(())
    } else {
        Err(format!("inflates to {n} bytes instead of {size}"))
    }
}

/// Reverses the bytes of every sample (big-endian data to little-endian).
pub(crate) fn swap_bytes(sample: SampleType, bytes: &mut [u8]) {
    if sample.size() > 1 {
        for s in bytes.chunks_exact_mut(sample.size()) {
            s.reverse();
        }
    }
}

/// Converts little-endian samples `bytes` (exactly `dst.len()` of them) to f32 in `dst`, `nodata` becoming NaN.
pub(crate) fn row_to_f32(sample: SampleType, bytes: &[u8], dst: &mut [f32], nodata: Option<f32>) {
    crate::simd::run(ToF32 {
        sample,
        bytes,
        dst,
        nodata,
    });
}

/// The loop of [`row_to_f32`].
struct ToF32<'a> {
    sample: SampleType,
    bytes: &'a [u8],
    dst: &'a mut [f32],
    nodata: Option<f32>,
}

impl crate::simd::Kernel for ToF32<'_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        let ToF32 {
            sample,
            bytes,
            dst,
            nodata,
        } = self;
        convert(sample, bytes, dst, nodata);
    }
}

#[inline(always)]
fn convert(sample: SampleType, bytes: &[u8], dst: &mut [f32], nodata: Option<f32>) {
    let nd = nodata.unwrap_or(f32::NAN);
    // a branch-free select, so the loops vectorise
    let put = |d: &mut f32, v: f32| *d = if v == nd { f32::NAN } else { v };
    match sample {
        SampleType::U8 => dst.iter_mut().zip(bytes).for_each(|(d, &b)| put(d, f32::from(b))),
        SampleType::U16 => (dst.iter_mut().zip(bytes.chunks_exact(2)))
            .for_each(|(d, b)| put(d, f32::from(u16::from_le_bytes([b[0], b[1]])))),
        SampleType::I16 => (dst.iter_mut().zip(bytes.chunks_exact(2)))
            .for_each(|(d, b)| put(d, f32::from(i16::from_le_bytes([b[0], b[1]])))),
        SampleType::F32 => (dst.iter_mut().zip(bytes.chunks_exact(4)))
            .for_each(|(d, b)| put(d, f32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
        SampleType::F64 => dst.iter_mut().zip(bytes.chunks_exact(8)).for_each(|(d, b)| {
            let v = f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
            put(d, v as f32);
        }),
    }
}

/// Where the samples of a rectangle lie in a decoded block: little-endian samples of type `sample`, `width` per
/// row, the rows `stride` bytes apart from byte `start` on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlockRect {
    pub(crate) sample: SampleType,
    pub(crate) stride: usize,
    pub(crate) start: usize,
    pub(crate) width: usize,
}

impl BlockRect {
    /// Converts rows `rows` of the rectangle in `block` to f32 in `dst` (`width` values per row, row after row),
    /// `nodata` becoming NaN.
    pub(crate) fn rows_to_f32(&self, block: &[u8], rows: std::ops::Range<usize>, nodata: Option<f32>, dst: &mut [f32]) {
        let row_bytes = self.width * self.sample.size();
        for (r, dst) in rows.zip(dst.chunks_exact_mut(self.width)) {
            let from = self.start + r * self.stride;
            row_to_f32(self.sample, &block[from..from + row_bytes], dst, nodata);
        }
    }
}

/// Converts `dst.len()` samples from element `at` of a shuffled block (the first bytes of all its `elements`
/// samples, then all second bytes, …, in the stored byte order) to f32 in `dst`, `nodata` becoming NaN: unshuffling
/// and converting in one pass over just the samples needed.
pub(crate) fn shuffled_to_f32(
    sample: SampleType,
    block: &[u8],
    (elements, at): (usize, usize),
    big_endian: bool,
    dst: &mut [f32],
    nodata: Option<f32>,
) {
    let n = sample.size();
    let len = dst.len();
    // the plane holding byte `j` of the little-endian representation
    let plane = |j: usize| {
        let p = if big_endian { n - 1 - j } else { j };
        &block[p * elements + at..p * elements + at + len]
    };
    let nd = nodata.unwrap_or(f32::NAN);
    let put = |d: &mut f32, v: f32| *d = if v == nd { f32::NAN } else { v };
    match sample {
        SampleType::U8 => dst.iter_mut().zip(plane(0)).for_each(|(d, &b)| put(d, f32::from(b))),
        SampleType::U16 => (dst.iter_mut().zip(plane(0)).zip(plane(1)))
            .for_each(|((d, &l), &h)| put(d, f32::from(u16::from_le_bytes([l, h])))),
        SampleType::I16 => (dst.iter_mut().zip(plane(0)).zip(plane(1)))
            .for_each(|((d, &l), &h)| put(d, f32::from(i16::from_le_bytes([l, h])))),
        SampleType::F32 => {
            let (b0, b1, b2, b3) = (plane(0), plane(1), plane(2), plane(3));
            for (i, d) in dst.iter_mut().enumerate() {
                put(d, f32::from_le_bytes([b0[i], b1[i], b2[i], b3[i]]));
            }
        }
        SampleType::F64 => {
            let planes: Vec<&[u8]> = (0..8).map(plane).collect();
            for (i, d) in dst.iter_mut().enumerate() {
                let bytes: [u8; 8] = std::array::from_fn(|j| planes[j][i]);
                put(d, f64::from_le_bytes(bytes) as f32);
            }
        }
    }
}

/// Checks a read of 1-based `band` and `rect` `(col, row, width, height)` into `out_len` values from `name`, a file
/// of `bands` bands and `size` `(columns, rows)`; false for an empty rectangle (nothing to read).
///
/// # Errors
/// A request outside the file.
pub(crate) fn check_read(
    name: &dyn std::fmt::Display,
    band: usize,
    (col, row, width, height): (usize, usize, usize, usize),
    out_len: usize,
    bands: usize,
    (columns, rows): (usize, usize),
) -> crate::Result<bool> {
    if band == 0 || band > bands || col + width > columns || row + height > rows || out_len != width * height {
        return Err(crate::Error::internal(format!(
            "read of band {band} at {col},{row} ({width}×{height}) into {out_len} values outside {name}"
        )));
    }
    Ok(width > 0 && height > 0)
}

/// Reads `rect` of `asset` with `direct` and through GDAL, requires the same values (NaN equals NaN) and returns
/// them, for testing the direct readers.
#[cfg(test)]
pub(crate) fn same_as_gdal(
    asset: &crate::Asset,
    rect: (usize, usize, usize, usize),
    direct: impl FnOnce(&mut [f32]) -> crate::Result<()>,
) -> Vec<f32> {
    let mut ours = vec![0f32; rect.2 * rect.3];
    let mut theirs = ours.clone();
    direct(&mut ours).unwrap();
    super::gdal::read_band_rect(asset, rect, &mut theirs).unwrap();
    let differ = ours
        .iter()
        .zip(&theirs)
        .filter(|(x, y)| x.to_bits() != y.to_bits() && !(x.is_nan() && y.is_nan()))
        .count();
    assert_eq!(differ, 0, "{} band {} rect {rect:?}", asset.path, asset.band);
    ours
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_block_sizes_are_refused_before_allocating() {
        let err = check_stored(&"f.bin", u64::MAX, 1 << 20).unwrap_err();
        assert!(
            err.to_string().contains("corrupt index") && err.to_string().contains("f.bin"),
            "{err}"
        );
        assert!(check_stored(&"f.bin", 5000, 16).is_err());
        check_stored(&"f.bin", 2, 16).unwrap();
    }

    #[test]
    fn rows_convert_with_nodata_as_nan() {
        let mut dst = [0f32; 3];
        row_to_f32(SampleType::I16, &[0x18, 0xfc, 0, 0, 7, 0], &mut dst, Some(0.0));
        assert_eq!(dst[0], -1000.0);
        assert!(dst[1].is_nan());
        assert_eq!(dst[2], 7.0);
        let mut bytes = 2.5f64.to_be_bytes();
        swap_bytes(SampleType::F64, &mut bytes);
        row_to_f32(SampleType::F64, &bytes, &mut dst[..1], None);
        assert_eq!(dst[0], 2.5);
    }
}
