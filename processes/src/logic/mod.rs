//! Logical processes: and, or, xor, not, if, and the reducers any and all. See <https://processes.openeo.org>.
//!
//! The specification's three-valued truth tables (`true`, `false`, no-data) apply at the top level and cell by
//! cell inside callbacks, where booleans are 1.0/0.0, any other non-zero number counts as true and NaN is no-data
//! (see `crate::math::cellwise`). `any` and `all` reduce an array (a callback's `data`: per cell over the labels)
//! like the other reducers; with `ignore_nodata: false` they fold the values with `or`/`and`, so `any([null])` is
//! no-data, as the process descriptions' examples say (the openEO test cases expect `false` there, and `true` for
//! `all`).

mod boolean;
mod conditional;
mod reduce;

use crate::registry::ProcessDef;

/// The processes of this family.
pub(crate) fn processes() -> Vec<ProcessDef> {
    vec![
        ProcessDef::new(include_str!("specs/and.json"), boolean::and),
        ProcessDef::new(include_str!("specs/or.json"), boolean::or),
        ProcessDef::new(include_str!("specs/xor.json"), boolean::xor),
        ProcessDef::new(include_str!("specs/not.json"), boolean::not),
        ProcessDef::new(include_str!("specs/if.json"), conditional::if_),
        ProcessDef::new(include_str!("specs/any.json"), reduce::any),
        ProcessDef::new(include_str!("specs/all.json"), reduce::all),
    ]
}

#[cfg(test)]
mod tests {
    use crate::Value;
    use crate::testutil::{assert_cells, call, ctx, field};

    /// The truth tables cell by cell: x = [T, T, T, F, F, F, N, N, N], y = [T, F, N] repeated.
    #[test]
    fn truth_tables_on_fields() {
        let ctx = ctx();
        let n = f32::NAN;
        let x = field(&[1.0, 1.0, 1.0, 0.0, 0.0, 0.0, n, n, n]);
        let y = field(&[1.0, 0.0, n, 1.0, 0.0, n, 1.0, 0.0, n]);
        let run = |id: &str| call(id, &[("x", x.clone()), ("y", y.clone())], &ctx).unwrap();
        assert_cells(&run("and"), &[1.0, 0.0, n, 0.0, 0.0, 0.0, n, 0.0, n]);
        assert_cells(&run("or"), &[1.0, 1.0, 1.0, 1.0, 0.0, n, 1.0, n, n]);
        assert_cells(&run("xor"), &[0.0, 1.0, n, 1.0, 0.0, n, n, n, n]);
        assert_cells(
            &call("not", &[("x", y.clone())], &ctx).unwrap(),
            &[0.0, 1.0, n, 0.0, 1.0, n, 0.0, 1.0, n],
        );
        let scalar_y = call("and", &[("x", x.clone()), ("y", Value::Bool(false))], &ctx).unwrap();
        assert_cells(&scalar_y, &[0.0; 9]);
        let bad = call("and", &[("x", x), ("y", Value::Text("yes".into()))], &ctx);
        assert_eq!(bad.unwrap_err().code(), "ProcessParameterInvalid");
    }

    #[test]
    fn if_on_fields() {
        let ctx = ctx();
        let n = f32::NAN;
        let value = field(&[1.0, 0.0, n]);
        let accept = field(&[10.0, 20.0, 30.0]);
        let args = [
            ("value", value.clone()),
            ("accept", accept.clone()),
            ("reject", Value::Number(-1.0)),
        ];
        assert_cells(&call("if", &args, &ctx).unwrap(), &[10.0, -1.0, -1.0]);
        let args = [("value", value), ("accept", accept.clone())];
        assert_cells(&call("if", &args, &ctx).unwrap(), &[10.0, n, n]);
        // a scalar condition picks a whole argument
        let args = [
            ("value", Value::Bool(true)),
            ("accept", accept),
            ("reject", Value::Text("B".into())),
        ];
        assert_cells(&call("if", &args, &ctx).unwrap(), &[10.0, 20.0, 30.0]);
    }

    #[test]
    fn any_and_all_reduce_per_cell() {
        let ctx = ctx();
        let n = f32::NAN;
        let data = Value::Array(vec![field(&[1.0, 0.0, n, 0.0]), field(&[n, 0.0, n, 1.0])], None);
        let run = |id: &str, ignore: bool| {
            let args = [("data", data.clone()), ("ignore_nodata", Value::Bool(ignore))];
            call(id, &args, &ctx).unwrap()
        };
        assert_cells(&run("any", true), &[1.0, 0.0, 0.0, 1.0]);
        assert_cells(&run("any", false), &[1.0, 0.0, n, 1.0]);
        assert_cells(&run("all", true), &[1.0, 0.0, 1.0, 0.0]);
        assert_cells(&run("all", false), &[n, 0.0, n, 0.0]);
        let mixed = Value::Array(vec![field(&[1.0, 0.0]), Value::Bool(true)], None);
        assert_cells(&call("all", &[("data", mixed)], &ctx).unwrap(), &[1.0, 0.0]);
        let not_array = call("any", &[("data", Value::Bool(true))], &ctx);
        assert_eq!(not_array.unwrap_err().code(), "ProcessParameterInvalid");
    }

    /// The processes inside callbacks as the engine runs them: `apply` (`x`), a reducer over bands (`data`) and a
    /// merge resolver (`x`, `y`), each evaluated on whole tiles.
    #[test]
    fn in_callbacks() {
        use std::sync::Arc;

        use openeo_engine::CellFn;
        use serde_json::json;

        use crate::ProcessGraph;
        use crate::graph::CallbackFn;
        use crate::graph::callback::Inputs;

        let ctx = ctx();
        let callback = |graph: serde_json::Value, inputs: Inputs| {
            let g = Arc::new(ProcessGraph::from_json(&graph).unwrap());
            CallbackFn::new(g, inputs, Value::Null, &ctx)
        };
        let n = f32::NAN;
        let apply = callback(
            json!({
                "gt": {"process_id": "gt", "arguments": {"x": {"from_parameter": "x"}, "y": 5}},
                "if": {
                    "process_id": "if",
                    "arguments": {"value": {"from_node": "gt"}, "accept": {"from_parameter": "x"}, "reject": 0},
                    "result": true
                }
            }),
            Inputs::Named(&["x"]),
        );
        assert_eq!(apply.call(&[&[1.0, 7.0]], 2).unwrap(), vec![0.0, 7.0]);
        let out = apply.call(&[&[n]], 1).unwrap();
        assert_eq!(out[0], 0.0, "no-data is not greater than 5, so if rejects");
        let labels: Arc<[String]> = Arc::from(vec!["B1".to_string(), "B2".to_string()]);
        let reducer = callback(
            json!({"any": {
                "process_id": "any",
                "arguments": {"data": {"from_parameter": "data"}, "ignore_nodata": false},
                "result": true
            }}),
            Inputs::Array { name: "data", labels },
        );
        let out = reducer.call(&[&[1.0, 0.0, 0.0], &[n, n, 0.0]], 3).unwrap();
        assert_eq!((out[0], out[2]), (1.0, 0.0));
        assert!(out[1].is_nan());
        let resolver = callback(
            json!({"or": {
                "process_id": "or",
                "arguments": {"x": {"from_parameter": "x"}, "y": {"from_parameter": "y"}},
                "result": true
            }}),
            Inputs::Named(&["x", "y"]),
        );
        let out = resolver.call(&[&[0.0, 0.0, n], &[1.0, 0.0, 1.0]], 3).unwrap();
        assert_eq!(out, vec![1.0, 0.0, 1.0]);
    }
}
