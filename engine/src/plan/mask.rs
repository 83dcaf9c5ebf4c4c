//! `mask`: the mask cube is aligned onto the data's grid (nearest neighbour, as `resample_cube_spatial` does by
//! default), dimensions it lacks are broadcast, and data values are replaced where the mask is non-zero.

use std::sync::Arc;

use super::eval::EvalCtx;
use super::{Cube, Node};
use crate::{Block, Error, Result, Window};

#[derive(Debug)]
pub(crate) struct Mask {
    pub(crate) data: Cube,
    pub(crate) mask: Cube,
    /// For every flat non-spatial index of `data`, the flat index in `mask`.
    pub(crate) sources: Vec<usize>,
    /// The value masked cells get (NaN: no-data).
    pub(crate) replacement: f32,
}

impl Cube {
    /// Replaces this cube's values with `replacement` (NaN = no-data) where `mask` is non-zero and not no-data.
    /// `mask` is moved onto this cube's grid; each of its dimensions must exist here with the same labels, and
    /// dimensions it lacks are broadcast.
    ///
    /// # Errors
    /// `IncompatibleDataCubes` when a mask dimension is missing here or has other labels.
    pub fn mask(&self, mask: &Cube, replacement: f32) -> Result<Cube> {
        let mask = if mask.meta.grid() == self.meta.grid() {
            mask.clone()
        } else {
            mask.with_grid(self.meta.grid().clone())?
        };
        let (dd, md) = (self.meta.dims(), mask.meta.dims());
        // for every data axis: the mask axis with the same name, if any
        let mut map: Vec<Option<usize>> = Vec::with_capacity(dd.len());
        for d in dd {
            let m = md.iter().position(|x| x.name() == d.name());
            if let Some(i) = m
                && md[i].labels().to_strings() != d.labels().to_strings()
            {
                return Err(Error::coded(
                    "IncompatibleDataCubes",
                    format!(
                        "mask: dimension '{}' has other labels in the mask than in the data",
                        d.name()
                    ),
                ));
            }
            map.push(m);
        }
        if let Some(extra) = md.iter().find(|m| !dd.iter().any(|d| d.name() == m.name())) {
            return Err(Error::coded(
                "IncompatibleDataCubes",
                format!("mask: the mask has dimension '{}' that the data lacks", extra.name()),
            ));
        }
        let lens: Vec<usize> = dd.iter().map(|d| d.len()).collect();
        let mask_lens: Vec<usize> = md.iter().map(|d| d.len()).collect();
        let total: usize = lens.iter().product();
        let sources = (0..total)
            .map(|flat| {
                let idx = crate::io::gdal::unravel(flat, &lens);
                let mut m = vec![0usize; md.len()];
                for (ax, &i) in idx.iter().enumerate() {
                    if let Some(mi) = map[ax] {
                        m[mi] = i;
                    }
                }
                m.iter().zip(&mask_lens).fold(0, |acc, (&i, &n)| acc * n + i)
            })
            .collect();
        Ok(Cube {
            meta: self.meta.clone(),
            node: Arc::new(Node::Mask(Mask {
                data: self.clone(),
                mask,
                sources,
                replacement,
            })),
        })
    }
}

impl Mask {
    /// The data block of `window` with the masked cells replaced.
    pub(crate) fn eval(&self, window: &Window, ctx: &EvalCtx<'_>) -> Result<Block> {
        let data = self.data.eval(window, ctx)?;
        let mask = self.mask.eval(window, ctx)?;
        let cells = window.cells();
        let shape = data.shape().to_vec();
        let Block(arr) = data;
        let mut values = arr.into_raw_vec_and_offset().0;
        let m = mask.values();
        for (k, &src) in self.sources.iter().enumerate() {
            let Some(lane) = m.get(src * cells..(src + 1) * cells) else {
                return Err(Error::internal("mask lane out of range"));
            };
            for (v, &mv) in values[k * cells..(k + 1) * cells].iter_mut().zip(lane) {
                if mv != 0.0 && !mv.is_nan() {
                    *v = self.replacement;
                }
            }
        }
        Block::new(shape, values)
    }
}
