//! Faults on demand: selected per request by the `x-emulator-fault` header or the
//! `emulator-fault:<spec>:<model id>` prefix, counted per fault key across requests.

mod common;

use std::time::{Duration, Instant, SystemTime};

use bedrock_emulator::clock::{http_date, unix_secs};
use bedrock_emulator::{claude_text_answer, STREAM_EXCEPTIONS};
use bedrock_wasm::eventstream::Decoder;
use common::*;
use serde_json::{json, Value};

const CLAUDE: &str = "anthropic.claude-v2";

fn claude(max: u32) -> Value {
    json!({"prompt": PROMPT, "max_tokens_to_sample": max})
}

fn converse(max: u32) -> Value {
    json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]}], "inferenceConfig": {"maxTokens": max}})
}

#[tokio::test]
async fn throttle_n_times_then_succeed_with_and_without_retry_after() {
    let server = TestServer::start(0).await;
    for (spec, retry_after) in [
        ("throttle=2,retry-after=3", Some("3")),
        ("throttle=2", None),
    ] {
        let mut ids = Vec::new();
        for attempt in 0..3 {
            let response = server
                .call_with(CLAUDE, "invoke", &claude(5), &[("x-emulator-fault", spec)])
                .await;
            ids.push(request_id(&response));
            if attempt < 2 {
                assert_eq!(header(&response, "retry-after"), retry_after);
                assert_eq!(
                    expect_error(response, 429, "ThrottlingException").await,
                    "Too many requests, please wait before trying again."
                );
            } else {
                assert_eq!(response.status(), 200);
                assert!(header(&response, "retry-after").is_none());
                let v: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
                assert_eq!(v["completion"], claude_text_answer(PROMPT, 5).text());
            }
        }
        for (i, id) in ids.iter().enumerate() {
            let r = server.wait_for_record(id, |r| r.completed).await;
            assert_eq!(r.retries_seen, i as u32, "{spec}");
            assert_eq!(r.fault.as_deref(), Some(spec));
            let applied = (i < 2).then(|| format!("ThrottlingException ({} of 2)", i + 1));
            assert_eq!(r.fault_applied, applied);
        }
    }
}

#[tokio::test]
async fn the_model_id_prefix_selects_faults_too() {
    let server = TestServer::start(0).await;
    let model = "emulator-fault:throttle=1:anthropic.claude-v2:1";
    let response = server
        .call(model, "invoke-with-response-stream", &claude(5))
        .await;
    let id = request_id(&response);
    expect_error(response, 429, "ThrottlingException").await;
    let record = server.record(&id);
    assert_eq!(record.model_id.as_deref(), Some("anthropic.claude-v2:1"));
    assert_eq!(record.fault.as_deref(), Some("throttle=1"));
    let messages = frames(
        server
            .call(model, "invoke-with-response-stream", &claude(5))
            .await,
    )
    .await;
    assert_eq!(messages.len(), 5);
}

#[tokio::test]
async fn every_http_fault() {
    let server = TestServer::start(0).await;
    for (spec, status, code) in [
        ("internal", 500, "InternalServerException"),
        ("unavailable", 503, "ServiceUnavailableException"),
        ("not-ready", 429, "ModelNotReadyException"),
        ("validation", 400, "ValidationException"),
        ("access-denied", 403, "AccessDeniedException"),
        ("expired-token", 403, "ExpiredTokenException"),
        ("model-timeout", 408, "ModelTimeoutException"),
        ("model-error", 424, "ModelErrorException"),
        ("quota", 400, "ServiceQuotaExceededException"),
    ] {
        for op in ["invoke", "invoke-with-response-stream"] {
            let response = server
                .call_with(CLAUDE, op, &claude(5), &[("x-emulator-fault", spec)])
                .await;
            if spec == "model-error" {
                assert_eq!(response.status(), 424);
                let v: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
                assert_eq!(v["originalStatusCode"], 500);
                assert!(v["resourceName"]
                    .as_str()
                    .unwrap()
                    .ends_with("foundation-model/anthropic.claude-v2"));
                continue;
            }
            let message = expect_error(response, status, code).await;
            assert!(!message.is_empty(), "{spec}");
        }
        // Without a count a fault applies every time, Converse included.
        let response = server
            .call_with(
                CLAUDE,
                "converse",
                &converse(5),
                &[("x-emulator-fault", spec)],
            )
            .await;
        assert_eq!(response.status().as_u16(), status, "{spec}");
    }
    let response = server
        .call_with(
            CLAUDE,
            "invoke",
            &claude(5),
            &[("x-emulator-fault", "expired-token")],
        )
        .await;
    assert_eq!(
        expect_error(response, 403, "ExpiredTokenException").await,
        "The security token included in the request is expired"
    );
}

#[tokio::test]
async fn the_http_200_unknown_operation_fault() {
    let server = TestServer::start(0).await;
    let response = server
        .call(
            "emulator-fault:unknown-operation:anthropic.claude-v2",
            "invoke",
            &claude(5),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(header(&response, "x-amzn-ErrorType").is_none());
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}"#
    );
}

/// Sends a streaming request with a fault; returns the decoded frames and how decoding ended.
async fn faulty_stream(
    server: &TestServer,
    op: &str,
    body: &Value,
    spec: &str,
) -> (
    Vec<bedrock_wasm::eventstream::Message>,
    Result<(), bedrock_wasm::eventstream::DecodeError>,
    String,
) {
    let response = server
        .call_with(
            "anthropic.claude-3-haiku-20240307-v1:0",
            op,
            body,
            &[("x-emulator-fault", spec)],
        )
        .await;
    assert_eq!(response.status(), 200, "{spec}");
    let id = request_id(&response);
    // The body itself ends cleanly: faults live inside the event stream.
    let bytes = response.bytes().await.expect("the HTTP body ends cleanly");
    let (messages, end) = decode_all(&bytes);
    (messages, end, id)
}

fn messages_body(max: u32) -> Value {
    json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": max,
           "messages": [{"role": "user", "content": "Hi"}]})
}

#[tokio::test]
async fn every_in_stream_exception_after_k_frames() {
    let server = TestServer::start(0).await;
    let ops = [
        (
            "invoke-with-response-stream",
            messages_body(50),
            &STREAM_EXCEPTIONS[..],
        ),
        (
            "converse-stream",
            converse(50),
            // ConverseStream's union has no modelTimeoutException.
            &[
                "internalServerException",
                "modelStreamErrorException",
                "validationException",
                "throttlingException",
                "serviceUnavailableException",
            ][..],
        ),
    ];
    for (op, body, exceptions) in ops {
        for exception in exceptions {
            let spec = format!("exception={exception}@3");
            let (messages, end, id) = faulty_stream(&server, op, &body, &spec).await;
            end.unwrap();
            assert_eq!(messages.len(), 4, "{op} {spec}");
            for m in &messages[..3] {
                assert_event_frame(m);
            }
            let e = &messages[3];
            assert_eq!(
                header_names(e),
                [":exception-type", ":content-type", ":message-type"]
            );
            assert_eq!(e.str_header(":message-type"), Some("exception"));
            assert_eq!(e.str_header(":exception-type"), Some(*exception));
            let p = payload(e);
            assert!(p["message"].as_str().is_some_and(|m| !m.is_empty()), "{p}");
            if *exception == "modelStreamErrorException" {
                assert_eq!(p["originalStatusCode"], 500);
                assert!(p["originalMessage"].is_string());
            }
            let record = server.wait_for_record(&id, |r| r.completed).await;
            assert_eq!(record.chunks_sent, 3);
            assert_eq!(
                record.fault_applied,
                Some(format!("{exception} after 3 frames"))
            );
        }
    }
    // Short names work too, and K defaults to 1.
    let (messages, _, _) = faulty_stream(
        &server,
        "converse-stream",
        &converse(50),
        "exception=throttling",
    )
    .await;
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[1].str_header(":exception-type"),
        Some("throttlingException")
    );
}

#[tokio::test]
async fn an_unmodeled_error_frame() {
    let server = TestServer::start(0).await;
    let (messages, end, _) = faulty_stream(
        &server,
        "invoke-with-response-stream",
        &messages_body(50),
        "error@2",
    )
    .await;
    end.unwrap();
    assert_eq!(messages.len(), 3);
    let e = &messages[2];
    assert_eq!(e.str_header(":message-type"), Some("error"));
    assert!(e.str_header(":error-code").is_some_and(|c| !c.is_empty()));
    assert!(e
        .str_header(":error-message")
        .is_some_and(|c| !c.is_empty()));
    assert!(e.payload.is_empty());
}

#[tokio::test]
async fn a_truncated_stream_and_a_corrupt_crc() {
    let server = TestServer::start(0).await;
    let (messages, end, id) = faulty_stream(
        &server,
        "invoke-with-response-stream",
        &messages_body(50),
        "truncate@4",
    )
    .await;
    assert_eq!(messages.len(), 4);
    assert!(end.unwrap_err().is_truncated());
    let record = server.wait_for_record(&id, |r| r.completed).await;
    assert!(record
        .fault_applied
        .unwrap()
        .starts_with("truncated frame 5"));

    let (messages, end, _) =
        faulty_stream(&server, "converse-stream", &converse(50), "corrupt-crc@2").await;
    assert_eq!(messages.len(), 2);
    assert!(end.unwrap_err().is_checksum_mismatch());
}

#[tokio::test]
async fn a_stall_mid_stream() {
    let server = TestServer::start(0).await;
    let start = Instant::now();
    let mut response = server
        .call_with(
            "anthropic.claude-3-haiku-20240307-v1:0",
            "converse-stream",
            &converse(5),
            &[("x-emulator-fault", "stall=1@2")],
        )
        .await;
    let id = request_id(&response);
    let mut decoder = Decoder::new();
    let mut arrivals = Vec::new();
    while let Some(bytes) = response.chunk().await.unwrap() {
        decoder.push(&bytes);
        while decoder.next_message().unwrap().is_some() {
            arrivals.push(Instant::now());
        }
    }
    decoder.finish().unwrap();
    assert_eq!(arrivals.len(), 1 + 5 + 3);
    // A lower bound only: frame 3 cannot arrive before the stall is over.
    assert!(arrivals[2] - start >= Duration::from_secs(1));
    let record = server.wait_for_record(&id, |r| r.completed).await;
    assert_eq!(
        record.fault_applied.as_deref(),
        Some("stalled 1.000s after 2 frames")
    );
}

#[tokio::test]
async fn a_skewed_server_clock_per_request() {
    let server = TestServer::start(0).await;
    let path = model_path(CLAUDE, "invoke");
    let body = serde_json::to_vec(&claude(3)).unwrap();
    let skew = [("x-emulator-fault", "clock-skew=-600")];
    // Signed with the right time, but the server's clock is 10 minutes behind.
    let response = server
        .post_signed_with(&path, body.clone(), &Signing::default(), &skew)
        .await;
    let date = header(&response, "date").unwrap().to_owned();
    let message = expect_error(response, 403, "InvalidSignatureException").await;
    assert!(
        message.starts_with("Signature not yet current: "),
        "{message}"
    );
    let now = unix_secs(SystemTime::now());
    assert!(
        [http_date(now - 600), http_date(now - 601)].contains(&date),
        "{date}"
    );
    // Signed with the server's (skewed) time it is accepted.
    let past = Signing {
        time: SystemTime::now() - Duration::from_secs(600),
        ..Signing::default()
    };
    let response = server.post_signed_with(&path, body, &past, &skew).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn bad_specs_are_validation_errors_and_counters_reset() {
    let server = TestServer::start(0).await;
    let response = server
        .call_with(
            CLAUDE,
            "invoke",
            &claude(5),
            &[("x-emulator-fault", "explode")],
        )
        .await;
    let message = expect_error(response, 400, "ValidationException").await;
    assert!(
        message.contains("\"explode\" is not a fault") && message.contains("Known faults"),
        "{message}"
    );

    let throttled = |key: &'static str| {
        let server = &server;
        async move {
            server
                .call_with(CLAUDE, "invoke", &claude(5), &[("x-emulator-fault", key)])
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(throttled("throttle=1").await, 429);
    assert_eq!(throttled("throttle=1").await, 200);
    // Two specs with one key share the count.
    assert_eq!(throttled("throttle=1,key=shared").await, 429);
    assert_eq!(throttled("internal=1,key=shared").await, 200);
    let reset = server
        .http
        .post(server.url("/_emulator/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    assert_eq!(throttled("throttle=1").await, 429);
}

#[tokio::test]
async fn retries_of_the_same_request_are_counted() {
    let server = TestServer::start(0).await;
    let mut seen = Vec::new();
    for max in [5, 5, 6, 5] {
        let response = server.call(CLAUDE, "invoke", &claude(max)).await;
        seen.push(server.record(&request_id(&response)).retries_seen);
    }
    assert_eq!(seen, [0, 1, 0, 2]);
    // The log also says when the first byte went out.
    let log = server.emulator.log();
    assert!(log.iter().all(|r| r.first_byte_ms.is_some()));
}

#[tokio::test]
async fn browsers_may_send_the_fault_header() {
    let server = TestServer::start(0).await;
    let response = server
        .http
        .request(
            reqwest::Method::OPTIONS,
            server.url(&model_path(CLAUDE, "invoke")),
        )
        .header("origin", "http://localhost:8080")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,x-emulator-fault",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&response, "access-control-allow-headers"),
        Some("authorization,x-emulator-fault")
    );
    let response = server
        .http
        .request(
            reqwest::Method::OPTIONS,
            server.url(&model_path(CLAUDE, "invoke")),
        )
        .send()
        .await
        .unwrap();
    assert!(header(&response, "access-control-allow-headers")
        .unwrap()
        .contains("x-emulator-fault"));
    // Retry-After is readable by page scripts.
    let response = server
        .call_with(
            CLAUDE,
            "invoke",
            &claude(5),
            &[("x-emulator-fault", "throttle,retry-after=1")],
        )
        .await;
    assert!(header(&response, "access-control-expose-headers")
        .unwrap()
        .contains("Retry-After"));
}

#[tokio::test]
async fn chunk_times_records_when_each_frame_was_written() {
    let server = TestServer::start(0).await;
    let before = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    let (messages, end, id) =
        faulty_stream(&server, "converse-stream", &converse(5), "chunk-times").await;
    end.unwrap();
    let record = server.wait_for_record(&id, |r| r.completed).await;
    assert_eq!(record.chunk_times_us.len(), messages.len());
    assert!(record.chunk_times_us[0] >= before);
    assert!(record.chunk_times_us.windows(2).all(|w| w[0] <= w[1]));
    // Off by default: the log stays small for long streams.
    let (_, end, id) = faulty_stream(&server, "converse-stream", &converse(5), "key=plain").await;
    end.unwrap();
    let record = server.wait_for_record(&id, |r| r.completed).await;
    assert!(record.chunk_times_us.is_empty());
}

#[tokio::test]
async fn pace_spaces_out_the_frames_from_k_on() {
    let server = TestServer::start(0).await;
    let mut response = server
        .call_with(
            "anthropic.claude-3-haiku-20240307-v1:0",
            "converse-stream",
            &converse(5),
            &[("x-emulator-fault", "pace=100@2,pace=0@6")],
        )
        .await;
    let mut decoder = Decoder::new();
    let mut arrivals = Vec::new();
    while let Some(bytes) = response.chunk().await.unwrap() {
        decoder.push(&bytes);
        while decoder.next_message().unwrap().is_some() {
            arrivals.push(Instant::now());
        }
    }
    decoder.finish().unwrap();
    assert_eq!(arrivals.len(), 1 + 5 + 3);
    // Frames 3 to 6 each waited 100 ms; lower bounds only.
    assert!(arrivals[5] - arrivals[1] >= Duration::from_millis(400));
}
