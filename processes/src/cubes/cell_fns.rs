//! Cell functions the cube processes use internally: the mean of the valid inputs, the first valid input, and the
//! difference of two inputs.

use openeo_engine::CellFn;

/// The mean of the valid inputs of each cell (no-data when none is valid).
#[derive(Debug)]
pub(super) struct Mean;

impl CellFn for Mean {
    fn call(&self, inputs: &[&[f32]], len: usize) -> openeo_engine::Result<Vec<f32>> {
        crate::math::reduce_lanes("mean", inputs, len, true).ok_or_else(|| openeo_engine::Error::Internal {
            message: "the mean reducer is missing".into(),
        })
    }
}

/// The first valid input of each cell, in input order (no-data when none is valid).
#[derive(Debug)]
pub(super) struct FirstValid;

impl CellFn for FirstValid {
    fn call(&self, inputs: &[&[f32]], len: usize) -> openeo_engine::Result<Vec<f32>> {
        Ok((0..len)
            .map(|i| {
                inputs
                    .iter()
                    .map(|lane| lane[i])
                    .find(|v| !v.is_nan())
                    .unwrap_or(f32::NAN)
            })
            .collect())
    }
}

/// `x − y` per cell (the inputs of a merge resolver).
#[derive(Debug)]
pub(super) struct Difference;

impl CellFn for Difference {
    fn call(&self, inputs: &[&[f32]], len: usize) -> openeo_engine::Result<Vec<f32>> {
        let [x, y] = inputs else {
            return Err(openeo_engine::Error::Internal {
                message: "a difference needs two inputs".into(),
            });
        };
        Ok((0..len).map(|i| x[i] - y[i]).collect())
    }
}
