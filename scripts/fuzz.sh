#!/usr/bin/env bash
# Builds the fuzz targets in fuzz/ (cargo-fuzz on the nightly toolchain) and runs each for SECONDS (default 60)
# from the corpus fuzz/seed.py writes; fails when any target crashes (inputs are kept in fuzz/artifacts/<target>/).
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Builds go to $OPENEO_FUZZ_TARGET_DIR (default ~/.cache/openeo-local-fuzz-target), apart from the main
# workspace's. The targets are built without a sanitizer (see README, "Fuzzing").
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
cargo_fuzz_version=0.13.2
target_dir="${OPENEO_FUZZ_TARGET_DIR:-$HOME/.cache/openeo-local-fuzz-target}"

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh needs the Rust nightly toolchain (rustup toolchain install nightly)" >&2
  exit 1
fi
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $cargo_fuzz_version" ]; then
  echo "installing cargo-fuzz $cargo_fuzz_version" >&2
  cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked --quiet
fi

# the targets' temporary directories (the http target's data directory) live until the process exits: keep them
# in one directory that is removed at the end
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export TMPDIR="$tmp"
# GDAL reports refused CRS definitions and the like on stderr: not findings, and noise in the log
export CPL_LOG=/dev/null

python3 fuzz/seed.py
cd fuzz
cargo +nightly fuzz build --sanitizer none --target-dir "$target_dir"
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list); fi
# the binaries are run directly: `cargo fuzz run` would build again, from whatever the sources are by then
bin_dir="$target_dir/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

failed=()
for t in "${targets[@]}"; do
  echo "== fuzzing $t for ${seconds}s" >&2
  dict=()
  case "$t" in graph | stac | http) dict=(-dict=corpus/json.dict) ;; esac
  mkdir -p "artifacts/$t"
  corpora=("corpus/$t")
  [ -d "regressions/$t" ] && corpora+=("regressions/$t")
  # -timeout: one input running this long counts as a crash; -rss_limit_mb: GDAL's cache and the server's state
  # need more than libFuzzer's default 2 GiB; the final statistics give the exec counts
  if ! "$bin_dir/$t" "${corpora[@]}" -artifact_prefix="artifacts/$t/" \
    -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 "${dict[@]}"; then
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz targets that crashed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzzing: ${#targets[@]} targets ran ${seconds}s each without a crash" >&2
