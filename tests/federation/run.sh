#!/usr/bin/env bash
# Federation tests: the real openeo-aggregator (gunicorn, loopback) in front of two `openeo-local serve` members.
# Creates (once) a venv with the pinned aggregator and client, builds the release binary when missing,
# runs pytest.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${OPENEO_FED_VENV:-$HOME/.cache/openeo-local-fed-venv}"
# openeo 0.50.0 is pinned beside the aggregator (0.51+ breaks its result listing of cross-backend jobs);
# gunicorn 20.x because openeo-aggregator 0.47.0a1 requires gunicorn~=20.0.
requirements=(openeo-aggregator==0.47.0a1 openeo==0.50.0 pytest==8.3.3 gunicorn==20.1.0 requests==2.32.3 "moto[server]==5.2.5" boto3==1.44.8)
source tests/venv.sh
ensure_venv "$venv" "${requirements[@]}"
export_binary
export PATH="$venv/bin:$PATH"  # gunicorn
exec "$venv/bin/python" -m pytest -p no:cacheprovider -ra tests/federation "$@"
