//! The Anthropic Messages API that Bedrock Runtime serves under `/anthropic`
//! (`POST /anthropic/v1/messages`): request validation with Anthropic's error shape, the
//! `message` body and the server-sent event stream (`message_start`, `content_block_start`,
//! `ping`, `content_block_delta` with `text_delta` per token, `content_block_stop`,
//! `message_delta`, `message_stop`), carrying the deterministic answer
//! ([`crate::answer_for`] on the last user message, after a `Received …` line per image or
//! document it carries: see `attachments.rs`).
//!
//! Which models: Claude models of the Messages family (`anthropic.claude-3…`,
//! `claude-sonnet-…`, `claude-opus-…`, `claude-haiku-…`, as ids, system inference profiles or
//! ARNs) — the emulator's own [`Family::of_model`] rule. The version: the AWS guide asks for
//! `"anthropic_version": "bedrock-2023-05-31"` in the body on bedrock-runtime, while the
//! official SDKs send an `anthropic-version` header (a date: `2023-06-01` in the guide's curl,
//! `2026-10-21` from `@anthropic-ai/sdk` 1.17); either is accepted, one is required.

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use crate::answer::{answer_after, check_echo, fnv1a, Answer, Rng};
use crate::attachments::{self, Attachment};
use crate::families::Family;
use crate::ids::base62;
use crate::json::J;
use crate::openai::CompatError;

/// The body's `anthropic_version` that bedrock-runtime documents.
pub const BEDROCK_ANTHROPIC_VERSION: &str = "bedrock-2023-05-31";
/// Whether an `anthropic-version` header value is a version: a date `YYYY-MM-DD` from
/// `2023-01-01` on (Anthropic's versions are dates; the guide's curl sends `2023-06-01`, the
/// SDK 1.17 sends `2026-10-21`).
fn is_version(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0..4, 5..7, 8..10]
            .into_iter()
            .all(|r| b[r].iter().all(u8::is_ascii_digit))
        && v >= "2023-01-01"
}

/// Top-level members of a Messages request; anything else is refused, as Anthropic does.
const KNOWN: [&str; 19] = [
    "model",
    "messages",
    "max_tokens",
    "system",
    "stop_sequences",
    "stream",
    "temperature",
    "top_p",
    "top_k",
    "metadata",
    "tools",
    "tool_choice",
    "thinking",
    "service_tier",
    "anthropic_version",
    "anthropic_beta",
    "container",
    "context_management",
    "output_format",
];

/// A valid Messages request.
#[derive(Debug, Clone)]
pub(crate) struct MessagesRequest {
    pub model: String,
    /// The last user message's text blocks joined with `"\n"`.
    pub prompt: String,
    pub max_tokens: u32,
    pub stop_sequences: Vec<String>,
    pub stream: bool,
    /// The images and documents of the last user message: the answer starts with a line for
    /// each (as for InvokeModel's Claude Messages bodies).
    pub attachments: Vec<Attachment>,
}

impl MessagesRequest {
    pub(crate) fn answer(&self) -> Answer {
        let stops: Vec<&str> = self.stop_sequences.iter().map(String::as_str).collect();
        let lines = attachments::line_tokens(&self.attachments);
        let mut answer = answer_after(lines, &self.prompt, self.max_tokens, &stops);
        answer.input_tokens = answer
            .input_tokens
            .saturating_add(attachments::tokens(&self.attachments));
        answer
    }
}

/// Whether `/anthropic/v1/messages` serves this model id.
pub fn serves_model(model: &str) -> bool {
    Family::of_model(model) == Some(Family::ClaudeMessages)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a valid boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn invalid(message: impl Into<String>) -> CompatError {
    CompatError::invalid(message)
}

fn wrong(path: &str, expected: &str) -> CompatError {
    invalid(format!("{path}: Input should be {expected}"))
}

fn required(path: &str) -> CompatError {
    invalid(format!("{path}: Field required"))
}

/// The text of one message's `content` (a string, or blocks; `text` blocks count, `image` and
/// `document` blocks are validated and collected into `found`, other block types are accepted
/// and carry no text). Empty text is refused, as Bedrock does.
fn content_text(
    content: &Value,
    path: &str,
    found: &mut Vec<Attachment>,
) -> Result<String, CompatError> {
    match content {
        Value::String(s) if s.is_empty() => Err(invalid(format!(
            "{path}: text content blocks must be non-empty"
        ))),
        Value::String(s) => Ok(s.clone()),
        Value::Array(blocks) => {
            let mut texts = Vec::new();
            for (i, block) in blocks.iter().enumerate() {
                let p = format!("{path}.{i}");
                let Value::Object(block) = block else {
                    return Err(wrong(&p, "a valid dictionary"));
                };
                match block.get("type").and_then(Value::as_str) {
                    Some("text") => match block.get("text") {
                        Some(Value::String(s)) if s.is_empty() => {
                            return Err(invalid(format!(
                                "{p}.text: text content blocks must be non-empty"
                            )))
                        }
                        Some(Value::String(s)) => texts.push(s.clone()),
                        Some(_) => return Err(wrong(&format!("{p}.text"), "a valid string")),
                        None => return Err(required(&format!("{p}.text"))),
                    },
                    Some(kind @ ("image" | "document")) => {
                        found.push(attachments::claude_block(kind, block, &p).map_err(invalid)?);
                    }
                    Some(
                        "tool_use" | "tool_result" | "thinking" | "redacted_thinking"
                        | "search_result",
                    ) => {}
                    Some(other) => {
                        return Err(invalid(format!(
                            "{p}: Input tag '{other}' found using 'type' does not match any of \
                             the expected tags: 'text', 'image', 'document', 'tool_use', \
                             'tool_result', 'thinking', 'redacted_thinking', 'search_result'"
                        )))
                    }
                    None => {
                        return Err(invalid(format!(
                            "{p}: Unable to extract tag using discriminator 'type'"
                        )))
                    }
                }
            }
            Ok(texts.join("\n"))
        }
        _ => Err(wrong(path, "a valid string or a valid list")),
    }
}

fn optional_number(o: &Map<String, Value>, name: &str, max: f64) -> Result<(), CompatError> {
    match o.get(name) {
        None => Ok(()),
        Some(Value::Number(n)) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            if (0.0..=max).contains(&x) {
                Ok(())
            } else {
                Err(invalid(format!(
                    "{name}: range: {name} must be between 0 and {max}"
                )))
            }
        }
        Some(_) => Err(wrong(name, "a valid number")),
    }
}

/// Validates a Messages body (and the version header) the way the Anthropic API does, with
/// its messages (`max_tokens: Field required`, `foo: Extra inputs are not permitted`, …).
pub(crate) fn parse(body: &[u8], headers: &HeaderMap) -> Result<MessagesRequest, CompatError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("There was an error parsing the body: {e}")))?;
    let Value::Object(o) = value else {
        return Err(invalid(format!(
            "Input should be a valid dictionary, got {}",
            kind(&value)
        )));
    };
    match o.get("anthropic_version") {
        None => {
            let header = headers
                .get("anthropic-version")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            match header {
                None => return Err(invalid("anthropic-version: header is required")),
                Some(v) if !is_version(v.trim()) => {
                    return Err(invalid(format!(
                        "anthropic-version: invalid version {v:?}; use a date such as 2023-06-01 \
                         (or \"anthropic_version\": \"{BEDROCK_ANTHROPIC_VERSION}\" in the body)"
                    )))
                }
                Some(_) => {}
            }
        }
        Some(Value::String(v)) if v == BEDROCK_ANTHROPIC_VERSION => {}
        Some(v) => {
            return Err(invalid(format!(
                "anthropic_version: Input should be '{BEDROCK_ANTHROPIC_VERSION}', got {v}"
            )))
        }
    }
    if let Some(extra) = o.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(invalid(format!("{extra}: Extra inputs are not permitted")));
    }
    let model = match o.get("model") {
        None => return Err(required("model")),
        Some(Value::String(m)) => m.clone(),
        Some(_) => return Err(wrong("model", "a valid string")),
    };
    let max_tokens = match o.get("max_tokens") {
        None => return Err(required("max_tokens")),
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => u32::try_from(n).unwrap_or(u32::MAX),
            Some(_) => {
                return Err(invalid(
                    "max_tokens: Input should be greater than or equal to 1",
                ))
            }
            None => return Err(wrong("max_tokens", "a valid integer")),
        },
    };
    let messages = match o.get("messages") {
        None => return Err(required("messages")),
        Some(Value::Array(m)) => m,
        Some(_) => return Err(wrong("messages", "a valid list")),
    };
    if messages.is_empty() {
        return Err(invalid("messages: at least one message is required"));
    }
    let mut prompt = String::new();
    let mut all = Vec::new();
    let mut last = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let p = format!("messages.{i}");
        let Value::Object(m) = m else {
            return Err(wrong(&p, "a valid dictionary"));
        };
        let role = match m.get("role") {
            None => return Err(required(&format!("{p}.role"))),
            Some(Value::String(r)) if r == "user" || r == "assistant" => r.as_str(),
            Some(_) => return Err(wrong(&format!("{p}.role"), "'user' or 'assistant'")),
        };
        if i == 0 && role != "user" {
            return Err(invalid(
                "messages: first message must use the \"user\" role",
            ));
        }
        let content = m
            .get("content")
            .ok_or_else(|| required(&format!("{p}.content")))?;
        let mut here = Vec::new();
        let text = content_text(content, &format!("{p}.content"), &mut here)?;
        all.extend(here.iter().cloned());
        if role == "user" {
            prompt = text;
            last = here;
        }
        if let Some(extra) = m.keys().find(|k| *k != "role" && *k != "content") {
            return Err(invalid(format!(
                "{p}.{extra}: Extra inputs are not permitted"
            )));
        }
    }
    match o.get("system") {
        None | Some(Value::String(_)) => {}
        Some(v @ Value::Array(_)) => {
            content_text(v, "system", &mut Vec::new())?;
        }
        Some(_) => return Err(wrong("system", "a valid string or a valid list")),
    }
    let stop_sequences = match o.get("stop_sequences") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| wrong(&format!("stop_sequences.{i}"), "a valid string"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(wrong("stop_sequences", "a valid list")),
    };
    let stream = match o.get("stream") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(wrong("stream", "a valid boolean")),
    };
    optional_number(&o, "temperature", 1.0)?;
    optional_number(&o, "top_p", 1.0)?;
    if let Some(v) = o.get("top_k") {
        if v.as_u64().is_none() {
            return Err(wrong("top_k", "a valid integer"));
        }
    }
    if !serves_model(&model) {
        return Err(invalid("The provided model identifier is invalid.").with_param("model"));
    }
    attachments::check_claude(&all).map_err(invalid)?;
    check_echo(&prompt).map_err(invalid)?;
    Ok(MessagesRequest {
        model,
        prompt,
        max_tokens,
        stop_sequences,
        stream,
        attachments: last,
    })
}

impl CompatError {
    fn with_param(mut self, param: &str) -> Self {
        self.param = Some(param.to_owned());
        self
    }
}

fn message_id(req: &MessagesRequest) -> String {
    let mut rng = Rng::new(fnv1a(req.prompt.as_bytes()) ^ 0x0a2);
    format!("msg_bdrk_{}", base62(&mut rng, 24))
}

fn stop_sequence(answer: &Answer) -> J {
    answer.stop_sequence.clone().map_or(J::Null, J::from)
}

/// The `message` body.
pub(crate) fn message_body(req: &MessagesRequest, answer: &Answer) -> Vec<u8> {
    J::obj([
        ("id", message_id(req).into()),
        ("type", "message".into()),
        ("role", "assistant".into()),
        ("model", req.model.clone().into()),
        (
            "content",
            J::Arr(vec![J::obj([
                ("type", "text".into()),
                ("text", answer.text().into()),
            ])]),
        ),
        ("stop_reason", answer.stop_reason.into()),
        ("stop_sequence", stop_sequence(answer)),
        (
            "usage",
            J::obj([
                ("input_tokens", answer.input_tokens.into()),
                ("output_tokens", answer.output_tokens().into()),
            ]),
        ),
    ])
    .bytes()
}

fn event(name: &str, json: &J) -> String {
    format!(
        "event: {name}\ndata: {}\n\n",
        String::from_utf8_lossy(&json.bytes())
    )
}

/// The event stream, each event with the generated tokens it carries (its pacing).
pub(crate) fn message_events(req: &MessagesRequest, answer: &Answer) -> Vec<(u32, String)> {
    let mut out = vec![(
        0,
        event(
            "message_start",
            &J::obj([
                ("type", "message_start".into()),
                (
                    "message",
                    J::obj([
                        ("id", message_id(req).into()),
                        ("type", "message".into()),
                        ("role", "assistant".into()),
                        ("model", req.model.clone().into()),
                        ("content", J::Arr(Vec::new())),
                        ("stop_reason", J::Null),
                        ("stop_sequence", J::Null),
                        (
                            "usage",
                            J::obj([
                                ("input_tokens", answer.input_tokens.into()),
                                ("output_tokens", 1u32.into()),
                            ]),
                        ),
                    ]),
                ),
            ]),
        ),
    )];
    out.push((
        0,
        event(
            "content_block_start",
            &J::obj([
                ("type", "content_block_start".into()),
                ("index", 0u32.into()),
                (
                    "content_block",
                    J::obj([("type", "text".into()), ("text", "".into())]),
                ),
            ]),
        ),
    ));
    out.push((0, event("ping", &J::obj([("type", "ping".into())]))));
    for token in &answer.tokens {
        out.push((
            1,
            event(
                "content_block_delta",
                &J::obj([
                    ("type", "content_block_delta".into()),
                    ("index", 0u32.into()),
                    (
                        "delta",
                        J::obj([
                            ("type", "text_delta".into()),
                            ("text", token.clone().into()),
                        ]),
                    ),
                ]),
            ),
        ));
    }
    out.push((
        0,
        event(
            "content_block_stop",
            &J::obj([
                ("type", "content_block_stop".into()),
                ("index", 0u32.into()),
            ]),
        ),
    ));
    out.push((
        0,
        event(
            "message_delta",
            &J::obj([
                ("type", "message_delta".into()),
                (
                    "delta",
                    J::obj([
                        ("stop_reason", answer.stop_reason.into()),
                        ("stop_sequence", stop_sequence(answer)),
                    ]),
                ),
                (
                    "usage",
                    J::obj([("output_tokens", answer.output_tokens().into())]),
                ),
            ]),
        ),
    ));
    out.push((
        0,
        event("message_stop", &J::obj([("type", "message_stop".into())])),
    ));
    out
}

/// Anthropic's error `type` for a status and Bedrock error code.
fn error_type(status: u16, code: &str) -> &'static str {
    match status {
        400 | 422 => "invalid_request_error",
        401 => "authentication_error",
        403 if code == "AccessDeniedException" => "permission_error",
        403 => "authentication_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 | 529 => "overloaded_error",
        _ => "api_error",
    }
}

/// An error body in Anthropic's shape: `{"type":"error","error":{"type","message"}}`.
pub(crate) fn error_json(status: u16, code: &str, message: &str) -> J {
    J::obj([
        ("type", "error".into()),
        (
            "error",
            J::obj([
                ("type", error_type(status, code).into()),
                ("message", message.into()),
            ]),
        ),
    ])
}

/// The HTTP status and Bedrock error code an in-stream exception type stands for
/// (`throttlingException` → 429 `ThrottlingException`).
pub(crate) fn exception_status(exception_type: &str) -> (u16, String) {
    let status = match exception_type {
        "throttlingException" => 429,
        "validationException" => 400,
        "serviceUnavailableException" => 503,
        "modelTimeoutException" => 408,
        "modelStreamErrorException" => 424,
        _ => 500,
    };
    let mut code = exception_type.to_owned();
    if let Some(first) = code.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    (status, code)
}

/// A stream's in-band error event (the `exception=TYPE` fault): `event: error`.
pub(crate) fn error_event(exception_type: &str) -> String {
    let (status, code) = exception_status(exception_type);
    let message = crate::fault::exception_payload(exception_type)["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    event("error", &error_json(status, &code, &message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(version: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(v) = version {
            h.insert("anthropic-version", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn validates_like_anthropic() {
        let h = headers(Some("2023-06-01"));
        let ok = parse(
            br#"{"model":"anthropic.claude-3-haiku-20240307-v1:0","max_tokens":50,"messages":[{"role":"user","content":"What is your name?"}]}"#,
            &h,
        )
        .unwrap();
        assert_eq!(ok.answer().text(), " My name is Claude.");
        let body = br#"{"anthropic_version":"bedrock-2023-05-31","model":"us.anthropic.claude-sonnet-4-5-20250929-v1:0","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}"#;
        assert_eq!(parse(body, &headers(None)).unwrap().max_tokens, 5);
        let e = |b: &[u8], h: &HeaderMap| parse(b, h).unwrap_err().message;
        assert_eq!(
            e(br#"{"model":"anthropic.claude-3-haiku-20240307-v1:0","max_tokens":5,"messages":[{"role":"user","content":"x"}]}"#, &headers(None)),
            "anthropic-version: header is required"
        );
        assert_eq!(
            e(
                br#"{"model":"anthropic.claude-3-haiku-20240307-v1:0","messages":[]}"#,
                &h
            ),
            "max_tokens: Field required"
        );
        assert_eq!(
            e(br#"{"model":"anthropic.claude-3-haiku-20240307-v1:0","max_tokens":5,"messages":[{"role":"user","content":""}]}"#, &h),
            "messages.0.content: text content blocks must be non-empty"
        );
        assert_eq!(
            e(br#"{"model":"openai.gpt-oss-20b-1:0","max_tokens":5,"messages":[{"role":"user","content":"x"}]}"#, &h),
            "The provided model identifier is invalid."
        );
        assert_eq!(
            e(br#"{"model":"anthropic.claude-3-haiku-20240307-v1:0","max_tokens":5,"messages":[{"role":"user","content":"x"}],"foo":1}"#, &h),
            "foo: Extra inputs are not permitted"
        );
    }

    #[test]
    fn stream_events() {
        let req = parse(
            br#"{"model":"anthropic.claude-3-haiku-20240307-v1:0","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"What is your name?"}]}"#,
            &headers(Some("2023-06-01")),
        )
        .unwrap();
        let events = message_events(&req, &req.answer());
        assert_eq!(events.len(), 3 + 4 + 3);
        assert!(events[0].1.starts_with("event: message_start\ndata: {"));
        assert!(events[3]
            .1
            .contains(r#""delta":{"type":"text_delta","text":" My"}"#));
        assert_eq!(
            events[9].1,
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
        );
        assert_eq!(
            exception_status("throttlingException").1,
            "ThrottlingException"
        );
        for ok in ["2023-06-01", "2026-10-21"] {
            assert!(is_version(ok), "{ok}");
        }
        for bad in [
            "2022-12-31",
            "2023-6-01",
            "latest",
            "2023-06-01x",
            "２023-06-01",
        ] {
            assert!(!is_version(bad), "{bad}");
        }
    }
}
