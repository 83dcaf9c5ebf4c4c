//! The `openeo-local` binary: parses the command line and dispatches to the subcommands.

use clap::Parser;

/// mimalloc gives freed memory back to the system within milliseconds, so a server's resident memory returns to
/// its baseline after large requests instead of staying at its peak in per-thread arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = openeo_server::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    std::process::exit(openeo_server::cli::main(cli));
}
