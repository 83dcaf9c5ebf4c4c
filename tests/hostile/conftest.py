"""Fixtures of the hostile-input suite: one server for the whole run (restarted when a case kills it) and the
context the cases refer to; a summary of restarts and memory at the end of the run (and, when the environment
variable HOSTILE_ANSWERS names a file, every answer as JSON lines)."""

import json
import os

import pytest

import harness

STATE = {}


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    s = harness.Server(tmp_path_factory.mktemp("hostile"))
    s.start()
    STATE["server"] = s
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="session")
def ctx(server):
    c = harness.Context(server)
    c.setup()
    c.warm_up()
    server.baseline_kib = server.rss_kib()
    server.baseline_instance = server.instances
    STATE["ctx"] = c
    return c


def pytest_terminal_summary(terminalreporter):
    s, c = STATE.get("server"), STATE.get("ctx")
    if s is None:
        return
    w = terminalreporter.write_line
    terminalreporter.section("openeo-local under hostile input")
    w(f"server instances started: {s.instances}")
    for case_id, what in s.deaths:
        w(f"  down after {case_id}: {what}")
    if c is not None:
        for line in c.notes + c.problems:
            w(line)
    if "rss" in STATE:
        w(STATE["rss"])
    growth = sorted(s.rss_steps, reverse=True)[:8]
    if growth:
        w("largest growths of the server's RSS during one case:")
        for kib, case_id, rss in growth:
            w(f"  +{kib // 1024} MiB (to {rss // 1024} MiB): {case_id}")
    out = os.environ.get("HOSTILE_ANSWERS")
    if out:
        with open(out, "w") as f:
            for a in harness.ANSWERS:
                f.write(json.dumps(a) + "\n")
        w(f"answers written to {out}")
