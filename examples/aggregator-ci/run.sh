#!/usr/bin/env bash
# The example aggregator CI suite: the real openeo-aggregator (gunicorn, loopback) in front of two openeo-local
# fixture members started from one `openeo-local serve --instance ...` command.
# Creates (once) a venv with the pins of requirements.txt (the same venv and pins as tests/federation/run.sh, so
# nothing is installed twice), uses $OPENEO_LOCAL_BIN or else the release binary (built only when missing), and
# runs pytest on this directory. Extra arguments go to pytest (e.g. `-k offline -x`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ -n "${OPENEO_LOCAL_BIN:-}" ]; then  # resolved from the caller's directory
  [ -x "$OPENEO_LOCAL_BIN" ] || { echo "OPENEO_LOCAL_BIN=$OPENEO_LOCAL_BIN is not an executable" >&2; exit 1; }
  OPENEO_LOCAL_BIN="$(cd "$(dirname "$OPENEO_LOCAL_BIN")" && pwd)/$(basename "$OPENEO_LOCAL_BIN")"
  export OPENEO_LOCAL_BIN
fi
cd "$here/../.."
venv="${OPENEO_FED_VENV:-$HOME/.cache/openeo-local-fed-venv}"
requirements=()
while read -r line; do
  line="${line%%#*}"
  if [ -n "${line// /}" ]; then requirements+=("${line// /}"); fi
done <"$here/requirements.txt"
source tests/venv.sh
ensure_venv "$venv" "${requirements[@]}"
[ -n "${OPENEO_LOCAL_BIN:-}" ] || export_binary
export PATH="$venv/bin:$PATH"  # gunicorn
exec "$venv/bin/python" -m pytest -p no:cacheprovider -ra "$here" "$@"
