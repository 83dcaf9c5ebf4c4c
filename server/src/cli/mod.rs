//! The command line: `run`, `serve`, `hash-password`, `generate`, `bench`.

mod bench;
mod generate;
mod run;
mod serve;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// openeo-local: a self-contained openEO back-end.
#[derive(Debug, Parser)]
#[command(name = "openeo-local", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Execute a process graph (a `/result` request body or a bare process graph) and write the result.
    Run(run::RunArgs),
    /// Serve the openEO HTTP API.
    Serve(serve::ServeArgs),
    /// Print an argon2 hash of a password, for the `users` of the server configuration.
    HashPassword(serve::HashArgs),
    /// Write deterministic synthetic Sentinel-2-like COGs and netCDF.
    Generate(generate::GenerateArgs),
    /// Generate benchmark data and time the seed graph from COG and from netCDF input.
    Bench(bench::BenchArgs),
}

/// Common engine settings.
#[derive(Debug, clap::Args)]
pub(crate) struct EngineArgs {
    /// Collection configuration (TOML); default: testdata/collections.toml.
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Memory the tiles in flight may use, in MiB.
    #[arg(long, default_value_t = 256)]
    pub(crate) memory_budget: usize,
    /// GDAL block cache, in MiB.
    #[arg(long, default_value_t = 64)]
    pub(crate) gdal_cache: usize,
}

/// Runs the parsed command line and returns the process exit code.
pub fn main(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Run(a) => on_big_stack(move || run::run(&a)),
        Command::Serve(a) => serve::serve(&a),
        Command::HashPassword(a) => serve::hash(&a),
        Command::Generate(a) => generate::generate(&a),
        Command::Bench(a) => bench::bench(&a),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{}", serde_json::json!({"code": e.code, "message": e.message}));
            if e.client { 2 } else { 1 }
        }
    }
}

/// Runs `f` on a thread with the stack the engine asks for (deep graphs recurse while they are evaluated).
fn on_big_stack(f: impl FnOnce() -> Result<(), crate::RunError> + Send + 'static) -> Result<(), crate::RunError> {
    let failed = |message: String| crate::RunError {
        code: "Internal".into(),
        message,
        client: false,
    };
    std::thread::Builder::new()
        .name("run".into())
        .stack_size(openeo_engine::THREAD_STACK_BYTES)
        .spawn(f)
        .map_err(|e| failed(format!("cannot start the run thread: {e}")))?
        .join()
        .map_err(|_| failed("the run failed unexpectedly; see the log".into()))?
}

/// Peak resident memory of this process in KiB (Linux), for benchmark reports.
pub(crate) fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
