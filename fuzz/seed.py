#!/usr/bin/env python3
"""Writes the starting corpora of the fuzz targets into fuzz/corpus/<target>/ (not committed).

Sources: the committed seeds in fuzz/seeds/<target>/; the example graphs (examples/*.json); JSON literals in the
Rust tests (json!(...) and raw strings that parse as JSON); the openEO process tests (processes/tests/*.json5 of
the openeo-processes repository, one single-node graph per case, cube inputs replaced by a load_collection node)
and the example process graphs of the openEO API (openapi.yaml, when PyYAML is installed), both found in
../shared/openeo-specs when that directory exists or in the directory given with --specs. The http target's
inputs are requests in the layout described in fuzz_targets/http.rs, built from the route lists in that file.

Usage: fuzz/seed.py [--specs DIR]
"""

import argparse
import glob
import hashlib
import json
import math
import os
import re
import sys

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
TARGETS = ["graph", "datacube_json", "collection_config", "stac", "http"]


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(FUZZ, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def finite(v):
    """JSON without NaN/Infinity (serde_json refuses them)."""
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else math.copysign(1e308, v)
    if isinstance(v, list):
        return [finite(x) for x in v]
    if isinstance(v, dict):
        return {k: finite(x) for k, x in v.items()}
    return v


def dumps(v):
    return json.dumps(finite(v), allow_nan=False)


def relaxed(text):
    """JSON5 / json!-literal text as JSON: drops comments and trailing commas."""
    out, i, n, quote = [], 0, len(text), None
    while i < n:
        c = text[i]
        if quote:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == quote:
                quote = None
            i += 1
        elif c in "\"'":
            quote = c
            out.append(c)
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i)
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def rust_json_literals(path):
    """The json!(...) arguments and raw strings of a Rust file that parse as JSON objects."""
    src = open(path, encoding="utf-8").read()
    found = []
    for m in re.finditer(r"json!\(", src):
        depth, i, quote = 1, m.end(), False
        while i < len(src) and depth:
            c = src[i]
            if quote:
                if c == "\\":
                    i += 1
                elif c == '"':
                    quote = False
            elif c == '"':
                quote = True
            elif c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
            i += 1
        found.append(src[m.end() : i - 1])
    found += re.findall(r'r#"(.*?)"#', src, re.S)
    out = []
    for text in found:
        try:
            v = json.loads(relaxed(text))
        except ValueError:
            continue
        if isinstance(v, dict):
            out.append(v)
    return out


LOAD = {
    "process_id": "load_collection",
    "arguments": {
        "id": "SYNTH_S2_UTM",
        "spatial_extent": {"west": 11.31, "south": 46.49, "east": 11.315, "north": 46.495},
        "temporal_extent": ["2022-06-01", "2022-06-10"],
        "bands": ["B04", "B08"],
    },
}


def replace_refs(v):
    """Cube inputs ({"$ref": "assets/…"}) become the output of a load_collection node."""
    if isinstance(v, dict):
        if "$ref" in v:
            return {"from_node": "load"}
        return {k: replace_refs(x) for k, x in v.items()}
    if isinstance(v, list):
        return [replace_refs(x) for x in v]
    return v


def spec_graphs(specs):
    tests = os.path.join(specs, "processes", "tests")
    for path in sorted(glob.glob(os.path.join(tests, "*.json5"))):
        try:
            doc = json.loads(relaxed(open(path, encoding="utf-8").read()))
        except ValueError as e:
            print(f"skipping {os.path.basename(path)}: {e}", file=sys.stderr)
            continue
        pid = doc.get("id")
        for case in doc.get("tests", []):
            args = replace_refs(case.get("arguments", {}))
            nodes = {"n": {"process_id": case.get("process_id", pid), "arguments": args, "result": True}}
            if "from_node" in json.dumps(args):
                nodes["load"] = LOAD
            yield {"process_graph": nodes}


def api_graphs(specs):
    try:
        import yaml
    except ImportError:
        return
    path = os.path.join(specs, "openeo-api", "openapi.yaml")
    if not os.path.exists(path):
        return
    stack = [yaml.safe_load(open(path, encoding="utf-8"))]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            pg = v.get("process_graph")
            if isinstance(pg, dict) and any(isinstance(n, dict) and "process_id" in n for n in pg.values()):
                yield {"process_graph": pg}
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


def deep_graphs():
    """Graphs near the nesting limits: from_node chains around the 1,000 levels allowed, and callbacks nested as deep
    as serde_json's 128 levels of JSON let them."""
    for n in (999, 1000, 1001):
        nodes = {"n0": {"process_id": "absolute", "arguments": {"x": -1}}}
        for i in range(1, n):
            nodes[f"n{i}"] = {"process_id": "absolute", "arguments": {"x": {"from_node": f"n{i - 1}"}}}
        nodes[f"n{n - 1}"]["result"] = True
        yield {"process_graph": nodes}
    for n in (20, 24):
        inner = {"a": {"process_id": "absolute", "arguments": {"x": {"from_parameter": "x"}}, "result": True}}
        for _ in range(n):
            inner = {"a": {"process_id": "apply", "arguments": {"data": {"from_node": "load"}, "process": {"process_graph": inner}}, "result": True}}
        inner["load"] = LOAD
        yield {"process_graph": inner}


def rust_list(src, name):
    m = re.search(r"const " + name + r": &\[[^\]]*\] = &\[(.*?)\];", src, re.S)
    return re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))


def http_inputs(graphs):
    """Requests in the layout of fuzz_targets/http.rs: seven head bytes, then the body."""
    src = open(os.path.join(FUZZ, "fuzz_targets", "http.rs"), encoding="utf-8").read()
    methods, routes, ids = rust_list(src, "METHODS"), rust_list(src, "ROUTES"), rust_list(src, "IDS")
    raw = len(routes)

    def req(method, route, body=b"", id_="{job}", sub="{job}", auth=1, ctype=0, extras=0, lines=()):
        r = raw if route is None else routes.index(route)
        head = bytes([methods.index(method), r, ids.index(id_), ids.index(sub), auth, ctype, extras])
        pre = b"".join(x.encode() + b"\n" for x in lines)
        return head + pre + (body.encode() if isinstance(body, str) else body)

    for route in routes:
        yield req("GET", route)
        yield req("GET", route, auth=0)
    for method in methods:
        yield req(method, "/openeo/1.2/jobs")
    yield req("OPTIONS", "/openeo/1.2/jobs", extras=1 | 8)
    yield req("POST", "/openeo/1.2/result", "{}", extras=64)
    yield req("GET", "/openeo/1.2/collections/{id}", id_="SENTINEL2_L2A_SAMPLE")
    yield req("GET", "/openeo/1.2/collections/{id}/queryables", id_="SYNTH_S2_UTM")
    yield req("GET", "/openeo/1.2/credentials/basic", auth=255)
    yield req("GET", "/openeo/1.2/me", auth=6, lines=["Bearer basic//x"])
    yield req("GET", "/openeo/1.2/jobs", extras=32 | 16, lines=["limit=1", "X-Forwarded-Proto: https"])
    for path in ["/openeo/1.2/jobs?limit=2", "//openeo/1.2//collections/", "/openeo/1.2/processes?x=%zz", "/%ff"]:
        yield req("GET", None, lines=[path])
    for g in graphs:
        body = dumps(g if "process" in g else {"process": g})
        yield req("POST", "/openeo/1.2/result", body)
        yield req("POST", "/openeo/1.2/validation", body)
        yield req("POST", "/openeo/1.2/jobs", body)
    udp = {
        "summary": "double",
        "parameters": [{"name": "v", "schema": {"type": "number"}}],
        "process_graph": {
            "m": {"process_id": "multiply", "arguments": {"x": {"from_parameter": "v"}, "y": 2}, "result": True}
        },
    }
    yield req("PUT", "/openeo/1.2/process_graphs/{id}", dumps(udp), id_="fuzz_udp")
    yield req("GET", "/openeo/1.2/process_graphs/{id}", id_="fuzz_udp")
    yield req("DELETE", "/openeo/1.2/process_graphs/{id}", id_="fuzz_udp")
    yield req("PATCH", "/openeo/1.2/jobs/{id}", dumps({"title": "t"}))
    yield req("POST", "/openeo/1.2/jobs/{id}/results")
    yield req("GET", "/openeo/1.2/jobs/{id}/results", extras=32, lines=["partial=true"])
    yield req("GET", "/openeo/1.2/jobs/{id}/results/{sub}/{sub}", sub="result.tif", extras=2, lines=["bytes=0-10"])
    # a job that finishes, its signed results, and reads of the signed links (ranges included)
    for fmt in ("GTiff", "JSON", "netCDF"):
        small = {"process": {"process_graph": {"load": LOAD, "save": {"process_id": "save_result", "arguments": {
            "data": {"from_node": "load"}, "format": fmt}, "result": True}}}}
        yield req("POST", "/openeo/1.2/jobs", dumps(small))
        yield req("POST", "/openeo/1.2/jobs/{id}/results")
        yield req("GET", "/openeo/1.2/jobs/{id}/results")
        for sub in range(4):
            yield req("GET", "{signed}", sub=ids[sub])
            yield req("GET", "{signed}", sub=ids[sub], extras=2, lines=["bytes=0-99"])
            yield req("GET", "{signed}", sub=ids[sub], extras=2, lines=[""])
    yield req("DELETE", "/openeo/1.2/jobs/{id}/results")
    yield req("DELETE", "/openeo/1.2/jobs/{id}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--specs", default=os.path.join(ROOT, "..", "shared", "openeo-specs"))
    a = ap.parse_args()
    counts = {}

    def add(target, data):
        write(target, data)
        counts[target] = counts.get(target, 0) + 1

    for target in TARGETS:
        for path in sorted(glob.glob(os.path.join(FUZZ, "seeds", target, "*"))):
            add(target, open(path, "rb").read())

    graphs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(ROOT, "examples", "*.json")))]
    stac_docs, configs = [], []
    for path in sorted(glob.glob(os.path.join(ROOT, "**", "tests", "**", "*.rs"), recursive=True)):
        for v in rust_json_literals(path):
            text = json.dumps(v)
            if "process_id" in text:
                graphs.append(v)
            if "assets" in text or "stac_version" in text or v.get("type") in ("Feature", "FeatureCollection"):
                stac_docs.append(v)
    if os.path.isdir(a.specs):
        graphs += list(spec_graphs(a.specs))
        graphs += list(api_graphs(a.specs))
    else:
        print(f"no openEO specifications at {a.specs}: spec-derived seeds skipped", file=sys.stderr)
    graphs += list(deep_graphs())
    for g in graphs:
        add("graph", dumps(g))
    for d in stac_docs:
        add("stac", dumps(d))

    for path in [os.path.join(ROOT, "testdata", "collections.toml"), os.path.join(ROOT, "testdata", "server.toml")]:
        text = open(path, encoding="utf-8").read()
        configs.append(text)
        # each [[collections]] entry on its own
        configs += ["[[collections]]" + part for part in text.split("[[collections]]")[1:]]
    for c in configs:
        add("collection_config", c)

    # a few structured inputs for datacube_json: libFuzzer grows the rest from these bytes
    for i in range(8):
        add("datacube_json", hashlib.sha512(f"datacube {i}".encode()).digest() * (i + 1))

    for r in http_inputs([g for g in graphs if "load_stac" not in json.dumps(g).lower()][:200]):
        add("http", r)
    # a libFuzzer dictionary for the JSON targets: graph keywords and every registered process id
    words = {"process_id", "arguments", "result", "from_node", "from_parameter", "process_graph", "process",
             "namespace", "spatial_extent", "temporal_extent", "bands", "dimension", "reducer", "data"}
    for path in glob.glob(os.path.join(ROOT, "processes", "src", "*", "specs", "*.json")):
        pid = json.load(open(path, encoding="utf-8")).get("id")
        if pid:
            words.add(pid)
    with open(os.path.join(FUZZ, "corpus", "json.dict"), "w", encoding="utf-8") as f:
        f.writelines(f'"{w}"\n' for w in sorted(words))
    for t in TARGETS:
        print(f"{t}: {counts.get(t, 0)} inputs in fuzz/corpus/{t}")


if __name__ == "__main__":
    main()
