//! The JSON-schema-style checks shared by the families: Bedrock's `Malformed input request`
//! messages (everit style: `#/max_tokens: expected type: Integer, found: String`) and the
//! `messages` validation of the chat-shaped bodies.

use serde_json::{Map, Value};

use crate::attachments::{self, Attachment};

/// `Malformed input request: <detail>, please reformat your input and try again.` — the
/// message Bedrock's JSON-schema check gives for model-native bodies.
pub(crate) fn malformed(detail: impl std::fmt::Display) -> String {
    format!("Malformed input request: {detail}, please reformat your input and try again.")
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "Integer",
        Value::Number(_) => "Number",
        Value::String(_) => "String",
        Value::Array(_) => "JSONArray",
        Value::Object(_) => "JSONObject",
    }
}

/// Field checks in the style of the everit JSON-schema messages Bedrock returns
/// (`#/max_tokens: expected type: Integer, found: String`).
pub(crate) struct Fields<'a> {
    obj: &'a Map<String, Value>,
    /// `#` or `#/textGenerationConfig`.
    path: String,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(obj: &'a Map<String, Value>, path: &str) -> Self {
        Fields {
            obj,
            path: path.to_owned(),
        }
    }

    pub(crate) fn keys(&self, allowed: &[&str], required: &[&str]) -> Result<(), String> {
        if let Some(extra) = self.obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(malformed(format!(
                "{}: extraneous key [{extra}] is not permitted",
                self.path
            )));
        }
        if let Some(missing) = required.iter().find(|k| !self.obj.contains_key(**k)) {
            return Err(malformed(format!(
                "{}: required key [{missing}] not found",
                self.path
            )));
        }
        Ok(())
    }

    pub(crate) fn wrong_type(&self, key: &str, expected: &str, v: &Value) -> String {
        malformed(format!(
            "{}/{key}: expected type: {expected}, found: {}",
            self.path,
            type_name(v)
        ))
    }

    /// The raw value of `key`, for checks the helpers do not cover.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.obj.get(key)
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<&'a str>, String> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.wrong_type(key, "String", v)),
        }
    }

    /// An integer of at least `min`.
    pub(crate) fn int(&self, key: &str, min: i64) -> Result<Option<u32>, String> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(v) => {
                let Some(n) = v.as_i64().or_else(|| v.as_u64().map(|_| i64::MAX)) else {
                    return Err(self.wrong_type(key, "Integer", v));
                };
                if n < min {
                    return Err(malformed(format!(
                        "{}/{key}: {n} is not greater or equal to {min}",
                        self.path
                    )));
                }
                Ok(Some(u32::try_from(n).unwrap_or(u32::MAX)))
            }
        }
    }

    pub(crate) fn numbers(&self, keys: &[&str]) -> Result<(), String> {
        for key in keys {
            if let Some(v) = self.obj.get(*key) {
                if !v.is_number() {
                    return Err(self.wrong_type(key, "Number", v));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn ints(&self, keys: &[&str]) -> Result<(), String> {
        for key in keys {
            self.int(key, i64::MIN)?;
        }
        Ok(())
    }

    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, String> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.wrong_type(key, "Boolean", v)),
        }
    }

    pub(crate) fn string_array(&self, key: &str) -> Result<Vec<String>, String> {
        match self.obj.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(self.wrong_type(&format!("{key}/{i}"), "String", other)),
                })
                .collect(),
            Some(v) => Err(self.wrong_type(key, "JSONArray", v)),
        }
    }

    pub(crate) fn array(&self, key: &str) -> Result<Option<&'a Vec<Value>>, String> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(v) => Err(self.wrong_type(key, "JSONArray", v)),
        }
    }

    pub(crate) fn object(&self, key: &str) -> Result<Option<Fields<'a>>, String> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::Object(o)) => Ok(Some(Fields::new(o, &format!("{}/{key}", self.path)))),
            Some(v) => Err(self.wrong_type(key, "JSONObject", v)),
        }
    }
}

/// Parses a body that must be a JSON object.
pub(crate) fn json_object(body: &[u8]) -> Result<Map<String, Value>, String> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| malformed(format!("the body is not valid JSON ({e})")))?;
    match value {
        Value::Object(o) => Ok(o),
        other => Err(malformed(format!(
            "#: expected type: JSONObject, found: {}",
            type_name(&other)
        ))),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChatStyle {
    /// `content`: a string or `[{"type":"text","text":…}, …]`; roles user/assistant.
    Anthropic,
    /// `content`: `[{"text":…}, {"image":…}, …]`; roles user/assistant.
    Nova,
    /// `content`: a string (or typed parts); roles system/user/assistant/tool.
    OpenAi,
}

/// Validates `messages` and returns the prompt text: the text of the last user message
/// (its text parts joined with `"\n"`).
pub(crate) fn chat_prompt(f: &Fields<'_>, style: ChatStyle) -> Result<String, String> {
    Ok(chat_prompt_with_attachments(f, style)?.0)
}

/// [`chat_prompt`], and the attachments of the last user message: for
/// [`ChatStyle::Anthropic`], `image` and `document` blocks are validated (Anthropic's
/// messages) and Claude's limit on their number over all messages applies.
pub(crate) fn chat_prompt_with_attachments(
    f: &Fields<'_>,
    style: ChatStyle,
) -> Result<(String, Vec<Attachment>), String> {
    let mut all: Vec<Attachment> = Vec::new();
    let mut last = Vec::new();
    let messages = f.array("messages")?.map(Vec::as_slice).unwrap_or_default();
    if messages.is_empty() {
        return Err(match style {
            ChatStyle::Anthropic => "messages: at least one message is required".into(),
            _ => malformed("#/messages: expected minimum item count: 1, found: 0"),
        });
    }
    let roles: &[&str] = match style {
        ChatStyle::OpenAi => &["system", "user", "assistant", "tool"],
        _ => &["user", "assistant"],
    };
    let mut prompt = None;
    for (i, message) in messages.iter().enumerate() {
        let path = format!("#/messages/{i}");
        let Value::Object(m) = message else {
            return Err(malformed(format!(
                "{path}: expected type: JSONObject, found: {}",
                type_name(message)
            )));
        };
        let mf = Fields::new(m, &path);
        let allowed: &[&str] = match style {
            ChatStyle::OpenAi => &["role", "content", "name", "tool_calls", "tool_call_id"],
            _ => &["role", "content"],
        };
        mf.keys(allowed, &["role", "content"])?;
        let role = mf.string("role")?.unwrap_or_default();
        if !roles.contains(&role) {
            return Err(match style {
                ChatStyle::Anthropic => {
                    format!("messages.{i}.role: Input should be 'user' or 'assistant'")
                }
                _ => malformed(format!("{path}/role: {role} is not a valid enum value")),
            });
        }
        if i == 0 && style == ChatStyle::Anthropic && role != "user" {
            return Err(r#"messages: first message must use the "user" role"#.into());
        }
        let content = m.get("content").unwrap_or(&Value::Null);
        let mut here = Vec::new();
        let text = match (style, content) {
            (ChatStyle::Nova, Value::String(_))
            | (_, Value::Null | Value::Bool(_) | Value::Number(_) | Value::Object(_)) => {
                return Err(mf.wrong_type(
                    "content",
                    if style == ChatStyle::Nova {
                        "JSONArray"
                    } else {
                        "String or JSONArray"
                    },
                    content,
                ));
            }
            (_, Value::String(s)) => s.clone(),
            (_, Value::Array(parts)) => {
                let mut texts = Vec::new();
                for (j, part) in parts.iter().enumerate() {
                    let Value::Object(p) = part else {
                        return Err(malformed(format!(
                            "{path}/content/{j}: expected type: JSONObject, found: {}",
                            type_name(part)
                        )));
                    };
                    match style {
                        ChatStyle::Nova => {
                            if p.len() != 1 {
                                return Err(malformed(format!(
                                    "{path}/content/{j}: exactly one content type (text, image, video, document, toolUse, toolResult) must be set"
                                )));
                            }
                            if let Some(t) = p.get("text") {
                                texts.push(t.as_str().map(str::to_owned).ok_or_else(|| {
                                    malformed(format!(
                                        "{path}/content/{j}/text: expected type: String, found: {}",
                                        type_name(t)
                                    ))
                                })?);
                            }
                        }
                        _ => {
                            let kind = p.get("type").and_then(Value::as_str).ok_or_else(|| {
                                malformed(format!(
                                    "{path}/content/{j}: required key [type] not found"
                                ))
                            })?;
                            if kind == "text" {
                                let t = p.get("text").and_then(Value::as_str).ok_or_else(|| {
                                    malformed(format!(
                                        "{path}/content/{j}: required key [text] not found"
                                    ))
                                })?;
                                texts.push(t.to_owned());
                            }
                            if style == ChatStyle::Anthropic
                                && (kind == "image" || kind == "document")
                            {
                                let at = format!("messages.{i}.content.{j}");
                                here.push(attachments::claude_block(kind, p, &at)?);
                            }
                        }
                    }
                }
                texts.join("\n")
            }
        };
        all.extend(here.iter().cloned());
        if role == "user" {
            prompt = Some(text);
            last = here;
        }
    }
    if style == ChatStyle::Anthropic {
        attachments::check_claude(&all)?;
    }
    let prompt = prompt
        .ok_or_else(|| malformed("#/messages: at least one message must have the user role"))?;
    Ok((prompt, last))
}
