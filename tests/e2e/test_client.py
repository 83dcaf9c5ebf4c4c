"""End-to-end tests: the real `openeo` Python client against `openeo-local serve`.

Run through `tests/e2e/run.sh`, which provides a venv with the pinned client and sets
OPENEO_LOCAL_BIN to the release binary. Rasters are compared with the GDAL command-line
tools (no osgeo/numpy import in the venv).
"""

import sys
import json
import subprocess
from pathlib import Path

import pytest
import requests
from openeo.rest import OpenEoApiError
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pytest_support import assert_same_raster  # noqa: E402

from conftest import BIN, REPO  # noqa: E402

COLLECTIONS = [
    "SYNTH_S2_UTM",
    "SYNTH_S2_LAEA",
    "SENTINEL2_L2A_SAMPLE",
    "LANDSAT8_L1TP_NY2018",
    "SENTINEL3_OLCI_NORTHSEA",
]
BANDS = ["B04", "B08"]
EXTENSIONS = {"netCDF": "nc", "GTiff": "tif"}


# ---------------------------------------------------------------- graphs and references


def seed_cube(conn):
    """The seed graph (examples/seed.json) built with the client API."""

    def branch(band):
        return (
            conn.load_collection("SYNTH_S2_UTM", bands=[band])
            .filter_temporal("2022-06-01", "2022-06-20")
            .filter_bbox(west=11.30, south=46.47, east=11.36, north=46.51)
            .reduce_temporal("mean")
        )

    return branch("B04").merge_cubes(branch("B08"))


@pytest.fixture(scope="session")
def reference(conn, tmp_path_factory):
    """`openeo-local run` of the seed graph per format: format -> path of the output."""
    tmp = tmp_path_factory.mktemp("reference")
    cache = {}

    def get(fmt):
        if fmt not in cache:
            graph = seed_cube(conn).save_result(format=fmt).flat_graph()
            graph_file = tmp / f"seed_{fmt}.json"
            graph_file.write_text(json.dumps({"process": {"process_graph": graph}}))
            out = tmp / f"seed.{EXTENSIONS[fmt]}"
            subprocess.run([str(BIN), "run", str(graph_file), "--output", str(out)],
                           cwd=REPO, check=True, capture_output=True)
            cache[fmt] = out
        return cache[fmt]

    return get


@pytest.fixture(scope="session")
def batch(conn, tmp_path_factory):
    """Runs the seed graph as a batch job per format: format -> (job, downloaded paths)."""
    cache = {}

    def get(fmt):
        if fmt not in cache:
            job = seed_cube(conn).create_job(out_format=fmt, title=f"e2e seed {fmt}")
            job.start_and_wait(max_poll_interval=1)
            target = tmp_path_factory.mktemp(f"job_{fmt}")
            paths = job.get_results().download_files(target)
            cache[fmt] = (job, [Path(p) for p in paths])
        return cache[fmt]

    return get


# ---------------------------------------------------------------- raster helpers






def bearer(server, user, password):
    token = requests.get(f"{server}/credentials/basic", auth=(user, password)).json()
    return {"Authorization": f"Bearer basic//{token['access_token']}"}


# ---------------------------------------------------------------- tests


def test_collections(conn):
    ids = conn.list_collection_ids()
    for cid in COLLECTIONS:
        assert cid in ids


def test_describe_collection(conn):
    meta = conn.describe_collection("SYNTH_S2_UTM")
    dims = meta["cube:dimensions"]
    assert {"x", "y", "t", "bands"} <= set(dims)
    assert dims["bands"]["values"] == ["B02", "B03", "B04", "B08"]
    assert dims["x"]["reference_system"] == 32632
    common = {b["name"]: b.get("common_name") for b in meta["summaries"]["eo:bands"]}
    assert common == {"B02": "blue", "B03": "green", "B04": "red", "B08": "nir"}


def test_client_graph_matches_seed_example(conn):
    """The client-built graph is the same graph as examples/seed.json (modulo node ids)."""
    def shape(graph):
        """Node bodies without node ids: from_node references and empty save_result options
        (added by the client) dropped, child graphs recursed."""
        def body(value):
            if isinstance(value, dict):
                if "process_graph" in value:
                    return shape(value["process_graph"])
                return {k: body(v) for k, v in value.items()
                        if k != "from_node" and not (k == "options" and v == {})}
            return value

        return sorted(json.dumps(body(node), sort_keys=True) for node in graph.values())

    ours = seed_cube(conn).save_result(format="netCDF").flat_graph()
    example = json.loads((REPO / "examples" / "seed.json").read_text())["process"]["process_graph"]
    assert shape(ours) == shape(example)


@pytest.mark.parametrize("fmt", ["netCDF", "GTiff"])
def test_sync_download_matches_local_run(conn, reference, tmp_path, fmt):
    out = tmp_path / f"sync.{EXTENSIONS[fmt]}"
    seed_cube(conn).download(out, format=fmt)
    assert out.stat().st_size > 0
    assert_same_raster(out, reference(fmt), BANDS)


@pytest.mark.parametrize("fmt", ["netCDF", "GTiff"])
def test_batch_job_matches_local_run(conn, batch, reference, fmt):
    job, paths = batch(fmt)
    assert job.status() == "finished"
    rasters = [p for p in paths if p.suffix == "." + EXTENSIONS[fmt]]
    assert len(rasters) == 1, f"downloaded {paths}"
    assert_same_raster(rasters[0], reference(fmt), BANDS)


def test_job_logs(batch):
    job, _ = batch("GTiff")
    logs = job.logs()
    assert len(logs) > 0
    assert all("message" in entry and "level" in entry for entry in logs)
    assert any("finished" in entry["message"] for entry in logs)


def test_other_user_cannot_see_job(server, batch):
    job, _ = batch("GTiff")
    headers = bearer(server, "bob", "secret2")
    for path in ["", "/results", "/logs"]:
        r = requests.get(f"{server}/jobs/{job.job_id}{path}", headers=headers)
        assert r.status_code == 404, f"GET /jobs/{job.job_id}{path} as bob: {r.status_code} {r.text}"
        assert r.json()["code"] == "JobNotFound"
    listing = requests.get(f"{server}/jobs", headers=headers)
    assert listing.status_code == 200
    assert job.job_id not in [j["id"] for j in listing.json()["jobs"]]


def test_signed_asset_href_without_auth(batch):
    job, paths = batch("GTiff")
    assets = job.get_results().get_metadata()["assets"]
    (name, asset), = [(k, a) for k, a in assets.items() if k.endswith(".tif")]
    local = next(p for p in paths if p.name == name).read_bytes()

    full = requests.get(asset["href"])  # no Authorization header
    assert full.status_code == 200
    assert full.content == local

    part = requests.get(asset["href"], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert len(part.content) == 100
    assert part.content == local[:100]
    assert part.headers["Content-Range"] == f"bytes 0-99/{len(local)}"


def test_unknown_collection(conn, tmp_path):
    with pytest.raises(OpenEoApiError) as err:
        conn.describe_collection("NO_SUCH_COLLECTION")
    assert err.value.code == "CollectionNotFound"
    # fetch_metadata=False: the client would otherwise fail already in load_collection.
    cube = conn.load_collection("NO_SUCH_COLLECTION", fetch_metadata=False)
    cube = cube.filter_temporal("2022-06-01", "2022-06-20")
    with pytest.raises(OpenEoApiError) as err:
        cube.download(tmp_path / "nope.tif", format="GTiff")
    assert err.value.code == "CollectionNotFound"
    assert err.value.http_status_code == 404
