//! openeo-local's front end: the command line (`run`, `generate`, `bench`) and the machinery shared by the CLI
//! and the HTTP API (loading the configuration, running a process graph to files).
#![forbid(unsafe_code)]

pub mod cli;
mod config;
mod runner;

pub use config::{default_config_path, load_catalog};
pub use runner::{RunError, RunOutput, run_graph};
