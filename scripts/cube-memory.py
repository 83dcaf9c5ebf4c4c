#!/usr/bin/env python3
"""Peak memory of the cube processes on the benchmark data: each graph runs with `openeo-local run` on the
4096 x 4096 x 4 bands x 6 dates COGs that `openeo-local bench` generates, and its wall time and peak RSS are
printed next to the memory budget + 20 %.

    scripts/cube-memory.py [--data DIR] [--budget MIB] [--bin PATH] [--only TEXT]

DIR is a directory of `S2_T32TPS_<date>_<band>.tif` files (default: the COG directory `openeo-local bench`
keeps under target/bench-data/medium/cog, or $HOME/.cache/openeo-local-bench/medium/cog).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def graph(process_nodes, result, fmt="netCDF"):
    """A graph loading the whole benchmark collection, then `process_nodes`, saving node `result`."""
    nodes = {"load": {"process_id": "load_collection", "arguments": {"id": "BENCH", "spatial_extent": None,
                                                                     "temporal_extent": None}}}
    nodes.update(process_nodes)
    nodes["save"] = {"process_id": "save_result", "arguments": {"data": {"from_node": result}, "format": fmt},
                     "result": True}
    return {"process_graph": nodes}


def callback(process_id, **arguments):
    return {"process_graph": {"p": {"process_id": process_id, "arguments": arguments, "result": True}}}


DATA = {"from_parameter": "data"}
KERNEL = [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
SQUARE = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": name}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    for name, ring in [
        ("west", [[10.40, 46.65], [10.55, 46.65], [10.55, 46.85], [10.40, 46.85], [10.40, 46.65]]),
        ("east", [[10.60, 46.70], [10.75, 46.70], [10.68, 46.88], [10.60, 46.70]]),
    ]]}

GRAPHS = {
    "apply_kernel 3x3": graph({"k": {"process_id": "apply_kernel", "arguments": {
        "data": {"from_node": "load"}, "kernel": KERNEL, "factor": 1 / 16}}}, "k"),
    "aggregate_temporal_period dekad median": graph({"a": {"process_id": "aggregate_temporal_period", "arguments": {
        "data": {"from_node": "load"}, "period": "dekad", "reducer": callback("median", data=DATA)}}}, "a"),
    "resample_spatial 20 m average": graph({"r": {"process_id": "resample_spatial", "arguments": {
        "data": {"from_node": "load"}, "resolution": 20, "method": "average"}}}, "r"),
    "mask by a band threshold": graph({
        "b08": {"process_id": "filter_bands", "arguments": {"data": {"from_node": "load"}, "bands": ["B08"]}},
        "m": {"process_id": "apply", "arguments": {"data": {"from_node": "b08"}, "process": callback(
            "gt", x={"from_parameter": "x"}, y=1500)}},
        "one": {"process_id": "drop_dimension", "arguments": {"data": {"from_node": "m"}, "name": "bands"}},
        "masked": {"process_id": "mask", "arguments": {"data": {"from_node": "load"}, "mask": {"from_node": "one"}}},
    }, "masked"),
    "apply_dimension t sort": graph({"s": {"process_id": "apply_dimension", "arguments": {
        "data": {"from_node": "load"}, "dimension": "t", "process": callback("sort", data=DATA)}}}, "s"),
    "apply_neighborhood 512 px + 16 overlap, kernel inside": graph({"n": {"process_id": "apply_neighborhood",
        "arguments": {"data": {"from_node": "load"}, "process": callback(
            "apply_kernel", data=DATA, kernel=KERNEL, factor=1 / 16),
            "size": [{"dimension": "x", "value": 512, "unit": "px"}, {"dimension": "y", "value": 512, "unit": "px"}],
            "overlap": [{"dimension": "x", "value": 16, "unit": "px"}, {"dimension": "y", "value": 16, "unit": "px"}]}}},
        "n"),
    "aggregate_spatial mean over two polygons": graph({"z": {"process_id": "aggregate_spatial", "arguments": {
        "data": {"from_node": "load"}, "geometries": SQUARE, "reducer": callback("mean", data=DATA)}}}, "z", "CSV"),
}


def default_data():
    for d in [REPO / "target/bench-data/medium/cog", Path.home() / ".cache/openeo-local-bench/medium/cog"]:
        if d.is_dir():
            return d
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=default_data())
    p.add_argument("--budget", type=int, default=256)
    p.add_argument("--only", help="run only the graphs whose name contains this text")
    p.add_argument("--bin", type=Path, default=Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
                   / "release/openeo-local")
    a = p.parse_args()
    if a.data is None or not a.data.is_dir():
        sys.exit("no benchmark data: run `openeo-local bench` first or give --data")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "collections.toml").write_text(
            '[[collections]]\nid = "BENCH"\n'
            f'source = {{ kind = "files", glob = "{a.data}/S2_*.tif", '
            "pattern = '_(?P<date>\\d{8})_(?P<band>B\\d\\d)\\.tif$' }\n"
            'bands = [{ name = "B02", nodata = 0 }, { name = "B03", nodata = 0 }, { name = "B04", nodata = 0 }, '
            '{ name = "B08", nodata = 0 }]\n')
        limit = a.budget * 1.2
        print(f"data {a.data}, memory budget {a.budget} MiB (limit +20 %: {limit:.0f} MiB)")
        failed = False
        for name, g in GRAPHS.items():
            if a.only and a.only not in name:
                continue
            path = tmp / "graph.json"
            path.write_text(json.dumps(g))
            out = tmp / ("out.csv" if g["process_graph"]["save"]["arguments"]["format"] == "CSV" else "out.nc")
            run = subprocess.run(["/usr/bin/time", "-f", "%e %M", str(a.bin), "run", str(path), "-o", str(out),
                                  "--config", str(tmp / "collections.toml"), "--memory-budget", str(a.budget)],
                                 capture_output=True, text=True)
            if run.returncode != 0:
                print(f"{name:55} failed: {run.stderr.strip().splitlines()[-2:]}")
                failed = True
                continue
            seconds, kib = run.stderr.strip().splitlines()[-1].split()
            mib = int(kib) / 1024
            verdict = "ok" if mib <= limit else "OVER"
            failed |= mib > limit
            print(f"{name:55} {float(seconds):6.1f} s  peak RSS {mib:6.0f} MiB  {verdict}")
        sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
