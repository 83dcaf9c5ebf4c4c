//! Spatial grids (CRS + affine geotransform + size), pixel windows and bounding boxes.

use super::Crs;

/// A bounding box in some CRS.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bbox {
    /// Minimum x.
    pub west: f64,
    /// Minimum y.
    pub south: f64,
    /// Maximum x.
    pub east: f64,
    /// Maximum y.
    pub north: f64,
}

impl Bbox {
    /// The smallest box containing both.
    pub fn union(&self, o: &Bbox) -> Bbox {
        Bbox {
            west: self.west.min(o.west),
            south: self.south.min(o.south),
            east: self.east.max(o.east),
            north: self.north.max(o.north),
        }
    }

    /// True when the boxes share some area.
    pub fn intersects(&self, o: &Bbox) -> bool {
        self.west < o.east && o.west < self.east && self.south < o.north && o.south < self.north
    }
}

/// A rectangle of pixels in a grid: column `x0`, row `y0`, `width` × `height`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    /// First column.
    pub x0: usize,
    /// First row.
    pub y0: usize,
    /// Number of columns.
    pub width: usize,
    /// Number of rows.
    pub height: usize,
}

impl Window {
    /// Number of pixels.
    pub fn cells(&self) -> usize {
        self.width * self.height
    }
}

/// A north-up raster grid: CRS, GDAL geotransform (no rotation) and size in pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// The grid's CRS.
    pub crs: Crs,
    /// GDAL geotransform `[x0, dx, 0, y0, 0, dy]` (dy < 0 for north-up).
    pub transform: [f64; 6],
    /// Number of columns.
    pub width: usize,
    /// Number of rows.
    pub height: usize,
}

/// Tolerance, in pixels, for deciding that two grids share a pixel lattice.
const LATTICE_TOLERANCE: f64 = 1e-6;

impl Grid {
    /// The north-up grid whose pixel centres are `xs` (ascending) by `ys` (descending), evenly spaced to within
    /// 1e-6 of the step. An axis with a single centre takes the other axis's step; when neither has two, `step` (or
    /// `None`). `None` as well for centres that are not evenly spaced in those directions.
    pub fn from_centres(xs: &[f64], ys: &[f64], crs: Crs, step: Option<f64>) -> Option<Grid> {
        let first_step = |c: &[f64]| (c.len() > 1).then(|| c[1] - c[0]);
        let dx = first_step(xs).or_else(|| first_step(ys).map(f64::abs)).or(step)?;
        let dy = first_step(ys).unwrap_or(-dx.abs());
        let even = |c: &[f64], d: f64| c.windows(2).all(|w| ((w[1] - w[0]) - d).abs() <= 1e-6 * d.abs());
        let (&x0, &y0) = (xs.first()?, ys.first()?);
        (dx > 0.0 && dy < 0.0 && even(xs, dx) && even(ys, dy)).then(|| Grid {
            crs,
            transform: [x0 - dx / 2.0, dx, 0.0, y0 - dy / 2.0, 0.0, dy],
            width: xs.len(),
            height: ys.len(),
        })
    }

    /// True when the grid has no pixel (the grid of a cube without spatial dimensions).
    pub fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0
    }

    /// Pixel size `(dx, dy)`; `dy` is negative for north-up grids.
    pub fn pixel_size(&self) -> (f64, f64) {
        (self.transform[1], self.transform[5])
    }

    /// The outer bounds of the grid.
    pub fn bounds(&self) -> Bbox {
        let [x0, dx, _, y0, _, dy] = self.transform;
        let x1 = x0 + dx * self.width as f64;
        let y1 = y0 + dy * self.height as f64;
        Bbox {
            west: x0.min(x1),
            east: x0.max(x1),
            south: y0.min(y1),
            north: y0.max(y1),
        }
    }

    /// The whole grid as a window.
    pub fn full_window(&self) -> Window {
        Window {
            x0: 0,
            y0: 0,
            width: self.width,
            height: self.height,
        }
    }

    /// x coordinate of the centre of column `i`.
    pub fn x_center(&self, i: usize) -> f64 {
        self.transform[0] + (i as f64 + 0.5) * self.transform[1]
    }

    /// y coordinate of the centre of row `j`.
    pub fn y_center(&self, j: usize) -> f64 {
        self.transform[3] + (j as f64 + 0.5) * self.transform[5]
    }

    /// The centre coordinates of the pixels of `window`, row by row.
    pub fn centres(&self, window: &Window) -> (Vec<f64>, Vec<f64>) {
        let n = window.cells();
        let (mut xs, mut ys) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for r in 0..window.height {
            let y = self.y_center(window.y0 + r);
            for c in 0..window.width {
                xs.push(self.x_center(window.x0 + c));
                ys.push(y);
            }
        }
        (xs, ys)
    }

    /// The pixels whose centres lie inside `bbox` (given in this grid's CRS), edges included; `None` when empty.
    pub fn window_for_bbox(&self, bbox: &Bbox) -> Option<Window> {
        let (c0, c1) = centre_range(self.transform[0], self.transform[1], bbox.west, bbox.east, self.width)?;
        let (r0, r1) = centre_range(
            self.transform[3],
            self.transform[5],
            bbox.south,
            bbox.north,
            self.height,
        )?;
        Some(Window {
            x0: c0,
            y0: r0,
            width: c1 - c0 + 1,
            height: r1 - r0 + 1,
        })
    }

    /// The grid covering only `win`.
    pub fn subgrid(&self, win: &Window) -> Grid {
        let mut t = self.transform;
        t[0] += win.x0 as f64 * t[1];
        t[3] += win.y0 as f64 * t[5];
        Grid {
            crs: self.crs.clone(),
            transform: t,
            width: win.width,
            height: win.height,
        }
    }

    /// When `other` lies on the same pixel lattice (same CRS and pixel size, origin offset by whole pixels),
    /// the position of `other`'s origin in this grid's pixels.
    pub fn lattice_offset(&self, other: &Grid) -> Option<(i64, i64)> {
        if !self.crs.same_as(&other.crs) {
            return None;
        }
        let (dx, dy) = self.pixel_size();
        let (odx, ody) = other.pixel_size();
        if ((dx - odx) / dx).abs() > 1e-9 || ((dy - ody) / dy).abs() > 1e-9 {
            return None;
        }
        let fx = (other.transform[0] - self.transform[0]) / dx;
        let fy = (other.transform[3] - self.transform[3]) / dy;
        let (rx, ry) = (fx.round(), fy.round());
        if (fx - rx).abs() > LATTICE_TOLERANCE || (fy - ry).abs() > LATTICE_TOLERANCE {
            return None;
        }
        Some((rx as i64, ry as i64))
    }

    /// A grid with pixel size `res` (positive, in CRS units) covering `bbox`, snapped outwards to whole pixels.
    pub fn covering(crs: Crs, bbox: &Bbox, res: (f64, f64)) -> Grid {
        let width = (((bbox.east - bbox.west) / res.0) - 1e-9).ceil().max(1.0) as usize;
        let height = (((bbox.north - bbox.south) / res.1) - 1e-9).ceil().max(1.0) as usize;
        Grid {
            crs,
            transform: [bbox.west, res.0, 0.0, bbox.north, 0.0, -res.1],
            width,
            height,
        }
    }
}

/// Indices `k` of cells along one axis whose centres `o + (k + 0.5) s` lie in `[lo, hi]`, clamped to `0..n`.
fn centre_range(o: f64, s: f64, lo: f64, hi: f64, n: usize) -> Option<(usize, usize)> {
    let eps = 1e-9;
    let (a, b) = if s > 0.0 {
        ((lo - o) / s, (hi - o) / s)
    } else {
        ((hi - o) / s, (lo - o) / s)
    };
    let first = (a - 0.5 - eps).ceil().max(0.0);
    let last = (b - 0.5 + eps).floor().min(n as f64 - 1.0);
    if !first.is_finite() || !last.is_finite() || last < first {
        return None;
    }
    Some((first as usize, last as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        Grid {
            crs: Crs::new(String::new(), Some(32632)),
            transform: [100.0, 10.0, 0.0, 500.0, 0.0, -10.0],
            width: 10,
            height: 10,
        }
    }

    #[test]
    fn bbox_selects_pixels_by_centre() {
        // centres at 105, 115, ...; a box from 110 to 125 holds the centres 115 and 125
        let w = grid()
            .window_for_bbox(&Bbox {
                west: 110.0,
                east: 125.0,
                south: 480.0,
                north: 495.0,
            })
            .unwrap();
        assert_eq!((w.x0, w.width), (1, 2));
        // y centres 495, 485, ...: 495 and 485 are inside [480, 495]
        assert_eq!((w.y0, w.height), (0, 2));
    }

    #[test]
    fn bbox_outside_is_none() {
        assert!(
            grid()
                .window_for_bbox(&Bbox {
                    west: 0.0,
                    east: 50.0,
                    south: 0.0,
                    north: 50.0
                })
                .is_none()
        );
        // a box between two centres holds no pixel
        assert!(
            grid()
                .window_for_bbox(&Bbox {
                    west: 106.0,
                    east: 114.0,
                    south: 400.0,
                    north: 500.0
                })
                .is_none()
        );
    }

    #[test]
    fn lattice_offset_detects_alignment() {
        let g = grid();
        let sub = g.subgrid(&Window {
            x0: 3,
            y0: 2,
            width: 4,
            height: 4,
        });
        assert_eq!(g.lattice_offset(&sub), Some((3, 2)));
        let mut shifted = sub.clone();
        shifted.transform[0] += 5.0;
        assert_eq!(g.lattice_offset(&shifted), None);
    }
}
