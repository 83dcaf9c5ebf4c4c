"""Hostile input against a real `openeo-local serve`: malformed JSON, broken, deep and wide process graphs,
recursive user-defined processes, bad arguments, extents and bands, broken callbacks, bad authentication, wrong
methods, hostile paths, tampered signed links and oversized bodies (the cases are in cases.py).

Every case must be answered within HOSTILE_CASE_SECONDS (30 s) with a 4xx status (or an allowed status, see
cases.ALLOWED) and an openEO error body (`id`, `code`, `message`), `/validation` with 200 and errors, and the server
must still be alive and answering afterwards. At the end, its resident memory must be back within 64 MiB of what it
used after start-up.

Run through tests/hostile/run.sh (a venv with pinned pytest and requests; OPENEO_LOCAL_BIN is the binary).
"""

import json
import time

import pytest
import requests

import cases
import harness
import rawhttp
from cases import CASES, PROTOCOL_STATUSES
from harness import CASE_SECONDS, excerpt
from rawhttp import Answer, NoAnswer

STANDARD_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


def test_fixtures_were_made(ctx):
    """Tokens, jobs in each state, signed links and stored processes that the cases need."""
    assert not ctx.problems, "; ".join(ctx.problems)


# ------------------------------------------------------------------------------------------------ sending

def target_of(case, ctx, path=None) -> str:
    p = case.path if path is None else path
    if callable(p):
        return p(ctx)
    p = p.format_map(ctx.fmt)
    return p[1:] if p.startswith("!") else cases.API + p


def body_of(case):
    b = case.body
    return b() if callable(b) else b


def send(server, ctx, case, method=None, path=None, body=None, headers=None) -> Answer:
    method = method or case.method
    target = target_of(case, ctx, path)
    if body is None:
        body = body_of(case)
    hdrs = {k: v.format_map(ctx.fmt) if isinstance(v, str) and "{" in v else v
            for k, v in (case.headers if headers is None else headers).items()}
    if case.auth and "Authorization" not in hdrs:
        hdrs.update(ctx.headers(case.auth))
    if case.raw is not None:
        return rawhttp.exchange(server.port, case.raw(ctx), half_close=case.half_close, seconds=CASE_SECONDS,
                                method=case.method)
    big = isinstance(body, (bytes, bytearray)) and len(body) > (1 << 20)
    if case.chunked or big or "%" in target or "/." in target or method not in STANDARD_METHODS:
        head = rawhttp.build(method, target.encode("latin-1"), hdrs,
                             body_length=None if case.chunked else len(body or b""), chunked=case.chunked)
        return rawhttp.exchange(server.port, head, body, chunked=case.chunked, seconds=CASE_SECONDS, method=method)
    t0 = time.monotonic()
    try:
        r = server.session.request(method, server.root + target, data=body, headers=hdrs,
                                   timeout=(5, CASE_SECONDS), allow_redirects=False)
    except requests.Timeout as e:
        raise NoAnswer(f"no answer within {CASE_SECONDS:.0f} s") from e
    except requests.RequestException as e:
        server.session = requests.Session()
        raise NoAnswer(f"no HTTP answer: {type(e).__name__}: {e}") from e
    return Answer(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content, time.monotonic() - t0)


def record(case, step: str, a: Answer):
    """Keeps what the server answered (written out when HOSTILE_ANSWERS names a file)."""
    doc = json_body(a)
    code = doc.get("code") if isinstance(doc, dict) else None
    harness.ANSWERS.append({"case": case.id, "step": step, "status": a.status, "code": code,
                            "body": excerpt(a.body, 200), "seconds": round(a.seconds, 3)})


# ------------------------------------------------------------------------------------------------ judging

def describe(a: Answer) -> str:
    return f"answered {a.status} ({a.headers.get('content-type', 'no content type')}) in {a.seconds:.1f} s: " \
           f"{excerpt(a.body)!s}"


def json_body(a: Answer):
    try:
        return json.loads(a.body)
    except ValueError:
        return None


def error_problems(a: Answer, allow=()) -> list:
    problems = []
    if not (400 <= a.status < 500 or a.status in allow):
        problems.append(f"status {a.status} is not 4xx" + (f" or {allow}" if allow else ""))
    doc = json_body(a)
    if not isinstance(doc, dict):
        problems.append("the body is not a JSON object")
    else:
        missing = [k for k in ("id", "code", "message") if not isinstance(doc.get(k), str) or not doc.get(k)]
        if missing:
            problems.append(f"the error lacks {', '.join(missing)}")
    if "json" not in a.headers.get("content-type", ""):
        problems.append("the content type is not JSON")
    return problems


def validation_problems(a: Answer) -> list:
    if a.status != 200:
        return [f"status {a.status}, not 200"]
    doc = json_body(a)
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if not isinstance(errors, list) or not errors:
        return ["no validation errors reported"]
    if not all(isinstance(e, dict) and e.get("code") and e.get("message") for e in errors):
        return ["a validation error lacks code or message"]
    return []


def judge(case, a: Answer) -> list:
    if case.kind == "validation":
        p = validation_problems(a)
    elif case.kind == "validation_or_error":
        p = error_problems(a) if 400 <= a.status < 500 else validation_problems(a)
    elif case.kind == "stored_or_error" and a.status // 100 == 2:
        p = []
    elif case.kind == "protocol":
        p = [] if a.status in PROTOCOL_STATUSES else [f"status {a.status}, not one of {PROTOCOL_STATUSES}"]
    else:
        p = error_problems(a, case.allow)
    if a.seconds > CASE_SECONDS:
        p.append(f"took {a.seconds:.1f} s")
    return [f"{'; '.join(p)}; {describe(a)}"] if p else []


def run_job(server, ctx, case) -> list:
    """POST /jobs, then POST /jobs/{id}/results: a 4xx error at either, or the job must end in `error` with an
    error log entry, within CASE_SECONDS."""
    t0 = time.monotonic()
    a = send(server, ctx, case)
    record(case, "create", a)
    if a.status != 201:
        return [f"creation: {p}" for p in judge(case, a)]
    job = a.headers.get("openeo-identifier")
    if not job:
        return [f"creation answered 201 without OpenEO-Identifier; {describe(a)}"]
    a = send(server, ctx, case, method="POST", path=f"/jobs/{job}/results", body=b"")
    record(case, "start", a)
    if a.status != 202:
        return [f"start: {p}" for p in judge(case, a)]
    left = CASE_SECONDS - (time.monotonic() - t0)
    h = ctx.headers("alice")
    status = harness.wait_job(server, job, h, max(left, 1))
    if status != "error":
        return [f"job {job} was accepted and started, then its status was {status!r} after "
                f"{time.monotonic() - t0:.1f} s (want 'error' or a 4xx at creation/start)"]
    try:
        logs = requests.get(f"{server.api}/jobs/{job}/logs", headers=h, timeout=10).json().get("logs", [])
    except (requests.RequestException, ValueError):
        logs = []
    if not any(e.get("level") == "error" for e in logs):
        return [f"job {job} ended in 'error' without an error log entry"]
    return []


def run_udp_then_result(server, ctx, case) -> list:
    """PUT the graph as a user-defined process (stored or refused with a 4xx error), then POST /result calling it:
    4xx."""
    a = send(server, ctx, case)
    record(case, "put", a)
    problems = []
    if a.status // 100 != 2:
        problems += [f"PUT: {p}" for p in judge(case, a)]
    pid = target_of(case, ctx).rsplit("/", 1)[1]
    call = cases.dumps({"process": {"process_graph": {"c": {"process_id": pid, "arguments": {}, "result": True}}}})
    a = send(server, ctx, case, method="POST", path="/result", body=call)
    record(case, "result", a)
    problems += [f"/result calling it: {p}" for p in judge(case, a)]
    return problems


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile(case, server, ctx):
    missing = [n for n in case.needs if n not in ctx.available]
    if missing:
        pytest.skip(f"fixture not available: {', '.join(missing)}")
    if server.ensure():  # it died or hung in an earlier case: a new baseline for the memory check
        ctx.warm_up()
        server.baseline_kib, server.baseline_instance = server.rss_kib(), server.instances
    problems = []
    try:
        if case.kind == "job":
            problems = run_job(server, ctx, case)
        elif case.kind == "udp_then_result":
            problems = run_udp_then_result(server, ctx, case)
        else:
            a = send(server, ctx, case)
            record(case, "request", a)
            problems = judge(case, a)
    except NoAnswer as e:
        problems = [str(e)]
        if "within" in str(e):
            server.needs_restart = True  # a computation may still hold the CPU
    down = server.check(case.id)
    if down:
        problems.insert(0, f"SERVER DOWN: {down}")
    else:
        server.note_rss(case.id)
    assert not problems, " | ".join(problems)


def test_rss_back_near_baseline(server, ctx):
    """After every case, the server's resident memory comes back (within RSS_SETTLE_SECONDS, the time idle worker
    threads need to end) to at most RSS_MARGIN_MIB above what it used after start-up and a few normal requests."""
    from conftest import STATE

    if server.ensure():
        pytest.fail("the server was down at the end of the suite; no memory comparison possible")
    limit = server.baseline_kib + harness.RSS_MARGIN_MIB * 1024
    deadline = time.monotonic() + harness.RSS_SETTLE_SECONDS
    first = rss = server.rss_kib()
    while rss > limit and time.monotonic() < deadline:
        time.sleep(0.5)
        rss = server.rss_kib()
    peak = server.rss_kib("VmHWM")
    msg = (f"server RSS: baseline {server.baseline_kib // 1024} MiB (after start-up and a few normal requests of "
           f"server instance {server.baseline_instance}), right after the suite {first // 1024} MiB, "
           f"{rss // 1024} MiB after waiting up to {harness.RSS_SETTLE_SECONDS:.0f} s, peak {peak // 1024} MiB; "
           f"allowed: {limit // 1024} MiB")
    STATE["rss"] = msg
    assert rss <= limit, msg
