//! openeo-local's front end: the command line (`run`, `serve`, `generate`, `bench`), the openEO HTTP API with its
//! job store, and the machinery shared by both (loading the configuration, running a process graph to files).
#![forbid(unsafe_code)]

mod admission;
pub mod cli;
mod config;
mod federation;
pub mod fixture;
mod jobs;
mod routes;
mod runner;
pub mod serve;

pub use config::{default_config_path, load_catalog};
pub use federation::RemoteConfig;
pub use runner::{
    ResultExtent, RunError, RunOutput, plan_graph, refuse_directories, result_extent, result_file_count, result_values,
    run_graph, standard_ctx, write_results,
};
