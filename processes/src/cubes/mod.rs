//! Data cube processes: loading, filtering, reducing, applying, merging and saving. They build the engine's lazy
//! plan; no pixel is read here.

mod apply;
mod filter;
mod load;
mod load_stac;
mod merge;
mod ndvi;
mod reduce;
mod save;

use crate::registry::ProcessDef;

pub(crate) use load::spatial_extent;
pub use load_stac::stac_assets;
pub use save::output_format;

/// The processes of this family.
pub(crate) fn processes() -> Vec<ProcessDef> {
    vec![
        ProcessDef::new(include_str!("specs/load_collection.json"), load::load_collection),
        ProcessDef::new(include_str!("specs/load_stac.json"), load_stac::load_stac),
        ProcessDef::new(include_str!("specs/filter_temporal.json"), filter::filter_temporal),
        ProcessDef::new(include_str!("specs/filter_bbox.json"), filter::filter_bbox),
        ProcessDef::new(include_str!("specs/filter_bands.json"), filter::filter_bands),
        ProcessDef::new(include_str!("specs/reduce_dimension.json"), reduce::reduce_dimension),
        ProcessDef::new(include_str!("specs/apply.json"), apply::apply),
        ProcessDef::new(include_str!("specs/merge_cubes.json"), merge::merge_cubes),
        ProcessDef::new(include_str!("specs/ndvi.json"), ndvi::ndvi),
        ProcessDef::new(include_str!("specs/save_result.json"), save::save_result),
    ]
}
