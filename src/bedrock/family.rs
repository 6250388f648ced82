//! Model families (BEDROCK.md §5): which model-native JSON a model id answers with, and what
//! that JSON means as text, reasoning, tool calls, stop reason and usage, both for an
//! InvokeModel body and for each InvokeModelWithResponseStream chunk.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::converse_stream::{apply_converse_body, ConverseEvent, CONVERSE_EVENT_TYPES};
use super::output::{str_at, u64_at, Accumulator, TextDelta, ToolUse, UsagePatch};
use super::{Error, Output, StreamEvent};

/// `amazon-bedrock-invocationMetrics`, carried by the last chunk of a stream (for AI21 Jamba,
/// by a separate final chunk that holds nothing else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct InvocationMetrics {
    pub input_token_count: u64,
    pub output_token_count: u64,
    /// Milliseconds.
    pub invocation_latency: u64,
    /// Milliseconds.
    pub first_byte_latency: u64,
    /// Only for models with prompt caching.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_read_input_token_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_write_input_token_count: Option<u64>,
}

/// The model-native JSON format a model answers InvokeModel with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ModelFamily {
    /// Anthropic Claude Text Completions (`claude-v2`, `claude-v2:1`, `claude-instant-v1`):
    /// `completion`.
    ClaudeText,
    /// Anthropic Claude Messages API: typed events (`content_block_delta`, …).
    ClaudeMessages,
    /// Amazon Titan Text: `outputText`, `completionReason`.
    TitanText,
    /// Amazon Nova: Converse-style events wrapped in their names.
    Nova,
    /// Meta Llama: `generation`, `stop_reason`.
    Llama,
    /// Mistral text models: `outputs[0].text`.
    Mistral,
    /// Mistral Large 2 (2407) chat format: `choices[0].message.content`.
    MistralChat,
    /// Cohere Command (legacy text): `generations[0].text`, or streamed `text`/`is_finished`.
    CohereCommand,
    /// Cohere Command R / R+: chat-stream events (`event_type`).
    CohereCommandR,
    /// AI21 Jamba: OpenAI-like `choices[0].delta.content` (or `.message.content`).
    Jamba,
    /// Not recognised (e.g. an application inference profile ARN): each chunk's keys decide.
    Unknown,
}

impl ModelFamily {
    /// The family of a model id, inference profile id (`us.…`, `eu.…`, `apac.…`, `global.…`,
    /// `us-gov.…`, …) or ARN (`foundation-model/…`, `inference-profile/…`,
    /// `custom-model/<base model>/…`). ARNs that name no model (application inference
    /// profiles, provisioned or imported models, prompts) give [`ModelFamily::Unknown`].
    pub fn from_model_id(model_id: &str) -> Self {
        let id = model_id.trim().to_ascii_lowercase();
        let id = match id.strip_prefix("arn:") {
            Some(arn) => {
                // arn:partition:bedrock:region:account:resource-type/resource
                let Some(resource) = arn.splitn(5, ':').nth(4) else {
                    return Self::Unknown;
                };
                let mut parts = resource.splitn(3, '/');
                match (parts.next(), parts.next()) {
                    (
                        Some("foundation-model" | "inference-profile" | "custom-model"),
                        Some(name),
                    ) => name.to_owned(),
                    _ => return Self::Unknown,
                }
            }
            None => id,
        };
        let id = strip_geo_prefix(&id);
        let Some((provider, model)) = id.split_once('.') else {
            return Self::Unknown;
        };
        match provider {
            "anthropic" => {
                if model.starts_with("claude-v2") || model.starts_with("claude-instant") {
                    Self::ClaudeText
                } else {
                    Self::ClaudeMessages
                }
            }
            "amazon" if model.starts_with("nova") => Self::Nova,
            "amazon" if model.starts_with("titan-text") || model.starts_with("titan-tg1") => {
                Self::TitanText
            }
            "meta" => Self::Llama,
            "mistral" if model.starts_with("mistral-large-2407") => Self::MistralChat,
            "mistral" => Self::Mistral,
            "cohere" if model.starts_with("command-r") => Self::CohereCommandR,
            "cohere" if model.starts_with("command") => Self::CohereCommand,
            "ai21" => Self::Jamba,
            _ => Self::Unknown,
        }
    }

    /// A short stable name, e.g. `claude-messages`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClaudeText => "claude-text",
            Self::ClaudeMessages => "claude-messages",
            Self::TitanText => "titan-text",
            Self::Nova => "nova",
            Self::Llama => "llama",
            Self::Mistral => "mistral",
            Self::MistralChat => "mistral-chat",
            Self::CohereCommand => "cohere-command",
            Self::CohereCommandR => "cohere-command-r",
            Self::Jamba => "jamba",
            Self::Unknown => "unknown",
        }
    }

    fn shape(self) -> Option<Shape> {
        Some(match self {
            Self::ClaudeText => Shape::ClaudeText,
            Self::ClaudeMessages => Shape::Anthropic,
            Self::TitanText => Shape::Titan,
            Self::Nova => Shape::Nova,
            Self::Llama => Shape::Llama,
            Self::Mistral => Shape::Mistral,
            Self::MistralChat | Self::Jamba => Shape::Chat,
            Self::CohereCommand | Self::CohereCommandR => Shape::Cohere,
            Self::Unknown => return None,
        })
    }
}

impl fmt::Display for ModelFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Inference profiles put a geography before the provider: `us.`, `eu.`, `apac.`, `global.`,
/// and more of the same shape (`us-gov.`, `jp.`, `au.`, `ca.`).
fn strip_geo_prefix(id: &str) -> &str {
    let Some((first, rest)) = id.split_once('.') else {
        return id;
    };
    let (head, tail) = first.split_once('-').unwrap_or((first, ""));
    let geo = matches!(first, "apac" | "global")
        || (head.len() == 2
            && head.bytes().all(|b| b.is_ascii_lowercase())
            && tail.len() <= 4
            && tail.bytes().all(|b| b.is_ascii_lowercase()));
    if geo && rest.contains('.') {
        rest
    } else {
        id
    }
}

/// The JSON layouts; several families share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    ClaudeText,
    Anthropic,
    Nova,
    Titan,
    Llama,
    Mistral,
    Chat,
    Cohere,
}

impl Shape {
    /// Whether a JSON object has this layout's keys.
    fn fits(self, v: &Value) -> bool {
        let has = |k: &str| v.get(k).is_some();
        match self {
            Shape::ClaudeText => has("completion"),
            Shape::Anthropic => has("type"),
            Shape::Nova => {
                CONVERSE_EVENT_TYPES.iter().any(|k| has(k))
                    || v.get("output").and_then(|o| o.get("message")).is_some()
            }
            Shape::Titan => has("outputText") || has("results"),
            Shape::Llama => has("generation"),
            Shape::Mistral => has("outputs"),
            Shape::Chat => has("choices"),
            Shape::Cohere => {
                has("event_type") || has("text") || has("is_finished") || has("generations")
            }
        }
    }

    /// The key-probing order for chunks of unknown family (BEDROCK.md §5).
    const PROBE_ORDER: [Shape; 8] = [
        Shape::Anthropic,
        Shape::Nova,
        Shape::Titan,
        Shape::Llama,
        Shape::Mistral,
        Shape::Chat,
        Shape::Cohere,
        Shape::ClaudeText,
    ];

    fn probe(v: &Value) -> Option<Shape> {
        Self::PROBE_ORDER.into_iter().find(|s| s.fits(v))
    }
}

/// Reads one response's model-native JSON, chunk by chunk, keeping what came before: open
/// tool-call blocks, token counts, and the [`Output`] so far (which stays available after an
/// error, e.g. a stream exception).
///
/// The family decides how a chunk is read; a chunk that has none of the family's keys (or
/// any chunk, for [`ModelFamily::Unknown`]) is read by probing its keys. Unknown fields and
/// unknown Anthropic event types (`ping`) are ignored.
#[derive(Debug, Clone)]
pub struct TextExtractor {
    family: ModelFamily,
    acc: Accumulator,
}

impl Default for TextExtractor {
    /// For ConverseStream, or when the model id is not known.
    fn default() -> Self {
        Self::new(ModelFamily::Unknown)
    }
}

impl TextExtractor {
    pub fn new(family: ModelFamily) -> Self {
        Self {
            family,
            acc: Accumulator::default(),
        }
    }

    pub fn family(&self) -> ModelFamily {
        self.family
    }

    /// One InvokeModelWithResponseStream chunk (the decoded `bytes`), or a whole InvokeModel
    /// body: what it adds.
    pub fn chunk(&mut self, model_json: &[u8]) -> Result<TextDelta, Error> {
        if matches!(self.family.shape(), Some(Shape::Anthropic) | None) {
            if let Ok(c) = serde_json::from_slice::<AnthropicTextDelta>(model_json) {
                if c.kind == "content_block_delta" && c.delta.kind == "text_delta" {
                    let mut d = TextDelta::default();
                    self.acc.text(&mut d, &c.delta.text);
                    return Ok(d);
                }
            }
        }
        let v: Value = super::json::from_slice_lenient(model_json)
            .map_err(|e| Error::response_shape(format!("model output is not JSON: {e}")))?;
        if !v.is_object() {
            return Err(Error::response_shape("model output is not a JSON object"));
        }
        let mut d = TextDelta::default();
        let shape = self
            .family
            .shape()
            .filter(|s| s.fits(&v))
            .or_else(|| Shape::probe(&v));
        let acc = &mut self.acc;
        match shape {
            Some(Shape::ClaudeText) => claude_text(&v, acc, &mut d),
            Some(Shape::Anthropic) => anthropic(&v, acc, &mut d)?,
            Some(Shape::Nova) => nova(&v, acc, &mut d)?,
            Some(Shape::Titan) => titan(&v, acc, &mut d),
            Some(Shape::Llama) => llama(&v, acc, &mut d),
            Some(Shape::Mistral) => mistral(&v, acc, &mut d),
            Some(Shape::Chat) => chat(&v, acc, &mut d),
            Some(Shape::Cohere) => cohere(&v, acc, &mut d),
            None => {}
        }
        if let Some(m) = v.get("amazon-bedrock-invocationMetrics") {
            if let Ok(m) = serde_json::from_value::<InvocationMetrics>(m.clone()) {
                acc.metrics(&mut d, m);
            }
        }
        Ok(d)
    }

    /// One ConverseStream event: what it adds. The family plays no part.
    pub fn converse_event(&mut self, event: &ConverseEvent) -> Result<TextDelta, Error> {
        let mut d = TextDelta::default();
        event.apply(&mut self.acc, &mut d)?;
        Ok(d)
    }

    /// Either kind of [`StreamEvent`].
    pub fn event(&mut self, event: &StreamEvent) -> Result<TextDelta, Error> {
        match event {
            StreamEvent::Chunk(bytes) => self.chunk(bytes),
            StreamEvent::Converse(e) => self.converse_event(&e.event),
        }
    }

    /// Everything so far.
    pub fn output(&self) -> &Output {
        &self.acc.out
    }

    pub fn into_output(self) -> Output {
        self.acc.out
    }
}

/// The chunk nearly every Claude Messages token comes in,
/// `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"…"}}`, read
/// without building a JSON tree (the general path spends most of its time there). Any other
/// key fails it, so such a chunk takes the general path and nothing is missed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnthropicTextDelta<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(rename = "index")]
    _index: u64,
    #[serde(borrow)]
    delta: AnthropicTextDeltaBody<'a>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnthropicTextDeltaBody<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    text: Cow<'a, str>,
}

/// Reads a whole InvokeModel response body.
pub fn invoke_body(family: ModelFamily, bytes: &[u8]) -> Result<Output, Error> {
    let mut x = TextExtractor::new(family);
    x.chunk(bytes)?;
    Ok(x.into_output())
}

fn first<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).and_then(|a| a.get(0))
}

/// `{"completion","stop_reason","stop"}`, streamed and whole.
fn claude_text(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) {
    if let Some(t) = str_at(v, "completion") {
        acc.text(d, t);
    }
    acc.stop(d, str_at(v, "stop_reason"), str_at(v, "stop"));
}

fn anthropic_usage(u: &Value) -> UsagePatch {
    UsagePatch {
        input: u64_at(u, "input_tokens"),
        output: u64_at(u, "output_tokens"),
        total: None,
        cache_read: u64_at(u, "cache_read_input_tokens"),
        cache_write: u64_at(u, "cache_creation_input_tokens"),
    }
}

/// Claude Messages: stream events by `type`, and the whole `message`.
fn anthropic(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) -> Result<(), Error> {
    let index = u64_at(v, "index").unwrap_or(0);
    match str_at(v, "type").unwrap_or_default() {
        "message_start" => {
            if let Some(u) = v.get("message").and_then(|m| m.get("usage")) {
                acc.usage(d, anthropic_usage(u));
            }
        }
        "content_block_start" => {
            let block = v.get("content_block").unwrap_or(&Value::Null);
            match str_at(block, "type").unwrap_or_default() {
                "text" => acc.text(d, str_at(block, "text").unwrap_or_default()),
                "thinking" => acc.reasoning(d, str_at(block, "thinking").unwrap_or_default()),
                "redacted_thinking" => acc.redacted(str_at(block, "data").unwrap_or_default()),
                "tool_use" | "server_tool_use" => acc.tool_start(
                    index,
                    str_at(block, "id").unwrap_or_default(),
                    str_at(block, "name").unwrap_or_default(),
                    block.get("input").cloned(),
                ),
                _ => {}
            }
        }
        "content_block_delta" => {
            let delta = v.get("delta").unwrap_or(&Value::Null);
            match str_at(delta, "type").unwrap_or_default() {
                "text_delta" => acc.text(d, str_at(delta, "text").unwrap_or_default()),
                "input_json_delta" => {
                    acc.tool_input(index, str_at(delta, "partial_json").unwrap_or_default())
                }
                "thinking_delta" => acc.reasoning(d, str_at(delta, "thinking").unwrap_or_default()),
                "signature_delta" => acc.signature(str_at(delta, "signature").unwrap_or_default()),
                _ => {}
            }
        }
        "content_block_stop" => acc.block_stop(d, index)?,
        "message_delta" => {
            if let Some(delta) = v.get("delta") {
                acc.stop(
                    d,
                    str_at(delta, "stop_reason"),
                    str_at(delta, "stop_sequence"),
                );
            }
            if let Some(u) = v.get("usage") {
                acc.usage(d, anthropic_usage(u));
            }
        }
        // A whole InvokeModel answer.
        "message" => {
            for block in v
                .get("content")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                match str_at(block, "type").unwrap_or_default() {
                    "text" => acc.text(d, str_at(block, "text").unwrap_or_default()),
                    "thinking" => {
                        acc.reasoning(d, str_at(block, "thinking").unwrap_or_default());
                        if let Some(s) = str_at(block, "signature") {
                            acc.signature(s);
                        }
                    }
                    "redacted_thinking" => acc.redacted(str_at(block, "data").unwrap_or_default()),
                    "tool_use" | "server_tool_use" => acc.tool_use(
                        d,
                        ToolUse {
                            id: str_at(block, "id").unwrap_or_default().to_owned(),
                            name: str_at(block, "name").unwrap_or_default().to_owned(),
                            input: block.get("input").cloned().unwrap_or(Value::Null),
                            unparsed_input: None,
                        },
                    ),
                    _ => {}
                }
            }
            acc.stop(d, str_at(v, "stop_reason"), str_at(v, "stop_sequence"));
            if let Some(u) = v.get("usage") {
                acc.usage(d, anthropic_usage(u));
            }
        }
        // message_stop (its metrics are read for every family), ping, and anything newer.
        _ => {}
    }
    Ok(())
}

/// Nova: a stream chunk is one Converse event wrapped in its name; a whole answer is the
/// Converse response shape.
fn nova(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) -> Result<(), Error> {
    for name in CONVERSE_EVENT_TYPES {
        if let Some(payload) = v.get(name) {
            if let Some(event) = ConverseEvent::from_json(name, payload)? {
                event.apply(acc, d)?;
            }
        }
    }
    if v.get("output").is_some() {
        apply_converse_body(v, acc, d);
    }
    Ok(())
}

/// Titan Text: `{"outputText","completionReason","inputTextTokenCount",
/// "totalOutputTextTokenCount"}` per chunk; `{"inputTextTokenCount","results":[…]}` whole.
fn titan(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) {
    let (body, output) = match first(v, "results") {
        Some(r) => (r, u64_at(r, "tokenCount")),
        None => (v, u64_at(v, "totalOutputTextTokenCount")),
    };
    if let Some(t) = str_at(body, "outputText") {
        acc.text(d, t);
    }
    acc.stop(d, str_at(body, "completionReason"), None);
    acc.usage(
        d,
        UsagePatch {
            input: u64_at(v, "inputTextTokenCount"),
            output,
            ..Default::default()
        },
    );
}

/// Llama: `{"generation","prompt_token_count","generation_token_count","stop_reason"}`.
fn llama(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) {
    if let Some(t) = str_at(v, "generation") {
        acc.text(d, t);
    }
    acc.stop(d, str_at(v, "stop_reason"), None);
    acc.usage(
        d,
        UsagePatch {
            input: u64_at(v, "prompt_token_count"),
            output: u64_at(v, "generation_token_count"),
            ..Default::default()
        },
    );
}

/// Mistral text models: `{"outputs":[{"text","stop_reason"}]}`.
fn mistral(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) {
    if let Some(o) = first(v, "outputs") {
        if let Some(t) = str_at(o, "text") {
            acc.text(d, t);
        }
        acc.stop(d, str_at(o, "stop_reason"), None);
    }
}

/// OpenAI-like chat completions (Mistral Large 2407, AI21 Jamba): `choices[0].delta` while
/// streaming, `choices[0].message` whole (and in some streamed chunks); `finish_reason` or
/// `stop_reason`; `usage`. Tool calls are read from whole messages only.
fn chat(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) {
    if let Some(c) = first(v, "choices") {
        let msg = c.get("delta").or_else(|| c.get("message"));
        if let Some(m) = msg {
            if let Some(t) = str_at(m, "content") {
                acc.text(d, t);
            }
        }
        if let Some(calls) = c
            .get("message")
            .and_then(|m| m.get("tool_calls"))
            .and_then(Value::as_array)
        {
            for call in calls {
                let f = call.get("function").unwrap_or(&Value::Null);
                let input = match f.get("arguments") {
                    Some(Value::String(s)) => {
                        serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))
                    }
                    Some(other) => other.clone(),
                    None => Value::Object(Default::default()),
                };
                acc.tool_use(
                    d,
                    ToolUse {
                        id: str_at(call, "id").unwrap_or_default().to_owned(),
                        name: str_at(f, "name").unwrap_or_default().to_owned(),
                        input,
                        unparsed_input: None,
                    },
                );
            }
        }
        let reason = str_at(c, "finish_reason").or_else(|| str_at(c, "stop_reason"));
        acc.stop(d, reason, None);
    }
    if let Some(u) = v.get("usage") {
        acc.usage(
            d,
            UsagePatch {
                input: u64_at(u, "prompt_tokens"),
                output: u64_at(u, "completion_tokens"),
                total: u64_at(u, "total_tokens"),
                ..Default::default()
            },
        );
    }
}

/// Cohere: Command R chat-stream events (`event_type`), Command R whole answers (`text`,
/// `finish_reason`, `meta`), legacy Command streamed (`text`, `is_finished`,
/// `finish_reason`) and whole (`generations`).
fn cohere(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) {
    let billed = |meta: Option<&Value>| {
        let b = meta.and_then(|m| m.get("billed_units").or_else(|| m.get("tokens")));
        UsagePatch {
            input: b.and_then(|b| u64_at(b, "input_tokens")),
            output: b.and_then(|b| u64_at(b, "output_tokens")),
            ..Default::default()
        }
    };
    if let Some(kind) = str_at(v, "event_type") {
        match kind {
            "text-generation" => acc.text(d, str_at(v, "text").unwrap_or_default()),
            "stream-end" => {
                acc.stop(d, str_at(v, "finish_reason"), None);
                let meta = v.get("response").and_then(|r| r.get("meta"));
                acc.usage(d, billed(meta));
            }
            _ => {}
        }
        return;
    }
    if let Some(g) = first(v, "generations") {
        if let Some(t) = str_at(g, "text") {
            acc.text(d, t);
        }
        acc.stop(d, str_at(g, "finish_reason"), None);
        return;
    }
    // The final streamed chunk repeats the whole answer in `response`: only its reason counts.
    if let Some(t) = str_at(v, "text") {
        acc.text(d, t);
    }
    acc.stop(d, str_at(v, "finish_reason"), None);
    acc.usage(d, billed(v.get("meta")));
}

/// What a chunk (or a whole InvokeModel body) means as text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextChunk {
    pub text: String,
    /// Set on the last chunk.
    pub stop_reason: Option<String>,
    /// The stop sequence that ended the answer, when the model says.
    pub stop_sequence: Option<String>,
    pub metrics: Option<InvocationMetrics>,
}

impl TextChunk {
    /// Reads model-native JSON (an InvokeModel body or one stream chunk) of any family by
    /// probing its keys, without state between chunks. [`TextExtractor`] also assembles tool
    /// calls and usage, and knows the family.
    pub fn from_model_json(bytes: &[u8]) -> Result<Self, Error> {
        let d = TextExtractor::new(ModelFamily::Unknown).chunk(bytes)?;
        Ok(TextChunk {
            text: d.text,
            stop_reason: d.stop_reason,
            stop_sequence: d.stop_sequence,
            metrics: d.metrics,
        })
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    use serde_json::json;

    use super::*;
    use crate::bedrock::Usage;

    use ModelFamily::*;

    /// The fast path for Claude text deltas gives exactly what the general path gives, and
    /// steps aside for anything it does not fully understand.
    #[test]
    fn claude_text_deltas_fast_and_general_paths_agree() {
        let chunks = [
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"plain"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"esc \"q\" \n caf\u00e9 \ud83c\udf6b"}}"#,
            r#"{"index":2,"delta":{"text":"reordered","type":"text_delta"},"type":"content_block_delta"}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"with metrics"},"amazon-bedrock-invocationMetrics":{"inputTokenCount":3,"outputTokenCount":4,"invocationLatency":5,"firstByteLatency":6}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x","extra":1}}"#,
        ];
        for family in [ClaudeMessages, Unknown] {
            let mut x = TextExtractor::new(family);
            let texts: Vec<String> = chunks
                .iter()
                .map(|c| x.chunk(c.as_bytes()).unwrap().text)
                .collect();
            assert_eq!(
                texts,
                [
                    "plain",
                    "esc \"q\" \n café 🍫",
                    "reordered",
                    "with metrics",
                    "",
                    "x"
                ]
            );
            let out = x.output();
            assert_eq!(out.text, "plainesc \"q\" \n café 🍫reorderedwith metricsx");
            assert_eq!(out.reasoning, "hmm");
            assert_eq!(out.metrics.map(|m| m.output_token_count), Some(4));
        }
    }

    #[test]
    fn families_from_model_ids() {
        let cases = [
            ("anthropic.claude-v2", ClaudeText),
            ("anthropic.claude-v2:1", ClaudeText),
            ("anthropic.claude-instant-v1", ClaudeText),
            ("Anthropic.Claude-V2", ClaudeText),
            ("anthropic.claude-3-haiku-20240307-v1:0", ClaudeMessages),
            ("anthropic.claude-3-5-sonnet-20240620-v1:0", ClaudeMessages),
            ("amazon.nova-micro-v1:0", Nova),
            ("amazon.nova-2-lite-v1:0", Nova),
            ("amazon.titan-text-express-v1", TitanText),
            ("amazon.titan-text-premier-v1:0", TitanText),
            ("amazon.titan-tg1-large", TitanText),
            ("amazon.titan-embed-text-v2:0", Unknown),
            ("meta.llama3-8b-instruct-v1:0", Llama),
            ("meta.llama4-scout-17b-instruct-v1:0", Llama),
            ("mistral.mistral-7b-instruct-v0:2", Mistral),
            ("mistral.mixtral-8x7b-instruct-v0:1", Mistral),
            ("mistral.mistral-large-2402-v1:0", Mistral),
            ("mistral.mistral-large-2407-v1:0", MistralChat),
            ("cohere.command-text-v14", CohereCommand),
            ("cohere.command-light-text-v14", CohereCommand),
            ("cohere.command-r-v1:0", CohereCommandR),
            ("cohere.command-r-plus-v1:0", CohereCommandR),
            ("ai21.jamba-1-5-mini-v1:0", Jamba),
            ("ai21.jamba-instruct-v1:0", Jamba),
            ("openai.gpt-oss-120b-1:0", Unknown),
            ("deepseek.r1-v1:0", Unknown),
            ("", Unknown),
            ("claude", Unknown),
        ];
        for (id, family) in cases {
            assert_eq!(ModelFamily::from_model_id(id), family, "{id}");
        }
    }

    #[test]
    fn inference_profile_prefixes_are_stripped() {
        for geo in ["us", "eu", "apac", "global", "us-gov", "jp", "au", "ca"] {
            let cases = [
                ("anthropic.claude-sonnet-4-20250514-v1:0", ClaudeMessages),
                ("amazon.nova-micro-v1:0", Nova),
                ("meta.llama3-2-11b-instruct-v1:0", Llama),
                ("mistral.pixtral-large-2502-v1:0", Mistral),
            ];
            for (id, family) in cases {
                let id = format!("{geo}.{id}");
                assert_eq!(ModelFamily::from_model_id(&id), family, "{id}");
            }
        }
        // Only a geography is stripped, and only one.
        assert_eq!(ModelFamily::from_model_id("us.us.meta.llama3"), Unknown);
        assert_eq!(ModelFamily::from_model_id("us.claude-v2"), Unknown);
    }

    #[test]
    fn families_from_arns() {
        let cases = [
            (
                "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2",
                ClaudeText,
            ),
            (
                "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
                ClaudeMessages,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0",
                Nova,
            ),
            (
                "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0",
                ClaudeMessages,
            ),
            (
                "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.meta.llama3-2-1b-instruct-v1:0",
                Llama,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-express-v1:0:8k/ly16hhi765j4",
                TitanText,
            ),
            // These name no model.
            (
                "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
                Unknown,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/a1b2c3d4e5f6",
                Unknown,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:imported-model/a1b2c3d4e5f6",
                Unknown,
            ),
            ("arn:aws:bedrock", Unknown),
        ];
        for (id, family) in cases {
            assert_eq!(ModelFamily::from_model_id(id), family, "{id}");
        }
    }

    fn body(family: ModelFamily, v: serde_json::Value) -> Output {
        let bytes = serde_json::to_vec(&v).unwrap();
        let out = invoke_body(family, &bytes).unwrap();
        // Key probing reads every documented body the same way.
        assert_eq!(invoke_body(Unknown, &bytes).unwrap(), out, "probing {v}");
        out
    }

    fn usage(input: u64, output: u64, total: Option<u64>) -> Option<Usage> {
        Some(Usage {
            input_tokens: input,
            output_tokens: output,
            total_tokens: total,
            ..Default::default()
        })
    }

    #[test]
    fn claude_text_completion_body() {
        let out = body(
            ClaudeText,
            json!({"completion": " Hello there.", "stop_reason": "stop_sequence", "stop": "\n\nHuman:"}),
        );
        assert_eq!(out.text, " Hello there.");
        assert_eq!(out.stop_reason.as_deref(), Some("stop_sequence"));
        assert_eq!(out.stop_sequence.as_deref(), Some("\n\nHuman:"));
        assert_eq!(out.usage, None);
    }

    #[test]
    fn claude_messages_body() {
        let out = body(
            ClaudeMessages,
            json!({
                "id": "msg_bdrk_01", "type": "message", "role": "assistant",
                "model": "claude-3-7-sonnet-20250219",
                "content": [
                    {"type": "thinking", "thinking": "Weather needs a tool.", "signature": "c2ln"},
                    {"type": "redacted_thinking", "data": "UkVEQUNURUQ="},
                    {"type": "text", "text": "Let me check"},
                    {"type": "text", "text": " the weather."},
                    {"type": "tool_use", "id": "toolu_bdrk_01", "name": "get_weather",
                     "input": {"city": "Paris"}}
                ],
                "stop_reason": "tool_use", "stop_sequence": null,
                "usage": {"input_tokens": 10, "output_tokens": 20,
                          "cache_creation_input_tokens": 3, "cache_read_input_tokens": 4}
            }),
        );
        assert_eq!(out.text, "Let me check the weather.");
        assert_eq!(out.reasoning, "Weather needs a tool.");
        assert_eq!(out.reasoning_signature.as_deref(), Some("c2ln"));
        assert_eq!(out.redacted_reasoning, ["UkVEQUNURUQ="]);
        assert_eq!(
            out.tool_uses,
            [ToolUse {
                id: "toolu_bdrk_01".into(),
                name: "get_weather".into(),
                input: json!({"city": "Paris"}),
                unparsed_input: None,
            }]
        );
        assert_eq!(out.stop_reason.as_deref(), Some("tool_use"));
        assert_eq!(out.stop_sequence, None);
        assert_eq!(
            out.usage,
            Some(Usage {
                input_tokens: 10,
                output_tokens: 20,
                total_tokens: None,
                cache_read_input_tokens: Some(4),
                cache_write_input_tokens: Some(3),
            })
        );
    }

    #[test]
    fn titan_text_body() {
        let out = body(
            TitanText,
            json!({"inputTextTokenCount": 5, "results": [
                {"tokenCount": 7, "outputText": "\nHello!", "completionReason": "FINISH"}
            ]}),
        );
        assert_eq!(out.text, "\nHello!");
        assert_eq!(out.stop_reason.as_deref(), Some("FINISH"));
        assert_eq!(out.usage, usage(5, 7, None));
    }

    #[test]
    fn nova_body() {
        let out = body(
            Nova,
            json!({
                "output": {"message": {"role": "assistant", "content": [
                    {"reasoningContent": {"reasoningText": {"text": "Capital?", "signature": "s"}}},
                    {"text": "Paris."},
                    {"toolUse": {"toolUseId": "tooluse_1", "name": "lookup", "input": {"q": "Paris"}}}
                ]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7,
                          "cacheReadInputTokenCount": 1, "cacheWriteInputTokenCount": 2},
                "metrics": {"latencyMs": 99}
            }),
        );
        assert_eq!(out.text, "Paris.");
        assert_eq!(out.reasoning, "Capital?");
        assert_eq!(out.reasoning_signature.as_deref(), Some("s"));
        assert_eq!(out.tool_uses[0].id, "tooluse_1");
        assert_eq!(out.tool_uses[0].input, json!({"q": "Paris"}));
        assert_eq!(out.stop_reason.as_deref(), Some("end_turn"));
        assert_eq!(
            out.usage,
            Some(Usage {
                input_tokens: 3,
                output_tokens: 4,
                total_tokens: Some(7),
                cache_read_input_tokens: Some(1),
                cache_write_input_tokens: Some(2),
            })
        );
        assert_eq!(out.latency_ms, Some(99));
    }

    #[test]
    fn llama_body() {
        let out = body(
            Llama,
            json!({"generation": "Hi!", "prompt_token_count": 9,
                   "generation_token_count": 2, "stop_reason": "stop"}),
        );
        assert_eq!(out.text, "Hi!");
        assert_eq!(out.stop_reason.as_deref(), Some("stop"));
        assert_eq!(out.usage, usage(9, 2, None));
    }

    #[test]
    fn mistral_body() {
        let out = body(
            Mistral,
            json!({"outputs": [{"text": " Bonjour", "stop_reason": "length"}]}),
        );
        assert_eq!(out.text, " Bonjour");
        assert_eq!(out.stop_reason.as_deref(), Some("length"));
    }

    #[test]
    fn mistral_chat_body() {
        let out = body(
            MistralChat,
            json!({
                "id": "cmpl-1", "object": "chat.completion",
                "choices": [{"index": 0, "message": {
                    "role": "assistant", "content": "Checking.",
                    "tool_calls": [{"id": "call_1", "type": "function",
                                    "function": {"name": "f", "arguments": "{\"a\":1}"}}]
                }, "finish_reason": "tool_calls"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 6, "total_tokens": 11}
            }),
        );
        assert_eq!(out.text, "Checking.");
        assert_eq!(
            out.tool_uses,
            [ToolUse {
                id: "call_1".into(),
                name: "f".into(),
                input: json!({"a": 1}),
                unparsed_input: None,
            }]
        );
        assert_eq!(out.stop_reason.as_deref(), Some("tool_calls"));
        assert_eq!(out.usage, usage(5, 6, Some(11)));
    }

    #[test]
    fn cohere_command_body() {
        let out = body(
            CohereCommand,
            json!({"id": "x", "prompt": "Hi", "generations": [
                {"id": "g", "text": " Hi! How can I help you today?", "finish_reason": "COMPLETE"}
            ]}),
        );
        assert_eq!(out.text, " Hi! How can I help you today?");
        assert_eq!(out.stop_reason.as_deref(), Some("COMPLETE"));
    }

    #[test]
    fn cohere_command_r_body() {
        let out = body(
            CohereCommandR,
            json!({
                "response_id": "r", "text": "Hello!", "generation_id": "g",
                "chat_history": [{"role": "USER", "message": "Hi"}, {"role": "CHATBOT", "message": "Hello!"}],
                "finish_reason": "COMPLETE",
                "meta": {"api_version": {"version": "1"},
                         "billed_units": {"input_tokens": 3, "output_tokens": 2}}
            }),
        );
        assert_eq!(out.text, "Hello!");
        assert_eq!(out.stop_reason.as_deref(), Some("COMPLETE"));
        assert_eq!(out.usage, usage(3, 2, None));
    }

    #[test]
    fn jamba_body() {
        let out = body(
            Jamba,
            json!({
                "id": "chatcmpl-1", "model": "jamba-1.5-mini",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi there"},
                             "logprobs": null, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}
            }),
        );
        assert_eq!(out.text, "Hi there");
        assert_eq!(out.stop_reason.as_deref(), Some("stop"));
        assert_eq!(out.usage, usage(5, 3, Some(8)));
    }

    /// Feeds chunks to an extractor of `family` and, separately, of `Unknown`; both must agree.
    fn stream(family: ModelFamily, chunks: &[serde_json::Value]) -> (Output, Vec<TextDelta>) {
        let mut x = TextExtractor::new(family);
        let mut probe = TextExtractor::new(Unknown);
        let mut deltas = Vec::new();
        for c in chunks {
            let bytes = serde_json::to_vec(c).unwrap();
            let d = x.chunk(&bytes).unwrap();
            assert_eq!(probe.chunk(&bytes).unwrap(), d, "probing {c}");
            deltas.push(d);
        }
        (x.into_output(), deltas)
    }

    fn metrics_json() -> serde_json::Value {
        json!({"inputTokenCount": 10, "outputTokenCount": 15,
               "invocationLatency": 1798, "firstByteLatency": 1507})
    }

    fn metrics() -> InvocationMetrics {
        InvocationMetrics {
            input_token_count: 10,
            output_token_count: 15,
            invocation_latency: 1798,
            first_byte_latency: 1507,
            ..Default::default()
        }
    }

    #[test]
    fn claude_text_completion_stream() {
        let (out, deltas) = stream(
            ClaudeText,
            &[
                json!({"completion": " Hello", "stop_reason": null, "stop": null}),
                json!({"completion": ",", "stop_reason": null, "stop": null}),
                json!({"completion": " world.", "stop_reason": "stop_sequence", "stop": "\n\nHuman:",
                       "amazon-bedrock-invocationMetrics": metrics_json()}),
            ],
        );
        assert_eq!(deltas[1].text, ",");
        assert_eq!(deltas[1].stop_reason, None);
        assert_eq!(out.text, " Hello, world.");
        assert_eq!(out.stop_reason.as_deref(), Some("stop_sequence"));
        assert_eq!(out.stop_sequence.as_deref(), Some("\n\nHuman:"));
        assert_eq!(out.metrics, Some(metrics()));
        assert_eq!(deltas[2].metrics, Some(metrics()));
    }

    #[test]
    fn claude_messages_stream_keeps_thinking_and_tool_input_apart() {
        let (out, deltas) = stream(
            ClaudeMessages,
            &[
                json!({"type": "message_start", "message": {"id": "msg_bdrk_1", "type": "message",
                    "role": "assistant", "content": [], "stop_reason": null,
                    "usage": {"input_tokens": 42, "cache_creation_input_tokens": 0,
                              "cache_read_input_tokens": 100, "output_tokens": 1}}}),
                json!({"type": "ping"}),
                json!({"type": "content_block_start", "index": 0,
                       "content_block": {"type": "thinking", "thinking": ""}}),
                json!({"type": "content_block_delta", "index": 0,
                       "delta": {"type": "thinking_delta", "thinking": "The user wants"}}),
                json!({"type": "content_block_delta", "index": 0,
                       "delta": {"type": "thinking_delta", "thinking": " weather."}}),
                json!({"type": "content_block_delta", "index": 0,
                       "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhIM"}}),
                json!({"type": "content_block_stop", "index": 0}),
                json!({"type": "content_block_start", "index": 1,
                       "content_block": {"type": "redacted_thinking", "data": "RW5jcnlwdGVk"}}),
                json!({"type": "content_block_stop", "index": 1}),
                json!({"type": "content_block_start", "index": 2,
                       "content_block": {"type": "text", "text": ""}}),
                json!({"type": "content_block_delta", "index": 2,
                       "delta": {"type": "text_delta", "text": "Checking"}}),
                json!({"type": "content_block_delta", "index": 2,
                       "delta": {"type": "citations_delta", "citation": {"type": "char_location"}}}),
                json!({"type": "content_block_delta", "index": 2,
                       "delta": {"type": "text_delta", "text": "."}}),
                json!({"type": "content_block_stop", "index": 2}),
                json!({"type": "content_block_start", "index": 3, "content_block":
                       {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}}),
                json!({"type": "content_block_delta", "index": 3,
                       "delta": {"type": "input_json_delta", "partial_json": ""}}),
                json!({"type": "content_block_delta", "index": 3,
                       "delta": {"type": "input_json_delta", "partial_json": "{\"city\": \"Pa"}}),
                json!({"type": "content_block_delta", "index": 3,
                       "delta": {"type": "input_json_delta", "partial_json": "ris\"}"}}),
                json!({"type": "content_block_stop", "index": 3}),
                // A tool without input fragments: its start input stands.
                json!({"type": "content_block_start", "index": 4, "content_block":
                       {"type": "tool_use", "id": "toolu_2", "name": "now", "input": {}}}),
                json!({"type": "content_block_stop", "index": 4}),
                json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null},
                       "usage": {"output_tokens": 57}}),
                json!({"type": "message_stop", "amazon-bedrock-invocationMetrics": metrics_json()}),
            ],
        );
        assert_eq!(out.text, "Checking.");
        assert_eq!(out.reasoning, "The user wants weather.");
        assert_eq!(out.reasoning_signature.as_deref(), Some("EqQBCgIYAhIM"));
        assert_eq!(out.redacted_reasoning, ["RW5jcnlwdGVk"]);
        assert_eq!(
            out.tool_uses,
            [
                ToolUse {
                    id: "toolu_1".into(),
                    name: "get_weather".into(),
                    input: json!({"city": "Paris"}),
                    unparsed_input: None,
                },
                ToolUse {
                    id: "toolu_2".into(),
                    name: "now".into(),
                    input: json!({}),
                    unparsed_input: None,
                },
            ]
        );
        assert!(deltas[1].is_empty(), "ping adds nothing");
        assert!(deltas[17].tool_uses_completed.is_empty());
        assert_eq!(
            deltas[18].tool_uses_completed.len(),
            1,
            "complete at its stop"
        );
        assert_eq!(out.stop_reason.as_deref(), Some("tool_use"));
        assert_eq!(
            out.usage,
            Some(Usage {
                input_tokens: 42,
                output_tokens: 57,
                total_tokens: None,
                cache_read_input_tokens: Some(100),
                cache_write_input_tokens: Some(0),
            })
        );
        assert_eq!(out.metrics, Some(metrics()));
    }

    #[test]
    fn invalid_tool_input_is_delivered_unparsed_and_the_stream_goes_on() {
        let mut x = TextExtractor::new(ClaudeMessages);
        for c in [
            json!({"type": "content_block_delta", "index": 0,
                   "delta": {"type": "text_delta", "text": "Sure."}}),
            json!({"type": "content_block_start", "index": 1, "content_block":
                   {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}}),
            json!({"type": "content_block_delta", "index": 1,
                   "delta": {"type": "input_json_delta", "partial_json": "{\"a\": "}}),
        ] {
            x.chunk(&serde_json::to_vec(&c).unwrap()).unwrap();
        }
        // Cut off by max_tokens: the call arrives, its input kept as the text sent.
        let stop = br#"{"type":"content_block_stop","index":1}"#;
        let d = x.chunk(stop).unwrap();
        assert_eq!(d.tool_uses_completed.len(), 1);
        let end = br#"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":9}}"#;
        x.chunk(end).unwrap();
        let out = x.output();
        assert_eq!(out.text, "Sure.");
        let call = &out.tool_uses[0];
        assert_eq!((call.id.as_str(), call.name.as_str()), ("toolu_1", "f"));
        assert_eq!(call.input, Value::Null);
        assert_eq!(call.unparsed_input.as_deref(), Some("{\"a\": "));
        assert_eq!(out.stop_reason.as_deref(), Some("max_tokens"));
        assert_eq!(out.usage.unwrap().output_tokens, 9);
    }

    #[test]
    fn titan_stream() {
        let (out, _) = stream(
            TitanText,
            &[
                json!({"outputText": "Hello", "index": 0, "totalOutputTextTokenCount": null,
                       "completionReason": null, "inputTextTokenCount": 13}),
                json!({"outputText": " world", "index": 0, "totalOutputTextTokenCount": 4,
                       "completionReason": "FINISH", "inputTextTokenCount": null,
                       "amazon-bedrock-invocationMetrics": metrics_json()}),
            ],
        );
        assert_eq!(out.text, "Hello world");
        assert_eq!(out.stop_reason.as_deref(), Some("FINISH"));
        assert_eq!(out.usage, usage(13, 4, None));
    }

    #[test]
    fn nova_stream_with_tool_use() {
        let (out, deltas) = stream(
            Nova,
            &[
                json!({"messageStart": {"role": "assistant"}}),
                json!({"contentBlockDelta": {"delta": {"text": "Looking"}, "contentBlockIndex": 0}}),
                json!({"contentBlockStop": {"contentBlockIndex": 0}}),
                json!({"contentBlockStart": {"start": {"toolUse": {"toolUseId": "t1", "name": "get"}},
                       "contentBlockIndex": 1}}),
                json!({"contentBlockDelta": {"delta": {"toolUse": {"input": "{\"city\":"}},
                       "contentBlockIndex": 1}}),
                json!({"contentBlockDelta": {"delta": {"toolUse": {"input": "\"Paris\"}"}},
                       "contentBlockIndex": 1}}),
                json!({"contentBlockStop": {"contentBlockIndex": 1}}),
                json!({"messageStop": {"stopReason": "tool_use"}}),
                json!({"metadata": {"usage": {"inputTokens": 5, "outputTokens": 9,
                       "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0},
                       "metrics": {}, "trace": {}},
                       "amazon-bedrock-invocationMetrics": metrics_json()}),
            ],
        );
        assert_eq!(out.text, "Looking");
        assert_eq!(out.tool_uses[0].input, json!({"city": "Paris"}));
        assert_eq!(deltas[6].tool_uses_completed.len(), 1);
        assert_eq!(out.stop_reason.as_deref(), Some("tool_use"));
        assert_eq!(out.usage.unwrap().output_tokens, 9);
        assert_eq!(out.usage.unwrap().cache_read_input_tokens, Some(0));
        assert_eq!(out.latency_ms, None);
        assert_eq!(out.metrics, Some(metrics()));
    }

    #[test]
    fn llama_stream() {
        let (out, deltas) = stream(
            Llama,
            &[
                json!({"generation": "", "prompt_token_count": 10, "generation_token_count": 1, "stop_reason": null}),
                json!({"generation": " Hello", "prompt_token_count": null, "generation_token_count": 2, "stop_reason": null}),
                json!({"generation": ".", "prompt_token_count": null, "generation_token_count": 3, "stop_reason": "stop",
                       "amazon-bedrock-invocationMetrics": metrics_json()}),
            ],
        );
        assert_eq!(out.text, " Hello.");
        assert_eq!(out.stop_reason.as_deref(), Some("stop"));
        assert_eq!(deltas[1].usage, usage(10, 2, None));
        assert_eq!(out.usage, usage(10, 3, None));
    }

    #[test]
    fn mistral_stream() {
        let (out, _) = stream(
            Mistral,
            &[
                json!({"outputs": [{"text": " Bon", "stop_reason": null}]}),
                json!({"outputs": [{"text": "jour", "stop_reason": "stop"}],
                       "amazon-bedrock-invocationMetrics": metrics_json()}),
            ],
        );
        assert_eq!(out.text, " Bonjour");
        assert_eq!(out.stop_reason.as_deref(), Some("stop"));
        assert_eq!(out.metrics, Some(metrics()));
    }

    #[test]
    fn mistral_chat_stream() {
        // The one public capture streams `message`, not `delta`, with `stop_reason`.
        let (out, _) = stream(
            MistralChat,
            &[
                json!({"id": "x", "object": "chat.completion.chunk", "choices": [{"index": 0,
                       "message": {"role": null, "content": "Hello", "tool_calls": null},
                       "stop_reason": null}]}),
                json!({"id": "x", "choices": [{"index": 0,
                       "message": {"role": null, "content": " there"}, "stop_reason": "stop"}],
                       "usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9},
                       "amazon-bedrock-invocationMetrics": metrics_json()}),
            ],
        );
        assert_eq!(out.text, "Hello there");
        assert_eq!(out.stop_reason.as_deref(), Some("stop"));
        assert_eq!(out.usage, usage(7, 2, Some(9)));
        assert!(out.tool_uses.is_empty());
    }

    #[test]
    fn cohere_command_streams() {
        // Not streamed (`stream` absent from the request): one chunk, as in the AWS example.
        let (out, _) = stream(
            CohereCommand,
            &[
                json!({"generations": [{"finish_reason": "COMPLETE", "id": "g",
                                      "text": " Hi! How can I help you today?"}],
                     "amazon-bedrock-invocationMetrics": metrics_json()}),
            ],
        );
        assert_eq!(out.text, " Hi! How can I help you today?");
        assert_eq!(out.stop_reason.as_deref(), Some("COMPLETE"));
        // `stream: true`: pieces, then a final chunk that repeats the whole answer.
        let (out, _) = stream(
            CohereCommand,
            &[
                json!({"text": " Hello", "is_finished": false}),
                json!({"text": ", world.", "is_finished": false}),
                json!({"is_finished": true, "finish_reason": "COMPLETE", "response": {
                    "id": "r", "prompt": "Hello",
                    "generations": [{"id": "g", "text": " Hello, world.", "finish_reason": "COMPLETE"}]},
                    "amazon-bedrock-invocationMetrics": metrics_json()}),
            ],
        );
        assert_eq!(out.text, " Hello, world.");
        assert_eq!(out.stop_reason.as_deref(), Some("COMPLETE"));
        assert_eq!(out.metrics, Some(metrics()));
    }

    #[test]
    fn cohere_command_r_stream() {
        let (out, _) = stream(
            CohereCommandR,
            &[
                json!({"is_finished": false, "event_type": "stream-start", "generation_id": "g"}),
                json!({"is_finished": false, "event_type": "text-generation", "text": "Machine"}),
                json!({"is_finished": false, "event_type": "text-generation", "text": " learning"}),
                json!({"is_finished": true, "event_type": "stream-end", "finish_reason": "MAX_TOKENS",
                       "response": {"response_id": "r", "text": "Machine learning",
                                    "finish_reason": "MAX_TOKENS",
                                    "meta": {"billed_units": {"input_tokens": 6, "output_tokens": 2}}},
                       "amazon-bedrock-invocationMetrics": metrics_json()}),
            ],
        );
        assert_eq!(out.text, "Machine learning");
        assert_eq!(out.stop_reason.as_deref(), Some("MAX_TOKENS"));
        assert_eq!(out.usage, usage(6, 2, None));
    }

    #[test]
    fn jamba_stream_with_a_separate_metering_chunk() {
        let (out, deltas) = stream(
            Jamba,
            &[
                json!({"id": "c", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                       "finish_reason": null}], "usage": null}),
                json!({"id": "c", "choices": [{"index": 0, "delta": {"content": "Hi"},
                       "finish_reason": null}]}),
                json!({"id": "c", "choices": [{"index": 0, "delta": {"content": " there"},
                       "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}}),
                json!({"amazon-bedrock-invocationMetrics": metrics_json()}),
            ],
        );
        assert_eq!(out.text, "Hi there");
        assert_eq!(out.stop_reason.as_deref(), Some("stop"));
        assert_eq!(out.usage, usage(5, 2, Some(7)));
        assert_eq!(
            deltas[3],
            TextDelta {
                metrics: Some(metrics()),
                ..Default::default()
            }
        );
        // The one real frame in BEDROCK.md Appendix B has `message` instead of `delta`.
        let (out, _) = stream(
            Jamba,
            &[
                json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "I"},
                                  "stop_reason": null}]}),
            ],
        );
        assert_eq!(out.text, "I");
    }

    #[test]
    fn key_probing_order() {
        // One chunk per shape, read with no family.
        let cases = [
            (
                json!({"type": "content_block_delta", "index": 0,
                    "delta": {"type": "text_delta", "text": "a"}}),
                "a",
            ),
            (
                json!({"contentBlockDelta": {"delta": {"text": "b"}, "contentBlockIndex": 0}}),
                "b",
            ),
            (json!({"outputText": "c", "completionReason": null}), "c"),
            (json!({"generation": "d", "stop_reason": null}), "d"),
            (
                json!({"outputs": [{"text": "e", "stop_reason": null}]}),
                "e",
            ),
            (
                json!({"choices": [{"index": 0, "delta": {"content": "f"}}]}),
                "f",
            ),
            (
                json!({"event_type": "text-generation", "text": "g", "is_finished": false}),
                "g",
            ),
            (json!({"text": "h", "is_finished": false}), "h"),
            (json!({"generations": [{"text": "i"}]}), "i"),
            (json!({"completion": "j", "stop_reason": null}), "j"),
        ];
        let mut x = TextExtractor::new(Unknown);
        for (chunk, text) in cases {
            let d = x.chunk(&serde_json::to_vec(&chunk).unwrap()).unwrap();
            assert_eq!(d.text, text, "{chunk}");
        }
        assert_eq!(x.output().text, "abcdefghij");
        // Earlier keys win: an Anthropic event that also had a `completion` key.
        let d = x
            .chunk(br#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"k"},"completion":"no"}"#)
            .unwrap();
        assert_eq!(d.text, "k");
        // Only metrics, or nothing known: no error, nothing added but the metrics.
        let d = x.chunk(br#"{"somethingNew":{"text":"no"}}"#).unwrap();
        assert!(d.is_empty());
    }

    #[test]
    fn a_known_family_falls_back_to_probing_for_a_chunk_without_its_keys() {
        let mut x = TextExtractor::new(Mistral);
        let d = x
            .chunk(
                br#"{"choices":[{"index":0,"message":{"content":"chat"},"stop_reason":"stop"}]}"#,
            )
            .unwrap();
        assert_eq!(d.text, "chat");
        assert_eq!(d.stop_reason.as_deref(), Some("stop"));
    }

    #[test]
    fn not_json_or_not_an_object_is_an_error() {
        let mut x = TextExtractor::new(ClaudeMessages);
        for bad in [&b"not json"[..], b"[1,2]", b"\"text\"", b""] {
            assert!(matches!(
                x.chunk(bad).as_ref().map_err(Error::kind),
                Err(crate::bedrock::ErrorKind::ResponseShape(_))
            ));
        }
        assert!(invoke_body(Unknown, b"{").is_err());
    }

    #[test]
    fn invocation_metrics_with_cache_counts_and_missing_fields() {
        let d = TextExtractor::new(Unknown)
            .chunk(br#"{"amazon-bedrock-invocationMetrics":{"inputTokenCount":1,"outputTokenCount":2,"invocationLatency":3,"firstByteLatency":4,"cacheReadInputTokenCount":5,"cacheWriteInputTokenCount":6,"newField":7}}"#)
            .unwrap();
        assert_eq!(
            d.metrics,
            Some(InvocationMetrics {
                input_token_count: 1,
                output_token_count: 2,
                invocation_latency: 3,
                first_byte_latency: 4,
                cache_read_input_token_count: Some(5),
                cache_write_input_token_count: Some(6),
            })
        );
        let d = TextExtractor::new(Unknown)
            .chunk(br#"{"amazon-bedrock-invocationMetrics":{"inputTokenCount":1}}"#)
            .unwrap();
        assert_eq!(d.metrics.unwrap().input_token_count, 1);
        assert_eq!(d.metrics.unwrap().cache_read_input_token_count, None);
    }

    #[test]
    fn text_chunk_still_reads_any_chunk_or_body() {
        let c = TextChunk::from_model_json(
            br#"{"completion":" Hi","stop_reason":"max_tokens","stop":null}"#,
        )
        .unwrap();
        assert_eq!(c.text, " Hi");
        assert_eq!(c.stop_reason.as_deref(), Some("max_tokens"));
        let c = TextChunk::from_model_json(
            br#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Yo"}}"#,
        )
        .unwrap();
        assert_eq!(c.text, "Yo");
        let c = TextChunk::from_model_json(
            br#"{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"END"},"usage":{"output_tokens":3}}"#,
        )
        .unwrap();
        assert_eq!(c.stop_reason.as_deref(), Some("stop_sequence"));
        assert_eq!(c.stop_sequence.as_deref(), Some("END"));
        let c = TextChunk::from_model_json(
            br#"{"type":"message","content":[{"type":"text","text":"A"},{"type":"text","text":"B"}],"stop_reason":"end_turn","stop_sequence":null}"#,
        )
        .unwrap();
        assert_eq!(c.text, "AB");
        assert_eq!(c.stop_reason.as_deref(), Some("end_turn"));
        let c = TextChunk::from_model_json(br#"{"generation":"x","stop_reason":null}"#).unwrap();
        assert_eq!(c.text, "x");
    }
}
