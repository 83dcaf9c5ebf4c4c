//! Cubes whose values are given rather than read: a data cube written out in full (the cube literals of the openEO
//! process tests) and the empty cube of `create_data_cube`. The values stay on the grid they were given on; a
//! window of another grid in the same CRS takes, per pixel, the value of the given pixel that contains its centre
//! (exactly the shifted values on the same lattice), and no-data outside.

use std::sync::Arc;

use super::{Cube, Node};
use crate::{Block, CubeMeta, Dimension, Error, Grid, Result, Window};

/// The values of a cube held in memory.
#[derive(Debug, Clone)]
pub(crate) struct Values {
    /// The grid the values were given on.
    grid: Grid,
    /// `[non-spatial…, rows, cols]` in standard layout, NaN = no-data.
    data: Arc<[f32]>,
}

impl Cube {
    /// A cube with the values `data`, laid out as `[dims…, y, x]` (row-major, NaN = no-data) on `grid`.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `data` does not hold exactly one value per cell.
    pub fn from_values(dims: Vec<Dimension>, grid: Grid, data: Vec<f32>) -> Result<Cube> {
        let meta = CubeMeta::new(dims, grid.clone());
        let cells = meta.values_per_pixel() * grid.width * grid.height;
        if data.len() != cells {
            return Err(Error::invalid(format!(
                "a cube of {cells} cells was given {} values",
                data.len()
            )));
        }
        let values = Values {
            grid,
            data: data.into(),
        };
        Ok(Cube {
            meta,
            node: Arc::new(Node::Values(values)),
        })
    }

    /// A cube without dimensions and without values (`create_data_cube`): no non-spatial dimension and an empty
    /// grid, which stands for the absence of spatial dimensions.
    pub fn empty() -> Cube {
        let grid = Grid {
            crs: crate::Crs::new(String::new(), None),
            transform: [0.0, 1.0, 0.0, 0.0, 0.0, -1.0],
            width: 0,
            height: 0,
        };
        let values = Values {
            grid: grid.clone(),
            data: Arc::from(Vec::new()),
        };
        Cube {
            meta: CubeMeta::new(Vec::new(), grid),
            node: Arc::new(Node::Values(values)),
        }
    }
}

impl Cube {
    /// What is left of this cube when a filter selects nothing: its metadata with no labels along the non-spatial
    /// dimension `axis`, or (for `None`) without pixels, and no values (see [`CubeMeta::is_empty`]).
    ///
    /// # Errors
    /// [`Error::Internal`] when there is no dimension `axis`.
    pub fn nothing_selected(&self, axis: Option<usize>) -> Result<Cube> {
        let meta = match axis {
            Some(a) => {
                let mut dims = self.meta.dims().to_vec();
                let dim = dims
                    .get(a)
                    .ok_or_else(|| Error::internal("nothing selected on a missing axis"))?;
                dims[a] = dim.with_labels(dim.labels().select(&[]));
                self.meta.with_dims(dims)
            }
            None => self.meta.without_pixels(),
        };
        let values = Values {
            grid: meta.grid().clone(),
            data: Arc::from(Vec::new()),
        };
        Ok(Cube {
            meta,
            node: Arc::new(Node::Values(values)),
        })
    }
}

impl Cube {
    /// `Ok` unless the cube has no values (see [`CubeMeta::is_empty`]), which no file format holds.
    ///
    /// # Errors
    /// [`Error::NoDataAvailable`] naming the dimension without labels.
    pub fn require_values(&self) -> Result<()> {
        if !self.meta.is_empty() {
            return Ok(());
        }
        let empty = (self.meta.dims().iter().find(|d| d.is_empty()))
            .map_or("the spatial dimensions have".to_string(), |d| {
                format!("dimension '{}' has", d.name())
            });
        Err(Error::NoDataAvailable {
            reason: format!("the data cube has no values: {empty} no labels (a filter selected nothing)"),
        })
    }
}

impl Values {
    /// The same values, for a cube moved onto `grid`.
    ///
    /// # Errors
    /// [`Error::Unsupported`] when `grid` has another CRS (given values are not reprojected).
    pub(crate) fn on_grid(&self, grid: &Grid) -> Result<Values> {
        if !self.grid.crs.same_as(&grid.crs) && !self.grid.is_empty() {
            return Err(Error::Unsupported {
                message: format!(
                    "moving a cube given by its values from {} to {}",
                    self.grid.crs.label(),
                    grid.crs.label()
                ),
            });
        }
        Ok(self.clone())
    }

    /// The block of `window` of `meta`'s grid.
    pub(crate) fn eval(&self, meta: &CubeMeta, window: &Window) -> Result<Block> {
        let shape = meta.block_shape(window.height, window.width);
        let cells = window.cells();
        let plane = self.grid.width * self.grid.height;
        let per_pixel = self.data.len().checked_div(plane).unwrap_or(0);
        let mut out = vec![f32::NAN; shape.iter().product()];
        if per_pixel * cells != out.len() {
            return Err(Error::internal("given values do not match the cube's dimensions"));
        }
        let sources = self.sources(meta.grid(), window);
        for k in 0..per_pixel {
            let (src, dst) = (
                &self.data[k * plane..(k + 1) * plane],
                &mut out[k * cells..(k + 1) * cells],
            );
            for (d, s) in dst.iter_mut().zip(&sources) {
                if let Some(s) = s {
                    *d = src[*s];
                }
            }
        }
        Block::new(shape, out)
    }

    /// Per pixel of `window` (of `grid`), the index of the given pixel containing its centre.
    fn sources(&self, grid: &Grid, window: &Window) -> Vec<Option<usize>> {
        let (xs, ys) = grid.centres(window);
        let t = &self.grid.transform;
        xs.iter()
            .zip(&ys)
            .map(|(x, y)| {
                let col = ((x - t[0]) / t[1]).floor();
                let row = ((y - t[3]) / t[5]).floor();
                let inside = col >= 0.0 && row >= 0.0 && col < self.grid.width as f64 && row < self.grid.height as f64;
                inside.then(|| row as usize * self.grid.width + col as usize)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Crs, Labels};

    fn grid(x0: f64, width: usize, height: usize) -> Grid {
        Grid {
            crs: Crs::new(String::new(), Some(25832)),
            transform: [x0, 10.0, 0.0, 1000.0, 0.0, -10.0],
            width,
            height,
        }
    }

    #[test]
    fn windows_of_the_given_grid_and_of_a_shifted_one() {
        let dims = vec![Dimension::new("b", Labels::Other(vec!["p".into(), "q".into()]))];
        let data: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let cube = Cube::from_values(dims, grid(0.0, 3, 2), data).unwrap();
        let Node::Values(v) = cube.node.as_ref() else {
            unreachable!()
        };
        let all = Window {
            x0: 0,
            y0: 0,
            width: 3,
            height: 2,
        };
        let b = v.eval(cube.meta(), &all).unwrap();
        assert_eq!(b.shape(), &[2, 2, 3]);
        assert_eq!(b.values(), (0..12).map(|v| v as f32).collect::<Vec<_>>().as_slice());
        // one pixel to the east: the last column falls outside
        let moved = cube.with_grid(grid(10.0, 3, 2)).unwrap();
        let Node::Values(v) = moved.node.as_ref() else {
            unreachable!()
        };
        let b = v.eval(moved.meta(), &all).unwrap();
        let got: Vec<String> = b.values().iter().map(|x| x.to_string()).collect();
        assert_eq!(got.join(" "), "1 2 NaN 4 5 NaN 7 8 NaN 10 11 NaN");
    }

    #[test]
    fn wrong_counts_and_other_crs_are_refused() {
        assert!(Cube::from_values(vec![], grid(0.0, 2, 2), vec![0.0; 3]).is_err());
        let cube = Cube::from_values(vec![], grid(0.0, 2, 2), vec![0.0; 4]).unwrap();
        let mut other = grid(0.0, 2, 2);
        other.crs = Crs::new(String::new(), Some(4326));
        assert!(cube.with_grid(other).is_err());
    }

    #[test]
    fn the_empty_cube_has_no_values() {
        let cube = Cube::empty();
        assert!(cube.meta().dims().is_empty());
        assert!(cube.meta().grid().is_empty());
        assert!(cube.meta().dimension_names().is_empty());
    }
}
