#!/usr/bin/env python3
"""Load check for `openeo-local serve`: 200 concurrent GET /collections and 20 concurrent small POST /result.

Starts its own server on a free 127.0.0.1 port (bundled data, 2 worker slots), fires the requests from threads,
and reports errors, latencies and the server's peak RSS. Exit status 1 when any request failed.

    python3 scripts/loadcheck.py [path/to/openeo-local]
"""
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url, body=None, token=None):
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(), method="POST" if body else "GET")
    if token:
        req.add_header("Authorization", token)
    req.add_header("Content-Type", "application/json")
    t0 = time.time()
    with urllib.request.urlopen(req, timeout=120) as r:
        data = r.read()
        return r.status, len(data), time.time() - t0


def burst(n, fn):
    results, threads = [None] * n, []
    for i in range(n):
        def run(i=i):
            try:
                results[i] = fn()
            except Exception as e:  # noqa: BLE001 - every failure is reported
                results[i] = e
        threads.append(threading.Thread(target=run))
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.time() - t0


def report(name, results, wall):
    errors = [r for r in results if isinstance(r, Exception) or r[0] != 200]
    lat = sorted(r[2] for r in results if not isinstance(r, Exception))
    p50 = lat[len(lat) // 2] if lat else float("nan")
    print(f"{name}: {len(results)} requests, {len(errors)} errors, wall {wall:.2f} s, p50 {p50 * 1000:.0f} ms, max {lat[-1] * 1000 if lat else 0:.0f} ms")
    for e in errors[:3]:
        print("  error:", e)
    return not errors


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "openeo-local")
    port = free_port()
    data = tempfile.mkdtemp(prefix="openeo-loadcheck-")
    proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        proc.stderr.readline()
        api = f"http://127.0.0.1:{port}/openeo/1.2"
        auth = base64.b64encode(b"alice:secret").decode()
        req = urllib.request.Request(f"{api}/credentials/basic", headers={"Authorization": f"Basic {auth}"})
        token = "Bearer basic//" + json.load(urllib.request.urlopen(req))["access_token"]
        with open(os.path.join(ROOT, "examples", "seed_gtiff.json")) as f:
            seed = json.load(f)
        ok = report("GET /collections x200", *burst(200, lambda: request(f"{api}/collections")))
        ok &= report("POST /result x20 (2 worker slots)", *burst(20, lambda: request(f"{api}/result", seed, token)))
        with open(f"/proc/{proc.pid}/status") as f:
            rss = next(line.split()[1] for line in f if line.startswith("VmHWM"))
        print(f"server peak RSS: {int(rss) // 1024} MiB")
        return 0 if ok else 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
