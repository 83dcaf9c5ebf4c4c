//! cumsum, cumproduct, cummax, cummin: running totals, products, maxima and minima, as many as the array has
//! elements (labels kept).
//!
//! A no-data element stays no-data in the result and is skipped, the running value carrying on after it; without
//! `ignore_nodata` every element from the first no-data one on is no-data. At the top level no-data is `null` and a
//! NaN is a number that makes the running value NaN from there on. Inside callbacks NaN is the cells' no-data, and
//! each cell is accumulated on its own into an array of fields.

use super::cells::{Columns, cell_count, lanes, numbers};
use crate::graph::Args;
use crate::{Ctx, Result, Value};

/// How the running value takes in the next element.
#[derive(Clone, Copy, Debug)]
enum Running {
    Sum,
    Product,
    Max,
    Min,
}

impl Running {
    /// The running value `acc` after the element `x`; NaN in either gives NaN.
    fn step(self, acc: f64, x: f64) -> f64 {
        match self {
            Running::Sum => acc + x,
            Running::Product => acc * x,
            _ if acc.is_nan() || x.is_nan() => f64::NAN,
            Running::Max => acc.max(x),
            Running::Min => acc.min(x),
        }
    }
}

/// Calls `out` with the position and the running value of each of `values` (`None` is no-data).
fn accumulate(
    values: impl Iterator<Item = Option<f64>>,
    running: Running,
    ignore_nodata: bool,
    mut out: impl FnMut(usize, Option<f64>),
) {
    let mut acc = None;
    let mut stopped = false;
    for (k, v) in values.enumerate() {
        let r = match v {
            _ if stopped => None,
            None => {
                stopped = !ignore_nodata;
                None
            }
            Some(x) => {
                let a = acc.map_or(x, |a| running.step(a, x));
                acc = Some(a);
                Some(a)
            }
        };
        out(k, r);
    }
}

/// The running values of `data` (per cell inside callbacks).
fn run(args: &Args, running: Running) -> Result<Value> {
    let Value::Array(items, labels) = args.get("data")? else {
        return Err(args.invalid("data", "expected an array"));
    };
    let ignore_nodata = !matches!(args.get("ignore_nodata")?, Value::Bool(false));
    if let Some(cells) = cell_count(&items) {
        let lanes = lanes(args.process(), "data", &items)?;
        let mut out = Columns::new(args.process(), items.len(), cells)?;
        for i in 0..cells {
            let values = lanes.iter().map(|l| Some(l.at(i)).filter(|v| !v.is_nan()));
            accumulate(values, running, ignore_nodata, |k, r| {
                out.set(k, i, r.unwrap_or(f64::NAN));
            });
        }
        return Ok(Value::Array(out.into_items(), labels));
    }
    let values = numbers(args.process(), "data", &items)?;
    let mut result = vec![Value::Null; values.len()];
    accumulate(values.into_iter(), running, ignore_nodata, |k, r| {
        result[k] = r.map_or(Value::Null, Value::Number);
    });
    Ok(Value::Array(result, labels))
}

/// cumsum: the running totals.
pub(super) fn cumsum(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, Running::Sum)
}

/// cumproduct: the running products.
pub(super) fn cumproduct(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, Running::Product)
}

/// cummax: the running maxima.
pub(super) fn cummax(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, Running::Max)
}

/// cummin: the running minima.
pub(super) fn cummin(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, Running::Min)
}

#[cfg(test)]
mod tests {
    use openeo_engine::{Cube, Dimension, ExecOptions, Grid, Labels, crs_from_user, execute_to_memory};
    use serde_json::json;

    use crate::Value;
    use crate::graph::args::parse_instant;
    use crate::testutil::{assert_fields, assert_json, call, callback, ctx, field, labelled, value};

    fn run(id: &str, data: Value, ignore_nodata: bool) -> crate::Result<Value> {
        call(
            id,
            &[("data", data), ("ignore_nodata", Value::Bool(ignore_nodata))],
            &ctx(),
        )
    }

    /// At the top level NaN is a number: it makes the running value NaN, also for maxima and minima.
    #[test]
    fn nan_is_a_number_at_the_top_level() {
        let data = Value::Array(
            vec![
                Value::Number(1.0),
                Value::Number(f64::NAN),
                Value::Null,
                Value::Number(2.0),
            ],
            None,
        );
        for id in ["cumsum", "cumproduct", "cummax", "cummin"] {
            let Value::Array(out, _) = run(id, data.clone(), true).unwrap() else {
                panic!("{id} gives an array");
            };
            assert!(matches!(out[0], Value::Number(n) if n == 1.0), "{id}");
            assert!(matches!(out[1], Value::Number(n) if n.is_nan()), "{id}");
            assert!(matches!(out[2], Value::Null), "{id}");
            assert!(matches!(out[3], Value::Number(n) if n.is_nan()), "{id}");
        }
        assert_json(&run("cummin", value(json!([])), true).unwrap(), json!([]));
        let texts = run("cumsum", value(json!([1, "2"])), true);
        assert_eq!(texts.unwrap_err().code(), "ProcessParameterInvalid");
        let labels = run("cumsum", labelled(vec![Value::Number(1.0)], &["a"]), true).unwrap();
        assert!(matches!(labels, Value::Array(_, Some(l)) if l[..] == ["a".to_string()]));
    }

    #[test]
    fn cells_accumulate_on_their_own() {
        let n = f32::NAN;
        let data = Value::Array(
            vec![field(&[1.0, n, 4.0]), Value::Number(2.0), field(&[3.0, 5.0, n])],
            None,
        );
        assert_fields(
            &run("cumsum", data.clone(), true).unwrap(),
            &[&[1.0, n, 4.0], &[3.0, 2.0, 6.0], &[6.0, 7.0, n]],
        );
        assert_fields(
            &run("cumsum", data.clone(), false).unwrap(),
            &[&[1.0, n, 4.0], &[3.0, n, 6.0], &[6.0, n, n]],
        );
        assert_fields(
            &run("cummax", data.clone(), true).unwrap(),
            &[&[1.0, n, 4.0], &[2.0, 2.0, 4.0], &[3.0, 5.0, n]],
        );
        assert_fields(
            &run("cumproduct", data, true).unwrap(),
            &[&[1.0, n, 4.0], &[2.0, 2.0, 8.0], &[6.0, 10.0, n]],
        );
    }

    /// cumsum as the callback of apply_dimension over `t`: each pixel gets its own running totals over time.
    #[test]
    fn cumsum_in_apply_dimension_over_time() {
        let ctx = ctx();
        let n = f32::NAN;
        let dates = ["2020-01-01", "2020-01-02", "2020-01-03"].map(|d| parse_instant(d).unwrap());
        let grid = Grid::from_centres(&[0.5, 1.5], &[0.5], crs_from_user("EPSG:4326").unwrap(), Some(1.0)).unwrap();
        // (t, y, x): two pixels over three dates, the first pixel missing on the second date
        let values = vec![1.0, 10.0, n, 20.0, 3.0, 30.0];
        let cube = Cube::from_values(vec![Dimension::new("t", Labels::Time(dates.to_vec()))], grid, values).unwrap();
        let cumsum = callback(json!({"c": {"process_id": "cumsum", "arguments": {
            "data": {"from_parameter": "data"}}, "result": true}}));
        let args = [
            ("data", Value::Cube(Box::new(cube))),
            ("process", cumsum),
            ("dimension", Value::Text("t".into())),
        ];
        let Value::Cube(out) = call("apply_dimension", &args, &ctx).unwrap() else {
            panic!("apply_dimension gives a cube");
        };
        assert_eq!(out.meta().dims()[0].len(), 3, "the dates stay");
        let block = execute_to_memory(&out, &ExecOptions::default()).unwrap();
        let got = block.values();
        let want = [1.0, 10.0, n, 30.0, 4.0, 60.0];
        assert!(
            got.len() == want.len() && got.iter().zip(want).all(|(g, w)| *g == w || (g.is_nan() && w.is_nan())),
            "{got:?} != {want:?}"
        );
    }
}
