//! text_begins, text_contains, text_ends: whether a text has a pattern at its start, anywhere, or at its end. The
//! pattern is plain text (no regular expressions); without `case_sensitive` both texts are compared in lower case
//! (Unicode's lower-case mapping). A no-data `data` gives no-data.

use crate::graph::Args;
use crate::{Ctx, Result, Value};

/// Where the pattern is looked for.
#[derive(Clone, Copy, Debug)]
enum Place {
    Start,
    Anywhere,
    End,
}

fn search(args: &Args, place: Place) -> Result<Value> {
    let data = match args.get("data")? {
        Value::Null => return Ok(Value::Null),
        Value::Text(t) => t,
        Value::Field(_) => return Err(args.invalid("data", "expected a string, got the values of data cube cells")),
        other => return Err(args.invalid("data", format!("expected a string, got {}", other.type_name()))),
    };
    let pattern = args.string("pattern")?;
    let case_sensitive = !matches!(args.get("case_sensitive")?, Value::Bool(false));
    let (data, pattern) = if case_sensitive {
        (data, pattern)
    } else {
        (data.to_lowercase(), pattern.to_lowercase())
    };
    Ok(Value::Bool(match place {
        Place::Start => data.starts_with(&pattern),
        Place::Anywhere => data.contains(&pattern),
        Place::End => data.ends_with(&pattern),
    }))
}

/// text_begins: whether `data` starts with `pattern`.
pub(super) fn text_begins(args: &mut Args, _: &Ctx) -> Result<Value> {
    search(args, Place::Start)
}

/// text_contains: whether `data` contains `pattern`.
pub(super) fn text_contains(args: &mut Args, _: &Ctx) -> Result<Value> {
    search(args, Place::Anywhere)
}

/// text_ends: whether `data` ends with `pattern`.
pub(super) fn text_ends(args: &mut Args, _: &Ctx) -> Result<Value> {
    search(args, Place::End)
}
