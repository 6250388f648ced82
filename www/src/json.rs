//! The page's one JSON reader and writer. serde_json's code is generic over where it reads
//! from and writes to: `from_str`, `Value`'s `Display` (`to_string()`) and
//! `to_string_pretty` would each be another copy of its parser or serializer in the wasm
//! next to the library's (`from_slice`, `to_writer` into a `Vec<u8>`). Everything here goes
//! through those two.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// `text` parsed as JSON (the same result and errors as `serde_json::from_str`).
pub fn parse<T: DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    serde_json::from_slice(text.as_bytes())
}

/// `v` as compact JSON text (what `v.to_string()` gives).
pub fn text(v: &Value) -> String {
    let mut out = Vec::new();
    write(&mut out, v);
    utf8(out)
}

/// `v` as indented JSON text, exactly as `serde_json::to_string_pretty` writes it (two
/// spaces a level, `"key": value`, `[]` and `{}` when empty); only the brackets and
/// indentation are written here, every string and number by the compact writer.
pub fn pretty(v: &Value) -> String {
    let mut out = Vec::new();
    pretty_into(&mut out, v, 0);
    utf8(out)
}

fn pretty_into(out: &mut Vec<u8>, v: &Value, depth: usize) {
    let (open, close, len) = match v {
        Value::Array(a) => (b'[', b']', a.len()),
        Value::Object(m) => (b'{', b'}', m.len()),
        _ => return write(out, v),
    };
    out.push(open);
    if len == 0 {
        out.push(close);
        return;
    }
    let item = |out: &mut Vec<u8>, i: usize| {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        indent(out, depth + 1);
    };
    match v {
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                item(out, i);
                pretty_into(out, x, depth + 1);
            }
        }
        Value::Object(m) => {
            for (i, (k, x)) in m.iter().enumerate() {
                item(out, i);
                let _ = serde_json::to_writer(&mut *out, k);
                out.extend_from_slice(b": ");
                pretty_into(out, x, depth + 1);
            }
        }
        _ => {}
    }
    out.push(b'\n');
    indent(out, depth);
    out.push(close);
}

fn indent(out: &mut Vec<u8>, depth: usize) {
    out.resize(out.len() + 2 * depth, b' ');
}

fn write(out: &mut Vec<u8>, v: &Value) {
    // Writing a `Value` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(out, v);
}

fn utf8(bytes: Vec<u8>) -> String {
    // serde_json writes UTF-8 only.
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pretty_is_serde_jsons_pretty() {
        for v in [
            json!(null),
            json!([]),
            json!({}),
            json!("a \"quoted\"\n\u{1}é"),
            json!(1.5e300),
            json!([1, -2, 0.25, true, null, "x", [], {}, [[]], {"a": {}}]),
            json!({"z": 1, "a": [{"b": [1, {"c": "d"}]}], "e\t": {"f": null}}),
        ] {
            assert_eq!(pretty(&v), serde_json::to_string_pretty(&v).unwrap());
            assert_eq!(text(&v), v.to_string());
        }
    }

    #[test]
    fn parse_is_from_str() {
        for s in [
            "{\"a\": [1, 2.5, \"é\"]}",
            "",
            "{\"a\" 1}",
            "[1,]",
            "\"\\ud800\"",
        ] {
            let ours = parse::<Value>(s).map_err(|e| e.to_string());
            let theirs = serde_json::from_str::<Value>(s).map_err(|e| e.to_string());
            assert_eq!(ours, theirs);
        }
    }
}
