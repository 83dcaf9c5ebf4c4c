//! Choosing tiles: square tiles of at most 512 px (the usual COG block; larger tiles measured slower because the
//! per-cell accumulators fall out of the caches), aligned with 256/512 source blocks,
//! as large as the memory budget allows for the tiles in flight, never smaller than 64.

use crate::{Cube, Window};

/// The windows covering the cube's grid, row by row.
pub(super) fn tiles(cube: &Cube, budget: usize, threads: usize) -> Vec<Window> {
    let g = cube.meta().grid();
    // `threads` tiles at their peak, plus finished tiles waiting in the channel and in the writer
    let peak = cube.peak_values_per_pixel().max(1);
    let out = cube.meta().values_per_pixel().max(1);
    let per_pixel = (threads * peak + (threads + 1) * out) * std::mem::size_of::<f32>();
    let side = [512usize, 256, 128, 64]
        .into_iter()
        .find(|s| s * s * per_pixel <= budget)
        .unwrap_or(64);
    let mut out = Vec::new();
    for y0 in (0..g.height).step_by(side) {
        for x0 in (0..g.width).step_by(side) {
            out.push(Window {
                x0,
                y0,
                width: side.min(g.width - x0),
                height: side.min(g.height - y0),
            });
        }
    }
    out
}
