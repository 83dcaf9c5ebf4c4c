"""Batch jobs through the aggregator: the job listing with a slow member, a cross-backend job whose partial job
fails, and what members receive of `job_options`.

b1 serves FIX_B1_ONLY, b2 serves FIX_B2_ONLY and both serve FIX_SHARED; see fixtures/*.toml.
"""
import time

from support import MEMBER_AUTHORIZATION, wait_until

# 32 x 32 pixels at the members' origin (EPSG:32632, 10 m).
WINDOW = {"west": 600000, "east": 600320, "north": 5200000, "south": 5199680, "crs": "EPSG:32632"}
JUNE = ["2022-06-01", "2022-06-30"]
# The job option that makes the aggregator split a graph over the members: the "deep" split cuts every branch
# that needs one member's collections into a job on that member; the rest (the merge) runs on the primary member
# and reads the other branches' results with load_stac.
DEEP_SPLIT = {"split_strategy": {"crossbackend": {"method": "deep", "primary_backend": "b1"}}}


def branch(conn, collection, band):
    """load_collection → mean over time, on WINDOW in June."""
    return (conn.load_collection(collection, spatial_extent=WINDOW, temporal_extent=JUNE, bands=[band])
            .reduce_dimension("t", reducer="mean"))


def cross_backend_cube(conn):
    """B04 of b1's collection merged with B08 of b2's: no single member can compute it."""
    return branch(conn, "FIX_B1_ONLY", "B04").merge_cubes(branch(conn, "FIX_B2_ONLY", "B08"))


def single_post(member, path):
    """The one request `POST path` the member logged (fails when there is none or several)."""
    entries = member.requests_to("POST", path)
    assert len(entries) == 1, f"{member.name}: POST {path}: {entries}"
    return entries[0]


def load_stac_urls(graph):
    return [n["arguments"]["url"] for n in graph.values() if n["process_id"] == "load_stac"]


def create_job_on_each_member(conn):
    job1 = conn.create_job(branch(conn, "FIX_B1_ONLY", "B04").save_result("GTiff"), title="listing on b1")
    job2 = conn.create_job(branch(conn, "FIX_B2_ONLY", "B08").save_result("GTiff"), title="listing on b2")
    assert job1.job_id.startswith("b1-") and job2.job_id.startswith("b2-"), (job1.job_id, job2.job_id)
    return job1.job_id, job2.job_id


def list_jobs(conn):
    """GET /jobs through the aggregator: the document, the job ids and the seconds it took."""
    started = time.monotonic()
    doc = conn.get("/jobs", expected_status=200).json()
    return doc, {j["id"] for j in doc["jobs"]}, time.monotonic() - started


def test_slow_member_is_left_out_of_job_listing(conn, aggregator, b1, b2):
    """(2) GET /jobs asks every member in parallel with a per-member read timeout (`request_timeout_list_jobs`,
    10 s by default, 1 s here). b2 answering in half that time is listed. b2 answering 1 s after the timeout is
    left out and named in `federation:missing`, and the listing is answered in about the timeout.

    The aggregator retries a timed-out member request at once (the openeo client's default retry policy), so the
    slow answer is followed by a second request; here b2 refuses that one with a 500, which ends the retries
    (the next test shows what happens when b2 stays slow instead)."""
    timeout = aggregator.settings["request_timeout_list_jobs"]
    job1, job2 = create_job_on_each_member(conn)

    doc, ids, _ = list_jobs(conn)
    assert {job1, job2} <= ids
    assert (doc["federation:backends"], doc["federation:missing"]) == (["b1", "b2"], [])

    b2.add_fault("/jobs", method="GET", latency_ms=int(timeout * 500))
    doc, ids, elapsed = list_jobs(conn)
    assert {job1, job2} <= ids
    assert doc["federation:missing"] == []
    assert elapsed >= timeout / 2

    b2.remove_faults()
    slow = b2.add_fault("/jobs", method="GET", latency_ms=int((timeout + 1) * 1000), times=1)
    refuse = b2.add_fault("/jobs", method="GET", status=500)
    doc, ids, elapsed = list_jobs(conn)
    assert job1 in ids and job2 not in ids
    assert not any(i.startswith("b2-") for i in ids)
    assert (doc["federation:backends"], doc["federation:missing"]) == (["b1"], ["b2"])
    assert timeout <= elapsed < timeout + 1, elapsed
    # b2's log holds the retry, refused at once. (The slow first request is in the log only if b2 finished it:
    # when the aggregator closes the connection during the latency, the request is not logged at all.)
    retries = [e for e in b2.requests_to("GET", "/jobs") if e["faults"] == [refuse]]
    assert [e["status"] for e in retries] == [500], b2.requests_to("GET", "/jobs")
    assert slow not in [f for e in retries for f in e["faults"]]


def test_member_slow_on_every_attempt_delays_the_whole_listing(conn, aggregator, b1, b2):
    """(2, continued) Surprise: when b2 stays slower than `request_timeout_list_jobs`, it is left out as
    expected, but the answer comes only after the openeo client's retries are over: 4 attempts of 1 s plus the
    back-off of 0 + 5 + 10 s, ≈ 19 s, although `request_timeout_list_jobs_overall` is 2 s. The aggregator collects
    the results after the overall timeout, but its thread pool waits for the last retry before it answers.
    b1's listing is unaffected."""
    timeout = aggregator.settings["request_timeout_list_jobs"]
    job1, job2 = create_job_on_each_member(conn)

    b2.add_fault("/jobs", method="GET", latency_ms=int((timeout + 1) * 1000))
    doc, ids, elapsed = list_jobs(conn)
    assert job1 in ids and job2 not in ids
    assert (doc["federation:backends"], doc["federation:missing"]) == (["b1"], ["b2"])
    back_off = 0 + 5 + 10
    assert 4 * timeout + back_off - 0.5 <= elapsed < 4 * timeout + back_off + 3, elapsed


def test_failing_partial_job_marks_cross_backend_job_error(conn, b1, b2):
    """(4) A graph needing b1's and b2's collections becomes a cross-backend job `agg-…`: a partial job on b2
    (its branch, ending in save_result GTiff) and the main job on b1, which reads b2's result through load_stac
    on b2's signed partial-results URL.

    b2 refuses to start its partial job (`jobs/fail start`). Surprise: that alone does not fail the
    cross-backend job. The aggregator marks the sub-job `error`, but on every status poll it asks b2 again, sees
    `created` and counts it as running; the main job on b1 waits for the dependency. Only when the partial job
    itself is in `error` on b2 (forced with the control API) does the main job fail (its log names the
    dependency) and the aggregator report `error`, with both members' error entries in the job's logs."""
    b2.fail_jobs("start", code="FixtureStartRefused", message="b2 refuses to start this job")
    job = conn.create_job(cross_backend_cube(conn).save_result("netCDF"), title="cross-backend failure",
                          job_options=DEEP_SPLIT)
    assert job.job_id.startswith("agg-"), job.job_id
    pjob_id = job.job_id[len("agg-"):]

    main_create = single_post(b1, "/jobs")["json"]
    partial_create = single_post(b2, "/jobs")["json"]
    assert main_create["title"] == f"Crossbackend job {pjob_id}:main"
    assert partial_create["title"].startswith(f"Crossbackend job {pjob_id}:b2:")
    saves = [n for n in partial_create["process"]["process_graph"].values() if n["process_id"] == "save_result"]
    assert [n["arguments"]["format"] for n in saves] == ["GTiff"]
    (url,) = load_stac_urls(main_create["process"]["process_graph"])
    assert url.startswith(f"{b2.url}/jobs/") and url.endswith("partial=true"), url
    partial_id = url[len(f"{b2.url}/jobs/"):].split("/")[0]
    (main_id,) = [j["id"] for j in b1.api_get("/jobs")["jobs"] if j.get("title") == main_create["title"]]

    job.start_job()
    assert single_post(b2, f"/jobs/{partial_id}/results")["status"] == 500
    assert single_post(b1, f"/jobs/{main_id}/results")["status"] == 202
    assert b2.api_get(f"/jobs/{partial_id}")["status"] == "created"
    assert job.status() == "running"  # not "error": the refused start is forgotten (see the doc string)

    b2.force_job_status(partial_id, "error", code="FixtureDependencyFailed",
                        message="the partial job failed (forced by the test)")
    wait_until(lambda: job.status() == "error", "the cross-backend job in error", timeout=20)
    assert b1.api_get(f"/jobs/{main_id}")["status"] == "error"

    logs = job.logs()
    partial_errors = [e for e in logs if e["id"].startswith("b2:") and e["level"] == "error"]
    main_errors = [e for e in logs if e["id"].startswith("main-") and e["level"] == "error"]
    assert [e.get("code") for e in partial_errors] == ["FixtureDependencyFailed"], logs
    assert [e.get("code") for e in main_errors] == ["DependencyFailed"], logs
    assert partial_id in main_errors[0]["message"]


def test_job_options_reach_the_member(conn, b1, b2):
    """(5) A plain batch job: the aggregator picks one member and forwards `job_options` as the `job_options`
    property of POST /jobs, without its own `federation:*` options. FIX_SHARED is on both members; the aggregator
    takes the first (b1) unless `federation:force-backend` names another."""
    options = {"memory": "2g", "queue": "fast", "tiling": {"size": [256, 256], "overlap": 0}}
    cube = conn.load_collection("FIX_SHARED", spatial_extent=WINDOW, temporal_extent=JUNE, bands=["B04"])

    job = conn.create_job(cube.save_result("GTiff"), title="job options forced to b2",
                          job_options={**options, "federation:force-backend": "b2"})
    assert job.job_id.startswith("b2-"), job.job_id
    created = single_post(b2, "/jobs")
    assert created["json"]["job_options"] == options
    assert created["json"]["title"] == "job options forced to b2"
    assert created["authorization"] == MEMBER_AUTHORIZATION  # the user's token as the aggregator forwards it
    assert b1.requests_to("POST", "/jobs") == []
    assert b2.api_get(f"/jobs/{job.job_id[len('b2-'):]}")["title"] == "job options forced to b2"

    job = conn.create_job(cube.save_result("GTiff"), title="job options", job_options=options)
    assert job.job_id.startswith("b1-"), job.job_id
    assert single_post(b1, "/jobs")["json"]["job_options"] == options


def test_job_options_of_cross_backend_sub_jobs_are_top_level(conn, b1, b2):
    """(5) Surprise: the sub-jobs of a cross-backend job get the job options as top-level properties of
    POST /jobs (next to `process` and `title`), `split_strategy` included, not under `job_options`; a member that
    reads only `job_options` does not see them."""
    options = {"memory": "2g", **DEEP_SPLIT}
    job = conn.create_job(cross_backend_cube(conn).save_result("netCDF"), title="cross-backend options",
                          job_options=options)
    assert job.job_id.startswith("agg-"), job.job_id
    for member in (b1, b2):
        body = single_post(member, "/jobs")["json"]
        assert "job_options" not in body, body
        assert {k: body.get(k) for k in options} == options
