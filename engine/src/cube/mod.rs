//! The metadata model of a data cube: CRS, spatial grid, typed dimensions and labels.
//!
//! A [`CubeMeta`] describes what a plan node produces: its non-spatial dimensions in order (time, bands, others),
//! followed by the two spatial axes `y` and `x` of its [`Grid`]. Labels are typed ([`Labels`]): instants for time,
//! [`BandInfo`] for bands, strings for anything else; code works with [`DimensionKind`], never with names.

mod crs;
mod dims;
mod grid;
mod meta;

pub use crs::Crs;
pub use dims::{BandInfo, Dimension, DimensionKind, Labels, Period};
pub use grid::{Bbox, Grid, Window};
pub use meta::CubeMeta;
