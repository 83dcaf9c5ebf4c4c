# Sourced by the Python test runners. `ensure_venv DIR PACKAGE==VERSION ...` creates (once) a venv in DIR with the
# pinned packages, and re-creates it when the pins change.
ensure_venv() {
  local venv="$1"
  shift
  local stamp="$venv/.openeo-local-requirements"
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$*" ]; then
    echo "creating venv in $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@"
    echo "$*" >"$stamp"
  fi
}

# `export_binary`: points OPENEO_LOCAL_BIN at the release binary (absolute path). `cargo test --release`, run before
# the Python suites in scripts/test.sh, leaves a fresh one; it is built here only when there is none.
export_binary() {
  local bin="${CARGO_TARGET_DIR:-target}/release/openeo-local"
  [ -x "$bin" ] || cargo build --release -p openeo-server
  OPENEO_LOCAL_BIN="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
  export OPENEO_LOCAL_BIN
}
