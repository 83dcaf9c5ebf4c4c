//! Text processes: text_begins, text_contains, text_ends, text_find (searching a text for a pattern, [`search`]) and
//! text_concat (joining values as text, [`concat`]). They work on plain values: the cells of a data cube are
//! numbers, so inside callbacks they apply to texts such as labels only.

mod concat;
mod search;

use crate::registry::ProcessDef;

/// The processes of this family.
pub(crate) fn processes() -> Vec<ProcessDef> {
    vec![
        ProcessDef::new(include_str!("specs/text_begins.json"), search::text_begins),
        ProcessDef::new(include_str!("specs/text_contains.json"), search::text_contains),
        ProcessDef::new(include_str!("specs/text_ends.json"), search::text_ends),
        ProcessDef::new(include_str!("specs/text_find.json"), search::text_find),
        ProcessDef::new(include_str!("specs/text_concat.json"), concat::text_concat),
    ]
}

#[cfg(test)]
mod tests {
    use crate::Value;
    use crate::testutil::{call, ctx, field};

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn search_edge_cases() {
        let ctx = ctx();
        let run = |id: &str, data: Value, pattern: &str, case_sensitive: bool| {
            let args = [
                ("data", data),
                ("pattern", text(pattern)),
                ("case_sensitive", Value::Bool(case_sensitive)),
            ];
            call(id, &args, &ctx)
        };
        let yes = |r: crate::Result<Value>| matches!(r, Ok(Value::Bool(true)));
        assert!(
            yes(run("text_begins", text("abc"), "", true)),
            "the empty pattern is everywhere"
        );
        assert!(yes(run("text_contains", text("ÄÖÜ"), "öü", false)));
        assert!(!yes(run("text_contains", text("ÄÖÜ"), "öü", true)));
        assert!(yes(run("text_ends", text("Ünïcödé"), "CÖDÉ", false)));
        let bad = run("text_begins", Value::Number(1.0), "1", true);
        assert_eq!(bad.unwrap_err().code(), "ProcessParameterInvalid");
        let cells = run("text_contains", field(&[1.0]), "1", true);
        assert_eq!(cells.unwrap_err().code(), "ProcessParameterInvalid");
        let no_pattern = [("data", text("abc")), ("pattern", Value::Null)];
        assert_eq!(
            call("text_contains", &no_pattern, &ctx).unwrap_err().code(),
            "ProcessParameterInvalid"
        );
    }

    #[test]
    fn find_counts_characters_of_the_text_given() {
        let ctx = ctx();
        let find = |data: &str, pattern: &str, case_sensitive: bool| {
            let args = [
                ("data", text(data)),
                ("pattern", text(pattern)),
                ("case_sensitive", Value::Bool(case_sensitive)),
            ];
            match call("text_find", &args, &ctx) {
                Ok(Value::Number(n)) => Some(n),
                Ok(Value::Null) => None,
                other => panic!("{data} {pattern}: {other:?}"),
            }
        };
        assert_eq!(find("abc", "", true), Some(0.0));
        assert_eq!(find("abcabc", "c", true), Some(2.0));
        assert_eq!(find("ÄÖÜ", "Ü", true), Some(2.0), "characters, not bytes");
        // İ is two characters in lower case; the position counts it once
        assert_eq!(find("İİab", "AB", false), Some(2.0));
        assert_eq!(find("İİab", "AB", true), None);
        let cells = [("data", field(&[1.0])), ("pattern", text("1"))];
        assert_eq!(
            call("text_find", &cells, &ctx).unwrap_err().code(),
            "ProcessParameterInvalid"
        );
    }

    #[test]
    fn concat_converts_values() {
        let ctx = ctx();
        let run = |data: Vec<Value>, separator: Value| {
            call(
                "text_concat",
                &[("data", Value::Array(data, None)), ("separator", separator)],
                &ctx,
            )
        };
        let joined = run(
            vec![
                Value::Number(0.1),
                Value::Number(1e21),
                Value::Number(-0.0),
                Value::Bool(true),
            ],
            text(", "),
        );
        assert!(matches!(joined, Ok(Value::Text(t)) if t == "0.1, 1000000000000000000000, 0, true"));
        let null_separator = run(vec![text("a"), text("b")], Value::Null);
        assert!(matches!(null_separator, Ok(Value::Text(t)) if t == "anullb"));
        let bool_separator = run(vec![text("a"), text("b")], Value::Bool(false));
        assert!(matches!(bool_separator, Ok(Value::Text(t)) if t == "afalseb"));
        let nested = run(vec![Value::Array(vec![], None)], text(""));
        assert_eq!(nested.unwrap_err().code(), "ProcessParameterInvalid");
        let cells = run(vec![field(&[1.0])], text(""));
        assert_eq!(cells.unwrap_err().code(), "ProcessParameterInvalid");
    }
}
