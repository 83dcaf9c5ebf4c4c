//! The conformance runner: every test case of the openEO processes (`testdata/process-tests/<id>.json5`, see
//! `testdata/README.md`) of every offered process, run through the registry with values and data cubes as
//! arguments, counted per process and checked against the list of expected failures
//! (`testdata/expected-failures.txt`, one line per case with its reason).
//!
//! A case passes when the process returns the expected value (numbers within the case's `delta`, 1e-10 by
//! default) or, for a case that allows it (`throws`), fails with the error code named (any code for `true`).
//! Numeric processes return `null` for a NaN result (the JSON they are served as has no NaN), so an expected NaN
//! matches `null` and the other way round. An expected labelled array needs the same labels; an expected plain
//! array matches a labelled one with the same values (the cases write labelled results both ways). An expected
//! `{"type": "datetime", "value": …}` matches a string of the same instant. Data cubes are compared as
//! [`super::cubes`] describes. Callbacks (`{"process_graph": …}`) are run as process graphs, their
//! `from_argument` references (the name the cases use) read as `from_parameter`, also when written as a bare map
//! of nodes; `{"$ref": "assets/…"}` reads the file named. Two more readings of the case encoding: the `array_filter` cases name its `condition` parameter
//! `process`, and those that write their labelled result as a plain list of `{"key", "value"}` objects expect that
//! labelled array.
//!
//! The test fails when a case fails that is not listed, when a listed case passes (the list must stay true), when
//! fewer than 95 % of the cases pass, or when the list grows to 30 lines. `cargo test -p openeo-processes conformance -- --nocapture` prints the
//! per-process table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::json5::Parser;
use super::{call, ctx, cubes};
use crate::{Registry, Value};

/// What a case expects: a value, or an error (with this code, or any code for `None`).
enum Expected {
    Returns(Value),
    Throws(Option<String>),
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/process-tests")
}

/// The value of a test file, with `$ref`s to the assets resolved.
fn read(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse(&text, path)
}

/// The JSON5 `text` of the file at `path`, with `$ref`s to the assets resolved.
fn parse(text: &str, path: &Path) -> Value {
    let name = path.display().to_string();
    resolve(Parser::new(text, &name).document())
}

fn resolve(v: Value) -> Value {
    match v {
        Value::Object(o) => match o.get("$ref") {
            Some(Value::Text(file)) if o.len() == 1 => {
                let path = dir().join(file);
                match std::fs::read_to_string(&path) {
                    Ok(text) if file.ends_with(".json5") => parse(&text, &path),
                    Ok(text) => Value::Text(text),
                    // a missing asset is a failure of its case, not of the runner
                    Err(_) => Value::Text(format!("missing asset {file}")),
                }
            }
            _ => Value::Object(o.into_iter().map(|(k, x)| (k, resolve(x))).collect()),
        },
        Value::Array(items, labels) => Value::Array(items.into_iter().map(resolve).collect(), labels),
        other => other,
    }
}

/// Runs case `case` of process `id`: `Ok` when it passes, else what happened.
fn run_case(id: &str, case: &BTreeMap<String, Value>, ctx: &crate::Ctx) -> Result<(), String> {
    let Some(Value::Object(args)) = case.get("arguments") else {
        return Err("the case has no arguments".into());
    };
    let mut named = Vec::new();
    for (k, v) in args {
        let k = match (id, k.as_str()) {
            ("array_filter", "process") => "condition",
            _ => k.as_str(),
        };
        named.push((k, arguments(v)?));
    }
    let got = call(id, &named, ctx);
    let delta = match case.get("delta") {
        Some(Value::Number(d)) => *d,
        _ => 1e-10,
    };
    let expected = match (case.get("returns"), case.get("throws")) {
        (Some(r), _) => Expected::Returns(r.clone()),
        (None, Some(Value::Text(code))) => Expected::Throws(Some(code.clone())),
        (None, Some(_)) => Expected::Throws(None),
        (None, None) => return Err("the case expects nothing".into()),
    };
    match (expected, got) {
        (Expected::Returns(e), Ok(Value::Cube(cube))) => cubes::compare(&e, &cube, delta),
        (Expected::Returns(e), Ok(g)) => {
            let e = if id == "array_filter" {
                key_values(&e).unwrap_or(e)
            } else {
                e
            };
            if same(&e, &g, delta) {
                Ok(())
            } else {
                Err(format!("returned {}, expected {}", show(&g), show(&e)))
            }
        }
        (Expected::Returns(e), Err(err)) => Err(format!("failed ({}: {err}), expected {}", err.code(), show(&e))),
        (Expected::Throws(code), Err(err)) => match code {
            Some(c) if c != err.code() => Err(format!("failed with {} ({err}), expected {c}", err.code())),
            _ => Ok(()),
        },
        (Expected::Throws(code), Ok(g)) => Err(format!("returned {}, expected the error {code:?}", show(&g))),
    }
}

/// An argument as the process receives it: callbacks as process graphs, data cubes as cubes.
fn arguments(v: &Value) -> Result<Value, String> {
    Ok(match v {
        Value::Object(o) if o.contains_key("process_graph") || is_node_map(o) => {
            let json = if o.contains_key("process_graph") {
                v.to_json()
            } else {
                serde_json::json!({ "process_graph": v.to_json() })
            };
            let json = rename_references(json);
            let graph = crate::ProcessGraph::from_json(&json).map_err(|e| format!("a case's callback: {e}"))?;
            Value::Callback(std::sync::Arc::new(graph))
        }
        Value::Object(o) if matches!(o.get("type"), Some(Value::Text(t)) if t == "datacube") => {
            Value::Cube(Box::new(cubes::literal(o)?))
        }
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| Ok((k.clone(), arguments(x)?)))
                .collect::<Result<_, String>>()?,
        ),
        Value::Array(items, labels) => {
            Value::Array(items.iter().map(arguments).collect::<Result<_, _>>()?, labels.clone())
        }
        other => other.clone(),
    })
}

/// A callback written as a bare map of nodes, without `{"process_graph": …}` around it (the `count` cases).
fn is_node_map(o: &BTreeMap<String, Value>) -> bool {
    !o.is_empty()
        && o.values()
            .all(|n| matches!(n, Value::Object(n) if n.contains_key("process_id") && n.contains_key("arguments")))
}

fn rename_references(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::Object(o) => J::Object(
            o.into_iter()
                .map(|(k, x)| {
                    let k = if k == "from_argument" {
                        "from_parameter".to_string()
                    } else {
                        k
                    };
                    (k, rename_references(x))
                })
                .collect(),
        ),
        J::Array(a) => J::Array(a.into_iter().map(rename_references).collect()),
        other => other,
    }
}

/// A plain list of `{"key": …, "value": …}` objects as the labelled array it describes.
fn key_values(v: &Value) -> Option<Value> {
    let Value::Array(entries, None) = v else {
        return None;
    };
    if entries.is_empty() {
        return None;
    }
    let mut values = Vec::new();
    let mut labels = Vec::new();
    for e in entries {
        let Value::Object(e) = e else {
            return None;
        };
        labels.push(match e.get("key")? {
            Value::Text(k) => k.clone(),
            Value::Number(n) => crate::arrays::format_number(*n),
            _ => return None,
        });
        values.push(e.get("value")?.clone());
    }
    Some(Value::Array(values, Some(labels.into())))
}

fn show(v: &Value) -> String {
    let text = crate::output::value_text(v);
    if text.len() > 200 {
        format!("{}…", &text[..text.floor_char_boundary(200)])
    } else {
        text
    }
}

fn is_nan(v: &Value) -> bool {
    matches!(v, Value::Number(n) if n.is_nan())
}

/// True when `got` is the `expected` value (no-data and NaN being the same).
fn same(expected: &Value, got: &Value, delta: f64) -> bool {
    let nodata = |v: &Value| matches!(v, Value::Null) || is_nan(v);
    match (expected, got) {
        (e, g) if nodata(e) || nodata(g) => nodata(e) && nodata(g),
        (Value::Number(e), Value::Number(g)) => e == g || (e - g).abs() <= delta,
        (Value::Bool(e), Value::Bool(g)) => e == g,
        (Value::Text(e), Value::Text(g)) => e == g,
        (Value::Array(e, el), Value::Array(g, gl)) => {
            e.len() == g.len() && e.iter().zip(g).all(|(e, g)| same(e, g, delta)) && (el.is_none() || el == gl)
        }
        (Value::Object(e), Value::Text(g)) if matches!(e.get("type"), Some(Value::Text(t)) if t == "datetime") => {
            let instant = |s: &str| crate::graph::args::parse_instant(s);
            match e.get("value") {
                Some(Value::Text(e)) => instant(e).is_some() && instant(e) == instant(g),
                _ => false,
            }
        }
        (Value::Object(e), Value::Object(g)) => {
            e.len() == g.len() && e.iter().all(|(k, e)| g.get(k).is_some_and(|g| same(e, g, delta)))
        }
        _ => false,
    }
}

/// The expected failures: `"<process> <case number>"` (1-based, in file order) → reason. A line of the file
/// names one process, one or more case numbers (`3` or `6,7,8`) and, after a colon, the reason they fail.
fn expected_failures() -> (BTreeMap<String, String>, usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/expected-failures.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut cases = BTreeMap::new();
    let mut lines = 0;
    for l in text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let bad = || panic!("expected-failures.txt: '{l}' is not '<process> <n>[,<n>…]: <reason>'");
        let Some((which, reason)) = l.split_once(':') else {
            bad()
        };
        let Some((id, numbers)) = which.trim().split_once(' ') else {
            bad()
        };
        if reason.trim().is_empty() {
            bad();
        }
        for n in numbers.split(',') {
            cases.insert(format!("{id} {}", n.trim()), reason.trim().to_string());
        }
        lines += 1;
    }
    (cases, lines)
}

#[test]
fn conformance() {
    let ctx = ctx();
    let registry = Registry::standard();
    let offered: BTreeSet<&str> = registry.all().map(|d| d.id()).collect();
    let (listed, lines) = expected_failures();
    let mut table = Vec::new();
    let mut surprises = Vec::new();
    let (mut total, mut passed) = (0, 0);
    for id in &offered {
        let path = dir().join(format!("{id}.json5"));
        let file = read(&path);
        let Value::Object(file) = file else {
            panic!("{}: not an object", path.display());
        };
        let Some(Value::Array(cases, _)) = file.get("tests") else {
            panic!("{}: no tests", path.display());
        };
        let mut ok = 0;
        for (k, case) in cases.iter().enumerate() {
            let Value::Object(case) = case else {
                panic!("{}: a case is not an object", path.display());
            };
            let key = format!("{id} {}", k + 1);
            let outcome = run_case(id, case, &ctx);
            match (&outcome, listed.contains_key(&key)) {
                (Ok(()), false) => ok += 1,
                (Err(_), true) => {}
                (Ok(()), true) => surprises.push(format!("{key} passes but is listed as an expected failure")),
                (Err(why), false) => surprises.push(format!("{key} fails: {why}")),
            }
        }
        total += cases.len();
        passed += ok;
        table.push(format!("| `{id}` | {ok} / {} |", cases.len()));
    }
    for key in listed.keys() {
        let known = key
            .split_once(' ')
            .is_some_and(|(id, n)| offered.contains(id) && n.parse::<usize>().is_ok());
        if !known {
            surprises.push(format!(
                "expected-failures.txt names '{key}', which is no case of an offered process"
            ));
        }
    }
    println!("| Process | Cases passed |\n|---|---|\n{}", table.join("\n"));
    let departures = listed.values().filter(|r| r.starts_with("departure:")).count();
    let broken = listed.len() - departures;
    println!(
        "{passed} of {total} cases of {} processes pass ({:.1} %); {} expected failures on {lines} lines: {broken} \
         cases that contradict their definition or assets, {departures} departures; {passed} of {} cases that \
         agree with their definitions pass ({:.1} %)",
        offered.len(),
        100.0 * passed as f64 / total as f64,
        listed.len(),
        total - broken,
        100.0 * passed as f64 / (total - broken) as f64,
    );
    assert!(surprises.is_empty(), "unexpected outcomes:\n{}", surprises.join("\n"));
    assert!(
        passed as f64 >= 0.95 * total as f64,
        "only {passed} of {total} cases pass"
    );
    assert!(lines < 30, "expected-failures.txt has {lines} lines");
}
