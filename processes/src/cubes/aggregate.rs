//! aggregate_temporal (<https://processes.openeo.org/#aggregate_temporal>) and aggregate_temporal_period
//! (<https://processes.openeo.org/#aggregate_temporal_period>): the instants of a temporal dimension are grouped
//! into intervals or calendar periods and every group is reduced by the reducer; a group without instants is
//! no-data. Period labels are written as the specification has them (`2022-06`, `2022-jja`, `2022-W` weeks as
//! `2022-23` from ISO 8601, dekads numbered 01–36 in the year), and the periods are complete from the first
//! instant's period to the last one's.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use openeo_engine::{CellFn, Cube, DimensionKind, Labels, Period};

use super::coded;
use crate::graph::args::parse_instant;
use crate::graph::callback::Inputs;
use crate::graph::{Args, CallbackFn};
use crate::{Ctx, Result, Value};

/// The temporal axis the argument `dimension` names, or the only one.
pub(super) fn temporal_axis(args: &Args, cube: &Cube) -> Result<usize> {
    match args.opt_string("dimension")? {
        Some(name) => {
            let axis = cube.meta().axis(&name)?;
            if cube.meta().dims()[axis].kind() != DimensionKind::Temporal {
                return Err(args.invalid("dimension", format!("dimension '{name}' is not temporal")));
            }
            Ok(axis)
        }
        None => only_temporal_axis(cube),
    }
}

/// The cube's only temporal axis.
pub(super) fn only_temporal_axis(cube: &Cube) -> Result<usize> {
    match cube.meta().axes_of_kind(DimensionKind::Temporal).as_slice() {
        [one] => Ok(*one),
        [] => Err(openeo_engine::Error::DimensionNotAvailable {
            dimension: "t".into(),
            available: cube.meta().dimension_names().join(", "),
        }
        .into()),
        _ => Err(coded(
            "TooManyDimensions",
            "the data cube has several temporal dimensions; name one with 'dimension'",
        )),
    }
}

/// Reduces the groups (`members` of the axis' labels, one per output label) with the reducer.
fn reduce_groups(
    args: &Args,
    ctx: &Ctx,
    cube: &Cube,
    axis: usize,
    members: Vec<Vec<usize>>,
    labels: Vec<Period>,
) -> Result<Value> {
    let reducer = args.callback("reducer")?;
    let context = args.get("context")?;
    let names = cube.meta().dims()[axis].labels().to_strings();
    let mut groups = Vec::with_capacity(members.len());
    for m in members {
        let f = if m.is_empty() {
            None
        } else {
            let labels: Arc<[String]> = m.iter().map(|&i| names[i].clone()).collect();
            let f = CallbackFn::try_new(
                reducer.clone(),
                Inputs::Array { name: "data", labels },
                context.clone(),
                ctx,
            )?;
            Some(Arc::new(f) as Arc<dyn CellFn>)
        };
        groups.push((m, f));
    }
    Ok(Value::Cube(Box::new(cube.reduce_groups(
        axis,
        groups,
        Labels::Periods(labels),
    )?)))
}

/// The instants of the axis.
fn instants(cube: &Cube, axis: usize) -> Vec<DateTime<Utc>> {
    cube.meta().dims()[axis].labels().instants().unwrap_or_default()
}

/// One bound of an interval of aggregate_temporal: open (`null`), an instant, or a time of day (`HH:MM:SS`, in
/// seconds after midnight UTC).
#[derive(Clone, Copy, PartialEq)]
enum Bound {
    Open,
    Instant(DateTime<Utc>),
    TimeOfDay(u32),
}

fn bound(v: &Value) -> Option<Bound> {
    match v {
        Value::Null => Some(Bound::Open),
        Value::Text(s) => match chrono::NaiveTime::parse_from_str(s, "%H:%M:%S") {
            Ok(t) if s.len() == 8 => Some(Bound::TimeOfDay(t.num_seconds_from_midnight())),
            _ => parse_instant(s).map(Bound::Instant),
        },
        _ => None,
    }
}

/// True when instant `t` lies in `[start, end)`; an interval of times of day that ends before it starts wraps
/// around midnight.
fn contains((start, end): (Bound, Bound), t: DateTime<Utc>) -> bool {
    let second = t.num_seconds_from_midnight();
    let after = match start {
        Bound::Open => true,
        Bound::Instant(s) => t >= s,
        Bound::TimeOfDay(s) => second >= s,
    };
    let before = match end {
        Bound::Open => true,
        Bound::Instant(e) => t < e,
        Bound::TimeOfDay(e) => second < e,
    };
    match (start, end) {
        (Bound::TimeOfDay(s), Bound::TimeOfDay(e)) if e <= s => after || before,
        _ => after && before,
    }
}

pub(super) fn aggregate_temporal(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let axis = temporal_axis(args, &cube)?;
    let Value::Array(intervals, _) = args.get("intervals")? else {
        return Err(args.invalid("intervals", "expected an array of intervals"));
    };
    let bad = || {
        args.invalid(
            "intervals",
            "each interval is an array of two bounds: dates or date-times, times of day (HH:MM:SS) on both \
             sides, or null for an open end",
        )
    };
    let times = instants(&cube, axis);
    let mut bounds = Vec::with_capacity(intervals.len());
    for iv in &intervals {
        let Value::Array(pair, _) = iv else { return Err(bad()) };
        let [a, b] = pair.as_slice() else { return Err(bad()) };
        let (Some(start), Some(end)) = (bound(a), bound(b)) else {
            return Err(bad());
        };
        let empty = match (start, end) {
            (Bound::Instant(s), Bound::Instant(e)) => s >= e,
            (Bound::TimeOfDay(s), Bound::TimeOfDay(e)) => s == e,
            (Bound::TimeOfDay(_), Bound::Instant(_)) | (Bound::Instant(_), Bound::TimeOfDay(_)) => {
                return Err(bad());
            }
            _ => false,
        };
        if empty {
            return Err(openeo_engine::Error::TemporalExtentEmpty {
                start: a.to_json().to_string(),
                end: b.to_json().to_string(),
            }
            .into());
        }
        // the label: the start as written, or the end for an interval open at its start
        let label = match (a, b) {
            (Value::Text(s), _) | (Value::Null, Value::Text(s)) => s.clone(),
            _ => return Err(args.invalid("intervals", "an interval open at both ends")),
        };
        // where the period starts, for ordering: its start, or the first instant it holds
        let first = match start {
            Bound::Instant(s) => Some(s),
            _ => times.iter().copied().find(|&t| contains((start, end), t)),
        };
        bounds.push((label, (start, end), first.unwrap_or(DateTime::<Utc>::MIN_UTC)));
    }
    if bounds.is_empty() {
        return Err(args.invalid("intervals", "at least one interval is needed"));
    }
    let given = args.opt_strings("labels")?.unwrap_or_default();
    let labels: Vec<String> = if given.is_empty() {
        bounds.iter().map(|b| b.0.clone()).collect()
    } else if given.len() == bounds.len() {
        given
    } else {
        return Err(args.invalid(
            "labels",
            format!("{} labels for {} intervals", given.len(), bounds.len()),
        ));
    };
    let mut seen = std::collections::HashSet::new();
    if !labels.iter().all(|l| seen.insert(l)) {
        return Err(coded(
            "DistinctDimensionLabelsRequired",
            "the labels of the intervals are not distinct; give distinct 'labels'",
        ));
    }
    let members = bounds
        .iter()
        .map(|(_, iv, _)| (0..times.len()).filter(|&i| contains(*iv, times[i])).collect())
        .collect();
    let periods = labels
        .into_iter()
        .zip(&bounds)
        .map(|(label, b)| Period { label, start: b.2 })
        .collect();
    reduce_groups(args, ctx, &cube, axis, members, periods)
}

/// A calendar period of `aggregate_temporal_period`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum CalendarPeriod {
    Hour,
    Day,
    Week,
    Dekad,
    Month,
    Season,
    TropicalSeason,
    Year,
    Decade,
    DecadeAd,
}

impl CalendarPeriod {
    pub(super) fn parse(s: &str) -> Option<CalendarPeriod> {
        Some(match s {
            "hour" => CalendarPeriod::Hour,
            "day" => CalendarPeriod::Day,
            "week" => CalendarPeriod::Week,
            "dekad" => CalendarPeriod::Dekad,
            "month" => CalendarPeriod::Month,
            "season" => CalendarPeriod::Season,
            "tropical-season" => CalendarPeriod::TropicalSeason,
            "year" => CalendarPeriod::Year,
            "decade" => CalendarPeriod::Decade,
            "decade-ad" => CalendarPeriod::DecadeAd,
            _ => return None,
        })
    }

    /// The start of the period that contains `t`.
    pub(super) fn start(self, t: NaiveDateTime) -> NaiveDateTime {
        let d = t.date();
        let day = |y: i32, m: u32, dd: u32| {
            NaiveDate::from_ymd_opt(y, m, dd)
                .unwrap_or(d)
                .and_hms_opt(0, 0, 0)
                .unwrap_or(t)
        };
        // the first month of the season of month `m` (seasons starting in `firsts`), and the year it lies in
        let season_start = |firsts: &[u32]| {
            let m = d.month();
            let first = firsts.iter().rev().find(|&&f| f <= m).copied();
            match first {
                Some(f) => day(d.year(), f, 1),
                // before the first start of the year: the season began in the previous year
                None => day(d.year() - 1, firsts[firsts.len() - 1], 1),
            }
        };
        match self {
            CalendarPeriod::Hour => t.date().and_hms_opt(t.hour(), 0, 0).unwrap_or(t),
            CalendarPeriod::Day => day(d.year(), d.month(), d.day()),
            CalendarPeriod::Week => {
                let monday = d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
                day(monday.year(), monday.month(), monday.day())
            }
            CalendarPeriod::Dekad => day(d.year(), d.month(), [1, 11, 21][((d.day() - 1) / 10).min(2) as usize]),
            CalendarPeriod::Month => day(d.year(), d.month(), 1),
            CalendarPeriod::Season => season_start(&[3, 6, 9, 12]),
            CalendarPeriod::TropicalSeason => season_start(&[5, 11]),
            CalendarPeriod::Year => day(d.year(), 1, 1),
            CalendarPeriod::Decade => day(d.year() - d.year().rem_euclid(10), 1, 1),
            CalendarPeriod::DecadeAd => day(d.year() - (d.year() - 1).rem_euclid(10), 1, 1),
        }
    }

    /// The start of the period after the one starting at `s`.
    fn next(self, s: NaiveDateTime) -> NaiveDateTime {
        let months = |n: u32| s.checked_add_months(chrono::Months::new(n)).unwrap_or(s);
        match self {
            CalendarPeriod::Hour => s + Duration::hours(1),
            CalendarPeriod::Day => s + Duration::days(1),
            CalendarPeriod::Week => s + Duration::days(7),
            CalendarPeriod::Dekad => match s.day() {
                1 => s + Duration::days(10),
                11 => s + Duration::days(10),
                _ => months(1) - Duration::days(20),
            },
            CalendarPeriod::Month => months(1),
            CalendarPeriod::Season => months(3),
            CalendarPeriod::TropicalSeason => months(6),
            CalendarPeriod::Year => months(12),
            CalendarPeriod::Decade | CalendarPeriod::DecadeAd => months(120),
        }
    }

    /// The label of the period starting at `s`.
    pub(super) fn label(self, s: NaiveDateTime) -> String {
        let y = s.year();
        match self {
            CalendarPeriod::Hour => format!("{}-{:02}", s.format("%Y-%m-%d"), s.hour()),
            CalendarPeriod::Day => format!("{y:04}-{:03}", s.ordinal()),
            CalendarPeriod::Week => {
                let w = s.date().iso_week();
                format!("{:04}-{:02}", w.year(), w.week())
            }
            CalendarPeriod::Dekad => format!("{y:04}-{:02}", (s.month() - 1) * 3 + (s.day() - 1) / 10 + 1),
            CalendarPeriod::Month => format!("{y:04}-{:02}", s.month()),
            CalendarPeriod::Season => {
                let name = match s.month() {
                    12 => "djf",
                    3 => "mam",
                    6 => "jja",
                    _ => "son",
                };
                format!("{y:04}-{name}")
            }
            CalendarPeriod::TropicalSeason => {
                format!("{y:04}-{}", if s.month() == 11 { "ndjfma" } else { "mjjaso" })
            }
            CalendarPeriod::Year | CalendarPeriod::Decade | CalendarPeriod::DecadeAd => format!("{y:04}"),
        }
    }
}

/// The complete sequence of periods from the one of the first instant to the one of the last: their labels,
/// starts and the instants each holds.
fn periods(period: CalendarPeriod, times: &[DateTime<Utc>]) -> (Vec<Period>, Vec<Vec<usize>>) {
    let (Some(first), Some(last)) = (times.iter().min(), times.iter().max()) else {
        return (Vec::new(), Vec::new());
    };
    let mut out = Vec::new();
    let mut members = Vec::new();
    let mut s = period.start(first.naive_utc());
    while s <= last.naive_utc() {
        let e = period.next(s);
        out.push(Period {
            label: period.label(s),
            start: s.and_utc(),
        });
        members.push(
            (0..times.len())
                .filter(|&i| times[i].naive_utc() >= s && times[i].naive_utc() < e)
                .collect(),
        );
        s = e;
    }
    (out, members)
}

pub(super) fn aggregate_temporal_period(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let text = args.string("period")?;
    let period = CalendarPeriod::parse(&text).ok_or_else(|| {
        args.invalid(
            "period",
            format!("unknown period '{text}'; one of hour, day, week, dekad, month, season, tropical-season, year, decade, decade-ad"),
        )
    })?;
    let axis = temporal_axis(args, &cube)?;
    let (labels, members) = periods(period, &instants(&cube, axis));
    reduce_groups(args, ctx, &cube, axis, members, labels)
}

#[cfg(test)]
mod tests {
    use super::{CalendarPeriod, periods};
    use chrono::{DateTime, Utc};

    fn labels(period: &str, times: &[&str]) -> Vec<(String, Vec<usize>)> {
        let times: Vec<DateTime<Utc>> = times.iter().map(|t| t.parse().unwrap()).collect();
        let (p, m) = periods(CalendarPeriod::parse(period).unwrap(), &times);
        p.into_iter().map(|p| p.label).zip(m).collect()
    }

    fn names(v: &[(String, Vec<usize>)]) -> Vec<&str> {
        v.iter().map(|(l, _)| l.as_str()).collect()
    }

    #[test]
    fn periods_are_complete_and_labelled_as_the_specification_writes_them() {
        let t = [
            "2022-12-06T12:00:00Z",
            "2022-12-07T12:00:00Z",
            "2022-12-12T00:00:00Z",
            "2022-12-18T23:59:59Z",
            "2023-01-01T12:00:00Z",
        ];
        let w = labels("week", &t);
        assert_eq!(names(&w), ["2022-49", "2022-50", "2022-51", "2022-52"]);
        assert_eq!(w[0].1, [0, 1]);
        assert_eq!(w[1].1, [2, 3]);
        assert!(w[2].1.is_empty());
        let t = [
            "2024-01-28T00:00:00Z",
            "2024-01-31T00:00:00Z",
            "2024-02-01T00:00:00Z",
            "2024-02-10T00:00:00Z",
            "2024-02-29T00:00:00Z",
        ];
        assert_eq!(
            names(&labels("dekad", &t)),
            ["2024-03", "2024-04", "2024-05", "2024-06"]
        );
        let t = [
            "2023-12-28T00:00:00Z",
            "2024-02-29T00:00:00Z",
            "2024-03-01T00:00:00Z",
            "2024-04-10T00:00:00Z",
            "2024-11-30T00:00:00Z",
        ];
        let s = labels("season", &t);
        assert_eq!(names(&s), ["2023-djf", "2024-mam", "2024-jja", "2024-son"]);
        assert_eq!(s[0].1, [0, 1]);
        let t = [
            "2023-11-01T00:00:00Z",
            "2024-04-30T00:00:00Z",
            "2024-05-01T00:00:00Z",
            "2024-11-30T00:00:00Z",
        ];
        assert_eq!(
            names(&labels("tropical-season", &t)),
            ["2023-ndjfma", "2024-mjjaso", "2024-ndjfma"]
        );
        let t = ["2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z", "2041-01-01T00:00:00Z"];
        assert_eq!(names(&labels("decade-ad", &t)), ["2011", "2021", "2031", "2041"]);
        assert_eq!(names(&labels("decade", &t)), ["2020", "2030", "2040"]);
        let t = ["2020-06-01T00:00:00Z", "2020-06-01T12:00:59Z", "2020-06-04T00:00:00Z"];
        assert_eq!(
            names(&labels("day", &t)),
            ["2020-153", "2020-154", "2020-155", "2020-156"]
        );
        let t = ["2020-06-01T00:59:59Z", "2020-06-01T02:00:00Z"];
        assert_eq!(
            names(&labels("hour", &t)),
            ["2020-06-01-00", "2020-06-01-01", "2020-06-01-02"]
        );
        let t = ["2024-01-31T00:00:00Z", "2024-04-15T00:00:00Z"];
        assert_eq!(
            names(&labels("month", &t)),
            ["2024-01", "2024-02", "2024-03", "2024-04"]
        );
    }
}
