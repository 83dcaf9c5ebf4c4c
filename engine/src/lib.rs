//! The openeo-local engine: the data cube model, the lazy plan a process graph becomes, tiled parallel execution
//! and raster I/O.
//!
//! Data flows one way: a [`Catalog`] describes the collections; `processes` builds a [`Cube`] (metadata plus a lazy
//! plan node) from a process graph, with filters pushed down into the loads; [`execute`] cuts the output grid into
//! tiles, evaluates every tile through the whole plan on a rayon pool and hands finished tiles to a [`TileSink`]
//! (GeoTIFF/COG, netCDF or an in-memory array). Nothing here knows about HTTP or openEO JSON.
#![deny(unsafe_code)]

mod catalog;
mod cube;
mod error;
mod exec;
mod generate;
mod io;
mod plan;
pub mod simd;
mod trim;
mod vector;

pub use catalog::{Asset, AssetRef, Catalog, Collection, Item, PropertyValue, StacReader, SyntheticBand};
pub use cube::{BandInfo, Bbox, Crs, CubeMeta, Dimension, DimensionKind, Grid, Labels, Period, Window};
pub use error::{Error, Result};
pub use exec::{
    Block, ExecOptions, Progress, RunStats, THREAD_STACK_BYTES, clear_dataset_caches, execute, execute_to_memory,
};
pub use generate::{SyntheticSpec, generate, synthetic_value};
pub use io::gdal::{GdalInfo, crs_from_user, init as init_gdal, read_info, transform_bbox, transform_points};
pub use io::{
    Compression, DEFAULT_MAX_BYTES, DEFAULT_MAX_REDIRECTS, DEFAULT_TIMEOUT, Location, OutboundPolicy, OutputFormat,
    StorageConfig, TileSink, configure_storage, create_sink, delete_prefix, measure_inflate, remote_reads,
    resolve_href, stream_object, upload_file,
};
pub use plan::{Accumulator, Border, CellFn, Cube, CubeFn, MergeResolver, Polygon, Resampling, resample_grid};
pub use vector::{Geometry, VectorCube, VectorValues};
