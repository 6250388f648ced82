//! The assistant message a streamed answer becomes: what to push onto `messages` for the next
//! turn. Reasoning keeps its signature (which arrives in its own trailing delta, and without
//! which Bedrock refuses the reasoning sent back), redacted reasoning keeps its bytes, and a
//! tool call's input is assembled from its fragments and parsed.
//!
//! Blocks are kept by `contentBlockIndex` (Anthropic `index`), so they come out in the order
//! the whole (non-streamed) answer holds them, however the events interleave. Two shapes:
//! Converse's `Message` (ConverseStream, and Nova's chunks, which are the same events) and the
//! Claude Messages API's native assistant message (InvokeModelWithResponseStream).
//!
//! Everything is bounded: at most [`MAX_BLOCKS`] blocks (events for more are ignored), at most
//! [`MAX_BLOCK_BYTES`] of text or input JSON per block and [`MAX_BLOCK_ITEMS`] citations or
//! result items per block (the rest is dropped; a tool input cut this way stays as text).

use serde_json::{json, Value};

use super::converse_stream::{BlockDelta, BlockStart, ConverseEvent};
use super::output::str_at;

/// Content blocks kept per message.
pub const MAX_BLOCKS: usize = 1000;
/// Bytes of text, reasoning, redacted data or tool input JSON kept per block.
pub const MAX_BLOCK_BYTES: usize = 8 << 20;
/// Citations or tool-result items kept per block.
pub const MAX_BLOCK_ITEMS: usize = 1000;

/// Which message shape the events spoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Converse,
    Claude,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Kind {
    #[default]
    Text,
    Reasoning,
    Redacted,
    ToolUse,
    ToolResult,
    Image,
    /// A Claude block this crate does not read, kept as it started.
    Other,
}

/// One content block so far.
#[derive(Debug, Clone, Default)]
struct Block {
    kind: Kind,
    /// Text, reasoning text, redacted data (base64) or tool input JSON.
    text: String,
    signature: Option<String>,
    id: String,
    name: String,
    /// The tool use's or result's `type` (`server_tool_use`, …).
    tag: Option<String>,
    status: Option<String>,
    /// Citations, or a tool result's content.
    items: Vec<Value>,
    /// An image's fields, a Claude tool input given whole at its start, or an unknown block.
    value: Option<Value>,
    /// Text was dropped: nothing more is appended.
    full: bool,
}

impl Block {
    /// Appends a piece; once one piece would pass [`MAX_BLOCK_BYTES`], every later piece is
    /// dropped too (so a cut tool input never parses as something it was not).
    fn push(&mut self, s: &str) {
        self.full |= self.text.len() + s.len() > MAX_BLOCK_BYTES;
        if !self.full {
            self.text.push_str(s);
        }
    }

    fn item(&mut self, v: &Value) {
        if self.items.len() < MAX_BLOCK_ITEMS {
            self.items.push(v.clone());
        }
    }

    /// The tool input as JSON text: the fragments (re-written once parsed); the input given at
    /// the start (or `{}`) when no fragment came; the text as a JSON string when it does not
    /// parse (e.g. cut by `max_tokens`).
    fn input(&self, out: &mut String) {
        if self.text.trim().is_empty() {
            return out.push_str(&self.value.as_ref().map_or("{}".into(), super::json::text));
        }
        match super::json::from_slice_lenient::<Value>(self.text.as_bytes()) {
            Ok(v) => out.push_str(&super::json::text(&v)),
            Err(_) => quote(out, &self.text),
        }
    }

    /// Writes the block as JSON in Converse's shape (`None` when it has none).
    fn converse(&self, out: &mut String) -> bool {
        match self.kind {
            Kind::Text if self.items.is_empty() => {
                out.push_str("{\"text\":");
                quote(out, &self.text);
            }
            Kind::Text => {
                out.push_str("{\"citationsContent\":{\"content\":[{\"text\":");
                quote(out, &self.text);
                out.push_str("}],\"citations\":");
                out.push_str(&super::json::text(&Value::from(self.items.clone())));
                out.push('}');
            }
            Kind::Reasoning => {
                out.push_str("{\"reasoningContent\":{\"reasoningText\":{\"text\":");
                quote(out, &self.text);
                if let Some(s) = &self.signature {
                    out.push_str(",\"signature\":");
                    quote(out, s);
                }
                out.push_str("}}");
            }
            Kind::Redacted => {
                out.push_str("{\"reasoningContent\":{\"redactedContent\":");
                quote(out, &self.text);
                out.push('}');
            }
            Kind::ToolUse | Kind::ToolResult => {
                out.push_str(if self.kind == Kind::ToolUse {
                    "{\"toolUse\":{\"name\":"
                } else {
                    "{\"toolResult\":{\"status\":"
                });
                quote(
                    out,
                    if self.kind == Kind::ToolUse {
                        &self.name
                    } else {
                        self.status.as_deref().unwrap_or("success")
                    },
                );
                out.push_str(",\"toolUseId\":");
                quote(out, &self.id);
                if let Some(t) = &self.tag {
                    out.push_str(",\"type\":");
                    quote(out, t);
                }
                if self.kind == Kind::ToolUse {
                    out.push_str(",\"input\":");
                    self.input(out);
                } else {
                    out.push_str(",\"content\":");
                    out.push_str(&super::json::text(&Value::from(self.items.clone())));
                }
                out.push('}');
            }
            Kind::Image => {
                out.push_str("{\"image\":");
                out.push_str(&self.value.as_ref().map_or("{}".into(), super::json::text));
            }
            Kind::Other => return false,
        }
        out.push('}');
        true
    }

    /// Writes the block as JSON in the Claude Messages API's shape.
    fn claude(&self, out: &mut String) -> bool {
        let (kind, key) = match self.kind {
            Kind::Text => ("text", "text"),
            Kind::Reasoning => ("thinking", "thinking"),
            Kind::Redacted => ("redacted_thinking", "data"),
            Kind::ToolUse => (self.tag.as_deref().unwrap_or("tool_use"), ""),
            _ => {
                let Some(v) = &self.value else { return false };
                out.push_str(&super::json::text(v));
                return true;
            }
        };
        out.push_str("{\"type\":");
        quote(out, kind);
        if key.is_empty() {
            out.push_str(",\"id\":");
            quote(out, &self.id);
            out.push_str(",\"name\":");
            quote(out, &self.name);
            out.push_str(",\"input\":");
            self.input(out);
        } else {
            out.push_str(",\"");
            out.push_str(key);
            out.push_str("\":");
            quote(out, &self.text);
        }
        if self.kind == Kind::Reasoning {
            out.push_str(",\"signature\":");
            quote(out, self.signature.as_deref().unwrap_or_default());
        }
        if !self.items.is_empty() {
            out.push_str(",\"citations\":");
            out.push_str(&super::json::text(&Value::from(self.items.clone())));
        }
        out.push('}');
        true
    }
}

/// `s` as a JSON string.
fn quote(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

/// Builds the assistant message from a stream's events; fed by the readers next to the
/// [`Output`](super::Output), read with [`OutputReader::message`](super::OutputReader::message).
#[derive(Debug, Clone, Default)]
pub(crate) struct MessageBuilder {
    shape: Option<Shape>,
    /// By index, ascending.
    blocks: Vec<(u64, Block)>,
}

impl MessageBuilder {
    /// The block at `index`, made with `kind` if new; `None` past [`MAX_BLOCKS`].
    fn at(&mut self, index: u64, kind: Kind) -> Option<&mut Block> {
        let at = self.blocks.partition_point(|(i, _)| *i < index);
        if self.blocks.get(at).map(|(i, _)| *i) != Some(index) {
            if self.blocks.len() >= MAX_BLOCKS {
                return None;
            }
            let block = Block {
                kind,
                ..Block::default()
            };
            self.blocks.insert(at, (index, block));
        }
        self.blocks.get_mut(at).map(|(_, b)| b)
    }

    /// A new block at `index` (a block start).
    fn start(&mut self, index: u64, block: Block) {
        if let Some(b) = self.at(index, block.kind) {
            *b = block;
        }
    }

    /// One ConverseStream event (or Nova chunk).
    #[inline(never)]
    pub fn converse(&mut self, event: &ConverseEvent) {
        self.shape.get_or_insert(Shape::Converse);
        match event {
            ConverseEvent::ContentBlockStart { index, start } => {
                let block = match start {
                    BlockStart::ToolUse {
                        tool_use_id,
                        name,
                        kind,
                    } => Block {
                        kind: Kind::ToolUse,
                        id: tool_use_id.clone(),
                        name: name.clone(),
                        tag: kind.clone(),
                        ..Block::default()
                    },
                    BlockStart::ToolResult {
                        tool_use_id,
                        status,
                        kind,
                    } => Block {
                        kind: Kind::ToolResult,
                        id: tool_use_id.clone(),
                        status: status.clone(),
                        tag: kind.clone(),
                        ..Block::default()
                    },
                    BlockStart::Image(v) => Block {
                        kind: Kind::Image,
                        value: Some(v.clone()),
                        ..Block::default()
                    },
                    BlockStart::Other(_) => return,
                };
                self.start(*index, block);
            }
            ConverseEvent::ContentBlockDelta { index, delta } => {
                let (kind, s) = match delta {
                    BlockDelta::Text(s) => (Kind::Text, s),
                    BlockDelta::ReasoningText(s) => (Kind::Reasoning, s),
                    BlockDelta::RedactedReasoning(s) => (Kind::Redacted, s),
                    BlockDelta::ToolUseInput(s) => (Kind::ToolUse, s),
                    BlockDelta::ReasoningSignature(s) => {
                        if let Some(b) = self.at(*index, Kind::Reasoning) {
                            b.signature = Some(s.clone());
                        }
                        return;
                    }
                    BlockDelta::Citation(v) => {
                        if let Some(b) = self.at(*index, Kind::Text) {
                            b.item(v);
                        }
                        return;
                    }
                    BlockDelta::ToolResult(v) => {
                        if let Some(b) = self.at(*index, Kind::ToolResult) {
                            for item in v.as_array().into_iter().flatten() {
                                b.item(item);
                            }
                        }
                        return;
                    }
                    BlockDelta::Image(v) => {
                        if let Some(b) = self.at(*index, Kind::Image) {
                            let image = b.value.get_or_insert_with(|| json!({}));
                            if let (Some(to), Some(from)) = (image.as_object_mut(), v.as_object()) {
                                to.extend(from.clone());
                            }
                        }
                        return;
                    }
                    BlockDelta::Other(_) => return,
                };
                if let Some(b) = self.at(*index, kind) {
                    b.push(s);
                }
            }
            _ => {}
        }
    }

    /// A Claude Messages text delta read on the fast path.
    #[inline(never)]
    pub fn claude_text(&mut self, index: u64, s: &str) {
        self.shape.get_or_insert(Shape::Claude);
        if let Some(b) = self.at(index, Kind::Text) {
            b.push(s);
        }
    }

    /// One Claude Messages stream event (`message_start`, `content_block_*`).
    #[inline(never)]
    pub fn claude(&mut self, v: &Value) {
        self.shape.get_or_insert(Shape::Claude);
        let index = v.get("index").and_then(Value::as_u64).unwrap_or(0);
        let s = |v: &Value, k| str_at(v, k).unwrap_or_default().to_owned();
        match str_at(v, "type").unwrap_or_default() {
            "content_block_start" => {
                let c = v.get("content_block").unwrap_or(&Value::Null);
                let tag = str_at(c, "type").unwrap_or_default();
                let block = match tag {
                    "text" => Block {
                        text: s(c, "text"),
                        ..Block::default()
                    },
                    "thinking" => Block {
                        kind: Kind::Reasoning,
                        text: s(c, "thinking"),
                        signature: str_at(c, "signature").map(str::to_owned),
                        ..Block::default()
                    },
                    "redacted_thinking" => Block {
                        kind: Kind::Redacted,
                        text: s(c, "data"),
                        ..Block::default()
                    },
                    "tool_use" | "server_tool_use" => Block {
                        kind: Kind::ToolUse,
                        id: s(c, "id"),
                        name: s(c, "name"),
                        tag: Some(tag.to_owned()),
                        value: c.get("input").cloned(),
                        ..Block::default()
                    },
                    _ => Block {
                        kind: Kind::Other,
                        value: Some(c.clone()),
                        ..Block::default()
                    },
                };
                self.start(index, block);
            }
            "content_block_delta" => {
                let d = v.get("delta").unwrap_or(&Value::Null);
                let (kind, key) = match str_at(d, "type").unwrap_or_default() {
                    "text_delta" => (Kind::Text, "text"),
                    "thinking_delta" => (Kind::Reasoning, "thinking"),
                    "input_json_delta" => (Kind::ToolUse, "partial_json"),
                    "signature_delta" => {
                        if let Some(b) = self.at(index, Kind::Reasoning) {
                            b.signature = str_at(d, "signature").map(str::to_owned);
                        }
                        return;
                    }
                    "citations_delta" => {
                        if let (Some(b), Some(c)) = (self.at(index, Kind::Text), d.get("citation"))
                        {
                            b.item(c);
                        }
                        return;
                    }
                    _ => return,
                };
                if let Some(b) = self.at(index, kind) {
                    b.push(str_at(d, key).unwrap_or_default());
                }
            }
            _ => {}
        }
    }

    /// The assistant message so far as JSON text, in the shape the events spoke: Converse's
    /// `{role, content: [{text} | {reasoningContent} | {toolUse} | …]}` or Claude's
    /// `{role, content: [{type: "thinking" | "text" | "tool_use" | …}]}`; `None` when no event
    /// of either kind came (the other model families have no such message). Written directly
    /// (not through `Value`): the npm package is measured.
    #[inline(never)]
    pub fn to_json_text(&self) -> Option<String> {
        let shape = self.shape?;
        let mut out = String::from("{\"role\":\"assistant\",\"content\":[");
        for (_, b) in &self.blocks {
            let mark = out.len();
            if !out.ends_with('[') {
                out.push(',');
            }
            let written = match shape {
                Shape::Converse => b.converse(&mut out),
                Shape::Claude => b.claude(&mut out),
            };
            if !written {
                out.truncate(mark);
            }
        }
        out.push_str("]}");
        Some(out)
    }

    /// The Converse message, typed; `None` for a Claude-native stream or no events. Read
    /// from bytes, as Converse responses are, so a page that reads both carries one reader.
    pub fn to_converse(&self) -> Option<super::converse::Message> {
        if self.shape != Some(Shape::Converse) {
            return None;
        }
        serde_json::from_slice(self.to_json_text()?.as_bytes()).ok()
    }
}

#[cfg(test)]
mod tests;
