//! Tiled parallel execution: cut the output grid into tiles, evaluate each tile through the whole plan on the
//! engine's rayon pool, and stream finished tiles to a writer thread through a bounded channel, so at most
//! `2 × threads + 1` tiles are alive at once whatever the size of the input.
//!
//! When the files read share one block lattice on the output grid, tiles follow their blocks, so each block is
//! decoded once ([`tiling`]); the writer thread then re-cuts them into the squares from the grid's origin that the
//! sinks' own blocks and chunks follow ([`retile`]), holding about a row of those while they fill. Other tilings
//! read through a cache of decoded blocks that takes half of what the tiles leave of the memory budget, so blocks
//! that several tiles need are decoded once while they stay in it.

mod retile;
mod stats;
#[cfg(test)]
mod tests;
mod tiling;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, mpsc};

use ndarray::ArrayD;
use rayon::prelude::*;

pub use self::stats::RunStats;
use crate::io::{BlockCache, Reads};
use crate::plan::eval::EvalCtx;
use crate::{Cube, Error, Result, TileSink, Window};

/// Values of one tile (or a whole small cube): shape `[non-spatial lengths…, rows, cols]`, row-major, NaN = nodata.
#[derive(Clone, Debug, PartialEq)]
pub struct Block(pub(crate) ArrayD<f32>);

impl Block {
    /// A block of `shape` holding `values` in row-major order (NaN = nodata), e.g. to test result writers.
    ///
    /// # Errors
    /// [`Error::Internal`] when the number of values is not the product of `shape`.
    pub fn try_new(shape: Vec<usize>, values: Vec<f32>) -> Result<Block> {
        ArrayD::from_shape_vec(shape, values)
            .map(Block)
            .map_err(|e| Error::internal(format!("block shape: {e}")))
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        self.0.shape()
    }

    /// The values in row-major order.
    pub fn values(&self) -> &[f32] {
        self.0.as_slice().unwrap_or(&[])
    }

    /// The underlying array.
    pub fn array(&self) -> &ArrayD<f32> {
        &self.0
    }
}

/// Reports execution progress.
pub trait Progress: Send + Sync {
    /// Called after each tile is written.
    fn tiles_done(&self, done: usize, total: usize);
}

/// How to execute.
#[derive(Clone, Default)]
pub struct ExecOptions {
    /// Bytes the tiles in flight may use (default 256 MiB).
    pub memory_budget: Option<usize>,
    /// Set to true to stop the computation ([`Error::Canceled`]).
    pub cancel: Option<Arc<AtomicBool>>,
    /// Progress receiver.
    pub progress: Option<Arc<dyn Progress>>,
    /// Counters of the run (tiles, source blocks decoded), added to while it executes.
    pub stats: Option<Arc<RunStats>>,
}

const DEFAULT_BUDGET: usize = 256 << 20;

/// Stack size of the engine's worker threads, and the size callers should give every thread that builds or
/// evaluates plans: plans nest as deeply as the process graphs they come from (bounded by the process layer's
/// depth limit), and building, evaluating and dropping them recurses once per level. Only the pages touched are
/// ever committed, so the reservation costs address space, not memory.
pub const THREAD_STACK_BYTES: usize = 64 << 20;

/// The engine's worker pool: one thread per core, each silencing HDF5's error printing at start.
fn pool() -> Result<&'static rayon::ThreadPool> {
    static POOL: OnceLock<std::result::Result<rayon::ThreadPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("engine-{i}"))
            .stack_size(THREAD_STACK_BYTES)
            .start_handler(|_| crate::io::gdal::silence_hdf5_errors())
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| Error::internal(format!("cannot start the worker pool: {e}")))
}

/// Number of worker threads.
fn threads() -> usize {
    pool().map(rayon::ThreadPool::current_num_threads).unwrap_or(1)
}

/// Computes `cube` tile by tile and writes it to `sink`; returns the files written.
///
/// # Errors
/// The first error of any tile or of the writer; [`Error::Canceled`] when canceled; [`Error::NoDataAvailable`]
/// for a cube without values (see [`crate::CubeMeta::is_empty`]).
pub fn execute(cube: &Cube, sink: Box<dyn TileSink>, opts: &ExecOptions) -> Result<Vec<PathBuf>> {
    cube.require_values()?;
    let pool = pool()?;
    let n = threads();
    let budget = opts.memory_budget.unwrap_or(DEFAULT_BUDGET);
    let tiling = tiling::tiles(cube, budget, n, true);
    let stats = opts.stats.clone().unwrap_or_default();
    stats.begin(tiling.windows.len(), tiling.aligned);
    let cache = block_cache(&tiling, budget, cube.reads_beyond_windows());
    let lanes = tiling::lanes_at_once(&tiling, budget, n);
    let g = cube.meta().grid();
    let mut retiler = tiling
        .retile
        .map(|side| retile::Retiler::new(side, (g.width, g.height)));
    let total = match tiling.retile {
        Some(side) => g.width.div_ceil(side) * g.height.div_ceil(side),
        None => tiling.windows.len(),
    };
    let tiles = tiling.windows;
    let done = AtomicUsize::new(0);
    let (tx, rx) = mpsc::sync_channel::<(Window, crate::Block)>(n);
    let cancel = opts.cancel.clone();
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<Vec<PathBuf>> {
            crate::io::gdal::silence_hdf5_errors();
            let mut sink = sink;
            for (w, b) in rx {
                let ready = match retiler.as_mut() {
                    Some(r) => r.add(w, b)?,
                    None => vec![(w, b)],
                };
                for (w, b) in ready {
                    sink.write_tile(&w, &b)?;
                    let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if let Some(p) = &opts.progress {
                        p.tiles_done(d, total);
                    }
                }
            }
            if let Some(r) = &retiler {
                r.finish()?;
            }
            sink.finish()
        });
        let ctx = EvalCtx {
            cancel: cancel.as_deref(),
            reads: Reads {
                stats: &stats,
                cache: cache.as_ref(),
            },
            lanes,
        };
        let computed = pool.install(|| in_order(&tiles, n, tx, |w| cube.eval(w, &ctx)));
        tracing::debug!("all tiles computed");
        let written = writer
            .join()
            .map_err(|_| Error::internal("the writer thread panicked"))?;
        tracing::debug!("{}", stats.summary());
        match (computed, written) {
            (Err(Error::Internal { .. }), Err(e)) => Err(e),
            (Err(e), _) => Err(e),
            (Ok(()), w) => w,
        }
    })
}

/// Smallest block cache worth having.
const MIN_CACHE: usize = 8 << 20;

/// A cache of decoded blocks for tiles that do not follow the source blocks, taking half of what the tiles leave of
/// `budget`; none for tiles that do (each block is decoded once anyway) or when too little is left.
fn block_cache(tiling: &tiling::Tiling, budget: usize, halos: bool) -> Option<BlockCache> {
    let bytes = budget.saturating_sub(tiling.reserved) / 2;
    ((!tiling.aligned || halos) && bytes >= MIN_CACHE).then(|| BlockCache::new(bytes))
}

/// Computes the tiles on `threads` workers of the current pool, each taking the next tile in order when it is
/// done, and sends them to `tx`: tiles finish about in the order listed, so the writer's re-cutting waits for
/// about one row of tiles (with the default split of a parallel iterator, every worker would walk its own part of
/// the grid). Stops at the first error.
fn in_order(
    tiles: &[Window],
    threads: usize,
    tx: mpsc::SyncSender<(Window, crate::Block)>,
    eval: impl Fn(&Window) -> Result<crate::Block> + Sync,
) -> Result<()> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    (0..threads.clamp(1, tiles.len().max(1)))
        .into_par_iter()
        .with_max_len(1)
        .try_for_each_with(tx, |tx, _| {
            while !stop.load(Ordering::Relaxed) {
                let Some(w) = tiles.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    break;
                };
                let sent = eval(w).and_then(|b| tx.send((*w, b)).map_err(|_| Error::internal("the writer stopped")));
                if sent.is_err() {
                    stop.store(true, Ordering::Relaxed);
                    return sent;
                }
            }
            Ok(())
        })
}

/// Computes the whole cube into one block (for small results such as JSON output).
///
/// # Errors
/// [`Error::Unsupported`] when the result would exceed the memory budget; any evaluation error.
pub fn execute_to_memory(cube: &Cube, opts: &ExecOptions) -> Result<crate::Block> {
    let meta = cube.meta();
    let g = meta.grid();
    if meta.is_empty() {
        return crate::Block::new(meta.block_shape(g.height, g.width), Vec::new());
    }
    let budget = opts.memory_budget.unwrap_or(DEFAULT_BUDGET);
    let bytes = meta.values_per_pixel() * g.width * g.height * 4;
    if bytes > budget / 2 {
        return Err(Error::Unsupported {
            message: format!(
                "the result ({} MiB) is too large to be held in memory; use GTiff or netCDF",
                bytes >> 20
            ),
        });
    }
    let pool = pool()?;
    let tiling = tiling::tiles(cube, budget / 2, threads(), false);
    let stats = opts.stats.clone().unwrap_or_default();
    stats.begin(tiling.windows.len(), tiling.aligned);
    let cache = block_cache(&tiling, budget / 2, cube.reads_beyond_windows());
    let ctx = EvalCtx {
        cancel: opts.cancel.as_deref(),
        reads: Reads {
            stats: &stats,
            cache: cache.as_ref(),
        },
        lanes: tiling::lanes_at_once(&tiling, budget / 2, threads()),
    };
    let blocks: Vec<(Window, crate::Block)> = pool.install(|| {
        tiling
            .windows
            .par_iter()
            .map(|w| cube.eval(w, &ctx).map(|b| (*w, b)))
            .collect::<Result<_>>()
    })?;
    tracing::debug!("{}", stats.summary());
    let mut full = ArrayD::<f32>::from_elem(cube.meta().block_shape(g.height, g.width), f32::NAN);
    let nd = full.ndim();
    for (w, b) in blocks {
        let mut view = full.view_mut();
        view.slice_axis_inplace(ndarray::Axis(nd - 2), ndarray::Slice::from(w.y0..w.y0 + w.height));
        view.slice_axis_inplace(ndarray::Axis(nd - 1), ndarray::Slice::from(w.x0..w.x0 + w.width));
        view.assign(b.array());
    }
    Ok(crate::Block(full))
}

/// Closes the pooled datasets (after files were replaced).
pub fn clear_dataset_caches() {
    crate::io::clear_caches();
}
