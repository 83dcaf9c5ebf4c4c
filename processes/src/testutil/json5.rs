//! A reader for the JSON5 the openEO test files use (comments, trailing commas, `NaN`, `Infinity`, single or
//! double quotes, bare keys), straight into values.

use std::collections::BTreeMap;

use crate::Value;

/// The JSON5 the test files use (comments, trailing commas, `NaN`, `Infinity`, single or double quotes, bare
/// keys), read into values; `{"type": "nodata"}` becomes `null` and `{"type": "labeled-array", …}` a labelled
/// array.
pub(crate) struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    file: &'a str,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(text: &'a str, file: &'a str) -> Parser<'a> {
        Parser {
            s: text.as_bytes(),
            i: 0,
            file,
        }
    }

    fn fail(&self, what: &str) -> ! {
        panic!("{}: {what} at byte {}", self.file, self.i)
    }

    /// The whole text as one value.
    pub(crate) fn document(&mut self) -> Value {
        let v = self.value();
        self.skip();
        if self.i < self.s.len() {
            self.fail("trailing text");
        }
        v
    }

    fn peek(&self) -> u8 {
        self.s.get(self.i).copied().unwrap_or(0)
    }

    fn skip(&mut self) {
        loop {
            while self.peek().is_ascii_whitespace() {
                self.i += 1;
            }
            let rest = &self.s[self.i..];
            if rest.starts_with(b"//") {
                self.i += rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
            } else if rest.starts_with(b"/*") {
                let end = rest
                    .windows(2)
                    .position(|w| w == b"*/")
                    .unwrap_or_else(|| self.fail("open comment"));
                self.i += end + 2;
            } else {
                return;
            }
        }
    }

    fn value(&mut self) -> Value {
        self.skip();
        match self.peek() {
            b'{' => self.object(),
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                while !self.close(b']') {
                    items.push(self.value());
                }
                Value::Array(items, None)
            }
            b'"' | b'\'' => Value::Text(self.string()),
            _ => match self.word().as_str() {
                "null" => Value::Null,
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "NaN" | "+NaN" | "-NaN" => Value::Number(f64::NAN),
                "Infinity" | "+Infinity" => Value::Number(f64::INFINITY),
                "-Infinity" => Value::Number(f64::NEG_INFINITY),
                w => Value::Number(w.parse().unwrap_or_else(|_| self.fail(&format!("bad value '{w}'")))),
            },
        }
    }

    /// Skips a separating comma; true (and consumes it) when the next character is `end`.
    fn close(&mut self, end: u8) -> bool {
        self.skip();
        if self.peek() == b',' {
            self.i += 1;
            self.skip();
        }
        if self.peek() == end {
            self.i += 1;
            return true;
        }
        if self.i >= self.s.len() {
            self.fail("unexpected end");
        }
        false
    }

    fn object(&mut self) -> Value {
        self.i += 1;
        let mut map = BTreeMap::new();
        while !self.close(b'}') {
            let key = match self.peek() {
                b'"' | b'\'' => self.string(),
                _ => self.word(),
            };
            self.skip();
            if self.peek() != b':' {
                self.fail("expected ':'");
            }
            self.i += 1;
            let v = self.value();
            map.insert(key, v);
        }
        match map.get("type") {
            Some(Value::Text(t)) if t == "nodata" && map.len() == 1 => Value::Null,
            Some(Value::Text(t)) if t == "labeled-array" => self.labeled_array(&map),
            _ => Value::Object(map),
        }
    }

    /// `{"type": "labeled-array", "data": [{"key": …, "value": …}, …]}` as a labelled array (number keys become
    /// number labels).
    fn labeled_array(&self, map: &BTreeMap<String, Value>) -> Value {
        let Some(Value::Array(entries, _)) = map.get("data") else {
            self.fail("a labeled array without data");
        };
        let mut values = Vec::new();
        let mut labels = Vec::new();
        for e in entries {
            let Value::Object(e) = e else {
                self.fail("a labeled array entry that is not an object");
            };
            labels.push(match e.get("key") {
                Some(Value::Text(k)) => k.clone(),
                Some(Value::Number(n)) => crate::arrays::format_number(*n),
                _ => self.fail("a labeled array entry without a string or number key"),
            });
            values.push(e.get("value").cloned().unwrap_or(Value::Null));
        }
        Value::Array(values, Some(labels.into()))
    }

    fn word(&mut self) -> String {
        let start = self.i;
        while matches!(self.peek(), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'+' | b'-' | b'.' | b'_') {
            self.i += 1;
        }
        if start == self.i {
            self.fail("unexpected character");
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn string(&mut self) -> String {
        let quote = self.peek();
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let c = self.peek();
            self.i += 1;
            match c {
                0 => self.fail("open string"),
                c if c == quote => break,
                b'\\' => {
                    let e = self.peek();
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'u' => {
                            let hex = std::str::from_utf8(self.s.get(self.i..self.i + 4).unwrap_or_default())
                                .ok()
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                                .and_then(char::from_u32)
                                .unwrap_or_else(|| self.fail("bad \\u escape"));
                            self.i += 4;
                            out.extend_from_slice(hex.to_string().as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                c => out.push(c),
            }
        }
        String::from_utf8(out).unwrap_or_else(|_| self.fail("invalid UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json5() {
        let v = Parser::new(
            "{a: [1, NaN, -Infinity, 'x\\'y', {\"type\": \"nodata\"},], /* c */ \"b\": true, // d\n}",
            "inline",
        )
        .document();
        let Value::Object(o) = v else {
            panic!("expected an object")
        };
        let Some(Value::Array(items, _)) = o.get("a") else {
            panic!()
        };
        assert!(matches!(items[0], Value::Number(n) if n == 1.0));
        assert!(matches!(items[1], Value::Number(n) if n.is_nan()));
        assert!(matches!(items[2], Value::Number(n) if n == f64::NEG_INFINITY));
        assert!(matches!(&items[3], Value::Text(t) if t == "x'y"));
        assert!(matches!(items[4], Value::Null));
        assert!(matches!(o.get("b"), Some(Value::Bool(true))));
    }
}
