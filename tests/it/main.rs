//! End-to-end tests: process graphs run on the bundled data, results checked against independent computations
//! (direct GDAL reads and plain loops).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod blocks;
mod errors;
mod outputs;
mod seed;
mod stac;
mod synthetic;
mod util;
