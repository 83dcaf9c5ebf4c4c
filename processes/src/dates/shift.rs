//! date_shift: a date or date-time moved by a number of milliseconds, seconds, minutes, hours, days, weeks,
//! months or years.
//!
//! The result keeps the form of the input: a date gives a date (the date of the shifted midnight UTC, so
//! `-1 hour` gives the day before); a date-time gives a date-time in the same time zone offset (`Z` stays `Z`),
//! with as many digits of the fraction of a second as the input had, or more where the result needs them
//! (milliseconds, then micro- and nanoseconds). Days, weeks, months and years change the date only, the local time
//! stays; a day that does not exist in the target month becomes the month's last day (`2020-01-31` plus a month is
//! `2020-02-29`). Leap seconds are read as the second before them and never given.

use chrono::{DateTime, FixedOffset, Months, NaiveDate, NaiveDateTime, TimeDelta, Timelike};

use super::temporal::{Temporal, parse};
use crate::graph::Args;
use crate::{Ctx, Result, Value};

/// The largest shift accepted, in any unit: beyond it every result is outside the years 0000 to 9999 anyway.
const MAX_VALUE: f64 = 1e15;

/// Shifts the local date and time `t` by `value` `unit`s; `None` when the result does not exist.
fn shift(t: NaiveDateTime, value: i64, unit: &str) -> Option<NaiveDateTime> {
    let months = |n: i64| -> Option<NaiveDateTime> {
        let m = Months::new(u32::try_from(n.unsigned_abs()).ok()?);
        if n >= 0 {
            t.checked_add_months(m)
        } else {
            t.checked_sub_months(m)
        }
    };
    let delta = match unit {
        "millisecond" => TimeDelta::try_milliseconds(value)?,
        "second" => TimeDelta::try_seconds(value)?,
        "minute" => TimeDelta::try_minutes(value)?,
        "hour" => TimeDelta::try_hours(value)?,
        "day" => TimeDelta::try_days(value)?,
        "week" => TimeDelta::try_weeks(value)?,
        "month" => return months(value),
        "year" => return months(value.checked_mul(12)?),
        _ => return None,
    };
    t.checked_add_signed(delta)
}

/// The digits of the fraction of a second to write `nanos` with: the input's `fraction` digits when they write it
/// exactly, else the fewest of 3, 6 or 9 that do.
fn digits(nanos: u32, fraction: usize) -> usize {
    let fraction = fraction.min(9);
    let exact = |d: usize| nanos.is_multiple_of(10u32.pow((9 - d) as u32));
    if exact(fraction) {
        fraction
    } else {
        [3, 6].into_iter().find(|d| *d >= fraction && exact(*d)).unwrap_or(9)
    }
}

/// An RFC 3339 date-time with `fraction` digits of the second (at least), `Z` for UTC when `zulu`.
fn format_date_time(at: DateTime<FixedOffset>, zulu: bool, fraction: usize) -> String {
    let nanos = at.nanosecond();
    let digits = digits(nanos, fraction);
    let mut out = at.format("%Y-%m-%dT%H:%M:%S").to_string();
    if digits > 0 {
        out.push('.');
        out.push_str(&format!("{nanos:09}")[..digits]);
    }
    if zulu && at.offset().local_minus_utc() == 0 {
        out.push('Z');
    } else {
        out.push_str(&at.format("%:z").to_string());
    }
    out
}

/// True when the year of `d` can be written with four digits.
fn in_range(d: NaiveDate) -> bool {
    use chrono::Datelike;
    (0..=9999).contains(&d.year())
}

/// date_shift: `date` moved by `value` `unit`s.
pub(super) fn date_shift(args: &mut Args, _: &Ctx) -> Result<Value> {
    let date = match args.get("date")? {
        Value::Null => return Ok(Value::Null),
        Value::Text(s) => s,
        other => {
            return Err(args.invalid(
                "date",
                format!("expected a date or a date-time, got {}", other.type_name()),
            ));
        }
    };
    let value = match args.get("value")? {
        Value::Number(n) if n.fract() == 0.0 && n.abs() <= MAX_VALUE => n as i64,
        Value::Number(n) if n.fract() == 0.0 => {
            return Err(args.invalid("value", format!("{n} is too large a shift")));
        }
        other => return Err(args.invalid("value", format!("expected an integer, got {}", other.to_json()))),
    };
    let unit = args.string("unit")?;
    if ![
        "millisecond",
        "second",
        "minute",
        "hour",
        "day",
        "week",
        "month",
        "year",
    ]
    .contains(&unit.as_str())
    {
        return Err(args.invalid("unit", format!("'{unit}' is not one of the units")));
    }
    let out_of_range = || {
        args.invalid(
            "value",
            format!("'{date}' shifted by {value} {unit}s is not a date in the years 0000 to 9999"),
        )
    };
    match parse(&date) {
        Some(Temporal::Date(d)) => {
            let t = shift(d.and_time(chrono::NaiveTime::MIN), value, &unit).ok_or_else(out_of_range)?;
            if !in_range(t.date()) {
                return Err(out_of_range());
            }
            Ok(Value::Text(t.date().format("%Y-%m-%d").to_string()))
        }
        Some(Temporal::DateTime { at, zulu, fraction }) => {
            let offset = *at.offset();
            let local = shift(at.naive_local(), value, &unit).ok_or_else(out_of_range)?;
            if !in_range(local.date()) {
                return Err(out_of_range());
            }
            let at = local.and_local_timezone(offset).single().ok_or_else(out_of_range)?;
            Ok(Value::Text(format_date_time(at, zulu, fraction)))
        }
        Some(Temporal::Time(_)) | None => Err(args.invalid("date", format!("'{date}' is not a date or a date-time"))),
    }
}
