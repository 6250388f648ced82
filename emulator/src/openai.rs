//! The OpenAI Chat Completions API that Bedrock Runtime serves under `/openai/v1`
//! (`POST /openai/v1/chat/completions`): request validation with OpenAI's error shape, the
//! `chat.completion` body and the `chat.completion.chunk` server-sent events, all carrying the
//! deterministic answer ([`crate::answer_for`] on the last user message).
//!
//! Which models: the OpenAI models Bedrock serves there (`openai.gpt-oss-20b-1:0`,
//! `openai.gpt-oss-120b-1:0`, any `openai.gpt-oss-…` id, as a foundation-model id, a system
//! inference profile or an ARN). Claude, Nova, Llama… ids are refused, as on Bedrock, which
//! serves them through Converse/InvokeModel (and Claude through `/anthropic`).

use serde_json::{Map, Value};

use crate::answer::{answer_for, check_echo, fnv1a, Answer, Rng};
use crate::families::base_model_id;
use crate::json::J;

/// Output tokens when neither `max_completion_tokens` nor `max_tokens` is given.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

/// The message for a model id the endpoint does not serve (Bedrock's invalid-model text).
const INVALID_MODEL: &str = "The provided model identifier is invalid.";

/// A request the endpoint refuses: HTTP status, Bedrock's error code (`x-amzn-ErrorType`), the
/// message, and OpenAI's `param` and `code`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompatError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub param: Option<String>,
    /// OpenAI's `code` (`invalid_value`, `empty_array`, …); Bedrock's error code otherwise.
    pub api_code: Option<&'static str>,
}

impl CompatError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        CompatError {
            status: 400,
            code: "ValidationException",
            message: message.into(),
            param: None,
            api_code: None,
        }
    }

    fn at(mut self, param: impl Into<String>, api_code: Option<&'static str>) -> Self {
        self.param = Some(param.into());
        self.api_code = api_code;
        self
    }
}

/// A valid Chat Completions request.
#[derive(Debug, Clone)]
pub(crate) struct ChatRequest {
    /// The `model` as sent.
    pub model: String,
    /// The last user message's text parts joined with `"\n"`.
    pub prompt: String,
    pub max_tokens: u32,
    pub stop: Vec<String>,
    pub stream: bool,
    /// `stream_options.include_usage`.
    pub include_usage: bool,
}

impl ChatRequest {
    pub(crate) fn answer(&self) -> Answer {
        let stops: Vec<&str> = self.stop.iter().map(String::as_str).collect();
        answer_for(&self.prompt, self.max_tokens, &stops)
    }
}

/// Whether the Chat Completions endpoint serves this model id.
pub fn serves_model(model: &str) -> bool {
    let Some(id) = base_model_id(model) else {
        return false;
    };
    let Some(rest) = id.strip_prefix("openai.gpt-oss-") else {
        return false;
    };
    let (name, version) = match rest.split_once(':') {
        Some((n, v)) => (n, Some(v)),
        None => (rest, None),
    };
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && version.is_none_or(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
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

fn wrong_type(param: &str, expected: &str, got: &Value) -> CompatError {
    CompatError::invalid(format!(
        "Invalid type for '{param}': expected {expected}, but got {} instead.",
        type_name(got)
    ))
    .at(param, Some("invalid_type"))
}

fn optional_number(
    o: &Map<String, Value>,
    name: &str,
    min: f64,
    max: f64,
) -> Result<(), CompatError> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Number(n)) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            if (min..=max).contains(&x) {
                Ok(())
            } else {
                Err(CompatError::invalid(format!(
                    "Invalid '{name}': number must be between {min} and {max}, got {n}."
                ))
                .at(name, Some("invalid_value")))
            }
        }
        Some(other) => Err(wrong_type(name, "a decimal", other)),
    }
}

/// The text of one message's `content`: a string, or an array of parts (`text` parts count;
/// `image_url`, `input_audio`, `file` and `refusal` parts are accepted and carry no text).
fn content_text(content: &Value, param: &str) -> Result<Option<String>, CompatError> {
    match content {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Array(parts) => {
            let mut texts = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                let p = format!("{param}[{i}]");
                let Value::Object(part) = part else {
                    return Err(wrong_type(&p, "an object", part));
                };
                match part.get("type") {
                    Some(Value::String(t)) if t == "text" => match part.get("text") {
                        Some(Value::String(s)) => texts.push(s.clone()),
                        None => {
                            return Err(CompatError::invalid(format!(
                                "Missing required parameter: '{p}.text'."
                            ))
                            .at(format!("{p}.text"), Some("missing_required_parameter")))
                        }
                        Some(other) => {
                            return Err(wrong_type(&format!("{p}.text"), "a string", other))
                        }
                    },
                    Some(Value::String(t))
                        if ["image_url", "input_audio", "file", "refusal"]
                            .contains(&t.as_str()) => {}
                    Some(Value::String(t)) => {
                        return Err(CompatError::invalid(format!(
                            "Invalid value: '{t}'. Supported values are: 'text', 'image_url', \
                             'input_audio', 'refusal' and 'file'."
                        ))
                        .at(format!("{p}.type"), Some("invalid_value")))
                    }
                    None => {
                        return Err(CompatError::invalid(format!(
                            "Missing required parameter: '{p}.type'."
                        ))
                        .at(format!("{p}.type"), Some("missing_required_parameter")))
                    }
                    Some(other) => return Err(wrong_type(&format!("{p}.type"), "a string", other)),
                }
            }
            Ok(Some(texts.join("\n")))
        }
        other => Err(wrong_type(
            param,
            "one of a string or array of objects",
            other,
        )),
    }
}

/// Validates a Chat Completions body the way the OpenAI API does (the first violation, with
/// OpenAI's message, `param` and `code`). Unknown members are ignored.
pub(crate) fn parse(body: &[u8]) -> Result<ChatRequest, CompatError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        CompatError::invalid(format!(
            "We could not parse the JSON body of your request. (HINT: This likely means you \
             aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but \
             what was sent was not valid JSON.) {e}"
        ))
    })?;
    let Value::Object(o) = value else {
        return Err(CompatError::invalid(format!(
            "Invalid type for the request body: expected an object, but got {} instead.",
            type_name(&value)
        )));
    };
    let model = match o.get("model") {
        None | Some(Value::Null) => {
            return Err(CompatError::invalid("you must provide a model parameter"))
        }
        Some(Value::String(m)) => m.clone(),
        Some(other) => return Err(wrong_type("model", "a string", other)),
    };
    let messages = match o.get("messages") {
        None | Some(Value::Null) => {
            return Err(
                CompatError::invalid("Missing required parameter: 'messages'.")
                    .at("messages", Some("missing_required_parameter")),
            )
        }
        Some(Value::Array(m)) => m,
        Some(other) => return Err(wrong_type("messages", "an array", other)),
    };
    if messages.is_empty() {
        return Err(CompatError::invalid(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an \
             empty array instead.",
        )
        .at("messages", Some("empty_array")));
    }
    let mut prompt = None;
    for (i, m) in messages.iter().enumerate() {
        let p = format!("messages[{i}]");
        let Value::Object(m) = m else {
            return Err(wrong_type(&p, "an object", m));
        };
        let role = match m.get("role") {
            Some(Value::String(r)) => r.as_str(),
            None => {
                return Err(CompatError::invalid(format!(
                    "Missing required parameter: '{p}.role'."
                ))
                .at(format!("{p}.role"), Some("missing_required_parameter")))
            }
            Some(other) => return Err(wrong_type(&format!("{p}.role"), "a string", other)),
        };
        if ![
            "system",
            "developer",
            "user",
            "assistant",
            "tool",
            "function",
        ]
        .contains(&role)
        {
            return Err(CompatError::invalid(format!(
                "Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', \
                 'function', 'tool', and 'developer'."
            ))
            .at(format!("{p}.role"), Some("invalid_value")));
        }
        let content = m.get("content").unwrap_or(&Value::Null);
        let cp = format!("{p}.content");
        if content.is_null() && role != "assistant" {
            return Err(
                CompatError::invalid(format!("Missing required parameter: '{cp}'."))
                    .at(cp, Some("missing_required_parameter")),
            );
        }
        let text = content_text(content, &cp)?;
        if role == "tool" && !matches!(m.get("tool_call_id"), Some(Value::String(_))) {
            return Err(CompatError::invalid(format!(
                "Missing required parameter: '{p}.tool_call_id'."
            ))
            .at(
                format!("{p}.tool_call_id"),
                Some("missing_required_parameter"),
            ));
        }
        if role == "user" {
            prompt = text;
        }
    }
    let max_tokens = {
        let mut chosen = None;
        for name in ["max_completion_tokens", "max_tokens"] {
            match o.get(name) {
                None | Some(Value::Null) => {}
                Some(v) => {
                    let n = v
                        .as_u64()
                        .ok_or_else(|| wrong_type(name, "an integer", v))?;
                    if n < 1 {
                        return Err(CompatError::invalid(format!(
                            "Invalid '{name}': integer below minimum value. Expected a value >= \
                             1, but got {n} instead."
                        ))
                        .at(name, Some("integer_below_min_value")));
                    }
                    chosen.get_or_insert(u32::try_from(n).unwrap_or(u32::MAX));
                }
            }
        }
        chosen.unwrap_or(DEFAULT_MAX_TOKENS)
    };
    let stop = match o.get("stop") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => {
            if items.len() > 4 {
                return Err(CompatError::invalid(format!(
                    "Invalid 'stop': array too long. Expected an array with maximum length 4, but \
                     got an array with length {} instead.",
                    items.len()
                ))
                .at("stop", Some("array_above_max_length")));
            }
            items
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    s.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| wrong_type(&format!("stop[{i}]"), "a string", s))
                })
                .collect::<Result<_, _>>()?
        }
        Some(other) => return Err(wrong_type("stop", "one of a string or array", other)),
    };
    let stream = match o.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(wrong_type("stream", "a boolean", other)),
    };
    let include_usage = match o.get("stream_options") {
        None | Some(Value::Null) => false,
        Some(_) if !stream => {
            return Err(CompatError::invalid(
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            )
            .at("stream_options", Some("invalid_value")))
        }
        Some(Value::Object(so)) => match so.get("include_usage") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(wrong_type(
                    "stream_options.include_usage",
                    "a boolean",
                    other,
                ))
            }
        },
        Some(other) => return Err(wrong_type("stream_options", "an object", other)),
    };
    match o.get("n") {
        None | Some(Value::Null) => {}
        Some(v) if v.as_u64() == Some(1) => {}
        Some(v) if v.is_u64() || v.is_i64() => {
            return Err(CompatError::invalid(format!(
                "Invalid 'n': only n = 1 is supported on Amazon Bedrock, got {v}."
            ))
            .at("n", Some("invalid_value")))
        }
        Some(other) => return Err(wrong_type("n", "an integer", other)),
    }
    optional_number(&o, "temperature", 0.0, 2.0)?;
    optional_number(&o, "top_p", 0.0, 1.0)?;
    optional_number(&o, "frequency_penalty", -2.0, 2.0)?;
    optional_number(&o, "presence_penalty", -2.0, 2.0)?;
    // The model is checked after the body, as an invalid id is Bedrock's (not OpenAI's) error.
    if !serves_model(&model) {
        return Err(CompatError::invalid(INVALID_MODEL).at("model", None));
    }
    let prompt = prompt.unwrap_or_default();
    check_echo(&prompt).map_err(CompatError::invalid)?;
    Ok(ChatRequest {
        model,
        prompt,
        max_tokens,
        stop,
        stream,
        include_usage,
    })
}

/// OpenAI's `finish_reason` for an answer's stop reason.
fn finish_reason(answer: &Answer) -> &'static str {
    match answer.stop_reason {
        "max_tokens" => "length",
        _ => "stop",
    }
}

fn usage(answer: &Answer) -> J {
    let (input, output) = (answer.input_tokens, answer.output_tokens());
    J::obj([
        ("prompt_tokens", input.into()),
        ("completion_tokens", output.into()),
        ("total_tokens", input.saturating_add(output).into()),
    ])
}

/// The completion id, `chatcmpl-` + 32 hex digits, drawn from the prompt.
fn completion_id(req: &ChatRequest) -> String {
    let mut rng = Rng::new(fnv1a(req.prompt.as_bytes()) ^ 0x0a1);
    format!("chatcmpl-{:016x}{:016x}", rng.next_u64(), rng.next_u64())
}

/// The `chat.completion` body.
pub(crate) fn completion_body(req: &ChatRequest, answer: &Answer, created: i64) -> Vec<u8> {
    J::obj([
        ("id", completion_id(req).into()),
        ("object", "chat.completion".into()),
        ("created", created.into()),
        ("model", req.model.clone().into()),
        (
            "choices",
            J::Arr(vec![J::obj([
                ("index", 0u32.into()),
                (
                    "message",
                    J::obj([
                        ("role", "assistant".into()),
                        ("content", answer.text().into()),
                        ("refusal", J::Null),
                    ]),
                ),
                ("logprobs", J::Null),
                ("finish_reason", finish_reason(answer).into()),
            ])]),
        ),
        ("usage", usage(answer)),
    ])
    .bytes()
}

/// One SSE event: `data: <json>\n\n`.
fn data(json: &J) -> String {
    format!("data: {}\n\n", String::from_utf8_lossy(&json.bytes()))
}

/// The stream: a first chunk with the role, one chunk per token, a chunk with the
/// `finish_reason`, with `include_usage` a last chunk with empty `choices` and the usage (every
/// other chunk then has `"usage": null`), and `data: [DONE]`. Each event comes with the number
/// of generated tokens it carries (its pacing).
pub(crate) fn completion_events(
    req: &ChatRequest,
    answer: &Answer,
    created: i64,
) -> Vec<(u32, String)> {
    let id = completion_id(req);
    let chunk = |delta: J, finish: J| {
        let mut j = J::obj([
            ("id", id.clone().into()),
            ("object", "chat.completion.chunk".into()),
            ("created", created.into()),
            ("model", req.model.clone().into()),
            (
                "choices",
                J::Arr(vec![J::obj([
                    ("index", 0u32.into()),
                    ("delta", delta),
                    ("logprobs", J::Null),
                    ("finish_reason", finish),
                ])]),
            ),
        ]);
        if req.include_usage {
            j.push("usage", J::Null);
        }
        data(&j)
    };
    let mut events = vec![(
        0,
        chunk(
            J::obj([
                ("role", "assistant".into()),
                ("content", "".into()),
                ("refusal", J::Null),
            ]),
            J::Null,
        ),
    )];
    for token in &answer.tokens {
        events.push((
            1,
            chunk(J::obj([("content", token.clone().into())]), J::Null),
        ));
    }
    events.push((0, chunk(J::obj([]), finish_reason(answer).into())));
    if req.include_usage {
        let j = J::obj([
            ("id", id.clone().into()),
            ("object", "chat.completion.chunk".into()),
            ("created", created.into()),
            ("model", req.model.clone().into()),
            ("choices", J::Arr(Vec::new())),
            ("usage", usage(answer)),
        ]);
        events.push((0, data(&j)));
    }
    events.push((0, "data: [DONE]\n\n".to_owned()));
    events
}

/// OpenAI's error `type` for a status and Bedrock error code.
fn error_type(status: u16, code: &str) -> &'static str {
    match status {
        400 | 404 | 413 | 422 => "invalid_request_error",
        401 => "authentication_error",
        403 if code == "AccessDeniedException" => "permission_error",
        403 => "authentication_error",
        429 => "rate_limit_error",
        _ => "server_error",
    }
}

/// An error body in OpenAI's shape: `{"error":{"message","type","param","code"}}`. `code` is
/// OpenAI's code for a validation detail, else Bedrock's error code.
pub(crate) fn error_json(
    status: u16,
    code: &str,
    message: &str,
    param: Option<&str>,
    api_code: Option<&str>,
) -> J {
    J::obj([(
        "error",
        J::obj([
            ("message", message.into()),
            ("type", error_type(status, code).into()),
            ("param", param.map_or(J::Null, J::from)),
            ("code", api_code.unwrap_or(code).into()),
        ]),
    )])
}

/// A stream's in-band error event (the `exception=TYPE` fault): `data: {"error":{…}}`.
pub(crate) fn error_event(exception_type: &str) -> String {
    let (status, code) = crate::anthropic::exception_status(exception_type);
    let message = crate::fault::exception_payload(exception_type)["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    data(&error_json(status, &code, &message, None, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models() {
        for ok in [
            "openai.gpt-oss-20b-1:0",
            "openai.gpt-oss-120b-1:0",
            "us.openai.gpt-oss-20b-1:0",
            "arn:aws:bedrock:us-east-1::foundation-model/openai.gpt-oss-120b-1:0",
            "openai.gpt-oss-safeguard-20b",
        ] {
            assert!(serves_model(ok), "{ok}");
        }
        for bad in [
            "anthropic.claude-3-haiku-20240307-v1:0",
            "openai.gpt-oss-",
            "openai.gpt-4o",
            "openai.gpt-oss-20b-1:",
            "openai.gpt-oss-20B-1:0",
            "",
        ] {
            assert!(!serves_model(bad), "{bad}");
        }
    }

    #[test]
    fn validates_like_openai() {
        let p = |s: &str| parse(s.as_bytes());
        let ok = p(r#"{"model":"openai.gpt-oss-20b-1:0","messages":[{"role":"system","content":"x"},{"role":"user","content":[{"type":"text","text":"What is"},{"type":"text","text":"your name?"}]}],"max_tokens":9,"stop":["zz"]}"#).unwrap();
        assert_eq!(
            (ok.prompt.as_str(), ok.max_tokens, ok.stream),
            ("What is\nyour name?", 9, false)
        );
        assert_eq!(ok.answer().text(), " My name is Claude.");
        let e = p(r#"{"model":"openai.gpt-oss-20b-1:0","messages":[]}"#).unwrap_err();
        assert_eq!(
            (e.param.as_deref(), e.api_code),
            (Some("messages"), Some("empty_array"))
        );
        let e =
            p(r#"{"model":"openai.gpt-oss-20b-1:0","messages":[{"role":"robot","content":"x"}]}"#)
                .unwrap_err();
        assert_eq!(e.param.as_deref(), Some("messages[0].role"));
        let e = p(r#"{"model":"openai.gpt-oss-20b-1:0","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}}"#).unwrap_err();
        assert!(e.message.contains("only allowed when 'stream' is enabled"));
        let e = p(r#"{"model":"anthropic.claude-3-haiku-20240307-v1:0","messages":[{"role":"user","content":"x"}]}"#).unwrap_err();
        assert_eq!(e.message, INVALID_MODEL);
        assert!(p("[1]").is_err() && p("{").is_err() && p(r#"{"messages":[]}"#).is_err());
        let e = p(r#"{"model":"openai.gpt-oss-20b-1:0","messages":[{"role":"user","content":"x"}],"max_tokens":0}"#).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("max_tokens"));
    }

    #[test]
    fn stream_events() {
        let req = parse(br#"{"model":"openai.gpt-oss-20b-1:0","messages":[{"role":"user","content":"What is your name?"}],"stream":true,"stream_options":{"include_usage":true}}"#).unwrap();
        let answer = req.answer();
        let events = completion_events(&req, &answer, 1);
        assert_eq!(events.len(), 1 + 4 + 1 + 1 + 1);
        assert!(events
            .iter()
            .all(|(_, e)| e.starts_with("data: ") && e.ends_with("\n\n")));
        assert_eq!(events.last().unwrap().1, "data: [DONE]\n\n");
        assert!(events[6]
            .1
            .contains(r#""choices":[],"usage":{"prompt_tokens":8"#));
    }
}
