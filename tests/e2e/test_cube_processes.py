"""Cube processes built with the real `openeo` client (its defaults), checked against an independent computation:
numpy on the source rasters read with GDAL's command-line tools, shapely for point-in-polygon and pyproj for
coordinates. Small windows go through synchronous `/result` with JSON output.
"""

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from conftest import REPO

S2 = REPO / "testdata" / "s2"
SYNTH = REPO / "testdata" / "synthetic" / "utm"
SYNTH_DATES = ["20220602", "20220607", "20220612", "20220617", "20220622", "20220627"]
# a window of the Sentinel-2 sample (EPSG:32632): 40 × 30 pixels, 10 m
S2_BOX = {"west": 680000, "east": 680400, "south": 5151000, "north": 5151300, "crs": 32632}
# a window of the synthetic collection: 6 × 4 pixels
SYNTH_BOX = {"west": 677000, "east": 677060, "south": 5152000, "north": 5152040, "crs": 32632}


# ---------------------------------------------------------------- reading rasters independently


def raster(path: Path, band: int = 1):
    """One band as float64 with no-data as NaN, and the geotransform."""
    info = json.loads(subprocess.run(["gdalinfo", "-json", str(path)], check=True, capture_output=True,
                                     text=True).stdout)
    width, height = info["size"]
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "band.envi"
        subprocess.run(["gdal_translate", "-q", "-of", "ENVI", "-ot", "Float64", "-b", str(band), str(path),
                        str(raw)], check=True)
        values = np.fromfile(raw, dtype="<f8").reshape(height, width)
    nodata = info["bands"][band - 1].get("noDataValue")
    if nodata is not None:
        values[values == nodata] = np.nan
    return values, info["geoTransform"]


def window(values, transform, xs, ys):
    """The values at the pixel centres `xs` (columns) × `ys` (rows)."""
    cols = [int((x - transform[0]) // transform[1]) for x in xs]
    rows = [int((y - transform[3]) // transform[5]) for y in ys]
    return values[np.ix_(rows, cols)]


def result(cube):
    """The cube computed through synchronous /result as JSON: (dims, coords, data as float array)."""
    doc = cube.download(format="JSON")
    if isinstance(doc, (bytes, str)):
        doc = json.loads(doc)
    data = np.array(doc["data"], dtype=float)  # null -> nan
    return doc["order"], {name: dim["values"] for name, dim in doc["dimensions"].items()}, data


def same(got, want):
    assert got.shape == want.shape, (got.shape, want.shape)
    assert np.isfinite(want).sum() > want.size // 2, "the reference is mostly no-data"
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-3, equal_nan=True)


# ---------------------------------------------------------------- tests


def test_scl_mask(conn):
    # the sample has no clouds: keep vegetation, masking dark areas, bare soil, water and unclassified pixels
    box = {"west": 682390, "east": 682790, "south": 5151660, "north": 5151960, "crs": 32632}
    s2 = conn.load_collection("SENTINEL2_L2A_SAMPLE", spatial_extent=box, bands=["B04", "B08", "SCL"])
    scl = s2.band("SCL")
    invalid = (scl == 2) | (scl == 5) | (scl == 6) | (scl == 7)
    masked = s2.filter_bands(["B04", "B08"]).mask(invalid)
    dims, coords, data = result(masked)
    assert dims == ["t", "bands", "y", "x"] and coords["bands"] == ["B04", "B08"]
    scl_values, gt = raster(S2 / "S2L2A_T32TPS_20220612_SCL.tif")
    cloudy = np.isin(window(scl_values, gt, coords["x"], coords["y"]), [2, 5, 6, 7])
    assert 0 < cloudy.sum() < cloudy.size // 2, "the window should have some masked and more clear pixels"
    for i, band in enumerate(["B04", "B08"]):
        values, gt = raster(S2 / f"S2L2A_T32TPS_20220612_{band}.tif")
        want = np.where(cloudy, np.nan, window(values, gt, coords["x"], coords["y"]))
        same(data[0, i], want)


def test_median_composites_per_dekad(conn):
    cube = conn.load_collection("SYNTH_S2_UTM", spatial_extent=SYNTH_BOX, bands=["B04"])
    dims, coords, data = result(cube.aggregate_temporal_period("dekad", reducer="median"))
    # June 2022: dekad 16 (1–10), 17 (11–20), 18 (21–30)
    assert coords["t"] == ["2022-16", "2022-17", "2022-18"]
    groups = [["20220602", "20220607"], ["20220612", "20220617"], ["20220622", "20220627"]]
    for k, dates in enumerate(groups):
        stack = [window(*raster(SYNTH / f"SYNTH_{d}_B04.tif"), coords["x"], coords["y"]) for d in dates]
        same(data[k, 0], np.nanmedian(np.stack(stack), axis=0))


def test_aggregate_temporal_with_intervals_and_an_empty_one(conn):
    cube = conn.load_collection("SYNTH_S2_UTM", spatial_extent=SYNTH_BOX, bands=["B04"])
    intervals = [["2022-06-01", "2022-06-13"], ["2022-07-01", "2022-08-01"], ["2022-06-10", "2022-06-30"]]
    agg = cube.aggregate_temporal(intervals, reducer="max", labels=["early", "july", "late"])
    dims, coords, data = result(agg)
    assert coords["t"] == ["early", "july", "late"]
    read = {d: window(*raster(SYNTH / f"SYNTH_{d}_B04.tif"), coords["x"], coords["y"]) for d in SYNTH_DATES}
    same(data[0, 0], np.nanmax(np.stack([read[d] for d in SYNTH_DATES[:3]]), axis=0))
    assert np.isnan(data[1, 0]).all()
    same(data[2, 0], np.nanmax(np.stack([read[d] for d in SYNTH_DATES[2:]]), axis=0))


@pytest.mark.parametrize("border", [0, "replicate", "reflect_pixel"])
def test_3x3_kernel(conn, border):
    kernel = [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    cube = conn.load_collection("SENTINEL2_L2A_SAMPLE", spatial_extent=S2_BOX, bands=["B04"])
    dims, coords, data = result(cube.apply_kernel(kernel, factor=1 / 16, border=border))
    values, gt = raster(S2 / "S2L2A_T32TPS_20220612_B04.tif")
    win = np.nan_to_num(window(values, gt, coords["x"], coords["y"]), nan=0.0)
    mode = {0: "constant", "replicate": "edge", "reflect_pixel": "reflect"}[border]
    padded = np.pad(win, 1, mode=mode)
    h, w = win.shape
    want = sum(kernel[i][j] * padded[i:i + h, j:j + w] for i in range(3) for j in range(3)) / 16
    same(data[0, 0], want)


def test_mask_polygon_and_filter_spatial(conn):
    to_lonlat = Transformer.from_crs(32632, 4326, always_xy=True)
    # a quadrilateral with a hole, most of the window
    corners = [(680020, 5151010), (680390, 5151030), (680370, 5151290), (680010, 5151270)]
    ring = [to_lonlat.transform(x, y) for x, y in corners]
    hole = [to_lonlat.transform(x, y) for x, y in [(680150, 5151100), (680200, 5151100), (680170, 5151150)]]
    polygon = {"type": "Polygon", "coordinates": [[*ring, ring[0]], [*hole, hole[0]]]}
    cube = conn.load_collection("SENTINEL2_L2A_SAMPLE", spatial_extent=S2_BOX, bands=["B04"])
    dims, coords, data = result(cube.mask_polygon(polygon))
    values, gt = raster(S2 / "S2L2A_T32TPS_20220612_B04.tif")
    xs, ys = np.meshgrid(coords["x"], coords["y"])
    lon, lat = to_lonlat.transform(xs, ys)
    inside = shapely.contains_xy(shapely.geometry.shape(polygon), lon, lat)
    assert 0 < inside.sum() < inside.size
    same(data[0, 0], np.where(inside, window(values, gt, coords["x"], coords["y"]), np.nan))
    # filter_spatial: the same values, cut to the polygon's bounding box
    dims, fcoords, fdata = result(
        conn.load_collection("SENTINEL2_L2A_SAMPLE", bands=["B04"]).filter_spatial(polygon))
    assert len(fcoords["x"]) < 40 and len(fcoords["y"]) < 30
    cols = [coords["x"].index(x) for x in fcoords["x"]]
    rows = [coords["y"].index(y) for y in fcoords["y"]]
    np.testing.assert_array_equal(np.isnan(fdata[0, 0]), np.isnan(data[0, 0][np.ix_(rows, cols)]))
    np.testing.assert_allclose(fdata[0, 0], data[0, 0][np.ix_(rows, cols)], equal_nan=True)


def test_dimension_processes_keep_the_values_on_the_right_axis(conn):
    cube = conn.load_collection("SYNTH_S2_UTM", spatial_extent=SYNTH_BOX, bands=["B04", "B08"])
    _, coords, base = result(cube)
    # a new leading dimension, then a band filter: still the band that was asked for
    _, c2, picked = result(cube.add_dimension("scenario", "a").filter_bands(["B08"]))
    assert c2["scenario"] == ["a"] and c2["bands"] == ["B08"]
    np.testing.assert_array_equal(picked[0, :, 0], base[:, 1])
    # renamed labels are found by the new name; dropping a single-label dimension keeps the values
    renamed = cube.rename_labels("bands", target=["red", "nir"], source=["B04", "B08"])
    _, c3, nir = result(renamed.filter_bands(["nir"]).drop_dimension("bands"))
    assert "bands" not in c3
    np.testing.assert_array_equal(nir, base[:, 1])
    _, c4, same_values = result(cube.rename_dimension("t", "time"))
    assert "time" in c4 and "t" not in c4
    np.testing.assert_array_equal(same_values, base)
    # dimension_labels is a plain value
    labels = cube.dimension_labels("bands").execute()
    assert labels == ["B04", "B08"]


# ---------------------------------------------------------------- resampling, against gdalwarp

WIDE_BOX = {"west": 680000, "east": 680600, "south": 5151000, "north": 5151300, "crs": 32632}


def gdalwarp(tmp_path, coords, res, method, crs=32632, crop=None):
    """B04 of the sample warped by gdalwarp (full resolution, not the overviews) onto the grid of `coords` (pixel
    centres), as float64 with NaN."""
    source = S2 / "S2L2A_T32TPS_20220612_B04.tif"
    if crop is not None:
        cut = tmp_path / "crop.tif"
        subprocess.run(["gdal_translate", "-q", "-projwin", str(crop["west"]), str(crop["north"]),
                        str(crop["east"]), str(crop["south"]), str(source), str(cut)], check=True)
        source = cut
    xs, ys = coords["x"], coords["y"]
    te = [min(xs) - res / 2, min(ys) - res / 2, max(xs) + res / 2, max(ys) + res / 2]
    out = tmp_path / f"warped_{method}_{res}.tif"
    subprocess.run(["gdalwarp", "-q", "-overwrite", "-ovr", "NONE", "-t_srs", f"EPSG:{crs}", "-tr", str(res), str(res),
                    "-te", *map(str, te), "-r", method, "-ot", "Float64", str(source), str(out)], check=True)
    values, _ = raster(out)
    return values


@pytest.mark.parametrize("method,res", [("average", 20), ("max", 20), ("near", 30), ("med", 30)])
def test_resample_spatial_downsampling_matches_gdalwarp(conn, tmp_path, method, res):
    cube = conn.load_collection("SENTINEL2_L2A_SAMPLE", spatial_extent=WIDE_BOX, bands=["B04"])
    _, coords, data = result(cube.resample_spatial(resolution=res, method=method))
    assert len(coords["x"]) == 600 // res and len(coords["y"]) == 300 // res
    same(data[0, 0], gdalwarp(tmp_path, coords, res, method))


@pytest.mark.parametrize("method", ["bilinear", "cubic"])
def test_resample_spatial_upsampling_matches_gdalwarp_inside(conn, tmp_path, method):
    cube = conn.load_collection("SENTINEL2_L2A_SAMPLE", spatial_extent=WIDE_BOX, bands=["B04"])
    _, coords, data = result(cube.resample_spatial(resolution=5, method=method))
    want = gdalwarp(tmp_path, coords, 5, method, crop=WIDE_BOX)
    # away from the edges, where both read the same pixels
    same(data[0, 0][4:-4, 4:-4], want[4:-4, 4:-4])


def test_resample_spatial_reprojects_like_gdalwarp(conn, tmp_path):
    cube = conn.load_collection("SENTINEL2_L2A_SAMPLE", spatial_extent=WIDE_BOX, bands=["B04"])
    _, coords, data = result(cube.resample_spatial(resolution=20, projection=3035))
    want = gdalwarp(tmp_path, coords, 20, "near", crs=3035)
    got = data[0, 0]
    valid = np.isfinite(got) & np.isfinite(want)
    assert valid.sum() > got.size // 2
    # nearest neighbour may pick the other pixel where a centre falls on a boundary
    assert (got[valid] == want[valid]).mean() > 0.99


def test_resample_cube_spatial_onto_a_20m_cube(conn):
    s2 = conn.load_collection("SENTINEL2_L2A_SAMPLE", spatial_extent=WIDE_BOX, bands=["B04"])
    target = s2.resample_spatial(resolution=20)
    _, coords, data = result(s2.resample_cube_spatial(target, method="average"))
    values, gt = raster(S2 / "S2L2A_T32TPS_20220612_B04.tif")
    blocks = window(values, gt, [x + d for x in coords["x"] for d in (-5, 5)], [y + d for y in coords["y"] for d in (5, -5)])
    h, w = data.shape[-2:]
    want = np.nanmean(blocks.reshape(h, 2, w, 2), axis=(1, 3))
    same(data[0, 0], want)


def test_apply_dimension_into_a_target_dimension(conn):
    cube = conn.load_collection("SYNTH_S2_UTM", spatial_extent=SYNTH_BOX, bands=["B04", "B08"])
    _, coords, base = result(cube)
    dims, c2, data = result(cube.apply_dimension(dimension="bands", target_dimension="stat", process="mean"))
    assert dims == ["t", "stat", "y", "x"] and c2["stat"] == ["0"]
    count = np.isfinite(base).sum(axis=1)
    same(data[:, 0], np.where(count > 0, np.nansum(base, axis=1) / np.maximum(count, 1), np.nan))


def test_netcdf_output_of_text_labels_and_of_a_target_dimension(conn, tmp_path):
    """netCDF keeps labels that are not instants as a string coordinate that xarray reads."""
    import xarray

    cube = conn.load_collection("SYNTH_S2_UTM", spatial_extent=SYNTH_BOX, temporal_extent=["2022-06-02", "2022-06-03"],
                                bands=["B04", "B08"])
    _, coords, base = result(cube)
    renamed = cube.rename_labels(dimension="t", source=cube.dimension_labels("t"), target=["first_date"])
    path = tmp_path / "renamed.nc"
    renamed.download(path, format="netCDF")
    with xarray.open_dataset(path) as ds:
        assert list(ds["t"].values) == ["first_date"]
        assert list(ds["x"].values) == coords["x"] and list(ds["y"].values) == coords["y"]
        for b, band in enumerate(["B04", "B08"]):
            same(ds[band].values, base[:, b])
    quantiles = cube.apply_dimension(dimension="bands", target_dimension="q",
                                     process=lambda d: d.quantiles(probabilities=[0.25, 0.75]))
    path = tmp_path / "quantiles.nc"
    quantiles.download(path, format="netCDF")
    _, _, want = result(quantiles)
    with xarray.open_dataset(path) as ds:
        var = ds["var"]
        assert var.dims == ("t", "q", "y", "x") and list(ds["q"].values) == ["0", "1"]
        same(var.values, want)


def test_filter_bands_by_wavelength_and_an_empty_cube_from_the_client(conn):
    cube = conn.load_collection("SYNTH_S2_UTM", spatial_extent=SYNTH_BOX, temporal_extent=["2022-06-01", "2022-06-03"])
    from openeo.rest.datacube import THIS

    # the client's filter_bands has no wavelengths: the generic process call writes them
    _, coords, data = result(cube.process("filter_bands", data=THIS, bands=["B08"], wavelengths=[[0.6, 0.7]]))
    assert coords["bands"] == ["B08", "B04"]
    _, _, base = result(cube.filter_bands(["B04", "B08"]))
    same(data, base[:, ::-1])
    empty = conn.datacube_from_process("create_data_cube").add_dimension(name="t", label="2022-06-01", type="temporal")
    doc = empty.download(format="JSON")
    doc = json.loads(doc) if isinstance(doc, (bytes, str)) else doc
    assert doc == {"type": "datacube", "order": ["t"], "dimensions": {"t": {"type": "temporal", "values": [
        "2022-06-01T00:00:00Z"]}}, "data": []}


def test_a_filter_that_selects_nothing_gives_an_empty_cube(conn):
    cube = conn.load_collection("SYNTH_S2_UTM", spatial_extent=SYNTH_BOX, bands=["B04"])
    nothing = cube.filter_temporal("2023-01-01", "2023-02-01")
    doc = nothing.download(format="JSON")
    doc = json.loads(doc) if isinstance(doc, (bytes, str)) else doc
    assert doc["dimensions"]["t"]["values"] == [] and doc["order"] == ["t", "bands", "y", "x"]
    assert len(doc["dimensions"]["x"]["values"]) == 6 and doc["data"] == []
    far = cube.filter_bbox(west=600000, east=600100, south=5000000, north=5000100, crs=32632)
    doc = far.download(format="JSON")
    doc = json.loads(doc) if isinstance(doc, (bytes, str)) else doc
    assert doc["dimensions"]["x"]["values"] == [] and doc["dimensions"]["y"]["values"] == []
    doc = cube.filter_labels(lambda b: b == "B99", dimension="bands").download(format="JSON")
    doc = json.loads(doc) if isinstance(doc, (bytes, str)) else doc
    assert doc["dimensions"]["bands"]["values"] == [] and doc["data"] == [[]] * len(doc["dimensions"]["t"]["values"])
    # no file format holds it, and no process takes it
    import openeo

    for graph, words in [(nothing, "dimension 't' has no labels"),
                         (nothing.reduce_dimension(dimension="t", reducer="mean"), "parameter 'data'")]:
        with pytest.raises(openeo.rest.OpenEoApiError) as e:
            graph.download(format="GTiff")
        assert e.value.code == "NoDataAvailable" and words in e.value.message, e.value.message


# ---------------------------------------------------------------- zonal statistics


def test_aggregate_spatial_mean_over_two_polygons(conn, tmp_path):
    polygons = [
        [[11.300, 46.480], [11.320, 46.480], [11.320, 46.500], [11.300, 46.500], [11.300, 46.480]],
        [[11.340, 46.470], [11.380, 46.475], [11.360, 46.505], [11.340, 46.470]],
    ]
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": f"p{i}"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
        for i, ring in enumerate(polygons)]}
    cube = conn.load_collection("SENTINEL2_L2A_SAMPLE", bands=["B04", "B08"])
    zonal = cube.aggregate_spatial(geometries=collection, reducer="mean")
    geojson = json.loads(zonal.download(format="GeoJSON"))
    csv_rows = [line.split(",") for line in zonal.download(format="CSV").decode().strip().splitlines()]
    assert csv_rows[0] == ["feature", "t", "bands", "value"]
    import xarray

    nc_path = tmp_path / "zonal.nc"
    zonal.download(nc_path, format="netCDF")
    nc = xarray.open_dataset(nc_path)
    assert nc["B04"].dims == ("geometry", "t") and len(nc["geometry"]) == 2
    assert shapely.from_wkt(nc["geometry"].values[0]).equals(shapely.Polygon(polygons[0]))
    to_lonlat = Transformer.from_crs(32632, 4326, always_xy=True)
    for band in ["B04", "B08"]:
        values, gt = raster(S2 / f"S2L2A_T32TPS_20220612_{band}.tif")
        h, w = values.shape
        xs, ys = np.meshgrid(gt[0] + (np.arange(w) + 0.5) * gt[1], gt[3] + (np.arange(h) + 0.5) * gt[5])
        lon, lat = to_lonlat.transform(xs, ys)
        for i, ring in enumerate(polygons):
            inside = shapely.contains_xy(shapely.Polygon(ring), lon, lat)
            assert inside.sum() > 100
            want = np.nanmean(values[inside])
            feature = geojson["features"][i]
            assert feature["properties"]["name"] == f"p{i}"
            got = feature["properties"][f"2022-06-12T00:00:00Z_{band}"]
            assert got == pytest.approx(want, rel=1e-5)
            row = next(r for r in csv_rows[1:] if r[0] == str(i) and r[2] == band)
            assert float(row[3]) == pytest.approx(want, rel=1e-5)
            assert float(nc[band].values[i, 0]) == pytest.approx(want, rel=1e-5)
    nc.close()


# ---------------------------------------------------------------- labels and time


def synth_b04(coords):
    """B04 of every date of the synthetic collection at the window of `coords`: date → array."""
    return {d: window(*raster(SYNTH / f"SYNTH_{d}_B04.tif"), coords["x"], coords["y"]) for d in SYNTH_DATES}


def test_filter_labels_on_time_and_bands(conn):
    from openeo.processes import date_between

    cube = conn.load_collection("SYNTH_S2_UTM", spatial_extent=SYNTH_BOX, bands=["B04", "B08"])
    kept = cube.filter_labels(lambda t: date_between(t, "2022-06-10", "2022-06-20"), dimension="t")
    kept = kept.filter_labels(lambda b: b == "B04", dimension="bands")
    _, coords, data = result(kept)
    assert coords["t"] == ["2022-06-12T00:00:00Z", "2022-06-17T00:00:00Z"] and coords["bands"] == ["B04"]
    read = synth_b04(coords)
    same(data[:, 0], np.stack([read["20220612"], read["20220617"]]))


def test_cumulative_sums_and_maxima_over_time_per_pixel(conn):
    cube = conn.load_collection("SYNTH_S2_UTM", spatial_extent=SYNTH_BOX, bands=["B04"])
    _, coords, sums = result(cube.apply_dimension(dimension="t", process="cumsum"))
    assert coords["t"] == [f"{d[:4]}-{d[4:6]}-{d[6:]}T00:00:00Z" for d in SYNTH_DATES]
    values = np.stack(list(synth_b04(coords).values()))
    # no-data stays no-data at its own date and is skipped by the sums after it (ignore_nodata's default)
    assert np.isnan(values).any(), "the window has no cloud"
    want = np.where(np.isnan(values), np.nan, np.nancumsum(values, axis=0))
    same(sums[:, 0], want)
    _, _, maxima = result(cube.apply_dimension(dimension="t", process="cummax"))
    same(maxima[:, 0], np.where(np.isnan(values), np.nan, np.fmax.accumulate(values, axis=0)))


def test_resample_cube_temporal_takes_the_nearest_date(conn):
    cube = conn.load_collection("SYNTH_S2_UTM", spatial_extent=SYNTH_BOX, bands=["B04"])
    # dekads start on June 1, 11 and 21: the nearest dates are June 2, 12 and 22
    target = cube.aggregate_temporal_period("dekad", reducer="mean")
    _, coords, data = result(cube.resample_cube_temporal(target))
    assert coords["t"] == ["2022-16", "2022-17", "2022-18"]
    read = synth_b04(coords)
    same(data[:, 0], np.stack([read["20220602"], read["20220612"], read["20220622"]]))
    # nothing within half a day
    _, _, none = result(cube.resample_cube_temporal(target, valid_within=0.5))
    assert np.isnan(none).all()


def test_climatological_normal_and_anomaly(conn):
    cube = conn.load_collection("SYNTH_S2_UTM", spatial_extent=SYNTH_BOX, bands=["B04"])
    # the client has no method for these two: its generic `process` builds the nodes
    normals = cube.process("climatological_normal", data=cube, period="month", climatology_period=["2022", "2022"])
    _, ncoords, ndata = result(normals)
    assert ncoords["t"] == [f"{m:02}" for m in range(1, 13)]
    read = synth_b04(ncoords)
    stack = np.stack([read[d] for d in SYNTH_DATES])
    count = np.isfinite(stack).sum(axis=0)
    june = np.where(count > 0, np.nansum(stack, axis=0) / np.maximum(count, 1), np.nan)
    same(ndata[5, 0], june)
    assert np.isnan(ndata[0, 0]).all()
    _, acoords, adata = result(cube.process("anomaly", data=cube, normals=normals, period="month"))
    assert len(acoords["t"]) == 6
    same(adata[:, 0], stack - june)


def test_trim_cube_drops_empty_labels_and_edges(conn):
    cube = conn.load_collection("SYNTH_S2_UTM", spatial_extent=SYNTH_BOX, bands=["B04"])
    intervals = [["2022-06-01", "2022-06-13"], ["2022-07-01", "2022-08-01"]]
    agg = cube.aggregate_temporal(intervals, reducer="max", labels=["early", "july"])
    to_lonlat = Transformer.from_crs(32632, 4326, always_xy=True)
    # a small square inside the window: rows and columns outside it become no-data, then are trimmed
    corners = [(677012, 5152012), (677038, 5152012), (677038, 5152028), (677012, 5152028), (677012, 5152012)]
    square = {"type": "Polygon", "coordinates": [[to_lonlat.transform(x, y) for x, y in corners]]}
    masked = agg.mask_polygon(square)
    _, full, fdata = result(masked)
    _, coords, data = result(masked.process("trim_cube", data=masked))
    assert coords["t"] == ["early"]
    assert coords["x"] == [677015.0, 677025.0, 677035.0] and coords["y"] == [5152025.0, 5152015.0]
    rows = [full["y"].index(y) for y in coords["y"]]
    cols = [full["x"].index(x) for x in coords["x"]]
    np.testing.assert_array_equal(data[0, 0], fdata[0, 0][np.ix_(rows, cols)])


# ---------------------------------------------------------------- processes on pieces


def px(dimension, value):
    return {"dimension": dimension, "value": value, "unit": "px"}


def test_apply_neighborhood_with_overlap_equals_the_whole_kernel(conn):
    kernel = [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
    cube = conn.load_collection("SENTINEL2_L2A_SAMPLE", spatial_extent=S2_BOX, bands=["B04"])
    _, coords, whole = result(cube.apply_kernel(kernel, factor=1 / 9))
    size = [px("x", 16), px("y", 16)]
    pieces = cube.apply_neighborhood(lambda data: data.apply_kernel(kernel, factor=1 / 9), size=size,
                                     overlap=[px("x", 1), px("y", 1)])
    _, _, data = result(pieces)
    same(data, whole)
    # without overlap the neighbourhoods' edges see no-data (0) instead of their neighbours
    _, _, cut = result(cube.apply_neighborhood(lambda data: data.apply_kernel(kernel, factor=1 / 9), size=size))
    assert not np.allclose(cut, whole, equal_nan=True)
    np.testing.assert_allclose(cut[0, 0, 1:15, 1:15], whole[0, 0, 1:15, 1:15], rtol=1e-6)


def test_apply_polygon_processes_each_polygon(conn):
    to_lonlat = Transformer.from_crs(32632, 4326, always_xy=True)
    corners = [(680050, 5151050), (680300, 5151060), (680200, 5151250), (680050, 5151050)]
    polygon = {"type": "Polygon", "coordinates": [[to_lonlat.transform(x, y) for x, y in corners]]}
    cube = conn.load_collection("SENTINEL2_L2A_SAMPLE", spatial_extent=S2_BOX, bands=["B04"])
    _, coords, base = result(cube)
    _, _, data = result(cube.apply_polygon(geometries=polygon, process=lambda data: data.apply(lambda x: x * 2)))
    xs, ys = np.meshgrid(coords["x"], coords["y"])
    lon, lat = to_lonlat.transform(xs, ys)
    inside = shapely.contains_xy(shapely.geometry.shape(polygon), lon, lat)
    assert 0 < inside.sum() < inside.size
    np.testing.assert_allclose(data[0, 0], np.where(inside, base[0, 0] * 2, np.nan), equal_nan=True)
