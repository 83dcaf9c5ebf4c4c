//! Handing tiles to the writer on the output's own lattice: when the computed tiles follow the source blocks, the
//! writer thread copies them into the tiles the sinks expect (squares from the grid's origin, matching the blocks
//! and chunks of the files they write) and passes each on as soon as it is complete.

use std::collections::HashMap;

use crate::{Block, Error, Result, Window};

/// Re-cuts computed tiles onto a regular lattice of `side × side` tiles from the grid's origin.
pub(super) struct Retiler {
    side: usize,
    /// Grid width and height.
    size: (usize, usize),
    /// Output tiles started but not complete, by (column, row) on the lattice: values and cells filled so far.
    pending: HashMap<(usize, usize), (Vec<f32>, usize)>,
}

impl Retiler {
    pub(super) fn new(side: usize, (width, height): (usize, usize)) -> Retiler {
        Retiler {
            side: side.max(1),
            size: (width, height),
            pending: HashMap::new(),
        }
    }

    /// The output tile at lattice position `(tx, ty)`.
    fn target(&self, (tx, ty): (usize, usize)) -> Window {
        let (x0, y0) = (tx * self.side, ty * self.side);
        Window {
            x0,
            y0,
            width: self.side.min(self.size.0 - x0),
            height: self.side.min(self.size.1 - y0),
        }
    }

    /// Takes the computed tile `block` of `window` and returns the output tiles it completes.
    pub(super) fn add(&mut self, window: Window, block: Block) -> Result<Vec<(Window, Block)>> {
        let s = self.side;
        if window.cells() == 0 {
            return Ok(Vec::new());
        }
        let (tx0, tx1) = (window.x0 / s, (window.x0 + window.width - 1) / s);
        let (ty0, ty1) = (window.y0 / s, (window.y0 + window.height - 1) / s);
        // a computed tile that is exactly an output tile passes through
        if (tx0, ty0) == (tx1, ty1) && self.target((tx0, ty0)) == window {
            return Ok(vec![(window, block)]);
        }
        let shape = block.shape();
        let lead = shape[..shape.len().saturating_sub(2)].to_vec();
        let planes: usize = lead.iter().product();
        let src = block.values();
        if src.len() != planes * window.cells() {
            return Err(Error::internal("a computed tile does not match its window"));
        }
        let mut done = Vec::new();
        for ty in ty0..=ty1 {
            for tx in tx0..=tx1 {
                let t = self.target((tx, ty));
                let (x0, x1) = (window.x0.max(t.x0), (window.x0 + window.width).min(t.x0 + t.width));
                let (y0, y1) = (window.y0.max(t.y0), (window.y0 + window.height).min(t.y0 + t.height));
                let entry = self
                    .pending
                    .entry((tx, ty))
                    .or_insert_with(|| (vec![f32::NAN; planes * t.cells()], 0));
                let (dst, filled) = entry;
                for p in 0..planes {
                    for y in y0..y1 {
                        let from = p * window.cells() + (y - window.y0) * window.width + (x0 - window.x0);
                        let to = p * t.cells() + (y - t.y0) * t.width + (x0 - t.x0);
                        dst[to..to + (x1 - x0)].copy_from_slice(&src[from..from + (x1 - x0)]);
                    }
                }
                *filled += (x1 - x0) * (y1 - y0);
                if *filled == t.cells()
                    && let Some((values, _)) = self.pending.remove(&(tx, ty))
                {
                    let mut shape = lead.clone();
                    shape.extend([t.height, t.width]);
                    done.push((t, Block::new(shape, values)?));
                }
            }
        }
        Ok(done)
    }

    /// Checks that every output tile was completed.
    pub(super) fn finish(&self) -> Result<()> {
        if self.pending.is_empty() {
            Ok(())
        } else {
            Err(Error::internal(format!(
                "{} output tiles were not completed",
                self.pending.len()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values of pixel (x, y) of plane p.
    fn value(p: usize, x: usize, y: usize) -> f32 {
        (p * 1_000_000 + y * 1000 + x) as f32
    }

    fn block(w: &Window, planes: usize) -> Block {
        let mut v = Vec::new();
        for p in 0..planes {
            for y in w.y0..w.y0 + w.height {
                v.extend((w.x0..w.x0 + w.width).map(|x| value(p, x, y)));
            }
        }
        Block::new(vec![planes, w.height, w.width], v).unwrap()
    }

    #[test]
    fn shifted_tiles_come_out_on_the_origin_lattice() {
        let (width, height) = (130, 70);
        let mut r = Retiler::new(32, (width, height));
        let mut out = Vec::new();
        // computed tiles of 48 × 40 with edges at column 10 and row 5
        for (y0, h) in [(0, 5), (5, 40), (45, 25)] {
            for (x0, w) in [(0, 10), (10, 48), (58, 48), (106, 24)] {
                let win = Window {
                    x0,
                    y0,
                    width: w,
                    height: h,
                };
                out.extend(r.add(win, block(&win, 2)).unwrap());
            }
        }
        r.finish().unwrap();
        // 5 × 3 output tiles, each once, with the right values
        assert_eq!(out.len(), 15);
        let mut seen: Vec<(usize, usize)> = out.iter().map(|(w, _)| (w.x0, w.y0)).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 15);
        for (w, b) in &out {
            assert_eq!((w.x0 % 32, w.y0 % 32), (0, 0));
            assert_eq!(b, &block(w, 2), "{w:?}");
        }
    }

    #[test]
    fn tiles_on_the_lattice_pass_through_and_gaps_are_reported() {
        let mut r = Retiler::new(32, (40, 40));
        let w = Window {
            x0: 32,
            y0: 0,
            width: 8,
            height: 32,
        };
        assert_eq!(r.add(w, block(&w, 1)).unwrap(), vec![(w, block(&w, 1))]);
        let part = Window {
            x0: 0,
            y0: 0,
            width: 10,
            height: 10,
        };
        assert!(r.add(part, block(&part, 1)).unwrap().is_empty());
        assert!(r.finish().is_err());
    }
}
