"""Reading from a bucket: the mean over all dates of all four bands (B02, B03, B04, B08; the whole 4096² image, to
GeoTIFF) of `openeo-local bench`'s COGs (4096² × 4 bands × 6 dates) from local files, from an S3 bucket (a moto server
on 127.0.0.1) and over HTTP range requests, printing wall time, MB/s received, requests per output tile and the CPU
time the servers (in this Python process) spent, which shows when they are the bottleneck. Each run loads the whole
collections file (all three collections), which costs LOCAL a little too.

    scripts/bench-bucket.sh [--data DIR] [--repeat N]

Run through scripts/bench-bucket.sh (it makes the venv and the release binary)."""

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from range_server import RangeServer  # noqa: E402
from s3_server import start_s3  # noqa: E402

PATTERN = r"_(?P<date>\d{8})_(?P<band>B\d\d)\.tif$"
NAMES = ["B02", "B03", "B04", "B08"]
BANDS = "[" + ", ".join(f'{{ name = "{b}", nodata = 0 }}' for b in NAMES) + "]"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path.home() / ".cache/openeo-local-bench/seed/4096px-6dates")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    binary = Path(os.environ["OPENEO_LOCAL_BIN"])
    if not list(a.data.glob("BENCH_*_B04.tif")):
        subprocess.run([str(binary), "bench", "--size", "4096", "--dates", "6", "--repeat", "1",
                        "--dir", str(a.data.parent)], check=True)
    cogs = sorted(a.data.glob("BENCH_*_B0[2348].tif"))
    moto, endpoint, s3 = start_s3("bench")
    for f in cogs:
        s3.upload_file(str(f), "bench", f"cogs/{f.name}")
    http = RangeServer(a.data)
    dates = sorted({re.search(r"_(\d{8})_", f.name).group(1) for f in cogs})
    items = {"type": "FeatureCollection", "links": [], "features": [
        {"type": "Feature", "stac_version": "1.0.0", "id": d, "geometry": None, "links": [],
         "properties": {"datetime": f"{d[:4]}-{d[4:6]}-{d[6:]}T00:00:00Z"},
         "assets": {b: {"href": f"{http.url}/BENCH_{d}_{b}.tif", "roles": ["data"]} for b in NAMES}}
        for d in dates]}
    work = Path(tempfile.mkdtemp(prefix="bench-bucket-"))
    (work / "items.json").write_text(json.dumps(items))
    (work / "collections.toml").write_text(f"""
[storage]
s3_endpoint = "{endpoint}"
s3_access_key_id = "testing"
s3_secret_access_key = "testing"

[[collections]]
id = "LOCAL"
source = {{ kind = "files", glob = "{a.data}/BENCH_*.tif", pattern = '{PATTERN}' }}
bands = {BANDS}

[[collections]]
id = "BUCKET"
source = {{ kind = "files", glob = "s3://bench/cogs/BENCH_*.tif", pattern = '{PATTERN}' }}
bands = {BANDS}

[[collections]]
id = "HTTP"
source = {{ kind = "stac", url = "{work}/items.json" }}
bands = {BANDS}
""")
    stored = sum(f.stat().st_size for f in cogs)
    print(f"data: {len(cogs)} COGs ({len(NAMES)} bands × {len(dates)} dates), {stored / 1e6:.0f} MB stored", flush=True)
    print(f"{'source':<8} {'wall s':>7} {'MB/s':>7} {'requests':>9} {'tiles':>6} {'req/tile':>9} {'MB recv':>8} "
          f"{'server CPU s':>13}")
    try:
        for collection in ["LOCAL", "BUCKET", "HTTP"]:
            graph = {"process_graph": {
                "load": {"process_id": "load_collection", "arguments": {"id": collection, "bands": NAMES}},
                "mean": {"process_id": "reduce_dimension", "arguments": {
                    "data": {"from_node": "load"}, "dimension": "t", "reducer": {"process_graph": {"m": {
                        "process_id": "mean", "arguments": {"data": {"from_parameter": "data"}}, "result": True}}}}},
                "save": {"process_id": "save_result", "arguments": {"data": {"from_node": "mean"}, "format": "GTiff"},
                         "result": True}}}
            (work / "graph.json").write_text(json.dumps(graph))
            runs = []
            for i in range(a.repeat):
                out = work / f"out-{collection}-{i}.tif"
                t0, cpu0 = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF)
                p = subprocess.run([str(binary), "run", "graph.json", "--config", "collections.toml", "--explain",
                                    "-o", str(out)], cwd=work, capture_output=True, text=True, check=True)
                wall = time.monotonic() - t0
                cpu1 = resource.getrusage(resource.RUSAGE_SELF)
                server_cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
                tiles = int(re.search(r"(\d+) tiles \(", p.stderr).group(1))
                m = re.search(r"(\d+) remote range requests, ([\d.]+) MiB received", p.stderr)
                requests, mib = (int(m.group(1)), float(m.group(2))) if m else (0, stored / 2**20)
                runs.append((wall, requests, tiles, mib, server_cpu))
            wall, requests, tiles, mib, server_cpu = sorted(runs)[len(runs) // 2]
            mb = mib * 2**20 / 1e6
            print(f"{collection:<8} {wall:>7.2f} {mb / wall:>7.0f} {requests:>9} {tiles:>6} "
                  f"{requests / tiles:>9.2f} {mb:>8.0f} {server_cpu:>13.2f}", flush=True)
    finally:
        http.stop()
        moto.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
