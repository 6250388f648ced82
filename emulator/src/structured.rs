//! Structured output (Converse `outputConfig.textFormat`): the request's JSON schema checked
//! the way Bedrock does (a `json_schema` format whose `schema` is a JSON object sent as a
//! string), and a deterministic answer that satisfies it, so a client's schema handling can
//! be tested end to end.

use serde_json::{Map, Value};

/// How deep a schema may nest before the emulator refuses it.
const MAX_DEPTH: usize = 32;

/// The most values an answer holds: nested `minItems` would otherwise grow it exponentially.
const MAX_VALUES: usize = 10_000;

/// The schema of `outputConfig.textFormat`, if any; `Err` is the ValidationException message.
pub fn schema(output_config: Option<&Value>) -> Result<Option<Value>, String> {
    let Some(format) = output_config.and_then(|c| c.get("textFormat")) else {
        return Ok(None);
    };
    let kind = format
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind != "json_schema" {
        return Err(format!(
            "1 validation error detected: Value '{kind}' at 'outputConfig.textFormat.type' failed to satisfy constraint: Member must satisfy enum value set: [json_schema]"
        ));
    }
    let text = format
        .pointer("/structure/jsonSchema/schema")
        .and_then(Value::as_str)
        .ok_or("outputConfig.textFormat.structure.jsonSchema.schema is required: the JSON schema, as a string")?;
    let schema: Value = serde_json::from_str(text).map_err(|e| {
        format!("outputConfig.textFormat.structure.jsonSchema.schema is not valid JSON: {e}")
    })?;
    if !schema.is_object() {
        return Err(
            "outputConfig.textFormat.structure.jsonSchema.schema must be a JSON object".into(),
        );
    }
    if depth(&schema) > MAX_DEPTH {
        return Err(format!(
            "outputConfig.textFormat.structure.jsonSchema.schema nests deeper than {MAX_DEPTH} levels"
        ));
    }
    Ok(Some(schema))
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// A value that satisfies `schema`, derived from it alone: every property (in the schema's
/// order), the first `enum`/`const`/`anyOf`/`oneOf` choice, numbers inside their bounds,
/// strings and arrays at their minimum lengths.
/// Past [`MAX_VALUES`], the rest is `null`.
pub fn instance(schema: &Value) -> Value {
    instance_at(schema, "value", 0, &mut 0)
}

fn instance_at(schema: &Value, name: &str, level: usize, made: &mut usize) -> Value {
    *made += 1;
    let Some(s) = schema
        .as_object()
        .filter(|_| level <= MAX_DEPTH && *made <= MAX_VALUES)
    else {
        return Value::Null;
    };
    if let Some(c) = s.get("const") {
        return c.clone();
    }
    if let Some(first) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = s.get(key).and_then(Value::as_array).and_then(|a| a.first()) {
            return instance_at(first, name, level + 1, made);
        }
    }
    let kind = match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        // `["string", "null"]`: the first that is not null.
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if s.contains_key("properties") => "object",
        _ if s.contains_key("items") => "array",
        _ => "string",
    };
    let bound = |key: &str| s.get(key).and_then(Value::as_f64);
    match kind {
        "object" => {
            let mut out = Map::new();
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (key, sub) in props {
                    out.insert(key.clone(), instance_at(sub, key, level + 1, made));
                }
            }
            Value::Object(out)
        }
        "array" => {
            let n = s
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .clamp(1, 16);
            let item = s.get("items").cloned().unwrap_or(Value::Null);
            (0..n)
                .map(|_| instance_at(&item, name, level + 1, made))
                .collect::<Vec<_>>()
                .into()
        }
        "integer" => {
            let lo = bound("minimum").map_or(i64::MIN, |m| m.ceil() as i64);
            let hi = bound("maximum").map_or(i64::MAX, |m| m.floor() as i64);
            Value::from(42i64.clamp(lo, hi.max(lo)))
        }
        "number" => {
            let lo = bound("minimum").unwrap_or(f64::MIN);
            let hi = bound("maximum").unwrap_or(f64::MAX);
            Value::from(4.5f64.clamp(lo, hi.max(lo)))
        }
        "boolean" => Value::Bool(true),
        "null" => Value::Null,
        _ => {
            let min = s
                .get("minLength")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                .min(256) as usize;
            let max = s
                .get("maxLength")
                .and_then(Value::as_u64)
                .map(|m| m.min(256) as usize);
            let mut text = format!("example {name}");
            while text.chars().count() < min {
                text.push('.');
            }
            if let Some(max) = max {
                text = text.chars().take(max).collect();
            }
            Value::String(text)
        }
    }
}

/// The answer's tokens: the instance's JSON, pretty-printed, in pieces of a few characters.
pub fn tokens(schema: &Value) -> Vec<String> {
    let text = serde_json::to_string_pretty(&instance(schema)).unwrap_or_default();
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(6).map(|c| c.iter().collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(schema: &str) -> Value {
        json!({"textFormat": {"type": "json_schema", "structure": {"jsonSchema": {"schema": schema, "name": "answer"}}}})
    }

    #[test]
    fn schemas_are_checked_like_bedrock() {
        assert_eq!(schema(None), Ok(None));
        assert_eq!(schema(Some(&json!({"effort": "low"}))), Ok(None));
        let s = schema(Some(&config(r#"{"type":"object"}"#)))
            .unwrap()
            .unwrap();
        assert_eq!(s, json!({"type": "object"}));
        assert!(schema(Some(&config("{")))
            .unwrap_err()
            .contains("not valid JSON"));
        assert!(schema(Some(&config("[1]")))
            .unwrap_err()
            .contains("JSON object"));
        let xml = json!({"textFormat": {"type": "xml"}});
        assert!(schema(Some(&xml)).unwrap_err().contains("[json_schema]"));
        let deep = "{\"a\":".repeat(40) + "1" + &"}".repeat(40);
        assert!(schema(Some(&config(&deep))).unwrap_err().contains("deeper"));
    }

    #[test]
    fn instances_satisfy_their_schema() {
        let s = json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 12},
                "age": {"type": "integer", "minimum": 50, "maximum": 60},
                "score": {"type": "number", "maximum": 1},
                "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "minItems": 2},
                "ok": {"type": "boolean"},
                "nick": {"type": ["string", "null"], "maxLength": 3},
                "kind": {"const": "fixed"},
                "either": {"anyOf": [{"type": "integer"}, {"type": "string"}]}
            },
            "required": ["name"]
        });
        assert_eq!(
            instance(&s),
            json!({"age": 50, "either": 42, "kind": "fixed", "name": "example name",
                   "nick": "exa", "ok": true, "score": 1.0, "tags": ["a", "a"]})
        );
        assert_eq!(tokens(&json!({"type": "boolean"})), ["true"]);
        // Hostile: no panic, a value anyway.
        assert_eq!(
            instance(&json!({"type": "integer", "minimum": 9, "maximum": 1})),
            json!(9)
        );
        assert_eq!(instance(&json!("not a schema")), Value::Null);
        // Nested minItems would make 16^30 values: the answer stops growing at MAX_VALUES.
        let mut deep = json!({"type": "integer"});
        for _ in 0..30 {
            deep = json!({"type": "array", "items": deep, "minItems": 16});
        }
        let text = serde_json::to_string(&instance(&deep)).unwrap();
        assert!(text.len() < 200_000, "{} bytes", text.len());
    }

    #[test]
    fn converse_answers_with_the_instance_whole_and_refuses_a_bad_schema() {
        let body = |schema: &str| {
            json!({"messages": [{"role": "user", "content": [{"text": "Give me a person"}]}],
                   "outputConfig": config(schema)})
            .to_string()
        };
        let schema =
            r#"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}}}"#;
        let a = crate::converse::converse_answer("amazon.nova-lite-v1:0", body(schema).as_bytes())
            .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&a.text()).unwrap(),
            json!({"age": 42, "name": "example name"})
        );
        assert_eq!(a.stop_reason, "end_turn");
        let bad = crate::converse::converse_answer("amazon.nova-lite-v1:0", body("{").as_bytes());
        assert!(bad.unwrap_err().contains("not valid JSON"));
    }
}
