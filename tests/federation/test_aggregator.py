"""Federation tests: the real openeo-aggregator in front of two `openeo-local serve` members.

Run through `tests/federation/run.sh`, which provides a venv with the pinned aggregator, client and gunicorn and
sets OPENEO_LOCAL_BIN to the release binary. Everything listens on 127.0.0.1 (free ports, temporary data dirs).

Members:
- b1: SYNTH_S2_UTM + SENTINEL2_L2A_SAMPLE, one worker slot (so a dependency on the same member must not deadlock);
- b2: SYNTH_S2_LAEA + SENTINEL2_L2A_SAMPLE (the shared collection).
Rasters are compared with `openeo-local run` of the same graph on the bundled collections (which hold both), with
the GDAL command-line tools (no osgeo/numpy import in the venv).
"""

import base64
import contextlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import openeo
import pytest
import requests
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pytest_support import assert_same_raster, free_port, terminate, wait_ready  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
TESTDATA = REPO / "testdata"
BIN = Path(
    os.environ.get("OPENEO_LOCAL_BIN")
    or REPO / os.environ.get("CARGO_TARGET_DIR", "target") / "release" / "openeo-local"
)
GUNICORN = Path(sys.executable).parent / "gunicorn"

BBOX = {"west": 11.30, "south": 46.47, "east": 11.36, "north": 46.51}
INTERVAL = ["2022-06-01", "2022-06-30"]
NO_DATA_INTERVAL = ["2021-01-01", "2021-01-31"]  # well-formed, but no SYNTH_S2_LAEA dates in it
SHARED = "SENTINEL2_L2A_SAMPLE"
MEMBER_COLLECTIONS = {
    "b1": ["SYNTH_S2_UTM", SHARED],
    "b2": ["SYNTH_S2_LAEA", SHARED],
}
# The alice line of testdata/server.toml (password "secret").
ALICE_HASH = "$argon2id$v=19$m=19456,t=2,p=1$2RiV8vYqpCUTPNFdXGKuyQ$VBlD2EJGxAIJPnoy9Fj5gsrFv78Lu036R4f0yKOHWso"
# What the aggregator forwards to members for basic-auth user alice.
MEMBER_AUTH = {"Authorization": "Bearer basic//" + base64.urlsafe_b64encode(b"alice").decode()}
STARTUP_SECONDS = 30
JOB_SECONDS = 120


# ---------------------------------------------------------------- processes




def collections_toml(ids) -> str:
    """The blocks of testdata/collections.toml for the given ids, with their file globs made absolute."""
    text = (TESTDATA / "collections.toml").read_text()
    blocks = {}
    for block in text.split("[[collections]]")[1:]:
        cid = re.search(r'^id = "([^"]+)"', block, re.M).group(1)
        blocks[cid] = "[[collections]]" + block.replace('glob = "', f'glob = "{TESTDATA}/')
    return "\n".join(blocks[cid] for cid in ids)


class Member:
    """One `openeo-local serve` process on a fixed port and data dir, restartable; its collections are blocks of the
    bundled configuration, or `collections_text`."""

    def __init__(self, name, tmp: Path, collection_ids, worker_slots, collections_text=None):
        self.name = name
        self.port = free_port()
        self.dir = tmp / name
        self.dir.mkdir()
        (self.dir / "collections.toml").write_text(collections_text or collections_toml(collection_ids))
        (self.dir / "server.toml").write_text(
            f'data_dir = "{self.dir / "data"}"\n'
            f"worker_slots = {worker_slots}\n"
            f'collections_file = "{self.dir / "collections.toml"}"\n'
            "dependency_poll_seconds = 0.2\n"
            "dependency_max_wait_seconds = 90\n"
            "\n[[users]]\n"
            'name = "alice"\n'
            f"password_hash = '{ALICE_HASH}'\n"
            "\n[federation]\n"
            "accept_aggregator_tokens = true\n"
        )
        self.log_path = self.dir / "server.log"
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/openeo/1.2"

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [str(BIN), "serve", "--config", str(self.dir / "server.toml"),
                 "--listen", f"127.0.0.1:{self.port}", "--data-dir", str(self.dir / "data")],
                cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
            )
        wait_ready(self.proc, f"http://127.0.0.1:{self.port}/.well-known/openeo", self.log_path,
                   f"member {self.name}")

    def stop(self):
        terminate(self.proc)
        self.proc = None

    def jobs(self):
        """alice's jobs on this member, asked directly with the token the aggregator forwards."""
        r = requests.get(f"{self.url}/jobs", headers=MEMBER_AUTH, timeout=10)
        r.raise_for_status()
        return r.json()["jobs"]


@pytest.fixture(scope="session")
def members(tmp_path_factory):
    assert BIN.is_file(), f"openeo-local binary not found at {BIN} (set OPENEO_LOCAL_BIN)"
    tmp = tmp_path_factory.mktemp("members")
    started = {
        "b1": Member("b1", tmp, MEMBER_COLLECTIONS["b1"], worker_slots=1),
        "b2": Member("b2", tmp, MEMBER_COLLECTIONS["b2"], worker_slots=2),
    }
    try:
        for member in started.values():
            member.start()
        yield started
    finally:
        for member in started.values():
            member.stop()


@contextlib.contextmanager
def aggregator_process(backends: dict, tmp: Path):
    """gunicorn with the real aggregator in front of `backends` (name -> API URL; one worker: the ZooKeeper stand-in
    lives in its process); yields the API URL."""
    assert GUNICORN.is_file(), f"gunicorn not found at {GUNICORN}"
    config = tmp / "aggregator_config.py"
    config.write_text(
        "from openeo_aggregator.config import AggregatorBackendConfig\n"
        "from openeo_aggregator.testing import DummyKazooClient\n"
        "\n"
        "config = AggregatorBackendConfig(\n"
        '    id="openeo-local-federation-test",\n'
        '    capabilities_title="openeo-local federation test",\n'
        '    capabilities_description="openeo-aggregator in front of openeo-local members",\n'
        f"    aggregator_backends={backends!r},\n"
        "    enable_basic_auth=True,\n"
        '    valid_basic_auth=lambda user, password: (user, password) == ("alice", "secret"),\n'
        "    oidc_providers=[],\n"
        '    partitioned_job_tracking={"zk_client": DummyKazooClient()},\n'
        "    connections_cache_ttl=1.0,\n"
        '    memoizer={"type": "dict", "config": {"default_ttl": 1}},\n'
        ")\n"
    )
    port = free_port()
    log_path = tmp / "gunicorn.log"
    env = dict(os.environ, OPENEO_BACKEND_CONFIG=str(config))
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(GUNICORN), "--workers", "1", "--threads", "1", "--timeout", "300",
             "--bind", f"127.0.0.1:{port}", "openeo_aggregator.app:create_app()"],
            cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    root = f"http://127.0.0.1:{port}/openeo/1.2"
    try:
        wait_ready(proc, f"{root}/", log_path, "aggregator", STARTUP_SECONDS)
        yield root
    finally:
        terminate(proc)


@pytest.fixture(scope="session")
def aggregator(members, tmp_path_factory):
    with aggregator_process({name: m.url for name, m in members.items()}, tmp_path_factory.mktemp("aggregator")) as root:
        yield root


@pytest.fixture(scope="session")
def conn(aggregator):
    return openeo.connect(aggregator).authenticate_basic("alice", "secret")


@pytest.fixture(scope="session")
def agg_auth(aggregator):
    token = requests.get(f"{aggregator}/credentials/basic", auth=("alice", "secret"), timeout=30).json()
    return {"Authorization": f"Bearer basic//{token['access_token']}"}


# ---------------------------------------------------------------- graphs and rasters


def branch(conn, collection, band, interval=INTERVAL):
    return (
        conn.load_collection(collection, bands=[band])
        .filter_temporal(*interval)
        .filter_bbox(**BBOX)
        .reduce_temporal("mean")
    )


def cross_cube(conn, b2_interval=INTERVAL):
    """The seed scenario across members: B04 of b1's collection merged with B08 of b2's."""
    return branch(conn, "SYNTH_S2_UTM", "B04").merge_cubes(branch(conn, "SYNTH_S2_LAEA", "B08", b2_interval))


def local_run(graph: dict, out: Path, config: Path = TESTDATA / "collections.toml") -> Path:
    """`openeo-local run` of a flat graph on the bundled collections (which hold both members' collections), or on
    those of `config`."""
    graph_file = out.with_suffix(".json")
    graph_file.write_text(json.dumps({"process": {"process_graph": graph}}))
    result = subprocess.run(
        [str(BIN), "run", str(graph_file), "--config", str(config), "--output", str(out)],
        cwd=REPO, capture_output=True, text=True,
    )
    assert result.returncode == 0, f"openeo-local run failed:\n{result.stderr}"
    return out






def wait_job(job, seconds=JOB_SECONDS, final=("finished", "error", "canceled")):
    """Polls a job (through the aggregator) until it reaches one of `final`; returns that status."""
    deadline = time.monotonic() + seconds
    while True:
        status = job.status()
        if status in final:
            return status
        if time.monotonic() > deadline:
            pytest.fail(f"job {job.job_id} still {status!r} after {seconds} s")
        time.sleep(0.5)


def download_rasters(job, target: Path, suffix):
    paths = [Path(p) for p in job.get_results().download_files(target)]
    rasters = [p for p in paths if p.suffix == suffix]
    assert len(rasters) == 1, f"downloaded {paths}"
    return rasters[0]


def member_job_graph(member, job_id):
    r = requests.get(f"{member.url}/jobs/{job_id}", headers=MEMBER_AUTH, timeout=10)
    r.raise_for_status()
    return r.json()["process"]["process_graph"]


def assert_joined_with_load_stac(main_member, main_id, dependency_member, dependency_id):
    """The main job's graph reads the dependency through `load_stac` on its signed partial canonical URL."""
    urls = [node["arguments"]["url"] for node in member_job_graph(main_member, main_id).values()
            if node["process_id"] == "load_stac"]
    assert len(urls) == 1, urls
    assert urls[0].startswith(f"{dependency_member.url}/jobs/{dependency_id}/results/"), urls[0]
    assert urls[0].endswith("partial=true"), urls[0]
    dependency_graph = member_job_graph(dependency_member, dependency_id)
    saves = [node for node in dependency_graph.values() if node["process_id"] == "save_result"]
    assert [node["arguments"]["format"] for node in saves] == ["GTiff"]


def member_job_for(member, pjob_id, sjob_prefix):
    """The member job the aggregator created for sub-job `sjob_prefix...` of partitioned job `pjob_id`."""
    for job in member.jobs():
        title = job.get("title") or ""
        if pjob_id in title and f":{sjob_prefix}" in title:
            return job
    pytest.fail(f"no job of {pjob_id} ({sjob_prefix}) on {member.name}: {member.jobs()}")


# ---------------------------------------------------------------- tests


def assert_job_matches_local_run(job, cube, tmp_path):
    """Starts the aggregator job, waits for it, and compares its netCDF with `openeo-local run` of the same graph."""
    job.start_job()
    status = wait_job(job)
    assert status == "finished", f"{status}: {[e['message'] for e in job.logs()]}"
    out = download_rasters(job, tmp_path / "job", ".nc")
    expected = local_run(cube.flat_graph(), tmp_path / "expected.nc")
    assert_same_raster(out, expected, ["B04", "B08"])


def test_merged_collection_listing(conn, aggregator):
    listing = requests.get(f"{aggregator}/collections", timeout=30).json()
    by_id = {c["id"]: c for c in listing["collections"]}
    for name, ids in MEMBER_COLLECTIONS.items():
        for cid in ids:
            assert cid in by_id, f"{cid} of {name} missing from the aggregator's /collections"
    assert listing.get("federation:missing", []) == []

    # The aggregator's listing keeps basic fields only; `summaries` are in the full collection documents.
    backends = {cid: conn.describe_collection(cid)["summaries"]["federation:backends"] for cid in by_id}
    assert sorted(backends[SHARED]) == ["b1", "b2"]
    assert backends["SYNTH_S2_UTM"] == ["b1"]
    assert backends["SYNTH_S2_LAEA"] == ["b2"]

    shared = conn.describe_collection(SHARED)
    assert {"x", "y", "t", "bands"} <= set(shared["cube:dimensions"])
    assert shared["cube:dimensions"]["bands"]["values"] == ["B02", "B03", "B04", "B08", "SCL"]
    laea = conn.describe_collection("SYNTH_S2_LAEA")
    assert laea["cube:dimensions"]["bands"]["values"] == ["B02", "B03", "B04", "B08"]

    capabilities = requests.get(f"{aggregator}/", timeout=30).json()
    assert {b: capabilities["federation"][b]["status"] for b in ("b1", "b2")} == {"b1": "online", "b2": "online"}

    for pid in ["load_collection", "reduce_dimension", "merge_cubes", "load_stac", "mean"]:
        process = conn.describe_process(pid)
        assert process["id"] == pid
        assert "parameters" in process


@pytest.mark.parametrize("collection,band", [("SYNTH_S2_UTM", "B04"), ("SYNTH_S2_LAEA", "B08")])
def test_sync_result_through_aggregator(conn, tmp_path, collection, band):
    cube = branch(conn, collection, band)
    out = tmp_path / "sync.tif"
    cube.download(out, format="GTiff")
    expected = local_run(cube.save_result(format="GTiff").flat_graph(), tmp_path / "expected.tif")
    assert_same_raster(out, expected, [band])


@pytest.mark.parametrize("collection,band,backend", [("SYNTH_S2_UTM", "B04", "b1"), ("SYNTH_S2_LAEA", "B08", "b2")])
def test_batch_job_on_each_member(conn, members, tmp_path, collection, band, backend):
    cube = branch(conn, collection, band)
    job = cube.create_job(out_format="GTiff", title=f"federation batch {collection}")
    assert job.job_id.startswith(f"{backend}-"), job.job_id
    member_job_id = job.job_id[len(backend) + 1:]
    assert member_job_id in [j["id"] for j in members[backend].jobs()]

    job.start_and_wait(max_poll_interval=1)
    assert job.status() == "finished"
    # download_files fetches the asset hrefs as the member signed them (no auth header).
    out = download_rasters(job, tmp_path / "job", ".tif")
    expected = local_run(cube.save_result(format="GTiff").flat_graph(), tmp_path / "expected.tif")
    assert_same_raster(out, expected, [band])


def test_cross_backend_deep_split_seed(conn, members, tmp_path):
    cube = cross_cube(conn).save_result(format="netCDF")
    job = conn.create_job(
        cube,
        title="federation seed deep",
        validate=False,  # the aggregator's /validation refuses graphs spread over several members
        job_options={"split_strategy": {"crossbackend": {"method": "deep", "primary_backend": "b1"}}},
    )
    assert job.job_id.startswith("agg-"), job.job_id
    pjob_id = job.job_id[len("agg-"):]
    # The dependency (b2's branch) went to b2, the main job to b1.
    dependency = member_job_for(members["b2"], pjob_id, "b2:")
    main = member_job_for(members["b1"], pjob_id, "main")
    assert dependency["status"] == "created" and main["status"] == "created"
    assert_joined_with_load_stac(members["b1"], main["id"], members["b2"], dependency["id"])

    assert_job_matches_local_run(job, cube, tmp_path)


def test_cross_backend_simple_split_same_member(conn, members, tmp_path):
    """`simple` split of a graph with two load_collection of b1's collection: the second becomes a dependency job
    on b1 itself, which has one worker slot, and the aggregator starts both at once; the main job must not hold
    that slot while it waits for the dependency (deadlock otherwise).

    The simple splitter cuts the bare load_collection node (nothing after it), so the extents are given to
    load_collection itself; it ignores `primary_backend` (the primary member is the most used one, here b1)."""
    def lc(band):
        return (
            conn.load_collection("SYNTH_S2_UTM", bands=[band], spatial_extent=BBOX, temporal_extent=INTERVAL)
            .reduce_temporal("mean")
        )

    cube = lc("B04").merge_cubes(lc("B08")).save_result(format="netCDF")
    job = conn.create_job(
        cube,
        title="federation simple split",
        job_options={"split_strategy": {"crossbackend": {"method": "simple", "primary_backend": "b1"}}},
    )
    pjob_id = job.job_id[len("agg-"):]
    dependency = member_job_for(members["b1"], pjob_id, "b1:")
    main = member_job_for(members["b1"], pjob_id, "main")
    assert_joined_with_load_stac(members["b1"], main["id"], members["b1"], dependency["id"])
    assert not [j for j in members["b2"].jobs() if pjob_id in (j.get("title") or "")]

    assert_job_matches_local_run(job, cube, tmp_path)


def test_failing_dependency_fails_main_job(conn, members):
    cube = cross_cube(conn, b2_interval=NO_DATA_INTERVAL).save_result(format="netCDF")
    job = conn.create_job(
        cube,
        title="federation failing dependency",
        validate=False,
        job_options={"split_strategy": {"crossbackend": {"method": "deep", "primary_backend": "b1"}}},
    )
    pjob_id = job.job_id[len("agg-"):]
    dependency_id = member_job_for(members["b2"], pjob_id, "b2:")["id"]
    main_id = member_job_for(members["b1"], pjob_id, "main")["id"]

    job.start_job()
    assert wait_job(job) == "error"
    assert requests.get(f"{members['b2'].url}/jobs/{dependency_id}", headers=MEMBER_AUTH,
                        timeout=10).json()["status"] == "error"
    assert requests.get(f"{members['b1'].url}/jobs/{main_id}", headers=MEMBER_AUTH,
                        timeout=10).json()["status"] == "error"

    # The aggregator's logs of the partitioned job hold the sub-jobs' logs; the main job's error names the
    # dependency (its job id, in the load_stac URL or in the message).
    logs = job.logs()
    main_errors = [e["message"] for e in logs if e["id"].startswith("main-") and e["level"] == "error"]
    assert main_errors, f"no error logged by the main job: {logs}"
    assert any(dependency_id in message for message in main_errors), main_errors
    dependency_errors = [e["message"] for e in logs if e["id"].startswith("b2:") and e["level"] == "error"]
    assert any("no data" in message.lower() for message in dependency_errors), logs


def wait_until(predicate, what, seconds=30):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not {what} after {seconds} s")
        time.sleep(0.5)


def test_member_offline_and_back(conn, aggregator, members, agg_auth, tmp_path):
    b2 = members["b2"]
    b2_jobs_before = {j["id"] for j in b2.jobs()}
    assert b2_jobs_before, "earlier tests left no job on b2"

    def listing():
        return requests.get(f"{aggregator}/collections", timeout=30).json()

    b2.stop()
    try:
        missing = wait_until(lambda: "b2" in listing().get("federation:missing", []), "b2 in federation:missing")
        assert missing
        ids = {c["id"] for c in listing()["collections"]}
        assert "SYNTH_S2_UTM" in ids and SHARED in ids
        assert "SYNTH_S2_LAEA" not in ids
        assert conn.describe_collection(SHARED)["summaries"]["federation:backends"] == ["b1"]

        capabilities = requests.get(f"{aggregator}/", timeout=30).json()
        assert capabilities["federation"]["b2"]["status"] == "offline"
        assert capabilities["federation"]["b1"]["status"] == "online"

        jobs = requests.get(f"{aggregator}/jobs", headers=agg_auth, timeout=60).json()
        assert "b2" in jobs.get("federation:missing", []), jobs.get("federation:missing")
        assert any(j["id"].startswith("b1-") for j in jobs["jobs"])
        assert not any(j["id"].startswith("b2-") for j in jobs["jobs"])

        # b1 still computes.
        cube = branch(conn, "SYNTH_S2_UTM", "B04")
        out = tmp_path / "sync.tif"
        cube.download(out, format="GTiff")
        expected = local_run(cube.save_result(format="GTiff").flat_graph(), tmp_path / "expected.tif")
        assert_same_raster(out, expected, ["B04"])
    finally:
        if b2.proc is None:
            b2.start()

    wait_until(lambda: listing().get("federation:missing", ["?"]) == [], "federation:missing empty again")
    by_id = {c["id"]: c for c in listing()["collections"]}
    assert "SYNTH_S2_LAEA" in by_id
    assert sorted(conn.describe_collection(SHARED)["summaries"]["federation:backends"]) == ["b1", "b2"]
    assert requests.get(f"{aggregator}/", timeout=30).json()["federation"]["b2"]["status"] == "online"
    # Same data dir: b2's jobs are back in the merged listing.
    jobs = requests.get(f"{aggregator}/jobs", headers=agg_auth, timeout=60).json()
    assert {f"b2-{j}" for j in b2_jobs_before} <= {j["id"] for j in jobs["jobs"]}
    assert jobs.get("federation:missing", []) == []
