//! climatological_normal (<https://processes.openeo.org/#climatological_normal>) and anomaly
//! (<https://processes.openeo.org/#anomaly>). Normals are the mean per period of the year (`day` `001`–`366`,
//! `month` `01`–`12`, `season` `djf`…, `tropical-season` `ndjfma`/`mjjaso`) over the climatology years, a season
//! starting in the December (November) before the first year counting; `climatology-period` gives one normal.
//! `anomaly` subtracts from every instant or period of the data the normal of its period of the year (one normal
//! for `year`, `decade`, `decade-ad`, `climatology-period` and `single-period`).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use openeo_engine::{CellFn, Labels, Period};

use super::aggregate::{CalendarPeriod, only_temporal_axis};
use super::cell_fns::{Difference, Mean};
use crate::graph::Args;
use crate::{Ctx, Result, Value};

/// The year of a `climatology_period` element (an integer or a year string).
fn year(args: &Args, v: &Value) -> Result<i32> {
    let y = match v {
        Value::Number(n) if n.fract() == 0.0 => Some(*n as i32),
        Value::Text(s) => s.parse().ok(),
        _ => None,
    };
    y.filter(|y| (0..=9999).contains(y))
        .ok_or_else(|| args.invalid("climatology_period", "expected two years"))
}

/// The key of `t` within a year (`06`, `153`, `jja`, …) for `period`, or `None` for periods with one normal.
fn period_of_year(period: CalendarPeriod, t: &DateTime<Utc>) -> String {
    let label = period.label(period.start(t.naive_utc()));
    match period {
        // `2020-06-01-13` → `13`
        CalendarPeriod::Hour => label[label.len() - 2..].to_string(),
        // `2020-06` → `06`, `2019-djf` → `djf`
        _ => label.split_once('-').map_or(label.clone(), |(_, k)| k.to_string()),
    }
}

/// The period-of-year labels of a complete year, in order.
fn keys(name: &str) -> Vec<String> {
    match name {
        "day" => (1..=366).map(|d| format!("{d:03}")).collect(),
        "month" => (1..=12).map(|m| format!("{m:02}")).collect(),
        "season" => ["djf", "mam", "jja", "son"].map(String::from).to_vec(),
        "tropical-season" => ["ndjfma", "mjjaso"].map(String::from).to_vec(),
        _ => Vec::new(),
    }
}

pub(super) fn climatological_normal(args: &mut Args, _: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let name = args.string("period")?;
    let Value::Array(years, _) = args.get("climatology_period")? else {
        return Err(args.invalid("climatology_period", "expected two years"));
    };
    let [first, last] = years.as_slice() else {
        return Err(args.invalid("climatology_period", "expected two years"));
    };
    let (y0, y1) = (year(args, first)?, year(args, last)?);
    if y0 > y1 {
        return Err(args.invalid("climatology_period", "the first year is after the last one"));
    }
    let axis = only_temporal_axis(&cube)?;
    let times = cube.meta().dims()[axis].labels().instants().unwrap_or_default();
    let day = |y: i32, m: u32| {
        NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
    };
    // seasons that start in the year before the period count when they end inside it
    let lead = match name.as_str() {
        "season" => 12,
        "tropical-season" => 11,
        _ => 1,
    };
    let from = if lead == 1 { day(y0, 1) } else { day(y0 - 1, lead) };
    let (Some(from), Some(to)) = (from, day(y1 + 1, 1)) else {
        return Err(args.invalid("climatology_period", "expected two years"));
    };
    let inside: Vec<usize> = (0..times.len())
        .filter(|&i| times[i] >= from && times[i] < to)
        .collect();
    let start = day(y0, 1).unwrap_or(from);
    let (labels, members): (Vec<String>, Vec<Vec<usize>>) = if name == "climatology-period" {
        (vec![format!("{y0}-{y1}")], vec![inside])
    } else {
        let period = CalendarPeriod::parse(&name)
            .filter(|_| !keys(&name).is_empty())
            .ok_or_else(|| args.invalid("period", format!("unknown period '{name}' for normals")))?;
        let all = keys(&name);
        let members = all
            .iter()
            .map(|k| {
                inside
                    .iter()
                    .copied()
                    .filter(|&i| period_of_year(period, &times[i]) == *k)
                    .collect()
            })
            .collect();
        (all, members)
    };
    let mean: Arc<dyn CellFn> = Arc::new(Mean);
    let groups = members.into_iter().map(|m| (m, Some(mean.clone()))).collect();
    let periods = labels.into_iter().map(|label| Period { label, start }).collect();
    Ok(Value::Cube(Box::new(cube.reduce_groups(
        axis,
        groups,
        Labels::Periods(periods),
    )?)))
}

pub(super) fn anomaly(args: &mut Args, _: &Ctx) -> Result<Value> {
    let data = args.cube("data")?;
    let normals = args.cube("normals")?;
    let name = args.string("period")?;
    let axis = only_temporal_axis(&data)?;
    let n_axis = only_temporal_axis(&normals)?;
    let dim = &data.meta().dims()[axis];
    let times = dim.labels().instants().unwrap_or_default();
    let normal_labels = normals.meta().dims()[n_axis].labels().to_strings();
    let single = ["year", "decade", "decade-ad", "climatology-period", "single-period"].contains(&name.as_str());
    let index: Vec<usize> = if single {
        if normal_labels.len() != 1 {
            return Err(args.invalid("normals", format!("period '{name}' needs exactly one normal")));
        }
        vec![0; times.len()]
    } else {
        let period =
            CalendarPeriod::parse(&name).ok_or_else(|| args.invalid("period", format!("unknown period '{name}'")))?;
        times
            .iter()
            .map(|t| {
                let key = period_of_year(period, t);
                normal_labels
                    .iter()
                    .position(|l| *l == key)
                    .ok_or_else(|| crate::Error::LabelNotAvailable {
                        message: format!("the normals have no label '{key}' for {}", t.to_rfc3339()),
                    })
            })
            .collect::<Result<_>>()?
    };
    // the normals in the data's order, under the data's labels and dimension name, subtracted from the data
    let mut aligned = normals.select(n_axis, &index)?.relabel(n_axis, dim.labels().clone())?;
    let own = aligned.meta().dims()[n_axis].name().to_string();
    if own != dim.name() {
        aligned = aligned.rename_dimension(&own, dim.name())?;
    }
    Ok(Value::Cube(Box::new(data.merge(&aligned, Some(Arc::new(Difference)))?)))
}

#[cfg(test)]
mod tests {
    use super::{CalendarPeriod, period_of_year};

    #[test]
    fn periods_of_the_year() {
        let t = "2019-12-15T10:30:00Z".parse().unwrap();
        assert_eq!(period_of_year(CalendarPeriod::Month, &t), "12");
        assert_eq!(period_of_year(CalendarPeriod::Season, &t), "djf");
        assert_eq!(period_of_year(CalendarPeriod::TropicalSeason, &t), "ndjfma");
        assert_eq!(period_of_year(CalendarPeriod::Day, &t), "349");
        assert_eq!(period_of_year(CalendarPeriod::Hour, &t), "10");
    }
}
