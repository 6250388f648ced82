//! Structured output: the answer checked against the JSON schema the request asked for. The
//! common JSON Schema keywords (types, properties, required, additionalProperties, items,
//! enum, const, bounds, lengths, anyOf/oneOf/allOf); any other keyword is not checked. The
//! walk is bounded, so a hostile schema or answer cannot exhaust the page.

use serde_json::Value;

/// How deep the check descends (schema and answer alike).
const MAX_DEPTH: usize = 64;

/// The first place where `value` breaks `schema`, as `$.path: what is wrong`; `None` when
/// it satisfies it.
pub fn violation(schema: &Value, value: &Value) -> Option<String> {
    check(schema, value, "$", 0).err()
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_type(v: &Value, t: &str) -> bool {
    let actual = type_name(v);
    actual == t
        || (t == "number" && actual == "integer")
        || (t == "integer" && v.as_f64().is_some_and(|f| f.fract() == 0.0))
}

fn check(schema: &Value, v: &Value, at: &str, depth: usize) -> Result<(), String> {
    let Some(s) = schema.as_object() else {
        // `true` (or any non-object) accepts everything; `false` nothing.
        return match schema {
            Value::Bool(false) => Err(format!("{at}: nothing is allowed here")),
            _ => Ok(()),
        };
    };
    if depth > MAX_DEPTH {
        return Err(format!("{at}: nested deeper than {MAX_DEPTH} levels"));
    }
    let fail = |what: String| Err(format!("{at}: {what}"));
    match s.get("type") {
        Some(Value::String(t)) if !is_type(v, t) => {
            return fail(format!("expected {t}, found {}", type_name(v)))
        }
        Some(Value::Array(ts)) if !ts.iter().filter_map(Value::as_str).any(|t| is_type(v, t)) => {
            return fail(format!(
                "found {}, not one of the allowed types",
                type_name(v)
            ))
        }
        _ => {}
    }
    if let Some(c) = s.get("const") {
        if c != v {
            return fail(format!("expected {c}"));
        }
    }
    if let Some(options) = s.get("enum").and_then(Value::as_array) {
        if !options.contains(v) {
            return fail(format!(
                "{v} is not one of {}",
                Value::Array(options.clone())
            ));
        }
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for sub in all {
            check(sub, v, at, depth + 1)?;
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(any) = s.get(key).and_then(Value::as_array) {
            let matching = any
                .iter()
                .filter(|sub| check(sub, v, at, depth + 1).is_ok())
                .count();
            if matching == 0 || (key == "oneOf" && matching > 1) {
                return fail(format!("matches {matching} of the {key} choices"));
            }
        }
    }
    let bound = |key: &str| s.get(key).and_then(Value::as_f64);
    if let Some(n) = v.as_f64() {
        if bound("minimum").is_some_and(|m| n < m) || bound("maximum").is_some_and(|m| n > m) {
            return fail(format!("{v} is out of range"));
        }
        if bound("exclusiveMinimum").is_some_and(|m| n <= m)
            || bound("exclusiveMaximum").is_some_and(|m| n >= m)
        {
            return fail(format!("{v} is out of range"));
        }
    }
    let count = |key: &str| s.get(key).and_then(Value::as_u64);
    let length_ok = |n: usize, min: &str, max: &str| {
        count(min).is_none_or(|m| n as u64 >= m) && count(max).is_none_or(|m| n as u64 <= m)
    };
    match v {
        Value::String(t) if !length_ok(t.chars().count(), "minLength", "maxLength") => {
            fail("the text's length is out of range".into())
        }
        Value::Array(items) => {
            if !length_ok(items.len(), "minItems", "maxItems") {
                return fail(format!("{} items is out of range", items.len()));
            }
            if let Some(item) = s.get("items") {
                for (i, x) in items.iter().enumerate() {
                    check(item, x, &format!("{at}[{i}]"), depth + 1)?;
                }
            }
            Ok(())
        }
        Value::Object(o) => {
            for key in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !o.contains_key(key) {
                    return fail(format!("{key:?} is required"));
                }
            }
            let props = s.get("properties").and_then(Value::as_object);
            for (key, x) in o {
                let here = format!("{at}.{key}");
                match props.and_then(|p| p.get(key)) {
                    Some(sub) => check(sub, x, &here, depth + 1)?,
                    None => match s.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            return fail(format!("{key:?} is not a property the schema allows"))
                        }
                        Some(extra @ Value::Object(_)) => check(extra, x, &here, depth + 1)?,
                        _ => {}
                    },
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_usual_keywords() {
        let s = json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 2},
                "age": {"type": "integer", "minimum": 0},
                "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 2},
                "nick": {"type": ["string", "null"]}
            },
            "required": ["name"],
            "additionalProperties": false
        });
        assert_eq!(
            violation(
                &s,
                &json!({"name": "Al", "age": 3, "tags": ["a"], "nick": null})
            ),
            None
        );
        let bad = |v: Value| violation(&s, &v).unwrap();
        assert_eq!(bad(json!({})), "$: \"name\" is required");
        assert_eq!(
            bad(json!({"name": "Al", "age": 1.5})),
            "$.age: expected integer, found number"
        );
        assert_eq!(
            bad(json!({"name": "Al", "age": -1})),
            "$.age: -1 is out of range"
        );
        assert_eq!(
            bad(json!({"name": "A"})),
            "$.name: the text's length is out of range"
        );
        assert_eq!(
            bad(json!({"name": "Al", "tags": ["c"]})),
            "$.tags[0]: \"c\" is not one of [\"a\",\"b\"]"
        );
        assert_eq!(
            bad(json!({"name": "Al", "x": 1})),
            "$: \"x\" is not a property the schema allows"
        );
        assert_eq!(bad(json!([1])), "$: expected object, found array");
        assert_eq!(violation(&json!({"type": "number"}), &json!(2)), None);
        assert_eq!(violation(&json!({"type": "integer"}), &json!(2.0)), None);
        let one = json!({"oneOf": [{"type": "integer"}, {"type": "number"}]});
        assert!(violation(&one, &json!(2))
            .unwrap()
            .contains("matches 2 of the oneOf"));
        assert_eq!(violation(&one, &json!(2.5)), None);
        assert!(violation(&json!(false), &json!(1)).is_some());
    }

    #[test]
    fn deep_input_is_bounded() {
        let mut schema = json!({"type": "array"});
        let mut value = json!([]);
        for _ in 0..200 {
            schema = json!({"type": "array", "items": schema});
            value = json!([value]);
        }
        assert!(violation(&schema, &value)
            .unwrap()
            .contains("deeper than 64"));
    }
}
