//! date_difference: the time from `date1` to `date2` in a unit, negative when `date2` is earlier.
//!
//! Dates are midnight UTC and date-times instants (a leap second is read as the second before it, see
//! [`super::temporal`]). Milliseconds to weeks are fixed lengths. Months and years follow the calendar: the whole
//! months (or years) from the earlier instant that fit before the later one, as ``date_shift`` adds them (a day
//! the month lacks is its last day), plus the part left of the next one, as a fraction of its length.

use chrono::{DateTime, Datelike, Months, TimeDelta, Utc};

use super::temporal::parse;
use crate::graph::Args;
use crate::{Ctx, Result, Value};

/// The argument `name` as an instant.
fn instant(args: &Args, name: &str) -> Result<DateTime<Utc>> {
    let text = match args.get(name)? {
        Value::Text(s) => s,
        other => {
            return Err(args.invalid(
                name,
                format!("expected a date or a date-time, got {}", other.type_name()),
            ));
        }
    };
    parse(&text)
        .as_ref()
        .and_then(|t| t.instant())
        .ok_or_else(|| args.invalid(name, format!("'{text}' is not a date or a date-time")))
}

/// A duration in seconds, with its fraction.
fn seconds(d: TimeDelta) -> f64 {
    d.num_seconds() as f64 + f64::from(d.subsec_nanos()) / 1e9
}

/// The calendar steps of `months` months from `from` to `to` (`from` ≤ `to`): the whole steps, plus the part of
/// the next step that is left. `None` beyond the calendar chrono knows.
fn steps(from: DateTime<Utc>, to: DateTime<Utc>, months: u32) -> Option<f64> {
    let after = |n: u32| from.checked_add_months(Months::new(n.checked_mul(months)?));
    let apart = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    // at most one step too many: the day or time of `to` may lie before that of `from`
    let mut n = u32::try_from(apart).ok()? / months;
    while n > 0 && after(n)? > to {
        n -= 1;
    }
    let (start, end) = (after(n)?, after(n + 1)?);
    Some(f64::from(n) + seconds(to - start) / seconds(end - start))
}

/// date_difference: the time from `date1` to `date2` in `unit`s.
pub(super) fn date_difference(args: &mut Args, _: &Ctx) -> Result<Value> {
    let (from, to) = (instant(args, "date1")?, instant(args, "date2")?);
    let unit = args.string("unit")?;
    let fixed = |length: f64| Some(seconds(to - from) / length);
    let calendar = |months: u32| {
        if to < from {
            steps(to, from, months).map(|v| -v)
        } else {
            steps(from, to, months)
        }
    };
    let value = match unit.as_str() {
        "millisecond" => fixed(0.001),
        "second" => fixed(1.0),
        "minute" => fixed(60.0),
        "hour" => fixed(3600.0),
        "day" => fixed(86_400.0),
        "week" => fixed(604_800.0),
        "month" => calendar(1),
        "year" => calendar(12),
        _ => return Err(args.invalid("unit", format!("'{unit}' is not one of the units"))),
    };
    value
        .map(Value::Number)
        .ok_or_else(|| args.invalid("unit", format!("the difference in {unit}s is beyond the calendar")))
}

#[cfg(test)]
mod tests {
    use crate::testutil::{call, ctx};
    use crate::{Result, Value};

    fn difference(date1: &str, date2: &str, unit: &str) -> Result<Value> {
        let args = [
            ("date1", Value::Text(date1.into())),
            ("date2", Value::Text(date2.into())),
            ("unit", Value::Text(unit.into())),
        ];
        call("date_difference", &args, &ctx())
    }

    fn number(date1: &str, date2: &str, unit: &str) -> f64 {
        match difference(date1, date2, unit) {
            Ok(Value::Number(n)) => n,
            other => panic!("{date1} {date2} {unit}: {other:?}"),
        }
    }

    #[test]
    fn fixed_units() {
        assert_eq!(number("2020-01-01", "2020-01-01T00:00:01.5Z", "millisecond"), 1500.0);
        assert_eq!(number("2020-01-01", "2020-01-01T01:30:00+01:00", "minute"), 30.0);
        assert_eq!(number("2020-01-15", "2020-01-01", "week"), -2.0);
        assert_eq!(number("2020-01-01T12:00:00Z", "2020-01-02", "day"), 0.5);
        assert_eq!(number("0000-01-01", "9999-12-31", "day"), 3_652_424.0);
    }

    /// Months and years count calendar steps, then the fraction of the next one.
    #[test]
    fn calendar_units() {
        assert_eq!(number("2020-01-31", "2020-02-29", "month"), 1.0);
        assert_eq!(number("2020-01-31", "2020-03-31", "month"), 2.0);
        assert_eq!(number("2020-02-01", "2020-02-15T12:00:00Z", "month"), 0.5);
        assert_eq!(number("2020-03-16", "2020-02-01", "month"), -(1.0 + 15.0 / 31.0));
        assert_eq!(number("2020-01-02", "2020-02-01", "month"), 30.0 / 31.0);
        assert_eq!(number("2019-07-01", "2021-01-01", "year"), 1.0 + 184.0 / 365.0);
        assert_eq!(number("2020-02-29", "2021-02-28", "year"), 1.0);
        assert_eq!(number("2020-06-01", "2020-06-01", "year"), 0.0);
    }

    #[test]
    fn refuses_what_is_no_instant() {
        let code = |d1: &str, d2: &str, unit: &str| difference(d1, d2, unit).unwrap_err().code().to_string();
        assert_eq!(code("12:00:00", "2020-01-01", "second"), "ProcessParameterInvalid");
        assert_eq!(code("2020-01-01", "2020-13-01", "second"), "ProcessParameterInvalid");
        assert_eq!(code("2020-01-01", "2020-01-02", "fortnight"), "ProcessParameterInvalid");
        let null = [("date1", Value::Null), ("date2", Value::Text("2020-01-01".into()))];
        assert_eq!(
            call("date_difference", &null, &ctx()).unwrap_err().code(),
            "ProcessParameterInvalid"
        );
    }
}
