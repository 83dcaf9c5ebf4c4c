//! `trim_cube`: the labels whose slices hold only no-data, and the rows and columns at the edges without any
//! value, are removed. Finding them reads the cube once (tile by tile, keeping only flags and a bounding box).

use std::sync::{Arc, Mutex};

use crate::io::TileSink;
use crate::{Block, Cube, Error, ExecOptions, Result, Window, execute};

/// What the scan found: per plane (flat non-spatial index) whether it has a value, and the extent of the pixels
/// with a value (first column, last column, first row, last row).
#[derive(Default)]
struct Found {
    planes: Vec<bool>,
    extent: Option<(usize, usize, usize, usize)>,
}

struct Scan {
    planes: usize,
    found: Arc<Mutex<Found>>,
}

impl TileSink for Scan {
    fn write_tile(&mut self, window: &Window, block: &Block) -> Result<()> {
        let cells = window.cells();
        let v = block.values();
        let mut any = vec![false; self.planes];
        let mut extent: Option<(usize, usize, usize, usize)> = None;
        for (p, flag) in any.iter_mut().enumerate() {
            for (k, x) in v[p * cells..(p + 1) * cells].iter().enumerate() {
                if !x.is_nan() {
                    *flag = true;
                    let (c, r) = (window.x0 + k % window.width, window.y0 + k / window.width);
                    extent = Some(match extent {
                        None => (c, c, r, r),
                        Some((a, b, d, e)) => (a.min(c), b.max(c), d.min(r), e.max(r)),
                    });
                }
            }
        }
        let mut f = self.found.lock().map_err(|_| Error::internal("trim scan poisoned"))?;
        for (dst, src) in f.planes.iter_mut().zip(any) {
            *dst |= src;
        }
        if let Some((a, b, d, e)) = extent {
            f.extent = Some(match f.extent {
                None => (a, b, d, e),
                Some((a0, b0, d0, e0)) => (a0.min(a), b0.max(b), d0.min(d), e0.max(e)),
            });
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Vec<std::path::PathBuf>> {
        Ok(Vec::new())
    }
}

impl Cube {
    /// The cube without the labels of any dimension whose slices hold only no-data, and cut to the rows and
    /// columns that hold values. Reads the cube once.
    ///
    /// # Errors
    /// [`Error::NoDataAvailable`] when the cube holds no value at all; errors of reading and computing.
    pub fn trim(&self, opts: &ExecOptions) -> Result<Cube> {
        let planes = self.meta().values_per_pixel();
        let found = Arc::new(Mutex::new(Found {
            planes: vec![false; planes],
            extent: None,
        }));
        execute(
            self,
            Box::new(Scan {
                planes,
                found: found.clone(),
            }),
            opts,
        )?;
        let found = std::mem::take(&mut *found.lock().map_err(|_| Error::internal("trim scan poisoned"))?);
        let Some((c0, c1, r0, r1)) = found.extent else {
            return Err(Error::NoDataAvailable {
                reason: "the data cube holds no value".into(),
            });
        };
        let lens: Vec<usize> = self.meta().dims().iter().map(|d| d.len()).collect();
        let mut keep: Vec<Vec<bool>> = lens.iter().map(|&n| vec![false; n]).collect();
        for (flat, _) in found.planes.iter().enumerate().filter(|(_, any)| **any) {
            for (axis, i) in crate::io::gdal::unravel(flat, &lens).into_iter().enumerate() {
                keep[axis][i] = true;
            }
        }
        let mut cube = self.clone();
        for (axis, flags) in keep.iter().enumerate() {
            if flags.iter().any(|k| !k) {
                let indices: Vec<usize> = (0..flags.len()).filter(|&i| flags[i]).collect();
                cube = cube.select(axis, &indices)?;
            }
        }
        let grid = self.meta().grid();
        let win = Window {
            x0: c0,
            y0: r0,
            width: c1 - c0 + 1,
            height: r1 - r0 + 1,
        };
        if (win.width, win.height) != (grid.width, grid.height) {
            cube = cube.with_grid(grid.subgrid(&win))?;
        }
        Ok(cube)
    }
}
