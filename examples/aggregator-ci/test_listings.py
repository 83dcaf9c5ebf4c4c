"""Metadata listings of the aggregator when a member goes away or fails, and how it merges a collection that two
members serve.

b1 serves FIX_B1_ONLY and FIX_SHARED, b2 serves FIX_B2_ONLY and its own FIX_SHARED (other place, date and bands);
see fixtures/*.toml.
"""
import time

import pytest

from support import wait_until


def listing(aggregator, path):
    """An aggregator listing (`/collections`, `/processes`) as JSON."""
    r = aggregator.get(path)
    assert r.status_code == 200, r.text
    return r.json()


def collection_ids(aggregator):
    return sorted(c["id"] for c in listing(aggregator, "/collections")["collections"])


def test_offline_member_is_reported_missing_and_comes_back(aggregator, b1, b2):
    """(1) An offline member appears in `federation:missing` of /collections and /processes, its collections
    disappear from the listing, GET / calls it `offline`; after `online` everything is back within about
    `connections_cache_ttl`."""
    assert listing(aggregator, "/collections")["federation:missing"] == []
    assert collection_ids(aggregator) == ["FIX_B1_ONLY", "FIX_B2_ONLY", "FIX_SHARED"]

    b2.offline()
    wait_until(lambda: listing(aggregator, "/collections")["federation:missing"] == ["b2"],
               "b2 missing from /collections")
    assert collection_ids(aggregator) == ["FIX_B1_ONLY", "FIX_SHARED"]
    assert listing(aggregator, "/processes")["federation:missing"] == ["b2"]
    assert aggregator.federation_status() == {"b1": "online", "b2": "offline"}
    # FIX_SHARED is still there, now from b1 alone.
    shared = aggregator.get("/collections/FIX_SHARED").json()
    assert shared["summaries"]["federation:backends"] == ["b1"]
    # The aggregator did try b2: the member logged those requests with no status (connection closed unanswered).
    dropped = [e for e in b2.request_log() if e["status"] is None]
    assert dropped, b2.request_log()

    b2.online()
    started = time.monotonic()
    wait_until(lambda: listing(aggregator, "/collections")["federation:missing"] == [],
               "b2 back in /collections")
    recovered_after = time.monotonic() - started
    assert collection_ids(aggregator) == ["FIX_B1_ONLY", "FIX_B2_ONLY", "FIX_SHARED"]
    assert listing(aggregator, "/processes")["federation:missing"] == []
    assert aggregator.federation_status() == {"b1": "online", "b2": "online"}
    # Recovery is bounded by the connection cache TTL (plus polling and request time).
    assert recovered_after < aggregator.settings["connections_cache_ttl"] + 5, recovered_after


def test_500_on_member_collections(aggregator, b1, b2):
    """(3) b2 answers 500 to GET /collections but is otherwise healthy: the merged listing keeps b1's collections
    and names b2 in `federation:missing`; GET / still calls b2 `online`. The aggregator then no longer knows
    b2's collections at all: /collections/FIX_B2_ONLY is 404 through the aggregator although b2 serves it, and
    FIX_SHARED is described from b1 alone. After the fault is removed, the listing recovers once the cached
    listing expires."""
    fault = b2.add_fault("/collections", method="GET", status=500)
    wait_until(lambda: listing(aggregator, "/collections")["federation:missing"] == ["b2"],
               "b2 missing from /collections")
    assert collection_ids(aggregator) == ["FIX_B1_ONLY", "FIX_SHARED"]
    assert aggregator.federation_status() == {"b1": "online", "b2": "online"}

    r = aggregator.get("/collections/FIX_B2_ONLY")
    assert (r.status_code, r.json()["code"]) == (404, "CollectionNotFound")
    assert b2.api_get("/collections/FIX_B2_ONLY")["id"] == "FIX_B2_ONLY"  # the member itself has it
    shared = aggregator.get("/collections/FIX_SHARED").json()
    assert shared["summaries"]["federation:backends"] == ["b1"]
    assert shared["cube:dimensions"]["bands"]["values"] == ["B02", "B03", "B04", "B08"]  # b1's, unmerged

    failed = b2.requests_to("GET", "/collections")
    assert failed and all(e["status"] == 500 and e["faults"] == [fault] for e in failed), failed

    b2.remove_faults()
    wait_until(lambda: listing(aggregator, "/collections")["federation:missing"] == [], "b2 back in /collections")
    assert collection_ids(aggregator) == ["FIX_B1_ONLY", "FIX_B2_ONLY", "FIX_SHARED"]


def test_collection_served_by_two_members_is_merged(aggregator, b1, b2):
    """(6) FIX_SHARED exists on both members: b1 has it at x 600000–602560, on 2022-06-01 and 2022-06-11, with
    bands B02 B03 B04 B08; b2 at x 602560–605120 on 2022-06-21 with B02 B03 B04. What openeo-aggregator 0.47
    makes of it (metadata/merging.py):
    - `summaries`: `federation:backends` (and the older `provider:backend`) list both, in configuration order;
    - bands (`cube:dimensions.bands.values`, `eo:bands`, `bands`): the common prefix of the members' band lists,
      so B08, which only b1 has, is gone;
    - `cube:dimensions` x/y/t: the first member's dimension with the extent widened to the union, but its
      `values` (the dates) stay b1's: 2022-06-21 is in the extent, not in the values;
    - `extent.spatial.bbox` and `extent.temporal.interval`: each member's box and interval, listed one after the
      other (no overall box first);
    - the listing shows FIX_SHARED once, with the same two boxes."""
    b1_doc = b1.api_get("/collections/FIX_SHARED")
    b2_doc = b2.api_get("/collections/FIX_SHARED")
    merged = aggregator.get("/collections/FIX_SHARED").json()

    assert merged["summaries"]["federation:backends"] == ["b1", "b2"]
    assert merged["summaries"]["provider:backend"] == ["b1", "b2"]

    assert b1_doc["cube:dimensions"]["bands"]["values"] == ["B02", "B03", "B04", "B08"]
    assert b2_doc["cube:dimensions"]["bands"]["values"] == ["B02", "B03", "B04"]
    assert merged["cube:dimensions"]["bands"]["values"] == ["B02", "B03", "B04"]
    assert [b["name"] for b in merged["summaries"]["eo:bands"]] == ["B02", "B03", "B04"]

    dims = merged["cube:dimensions"]
    assert dims["x"]["extent"] == [600000.0, 605120.0]
    assert dims["y"]["extent"] == [5197440.0, 5200000.0]
    assert dims["x"]["reference_system"] == 32632
    assert dims["t"]["extent"] == ["2022-06-01T00:00:00Z", "2022-06-21T00:00:00Z"]
    assert dims["t"]["values"] == b1_doc["cube:dimensions"]["t"]["values"] == [
        "2022-06-01T00:00:00Z", "2022-06-11T00:00:00Z"]

    boxes = b1_doc["extent"]["spatial"]["bbox"] + b2_doc["extent"]["spatial"]["bbox"]
    assert len(boxes) == 2 and boxes[0] != boxes[1]
    assert merged["extent"]["spatial"]["bbox"] == boxes
    assert merged["extent"]["temporal"]["interval"] == [
        ["2022-06-01T00:00:00Z", "2022-06-11T00:00:00Z"],
        ["2022-06-21T00:00:00Z", "2022-06-21T00:00:00Z"],
    ]

    in_listing = [c for c in listing(aggregator, "/collections")["collections"] if c["id"] == "FIX_SHARED"]
    assert len(in_listing) == 1
    assert in_listing[0]["extent"]["spatial"]["bbox"] == merged["extent"]["spatial"]["bbox"]

    # A collection of one member is passed through with that member in `federation:backends`.
    only_b2 = aggregator.get("/collections/FIX_B2_ONLY").json()
    assert only_b2["summaries"]["federation:backends"] == ["b2"]
    assert only_b2["cube:dimensions"]["bands"]["values"] == ["B04", "B08"]


@pytest.mark.parametrize("path", ["/collections", "/processes"])
def test_listing_lists_both_members_when_healthy(aggregator, path):
    """The baseline the fault tests start from: nothing missing."""
    assert listing(aggregator, path)["federation:missing"] == []
