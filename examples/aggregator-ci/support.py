"""Helpers of the example suite: the members (one `openeo-local serve --instance ...` process) with a client for
their fixture control API, the aggregator (gunicorn) process, polling with a deadline, and the synthetic pixel
function of openeo-local's synthetic collections.

Nothing here is specific to one test; `conftest.py` turns these into pytest fixtures.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections import deque
from pathlib import Path
from typing import Callable, Dict, List, Optional, TypeVar

import pytest
import requests

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"

# The user of the tests. The aggregator checks HTTP Basic credentials itself (see `aggregator_config`) and then
# forwards `Authorization: Bearer basic//<urlsafe-base64(user id)>` to the members; the members accept exactly that
# token through `[[fixture.users]]` in their fixture files (no password hash needed on the members).
USER = "alice"
PASSWORD = "secret"
MEMBER_AUTHORIZATION = "Bearer basic//YWxpY2U="  # base64.urlsafe_b64encode(b"alice")

HTTP_TIMEOUT = 30  # seconds, for every request a test sends itself

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], what: str, timeout: float = 15.0, interval: float = 0.2) -> T:
    """Calls `predicate` until it returns something truthy and returns that; fails the test after `timeout`
    seconds, naming `what` and the last value seen. Use this instead of sleeping: it is as fast as the system."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not {what} after {timeout} s (last value: {value!r})")
        time.sleep(interval)


def openeo_local_binary() -> Path:
    """The `openeo-local` executable: $OPENEO_LOCAL_BIN, else `openeo-local` on PATH."""
    configured = os.environ.get("OPENEO_LOCAL_BIN") or shutil.which("openeo-local")
    if not configured or not Path(configured).is_file():
        raise RuntimeError(
            f"openeo-local not found (OPENEO_LOCAL_BIN={os.environ.get('OPENEO_LOCAL_BIN')!r}, nothing on PATH): "
            "set OPENEO_LOCAL_BIN to the binary"
        )
    return Path(configured).resolve()


def stop_process(proc: Optional[subprocess.Popen], grace: float = 10.0) -> None:
    """SIGTERM to the process group of `proc` (started with `start_new_session=True`), SIGKILL after `grace`
    seconds. Only that group is touched: the process and the children it started (e.g. gunicorn's worker)."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


class LogTail:
    """Copies a process's output into a file from a background thread (so the pipe never fills up) and keeps the
    last lines for error messages; `wait_for(regex)` waits for start-up lines (among the first `HEAD` lines)."""

    HEAD = 2000

    def __init__(self, stream, path: Path, keep: int = 200):
        self.path = path
        self.lines: deque = deque(maxlen=keep)
        self._head: List[str] = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream):
        with open(self.path, "w", encoding="utf-8", errors="replace") as out:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                out.write(line + "\n")
                out.flush()
                with self._cond:
                    self.lines.append(line)
                    if len(self._head) < self.HEAD:
                        self._head.append(line)
                    self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def wait_for(self, pattern: str, count: int, timeout: float) -> List[re.Match]:
        """The first `count` matches of `pattern` (in order of output); RuntimeError when the output ends or
        `timeout` seconds pass first."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                matches = [m for m in map(regex.search, self._head) if m]
                if len(matches) >= count:
                    return matches[:count]
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    raise RuntimeError(
                        f"{'output ended' if self._closed else f'{timeout} s passed'} before {count} line(s) "
                        f"matching {pattern!r}; last output:\n" + "\n".join(self.lines)
                    )
                self._cond.wait(min(left, 0.5))

    def tail(self, n: int = 40) -> str:
        with self._cond:
            return "\n".join(list(self.lines)[-n:])


class Member:
    """One openeo-local fixture member: its openEO API URL and a client for its control API (`/_fixture/...`).

    Every method that breaks the member marks it `touched`, so the per-test clean-up knows it has to wait for the
    aggregator to see the member healthy again."""

    def __init__(self, name: str, api_url: str, fixture_file: Path):
        self.name = name
        self.url = api_url.rstrip("/")  # .../openeo/1.2
        self.root = self.url.rsplit("/openeo/", 1)[0]
        self.control = f"{self.root}/_fixture"
        self.fixture_file = fixture_file
        self.config = tomllib.loads(fixture_file.read_text())
        self.touched = False

    def __repr__(self):
        return f"<Member {self.name} {self.url}>"

    # ---- control API

    def _control(self, method: str, path: str, body: Optional[dict] = None, expected: int = 204):
        r = requests.request(method, f"{self.control}{path}", json=body, timeout=HTTP_TIMEOUT)
        assert r.status_code == expected, f"{self.name}: {method} /_fixture{path} -> {r.status_code} {r.text}"
        return r.json() if r.content else None

    def add_fault(self, path: str, method: Optional[str] = None, **fault) -> int:
        """Adds an endpoint fault (`POST /_fixture/faults`): `path` is a glob below /openeo/1.2, `fault` any of
        latency_ms, status, code, body ("malformed"/"truncated"), remove_field, times. Returns its id."""
        self.touched = True
        rule = {"path": path, **fault}
        if method:
            rule["method"] = method
        return self._control("POST", "/faults", rule, expected=201)["id"]

    def remove_faults(self) -> None:
        """Removes every endpoint fault (`DELETE /_fixture/faults`)."""
        self._control("DELETE", "/faults")

    def offline(self, seconds: Optional[float] = None) -> None:
        """Every API request gets its connection closed without an answer (`POST /_fixture/offline`), for
        `seconds` or until `online()`. The control API keeps answering."""
        self.touched = True
        self._control("POST", "/offline", {"seconds": seconds} if seconds is not None else {})

    def online(self) -> None:
        """Ends an outage (`POST /_fixture/online`)."""
        self._control("POST", "/online")

    def flap(self, period_seconds: float, seconds: Optional[float] = None) -> None:
        """Offline and online in turns of `period_seconds`, starting offline (`POST /_fixture/flap`)."""
        self.touched = True
        body = {"period_seconds": period_seconds}
        if seconds is not None:
            body["seconds"] = seconds
        self._control("POST", "/flap", body)

    def fail_jobs(self, operation: str, count: int = 1, status: int = 500, code: str = "Internal",
                  message: Optional[str] = None) -> None:
        """The next `count` job creations (`operation="create"`, `POST /jobs`) or starts (`"start"`,
        `POST /jobs/{id}/results`) answer `status` with openEO error `code` (`POST /_fixture/jobs/fail`)."""
        self.touched = True
        body = {"operation": operation, "count": count, "status": status, "code": code}
        if message is not None:
            body["message"] = message
        self._control("POST", "/jobs/fail", body)

    def force_job_status(self, job_id: str, status: str, progress: Optional[float] = None,
                         code: Optional[str] = None, message: Optional[str] = None) -> None:
        """Puts a member job into `status` (`POST /_fixture/jobs/{id}/status`); a forced `error` adds an error log
        entry with `code` and `message`."""
        self.touched = True
        body = {"status": status}
        for key, value in (("progress", progress), ("code", code), ("message", message)):
            if value is not None:
                body[key] = value
        self._control("POST", f"/jobs/{job_id}/status", body)

    def reset(self) -> None:
        """Removes every fault, pending job failure and outage and clears the request log (`POST /_fixture/reset`);
        jobs stay."""
        self._control("POST", "/reset")

    def state(self) -> dict:
        """The controller's state (`GET /_fixture`): faults, pending job failures, offline."""
        return self._control("GET", "", expected=200)

    def request_log(self, method: Optional[str] = None, path: Optional[str] = None) -> List[dict]:
        """The request log, oldest first (`GET /_fixture/requests`), filtered by method and by a substring of the
        full path (`/openeo/1.2/jobs`). Entries: seq, time, method, path, query, authorization, body, json, status
        (None when the connection was dropped), faults, duration_ms."""
        params = {k: v for k, v in (("method", method), ("path", path)) if v}
        r = requests.get(f"{self.control}/requests", params=params, timeout=HTTP_TIMEOUT)
        assert r.status_code == 200, f"{self.name}: GET /_fixture/requests -> {r.status_code} {r.text}"
        return r.json()["requests"]

    def requests_to(self, method: str, api_path: str) -> List[dict]:
        """Logged requests with exactly this method and path below /openeo/1.2 (e.g. `POST`, `/jobs`)."""
        full = f"/openeo/1.2{api_path}"
        return [e for e in self.request_log(method=method, path=full) if e["path"] == full]

    # ---- the member's own openEO API, as the aggregator's user

    def api_get(self, path: str) -> dict:
        """GET on the member's API with the token the aggregator forwards for the test user."""
        r = requests.get(f"{self.url}{path}", headers={"Authorization": MEMBER_AUTHORIZATION}, timeout=HTTP_TIMEOUT)
        r.raise_for_status()
        return r.json()

    def collection_config(self, collection_id: str) -> dict:
        """The `[[collections]]` entry of this member's fixture file."""
        return next(c for c in self.config["collections"] if c["id"] == collection_id)


class Members(Dict[str, Member]):
    """The members by name, and the one process serving them all."""

    def __init__(self, proc: subprocess.Popen, log: LogTail):
        super().__init__()
        self.proc = proc
        self.log = log


def start_members(fixture_files: Dict[str, Path], data_dir: Path, log_path: Path,
                  timeout: float = 30.0) -> Members:
    """Starts every member from one `openeo-local serve --instance NAME=FILE ... --data-dir DIR` process and reads
    each instance's URL from its `openeo-local instance NAME listening on URL` line (the files say
    `listen = "127.0.0.1:0"`, so every instance gets a free port). Stop it with `stop_process(members.proc)`."""
    cmd = [str(openeo_local_binary()), "serve"]
    for name, path in fixture_files.items():
        cmd += ["--instance", f"{name}={path}"]
    cmd += ["--data-dir", str(data_dir)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    log = LogTail(proc.stdout, log_path)
    members = Members(proc, log)
    try:
        for m in log.wait_for(r"^openeo-local instance (\S+) listening on (\S+)", len(fixture_files), timeout):
            name, url = m.group(1), m.group(2)
            members[name] = Member(name, url, fixture_files[name])
        assert set(members) == set(fixture_files), f"instances {sorted(members)} != {sorted(fixture_files)}"
    except BaseException:
        stop_process(proc)
        raise
    return members


class Aggregator:
    """The aggregator under test: its API URL, its process and log."""

    def __init__(self, url: str, proc: subprocess.Popen, log: LogTail, settings: dict):
        self.url = url
        self.proc = proc
        self.log = log
        self.settings = settings

    def get(self, path: str, **kwargs) -> requests.Response:
        """An unauthenticated GET on the aggregator's API."""
        return requests.get(f"{self.url}{path}", timeout=HTTP_TIMEOUT, **kwargs)

    def federation_status(self) -> Dict[str, str]:
        """`online`/`offline` of each member, from `GET /` (its `federation` object)."""
        return {bid: b["status"] for bid, b in self.get("/").json()["federation"].items()}


def aggregator_config(backends: Dict[str, str], settings: dict) -> str:
    """The Python configuration file openeo-aggregator reads (`OPENEO_BACKEND_CONFIG`). ZooKeeper, which the
    aggregator needs to track cross-backend (partitioned) jobs, is replaced by its in-process stand-in, so
    gunicorn must run exactly one worker."""
    knobs = "".join(f"    {key}={value!r},\n" for key, value in settings.items())
    return (
        "from openeo_aggregator.config import AggregatorBackendConfig\n"
        "from openeo_aggregator.testing import DummyKazooClient\n"
        "\n"
        "config = AggregatorBackendConfig(\n"
        '    id="openeo-local-aggregator-ci",\n'
        '    capabilities_title="openeo-aggregator in front of openeo-local fixture members",\n'
        '    capabilities_description="example CI suite",\n'
        f"    aggregator_backends={backends!r},\n"
        "    enable_basic_auth=True,\n"
        f"    valid_basic_auth=lambda user, password: (user, password) == ({USER!r}, {PASSWORD!r}),\n"
        "    oidc_providers=[],\n"
        '    partitioned_job_tracking={"zk_client": DummyKazooClient()},\n'
        f"{knobs}"
        ")\n"
    )


def start_aggregator(backends: Dict[str, str], settings: dict, workdir: Path, timeout: float = 60.0) -> Aggregator:
    """Starts the real openeo-aggregator app under gunicorn on 127.0.0.1 (port 0: gunicorn picks a free one and
    logs it), with one worker and one thread, and waits until `GET /openeo/1.2/` answers."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.is_file():
        gunicorn = Path(shutil.which("gunicorn") or "gunicorn")
    config = workdir / "aggregator_config.py"
    config.write_text(aggregator_config(backends, settings))
    env = dict(os.environ, OPENEO_BACKEND_CONFIG=str(config))
    proc = subprocess.Popen(
        [str(gunicorn), "--workers", "1", "--threads", "1", "--timeout", "120", "--graceful-timeout", "5",
         "--bind", "127.0.0.1:0", "openeo_aggregator.app:create_app()"],
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log = LogTail(proc.stdout, workdir / "aggregator.log", keep=400)
    try:
        (match,) = log.wait_for(r"Listening at: (http://127\.0\.0\.1:\d+)", 1, timeout)
        url = f"{match.group(1)}/openeo/1.2"
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the aggregator exited with {proc.returncode}:\n{log.tail()}")
            try:
                if requests.get(f"{url}/", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the aggregator did not answer within {timeout} s:\n{log.tail()}")
            time.sleep(0.2)
    except BaseException:
        stop_process(proc)
        raise
    return Aggregator(url, proc, log, settings)


# ---------------------------------------------------------------- synthetic collections

_MASK = (1 << 64) - 1


def _mix(z: int) -> int:
    z = (z + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def synthetic_value(seed: int, b: int, t: int, x: int, y: int) -> Optional[int]:
    """The value of a synthetic collection (`source = { kind = "synthetic", ... }`) at band position `b`, date
    position `t` (as written in `dates`) and pixel column `x`, row `y` from `origin`; None for no-data.

    openeo-local's generator: no-data in 32 x 32-pixel "clouds" that move with the date (about one block in
    seven), else 300 + 400 b + (3 x + 2 y + 97 t) mod 1000 + n, with the noise n in 0..15 from a 64-bit mix of the
    seed, band, date and pixel. This is a transcription of that function, so results can be asserted exactly."""
    if _mix(seed ^ (t << 40) ^ ((y // 32) << 20) ^ (x // 32)) % 7 == 0:
        return None
    noise = _mix((seed ^ ((b << 56) & _MASK) ^ ((t << 44) & _MASK) ^ ((y << 22) & _MASK) ^ x) & _MASK) & 15
    return 300 + 400 * b + (3 * x + 2 * y + 97 * t) % 1000 + noise
