//! sort, order, rearrange. The values are numbers or temporal strings (dates and date-times, compared as instants,
//! not as text); ties keep their order, in ascending and in descending order alike. `nodata` places the no-data
//! values (and NaN, which cannot be ordered) at the end (`true`), at the start (`false`) or drops them (`null`).
//! `sort` and `rearrange` move the labels of a labelled array with their elements.
//!
//! Inside callbacks each cell is sorted (or ordered, or rearranged by its own permutation) on its own. All elements
//! of an array hold the same cells, so the result has as many elements as the input, and where no-data values are
//! dropped (`nodata: null`) the cell's remaining elements are no-data: dropped values leave no-data at the end, the
//! same as `nodata: true`. Per-cell results have no labels.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::cells::{Columns, Lane, cell_count, lane, lanes};
use crate::graph::Args;
use crate::graph::args::parse_instant;
use crate::{Ctx, Error, Result, Value};

/// The positions of `keys` in sorted order: the valid keys (`Some`) ascending or descending, ties in their order,
/// and the no-data ones (`None`) at the end (`Some(true)`), at the start (`Some(false)`) or left out (`None`).
fn permutation<K>(keys: &[Option<K>], cmp: impl Fn(&K, &K) -> Ordering, asc: bool, nodata: Option<bool>) -> Vec<usize> {
    let mut valid: Vec<(usize, &K)> = keys
        .iter()
        .enumerate()
        .filter_map(|(i, k)| Some((i, k.as_ref()?)))
        .collect();
    if asc {
        valid.sort_by(|a, b| cmp(a.1, b.1));
    } else {
        valid.sort_by(|a, b| cmp(b.1, a.1));
    }
    let missing = keys.iter().enumerate().filter(|(_, k)| k.is_none()).map(|(i, _)| i);
    let sorted = valid.into_iter().map(|(i, _)| i);
    match nodata {
        None => sorted.collect(),
        Some(true) => sorted.chain(missing).collect(),
        Some(false) => missing.chain(sorted).collect(),
    }
}

/// A value to sort by.
#[derive(Clone, Copy, Debug)]
enum Key {
    Number(f64),
    Instant(DateTime<Utc>),
}

/// The sort keys of plain values: numbers (NaN counts as no-data) or temporal strings, not both.
fn keys(process: &str, items: &[Value]) -> Result<Vec<Option<Key>>> {
    let keys = items
        .iter()
        .map(|v| match v {
            Value::Null => Ok(None),
            Value::Number(n) if n.is_nan() => Ok(None),
            Value::Number(n) => Ok(Some(Key::Number(*n))),
            Value::Text(s) => parse_instant(s)
                .map(|t| Some(Key::Instant(t)))
                .ok_or_else(|| Error::invalid(process, "data", format!("'{s}' is neither a date nor a date-time"))),
            other => Err(Error::invalid(
                process,
                "data",
                format!("expected numbers, dates or date-times, got {}", other.type_name()),
            )),
        })
        .collect::<Result<Vec<_>>>()?;
    let numbers = keys.iter().flatten().filter(|k| matches!(k, Key::Number(_))).count();
    let instants = keys.iter().flatten().count() - numbers;
    if numbers > 0 && instants > 0 {
        return Err(Error::invalid(
            process,
            "data",
            "numbers and temporal strings cannot be sorted together",
        ));
    }
    Ok(keys)
}

/// The order of two numbers that are not NaN (−0 and 0 are a tie).
fn numbers(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

/// The order of two sort keys (of one kind: [`keys`] refuses mixed kinds).
fn compare(a: &Key, b: &Key) -> Ordering {
    match (a, b) {
        (Key::Number(a), Key::Number(b)) => numbers(*a, *b),
        (Key::Instant(a), Key::Instant(b)) => a.cmp(b),
        (Key::Number(_), Key::Instant(_)) => Ordering::Less,
        (Key::Instant(_), Key::Number(_)) => Ordering::Greater,
    }
}

/// The arguments `asc` and `nodata`.
fn direction(args: &Args) -> Result<(bool, Option<bool>)> {
    let asc = match args.get("asc")? {
        Value::Bool(b) => b,
        Value::Null => true,
        other => return Err(args.invalid("asc", format!("expected a boolean, got {}", other.type_name()))),
    };
    let nodata = match args.get("nodata")? {
        Value::Bool(b) => Some(b),
        Value::Null => None,
        other => {
            return Err(args.invalid(
                "nodata",
                format!("expected a boolean or null, got {}", other.type_name()),
            ));
        }
    };
    Ok((asc, nodata))
}

/// Calls `f` with each cell's index and permutation (see [`permutation`]; with `nodata: null` shorter than the
/// array by the cell's no-data values).
fn for_each_cell(
    lanes: &[Lane<'_>],
    cells: usize,
    asc: bool,
    nodata: Option<bool>,
    mut f: impl FnMut(usize, &[usize]),
) {
    let mut keys = vec![None; lanes.len()];
    for i in 0..cells {
        for (k, lane) in keys.iter_mut().zip(lanes) {
            let v = lane.at(i);
            *k = (!v.is_nan()).then_some(v);
        }
        f(i, &permutation(&keys, |a, b| numbers(*a, *b), asc, nodata));
    }
}

/// sort: the values in order.
pub(super) fn sort(args: &mut Args, _: &Ctx) -> Result<Value> {
    let Value::Array(items, labels) = args.get("data")? else {
        return Err(args.invalid("data", "expected an array"));
    };
    let (asc, nodata) = direction(args)?;
    if let Some(cells) = cell_count(&items) {
        let lanes = lanes(args.process(), "data", &items)?;
        let mut out = Columns::new(args.process(), items.len(), cells)?;
        for_each_cell(&lanes, cells, asc, nodata, |i, p| {
            for (k, j) in p.iter().enumerate() {
                out.set(k, i, lanes[*j].at(i));
            }
        });
        return Ok(Value::Array(out.into_items(), None));
    }
    let p = permutation(&keys(args.process(), &items)?, compare, asc, nodata);
    let labels = labels.map(|l| p.iter().filter_map(|i| l.get(*i).cloned()).collect());
    Ok(Value::Array(p.into_iter().map(|i| items[i].clone()).collect(), labels))
}

/// order: the permutation that sorts the values (zero-based positions).
pub(super) fn order(args: &mut Args, _: &Ctx) -> Result<Value> {
    let Value::Array(items, _) = args.get("data")? else {
        return Err(args.invalid("data", "expected an array"));
    };
    let (asc, nodata) = direction(args)?;
    if let Some(cells) = cell_count(&items) {
        let lanes = lanes(args.process(), "data", &items)?;
        let mut out = Columns::new(args.process(), items.len(), cells)?;
        for_each_cell(&lanes, cells, asc, nodata, |i, p| {
            for (k, j) in p.iter().enumerate() {
                out.set(k, i, *j as f64);
            }
        });
        return Ok(Value::Array(out.into_items(), None));
    }
    let p = permutation(&keys(args.process(), &items)?, compare, asc, nodata);
    Ok(Value::Array(
        p.into_iter().map(|i| Value::Number(i as f64)).collect(),
        None,
    ))
}

/// rearrange: the elements at the positions `order` gives, in that order.
pub(super) fn rearrange(args: &mut Args, _: &Ctx) -> Result<Value> {
    let Value::Array(items, labels) = args.get("data")? else {
        return Err(args.invalid("data", "expected an array"));
    };
    let Value::Array(order, _) = args.get("order")? else {
        return Err(args.invalid("order", "expected an array of integers"));
    };
    let position = |p: f64| -> Result<usize> {
        if p >= 0.0 && p.fract() == 0.0 && p < items.len() as f64 {
            Ok(p as usize)
        } else {
            Err(args.invalid(
                "order",
                format!("{p} is not the position of an element of an array of {}", items.len()),
            ))
        }
    };
    if let Some(cells) = cell_count(&order) {
        let values = lanes(args.process(), "data", &items)?;
        let mut out = Columns::new(args.process(), order.len(), cells)?;
        for (k, o) in order.iter().enumerate() {
            let o = lane(args.process(), "order", o)?;
            for i in 0..cells {
                let p = o.at(i);
                if !p.is_nan() {
                    out.set(k, i, values[position(p)?].at(i));
                }
            }
        }
        return Ok(Value::Array(out.into_items(), None));
    }
    let positions = order
        .iter()
        .map(|o| match o {
            Value::Number(p) => position(*p),
            other => Err(args.invalid("order", format!("expected integers, got {}", other.type_name()))),
        })
        .collect::<Result<Vec<_>>>()?;
    let mut seen = vec![false; items.len()];
    let repeated = positions.iter().any(|p| std::mem::replace(&mut seen[*p], true));
    let labels = labels
        .filter(|_| !repeated)
        .map(|l| positions.iter().filter_map(|p| l.get(*p).cloned()).collect());
    Ok(Value::Array(
        positions.into_iter().map(|p| items[p].clone()).collect(),
        labels,
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Value;
    use crate::testutil::{assert_fields, assert_json, call, ctx, field, labelled, value};

    #[test]
    fn temporal_strings_sort_as_instants() {
        let ctx = ctx();
        let data = value(json!([
            "2020-01-02",
            "2020-01-01T23:00:00-02:00",
            null,
            "2020-01-01T12:00:00Z"
        ]));
        let sorted = call("sort", &[("data", data.clone()), ("nodata", Value::Bool(false))], &ctx).unwrap();
        assert_json(
            &sorted,
            json!([null, "2020-01-01T12:00:00Z", "2020-01-02", "2020-01-01T23:00:00-02:00"]),
        );
        let order = call("order", &[("data", data), ("asc", Value::Bool(false))], &ctx).unwrap();
        assert_json(&order, json!([1, 0, 3]));
        let mixed = call("sort", &[("data", value(json!([1, "2020-01-01"])))], &ctx);
        assert_eq!(mixed.unwrap_err().code(), "ProcessParameterInvalid");
        let not_a_date = call("order", &[("data", value(json!(["b", "a"])))], &ctx);
        assert_eq!(not_a_date.unwrap_err().code(), "ProcessParameterInvalid");
    }

    #[test]
    fn labels_move_with_their_elements() {
        let ctx = ctx();
        let data = labelled(
            vec![Value::Number(3.0), Value::Null, Value::Number(1.0)],
            &["a", "b", "c"],
        );
        let sorted = call("sort", &[("data", data.clone())], &ctx).unwrap();
        assert!(matches!(&sorted, Value::Array(_, Some(l)) if l[..] == ["c".to_string(), "a".to_string()]));
        let order = value(json!([2, 0]));
        let out = call("rearrange", &[("data", data.clone()), ("order", order)], &ctx).unwrap();
        assert!(matches!(&out, Value::Array(_, Some(l)) if l[..] == ["c".to_string(), "a".to_string()]));
        let repeated = call(
            "rearrange",
            &[("data", data.clone()), ("order", value(json!([0, 0])))],
            &ctx,
        )
        .unwrap();
        assert!(matches!(&repeated, Value::Array(items, None) if items.len() == 2));
        for bad in [json!([3]), json!([-1]), json!([0.5]), json!([null])] {
            let r = call(
                "rearrange",
                &[("data", data.clone()), ("order", value(bad.clone()))],
                &ctx,
            );
            assert_eq!(r.unwrap_err().code(), "ProcessParameterInvalid", "{bad}");
        }
    }

    #[test]
    fn cells_are_sorted_on_their_own() {
        let ctx = ctx();
        let n = f32::NAN;
        let data = Value::Array(
            vec![field(&[3.0, n, 1.0]), Value::Number(2.0), field(&[1.0, 5.0, n])],
            None,
        );
        let run = |id: &str, asc: bool, nodata: Value| {
            call(
                id,
                &[("data", data.clone()), ("asc", Value::Bool(asc)), ("nodata", nodata)],
                &ctx,
            )
            .unwrap()
        };
        assert_fields(
            &run("sort", true, Value::Null),
            &[&[1.0, 2.0, 1.0], &[2.0, 5.0, 2.0], &[3.0, n, n]],
        );
        assert_fields(
            &run("sort", false, Value::Bool(false)),
            &[&[3.0, n, n], &[2.0, 5.0, 2.0], &[1.0, 2.0, 1.0]],
        );
        assert_fields(
            &run("order", true, Value::Null),
            &[&[2.0, 1.0, 0.0], &[1.0, 2.0, 1.0], &[0.0, n, n]],
        );
        assert_fields(
            &run("order", true, Value::Bool(true)),
            &[&[2.0, 1.0, 0.0], &[1.0, 2.0, 1.0], &[0.0, 0.0, 2.0]],
        );
        // order then rearrange sorts each cell
        let order = run("order", false, Value::Bool(true));
        let out = call("rearrange", &[("data", data.clone()), ("order", order)], &ctx).unwrap();
        assert_fields(&out, &[&[3.0, 5.0, 2.0], &[2.0, 2.0, 1.0], &[1.0, n, n]]);
        let too_far = Value::Array(vec![field(&[0.0, 3.0, 0.0])], None);
        let r = call("rearrange", &[("data", data), ("order", too_far)], &ctx);
        assert_eq!(r.unwrap_err().code(), "ProcessParameterInvalid");
    }
}
