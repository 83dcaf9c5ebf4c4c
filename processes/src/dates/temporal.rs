//! Temporal strings as the date processes take them: RFC 3339 date-times (with their time zone offset), dates
//! (`YYYY-MM-DD`, midnight UTC) and times of day (`HH:MM:SS`, UTC). Years have four digits, as RFC 3339 has it.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Timelike, Utc};

/// A parsed temporal string.
#[derive(Clone, Copy, Debug)]
pub(super) enum Temporal {
    /// A date and time with its offset; `zulu` when it was written with `Z`, `fraction` the number of digits of
    /// its fraction of a second. A leap second (`:60`) is read as the second before it.
    DateTime {
        at: DateTime<FixedOffset>,
        zulu: bool,
        fraction: usize,
    },
    /// A date without time.
    Date(NaiveDate),
    /// A time of day without date.
    Time(NaiveTime),
}

impl Temporal {
    /// The instant of a date-time, or of a date (its midnight UTC); `None` for a time of day.
    pub(super) fn instant(&self) -> Option<DateTime<Utc>> {
        match self {
            Temporal::DateTime { at, .. } => Some(at.to_utc()),
            Temporal::Date(d) => Some(d.and_time(NaiveTime::MIN).and_utc()),
            Temporal::Time(_) => None,
        }
    }
}

/// Parses a date-time, a date or a time of day.
pub(super) fn parse(s: &str) -> Option<Temporal> {
    let b = s.as_bytes();
    if b.len() == 8
        && b[2] == b':'
        && b[5] == b':'
        && b.iter().enumerate().all(|(i, c)| i % 3 == 2 || c.is_ascii_digit())
    {
        return NaiveTime::parse_from_str(s, "%H:%M:%S").ok().map(Temporal::Time);
    }
    if !(b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit)) {
        return None;
    }
    if b.len() == 10 {
        return NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(Temporal::Date);
    }
    let at = DateTime::parse_from_rfc3339(s).ok()?;
    let nanos = at.timestamp_subsec_nanos();
    let at = if nanos >= 1_000_000_000 {
        at.with_nanosecond(nanos - 1_000_000_000)?
    } else {
        at
    };
    let zulu = s.ends_with(['Z', 'z']);
    // the fraction's digits follow the '.' after the seconds (position 19)
    let fraction = match b.get(19) {
        Some(b'.') => b[20..].iter().take_while(|c| c.is_ascii_digit()).count(),
        _ => 0,
    };
    Some(Temporal::DateTime { at, zulu, fraction })
}
