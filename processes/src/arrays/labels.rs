//! array_labels, and labels as values. Labels are kept as text; a label that is the canonical text of a finite
//! number (what a number label is written as, e.g. `5` or `0.5`) is a number label, any other a string label.

use crate::graph::Args;
use crate::graph::args::parse_instant;
use crate::{Ctx, Result, Value};

/// The label `l` as a value: a number for a number label, else a string.
pub(super) fn label_value(l: &str) -> Value {
    match number_label(l) {
        Some(n) => Value::Number(n),
        None => Value::Text(l.to_string()),
    }
}

/// The number of a number label.
pub(super) fn number_label(l: &str) -> Option<f64> {
    l.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && format_number(*n) == l)
}

/// A number as label text (and as text in general): integers without a fraction or exponent, others in the
/// shortest decimal form that reads back as the same number; `NaN`, `Infinity` and `-Infinity` as in JSON5.
pub(crate) fn format_number(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity".into() } else { "-Infinity".into() }
    } else if n == 0.0 {
        "0".into()
    } else {
        format!("{n}")
    }
}

/// The label given as the value `v` (a number or a string), as label text; `None` for anything else.
pub(super) fn label_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) if n.is_finite() => Some(format_number(*n)),
        Value::Text(s) => Some(s.clone()),
        _ => None,
    }
}

/// The positions of the elements along their natural axis: the numbers of number labels, the instants (in
/// seconds) of temporal labels, otherwise the indices.
pub(super) fn positions(labels: Option<&[String]>, len: usize) -> Vec<f64> {
    let indices = || (0..len).map(|i| i as f64).collect();
    let Some(labels) = labels.filter(|l| l.len() == len) else {
        return indices();
    };
    if let Some(numbers) = labels.iter().map(|l| number_label(l)).collect::<Option<Vec<_>>>() {
        return numbers;
    }
    if let Some(instants) = labels.iter().map(|l| parse_instant(l)).collect::<Option<Vec<_>>>() {
        let first = instants.first().map_or(0, |t| t.timestamp_millis());
        return instants
            .iter()
            .map(|t| (t.timestamp_millis() - first) as f64 / 1000.0)
            .collect();
    }
    indices()
}

/// array_labels: the labels of a labelled array, the zero-based indices of any other.
pub(super) fn array_labels(args: &mut Args, _: &Ctx) -> Result<Value> {
    let Value::Array(items, labels) = args.get("data")? else {
        return Err(args.invalid("data", "expected an array"));
    };
    Ok(Value::Array(
        match labels {
            Some(labels) => labels.iter().map(|l| label_value(l)).collect(),
            None => (0..items.len()).map(|i| Value::Number(i as f64)).collect(),
        },
        None,
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testutil::{assert_json, call, ctx, field, labelled, value};

    #[test]
    fn labels_and_indices() {
        let ctx = ctx();
        let data = labelled(vec![field(&[1.0]), field(&[2.0]), Value::Null], &["B02", "10", "2.5"]);
        let out = call("array_labels", &[("data", data)], &ctx).unwrap();
        assert_json(&out, json!(["B02", 10, 2.5]));
        let plain = call("array_labels", &[("data", value(json!(["a", "b"])))], &ctx).unwrap();
        assert_json(&plain, json!([0, 1]));
        let bad = call("array_labels", &[("data", Value::Text("a".into()))], &ctx);
        assert_eq!(bad.unwrap_err().code(), "ProcessParameterInvalid");
    }

    #[test]
    fn number_labels_are_canonical() {
        assert!(matches!(label_value("7"), Value::Number(n) if n == 7.0));
        assert!(matches!(label_value("-0.25"), Value::Number(n) if n == -0.25));
        for text in ["07", "7.0", "1e3", "NaN", "inf", "B1", "2020-01-01"] {
            assert!(matches!(label_value(text), Value::Text(_)), "{text}");
        }
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(format_number(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn positions_follow_number_and_temporal_labels() {
        let l = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(positions(Some(&l(&["1", "3", "4"])), 3), vec![1.0, 3.0, 4.0]);
        let days = l(&["2020-01-01", "2020-01-02T00:00:00Z", "2020-01-04T12:00:00+12:00"]);
        assert_eq!(positions(Some(&days), 3), vec![0.0, 86_400.0, 3.0 * 86_400.0]);
        assert_eq!(positions(Some(&l(&["B1", "B2"])), 2), vec![0.0, 1.0]);
        assert_eq!(positions(None, 2), vec![0.0, 1.0]);
    }
}
