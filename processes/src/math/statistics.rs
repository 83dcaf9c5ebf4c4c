//! Reducers: mean, median, min, max, sum, sd, variance, product. `ignore_nodata` defaults to true; all no-data
//! gives no-data; a NaN among plain numbers is a number, not no-data, and gives NaN; sd and variance are sample statistics (n − 1). Over a labelled array of fields the reduction is
//! done per cell.

use openeo_engine::simd as kernel;
use std::sync::Arc;

use crate::graph::Args;
use crate::registry::ProcessDef;
use crate::{Ctx, Error, Result, Value};

pub(super) fn processes() -> Vec<ProcessDef> {
    vec![
        ProcessDef::new(include_str!("specs/mean.json"), mean),
        ProcessDef::new(include_str!("specs/median.json"), median),
        ProcessDef::new(include_str!("specs/min.json"), min),
        ProcessDef::new(include_str!("specs/max.json"), max),
        ProcessDef::new(include_str!("specs/sum.json"), sum),
        ProcessDef::new(include_str!("specs/sd.json"), sd),
        ProcessDef::new(include_str!("specs/variance.json"), variance),
        ProcessDef::new(include_str!("specs/product.json"), product),
    ]
}

/// Reduces the array `data` with `f` over the valid values of each cell (`f` gets a non-empty slice).
/// Without `ignore_nodata`, a cell with any no-data value is no-data.
pub(crate) fn reduce_values(
    process: &str,
    data: &Value,
    ignore_nodata: bool,
    f: impl Fn(&mut [f64]) -> f64,
) -> Result<Value> {
    let Value::Array(items, _) = data else {
        return Err(Error::invalid(
            process,
            "data",
            format!("expected an array, got {}", data.type_name()),
        ));
    };
    let len = items.iter().find_map(|v| match v {
        Value::Field(f) => Some(f.len()),
        _ => None,
    });
    // `None` is no-data: `null`, or NaN in a field (cells hold no-data as NaN); a plain NaN is a number
    let scalar = |v: &Value, i: usize| -> Result<Option<f64>> {
        match v {
            Value::Null => Ok(None),
            Value::Number(n) => Ok(Some(*n)),
            Value::Field(f) => Ok(f.get(i).map(|x| f64::from(*x)).filter(|x| !x.is_nan())),
            other => Err(Error::invalid(
                process,
                "data",
                format!("expected numbers, got {}", other.type_name()),
            )),
        }
    };
    let mut buf = Vec::with_capacity(items.len());
    let mut cell = |i: usize| -> Result<f64> {
        buf.clear();
        for v in items {
            match scalar(v, i)? {
                Some(x) => buf.push(x),
                None if !ignore_nodata => return Ok(f64::NAN),
                None => {}
            }
        }
        // a NaN among the numbers makes every statistic NaN
        Ok(if buf.is_empty() || buf.iter().any(|x| x.is_nan()) {
            f64::NAN
        } else {
            f(&mut buf)
        })
    };
    match len {
        None => {
            let r = cell(0)?;
            Ok(if r.is_nan() { Value::Null } else { Value::Number(r) })
        }
        Some(n) => {
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                out.push(cell(i)? as f32);
            }
            Ok(Value::Field(Arc::from(out)))
        }
    }
}

fn run(args: &Args, f: impl Fn(&mut [f64]) -> f64) -> Result<Value> {
    let data = args.get("data")?;
    let ignore = args.get("ignore_nodata")?;
    let ignore = !matches!(ignore, Value::Bool(false));
    reduce_values(args.process(), &data, ignore, f)
}

fn mean(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, |v| v.iter().sum::<f64>() / v.len() as f64)
}

fn median(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, median_of)
}

fn min(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, |v| v.iter().copied().fold(f64::INFINITY, f64::min))
}

fn max(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, |v| v.iter().copied().fold(f64::NEG_INFINITY, f64::max))
}

fn sum(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, |v| v.iter().sum())
}

fn product(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, |v| v.iter().product())
}

/// The median of a non-empty slice (sorted in place).
fn median_of(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn sample_variance(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    if v.len() < 2 {
        return f64::NAN;
    }
    let m = v.iter().sum::<f64>() / n;
    v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)
}

fn variance(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, |v| sample_variance(v))
}

fn sd(args: &mut Args, _: &Ctx) -> Result<Value> {
    run(args, |v| sample_variance(v).sqrt())
}

/// Fast path for a reducer callback that is just `<reducer>(data)` over per-cell lanes: the same results as the
/// process implementations above, computed lane by lane without building values. `None` for other processes.
pub(crate) fn reduce_lanes(process: &str, lanes: &[&[f32]], len: usize, ignore_nodata: bool) -> Option<Vec<f32>> {
    if let Some(mut s) = Streaming::new(process, len, ignore_nodata) {
        s.push(lanes);
        return Some(s.result());
    }
    Some(match process {
        "median" => per_cell(lanes, len, ignore_nodata, median_of),
        "variance" => per_cell(lanes, len, ignore_nodata, |v| sample_variance(v)),
        "sd" => per_cell(lanes, len, ignore_nodata, |v| sample_variance(v).sqrt()),
        _ => return None,
    })
}

/// One pass of [`Streaming::push`]: folds `K` lanes, in their order, into the cells' accumulators and counts. Each
/// cell's state is read and written once per pass, which is what bounds the loop (it does not fit the caches).
struct Fold<'a, const K: usize> {
    acc: &'a mut [f64],
    count: &'a mut [u32],
    kind: Streamable,
    lanes: [&'a [f32]; K],
}

impl<const K: usize> kernel::Kernel for Fold<'_, K> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        let Fold {
            acc,
            count,
            kind,
            lanes,
        } = self;
        match kind {
            Streamable::Mean | Streamable::Sum => fold(acc, count, lanes, |a, v| a + v),
            Streamable::Product => fold(acc, count, lanes, |a, v| a * v),
            Streamable::Min => fold(acc, count, lanes, f64::min),
            Streamable::Max => fold(acc, count, lanes, f64::max),
        }
    }
}

/// The loop of [`Fold`] for one way of combining values.
#[inline(always)]
fn fold<const K: usize>(acc: &mut [f64], count: &mut [u32], lanes: [&[f32]; K], step: impl Fn(f64, f64) -> f64) {
    let n = lanes.iter().fold(acc.len().min(count.len()), |n, l| n.min(l.len()));
    let lanes = lanes.map(|l| &l[..n]);
    for (i, (a, c)) in acc[..n].iter_mut().zip(count[..n].iter_mut()).enumerate() {
        let (mut state, mut valid_count) = (*a, *c);
        for lane in &lanes {
            let v = lane[i];
            let valid = !v.is_nan();
            let stepped = step(state, f64::from(if valid { v } else { 0.0 }));
            state = if valid { stepped } else { state };
            valid_count += u32::from(valid);
        }
        (*a, *c) = (state, valid_count);
    }
}

thread_local! {
    /// The buffers of this thread's last finished [`Streaming`], for its next one: tiles reduce one after another on
    /// a worker, and fresh buffers of a few MiB each cost page faults and zeroing every time.
    static SPARE: std::cell::Cell<Option<(Vec<f64>, Vec<u32>)>> = const { std::cell::Cell::new(None) };
}

/// The reductions that need one accumulator per cell only.
#[derive(Clone, Copy, Debug)]
enum Streamable {
    Mean,
    Sum,
    Product,
    Min,
    Max,
}

/// A reduction fed one lane at a time (vectorisable, cache-friendly; also the engine's time-streaming
/// accumulator, so reductions over time do not hold all dates).
pub(crate) struct Streaming {
    kind: Streamable,
    ignore_nodata: bool,
    acc: Vec<f64>,
    count: Vec<u32>,
    lanes: u32,
}

impl Streaming {
    /// An accumulator for `len` cells, when `process` can be streamed.
    pub(crate) fn new(process: &str, len: usize, ignore_nodata: bool) -> Option<Streaming> {
        let kind = match process {
            "mean" => Streamable::Mean,
            "sum" => Streamable::Sum,
            "product" => Streamable::Product,
            "min" => Streamable::Min,
            "max" => Streamable::Max,
            _ => return None,
        };
        let init = match kind {
            Streamable::Product => 1.0,
            Streamable::Min => f64::INFINITY,
            Streamable::Max => f64::NEG_INFINITY,
            Streamable::Mean | Streamable::Sum => 0.0,
        };
        let (mut acc, mut count) = SPARE.with(|s| s.take()).unwrap_or_default();
        acc.clear();
        acc.resize(len, init);
        count.clear();
        count.resize(len, 0);
        Some(Streaming {
            kind,
            ignore_nodata,
            acc,
            count,
            lanes: 0,
        })
    }

    /// Adds `lanes`, in their order.
    pub(crate) fn push(&mut self, lanes: &[&[f32]]) {
        self.lanes += lanes.len() as u32;
        let (acc, count, kind) = (&mut self.acc[..], &mut self.count[..], self.kind);
        for group in lanes.chunks(4) {
            match *group {
                [a, b, c, d] => kernel::run(Fold {
                    acc,
                    count,
                    kind,
                    lanes: [a, b, c, d],
                }),
                [a, b, c] => kernel::run(Fold {
                    acc,
                    count,
                    kind,
                    lanes: [a, b, c],
                }),
                [a, b] => kernel::run(Fold {
                    acc,
                    count,
                    kind,
                    lanes: [a, b],
                }),
                [a] => kernel::run(Fold {
                    acc,
                    count,
                    kind,
                    lanes: [a],
                }),
                _ => {}
            }
        }
    }

    /// The reduced values: no-data where no lane had a value (or any lane lacked one, without `ignore_nodata`).
    pub(crate) fn result(self) -> Vec<f32> {
        let Streaming {
            kind,
            ignore_nodata,
            acc,
            count,
            lanes,
        } = self;
        let out = kernel::run(Finish {
            acc: &acc,
            count: &count,
            mean: matches!(kind, Streamable::Mean),
            lanes,
            ignore_nodata,
        });
        SPARE.with(|s| s.set(Some((acc, count))));
        out
    }
}

/// The values of a [`Streaming`] from its accumulators and counts.
struct Finish<'a> {
    acc: &'a [f64],
    count: &'a [u32],
    mean: bool,
    lanes: u32,
    ignore_nodata: bool,
}

impl kernel::Kernel for Finish<'_> {
    type Output = Vec<f32>;

    #[inline(always)]
    fn run(self) -> Vec<f32> {
        let Finish {
            acc,
            count,
            mean,
            lanes,
            ignore_nodata,
        } = self;
        // branch-free per cell, so the loop vectorises
        acc.iter()
            .zip(count)
            .map(|(&a, &c)| {
                let missing = c == 0 || (c < lanes && !ignore_nodata);
                let v = if mean { a / f64::from(c.max(1)) } else { a };
                if missing { f32::NAN } else { v as f32 }
            })
            .collect()
    }
}

impl openeo_engine::Accumulator for Streaming {
    fn add(&mut self, lanes: &[&[f32]]) {
        self.push(lanes);
    }

    fn finish(self: Box<Self>) -> Vec<f32> {
        self.result()
    }
}

/// A reduction that needs all valid values of a cell at once.
fn per_cell(lanes: &[&[f32]], len: usize, ignore_nodata: bool, f: impl Fn(&mut [f64]) -> f64) -> Vec<f32> {
    let mut buf = Vec::with_capacity(lanes.len());
    (0..len)
        .map(|i| {
            buf.clear();
            let mut missing = false;
            for lane in lanes {
                let v = lane.get(i).copied().unwrap_or(f32::NAN);
                if v.is_nan() {
                    missing = true;
                } else {
                    buf.push(f64::from(v));
                }
            }
            if buf.is_empty() || (missing && !ignore_nodata) {
                f32::NAN
            } else {
                f(&mut buf) as f32
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// The passes and the final values compiled for the baseline CPU and those picked at run time (AVX2 where
    /// available) give the same bits, for every way of combining and with no-data, infinities and signed zeros
    /// among the values.
    #[test]
    fn every_build_of_the_fold_gives_the_same_bits() {
        use kernel::Kernel;
        let specials = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 0.0, 1e-30, -3.5e7];
        let lanes: Vec<Vec<f32>> = (0..4)
            .map(|j| {
                (0..1037)
                    .map(|i| {
                        if (i + j) % 11 == 0 {
                            specials[(i + j) % 7]
                        } else {
                            (i * 37 % 101) as f32 * 0.37 - 9.0
                        }
                    })
                    .collect()
            })
            .collect();
        for kind in [
            Streamable::Mean,
            Streamable::Sum,
            Streamable::Product,
            Streamable::Min,
            Streamable::Max,
        ] {
            let mut baseline = (vec![1.5; 1037], vec![0u32; 1037]);
            let mut picked = baseline.clone();
            let group = [&lanes[0][..], &lanes[1][..], &lanes[2][..], &lanes[3][..]];
            Fold {
                acc: &mut baseline.0,
                count: &mut baseline.1,
                kind,
                lanes: group,
            }
            .run();
            kernel::run(Fold {
                acc: &mut picked.0,
                count: &mut picked.1,
                kind,
                lanes: group,
            });
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&baseline.0), bits(&picked.0), "{kind:?}");
            assert_eq!(baseline.1, picked.1, "{kind:?}");
            for ignore_nodata in [true, false] {
                let finish = || Finish {
                    acc: &baseline.0,
                    count: &baseline.1,
                    mean: matches!(kind, Streamable::Mean),
                    lanes: 4,
                    ignore_nodata,
                };
                let bits = |v: Vec<f32>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(finish().run()), bits(kernel::run(finish())), "{kind:?}");
            }
        }
    }

    /// The lane fast path and the value path agree, with and without no-data.
    #[test]
    fn fast_path_matches_values() {
        let lanes: Vec<Vec<f32>> = vec![
            vec![1.0, f32::NAN, 3.0, f32::NAN],
            vec![4.0, 2.0, 5.0, f32::NAN],
            vec![7.0, 6.0, 5.5, f32::NAN],
        ];
        let slices: Vec<&[f32]> = lanes.iter().map(Vec::as_slice).collect();
        let data = Value::Array(
            lanes.iter().map(|l| Value::Field(Arc::from(l.as_slice()))).collect(),
            None,
        );
        let sv: fn(&mut [f64]) -> f64 = |v| sample_variance(v);
        type Reference = fn(&mut [f64]) -> f64;
        let procs: [(&str, Reference); 4] = [
            ("mean", |v| v.iter().sum::<f64>() / v.len() as f64),
            ("max", |v| v.iter().copied().fold(f64::MIN, f64::max)),
            ("variance", sv),
            ("sum", |v| v.iter().sum()),
        ];
        for (name, f) in procs {
            for ignore in [true, false] {
                let fast = reduce_lanes(name, &slices, 4, ignore).unwrap();
                let Value::Field(slow) = reduce_values(name, &data, ignore, f).unwrap() else {
                    panic!()
                };
                for (a, b) in fast.iter().zip(slow.iter()) {
                    assert!(
                        (a.is_nan() && b.is_nan()) || (a - b).abs() < 1e-5,
                        "{name} {ignore}: {a} vs {b}"
                    );
                }
            }
        }
    }
}
