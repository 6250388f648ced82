//! Converse / ConverseStream request and response bodies (restJson1; BEDROCK.md §4).
//!
//! Field names follow the service model exactly (camelCase on the wire, snake_case here).
//! Every struct keeps fields it does not model in `extra`, so newer service fields pass
//! through a request unchanged and never make a response fail to parse.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Unmodeled fields, kept as they came.
pub type Extra = Map<String, Value>;

/// Binary content: raw bytes here, base64 inside the JSON body.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map(Blob)
            .map_err(serde::de::Error::custom)
    }
}

/// The body of Converse and ConverseStream (the model id goes in the path).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseRequest {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub system: Vec<SystemContentBlock>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_config: Option<InferenceConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<ToolConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_config: Option<GuardrailConfig>,
    /// Passed through to the model, e.g. `{"top_k": 250}` or `{"thinking": {…}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_request_fields: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_model_response_field_paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_variables: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub request_metadata: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_config: Option<PerformanceConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
    /// Structured output (a JSON schema the answer must follow) and reasoning effort.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_config: Option<OutputConfig>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `outputConfig`: how the answer is shaped.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_format: Option<OutputFormat>,
    /// How hard the model thinks, e.g. `low`, `medium`, `high`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `outputConfig.textFormat`: `{ "type": "json_schema", "structure": { "jsonSchema": {
/// "schema": "<JSON Schema as a string>", "name"?, "description"? } } }`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputFormat {
    /// `json_schema`.
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub structure: Value,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A prompt-cache checkpoint (`cachePoint`) in messages, the system prompt or the tools.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachePoint {
    /// `default`.
    #[serde(rename = "type")]
    pub kind: String,
    /// How long the cache entry lives: `5m` (default) or `1h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
}

impl CachePoint {
    pub fn new(ttl: Option<&str>) -> Self {
        Self {
            kind: "default".into(),
            ttl: ttl.map(str::to_owned),
        }
    }
}

/// One chat message, Converse's `Message`: a role and content blocks. (A message of the
/// event-stream wire format, a frame, is `eventstream::Message`.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// `user` or `assistant`.
    pub role: String,
    pub content: Vec<ContentBlock>,
}

impl Message {
    pub fn user(text: impl Into<String>) -> Self {
        Self {
            role: "user".into(),
            content: vec![ContentBlock::Text(text.into())],
        }
    }

    pub fn assistant(text: impl Into<String>) -> Self {
        Self {
            role: "assistant".into(),
            content: vec![ContentBlock::Text(text.into())],
        }
    }

    /// The text blocks, concatenated.
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// One content block: exactly one key is set on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ContentBlock {
    Text(String),
    Image(ImageBlock),
    Document(DocumentBlock),
    ToolUse(ToolUseBlock),
    ToolResult(ToolResultBlock),
    ReasoningContent(ReasoningContentBlock),
    CachePoint(CachePoint),
    /// Any other member (`video`, `audio`, `guardContent`, `citationsContent`,
    /// `searchResult`, `toolAddition`, `toolRemoval`, …), kept as its JSON object.
    #[serde(untagged)]
    Other(Map<String, Value>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageBlock {
    /// `png`, `jpeg`, `gif` or `webp`.
    pub format: String,
    pub source: MediaSource,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentBlock {
    /// `pdf`, `csv`, `doc`, `docx`, `xls`, `xlsx`, `html`, `txt` or `md`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    pub name: String,
    pub source: MediaSource,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Where image/document bytes come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MediaSource {
    Bytes(Blob),
    S3Location(S3Location),
    Text(String),
    #[serde(untagged)]
    Other(Map<String, Value>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Location {
    pub uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseBlock {
    pub tool_use_id: String,
    pub name: String,
    pub input: Value,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResultBlock {
    pub tool_use_id: String,
    pub content: Vec<ToolResultContent>,
    /// `success` or `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ToolResultContent {
    Json(Value),
    Text(String),
    Image(ImageBlock),
    Document(DocumentBlock),
    #[serde(untagged)]
    Other(Map<String, Value>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReasoningContentBlock {
    ReasoningText(ReasoningText),
    RedactedContent(Blob),
    #[serde(untagged)]
    Other(Map<String, Value>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasoningText {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SystemContentBlock {
    Text(String),
    CachePoint(CachePoint),
    /// `guardContent`, …
    #[serde(untagged)]
    Other(Map<String, Value>),
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InferenceConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop_sequences: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolConfig {
    pub tools: Vec<Tool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Tool {
    ToolSpec(ToolSpec),
    CachePoint(CachePoint),
    /// `systemTool`, …
    #[serde(untagged)]
    Other(Map<String, Value>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `{"json": <JSON Schema>}`.
    pub input_schema: Value,
    /// The model's tool inputs must follow the schema exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailConfig {
    pub guardrail_identifier: String,
    pub guardrail_version: String,
    /// `enabled`, `disabled` or `enabled_full`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// ConverseStream only: `sync` or `async`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_processing_mode: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PerformanceConfig {
    /// `standard` or `optimized`.
    pub latency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceTier {
    /// `priority`, `default`, `flex` or `reserved`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// The non-streaming Converse response.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseResponse {
    #[serde(default)]
    pub output: ConverseResponseOutput,
    #[serde(default)]
    pub stop_reason: String,
    #[serde(default)]
    pub usage: TokenUsage,
    #[serde(default)]
    pub metrics: ConverseMetrics,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_response_fields: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_config: Option<PerformanceConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The `output` member of a [`ConverseResponse`] (the service model's `ConverseOutput`
/// union): the assistant's message. A whole Converse call's result, this response plus the
/// response metadata, is `transport::ConverseOutput`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseResponseOutput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub total_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_input_tokens: Option<u64>,
    /// Cache writes by TTL.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache_details: Vec<CacheDetail>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `usage.cacheDetails[]`: tokens written to the cache with one TTL.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheDetail {
    /// `5m` or `1h`.
    pub ttl: String,
    pub input_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseMetrics {
    #[serde(default)]
    pub latency_ms: u64,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ConverseResponse {
    /// The answer as the [`Output`](super::Output) a ConverseStream of the same answer gives:
    /// text, reasoning (and its signature, redacted blocks), tool uses, stop reason, usage with
    /// cache counts, latency. One reader of what a response means, whichever API sent it.
    pub fn to_output(&self) -> super::Output {
        use super::{Output, ToolUse, Usage};
        let mut out = Output {
            stop_reason: Some(self.stop_reason.clone()),
            usage: Some(Usage {
                input_tokens: self.usage.input_tokens,
                output_tokens: self.usage.output_tokens,
                total_tokens: Some(self.usage.total_tokens),
                cache_read_input_tokens: self.usage.cache_read_input_tokens,
                cache_write_input_tokens: self.usage.cache_write_input_tokens,
            }),
            latency_ms: Some(self.metrics.latency_ms),
            ..Default::default()
        };
        let blocks = self.output.message.iter().flat_map(|m| &m.content);
        for block in blocks {
            match block {
                ContentBlock::Text(t) => out.text.push_str(t),
                ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(t)) => {
                    out.reasoning.push_str(&t.text);
                    if t.signature.is_some() {
                        out.reasoning_signature.clone_from(&t.signature);
                    }
                }
                ContentBlock::ReasoningContent(ReasoningContentBlock::RedactedContent(b)) => out
                    .redacted_reasoning
                    .push(base64::engine::general_purpose::STANDARD.encode(&b.0)),
                ContentBlock::ToolUse(t) => {
                    out.tool_uses
                        .push(ToolUse::new(&t.tool_use_id, &t.name, t.input.clone()))
                }
                _ => {}
            }
        }
        out
    }

    /// The assistant's text blocks, concatenated.
    pub fn text(&self) -> String {
        self.output
            .message
            .as_ref()
            .map(Message::text)
            .unwrap_or_default()
    }
}
