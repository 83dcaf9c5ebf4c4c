"""Shared by the Python test suites: free loopback ports, waiting for and stopping servers, and raster comparison
with GDAL's CLI tools."""
import json
import math
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(proc, url, log_path, what, seconds=30):
    """Waits until `url` answers 2xx; fails the test with the log when `proc` exits or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not ready after {seconds} s:\n{log_path.read_text()}")
        time.sleep(0.2)


def terminate(proc):
    """Stops a process politely, then firmly."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def band_xyz(path: Path, band: str) -> str:
    """One band of a raster as GDAL XYZ text (x y value per pixel centre)."""
    if path.suffix == ".nc":
        args = [f'NETCDF:"{path}":{band}']
    else:
        info = json.loads(subprocess.run(["gdalinfo", "-json", str(path)], check=True,
                                         capture_output=True, text=True).stdout)
        names = [b.get("description") for b in info["bands"]]
        assert band in names, f"{path.name}: band {band} not in {names}"
        args = ["-b", str(names.index(band) + 1), str(path)]
    out = subprocess.run(["gdal_translate", "-q", "-of", "XYZ", *args, "/vsistdout/"],
                         check=True, capture_output=True, text=True)
    return out.stdout


def assert_same_raster(actual: Path, expected: Path, bands):
    """Every value of `bands` equal, and the expected raster mostly valid (so the comparison means something)."""
    for band in bands:
        got, want = band_xyz(actual, band), band_xyz(expected, band)
        values = [float(line.split()[2]) for line in want.splitlines()]
        finite = [v for v in values if not math.isnan(v)]
        assert len(finite) > len(values) // 2, f"{expected.name}:{band} is mostly nodata"
        assert got == want, f"{actual.name}:{band} differs from `openeo-local run` output {expected.name}"
