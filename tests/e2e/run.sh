#!/usr/bin/env bash
# End-to-end tests: the real openeo Python client against `openeo-local serve`.
# Creates (once) a venv with the pinned client, builds the release binary when missing, runs pytest.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${OPENEO_E2E_VENV:-$HOME/.cache/openeo-local-e2e-venv}"
requirements=(openeo==0.53.0 pytest==8.3.3 requests==2.32.3 netCDF4==1.7.2 zarr==3.1.6 numcodecs==0.16.6 "moto[server]==5.2.5" boto3==1.44.8 fsspec==2026.9.0 aiohttp==3.14.5 cryptography==50.0.2)
source tests/venv.sh
ensure_venv "$venv" "${requirements[@]}"
export_binary
exec "$venv/bin/python" -m pytest -p no:cacheprovider -ra tests/e2e "$@"
