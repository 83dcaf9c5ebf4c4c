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
    if let Some(s) = Streaming::new(process, len, ignore_nodata) {
        let mut out = vec![0f32; len];
        s.values_into(0, lanes, &mut out);
        return Some(out);
    }
    Some(match process {
        "median" => per_cell(lanes, len, ignore_nodata, median_of),
        "variance" => per_cell(lanes, len, ignore_nodata, |v| sample_variance(v)),
        "sd" => per_cell(lanes, len, ignore_nodata, |v| sample_variance(v).sqrt()),
        _ => return None,
    })
}

/// The bit of a cell's count that records a missing (no-data) input; the bits below count the valid ones.
const SAW_MISSING: u32 = 1 << 31;

/// One pass of [`Streaming::add`]: folds `K` lanes, in their order, into the cells' states and counts. Each cell's
/// state is read and written once per pass, which is what bounds the loop (it does not fit the caches).
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
            (state, valid_count) = fold_value(state, valid_count, lane[i], &step);
        }
        (*a, *c) = (state, valid_count);
    }
}

/// Folds one value into a cell's state and count: a value that is not NaN is combined with `step` and counted, NaN
/// (no-data) leaves the state as it is and sets [`SAW_MISSING`]. Branch-free, so the loops around it vectorise.
#[inline(always)]
fn fold_value(state: f64, count: u32, v: f32, step: &impl Fn(f64, f64) -> f64) -> (f64, u32) {
    let valid = !v.is_nan();
    let stepped = step(state, f64::from(if valid { v } else { 0.0 }));
    let counted = if valid { count + 1 } else { count | SAW_MISSING };
    (if valid { stepped } else { state }, counted)
}

/// A cell's reduced value from its state and count: no-data where no input was valid (or, without `ignore_nodata`,
/// where any was not); the mean divides by the number of valid inputs.
#[inline(always)]
fn final_value(state: f64, count: u32, mean: bool, ignore_nodata: bool) -> f32 {
    let valid = count & !SAW_MISSING;
    let missing = valid == 0 || (count & SAW_MISSING != 0 && !ignore_nodata);
    let v = if mean { state / f64::from(valid.max(1)) } else { state };
    if missing { f32::NAN } else { v as f32 }
}

thread_local! {
    /// The buffers of this thread's last [`Streaming`] that had state, for its next one: tiles reduce one after
    /// another on a worker, and fresh buffers of a few MiB each cost page faults and zeroing every time.
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

impl Streamable {
    /// The state of a cell before any value.
    fn init(self) -> f64 {
        match self {
            Streamable::Product => 1.0,
            Streamable::Min => f64::INFINITY,
            Streamable::Max => f64::NEG_INFINITY,
            Streamable::Mean | Streamable::Sum => 0.0,
        }
    }
}

/// A reduction fed lanes of inputs (vectorisable, cache-friendly; also the engine's time-streaming accumulator, so
/// reductions over time do not hold all dates). Lanes may come for ranges of cells; the per-cell state is only
/// made when lanes come before the last ones: a reduction given all its lanes at once computes each cell in
/// registers.
pub(crate) struct Streaming {
    kind: Streamable,
    ignore_nodata: bool,
    len: usize,
    /// Per cell: the state, and the count of valid inputs with [`SAW_MISSING`]; empty until the first
    /// [`Streaming::add`].
    acc: Vec<f64>,
    count: Vec<u32>,
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
        Some(Streaming {
            kind,
            ignore_nodata,
            len,
            acc: Vec::new(),
            count: Vec::new(),
        })
    }

    /// Adds `lanes`, in their order, to the cells from `at` on (as many as the shortest lane has values).
    pub(crate) fn add(&mut self, at: usize, lanes: &[&[f32]]) {
        if lanes.is_empty() || at >= self.len {
            return;
        }
        if self.acc.is_empty() {
            let (mut acc, mut count) = SPARE.with(|s| s.take()).unwrap_or_default();
            acc.clear();
            acc.resize(self.len, self.kind.init());
            count.clear();
            count.resize(self.len, 0);
            (self.acc, self.count) = (acc, count);
        }
        let (acc, count, kind) = (&mut self.acc[at..], &mut self.count[at..], self.kind);
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

    /// Writes into `out` the reduced values of the cells from `at` on (`out.len()` of them), after folding in
    /// `last`, the lanes given last for those cells, in the same pass (a cell beyond the shortest of them gets
    /// none of them).
    pub(crate) fn values_into(&self, at: usize, last: &[&[f32]], out: &mut [f32]) {
        let end = (at + out.len()).min(self.len);
        let out = &mut out[..end.saturating_sub(at)];
        let n = last.iter().fold(out.len(), |n, l| n.min(l.len()));
        let prior = (!self.acc.is_empty()).then(|| (&self.acc[at..end], &self.count[at..end]));
        let (head, tail) = out.split_at_mut(n);
        for (from, lanes, out) in [(0, last, head), (n, &[][..], tail)] {
            if out.is_empty() {
                continue;
            }
            kernel::run(Reduce {
                prior: prior.map(|(a, c)| (&a[from..], &c[from..])),
                kind: self.kind,
                lanes,
                ignore_nodata: self.ignore_nodata,
                out,
            });
        }
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        if !self.acc.is_empty() {
            let buffers = (std::mem::take(&mut self.acc), std::mem::take(&mut self.count));
            SPARE.with(|s| s.set(Some(buffers)));
        }
    }
}

/// The pass of [`Streaming::values_into`]: each cell's state (from `prior`, else the initial one) folded with the
/// cell's values in `lanes` and its final value written to `out`, sixteen cells at a time in registers.
struct Reduce<'a> {
    prior: Option<(&'a [f64], &'a [u32])>,
    kind: Streamable,
    lanes: &'a [&'a [f32]],
    ignore_nodata: bool,
    out: &'a mut [f32],
}

impl kernel::Kernel for Reduce<'_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        match self.kind {
            Streamable::Mean | Streamable::Sum => reduce(self, |a, v| a + v),
            Streamable::Product => reduce(self, |a, v| a * v),
            Streamable::Min => reduce(self, f64::min),
            Streamable::Max => reduce(self, f64::max),
        }
    }
}

/// Cells reduced together by [`Reduce`].
const CELLS_AT_ONCE: usize = 16;

/// The loop of [`Reduce`] for one way of combining values.
#[inline(always)]
fn reduce(r: Reduce<'_>, step: impl Fn(f64, f64) -> f64) {
    let Reduce {
        prior,
        kind,
        lanes,
        ignore_nodata,
        out,
    } = r;
    let mean = matches!(kind, Streamable::Mean);
    let whole = out.len() / CELLS_AT_ONCE * CELLS_AT_ONCE;
    let (blocks, rest) = out.split_at_mut(whole);
    for (b, out) in blocks.chunks_exact_mut(CELLS_AT_ONCE).enumerate() {
        // arrays of a constant length, so the loops become vector operations on registers
        let at = b * CELLS_AT_ONCE;
        let mut state = [kind.init(); CELLS_AT_ONCE];
        let mut count = [0u32; CELLS_AT_ONCE];
        if let Some((a, c)) = prior {
            state.copy_from_slice(&a[at..at + CELLS_AT_ONCE]);
            count.copy_from_slice(&c[at..at + CELLS_AT_ONCE]);
        }
        for lane in lanes {
            let Some(values) = lane[at..].first_chunk::<CELLS_AT_ONCE>() else {
                continue;
            };
            for j in 0..CELLS_AT_ONCE {
                (state[j], count[j]) = fold_value(state[j], count[j], values[j], &step);
            }
        }
        for j in 0..CELLS_AT_ONCE {
            out[j] = final_value(state[j], count[j], mean, ignore_nodata);
        }
    }
    for (j, o) in rest.iter_mut().enumerate() {
        let at = whole + j;
        let (mut state, mut count) = prior.map_or((kind.init(), 0), |(a, c)| (a[at], c[at]));
        for lane in lanes {
            (state, count) = fold_value(state, count, lane[at], &step);
        }
        *o = final_value(state, count, mean, ignore_nodata);
    }
}

impl openeo_engine::Accumulator for Streaming {
    fn add(&mut self, at: usize, lanes: &[&[f32]]) {
        Streaming::add(self, at, lanes);
    }

    fn values_into(&self, at: usize, last: &[&[f32]], out: &mut [f32]) {
        Streaming::values_into(self, at, last, out);
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
        let lanes: Vec<Vec<f32>> = (0..6)
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
            let rest = [&lanes[4][..], &lanes[5][..]];
            for ignore_nodata in [true, false] {
                for prior in [None, Some((&baseline.0[..], &baseline.1[..]))] {
                    let (mut a, mut b) = (vec![0f32; 1037], vec![0f32; 1037]);
                    Reduce {
                        prior,
                        kind,
                        lanes: &rest,
                        ignore_nodata,
                        out: &mut a,
                    }
                    .run();
                    kernel::run(Reduce {
                        prior,
                        kind,
                        lanes: &rest,
                        ignore_nodata,
                        out: &mut b,
                    });
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&a), bits(&b), "{kind:?}");
                }
            }
        }
    }

    /// However the lanes come (all at the end, some before, all before), the reduced values have the same bits.
    #[test]
    fn lanes_given_early_or_late_give_the_same_bits() {
        let specials = [f32::NAN, f32::INFINITY, -0.0, 0.0, 1e-30, -3.5e7, 7.25];
        let lanes: Vec<Vec<f32>> = (0..6)
            .map(|j| {
                (0..1037)
                    .map(|i| {
                        if (i * 3 + j) % 5 == 0 {
                            specials[(i + j) % 7]
                        } else {
                            (i * 31 % 97) as f32 * 0.61 - 20.0
                        }
                    })
                    .collect()
            })
            .collect();
        let all: Vec<&[f32]> = lanes.iter().map(Vec::as_slice).collect();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let strip = |lanes: &[&[f32]], from: usize, to: usize| -> Vec<Vec<f32>> {
            lanes.iter().map(|l| l[from..to].to_vec()).collect()
        };
        for process in ["mean", "sum", "product", "min", "max"] {
            for ignore_nodata in [true, false] {
                let fresh = || Streaming::new(process, 1037, ignore_nodata).unwrap();
                let mut at_once = vec![0f32; 1037];
                fresh().values_into(0, &all, &mut at_once);
                let mut out = vec![0f32; 1037];
                let mut split = fresh();
                split.add(0, &all[..4]);
                split.values_into(0, &all[4..], &mut out);
                assert_eq!(bits(&out), bits(&at_once), "{process}");
                let mut before = fresh();
                before.add(0, &all[..1]);
                before.add(0, &all[1..]);
                before.values_into(0, &[], &mut out);
                assert_eq!(bits(&out), bits(&at_once), "{process}");
                // in strips of cells (of uneven lengths), the first lanes added and the last folded at the end
                let mut strips = fresh();
                let bounds = [0, 5, 300, 301, 1037];
                for w in bounds.windows(2) {
                    let part = strip(&all[..3], w[0], w[1]);
                    strips.add(w[0], &part.iter().map(Vec::as_slice).collect::<Vec<_>>());
                }
                for w in bounds.windows(2) {
                    let part = strip(&all[3..], w[0], w[1]);
                    let lanes: Vec<&[f32]> = part.iter().map(Vec::as_slice).collect();
                    strips.values_into(w[0], &lanes, &mut out[w[0]..w[1]]);
                }
                assert_eq!(bits(&out), bits(&at_once), "{process}");
                // a short last lane leaves the cells after it to the lanes before
                let mut short = fresh();
                short.add(0, &all[..5]);
                short.values_into(0, &[&all[5][..1000]], &mut out);
                assert_eq!(bits(&out[..1000]), bits(&at_once[..1000]), "{process}");
                let mut reference = vec![0f32; 1037];
                let mut five = fresh();
                five.add(0, &all[..5]);
                five.values_into(0, &[], &mut reference);
                assert_eq!(bits(&out[1000..]), bits(&reference[1000..]), "{process}");
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
