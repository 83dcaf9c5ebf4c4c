//! Choosing tiles: as large as the memory budget allows for the tiles in flight, and cut along the blocks of the
//! files read when they all share one block lattice on the output grid, so that every block is decoded by exactly
//! one tile.
//!
//! Without such a lattice (computed or warped sources, files on different lattices), tiles are squares of at most
//! 512 px (the usual COG block; larger tiles measured slower because the per-cell accumulators fall out of the
//! caches) from the grid's origin, never smaller than 64. With one, tiles are whole multiples of the block (about
//! that square's area, or one block when blocks are larger), with edges on block edges and partial tiles at the
//! grid's edges; when not even one block fits the budget, the squares start at a block edge.

use crate::plan::blocks::SourceBlocks;
use crate::plan::eval::LANES_AT_ONCE;
use crate::{Cube, Grid, Window};

/// The windows covering a cube's grid, and whether they follow the source blocks.
pub(super) struct Tiling {
    /// Row by row.
    pub(super) windows: Vec<Window>,
    /// Cut along the blocks of the files read: each block is decoded by one tile.
    pub(super) aligned: bool,
    /// When the windows are not the plain squares from the grid's origin: the side of those squares, which is what
    /// the sinks receive (see [`super::retile`]).
    pub(super) retile: Option<usize>,
    /// Bytes of the budget the tiles in flight (and those waiting to be re-cut) take.
    pub(super) reserved: usize,
}

/// The tiles of `cube` for `threads` workers sharing `budget` bytes; with `sink`, tiles that are not the plain
/// squares are re-cut onto them for the writer, and the tiles waiting for that count in the budget.
pub(super) fn tiles(cube: &Cube, budget: usize, threads: usize, sink: bool) -> Tiling {
    let g = cube.meta().grid();
    // `threads` tiles at their peak, plus finished tiles waiting in the channel and in the writer
    let peak = cube.peak_values_per_pixel().max(1);
    let out = cube.meta().values_per_pixel().max(1);
    let per_pixel = (threads * peak + (threads + 1) * out) * std::mem::size_of::<f32>();
    let side = [512usize, 256, 128, 64]
        .into_iter()
        .find(|s| s * s * per_pixel <= budget)
        .unwrap_or(64);
    let plain = Tiling {
        windows: cut(g, (side, side), (0, 0)),
        aligned: false,
        retile: None,
        reserved: side.min(g.width) * side.min(g.height) * per_pixel,
    };
    let SourceBlocks::One { size, phase } = cube.source_blocks() else {
        return plain;
    };
    let (windows, aligned, (tw, th)) = match block_tile(g, size, side, per_pixel, budget) {
        Some(tile) => (cut(g, tile, phase), true, tile),
        // not even one block fits: squares starting at a block edge
        None => (
            cut(g, (side, side), (phase.0 % side, phase.1 % side)),
            false,
            (side, side),
        ),
    };
    let tile = tw.min(g.width) * th.min(g.height) * per_pixel;
    if windows == plain.windows {
        return Tiling { aligned, ..plain };
    }
    // output tiles started but not complete: at most the rows of the plain squares that the computed tiles of one
    // row and the next one's first tiles overlap
    let waiting = g.width * (th.min(g.height) + 2 * side) * out * std::mem::size_of::<f32>();
    if sink && tile + waiting > budget {
        return plain;
    }
    Tiling {
        windows,
        aligned,
        retile: sink.then_some(side),
        reserved: tile + if sink { waiting } else { 0 },
    }
}

/// How many dates a streamed time reduction may read at once on `tiling`'s tiles: [`LANES_AT_ONCE`] when the extra
/// dates of `threads` workers fit in the half of `budget` that neither the tiles in flight nor the block cache take
/// (the tiles are sized for one date), else 1.
pub(super) fn lanes_at_once(tiling: &Tiling, budget: usize, threads: usize) -> usize {
    let cells = tiling.windows.iter().map(Window::cells).max().unwrap_or(0);
    let extra = threads * (LANES_AT_ONCE - 1) * cells * std::mem::size_of::<f32>();
    if extra <= budget.saturating_sub(tiling.reserved) / 2 {
        LANES_AT_ONCE
    } else {
        1
    }
}

/// Width and height of tiles made of whole `(bw, bh)` blocks: about `side²` pixels of `g` (blocks wider or taller
/// than the grid count with the grid's size), at least one block, within `budget`; `None` when one block does not
/// fit.
fn block_tile(
    g: &Grid,
    (bw, bh): (usize, usize),
    side: usize,
    per_pixel: usize,
    budget: usize,
) -> Option<(usize, usize)> {
    if bw == 0 || bh == 0 {
        return None;
    }
    let (ew, eh) = (bw.min(g.width.max(1)), bh.min(g.height.max(1)));
    let (area, block) = (side * side, ew * eh);
    let (kx, ky) = if block <= area {
        let kx = (side / ew).clamp(1, area / block);
        (kx, (area / (kx * block)).max(1))
    } else {
        (1, 1)
    };
    let (tw, th) = (kx.checked_mul(bw)?, ky.checked_mul(bh)?);
    let bytes = tw.min(g.width).checked_mul(th.min(g.height))?.checked_mul(per_pixel)?;
    (bytes <= budget).then_some((tw, th))
}

/// Tiles of `tw × th` whose edges lie at column `px` and row `py` (less than the tile size) plus multiples of the
/// tile size, clipped to the grid, row by row.
pub(super) fn cut(g: &Grid, (tw, th): (usize, usize), (px, py): (usize, usize)) -> Vec<Window> {
    let xs = spans(g.width, tw, px);
    let ys = spans(g.height, th, py);
    let mut out = Vec::with_capacity(xs.len() * ys.len());
    for &(y0, height) in &ys {
        for &(x0, width) in &xs {
            out.push(Window { x0, y0, width, height });
        }
    }
    out
}

/// `(start, length)` of the pieces of `0..n` cut at `phase + k × step`.
fn spans(n: usize, step: usize, phase: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut end = if phase == 0 { step } else { phase };
    while start < n {
        let stop = end.min(n);
        out.push((start, stop - start));
        start = stop;
        end += step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Crs;

    fn grid(width: usize, height: usize) -> Grid {
        Grid {
            crs: Crs::new(String::new(), None),
            transform: [0.0, 10.0, 0.0, 0.0, 0.0, -10.0],
            width,
            height,
        }
    }

    #[test]
    fn spans_cover_the_axis_with_edges_on_the_phase() {
        assert_eq!(spans(1000, 512, 0), [(0, 512), (512, 488)]);
        assert_eq!(spans(1000, 512, 102), [(0, 102), (102, 512), (614, 386)]);
        assert_eq!(spans(614, 512, 102), [(0, 102), (102, 512)]);
        assert_eq!(spans(50, 512, 102), [(0, 50)]);
        assert_eq!(spans(0, 512, 7), []);
    }

    #[test]
    fn tiles_are_whole_blocks_within_the_budget() {
        let g = grid(3276, 3276);
        let budget = 256 << 20;
        // 512 blocks on 512 squares: one block per tile; 256 blocks: 2 × 2
        assert_eq!(block_tile(&g, (512, 512), 512, 96, budget), Some((512, 512)));
        assert_eq!(block_tile(&g, (256, 256), 512, 96, budget), Some((512, 512)));
        assert_eq!(block_tile(&g, (128, 64), 512, 96, budget), Some((512, 512)));
        // larger blocks: one per tile, as long as it fits
        assert_eq!(block_tile(&g, (1024, 1024), 512, 96, budget), Some((1024, 1024)));
        assert_eq!(block_tile(&g, (1024, 1024), 512, 96, 64 << 20), None);
        // rows of the whole width (wider than the grid): bands of rows
        assert_eq!(block_tile(&g, (4096, 1), 512, 96, budget), Some((4096, 80)));
        assert_eq!(
            block_tile(&grid(100, 3000), (16, 4096), 512, 96, budget),
            Some((80, 4096))
        );
    }
}
