#!/usr/bin/env bash
# Sets up, builds, and runs the seed process graph on the bundled data, writing netCDF and GeoTIFF results.
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
