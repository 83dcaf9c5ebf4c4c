//! Data cube processes: loading, filtering, reducing, applying, merging and saving. They build the engine's lazy
//! plan; no pixel is read here.

mod aggregate;
mod aggregate_spatial;
mod apply;
mod apply_dimension;
mod cell_fns;
mod climate;
mod dimensions;
mod filter;
#[cfg(test)]
mod fixture;
mod geojson;
mod kernel;
mod load;
mod load_stac;
mod mask;
mod merge;
mod ndvi;
mod pieces;
mod reduce;
mod resample;
mod save;
mod temporal;

use crate::registry::ProcessDef;

pub(crate) use load::spatial_extent;
pub use load_stac::{stac_assets, stac_collection};
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
        ProcessDef::new(
            include_str!("specs/aggregate_temporal.json"),
            aggregate::aggregate_temporal,
        ),
        ProcessDef::new(
            include_str!("specs/aggregate_temporal_period.json"),
            aggregate::aggregate_temporal_period,
        ),
        ProcessDef::new(include_str!("specs/mask.json"), mask::mask),
        ProcessDef::new(include_str!("specs/mask_polygon.json"), mask::mask_polygon),
        ProcessDef::new(include_str!("specs/filter_spatial.json"), mask::filter_spatial),
        ProcessDef::new(include_str!("specs/apply_kernel.json"), kernel::apply_kernel),
        ProcessDef::new(
            include_str!("specs/apply_dimension.json"),
            apply_dimension::apply_dimension,
        ),
        ProcessDef::new(
            include_str!("specs/aggregate_spatial.json"),
            aggregate_spatial::aggregate_spatial,
        ),
        ProcessDef::new(include_str!("specs/filter_labels.json"), filter::filter_labels),
        ProcessDef::new(
            include_str!("specs/resample_cube_temporal.json"),
            temporal::resample_cube_temporal,
        ),
        ProcessDef::new(
            include_str!("specs/climatological_normal.json"),
            climate::climatological_normal,
        ),
        ProcessDef::new(include_str!("specs/anomaly.json"), climate::anomaly),
        ProcessDef::new(include_str!("specs/trim_cube.json"), dimensions::trim_cube),
        ProcessDef::new(
            include_str!("specs/apply_neighborhood.json"),
            pieces::apply_neighborhood,
        ),
        ProcessDef::new(include_str!("specs/apply_polygon.json"), pieces::apply_polygon),
        ProcessDef::new(include_str!("specs/resample_spatial.json"), resample::resample_spatial),
        ProcessDef::new(
            include_str!("specs/resample_cube_spatial.json"),
            resample::resample_cube_spatial,
        ),
        ProcessDef::new(
            include_str!("specs/create_data_cube.json"),
            dimensions::create_data_cube,
        ),
        ProcessDef::new(include_str!("specs/add_dimension.json"), dimensions::add_dimension),
        ProcessDef::new(include_str!("specs/drop_dimension.json"), dimensions::drop_dimension),
        ProcessDef::new(
            include_str!("specs/rename_dimension.json"),
            dimensions::rename_dimension,
        ),
        ProcessDef::new(include_str!("specs/rename_labels.json"), dimensions::rename_labels),
        ProcessDef::new(
            include_str!("specs/dimension_labels.json"),
            dimensions::dimension_labels,
        ),
    ]
}

/// An engine error with its own openEO code.
pub(crate) fn coded(code: &'static str, message: impl Into<String>) -> crate::Error {
    openeo_engine::Error::Coded {
        code,
        message: message.into(),
    }
    .into()
}
