//! The OpenAI- and Anthropic-compatible routes: `POST /openai/v1/chat/completions` and
//! `POST /anthropic/v1/messages`, signed by the tests' own signer (aws-sigv4), plain and
//! streamed (SSE), with each API's error shape, the HTTP and stream faults, hostile delivery
//! and an early close.

mod common;

use bedrock_emulator::{answer_for, Credential, DEMO_API_KEY};
use common::*;
use serde_json::{json, Value};

const CHAT: &str = "/openai/v1/chat/completions";
const MESSAGES: &str = "/anthropic/v1/messages";
const GPT: &str = "openai.gpt-oss-20b-1:0";
const CLAUDE: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const VERSION: (&str, &str) = ("anthropic-version", "2023-06-01");

fn chat(prompt: &str, extra: Value) -> Value {
    let mut body = json!({ "model": GPT, "messages": [
        { "role": "developer", "content": "Be brief." },
        { "role": "user", "content": prompt },
    ] });
    merge(&mut body, extra);
    body
}

fn messages(prompt: &str, extra: Value) -> Value {
    let mut body = json!({ "model": CLAUDE, "max_tokens": 400, "messages": [
        { "role": "user", "content": [{ "type": "text", "text": prompt }] },
    ] });
    merge(&mut body, extra);
    body
}

fn merge(body: &mut Value, extra: Value) {
    if let (Value::Object(b), Value::Object(e)) = (body, extra) {
        b.extend(e);
    }
}

async fn json_of(r: reqwest::Response) -> Value {
    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
}

/// The `data:` payloads of an SSE body, with their `event:` names (`""` when none).
fn sse(text: &str) -> Vec<(String, String)> {
    assert!(text.ends_with("\n\n"), "{text:?}");
    text.split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| {
            let mut name = String::new();
            let mut data = String::new();
            for line in e.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = n.to_owned();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = d.to_owned();
                } else {
                    panic!("unexpected SSE line {line:?}");
                }
            }
            (name, data)
        })
        .collect()
}

async fn error_json(r: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status);
    assert_eq!(
        header(&r, "x-amzn-ErrorType"),
        Some(format!("{code}:http://internal.amazon.com/coral/com.amazon.bedrock/").as_str())
    );
    assert_eq!(header(&r, "content-type"), Some("application/json"));
    assert!(header(&r, "content-length").is_some());
    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
}

#[tokio::test]
async fn chat_completions_plain_and_streamed() {
    let server = TestServer::start(0).await;
    let expected = answer_for("Tell me about frames.", 4096, &[]);
    let r = server
        .post_json(CHAT, &chat("Tell me about frames.", json!({})))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), Some("application/json"));
    let id = request_id(&r);
    let body: Value = json_of(r).await;
    assert_eq!(body["object"], "chat.completion");
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(body["model"], GPT);
    assert_eq!(body["choices"][0]["message"]["role"], "assistant");
    assert_eq!(body["choices"][0]["message"]["content"], expected.text());
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(body["usage"]["prompt_tokens"], expected.input_tokens);
    assert_eq!(body["usage"]["completion_tokens"], expected.output_tokens());
    let record = server.record(&id);
    assert_eq!(
        (record.operation.as_str(), record.signature.as_str()),
        ("OpenAI.ChatCompletions", "valid")
    );
    assert_eq!(record.model_id.as_deref(), Some(GPT));
    assert_eq!(record.family.as_deref(), Some("gpt-oss"));

    // max_tokens and stop, then the stream with usage.
    let r = server
        .post_json(
            CHAT,
            &chat("What is your name?", json!({ "max_completion_tokens": 2 })),
        )
        .await;
    let body: Value = json_of(r).await;
    assert_eq!(
        (
            body["choices"][0]["message"]["content"].as_str(),
            body["choices"][0]["finish_reason"].as_str()
        ),
        (Some(" My name"), Some("length"))
    );
    let r = server
        .post_json(
            CHAT,
            &chat(
                "Tell me about frames.",
                json!({ "stream": true, "stream_options": { "include_usage": true } }),
            ),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    let id = request_id(&r);
    let events = sse(&r.text().await.unwrap());
    assert_eq!(events.last().unwrap().1, "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|(name, d)| {
            assert_eq!(name, "");
            serde_json::from_str(d).unwrap()
        })
        .collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, expected.text());
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk"));
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["completion_tokens"], expected.output_tokens());
    assert_eq!(
        chunks[chunks.len() - 2]["choices"][0]["finish_reason"],
        "stop"
    );
    let record = server.wait_for_record(&id, |r| r.completed).await;
    assert_eq!(record.chunks_sent, events.len());
    server.emulator.shutdown().await;
}

#[tokio::test]
async fn anthropic_messages_plain_and_streamed() {
    let server = TestServer::start(0).await;
    let expected = answer_for("Tell me about frames.", 400, &[]);
    let r = server
        .post_json_with(
            MESSAGES,
            &messages("Tell me about frames.", json!({})),
            &[VERSION],
        )
        .await;
    assert_eq!(r.status(), 200);
    let id = request_id(&r);
    let body: Value = json_of(r).await;
    assert!(body["id"].as_str().unwrap().starts_with("msg_bdrk_"));
    assert_eq!(
        (&body["type"], &body["role"], &body["model"]),
        (&json!("message"), &json!("assistant"), &json!(CLAUDE))
    );
    assert_eq!(
        body["content"],
        json!([{ "type": "text", "text": expected.text() }])
    );
    assert_eq!(body["stop_reason"], "end_turn");
    assert_eq!(body["usage"]["output_tokens"], expected.output_tokens());
    let record = server.record(&id);
    assert_eq!(record.operation, "Anthropic.Messages");
    assert_eq!(record.family.as_deref(), Some("claude-messages"));

    // The body's Bedrock version instead of the header; a stop sequence.
    let r = server
        .post_json(
            MESSAGES,
            &messages(
                "What is your name?",
                json!({ "anthropic_version": "bedrock-2023-05-31", "stop_sequences": ["is"] }),
            ),
        )
        .await;
    let body: Value = json_of(r).await;
    assert_eq!(body["content"][0]["text"], " My name ");
    assert_eq!(
        (&body["stop_reason"], &body["stop_sequence"]),
        (&json!("stop_sequence"), &json!("is"))
    );

    let r = server
        .post_json_with(
            MESSAGES,
            &messages("Tell me about frames.", json!({ "stream": true })),
            &[VERSION],
        )
        .await;
    assert_eq!(
        header(&r, "content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    let events = sse(&r.text().await.unwrap());
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    let n = names.len();
    assert_eq!(names[..3], ["message_start", "content_block_start", "ping"]);
    assert_eq!(
        names[n - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    let mut text = String::new();
    for (name, data) in &events {
        let v: Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["type"], name.as_str());
        if name == "content_block_delta" {
            assert_eq!(v["delta"]["type"], "text_delta");
            text.push_str(v["delta"]["text"].as_str().unwrap());
        }
    }
    assert_eq!(text, expected.text());
    let delta: Value = serde_json::from_str(&events[n - 2].1).unwrap();
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(delta["usage"]["output_tokens"], expected.output_tokens());
    server.emulator.shutdown().await;
}

#[tokio::test]
async fn validation_errors_in_each_apis_shape() {
    let server = TestServer::start(0).await;
    let cases = [
        (
            json!({ "model": GPT }),
            "messages",
            "Missing required parameter: 'messages'.",
        ),
        (
            json!({ "model": GPT, "messages": [{ "role": "robot", "content": "x" }] }),
            "messages[0].role",
            "Invalid value: 'robot'.",
        ),
        (
            chat("x", json!({ "model": CLAUDE })),
            "model",
            "The provided model identifier is invalid.",
        ),
        (
            chat("x", json!({ "stream_options": { "include_usage": true } })),
            "stream_options",
            "only allowed when 'stream' is enabled",
        ),
    ];
    for (body, param, message) in cases {
        let v = error_json(
            server.post_json(CHAT, &body).await,
            400,
            "ValidationException",
        )
        .await;
        let e = &v["error"];
        assert_eq!(e["type"], "invalid_request_error", "{v}");
        assert_eq!(e["param"], param, "{v}");
        assert!(e["message"].as_str().unwrap().contains(message), "{v}");
        assert!(e.get("code").is_some());
    }
    let cases = [
        (
            messages("x", json!({})),
            vec![],
            "anthropic-version: header is required",
        ),
        (
            json!({ "model": CLAUDE, "messages": [] }),
            vec![VERSION],
            "max_tokens: Field required",
        ),
        (
            messages("", json!({})),
            vec![VERSION],
            "text content blocks must be non-empty",
        ),
        (
            messages("x", json!({ "model": GPT })),
            vec![VERSION],
            "The provided model identifier is invalid.",
        ),
        (
            messages("x", json!({ "extra": 1 })),
            vec![VERSION],
            "extra: Extra inputs are not permitted",
        ),
    ];
    for (body, headers, message) in cases {
        let r = server.post_json_with(MESSAGES, &body, &headers).await;
        let v = error_json(r, 400, "ValidationException").await;
        assert_eq!(v["type"], "error");
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(message),
            "{v}"
        );
    }
    // Not JSON at all.
    let r = server
        .post_signed(CHAT, b"{oops".to_vec(), &Signing::default())
        .await;
    let v = error_json(r, 400, "ValidationException").await;
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("could not parse the JSON body"));
    // Other methods and paths are unknown operations, as on Bedrock.
    let r = server
        .post_json("/openai/v1/responses", &chat("x", json!({})))
        .await;
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("UnknownOperationException"));
    server.emulator.shutdown().await;
}

#[tokio::test]
async fn authentication_and_http_faults() {
    let server = TestServer::start(0).await;
    // Unsigned: refused in the API's shape, with the SigV4 error code in x-amzn-ErrorType.
    let r = server
        .http
        .post(server.url(CHAT))
        .header("content-type", "application/json")
        .body(chat("x", json!({})).to_string())
        .send()
        .await
        .unwrap();
    let v = error_json(r, 403, "MissingAuthenticationTokenException").await;
    assert_eq!(v["error"]["type"], "authentication_error");
    // Signed for another service.
    let wrong = Signing {
        service: "bedrock-mantle",
        ..Signing::default()
    };
    let r = server
        .post_signed_with(
            MESSAGES,
            messages("x", json!({})).to_string().into_bytes(),
            &wrong,
            &[VERSION],
        )
        .await;
    assert_eq!(r.status(), 403);
    let v: Value = json_of(r).await;
    assert_eq!(v["error"]["type"], "authentication_error");
    // A skewed server clock: the message names the server's time.
    let r = server
        .post_json_with(
            CHAT,
            &chat("x", json!({})),
            &[("x-emulator-fault", "clock-skew=600")],
        )
        .await;
    let v = error_json(r, 403, "InvalidSignatureException").await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Signature expired"),
        "{v}"
    );
    // An API key.
    for (path, body) in [
        (CHAT, chat("What is your name?", json!({}))),
        (MESSAGES, messages("What is your name?", json!({}))),
    ] {
        let r = server
            .http
            .post(server.url(path))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {DEMO_API_KEY}"))
            .header(VERSION.0, VERSION.1)
            .header("x-api-key", "ignored")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(server.record(&request_id(&r)).signature, "api-key");
        assert!(r.text().await.unwrap().contains("My name is Claude."));
    }
    // HTTP faults: Bedrock's status, each API's shape.
    for (fault, status, code, openai_type, anthropic_type) in [
        (
            "throttle",
            429,
            "ThrottlingException",
            "rate_limit_error",
            "rate_limit_error",
        ),
        (
            "internal",
            500,
            "InternalServerException",
            "server_error",
            "api_error",
        ),
        (
            "unavailable",
            503,
            "ServiceUnavailableException",
            "server_error",
            "overloaded_error",
        ),
        (
            "validation",
            400,
            "ValidationException",
            "invalid_request_error",
            "invalid_request_error",
        ),
        (
            "access-denied",
            403,
            "AccessDeniedException",
            "permission_error",
            "permission_error",
        ),
        (
            "expired-token",
            403,
            "ExpiredTokenException",
            "authentication_error",
            "authentication_error",
        ),
        (
            "model-timeout",
            408,
            "ModelTimeoutException",
            "server_error",
            "api_error",
        ),
    ] {
        let h = [("x-emulator-fault", fault), VERSION];
        let r = server.post_json_with(CHAT, &chat("x", json!({})), &h).await;
        let v = error_json(r, status, code).await;
        assert_eq!(
            (v["error"]["type"].as_str(), v["error"]["code"].as_str()),
            (Some(openai_type), Some(code)),
            "{fault}"
        );
        let r = server
            .post_json_with(MESSAGES, &messages("x", json!({})), &h)
            .await;
        let v = error_json(r, status, code).await;
        assert_eq!(v["error"]["type"], anthropic_type, "{fault}");
    }
    // Counted: throttled once, then answered; Retry-After kept.
    let h = [
        (
            "x-emulator-fault",
            "throttle=1,retry-after=2,key=compat-count",
        ),
        VERSION,
    ];
    let r = server
        .post_json_with(MESSAGES, &messages("x", json!({})), &h)
        .await;
    assert_eq!(header(&r, "retry-after"), Some("2"));
    assert_eq!(r.status(), 429);
    let r = server
        .post_json_with(MESSAGES, &messages("x", json!({})), &h)
        .await;
    assert_eq!(r.status(), 200);
    // Other credentials than the configured ones are refused.
    let stranger = Signing {
        credential: Credential {
            access_key_id: "AKIDSTRANGER".into(),
            secret_access_key: "x".into(),
            session_token: None,
        },
        ..Signing::default()
    };
    let r = server
        .post_signed(
            CHAT,
            chat("x", json!({})).to_string().into_bytes(),
            &stranger,
        )
        .await;
    assert_eq!(r.status(), 403);
    server.emulator.shutdown().await;
}

/// Collects the body's network reads.
async fn reads(mut r: reqwest::Response) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = r.chunk().await.unwrap() {
        out.push(chunk.to_vec());
    }
    out
}

#[tokio::test]
async fn hostile_delivery_and_stream_faults() {
    let server = TestServer::start(1).await;
    // A short multi-byte echo keeps `fragment=1` (a millisecond per byte) quick.
    let prompt = "emulator-echo:Straße, café, 日本語 and 🍫: naïve ☕.";
    let expected = answer_for(prompt, 400, &[]);
    assert_eq!(expected.text(), "Straße, café, 日本語 and 🍫: naïve ☕.");
    // Default: every event in 2–3 writes, the first cut inside the `data:` line.
    for (path, body, fault) in [
        (MESSAGES, messages(prompt, json!({ "stream": true })), ""),
        (
            MESSAGES,
            messages(prompt, json!({ "stream": true })),
            "fragment=1",
        ),
        (
            CHAT,
            chat(prompt, json!({ "stream": true, "max_tokens": 400 })),
            "fragment=3",
        ),
    ] {
        let r = server
            .post_json_with(path, &body, &[("x-emulator-fault", fault), VERSION])
            .await;
        assert_eq!(r.status(), 200);
        let pieces = reads(r).await;
        let all = pieces.concat();
        let text = String::from_utf8(all).unwrap();
        let events = sse(&text);
        assert!(
            pieces.len() > events.len(),
            "{fault}: {} reads for {} events",
            pieces.len(),
            events.len()
        );
        assert!(
            pieces.iter().any(|p| std::str::from_utf8(p).is_err()),
            "{fault}: some read ends inside a multi-byte character"
        );
        let joined: String = events
            .iter()
            .filter_map(|(_, d)| serde_json::from_str::<Value>(d).ok())
            .filter_map(|v| {
                v["delta"]["text"]
                    .as_str()
                    .or(v["choices"][0]["delta"]["content"].as_str())
                    .map(str::to_owned)
            })
            .collect();
        assert_eq!(joined, expected.text(), "{fault}");
    }
    // An in-band error after 5 events, in each API's shape.
    let h = [
        ("x-emulator-fault", "exception=throttlingException@5"),
        VERSION,
    ];
    let r = server
        .post_json_with(MESSAGES, &messages(prompt, json!({ "stream": true })), &h)
        .await;
    let id = request_id(&r);
    let events = sse(&r.text().await.unwrap());
    assert_eq!(events.len(), 6);
    assert_eq!(events[5].0, "error");
    let v: Value = serde_json::from_str(&events[5].1).unwrap();
    assert_eq!(v["error"]["type"], "rate_limit_error");
    let record = server.wait_for_record(&id, |r| r.completed).await;
    assert_eq!(
        record.fault_applied.as_deref(),
        Some("throttlingException after 5 events")
    );
    let r = server
        .post_json_with(CHAT, &chat(prompt, json!({ "stream": true })), &h)
        .await;
    let events = sse(&r.text().await.unwrap());
    let v: Value = serde_json::from_str(&events[5].1).unwrap();
    assert_eq!(v["error"]["code"], "ThrottlingException");
    // Truncated: half an event, then a clean end.
    let h = [("x-emulator-fault", "truncate@4"), VERSION];
    let r = server
        .post_json_with(CHAT, &chat(prompt, json!({ "stream": true })), &h)
        .await;
    let text = r.text().await.unwrap();
    assert!(
        !text.ends_with("\n\n") && text.matches("data: ").count() == 5,
        "{text}"
    );
    // A stall shows in the timing.
    let h = [("x-emulator-fault", "stall=0.3@2"), VERSION];
    let t = std::time::Instant::now();
    let r = server
        .post_json_with(
            MESSAGES,
            &messages("What is your name?", json!({ "stream": true })),
            &h,
        )
        .await;
    r.text().await.unwrap();
    assert!(t.elapsed() >= std::time::Duration::from_millis(300));
    server.emulator.shutdown().await;
}

#[tokio::test]
async fn a_client_that_leaves_is_logged() {
    let server = TestServer::start(20).await;
    for (path, body) in [
        (
            CHAT,
            chat("Tell me a long story.", json!({ "stream": true })),
        ),
        (
            MESSAGES,
            messages("Tell me a long story.", json!({ "stream": true })),
        ),
    ] {
        let mut r = server.post_json_with(path, &body, &[VERSION]).await;
        let id = request_id(&r);
        assert!(r.chunk().await.unwrap().is_some());
        drop(r);
        let record = server.wait_for_record(&id, |r| r.client_closed_early).await;
        assert!(!record.completed);
        assert!(record
            .error
            .unwrap()
            .contains("client closed the connection"));
    }
    server.emulator.shutdown().await;
}
