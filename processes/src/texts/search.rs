//! text_begins, text_contains, text_ends: whether a text has a pattern at its start, anywhere, or at its end;
//! text_find: where a pattern first occurs. The pattern is plain text (no regular expressions); without
//! `case_sensitive` both texts are compared in lower case (Unicode's lower-case mapping). A no-data `data` gives
//! no-data.

use crate::graph::Args;
use crate::{Ctx, Result, Value};

/// Where the pattern is looked for.
#[derive(Clone, Copy, Debug)]
enum Place {
    Start,
    Anywhere,
    End,
}

/// The texts as compared: `data` and `pattern`, both in lower case without `case_sensitive`.
struct Compared {
    data: String,
    pattern: String,
    /// `data` as given, when it was put in lower case.
    original: Option<String>,
}

/// The arguments `data`, `pattern` and `case_sensitive` as compared; `None` for a no-data `data`.
fn compared(args: &Args) -> Result<Option<Compared>> {
    let data = match args.get("data")? {
        Value::Null => return Ok(None),
        Value::Text(t) => t,
        Value::Field(_) => return Err(args.invalid("data", "expected a string, got the values of data cube cells")),
        other => return Err(args.invalid("data", format!("expected a string, got {}", other.type_name()))),
    };
    let pattern = args.string("pattern")?;
    let case_sensitive = !matches!(args.get("case_sensitive")?, Value::Bool(false));
    Ok(Some(if case_sensitive {
        Compared {
            data,
            pattern,
            original: None,
        }
    } else {
        Compared {
            data: data.to_lowercase(),
            pattern: pattern.to_lowercase(),
            original: Some(data),
        }
    }))
}

fn search(args: &Args, place: Place) -> Result<Value> {
    let Some(Compared { data, pattern, .. }) = compared(args)? else {
        return Ok(Value::Null);
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

/// The character of `original` whose lower case holds the character at `lowered` of its lower-case text: a
/// character may have a lower case of several characters (`İ`), so the positions can differ.
fn original_position(original: &str, lowered: usize) -> usize {
    let mut seen = 0;
    original
        .chars()
        .take_while(|c| {
            seen += c.to_lowercase().count();
            seen <= lowered
        })
        .count()
}

/// text_find: the character position of the first occurrence of `pattern` in `data`, no-data when there is none.
pub(super) fn text_find(args: &mut Args, _: &Ctx) -> Result<Value> {
    let Some(Compared {
        data,
        pattern,
        original,
    }) = compared(args)?
    else {
        return Ok(Value::Null);
    };
    let Some(byte) = data.find(&pattern) else {
        return Ok(Value::Null);
    };
    let position = data[..byte].chars().count();
    let position = original.map_or(position, |o| original_position(&o, position));
    Ok(Value::Number(position as f64))
}
