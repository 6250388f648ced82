//! Replay: a captured `.eventstream` served as a streaming response, for every streaming
//! request (`Config::replay`, `--replay`) or per request (`replay=<name>` fault with
//! `Config::replay_dir`, `--replay-dir`), paced and cut like generated streams.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use bedrock_emulator::Config;
use bedrock_wasm::eventstream::Decoder;
use common::*;
use serde_json::json;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[tokio::test]
async fn every_streaming_request_replays_the_configured_capture() {
    let file = fixtures().join("converse-stream.eventstream");
    let capture = std::fs::read(&file).unwrap();
    let server = TestServer::with_config(Config {
        replay: Some(file.clone()),
        token_delay: Duration::from_millis(1),
        ..Config::default()
    })
    .await;
    let body = json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]}]});
    for op in ["converse-stream", "invoke-with-response-stream"] {
        let body = if op == "converse-stream" {
            body.clone()
        } else {
            json!({"prompt": PROMPT, "max_tokens_to_sample": 9})
        };
        let model = if op == "converse-stream" {
            "anthropic.claude-3-5-sonnet-20240620-v1:0"
        } else {
            "anthropic.claude-v2"
        };
        let mut response = server.call(model, op, &body).await;
        assert_eq!(response.status(), 200);
        let id = request_id(&response);
        let mut received = Vec::new();
        let mut decoder = Decoder::new();
        let mut partial_reads = 0;
        while let Some(bytes) = response.chunk().await.unwrap() {
            received.extend_from_slice(&bytes);
            decoder.push(&bytes);
            while decoder.next_message().unwrap().is_some() {}
            if decoder.buffered_len() > 0 {
                partial_reads += 1;
            }
        }
        assert_eq!(received, capture, "{op}: the capture, byte for byte");
        assert!(partial_reads > 0, "frames are written in pieces");
        let record = server.wait_for_record(&id, |r| r.completed).await;
        assert_eq!(record.chunks_sent, 16);
        assert!(record
            .fault_applied
            .unwrap()
            .contains("converse-stream.eventstream"));
    }
    // Non-streaming operations are answered as usual.
    let response = server.invoke(PROMPT, 4, &Signing::default()).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_fault_selects_a_capture_from_the_replay_directory() {
    let server = TestServer::with_config(Config {
        replay_dir: Some(fixtures()),
        token_delay: Duration::ZERO,
        ..Config::default()
    })
    .await;
    let body = json!({"inputText": "Hi"});
    for spec in ["replay=titan-text", "replay=titan-text.eventstream"] {
        let response = server
            .call_with(
                "amazon.titan-text-express-v1",
                "invoke-with-response-stream",
                &body,
                &[("x-emulator-fault", spec)],
            )
            .await;
        assert_eq!(
            response.bytes().await.unwrap(),
            std::fs::read(fixtures().join("titan-text.eventstream")).unwrap()
        );
    }
    // Replay combines with stream faults: the synthetic exception capture, then a stall.
    let response = server
        .call_with(
            "amazon.titan-text-express-v1",
            "invoke-with-response-stream",
            &body,
            &[(
                "x-emulator-fault",
                "replay=nova,exception=internalServerException@2",
            )],
        )
        .await;
    let (messages, end) = decode_all(&response.bytes().await.unwrap());
    end.unwrap();
    assert_eq!(messages.len(), 3);
    assert!(chunk_json(&messages[0])["messageStart"].is_object());
    assert_eq!(
        messages[2].str_header(":exception-type"),
        Some("internalServerException")
    );

    for (spec, op, needle) in [
        (
            "replay=missing",
            "invoke-with-response-stream",
            "no such file",
        ),
        ("replay=titan-text", "invoke", "streaming operations only"),
    ] {
        let response = server
            .call_with(
                "amazon.titan-text-express-v1",
                op,
                &body,
                &[("x-emulator-fault", spec)],
            )
            .await;
        let message = expect_error(response, 400, "ValidationException").await;
        assert!(message.contains(needle), "{message}");
    }
    let no_dir = TestServer::start(0).await;
    let response = no_dir
        .call_with(
            "amazon.titan-text-express-v1",
            "invoke-with-response-stream",
            &body,
            &[("x-emulator-fault", "replay=titan-text")],
        )
        .await;
    let message = expect_error(response, 400, "ValidationException").await;
    assert!(message.contains("--replay-dir"), "{message}");
}

#[tokio::test]
async fn a_synthetic_exception_capture_replays_as_is() {
    let server = TestServer::with_config(Config {
        replay: Some(fixtures().join("synthetic-model-stream-error.eventstream")),
        token_delay: Duration::ZERO,
        ..Config::default()
    })
    .await;
    let response = server.invoke_stream(PROMPT, 5, &Signing::default()).await;
    let (messages, end) = decode_all(&response.bytes().await.unwrap());
    end.unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1].str_header(":message-type"), Some("exception"));
    assert_eq!(
        messages[1].str_header(":exception-type"),
        Some("modelStreamErrorException")
    );
}
