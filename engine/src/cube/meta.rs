//! [`CubeMeta`]: what a plan node produces.

use super::{BandInfo, Dimension, DimensionKind, Grid, Labels};
use crate::{Error, Result};

/// Dimensions, labels and grid of a cube. Non-spatial dimensions come first, in order; `y` and `x` are implied last.
#[derive(Clone, Debug, PartialEq)]
pub struct CubeMeta {
    dims: Vec<Dimension>,
    grid: Grid,
    /// Whether the cube has the spatial dimensions `y` and `x`: those of an empty grid are a spatial filter that
    /// selected nothing, no spatial dimensions at all otherwise.
    spatial: bool,
}

impl CubeMeta {
    /// Creates cube metadata from its non-spatial dimensions and its grid (an empty grid: no spatial dimensions).
    pub fn new(dims: Vec<Dimension>, grid: Grid) -> CubeMeta {
        let spatial = !grid.is_empty();
        CubeMeta { dims, grid, spatial }
    }

    /// The same metadata with spatial dimensions that have no labels (a spatial filter that selected nothing).
    pub fn without_pixels(&self) -> CubeMeta {
        CubeMeta {
            dims: self.dims.clone(),
            grid: Grid {
                width: 0,
                height: 0,
                ..self.grid.clone()
            },
            spatial: true,
        }
    }

    /// Whether the cube has the spatial dimensions `y` and `x` (with pixels or, after a filter that selected
    /// nothing, without).
    pub fn has_spatial_dims(&self) -> bool {
        self.spatial
    }

    /// Whether a dimension has no labels, so that the cube has no values (a filter selected nothing). Such a cube
    /// can be described and written as JSON; the processes refuse it as input.
    pub fn is_empty(&self) -> bool {
        self.dims.iter().any(Dimension::is_empty) || (self.spatial && self.grid.is_empty())
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
            spatial: self.spatial || !grid.is_empty(),
            grid,
        }
    }

    /// The same metadata with other non-spatial dimensions.
    pub fn with_dims(&self, dims: Vec<Dimension>) -> CubeMeta {
        CubeMeta {
            dims,
            grid: self.grid.clone(),
            spatial: self.spatial,
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

    /// All dimension names, spatial ones included (`x`, `y`) when the cube has them (see
    /// [`CubeMeta::has_spatial_dims`]).
    pub fn dimension_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.dims.iter().map(|d| d.name().to_string()).collect();
        if self.spatial {
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
