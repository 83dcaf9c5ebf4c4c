//! The lazy plan: a [`Cube`] is its metadata plus the node that computes it.
//!
//! Builders validate while planning (unknown bands, empty extents, overlaps without resolver fail before any pixel
//! is read) and push filters down: band and time selections narrow the loads below them, and spatial filters and
//! grid alignment (merge_cubes) replace the grid of every load in the subtree, because every other node works
//! pixel by pixel. Evaluation of one tile through the tree lives in [`eval`].

pub(crate) mod blocks;
mod build;
pub(crate) mod eval;
mod group;
mod kernel;
mod lanes;
mod mask;
mod pieces;
mod polygons;
mod resample;
mod reshape;
mod values;

pub use kernel::Border;
pub use pieces::CubeFn;
pub use polygons::Polygon;
pub use resample::{Resampling, resample_grid};

use std::fmt::Debug;
use std::sync::Arc;

use crate::{Collection, CubeMeta};

/// A pixel-wise function supplied by the process layer: reducers (one input slice per label of the reduced
/// dimension), `apply` callbacks (one input) and merge resolvers (two inputs). All inputs have `len` values; the
/// result must have `len` values. NaN is nodata.
pub trait CellFn: Send + Sync + Debug {
    /// Computes the output values for `inputs`.
    ///
    /// # Errors
    /// Any error of the callback, reported as [`crate::Error::Callback`].
    fn call(&self, inputs: &[&[f32]], len: usize) -> crate::Result<Vec<f32>>;

    /// For functions that return several values per cell (`apply_dimension`): one output slice of `len` values
    /// per output label. The default is the single output of [`CellFn::call`].
    ///
    /// # Errors
    /// Any error of the callback, reported as [`crate::Error::Callback`].
    fn call_many(&self, inputs: &[&[f32]], len: usize) -> crate::Result<Vec<Vec<f32>>> {
        Ok(vec![self.call(inputs, len)?])
    }

    /// For reducers that can consume their inputs one at a time (mean, sum, min, max, …): a fresh accumulator
    /// for `len` cells. Reductions over time then read one date after the other, so memory does not grow with
    /// the number of dates.
    fn accumulator(&self, _len: usize) -> Option<Box<dyn Accumulator>> {
        None
    }
}

/// Consumes the inputs of a reduction one label at a time; see [`CellFn::accumulator`]. Inputs may come for
/// ranges of cells (strips of a tile, so that they stay in the caches), each a lane of one value per cell from a
/// first cell on (NaN = no-data).
pub trait Accumulator: Send {
    /// Adds inputs, in their order, for the cells from `at` on; several at once where the caller has them, which
    /// saves passes over the per-cell state.
    fn add(&mut self, at: usize, lanes: &[&[f32]]);
    /// Writes into `out` the reduced values of the cells from `at` on, after folding in `last`, the inputs given
    /// last for those cells (none when all came through [`Accumulator::add`]), in the same pass.
    fn values_into(&self, at: usize, last: &[&[f32]], out: &mut [f32]);
}

/// A merge overlap resolver: a [`CellFn`] with inputs `x` (cube 1) and `y` (cube 2).
pub type MergeResolver = Arc<dyn CellFn>;

/// A data cube: metadata plus the lazy computation that produces it.
#[derive(Clone, Debug)]
pub struct Cube {
    meta: CubeMeta,
    node: Arc<Node>,
}

/// What computes a cube.
#[derive(Debug)]
enum Node {
    /// Read items of a collection: dims `[t, bands]`.
    Load(Load),
    /// Keep some labels of one axis.
    Select {
        input: Cube,
        axis: usize,
        indices: Vec<usize>,
    },
    /// Reduce one axis with a pixel-wise function.
    Reduce {
        input: Cube,
        axis: usize,
        f: Arc<dyn CellFn>,
    },
    /// Apply a pixel-wise function to every value.
    Apply { input: Cube, f: Arc<dyn CellFn> },
    /// Merge two cubes on the same grid.
    Merge(Merge),
    /// Reduce groups of labels of one axis; the axis keeps one label per group.
    GroupReduce(group::GroupReduce),
    /// Map the values along one axis to another number of values, per cell.
    Lanes(lanes::ApplyLanes),
    /// Replace values where a mask on the same grid is non-zero.
    Mask(mask::Mask),
    /// A 2D convolution over `y` and `x`, reading a halo around each window.
    Kernel(kernel::Kernel),
    /// Replace values of pixels whose centres lie inside (or outside) polygons.
    Polygons(polygons::PolygonMask),
    /// The input interpolated or aggregated onto this cube's grid.
    Resample(resample::Resample),
    /// A process applied to pieces of the input (neighbourhoods, polygons).
    Pieces(pieces::Pieces),
    /// The input's values under another dimension layout (a dimension added or dropped, labels of another kind).
    Reshape { input: Cube },
    /// Values given with the cube, held in memory.
    Values(values::Values),
}

#[derive(Debug, Clone)]
struct Load {
    collection: Arc<Collection>,
    /// Per time label: indices of the collection items of that time (mosaicked in order).
    groups: Vec<Vec<usize>>,
    /// Collection band indices, in cube order.
    bands: Vec<usize>,
    /// The extent (on the data's own lattice) that spatial filters left before the cube was moved onto
    /// another grid: target pixels whose centre lies outside it are no-data.
    clip: Option<crate::Grid>,
}

#[derive(Debug)]
struct Merge {
    a: Cube,
    b: Cube,
    /// Per output flat non-spatial index: source flat index in `a` and in `b`.
    sources: Vec<(Option<usize>, Option<usize>)>,
    resolver: Option<MergeResolver>,
}

impl Cube {
    /// The cube's metadata.
    pub fn meta(&self) -> &CubeMeta {
        &self.meta
    }

    /// A one-line-per-node description of the plan, for logs and `--explain`.
    pub fn explain(&self) -> String {
        let mut out = String::new();
        self.explain_into(0, &mut out);
        out
    }

    fn explain_into(&self, depth: usize, out: &mut String) {
        let pad = "  ".repeat(depth);
        let g = self.meta.grid();
        let dims: Vec<String> = self
            .meta
            .dims()
            .iter()
            .map(|d| format!("{}[{}]", d.name(), d.len()))
            .collect();
        let shape = format!("{} y[{}] x[{}]", dims.join(" "), g.height, g.width);
        let children: Vec<&Cube> = match self.node.as_ref() {
            Node::Load(l) => {
                out.push_str(&format!("{pad}load {} -> {shape}\n", l.collection.id));
                vec![]
            }
            Node::Select { input, axis, indices } => {
                out.push_str(&format!("{pad}select axis {axis} {indices:?} -> {shape}\n"));
                vec![input]
            }
            Node::Reduce { input, axis, .. } => {
                out.push_str(&format!("{pad}reduce axis {axis} -> {shape}\n"));
                vec![input]
            }
            Node::Apply { input, .. } => {
                out.push_str(&format!("{pad}apply -> {shape}\n"));
                vec![input]
            }
            Node::Merge(m) => {
                out.push_str(&format!("{pad}merge -> {shape}\n"));
                vec![&m.a, &m.b]
            }
            Node::GroupReduce(g) => {
                out.push_str(&format!(
                    "{pad}reduce {} groups of axis {} -> {shape}\n",
                    g.groups.len(),
                    g.axis
                ));
                vec![&g.input]
            }
            Node::Lanes(l) => {
                out.push_str(&format!("{pad}apply along axis {} -> {shape}\n", l.axis));
                vec![&l.input]
            }
            Node::Mask(m) => {
                out.push_str(&format!("{pad}mask -> {shape}\n"));
                vec![&m.data, &m.mask]
            }
            Node::Kernel(k) => {
                out.push_str(&format!("{pad}kernel {}×{} -> {shape}\n", k.rows, k.cols));
                vec![&k.input]
            }
            Node::Polygons(p) => {
                out.push_str(&format!(
                    "{pad}polygon mask ({} polygons) -> {shape}\n",
                    p.polygons.len()
                ));
                vec![&p.input]
            }
            Node::Resample(r) => {
                out.push_str(&format!("{pad}resample ({:?}) -> {shape}\n", r.method));
                vec![&r.input]
            }
            Node::Pieces(p) => {
                out.push_str(&format!("{pad}process on pieces -> {shape}\n"));
                vec![&p.input]
            }
            Node::Reshape { input } => {
                out.push_str(&format!("{pad}reshape -> {shape}\n"));
                vec![input]
            }
            Node::Values(_) => {
                out.push_str(&format!("{pad}given values -> {shape}\n"));
                vec![]
            }
        };
        for c in children {
            c.explain_into(depth + 1, out);
        }
    }
}
