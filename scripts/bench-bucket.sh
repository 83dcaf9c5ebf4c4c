#!/usr/bin/env bash
# Reading from a bucket and over HTTP against local files: see scripts/bench-bucket.py. Uses the end-to-end test venv
# (the pinned moto server and boto3) and the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${OPENEO_E2E_VENV:-$HOME/.cache/openeo-local-e2e-venv}"
requirements=($(sed -n 's/^requirements=(\(.*\))$/\1/p' tests/e2e/run.sh | tr -d '"'))
source tests/venv.sh
ensure_venv "$venv" "${requirements[@]}"
export_binary
exec "$venv/bin/python" scripts/bench-bucket.py "$@"
