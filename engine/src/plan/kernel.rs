//! `apply_kernel`: a weighted 2D kernel over `y` and `x`. Each window asks its input for a halo of half the kernel
//! size around it; beyond the grid's edges the `border` mode says which pixels (or which constant) stand in, and
//! the input is evaluated only on the pieces of the grid those pixels come from.

use std::sync::Arc;

use super::eval::EvalCtx;
use super::{Cube, Node};
use crate::{Block, Error, Result, Window};

/// How data is extended beyond the grid's edges (`abcdefgh` is a row of pixels).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Border {
    /// `nnnn|abcdefgh|nnnn`
    Constant(f32),
    /// `aaaa|abcdefgh|hhhh`
    Replicate,
    /// `dcba|abcdefgh|hgfe`
    Reflect,
    /// `edcb|abcdefgh|gfed`
    ReflectPixel,
    /// `efgh|abcdefgh|abcd`
    Wrap,
}

impl Border {
    /// The source index of padded index `i` on an axis of `n` pixels (`None`: the constant).
    fn source(self, i: i64, n: usize) -> Option<usize> {
        let n = n as i64;
        if (0..n).contains(&i) {
            return Some(i as usize);
        }
        let mut i = i;
        let src = match self {
            Border::Constant(_) => return None,
            Border::Replicate => i.clamp(0, n - 1),
            Border::Wrap => i.rem_euclid(n),
            Border::Reflect | Border::ReflectPixel => {
                let edge = i64::from(self == Border::ReflectPixel);
                if n == 1 {
                    return Some(0);
                }
                // reflect until inside (a halo may be wider than the grid)
                while !(0..n).contains(&i) {
                    i = if i < 0 { -i - 1 + edge } else { 2 * n - i - 1 - edge };
                }
                i
            }
        };
        Some(src as usize)
    }
}

#[derive(Debug)]
pub(crate) struct Kernel {
    pub(crate) input: Cube,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    /// Row-major weights, already multiplied by the factor.
    pub(crate) weights: Vec<f32>,
    pub(crate) border: Border,
    /// What no-data, NaN and infinite input values count as.
    pub(crate) replace_invalid: f32,
}

impl Cube {
    /// Applies the kernel `weights` (rows of equal, odd length; the outer level runs along `y`) times `factor` to
    /// every plane of the cube.
    ///
    /// # Errors
    /// `KernelDimensionsUneven` for an even size; [`Error::Invalid`] for an empty or ragged kernel.
    pub fn kernel(&self, weights: &[Vec<f64>], factor: f64, border: Border, replace_invalid: f64) -> Result<Cube> {
        let rows = weights.len();
        let cols = weights.first().map_or(0, Vec::len);
        if rows == 0 || cols == 0 || weights.iter().any(|r| r.len() != cols) {
            return Err(Error::invalid(
                "the kernel must be a non-empty array of rows of equal length",
            ));
        }
        if rows.is_multiple_of(2) || cols.is_multiple_of(2) {
            return Err(Error::coded(
                "KernelDimensionsUneven",
                format!("the kernel is {rows} × {cols}; each of its dimensions must have an odd number of elements"),
            ));
        }
        Ok(Cube {
            meta: self.meta.clone(),
            node: Arc::new(Node::Kernel(Kernel {
                input: self.clone(),
                rows,
                cols,
                weights: weights.iter().flatten().map(|&w| (w * factor) as f32).collect(),
                border,
                replace_invalid: replace_invalid as f32,
            })),
        })
    }
}

/// The contiguous runs of sorted, distinct indices: (first, length).
fn runs(sorted: &[usize]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &i in sorted {
        match out.last_mut() {
            Some((start, len)) if *start + *len == i => *len += 1,
            _ => out.push((i, 1)),
        }
    }
    out
}

/// Source indices of the padded axis `[start - halo, start + len + halo)` on an axis of `n` pixels, and the
/// runs of the grid they come from.
fn axis_sources(
    border: Border,
    start: usize,
    len: usize,
    halo: usize,
    n: usize,
) -> (Vec<Option<usize>>, Vec<(usize, usize)>) {
    let src: Vec<Option<usize>> = (0..len + 2 * halo)
        .map(|k| border.source(start as i64 + k as i64 - halo as i64, n))
        .collect();
    let mut needed: Vec<usize> = src.iter().flatten().copied().collect();
    needed.sort_unstable();
    needed.dedup();
    (src, runs(&needed))
}

impl Kernel {
    /// The convolved block of `window`.
    pub(crate) fn eval(&self, window: &Window, ctx: &EvalCtx<'_>) -> Result<Block> {
        let grid = self.input.meta.grid();
        let (hy, hx) = (self.rows / 2, self.cols / 2);
        let (row_src, row_runs) = axis_sources(self.border, window.y0, window.height, hy, grid.height);
        let (col_src, col_runs) = axis_sources(self.border, window.x0, window.width, hx, grid.width);
        let planes = self.input.meta.values_per_pixel();
        let (ph, pw) = (window.height + 2 * hy, window.width + 2 * hx);
        // the padded planes: the input where the border maps onto the grid, the constant elsewhere
        let fill = match self.border {
            Border::Constant(c) => c,
            _ => f32::NAN,
        };
        let mut padded = vec![fill; planes * ph * pw];
        for &(r0, rn) in &row_runs {
            for &(c0, cn) in &col_runs {
                let piece = Window {
                    x0: c0,
                    y0: r0,
                    width: cn,
                    height: rn,
                };
                let block = self.input.eval(&piece, ctx)?;
                let v = block.values();
                for (pr, src_r) in row_src.iter().enumerate() {
                    let Some(sr) = src_r.filter(|r| (r0..r0 + rn).contains(r)) else {
                        continue;
                    };
                    for (pc, src_c) in col_src.iter().enumerate() {
                        let Some(sc) = src_c.filter(|c| (c0..c0 + cn).contains(c)) else {
                            continue;
                        };
                        for p in 0..planes {
                            padded[(p * ph + pr) * pw + pc] = v[(p * rn + sr - r0) * cn + sc - c0];
                        }
                    }
                }
            }
        }
        for v in &mut padded {
            if !v.is_finite() {
                *v = self.replace_invalid;
            }
        }
        let (h, w) = (window.height, window.width);
        let mut out = vec![0f32; planes * h * w];
        for p in 0..planes {
            ctx.check()?;
            let src = &padded[p * ph * pw..(p + 1) * ph * pw];
            let dst = &mut out[p * h * w..(p + 1) * h * w];
            for (i, row) in self.weights.chunks(self.cols).enumerate() {
                for (j, &k) in row.iter().enumerate() {
                    if k == 0.0 {
                        continue;
                    }
                    for r in 0..h {
                        let s = &src[(r + i) * pw + j..(r + i) * pw + j + w];
                        for (d, &x) in dst[r * w..(r + 1) * w].iter_mut().zip(s) {
                            *d += k * x;
                        }
                    }
                }
            }
        }
        Block::new(self.input.meta.block_shape(h, w), out)
    }
}

#[cfg(test)]
mod tests {
    use super::Border;

    #[test]
    fn borders_map_outside_indices_as_the_specification_draws_them() {
        // abcdefgh = 0..8; two pixels beyond each edge
        let map = |b: Border| -> Vec<Option<usize>> { (-2..10).map(|i| b.source(i, 8)).collect() };
        let s = |v: &[usize]| v.iter().map(|&i| Some(i)).collect::<Vec<_>>();
        assert_eq!(map(Border::Replicate), s(&[0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 7, 7]));
        assert_eq!(map(Border::Reflect), s(&[1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 7, 6]));
        assert_eq!(map(Border::ReflectPixel), s(&[2, 1, 0, 1, 2, 3, 4, 5, 6, 7, 6, 5]));
        assert_eq!(map(Border::Wrap), s(&[6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1]));
        assert_eq!(Border::Constant(0.0).source(-1, 8), None);
        // a halo wider than the axis
        assert_eq!(Border::Reflect.source(-5, 2), Some(0));
        assert_eq!(Border::ReflectPixel.source(4, 1), Some(0));
    }
}
