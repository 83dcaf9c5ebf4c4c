"""The server under attack and the fixtures the cases refer to.

`Server` runs `openeo-local serve` (testdata/server.toml, a free 127.0.0.1 port, a temporary data directory) and
starts it again, on the same data directory, when it died or stopped answering, so one crash fails only the case that
caused it. `Context` makes what the cases name in braces: tokens, jobs in each state, signed result links, stored
user-defined processes.
"""

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pytest_support import free_port, terminate, wait_ready  # noqa: E402

import cases  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BIN = Path(
    os.environ.get("OPENEO_LOCAL_BIN")
    or REPO / os.environ.get("CARGO_TARGET_DIR", "target") / "release" / "openeo-local"
)
# Longest time a case may take (one request, or a job's creation, start and end).
CASE_SECONDS = float(os.environ.get("HOSTILE_CASE_SECONDS", "30"))
# How far above its baseline (after start-up and a few normal requests) the server's RSS may be after the suite.
RSS_MARGIN_MIB = 64
# How long the memory may take to come back (idle blocking threads of the runtime end after 10 s).
RSS_SETTLE_SECONDS = 15.0


ANSWERS = []  # what the server answered to each case (see HOSTILE_ANSWERS in conftest.py)


class Server:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.data = tmp / "data"
        self.proc = None
        self.port = None
        self.instances = 0
        self.needs_restart = False
        self.session = requests.Session()
        self.deaths = []  # (case id, what happened)
        self.baseline_kib = None
        self.baseline_instance = 0
        self.log_path = None
        self.last_rss = self.last_instance = None
        self.rss_steps = []  # (growth KiB, case id, RSS KiB)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return self.root + cases.API

    def start(self):
        assert BIN.is_file(), f"openeo-local binary not found at {BIN} (set OPENEO_LOCAL_BIN)"
        self.instances += 1
        self.port = free_port()
        self.log_path = self.tmp / f"server-{self.instances}.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [str(BIN), "serve", "--config", "testdata/server.toml", "--listen", f"127.0.0.1:{self.port}",
                 "--data-dir", str(self.data)],
                cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
            )
        wait_ready(self.proc, f"{self.root}/.well-known/openeo", self.log_path, "openeo-local serve", seconds=60)
        self.session = requests.Session()
        self.needs_restart = False

    def stop(self):
        terminate(self.proc)

    def ensure(self) -> bool:
        """Starts the server when it is not running or must be restarted; True when it was (re)started."""
        if self.proc is not None and self.proc.poll() is None and not self.needs_restart:
            return False
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.start()
        return True

    def death(self) -> str:
        code = self.proc.returncode
        how = f"exit status {code}"
        if code is not None and code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        lines = self.log_path.read_text(errors="replace").strip().splitlines()[-60:]
        keys = ("overflow", "panick", "fatal", "abort", "error", "memory")
        tail = [line for line in lines if any(k in line.lower() for k in keys)][-4:] or lines[-3:]
        return f"the server process died ({how}); log: " + " / ".join(line.strip()[:300] for line in tail)

    def check(self, case_id: str):
        """None when the server is alive and answers /health; else what happened (and a restart is scheduled)."""
        what = None
        if self.proc.poll() is not None:
            what = self.death()
        else:
            try:
                r = requests.get(f"{self.api}/health", timeout=10)
                if r.status_code != 200:
                    what = f"/health answered {r.status_code} after the case"
            except requests.RequestException as e:
                time.sleep(0.2)
                what = self.death() if self.proc.poll() is not None else f"/health did not answer: {e}"
        if what:
            self.needs_restart = True
            self.deaths.append((case_id, what))
        return what

    def note_rss(self, case_id: str):
        """Remembers how much the resident memory grew during a case (for the summary)."""
        rss = self.rss_kib()
        if self.last_rss is not None and self.last_instance == self.instances:
            self.rss_steps.append((rss - self.last_rss, case_id, rss))
        self.last_rss, self.last_instance = rss, self.instances

    def rss_kib(self, field="VmRSS") -> int:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise AssertionError(f"no {field} in /proc/{self.proc.pid}/status")


def login(server: Server, user: str, password: str) -> str:
    r = requests.get(f"{server.api}/credentials/basic", auth=(user, password), timeout=30)
    r.raise_for_status()
    return r.json()["access_token"]


class Missing(dict):
    def __missing__(self, key):
        return f"missing-{key}"


class Context:
    """Tokens, jobs, signed links and stored processes the cases refer to. Made once; everything lives in the data
    directory, so it survives restarts of the server."""

    def __init__(self, server: Server):
        self.server = server
        self.available = set()
        self.problems = []
        self.notes = []
        self.alice_token = self.bob_token = ""
        self.job_created = self.job_bob = self.job_finished = self.job_finished2 = self.job_error = None
        self.signed = self.asset = None
        self.secret = b""

    def headers(self, user: str) -> dict:
        token = {"alice": self.alice_token, "bob": self.bob_token}[user]
        return {"Authorization": f"Bearer basic//{token}"}

    @property
    def fmt(self) -> dict:
        d = Missing(alice_token=self.alice_token, alice_token_short=self.alice_token[: len(self.alice_token) // 2])
        for k in ("job_created", "job_bob", "job_finished", "job_finished2", "job_error", "signed", "asset"):
            if getattr(self, k):
                d[k] = getattr(self, k)
        return d

    def forge(self, job: str, user: str, expires: int, key: bytes = None) -> str:
        mac = hmac.new(key or self.secret, f"{job}|{user}|{expires}".encode(), hashlib.sha256).digest()
        return f"{expires}." + base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def signed_with_expiry(self, expires: int) -> str:
        return f"{expires}.{self.signed.split('.', 1)[1]}"

    # ------------------------------------------------------------------------------------------------ setup

    def setup(self):
        s = self.server
        self.alice_token = login(s, "alice", "secret")
        self.bob_token = login(s, "bob", "secret2")
        seed_body = {"title": "hostile fixture", "process": {"process_graph": cases.seed()}}
        self.job_created = self._create(seed_body, "alice")
        self.job_bob = self._create(seed_body, "bob")
        self._put_udps()
        self.job_finished = self._run(seed_body, "finished")
        self.job_finished2 = self._run(seed_body, "finished")
        for g in (cases.pipeline(cases.load(id="NOPE"), cases.reduce_t()),
                  cases.pipeline(cases.load(bands=["B99"]), cases.reduce_t())):
            job = self._run({"process": {"process_graph": g}}, "error", quiet=True)
            if job:
                self.job_error = job
                self.available.add("error_job")
                break
        else:
            self.problems.append("no job in status 'error' could be made (the server refuses failing graphs at "
                                 "creation or start); the cases that need one are skipped")
        if self.job_finished and self.job_finished2:
            self._signed_links()
        secret_file = s.data / "signing-secret"
        if secret_file.is_file():
            self.secret = secret_file.read_text().strip().encode()
        else:
            self.problems.append("no signing secret in the data directory; forged links are checked against a guess")
        if not (self.job_created and self.job_bob):
            self.problems.append("the plain fixture jobs could not be created")

    def _create(self, body, user):
        r = requests.post(f"{self.server.api}/jobs", json=body, headers=self.headers(user), timeout=30)
        if r.status_code != 201:
            return None
        return r.headers.get("OpenEO-Identifier")

    def _run(self, body, want, quiet=False):
        job = self._create(body, "alice")
        if not job:
            if not quiet:
                self.problems.append(f"fixture job for status {want!r} could not be created")
            return None
        h = self.headers("alice")
        r = requests.post(f"{self.server.api}/jobs/{job}/results", headers=h, timeout=30)
        if r.status_code != 202:
            if not quiet:
                self.problems.append(f"fixture job {job} could not be started: {r.status_code} {r.text[:200]}")
            return None
        status = wait_job(self.server, job, h, 90)
        if status != want:
            if not quiet:
                self.problems.append(f"fixture job {job} ended {status!r}, not {want!r}")
            return None
        return job

    def _signed_links(self):
        r = requests.get(f"{self.server.api}/jobs/{self.job_finished}/results", headers=self.headers("alice"),
                         timeout=30)
        try:
            doc = r.json()
            canonical = next(link["href"] for link in doc["links"] if link.get("rel") == "canonical")
            self.signed = canonical.split("/results/", 1)[1].split("?")[0].split("/")[0]
            href = next(iter(doc["assets"].values()))["href"]
            self.asset = href.rsplit("/", 1)[1]
            self.available.add("finished_job")
        except (ValueError, KeyError, StopIteration, IndexError) as e:
            self.problems.append(f"the results of the finished fixture job have no usable signed links: {e!r}: "
                                 f"{r.text[:300]}")

    def _put_udps(self):
        h = self.headers("alice")
        keep = {"parameters": [{"name": "x", "schema": {}}],
                "process_graph": {"a": {"process_id": "add", "arguments": {"x": {"from_parameter": "x"}, "y": 1},
                                        "result": True}}}
        r = requests.put(f"{self.server.api}/process_graphs/udp_keep", json=keep, headers=h, timeout=30)
        if r.status_code // 100 != 2:
            self.problems.append(f"PUT of the plain process udp_keep answered {r.status_code}: {r.text[:200]}")
        # harmless versions first, so each recursive one can be stored as long as its callees do not (yet) call
        # back: the last of a cycle is the one a server has to catch
        for pid, body in cases.RECURSIVE_UDPS.items():
            harmless = {"parameters": body["parameters"], "process_graph": {
                "a": {"process_id": "add", "arguments": {"x": 1, "y": 1}, "result": True}}}
            requests.put(f"{self.server.api}/process_graphs/{pid}", json=harmless, headers=h, timeout=30)
        for pid, body in cases.RECURSIVE_UDPS.items():
            r = requests.put(f"{self.server.api}/process_graphs/{pid}", json=body, headers=h, timeout=30)
            self.notes.append(f"PUT /process_graphs/{pid} (recursive) answered {r.status_code}")
            if r.status_code // 100 != 2:
                # refused: drop the harmless version, so whatever calls it fails instead of computing
                requests.delete(f"{self.server.api}/process_graphs/{pid}", headers=h, timeout=30)
        self.available.add("udps")

    def warm_up(self):
        """A few normal requests, so the baseline RSS includes what any server holds after its first requests."""
        h = self.headers("alice")
        for _ in range(2):
            requests.post(f"{self.server.api}/result", json={"process": {"process_graph": cases.seed()}},
                          headers=h, timeout=60)
            requests.post(f"{self.server.api}/validation", json={"process_graph": cases.seed()}, headers=h,
                          timeout=60)
            requests.get(f"{self.server.api}/collections", timeout=30)
        time.sleep(0.5)


FINAL = ("finished", "error", "canceled")


def wait_job(server: Server, job: str, headers: dict, seconds: float):
    """Polls a job until it ends; its last status (or None when it could not be read)."""
    deadline = time.monotonic() + seconds
    status = None
    while time.monotonic() < deadline:
        try:
            r = requests.get(f"{server.api}/jobs/{job}", headers=headers, timeout=10)
            status = r.json().get("status") if r.status_code == 200 else None
        except (requests.RequestException, ValueError):
            return status
        if status in FINAL:
            return status
        time.sleep(0.1)
    return status


def excerpt(body: bytes, n=300) -> str:
    text = body[:n].decode("utf-8", errors="replace")
    return json.dumps(text)[1:-1] + ("..." if len(body) > n else "")
