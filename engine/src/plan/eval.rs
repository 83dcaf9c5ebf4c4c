//! Evaluating one spatial tile through the plan. Every node returns a [`Block`] of shape
//! `[non-spatial lengths…, rows, cols]` for the same window of the shared grid.

use ndarray::{ArrayD, Axis, IxDyn};

use super::{Cube, Load, Merge, Node};
use crate::io::{covers, decode_window, forget_prefetched, prefetch, read_asset};
use crate::{Block, Error, Grid, Result, Window};

/// Per-evaluation context: cancellation, and the run's counters and block cache.
pub(crate) struct EvalCtx<'a> {
    pub(crate) cancel: Option<&'a std::sync::atomic::AtomicBool>,
    pub(crate) reads: crate::io::Reads<'a>,
    /// Dates a streamed time reduction reads before feeding its accumulator: up to [`LANES_AT_ONCE`] where the
    /// budget left beside the tiles holds the extra dates (see `exec::tiling::lanes_at_once`), else 1.
    pub(crate) lanes: usize,
}

impl EvalCtx<'_> {
    pub(crate) fn check(&self) -> Result<()> {
        match self.cancel {
            Some(c) if c.load(std::sync::atomic::Ordering::Relaxed) => Err(Error::Canceled),
            _ => Ok(()),
        }
    }
}

impl Cube {
    /// Computes the block of `window`.
    pub(crate) fn eval(&self, window: &Window, ctx: &EvalCtx<'_>) -> Result<Block> {
        let block = self.eval_node(window, ctx)?;
        // Metadata-only changes (relabel, expand) share the node: give the block this cube's shape.
        let shape = self.meta.block_shape(window.height, window.width);
        if block.shape() == shape.as_slice() {
            return Ok(block);
        }
        let Block(arr) = block;
        let data = arr.into_raw_vec_and_offset().0;
        Block::new(shape, data)
    }

    fn eval_node(&self, window: &Window, ctx: &EvalCtx<'_>) -> Result<Block> {
        ctx.check()?;
        match self.node.as_ref() {
            Node::Load(l) => eval_load(l, self.meta.grid(), window, ctx),
            Node::Select { input, axis, indices } => {
                let b = input.eval(window, ctx)?;
                Ok(Block::from_array(b.array().select(Axis(*axis), indices)))
            }
            Node::Reduce { input, axis, f } if input.streams_time(*axis, f.as_ref()) => {
                let Node::Load(l) = input.node.as_ref() else {
                    return Err(Error::internal("streamed reduce without load"));
                };
                eval_load_reduced(l, input.meta.grid(), window, f.as_ref(), ctx)
            }
            Node::Reduce { input, axis, f } => {
                let b = input.eval(window, ctx)?;
                let arr = b.array();
                let n = arr.shape()[*axis];
                let mut shape = arr.shape().to_vec();
                shape.remove(*axis);
                let len: usize = shape.iter().product();
                // lanes along the leading axis of a standard-layout block are contiguous: no copy
                let owned: Vec<ArrayD<f32>>;
                let slices: Vec<&[f32]> = match arr.as_slice() {
                    Some(flat) if *axis == 0 && len > 0 => flat.chunks(len).collect(),
                    _ => {
                        owned = (0..n)
                            .map(|j| arr.index_axis(Axis(*axis), j).as_standard_layout().into_owned())
                            .collect();
                        owned.iter().map(|l| l.as_slice().unwrap_or(&[])).collect()
                    }
                };
                let out = f.call(&slices, len)?;
                Block::new(shape, out)
            }
            Node::Apply { input, f } => {
                let b = input.eval(window, ctx)?;
                let shape = b.array().shape().to_vec();
                let out = f.call(&[b.values()], b.values().len())?;
                Block::new(shape, out)
            }
            Node::Merge(m) => eval_merge(m, &self.meta, window, ctx),
            Node::GroupReduce(g) => g.eval(self.meta.block_shape(window.height, window.width), window, ctx),
            Node::Lanes(l) => l.eval(self.meta.block_shape(window.height, window.width), window, ctx),
            Node::Mask(m) => m.eval(window, ctx),
            Node::Kernel(k) => k.eval(window, ctx),
            Node::Polygons(p) => p.eval(window, ctx),
            Node::Resample(r) => r.eval(self.meta.grid(), window, ctx),
            Node::Pieces(p) => p.eval(&self.meta, window, ctx),
            Node::Reshape { input } => input.eval(window, ctx),
            Node::Values(v) => v.eval(&self.meta, window),
        }
    }

    /// Upper bound of values held per pixel while evaluating this node (for tile sizing).
    pub(crate) fn peak_values_per_pixel(&self) -> usize {
        let own = self.meta.values_per_pixel();
        match self.node.as_ref() {
            Node::Load(_) | Node::Values(_) => own + 1,
            Node::Select { input, .. } | Node::Apply { input, .. } => input.peak_values_per_pixel() + own,
            // a streamed time reduction holds one date, the accumulators (f64 + count) and the result per band
            Node::Reduce { input, axis, f } if input.streams_time(*axis, f.as_ref()) => 4 * own + 1,
            Node::Reduce { input, .. } => input.peak_values_per_pixel() + input.meta.values_per_pixel() + own,
            Node::Merge(m) => {
                m.a.peak_values_per_pixel()
                    .max(m.a.meta.values_per_pixel() + m.b.peak_values_per_pixel())
                    + own
                    + m.b.meta.values_per_pixel()
            }
            // the input's block and its lanes, then the output
            Node::GroupReduce(g) => g.input.peak_values_per_pixel() + g.input.meta.values_per_pixel() + own,
            Node::Lanes(l) => l.input.peak_values_per_pixel() + l.input.meta.values_per_pixel() + 2 * own,
            Node::Mask(m) => {
                m.data.peak_values_per_pixel().max(own + m.mask.peak_values_per_pixel())
                    + m.mask.meta.values_per_pixel()
            }
            // the halo pieces, the padded planes and the output (a halo up to the window's size)
            Node::Kernel(k) => 2 * k.input.peak_values_per_pixel() + 4 * own,
            Node::Polygons(p) => p.input.peak_values_per_pixel() + 1,
            // the source window of an output pixel holds (output pixel size / source pixel size)² pixels
            Node::Resample(r) => {
                let (s, t) = (r.input.meta.grid().pixel_size(), self.meta.grid().pixel_size());
                let ratio = ((t.0 * t.1) / (s.0 * s.1)).abs();
                let ratio = if r.input.meta.grid().crs.same_as(&self.meta.grid().crs) {
                    ratio.max(1.0)
                } else {
                    4.0
                };
                (r.input.peak_values_per_pixel() as f64 * ratio).ceil() as usize + own
            }
            // the pieces a window meets, each evaluated on its part of the window (plus overlaps)
            Node::Pieces(p) => 4 * p.input.peak_values_per_pixel() + own,
            Node::Reshape { input } => input.peak_values_per_pixel(),
        }
    }
}

impl Cube {
    /// True when this cube is a load whose temporal axis `axis` can be reduced date by date with `f`.
    fn streams_time(&self, axis: usize, f: &dyn crate::CellFn) -> bool {
        matches!(self.node.as_ref(), Node::Load(_))
            && axis == 0
            && self
                .meta
                .dims()
                .first()
                .is_some_and(|d| d.kind() == crate::DimensionKind::Temporal)
            && f.accumulator(0).is_some()
    }
}

/// Drops, when it goes, the tiles fetched ahead for a window and not read (a failing read leaves some).
struct FetchedAhead;

impl Drop for FetchedAhead {
    fn drop(&mut self) {
        forget_prefetched();
    }
}

/// Fetches ahead, at once, the remote tiles every asset of `l` needs for `window`.
fn fetch_ahead(l: &Load, grid: &Grid, window: &Window, ctx: &EvalCtx<'_>) -> Result<FetchedAhead> {
    let assets = l
        .groups
        .iter()
        .flatten()
        .flat_map(|&item| l.bands.iter().filter_map(move |&band| l.asset(item, band)));
    prefetch(assets, grid, window, ctx.reads)?;
    Ok(FetchedAhead)
}

/// Most dates a streamed time reduction reads before handing them to the accumulator together: all the dates when
/// there are no more (they fold straight into the values, without per-cell state), else half as many at a time
/// (folded into the per-cell state in one pass; their decoded blocks stay in the core's cache meanwhile).
pub(crate) const LANES_AT_ONCE: usize = 8;

/// Cells of the strips in which a streamed time reduction hands its dates to the accumulator: small enough that
/// the strips of all dates read at once stay in the core's caches.
const STRIP_CELLS: usize = 8192;

/// Reads a load a few dates at a time (`ctx.lanes`) and feeds each band's accumulator strip by strip: the time
/// reduction of a load without ever holding more than those dates. Dates read from one stored block are kept
/// decoded and converted to f32 a strip at a time.
fn eval_load_reduced(
    l: &Load,
    grid: &Grid,
    window: &Window,
    f: &dyn crate::CellFn,
    ctx: &EvalCtx<'_>,
) -> Result<Block> {
    let _ahead = fetch_ahead(l, grid, window, ctx)?;
    let cells = window.cells();
    let mut out = vec![0f32; l.bands.len() * cells];
    let mut lanes = LANE_BUFFERS.take();
    // see LANES_AT_ONCE
    let at_once = if l.groups.len() <= ctx.lanes {
        l.groups.len()
    } else {
        ctx.lanes / 2
    };
    lanes.resize_with(at_once.max(1), Lane::default);
    let strip_rows = (STRIP_CELLS / window.width.max(1)).max(1);
    for (&band, out) in l.bands.iter().zip(out.chunks_exact_mut(cells)) {
        let mut acc = f
            .accumulator(cells)
            .ok_or_else(|| Error::internal("reducer lost its accumulator"))?;
        let mut chunks = l.groups.chunks(lanes.len()).peekable();
        if chunks.peek().is_none() {
            acc.values_into(0, &[], out);
        }
        while let Some(groups) = chunks.next() {
            let last = chunks.peek().is_none();
            for (group, lane) in groups.iter().zip(lanes.iter_mut()) {
                ctx.check()?;
                lane.read(l, group, band, grid, window, ctx)?;
            }
            for r0 in (0..window.height).step_by(strip_rows) {
                let rows = r0..(r0 + strip_rows).min(window.height);
                let at = rows.start * window.width;
                let strip: Vec<&[f32]> = lanes[..groups.len()]
                    .iter_mut()
                    .map(|lane| lane.rows(rows.clone(), window.width))
                    .collect();
                if last {
                    // the last dates are folded in the pass that gives the values
                    acc.values_into(at, &strip, &mut out[at..rows.end * window.width]);
                } else {
                    acc.add(at, &strip);
                }
            }
        }
    }
    LANE_BUFFERS.set(lanes);
    if let Some(clip) = &l.clip {
        clip_outside(clip, grid, window, &mut out)?;
    }
    Block::new(vec![l.bands.len(), window.height, window.width], out)
}

/// One date of a streamed time reduction on one window: the samples of the stored block holding the window, decoded
/// and converted a strip at a time, or else the window's values read.
#[derive(Default)]
struct Lane {
    /// The decoded block, and where the window is in it, when the date was read that way.
    decoded: Vec<u8>,
    window: Option<crate::io::DecodedWindow>,
    /// The window's values otherwise.
    values: Vec<f32>,
    /// The values of the current strip of a decoded block.
    strip: Vec<f32>,
}

impl Lane {
    /// Reads band `band` of the items of one time group onto `window`.
    fn read(
        &mut self,
        l: &Load,
        group: &[usize],
        band: usize,
        grid: &Grid,
        window: &Window,
        ctx: &EvalCtx<'_>,
    ) -> Result<()> {
        let single = match group {
            [one] => l.asset(*one, band),
            _ => None,
        };
        self.window = match single {
            Some(asset) => decode_window(asset, grid, window, &mut self.decoded, ctx.reads)?,
            None => None,
        };
        if self.window.is_some() {
            return Ok(());
        }
        // a reused buffer's old values do not matter when a single asset covering the window overwrites every cell
        self.values.resize(window.cells(), f32::NAN);
        if !single.is_some_and(|a| covers(a, grid, window)) {
            self.values.fill(f32::NAN);
        }
        read_group(l, group, band, grid, window, &mut self.values, ctx)
    }

    /// The values of rows `rows` of the window (`width` cells each).
    fn rows(&mut self, rows: std::ops::Range<usize>, width: usize) -> &[f32] {
        match &self.window {
            Some(decoded) => {
                self.strip.resize(rows.len() * width, 0.0);
                decoded.rows_to_f32(&self.decoded, rows, &mut self.strip);
                &self.strip
            }
            None => &self.values[rows.start * width..rows.end * width],
        }
    }
}

thread_local! {
    /// The lanes of this thread's last reduced read, for its next one: tiles are read one after another on a
    /// worker, and fresh buffers of a few MiB each cost page faults and zeroing every time.
    static LANE_BUFFERS: std::cell::Cell<Vec<Lane>> = const { std::cell::Cell::new(Vec::new()) };
}

impl Load {
    /// The asset of collection band `band` in item `item`, if the item has one.
    fn asset(&self, item: usize, band: usize) -> Option<&crate::Asset> {
        self.collection.items.get(item)?.assets.get(band)?.as_ref()
    }
}

/// Reads band `band` of the items of one time group into `out`, mosaicking (first valid pixel wins).
fn read_group(
    l: &Load,
    group: &[usize],
    band: usize,
    grid: &Grid,
    window: &Window,
    out: &mut [f32],
    ctx: &EvalCtx<'_>,
) -> Result<()> {
    let mut first = true;
    for &item in group {
        if let Some(asset) = l.asset(item, band) {
            read_asset(asset, grid, window, out, !first, ctx.reads)?;
            first = false;
        }
    }
    Ok(())
}

fn eval_load(l: &Load, grid: &Grid, window: &Window, ctx: &EvalCtx<'_>) -> Result<Block> {
    let _ahead = fetch_ahead(l, grid, window, ctx)?;
    let cells = window.cells();
    let (nt, nb) = (l.groups.len(), l.bands.len());
    let mut data = vec![f32::NAN; nt * nb * cells];
    for (ti, group) in l.groups.iter().enumerate() {
        ctx.check()?;
        for (bi, &band) in l.bands.iter().enumerate() {
            let out = &mut data[(ti * nb + bi) * cells..(ti * nb + bi + 1) * cells];
            read_group(l, group, band, grid, window, out, ctx)?;
        }
    }
    if let Some(clip) = &l.clip {
        clip_outside(clip, grid, window, &mut data)?;
    }
    Block::new(vec![nt, nb, window.height, window.width], data)
}

/// Sets to no-data every pixel of `window` whose centre lies outside `clip` (in `clip`'s CRS).
fn clip_outside(clip: &Grid, grid: &Grid, window: &Window, data: &mut [f32]) -> Result<()> {
    let cells = window.cells();
    let (mut xs, mut ys) = grid.centres(window);
    crate::transform_points(&grid.crs, &clip.crs, &mut xs, &mut ys)?;
    let b = clip.bounds();
    let outside: Vec<bool> = xs
        .iter()
        .zip(&ys)
        .map(|(&x, &y)| !(x >= b.west && x < b.east && y > b.south && y <= b.north))
        .collect();
    for chunk in data.chunks_mut(cells) {
        for (v, &o) in chunk.iter_mut().zip(&outside) {
            if o {
                *v = f32::NAN;
            }
        }
    }
    Ok(())
}

fn eval_merge(m: &Merge, meta: &crate::CubeMeta, window: &Window, ctx: &EvalCtx<'_>) -> Result<Block> {
    let a = m.a.eval(window, ctx)?;
    let b = m.b.eval(window, ctx)?;
    let cells = window.cells();
    let (va, vb) = (a.values(), b.values());
    let mut out = Vec::with_capacity(m.sources.len() * cells);
    for &(ia, ib) in &m.sources {
        let sa = ia.and_then(|i| va.get(i * cells..(i + 1) * cells));
        let sb = ib.and_then(|i| vb.get(i * cells..(i + 1) * cells));
        match (sa, sb, &m.resolver) {
            (Some(x), Some(y), Some(r)) => out.extend_from_slice(&r.call(&[x, y], cells)?),
            (Some(x), _, _) => out.extend_from_slice(x),
            (None, Some(y), _) => out.extend_from_slice(y),
            (None, None, _) => out.resize(out.len() + cells, f32::NAN),
        }
    }
    Block::new(meta.block_shape(window.height, window.width), out)
}

impl Block {
    /// Wraps an array, making it contiguous.
    pub(crate) fn from_array(a: ArrayD<f32>) -> Block {
        Block(a.as_standard_layout().into_owned())
    }

    /// A block of `shape` from row-major `data`.
    ///
    /// # Errors
    /// [`Error::Internal`] when the sizes disagree.
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Result<Block> {
        ArrayD::from_shape_vec(IxDyn(&shape), data)
            .map(Block)
            .map_err(|e| Error::internal(format!("block shape: {e}")))
    }
}
