//! openEO processes for openeo-local: the process-graph evaluator, the process registry, and one module per
//! process family, each process with its metadata JSON (what `GET /processes` serves) next to its code.
//!
//! A graph is evaluated once at the top level, which builds a lazy [`openeo_engine::Cube`] plan; callbacks
//! (reducers, `apply`, merge resolvers) become engine [`openeo_engine::CellFn`]s that evaluate their graph on whole
//! tiles at once (vectorised over the cells).
#![forbid(unsafe_code)]

mod arrays;
mod comparison;
mod cubes;
pub use cubes::{output_format, stac_assets, stac_collection};
mod dates;
mod development;
mod error;
mod graph;
mod logic;
mod math;
mod output;
mod registry;
#[cfg(test)]
mod testutil;
mod texts;
mod value;
mod vector;

pub use error::{Error, Result};
pub use graph::{
    Ctx, Evaluation, MAX_DEPTH, MAX_NODES, ProcessGraph, SaveData, SaveRequest, UdpLookup, check, evaluate, from_nodes,
    udp_cycle, validate,
};
pub use output::{
    cube_json, file_count, format_file_info, value_json, value_text, write_json, write_save, write_value,
};
pub use registry::{ProcessDef, Registry};
pub use value::Value;
pub use vector::VectorData;
