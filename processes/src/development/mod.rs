//! Processes for developing process graphs: inspect, which logs a value (with a message, a code and a level) and
//! gives it back unchanged.
//!
//! The entry goes to the back-end's log (target `openeo::inspect`, at the level asked for). Large values are
//! summarised: a data cube by its dimensions, grid and reference system; the per-cell values inside a callback by
//! their number, the number of valid ones and their range (one entry per call, that is per block of cells);
//! arrays and objects by their JSON text, shortened beyond [`MAX_LOGGED`] characters.

use crate::graph::Args;
use crate::registry::ProcessDef;
use crate::{Ctx, Result, Value};

/// The most characters of a value's text that go into the log.
pub(crate) const MAX_LOGGED: usize = 2_000;

/// The processes of this family.
pub(crate) fn processes() -> Vec<ProcessDef> {
    vec![ProcessDef::new(include_str!("specs/inspect.json"), inspect)]
}

/// A short text describing `v` for the log.
fn summary(v: &Value) -> String {
    match v {
        Value::Cube(c) => {
            let meta = c.meta();
            let dims: Vec<String> = meta
                .dims()
                .iter()
                .map(|d| format!("{}[{}]", d.name(), d.len()))
                .collect();
            let g = meta.grid();
            format!(
                "data cube {} y[{}] x[{}] in {}",
                dims.join(" "),
                g.height,
                g.width,
                g.crs.label()
            )
        }
        Value::Field(f) => {
            let valid: Vec<f32> = f.iter().copied().filter(|x| !x.is_nan()).collect();
            let range = valid.iter().fold(None, |r: Option<(f32, f32)>, x| {
                Some(r.map_or((*x, *x), |(a, b)| (a.min(*x), b.max(*x))))
            });
            match range {
                Some((lo, hi)) => format!("{} cells, {} valid, from {lo} to {hi}", f.len(), valid.len()),
                None => format!("{} cells, none valid", f.len()),
            }
        }
        Value::Callback(_) => "a process graph".into(),
        other => {
            let text = other.to_json().to_string();
            match text.char_indices().nth(MAX_LOGGED) {
                Some((cut, _)) => format!("{}… ({} characters)", &text[..cut], text.chars().count()),
                None => text,
            }
        }
    }
}

/// inspect: logs `data` with `message`, `code` and `level`; gives `data` back.
fn inspect(args: &mut Args, _: &Ctx) -> Result<Value> {
    let data = args.get("data")?;
    let message = args.opt_string("message")?.unwrap_or_default();
    let code = args.opt_string("code")?.unwrap_or_else(|| "User".into());
    let level = args.opt_string("level")?.unwrap_or_else(|| "info".into());
    let data_text = summary(&data);
    match level.as_str() {
        "error" => tracing::error!(target: "openeo::inspect", code = %code, data = %data_text, "{message}"),
        "warning" => tracing::warn!(target: "openeo::inspect", code = %code, data = %data_text, "{message}"),
        "info" => tracing::info!(target: "openeo::inspect", code = %code, data = %data_text, "{message}"),
        "debug" => tracing::debug!(target: "openeo::inspect", code = %code, data = %data_text, "{message}"),
        other => {
            return Err(args.invalid(
                "level",
                format!("'{other}' is not one of error, warning, info and debug"),
            ));
        }
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_cells, call, ctx, field};

    #[test]
    fn passes_data_through() {
        let ctx = ctx();
        let data = Value::Array(vec![Value::Number(1.0), Value::Text("a".into())], None);
        let out = call(
            "inspect",
            &[("data", data.clone()), ("message", Value::Text("m".into()))],
            &ctx,
        )
        .unwrap();
        assert_eq!(out.to_json(), data.to_json());
        let cells = field(&[1.0, f32::NAN, 3.0]);
        let out = call(
            "inspect",
            &[("data", cells), ("level", Value::Text("debug".into()))],
            &ctx,
        )
        .unwrap();
        assert_cells(&out, &[1.0, f32::NAN, 3.0]);
        let bad = call(
            "inspect",
            &[("data", Value::Null), ("level", Value::Text("loud".into()))],
            &ctx,
        );
        assert_eq!(bad.unwrap_err().code(), "ProcessParameterInvalid");
    }

    #[test]
    fn summaries_are_short() {
        assert_eq!(
            summary(&field(&[1.0, f32::NAN, -2.5])),
            "3 cells, 2 valid, from -2.5 to 1"
        );
        assert_eq!(summary(&field(&[f32::NAN])), "1 cells, none valid");
        let long = Value::Text("x".repeat(MAX_LOGGED * 2));
        assert!(summary(&long).chars().count() < MAX_LOGGED + 40);
    }
}
