//! Reading one band of one asset onto a window of a target grid: a direct window read when the asset shares the
//! target's pixel lattice, nearest-neighbour warping otherwise. Nodata becomes NaN.

use super::cache::Reads;
use super::codec::BlockRect;
use super::{gdal, netcdf_chunks, synthetic, tiled_tiff, zarr};
use crate::{Asset, Error, Grid, Result, Window, transform_points};

/// Reads `asset` onto `window` of `target` into `out` (row-major, `window.cells()` values).
///
/// With `fill_only_missing`, only cells of `out` that are NaN are written: the first valid pixel wins when scenes
/// of one date are mosaicked. Cells the asset does not cover are left untouched. Blocks the direct readers decode are
/// counted in `reads`, and taken from its block cache when there is one.
///
/// # Errors
/// GDAL failing to open or read the asset, or a failing CRS transformation.
pub(crate) fn read_asset(
    asset: &Asset,
    target: &Grid,
    window: &Window,
    out: &mut [f32],
    fill_only_missing: bool,
    reads: Reads<'_>,
) -> Result<()> {
    if out.len() != window.cells() {
        return Err(Error::internal("output buffer does not match the window"));
    }
    match target.lattice_offset(&asset.grid) {
        Some(offset) => read_aligned(asset, offset, window, out, fill_only_missing, reads),
        None => read_warped(asset, target, window, out, fill_only_missing, reads),
    }
}

/// A window of one asset decoded but not yet converted to f32: where its samples are in the block decoded into the
/// caller's buffer, and the asset's nodata.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DecodedWindow {
    rect: BlockRect,
    nodata: Option<f32>,
}

impl DecodedWindow {
    /// Converts rows `rows` of the window in `block` (the buffer [`decode_window`] filled) to f32 in `dst`, nodata
    /// becoming NaN.
    pub(crate) fn rows_to_f32(&self, block: &[u8], rows: std::ops::Range<usize>, dst: &mut [f32]) {
        self.rect.rows_to_f32(block, rows, self.nodata, dst);
    }
}

/// Decodes into `buf` the one stored block of `asset` that holds all of `window` of `target`, when the asset is a
/// tiled GeoTIFF read directly on the target's lattice, the run has no block cache and the decoded block takes no
/// more memory than the window's f32 values would (what the memory budget counts with), so the caller converts the
/// samples a few rows at a time; `None` otherwise (the caller reads values with [`read_asset`]).
///
/// # Errors
/// A failing read, or a block that does not decode.
pub(crate) fn decode_window(
    asset: &Asset,
    target: &Grid,
    window: &Window,
    buf: &mut Vec<u8>,
    reads: Reads<'_>,
) -> Result<Option<DecodedWindow>> {
    if reads.cache.is_some() {
        return Ok(None);
    }
    let Some(rect) = target
        .lattice_offset(&asset.grid)
        .and_then(|offset| asset_rect(asset, offset, window))
        .filter(|r| (r.2, r.3) == (window.width, window.height))
    else {
        return Ok(None);
    };
    let Some(tiff) = direct_tiff(asset) else {
        return Ok(None);
    };
    let max_bytes = window.cells() * std::mem::size_of::<f32>();
    Ok(tiff
        .decode_within_tile(asset.band, rect, max_bytes, buf, reads)?
        .map(|rect| DecodedWindow {
            rect,
            nodata: asset.nodata.map(|v| v as f32),
        }))
}

/// True when reading `asset` onto `window` of `target` writes every cell (the asset lies on the target's lattice
/// and covers the window), so the output buffer need not be cleared first.
pub(crate) fn covers(asset: &Asset, target: &Grid, window: &Window) -> bool {
    target.lattice_offset(&asset.grid).is_some_and(|(ox, oy)| {
        let (x0, y0) = (window.x0 as i64 - ox, window.y0 as i64 - oy);
        x0 >= 0
            && y0 >= 0
            && x0 + window.width as i64 <= asset.grid.width as i64
            && y0 + window.height as i64 <= asset.grid.height as i64
    })
}

/// The block lattice of an asset read directly (a tiled GeoTIFF or a chunked netCDF variable) in its own pixel
/// coordinates: block width and height, and the column and row of a block corner (less than the block size).
/// `None` for assets computed or read through GDAL.
pub(crate) fn block_lattice(asset: &Asset) -> Option<((usize, usize), (usize, usize))> {
    if asset.synthetic.is_some() {
        return None;
    }
    if asset.path.starts_with("NETCDF:") {
        let v = netcdf_chunks::open(&asset.path, &asset.grid).filter(|v| asset.band <= v.bands())?;
        let (size, row) = v.block_lattice();
        return Some((size, (0, row)));
    }
    direct_tiff(asset).map(|t| (t.block_size(), (0, 0)))
}

/// The tiled GeoTIFF of `asset` when the direct reader covers it: its layout, the asset's size and band. `None` for
/// assets other readers take (computed ones, netCDF and Zarr dataset names).
fn direct_tiff(asset: &Asset) -> Option<std::sync::Arc<tiled_tiff::TiledTiff>> {
    if asset.synthetic.is_some() || asset.path.starts_with("ZARR:") || asset.path.starts_with("NETCDF:") {
        return None;
    }
    tiled_tiff::open(&asset.path)
        .filter(|t| t.size() == (asset.grid.width, asset.grid.height) && asset.band <= t.bands())
}

/// Fetches ahead, all at once, the stored tiles that reading `window` of `target` from `assets` will need where they
/// are remote tiled GeoTIFFs on the target's lattice, so a window's requests to many objects overlap instead of
/// following each other; the reads that follow on this thread take them (see [`forget_prefetched`]).
///
/// # Errors
/// A failing remote read (it names the object).
pub(crate) fn prefetch<'a>(
    assets: impl Iterator<Item = &'a Asset>,
    target: &Grid,
    window: &Window,
    reads: Reads<'_>,
) -> Result<()> {
    let mut ahead = Vec::new();
    for asset in assets {
        if asset.synthetic.is_some() || !super::store::is_remote(&asset.path) {
            continue;
        }
        let Some(rect) = target
            .lattice_offset(&asset.grid)
            .and_then(|offset| asset_rect(asset, offset, window))
        else {
            continue;
        };
        if let Some(t) = direct_tiff(asset) {
            ahead.push((t, asset.band, rect));
        }
    }
    tiled_tiff::prefetch(&ahead, reads)
}

pub(crate) use tiled_tiff::forget_prefetched;

/// Reads a rectangle `(col, row, width, height)` of the asset as f32 with nodata turned into NaN.
fn read_rect(asset: &Asset, rect: (usize, usize, usize, usize), reads: Reads<'_>) -> Result<Vec<f32>> {
    let mut buf = vec![0f32; rect.2 * rect.3];
    read_rect_into(asset, rect, &mut buf, reads)?;
    Ok(buf)
}

/// As [`read_rect`], into `buf` (exactly `width * height` values): synthetic assets computed, Zarr arrays with
/// zarrs, local tiled GeoTIFFs and netCDF-4 variables directly, anything else through GDAL.
fn read_rect_into(asset: &Asset, rect: (usize, usize, usize, usize), buf: &mut [f32], reads: Reads<'_>) -> Result<()> {
    if let Some(s) = &asset.synthetic {
        return synthetic::read_rect(s, &asset.grid, rect, asset.nodata, buf);
    }
    if asset.path.starts_with("ZARR:") {
        let band = zarr::open(&asset.path).ok_or_else(|| Error::internal(format!("cannot open {}", asset.path)))?;
        return band.read_rect(asset.band, rect, asset.nodata, buf);
    }
    if asset.path.starts_with("NETCDF:") {
        if let Some(v) = netcdf_chunks::open(&asset.path, &asset.grid).filter(|v| asset.band <= v.bands()) {
            return v.read_rect(asset.band, rect, asset.nodata, buf, reads);
        }
    } else if let Some(t) = direct_tiff(asset) {
        return t.read_rect(asset.band, rect, asset.nodata, buf, reads);
    }
    gdal::read_band_rect(asset, rect, buf)
}

/// The rectangle `(col, row, width, height)` of `asset` (on the target's lattice at pixel `offset`) that `win`
/// covers; `None` when they do not overlap.
fn asset_rect(asset: &Asset, (ox, oy): (i64, i64), win: &Window) -> Option<(usize, usize, usize, usize)> {
    let (aw, ah) = (asset.grid.width as i64, asset.grid.height as i64);
    let c0 = (win.x0 as i64 - ox).max(0);
    let c1 = (win.x0 as i64 + win.width as i64 - ox).min(aw);
    let r0 = (win.y0 as i64 - oy).max(0);
    let r1 = (win.y0 as i64 + win.height as i64 - oy).min(ah);
    (c1 > c0 && r1 > r0).then(|| (c0 as usize, r0 as usize, (c1 - c0) as usize, (r1 - r0) as usize))
}

fn put(dst: &mut f32, v: f32, fill_only_missing: bool) {
    if !fill_only_missing || dst.is_nan() {
        *dst = v;
    }
}

fn read_aligned(
    asset: &Asset,
    (ox, oy): (i64, i64),
    win: &Window,
    out: &mut [f32],
    fill: bool,
    reads: Reads<'_>,
) -> Result<()> {
    let Some(rect @ (c0, r0, w, h)) = asset_rect(asset, (ox, oy), win) else {
        return Ok(());
    };
    if !fill && w == win.width && h == win.height {
        // the asset covers the whole window: decode straight into the output
        return read_rect_into(asset, rect, out, reads);
    }
    let buf = read_rect(asset, rect, reads)?;
    let dx = (c0 as i64 + ox) as usize - win.x0;
    let dy = (r0 as i64 + oy) as usize - win.y0;
    for r in 0..h {
        let src = &buf[r * w..(r + 1) * w];
        let start = (dy + r) * win.width + dx;
        for (d, &v) in out[start..start + w].iter_mut().zip(src) {
            put(d, v, fill);
        }
    }
    Ok(())
}

fn read_warped(
    asset: &Asset,
    target: &Grid,
    win: &Window,
    out: &mut [f32],
    fill: bool,
    reads: Reads<'_>,
) -> Result<()> {
    let (mut xs, mut ys) = target.centres(win);
    transform_points(&target.crs, &asset.grid.crs, &mut xs, &mut ys)?;
    let [ax0, adx, _, ay0, _, ady] = asset.grid.transform;
    let (aw, ah) = (asset.grid.width as f64, asset.grid.height as f64);
    // source pixel index of every target cell (or None)
    let idx: Vec<Option<(usize, usize)>> = xs
        .iter()
        .zip(&ys)
        .map(|(&x, &y)| {
            let c = ((x - ax0) / adx).floor();
            let r = ((y - ay0) / ady).floor();
            (c >= 0.0 && c < aw && r >= 0.0 && r < ah).then_some((c as usize, r as usize))
        })
        .collect();
    let Some((c0, c1, r0, r1)) =
        idx.iter()
            .flatten()
            .fold(None, |acc: Option<(usize, usize, usize, usize)>, &(c, r)| {
                Some(match acc {
                    None => (c, c, r, r),
                    Some((a, b, d, e)) => (a.min(c), b.max(c), d.min(r), e.max(r)),
                })
            })
    else {
        return Ok(());
    };
    let (w, h) = (c1 - c0 + 1, r1 - r0 + 1);
    let buf = read_rect(asset, (c0, r0, w, h), reads)?;
    for (d, i) in out.iter_mut().zip(&idx) {
        if let Some((c, r)) = i {
            put(d, buf[(r - r0) * w + (c - c0)], fill);
        }
    }
    Ok(())
}
