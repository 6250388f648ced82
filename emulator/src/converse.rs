//! Converse and ConverseStream (BEDROCK.md §4): the request body validated like Bedrock's
//! service model, the JSON answer with `usage` and `metrics.latencyMs`, and the stream events
//! `messageStart → contentBlockDelta… → contentBlockStop → messageStop → metadata`, each
//! payload with its keys sorted and a `p` padding field, as in the captures.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::answer::check_echo;
use crate::answer::{answer_after, Answer};
use crate::attachments::{self, Attachment, Caps, Found, Kind};
use crate::families::schema::json_object;
use crate::families::{Family, INVALID_MODEL_ID};
use crate::json::J;
use crate::plan::{Frame, Planned};
use crate::structured;

/// Default `maxTokens` when `inferenceConfig` leaves it out.
const DEFAULT_MAX_TOKENS: u32 = 4096;

/// The content-block union members a `messages[].content[]` entry may set (exactly one).
const CONTENT_BLOCKS: [&str; 14] = [
    "text",
    "image",
    "document",
    "video",
    "audio",
    "toolUse",
    "toolResult",
    "guardContent",
    "cachePoint",
    "reasoningContent",
    "citationsContent",
    "searchResult",
    "toolAddition",
    "toolRemoval",
];

/// The key of the emulator's reasoning signatures (HMAC-SHA256 of the reasoning text, base64).
const SIGNATURE_KEY: &[u8] = b"bedrock-emulator reasoning signature key";

/// In the last user message, asks for a redacted reasoning block too.
pub const REDACTED_MARKER: &str = "[redacted-reasoning]";

/// The signature the emulator gives a reasoning text, and requires back with it.
pub fn reasoning_signature(text: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SIGNATURE_KEY)
        .expect("HMAC takes keys of any length");
    mac.update(text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The error Bedrock passes on from the model (Anthropic's wording) for a history it refuses.
fn model_error(detail: String) -> String {
    format!("The model returned the following errors: {detail}")
}

/// What a Converse answer depends on.
#[derive(Debug, Clone)]
pub(crate) struct ConverseRequest {
    /// The text of the last user message (its `text` blocks, and the `text` of its tool
    /// results, joined with `"\n"`).
    pub prompt: String,
    pub max_tokens: u32,
    pub stops: Vec<String>,
    /// `additionalModelRequestFields.thinking: {type: "enabled"}` or `reasoningConfig`.
    pub reasoning: bool,
    /// The tool the last user message asks for (`use <name>`), when `toolConfig` has it and
    /// the message carries no tool result.
    pub tool: Option<String>,
    /// `outputConfig.textFormat`'s JSON schema: the answer is then a JSON document that
    /// satisfies it ([`structured::instance`]).
    pub schema: Option<Value>,
    /// The images, documents and videos of the last user message (its tool results'
    /// included), in order: the answer starts with a line for each.
    pub attachments: Vec<Attachment>,
}

/// A Converse answer: the text [`Answer`] (which it derefs to) and the blocks around it.
#[derive(Debug, Clone)]
pub(crate) struct ConverseAnswer {
    pub answer: Answer,
    /// The reasoning text (block 0), signed with [`reasoning_signature`].
    pub reasoning: Option<String>,
    /// A redacted reasoning block (base64), when the prompt holds [`REDACTED_MARKER`].
    pub redacted: Option<String>,
    /// `(toolUseId, name, input JSON)` of a tool call after the text.
    pub tool: Option<(String, String, String)>,
}

impl std::ops::Deref for ConverseAnswer {
    type Target = Answer;
    fn deref(&self) -> &Answer {
        &self.answer
    }
}

impl ConverseRequest {
    pub fn answer(&self) -> ConverseAnswer {
        let stops: Vec<&str> = self.stops.iter().map(String::as_str).collect();
        let lines = attachments::line_tokens(&self.attachments);
        let mut answer = answer_after(lines.clone(), &self.prompt, self.max_tokens, &stops);
        answer.input_tokens = answer
            .input_tokens
            .saturating_add(attachments::tokens(&self.attachments));
        let hash = crate::answer::fnv1a(self.prompt.as_bytes());
        let tool = self.tool.as_ref().map(|name| {
            answer.tokens = lines.clone();
            answer
                .tokens
                .extend(["I will".into(), " call ".into(), format!("{name}.")]);
            answer.stop_reason = "tool_use";
            answer.stop_sequence = None;
            let input = serde_json::json!({
                "query": self.prompt,
                "units": "celsius",
                "days": [1, 2.5, -3],
                "options": {"detail": "a \"quoted\" ☕ value", "strict": true, "none": null}
            });
            (
                format!("tooluse_{hash:016x}"),
                name.clone(),
                input.to_string(),
            )
        });
        if let (None, Some(schema)) = (&tool, &self.schema) {
            let mut tokens = lines.clone();
            tokens.extend(structured::tokens(schema));
            answer.stop_reason = if tokens.len() > self.max_tokens as usize {
                "max_tokens"
            } else {
                "end_turn"
            };
            tokens.truncate(self.max_tokens as usize);
            answer.tokens = tokens;
            answer.stop_sequence = None;
        }
        let reasoning = self.reasoning.then(|| {
            let head: String = self.prompt.chars().take(40).collect();
            format!("The user wrote \u{201c}{head}\u{201d}. I think it through step by step — café, 日本語, 🍫 — then answer.")
        });
        let redacted = (self.reasoning && self.prompt.contains(REDACTED_MARKER)).then(|| {
            base64::engine::general_purpose::STANDARD
                .encode(format!("emulator-redacted-reasoning:{hash:016x}"))
        });
        ConverseAnswer {
            answer,
            reasoning,
            redacted,
            tool,
        }
    }
}

/// The deterministic answer the emulator gives to a `Converse` or `ConverseStream` request for
/// `model_id` (any id [`Family::of_model`] knows: Converse answers the same for every family)
/// with this `body`: `answer.text()` is the text a client decodes. `Err` holds the message of
/// the `ValidationException` the emulator answers instead. Authentication and faults are not
/// considered. See [`invoke_answer`](crate::invoke_answer) for the model-native operations.
pub fn converse_answer(model_id: &str, body: &[u8]) -> Result<Answer, String> {
    Family::of_model(model_id).ok_or(INVALID_MODEL_ID)?;
    let req = parse_converse(model_id, body)?;
    check_echo(&req.prompt)?;
    Ok(req.answer().answer)
}

/// `1 validation error detected: Value '<v>' at '<path>' failed to satisfy constraint: Member
/// must <rule>` — the service framework's message for a constraint violation.
fn constraint(value: &Value, path: &str, rule: &str) -> String {
    let shown = match value {
        Value::Null => "null".to_owned(),
        Value::String(s) => format!("'{s}'"),
        other => format!("'{other}'"),
    };
    let value = if shown == "null" {
        "Value null".to_owned()
    } else {
        format!("Value {shown}")
    };
    format!("1 validation error detected: {value} at '{path}' failed to satisfy constraint: Member must {rule}")
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| constraint(v, path, "be a structure"))
}

fn list<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, String> {
    v.as_array().ok_or_else(|| constraint(v, path, "be a list"))
}

/// Validates a Converse / ConverseStream body (BEDROCK.md §4.1) for `model_id` (whose
/// attachments it checks against what the model accepts).
pub(crate) fn parse_converse(model_id: &str, body: &[u8]) -> Result<ConverseRequest, String> {
    parse_converse_for(Caps::of(model_id), body)
}

/// The attachments of the Converse content block `b` at `bpath` (`messages.1.member.content.2.member`,
/// Bedrock's own `at` = `messages.0.content.1`), its tool result's included, validated.
fn block_attachments(
    b: &Map<String, Value>,
    bpath: &str,
    at: &str,
) -> Result<Vec<(String, bool, Attachment)>, String> {
    let mut out = Vec::new();
    for kind in Kind::ALL {
        if let Some(v) = b.get(kind.name()) {
            let a = attachments::converse_block(kind, v, bpath, at)?;
            out.push((at.to_owned(), true, a));
        }
    }
    let results = b
        .get("toolResult")
        .and_then(|r| r.get("content"))
        .and_then(Value::as_array);
    for (k, c) in results.into_iter().flatten().enumerate() {
        for kind in Kind::ALL {
            if let Some(v) = c.get(kind.name()) {
                let cpath = format!("{bpath}.toolResult.content.{}.member", k + 1);
                let cat = format!("{at}.toolResult.content.{k}");
                let a = attachments::converse_block(kind, v, &cpath, &cat)?;
                out.push((cat, false, a));
            }
        }
    }
    Ok(out)
}

/// [`parse_converse`] for a model that accepts `caps`.
pub(crate) fn parse_converse_for(caps: Caps, body: &[u8]) -> Result<ConverseRequest, String> {
    let obj = json_object(body)?;
    let messages = obj.get("messages").unwrap_or(&Value::Null);
    if messages.is_null() {
        return Err(constraint(messages, "messages", "not be null"));
    }
    let messages = list(messages, "messages")?;
    let mut prompt = None;
    let mut previous_role = None;
    // The toolUse ids of the previous (assistant) message, which tool results must answer.
    let mut tool_ids: Vec<String> = Vec::new();
    let mut last_has_tool_result = false;
    let mut found: Vec<Found> = Vec::new();
    let mut last_attachments = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let path = format!("messages.{}.member", i + 1);
        let m = object(message, &path)?;
        let role = m.get("role").unwrap_or(&Value::Null);
        let role = match role.as_str() {
            Some(r @ ("user" | "assistant")) => r,
            _ => {
                return Err(constraint(
                    role,
                    &format!("{path}.role"),
                    "satisfy enum value set: [user, assistant]",
                ))
            }
        };
        if i == 0 && role != "user" {
            return Err("A conversation must start with a user message. Try again with a conversation that starts with a user message.".into());
        }
        if previous_role == Some(role) {
            return Err("A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.".into());
        }
        previous_role = Some(role);
        let content = m.get("content").unwrap_or(&Value::Null);
        if content.is_null() {
            return Err(constraint(
                content,
                &format!("{path}.content"),
                "not be null",
            ));
        }
        let mut texts = Vec::new();
        let mut ids = Vec::new();
        let mut here: Vec<(String, bool, Attachment)> = Vec::new();
        let mut has_text = false;
        last_has_tool_result = false;
        for (j, block) in list(content, &format!("{path}.content"))?
            .iter()
            .enumerate()
        {
            let bpath = format!("{path}.content.{}.member", j + 1);
            let b = object(block, &bpath)?;
            let set: Vec<&String> = b.keys().collect();
            if set.len() != 1 || !CONTENT_BLOCKS.contains(&set[0].as_str()) {
                return Err(format!(
                    "The content block at {bpath} must set exactly one of: {}.",
                    CONTENT_BLOCKS.join(", ")
                ));
            }
            if let Some(text) = b.get("text") {
                match text.as_str() {
                    Some(t) => texts.push(t.to_owned()),
                    None => return Err(constraint(text, &format!("{bpath}.text"), "be a string")),
                }
            }
            has_text |= b.contains_key("text");
            here.extend(block_attachments(
                b,
                &bpath,
                &format!("messages.{i}.content.{j}"),
            )?);
            check_history_block(b, role, i, j, &tool_ids, &mut ids, &mut texts)?;
            last_has_tool_result |= b.contains_key("toolResult");
        }
        tool_ids = ids;
        found.extend(here.iter().map(|(at, top, a)| Found {
            at: at.clone(),
            user: role == "user",
            lacks_text: *top && a.kind == Kind::Document && !has_text,
            attachment: a.clone(),
        }));
        if role == "user" {
            prompt = Some(texts.join("\n"));
            last_attachments = here.into_iter().map(|(_, _, a)| a).collect();
        }
    }
    let Some(prompt) = prompt else {
        return Err("A conversation must start with a user message. Try again with a conversation that starts with a user message.".into());
    };
    if let Some(system) = obj.get("system") {
        for (i, block) in list(system, "system")?.iter().enumerate() {
            object(block, &format!("system.{}.member", i + 1))?;
        }
    }
    let mut max_tokens = DEFAULT_MAX_TOKENS;
    let mut stops = Vec::new();
    if let Some(config) = obj.get("inferenceConfig") {
        let config = object(config, "inferenceConfig")?;
        if let Some(v) = config.get("maxTokens") {
            let path = "inferenceConfig.maxTokens";
            let n = v
                .as_i64()
                .ok_or_else(|| constraint(v, path, "be an integer"))?;
            if n < 1 {
                return Err(constraint(v, path, "have value greater than or equal to 1"));
            }
            max_tokens = u32::try_from(n).unwrap_or(u32::MAX);
        }
        for key in ["temperature", "topP"] {
            if let Some(v) = config.get(key) {
                let path = format!("inferenceConfig.{key}");
                let x = v
                    .as_f64()
                    .ok_or_else(|| constraint(v, &path, "be a number"))?;
                if x < 0.0 {
                    return Err(constraint(
                        v,
                        &path,
                        "have value greater than or equal to 0",
                    ));
                }
                if x > 1.0 {
                    return Err(constraint(v, &path, "have value less than or equal to 1"));
                }
            }
        }
        if let Some(v) = config.get("stopSequences") {
            for (i, s) in list(v, "inferenceConfig.stopSequences")?.iter().enumerate() {
                let path = format!("inferenceConfig.stopSequences.{}.member", i + 1);
                match s.as_str() {
                    Some("") => {
                        return Err(constraint(
                            s,
                            &path,
                            "have length greater than or equal to 1",
                        ))
                    }
                    Some(t) => stops.push(t.to_owned()),
                    None => return Err(constraint(s, &path, "be a string")),
                }
            }
        }
    }
    for key in [
        "toolConfig",
        "guardrailConfig",
        "additionalModelRequestFields",
        "promptVariables",
        "requestMetadata",
        "performanceConfig",
        "serviceTier",
        "outputConfig",
    ] {
        if let Some(v) = obj.get(key) {
            object(v, key)?;
        }
    }
    if let Some(v) = obj.get("additionalModelResponseFieldPaths") {
        list(v, "additionalModelResponseFieldPaths")?;
    }
    let fields = obj.get("additionalModelRequestFields");
    let reasoning = fields.is_some_and(|f| {
        f.pointer("/thinking/type").and_then(Value::as_str) == Some("enabled")
            || f.pointer("/reasoningConfig/type").and_then(Value::as_str) == Some("enabled")
    });
    let tools = obj
        .get("toolConfig")
        .and_then(|c| c.get("tools"))
        .and_then(Value::as_array);
    let tool = (!last_has_tool_result)
        .then(|| {
            tools.into_iter().flatten().find_map(|t| {
                let name = t.pointer("/toolSpec/name")?.as_str()?;
                prompt
                    .contains(&format!("use {name}"))
                    .then(|| name.to_owned())
            })
        })
        .flatten();
    attachments::check_converse(caps, &found)?;
    let schema = structured::schema(obj.get("outputConfig"))?;
    Ok(ConverseRequest {
        prompt,
        max_tokens,
        stops,
        reasoning,
        tool,
        schema,
        attachments: last_attachments,
    })
}

/// Checks one content block of the history as Bedrock (the model behind it) does: an
/// assistant's reasoning must carry the signature it was given; a user's tool result must
/// answer a toolUse of the message before. Collects the message's toolUse ids into `ids` and
/// a tool result's text into `texts`.
fn check_history_block(
    b: &Map<String, Value>,
    role: &str,
    i: usize,
    j: usize,
    previous_ids: &[String],
    ids: &mut Vec<String>,
    texts: &mut Vec<String>,
) -> Result<(), String> {
    if role == "assistant" {
        if let Some(r) = b
            .get("reasoningContent")
            .and_then(|r| r.get("reasoningText"))
        {
            let text = r.get("text").and_then(Value::as_str).unwrap_or_default();
            match r.get("signature").and_then(Value::as_str) {
                None | Some("") => {
                    return Err(model_error(format!(
                        "messages.{i}.content.{j}.thinking.signature: Field required"
                    )))
                }
                Some(s) if s != reasoning_signature(text) => {
                    return Err(model_error(format!(
                        "messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
                    )))
                }
                Some(_) => {}
            }
        }
        if let Some(id) = b
            .get("toolUse")
            .and_then(|t| t.get("toolUseId"))
            .and_then(Value::as_str)
        {
            ids.push(id.to_owned());
        }
    }
    if let Some(r) = b.get("toolResult") {
        let id = r
            .get("toolUseId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if role != "user" || !previous_ids.iter().any(|p| p == id) {
            return Err(model_error(format!(
                "messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
            )));
        }
        for c in r
            .get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(t) = c.get("text").and_then(Value::as_str) {
                texts.push(t.to_owned());
            }
        }
    }
    Ok(())
}

fn usage(a: &ConverseAnswer) -> J {
    J::obj([
        ("inputTokens", a.input_tokens.into()),
        ("outputTokens", a.output_tokens().into()),
        (
            "totalTokens",
            a.input_tokens.saturating_add(a.output_tokens()).into(),
        ),
    ])
}

/// The answer's content blocks, in order: reasoning, redacted reasoning, text, tool use. The
/// stream sends the same blocks at the same indices.
fn blocks(a: &ConverseAnswer) -> Vec<J> {
    let mut out = Vec::new();
    if let Some(r) = &a.reasoning {
        out.push(J::obj([(
            "reasoningContent",
            J::obj([(
                "reasoningText",
                J::obj([
                    ("signature", reasoning_signature(r).into()),
                    ("text", r.as_str().into()),
                ]),
            )]),
        )]));
    }
    if let Some(r) = &a.redacted {
        out.push(J::obj([(
            "reasoningContent",
            J::obj([("redactedContent", r.as_str().into())]),
        )]));
    }
    out.push(J::obj([("text", a.text().into())]));
    if let Some((id, name, input)) = &a.tool {
        let input: Value = serde_json::from_str(input).unwrap_or_default();
        out.push(J::obj([(
            "toolUse",
            J::obj([
                ("input", J::Raw(input)),
                ("name", name.as_str().into()),
                ("toolUseId", id.as_str().into()),
            ]),
        )]));
    }
    out
}

/// `s` in pieces cut at awkward places: after 1 byte, then every 7 (on char boundaries), so
/// fragments end inside keys, strings, escapes and numbers.
fn awkward_pieces(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut want = 1;
    for (i, _) in s.char_indices().skip(1) {
        if i - start >= want {
            out.push(&s[start..i]);
            start = i;
            want = 7;
        }
    }
    out.push(&s[start..]);
    out
}

/// The Converse response body (keys sorted, as Bedrock sends them).
pub(crate) fn converse_body(a: &ConverseAnswer, latency_ms: u64) -> J {
    J::obj([
        ("metrics", J::obj([("latencyMs", latency_ms.into())])),
        (
            "output",
            J::obj([(
                "message",
                J::obj([("content", blocks(a).into()), ("role", "assistant".into())]),
            )]),
        ),
        ("stopReason", a.stop_reason.into()),
        ("usage", usage(a)),
    ])
}

fn event(event_type: &'static str, tokens: u32, json: J) -> Planned {
    Planned {
        tokens,
        frame: Frame::Event { event_type, json },
    }
}

/// The ConverseStream events for an answer. `p` padding and `metrics.latencyMs` are added
/// when each event is sent.
pub(crate) fn converse_events(a: &ConverseAnswer) -> Vec<Planned> {
    let mut out = vec![event(
        "messageStart",
        0,
        J::obj([("role", "assistant".into())]),
    )];
    let mut index = 0u32;
    let delta = |index: u32, tokens: u32, d: J| {
        event(
            "contentBlockDelta",
            tokens,
            J::obj([("contentBlockIndex", index.into()), ("delta", d)]),
        )
    };
    let stop = |index: u32| {
        event(
            "contentBlockStop",
            0,
            J::obj([("contentBlockIndex", index.into())]),
        )
    };
    if let Some(r) = &a.reasoning {
        for piece in r.split_inclusive(' ') {
            out.push(delta(
                index,
                1,
                J::obj([("reasoningContent", J::obj([("text", piece.into())]))]),
            ));
        }
        // The signature comes last, in a delta of its own.
        out.push(delta(
            index,
            0,
            J::obj([(
                "reasoningContent",
                J::obj([("signature", reasoning_signature(r).into())]),
            )]),
        ));
        out.push(stop(index));
        index += 1;
    }
    if let Some(r) = &a.redacted {
        out.push(delta(
            index,
            0,
            J::obj([(
                "reasoningContent",
                J::obj([("redactedContent", r.as_str().into())]),
            )]),
        ));
        out.push(stop(index));
        index += 1;
    }
    let empty = [String::new()];
    let tokens = if a.tokens.is_empty() {
        &empty[..]
    } else {
        &a.tokens[..]
    };
    for t in tokens {
        out.push(delta(index, 1, J::obj([("text", t.as_str().into())])));
    }
    out.push(stop(index));
    if let Some((id, name, input)) = &a.tool {
        index += 1;
        out.push(event(
            "contentBlockStart",
            0,
            J::obj([
                ("contentBlockIndex", index.into()),
                (
                    "start",
                    J::obj([(
                        "toolUse",
                        J::obj([
                            ("name", name.as_str().into()),
                            ("toolUseId", id.as_str().into()),
                        ]),
                    )]),
                ),
            ]),
        ));
        for piece in awkward_pieces(input) {
            out.push(delta(
                index,
                1,
                J::obj([("toolUse", J::obj([("input", piece.into())]))]),
            ));
        }
        out.push(stop(index));
    }
    out.push(event(
        "messageStop",
        0,
        J::obj([("stopReason", a.stop_reason.into())]),
    ));
    out.push(event(
        "metadata",
        0,
        J::obj([
            ("metrics", J::obj([("latencyMs", 0u32.into())])),
            ("usage", usage(a)),
        ]),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::answer_for;

    fn err(body: &str) -> String {
        parse_converse_for(Caps::ALL, body.as_bytes()).unwrap_err()
    }

    #[test]
    fn validates_like_bedrock() {
        let ok = parse_converse_for(
            Caps::ALL,
            br#"{"messages":[{"role":"user","content":[{"text":"Hi"},{"image":{"format":"png","source":{"bytes":"AA=="}}},{"text":"there"}]},
                {"role":"assistant","content":[{"text":"Yo"}]},{"role":"user","content":[{"text":"Name?"}]}],
                "system":[{"text":"Be brief"}],"inferenceConfig":{"maxTokens":12,"temperature":0.2,"stopSequences":["."]},
                "additionalModelRequestFields":{"top_k":5}}"#,
        )
        .unwrap();
        assert_eq!((ok.prompt.as_str(), ok.max_tokens), ("Name?", 12));
        assert_eq!(ok.stops, ["."]);
        assert_eq!(
            err("{}"),
            "1 validation error detected: Value null at 'messages' failed to satisfy constraint: Member must not be null"
        );
        assert_eq!(
            err(r#"{"messages":[{"role":"user","content":[{"text":"x"}]}],"inferenceConfig":{"maxTokens":0}}"#),
            "1 validation error detected: Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
        assert!(err(r#"{"messages":[{"role":"bot","content":[]}]}"#)
            .contains("at 'messages.1.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]"));
        assert!(
            err(r#"{"messages":[{"role":"assistant","content":[{"text":"x"}]}]}"#)
                .starts_with("A conversation must start with a user message.")
        );
        assert!(err(r#"{"messages":[{"role":"user","content":[{"text":"x"}]},{"role":"user","content":[{"text":"y"}]}]}"#)
            .starts_with("A conversation must alternate between user and assistant roles."));
        assert!(
            err(r#"{"messages":[{"role":"user","content":[{"text":"x","image":{}}]}]}"#)
                .contains("must set exactly one of")
        );
        assert!(err(r#"{"messages":[{"role":"user","content":[{"text":"x"}]}],"inferenceConfig":{"temperature":1.5}}"#)
            .contains("less than or equal to 1"));
        assert!(err("[]").starts_with("Malformed input request"));
    }

    #[test]
    fn events_in_bedrock_order() {
        let a = ConverseAnswer {
            answer: answer_for("Hi", 3, &[]),
            reasoning: None,
            redacted: None,
            tool: None,
        };
        let names: Vec<&str> = converse_events(&a)
            .iter()
            .map(|p| match &p.frame {
                Frame::Event { event_type, .. } => *event_type,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            names,
            [
                "messageStart",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockStop",
                "messageStop",
                "metadata"
            ]
        );
        assert_eq!(
            converse_body(&a, 7).text(),
            format!(
                r#"{{"metrics":{{"latencyMs":7}},"output":{{"message":{{"content":[{{"text":{}}}],"role":"assistant"}}}},"stopReason":"max_tokens","usage":{{"inputTokens":5,"outputTokens":3,"totalTokens":8}}}}"#,
                serde_json::to_string(&a.text()).unwrap()
            )
        );
    }
}
