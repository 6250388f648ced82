//! Converse and ConverseStream over HTTP: validation, the answer with usage and
//! metrics.latencyMs, and the event order with padded, sorted payloads.

mod common;

use bedrock_emulator::answer_for;
use common::*;
use serde_json::{json, Value};

fn body(text: &str, max: u32, stops: &[&str]) -> Value {
    json!({
        "messages": [
            {"role": "user", "content": [{"text": "First question"}]},
            {"role": "assistant", "content": [{"text": "First answer"}]},
            // (Attachments, which change the answer and which not every model takes, are
            // tested in tests/attachments.rs.)
            {"role": "user", "content": [{"text": text}]}
        ],
        "system": [{"text": "You are terse."}],
        "inferenceConfig": {"maxTokens": max, "temperature": 0.5, "topP": 0.9, "stopSequences": stops},
        "additionalModelRequestFields": {"top_k": 200}
    })
}

#[tokio::test]
async fn converse_answers_with_usage_and_latency() {
    let server = TestServer::start(1).await;
    let want = answer_for("Tell me about Converse", 1000, &[]);
    let response = server
        .call(
            "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
            "converse",
            &body("Tell me about Converse", 1000, &[]),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    assert!(header(&response, "x-amzn-bedrock-input-token-count").is_none());
    let id = request_id(&response);
    let text = response.text().await.unwrap();
    assert_eq!(
        key_order(&text),
        ["metrics", "output", "stopReason", "usage"]
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["output"]["message"]["role"], "assistant");
    assert_eq!(v["output"]["message"]["content"][0]["text"], want.text());
    assert_eq!(v["stopReason"], "end_turn");
    assert_eq!(
        v["usage"],
        json!({"inputTokens": want.input_tokens, "outputTokens": want.output_tokens(),
               "totalTokens": want.input_tokens + want.output_tokens()})
    );
    // Generation is paced (1 ms per token), so the reported latency covers it.
    assert!(v["metrics"]["latencyMs"].as_u64().unwrap() >= want.tokens.len() as u64);
    let record = server.wait_for_record(&id, |r| r.completed).await;
    assert_eq!(record.operation, "Converse");
    assert!(record.first_byte_ms.is_some() && record.duration_ms.is_some());
}

#[tokio::test]
async fn converse_works_for_every_family_and_honours_limits() {
    let server = TestServer::start(0).await;
    for model in [
        "anthropic.claude-v2",
        "anthropic.claude-3-haiku-20240307-v1:0",
        "amazon.titan-text-express-v1",
        "amazon.nova-pro-v1:0",
        "meta.llama3-70b-instruct-v1:0",
        "mistral.mistral-7b-instruct-v0:2",
        "mistral.mistral-large-2407-v1:0",
        "cohere.command-r-v1:0",
        "ai21.jamba-1-5-large-v1:0",
    ] {
        let v: Value = serde_json::from_slice(
            &server
                .call(model, "converse", &body("Hi", 4, &[]))
                .await
                .bytes()
                .await
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            v["output"]["message"]["content"][0]["text"],
            answer_for("Hi", 4, &[]).text(),
            "{model}"
        );
        assert_eq!(v["stopReason"], "max_tokens");
    }
    let natural = answer_for("Stop early", 1000, &[]).text();
    let stop: String = natural.chars().skip(25).take(3).collect();
    let want = answer_for("Stop early", 1000, &[&stop]);
    let v: Value = serde_json::from_slice(
        &server
            .call(
                "amazon.nova-lite-v1:0",
                "converse",
                &body("Stop early", 1000, &[&stop]),
            )
            .await
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(v["output"]["message"]["content"][0]["text"], want.text());
    assert_eq!(v["stopReason"], "stop_sequence");
}

#[tokio::test]
async fn converse_stream_sends_bedrocks_event_sequence() {
    let server = TestServer::start(1).await;
    let want = answer_for("Stream it", 1000, &[]);
    let response = server
        .call(
            "anthropic.claude-3-haiku-20240307-v1:0",
            "converse-stream",
            &body("Stream it", 1000, &[]),
        )
        .await;
    assert!(header(&response, "x-amzn-bedrock-content-type").is_none());
    let id = request_id(&response);
    let messages = frames(response).await;
    let types: Vec<&str> = messages
        .iter()
        .map(|m| m.str_header(":event-type").unwrap())
        .collect();
    let n = types.len();
    assert_eq!(types[0], "messageStart");
    assert!(types[1..n - 3].iter().all(|t| *t == "contentBlockDelta"));
    assert_eq!(
        &types[n - 3..],
        ["contentBlockStop", "messageStop", "metadata"]
    );
    let mut text = String::new();
    for m in &messages {
        assert_event_frame(m);
        // Payload keys are sorted, "p" among them, as in the captures.
        let raw = std::str::from_utf8(&m.payload).unwrap();
        let keys = key_order(raw);
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{raw}");
        let v = payload(m);
        if m.str_header(":event-type") == Some("contentBlockDelta") {
            assert_eq!(v["contentBlockIndex"], 0);
            text.push_str(v["delta"]["text"].as_str().unwrap());
        }
    }
    assert_eq!(text, want.text());
    assert_eq!(payload(&messages[0])["role"], "assistant");
    assert_eq!(payload(&messages[n - 3])["contentBlockIndex"], 0);
    assert_eq!(payload(&messages[n - 2])["stopReason"], "end_turn");
    let metadata = payload(&messages[n - 1]);
    assert_eq!(metadata["usage"]["outputTokens"], want.output_tokens());
    assert_eq!(
        metadata["usage"]["totalTokens"],
        want.input_tokens + want.output_tokens()
    );
    assert!(metadata["metrics"]["latencyMs"].as_u64().unwrap() >= want.tokens.len() as u64);
    let record = server.wait_for_record(&id, |r| r.completed).await;
    assert_eq!(
        (record.operation.as_str(), record.chunks_sent),
        ("ConverseStream", n)
    );
}

#[tokio::test]
async fn converse_requests_are_validated() {
    let server = TestServer::start(0).await;
    let model = "anthropic.claude-3-haiku-20240307-v1:0";
    for (body, message) in [
        (
            json!({}),
            "1 validation error detected: Value null at 'messages' failed to satisfy constraint: Member must not be null",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"text": "x"}]}], "inferenceConfig": {"maxTokens": 0}}),
            "1 validation error detected: Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ),
        (
            json!({"messages": [{"role": "assistant", "content": [{"text": "x"}]}]}),
            "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"text": "x"}]}, {"role": "user", "content": [{"text": "y"}]}]}),
            "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.",
        ),
        (
            json!({"messages": [{"role": "system", "content": [{"text": "x"}]}]}),
            "1 validation error detected: Value 'system' at 'messages.1.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]",
        ),
    ] {
        for op in ["converse", "converse-stream"] {
            let response = server.call(model, op, &body).await;
            assert_eq!(expect_error(response, 400, "ValidationException").await, message);
        }
    }
    let response = server
        .post_signed(
            &model_path(model, "converse"),
            b"{\"messages\":".to_vec(),
            &Signing::default(),
        )
        .await;
    let message = expect_error(response, 400, "ValidationException").await;
    assert!(message.starts_with("Malformed input request"), "{message}");
}
