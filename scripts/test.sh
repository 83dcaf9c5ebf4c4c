#!/usr/bin/env bash
# Runs every check: formatting, clippy, and all tests (unit, integration against the bundled data).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo fmt --all --check
cargo clippy --release --workspace --all-targets -- -D warnings
cargo test --release --workspace
tests/e2e/run.sh
tests/hostile/run.sh
tests/federation/run.sh
examples/aggregator-ci/run.sh
scripts/fuzz.sh 60
