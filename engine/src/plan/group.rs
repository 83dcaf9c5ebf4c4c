//! Reducing groups of labels of one axis (`aggregate_temporal`, `aggregate_temporal_period`): every group is
//! reduced by its own function, the axis keeps one label per group, and a group without labels is no-data.

use std::sync::Arc;

use ndarray::Axis;

use super::eval::EvalCtx;
use super::{CellFn, Cube, Node};
use crate::{Block, Error, Labels, Result, Window};

/// One output label: the input labels it reduces and the function (none for an empty group).
pub(crate) type Group = (Vec<usize>, Option<Arc<dyn CellFn>>);

#[derive(Debug)]
pub(crate) struct GroupReduce {
    pub(crate) input: Cube,
    pub(crate) axis: usize,
    pub(crate) groups: Vec<Group>,
}

impl Cube {
    /// Reduces groups of labels of non-spatial axis `axis`: output label `i` of `labels` is `groups[i]`'s input
    /// labels reduced by its function; an empty group gives no-data.
    ///
    /// # Errors
    /// [`Error::Internal`] for a missing axis, a label index out of range or a label count that differs from the
    /// group count.
    pub fn reduce_groups(&self, axis: usize, groups: Vec<Group>, labels: Labels) -> Result<Cube> {
        let dim = self
            .meta
            .dims()
            .get(axis)
            .ok_or_else(|| Error::internal("group reduction on a missing axis"))?;
        if labels.len() != groups.len() || groups.iter().flat_map(|g| &g.0).any(|&i| i >= dim.len()) {
            return Err(Error::internal("group reduction: labels and groups disagree"));
        }
        let mut dims = self.meta.dims().to_vec();
        dims[axis] = dim.with_labels(labels);
        Ok(Cube {
            meta: self.meta.with_dims(dims),
            node: Arc::new(Node::GroupReduce(GroupReduce {
                input: self.clone(),
                axis,
                groups,
            })),
        })
    }
}

impl GroupReduce {
    /// The block of `window`: the input's block, each group's lanes reduced in place of the axis.
    pub(crate) fn eval(&self, shape: Vec<usize>, window: &Window, ctx: &EvalCtx<'_>) -> Result<Block> {
        let b = self.input.eval(window, ctx)?;
        let arr = b.array();
        let (outer, inner) = (
            arr.shape()[..self.axis].iter().product::<usize>(),
            arr.shape()[self.axis + 1..].iter().product::<usize>(),
        );
        // one lane per input label: [outer, inner] values each, contiguous
        let lanes: Vec<Vec<f32>> = (0..arr.shape()[self.axis])
            .map(|j| {
                let lane = arr.index_axis(Axis(self.axis), j);
                lane.as_standard_layout().iter().copied().collect()
            })
            .collect();
        let len = outer * inner;
        let n = self.groups.len();
        let mut out = vec![f32::NAN; outer * n * inner];
        for (g, (members, f)) in self.groups.iter().enumerate() {
            let Some(f) = f.as_ref().filter(|_| !members.is_empty()) else {
                continue;
            };
            ctx.check()?;
            let inputs: Vec<&[f32]> = members.iter().map(|&m| lanes[m].as_slice()).collect();
            let reduced = f.call(&inputs, len)?;
            for o in 0..outer {
                let dst = (o * n + g) * inner;
                out[dst..dst + inner].copy_from_slice(&reduced[o * inner..(o + 1) * inner]);
            }
        }
        Block::new(shape, out)
    }
}
