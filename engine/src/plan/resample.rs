//! `resample_spatial` and `resample_cube_spatial` with the methods of `gdalwarp`: nearest neighbour moves the
//! loads onto the new grid (as grid alignment does); every other method is a node that, for each output window,
//! evaluates its input on the source window the output pixels need and interpolates (bilinear, cubic, cubic
//! spline, Lanczos: kernels widened by the downsampling factor and weights renormalised over valid pixels) or
//! aggregates the source pixels each output pixel covers (average and sum weighted by coverage; min, max,
//! median, mode, quartiles, root mean square over the pixels it touches).

use std::sync::Arc;

use super::eval::EvalCtx;
use super::{Cube, Node};
use crate::{Block, Error, Grid, Result, Window};

/// A resampling method, named as `gdalwarp -r` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resampling {
    /// Nearest neighbour.
    Near,
    /// Bilinear interpolation.
    Bilinear,
    /// Cubic convolution (Keys, a = −0.5).
    Cubic,
    /// Cubic B-spline.
    CubicSpline,
    /// Lanczos windowed sinc (3 lobes).
    Lanczos,
    /// Coverage-weighted mean.
    Average,
    /// Coverage-weighted sum.
    Sum,
    /// Root mean square.
    Rms,
    /// Minimum.
    Min,
    /// Maximum.
    Max,
    /// Median.
    Med,
    /// Most frequent value.
    Mode,
    /// First quartile.
    Q1,
    /// Third quartile.
    Q3,
}

impl Resampling {
    /// The method named `name` (`near`, `bilinear`, …).
    pub fn parse(name: &str) -> Option<Resampling> {
        Some(match name {
            "near" => Resampling::Near,
            "bilinear" => Resampling::Bilinear,
            "cubic" => Resampling::Cubic,
            "cubicspline" => Resampling::CubicSpline,
            "lanczos" => Resampling::Lanczos,
            "average" => Resampling::Average,
            "sum" => Resampling::Sum,
            "rms" => Resampling::Rms,
            "min" => Resampling::Min,
            "max" => Resampling::Max,
            "med" => Resampling::Med,
            "mode" => Resampling::Mode,
            "q1" => Resampling::Q1,
            "q3" => Resampling::Q3,
            _ => return None,
        })
    }

    /// The kernel radius of an interpolating method (in source pixels at scale 1), `None` for aggregating ones.
    fn radius(self) -> Option<f64> {
        match self {
            Resampling::Bilinear => Some(1.0),
            Resampling::Cubic | Resampling::CubicSpline => Some(2.0),
            Resampling::Lanczos => Some(3.0),
            _ => None,
        }
    }

    /// The kernel weight at distance `t` (in kernel units).
    fn weight(self, t: f64) -> f64 {
        let t = t.abs();
        match self {
            Resampling::Bilinear => (1.0 - t).max(0.0),
            Resampling::Cubic => {
                let a = -0.5;
                if t < 1.0 {
                    ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0
                } else if t < 2.0 {
                    ((a * t - 5.0 * a) * t + 8.0 * a) * t - 4.0 * a
                } else {
                    0.0
                }
            }
            Resampling::CubicSpline => {
                if t < 1.0 {
                    (4.0 - 6.0 * t * t + 3.0 * t * t * t) / 6.0
                } else if t < 2.0 {
                    (2.0 - t).powi(3) / 6.0
                } else {
                    0.0
                }
            }
            Resampling::Lanczos => {
                if t == 0.0 {
                    1.0
                } else if t < 3.0 {
                    let pt = std::f64::consts::PI * t;
                    3.0 * pt.sin() * (pt / 3.0).sin() / (pt * pt)
                } else {
                    0.0
                }
            }
            _ => 0.0,
        }
    }
}

/// Source pixel indices along one axis with their weights.
type Taps = Vec<(usize, f64)>;

#[derive(Debug)]
pub(crate) struct Resample {
    pub(crate) input: Cube,
    pub(crate) method: Resampling,
}

impl Cube {
    /// The cube on `grid`, resampled with `method` (nearest neighbour is pushed down into the loads).
    ///
    /// # Errors
    /// Only internal errors.
    pub fn resample(&self, grid: Grid, method: Resampling) -> Result<Cube> {
        if method == Resampling::Near || grid == *self.meta.grid() {
            return self.with_grid(grid);
        }
        Ok(Cube {
            meta: self.meta.with_grid(grid),
            node: Arc::new(Node::Resample(Resample {
                input: self.clone(),
                method,
            })),
        })
    }
}

/// Where the output pixels of a window fall on the source grid: fractional pixel coordinates (pixel corners are
/// whole numbers) of every output pixel centre, and half the size of an output pixel in source pixels.
struct Footprints {
    fx: Vec<f64>,
    fy: Vec<f64>,
    half: (f64, f64),
}

fn footprints(source: &Grid, target: &Grid, window: &Window) -> Result<Footprints> {
    let (mut xs, mut ys) = target.centres(window);
    if !source.crs.same_as(&target.crs) {
        crate::transform_points(&target.crs, &source.crs, &mut xs, &mut ys)?;
    }
    let [x0, dx, _, y0, _, dy] = source.transform;
    let fx: Vec<f64> = xs.iter().map(|x| (x - x0) / dx).collect();
    let fy: Vec<f64> = ys.iter().map(|y| (y - y0) / dy).collect();
    let (tdx, tdy) = target.pixel_size();
    let half = if source.crs.same_as(&target.crs) {
        ((tdx / dx).abs() / 2.0, (tdy / dy).abs() / 2.0)
    } else {
        // the mean spacing of neighbouring output centres on the source grid
        let step = |v: &[f64], stride: usize, count: usize| {
            let d: Vec<f64> = (0..count)
                .map(|i| (v[i + stride] - v[i]).abs())
                .filter(|d| d.is_finite())
                .collect();
            if d.is_empty() {
                1.0
            } else {
                d.iter().sum::<f64>() / d.len() as f64
            }
        };
        let sx = if window.width > 1 {
            step(&fx, 1, window.width - 1)
        } else {
            1.0
        };
        let sy = if window.height > 1 {
            step(&fy, window.width, window.width)
        } else {
            1.0
        };
        (sx / 2.0, sy / 2.0)
    };
    Ok(Footprints { fx, fy, half })
}

impl Resample {
    /// Source pixels around a footprint centre `f` with half-size `h`: (first, last) index and, per index, weight.
    fn taps(&self, f: f64, h: f64, n: usize) -> Taps {
        let n = n as i64;
        match self.method.radius() {
            Some(r) => {
                // kernel in centre-based coordinates, widened when downsampling
                let scale = (2.0 * h).max(1.0);
                let u = f - 0.5;
                let reach = r * scale;
                let first = (u - reach).floor() as i64 + 1;
                let last = (u + reach).floor() as i64;
                (first.max(0)..=last.min(n - 1))
                    .map(|i| (i as usize, self.method.weight((u - i as f64) / scale)))
                    .filter(|&(_, w)| w != 0.0)
                    .collect()
            }
            None => {
                // coverage of each source pixel by [f − h, f + h)
                let (lo, hi) = (f - h, f + h);
                let first = lo.floor() as i64;
                let last = (hi.ceil() as i64) - 1;
                (first.max(0)..=last.min(n - 1))
                    .map(|i| {
                        let i0 = i as f64;
                        (i as usize, (hi.min(i0 + 1.0) - lo.max(i0)).max(0.0))
                    })
                    .filter(|&(_, w)| w > 1e-9)
                    .collect()
            }
        }
    }

    /// The block of `window` of `target`.
    pub(crate) fn eval(&self, target: &Grid, window: &Window, ctx: &EvalCtx<'_>) -> Result<Block> {
        let source = self.input.meta.grid();
        let fp = footprints(source, target, window)?;
        // on the same CRS the taps of a column (row) are the same in every row (column): kept once per axis
        let same = source.crs.same_as(&target.crs);
        let axis_taps = |f: &[f64], half: f64, n: usize| -> Vec<Taps> {
            f.iter()
                .map(|&x| {
                    if x.is_finite() {
                        self.taps(x, half, n)
                    } else {
                        Vec::new()
                    }
                })
                .collect()
        };
        let taps: Vec<(Taps, Taps)> = if same {
            Vec::new()
        } else {
            fp.fx
                .iter()
                .zip(&fp.fy)
                .map(|(&x, &y)| {
                    if x.is_finite() && y.is_finite() {
                        (
                            self.taps(x, fp.half.0, source.width),
                            self.taps(y, fp.half.1, source.height),
                        )
                    } else {
                        (Vec::new(), Vec::new())
                    }
                })
                .collect()
        };
        let (col_taps, row_taps) = if same {
            let xs: Vec<f64> = fp.fx[..window.width].to_vec();
            let ys: Vec<f64> = (0..window.height).map(|r| fp.fy[r * window.width]).collect();
            (
                axis_taps(&xs, fp.half.0, source.width),
                axis_taps(&ys, fp.half.1, source.height),
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let taps_of = |k: usize| -> (&Taps, &Taps) {
            if same {
                (&col_taps[k % window.width], &row_taps[k / window.width])
            } else {
                (&taps[k].0, &taps[k].1)
            }
        };
        let planes = self.input.meta.values_per_pixel();
        let cells = window.cells();
        let mut out = vec![f32::NAN; planes * cells];
        // the source window all taps fall into
        let bounds = (0..window.cells())
            .map(taps_of)
            .filter(|(xs, ys)| !xs.is_empty() && !ys.is_empty())
            .fold(None, |acc: Option<(usize, usize, usize, usize)>, (xs, ys)| {
                let (c0, c1) = (xs[0].0, xs[xs.len() - 1].0);
                let (r0, r1) = (ys[0].0, ys[ys.len() - 1].0);
                Some(match acc {
                    None => (c0, c1, r0, r1),
                    Some((a, b, c, d)) => (a.min(c0), b.max(c1), c.min(r0), d.max(r1)),
                })
            });
        let Some((c0, c1, r0, r1)) = bounds else {
            return Block::new(self.input.meta.block_shape(window.height, window.width), out);
        };
        let piece = Window {
            x0: c0,
            y0: r0,
            width: c1 - c0 + 1,
            height: r1 - r0 + 1,
        };
        let block = self.input.eval(&piece, ctx)?;
        let v = block.values();
        let pc = piece.cells();
        let mut values: Vec<(f64, f64)> = Vec::new();
        for p in 0..planes {
            ctx.check()?;
            let src = &v[p * pc..(p + 1) * pc];
            for k in 0..cells {
                let (xs, ys) = taps_of(k);
                values.clear();
                for &(r, wy) in ys {
                    for &(c, wx) in xs {
                        let s = src[(r - r0) * piece.width + (c - c0)];
                        if !s.is_nan() {
                            values.push((f64::from(s), wx * wy));
                        }
                    }
                }
                out[p * cells + k] = self.combine(&mut values) as f32;
            }
        }
        Block::new(self.input.meta.block_shape(window.height, window.width), out)
    }

    /// One output value from the valid source values and their weights (NaN when there are none).
    fn combine(&self, values: &mut [(f64, f64)]) -> f64 {
        if values.is_empty() {
            return f64::NAN;
        }
        let weight: f64 = values.iter().map(|v| v.1).sum();
        let quantile = |values: &mut [(f64, f64)], q: f64| {
            values.sort_by(|a, b| a.0.total_cmp(&b.0));
            let pos = q * (values.len() - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            values[lo].0 + (values[hi].0 - values[lo].0) * (pos - lo as f64)
        };
        match self.method {
            Resampling::Sum => values.iter().map(|(x, w)| x * w).sum(),
            Resampling::Rms => (values.iter().map(|(x, w)| x * x * w).sum::<f64>() / weight).sqrt(),
            Resampling::Min => values.iter().map(|v| v.0).fold(f64::INFINITY, f64::min),
            Resampling::Max => values.iter().map(|v| v.0).fold(f64::NEG_INFINITY, f64::max),
            Resampling::Med => quantile(values, 0.5),
            Resampling::Q1 => quantile(values, 0.25),
            Resampling::Q3 => quantile(values, 0.75),
            Resampling::Mode => {
                values.sort_by(|a, b| a.0.total_cmp(&b.0));
                let mut best = (values[0].0, 0usize);
                let mut run = (values[0].0, 0usize);
                for &(x, _) in values.iter() {
                    run = if x == run.0 { (x, run.1 + 1) } else { (x, 1) };
                    if run.1 > best.1 {
                        best = run;
                    }
                }
                best.0
            }
            // average and the interpolating kernels: a weighted mean over the valid pixels
            _ if weight.abs() < 1e-12 => f64::NAN,
            _ => values.iter().map(|(x, w)| x * w).sum::<f64>() / weight,
        }
    }
}

/// The grid of `resample_spatial`: `crs` (or the source's), pixel size `resolution` (0: the source's, or in
/// another CRS one that keeps about the same number of pixels), covering the source's extent, with the corner
/// `align` (`upper-left`, …) on the extent's corner.
///
/// # Errors
/// [`Error::Invalid`] for a negative resolution or unknown corner; CRS transformation errors.
pub fn resample_grid(source: &Grid, crs: Option<crate::Crs>, resolution: (f64, f64), align: &str) -> Result<Grid> {
    if !(resolution.0 >= 0.0 && resolution.1 >= 0.0) {
        return Err(Error::invalid("the resolution must not be negative"));
    }
    let crs = crs.unwrap_or_else(|| source.crs.clone());
    let bbox = if crs.same_as(&source.crs) {
        source.bounds()
    } else {
        crate::transform_bbox(&source.bounds(), &source.crs, &crs)?
    };
    let (sdx, sdy) = source.pixel_size();
    let native = if crs.same_as(&source.crs) {
        (sdx.abs(), sdy.abs())
    } else {
        let r = ((bbox.east - bbox.west) * (bbox.north - bbox.south) / (source.width * source.height) as f64).sqrt();
        (r, r)
    };
    let res = (
        if resolution.0 > 0.0 { resolution.0 } else { native.0 },
        if resolution.1 > 0.0 { resolution.1 } else { native.1 },
    );
    let mut grid = Grid::covering(crs, &bbox, res);
    let (w, h) = (grid.width as f64 * res.0, grid.height as f64 * res.1);
    match align {
        "upper-left" => {}
        "upper-right" => grid.transform[0] = bbox.east - w,
        "lower-left" => grid.transform[3] = bbox.south + h,
        "lower-right" => {
            grid.transform[0] = bbox.east - w;
            grid.transform[3] = bbox.south + h;
        }
        other => return Err(Error::invalid(format!("unknown corner '{other}' for align"))),
    }
    Ok(grid)
}

#[cfg(test)]
mod tests {
    use super::Resampling;

    #[test]
    fn kernels_interpolate_exactly_at_pixel_centres() {
        for m in [Resampling::Bilinear, Resampling::Cubic, Resampling::Lanczos] {
            assert!((m.weight(0.0) - 1.0).abs() < 1e-12, "{m:?}");
            assert!(m.weight(1.0).abs() < 1e-12, "{m:?}");
            assert!(m.weight(2.0).abs() < 1e-12, "{m:?}");
        }
        // the B-spline smooths: its weights at 0 and 1 are 2/3 and 1/6
        assert!((Resampling::CubicSpline.weight(0.0) - 2.0 / 3.0).abs() < 1e-12);
        assert!((Resampling::CubicSpline.weight(1.0) - 1.0 / 6.0).abs() < 1e-12);
        assert_eq!(Resampling::parse("q3"), Some(Resampling::Q3));
        assert_eq!(Resampling::parse("nearest"), None);
    }
}
