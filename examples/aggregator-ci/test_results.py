"""Results through the aggregator, compared value by value with the synthetic collections' pixel function
(`support.synthetic_value`): a synchronous request routed to one member, and a cross-backend batch job computed
by both.
"""
import json

import requests

from support import HTTP_TIMEOUT, synthetic_value, wait_until

# Pixel columns 30..33 and rows 0..2 of the members' grids: on b2's FIX_B2_ONLY the second date has a cloud
# (no-data) from column 32 on, so the window holds values and no-data.
COLUMNS = range(30, 34)
ROWS = range(0, 3)
JUNE = ["2022-06-01", "2022-06-30"]


def window(source):
    """The bounding box (in the collection's CRS) whose pixel centres are COLUMNS x ROWS of a synthetic source."""
    (ox, oy), res = source["origin"], source["resolution"]
    return {"west": ox + COLUMNS[0] * res, "east": ox + (COLUMNS[-1] + 1) * res,
            "north": oy - ROWS[0] * res, "south": oy - (ROWS[-1] + 1) * res, "crs": source["crs"]}


def band_values(config, band, t):
    """Rows of the generator's values of one band and date over the window; None for no-data."""
    b = [c["name"] for c in config["bands"]].index(band)
    seed = config["source"]["seed"]
    return [[synthetic_value(seed, b, t, x, y) for x in COLUMNS] for y in ROWS]


def test_sync_result_has_the_generator_values(conn, b1, b2):
    """A synchronous JSON result of b2's collection through the aggregator: sent to b2 only, and every pixel of
    both bands and both dates is exactly the generator's value (no-data as null)."""
    config = b2.collection_config("FIX_B2_ONLY")
    source = config["source"]
    bands = [c["name"] for c in config["bands"]]
    cube = conn.load_collection("FIX_B2_ONLY", spatial_extent=window(source), temporal_extent=JUNE, bands=bands)
    data = json.loads(cube.download(format="JSON"))

    (ox, oy), res = source["origin"], source["resolution"]
    assert data["order"] == ["t", "bands", "y", "x"]
    assert data["dimensions"]["t"]["values"] == [f"{d}T00:00:00Z" for d in source["dates"]]
    assert data["dimensions"]["bands"]["values"] == bands
    assert data["dimensions"]["x"]["values"] == [ox + (x + 0.5) * res for x in COLUMNS]
    assert data["dimensions"]["y"]["values"] == [oy - (y + 0.5) * res for y in ROWS]
    expected = [[band_values(config, band, t) for band in bands] for t in range(len(source["dates"]))]
    assert data["data"] == expected
    flat = [v for per_t in expected for per_band in per_t for row in per_band for v in row]
    assert None in flat and any(v is not None for v in flat)  # the window really has both

    (posted,) = b2.requests_to("POST", "/result")
    loads = [n for n in posted["json"]["process"]["process_graph"].values() if n["process_id"] == "load_collection"]
    assert [n["arguments"]["id"] for n in loads] == ["FIX_B2_ONLY"]
    assert b1.requests_to("POST", "/result") == []


def test_cross_backend_job_computes_the_generator_values(conn, b1, b2, tmp_path):
    """A cross-backend batch job that succeeds: the temporal mean of B04 of b1's collection merged with the mean
    of B08 of b2's. b2 computes its branch as a partial job, b1 reads it with load_stac and writes JSON; the
    result, downloaded through the aggregator, is exactly the mean of the generator's values (no-data skipped)."""
    b1_config, b2_config = b1.collection_config("FIX_B1_ONLY"), b2.collection_config("FIX_B2_ONLY")

    def mean_branch(config, band):
        return (conn.load_collection(config["id"], spatial_extent=window(config["source"]), temporal_extent=JUNE,
                                     bands=[band])
                .reduce_dimension("t", reducer="mean"))

    cube = mean_branch(b1_config, "B04").merge_cubes(mean_branch(b2_config, "B08")).save_result("JSON")
    job = conn.create_job(cube, title="cross-backend means", job_options={
        "split_strategy": {"crossbackend": {"method": "deep", "primary_backend": "b1"}}})
    assert job.job_id.startswith("agg-"), job.job_id
    job.start_job()
    status = wait_until(lambda: (s := job.status()) in ("finished", "error", "canceled") and s,
                        "the cross-backend job done", timeout=30)
    assert status == "finished", [e["message"] for e in job.logs()]
    assert b2.requests_to("POST", "/jobs") and b1.requests_to("POST", "/jobs")

    assets = job.get_results().get_assets()
    assert len(assets) == 1, assets
    r = requests.get(assets[0].href, timeout=HTTP_TIMEOUT)  # a link signed by b1: no authentication needed
    r.raise_for_status()
    data = r.json()

    def mean_over_dates(config, band):
        per_date = [band_values(config, band, t) for t in range(len(config["source"]["dates"]))]
        out = []
        for r_i in range(len(ROWS)):
            row = []
            for c_i in range(len(COLUMNS)):
                valid = [d[r_i][c_i] for d in per_date if d[r_i][c_i] is not None]
                row.append(sum(valid) / len(valid) if valid else None)
            out.append(row)
        return out

    assert data["order"] == ["bands", "y", "x"]
    assert data["dimensions"]["bands"]["values"] == ["B04", "B08"]
    expected = [mean_over_dates(b1_config, "B04"), mean_over_dates(b2_config, "B08")]
    assert data["data"] == expected
