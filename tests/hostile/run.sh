#!/usr/bin/env bash
# Hostile-input tests: malformed and oversized requests against a real `openeo-local serve`.
# Creates (once) a venv with pytest and requests (the pins of tests/e2e), builds the release binary when missing,
# runs pytest. Extra arguments go to pytest (e.g. `-k deep`, `-x`, `--junitxml=report.xml`).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${OPENEO_HOSTILE_VENV:-$HOME/.cache/openeo-local-hostile-venv}"
requirements=(pytest==8.3.3 requests==2.32.3)
source tests/venv.sh
ensure_venv "$venv" "${requirements[@]}"
export_binary
exec "$venv/bin/python" -m pytest -p no:cacheprovider -q -ra tests/hostile "$@"
