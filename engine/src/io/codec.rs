//! What the direct readers ([`super::tiled_tiff`], [`super::netcdf_chunks`]) share: the sample types they decode,
//! per-thread scratch buffers with a libdeflate inflater, and the conversion of decoded rows to f32.

use std::cell::RefCell;

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

/// Per-thread buffers: compressed bytes, decoded bytes, a spare buffer for reordering, and the inflater.
pub(crate) struct Scratch {
    /// Stored (compressed) bytes of a tile or chunk.
    pub(crate) raw: Vec<u8>,
    /// Its decoded bytes.
    pub(crate) decoded: Vec<u8>,
    /// Room for a reordering step (unshuffling).
    pub(crate) spare: Vec<u8>,
    /// The DEFLATE decoder.
    pub(crate) inflater: libdeflater::Decompressor,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch {
        raw: Vec::new(),
        decoded: Vec::new(),
        spare: Vec::new(),
        inflater: libdeflater::Decompressor::new(),
    });
}

/// Runs `f` with this thread's scratch buffers.
pub(crate) fn with_scratch<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
    SCRATCH.with_borrow_mut(f)
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
