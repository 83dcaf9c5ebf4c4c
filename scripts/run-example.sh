#!/usr/bin/env bash
# Sets up and builds openeo-local, runs the seed process graphs on the bundled data (results in out/), then serves
# the openEO API on http://127.0.0.1:8080/openeo/1.2 with the bundled collections (users alice/secret, bob/secret2).
# Stop the server with Ctrl-C. Pass --no-serve to stop after the example runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release -p openeo-server
bin="${CARGO_TARGET_DIR:-target}/release/openeo-local"
mkdir -p out
"$bin" run examples/seed.json --output out/seed.nc
"$bin" run examples/seed_gtiff.json --output out/seed.tif
"$bin" run examples/seed_two_grids.json --output out/seed_two_grids.nc
echo "results are in out/"
if [ "${1:-}" != "--no-serve" ]; then
  exec "$bin" serve
fi
