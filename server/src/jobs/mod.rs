//! Batch jobs: the durable store (SQLite) and the runner (bounded worker slots, cancellation, restart recovery).

mod runner;
mod store;

pub(crate) use runner::{PARTIAL_RESULTS, Runner, results_dir};
pub(crate) use store::{Job, JobStatus, Store, level_rank, now};
