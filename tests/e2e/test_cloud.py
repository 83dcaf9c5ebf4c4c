"""Object storage: collections whose files lie in an S3 bucket (a moto server on 127.0.0.1) or behind a
range-capable HTTP server give the numbers of the same files read locally; only the needed byte ranges are fetched;
bad remote input fails with a clear error, and a failed batch job with a log entry, never a hang."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import BIN, REPO
from test_cube_processes import SYNTH, SYNTH_DATES

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pytest_support import free_port, terminate, wait_ready  # noqa: E402
from range_server import RangeServer  # noqa: E402
from s3_server import start_s3  # noqa: E402

BUCKET = "openeo-local-test"
PATTERN = r"_(?P<date>\d{8})_(?P<band>B\d\d)\.tif$"
BANDS = '[{ name = "B04", nodata = 0 }, { name = "B08", nodata = 0 }]'
# a window of 200 × 150 pixels inside the 512 × 512 synthetic grid (tiles of 256 × 256)
BOX = {"west": 676000, "east": 678000, "south": 5151500, "north": 5153000, "crs": 32632}


def seed_graph(collection, fmt="JSON", extent=BOX):
    """The seed workload: B04 and B08, mean over all dates."""
    return {"process_graph": {
        "load": {"process_id": "load_collection", "arguments": {
            "id": collection, "spatial_extent": extent, "temporal_extent": None, "bands": ["B04", "B08"]}},
        "mean": {"process_id": "reduce_dimension", "arguments": {"data": {"from_node": "load"}, "dimension": "t",
                 "reducer": {"process_graph": {"m": {"process_id": "mean", "arguments": {
                     "data": {"from_parameter": "data"}}, "result": True}}}}},
        "save": {"process_id": "save_result", "arguments": {"data": {"from_node": "mean"}, "format": fmt},
                 "result": True}}}


def stac_item(base, date):
    assets = {b: {"href": f"{base}/assets/SYNTH_{date}_{b}.tif", "roles": ["data"],
                  "type": "image/tiff; application=geotiff; profile=cloud-optimized"} for b in ["B04", "B08"]}
    iso = f"{date[:4]}-{date[4:6]}-{date[6:]}T00:00:00Z"
    return {"type": "Feature", "stac_version": "1.0.0", "id": date, "geometry": None,
            "properties": {"datetime": iso}, "assets": assets, "links": []}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    """A moto S3 server with the synthetic COGs, their netCDF and a Zarr store in a bucket; a range HTTP server with
    the COGs and a STAC ItemCollection; and a collections file naming all of them and the local files."""
    import pandas as pd
    import xarray
    from pyproj import CRS
    from test_cube_processes import raster

    tmp = tmp_path_factory.mktemp("cloud")
    moto, endpoint, s3 = start_s3(BUCKET)
    for f in sorted(SYNTH.glob("SYNTH_*.tif")):
        s3.upload_file(str(f), BUCKET, f"cogs/{f.name}")
    s3.upload_file(str(SYNTH / "SYNTH.nc"), BUCKET, "nc/SYNTH.nc")
    # a Zarr store written by xarray from the COGs, uploaded file by file
    data = {b: np.stack([raster(SYNTH / f"SYNTH_{d}_{b}.tif")[0] for d in SYNTH_DATES]) for b in ["B04", "B08"]}
    gt = raster(SYNTH / f"SYNTH_{SYNTH_DATES[0]}_B04.tif")[1]
    nt, h, w = data["B04"].shape
    ds = xarray.Dataset(
        {b: (("time", "y", "x"), np.nan_to_num(v, nan=0).astype("uint16"), {"grid_mapping": "spatial_ref"})
         for b, v in data.items()},
        coords={"time": pd.to_datetime(SYNTH_DATES), "y": gt[3] + (np.arange(h) + 0.5) * gt[5],
                "x": gt[0] + (np.arange(w) + 0.5) * gt[1]})
    ds["spatial_ref"] = xarray.DataArray(0, attrs={"crs_wkt": CRS.from_epsg(32632).to_wkt()})
    store = tmp / "synth.zarr"
    ds.to_zarr(store, encoding={b: {"_FillValue": 0, "chunks": (1, 256, 256)} for b in data}, zarr_format=3)
    for f in store.rglob("*"):
        if f.is_file():
            s3.upload_file(str(f), BUCKET, f"zarr/synth.zarr/{f.relative_to(store).as_posix()}")
    # the HTTP side: the COGs and a STAC ItemCollection linking them by absolute URLs
    www = tmp / "www"
    (www / "assets").mkdir(parents=True)
    for f in SYNTH.glob("SYNTH_*.tif"):
        shutil.copy(f, www / "assets" / f.name)
    shutil.copy(SYNTH / "SYNTH.nc", www / "SYNTH.nc")
    http = RangeServer(www)
    items = {"type": "FeatureCollection", "features": [stac_item(http.url, d) for d in SYNTH_DATES], "links": []}
    (www / "items.json").write_text(json.dumps(items))
    # a larger COG (2048² of 512² tiles) for counting the requests of a small window
    subprocess.run([str(BIN), "generate", "--out", str(www / "big"), "--name", "BIG", "--size", "2048,2048",
                    "--bands", "B04", "--dates", "2022-06-01", "--no-netcdf"], check=True, capture_output=True)
    # the item states the grid (projection extension), so no header is read when the collections load
    big = {"type": "Feature", "stac_version": "1.0.0", "id": "big", "geometry": None, "links": [],
           "properties": {"datetime": "2022-06-01T00:00:00Z", "proj:epsg": 32632},
           "assets": {"B04": {"href": f"{http.url}/big/BIG_20220601_B04.tif", "roles": ["data"],
                              "proj:shape": [2048, 2048], "proj:transform": [10, 0, 600000, 0, -10, 5200000],
                              "raster:bands": [{"nodata": 0}]}}}
    (www / "big.json").write_text(json.dumps(big))
    # a STAC ItemCollection in the bucket whose assets are s3:// objects (read only where the allow list names them)
    s3_items = {"type": "FeatureCollection", "links": [], "features": [
        {**stac_item("", d), "assets": {b: {"href": f"s3://{BUCKET}/cogs/SYNTH_{d}_{b}.tif", "roles": ["data"]}
                                        for b in ["B04", "B08"]}} for d in SYNTH_DATES]}
    s3.put_object(Bucket=BUCKET, Key="stac/items.json", Body=json.dumps(s3_items).encode())
    config = tmp / "collections.toml"
    config.write_text(f"""
[storage]
s3_endpoint = "{endpoint}"
s3_access_key_id = "testing"
s3_secret_access_key = "testing"
timeout_seconds = 3
retries = 1
cache_dir = "objects"

[[collections]]
id = "LOCAL"
source = {{ kind = "files", glob = "{SYNTH}/SYNTH_*.tif", pattern = '{PATTERN}' }}
bands = {BANDS}

[[collections]]
id = "BUCKET_COG"
source = {{ kind = "files", glob = "s3://{BUCKET}/cogs/SYNTH_*.tif", pattern = '{PATTERN}' }}
bands = {BANDS}

[[collections]]
id = "BUCKET_NC"
source = {{ kind = "netcdf", glob = "s3://{BUCKET}/nc/*.nc" }}
bands = {BANDS}

[[collections]]
id = "HTTP_NC"
source = {{ kind = "netcdf", glob = "{http.url}/SYNTH.nc" }}
bands = {BANDS}

[[collections]]
id = "BUCKET_ZARR"
source = {{ kind = "zarr", path = "s3://{BUCKET}/zarr/synth.zarr" }}
bands = {BANDS}

[[collections]]
id = "BUCKET_STAC"
source = {{ kind = "stac", url = "s3://{BUCKET}/stac/items.json" }}
bands = {BANDS}

[[collections]]
id = "HTTP_BIG"
source = {{ kind = "stac", url = "{http.url}/big.json" }}
bands = [{{ name = "B04" }}]

[[collections]]
id = "HTTP_STAC"
source = {{ kind = "stac", url = "{http.url}/items.json" }}
bands = {BANDS}
""")
    yield {"config": config, "tmp": tmp, "s3": s3, "http": http, "endpoint": endpoint}
    http.stop()
    moto.stop()


def run(cloud, graph, name, check=True):
    """`openeo-local run` of `graph` with the cloud collections; the parsed JSON output (or the failed process)."""
    tmp = cloud["tmp"]
    (tmp / f"{name}.json").write_text(json.dumps(graph))
    out = tmp / f"{name}.out.json"
    p = subprocess.run([str(BIN), "run", f"{name}.json", "--config", str(cloud["config"]), "-o", str(out),
                        "--allow", f"s3://{BUCKET}"],
                       cwd=tmp, capture_output=True, text=True, timeout=120)
    if not check:
        return p
    assert p.returncode == 0, p.stderr
    return json.loads(out.read_text())


@pytest.mark.parametrize("collection", ["BUCKET_COG", "BUCKET_NC", "HTTP_NC", "BUCKET_ZARR", "HTTP_STAC",
                                        "BUCKET_STAC"])
def test_remote_collections_give_the_numbers_of_the_local_files(cloud, collection):
    local = run(cloud, seed_graph("LOCAL"), "local")
    remote = run(cloud, seed_graph(collection), collection)
    assert remote["dimensions"] == local["dimensions"]
    a, b = np.array(local["data"], dtype=float), np.array(remote["data"], dtype=float)
    assert a.shape == (2, 150, 200) and np.isfinite(a).sum() > a.size // 2
    np.testing.assert_array_equal(a, b)


def test_only_the_needed_tiles_are_fetched_by_range(cloud):
    http = cloud["http"]
    http.clear()
    # 10 × 10 pixels at the upper-left corner of the 2048² image (origin 600000, 5200000): inside its first tile
    small = {"west": 600000, "east": 600100, "south": 5199900, "north": 5200000, "crs": 32632}
    graph = {"process_graph": {
        "load": {"process_id": "load_collection", "arguments": {"id": "HTTP_BIG", "spatial_extent": small}},
        "save": {"process_id": "save_result", "arguments": {"data": {"from_node": "load"}, "format": "JSON"},
                 "result": True}}}
    out = run(cloud, graph, "small")
    assert np.array(out["data"], dtype=float).shape == (1, 1, 10, 10)
    size = (cloud["tmp"] / "www" / "big" / "BIG_20220601_B04.tif").stat().st_size
    gets = http.gets("BIG_20220601_B04.tif")
    assert all(rng is not None for _, _, rng, _ in gets), "every GET of the COG asks for a byte range"
    sent = [s for _, _, _, s in gets]
    # the one-byte probe of the asset URL, the direct reader's header window and the tile (with what lies less than
    # 256 KiB beyond it): a small part of the file; no header read through GDAL, as the STAC item gives the grid
    assert len(sent) == 3 and sent[0] == 1, sent
    assert sum(sent) < size / 4, (sent, size)


def test_bad_remote_input_fails_clearly_and_quickly(cloud):
    http, s3 = cloud["http"], cloud["s3"]
    name = f"SYNTH_{SYNTH_DATES[1]}_B04.tif"
    # 404 and 403 fail the header read (the catalog); a truncated answer, a stalled one and a dropped connection (a
    # server going down) to tile reads fail the direct reader (3 s timeout and one retry configured)
    cases = [
        (("status", 404), "404"),
        (("status", 403), "403"),
        (("truncate", "data"), "truncated"),
        (("stall", 30, "data"), "timed out"),
        (("close", "data"), "cannot be reached"),
    ]
    for fault, words in cases:
        http.faults[f"/assets/{name}"] = fault
        try:
            t0 = time.monotonic()
            p = run(cloud, seed_graph("HTTP_STAC"), "bad", check=False)
            took = time.monotonic() - t0
        finally:
            http.faults.clear()
        assert p.returncode != 0, fault
        err = p.stderr
        assert name in err and words in err.lower(), (fault, err)
        assert took < 20, (fault, took)
    # an object deleted from the bucket after the collection was configured
    s3.copy_object(Bucket=BUCKET, Key="cogs/spare.tif", CopySource={"Bucket": BUCKET, "Key": f"cogs/{name}"})
    s3.delete_object(Bucket=BUCKET, Key=f"cogs/{name}")
    try:
        p = run(cloud, seed_graph("BUCKET_COG"), "deleted", check=False)
    finally:
        s3.copy_object(Bucket=BUCKET, Key=f"cogs/{name}", CopySource={"Bucket": BUCKET, "Key": "cogs/spare.tif"})
    # the bucket's STAC collection still lists it: loading the collections fails, naming the object and the reason
    assert p.returncode != 0 and f"s3://{BUCKET}/cogs/{name}" in p.stderr and "does not exist" in p.stderr, p.stderr


def test_a_failing_remote_read_fails_the_batch_job_with_a_log_entry(cloud, tmp_path):
    import openeo

    http = cloud["http"]
    port = free_port()
    log_path = tmp_path / "server.log"
    server_toml = tmp_path / "server.toml"
    alice = (REPO / "testdata" / "server.toml").read_text().split("[[users]]")[1]
    server_toml.write_text(f'collections_file = "{cloud["config"]}"\n[outbound]\nallow = ["s3://{BUCKET}"]\n'
                           f'\n[[users]]{alice}')
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(BIN), "serve", "--config", str(server_toml), "--listen", f"127.0.0.1:{port}",
                                 "--data-dir", str(tmp_path / "data")], cwd=REPO, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        wait_ready(proc, f"http://127.0.0.1:{port}/.well-known/openeo", log_path, "server", seconds=30)
        conn = openeo.connect(f"http://127.0.0.1:{port}/openeo/1.2").authenticate_basic("alice", "secret")
        cube = conn.load_collection("HTTP_STAC", spatial_extent=BOX, bands=["B04", "B08"]).reduce_dimension(
            dimension="t", reducer="mean")
        http.faults[f"/assets/SYNTH_{SYNTH_DATES[2]}_B08.tif"] = ("status", 500)
        try:
            job = cube.create_job(out_format="GTiff")
            job.start()
            deadline = time.monotonic() + 60
            while job.status() not in ("finished", "error") and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            http.faults.clear()
        assert job.status() == "error"
        logs = [entry for entry in job.logs() if entry["level"] == "error"]
        assert logs and any("SYNTH_20220612_B08.tif" in entry["message"] for entry in logs), logs
        # the same job after the server recovered: the numbers of the local files
        ok = cube.create_job(out_format="GTiff")
        ok.start_and_wait()
        assert ok.status() == "finished"
        # an object replaced in the bucket while the server runs is read afresh, never with the old tile index
        s3 = cloud["s3"]
        key, other = (f"cogs/SYNTH_{SYNTH_DATES[0]}_{b}.tif" for b in ("B04", "B08"))
        seed = conn.datacube_from_json(json.dumps(seed_graph("BUCKET_COG")))
        before = json.loads(seed.download())
        original = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        s3.copy_object(Bucket=BUCKET, Key=key, CopySource={"Bucket": BUCKET, "Key": other})
        try:
            try:
                after = json.loads(seed.download())
            except openeo.rest.OpenEoApiError as e:
                # the read that finds the change fails and says so; the next one opens the object afresh
                assert "changed" in e.message, e.message
                after = json.loads(seed.download())
        finally:
            s3.put_object(Bucket=BUCKET, Key=key, Body=original)
        swapped = tmp_path / "swapped"
        shutil.copytree(SYNTH, swapped, ignore=shutil.ignore_patterns("*.nc"))
        shutil.copy(SYNTH / f"SYNTH_{SYNTH_DATES[0]}_B08.tif", swapped / f"SYNTH_{SYNTH_DATES[0]}_B04.tif")
        config = tmp_path / "swapped.toml"
        config.write_text(f"""[[collections]]
id = "SWAPPED"
source = {{ kind = "files", glob = "{swapped}/SYNTH_*.tif", pattern = '{PATTERN}' }}
bands = {BANDS}
""")
        (tmp_path / "g.json").write_text(json.dumps(seed_graph("SWAPPED")))
        subprocess.run([str(BIN), "run", "g.json", "--config", str(config), "-o", "want.json"], cwd=tmp_path,
                       check=True, capture_output=True)
        want = json.loads((tmp_path / "want.json").read_text())
        assert np.array(after["data"], dtype=float).tolist() != np.array(before["data"], dtype=float).tolist()
        np.testing.assert_array_equal(np.array(after["data"], dtype=float), np.array(want["data"], dtype=float))
    finally:
        terminate(proc)


def test_load_stac_reads_objects_only_in_allowed_buckets(cloud):
    graph = seed_graph("LOCAL")
    graph["process_graph"]["load"] = {"process_id": "load_stac", "arguments": {
        "url": f"s3://{BUCKET}/stac/items.json", "spatial_extent": BOX, "bands": ["B04", "B08"]}}
    stac = run(cloud, graph, "load_stac_s3")
    local = run(cloud, seed_graph("LOCAL"), "local")
    np.testing.assert_array_equal(np.array(stac["data"], dtype=float), np.array(local["data"], dtype=float))
    # without the allow entry the same graph is refused, naming the location
    (cloud["tmp"] / "only_local.toml").write_text("\n".join(
        block for block in cloud["config"].read_text().split("\n\n") if "BUCKET_STAC" not in block))
    (cloud["tmp"] / "g.json").write_text(json.dumps(graph))
    p = subprocess.run([str(BIN), "run", "g.json", "--config", "only_local.toml", "-o", "x.json"],
                       cwd=cloud["tmp"], capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "outbound allow list" in p.stderr and f"s3://{BUCKET}/stac/items.json" in p.stderr, \
        p.stderr


def test_batch_job_results_kept_in_a_bucket_are_served_through_the_signed_links(cloud, tmp_path):
    import openeo
    import requests

    s3 = cloud["s3"]
    port = free_port()
    log_path = tmp_path / "server.log"
    alice = (REPO / "testdata" / "server.toml").read_text().split("[[users]]")[1]
    (tmp_path / "server.toml").write_text(
        f'collections_file = "{cloud["config"]}"\nresults_location = "s3://{BUCKET}/results"\n'
        f'[outbound]\nallow = ["s3://{BUCKET}"]\n\n[[users]]{alice}')
    data = tmp_path / "data"

    def start():
        with open(log_path, "ab") as log:
            p = subprocess.Popen([str(BIN), "serve", "--config", str(tmp_path / "server.toml"), "--listen",
                                  f"127.0.0.1:{port}", "--data-dir", str(data)], cwd=REPO, stdout=log,
                                 stderr=subprocess.STDOUT)
        wait_ready(p, f"http://127.0.0.1:{port}/.well-known/openeo", log_path, "server", seconds=30)
        return p

    proc = start()
    try:
        conn = openeo.connect(f"http://127.0.0.1:{port}/openeo/1.2").authenticate_basic("alice", "secret")
        cube = conn.load_collection("BUCKET_COG", spatial_extent=BOX, bands=["B04", "B08"]).reduce_dimension(
            dimension="t", reducer="mean")
        job = cube.create_job(out_format="netCDF")
        job.start_and_wait()
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"results/{job.job_id}/")["Contents"]]
        assert keys == [f"results/{job.job_id}/openEO.nc"], keys
        assert not list(data.rglob("openEO.nc")), "the results are not kept in the data directory"
        stored = s3.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read()
        # after a restart the signed link still serves the object, whole and by ranges
        terminate(proc)
        proc = start()
        href = job.get_results().get_metadata()["assets"]["openEO.nc"]["href"]
        whole = requests.get(href, timeout=30)
        assert whole.status_code == 200 and whole.content == stored
        assert whole.headers["Content-Type"] == "application/x-netcdf"
        part = requests.get(href, headers={"Range": "bytes=100-199"}, timeout=30)
        assert part.status_code == 206 and part.content == stored[100:200]
        assert part.headers["Content-Range"] == f"bytes 100-199/{len(stored)}"
        tail = requests.get(href, headers={"Range": "bytes=-10"}, timeout=30)
        assert tail.status_code == 206 and tail.content == stored[-10:]
        # the same numbers as a synchronous download
        (tmp_path / "job.nc").write_bytes(stored)
        cube.download(tmp_path / "sync.nc", format="netCDF")
        import xarray
        with xarray.open_dataset(tmp_path / "job.nc") as a, xarray.open_dataset(tmp_path / "sync.nc") as b:
            for band in ["B04", "B08"]:
                np.testing.assert_array_equal(a[band].values, b[band].values)
        # deleting the job deletes its objects
        job.delete()
        assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"results/{job.job_id}/")
    finally:
        terminate(proc)


def certificates(tmp):
    """A certificate authority and a certificate for 127.0.0.1 signed by it: (CA file, certificate file, key file)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def cert(subject, key, issuer, issuer_key, ca):
        b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
             .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
             .not_valid_after(now + datetime.timedelta(days=1))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if ca:
            b = b.add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                              content_commitment=False, key_encipherment=False,
                                              data_encipherment=False, key_agreement=False, encipher_only=False,
                                              decipher_only=False), critical=True)
        else:
            b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                critical=False)
            b = b.add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        return b.sign(issuer_key, hashes.SHA256())

    name = lambda cn: x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])  # noqa: E731
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = cert(name("openeo-local test CA"), ca_key, name("openeo-local test CA"), ca_key, True)
    leaf = cert(name("127.0.0.1"), key, ca.subject, ca_key, False)
    files = tmp / "ca.pem", tmp / "server.pem", tmp / "server.key"
    files[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    files[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return files


def test_load_stac_over_https_with_the_systems_trust_store(cloud, tmp_path):
    """STAC documents and their COGs over https: trusted through SSL_CERT_FILE, the numbers of the local files;
    without the certificate authority, a clear refusal."""
    ca, cert, key = certificates(tmp_path)
    https = RangeServer(cloud["http"].root, tls=(cert, key))
    try:
        # the items state their grids, so the tiles are read by the object store and no header by GDAL
        items = json.loads((cloud["http"].root / "items.json").read_text())
        for item in items["features"]:
            item["properties"]["proj:epsg"] = 32632
            for asset in item["assets"].values():
                asset["href"] = asset["href"].replace(cloud["http"].url, https.url)
                asset.update({"proj:shape": [300, 400], "proj:transform": [10, 0, 676000, 0, -10, 5153000],
                              "raster:bands": [{"nodata": 0}]})
        (cloud["http"].root / "items-https.json").write_text(json.dumps(items))
        graph = seed_graph("LOCAL")
        graph["process_graph"]["load"] = {"process_id": "load_stac", "arguments": {
            "url": f"{https.url}/items-https.json", "spatial_extent": BOX, "bands": ["B04", "B08"]}}
        tmp = cloud["tmp"]
        (tmp / "https.json").write_text(json.dumps(graph))

        def run_https(env):
            out = tmp / "https.out.json"
            out.unlink(missing_ok=True)
            p = subprocess.run([str(BIN), "run", "https.json", "--config", str(cloud["config"]), "-o", str(out),
                                "--allow", f"s3://{BUCKET}"],
                               cwd=tmp, capture_output=True, text=True, timeout=120, env=env)
            return p, out

        import os
        p, out = run_https({**os.environ, "SSL_CERT_FILE": str(ca)})
        assert p.returncode == 0, p.stderr
        local = run(cloud, seed_graph("LOCAL"), "local")
        got = json.loads(out.read_text())
        np.testing.assert_array_equal(np.array(got["data"], dtype=float), np.array(local["data"], dtype=float))
        assert https.gets("/items-https.json") and https.gets(".tif"), "nothing was read over https"
        # the system's store does not know the test authority
        env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
        p, _ = run_https(env)
        assert p.returncode != 0 and "items-https.json" in p.stderr and "certificate" in p.stderr.lower(), p.stderr
    finally:
        https.stop()
