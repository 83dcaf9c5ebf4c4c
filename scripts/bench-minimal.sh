#!/usr/bin/env bash
# openeo-local's aligned whole-image run (the bench's COG -> GTiff case, B04 and B08, mean over all dates) side by
# side with the least work that case needs (scripts/minimal-pipeline.c: pread, libdeflate, the per-cell mean, a
# raw pwrite; linked with libgdal, so the same start-up), alternately, RUNS (default 7) each; prints the median wall
# times, both as multiples of the decode floor `openeo-local bench` measures on the same tiles, and checks that
# both computed the same values.
#
#   scripts/bench-minimal.sh [DIR] [DATES]     DIR: the bench data (as `openeo-local bench --dir`), DATES: 6
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-target/bench-data}
dates=${2:-6}
bin="${CARGO_TARGET_DIR:-target}/release/openeo-local"
[ -x "$bin" ] || cargo build --release -p openeo-server
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# generates the data when missing, and measures the decode floor on its tiles
floor=$("$bin" bench --dir "$dir" --dates "$dates" --repeat 1 | grep "decode floor" | sed -E 's/.* = ([0-9.]+) s;.*/\1/')
data="$dir/4096px-${dates}dates"
# shellcheck disable=SC2046
cc -O3 -march=native scripts/minimal-pipeline.c -o "$work/minimal" $(pkg-config --cflags --libs gdal) \
  -ltiff -ldeflate -lpthread -lm
python3 - "$bin" "$work" "$data" "$floor" "${RUNS:-7}" <<'PY'
import glob, os, statistics, subprocess, sys, time

binary, work, data, floor, runs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
inputs = sorted(glob.glob(f"{data}/BENCH_*_B04.tif")) + sorted(glob.glob(f"{data}/BENCH_*_B08.tif"))
commands = {
    "openeo-local": (f"{work}/ol.tif", [binary, "run", "graph-BENCH_COG-GTiff.json", "--config", "BENCH_COG.toml",
                                        "--memory-budget", "256", "--output", f"{work}/ol.tif"]),
    "minimal pipeline": (f"{work}/minimal.raw", [f"{work}/minimal", f"{work}/minimal.raw", str(os.cpu_count())] + inputs),
}
walls = {name: [] for name in commands}
for _ in range(runs):
    for name, (out, cmd) in commands.items():
        if os.path.exists(out):
            os.remove(out)
        start = time.perf_counter()
        subprocess.run(cmd, cwd=data, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls[name].append(time.perf_counter() - start)
print(f"decode floor {floor:.3f} s ({len(inputs) // 2} dates)")
for name, w in walls.items():
    median = statistics.median(w)
    print(f"{name:17} median {median:.3f} s (min {min(w):.3f}, max {max(w):.3f}) = {median / floor:.2f} x the floor")
# the same values: openeo-local's GeoTIFF as raw rows (band after band), against the minimal pipeline's file of
# 512 px tiles (band after band, tile after tile)
subprocess.run(["gdal_translate", "-q", "-of", "ENVI", f"{work}/ol.tif", f"{work}/ol.raw"], check=True)
ours = memoryview(open(f"{work}/ol.raw", "rb").read())
theirs = memoryview(open(f"{work}/minimal.raw", "rb").read())
size = int((len(ours) // 8) ** 0.5)
n, row, tile = size // 512, 512 * 4, 512 * 512 * 4
same = len(ours) == len(theirs) and all(
    ours[((b * size + ty * 512 + r) * size + tx * 512) * 4:][:row]
    == theirs[(b * n * n + ty * n + tx) * tile + r * row :][:row]
    for b in range(2) for ty in range(n) for tx in range(n) for r in range(512)
)
print("values: " + ("the same bits" if same else "DIFFERENT"))
sys.exit(0 if same else 1)
PY
