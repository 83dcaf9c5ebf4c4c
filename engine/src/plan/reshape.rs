//! Processes that change dimensions but not values: `add_dimension`, `drop_dimension`, `rename_dimension`,
//! `rename_labels`. When the layout of the values changes (a dimension added or dropped, labels of another kind),
//! the result is a reshape node, so filters above it are not pushed below it onto the wrong axis.

use std::sync::Arc;

use super::{Cube, Node};
use crate::{Dimension, Error, Labels, Result};

impl Cube {
    /// The same values under `dims`: shares the node when every axis keeps its kind, else a reshape node.
    fn relayout(&self, dims: Vec<Dimension>) -> Cube {
        let same_kinds = dims.len() == self.meta.dims().len()
            && dims.iter().zip(self.meta.dims()).all(|(a, b)| a.kind() == b.kind());
        let node = if same_kinds {
            self.node.clone()
        } else {
            Arc::new(Node::Reshape { input: self.clone() })
        };
        Cube {
            meta: self.meta.with_dims(dims),
            node,
        }
    }

    /// Replaces the labels of axis `axis` (same count), e.g. `rename_labels` or a reducer keeping a dimension.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the number of labels differs.
    pub fn relabel(&self, axis: usize, labels: Labels) -> Result<Cube> {
        let dim = self
            .meta
            .dims()
            .get(axis)
            .ok_or_else(|| Error::internal("relabel on a missing axis"))?;
        if dim.len() != labels.len() {
            return Err(Error::invalid(format!(
                "dimension '{}' has {} labels, got {}",
                dim.name(),
                dim.len(),
                labels.len()
            )));
        }
        let mut dims = self.meta.dims().to_vec();
        dims[axis] = dim.with_labels(labels);
        Ok(self.relayout(dims))
    }

    /// Inserts a dimension with one label at `axis`.
    ///
    /// # Errors
    /// [`Error::DimensionExists`] when the name is taken; [`Error::Invalid`] unless there is exactly one label.
    pub fn expand(&self, axis: usize, name: &str, labels: Labels) -> Result<Cube> {
        if self.meta.dims().iter().any(|d| d.name() == name) || name == "x" || name == "y" {
            return Err(Error::DimensionExists {
                dimension: name.to_string(),
            });
        }
        if labels.len() != 1 || axis > self.meta.dims().len() {
            return Err(Error::invalid("a new dimension needs exactly one label"));
        }
        let mut dims = self.meta.dims().to_vec();
        dims.insert(axis, Dimension::new(name, labels));
        Ok(self.relayout(dims))
    }

    /// Removes the dimension `name`, which must have exactly one label.
    ///
    /// # Errors
    /// [`Error::DimensionNotAvailable`]; `DimensionLabelCountMismatch` when it has more than one label.
    pub fn drop_dimension(&self, name: &str) -> Result<Cube> {
        let axis = self.meta.axis(name)?;
        let n = self.meta.dims()[axis].len();
        if n != 1 {
            return Err(Error::coded(
                "DimensionLabelCountMismatch",
                format!("dimension '{name}' has {n} labels; only a dimension with one label can be dropped"),
            ));
        }
        let mut dims = self.meta.dims().to_vec();
        dims.remove(axis);
        Ok(self.relayout(dims))
    }

    /// Renames dimension `source` to `target`.
    ///
    /// # Errors
    /// [`Error::DimensionNotAvailable`], [`Error::DimensionExists`].
    pub fn rename_dimension(&self, source: &str, target: &str) -> Result<Cube> {
        let axis = self.meta.axis(source)?;
        if source != target && (self.meta.dims().iter().any(|d| d.name() == target) || target == "x" || target == "y") {
            return Err(Error::DimensionExists {
                dimension: target.to_string(),
            });
        }
        let mut dims = self.meta.dims().to_vec();
        dims[axis] = Dimension::new(target, dims[axis].labels().clone());
        Ok(self.relayout(dims))
    }
}
