"""Zarr collections: stores written by xarray (`Dataset.to_zarr`, Zarr V2 with Blosc and V3 with zstd) from the
synthetic COGs, read through a `zarr` collection by `openeo-local run`, gives the numbers numpy computes from the
COGs themselves; and Zarr output, written by `openeo-local run` or as a batch job's result (read by xarray straight
from the signed asset URL), opens in xarray with its dimensions, times, CRS and values."""

import json
import subprocess

import numpy as np
import openeo
import pandas as pd
import pytest
from pyproj import CRS

from conftest import BIN, REPO
from test_cube_processes import SYNTH, SYNTH_BOX, SYNTH_DATES, raster


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_a_zarr_store_written_by_xarray_reads_like_the_files(tmp_path, zarr_format):
    import xarray

    dates = SYNTH_DATES[:3]
    data = {}
    for band in ["B04", "B08"]:
        read = [raster(SYNTH / f"SYNTH_{d}_{band}.tif") for d in dates]
        gt = read[0][1]
        data[band] = np.stack([v for v, _ in read])
    nt, h, w = data["B04"].shape
    coords = {
        "time": pd.to_datetime(dates),
        "y": gt[3] + (np.arange(h) + 0.5) * gt[5],
        "x": gt[0] + (np.arange(w) + 0.5) * gt[1],
    }
    ds = xarray.Dataset(
        {b: (("time", "y", "x"), np.nan_to_num(v, nan=0).astype("uint16"), {"grid_mapping": "spatial_ref"})
         for b, v in data.items()},
        coords=coords,
    )
    ds["spatial_ref"] = xarray.DataArray(0, attrs={"crs_wkt": CRS.from_epsg(32632).to_wkt()})
    store = tmp_path / "synth.zarr"
    ds.to_zarr(store, encoding={b: {"_FillValue": 0} for b in data}, zarr_format=zarr_format,
               consolidated=zarr_format == 2)
    config = tmp_path / "collections.toml"
    config.write_text(
        '[[collections]]\nid = "SYNTH_ZARR"\nsource = { kind = "zarr", path = "synth.zarr" }\n'
        'bands = [{ name = "B04" }, { name = "B08" }]\n'
    )
    graph = {"process_graph": {
        "load": {"process_id": "load_collection", "arguments": {
            "id": "SYNTH_ZARR", "spatial_extent": SYNTH_BOX, "temporal_extent": ["2022-06-05", "2022-06-30"]}},
        "mean": {"process_id": "reduce_dimension", "arguments": {"data": {"from_node": "load"}, "dimension": "t",
                 "reducer": {"process_graph": {"m": {"process_id": "mean", "arguments": {
                     "data": {"from_parameter": "data"}}, "result": True}}}}},
        "save": {"process_id": "save_result", "arguments": {"data": {"from_node": "mean"}, "format": "JSON"},
                 "result": True}}}
    (tmp_path / "graph.json").write_text(json.dumps(graph))
    out = tmp_path / "out.json"
    subprocess.run([str(BIN), "run", "graph.json", "--config", str(config), "-o", str(out)], cwd=tmp_path,
                   check=True, capture_output=True)
    doc = json.loads(out.read_text())
    assert doc["order"] == ["bands", "y", "x"]
    xs, ys = doc["dimensions"]["x"]["values"], doc["dimensions"]["y"]["values"]
    assert doc["dimensions"]["y"]["reference_system"] == "EPSG:32632"
    cols = [int((x - gt[0]) // gt[1]) for x in xs]
    rows = [int((y - gt[3]) // gt[5]) for y in ys]
    got = np.array(doc["data"], dtype=float)
    for b, band in enumerate(["B04", "B08"]):
        # the dates from 2022-06-05 on: the second and third
        window = data[band][1:, :, :][:, rows][:, :, cols]
        want = np.nanmean(window, axis=0)
        assert np.isfinite(want).sum() > want.size // 2
        np.testing.assert_allclose(got[b], want, rtol=1e-6, equal_nan=True)


def test_zarr_output_opens_in_xarray_with_dims_time_and_crs(tmp_path):
    import xarray

    graph = {"process_graph": {
        "load": {"process_id": "load_collection", "arguments": {
            "id": "SYNTH_S2_UTM", "spatial_extent": SYNTH_BOX, "temporal_extent": ["2022-06-01", "2022-06-10"],
            "bands": ["B04", "B08"]}},
        "save": {"process_id": "save_result", "arguments": {"data": {"from_node": "load"}, "format": "Zarr"},
                 "result": True}}}
    (tmp_path / "graph.json").write_text(json.dumps(graph))
    out = tmp_path / "out.zarr"
    subprocess.run([str(BIN), "run", str(tmp_path / "graph.json"), "-o", str(out)], cwd=REPO, check=True,
                   capture_output=True)
    check_zarr_output(xarray.open_zarr(out, decode_coords="all"))


def check_zarr_output(ds):
    """The Zarr output of B04 and B08 of SYNTH_S2_UTM in SYNTH_BOX, 2022-06-01 to 06-10: dims, times, CRS, values."""
    assert ds["B04"].dims == ("t", "y", "x")
    assert [str(t)[:10] for t in ds["t"].values] == ["2022-06-02", "2022-06-07"]
    assert CRS.from_wkt(ds["spatial_ref"].attrs["crs_wkt"]).to_epsg() == 32632
    for band in ["B04", "B08"]:
        for k, d in enumerate(["20220602", "20220607"]):
            values, gt = raster(SYNTH / f"SYNTH_{d}_{band}.tif")
            cols = [int((x - gt[0]) // gt[1]) for x in ds["x"].values]
            rows = [int((y - gt[3]) // gt[5]) for y in ds["y"].values]
            want = values[np.ix_(rows, cols)]
            np.testing.assert_array_equal(ds[band].values[k], want.astype("float32"))


def test_a_batch_job_in_zarr_is_one_stac_asset_xarray_opens_over_http(conn):
    import xarray

    cube = conn.load_collection("SYNTH_S2_UTM", spatial_extent=SYNTH_BOX,
                                temporal_extent=["2022-06-01", "2022-06-10"], bands=["B04", "B08"])
    job = cube.create_job(out_format="Zarr")
    job.start_and_wait()
    assets = job.get_results().get_metadata()["assets"]
    assert list(assets) == ["openEO.zarr"], assets
    asset = assets["openEO.zarr"]
    assert asset["type"] == "application/vnd+zarr" and asset["roles"] == ["data"]
    # the signed href answers without authentication; the root document lists every array
    check_zarr_output(xarray.open_zarr(asset["href"], consolidated=True, decode_coords="all"))
    # synchronous processing cannot answer with a directory
    with pytest.raises(openeo.rest.OpenEoApiError) as e:
        cube.download(format="Zarr")
    assert e.value.code == "FormatUnsupported"
