//! ConverseStream events (BEDROCK.md §4.3): the typed view of each event and how it adds to an
//! [`Output`](super::Output). Nova's InvokeModelWithResponseStream chunks are the same events
//! wrapped in their names, so `family` reuses [`ConverseEvent::apply`].

use serde_json::{Map, Value};

use super::output::{converse_usage, str_at, u64_at, Accumulator, TextDelta, ToolUse, UsagePatch};
use super::Error;

/// The event types ConverseStream sends, in `:event-type` (and Nova chunk key) spelling.
pub const CONVERSE_EVENT_TYPES: [&str; 6] = [
    "messageStart",
    "contentBlockStart",
    "contentBlockDelta",
    "contentBlockStop",
    "messageStop",
    "metadata",
];

/// One ConverseStream event as received: its meaning ([`ConverseEvent`]) plus the payload
/// bytes as sent, so that a JavaScript layer can hand out the AWS SDK's `{ [eventType]:
/// payload }` with one `JSON.parse` and nothing re-serialised.
/// [`StreamEvent::Converse`](super::StreamEvent::Converse) holds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConverseStreamEvent {
    pub event: ConverseEvent,
    /// The payload JSON as sent, `p` padding included; empty for a text delta read lean
    /// (see [`ResponseStreamDecoder::meaning_only`](super::ResponseStreamDecoder::meaning_only)).
    pub payload: Vec<u8>,
}

impl ConverseStreamEvent {
    /// Reads the payload of an event named `event_type`; `Ok(None)` for an event type this
    /// crate does not know (skipped, as the SDKs do). `p` is removed from the payload.
    pub fn from_payload(event_type: &str, payload: &[u8]) -> Result<Option<Self>, Error> {
        if !CONVERSE_EVENT_TYPES.contains(&event_type) {
            return Ok(None);
        }
        // Kept as repaired, if it had to be (lone surrogates, invalid UTF-8), so that every
        // reader of the bytes sees the same U+FFFD the typed view has.
        let (json, repaired) = match serde_json::from_slice::<Value>(payload) {
            Ok(json) => (json, None),
            Err(_) => match super::json::repair(payload) {
                Some(fixed) => (parse_payload(event_type, fixed.as_bytes())?, Some(fixed)),
                None => (parse_payload(event_type, payload)?, None),
            },
        };
        let event = ConverseEvent::from_json(event_type, &json)?;
        Ok(event.map(|event| Self {
            event,
            payload: repaired.map_or_else(|| payload.to_vec(), String::into_bytes),
        }))
    }

    /// The payload as JSON without the `p` padding (a text delta read lean is rebuilt from
    /// its meaning).
    pub fn payload_json(&self) -> Result<Value, Error> {
        if self.payload.is_empty() {
            if let ConverseEvent::ContentBlockDelta {
                index,
                delta: BlockDelta::Text(text),
            } = &self.event
            {
                return Ok(
                    serde_json::json!({"contentBlockIndex": index, "delta": {"text": text}}),
                );
            }
        }
        parse_payload(self.event_type(), &self.payload)
    }

    /// For readers that want only the meaning (text mode): a `contentBlockDelta` text event,
    /// `{"contentBlockIndex":0,"delta":{"text":"…"},"p":"…"}` (nearly every event of an
    /// answer), read without building a JSON tree; its `payload` is left `Null`. `None` for
    /// anything else, including any extra key: the caller then takes the general path.
    pub(crate) fn text_delta_only(payload: &[u8]) -> Option<Self> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Delta<'a> {
            #[serde(rename = "contentBlockIndex")]
            index: u64,
            #[serde(borrow)]
            delta: Text<'a>,
            #[serde(rename = "p")]
            _p: Option<serde::de::IgnoredAny>,
        }
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Text<'a> {
            #[serde(borrow)]
            text: std::borrow::Cow<'a, str>,
        }
        let d: Delta = serde_json::from_slice(payload).ok()?;
        Some(Self {
            event: ConverseEvent::ContentBlockDelta {
                index: d.index,
                delta: BlockDelta::Text(d.delta.text.into_owned()),
            },
            payload: Vec::new(),
        })
    }

    /// `:event-type`, e.g. `contentBlockDelta`.
    pub fn event_type(&self) -> &'static str {
        self.event.event_type()
    }

    /// The AWS SDK's shape of the event: `{ "<eventType>": payload }`.
    pub fn to_sdk_json(&self) -> Result<Value, Error> {
        let mut m = Map::new();
        m.insert(self.event_type().to_owned(), self.payload_json()?);
        Ok(Value::Object(m))
    }
}

/// A payload's JSON, leniently (as `JSON.parse` would), without the `p` padding.
fn parse_payload(event_type: &str, payload: &[u8]) -> Result<Value, Error> {
    let mut json: Value = super::json::from_slice_lenient(payload).map_err(|e| {
        Error::response_shape(format!("{event_type} event payload is not JSON: {e}"))
    })?;
    if let Some(obj) = json.as_object_mut() {
        if obj.contains_key("p") {
            // Rebuilt rather than `remove`d: the map's removal code (B-tree rebalancing) cost
            // 1.9 KB gzip in the package for this one key, and the map has a few keys.
            let mut kept = Map::new();
            for (k, v) in std::mem::take(obj) {
                if k != "p" {
                    kept.insert(k, v);
                }
            }
            *obj = kept;
        }
    }
    Ok(json)
}

/// What a ConverseStream event means, typed; also what each Nova InvokeModel chunk means
/// (the same events wrapped in their names). [`OutputReader`](super::OutputReader) adds it
/// to an [`Output`](super::Output).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConverseEvent {
    MessageStart {
        role: String,
    },
    /// Sent only for tool-use, tool-result and image blocks, never for text.
    ContentBlockStart {
        index: u64,
        start: BlockStart,
    },
    ContentBlockDelta {
        index: u64,
        delta: BlockDelta,
    },
    ContentBlockStop {
        index: u64,
    },
    MessageStop {
        stop_reason: String,
        /// `additionalModelResponseFields`, when requested.
        additional_model_response_fields: Option<Value>,
    },
    /// May come before or after `MessageStop`.
    Metadata {
        usage: Option<super::Usage>,
        latency_ms: Option<u64>,
    },
}

/// `contentBlockStart.start`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockStart {
    ToolUse {
        tool_use_id: String,
        name: String,
        /// `type`: `tool_use`, or `server_tool_use` for a tool Bedrock runs itself.
        kind: Option<String>,
    },
    ToolResult {
        tool_use_id: String,
        status: Option<String>,
        kind: Option<String>,
    },
    Image(Value),
    /// A start this crate does not know.
    Other(Value),
}

/// `contentBlockDelta.delta`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockDelta {
    Text(String),
    /// A fragment of a tool call's input JSON.
    ToolUseInput(String),
    ReasoningText(String),
    ReasoningSignature(String),
    /// Base64 of encrypted reasoning.
    RedactedReasoning(String),
    Citation(Value),
    /// Results of a server-side tool (`[{"text"}|{"json"}]`).
    ToolResult(Value),
    Image(Value),
    /// A delta this crate does not know.
    Other(Value),
}

impl ConverseEvent {
    /// The typed view of an event's payload; `Ok(None)` for an unknown event type.
    pub fn from_json(event_type: &str, p: &Value) -> Result<Option<Self>, Error> {
        if !p.is_object() {
            return Err(Error::response_shape(format!(
                "{event_type} event payload is not a JSON object"
            )));
        }
        let index = || {
            u64_at(p, "contentBlockIndex").ok_or_else(|| {
                Error::response_shape(format!("{event_type} event without contentBlockIndex"))
            })
        };
        Ok(Some(match event_type {
            "messageStart" => ConverseEvent::MessageStart {
                role: str_at(p, "role").unwrap_or("assistant").to_owned(),
            },
            "contentBlockStart" => ConverseEvent::ContentBlockStart {
                index: index()?,
                start: block_start(p.get("start").unwrap_or(&Value::Null)),
            },
            "contentBlockDelta" => ConverseEvent::ContentBlockDelta {
                index: index()?,
                delta: block_delta(p.get("delta").unwrap_or(&Value::Null)),
            },
            "contentBlockStop" => ConverseEvent::ContentBlockStop { index: index()? },
            "messageStop" => ConverseEvent::MessageStop {
                stop_reason: str_at(p, "stopReason")
                    .ok_or_else(|| Error::response_shape("messageStop event without stopReason"))?
                    .to_owned(),
                additional_model_response_fields: p
                    .get("additionalModelResponseFields")
                    .filter(|v| !v.is_null())
                    .cloned(),
            },
            "metadata" => ConverseEvent::Metadata {
                usage: p.get("usage").map(|u| converse_usage(u).into_usage()),
                latency_ms: p.get("metrics").and_then(|m| u64_at(m, "latencyMs")),
            },
            _ => return Ok(None),
        }))
    }

    pub fn event_type(&self) -> &'static str {
        match self {
            ConverseEvent::MessageStart { .. } => "messageStart",
            ConverseEvent::ContentBlockStart { .. } => "contentBlockStart",
            ConverseEvent::ContentBlockDelta { .. } => "contentBlockDelta",
            ConverseEvent::ContentBlockStop { .. } => "contentBlockStop",
            ConverseEvent::MessageStop { .. } => "messageStop",
            ConverseEvent::Metadata { .. } => "metadata",
        }
    }

    /// Adds the event to `acc`: text, reasoning and tool input are kept apart; a tool call is
    /// complete (its input parsed) at its block's `contentBlockStop`.
    pub(crate) fn apply(&self, acc: &mut Accumulator, d: &mut TextDelta) -> Result<(), Error> {
        acc.msg.converse(self);
        match self {
            ConverseEvent::MessageStart { .. } => {}
            ConverseEvent::ContentBlockStart { index, start } => {
                if let BlockStart::ToolUse {
                    tool_use_id, name, ..
                } = start
                {
                    acc.tool_start(*index, tool_use_id, name, None)?;
                }
            }
            ConverseEvent::ContentBlockDelta { index, delta } => match delta {
                BlockDelta::Text(t) => acc.text(d, t),
                BlockDelta::ToolUseInput(s) => acc.tool_input(*index, s)?,
                BlockDelta::ReasoningText(t) => acc.reasoning(d, t),
                BlockDelta::ReasoningSignature(s) => acc.signature(s),
                BlockDelta::RedactedReasoning(s) => acc.redacted(s),
                BlockDelta::Citation(_)
                | BlockDelta::ToolResult(_)
                | BlockDelta::Image(_)
                | BlockDelta::Other(_) => {}
            },
            ConverseEvent::ContentBlockStop { index } => acc.block_stop(d, *index)?,
            ConverseEvent::MessageStop { stop_reason, .. } => {
                acc.stop(d, Some(stop_reason), None);
            }
            ConverseEvent::Metadata { usage, latency_ms } => {
                if let Some(u) = usage {
                    acc.usage(d, UsagePatch::from(*u));
                }
                if let Some(ms) = latency_ms {
                    acc.latency(d, *ms);
                }
            }
        }
        Ok(())
    }
}

/// Applies the `usage` and `metrics` of a Converse response or `metadata` payload.
fn apply_metadata(p: &Value, acc: &mut Accumulator, d: &mut TextDelta) {
    if let Some(u) = p.get("usage") {
        acc.usage(d, converse_usage(u));
    }
    if let Some(ms) = p.get("metrics").and_then(|m| u64_at(m, "latencyMs")) {
        acc.latency(d, ms);
    }
}

fn block_start(s: &Value) -> BlockStart {
    if let Some(t) = s.get("toolUse") {
        BlockStart::ToolUse {
            tool_use_id: str_at(t, "toolUseId").unwrap_or_default().to_owned(),
            name: str_at(t, "name").unwrap_or_default().to_owned(),
            kind: str_at(t, "type").map(str::to_owned),
        }
    } else if let Some(t) = s.get("toolResult") {
        BlockStart::ToolResult {
            tool_use_id: str_at(t, "toolUseId").unwrap_or_default().to_owned(),
            status: str_at(t, "status").map(str::to_owned),
            kind: str_at(t, "type").map(str::to_owned),
        }
    } else if let Some(i) = s.get("image") {
        BlockStart::Image(i.clone())
    } else {
        BlockStart::Other(s.clone())
    }
}

fn block_delta(d: &Value) -> BlockDelta {
    if let Some(t) = str_at(d, "text") {
        return BlockDelta::Text(t.to_owned());
    }
    if let Some(input) = d.get("toolUse").and_then(|t| str_at(t, "input")) {
        return BlockDelta::ToolUseInput(input.to_owned());
    }
    if let Some(r) = d.get("reasoningContent") {
        if let Some(t) = str_at(r, "text") {
            return BlockDelta::ReasoningText(t.to_owned());
        }
        if let Some(s) = str_at(r, "signature") {
            return BlockDelta::ReasoningSignature(s.to_owned());
        }
        if let Some(s) = str_at(r, "redactedContent") {
            return BlockDelta::RedactedReasoning(s.to_owned());
        }
    }
    if let Some(c) = d.get("citation") {
        return BlockDelta::Citation(c.clone());
    }
    if let Some(r) = d.get("toolResult") {
        return BlockDelta::ToolResult(r.clone());
    }
    if let Some(i) = d.get("image") {
        return BlockDelta::Image(i.clone());
    }
    BlockDelta::Other(d.clone())
}

/// A whole Converse-shaped answer (`{output:{message:{content}}, stopReason, usage, metrics}`,
/// BEDROCK.md §4.2), which is what Nova's InvokeModel returns.
pub(crate) fn apply_converse_body(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) {
    let content = v
        .get("output")
        .and_then(|o| o.get("message"))
        .and_then(|m| m.get("content"))
        .and_then(Value::as_array);
    for block in content.into_iter().flatten() {
        if let Some(t) = str_at(block, "text") {
            acc.text(d, t);
        } else if let Some(r) = block.get("reasoningContent") {
            if let Some(rt) = r.get("reasoningText") {
                if let Some(t) = str_at(rt, "text") {
                    acc.reasoning(d, t);
                }
                if let Some(s) = str_at(rt, "signature") {
                    acc.signature(s);
                }
            }
            if let Some(s) = str_at(r, "redactedContent") {
                acc.redacted(s);
            }
        } else if let Some(t) = block.get("toolUse") {
            acc.tool_use(
                d,
                ToolUse {
                    id: str_at(t, "toolUseId").unwrap_or_default().to_owned(),
                    name: str_at(t, "name").unwrap_or_default().to_owned(),
                    input: t.get("input").cloned().unwrap_or(Value::Null),
                    unparsed_input: None,
                },
            );
        }
    }
    acc.stop(d, str_at(v, "stopReason"), None);
    apply_metadata(v, acc, d);
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use serde_json::json;

    use super::*;
    use crate::bedrock::{ModelFamily, OutputReader, Usage};

    fn event(kind: &str, payload: Value) -> ConverseStreamEvent {
        ConverseStreamEvent::from_payload(kind, &serde_json::to_vec(&payload).unwrap())
            .unwrap()
            .unwrap()
    }

    fn delta(d: Value) -> BlockDelta {
        match event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 2, "delta": d}),
        )
        .event
        {
            ConverseEvent::ContentBlockDelta { index: 2, delta } => delta,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn typed_deltas() {
        assert_eq!(delta(json!({"text": "hi"})), BlockDelta::Text("hi".into()));
        assert_eq!(
            delta(json!({"toolUse": {"input": "{\"a\""}})),
            BlockDelta::ToolUseInput("{\"a\"".into())
        );
        assert_eq!(
            delta(json!({"reasoningContent": {"text": "hmm"}})),
            BlockDelta::ReasoningText("hmm".into())
        );
        assert_eq!(
            delta(json!({"reasoningContent": {"signature": "sig"}})),
            BlockDelta::ReasoningSignature("sig".into())
        );
        assert_eq!(
            delta(json!({"reasoningContent": {"redactedContent": "UkVE"}})),
            BlockDelta::RedactedReasoning("UkVE".into())
        );
        let citation = json!({"title": "t", "sourceContent": [{"text": "s"}],
                              "location": {"documentChar": {"documentIndex": 0, "start": 0, "end": 1}}});
        assert_eq!(
            delta(json!({ "citation": citation.clone() })),
            BlockDelta::Citation(citation)
        );
        let result = json!([{"json": {"stdOut": "7006652"}}]);
        assert_eq!(
            delta(json!({ "toolResult": result.clone() })),
            BlockDelta::ToolResult(result)
        );
        assert_eq!(
            delta(json!({"image": {"source": {}}})),
            BlockDelta::Image(json!({"source": {}}))
        );
        assert_eq!(
            delta(json!({"somethingNew": 1})),
            BlockDelta::Other(json!({"somethingNew": 1}))
        );
    }

    #[test]
    fn a_payload_that_needed_repair_is_kept_repaired() {
        let raw = br#"{"contentBlockIndex":0,"delta":{"text":"a\ud83d"},"p":"x"}"#;
        let e = ConverseStreamEvent::from_payload("contentBlockDelta", raw)
            .unwrap()
            .unwrap();
        assert_eq!(
            e.event,
            ConverseEvent::ContentBlockDelta {
                index: 0,
                delta: BlockDelta::Text("a\u{fffd}".into())
            }
        );
        assert_eq!(
            std::str::from_utf8(&e.payload).unwrap(),
            r#"{"contentBlockIndex":0,"delta":{"text":"a\ufffd"},"p":"x"}"#
        );
        // Well-formed bytes are kept exactly as sent.
        let fine = br#"{"contentBlockIndex":0,"delta":{"text":"b"},"p":"x"}"#;
        let e = ConverseStreamEvent::from_payload("contentBlockDelta", fine)
            .unwrap()
            .unwrap();
        assert_eq!(e.payload, fine);
    }

    #[test]
    fn typed_events_and_padding() {
        let e = event(
            "contentBlockStart",
            json!({"contentBlockIndex": 1, "p": "abcdef",
                   "start": {"toolUse": {"toolUseId": "t", "name": "n", "type": "server_tool_use"}}}),
        );
        assert_eq!(e.payload_json().unwrap().get("p"), None);
        assert_eq!(e.event_type(), "contentBlockStart");
        assert_eq!(
            e.event,
            ConverseEvent::ContentBlockStart {
                index: 1,
                start: BlockStart::ToolUse {
                    tool_use_id: "t".into(),
                    name: "n".into(),
                    kind: Some("server_tool_use".into()),
                },
            }
        );
        assert_eq!(
            e.to_sdk_json().unwrap(),
            json!({"contentBlockStart": {"contentBlockIndex": 1,
                   "start": {"toolUse": {"toolUseId": "t", "name": "n", "type": "server_tool_use"}}}})
        );
        let e = event(
            "contentBlockStart",
            json!({"contentBlockIndex": 1, "start": {"toolResult": {"toolUseId": "t", "status": "success", "type": "x"}}}),
        );
        assert!(matches!(
            e.event,
            ConverseEvent::ContentBlockStart { start: BlockStart::ToolResult { ref status, .. }, .. }
                if status.as_deref() == Some("success")
        ));
        let e = event(
            "messageStop",
            json!({"stopReason": "end_turn", "additionalModelResponseFields": {"delta": {"stop_sequence": null}}}),
        );
        assert_eq!(
            e.event,
            ConverseEvent::MessageStop {
                stop_reason: "end_turn".into(),
                additional_model_response_fields: Some(json!({"delta": {"stop_sequence": null}})),
            }
        );
        let e = event(
            "metadata",
            json!({"usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3,
                             "cacheReadInputTokens": 4, "cacheWriteInputTokens": 5,
                             "serverToolUsage": {}},
                   "metrics": {"latencyMs": 6}, "trace": {}}),
        );
        assert_eq!(
            e.event,
            ConverseEvent::Metadata {
                usage: Some(Usage {
                    input_tokens: 1,
                    output_tokens: 2,
                    total_tokens: Some(3),
                    cache_read_input_tokens: Some(4),
                    cache_write_input_tokens: Some(5),
                }),
                latency_ms: Some(6),
            }
        );
        assert_eq!(
            event("messageStart", json!({"role": "assistant"})).event,
            ConverseEvent::MessageStart {
                role: "assistant".into()
            }
        );
    }

    #[test]
    fn unknown_event_types_are_skipped_and_malformed_events_are_errors() {
        assert_eq!(
            ConverseStreamEvent::from_payload("somethingNew", b"not even json"),
            Ok(None)
        );
        assert_eq!(ConverseStreamEvent::from_payload("chunk", b"{}"), Ok(None));
        for (kind, payload) in [
            ("contentBlockDelta", &br#"{"delta":{"text":"x"}}"#[..]),
            ("contentBlockStop", b"{}"),
            ("messageStop", br#"{"additionalModelResponseFields":{}}"#),
            ("messageStart", b"[]"),
            ("metadata", b"{"),
        ] {
            let r = ConverseStreamEvent::from_payload(kind, payload);
            assert!(
                matches!(
                    r.as_ref().map_err(Error::kind),
                    Err(crate::bedrock::ErrorKind::ResponseShape(_))
                ),
                "{kind}: {r:?}"
            );
        }
    }

    fn aggregate(events: &[(&str, Value)]) -> (OutputReader, Vec<TextDelta>) {
        let mut x = OutputReader::new(ModelFamily::Unknown);
        let deltas = events
            .iter()
            .map(|(k, p)| x.converse_event(&event(k, p.clone()).event).unwrap())
            .collect();
        (x, deltas)
    }

    #[test]
    fn aggregator_keeps_text_reasoning_and_tools_apart_in_any_order() {
        let (x, deltas) = aggregate(&[
            ("messageStart", json!({"role": "assistant"})),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "Think"}}}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "ing."}}}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "sig"}}}),
            ),
            ("contentBlockStop", json!({"contentBlockIndex": 0})),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 1, "delta": {"reasoningContent": {"redactedContent": "UkVE"}}}),
            ),
            ("contentBlockStop", json!({"contentBlockIndex": 1})),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 2, "delta": {"text": "Answer"}}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 2, "delta": {"citation": {"title": "doc"}}}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 2, "delta": {"text": "."}}),
            ),
            ("contentBlockStop", json!({"contentBlockIndex": 2})),
            (
                "contentBlockStart",
                json!({"contentBlockIndex": 3, "start": {"toolUse": {"toolUseId": "t1", "name": "f"}}}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 3, "delta": {"toolUse": {"input": ""}}}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 3, "delta": {"toolUse": {"input": "{\"x\":"}}}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 3, "delta": {"toolUse": {"input": " [1, 2]}"}}}),
            ),
            ("contentBlockStop", json!({"contentBlockIndex": 3})),
            (
                "contentBlockStart",
                json!({"contentBlockIndex": 4, "start": {"toolResult": {"toolUseId": "t1", "status": "success"}}}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 4, "delta": {"toolResult": [{"text": "ok"}]}}),
            ),
            ("contentBlockStop", json!({"contentBlockIndex": 4})),
            // metadata before messageStop, as one Vercel fixture has it.
            (
                "metadata",
                json!({"usage": {"inputTokens": 5, "outputTokens": 6, "totalTokens": 11}, "metrics": {"latencyMs": 70}}),
            ),
            ("messageStop", json!({"stopReason": "tool_use"})),
        ]);
        let out = x.output();
        assert_eq!(out.text, "Answer.");
        assert_eq!(out.reasoning, "Thinking.");
        assert_eq!(out.reasoning_signature.as_deref(), Some("sig"));
        assert_eq!(out.redacted_reasoning, ["UkVE"]);
        assert_eq!(
            out.tool_uses,
            [ToolUse {
                id: "t1".into(),
                name: "f".into(),
                input: json!({"x": [1, 2]}),
                unparsed_input: None,
            }]
        );
        assert_eq!(deltas[15].tool_uses_completed.len(), 1);
        assert_eq!(out.stop_reason.as_deref(), Some("tool_use"));
        assert_eq!(out.usage.unwrap().total(), 11);
        assert_eq!(out.latency_ms, Some(70));
        assert_eq!(deltas[19].latency_ms, Some(70));
        assert_eq!(deltas[20].stop_reason.as_deref(), Some("tool_use"));
    }

    #[test]
    fn tool_input_without_a_block_start_is_kept() {
        let (x, _) = aggregate(&[
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"toolUse": {"input": "{}"}}}),
            ),
            ("contentBlockStop", json!({"contentBlockIndex": 0})),
        ]);
        assert_eq!(x.output().tool_uses[0].input, json!({}));
    }
}
