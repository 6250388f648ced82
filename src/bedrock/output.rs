//! What a response means, whatever the operation or model family: text, reasoning, tool uses,
//! stop reason, token usage and metrics. [`TextDelta`] is what one chunk or event added;
//! [`Output`] is everything so far.
//!
//! The family readers (`family`) and ConverseStream events (`converse_stream`) write into
//! these types; this module knows neither, so the dependency goes one way.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Error;

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

/// Token counts, as the model or Converse reports them. Streams report them piecemeal; the
/// readers merge the pieces, so this is always the latest known value of each count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Only when the response states it (Converse, AI21/Mistral chat `usage`).
    pub total_tokens: Option<u64>,
    /// Prompt-cache reads (`cacheReadInputTokens`, Anthropic `cache_read_input_tokens`).
    pub cache_read_input_tokens: Option<u64>,
    /// Prompt-cache writes (`cacheWriteInputTokens`, Anthropic `cache_creation_input_tokens`).
    pub cache_write_input_tokens: Option<u64>,
}

impl Usage {
    /// `total_tokens` when stated, else input + output.
    pub fn total(&self) -> u64 {
        self.total_tokens
            .unwrap_or(self.input_tokens.saturating_add(self.output_tokens))
    }
}

/// A complete tool call: its input JSON has been assembled from every fragment and parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolUse {
    /// `toolUseId` (Converse, Nova) or `id` (Anthropic, chat completions).
    pub id: String,
    pub name: String,
    /// The parsed input; `Null` when it did not parse (see `unparsed_input`).
    pub input: Value,
    /// The input text as the model sent it, when it is not valid JSON — typically cut off by
    /// the token limit (`stopReason` `max_tokens`). The call is still delivered, so nothing
    /// that arrived is lost and the stream goes on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unparsed_input: Option<String>,
}

impl ToolUse {
    pub fn new(id: impl Into<String>, name: impl Into<String>, input: Value) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            input,
            unparsed_input: None,
        }
    }
}

/// What one stream chunk or event added. Everything is empty or `None` for chunks that carry
/// nothing a caller shows (`ping`, `messageStart`, a block start).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextDelta {
    /// Answer text.
    pub text: String,
    /// Reasoning ("thinking") text, never mixed into `text`.
    pub reasoning: String,
    /// Tool calls whose block ended with this chunk.
    pub tool_uses_completed: Vec<ToolUse>,
    pub stop_reason: Option<String>,
    /// The stop sequence that ended the answer, when the model says which.
    pub stop_sequence: Option<String>,
    /// The usage known after this chunk, set when this chunk reported token counts.
    pub usage: Option<Usage>,
    /// `amazon-bedrock-invocationMetrics`, set on the chunk that carries it.
    pub metrics: Option<InvocationMetrics>,
    /// ConverseStream `metadata.metrics.latencyMs`.
    pub latency_ms: Option<u64>,
}

impl TextDelta {
    /// Whether the chunk added nothing at all.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Everything a response has said so far. After a stream exception it still holds what
/// arrived before it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Output {
    pub text: String,
    pub reasoning: String,
    /// The signature of the (last) reasoning block, needed to send the reasoning back.
    pub reasoning_signature: Option<String>,
    /// Redacted reasoning blocks, base64, as sent (Converse `redactedContent`, Anthropic
    /// `redacted_thinking.data`).
    pub redacted_reasoning: Vec<String>,
    pub tool_uses: Vec<ToolUse>,
    pub stop_reason: Option<String>,
    pub stop_sequence: Option<String>,
    pub usage: Option<Usage>,
    pub metrics: Option<InvocationMetrics>,
    pub latency_ms: Option<u64>,
}

impl Output {
    /// The token counts to report: as the response stated them, else (families whose chunks
    /// state none) from the invocation metrics; the total is computed when not stated.
    pub fn token_usage(&self) -> Option<Usage> {
        let mut usage = self.usage.or_else(|| {
            self.metrics.map(|m| Usage {
                input_tokens: m.input_token_count,
                output_tokens: m.output_token_count,
                total_tokens: None,
                cache_read_input_tokens: m.cache_read_input_token_count,
                cache_write_input_tokens: m.cache_write_input_token_count,
            })
        })?;
        usage.total_tokens = Some(usage.total());
        Some(usage)
    }
}

/// Token counts as one chunk states them: each may be absent.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct UsagePatch {
    pub input: Option<u64>,
    pub output: Option<u64>,
    pub total: Option<u64>,
    pub cache_read: Option<u64>,
    pub cache_write: Option<u64>,
}

impl UsagePatch {
    /// The counts stated, absent ones as zero.
    pub fn into_usage(self) -> Usage {
        Usage {
            input_tokens: self.input.unwrap_or(0),
            output_tokens: self.output.unwrap_or(0),
            total_tokens: self.total,
            cache_read_input_tokens: self.cache_read,
            cache_write_input_tokens: self.cache_write,
        }
    }

    fn is_empty(&self) -> bool {
        self.input.is_none()
            && self.output.is_none()
            && self.total.is_none()
            && self.cache_read.is_none()
            && self.cache_write.is_none()
    }
}

impl From<Usage> for UsagePatch {
    fn from(u: Usage) -> Self {
        Self {
            input: Some(u.input_tokens),
            output: Some(u.output_tokens),
            total: u.total_tokens,
            cache_read: u.cache_read_input_tokens,
            cache_write: u.cache_write_input_tokens,
        }
    }
}

/// A tool-use block whose input is still arriving.
#[derive(Debug, Clone, Default)]
struct PendingTool {
    id: String,
    name: String,
    json: String,
    /// The input given whole at the block start (Anthropic sends `{}`), used if no fragment
    /// follows.
    initial: Option<Value>,
}

/// Tool-use blocks open at once beyond which a stream is refused as malformed (Bedrock's
/// streams open one block at a time).
pub(crate) const MAX_OPEN_TOOL_BLOCKS: usize = 1024;

/// The state shared by every reader: the output so far and the open tool blocks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Accumulator {
    pub out: Output,
    /// By block index. A `Vec`, not a map: a stream has one block open at a time (a few at
    /// most), searched from the newest; a `BTreeMap<u64, _>` instantiation cost 3.3 KB gzip in
    /// the package. Bounded by [`MAX_OPEN_TOOL_BLOCKS`].
    pending: Vec<(u64, PendingTool)>,
    /// The assistant message the blocks make (ConverseStream, Nova and Claude Messages).
    pub msg: super::message::MessageBuilder,
}

impl Accumulator {
    pub fn text(&mut self, d: &mut TextDelta, s: &str) {
        self.out.text.push_str(s);
        d.text.push_str(s);
    }

    pub fn reasoning(&mut self, d: &mut TextDelta, s: &str) {
        self.out.reasoning.push_str(s);
        d.reasoning.push_str(s);
    }

    /// A reasoning block's signature; the last block's is kept.
    pub fn signature(&mut self, s: &str) {
        self.out.reasoning_signature = Some(s.to_owned());
    }

    pub fn redacted(&mut self, s: &str) {
        self.out.redacted_reasoning.push(s.to_owned());
    }

    pub fn stop(&mut self, d: &mut TextDelta, reason: Option<&str>, sequence: Option<&str>) {
        if let Some(r) = reason {
            self.out.stop_reason = Some(r.to_owned());
            d.stop_reason = Some(r.to_owned());
        }
        if let Some(s) = sequence {
            self.out.stop_sequence = Some(s.to_owned());
            d.stop_sequence = Some(s.to_owned());
        }
    }

    pub fn usage(&mut self, d: &mut TextDelta, p: UsagePatch) {
        if p.is_empty() {
            return;
        }
        let u = self.out.usage.get_or_insert_with(Usage::default);
        if let Some(v) = p.input {
            u.input_tokens = v;
        }
        if let Some(v) = p.output {
            u.output_tokens = v;
        }
        if p.total.is_some() {
            u.total_tokens = p.total;
        }
        if p.cache_read.is_some() {
            u.cache_read_input_tokens = p.cache_read;
        }
        if p.cache_write.is_some() {
            u.cache_write_input_tokens = p.cache_write;
        }
        d.usage = Some(*u);
    }

    pub fn metrics(&mut self, d: &mut TextDelta, m: InvocationMetrics) {
        self.out.metrics = Some(m);
        d.metrics = Some(m);
    }

    pub fn latency(&mut self, d: &mut TextDelta, ms: u64) {
        self.out.latency_ms = Some(ms);
        d.latency_ms = Some(ms);
    }

    /// A complete tool call (non-streaming bodies).
    pub fn tool_use(&mut self, d: &mut TextDelta, tool: ToolUse) {
        self.out.tool_uses.push(tool.clone());
        d.tool_uses_completed.push(tool);
    }

    /// The open tool block at `index`, opened (empty) if it is not.
    fn open_tool(&mut self, index: u64) -> Result<&mut PendingTool, Error> {
        let at = match self.pending.iter().rposition(|(i, _)| *i == index) {
            Some(at) => at,
            None if self.pending.len() >= MAX_OPEN_TOOL_BLOCKS => {
                return Err(Error::response_shape(
                    "the stream opened more than 1024 tool-use blocks without closing them; the \
                     answer is malformed",
                ))
            }
            None => {
                self.pending.push((index, PendingTool::default()));
                self.pending.len() - 1
            }
        };
        Ok(&mut self.pending[at].1)
    }

    /// A tool-use block starts at `index`.
    pub fn tool_start(
        &mut self,
        index: u64,
        id: &str,
        name: &str,
        initial: Option<Value>,
    ) -> Result<(), Error> {
        *self.open_tool(index)? = PendingTool {
            id: id.to_owned(),
            name: name.to_owned(),
            json: String::new(),
            initial,
        };
        Ok(())
    }

    /// A fragment of the input JSON of the tool block at `index`. A fragment for a block that
    /// never started is kept too (with no id or name) rather than lost.
    pub fn tool_input(&mut self, index: u64, fragment: &str) -> Result<(), Error> {
        self.open_tool(index)?.json.push_str(fragment);
        Ok(())
    }

    /// The block at `index` ended: a tool block's input is parsed now. Input that does not
    /// parse (cut off by the token limit, or simply malformed) is kept as text in
    /// [`ToolUse::unparsed_input`], never an error: the rest of the answer still arrives.
    pub fn block_stop(&mut self, d: &mut TextDelta, index: u64) -> Result<(), Error> {
        let Some(at) = self.pending.iter().rposition(|(i, _)| *i == index) else {
            return Ok(());
        };
        let (_, tool) = self.pending.remove(at);
        let mut call = ToolUse::new(tool.id, tool.name, Value::Null);
        if tool.json.trim().is_empty() {
            call.input = tool
                .initial
                .unwrap_or_else(|| Value::Object(Default::default()));
        } else {
            match super::json::from_slice_lenient(tool.json.as_bytes()) {
                Ok(v) => call.input = v,
                Err(_) => call.unparsed_input = Some(tool.json),
            }
        }
        self.tool_use(d, call);
        Ok(())
    }
}

/// `usage` objects in Converse's naming (`inputTokens`, …), including Nova's
/// `cacheReadInputTokenCount` spelling.
pub(crate) fn converse_usage(u: &Value) -> UsagePatch {
    UsagePatch {
        input: u64_at(u, "inputTokens"),
        output: u64_at(u, "outputTokens"),
        total: u64_at(u, "totalTokens"),
        cache_read: u64_at(u, "cacheReadInputTokens")
            .or_else(|| u64_at(u, "cacheReadInputTokenCount")),
        cache_write: u64_at(u, "cacheWriteInputTokens")
            .or_else(|| u64_at(u, "cacheWriteInputTokenCount")),
    }
}

pub(crate) fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

pub(crate) fn u64_at(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(Value::as_u64)
}
