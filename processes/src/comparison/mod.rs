//! Comparison processes: eq, neq, gt, gte, lt, lte, between. See <https://processes.openeo.org>.
//!
//! At the top level the operands keep their types, as specified: a number, a boolean and a string are never equal
//! to each other, `gt`/`lt` are `false` unless both operands are numbers, `gte`/`lte` then fall back to `eq`, and
//! `null` gives `null`. Inside callbacks the per-cell fields are compared cell by cell (see
//! [`crate::math::cellwise`]); the result is a field of 1.0 (true) and 0.0 (false), NaN where an operand is
//! no-data.
//!
//! Departures inside callbacks: NaN is the cells' no-data marker, so a NaN cell gives no-data where IEEE 754 would
//! give `false` (or `true` for `neq`); booleans are the numbers 1.0 and 0.0, so `eq(x, true)` compares a cell with
//! 1.0; numbers are compared at the cells' `float32` precision (a cell holding 0.1 equals the threshold 0.1).

mod between;
mod compare;

use crate::registry::ProcessDef;

/// The processes of this family.
pub(crate) fn processes() -> Vec<ProcessDef> {
    vec![
        ProcessDef::new(include_str!("specs/eq.json"), compare::eq),
        ProcessDef::new(include_str!("specs/neq.json"), compare::neq),
        ProcessDef::new(include_str!("specs/gt.json"), compare::gt),
        ProcessDef::new(include_str!("specs/gte.json"), compare::gte),
        ProcessDef::new(include_str!("specs/lt.json"), compare::lt),
        ProcessDef::new(include_str!("specs/lte.json"), compare::lte),
        ProcessDef::new(include_str!("specs/between.json"), between::between),
    ]
}

#[cfg(test)]
mod tests {
    use crate::Value;
    use crate::testutil::{assert_cells, call, ctx, field};

    #[test]
    fn fields_compare_cell_by_cell() {
        let ctx = ctx();
        let x = field(&[0.1, 0.5, f32::NAN, 1.0]);
        let cmp = |id: &str, y: Value| call(id, &[("x", x.clone()), ("y", y)], &ctx).unwrap();
        assert_cells(&cmp("eq", Value::Number(0.1)), &[1.0, 0.0, f32::NAN, 0.0]);
        assert_cells(&cmp("neq", Value::Number(0.1)), &[0.0, 1.0, f32::NAN, 1.0]);
        assert_cells(&cmp("gt", Value::Number(0.1)), &[0.0, 1.0, f32::NAN, 1.0]);
        assert_cells(&cmp("gte", Value::Number(0.5)), &[0.0, 1.0, f32::NAN, 1.0]);
        assert_cells(&cmp("lt", Value::Null), &[f32::NAN; 4]);
        assert_cells(
            &cmp("lte", field(&[0.0, 1.0, 1.0, f32::NAN])),
            &[0.0, 1.0, f32::NAN, f32::NAN],
        );
        assert_cells(&cmp("eq", Value::Bool(true)), &[0.0, 0.0, f32::NAN, 1.0]);
        assert_cells(&cmp("eq", Value::Text("0.1".into())), &[0.0, 0.0, f32::NAN, 0.0]);
        assert_cells(&cmp("neq", Value::Text("0.1".into())), &[1.0, 1.0, f32::NAN, 1.0]);
        let near = [
            ("x", x.clone()),
            ("y", Value::Number(0.45)),
            ("delta", Value::Number(0.1)),
        ];
        assert_cells(&call("eq", &near, &ctx).unwrap(), &[0.0, 1.0, f32::NAN, 0.0]);
    }

    #[test]
    fn between_on_fields() {
        let ctx = ctx();
        let x = field(&[0.0, 0.5, 1.0, f32::NAN]);
        let run = |exclude: bool| {
            let args = [
                ("x", x.clone()),
                ("min", Value::Number(0.0)),
                ("max", Value::Number(1.0)),
                ("exclude_max", Value::Bool(exclude)),
            ];
            call("between", &args, &ctx).unwrap()
        };
        assert_cells(&run(false), &[1.0, 1.0, 1.0, f32::NAN]);
        assert_cells(&run(true), &[1.0, 1.0, 0.0, f32::NAN]);
        let swapped = [("x", x), ("min", Value::Number(1.0)), ("max", Value::Number(0.0))];
        assert_cells(&call("between", &swapped, &ctx).unwrap(), &[0.0, 0.0, 0.0, f32::NAN]);
    }

    #[test]
    fn bad_arguments() {
        let ctx = ctx();
        let delta = [
            ("x", Value::Number(1.0)),
            ("y", Value::Number(1.0)),
            ("delta", Value::Number(0.0)),
        ];
        assert_eq!(call("eq", &delta, &ctx).unwrap_err().code(), "ProcessParameterInvalid");
        let array = [("x", Value::Array(vec![], None)), ("y", Value::Number(1.0))];
        assert_eq!(call("gt", &array, &ctx).unwrap_err().code(), "ProcessParameterInvalid");
        let delta_on_gt = [
            ("x", Value::Number(1.0)),
            ("y", Value::Number(1.0)),
            ("delta", Value::Number(1.0)),
        ];
        assert_eq!(
            call("gt", &delta_on_gt, &ctx).unwrap_err().code(),
            "ProcessParameterUnsupported"
        );
    }
}
