//! Reasoning and tool use across turns: a reasoning block signed with the emulator's MAC (its
//! signature in a trailing delta of its own), a tool call whose input streams in fragments,
//! and a history checked as Bedrock checks it. Converse and ConverseStream give the same
//! blocks: the library's message accumulated from the stream is the whole answer's message.

mod common;

use bedrock_emulator::{reasoning_signature, REDACTED_MARKER};
use bedrock_wasm::bedrock::{ConverseStreamEvent, OutputReader};
use common::*;
use serde_json::{json, Value};

const MODEL: &str = "us.anthropic.claude-sonnet-4-20250514-v1:0";

fn request(messages: &Value, thinking: bool) -> Value {
    let mut r = json!({
        "messages": messages,
        "toolConfig": {"tools": [{"toolSpec": {"name": "get_weather", "description": "Weather",
                        "inputSchema": {"json": {"type": "object"}}}}]},
    });
    if thinking {
        r["additionalModelRequestFields"] =
            json!({"thinking": {"type": "enabled", "budget_tokens": 1024}});
    }
    r
}

/// The whole answer and the stream's events, checked to agree; returns the message.
async fn both(server: &TestServer, body: &Value) -> (Value, Vec<(String, Value)>) {
    let whole = server.call(MODEL, "converse", body).await;
    assert_eq!(whole.status(), 200);
    let whole: Value = serde_json::from_slice(&whole.bytes().await.unwrap()).unwrap();
    let stream = server.call(MODEL, "converse-stream", body).await;
    assert_eq!(stream.status(), 200);
    let mut reader = OutputReader::default();
    let mut events = Vec::new();
    for m in frames(stream).await {
        let kind = m.str_header(":event-type").unwrap().to_owned();
        let e = ConverseStreamEvent::from_payload(&kind, &m.payload)
            .unwrap()
            .unwrap();
        reader.converse_event(&e.event).unwrap();
        events.push((kind, e.payload_json().unwrap()));
    }
    let message = whole["output"]["message"].clone();
    assert_eq!(reader.message_json().unwrap(), message);
    assert_eq!(
        reader.output().stop_reason.as_deref(),
        whole["stopReason"].as_str()
    );
    (message, events)
}

#[tokio::test]
async fn reasoning_tool_use_and_the_next_turns() {
    let server = TestServer::start(0).await;
    let mut messages = json!([{"role": "user", "content": [{"text": "What is the weather in Paris? use get_weather"}]}]);
    let (m1, events) = both(&server, &request(&messages, true)).await;
    let content = m1["content"].as_array().unwrap();
    // Reasoning, text, tool use.
    let r = &content[0]["reasoningContent"]["reasoningText"];
    assert_eq!(
        r["signature"],
        reasoning_signature(r["text"].as_str().unwrap())
    );
    let tool = &content[2]["toolUse"];
    assert_eq!(tool["name"], "get_weather");
    assert_eq!(
        tool["input"]["query"],
        "What is the weather in Paris? use get_weather"
    );
    // The signature is a delta of its own, after the reasoning text.
    let sig = events
        .iter()
        .position(|(_, p)| p.pointer("/delta/reasoningContent/signature").is_some())
        .unwrap();
    assert!(events[sig - 1]
        .1
        .pointer("/delta/reasoningContent/text")
        .is_some());
    assert_eq!(events[sig + 1].0, "contentBlockStop");
    // The input comes in several fragments, none of them JSON on its own.
    let fragments: Vec<&str> = events
        .iter()
        .filter_map(|(_, p)| p.pointer("/delta/toolUse/input").and_then(Value::as_str))
        .collect();
    assert!(fragments.len() > 3);
    assert!(fragments
        .iter()
        .all(|f| serde_json::from_str::<Value>(f).is_err()));
    assert!(events
        .iter()
        .any(|(_, p)| p.pointer("/start/toolUse/toolUseId") == Some(&tool["toolUseId"])));

    // Turn 2: the message back, and the tool's result.
    messages.as_array_mut().unwrap().push(m1.clone());
    messages.as_array_mut().unwrap().push(json!({"role": "user", "content": [{"toolResult": {
        "toolUseId": tool["toolUseId"], "content": [{"json": {"temp": 21}}, {"text": "Sunny, 21 °C"}], "status": "success"}}]}));
    let (m2, _) = both(&server, &request(&messages, true)).await;
    let blocks = m2["content"].as_array().unwrap();
    assert!(blocks[0].get("reasoningContent").is_some());
    assert!(blocks[1]["text"].as_str().unwrap().len() > 20);
    assert_eq!(blocks.len(), 2);

    // Turn 3.
    messages.as_array_mut().unwrap().push(m2);
    messages.as_array_mut().unwrap().push(
        json!({"role": "user", "content": [{"text": "Thanks! And tomorrow? [redacted-reasoning]"}]}),
    );
    let (m3, _) = both(&server, &request(&messages, true)).await;
    assert!(m3["content"][1]["reasoningContent"]["redactedContent"].is_string());
    assert!(REDACTED_MARKER.starts_with('['));
    messages.as_array_mut().unwrap().push(m3);
    messages
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "user", "content": [{"text": "Bye."}]}));
    both(&server, &request(&messages, true)).await;

    // The same history with a signature dropped, or altered: refused like Bedrock.
    let mut dropped = messages.clone();
    dropped[1]["content"][0]["reasoningContent"]["reasoningText"]
        .as_object_mut()
        .unwrap()
        .remove("signature");
    for op in ["converse", "converse-stream"] {
        let r = server.call(MODEL, op, &request(&dropped, true)).await;
        assert_eq!(
            expect_error(r, 400, "ValidationException").await,
            "The model returned the following errors: messages.1.content.0.thinking.signature: Field required"
        );
    }
    let mut altered = messages.clone();
    altered[3]["content"][0]["reasoningContent"]["reasoningText"]["text"] = "Edited.".into();
    let r = server
        .call(MODEL, "converse", &request(&altered, true))
        .await;
    assert_eq!(
        expect_error(r, 400, "ValidationException").await,
        "The model returned the following errors: messages.3.content.0: Invalid `signature` in `thinking` block"
    );
    // A tool result that answers no toolUse.
    let mut stray = messages.clone();
    stray[2]["content"][0]["toolResult"]["toolUseId"] = "tooluse_nope".into();
    let r = server.call(MODEL, "converse", &request(&stray, true)).await;
    assert_eq!(
        expect_error(r, 400, "ValidationException").await,
        "The model returned the following errors: messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: tooluse_nope. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
    );
}

#[tokio::test]
async fn without_thinking_or_tools_the_answer_is_text_only() {
    let server = TestServer::start(0).await;
    let messages = json!([{"role": "user", "content": [{"text": "Hello there"}]}]);
    let (m, _) = both(&server, &request(&messages, false)).await;
    assert_eq!(m["content"].as_array().unwrap().len(), 1);
    // Nova's reasoningConfig asks for reasoning too; a tool use without thinking.
    let mut body = request(
        &json!([{"role": "user", "content": [{"text": "please use get_weather"}]}]),
        false,
    );
    let (m, _) = both(&server, &body).await;
    assert_eq!(m["content"][1]["toolUse"]["name"], "get_weather");
    body["additionalModelRequestFields"] =
        json!({"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}});
    let (m, _) = both(&server, &body).await;
    assert!(m["content"][0].get("reasoningContent").is_some());
    assert!(m["content"][2].get("toolUse").is_some());
}
