//! Processes applied to pieces of a cube (`apply_neighborhood`, `apply_polygon`): the process layer turns a
//! sub-cube into a cube ([`CubeFn`]), and each output window is assembled from the pieces it meets, each piece's
//! result evaluated only where the window needs it.

use std::sync::Arc;

use super::eval::EvalCtx;
use super::polygons::Polygon;
use super::{Cube, Node};
use crate::{Block, Crs, Error, Grid, Result, Window};

/// A process from cube to cube, supplied by the process layer (a callback graph with a `data` cube parameter).
pub trait CubeFn: Send + Sync + std::fmt::Debug {
    /// The result for `cube`: a plan over it, of the same dimensions and grid.
    ///
    /// # Errors
    /// Any error of the process.
    fn apply(&self, cube: Cube) -> Result<Cube>;
}

/// How the pieces lie: neighbourhoods on a regular lattice, or one piece per polygon.
#[derive(Debug)]
pub(crate) enum Layout {
    /// Neighbourhoods of `size` pixels (columns, rows) at multiples of `size` from the grid origin, each handed to
    /// the process with `overlap` more pixels on every side.
    Neighborhoods {
        size: (usize, usize),
        overlap: (usize, usize),
    },
    /// One piece per polygon (in `crs`): its pixels' extent, pixels outside the polygon set to `mask_value`.
    Polygons {
        polygons: Arc<Vec<Polygon>>,
        crs: Crs,
        /// Per polygon, its pixel extent on the grid (column, row, width, height), `None` outside.
        extents: Vec<Option<Window>>,
        mask_value: f32,
    },
}

#[derive(Debug)]
pub(crate) struct Pieces {
    pub(crate) input: Cube,
    pub(crate) f: Arc<dyn CubeFn>,
    pub(crate) layout: Layout,
}

/// The grid of the pixels `[col, col + w) × [row, row + h)` of `grid` (possibly beyond its edges).
fn shifted(grid: &Grid, col: i64, row: i64, w: usize, h: usize) -> Grid {
    let mut t = grid.transform;
    t[0] += col as f64 * t[1];
    t[3] += row as f64 * t[5];
    Grid {
        crs: grid.crs.clone(),
        transform: t,
        width: w,
        height: h,
    }
}

impl Cube {
    /// `f` on neighbourhoods of `size` pixels with `overlap` pixels around them (no-data beyond the grid); only
    /// each neighbourhood's own pixels are kept.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty size; errors of `f` on the first neighbourhood (tried while planning).
    pub fn apply_neighborhoods(
        &self,
        f: Arc<dyn CubeFn>,
        size: (usize, usize),
        overlap: (usize, usize),
    ) -> Result<Cube> {
        if size.0 == 0 || size.1 == 0 {
            return Err(Error::invalid("the neighbourhood size must be at least one pixel"));
        }
        let cube = Cube {
            meta: self.meta.clone(),
            node: Arc::new(Node::Pieces(Pieces {
                input: self.clone(),
                f,
                layout: Layout::Neighborhoods { size, overlap },
            })),
        };
        cube.probe()?;
        Ok(cube)
    }

    /// `f` on one piece per polygon (pixels whose centres lie inside; `mask_value` for the other pixels of the
    /// piece); pixels outside every polygon are no-data.
    ///
    /// # Errors
    /// CRS errors; errors of `f` on the first piece (tried while planning).
    pub fn apply_polygons(
        &self,
        f: Arc<dyn CubeFn>,
        polygons: Vec<Polygon>,
        crs: Crs,
        mask_value: f32,
    ) -> Result<Cube> {
        let grid = self.meta.grid();
        let extents = polygons
            .iter()
            .map(|p| {
                let b = crate::transform_bbox(&p.bbox(), &crs, &grid.crs)?;
                Ok(grid.window_for_bbox(&b))
            })
            .collect::<Result<Vec<_>>>()?;
        let cube = Cube {
            meta: self.meta.clone(),
            node: Arc::new(Node::Pieces(Pieces {
                input: self.clone(),
                f,
                layout: Layout::Polygons {
                    polygons: Arc::new(polygons),
                    crs,
                    extents,
                    mask_value,
                },
            })),
        };
        cube.probe()?;
        Ok(cube)
    }

    /// Builds the first piece's plan, so that a process that fails or changes the cube's shape is reported while
    /// planning.
    fn probe(&self) -> Result<()> {
        let Node::Pieces(p) = self.node.as_ref() else {
            return Ok(());
        };
        let first = match &p.layout {
            Layout::Neighborhoods { .. } => Some(0),
            Layout::Polygons { extents, .. } => extents.iter().position(Option::is_some),
        };
        if let Some(i) = first {
            let (_, piece) = p.piece(i, self.meta.grid())?;
            p.result(piece)?;
        }
        Ok(())
    }
}

impl Pieces {
    /// Piece `i`: the grid window of its own pixels (in the cube's pixels) and the sub-cube handed to the process.
    fn piece(&self, i: usize, grid: &Grid) -> Result<(Window, Cube)> {
        match &self.layout {
            Layout::Neighborhoods { size, overlap } => {
                let per_row = grid.width.div_ceil(size.0);
                let (cx, cy) = (i % per_row, i / per_row);
                let own = Window {
                    x0: cx * size.0,
                    y0: cy * size.1,
                    width: size.0.min(grid.width - cx * size.0),
                    height: size.1.min(grid.height - cy * size.1),
                };
                let sub = shifted(
                    grid,
                    own.x0 as i64 - overlap.0 as i64,
                    own.y0 as i64 - overlap.1 as i64,
                    size.0 + 2 * overlap.0,
                    size.1 + 2 * overlap.1,
                );
                let piece = self.input.with_grid(sub.clone())?;
                let b = grid.bounds();
                if sub.bounds().west >= b.west
                    && sub.bounds().east <= b.east
                    && sub.bounds().south >= b.south
                    && sub.bounds().north <= b.north
                {
                    return Ok((own, piece));
                }
                // beyond the cube's edges the overlap is no-data
                let extent = Polygon {
                    exterior: vec![
                        (b.west, b.south),
                        (b.east, b.south),
                        (b.east, b.north),
                        (b.west, b.north),
                    ],
                    holes: Vec::new(),
                };
                Ok((
                    own,
                    piece.mask_polygons(vec![extent], grid.crs.clone(), false, f32::NAN),
                ))
            }
            Layout::Polygons {
                polygons,
                crs,
                extents,
                mask_value,
            } => {
                let own = extents[i].ok_or_else(|| Error::internal("a polygon outside the grid"))?;
                let sub = self.input.with_grid(grid.subgrid(&own))?;
                let masked = sub.mask_polygons(vec![polygons[i].clone()], crs.clone(), false, *mask_value);
                Ok((own, masked))
            }
        }
    }

    /// The process' result for a piece, checked to keep the piece's dimensions and grid.
    fn result(&self, piece: Cube) -> Result<Cube> {
        let (dims, grid) = (piece.meta.dims().to_vec(), piece.meta.grid().clone());
        let out = self.f.apply(piece)?;
        if out.meta.dims() != dims.as_slice() || *out.meta.grid() != grid {
            return Err(Error::coded(
                "DataCubePropertiesImmutable",
                "the process must return a data cube with the dimensions, labels and grid it was given",
            ));
        }
        Ok(out)
    }

    /// The pieces (by index) whose own pixels meet `window`.
    fn pieces_in(&self, window: &Window, grid: &Grid) -> Vec<usize> {
        let meets = |w: &Window| {
            w.x0 < window.x0 + window.width
                && window.x0 < w.x0 + w.width
                && w.y0 < window.y0 + window.height
                && window.y0 < w.y0 + w.height
        };
        match &self.layout {
            Layout::Neighborhoods { size, .. } => {
                let per_row = grid.width.div_ceil(size.0);
                let (c0, c1) = (window.x0 / size.0, (window.x0 + window.width - 1) / size.0);
                let (r0, r1) = (window.y0 / size.1, (window.y0 + window.height - 1) / size.1);
                (r0..=r1)
                    .flat_map(|r| (c0..=c1).map(move |c| r * per_row + c))
                    .collect()
            }
            Layout::Polygons { extents, .. } => (0..extents.len())
                .filter(|&i| extents[i].as_ref().is_some_and(meets))
                .collect(),
        }
    }

    /// The block of `window` of `grid`, assembled from the pieces.
    pub(crate) fn eval(&self, meta: &crate::CubeMeta, window: &Window, ctx: &EvalCtx<'_>) -> Result<Block> {
        let grid = meta.grid();
        let planes = meta.values_per_pixel();
        let cells = window.cells();
        let mut out = vec![f32::NAN; planes * cells];
        let mut claimed = vec![false; cells];
        let polygons = matches!(self.layout, Layout::Polygons { .. });
        for i in self.pieces_in(window, grid) {
            ctx.check()?;
            let (own, piece) = self.piece(i, grid)?;
            let result = self.result(piece)?;
            // the part of the piece's own pixels inside the window, in the piece's result grid
            let (x0, x1) = (
                own.x0.max(window.x0),
                (own.x0 + own.width).min(window.x0 + window.width),
            );
            let (y0, y1) = (
                own.y0.max(window.y0),
                (own.y0 + own.height).min(window.y0 + window.height),
            );
            let pad = match &self.layout {
                Layout::Neighborhoods { overlap, .. } => *overlap,
                Layout::Polygons { .. } => (0, 0),
            };
            let part = Window {
                x0: x0 - own.x0 + pad.0,
                y0: y0 - own.y0 + pad.1,
                width: x1 - x0,
                height: y1 - y0,
            };
            let block = result.eval(&part, ctx)?;
            let inside = if polygons {
                self.inside(i, grid, x0, y0, &part)?
            } else {
                vec![true; part.cells()]
            };
            let v = block.values();
            for r in 0..part.height {
                for c in 0..part.width {
                    let k = r * part.width + c;
                    if !inside[k] {
                        continue;
                    }
                    let dst = (y0 - window.y0 + r) * window.width + (x0 - window.x0 + c);
                    if polygons && std::mem::replace(&mut claimed[dst], true) {
                        return Err(Error::coded(
                            "GeometriesOverlap",
                            "a pixel lies in more than one of the polygons",
                        ));
                    }
                    for p in 0..planes {
                        out[p * cells + dst] = v[p * part.cells() + k];
                    }
                }
            }
        }
        Block::new(meta.block_shape(window.height, window.width), out)
    }

    /// The same pieces for the cube moved onto `grid` (polygon extents found again).
    pub(crate) fn on_grid(&self, grid: &Grid) -> Result<Pieces> {
        let layout = match &self.layout {
            Layout::Neighborhoods { size, overlap } => Layout::Neighborhoods {
                size: *size,
                overlap: *overlap,
            },
            Layout::Polygons {
                polygons,
                crs,
                mask_value,
                ..
            } => Layout::Polygons {
                extents: polygons
                    .iter()
                    .map(|p| Ok(grid.window_for_bbox(&crate::transform_bbox(&p.bbox(), crs, &grid.crs)?)))
                    .collect::<Result<Vec<_>>>()?,
                polygons: polygons.clone(),
                crs: crs.clone(),
                mask_value: *mask_value,
            },
        };
        Ok(Pieces {
            input: self.input.with_grid(grid.clone())?,
            f: self.f.clone(),
            layout,
        })
    }

    /// Which pixels of `part` (at column `x0`, row `y0` of `grid`) have their centre in polygon `i`.
    fn inside(&self, i: usize, grid: &Grid, x0: usize, y0: usize, part: &Window) -> Result<Vec<bool>> {
        let Layout::Polygons { polygons, crs, .. } = &self.layout else {
            return Ok(vec![true; part.cells()]);
        };
        let (mut xs, mut ys) = grid.centres(&Window {
            x0,
            y0,
            width: part.width,
            height: part.height,
        });
        crate::transform_points(&grid.crs, crs, &mut xs, &mut ys)?;
        Ok(xs.iter().zip(&ys).map(|(&x, &y)| polygons[i].contains(x, y)).collect())
    }
}
