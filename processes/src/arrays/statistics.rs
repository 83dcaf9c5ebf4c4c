//! extrema, quantiles: statistics that give an array (two values; one value per probability).
//!
//! At the top level a no-data value (`null`) is left out, or with `ignore_nodata: false` makes every result
//! no-data, while a NaN value makes every result NaN, as the specification's cases have it. Inside callbacks NaN
//! is the cells' no-data, so it is handled as no-data, cell by cell; the result is an array of fields.
//!
//! `quantiles` computes sample quantiles of type 7 (Hyndman and Fan): for `n` sorted values and probability `p`,
//! `h = (n − 1)·p` and the quantile is `x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋ + 1] − x[⌊h⌋])`, interpolating towards an
//! infinite neighbour giving that infinity.

use super::cells::{Columns, cell_count, lanes, numbers};
use super::interpolate::between;
use crate::graph::Args;
use crate::{Ctx, Error, Result, Value};

/// The most quantiles `q` (or an integer `probabilities`) may ask for.
const MAX_QUANTILES: f64 = 1_000_000.0;

/// What the statistic `f` gives for the values of one array (or one cell): `f` gets the valid values, sorted
/// when `sorted`; `width` no-data values when there are none, or any is missing without `ignore_nodata`; `width`
/// NaN values when any is NaN and `nan_is_nodata` is false.
fn statistic(
    values: impl Iterator<Item = Option<f64>>,
    ignore_nodata: bool,
    nan_is_nodata: bool,
    width: usize,
    f: &dyn Fn(&[f64]) -> Vec<f64>,
) -> Vec<Option<f64>> {
    let mut valid = Vec::new();
    let mut nan = false;
    for v in values {
        match v {
            Some(x) if x.is_nan() && !nan_is_nodata => nan = true,
            Some(x) if !x.is_nan() => valid.push(x),
            _ if !ignore_nodata => return vec![None; width],
            _ => {}
        }
    }
    if nan {
        return vec![Some(f64::NAN); width];
    }
    if valid.is_empty() {
        return vec![None; width];
    }
    valid.sort_by(f64::total_cmp);
    f(&valid).into_iter().map(Some).collect()
}

/// Runs `f` over `data` (per cell inside callbacks); the result has `width` elements.
fn run(args: &Args, width: usize, f: &dyn Fn(&[f64]) -> Vec<f64>) -> Result<Value> {
    let Value::Array(items, _) = args.get("data")? else {
        return Err(args.invalid("data", "expected an array"));
    };
    let ignore_nodata = !matches!(args.get("ignore_nodata")?, Value::Bool(false));
    if let Some(cells) = cell_count(&items) {
        let lanes = lanes(args.process(), "data", &items)?;
        let mut out = Columns::new(args.process(), width, cells)?;
        for i in 0..cells {
            let values = lanes.iter().map(|l| Some(l.at(i)));
            for (k, v) in statistic(values, ignore_nodata, true, width, f).into_iter().enumerate() {
                out.set(k, i, v.unwrap_or(f64::NAN));
            }
        }
        return Ok(Value::Array(out.into_items(), None));
    }
    let values = numbers(args.process(), "data", &items)?;
    let result = statistic(values.into_iter(), ignore_nodata, false, width, f);
    Ok(Value::Array(
        result
            .into_iter()
            .map(|v| v.map_or(Value::Null, Value::Number))
            .collect(),
        None,
    ))
}

/// extrema: `[minimum, maximum]`.
pub(super) fn extrema(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, 2, &|v| vec![v[0], v[v.len() - 1]])
}

/// The type-7 sample quantile of the sorted, non-empty `v` at probability `p`.
fn quantile(v: &[f64], p: f64) -> f64 {
    let h = (v.len() - 1) as f64 * p;
    let lower = h.floor();
    let k = lower as usize;
    match v.get(k + 1) {
        Some(&next) if h > lower => between(v[k], next, h - lower),
        _ => v[k.min(v.len() - 1)],
    }
}

/// The probabilities asked for: a list, or the number of equal intervals (`probabilities` as an integer, or `q`).
fn probabilities(args: &Args) -> Result<Vec<f64>> {
    let intervals = |name: &str, n: f64| -> Result<Vec<f64>> {
        if !(n >= 2.0 && n.fract() == 0.0 && n <= MAX_QUANTILES) {
            return Err(args.invalid(
                name,
                format!("the number of intervals must be an integer from 2 to {MAX_QUANTILES}"),
            ));
        }
        Ok((1..n as usize).map(|k| k as f64 / n).collect())
    };
    match (args.get("probabilities")?, args.get("q")?) {
        (Value::Null, Value::Null) => Err(Error::QuantilesParameterMissing),
        (Value::Null, Value::Number(q)) => intervals("q", q),
        (Value::Null, other) => Err(args.invalid("q", format!("expected an integer, got {}", other.type_name()))),
        (_, Value::Null) => match args.get("probabilities")? {
            Value::Number(n) => intervals("probabilities", n),
            Value::Array(ps, _) => {
                let ps = ps
                    .iter()
                    .map(|p| match p {
                        Value::Number(p) if (0.0..=1.0).contains(p) => Ok(*p),
                        _ => Err(args.invalid("probabilities", "the probabilities must be numbers from 0 to 1")),
                    })
                    .collect::<Result<Vec<_>>>()?;
                for w in ps.windows(2) {
                    if w[1] < w[0] {
                        return Err(Error::AscendingProbabilitiesRequired);
                    }
                    if w[1] == w[0] {
                        return Err(args.invalid("probabilities", format!("{} is given more than once", w[0])));
                    }
                }
                Ok(ps)
            }
            other => Err(args.invalid(
                "probabilities",
                format!(
                    "expected an array of probabilities or an integer, got {}",
                    other.type_name()
                ),
            )),
        },
        _ => Err(Error::QuantilesParameterConflict),
    }
}

/// quantiles: the type-7 sample quantiles at the probabilities asked for.
pub(super) fn quantiles(args: &mut Args, _: &Ctx) -> Result<Value> {
    let ps = probabilities(args)?;
    run(args, ps.len(), &|v| ps.iter().map(|p| quantile(v, *p)).collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Value;
    use crate::testutil::{assert_fields, assert_json, call, ctx, field, value};

    #[test]
    fn quantile_parameters() {
        let ctx = ctx();
        let data = value(json!([2, 4, 4, 4, 5, 5, 7, 9]));
        let run = |args: &[(&str, serde_json::Value)]| {
            let mut all = vec![("data", data.clone())];
            all.extend(args.iter().map(|(k, v)| (*k, value(v.clone()))));
            call("quantiles", &all, &ctx)
        };
        assert_json(&run(&[("q", json!(4))]).unwrap(), json!([4, 4.5, 5.5]));
        assert_json(&run(&[("probabilities", json!([0, 1]))]).unwrap(), json!([2, 9]));
        let code = |args: &[(&str, serde_json::Value)]| run(args).unwrap_err().code().to_string();
        assert_eq!(code(&[]), "QuantilesParameterMissing");
        assert_eq!(
            code(&[("probabilities", json!(null)), ("q", json!(null))]),
            "QuantilesParameterMissing"
        );
        assert_eq!(
            code(&[("probabilities", json!([0.5])), ("q", json!(2))]),
            "QuantilesParameterConflict"
        );
        assert_eq!(
            code(&[("probabilities", json!([0.5, 0.2]))]),
            "AscendingProbabilitiesRequired"
        );
        for bad in [
            json!([0.5, 0.5]),
            json!([1.5]),
            json!(["a"]),
            json!(1),
            json!(2.5),
            json!(1e9),
        ] {
            assert_eq!(
                code(&[("probabilities", bad.clone())]),
                "ProcessParameterInvalid",
                "{bad}"
            );
        }
        assert_eq!(code(&[("q", json!(1))]), "ProcessParameterInvalid");
    }

    #[test]
    fn statistics_per_cell() {
        let ctx = ctx();
        let n = f32::NAN;
        let data = Value::Array(
            vec![field(&[1.0, n, n]), Value::Number(3.0), field(&[2.0, 5.0, n])],
            None,
        );
        let extrema = call("extrema", &[("data", data.clone())], &ctx).unwrap();
        assert_fields(&extrema, &[&[1.0, 3.0, 3.0], &[3.0, 5.0, 3.0]]);
        let strict = call(
            "extrema",
            &[("data", data.clone()), ("ignore_nodata", Value::Bool(false))],
            &ctx,
        );
        assert_fields(&strict.unwrap(), &[&[1.0, n, n], &[3.0, n, n]]);
        let q = call(
            "quantiles",
            &[("data", data), ("probabilities", value(json!([0.25, 0.5])))],
            &ctx,
        )
        .unwrap();
        assert_fields(&q, &[&[1.5, 3.5, 3.0], &[2.0, 4.0, 3.0]]);
        let empty = Value::Array(vec![field(&[n])], None);
        assert_fields(&call("extrema", &[("data", empty)], &ctx).unwrap(), &[&[n], &[n]]);
        let text = call("extrema", &[("data", value(json!([1, "2"])))], &ctx);
        assert_eq!(text.unwrap_err().code(), "ProcessParameterInvalid");
        // a million quantiles of a block of cells would not fit
        let block = Value::Array(vec![field(&[1.0; 256])], None);
        let many = call("quantiles", &[("data", block), ("q", Value::Number(1e6))], &ctx);
        assert_eq!(many.unwrap_err().code(), "ProcessParameterInvalid");
    }
}
