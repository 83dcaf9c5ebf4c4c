"""pytest fixtures: openeo-aggregator in front of two openeo-local fixture members.

Session-wide (started once, always stopped):
- `members`: b1 and b2 from ONE `openeo-local serve --instance b1=fixtures/b1.toml --instance b2=fixtures/b2.toml`
  process (synthetic collections, no data files; free ports; a temporary data directory), each a
  `support.Member` with a client for its control API (faults, offline/online, forced job states, failing job
  creations/starts, request log);
- `aggregator`: the real openeo-aggregator app under gunicorn on 127.0.0.1 with short caches (`AGGREGATOR_SETTINGS`);
- `conn`: an `openeo` client connection to the aggregator, logged in with HTTP Basic.
Per test (autouse): every member is reset before the test; after a test that broke a member, the clean-up waits
until the aggregator sees every member online again and its cached listings have expired.

The binary is $OPENEO_LOCAL_BIN (else `openeo-local` on PATH); gunicorn is taken from the Python environment that
runs pytest.
"""
from __future__ import annotations

import time

import openeo
import pytest

from support import (
    FIXTURES,
    PASSWORD,
    USER,
    Aggregator,
    Members,
    start_aggregator,
    start_members,
    stop_process,
    wait_until,
)

# The aggregator's knobs that matter for these tests (fields of AggregatorBackendConfig in
# openeo_aggregator/config/config.py; defaults in brackets).
AGGREGATOR_SETTINGS = {
    # Seconds the aggregator keeps its member connections [300]. A member that failed to connect (offline) is left
    # out of every listing and reported in `federation:missing` until the connections are re-created after this
    # time, and likewise a recovered member comes back only then; GET / shows it as `offline` meanwhile.
    "connections_cache_ttl": 1.0,
    # In-process cache of merged metadata: /collections, /collections/{id}, /processes, /file_formats [60 s].
    # `default_ttl` is in seconds; 0 or None mean the default 60. A changed set of reachable members invalidates
    # it at once; a member that is reachable but fails one listing (a 500 on /collections) is cached as missing
    # from that listing for this long.
    "memoizer": {"type": "dict", "config": {"default_ttl": 1}},
    # Per-member read timeout of `GET /jobs` [10 s]: a member that has not answered by then is left out of the job
    # listing and named in its `federation:missing`. Beware: the aggregator sends these requests with the openeo
    # client's default retries (3, after 0, 5 and 10 s), and the listing waits for them (test_jobs.py).
    "request_timeout_list_jobs": 1.0,
    # How long `GET /jobs` waits for all members together before it counts the rest as missing [20 s]; it does
    # not bound the answer's time (the retries above run to their end).
    "request_timeout_list_jobs_overall": 2.0,
}
MEMOIZER_TTL = AGGREGATOR_SETTINGS["memoizer"]["config"]["default_ttl"]
MEMBER_FILES = {"b1": FIXTURES / "b1.toml", "b2": FIXTURES / "b2.toml"}  # names = the aggregator's backend ids

_processes: dict = {}  # what the failure report prints log tails of


@pytest.fixture(scope="session")
def members(tmp_path_factory) -> Members:
    """Both members, from one `openeo-local serve --instance ...` process, by name (`members["b1"]`)."""
    tmp = tmp_path_factory.mktemp("members")
    started = start_members(MEMBER_FILES, data_dir=tmp / "data", log_path=tmp / "members.log")
    _processes["members (openeo-local)"] = started
    try:
        yield started
    finally:
        stop_process(started.proc)


@pytest.fixture(scope="session")
def aggregator(members, tmp_path_factory) -> Aggregator:
    """openeo-aggregator (gunicorn, one worker, 127.0.0.1, free port) with `AGGREGATOR_SETTINGS`, in front of the
    members; `aggregator.url` is its API root (…/openeo/1.2)."""
    backends = {name: member.url for name, member in members.items()}
    started = start_aggregator(backends, AGGREGATOR_SETTINGS, tmp_path_factory.mktemp("aggregator"))
    _processes["aggregator (gunicorn)"] = started
    try:
        wait_until(lambda: set(started.federation_status().values()) == {"online"}, "all members online", 30)
        yield started
    finally:
        stop_process(started.proc)


@pytest.fixture(scope="session")
def conn(aggregator) -> openeo.Connection:
    """The openeo client connected to the aggregator as the test user. `auto_validate=False`: no implicit
    POST /validation before job creation, so the members' request logs hold only what a test caused."""
    return openeo.connect(aggregator.url, default_timeout=60, auto_validate=False).authenticate_basic(USER, PASSWORD)


@pytest.fixture(scope="session")
def b1(members):
    """Member b1 (`support.Member`)."""
    return members["b1"]


@pytest.fixture(scope="session")
def b2(members):
    """Member b2 (`support.Member`)."""
    return members["b2"]


@pytest.fixture(autouse=True)
def clean_members(members, aggregator):
    """Before each test: every member reset (no faults, outage or pending job failure; empty request log).
    After a test that broke a member: reset again, wait until GET / of the aggregator shows every member online,
    then let the cached merged listings expire, so the next test starts from a healthy federation."""
    for member in members.values():
        member.reset()
        member.touched = False
    yield
    if any(member.touched for member in members.values()):
        for member in members.values():
            member.reset()
        wait_until(lambda: set(aggregator.federation_status().values()) == {"online"},
                   "every member online again in the aggregator's GET /", 30)
        time.sleep(MEMOIZER_TTL + 0.1)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failing test, attach the last lines of the members' and the aggregator's logs to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for what, started in _processes.items():
            report.sections.append((f"{what}: last lines of {started.log.path}", started.log.tail(30)))
