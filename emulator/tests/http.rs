//! The emulator over real HTTP: requests signed by aws-sigv4, sent by reqwest.

mod common;

use std::time::{Duration, SystemTime};

use bedrock_emulator::{claude_text_answer, Config, Credential, Emulator};
use bedrock_wasm::eventstream::Decoder;
use common::*;

const PADDING: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. \
     Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

#[tokio::test]
async fn invoke_returns_the_deterministic_answer() {
    let server = TestServer::start(1).await;
    let response = server.invoke(PROMPT, 1000, &Signing::default()).await;
    assert_eq!(response.status(), 200);
    let expected = claude_text_answer(PROMPT, 1000);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    let expose = header(&response, "access-control-expose-headers").unwrap();
    assert!(
        expose.contains("x-amzn-RequestId") && !expose.contains("Date"),
        "{expose}"
    );
    assert!(header(&response, "date").unwrap().ends_with(" GMT"));
    assert_eq!(
        header(&response, "x-amzn-bedrock-input-token-count"),
        Some(&*expected.input_tokens.to_string())
    );
    assert_eq!(
        header(&response, "x-amzn-bedrock-output-token-count"),
        Some(&*expected.tokens.len().to_string())
    );
    assert!(header(&response, "x-amzn-bedrock-invocation-latency")
        .unwrap()
        .parse::<u64>()
        .is_ok());
    let id = request_id(&response);
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({ "completion": expected.text(), "stop_reason": "stop_sequence", "stop": "\n\nHuman:" })
    );

    let record = server.wait_for_record(&id, |r| r.completed).await;
    assert_eq!(record.operation, "InvokeModel");
    assert_eq!(record.model_id.as_deref(), Some("anthropic.claude-v2:1"));
    assert_eq!((record.status, record.signature.as_str()), (200, "valid"));
    assert!(!record.client_closed_early && record.error.is_none() && record.duration_ms.is_some());
}

#[tokio::test]
async fn invoke_truncates_at_max_tokens() {
    let server = TestServer::start(0).await;
    let response = server.invoke(PROMPT, 7, &Signing::default()).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json_value().await;
    let expected = claude_text_answer(PROMPT, 7);
    assert_eq!(expected.tokens.len(), 7);
    assert_eq!(
        body,
        serde_json::json!({ "completion": expected.text(), "stop_reason": "max_tokens", "stop": null })
    );
}

#[tokio::test]
async fn stream_decodes_to_the_answer() {
    let server = TestServer::start(1).await;
    let mut response = server
        .invoke_stream(PROMPT, 1000, &Signing::default())
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        Some("application/vnd.amazon.eventstream")
    );
    assert_eq!(
        header(&response, "x-amzn-bedrock-content-type"),
        Some("application/json")
    );
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    let id = request_id(&response);

    let mut decoder = Decoder::new();
    let mut chunks = Vec::new();
    let mut partial_reads = 0;
    while let Some(bytes) = response.chunk().await.unwrap() {
        decoder.push(&bytes);
        while let Some(message) = decoder.next_message().unwrap() {
            let names: Vec<&str> = message.headers.iter().map(|h| h.name.as_str()).collect();
            assert_eq!(names, [":event-type", ":content-type", ":message-type"]);
            assert_eq!(message.str_header(":event-type"), Some("chunk"));
            assert_eq!(
                message.str_header(":content-type"),
                Some("application/json")
            );
            assert_eq!(message.str_header(":message-type"), Some("event"));
            let payload: serde_json::Value = serde_json::from_slice(&message.payload).unwrap();
            let p = payload["p"].as_str().unwrap();
            assert!(!p.is_empty() && PADDING.starts_with(p), "padding {p:?}");
            let bytes = base64_decode(payload["bytes"].as_str().unwrap());
            chunks.push(serde_json::from_slice::<serde_json::Value>(&bytes).unwrap());
        }
        if decoder.buffered_len() > 0 {
            partial_reads += 1;
        }
    }
    decoder.finish().unwrap();

    let expected = claude_text_answer(PROMPT, 1000);
    assert_eq!(chunks.len(), expected.tokens.len());
    // Frames are written in pieces, so some reads end mid-frame.
    assert!(partial_reads > 0, "no read ever ended inside a frame");
    let text: String = chunks
        .iter()
        .map(|c| c["completion"].as_str().unwrap())
        .collect();
    assert_eq!(text, expected.text());
    for chunk in &chunks[..chunks.len() - 1] {
        assert!(
            chunk["stop_reason"].is_null() && chunk["stop"].is_null(),
            "{chunk}"
        );
        assert!(chunk.get("amazon-bedrock-invocationMetrics").is_none());
    }
    let last = chunks.last().unwrap();
    assert_eq!(last["stop_reason"], "stop_sequence");
    assert_eq!(last["stop"], "\n\nHuman:");
    let metrics = &last["amazon-bedrock-invocationMetrics"];
    assert_eq!(metrics["inputTokenCount"], expected.input_tokens);
    assert_eq!(metrics["outputTokenCount"], expected.tokens.len());
    let (total, first) = (
        metrics["invocationLatency"].as_u64().unwrap(),
        metrics["firstByteLatency"].as_u64().unwrap(),
    );
    assert!(first <= total, "{metrics}");

    let record = server.wait_for_record(&id, |r| r.completed).await;
    assert_eq!(record.operation, "InvokeModelWithResponseStream");
    assert_eq!(record.chunks_sent, expected.tokens.len());
    assert!(!record.client_closed_early);
}

#[tokio::test]
async fn stream_reports_max_tokens_on_the_last_chunk() {
    let server = TestServer::start(0).await;
    let response = server.invoke_stream(PROMPT, 3, &Signing::default()).await;
    let mut decoder = Decoder::new();
    decoder.push(&response.bytes().await.unwrap());
    let mut last = None;
    let mut count = 0;
    while let Some(m) = decoder.next_message().unwrap() {
        let payload: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
        last = Some(
            serde_json::from_slice::<serde_json::Value>(&base64_decode(
                payload["bytes"].as_str().unwrap(),
            ))
            .unwrap(),
        );
        count += 1;
    }
    decoder.finish().unwrap();
    let last = last.unwrap();
    assert_eq!(count, 3);
    assert_eq!(last["stop_reason"], "max_tokens");
    assert!(last["stop"].is_null());
    assert_eq!(
        last["amazon-bedrock-invocationMetrics"]["outputTokenCount"],
        3
    );
}

#[tokio::test]
async fn wrong_secret_is_an_invalid_signature() {
    let server = TestServer::start(0).await;
    let credential = Credential {
        secret_access_key: "not-the-secret".into(),
        ..Credential::demo()
    };
    let response = server
        .invoke(
            PROMPT,
            10,
            &Signing {
                credential,
                ..Signing::default()
            },
        )
        .await;
    let id = request_id(&response);
    assert_eq!(
        expect_error(response, 403, "InvalidSignatureException").await,
        MISMATCH
    );
    let record = server.record(&id);
    assert_eq!((record.status, record.signature.as_str()), (403, "invalid"));
    assert!(record
        .error
        .unwrap()
        .starts_with("InvalidSignatureException: The request signature"));
}

#[tokio::test]
async fn unknown_key_and_missing_token_are_unrecognized_clients() {
    let server = TestServer::start(0).await;
    let unknown = Credential {
        access_key_id: "AKIDNOBODY".into(),
        ..Credential::demo()
    };
    let response = server
        .invoke(
            PROMPT,
            10,
            &Signing {
                credential: unknown,
                ..Signing::default()
            },
        )
        .await;
    let message = expect_error(response, 403, "UnrecognizedClientException").await;
    assert_eq!(
        message,
        "The security token included in the request is invalid."
    );

    let no_token = Credential {
        session_token: None,
        ..Credential::demo()
    };
    let response = server
        .invoke(
            PROMPT,
            10,
            &Signing {
                credential: no_token,
                ..Signing::default()
            },
        )
        .await;
    let id = request_id(&response);
    expect_error(response, 403, "UnrecognizedClientException").await;
    assert_eq!(server.record(&id).signature, "bad-token");
}

#[tokio::test]
async fn skewed_clocks_get_bedrocks_messages() {
    let server = TestServer::start(0).await;
    let past = Signing {
        time: SystemTime::now() - Duration::from_secs(600),
        ..Signing::default()
    };
    let response = server.invoke(PROMPT, 10, &past).await;
    let id = request_id(&response);
    let message = expect_error(response, 403, "InvalidSignatureException").await;
    assert!(
        message.starts_with("Signature expired: ") && message.ends_with(" - 5 min.)"),
        "{message}"
    );
    assert_eq!(server.record(&id).signature, "expired");

    let future = Signing {
        time: SystemTime::now() + Duration::from_secs(600),
        ..Signing::default()
    };
    let message = expect_error(
        server.invoke(PROMPT, 10, &future).await,
        403,
        "InvalidSignatureException",
    )
    .await;
    assert!(
        message.starts_with("Signature not yet current: ") && message.ends_with(" + 5 min.)"),
        "{message}"
    );
}

#[tokio::test]
async fn the_scope_must_say_bedrock() {
    let server = TestServer::start(0).await;
    let wrong = Signing {
        service: "bedrock-runtime",
        ..Signing::default()
    };
    let message = expect_error(
        server.invoke(PROMPT, 10, &wrong).await,
        403,
        "InvalidSignatureException",
    )
    .await;
    assert!(message.contains("'bedrock'"), "{message}");
}

#[tokio::test]
async fn unsigned_requests_are_missing_a_token() {
    let server = TestServer::start(0).await;
    let response = server
        .http
        .post(server.url(&format!("/model/{MODEL_SEGMENT}/invoke")))
        .header("content-type", "application/json")
        .body(claude_body(PROMPT, 10))
        .send()
        .await
        .unwrap();
    let id = request_id(&response);
    assert_eq!(
        expect_error(response, 403, "MissingAuthenticationTokenException").await,
        "Missing Authentication Token"
    );
    assert_eq!(server.record(&id).signature, "missing");
}

#[tokio::test]
async fn a_raw_slash_in_the_model_id_is_an_unknown_operation() {
    let server = TestServer::start(0).await;
    let path = "/model/arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz/invoke";
    let response = server
        .post_signed(path, claude_body(PROMPT, 10), &Signing::default())
        .await;
    assert_eq!(response.status(), 200);
    assert!(header(&response, "x-amzn-ErrorType").is_none());
    let id = request_id(&response);
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}"#
    );
    let record = server.record(&id);
    assert_eq!((record.operation.as_str(), record.status), ("Unknown", 200));
}

#[tokio::test]
async fn an_encoded_arn_is_one_segment() {
    let server = TestServer::start(0).await;
    // `%2F` keeps the ARN in one path segment; the canonical URI must encode it to `%252F`.
    let path =
        "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fanthropic.claude-v2/invoke";
    let response = server
        .post_signed(path, claude_body(PROMPT, 4), &Signing::default())
        .await;
    assert_eq!(response.status(), 200);
    let id = request_id(&response);
    let body: serde_json::Value = response.json_value().await;
    assert_eq!(body["completion"], claude_text_answer(PROMPT, 4).text());
    assert_eq!(
        server.record(&id).model_id.as_deref(),
        Some("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2")
    );
}

#[tokio::test]
async fn unknown_models_and_bad_prompts_are_validation_errors() {
    let server = TestServer::start(0).await;
    let body = claude_body(PROMPT, 10);
    let response = server
        .post_signed(
            "/model/stability.stable-diffusion-xl-v1/invoke",
            body,
            &Signing::default(),
        )
        .await;
    assert_eq!(
        expect_error(response, 400, "ValidationException").await,
        "The provided model identifier is invalid."
    );

    let response = server
        .invoke("Tell me a story", 10, &Signing::default())
        .await;
    let message = expect_error(response, 400, "ValidationException").await;
    assert!(
        message.starts_with("Invalid prompt: prompt must start with"),
        "{message}"
    );

    let no_max = serde_json::to_vec(&serde_json::json!({ "prompt": PROMPT })).unwrap();
    let response = server
        .post_signed(
            &format!("/model/{MODEL_SEGMENT}/invoke"),
            no_max,
            &Signing::default(),
        )
        .await;
    let message = expect_error(response, 400, "ValidationException").await;
    assert!(
        message.contains("required key [max_tokens_to_sample]"),
        "{message}"
    );

    let response = server
        .post_signed(
            &format!("/model/{MODEL_SEGMENT}/invoke"),
            b"{oops".to_vec(),
            &Signing::default(),
        )
        .await;
    let message = expect_error(response, 400, "ValidationException").await;
    assert!(message.starts_with("Malformed input request"), "{message}");
}

#[tokio::test]
async fn preflight_is_answered_without_auth() {
    let server = TestServer::start(0).await;
    let response = server
        .http
        .request(
            reqwest::Method::OPTIONS,
            server.url(&format!(
                "/model/{MODEL_SEGMENT}/invoke-with-response-stream"
            )),
        )
        .header("origin", "http://localhost:8080")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type,x-amz-date,x-amz-security-token",
        )
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    assert_eq!(
        header(&response, "access-control-allow-methods"),
        Some("GET, POST, OPTIONS")
    );
    assert_eq!(
        header(&response, "access-control-allow-headers"),
        Some("authorization,content-type,x-amz-date,x-amz-security-token")
    );
    assert_eq!(header(&response, "access-control-max-age"), Some("600"));
    let record = server.record(&request_id(&response));
    assert_eq!(
        (record.operation.as_str(), record.signature.as_str()),
        ("Preflight", "not-checked")
    );
    assert_eq!(record.model_id.as_deref(), Some("anthropic.claude-v2:1"));
}

#[tokio::test]
async fn a_client_leaving_mid_stream_is_recorded() {
    let server = TestServer::start(5).await;
    let mut response = server
        .invoke_stream(PROMPT, 1000, &Signing::default())
        .await;
    let id = request_id(&response);
    let mut received = 0;
    while received < 200 {
        received += response
            .chunk()
            .await
            .unwrap()
            .expect("stream still open")
            .len();
    }
    drop(response);
    let record = server.wait_for_record(&id, |r| r.client_closed_early).await;
    assert!(!record.completed);
    assert!(record.chunks_sent < claude_text_answer(PROMPT, 1000).tokens.len());
    assert!(record.error.unwrap().contains("client closed"));
    assert!(record.duration_ms.is_some());
}

#[tokio::test]
async fn the_log_is_served_over_http_and_can_be_reset() {
    let server = TestServer::start(0).await;
    server
        .invoke(PROMPT, 5, &Signing::default())
        .await
        .bytes()
        .await
        .unwrap();
    let bad = Signing {
        credential: Credential {
            secret_access_key: "x".into(),
            ..Credential::demo()
        },
        ..Signing::default()
    };
    server.invoke(PROMPT, 5, &bad).await.bytes().await.unwrap();

    let response = server
        .http
        .get(server.url("/_emulator/log"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // No permissive CORS on the control routes (tests/hostile.rs checks who may read them).
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    let log: serde_json::Value = response.json_value().await;
    let log = log.as_array().unwrap();
    assert_eq!(
        log.len(),
        2,
        "introspection requests are not logged: {log:?}"
    );
    assert_eq!(log[0]["operation"], "InvokeModel");
    assert_eq!(log[0]["signature"], "valid");
    assert_eq!(log[1]["signature"], "invalid");
    assert_eq!(log[1]["status"], 403);
    for key in [
        "id",
        "model_id",
        "error",
        "chunks_sent",
        "completed",
        "client_closed_early",
        "started_ms",
        "duration_ms",
    ] {
        assert!(log[0].get(key).is_some(), "{key} missing");
    }

    let response = server
        .http
        .post(server.url("/_emulator/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.json_value().await["cleared"], 2);
    assert!(server.emulator.log().is_empty());
}

#[tokio::test]
async fn refuses_non_loopback_addresses() {
    let err = Emulator::start(Config::default(), "0.0.0.0:0".parse().unwrap())
        .await
        .err()
        .expect("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("loopback"));
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let server = TestServer::start(0).await;
    let url = server.url("/_emulator/log");
    server.emulator.shutdown().await;
    assert!(reqwest::Client::new().get(url).send().await.is_err());
}

#[tokio::test]
async fn shutdown_breaks_streams_in_flight() {
    let server = TestServer::start(5).await;
    let mut response = server
        .invoke_stream(PROMPT, 1000, &Signing::default())
        .await;
    response.chunk().await.unwrap().expect("stream started");
    let TestServer {
        emulator,
        http: _http,
    } = server;
    let stopping = tokio::spawn(emulator.shutdown());
    // The body must fail, not end cleanly: a short but well-formed stream would look complete.
    let mut outcome = Ok(());
    loop {
        match response.chunk().await {
            Ok(Some(_)) => continue,
            Ok(None) => break,
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
    }
    assert!(
        outcome.is_err(),
        "the stream ended cleanly after a shutdown"
    );
    stopping.await.unwrap();
}

#[test]
fn credential_debug_redacts_secrets() {
    let shown = format!("{:?}", Credential::demo());
    assert!(shown.contains(Credential::DEMO_ACCESS_KEY_ID), "{shown}");
    assert!(
        !shown.contains(Credential::DEMO_SECRET_ACCESS_KEY)
            && !shown.contains(Credential::DEMO_SESSION_TOKEN),
        "{shown}"
    );
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// reqwest's `json` needs a feature; parse by hand.
trait JsonValue {
    async fn json_value(self) -> serde_json::Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes().await.unwrap()).unwrap()
    }
}
