//! Reading synthetic assets: the values of [`crate::synthetic_value`] for a rectangle of the generator's grid,
//! computed on the worker thread that asks for them (no file, no GDAL). Nodata becomes NaN as in the other
//! readers, so a synthetic collection reads exactly like the files `generate` writes with the same parameters.

use crate::{Error, Grid, Result, SyntheticBand, synthetic_value};

/// Fills `buf` (exactly `width * height` values, row-major) with the rectangle `(col, row, width, height)` of the
/// generator's `grid`, `nodata` becoming NaN.
///
/// # Errors
/// [`Error::Internal`] when the rectangle leaves the grid or `buf` has the wrong length.
pub(crate) fn read_rect(
    s: &SyntheticBand,
    grid: &Grid,
    (col, row, width, height): (usize, usize, usize, usize),
    nodata: Option<f64>,
    buf: &mut [f32],
) -> Result<()> {
    let inside = col.checked_add(width).is_some_and(|c| c <= grid.width)
        && row.checked_add(height).is_some_and(|r| r <= grid.height);
    if !inside || buf.len() != width * height {
        return Err(Error::internal(format!(
            "synthetic read of {width}×{height} at ({col}, {row}) outside its {}×{} grid or buffer",
            grid.width, grid.height
        )));
    }
    let nodata = nodata.map(|v| v as f32);
    if width == 0 {
        return Ok(());
    }
    for (r, line) in buf.chunks_exact_mut(width).enumerate() {
        let y = row + r;
        for (c, dst) in line.iter_mut().enumerate() {
            let v = f32::from(synthetic_value(s.seed, s.band, s.date, col + c, y));
            *dst = if Some(v) == nodata { f32::NAN } else { v };
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Crs;

    fn grid() -> Grid {
        Grid {
            crs: Crs::new(String::new(), Some(32632)),
            transform: [0.0, 10.0, 0.0, 0.0, 0.0, -10.0],
            width: 300,
            height: 200,
        }
    }

    #[test]
    fn reads_the_generator_values_of_a_rectangle() {
        let s = SyntheticBand {
            seed: 7,
            band: 2,
            date: 1,
        };
        let mut buf = vec![0f32; 13 * 5];
        read_rect(&s, &grid(), (101, 37, 13, 5), Some(0.0), &mut buf).unwrap();
        let mut nodata = 0;
        for r in 0..5 {
            for c in 0..13 {
                let want = synthetic_value(7, 2, 1, 101 + c, 37 + r);
                let got = buf[r * 13 + c];
                if want == 0 {
                    nodata += 1;
                    assert!(got.is_nan());
                } else {
                    assert_eq!(got, f32::from(want));
                }
            }
        }
        assert!(nodata < 65);
    }

    #[test]
    fn refuses_rectangles_outside_the_grid() {
        let s = SyntheticBand {
            seed: 1,
            band: 0,
            date: 0,
        };
        let mut buf = vec![0f32; 4];
        assert!(read_rect(&s, &grid(), (299, 0, 2, 2), None, &mut buf).is_err());
        assert!(read_rect(&s, &grid(), (0, 0, 3, 2), None, &mut buf).is_err());
    }
}
