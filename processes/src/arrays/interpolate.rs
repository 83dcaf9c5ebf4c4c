//! array_interpolate_linear: fills each NaN or no-data element that has a number on both sides by linear
//! interpolation between its nearest numbers; leading and trailing gaps stay as they are.
//!
//! The positions along the x axis are the labels when they are all numbers or all dates and times (in seconds),
//! otherwise the indices. With an infinite neighbour the filled value is that infinity (−∞ and +∞ give NaN).
//! Inside callbacks each cell is interpolated over its own values (NaN being no-data there); labels are kept.

use super::cells::{Columns, cell_count, lanes, numbers};
use super::labels::positions;
use crate::graph::Args;
use crate::{Ctx, Result, Value};

/// The value at fraction `t` (0 < t < 1) of the way from `a` to `b`; an infinite end gives that infinity.
pub(super) fn between(a: f64, b: f64, t: f64) -> f64 {
    if a == b {
        a
    } else if a.is_finite() && b.is_finite() {
        a + t * (b - a)
    } else {
        (1.0 - t) * a + t * b
    }
}

/// Fills the gaps (`None` or NaN) of `values` that lie between two numbers; `x` are the elements' positions.
fn fill(values: &[f64], x: &[f64]) -> Vec<f64> {
    let mut out = values.to_vec();
    let mut previous: Option<usize> = None;
    for (k, v) in values.iter().enumerate() {
        if v.is_nan() {
            continue;
        }
        if let Some(p) = previous
            && k > p + 1
        {
            let span = x[k] - x[p];
            for (g, slot) in out.iter_mut().enumerate().take(k).skip(p + 1) {
                let t = if span != 0.0 {
                    (x[g] - x[p]) / span
                } else {
                    (g - p) as f64 / (k - p) as f64
                };
                *slot = between(values[p], *v, t);
            }
        }
        previous = Some(k);
    }
    out
}

/// array_interpolate_linear: the gaps between numbers filled linearly.
pub(super) fn array_interpolate_linear(args: &mut Args, _: &Ctx) -> Result<Value> {
    let Value::Array(items, labels) = args.get("data")? else {
        return Err(args.invalid("data", "expected an array"));
    };
    let x = positions(labels.as_deref(), items.len());
    if let Some(cells) = cell_count(&items) {
        let lanes = lanes(args.process(), "data", &items)?;
        let mut out = Columns::new(args.process(), items.len(), cells)?;
        let mut column = vec![0.0; items.len()];
        for i in 0..cells {
            for (c, lane) in column.iter_mut().zip(&lanes) {
                *c = lane.at(i);
            }
            for (k, v) in fill(&column, &x).into_iter().enumerate() {
                out.set(k, i, v);
            }
        }
        return Ok(Value::Array(out.into_items(), labels));
    }
    let values: Vec<f64> = numbers(args.process(), "data", &items)?
        .into_iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect();
    let filled = fill(&values, &x);
    // elements that stay gaps keep what they were (no-data or NaN)
    let out = items
        .into_iter()
        .zip(filled)
        .map(|(item, v)| if v.is_nan() { item } else { Value::Number(v) })
        .collect();
    Ok(Value::Array(out, labels))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Value;
    use crate::testutil::{assert_fields, assert_json, call, ctx, field, labelled, value};

    #[test]
    fn gaps_between_numbers_are_filled() {
        let ctx = ctx();
        let run = |data: Value| call("array_interpolate_linear", &[("data", data)], &ctx).unwrap();
        assert_json(
            &run(value(json!([null, 2, null, null, 8, null]))),
            json!([null, 2, 4, 6, 8, null]),
        );
        assert_json(&run(value(json!([1]))), json!([1]));
        // temporal labels: positions in time, not indices
        let days = labelled(
            vec![Value::Number(0.0), Value::Null, Value::Number(4.0)],
            &["2020-01-01", "2020-01-04", "2020-01-05"],
        );
        assert_json(&run(days), json!([0, 3, 4]));
        let text = call("array_interpolate_linear", &[("data", value(json!([1, "a"])))], &ctx);
        assert_eq!(text.unwrap_err().code(), "ProcessParameterInvalid");
    }

    #[test]
    fn cells_are_interpolated_on_their_own() {
        let ctx = ctx();
        let n = f32::NAN;
        let data = labelled(
            vec![field(&[1.0, n, n]), field(&[n, 2.0, n]), Value::Number(3.0)],
            &["1", "2", "4"],
        );
        let out = call("array_interpolate_linear", &[("data", data)], &ctx).unwrap();
        assert_fields(&out, &[&[1.0, n, n], &[5.0 / 3.0, 2.0, n], &[3.0, 3.0, 3.0]]);
        assert!(
            matches!(&out, Value::Array(_, Some(l)) if l.len() == 3),
            "labels are kept"
        );
    }
}
