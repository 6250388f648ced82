//! The message a stream accumulates deep-equals the whole answer's `output.message`.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use serde_json::{json, Value};

use super::{MAX_BLOCKS, MAX_BLOCK_BYTES};
use crate::bedrock::converse::{ConverseResponse, Message};
use crate::bedrock::{ConverseStreamEvent, ModelFamily, OutputReader};

/// `s` in pieces of about `n` bytes, cut on char boundaries (and so inside strings, numbers,
/// escapes and keys of JSON).
fn pieces(s: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        cur.push(c);
        if cur.len() >= n {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

/// The ConverseStream events Bedrock sends for a whole answer's `content`: no start for text
/// or reasoning, the reasoning signature as its own trailing delta, tool input in fragments.
fn stream_of(content: &[Value], stop: &str) -> Vec<(&'static str, Value)> {
    let mut ev = vec![("messageStart", json!({"role": "assistant"}))];
    for (i, b) in content.iter().enumerate() {
        let delta = |d: Value| {
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": i, "delta": d}),
            )
        };
        if let Some(t) = b.get("text").and_then(Value::as_str) {
            ev.extend(
                pieces(t, 4)
                    .into_iter()
                    .map(|p| delta(json!({ "text": p }))),
            );
        } else if let Some(r) = b.get("reasoningContent") {
            if let Some(rt) = r.get("reasoningText") {
                let text = rt["text"].as_str().unwrap();
                ev.extend(
                    pieces(text, 5)
                        .into_iter()
                        .map(|p| delta(json!({"reasoningContent": {"text": p}}))),
                );
                if let Some(s) = rt.get("signature") {
                    ev.push(delta(json!({"reasoningContent": {"signature": s}})));
                }
            } else {
                ev.push(delta(
                    json!({"reasoningContent": {"redactedContent": r["redactedContent"]}}),
                ));
            }
        } else if let Some(t) = b.get("toolUse") {
            ev.push((
                "contentBlockStart",
                json!({"contentBlockIndex": i, "start": {"toolUse": {"toolUseId": t["toolUseId"], "name": t["name"]}}}),
            ));
            ev.push(delta(json!({"toolUse": {"input": ""}})));
            for p in pieces(&t["input"].to_string(), 3) {
                ev.push(delta(json!({"toolUse": {"input": p}})));
            }
        } else {
            panic!("no stream for {b}");
        }
        ev.push(("contentBlockStop", json!({"contentBlockIndex": i})));
    }
    ev.push(("messageStop", json!({"stopReason": stop})));
    ev.push((
        "metadata",
        json!({"usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3}, "metrics": {"latencyMs": 4}}),
    ));
    ev
}

fn read(events: &[(&str, Value)]) -> OutputReader {
    let mut x = OutputReader::new(ModelFamily::Unknown);
    for (kind, payload) in events {
        let bytes = serde_json::to_vec(payload).unwrap();
        let e = ConverseStreamEvent::from_payload(kind, &bytes)
            .unwrap()
            .unwrap();
        x.converse_event(&e.event).unwrap();
    }
    x
}

/// The whole Converse response for `content`, as the service sends it.
fn response(content: &Value, stop: &str) -> ConverseResponse {
    serde_json::from_value(json!({
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3},
        "metrics": {"latencyMs": 4}
    }))
    .unwrap()
}

fn round_trip(content: Value, stop: &str) {
    let whole = response(&content, stop);
    let x = read(&stream_of(content.as_array().unwrap(), stop));
    let message = x.message().expect("a message");
    assert_eq!(Some(&message), whole.output.message.as_ref(), "{content}");
    // The JSON is the service's JSON, key for key.
    assert_eq!(x.message_json().unwrap()["content"], content);
    // And the output the message and the whole answer mean is the same.
    assert_eq!(x.output().tool_uses, whole.to_output().tool_uses);
    assert_eq!(
        x.output().reasoning_signature,
        whole.to_output().reasoning_signature
    );
}

const SIG: &str = "c2lnbmF0dXJlIG9mIHRoZSByZWFzb25pbmc=";

#[test]
fn text_only() {
    round_trip(
        json!([{"text": "Hello there, café ☕ — 日本語."}]),
        "end_turn",
    );
    round_trip(json!([{"text": ""}]), "end_turn");
}

#[test]
fn reasoning_and_text() {
    round_trip(
        json!([
            {"reasoningContent": {"reasoningText": {"text": "The user greets me; answer kindly.", "signature": SIG}}},
            {"text": "Hello!"}
        ]),
        "end_turn",
    );
}

#[test]
fn redacted_reasoning() {
    round_trip(
        json!([
            {"reasoningContent": {"redactedContent": "ZW5jcnlwdGVkIHJlYXNvbmluZw=="}},
            {"reasoningContent": {"reasoningText": {"text": "More.", "signature": SIG}}},
            {"text": "Done."}
        ]),
        "end_turn",
    );
}

#[test]
fn tool_use_with_fragmented_input() {
    round_trip(
        json!([
            {"reasoningContent": {"reasoningText": {"text": "I need the weather.", "signature": SIG}}},
            {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather",
                         "input": {"city": "Zürich \"HB\"", "days": [1, 2.5, -3e2], "deep": {"a": null, "b": true}}}}
        ]),
        "tool_use",
    );
    // Empty input.
    round_trip(
        json!([{"toolUse": {"toolUseId": "t", "name": "now", "input": {}}}]),
        "tool_use",
    );
}

#[test]
fn several_tool_uses_and_text_with_tool_use() {
    round_trip(
        json!([
            {"text": "Let me check both."},
            {"toolUse": {"toolUseId": "a", "name": "f", "input": {"x": 1}}},
            {"toolUse": {"toolUseId": "b", "name": "g", "input": {"y": "two"}}}
        ]),
        "tool_use",
    );
}

#[test]
fn blocks_come_out_in_index_order_whatever_the_event_order() {
    let content = json!([
        {"reasoningContent": {"reasoningText": {"text": "think", "signature": SIG}}},
        {"text": "answer"},
        {"toolUse": {"toolUseId": "t", "name": "f", "input": {"k": "v"}}}
    ]);
    let mut events = stream_of(content.as_array().unwrap(), "tool_use");
    // The signature delta last of all, and block 2 before block 1.
    let sig = events
        .iter()
        .position(|(_, p)| p.pointer("/delta/reasoningContent/signature").is_some())
        .unwrap();
    let sig = events.remove(sig);
    events.insert(events.len() - 2, sig);
    let n = events.len() - 2;
    events[1..n].sort_by_key(|(_, p)| std::cmp::Reverse(p["contentBlockIndex"].as_u64()));
    let x = read(&events);
    assert_eq!(x.message(), response(&content, "tool_use").output.message);
}

#[test]
fn tool_input_that_does_not_parse_is_kept_as_text() {
    let x = read(&[
        ("messageStart", json!({"role": "assistant"})),
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": "t", "name": "f"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"toolUse": {"input": "{\"text\": \"cut he"}}}),
        ),
        ("messageStop", json!({"stopReason": "max_tokens"})),
    ]);
    assert_eq!(
        x.message_json().unwrap(),
        json!({"role": "assistant", "content": [{"toolUse": {"toolUseId": "t", "name": "f", "input": "{\"text\": \"cut he"}}]})
    );
    assert!(x.message().is_some());
}

#[test]
fn citations_images_and_server_tool_results() {
    let citation = json!({"title": "doc", "sourceContent": [{"text": "src"}],
                          "location": {"documentChar": {"documentIndex": 0, "start": 0, "end": 3}}});
    let x = read(&[
        ("messageStart", json!({"role": "assistant"})),
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": "s1", "name": "web", "type": "server_tool_use"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"toolUse": {"input": "{\"q\":\"x\"}"}}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 0})),
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 1, "start": {"toolResult": {"toolUseId": "s1", "status": "success", "type": "web_result"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 1, "delta": {"toolResult": [{"text": "found"}]}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 1, "delta": {"toolResult": [{"json": {"n": 1}}]}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 1})),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 2, "delta": {"text": "It is "}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 2, "delta": {"citation": citation}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 2, "delta": {"text": "so."}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 2})),
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 3, "start": {"image": {"format": "png"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 3, "delta": {"image": {"source": {"bytes": "iVBORw=="}}}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 3})),
        ("messageStop", json!({"stopReason": "end_turn"})),
    ]);
    let content = json!([
        {"toolUse": {"toolUseId": "s1", "name": "web", "input": {"q": "x"}, "type": "server_tool_use"}},
        {"toolResult": {"toolUseId": "s1", "content": [{"text": "found"}, {"json": {"n": 1}}], "status": "success", "type": "web_result"}},
        {"citationsContent": {"content": [{"text": "It is so."}], "citations": [citation]}},
        {"image": {"format": "png", "source": {"bytes": "iVBORw=="}}}
    ]);
    assert_eq!(x.message_json().unwrap()["content"], content);
    assert_eq!(x.message(), response(&content, "end_turn").output.message);
}

#[test]
fn bounded() {
    let mut events = vec![("messageStart", json!({"role": "assistant"}))];
    for i in 0..MAX_BLOCKS + 5 {
        events.push((
            "contentBlockDelta",
            json!({"contentBlockIndex": i, "delta": {"text": "x"}}),
        ));
    }
    let x = read(&events);
    assert_eq!(x.message().unwrap().content.len(), MAX_BLOCKS);
    // Input past the limit is dropped: the call stays, its input as text.
    let big = "x".repeat(MAX_BLOCK_BYTES / 2 + 1);
    let x = read(&[
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": "t", "name": "f"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"toolUse": {"input": "[\""}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"toolUse": {"input": big}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"toolUse": {"input": big}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"toolUse": {"input": "\"]"}}}),
        ),
    ]);
    let m = x.message_json().unwrap();
    let input = m.pointer("/content/0/toolUse/input").unwrap();
    assert!(input.as_str().unwrap().len() <= MAX_BLOCK_BYTES);
    // Other families' chunks make no message.
    let mut llama = OutputReader::new(ModelFamily::Llama);
    llama
        .chunk(br#"{"generation":"hi","stop_reason":null}"#)
        .unwrap();
    assert_eq!(llama.message_json(), None);
    assert_eq!(llama.message(), None);
}

/// Claude Messages chunks for a whole native `content`: the signature as a trailing
/// `signature_delta`, tool input as `input_json_delta` fragments.
fn claude_chunks(content: &[Value]) -> Vec<Value> {
    let mut out = vec![
        json!({"type": "message_start", "message": {"role": "assistant", "content": [], "usage": {"input_tokens": 3, "output_tokens": 1}}}),
    ];
    for (i, b) in content.iter().enumerate() {
        let delta = |d: Value| json!({"type": "content_block_delta", "index": i, "delta": d});
        match b["type"].as_str().unwrap() {
            "text" => {
                out.push(json!({"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}}));
                for p in pieces(b["text"].as_str().unwrap(), 4) {
                    out.push(delta(json!({"type": "text_delta", "text": p})));
                }
            }
            "thinking" => {
                out.push(json!({"type": "content_block_start", "index": i, "content_block": {"type": "thinking", "thinking": ""}}));
                for p in pieces(b["thinking"].as_str().unwrap(), 4) {
                    out.push(delta(json!({"type": "thinking_delta", "thinking": p})));
                }
                out.push(delta(
                    json!({"type": "signature_delta", "signature": b["signature"]}),
                ));
            }
            "redacted_thinking" => {
                out.push(json!({"type": "content_block_start", "index": i, "content_block": b}))
            }
            "tool_use" => {
                out.push(json!({"type": "content_block_start", "index": i,
                                "content_block": {"type": "tool_use", "id": b["id"], "name": b["name"], "input": {}}}));
                for p in pieces(&b["input"].to_string(), 3) {
                    out.push(delta(
                        json!({"type": "input_json_delta", "partial_json": p}),
                    ));
                }
            }
            other => panic!("{other}"),
        }
        out.push(json!({"type": "content_block_stop", "index": i}));
    }
    out.push(json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 9}}));
    out.push(json!({"type": "message_stop"}));
    out
}

#[test]
fn claude_native_stream_becomes_claude_native_message() {
    let content = json!([
        {"type": "thinking", "thinking": "Weather needed.", "signature": SIG},
        {"type": "redacted_thinking", "data": "ZW5jcnlwdGVk"},
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris", "n": [1, 2]}},
        {"type": "tool_use", "id": "toolu_2", "name": "now", "input": {}}
    ]);
    for family in [ModelFamily::ClaudeMessages, ModelFamily::Unknown] {
        let mut x = OutputReader::new(family);
        for c in claude_chunks(content.as_array().unwrap()) {
            x.chunk(&serde_json::to_vec(&c).unwrap()).unwrap();
        }
        assert_eq!(
            x.message_json().unwrap(),
            json!({"role": "assistant", "content": content})
        );
        // Not a Converse message.
        assert_eq!(x.message(), None);
    }
}

#[test]
fn the_typed_message_is_ready_for_the_next_request() {
    let content = json!([
        {"reasoningContent": {"reasoningText": {"text": "t", "signature": SIG}}},
        {"toolUse": {"toolUseId": "a", "name": "f", "input": {"x": 1}}}
    ]);
    let m: Message = read(&stream_of(content.as_array().unwrap(), "tool_use"))
        .message()
        .unwrap();
    let request = crate::bedrock::converse::ConverseRequest {
        messages: vec![Message::user("hi"), m],
        ..Default::default()
    };
    let sent = serde_json::to_value(&request).unwrap();
    assert_eq!(sent["messages"][1]["content"], content);
}
