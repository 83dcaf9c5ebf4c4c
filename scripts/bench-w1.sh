#!/usr/bin/env bash
# W1 side by side with the Python reference (openeo-processes-dask), through the kit in ../shared/bench (W1_KIT
# changes it): every case with openeo-local's default output, then with the reference's output compression
# (GTiff DEFLATE, netCDF zlib level 4), printing the median ratios at the end.
#
#   scripts/bench-w1.sh [SIZE:INPUT:OUTPUT ...]
#
# Default cases: medium:cog:tif medium:nc:nc large:cog:nc large:nc:tif (SIZE medium = 4096², large = 10980²; the
# kit generates missing data: medium about 1.5 min and 1.2 GB, large about 8 min and 8.3 GB). RUNS (default 5) runs
# per engine and case. Needs the reference venv (made by the kit's setup-dask-venv.sh when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
kit="${W1_KIT:-../shared/bench}"
bin="${CARGO_TARGET_DIR:-target}/release/openeo-local"
[ -x "$bin" ] || cargo build --release -p openeo-server
[ -x "${VENV:-$HOME/.cache/openeo-local-dask-venv}/bin/python" ] || bash "$kit/setup-dask-venv.sh"
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(medium:cog:tif medium:nc:nc large:cog:nc large:nc:tif)
summary=()
for c in "${cases[@]}"; do
  IFS=: read -r size input output <<<"$c"
  if [ "$output" = tif ]; then
    matching="--save-option compress=deflate"
  else
    matching="--save-option compress=deflate --save-option zlevel=4"
  fi
  for mode in default matching; do
    extra=()
    [ "$mode" = matching ] && extra=(--ol-args "$matching")
    echo "== W1 $size $input -> $output, $mode output compression" >&2
    out=$(python3 "$kit/w1.py" "$size" "$input" "$output" --runs "${RUNS:-5}" --bin "$bin" "${extra[@]}" | tee -a /dev/stderr)
    walls=""
    for engine in "openeo-local" "dask reference"; do
      # "<engine>  5/5  min / median / max  rss min / median / max": the first triple is the wall time
      median=$(grep -E "^$engine +[0-9]+/[0-9]+ " <<<"$out" | grep -oE "[0-9.]+ / [0-9.]+ / [0-9.]+" | head -1 | awk '{print $3}')
      walls+="$engine ${median:-?} s; "
    done
    ratio=$(grep "median ratio" <<<"$out" | sed 's/.*: //')
    summary+=("W1 $size $input -> $output, $mode output: $walls ratio $ratio")
  done
done
printf '%s\n' "${summary[@]}"
