//! `mask_polygon` and `filter_spatial`: a pixel is inside when its centre lies in a polygon (even-odd rule, holes
//! excluded), decided per window after moving the pixel centres into the polygons' CRS.

use std::sync::Arc;

use super::eval::EvalCtx;
use super::{Cube, Node};
use crate::{Bbox, Block, Crs, Result, Window};

/// A polygon: its exterior ring and its holes, each a closed or open list of `(x, y)` vertices.
#[derive(Clone, Debug, PartialEq)]
pub struct Polygon {
    /// The outer boundary.
    pub exterior: Vec<(f64, f64)>,
    /// Holes inside it.
    pub holes: Vec<Vec<(f64, f64)>>,
}

impl Polygon {
    /// The bounding box of the exterior ring.
    pub fn bbox(&self) -> Bbox {
        let mut b = Bbox {
            west: f64::INFINITY,
            south: f64::INFINITY,
            east: f64::NEG_INFINITY,
            north: f64::NEG_INFINITY,
        };
        for &(x, y) in &self.exterior {
            b.west = b.west.min(x);
            b.east = b.east.max(x);
            b.south = b.south.min(y);
            b.north = b.north.max(y);
        }
        b
    }

    /// True when `(x, y)` lies inside the exterior ring and outside every hole.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        in_ring(&self.exterior, x, y) && !self.holes.iter().any(|h| in_ring(h, x, y))
    }
}

/// Even-odd ray casting.
fn in_ring(ring: &[(f64, f64)], x: f64, y: f64) -> bool {
    let mut inside = false;
    let n = ring.len();
    for i in 0..n {
        let (xi, yi) = ring[i];
        let (xj, yj) = ring[(i + n - 1) % n];
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
    }
    inside
}

#[derive(Debug)]
pub(crate) struct PolygonMask {
    pub(crate) input: Cube,
    pub(crate) polygons: Arc<Vec<(Polygon, Bbox)>>,
    pub(crate) crs: Crs,
    /// Replace the pixels inside (true) or outside (false) the polygons.
    pub(crate) inside: bool,
    pub(crate) replacement: f32,
}

impl Cube {
    /// Replaces with `replacement` (NaN = no-data) the values of pixels whose centres lie outside every polygon,
    /// or with `inside` those whose centres lie inside one. `polygons` are in `crs`.
    pub fn mask_polygons(&self, polygons: Vec<Polygon>, crs: Crs, inside: bool, replacement: f32) -> Cube {
        let polygons = polygons.into_iter().map(|p| {
            let b = p.bbox();
            (p, b)
        });
        Cube {
            meta: self.meta.clone(),
            node: Arc::new(Node::Polygons(PolygonMask {
                input: self.clone(),
                polygons: Arc::new(polygons.collect()),
                crs,
                inside,
                replacement,
            })),
        }
    }
}

impl PolygonMask {
    /// The input block of `window` with the replaced pixels.
    pub(crate) fn eval(&self, window: &Window, ctx: &EvalCtx<'_>) -> Result<Block> {
        let block = self.input.eval(window, ctx)?;
        let grid = self.input.meta.grid();
        let cells = window.cells();
        let (mut xs, mut ys) = grid.centres(window);
        crate::transform_points(&grid.crs, &self.crs, &mut xs, &mut ys)?;
        let replace: Vec<bool> = xs
            .iter()
            .zip(&ys)
            .map(|(&x, &y)| {
                let hit = self
                    .polygons
                    .iter()
                    .any(|(p, b)| x >= b.west && x <= b.east && y >= b.south && y <= b.north && p.contains(x, y));
                hit == self.inside
            })
            .collect();
        let shape = block.shape().to_vec();
        let Block(arr) = block;
        let mut values = arr.into_raw_vec_and_offset().0;
        for plane in values.chunks_mut(cells) {
            for (v, &r) in plane.iter_mut().zip(&replace) {
                if r {
                    *v = self.replacement;
                }
            }
        }
        Block::new(shape, values)
    }
}

#[cfg(test)]
mod tests {
    use super::Polygon;

    #[test]
    fn holes_are_outside() {
        let square = |a: f64, b: f64| vec![(a, a), (b, a), (b, b), (a, b), (a, a)];
        let p = Polygon {
            exterior: square(0.0, 10.0),
            holes: vec![square(4.0, 6.0)],
        };
        assert!(p.contains(1.0, 1.0));
        assert!(!p.contains(5.0, 5.0));
        assert!(!p.contains(11.0, 5.0));
        assert_eq!((p.bbox().west, p.bbox().north), (0.0, 10.0));
    }
}
