//! Runs the openEO processes' own test cases (`testdata/process-tests/<id>.json5`, see `testdata/README.md`)
//! against the implementations, with plain values as arguments.
//!
//! A case passes when the process returns the expected value (numbers within the case's `delta`, 1e-10 by
//! default) or, for a case that allows it (`throws`), fails with the error code named (any code for `true`).
//! Numeric processes return `null` for a NaN result (the JSON they are served as has no NaN), so an expected NaN
//! matches `null` and the other way round. Where this back-end deliberately departs from a case, [`departure`]
//! gives the outcome expected instead:
//! - `any`/`all` of `[null]` with `ignore_nodata: false` give `null`: the test cases (`false`/`true`) contradict
//!   the examples in the process descriptions (`null`), and the implementation follows the descriptions;
//! - `lte(Infinity, Infinity)` is `true`: the case expects `false` although IEEE 754, `lte`'s definition (`lt` or
//!   `eq`) and `eq`'s own case `eq(Infinity, Infinity) = true` make it `true`.

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
            let named: Vec<(&str, Value)> = args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            let got = call(id, &named, &ctx);
            let delta = match case.get("delta") {
                Some(Value::Number(d)) => *d,
                _ => 1e-10,
            };
            let expected = departure(id, args).unwrap_or_else(|| Expected {
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
fn departure(id: &str, args: &BTreeMap<String, Value>) -> Option<Expected> {
    let number = |name: &str| match args.get(name) {
        Some(Value::Number(n)) => Some(*n),
        _ => None,
    };
    let returns = |v: Value| Expected {
        returns: Some(v),
        throws: None,
    };
    match id {
        "any" | "all"
            if matches!(args.get("data"), Some(Value::Array(items, _)) if matches!(items.as_slice(), [Value::Null]))
                && matches!(args.get("ignore_nodata"), Some(Value::Bool(false))) =>
        {
            Some(returns(Value::Null))
        }
        "lte" if number("x") == Some(f64::INFINITY) && number("y") == Some(f64::INFINITY) => {
            Some(returns(Value::Bool(true)))
        }
        _ => None,
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
        (Value::Array(e, _), Value::Array(g, _)) => {
            e.len() == g.len() && e.iter().zip(g).all(|(e, g)| same(e, g, delta))
        }
        (Value::Object(e), Value::Object(g)) => {
            e.len() == g.len() && e.iter().all(|(k, e)| g.get(k).is_some_and(|g| same(e, g, delta)))
        }
        _ => false,
    }
}
