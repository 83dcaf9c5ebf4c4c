"""Shared by the end-to-end tests: the release binary, and an `openeo-local serve` on the bundled data with the
real `openeo` client connected to it (user alice)."""

import os
import subprocess
import sys
from pathlib import Path

import openeo
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pytest_support import free_port, terminate, wait_ready  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BIN = Path(
    os.environ.get("OPENEO_LOCAL_BIN")
    or REPO / os.environ.get("CARGO_TARGET_DIR", "target") / "release" / "openeo-local"
)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """Starts `openeo-local serve` on a free port with a fresh data dir; yields the API URL."""
    assert BIN.is_file(), f"openeo-local binary not found at {BIN} (set OPENEO_LOCAL_BIN)"
    tmp = tmp_path_factory.mktemp("server")
    port = free_port()
    log_path = tmp / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(BIN), "serve", "--config", "testdata/server.toml",
             "--listen", f"127.0.0.1:{port}", "--data-dir", str(tmp / "data")],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        )
    root = f"http://127.0.0.1:{port}"
    try:
        wait_ready(proc, f"{root}/.well-known/openeo", log_path, "server", seconds=20)
        yield f"{root}/openeo/1.2"
    finally:
        terminate(proc)


@pytest.fixture(scope="session")
def conn(server):
    return openeo.connect(server).authenticate_basic("alice", "secret")
