"""Three members behind the real openeo-aggregator read one collection from the same S3 bucket (a moto server on
127.0.0.1): each member serves the bucket's synthetic COGs under its own collection id, and a cross-backend job over
all three gives the numbers of a single instance reading the bucket."""

import openeo
import pytest

from test_aggregator import (BIN, TESTDATA, Member, aggregator_process, download_rasters, local_run, wait_job)
from pytest_support import assert_same_raster
from s3_server import start_s3

BUCKET = "federation"
MEMBERS = {"b1": "BUCKET_B1", "b2": "BUCKET_B2", "b3": "BUCKET_B3"}
BBOX = {"west": 11.30, "south": 46.47, "east": 11.36, "north": 46.51}
INTERVAL = ["2022-06-01", "2022-06-30"]


def bucket_toml(endpoint, ids):
    storage = (f'[storage]\ns3_endpoint = "{endpoint}"\ns3_access_key_id = "testing"\n'
               's3_secret_access_key = "testing"\n\n')
    blocks = [
        f'[[collections]]\nid = "{cid}"\n'
        f'source = {{ kind = "files", glob = "s3://{BUCKET}/synth/SYNTH_*.tif", '
        "pattern = '_(?P<date>\\d{8})_(?P<band>B\\d\\d)\\.tif$' }\n"
        'bands = [{ name = "B02", nodata = 0 }, { name = "B03", nodata = 0 }, { name = "B04", nodata = 0 }, '
        '{ name = "B08", nodata = 0 }]\n'
        for cid in ids
    ]
    return storage + "\n".join(blocks)


@pytest.fixture(scope="module")
def bucket():
    moto, endpoint, s3 = start_s3(BUCKET)
    for f in sorted((TESTDATA / "synthetic" / "utm").glob("SYNTH_*.tif")):
        s3.upload_file(str(f), BUCKET, f"synth/{f.name}")
    yield endpoint
    moto.stop()


@pytest.fixture(scope="module")
def trio(bucket, tmp_path_factory):
    assert BIN.is_file(), f"openeo-local binary not found at {BIN}"
    tmp = tmp_path_factory.mktemp("trio")
    members = {name: Member(name, tmp, [], worker_slots=2, collections_text=bucket_toml(bucket, [cid]))
               for name, cid in MEMBERS.items()}
    try:
        for m in members.values():
            m.start()
        yield members
    finally:
        for m in members.values():
            m.stop()


def test_a_cross_backend_job_over_one_bucket_gives_the_numbers_of_one_instance(bucket, trio, tmp_path):
    with aggregator_process({name: m.url for name, m in trio.items()}, tmp_path) as root:
        conn = openeo.connect(root).authenticate_basic("alice", "secret")
        listed = {c["id"] for c in conn.list_collections()}
        assert set(MEMBERS.values()) <= listed, listed

        def branch(cid, band):
            return (conn.load_collection(cid, bands=[band]).filter_temporal(*INTERVAL).filter_bbox(**BBOX)
                    .reduce_temporal("mean"))

        cube = (branch("BUCKET_B1", "B04").merge_cubes(branch("BUCKET_B2", "B08"))
                .merge_cubes(branch("BUCKET_B3", "B03")).save_result(format="netCDF"))
        job = conn.create_job(cube, title="bucket trio", validate=False, job_options={
            "split_strategy": {"crossbackend": {"method": "deep", "primary_backend": "b1"}}})
        job.start_job()
        status = wait_job(job)
        assert status == "finished", f"{status}: {[e['message'] for e in job.logs()]}"
        out = download_rasters(job, tmp_path / "job", ".nc")
        for name, m in trio.items():
            assert m.jobs(), f"member {name} ran no part of the job"
    config = tmp_path / "single.toml"
    config.write_text(bucket_toml(bucket, MEMBERS.values()))
    expected = local_run(cube.flat_graph(), tmp_path / "expected.nc", config)
    assert_same_raster(out, expected, ["B04", "B08", "B03"])
