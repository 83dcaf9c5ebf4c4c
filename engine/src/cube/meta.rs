//! [`CubeMeta`]: what a plan node produces.

use super::{BandInfo, Dimension, DimensionKind, Grid, Labels};
use crate::{Error, Result};

/// Dimensions, labels and grid of a cube. Non-spatial dimensions come first, in order; `y` and `x` are implied last.
#[derive(Clone, Debug, PartialEq)]
pub struct CubeMeta {
    dims: Vec<Dimension>,
    grid: Grid,
}

impl CubeMeta {
    /// Creates cube metadata from its non-spatial dimensions and its grid.
    pub fn new(dims: Vec<Dimension>, grid: Grid) -> CubeMeta {
        CubeMeta { dims, grid }
    }

    /// The non-spatial dimensions, in array order.
    pub fn dims(&self) -> &[Dimension] {
        &self.dims
    }

    /// The spatial grid.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// The same metadata on another grid.
    pub fn with_grid(&self, grid: Grid) -> CubeMeta {
        CubeMeta {
            dims: self.dims.clone(),
            grid,
        }
    }

    /// The same metadata with other non-spatial dimensions.
    pub fn with_dims(&self, dims: Vec<Dimension>) -> CubeMeta {
        CubeMeta {
            dims,
            grid: self.grid.clone(),
        }
    }

    /// Shape of a block of `window` cells: the non-spatial lengths followed by rows and columns.
    pub fn block_shape(&self, rows: usize, cols: usize) -> Vec<usize> {
        let mut s: Vec<usize> = self.dims.iter().map(Dimension::len).collect();
        s.push(rows);
        s.push(cols);
        s
    }

    /// Number of values per pixel (product of the non-spatial lengths).
    pub fn values_per_pixel(&self) -> usize {
        self.dims.iter().map(Dimension::len).product()
    }

    /// Index of the dimension called `name`.
    ///
    /// # Errors
    /// [`Error::DimensionNotAvailable`] when there is none; `x`/`y` are reported as unavailable here because
    /// spatial axes are handled by the grid.
    pub fn axis(&self, name: &str) -> Result<usize> {
        self.dims
            .iter()
            .position(|d| d.name() == name)
            .ok_or_else(|| Error::DimensionNotAvailable {
                dimension: name.to_string(),
                available: self.dimension_names().join(", "),
            })
    }

    /// Indices of the dimensions of `kind`.
    pub fn axes_of_kind(&self, kind: DimensionKind) -> Vec<usize> {
        (0..self.dims.len()).filter(|&i| self.dims[i].kind() == kind).collect()
    }

    /// All dimension names, spatial ones included (`x`, `y`) unless the grid is empty (a cube without spatial
    /// dimensions, see [`crate::Cube::empty`]).
    pub fn dimension_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.dims.iter().map(|d| d.name().to_string()).collect();
        if !self.grid.is_empty() {
            v.push("x".into());
            v.push("y".into());
        }
        v
    }

    /// The band metadata, when the cube has a bands dimension.
    pub fn bands(&self) -> Option<&[BandInfo]> {
        self.dims.iter().find_map(|d| match d.labels() {
            Labels::Bands(b) => Some(b.as_slice()),
            _ => None,
        })
    }
}
