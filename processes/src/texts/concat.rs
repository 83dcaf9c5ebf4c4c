//! text_concat: the elements as text, joined with the separator. Numbers are written as integers without a
//! fraction where they are integers (`1`), otherwise in their shortest exact decimal form (`-1.5`); booleans and
//! no-data as `true`, `false` and `null`. The separator is converted the same way.

use crate::arrays::format_number;
use crate::graph::Args;
use crate::{Ctx, Result, Value};

/// A plain value as text, `None` for the types that have no text form here (arrays, objects, fields, …).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::Text(t) => Some(t.clone()),
        Value::Number(n) => Some(format_number(*n)),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".into()),
        _ => None,
    }
}

/// The type of `v` for messages; fields are the cells of a data cube inside a callback.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Field(_) => "the values of data cube cells",
        other => other.type_name(),
    }
}

/// text_concat: the elements of `data` as text, joined with `separator`.
pub(super) fn text_concat(args: &mut Args, _: &Ctx) -> Result<Value> {
    let Value::Array(items, _) = args.get("data")? else {
        return Err(args.invalid("data", "expected an array"));
    };
    let separator = args.get("separator")?;
    let separator = text(&separator).ok_or_else(|| {
        args.invalid(
            "separator",
            format!(
                "expected a string, a number, a boolean or null, got {}",
                kind(&separator)
            ),
        )
    })?;
    let parts = items
        .iter()
        .map(|v| {
            text(v).ok_or_else(|| {
                args.invalid(
                    "data",
                    format!("expected strings, numbers, booleans or null, got {}", kind(v)),
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Value::Text(parts.join(&separator)))
}
