//! The browser is the subject here: streaming `fetch`, incremental reads, abort, and error
//! responses, against the local emulator (`cargo xtask test` starts it and passes its URL and
//! demo credentials at compile time).
#![cfg(target_arch = "wasm32")]
// The emulator's URL and credentials exist only when `cargo xtask test` compiles these tests;
// anywhere else the panic message says how to run them.
#![allow(clippy::option_env_unwrap)]

use bedrock_wasm::bedrock::{Endpoint, Error, InvokeModelInput, StreamEvent, TextChunk};
use bedrock_wasm::sign::Credentials;
use bedrock_wasm::transport::Client;
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
        Some(Error::Aborted)
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
    match &err {
        Error::Service(e) => {
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
    assert!(matches!(err, Error::Service(ref e) if e.code == "InvalidSignatureException"));
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
    assert!(matches!(err, Error::Network(_)), "{err:?}");
}

#[wasm_bindgen_test]
async fn a_skewed_clock_is_corrected_from_the_error_and_the_request_retried() {
    for skew_minutes in [-10.0, 10.0] {
        let client = client(None);
        // Pretend the local clock is off by ten minutes either way.
        client.set_clock_offset_ms(skew_minutes * 60_000.0);
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
