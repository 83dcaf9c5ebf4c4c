//! Date and time processes: date_between ([`between`]), date_difference ([`difference`]) and date_shift
//! ([`shift`]), on temporal strings ([`temporal`]). They work on plain values: the cells of a data cube are numbers,
//! so inside callbacks they apply to texts such as temporal labels only.

mod between;
mod difference;
mod shift;
mod temporal;

use crate::registry::ProcessDef;

/// The processes of this family.
pub(crate) fn processes() -> Vec<ProcessDef> {
    vec![
        ProcessDef::new(include_str!("specs/date_between.json"), between::date_between),
        ProcessDef::new(include_str!("specs/date_difference.json"), difference::date_difference),
        ProcessDef::new(include_str!("specs/date_shift.json"), shift::date_shift),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testutil::{call, ctx};
    use crate::{Result, Value};

    fn shift(date: &str, value: f64, unit: &str) -> Result<Value> {
        let args = [
            ("date", Value::Text(date.into())),
            ("value", Value::Number(value)),
            ("unit", Value::Text(unit.into())),
        ];
        call("date_shift", &args, &ctx())
    }

    fn shifted(date: &str, value: f64, unit: &str) -> String {
        match shift(date, value, unit) {
            Ok(Value::Text(t)) => t,
            other => panic!("{date} {value} {unit}: {other:?}"),
        }
    }

    /// The results keep the input's form: date or date-time, offset, `Z`, digits of the fraction.
    #[test]
    fn shift_keeps_the_form_of_the_input() {
        assert_eq!(shifted("2020-02-01T17:22:45Z", 6.0, "month"), "2020-08-01T17:22:45Z");
        assert_eq!(
            shifted("2021-03-31T00:00:00+02:00", -7.0, "day"),
            "2021-03-24T00:00:00+02:00"
        );
        assert_eq!(shifted("2020-02-29T17:22:45Z", 1.0, "year"), "2021-02-28T17:22:45Z");
        assert_eq!(shifted("2020-01-31", 1.0, "month"), "2020-02-29");
        assert_eq!(shifted("2020-03-31", -1.0, "month"), "2020-02-29");
        assert_eq!(shifted("2016-12-31T23:59:59Z", 1.0, "second"), "2017-01-01T00:00:00Z");
        assert_eq!(
            shifted("2018-12-31T17:22:45Z", 1150.0, "millisecond"),
            "2018-12-31T17:22:46.150Z"
        );
        assert_eq!(shifted("2018-01-01", 25.0, "hour"), "2018-01-02");
        assert_eq!(shifted("2018-01-01", -1.0, "hour"), "2017-12-31");
        assert_eq!(shifted("2020-01-01T10:00:00.5Z", 1.0, "week"), "2020-01-08T10:00:00.5Z");
        assert_eq!(
            shifted("2020-01-01T10:00:00.500Z", -500.0, "millisecond"),
            "2020-01-01T10:00:00.000Z"
        );
        assert_eq!(
            shifted("2020-01-01T10:00:00.123456Z", 1.0, "millisecond"),
            "2020-01-01T10:00:00.124456Z"
        );
        assert_eq!(
            shifted("2020-01-01T23:30:00-05:30", 1.0, "hour"),
            "2020-01-02T00:30:00-05:30"
        );
        assert_eq!(
            shifted("2020-01-01T00:00:00+00:00", 1.0, "minute"),
            "2020-01-01T00:01:00+00:00"
        );
        assert_eq!(shifted("2020-01-01t00:00:00z", 0.0, "day"), "2020-01-01T00:00:00Z");
        // a leap second is read as the second before it
        assert_eq!(shifted("2016-12-31T23:59:60Z", 0.0, "second"), "2016-12-31T23:59:59Z");
        assert_eq!(
            shifted("2016-12-31T23:59:60.5Z", 1.0, "second"),
            "2017-01-01T00:00:00.5Z"
        );
        assert!(matches!(shift_null(), Ok(Value::Null)));
    }

    fn shift_null() -> Result<Value> {
        let args = [
            ("date", Value::Null),
            ("value", Value::Number(1.0)),
            ("unit", Value::Text("day".into())),
        ];
        call("date_shift", &args, &ctx())
    }

    #[test]
    fn shift_refuses_what_it_cannot_give() {
        let code = |date: &str, value: f64, unit: &str| shift(date, value, unit).unwrap_err().code().to_string();
        assert_eq!(code("2020-01-01", 1.5, "day"), "ProcessParameterInvalid");
        assert_eq!(code("2020-01-01", 1.0, "fortnight"), "ProcessParameterInvalid");
        assert_eq!(code("9999-12-31", 1.0, "day"), "ProcessParameterInvalid");
        assert_eq!(code("0000-01-01T00:00:00Z", -1.0, "second"), "ProcessParameterInvalid");
        assert_eq!(code("2020-01-01", 1e300, "year"), "ProcessParameterInvalid");
        assert_eq!(code("2020-01-01", 1e15, "millisecond"), "ProcessParameterInvalid");
        assert_eq!(code("12:00:00", 1.0, "hour"), "ProcessParameterInvalid");
        assert_eq!(code("2020-13-01", 1.0, "day"), "ProcessParameterInvalid");
        assert_eq!(code("yesterday", 1.0, "day"), "ProcessParameterInvalid");
    }

    fn between(x: Value, min: &str, max: &str, exclude_max: bool) -> Result<Value> {
        let args = [
            ("x", x),
            ("min", Value::Text(min.into())),
            ("max", Value::Text(max.into())),
            ("exclude_max", Value::Bool(exclude_max)),
        ];
        call("date_between", &args, &ctx())
    }

    fn is_between(x: &str, min: &str, max: &str, exclude_max: bool) -> bool {
        match between(Value::Text(x.into()), min, max, exclude_max) {
            Ok(Value::Bool(b)) => b,
            other => panic!("{x} {min} {max}: {other:?}"),
        }
    }

    #[test]
    fn between_bounds() {
        assert!(is_between("2021-06-01", "2021-01-01", "2022-01-01", false));
        assert!(is_between("2022-01-01", "2021-01-01", "2022-01-01", false));
        assert!(!is_between("2022-01-01", "2021-01-01", "2022-01-01", true));
        assert!(is_between("2021-12-31T23:59:59.999Z", "2021-01-01", "2022-01-01", true));
        // instants, whatever the offset they are written with
        assert!(is_between(
            "2022-01-01T01:00:00+02:00",
            "2021-01-01",
            "2022-01-01",
            true
        ));
        assert!(!is_between(
            "2022-01-01T01:00:00-02:00",
            "2021-01-01",
            "2022-01-01",
            false
        ));
        // swapped bounds
        assert!(!is_between("2021-06-01", "2022-01-01", "2021-01-01", false));
        assert!(is_between("12:00:00", "08:00:00", "12:00:00", false));
        assert!(!is_between("12:00:00", "08:00:00", "12:00:00", true));
        assert!(matches!(
            between(Value::Null, "2021-01-01", "2022-01-01", false),
            Ok(Value::Null)
        ));
        let code = |x: Value, min: &str, max: &str| between(x, min, max, false).unwrap_err().code().to_string();
        assert_eq!(
            code(Value::Text("12:00:00".into()), "2021-01-01", "2022-01-01"),
            "ProcessParameterInvalid"
        );
        assert_eq!(
            code(Value::Text("2021".into()), "2021-01-01", "2022-01-01"),
            "ProcessParameterInvalid"
        );
        assert_eq!(
            code(Value::Number(1.0), "2021-01-01", "2022-01-01"),
            "ProcessParameterInvalid"
        );
        assert_eq!(
            code(Value::Text("2021-06-01".into()), "25:00:00", "2022-01-01"),
            "ProcessParameterInvalid"
        );
    }
}
