//! Runs the openEO processes' own test cases (`testdata/process-tests/<id>.json5`, see `testdata/README.md`)
//! against the implementations, with plain values as arguments.
//!
//! A case passes when the process returns the expected value (numbers within the case's `delta`, 1e-10 by
//! default) or, for a case that allows it (`throws`), fails with the error code named (any code for `true`).
//! Numeric processes return `null` for a NaN result (the JSON they are served as has no NaN), so an expected NaN
//! matches `null` and the other way round. An expected labelled array needs the same labels; an expected plain
//! array matches a labelled one with the same values (the cases write labelled results both ways). An expected
//! `{"type": "datetime", "value": …}` matches a string of the same instant. Callbacks (`{"process_graph": …}`)
//! are run as process graphs, their `from_argument` references (the name the cases use) read as
//! `from_parameter`. The `array_filter` cases name its `condition` parameter `process`; it is passed as
//! `condition`.
//!
//! Where this back-end deliberately departs from a case, [`departure`] gives the outcome expected instead:
//! - `any`/`all` of `[null]` with `ignore_nodata: false` give `null`: the test cases (`false`/`true`) contradict
//!   the examples in the process descriptions (`null`), and the implementation follows the descriptions;
//! - `lte(Infinity, Infinity)` is `true`: the case expects `false` although IEEE 754, `lte`'s definition (`lt` or
//!   `eq`) and `eq`'s own case `eq(Infinity, Infinity) = true` make it `true`;
//! - `array_append([], 0)` is `[0]`: the case expects `[1]`, which is not the value appended;
//! - `array_find` of 3 in the labelled array `[3, 4]` is `0`: the case expects `1`, the index of 4;
//! - `array_apply` with the process `mulitply` fails with `ProcessUnsupported`: the case misspells `multiply`;
//! - `array_filter` with the condition `subtract(x, 1)` fails with `ProcessParameterInvalid`: a condition must
//!   give booleans, and the case expects what `gt(x, 1)` would keep;
//! - `array_filter` cases that write their labelled result as a plain list of `{"key", "value"}` objects expect
//!   that labelled array.

use std::collections::BTreeMap;

use super::json5::Parser;
use super::{call, ctx};
use crate::Value;

/// What a case expects: a value, or an error (with this code, or any code for `Some(None)`).
struct Expected {
    returns: Option<Value>,
    throws: Option<Option<String>>,
}

/// Runs the test cases of each process in `ids` and panics listing every case that fails.
pub(crate) fn check(ids: &[&str]) {
    let ctx = ctx();
    let mut failures = Vec::new();
    for id in ids {
        let path = format!("{}/testdata/process-tests/{id}.json5", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let file = Parser::new(&text, &path).document();
        let Some(Value::Array(cases, _)) = object(&file).get("tests") else {
            panic!("{path}: no tests");
        };
        for case in cases {
            let case = object(case);
            let Some(Value::Object(args)) = case.get("arguments") else {
                panic!("{path}: a case without arguments");
            };
            let args = &renamed(id, args);
            let named: Vec<(&str, Value)> = args.iter().map(|(k, v)| (k.as_str(), callbacks(v))).collect();
            let got = call(id, &named, &ctx);
            let delta = match case.get("delta") {
                Some(Value::Number(d)) => *d,
                _ => 1e-10,
            };
            let expected = departure(id, args, case.get("returns")).unwrap_or_else(|| Expected {
                returns: case.get("returns").cloned(),
                throws: case.get("throws").map(|t| match t {
                    Value::Text(code) => Some(code.clone()),
                    _ => None,
                }),
            });
            let ok = match &got {
                Ok(v) => expected.returns.as_ref().is_some_and(|e| same(e, v, delta)),
                Err(e) => expected
                    .throws
                    .as_ref()
                    .is_some_and(|code| code.as_ref().is_none_or(|c| c == e.code())),
            };
            if !ok {
                let want = (expected.returns, expected.throws);
                failures.push(format!("{id}({}) returned {got:?}, expected {want:?}", show(args)));
            }
        }
    }
    assert!(failures.is_empty(), "failing cases:\n{}", failures.join("\n"));
}

/// The outcome this back-end gives instead of the case's, for the cases it deliberately departs from (see the
/// module documentation).
fn departure(id: &str, args: &BTreeMap<String, Value>, returns: Option<&Value>) -> Option<Expected> {
    let number = |name: &str| match args.get(name) {
        Some(Value::Number(n)) => Some(*n),
        _ => None,
    };
    let gives = |v: Value| Expected {
        returns: Some(v),
        throws: None,
    };
    let fails = |code: &str| Expected {
        returns: None,
        throws: Some(Some(code.to_string())),
    };
    let array = |name: &str| match args.get(name) {
        Some(Value::Array(items, labels)) => Some((items.as_slice(), labels.as_deref())),
        _ => None,
    };
    match id {
        "any" | "all"
            if matches!(args.get("data"), Some(Value::Array(items, _)) if matches!(items.as_slice(), [Value::Null]))
                && matches!(args.get("ignore_nodata"), Some(Value::Bool(false))) =>
        {
            Some(gives(Value::Null))
        }
        "lte" if number("x") == Some(f64::INFINITY) && number("y") == Some(f64::INFINITY) => {
            Some(gives(Value::Bool(true)))
        }
        "array_append" if array("data").is_some_and(|(items, _)| items.is_empty()) && number("value") == Some(0.0) => {
            Some(gives(Value::Array(vec![Value::Number(0.0)], None)))
        }
        "array_find"
            if array("data").is_some_and(|(items, labels)| labels.is_some() && items.len() == 2)
                && number("value") == Some(3.0) =>
        {
            Some(gives(Value::Number(0.0)))
        }
        "array_apply" if args.get("process").is_some_and(|p| uses(p, "mulitply")) => Some(fails("ProcessUnsupported")),
        "array_filter" if args.get("condition").is_some_and(|p| uses(p, "subtract")) => {
            Some(fails("ProcessParameterInvalid"))
        }
        "array_filter" => key_values(returns?).map(gives),
        _ => None,
    }
}

/// The arguments of a case under the names the process declares: the `array_filter` cases call its `condition`
/// `process`.
fn renamed(id: &str, args: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    args.iter()
        .map(|(k, v)| match (id, k.as_str()) {
            ("array_filter", "process") => ("condition".to_string(), v.clone()),
            _ => (k.clone(), v.clone()),
        })
        .collect()
}

/// True when the callback `v` (as read from a case) calls the process `id`.
fn uses(v: &Value, id: &str) -> bool {
    match v {
        Value::Object(o) => {
            matches!(o.get("process_id"), Some(Value::Text(p)) if p == id) || o.values().any(|x| uses(x, id))
        }
        Value::Array(items, _) => items.iter().any(|x| uses(x, id)),
        _ => false,
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

/// An argument with its callbacks (`{"process_graph": …}`, at any depth) made process graphs, `from_argument`
/// read as `from_parameter`.
fn callbacks(v: &Value) -> Value {
    match v {
        Value::Object(o) if o.contains_key("process_graph") => {
            let json = rename_references(v.to_json());
            let graph = crate::ProcessGraph::from_json(&json).unwrap_or_else(|e| panic!("a case's callback: {e}"));
            Value::Callback(std::sync::Arc::new(graph))
        }
        Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), callbacks(x))).collect()),
        Value::Array(items, labels) => Value::Array(items.iter().map(callbacks).collect(), labels.clone()),
        other => other.clone(),
    }
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

fn object(v: &Value) -> &BTreeMap<String, Value> {
    match v {
        Value::Object(o) => o,
        other => panic!("expected an object, got {other:?}"),
    }
}

fn show(args: &BTreeMap<String, Value>) -> String {
    let parts: Vec<String> = args.iter().map(|(k, v)| format!("{k}: {v:?}")).collect();
    parts.join(", ")
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
