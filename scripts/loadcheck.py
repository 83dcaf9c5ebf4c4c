#!/usr/bin/env python3
"""Bounded loopback load check for `openeo-local serve`.

Starts its own server on a free 127.0.0.1 port (bundled collections, demo users, a temporary data directory, a total
memory budget of 1 GiB: `memory_total_mib = 1024` in its configuration), then at the same time
- fires 200 concurrent GET /collections and 32 concurrent synchronous POST /result of the seed graph (small bounding
  box, GeoTIFF), and
- submits 200 batch jobs of the same graph (POST /jobs, then POST /jobs/{id}/results, 16 at a time)
and waits, for at most --job-timeout seconds, until every job has finished. It prints throughput, p50/p99 latency per
kind of request, every error, and the server's peak RSS (VmHWM, and VmRSS sampled every 50 ms from /proc).

Exit status 1 when any request or job failed, a bound was hit, or the peak RSS exceeded the budget + 10 %.
Every loop is bounded in count and in time.

    python3 scripts/loadcheck.py [--bin path/to/openeo-local] [--jobs 200] [--sync 32] [--job-timeout 600]
"""
import argparse
import base64
import concurrent.futures
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUDGET_MIB = 1024
RSS_TOLERANCE = 1.10
REQUEST_SECONDS = 300  # longest single request (sync results queue on the worker slots)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Result:
    """One request: its kind, status (None when it did not complete), latency and error text."""

    def __init__(self, kind, status, seconds, error=None, headers=None, body=b""):
        self.kind, self.status, self.seconds, self.error = kind, status, seconds, error
        self.headers, self.body = headers or {}, body  # header names in lower case


def request(kind, method, url, body=None, token=None, expect=200, timeout=REQUEST_SECONDS):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            payload = r.read()
            res = Result(kind, r.status, time.monotonic() - t0, headers={k.lower(): v for k, v in r.headers.items()},
                         body=payload)
    except urllib.error.HTTPError as e:
        payload = e.read()
        return Result(kind, e.code, time.monotonic() - t0, f"{e.code}: {payload[:300]!r}")
    except Exception as e:  # noqa: BLE001 - every failure is reported
        return Result(kind, None, time.monotonic() - t0, f"{type(e).__name__}: {e}")
    if res.status != expect:
        res.error = f"status {res.status}, expected {expect}: {payload[:300]!r}"
    return res


class RssSampler(threading.Thread):
    """Samples the server's VmRSS every 50 ms until stopped."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_kib, self.samples = pid, 0, 0
        self.stop = threading.Event()

    def read(self, field):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def run(self):
        while not self.stop.wait(0.05):
            kib = self.read("VmRSS")
            if kib is None:
                return
            self.samples += 1
            self.peak_kib = max(self.peak_kib, kib)


def percentile(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))]


def server_config(tmp, with_total_budget):
    """The default server configuration (its users and collections) with the total memory budget."""
    src = os.path.join(ROOT, "testdata", "server.toml")
    lines = []
    with open(src) as f:
        for line in f:
            key = line.split("=", 1)[0].strip()
            if key in ("listen", "data_dir", "collections_file", "memory_total_mib"):
                continue
            lines.append(line)
    head = [f"collections_file = {json.dumps(os.path.join(ROOT, 'testdata', 'collections.toml'))}\n"]
    if with_total_budget:
        head.append(f"memory_total_mib = {BUDGET_MIB}\n")
    # top-level keys must come before the first [table]
    path = os.path.join(tmp, "server.toml")
    with open(path, "w") as f:
        f.writelines(head + lines)
    return path


def start_server(binary, tmp, with_total_budget):
    """Starts the server; returns (process, api url, log path) or (None, reason, log path)."""
    cfg = server_config(tmp, with_total_budget)
    port = free_port()
    log_path = os.path.join(tmp, f"server-{'budget' if with_total_budget else 'plain'}.log")
    log = open(log_path, "wb")
    proc = subprocess.Popen([binary, "serve", "--config", cfg, "--listen", f"127.0.0.1:{port}",
                             "--data-dir", os.path.join(tmp, "data")], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            with open(log_path, errors="replace") as f:
                return None, f"exited with {proc.returncode}: {f.read()[-2000:]}", log_path
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/.well-known/openeo", timeout=2):
                return proc, f"http://127.0.0.1:{port}/openeo/1.2", log_path
        except OSError:
            time.sleep(0.2)
    proc.kill()
    proc.wait()
    return None, "not ready after 60 s", log_path


def report(name, results, wall):
    errors = [r for r in results if r.error]
    lat = [r.seconds for r in results if r.status is not None]
    rate = len(results) / wall if wall > 0 else float("nan")
    print(f"{name}: {len(results)} in {wall:.2f} s ({rate:.1f}/s), {len(errors)} errors, "
          f"p50 {percentile(lat, 0.5) * 1000:.0f} ms, p99 {percentile(lat, 0.99) * 1000:.0f} ms, "
          f"max {max(lat, default=0) * 1000:.0f} ms")
    for e in errors[:5]:
        print(f"  error ({e.kind}): {e.error}")
    if len(errors) > 5:
        print(f"  ... and {len(errors) - 5} more errors")
    return len(errors)


def run_jobs(api, token, graph, n, job_timeout, alive):
    """Submits n jobs (16 at a time), then polls until all ended or job_timeout passed.

    Returns (create results, start results, per-job completion results, submission seconds, wall seconds)."""
    t0 = time.monotonic()
    submitted = {}  # job id -> submit time

    def submit(i):
        c = request("POST /jobs", "POST", f"{api}/jobs", {"title": f"load {i}", "process": graph["process"]}, token,
                    expect=201)
        if c.error:
            return c, None, None
        job = c.headers.get("openeo-identifier")
        if not job:
            c.error = "201 without OpenEO-Identifier"
            return c, None, None
        submitted[job] = time.monotonic()
        s = request("POST /jobs/{id}/results", "POST", f"{api}/jobs/{job}/results", None, token, expect=202)
        return c, s, job

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        triples = list(pool.map(submit, range(n)))
    submit_wall = time.monotonic() - t0
    creates = [c for c, _, _ in triples]
    starts = [s for _, s, _ in triples if s is not None]
    started = {job for _, s, job in triples if s is not None and not s.error}
    done = {}  # job id -> (status, seconds from submission)
    deadline = t0 + job_timeout
    while len(done) < len(submitted) and time.monotonic() < deadline and alive():
        r = request("GET /jobs", "GET", f"{api}/jobs", None, token, timeout=60)
        if r.error:
            time.sleep(0.5)
            continue
        now = time.monotonic()
        for j in json.loads(r.body).get("jobs", []):
            jid, status = j.get("id"), j.get("status")
            if jid in submitted and jid not in done and status in ("finished", "error", "canceled"):
                done[jid] = (status, now - submitted[jid])
        time.sleep(0.25)
    completions = []
    for jid, t_sub in submitted.items():
        if jid in done:
            status, secs = done[jid]
            err = None if status == "finished" else f"job {jid} ended {status}"
            if err:
                log = request("GET logs", "GET", f"{api}/jobs/{jid}/logs?level=error", None, token, timeout=30)
                err += f": {log.body[:300]!r}"
            completions.append(Result("job completion", 200, secs, err))
        else:
            completions.append(Result("job completion", None, time.monotonic() - t_sub,
                                      f"job {jid} not finished after the {job_timeout:.0f} s bound"
                                      + ("" if jid in started else " (its start failed)")))
    return creates, starts, completions, submit_wall, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")),
                                                   "release", "openeo-local"))
    ap.add_argument("--sync", type=int, default=32, help="concurrent synchronous /result requests")
    ap.add_argument("--jobs", type=int, default=200, help="batch jobs submitted")
    ap.add_argument("--collections", type=int, default=200, help="concurrent GET /collections")
    ap.add_argument("--job-timeout", type=float, default=600, help="seconds all jobs may take to finish")
    a = ap.parse_args()
    if not os.path.isfile(a.bin):
        print(f"openeo-local binary not found at {a.bin}", file=sys.stderr)
        return 1
    tmp = tempfile.mkdtemp(prefix="openeo-loadcheck-")
    proc, api, log_path = start_server(a.bin, tmp, with_total_budget=True)
    budget_note = f"memory_total_mib = {BUDGET_MIB} in the server configuration"
    if proc is None:
        print(f"the server did not start with memory_total_mib ({api.splitlines()[0][:200]}); "
              "trying without the key", file=sys.stderr)
        shutil.rmtree(os.path.join(tmp, "data"), ignore_errors=True)
        proc, api, log_path = start_server(a.bin, tmp, with_total_budget=False)
        budget_note = "memory_total_mib refused by this server: running without it (limit still 1 GiB + 10 %)"
        if proc is None:
            print(f"the server did not start: {api}", file=sys.stderr)
            return 1
    sampler = RssSampler(proc.pid)
    sampler.start()
    try:
        print(f"server pid {proc.pid} at {api}; {budget_note}")
        auth = base64.b64encode(b"alice:secret").decode()
        req = urllib.request.Request(f"{api}/credentials/basic", headers={"Authorization": f"Basic {auth}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            token = "Bearer basic//" + json.load(r)["access_token"]
        with open(os.path.join(ROOT, "examples", "seed_gtiff.json")) as f:
            seed = json.load(f)
        baseline = sampler.read("VmRSS") or 0

        out = {}

        def burst(key, n, fn):
            def run():
                t0 = time.monotonic()
                with concurrent.futures.ThreadPoolExecutor(n) as pool:
                    res = list(pool.map(lambda _: fn(), range(n)))
                out[key] = (res, time.monotonic() - t0)
            return threading.Thread(target=run)

        def sync_once():
            r = request("POST /result", "POST", f"{api}/result", seed, token)
            if not r.error and (not r.body or "tiff" not in r.headers.get("content-type", "")):
                r.error = f"unexpected result: {len(r.body)} bytes of {r.headers.get('content-type')}"
            return r

        threads = [
            burst("collections", a.collections, lambda: request("GET /collections", "GET", f"{api}/collections")),
            burst("sync", a.sync, sync_once),
        ]
        jobs_out = {}
        jobs_thread = threading.Thread(target=lambda: jobs_out.update(
            r=run_jobs(api, token, seed, a.jobs, a.job_timeout, lambda: proc.poll() is None)))
        t0 = time.monotonic()
        for t in threads + [jobs_thread]:
            t.start()
        for t in threads + [jobs_thread]:
            t.join(a.job_timeout + 2 * REQUEST_SECONDS)
        wall = time.monotonic() - t0
        errors = 0
        if any(t.is_alive() for t in threads + [jobs_thread]):
            print("a load thread did not end within its bound")
            errors += 1
        if "collections" in out:
            errors += report(f"GET /collections x{a.collections}", *out["collections"])
        if "sync" in out:
            errors += report(f"POST /result x{a.sync} (seed graph, GTiff)", *out["sync"])
        if "r" in jobs_out:
            creates, starts, completions, swall, jwall = jobs_out["r"]
            errors += report(f"POST /jobs x{len(creates)} (16 clients)", creates, swall)
            errors += report(f"POST /jobs/{{id}}/results x{len(starts)} (16 clients)", starts, swall)
            finished = sum(1 for c in completions if not c.error)
            errors += report(f"batch jobs submitted → finished ({finished} of {len(completions)} finished, "
                             f"{finished / jwall:.2f} jobs/s)", completions, jwall)
        sampler.stop.set()
        sampler.join(1)
        hwm = sampler.read("VmHWM") or 0
        peak = max(hwm, sampler.peak_kib)
        limit = BUDGET_MIB * RSS_TOLERANCE
        print(f"wall {wall:.1f} s; server RSS: before the load {baseline // 1024} MiB, peak {peak // 1024} MiB "
              f"(VmHWM {hwm // 1024} MiB, highest of {sampler.samples} samples {sampler.peak_kib // 1024} MiB); "
              f"limit {limit:.0f} MiB (budget {BUDGET_MIB} MiB + 10 %)")
        if proc.poll() is not None:
            print(f"the server died during the load (exit {proc.returncode}); log: {log_path}")
            errors += 1
        if peak / 1024 > limit:
            print("peak RSS above the limit")
            errors += 1
        print("OK" if not errors else f"FAILED: {errors} errors")
        return 0 if not errors else 1
    finally:
        sampler.stop.set()
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
