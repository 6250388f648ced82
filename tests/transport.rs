//! The browser is the subject here: streaming `fetch`, incremental reads, abort, and error
//! responses, against the local emulator (`cargo xtask test` starts it and passes its URL and
//! demo credentials at compile time).
#![cfg(target_arch = "wasm32")]
// The emulator's URL and credentials exist only when `cargo xtask test` compiles these tests;
// anywhere else the panic message says how to run them.
#![allow(clippy::option_env_unwrap)]

use bedrock_wasm::bedrock::converse::{ConverseRequest, InferenceConfig, Message};
use bedrock_wasm::bedrock::retry::RetryPolicy;
use bedrock_wasm::bedrock::{
    ConverseInput, Endpoint, Error, ErrorKind, InvokeModelInput, ModelFamily, OutputReader,
    ServiceErrorKind, StreamEvent, TextChunk,
};
use bedrock_wasm::sign::Credentials;
use bedrock_wasm::transport::Client;
use bedrock_wasm::transport::ClientOptions;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Compile-time settings from `cargo xtask test`, which starts the emulator first.
macro_rules! from_xtask {
    ($name:literal) => {
        option_env!($name).expect(concat!(
            $name,
            " is set by `cargo xtask test` (run the wasm tests through it)"
        ))
    };
}

fn client(secret_override: Option<&str>) -> Client {
    let url = from_xtask!("BEDROCK_EMULATOR_URL");
    let creds = Credentials::new(
        from_xtask!("BEDROCK_EMULATOR_ACCESS_KEY_ID"),
        secret_override.unwrap_or(from_xtask!("BEDROCK_EMULATOR_SECRET_ACCESS_KEY")),
        Some(from_xtask!("BEDROCK_EMULATOR_SESSION_TOKEN").to_owned()),
    );
    Client::new(Endpoint::custom(url, "us-east-1").unwrap(), creds)
}

fn claude_input(prompt: &str, max_tokens: u32) -> InvokeModelInput {
    let body = serde_json::json!({
        "prompt": format!("\n\nHuman: {prompt}\n\nAssistant:"),
        "max_tokens_to_sample": max_tokens,
    });
    InvokeModelInput::new("anthropic.claude-v2", body.to_string())
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let window = web_sys::window().unwrap();
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

async fn emulator_log() -> Vec<serde_json::Value> {
    let url = format!("{}/_emulator/log", from_xtask!("BEDROCK_EMULATOR_URL"));
    let window = web_sys::window().unwrap();
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&url))
        .await
        .unwrap()
        .unchecked_into();
    let text = JsFuture::from(response.text().unwrap())
        .await
        .unwrap()
        .as_string()
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[wasm_bindgen_test]
async fn streamed_chunks_arrive_incrementally_and_match_the_whole_answer() {
    let client = client(None);
    let input = claude_input("Tell me about streams", 12);
    let whole = client.invoke_model(&input, None).await.unwrap();
    let whole = TextChunk::from_model_json(&whole.body).unwrap();
    assert_eq!(whole.stop_reason.as_deref(), Some("max_tokens"));

    let mut stream = client
        .invoke_model_with_response_stream(&input, None)
        .await
        .unwrap();
    let (mut text, mut arrivals, mut last) = (String::new(), Vec::new(), None);
    while let Some(event) = stream.next().await {
        let StreamEvent::Chunk(bytes) = event.unwrap() else {
            continue;
        };
        let chunk = TextChunk::from_model_json(&bytes).unwrap();
        arrivals.push(js_sys::Date::now());
        text.push_str(&chunk.text);
        last = Some(chunk);
    }
    assert_eq!(text, whole.text);
    assert_eq!(arrivals.len(), 12, "one chunk per token");
    let last = last.unwrap();
    assert_eq!(last.stop_reason.as_deref(), Some("max_tokens"));
    assert_eq!(last.metrics.unwrap().output_token_count, 12);
    // The emulator paces tokens (BEDROCK_EMULATOR_TOKEN_DELAY_MS apart): a body read only
    // once complete would deliver every chunk in the same instant.
    let spread = arrivals.last().unwrap() - arrivals.first().unwrap();
    let delay: f64 = from_xtask!("BEDROCK_EMULATOR_TOKEN_DELAY_MS")
        .parse()
        .unwrap();
    assert!(
        spread >= delay * 5.0,
        "chunks arrived within {spread} ms: the body was buffered"
    );
}

#[wasm_bindgen_test]
async fn abort_stops_the_stream_and_closes_the_connection() {
    let client = client(None);
    let controller = web_sys::AbortController::new().unwrap();
    let input = claude_input("A long answer that we will interrupt", 500);
    let mut stream = client
        .invoke_model_with_response_stream(&input, Some(&controller.signal()))
        .await
        .unwrap();
    let request_id = stream
        .metadata()
        .request_id
        .clone()
        .expect("x-amzn-RequestId is exposed");
    for _ in 0..3 {
        assert!(matches!(stream.next().await, Some(Ok(_))));
    }
    controller.abort();
    assert_eq!(
        stream.next().await.map(|r| r.unwrap_err()),
        Some(Error::aborted())
    );
    assert!(stream.next().await.is_none(), "nothing after an abort");
    // The emulator notices the closed connection on its next write.
    for _ in 0..50 {
        let log = emulator_log().await;
        let record = log.iter().find(|r| r["id"] == request_id.as_str()).unwrap();
        if record["client_closed_early"] == true {
            assert_eq!(record["completed"], false);
            return;
        }
        sleep_ms(100).await;
    }
    panic!("the emulator never saw the connection close");
}

#[wasm_bindgen_test]
async fn dropping_a_stream_cancels_the_request() {
    let client = client(None);
    let input = claude_input("Another long answer, dropped half way", 500);
    let mut stream = client
        .invoke_model_with_response_stream(&input, None)
        .await
        .unwrap();
    let request_id = stream.metadata().request_id.clone().unwrap();
    assert!(matches!(stream.next().await, Some(Ok(_))));
    drop(stream);
    for _ in 0..50 {
        let log = emulator_log().await;
        let record = log.iter().find(|r| r["id"] == request_id.as_str()).unwrap();
        if record["client_closed_early"] == true {
            return;
        }
        sleep_ms(100).await;
    }
    panic!("dropping the stream did not close the connection");
}

#[wasm_bindgen_test]
async fn a_wrong_secret_is_a_signature_error_not_a_checksum_error() {
    let client = client(Some("not-the-secret"));
    let input = claude_input("Hello", 10);
    let err = match client.invoke_model_with_response_stream(&input, None).await {
        Err(e) => e,
        Ok(_) => panic!("a wrong secret must fail"),
    };
    match err.service() {
        Some(e) => {
            assert_eq!(e.code, "InvalidSignatureException");
            assert_eq!(e.status, 403);
            assert!(e.message.contains("signature"), "{}", e.message);
        }
        other => panic!("expected a service error, got {other:?}"),
    }
    assert!(
        err.to_string().contains("secret access key"),
        "advice in {err}"
    );
    let err = client.invoke_model(&input, None).await.unwrap_err();
    assert!(err
        .service()
        .is_some_and(|e| e.code == "InvalidSignatureException"));
}

#[wasm_bindgen_test]
async fn an_unreachable_endpoint_is_a_network_error() {
    let creds = Credentials::new("AKID", "secret", None);
    // Port 9 (discard) on loopback: nothing listens there.
    let client = Client::new(
        Endpoint::custom("http://127.0.0.1:9", "us-east-1").unwrap(),
        creds,
    );
    let err = client
        .invoke_model(&claude_input("Hi", 5), None)
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Network(_)), "{err:?}");
}

#[wasm_bindgen_test]
async fn a_skewed_clock_is_corrected_from_the_error_and_the_request_retried() {
    for skew_minutes in [-10.0, 10.0] {
        let client = client(None);
        // Pretend the local clock is off by ten minutes either way.
        client.set_clock_offset_ms(skew_minutes * 60_000.0).unwrap();
        let out = client
            .invoke_model(&claude_input("What time is it?", 5), None)
            .await;
        assert!(out.is_ok(), "skew {skew_minutes} min: {out:?}");
        // The emulator's clock is this machine's: the learned offset is about zero (the
        // message has whole seconds).
        let learned = client.clock_offset_ms();
        assert!(learned.abs() < 3_000.0, "learned offset {learned} ms");
    }
}

/// A model id that makes the emulator apply `spec` (see emulator/README.md). Each test uses
/// its own `key=` so `=N` counters are not shared between tests.
fn faulty(spec: &str, key: &str) -> String {
    format!(
        "emulator-fault:{spec},key={key}-{}:anthropic.claude-v2",
        js_sys::Math::random()
    )
}

fn faulty_input(spec: &str, key: &str, max_tokens: u32) -> InvokeModelInput {
    let mut input = claude_input("Faults, please", max_tokens);
    input.model_id = faulty(spec, key);
    input
}

#[wasm_bindgen_test]
async fn throttling_is_retried_with_backoff_until_it_succeeds() {
    let client = client(None);
    let out = client
        .invoke_model(&faulty_input("throttle=2", "throttle", 5), None)
        .await
        .expect("the third attempt succeeds");
    assert_eq!(out.metadata.attempts, 3);
    assert!(out.metadata.total_retry_delay_ms >= 0.0);
    // With retries off the first throttle is final, and says how many attempts it took.
    let no_retries = client.clone().with_options(ClientOptions {
        retry: RetryPolicy::new(1),
        ..ClientOptions::default()
    });
    match no_retries
        .invoke_model(&faulty_input("throttle=1", "once", 5), None)
        .await
    {
        Err(e) if e.service().is_some() => {
            let e = e.service().unwrap();
            assert_eq!(e.kind(), ServiceErrorKind::ThrottlingException);
            assert_eq!(e.attempts, 1);
        }
        other => panic!("expected a throttling error, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn retry_after_is_honoured() {
    let client = client(None);
    let out = client
        .invoke_model(
            &faulty_input("throttle=1,retry-after=1", "retry-after", 5),
            None,
        )
        .await
        .unwrap();
    assert_eq!(out.metadata.attempts, 2);
    assert!(
        out.metadata.total_retry_delay_ms >= 1000.0,
        "waited {} ms despite Retry-After: 1",
        out.metadata.total_retry_delay_ms
    );
}

#[wasm_bindgen_test]
async fn final_errors_are_not_retried_and_explain_themselves() {
    let client = client(None);
    for (spec, kind) in [
        ("access-denied", ServiceErrorKind::AccessDeniedException),
        ("expired-token", ServiceErrorKind::ExpiredTokenException),
        ("validation", ServiceErrorKind::ValidationException),
        (
            "unknown-operation",
            ServiceErrorKind::UnknownOperationException,
        ),
    ] {
        match client
            .invoke_model(&faulty_input(spec, spec, 5), None)
            .await
        {
            Err(e) if e.service().is_some() => {
                let e = e.service().unwrap();
                assert_eq!(e.kind(), kind, "{spec}");
                assert_eq!(e.attempts, 1, "{spec} must not be retried");
                // A validation error's own message says what is wrong with the request; the
                // others get advice on how to fix them.
                if kind == ServiceErrorKind::ValidationException {
                    assert!(!e.message.is_empty());
                } else {
                    assert!(e.advice().is_some(), "{spec} needs advice in plain words");
                }
            }
            other => panic!("{spec}: {other:?}"),
        }
    }
}

#[wasm_bindgen_test]
async fn an_exception_mid_stream_is_typed_and_the_text_before_it_is_kept() {
    let client = client(None);
    let input = faulty_input("exception=modelStreamErrorException@4", "exception", 50);
    let mut stream = client
        .invoke_model_with_response_stream(&input, None)
        .await
        .unwrap();
    let mut extractor = OutputReader::new(ModelFamily::ClaudeText);
    let mut error = None;
    while let Some(event) = stream.next().await {
        match event {
            Ok(event) => {
                extractor.event(&event).unwrap();
            }
            Err(e) => error = Some(e),
        }
    }
    match error.as_ref().and_then(Error::stream_exception) {
        Some(x) => {
            assert_eq!(x.name, "ModelStreamErrorException");
            assert!(x.original_status_code.is_some());
        }
        other => panic!("expected a stream exception, got {other:?}"),
    }
    assert!(
        !extractor.output().text.is_empty(),
        "the four chunks' text is kept"
    );
}

#[wasm_bindgen_test]
async fn a_truncated_stream_is_an_error_not_a_short_answer() {
    let client = client(None);
    let input = faulty_input("truncate@3", "truncate", 50);
    let mut stream = client
        .invoke_model_with_response_stream(&input, None)
        .await
        .unwrap();
    let mut last = None;
    while let Some(event) = stream.next().await {
        last = Some(event);
    }
    match last {
        Some(Err(e)) if matches!(e.kind(), ErrorKind::Decode(d) if d.is_truncated()) => {}
        other => panic!("expected a truncated-stream error, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn the_idle_watchdog_stops_a_stalled_stream() {
    let client = client(None).with_options(ClientOptions {
        stream_idle_timeout_ms: 300,
        ..ClientOptions::default()
    });
    let input = faulty_input("stall=3@2", "stall", 50);
    let mut stream = client
        .invoke_model_with_response_stream(&input, None)
        .await
        .unwrap();
    let request_id = stream.metadata().request_id.clone().unwrap();
    let mut chunks = 0;
    let error = loop {
        match stream.next().await {
            Some(Ok(_)) => chunks += 1,
            Some(Err(e)) => break e,
            None => panic!("the stream ended instead of stalling"),
        }
    };
    assert_eq!(chunks, 2);
    assert_eq!(error, Error::idle_timeout(300));
    // The connection was closed, so the server stops generating.
    for _ in 0..60 {
        let log = emulator_log().await;
        let record = log.iter().find(|r| r["id"] == request_id.as_str()).unwrap();
        if record["client_closed_early"] == true {
            return;
        }
        sleep_ms(100).await;
    }
    panic!("the watchdog did not close the connection");
}

fn converse_input() -> ConverseInput {
    ConverseInput {
        model_id: "anthropic.claude-3-haiku-20240307-v1:0".into(),
        request: ConverseRequest {
            messages: vec![Message::user("Say something short")],
            inference_config: Some(InferenceConfig {
                max_tokens: Some(20),
                ..Default::default()
            }),
            ..Default::default()
        },
    }
}

#[wasm_bindgen_test]
async fn converse_and_converse_stream_agree() {
    let client = client(None);
    let whole = client.converse(&converse_input(), None).await.unwrap();
    assert_eq!(whole.response.stop_reason, "max_tokens");
    assert_eq!(whole.response.usage.output_tokens, 20);
    let mut stream = client
        .converse_stream(&converse_input(), None)
        .await
        .unwrap();
    let mut extractor = OutputReader::new(ModelFamily::ClaudeMessages);
    let mut kinds = Vec::new();
    while let Some(event) = stream.next().await {
        let event = event.unwrap();
        if let StreamEvent::Converse(e) = &event {
            kinds.push(e.event_type());
        }
        extractor.event(&event).unwrap();
    }
    let out = extractor.into_output();
    assert_eq!(out.text, whole.response.text());
    assert_eq!(out.stop_reason.as_deref(), Some("max_tokens"));
    assert_eq!(out.usage.unwrap().output_tokens, 20);
    assert_eq!(kinds.first(), Some(&"messageStart"));
    assert!(kinds.contains(&"metadata") && kinds.contains(&"messageStop"));
}
