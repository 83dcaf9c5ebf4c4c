//! date_between: whether `x` is at or after `min` and at or before `max` (before `max` with `exclude_max`).
//! Dates and date-times are compared as instants (a date is midnight UTC); times of day are compared with times of
//! day only. Swapped bounds give `false`; a no-data `x` gives no-data.

use std::cmp::Ordering;

use super::temporal::{Temporal, parse};
use crate::graph::Args;
use crate::{Ctx, Result, Value};

/// A point in time to compare: an instant in UTC, or a time of day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Point {
    Instant(chrono::DateTime<chrono::Utc>),
    TimeOfDay(chrono::NaiveTime),
}

/// The argument `name` (value `v`) as a point in time.
fn point(args: &Args, name: &str, v: &Value) -> Result<Point> {
    let Value::Text(s) = v else {
        return Err(args.invalid(
            name,
            format!("expected a date, a date-time or a time, got {}", v.type_name()),
        ));
    };
    match parse(s) {
        Some(Temporal::Time(t)) => Ok(Point::TimeOfDay(t)),
        other => other
            .as_ref()
            .and_then(Temporal::instant)
            .map(Point::Instant)
            .ok_or_else(|| args.invalid(name, format!("'{s}' is not a date, a date-time or a time"))),
    }
}

/// date_between: whether `x` lies between `min` and `max`.
pub(super) fn date_between(args: &mut Args, _: &Ctx) -> Result<Value> {
    let x = args.get("x")?;
    if matches!(x, Value::Null) {
        return Ok(Value::Null);
    }
    let x = point(args, "x", &x)?;
    let min = point(args, "min", &args.get("min")?)?;
    let max = point(args, "max", &args.get("max")?)?;
    let times = [x, min, max]
        .iter()
        .filter(|p| matches!(p, Point::TimeOfDay(_)))
        .count();
    if times != 0 && times != 3 {
        return Err(args.invalid(
            "x",
            "times of day can only be compared with times of day, not with dates or date-times",
        ));
    }
    let exclude_max = args.bool("exclude_max")?;
    let below_max = match x.cmp(&max) {
        Ordering::Less => true,
        Ordering::Equal => !exclude_max,
        Ordering::Greater => false,
    };
    Ok(Value::Bool(min <= max && x >= min && below_max))
}
