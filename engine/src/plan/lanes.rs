//! `apply_dimension` over a non-spatial axis: per cell, the values along the axis go through a function that
//! returns a fixed number of values (known while planning), which become the axis' new labels.

use std::sync::Arc;

use ndarray::Axis;

use super::eval::EvalCtx;
use super::{CellFn, Cube, Node};
use crate::{Block, Dimension, Error, Result, Window};

#[derive(Debug)]
pub(crate) struct ApplyLanes {
    pub(crate) input: Cube,
    pub(crate) axis: usize,
    pub(crate) f: Arc<dyn CellFn>,
}

impl Cube {
    /// Replaces non-spatial axis `axis` by `dim`: per cell, `f`'s [`CellFn::call_many`] maps the values along
    /// the axis to `dim.len()` values.
    ///
    /// # Errors
    /// [`Error::Internal`] for a missing axis; [`Error::DimensionExists`] when `dim`'s name is another axis'.
    pub fn apply_lanes(&self, axis: usize, f: Arc<dyn CellFn>, dim: Dimension) -> Result<Cube> {
        if axis >= self.meta.dims().len() {
            return Err(Error::internal("apply along a missing axis"));
        }
        let taken = |(i, d): (usize, &Dimension)| i != axis && d.name() == dim.name();
        if self.meta.dims().iter().enumerate().any(taken) || dim.name() == "x" || dim.name() == "y" {
            return Err(Error::DimensionExists {
                dimension: dim.name().to_string(),
            });
        }
        let mut dims = self.meta.dims().to_vec();
        dims[axis] = dim;
        Ok(Cube {
            meta: self.meta.with_dims(dims),
            node: Arc::new(Node::Lanes(ApplyLanes {
                input: self.clone(),
                axis,
                f,
            })),
        })
    }
}

impl ApplyLanes {
    /// The block of `window` (of the output `shape`).
    pub(crate) fn eval(&self, shape: Vec<usize>, window: &Window, ctx: &EvalCtx<'_>) -> Result<Block> {
        let b = self.input.eval(window, ctx)?;
        let arr = b.array();
        let outer: usize = arr.shape()[..self.axis].iter().product();
        let inner: usize = arr.shape()[self.axis + 1..].iter().product();
        let lanes: Vec<Vec<f32>> = (0..arr.shape()[self.axis])
            .map(|j| {
                arr.index_axis(Axis(self.axis), j)
                    .as_standard_layout()
                    .iter()
                    .copied()
                    .collect()
            })
            .collect();
        let inputs: Vec<&[f32]> = lanes.iter().map(Vec::as_slice).collect();
        let len = outer * inner;
        let outputs = self.f.call_many(&inputs, len)?;
        let m = shape[self.axis];
        if outputs.len() != m || outputs.iter().any(|o| o.len() != len) {
            return Err(Error::Callback {
                code: "ProcessParameterInvalid".into(),
                message: format!(
                    "apply_dimension: the process returned {} values per cell here but {m} while planning",
                    outputs.len()
                ),
            });
        }
        let mut out = vec![f32::NAN; outer * m * inner];
        for (k, lane) in outputs.iter().enumerate() {
            for o in 0..outer {
                let dst = (o * m + k) * inner;
                out[dst..dst + inner].copy_from_slice(&lane[o * inner..(o + 1) * inner]);
            }
        }
        Block::new(shape, out)
    }
}
