"""The hostile requests of tests/hostile/test_hostile.py: what each case sends and what a correct server answers.

A `Case` is one request (or, for `kind="job"`, one job submission followed by its start). What the server must
answer depends on `kind`:

- `error`: a 4xx status (or one of `allow`, with the reason in `ALLOWED`) and a JSON body with `id`, `code` and
  `message`;
- `validation`: `POST /validation` of a process graph with a problem: 200 and a non-empty `errors` list (the openEO
  API answers 4xx only when the validation request itself is malformed);
- `validation_or_error`: `POST /validation` of a body whose process graph is missing or not an object, or whose
  content type is wrong: the API text allows either answer (a malformed request, 4xx, or an invalid process, 200
  with errors), so both pass, but nothing else does;
- `job`: `POST /jobs` then `POST /jobs/{id}/results`: a 4xx error at either step, or the job ends in `error` with an
  error log entry. The openEO API docs ask servers to accept well-formed jobs and report data problems through the
  job, so a job that is structurally fine may be stored first;
- `udp_then_result`: `PUT /process_graphs/{id}` (stored, or refused with a 4xx error), then `POST /result` calling
  the process: a 4xx error;
- `stored_or_error`: a recursive user-defined process: stored (2xx) or refused with a 4xx error (the cases using it
  must fail either way).

Paths are below the API root (`/openeo/1.2`), or below the server root when they start with `!`, and may name
fixtures in braces (`{job_created}`, `{signed}`, ...; see `harness.Context`); a path may also be a function of the
context returning a path below the server root. Paths are sent byte for byte (no client-side normalisation of `..`
or percent escapes). Bodies are bytes, a function returning bytes (built when the case runs, so large bodies cost
nothing at collection), or, for `chunked` cases, a function returning an iterator of chunks. `raw` cases are sent
byte for byte over a socket (malformed HTTP the requests library would not send).
"""

import base64
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

API = "/openeo/1.2"

# Answers other than 4xx that are right for some cases, with the reason. 429/503 (busy) are not on the list: the
# cases run one at a time, so no answer may blame the load.
ALLOWED = {
    501: "FeatureUnsupported: documented for a synchronous GeoTIFF of a cube that keeps its time dimension (one file "
         "per date) and acceptable for process namespaces given as a path or URL (loading remote process "
         "definitions is an optional openEO feature)",
}


@dataclass
class Case:
    id: str
    method: str
    path: Union[str, Callable[[Any], str]]
    body: Any = None
    headers: dict = field(default_factory=dict)
    auth: Optional[str] = "alice"  # "alice", "bob" or None (no Authorization header unless `headers` has one)
    kind: str = "error"
    allow: tuple = ()
    raw: Optional[Callable[[Any], bytes]] = None  # ctx -> the whole request, for malformed HTTP
    half_close: bool = False  # raw: shut the sending side after the request (the body is shorter than announced)
    chunked: bool = False  # body is a zero-argument function returning an iterator of chunks
    needs: tuple = ()  # context fixtures the case needs; a case is skipped when one could not be made


CASES: list = []

# Requests that are not valid HTTP/1.1, or whose head is larger than the HTTP layer accepts (a request line or
# header field over its buffer, more than 100 header fields, a URI over 64 KiB), are answered by the HTTP layer
# with a bare 400, 414 or 431 before any request exists for the application to answer, so no openEO body is
# possible. For these (kind "protocol") the status must be one of those and the server must stay up.
PROTOCOL_LEVEL = {
    "headers/authorization-nul-byte": "a NUL byte is not allowed in a header value",
    "headers/authorization-1mb": "a 1 MiB header field",
    "headers/junk-header-1mb-without-auth": "a 1 MiB header field",
    "headers/500-junk-headers-without-auth": "500 header fields",
    "headers/content-length-not-a-number": "Content-Length is not a number",
    "headers/content-length-negative": "Content-Length is negative",
    "path/GET/collection-64k-id": "a request target over 64 KiB",
    "path/GET/collection-1mb-id": "a request target of 1 MiB",
    "path/raw-invalid-utf8-bytes": "raw non-ASCII bytes in the request target",
    "path/raw-space-in-target": "a space inside the request target",
    "signed/signature-100k": "a request target over 64 KiB",
}
PROTOCOL_STATUSES = (400, 414, 431)


def add(case: Case):
    if case.id in PROTOCOL_LEVEL:
        case.kind = "protocol"
    CASES.append(case)


# ------------------------------------------------------------------------------------------------ graph helpers

BBOX = {"west": 11.30, "south": 46.47, "east": 11.36, "north": 46.51}
TIME = ["2022-06-01", "2022-06-20"]
DROP = object()  # as an override value: leave the key out


def _with(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if v is DROP:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def load(**over) -> dict:
    args = {"id": "SYNTH_S2_UTM", "spatial_extent": dict(BBOX), "temporal_extent": list(TIME), "bands": ["B04"]}
    return {"process_id": "load_collection", "arguments": _with(args, over)}


def cb(node_map: dict) -> dict:
    return {"process_graph": node_map}


def single(pid: str, **args) -> dict:
    """A callback of one node (marked result)."""
    return cb({"r": {"process_id": pid, "arguments": args, "result": True}})


def param(name: str) -> dict:
    return {"from_parameter": name}


def ref(name: str) -> dict:
    return {"from_node": name}


MEAN = single("mean", data=param("data"))


def pipeline(first: dict, *steps, fmt="GTiff", save=True) -> dict:
    """`first` (a node) then each step `(process_id, arguments)` fed by the previous one, then save_result."""
    g = {"n0": first}
    prev = "n0"
    for i, (pid, args) in enumerate(steps, 1):
        g[f"n{i}"] = {"process_id": pid, "arguments": {"data": ref(prev), **args}}
        prev = f"n{i}"
    if save:
        g["save"] = {"process_id": "save_result", "arguments": {"data": ref(prev), "format": fmt}, "result": True}
    else:
        g[prev]["result"] = True
    return g


def reduce_t(reducer=None) -> tuple:
    return ("reduce_dimension", {"dimension": "t", "reducer": MEAN if reducer is None else reducer})


def seed() -> dict:
    """load → mean over t → GTiff: small and valid."""
    return pipeline(load(), reduce_t())


class JsonText(str):
    """JSON given as text (a graph too deeply nested to build as Python objects, or a body holding one)."""


def body_for(endpoint: str, graph):
    if isinstance(graph, JsonText):
        if endpoint in ("validation", "put-udp"):
            return JsonText('{"process_graph":' + graph + "}")
        return JsonText('{"process":{"process_graph":' + graph + "}}")
    if endpoint in ("validation", "put-udp"):
        return {"process_graph": graph}
    return {"process": {"process_graph": graph}}


def dumps(v) -> bytes:
    if isinstance(v, JsonText):
        return v.encode()
    return json.dumps(v, separators=(",", ":")).encode()


# -------------------------------------------------------------------------------------- endpoints taking bodies

BODY_ENDPOINTS = {
    "validation": ("POST", "/validation"),
    "result": ("POST", "/result"),
    "jobs": ("POST", "/jobs"),
    "patch-job": ("PATCH", "/jobs/{job_created}"),
    "put-udp": ("PUT", "/process_graphs/hostile_udp"),
}


def valid_body(endpoint: str) -> bytes:
    g = seed()
    if endpoint in ("jobs", "patch-job"):
        return dumps({"title": "t", "process": {"process_graph": g}})
    if endpoint == "put-udp":
        return dumps({"summary": "s", "process_graph": g})
    return dumps(body_for(endpoint, g))


def json_ct(extra=None) -> dict:
    h = {"Content-Type": "application/json"}
    h.update(extra or {})
    return h


# ---------------------------------------------------------------------------------------- 1. malformed JSON

def _nested_arrays(n):
    return lambda v: b'{"process":' + b"[" * n + b"]" * n + b"}"


def _nested_objects(n):
    return lambda v: b'{"process":' + b'{"a":' * n + b"1" + b"}" * n + b"}"


# name -> function of the endpoint's valid body returning the bytes sent; all are invalid JSON
SYNTAX = {
    "empty-body": lambda v: b"",
    "whitespace-only": lambda v: b" \n\t\r ",
    "truncated-1-byte": lambda v: v[:1],
    "truncated-quarter": lambda v: v[: len(v) // 4],
    "truncated-half": lambda v: v[: len(v) // 2],
    "truncated-last-byte": lambda v: v[:-1],
    "trailing-brace": lambda v: v + b"}",
    "trailing-garbage": lambda v: v + b"xyz",
    "two-documents": lambda v: v + b" {}",
    "single-quotes": lambda v: v.replace(b'"', b"'"),
    "unquoted-keys": lambda v: b"{process: {process_graph: {}}}",
    "trailing-comma": lambda v: v[:-1] + b",}",
    "line-comment": lambda v: b"// comment\n" + v,
    "block-comment": lambda v: b"/* c */" + v,
    "NaN-literal": lambda v: v.replace(b"11.3,", b"NaN,", 1),
    "Infinity-literal": lambda v: v.replace(b"11.3,", b"Infinity,", 1),
    "minus-Infinity-literal": lambda v: v.replace(b"11.3,", b"-Infinity,", 1),
    "nan-lowercase": lambda v: v.replace(b"11.3,", b"nan,", 1),
    "huge-exponent-1e400": lambda v: v.replace(b"11.3,", b"1e400,", 1),
    "huge-negative-exponent": lambda v: v.replace(b"11.3,", b"-1e999999,", 1),
    "integer-5000-digits": lambda v: v.replace(b"11.3,", b"9" * 5000 + b",", 1),
    "hex-number": lambda v: v.replace(b"11.3,", b"0x1F,", 1),
    "leading-plus": lambda v: v.replace(b"11.3,", b"+11.3,", 1),
    "leading-zero": lambda v: v.replace(b"11.3,", b"011.3,", 1),
    "bare-dot-number": lambda v: v.replace(b"11.3,", b".5,", 1),
    "arrays-nested-129": _nested_arrays(129),
    "arrays-nested-10000": _nested_arrays(10_000),
    "arrays-nested-200000": _nested_arrays(200_000),
    "objects-nested-129": _nested_objects(129),
    "objects-nested-50000": _nested_objects(50_000),
    "unclosed-arrays-500000": lambda v: b"[" * 500_000,
    "invalid-utf8-in-string": lambda v: v.replace(b'"SYNTH_S2_UTM"', b'"SYNTH_\xff\xfe"', 1),
    "invalid-utf8-in-key": lambda v: v.replace(b'"arguments"', b'"argu\xc3ments"', 1),
    "overlong-utf8-slash": lambda v: v.replace(b'"SYNTH_S2_UTM"', b'"..\xc0\xaf..\xc0\xaf"', 1),
    "utf8-encoded-surrogate": lambda v: v.replace(b'"SYNTH_S2_UTM"', b'"\xed\xa0\x80"', 1),
    "truncated-multibyte": lambda v: v.replace(b'"SYNTH_S2_UTM"', b'"\xe2\x82"', 1),
    "lone-surrogate-escape": lambda v: v.replace(b'"SYNTH_S2_UTM"', b'"\\ud800"', 1),
    "invalid-escape": lambda v: v.replace(b'"SYNTH_S2_UTM"', b'"\\x41"', 1),
    "short-unicode-escape": lambda v: v.replace(b'"SYNTH_S2_UTM"', b'"\\u12"', 1),
    "raw-control-char-in-string": lambda v: v.replace(b'"SYNTH_S2_UTM"', b'"SYN\x01TH"', 1),
    "nul-after-body": lambda v: v + b"\x00",
    "nul-bytes-only": lambda v: b"\x00" * 100,
    "random-binary-4k": lambda v: random.Random(7).randbytes(4096),
    "latin1-bytes-only": lambda v: "{\"process\": \"caf\xe9\"}".encode("latin-1"),
}

# name -> (bytes, valid JSON?) bodies that are JSON of the wrong shape; for /validation these may be answered either
# way (see the module doc)
def _shape_bodies(endpoint: str) -> dict:
    out = {
        "body-null": b"null",
        "body-array": b"[]",
        "body-number": b"42",
        "body-string": b'"graph"',
        "body-true": b"true",
        "body-array-of-valid-body": b"[" + valid_body(endpoint) + b"]",
    }
    if endpoint != "patch-job":
        out["body-empty-object"] = b"{}"
    key = "process_graph" if endpoint in ("validation", "put-udp") else None
    for name, pg in {"null": None, "array": [], "string": "x", "number": 7, "true": True, "empty": {}}.items():
        if key:
            out[f"process_graph-{name}"] = dumps({key: pg})
        else:
            out[f"process.process_graph-{name}"] = dumps({"process": {"process_graph": pg}})
    if not key:
        for name, p in {"null": None, "number": 1, "array": [], "string": "graph", "empty": {}}.items():
            out[f"process-{name}"] = dumps({"process": p})
        out["process_graph-at-top-level"] = dumps({"process_graph": seed()}) if endpoint != "patch-job" else None
        out["process-wrapped-twice"] = dumps({"process": {"process": {"process_graph": seed()}}})
    else:
        out["process_graph-wrapped-in-process"] = dumps({"process_graph": {"process": {"process_graph": {}}}})
    if endpoint in ("jobs", "patch-job"):
        g = {"process_graph": seed()}
        out["title-number"] = dumps({"title": 5, "process": g})
        out["title-array"] = dumps({"title": ["a"], "process": g})
        out["description-object"] = dumps({"description": {"x": 1}, "process": g})
    if endpoint == "put-udp":
        out["parameters-string"] = dumps({"process_graph": seed(), "parameters": "x"})
        out["parameters-of-numbers"] = dumps({"process_graph": seed(), "parameters": [1, 2]})
    return {k: v for k, v in out.items() if v is not None}


def _invalid_graph_body(endpoint):
    """JSON whose process graph is invalid (no result node), for the content-type cases."""
    g = seed()
    del g["save"]["result"]
    return dumps(body_for(endpoint, g))


def add_json_cases():
    for ep, (method, path) in BODY_ENDPOINTS.items():
        syntax_kind = "error"
        shape_kind = "validation_or_error" if ep == "validation" else "error"
        for name, make in SYNTAX.items():
            add(Case(f"json/{ep}/{name}", method, path, body=(lambda make=make, ep=ep: make(valid_body(ep))),
                     headers=json_ct(), kind=syntax_kind))
        for name, b in _shape_bodies(ep).items():
            add(Case(f"json/{ep}/{name}", method, path, body=b, headers=json_ct(), kind=shape_kind))
        bad = _invalid_graph_body(ep)
        # a byte order mark is allowed to be ignored (RFC 8259), so the graph behind it is invalid too
        add(Case(f"json/{ep}/bom-then-invalid-graph", method, path, body=b"\xef\xbb\xbf" + bad, headers=json_ct(),
                 kind=shape_kind))
        add(Case(f"json/{ep}/utf16le-with-bom", method, path, body=b"\xff\xfe" + bad.decode().encode("utf-16-le"),
                 headers=json_ct(), kind="error"))
        add(Case(f"json/{ep}/utf32-be", method, path, body=bad.decode().encode("utf-32-be"), headers=json_ct(),
                 kind="error"))
        # content types: non-JSON payloads are errors whatever the server thinks of the header
        add(Case(f"json/{ep}/form-urlencoded", method, path, body=b"process=1&process_graph=x",
                 headers={"Content-Type": "application/x-www-form-urlencoded"}))
        add(Case(f"json/{ep}/multipart", method, path,
                 body=b'--b\r\nContent-Disposition: form-data; name="process"\r\n\r\n{}\r\n--b--\r\n',
                 headers={"Content-Type": "multipart/form-data; boundary=b"}))
        add(Case(f"json/{ep}/xml", method, path, body=b"<process><process_graph/></process>",
                 headers={"Content-Type": "application/xml"}))
        for ctname, ct in {"text-plain": "text/plain", "octet-stream": "application/octet-stream",
                           "json-charset-utf16": "application/json; charset=utf-16",
                           "garbage-content-type": "x/y;;;=;q=" + "x" * 2000, "no-content-type": None}.items():
            add(Case(f"json/{ep}/{ctname}-invalid-graph", method, path, body=bad,
                     headers={} if ct is None else {"Content-Type": ct}, kind=shape_kind))


# ------------------------------------------------------------------------------- 2. graph structure and content

@dataclass
class G:
    """A process graph case: `structural` problems must be refused by every endpoint that takes a graph;
    the others (content) by /validation (errors) and /result (4xx), and, where `job`, through a batch job."""
    name: str
    graph: Any
    structural: bool = False
    job: bool = False
    allow: tuple = ()
    result_only: bool = False  # only /result (e.g. the graph is fine for a batch job)
    skip_validation: bool = False


GRAPHS: list = []


def graph(name, g, **kw):
    GRAPHS.append(G(name, g, **kw))


def _no_result():
    g = seed()
    del g["save"]["result"]
    return g


def _two_results():
    g = seed()
    g["n1"]["result"] = True
    return g


def _set(g, path, value):
    node = g
    for k in path[:-1]:
        node = node[k]
    if value is DROP:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return g


def structure_graphs():
    s = dict(structural=True)
    graph("structure/no-result-node", _no_result(), job=True, **s)
    graph("structure/two-result-nodes", _two_results(), **s)
    for name, v in {"string-true": "true", "number-1": 1, "object": {}, "array": [True]}.items():
        graph(f"structure/result-flag-{name}", _set(seed(), ["save", "result"], v), **s)
    graph("structure/empty-graph", {}, **s)
    for name, v in {"number": 1, "null": None, "array": [], "string": "load_collection"}.items():
        graph(f"structure/node-is-{name}", {**seed(), "junk": v}, **s)
    for name, v in {"missing": DROP, "null": None, "number": 1, "array": ["add"], "object": {"id": "add"},
                    "empty-string": "", "true": True}.items():
        graph(f"structure/process_id-{name}", _set(seed(), ["n1", "process_id"], v),
              **(s if name not in ("empty-string",) else {}))
    for name, v in {"array": [], "string": "x", "number": 1, "null": None}.items():
        graph(f"structure/arguments-{name}", _set(seed(), ["n1", "arguments"], v), **s)
    # cycles
    g = seed()
    g["n0"] = {"process_id": "apply", "arguments": {"data": ref("n1"), "process": single("absolute", x=param("x"))}}
    graph("structure/cycle-two-nodes", g, job=True, **s)
    g = seed()
    g["n1"]["arguments"]["data"] = ref("n1")
    graph("structure/self-loop", g, **s)
    graph("structure/cycle-three-nodes", {
        "a": {"process_id": "add", "arguments": {"x": ref("c"), "y": 1}},
        "b": {"process_id": "add", "arguments": {"x": ref("a"), "y": 1}},
        "c": {"process_id": "add", "arguments": {"x": ref("b"), "y": 1}, "result": True}}, **s)
    graph("structure/cycle-beside-result", {
        "a": {"process_id": "add", "arguments": {"x": ref("b"), "y": 1}},
        "b": {"process_id": "add", "arguments": {"x": ref("a"), "y": 1}},
        "r": {"process_id": "add", "arguments": {"x": 1, "y": 2}, "result": True}}, **s)
    graph("structure/cycle-through-array-argument", {
        "a": {"process_id": "sum", "arguments": {"data": [1, ref("b")]}},
        "b": {"process_id": "sum", "arguments": {"data": [ref("a"), 2]}, "result": True}}, **s)
    # references
    for name, v in {"dangling": ref("nope"), "empty-string": ref(""), "null": {"from_node": None},
                    "number": {"from_node": 1}, "float": {"from_node": 1.5}, "array": {"from_node": ["n0"]},
                    "object": {"from_node": {"id": "n0"}}, "true": {"from_node": True}}.items():
        graph(f"structure/from_node-{name}", _set(seed(), ["n1", "arguments", "data"], v),
              job=name in ("dangling", "null"), **s)
    graph("structure/from_node-dangling-in-array", {
        "r": {"process_id": "sum", "arguments": {"data": [1, ref("ghost")]}, "result": True}}, **s)
    for name, v in {"null": None, "number": 3, "array": ["x"]}.items():
        graph(f"structure/from_parameter-{name}",
              _set(seed(), ["n1", "arguments", "reducer"], single("mean", data={"from_parameter": v})), **s)
    # callbacks with a broken structure
    bad_callbacks = {
        "no-result": cb({"m": {"process_id": "mean", "arguments": {"data": param("data")}}}),
        "two-results": cb({"m": {"process_id": "mean", "arguments": {"data": param("data")}, "result": True},
                           "n": {"process_id": "max", "arguments": {"data": param("data")}, "result": True}}),
        "cycle": cb({"a": {"process_id": "absolute", "arguments": {"x": ref("b")}},
                     "b": {"process_id": "absolute", "arguments": {"x": ref("a")}, "result": True}}),
        "dangling": cb({"m": {"process_id": "mean", "arguments": {"data": ref("nowhere")}, "result": True}}),
        "refers-to-outer-node": cb({"m": {"process_id": "mean", "arguments": {"data": ref("n0")}, "result": True}}),
        "empty": cb({}),
        "null-graph": {"process_graph": None},
        "array-graph": {"process_graph": []},
        "string-graph": {"process_graph": "mean"},
        "node-process_id-null": cb({"m": {"process_id": None, "arguments": {}, "result": True}}),
    }
    for name, c in bad_callbacks.items():
        graph(f"callback/{name}", _set(seed(), ["n1", "arguments", "reducer"], c), **s)


def _unknown(pid):
    return _set(seed(), ["n1", "process_id"], pid)


def process_graphs():
    graph("process/unknown-id", _unknown("nope"), job=True)
    graph("process/upper-case-id", _unknown("REDUCE_DIMENSION"))
    graph("process/trailing-space", _unknown("reduce_dimension "))
    graph("process/path-as-id", _unknown("../../bin/sh"))
    graph("process/unicode-id", _unknown("r\u00e9duce_\u202edimension"))
    graph("process/id-10k-chars", _unknown("x" * 10_000))
    graph("process/empty-string-id", _unknown(""))
    for name, ns in {"absolute-path": "/etc/passwd", "relative-path": "../../../etc/passwd",
                     "file-url": "file:///etc/passwd", "http-url": "http://127.0.0.1:9/process.json",
                     "https-url": "https://127.0.0.1:9/process.json", "unknown-provider": "vito",
                     "empty-string": ""}.items():
        graph(f"namespace/{name}", _set(seed(), ["n1", "namespace"], ns), allow=(501,), job=name == "file-url")
    for name, ns in {"number": 123, "array": ["backend"], "object": {"url": "file:///etc/passwd"},
                     "true": True}.items():
        graph(f"namespace/non-string-{name}", _set(seed(), ["n1", "namespace"], ns))
    graph("namespace/user-but-predefined", _set(seed(), ["n1", "namespace"], "user"))
    graph("namespace/file-url-in-callback",
          _set(seed(), ["n1", "arguments", "reducer"],
               cb({"m": {"process_id": "mean", "namespace": "file:///etc/passwd",
                         "arguments": {"data": param("data")}, "result": True}})), allow=(501,))


def argument_graphs():
    lc = lambda **o: pipeline(load(**o), reduce_t())  # noqa: E731
    graph("args/load_collection-id-missing", lc(id=DROP), job=True)
    for name, v in {"null": None, "number": 5, "empty": "", "unknown": "NOPE", "path": "../../etc/passwd",
                    "absolute-path": "/etc/passwd", "nul-byte": "SYNTH_S2_UTM\u0000", "lower-case": "synth_s2_utm",
                    "glob": "SYNTH_*", "url": "file:///etc/passwd", "1mb-string": "A" * (1 << 20)}.items():
        graph(f"args/load_collection-id-{name}", lc(id=v), job=name in ("unknown", "path"))
    graph("args/load_collection-unknown-parameter", lc(foo=1))
    for name, v in {"string": "everywhere", "number": 5, "array": [11.3, 46.47, 11.36, 46.51], "empty-object": {},
                    "geojson-garbage": {"type": "Polygon", "coordinates": "x"},
                    "geojson-empty-ring": {"type": "Polygon", "coordinates": [[]]}}.items():
        graph(f"args/load_collection-spatial_extent-{name}", lc(spatial_extent=v))
    graph("args/load_collection-properties-string", lc(properties="cloud<10"))
    graph("args/load_collection-properties-callback-unknown-process",
          lc(properties={"platform": single("nope", x=param("value"))}))
    # math
    m = lambda **a: {"r": {"process_id": "add", "arguments": a, "result": True}}  # noqa: E731
    graph("args/add-x-missing", m(y=1))
    graph("args/add-both-missing", m())
    for name, v in {"string": "a", "array": [1, 2], "object": {}, "true": True, "null-and-y-string": None}.items():
        graph(f"args/add-x-{name}", m(x=v, y=1 if name != "null-and-y-string" else "b"))
    graph("args/add-unknown-parameter", m(x=1, y=2, z=3))
    # /validation must not report unresolvable parameters (openEO API), so this one is for /result only
    graph("args/add-unresolvable-parameter", m(x=param("x"), y=1), result_only=True)
    graph("args/array_element-index-negative",
          {"r": {"process_id": "array_element", "arguments": {"data": [1, 2], "index": -1}, "result": True}})
    graph("args/array_element-index-1e20",
          {"r": {"process_id": "array_element", "arguments": {"data": [1, 2], "index": 1e20}, "result": True}})
    graph("args/array_element-index-string",
          {"r": {"process_id": "array_element", "arguments": {"data": [1, 2], "index": "0"}, "result": True}})
    graph("args/array_element-index-and-label",
          {"r": {"process_id": "array_element", "arguments": {"data": [1, 2], "index": 0, "label": "a"},
                 "result": True}})
    graph("args/array_element-data-string",
          {"r": {"process_id": "array_element", "arguments": {"data": "abc", "index": 0}, "result": True}})
    graph("args/linear_scale_range-inputMax-missing",
          {"r": {"process_id": "linear_scale_range", "arguments": {"x": 1, "inputMin": 0}, "result": True}})
    graph("args/power-base-string",
          {"r": {"process_id": "power", "arguments": {"base": "x", "p": 2}, "result": True}})
    graph("args/mean-data-number", {"r": {"process_id": "mean", "arguments": {"data": 5}, "result": True}})
    # the array, date and text processes of the experimental definitions
    one = lambda pid, **a: {"r": {"process_id": pid, "arguments": a, "result": True}}  # noqa: E731
    for name, a in {"index-beyond": {"index": 5}, "index-negative": {"index": -1}, "index-fraction": {"index": 0.5},
                    "values-string": {"values": "x", "index": 0}, "length-negative": {"index": 0, "length": -2},
                    "data-object": {"data": {"a": 1}, "index": 0}}.items():
        graph(f"args/array_modify-{name}", one("array_modify", **{"data": [1, 2], "values": [3], **a}))
    graph("args/array_create_labeled-length-mismatch", one("array_create_labeled", data=[1, 2], labels=["a"]))
    graph("args/array_create_labeled-labels-duplicate", one("array_create_labeled", data=[1, 2], labels=["a", "a"]))
    graph("args/array_find_label-data-number", one("array_find_label", data=5, label="a"))
    for pid in ("cumsum", "cumproduct", "cummin", "cummax"):
        graph(f"args/{pid}-data-string", one(pid, data="abc"))
        graph(f"args/{pid}-data-nested", one(pid, data=[[1], [2]]))
    graph("args/date_difference-date1-garbage", one("date_difference", date1="yesterday", date2="2022-06-01"))
    graph("args/date_difference-unit-unknown",
          one("date_difference", date1="2022-06-01", date2="2022-06-02", unit="fortnight"))
    graph("args/text_find-data-number", one("text_find", data=5, pattern="a"))
    # a filter that selects nothing gives an empty cube, which no process and no file format takes
    nothing = ("filter_temporal", {"extent": ["2030-01-01", "2030-02-01"]})
    graph("args/filter_temporal-nothing-then-reduce", pipeline(load(), nothing, reduce_t()), job=True)
    graph("args/filter_temporal-nothing-saved", pipeline(load(), nothing), job=True)
    far = ("filter_bbox", {"extent": {"west": 0, "south": 0, "east": 0.001, "north": 0.001}})
    graph("args/filter_bbox-nothing-then-reduce", pipeline(load(spatial_extent=None), far, reduce_t()))
    graph("args/sum-data-nested-objects",
          {"r": {"process_id": "sum", "arguments": {"data": [{"a": 1}, {"b": 2}]}, "result": True}})
    # cube processes
    red = lambda **a: pipeline(load(), ("reduce_dimension", a))  # noqa: E731
    graph("args/reduce_dimension-reducer-missing", red(dimension="t"), job=True)
    graph("args/reduce_dimension-dimension-missing", red(reducer=MEAN))
    for name, v in {"unknown": "time", "number": 5, "null": None, "empty": ""}.items():
        graph(f"args/reduce_dimension-dimension-{name}", red(dimension=v, reducer=MEAN))
    for name, v in {"string": "mean", "empty-object": {}, "number": 5, "array": [MEAN]}.items():
        graph(f"args/reduce_dimension-reducer-{name}", red(dimension="t", reducer=v))
    graph("args/reduce_dimension-data-number",
          {"r": {"process_id": "reduce_dimension", "arguments": {"data": 5, "dimension": "t", "reducer": MEAN},
                 "result": True}})
    graph("args/reduce_dimension-data-missing",
          {"r": {"process_id": "reduce_dimension", "arguments": {"dimension": "t", "reducer": MEAN},
                 "result": True}})
    graph("args/reduce_dimension-twice-over-t", pipeline(load(), reduce_t(), reduce_t()))
    graph("args/apply-process-missing", pipeline(load(), ("apply", {}), reduce_t()))
    graph("args/apply-process-string", pipeline(load(), ("apply", {"process": "absolute"}), reduce_t()))
    for fname, v in {"unknown": "EXE", "number": 5, "empty": "", "null": None, "path": "../../x.tif"}.items():
        graph(f"args/save_result-format-{fname}", pipeline(load(), reduce_t(), fmt=v), job=fname == "unknown")
    # a Zarr store is a directory: a batch job's result, refused by synchronous processing
    graph("args/save_result-format-zarr-sync", pipeline(load(), reduce_t(), fmt="Zarr"), result_only=True)
    for oname, v in {"string": "x", "compress-bogus": {"compress": "bogus"}, "cog-string": {"cog": "yes"},
                     "array": [1]}.items():
        g = pipeline(load(), reduce_t())
        g["save"]["arguments"]["options"] = v
        graph(f"args/save_result-options-{oname}", g)
    graph("args/save_result-data-number",
          {"r": {"process_id": "save_result", "arguments": {"data": 5, "format": "GTiff"}, "result": True}})
    mg = lambda **a: {"a": load(), "b": load(bands=["B08"]),  # noqa: E731
                      "m": {"process_id": "merge_cubes", "arguments": a},
                      "s": {"process_id": "save_result", "arguments": {"data": ref("m"), "format": "netCDF"},
                            "result": True}}
    graph("args/merge_cubes-cube2-missing", mg(cube1=ref("a")))
    graph("args/merge_cubes-cube1-number", mg(cube1=5, cube2=ref("b")))
    g = mg(cube1=ref("a"), cube2=ref("b"))
    g["b"] = load()
    graph("args/merge_cubes-overlap-without-resolver", g, job=True)
    g = mg(cube1=ref("a"), cube2=ref("b"), overlap_resolver=single("nope", x=param("x"), y=param("y")))
    g["b"] = load()
    graph("args/merge_cubes-resolver-unknown-process", g)
    g = mg(cube1=ref("a"), cube2=ref("b"), overlap_resolver=single("add", x=param("x"), y=param("nope")))
    g["b"] = load()
    graph("args/merge_cubes-resolver-unknown-parameter", g)
    nd = lambda **a: pipeline(load(bands=["B04", "B08"]), ("ndvi", a), reduce_t())  # noqa: E731
    graph("args/ndvi-red-unknown-band", nd(red="B99"))
    graph("args/ndvi-nir-number", nd(nir=5))
    graph("args/ndvi-target_band-number", nd(target_band=5))
    graph("args/ndvi-without-nir-band", pipeline(load(bands=["B04"]), ("ndvi", {}), reduce_t()))
    for name, url in {"file-url": "file:///etc/passwd", "relative-path": "../../../etc/passwd",
                      "absolute-path": "/etc/passwd", "closed-port": "http://127.0.0.1:9/stac.json",
                      "gdal-vsi": "/vsicurl/http://127.0.0.1:9/x.tif", "empty": "", "number": 5}.items():
        graph(f"args/load_stac-url-{name}",
              pipeline({"process_id": "load_stac", "arguments": {"url": url}}, reduce_t()), job=name == "file-url")


def extent_graphs():
    bboxes = {
        "south-minus-91": {**BBOX, "south": -91},
        "north-91": {**BBOX, "north": 91},
        "lat-1000": {**BBOX, "south": -1000, "north": 1000},
        "west-minus-540": {**BBOX, "west": -540},
        "east-540": {**BBOX, "east": 540},
        "lon-540-541": {**BBOX, "west": 540, "east": 541},
        "west-greater-than-east": {**BBOX, "west": 11.36, "east": 11.30},
        "south-greater-than-north": {**BBOX, "south": 46.51, "north": 46.47},
        "zero-area": {**BBOX, "east": 11.30, "north": 46.47},
        "antimeridian-no-data": {"west": 170, "south": -10, "east": -170, "north": 10},
        "far-from-data": {"west": 100, "south": 0, "east": 101, "north": 1},
        "nan-strings": {"west": "NaN", "south": "NaN", "east": "NaN", "north": "NaN"},
        "infinity-strings": {"west": "-Infinity", "south": "-Infinity", "east": "Infinity", "north": "Infinity"},
        "numbers-as-strings": {"west": "11.3", "south": "46.47", "east": "11.36", "north": "46.51"},
        "null-values": {"west": None, "south": None, "east": None, "north": None},
        "west-missing": {k: v for k, v in BBOX.items() if k != "west"},
        "1e308": {"west": -1e308, "south": -1e308, "east": 1e308, "north": 1e308},
        "crs-unknown-epsg": {**BBOX, "crs": "EPSG:99999"},
        "crs-garbage": {**BBOX, "crs": "foo"},
        "crs-negative": {**BBOX, "crs": -1},
        "crs-float": {**BBOX, "crs": 4326.5},
        "crs-object": {**BBOX, "crs": {}},
        "crs-injection": {**BBOX, "crs": "EPSG:4326'; DROP TABLE jobs; --"},
        "crs-wkt-garbage": {**BBOX, "crs": 'GEOGCS["x",DATUM["y"'},
        "utm-west-greater-than-east": {"west": 680000, "south": 5150000, "east": 670000, "north": 5160000,
                                       "crs": 32632},
    }
    for name, bb in bboxes.items():
        job = name in ("north-91", "west-greater-than-east")
        graph(f"extent/filter_bbox-{name}",
              pipeline(load(spatial_extent=None), ("filter_bbox", {"extent": bb}), reduce_t()), job=job)
        graph(f"extent/load_collection-{name}", pipeline(load(spatial_extent=bb), reduce_t()))
    for name, v in {"array": [11.3, 46.47, 11.36, 46.51], "string": "x", "empty-object": {}}.items():
        graph(f"extent/filter_bbox-extent-{name}",
              pipeline(load(spatial_extent=None), ("filter_bbox", {"extent": v}), reduce_t()))
    times = {
        "start-after-end": ["2022-06-20", "2022-06-01"],
        "start-equals-end": ["2022-06-01", "2022-06-01"],
        "garbage-strings": ["yesterday", "tomorrow"],
        "month-13-day-45": ["2022-13-45", "2022-14-01"],
        "february-30": ["2022-02-30", "2022-06-20"],
        "empty-strings": ["", ""],
        "both-null": [None, None],
        "numbers": [1, 2],
        "one-element": ["2022-06-01"],
        "three-elements": ["2022-06-01", "2022-06-10", "2022-06-20"],
        "string-not-array": "2022-06-01",
        "hour-25": ["2022-06-01T25:00:00Z", "2022-06-20T00:00:00Z"],
        "year-99999": ["99999-01-01", "99999-12-31"],
        "year-minus-1": ["-0001-01-01", "2022-06-20"],
        "no-data-1900": ["1900-01-01", "1900-02-01"],
        "end-garbage": ["2022-06-01", "garbage"],
        "offset-plus-99": ["2022-06-01T00:00:00+99:00", "2022-06-20T00:00:00Z"],
        "10k-char-date": ["2022-06-01" + "0" * 10_000, "2022-06-20"],
        "object": {"start": "2022-06-01", "end": "2022-06-20"},
        "nested-arrays": [["2022-06-01"], ["2022-06-20"]],
    }
    for name, t in times.items():
        job = name in ("start-after-end", "garbage-strings")
        graph(f"extent/filter_temporal-{name}",
              pipeline(load(temporal_extent=None), ("filter_temporal", {"extent": t}), reduce_t()), job=job)
        graph(f"extent/load_collection-temporal-{name}", pipeline(load(temporal_extent=t), reduce_t()))


def band_graphs():
    bands = {
        "unknown": ["B99"],
        "empty-list": [],
        "numbers": [1, 2],
        "null-element": [None],
        "string-not-list": "B04",
        "nested-list": [["B04"]],
        "empty-name": [""],
        "object-element": [{"name": "B04"}],
        "trailing-space": ["B04 "],
        "name-100k": ["B" * 100_000],
        "mixed-valid-and-number": ["B04", 5],
        "other-collection-band": ["conc_chl"],
    }
    for name, b in bands.items():
        job = name == "unknown"
        graph(f"bands/filter_bands-{name}",
              pipeline(load(bands=None), ("filter_bands", {"bands": b}), reduce_t()), job=job)
        graph(f"bands/load_collection-{name}", pipeline(load(bands=b), reduce_t()))
    graph("bands/filter_bands-wavelengths-garbage",
          pipeline(load(bands=None), ("filter_bands", {"wavelengths": "x"}), reduce_t()))


def callback_graphs():
    r = lambda reducer, dim="t": pipeline(load(), ("reduce_dimension", {"dimension": dim, "reducer": reducer}))  # noqa
    graph("callback/reducer-returns-array-add", r(single("add", x=param("data"), y=1)), job=True)
    graph("callback/reducer-returns-array-absolute", r(single("absolute", x=param("data"))))
    graph("callback/reducer-returns-array-multiply", r(single("multiply", x=param("data"), y=param("data"))))
    graph("callback/reducer-returns-array-linear_scale_range",
          r(single("linear_scale_range", x=param("data"), inputMin=0, inputMax=1)))
    graph("callback/reducer-over-bands-returns-array",
          pipeline(load(), ("reduce_dimension", {"dimension": "bands", "reducer": single("sqrt", x=param("data"))}),
                   reduce_t()))
    graph("callback/unknown-process-in-reducer", r(single("nope", data=param("data"))), job=True)
    graph("callback/load_collection-in-reducer", r(cb({"l": {**load(), "result": True}})))
    graph("callback/save_result-in-reducer",
          r(single("save_result", data=param("data"), format="GTiff")))
    graph("callback/reduce_dimension-in-reducer",
          r(single("reduce_dimension", data=param("data"), dimension="t", reducer=MEAN)))
    graph("callback/mean-without-data", r(single("mean")))
    graph("callback/unknown-parameter", r(single("mean", data=param("nope"))))
    graph("callback/reducer-uses-x-not-data", r(single("mean", data=param("x"))))
    graph("callback/apply-uses-data-not-x",
          pipeline(load(), ("apply", {"process": single("absolute", x=param("data"))}), reduce_t()))
    graph("callback/apply-unknown-process",
          pipeline(load(), ("apply", {"process": single("nope", x=param("x"))}), reduce_t()))
    graph("callback/apply-returns-string",
          pipeline(load(), ("apply", {"process": single("add", x=param("x"), y="one")}), reduce_t()))


# ----------------------------------------------------------------------------------- cube processes' arguments

def _square(x, y, d=0.001, closed=True) -> list:
    ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d]]
    return [ring + [[x, y]]] if closed else [ring]


POLY = {"type": "Polygon", "coordinates": _square(11.32, 46.48, 0.01)}


def _tiny_polygons(n, last=None) -> dict:
    """A FeatureCollection of `n` tiny squares inside BBOX; `last` replaces the last geometry."""
    feats = [{"type": "Feature", "properties": {},
              "geometry": {"type": "Polygon", "coordinates": _square(11.301 + (i % 100) * 0.0005,
                                                                      46.471 + (i // 100) * 0.0003, 0.0001)}}
             for i in range(n)]
    if last is not None:
        feats[-1]["geometry"] = last
    return {"type": "FeatureCollection", "features": feats}


BAD_GEOJSON = {
    "missing-coordinates": {"type": "Polygon"},
    "unclosed-ring": {"type": "Polygon", "coordinates": _square(11.32, 46.48, 0.01, closed=False)},
    "non-numeric-coordinate": {"type": "Polygon", "coordinates": [[[11.32, 46.48], ["11.33", 46.48], [11.33, 46.49],
                                                                   [11.32, 46.48]]]},
    "linestring": {"type": "LineString", "coordinates": [[11.32, 46.48], [11.33, 46.49]]},
    "empty-featurecollection": {"type": "FeatureCollection", "features": []},
    "number": 5,
    "string": "POLYGON((11.32 46.48, 11.33 46.48, 11.33 46.49, 11.32 46.48))",
}


def cube_process_graphs():
    """Bad arguments of the cube processes beyond load/filter/reduce: each is known while planning, so /validation
    reports it."""
    t3 = [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
    ak = lambda **a: pipeline(load(), ("apply_kernel", {"kernel": t3, **a}), reduce_t())  # noqa: E731
    graph("cube/apply_kernel-kernel-2x2", ak(kernel=[[1, 1], [1, 1]]))
    graph("cube/apply_kernel-kernel-ragged", ak(kernel=[[1, 1, 1], [1, 1], [1, 1, 1]]))
    graph("cube/apply_kernel-kernel-empty", ak(kernel=[]))
    graph("cube/apply_kernel-kernel-501x501", ak(kernel=[[1] * 501 for _ in range(501)]), job=True)
    graph("cube/apply_kernel-kernel-strings", ak(kernel=[["1", "1", "1"]] * 3))
    graph("cube/apply_kernel-border-unknown", ak(border="mirror"))
    graph("cube/apply_kernel-factor-string", ak(factor="2"))

    keep = cb({"r": {"process_id": "apply", "arguments": {"data": param("data"),
                                                          "process": single("absolute", x=param("x"))},
                     "result": True}})
    xy = lambda v, unit="px": [{"dimension": "x", "value": v, "unit": unit},  # noqa: E731
                               {"dimension": "y", "value": v, "unit": unit}]
    an = lambda size, **a: pipeline(load(), ("apply_neighborhood",  # noqa: E731
                                             {"process": keep, "size": size, **a}), reduce_t())
    graph("cube/apply_neighborhood-size-0", an(xy(0)))
    graph("cube/apply_neighborhood-size-negative", an(xy(-16)))
    graph("cube/apply_neighborhood-size-below-one-pixel", an(xy(1, "m")))
    graph("cube/apply_neighborhood-overlap-larger-than-size", an(xy(16), overlap=xy(64)), job=True)
    graph("cube/apply_neighborhood-unit-unknown", an(xy(16, "km")))
    graph("cube/apply_neighborhood-dimension-unknown", an([{"dimension": "z", "value": 16, "unit": "px"}]))

    rs = lambda **a: pipeline(load(), ("resample_spatial", a), reduce_t())  # noqa: E731
    graph("cube/resample_spatial-method-unknown", rs(resolution=20, method="nearest-ish"))
    graph("cube/resample_spatial-resolution-negative", rs(resolution=-10))
    graph("cube/resample_spatial-projection-999999", rs(projection=999999))
    graph("cube/resample_spatial-resolution-1e-6", rs(resolution=1e-6), job=True)
    graph("cube/resample_spatial-resolution-1e-300", rs(resolution=1e-300))

    two = lambda pid, a: {"a": load(), "m": {"process_id": pid, "arguments": a},  # noqa: E731
                          "s": {"process_id": "save_result", "arguments": {"data": ref("m"), "format": "netCDF"},
                                "result": True}}
    graph("cube/resample_cube_spatial-target-number", two("resample_cube_spatial", {"data": ref("a"), "target": 5}))
    graph("cube/resample_cube_temporal-target-string",
          two("resample_cube_temporal", {"data": ref("a"), "target": "SYNTH_S2_UTM"}))
    graph("cube/mask-mask-number", two("mask", {"data": ref("a"), "mask": 1}))
    graph("cube/merge_cubes-cube2-string", two("merge_cubes", {"cube1": ref("a"), "cube2": "SYNTH_S2_UTM"}))

    mp = lambda m: pipeline(load(), ("mask_polygon", {"mask": m}), reduce_t())  # noqa: E731
    fs = lambda g: pipeline(load(), ("filter_spatial", {"geometries": g}), reduce_t())  # noqa: E731
    ag = lambda g: pipeline(load(), reduce_t(), ("aggregate_spatial", {"geometries": g, "reducer": MEAN}),  # noqa
                            fmt="JSON")
    for name, g in BAD_GEOJSON.items():
        graph(f"cube/mask_polygon-{name}", mp(g))
    for name in ("unclosed-ring", "linestring", "empty-featurecollection", "string"):
        graph(f"cube/filter_spatial-{name}", fs(BAD_GEOJSON[name]))
    for name in ("non-numeric-coordinate", "number"):
        graph(f"cube/aggregate_spatial-{name}", ag(BAD_GEOJSON[name]))
    # 10,000 polygons: the last one broken (parsing them all is quick), or all fine and a later node wrong
    graph("cube/mask_polygon-10000-polygons-last-unclosed",
          mp(_tiny_polygons(10_000, BAD_GEOJSON["unclosed-ring"])))
    graph("cube/aggregate_spatial-10000-polygons-then-bad-format",
          pipeline(load(), reduce_t(), ("aggregate_spatial", {"geometries": _tiny_polygons(10_000), "reducer": MEAN}),
                   fmt="GTiff"))
    graph("cube/mask_polygon-10000-polygons-then-unknown-dimension",
          pipeline(load(), ("mask_polygon", {"mask": _tiny_polygons(10_000)}), reduce_t(),
                   ("drop_dimension", {"name": "nope"})))

    graph("cube/aggregate_temporal_period-period-unknown",
          pipeline(load(), ("aggregate_temporal_period", {"period": "fortnight", "reducer": MEAN})))
    at = lambda **a: pipeline(load(), ("aggregate_temporal", {"reducer": MEAN, **a}), fmt="netCDF")  # noqa: E731
    graph("cube/aggregate_temporal-end-before-start", at(intervals=[["2022-06-20", "2022-06-01"]]))
    graph("cube/aggregate_temporal-not-pairs", at(intervals=[["2022-06-01"], ["2022-06-10", "2022-06-12", "x"]]))
    graph("cube/aggregate_temporal-unparsable-dates", at(intervals=[["June", "July"]]))
    graph("cube/aggregate_temporal-labels-wrong-length",
          at(intervals=[["2022-06-01", "2022-06-10"], ["2022-06-10", "2022-06-20"]], labels=["a"]))

    one = lambda pid, **a: pipeline(load(), (pid, a), fmt="netCDF")  # noqa: E731
    graph("cube/apply_dimension-dimension-unknown",
          one("apply_dimension", dimension="time", process=single("absolute", x=param("data"))))
    graph("cube/drop_dimension-unknown", one("drop_dimension", name="nope"))
    graph("cube/drop_dimension-t-with-several-labels", one("drop_dimension", name="t"))
    graph("cube/rename_dimension-target-exists", one("rename_dimension", source="t", target="bands"))
    graph("cube/rename_dimension-source-number", one("rename_dimension", source=5, target="time"))
    graph("cube/add_dimension-name-exists", one("add_dimension", name="t", label="x"))
    graph("cube/add_dimension-name-number", one("add_dimension", name=5, label="x"))
    graph("cube/rename_labels-target-longer-than-source",
          one("rename_labels", dimension="bands", target=["red", "nir"], source=["B04"]))
    graph("cube/filter_labels-dimension-unknown",
          one("filter_labels", dimension="nope", condition=single("eq", x=param("value"), y="B04")))
    graph("cube/dimension_labels-dimension-unknown",
          {"l": load(), "d": {"process_id": "dimension_labels", "arguments": {"data": ref("l"), "dimension": "nope"},
                              "result": True}})

    graph("cube/trim_cube-data-number", {"r": {"process_id": "trim_cube", "arguments": {"data": 5}, "result": True}})
    # trim_cube reads its input while planning: a gigantic one must be refused, not read
    graph("cube/trim_cube-gigantic-cube",
          pipeline(load(), ("resample_spatial", {"resolution": 0.01}), ("trim_cube", {}), reduce_t()), job=True)
    graph("cube/climatological_normal-period-unknown",
          one("climatological_normal", period="fortnight", climatology_period=["2021", "2022"]))
    graph("cube/climatological_normal-climatology_period-one-year",
          one("climatological_normal", period="month", climatology_period=["2022"]))
    graph("cube/climatological_normal-climatology_period-garbage",
          one("climatological_normal", period="month", climatology_period=["then", "now"]))
    graph("cube/anomaly-normals-number", one("anomaly", normals=5, period="month"))


# ------------------------------------------------------------------------------------------ 3. deep and wide

def add_chain(n: int, leaf: str) -> dict:
    """n `add` nodes, each adding 1 to the previous; the first is fed `leaf`: `bad-leaf` (a string, invalid),
    `valid` (a number), `missing-collection` (reads an unknown collection)."""
    g = {}
    if leaf == "missing-collection":
        g["a0"] = {"process_id": "load_collection", "arguments": {"id": "NOPE"}}
        first_x = ref("a0")
    else:
        first_x = "x" if leaf == "bad-leaf" else 1
    for i in range(1, n + 1):
        x = first_x if i == 1 else ref(f"a{i - 1}")
        g[f"a{i}"] = {"process_id": "add", "arguments": {"x": x, "y": 1}}
    g[f"a{n}"]["result"] = True
    return g


def apply_chain(n: int, leaf: str) -> dict:
    """n chained `apply` nodes on a small cube; `bad-leaf` loads an unknown band."""
    g = {"l": load(bands=["B99"] if leaf == "bad-leaf" else ["B04"])}
    prev = "l"
    for i in range(n):
        g[f"p{i}"] = {"process_id": "apply", "arguments": {"data": ref(prev), "process": single(
            "add", x=param("x"), y=1)}}
        prev = f"p{i}"
    g[prev]["result"] = True
    return g


def nested_apply(n: int) -> JsonText:
    """`apply` whose callback is an `apply` ... n levels deep (each level 4 JSON levels)."""
    core = dumps(single("absolute", x=param("x"))).decode()
    pre = '{"process_graph":{"r":{"process_id":"apply","arguments":{"data":{"from_parameter":"x"},"process":'
    post = '},"result":true}}}'
    inner = pre * (n - 1) + core + post * (n - 1)
    g = pipeline(load(), ("apply", {"process": "__INNER__"}), reduce_t())
    return JsonText(dumps(g).decode().replace('"__INNER__"', inner))


def wide_fan_in(n: int, bad: bool) -> dict:
    """n `add` nodes feeding one `sum`; with `bad`, the last one adds a string."""
    g = {f"w{i}": {"process_id": "add", "arguments": {"x": i, "y": 1}} for i in range(n)}
    if bad:
        g[f"w{n - 1}"]["arguments"]["y"] = "x"
    g["total"] = {"process_id": "sum", "arguments": {"data": [ref(f"w{i}") for i in range(n)]}, "result": True}
    return g


def wide_unreferenced(n: int) -> dict:
    g = {f"u{i}": {"process_id": "add", "arguments": {"x": i, "y": 1}} for i in range(n)}
    g["r"] = {"process_id": "add", "arguments": {"x": "bad", "y": 1}, "result": True}
    return g


def huge_callback(n: int) -> dict:
    nodes = {f"c{i}": {"process_id": "absolute", "arguments": {"x": param("data") if i == 0 else ref(f"c{i - 1}")}}
             for i in range(n)}
    nodes[f"c{n - 1}"]["result"] = True
    return pipeline(load(), ("reduce_dimension", {"dimension": "t", "reducer": cb(nodes)}))


def diamond(depth: int) -> dict:
    """Each node adds the previous node to itself: 2^depth paths, so evaluation without memoisation never ends."""
    g = {"d0": {"process_id": "add", "arguments": {"x": "bad", "y": 1}}}
    for i in range(1, depth + 1):
        g[f"d{i}"] = {"process_id": "add", "arguments": {"x": ref(f"d{i - 1}"), "y": ref(f"d{i - 1}")}}
    g[f"d{depth}"]["result"] = True
    return g


# name -> (builder, jobs?)  built lazily: the big ones are a few MB of JSON
DEEP = {
    "add-chain-1500-bad-leaf": (lambda: add_chain(1500, "bad-leaf"), True),
    "add-chain-5000-bad-leaf": (lambda: add_chain(5000, "bad-leaf"), True),
    "add-chain-20000-bad-leaf": (lambda: add_chain(20000, "bad-leaf"), True),
    "add-chain-1500-valid-leaf": (lambda: add_chain(1500, "valid"), False),
    "add-chain-5000-valid-leaf": (lambda: add_chain(5000, "valid"), False),
    "add-chain-20000-valid-leaf": (lambda: add_chain(20000, "valid"), True),
    "add-chain-5000-missing-collection": (lambda: add_chain(5000, "missing-collection"), False),
    "apply-chain-5000-bad-leaf": (lambda: apply_chain(5000, "bad-leaf"), True),
    "apply-chain-5000-valid": (lambda: apply_chain(5000, "valid"), False),
    "apply-nested-30": (lambda: nested_apply(30), False),
    "apply-nested-5000": (lambda: nested_apply(5000), True),
    "wide-fan-in-10000-bad": (lambda: wide_fan_in(9_999, True), False),
    "wide-fan-in-12000": (lambda: wide_fan_in(12_000, False), True),
    "wide-unreferenced-10001": (lambda: wide_unreferenced(10_001), False),
    "wide-unreferenced-15000": (lambda: wide_unreferenced(15_000), False),
    "callback-10500-nodes": (lambda: huge_callback(10_500), False),
    "diamond-64": (lambda: diamond(64), True),
    "diamond-900": (lambda: diamond(900), False),
}


def add_graph_cases():
    for g in GRAPHS:
        if g.result_only:
            add(Case(f"{g.name}/result", "POST", "/result", body=dumps(body_for("result", g.graph)),
                     headers=json_ct(), allow=g.allow))
            continue
        add(Case(f"{g.name}/validation", "POST", "/validation", body=dumps(body_for("validation", g.graph)),
                 headers=json_ct(), kind="validation"))
        add(Case(f"{g.name}/result", "POST", "/result", body=dumps(body_for("result", g.graph)),
                 headers=json_ct(), allow=g.allow))
        if g.structural:
            add(Case(f"{g.name}/jobs", "POST", "/jobs", body=dumps(body_for("jobs", g.graph)), headers=json_ct()))
            add(Case(f"{g.name}/put-udp", "PUT", "/process_graphs/hostile_udp",
                     body=dumps(body_for("put-udp", g.graph)), headers=json_ct()))
        elif g.job:
            add(Case(f"{g.name}/job-run", "POST", "/jobs", body=dumps(body_for("jobs", g.graph)),
                     headers=json_ct(), kind="job", allow=g.allow))
    for name, (build, job) in DEEP.items():
        mk = lambda ep, build=build: dumps(body_for(ep, build()))  # noqa: E731
        # nested callbacks are deeper than any JSON parser allows: refusing the body (4xx) is right as well
        add(Case(f"deep/{name}/validation", "POST", "/validation", body=lambda mk=mk: mk("validation"),
                 headers=json_ct(), kind="validation_or_error" if "nested" in name else "validation"))
        add(Case(f"deep/{name}/result", "POST", "/result", body=lambda mk=mk: mk("result"), headers=json_ct()))
        if job:
            add(Case(f"deep/{name}/job-run", "POST", "/jobs", body=lambda mk=mk: mk("jobs"), headers=json_ct(),
                     kind="job"))
            udp = "deep_" + name.replace("-", "_")
            add(Case(f"deep/{name}/put-udp-then-result", "PUT", f"/process_graphs/{udp}",
                     body=lambda mk=mk: mk("put-udp"), headers=json_ct(), kind="udp_then_result"))
    # a GeoTIFF of a cube that keeps its dates cannot be one synchronous file
    for fmt in ("GTiff", "gtiff", "COG"):
        add(Case(f"sync/multi-date-{fmt}/result", "POST", "/result",
                 body=dumps(body_for("result", pipeline(load(), fmt=fmt))), headers=json_ct(), allow=(501,)))


# ----------------------------------------------------------------------------- 4. recursive user-defined processes

def udp_call(pid, namespace=None, **args) -> dict:
    n = {"process_id": pid, "arguments": args, "result": True}
    if namespace:
        n["namespace"] = namespace
    return {"call": n}


# id -> body stored with PUT /process_graphs/{id} before the cases run (see test_hostile.Context)
RECURSIVE_UDPS = {
    "selfrec": {"parameters": [{"name": "x", "schema": {}}],
                "process_graph": udp_call("selfrec", x=param("x"))},
    "ping": {"parameters": [{"name": "x", "schema": {}}], "process_graph": udp_call("pong", x=param("x"))},
    "pong": {"parameters": [{"name": "x", "schema": {}}], "process_graph": udp_call("ping", x=param("x"))},
    "cyc_a": {"parameters": [{"name": "x", "schema": {}}], "process_graph": udp_call("cyc_b", x=param("x"))},
    "cyc_b": {"parameters": [{"name": "x", "schema": {}}], "process_graph": udp_call("cyc_c", x=param("x"))},
    "cyc_c": {"parameters": [{"name": "x", "schema": {}}], "process_graph": udp_call("cyc_a", x=param("x"))},
    "twice": {"parameters": [{"name": "x", "schema": {}}], "process_graph": {
        "a": {"process_id": "twice", "arguments": {"x": param("x")}},
        "b": {"process_id": "twice", "arguments": {"x": param("x")}},
        "r": {"process_id": "add", "arguments": {"x": ref("a"), "y": ref("b")}, "result": True}}},
    "cbrec": {"parameters": [{"name": "data", "schema": {}}], "process_graph": {
        "r": {"process_id": "reduce_dimension", "result": True, "arguments": {
            "data": param("data"), "dimension": "t",
            "reducer": single("cbrec", data=param("data"))}}}},
    "userrec": {"parameters": [{"name": "x", "schema": {}}],
                "process_graph": udp_call("userrec", namespace="user", x=param("x"))},
}

RECURSION_USES = {
    "self": udp_call("selfrec", x=1),
    "self-namespace-user": udp_call("selfrec", namespace="user", x=1),
    "self-missing-argument": udp_call("selfrec"),
    "mutual-ping-pong": udp_call("ping", x=1),
    "three-cycle": udp_call("cyc_a", x=1),
    "self-twice-exponential": udp_call("twice", x=1),
    "self-through-callback": {"l": load(), "call": {"process_id": "cbrec", "arguments": {"data": ref("l")}},
                              "s": {"process_id": "save_result", "arguments": {"data": ref("call"),
                                                                                "format": "GTiff"},
                                    "result": True}},
    "self-via-user-namespace": udp_call("userrec", x=1),
    "inside-apply-callback": pipeline(load(), ("apply", {"process": single("selfrec", x=param("x"))}),
                                      reduce_t()),
}


def add_udp_cases():
    # storing them again: refused (4xx) or stored (2xx), never a crash or 5xx; the uses below must fail either way
    for pid, body in RECURSIVE_UDPS.items():
        add(Case(f"udp-recursion/store-{pid}/put-udp", "PUT", f"/process_graphs/{pid}", body=dumps(body),
                 headers=json_ct(), kind="stored_or_error"))
    for name, g in RECURSION_USES.items():
        add(Case(f"udp-recursion/{name}/validation", "POST", "/validation",
                 body=dumps(body_for("validation", g)), headers=json_ct(), kind="validation", needs=("udps",)))
        add(Case(f"udp-recursion/{name}/result", "POST", "/result", body=dumps(body_for("result", g)),
                 headers=json_ct(), needs=("udps",)))
        add(Case(f"udp-recursion/{name}/job-run", "POST", "/jobs", body=dumps(body_for("jobs", g)),
                 headers=json_ct(), kind="job", needs=("udps",)))
    # the recursive definitions used as the process graph of a job directly
    for pid in ("selfrec", "ping"):
        add(Case(f"udp-recursion/{pid}-body-as-job/job-run", "POST", "/jobs",
                 body=dumps({"process": {"process_graph": RECURSIVE_UDPS[pid]["process_graph"]}}),
                 headers=json_ct(), kind="job", needs=("udps",)))
    # ids that must not be stored
    for name, pid in {"predefined-add": "add", "predefined-load_collection": "load_collection",
                      "encoded-slash": "a%2Fb", "dot-dot": "..", "encoded-dot-dot": "%2E%2E",
                      "space": "a%20b", "unicode": "%C3%A9t%C3%A9", "nul": "a%00b",
                      "invalid-utf8": "%FF%FE"}.items():
        add(Case(f"udp-id/{name}/put-udp", "PUT", f"/process_graphs/{pid}",
                 body=dumps({"process_graph": udp_call("add", x=1, y=2)}), headers=json_ct()))
    add(Case("udp-id/missing/get", "GET", "/process_graphs/does_not_exist"))
    add(Case("udp-id/missing/delete", "DELETE", "/process_graphs/does_not_exist"))
    add(Case("udp-id/traversal/get", "GET", "/process_graphs/..%2F..%2Fjobs.sqlite"))
    add(Case("udp-id/other-users/get", "GET", "/process_graphs/udp_keep", auth="bob", needs=("udps",)))
    add(Case("udp-id/other-users/delete", "DELETE", "/process_graphs/udp_keep", auth="bob", needs=("udps",)))
    add(Case("udp-id/other-users/use-in-result", "POST", "/result",
             body=dumps(body_for("result", udp_call("udp_keep", x=1))), headers=json_ct(), auth="bob",
             needs=("udps",)))


# ---------------------------------------------------------------------------------------------- 5. headers

PROTECTED = [
    ("GET", "/me"), ("GET", "/process_graphs"), ("GET", "/process_graphs/udp_keep"),
    ("PUT", "/process_graphs/hostile_udp"), ("DELETE", "/process_graphs/udp_keep"), ("POST", "/validation"),
    ("POST", "/result"), ("GET", "/jobs"), ("POST", "/jobs"), ("GET", "/jobs/{job_created}"),
    ("PATCH", "/jobs/{job_created}"), ("DELETE", "/jobs/{job_created}"), ("GET", "/jobs/{job_finished}/results"),
    ("POST", "/jobs/{job_created}/results"), ("DELETE", "/jobs/{job_created}/results"),
    ("GET", "/jobs/{job_created}/logs"), ("GET", "/jobs/{job_created}/estimate"),
]

# name -> Authorization header value (a format string over the context) or None for no header
BAD_AUTH = {
    "none": None,
    "empty": "",
    "bearer-only": "Bearer",
    "bearer-space": "Bearer ",
    "bearer-basic-empty-token": "Bearer basic//",
    "single-slash-prefix": "Bearer basic/{alice_token}",
    "no-provider-prefix": "Bearer {alice_token}",
    "oidc-prefix": "Bearer oidc/egi/{alice_token}",
    "lower-case-prefix-bad-token": "bearer basic//nope",
    "tampered-token": "Bearer basic//{alice_token}x",
    "truncated-token": "Bearer basic//{alice_token_short}",
    "token-with-spaces": "Bearer basic//{alice_token} {alice_token}",
    "basic-credentials-on-bearer-endpoint": "Basic YWxpY2U6c2VjcmV0",
    "digest-scheme": 'Digest username="alice", response="x"',
    "aggregator-style-token-disabled": "Bearer basic//YWxpY2U=",
    "sql-quote-token": "Bearer basic//' OR '1'='1",
    "percent-token": "Bearer basic//%00%27",
    "token-100k": "Bearer basic//" + "A" * 100_000,
}


def _auth_b64(s: str) -> str:
    return "Basic " + base64.b64encode(s.encode()).decode()


BAD_BASIC = {
    "none": None,
    "basic-only": "Basic",
    "not-base64": "Basic !!!",
    "no-colon": _auth_b64("alice"),
    "wrong-password": _auth_b64("alice:wrong"),
    "unknown-user": _auth_b64("mallory:secret"),
    "empty-user-and-password": _auth_b64(":"),
    "bearer-instead": "Bearer basic//x",
    "password-100k": _auth_b64("alice:" + "s" * 100_000),
    "user-sql-quote": _auth_b64("' OR '1'='1:secret"),
    "invalid-utf8-credentials": "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
    "lower-case-basic-wrong-password": "basic " + _auth_b64("alice:nope")[6:],
}


def _raw_request(method: str, target: bytes, headers: list, body: bytes = b"") -> Callable:
    def build(ctx) -> bytes:
        lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
        for h in headers:
            lines.append(h(ctx) if callable(h) else h)
        return b"\r\n".join(lines) + b"\r\n\r\n" + body
    return build


def add_header_cases():
    for method, path in PROTECTED:
        body = dumps(body_for("result", seed())) if method in ("POST", "PUT", "PATCH") else None
        for name, value in BAD_AUTH.items():
            headers = json_ct() if body else {}
            if value is not None:
                headers["Authorization"] = value
            add(Case(f"auth/{method}{path}/{name}", method, path, body=body, headers=headers, auth=None))
    for name, value in BAD_BASIC.items():
        add(Case(f"auth/GET/credentials/basic/{name}", "GET", "/credentials/basic",
                 headers={} if value is None else {"Authorization": value}, auth=None))
    api = API.encode()
    add(Case("headers/authorization-invalid-utf8", "GET", "/me",
             raw=_raw_request("GET", api + b"/me", [b"Authorization: Bearer basic//\xff\xfe\xfd"])))
    add(Case("headers/authorization-nul-byte", "GET", "/me",
             raw=_raw_request("GET", api + b"/me", [b"Authorization: Bearer basic//a\x00b"])))
    add(Case("headers/two-authorization-headers-both-bad", "GET", "/me",
             raw=_raw_request("GET", api + b"/me", [b"Authorization: Bearer basic//x",
                                                     b"Authorization: Bearer basic//y"])))
    add(Case("headers/authorization-1mb", "GET", "/me",
             headers={"Authorization": "Bearer basic//" + "A" * (1 << 20)}, auth=None))
    add(Case("headers/junk-header-1mb-without-auth", "GET", "/me", headers={"X-Junk": "j" * (1 << 20)}, auth=None))
    add(Case("headers/500-junk-headers-without-auth", "GET", "/me",
             headers={f"X-Junk-{i}": "j" for i in range(500)}, auth=None))
    add(Case("headers/content-length-not-a-number", "POST", "/result",
             raw=_raw_request("POST", api + b"/result", [
                 lambda c: b"Authorization: Bearer basic//" + c.alice_token.encode(),
                 b"Content-Type: application/json", b"Content-Length: abc"], b"{}")))
    add(Case("headers/content-length-negative", "POST", "/result",
             raw=_raw_request("POST", api + b"/result", [
                 lambda c: b"Authorization: Bearer basic//" + c.alice_token.encode(),
                 b"Content-Type: application/json", b"Content-Length: -5"], b"{}")))
    add(Case("headers/content-length-and-chunked", "POST", "/result",
             raw=_raw_request("POST", api + b"/result", [
                 lambda c: b"Authorization: Bearer basic//" + c.alice_token.encode(),
                 b"Content-Type: application/json", b"Content-Length: 4", b"Transfer-Encoding: chunked"],
                 b"2\r\n{}\r\n0\r\n\r\n")))
    add(Case("headers/content-length-10gb-short-body", "POST", "/result",
             raw=_raw_request("POST", api + b"/result", [
                 lambda c: b"Authorization: Bearer basic//" + c.alice_token.encode(),
                 b"Content-Type: application/json", b"Content-Length: 10737418240"], b"{}"), half_close=True))
    add(Case("headers/content-length-longer-than-body", "POST", "/validation",
             raw=_raw_request("POST", api + b"/validation", [
                 lambda c: b"Authorization: Bearer basic//" + c.alice_token.encode(),
                 b"Content-Type: application/json", b"Content-Length: 100"], b'{"process_graph":{}}'),
             half_close=True))


# ---------------------------------------------------------------------------------------------- 6. methods

ROUTES = {
    "/.well-known/openeo": {"GET"},
    API + "/": {"GET"},
    API + "/conformance": {"GET"},
    API + "/collections": {"GET"},
    API + "/collections/SYNTH_S2_UTM": {"GET"},
    API + "/collections/SYNTH_S2_UTM/queryables": {"GET"},
    API + "/processes": {"GET"},
    API + "/file_formats": {"GET"},
    API + "/udf_runtimes": {"GET"},
    API + "/service_types": {"GET"},
    API + "/credentials/basic": {"GET"},
    API + "/credentials/oidc": {"GET"},
    API + "/me": {"GET"},
    API + "/validation": {"POST"},
    API + "/result": {"POST"},
    API + "/process_graphs": {"GET"},
    API + "/process_graphs/udp_keep": {"GET", "PUT", "DELETE"},
    API + "/jobs": {"GET", "POST"},
    API + "/jobs/{job_created}": {"GET", "PATCH", "DELETE"},
    API + "/jobs/{job_created}/results": {"GET", "POST", "DELETE"},
    API + "/jobs/{job_created}/logs": {"GET"},
    API + "/jobs/{job_created}/estimate": {"GET"},
    API + "/health": {"GET"},
    API + "/jobs/{job_finished}/results/{signed}": {"GET"},
    API + "/jobs/{job_finished}/results/{signed}/{asset}": {"GET"},
}


def add_method_cases():
    for path, allowed in ROUTES.items():
        short = path.replace(API, "") or "/"
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if method in allowed:
                continue
            needs = ("finished_job",) if "{job_finished}" in path else ()
            add(Case(f"method/{method}{short}", method, "!" + path, needs=needs))
    for method, path in [("TRACE", API + "/"), ("FOO", API + "/jobs"), ("PROPFIND", API + "/process_graphs"),
                         ("get", API + "/collections"), ("TRACE", API + "/jobs/{job_created}")]:
        add(Case(f"method/{method}{path.replace(API, '')}", method, "!" + path))


# ----------------------------------------------------------------------------------------------- 7. paths

def add_path_cases():
    cases = {
        "unknown-below-api": API + "/nope",
        "unknown-api-version": "/openeo/1.1/collections",
        "unknown-root": "/nope",
        "api-prefix-only": "/openeo",
        "too-many-segments": API + "/jobs/{job_created}/results/x/y/z/w",
        "encoded-dot-dot-root": API + "/%2e%2e/%2e%2e/etc/passwd",
        "collection-encoded-traversal": API + "/collections/..%2F..%2F..%2Fetc%2Fpasswd",
        "collection-unknown": API + "/collections/NOPE",
        "collection-unknown-queryables": API + "/collections/NOPE/queryables",
        "collection-nul": API + "/collections/SYNTH_S2_UTM%00",
        "collection-invalid-utf8": API + "/collections/%FF%FE",
        "collection-overlong-utf8": API + "/collections/%C0%AF",
        "collection-8k-id": API + "/collections/" + "C" * 8_000,
        "collection-64k-id": API + "/collections/" + "C" * 65_536,
        "collection-1mb-id": API + "/collections/" + "C" * (1 << 20),
        "path-10000-segments": API + "/a" * 10_000,
        "job-encoded-traversal": API + "/jobs/..%2F..%2Fjobs.sqlite",
        "job-invalid-utf8": API + "/jobs/%FF%FE",
        "job-unknown": API + "/jobs/j-0000000000000000",
        "job-unknown-results": API + "/jobs/j-0000000000000000/results",
        "job-unknown-logs": API + "/jobs/j-0000000000000000/logs",
        "job-unknown-estimate": API + "/jobs/j-0000000000000000/estimate",
        "job-10k-id": API + "/jobs/" + "j" * 10_000,
        "job-sql-quote": API + "/jobs/x'%20OR%20'1'='1",
        "job-of-other-user": API + "/jobs/{job_bob}",
        "job-of-other-user-logs": API + "/jobs/{job_bob}/logs",
        "job-of-other-user-results": API + "/jobs/{job_bob}/results",
        "job-of-other-user-estimate": API + "/jobs/{job_bob}/estimate",
        "job-not-finished-results": API + "/jobs/{job_created}/results",
        "job-failed-results": API + "/jobs/{job_error}/results",
    }
    for name, p in cases.items():
        needs = ("error_job",) if "{job_error}" in p else ()
        add(Case(f"path/GET/{name}", "GET", "!" + p, needs=needs))
    for name, (m, p) in {
        "start-other-users-job": ("POST", "/jobs/{job_bob}/results"),
        "cancel-other-users-job": ("DELETE", "/jobs/{job_bob}/results"),
        "delete-other-users-job": ("DELETE", "/jobs/{job_bob}"),
        "patch-other-users-job": ("PATCH", "/jobs/{job_bob}"),
        "start-unknown-job": ("POST", "/jobs/j-0000000000000000/results"),
        "delete-unknown-job": ("DELETE", "/jobs/j-0000000000000000"),
        "start-traversal-job": ("POST", "/jobs/..%2F..%2Fx/results"),
    }.items():
        body = dumps({"title": "x"}) if m == "PATCH" else None
        add(Case(f"path/{m}/{name}", m, p, body=body, headers=json_ct() if body else {}))
    add(Case("path/raw-invalid-utf8-bytes", "GET", "",
             raw=_raw_request("GET", API.encode() + b"/collections/\xff\xfe", [])))
    add(Case("path/raw-dot-dot-segments", "GET", "",
             raw=_raw_request("GET", b"/openeo/1.2/../../../../etc/passwd", [])))
    add(Case("path/raw-absolute-form-other-host", "GET", "",
             raw=_raw_request("GET", b"http://127.0.0.2:1/openeo/1.2/me", [])))
    add(Case("path/raw-asterisk-form", "GET", "", raw=_raw_request("GET", b"*", [])))
    add(Case("path/raw-space-in-target", "GET", "",
             raw=_raw_request("GET", API.encode() + b"/collections/a%20b c", [])))


# ------------------------------------------------------------------------------------------- 8. signed links

def _flip(s: str) -> str:
    return s[:-1] + ("A" if s[-1] != "A" else "B")


def add_signed_cases():
    base = API + "/jobs/{job_finished}/results/"
    signed = {
        "tampered-signature": lambda c: base.format(**c.fmt) + _flip(c.signed),
        "tampered-signature-asset": lambda c: base.format(**c.fmt) + _flip(c.signed) + "/" + c.asset,
        "expiry-changed": lambda c: base.format(**c.fmt) + c.signed_with_expiry(int(c.signed.split(".")[0]) + 1),
        "expiry-zero-with-old-signature": lambda c: base.format(**c.fmt) + c.signed_with_expiry(0),
        "expired": lambda c: base.format(**c.fmt) + c.forge(c.job_finished, "alice", 1),
        "expired-asset": lambda c: base.format(**c.fmt) + c.forge(c.job_finished, "alice", 1) + "/" + c.asset,
        "expired-item": lambda c: base.format(**c.fmt) + c.forge(c.job_finished, "alice", 1) + "/items/" + c.asset,
        "job-id-swapped": lambda c: f"{API}/jobs/{c.job_finished2}/results/{c.signed}",
        "job-id-swapped-asset": lambda c: f"{API}/jobs/{c.job_finished2}/results/{c.signed}/{c.asset}",
        "other-users-job": lambda c: f"{API}/jobs/{c.job_bob}/results/{c.signed}",
        "signed-for-other-user": lambda c: base.format(**c.fmt) + c.forge(c.job_finished, "bob", 0),
        "signed-with-other-key": lambda c: base.format(**c.fmt) + c.forge(c.job_finished, "alice", 0, b"guess"),
        "unknown-job": lambda c: f"{API}/jobs/j-0000000000000000/results/{c.signed}",
        "no-dot": lambda c: base.format(**c.fmt) + "abc",
        "only-dot": lambda c: base.format(**c.fmt) + ".",
        "empty-signature": lambda c: base.format(**c.fmt) + c.signed.split(".")[0] + ".",
        "negative-expiry": lambda c: base.format(**c.fmt) + "-1." + c.signed.split(".")[1],
        "expiry-overflow": lambda c: base.format(**c.fmt) + "99999999999999999999999." + c.signed.split(".")[1],
        "signature-not-base64": lambda c: base.format(**c.fmt) + c.signed.split(".")[0] + ".%FF%FE!!",
        "signature-padded": lambda c: base.format(**c.fmt) + c.signed + "==",
        "signature-100k": lambda c: base.format(**c.fmt) + "1." + "A" * 100_000,
        "partial-forged": lambda c: base.format(**c.fmt) + "0." + c.signed.split(".")[1],
        "asset-traversal-secret": lambda c: base.format(**c.fmt) + c.signed + "/..%2F..%2Fsigning-secret",
        "asset-traversal-db": lambda c: base.format(**c.fmt) + c.signed + "/..%2F..%2F..%2Fjobs.sqlite",
        "asset-dot-dot": lambda c: base.format(**c.fmt) + c.signed + "/%2E%2E",
        "asset-hidden": lambda c: base.format(**c.fmt) + c.signed + "/.secret",
        "asset-missing": lambda c: base.format(**c.fmt) + c.signed + "/nope.tif",
        "asset-invalid-utf8": lambda c: base.format(**c.fmt) + c.signed + "/%FF",
        "asset-nul": lambda c: base.format(**c.fmt) + c.signed + "/a%00.tif",
        "item-missing": lambda c: base.format(**c.fmt) + c.signed + "/items/nope",
        "item-traversal": lambda c: base.format(**c.fmt) + c.signed + "/items/..%2F..%2Fsigning-secret",
        "failed-job-valid-signature": lambda c: f"{API}/jobs/{c.job_error}/results/"
                                                f"{c.forge(c.job_error, 'alice', int(time.time()) + 3600)}",
        "not-finished-job-valid-signature": lambda c: f"{API}/jobs/{c.job_created}/results/"
                                                      f"{c.forge(c.job_created, 'alice', 0)}/x.tif",
    }
    for name, path in signed.items():
        needs = ["finished_job"]
        if "job_error" in name or name.startswith("failed"):
            needs.append("error_job")
        add(Case(f"signed/{name}", "GET", path, auth=None, needs=tuple(needs)))


# ------------------------------------------------------------------------------------------ 9. body size

def _big_graph_body(endpoint: str, size: int) -> bytes:
    """A syntactically valid body of about `size` bytes: the graph's title is padded."""
    b = json.loads(valid_body(endpoint))
    b["title"] = "x" * size
    return dumps(b)


# The documented limit of request bodies (README: "bodies over 4 MiB 413 PayloadTooLarge").
BODY_LIMIT = 4 << 20


def add_size_cases():
    sizes = {"limit-plus-1kib": BODY_LIMIT + 1024, "16mib": 16 << 20, "64mib": 64 << 20}
    for ep, (method, path) in BODY_ENDPOINTS.items():
        for name, size in sizes.items():
            if name == "64mib" and ep not in ("result", "jobs"):
                continue
            add(Case(f"size/{ep}/{name}", method, path,
                     body=(lambda ep=ep, size=size: _big_graph_body(ep, size)), headers=json_ct()))
        add(Case(f"size/{ep}/16mib-chunked", method, path, headers=json_ct(), chunked=True,
                 body=(lambda ep=ep: _chunks(_big_graph_body(ep, 16 << 20)))))
    add(Case("size/result/1mib-collection-id-under-limit", "POST", "/result",
             body=dumps(body_for("result", pipeline(load(id="I" * (1 << 20)), reduce_t()))), headers=json_ct()))


def _chunks(b: bytes, n=1 << 16):
    return (b[i:i + n] for i in range(0, len(b), n))


# ----------------------------------------------------------------------------------------------- assemble

structure_graphs()
process_graphs()
argument_graphs()
extent_graphs()
band_graphs()
callback_graphs()
cube_process_graphs()
add_json_cases()
add_graph_cases()
add_udp_cases()
add_header_cases()
add_method_cases()
add_path_cases()
add_signed_cases()
add_size_cases()

_ids = [c.id for c in CASES]
assert len(_ids) == len(set(_ids)), [i for i in _ids if _ids.count(i) > 1]
GRAPH_COUNT = len(GRAPHS)
