//! Configuration: region, API keys, custom credentials, server clock skew, exposed headers,
//! time to first byte.

mod common;

use std::time::{Duration, SystemTime};

use bedrock_emulator::clock::{http_date, unix_secs};
use bedrock_emulator::{claude_text_answer, Config, Credential, DEMO_API_KEY};
use common::*;
use serde_json::{json, Value};

fn claude_body_value(max: u32) -> Value {
    json!({"prompt": PROMPT, "max_tokens_to_sample": max})
}

#[tokio::test]
async fn signatures_must_be_scoped_to_the_configured_region() {
    let server = TestServer::start(0).await;
    let eu = Signing {
        region: "eu-west-1",
        ..Signing::default()
    };
    let response = server.invoke(PROMPT, 5, &eu).await;
    let id = request_id(&response);
    assert_eq!(
        expect_error(response, 403, "InvalidSignatureException").await,
        "Credential should be scoped to a valid region, not 'eu-west-1'. "
    );
    assert_eq!(server.record(&id).signature, "wrong-region");

    let server = TestServer::with_config(Config {
        region: Some("eu-west-1".into()),
        ..Config::default()
    })
    .await;
    assert_eq!(server.invoke(PROMPT, 5, &eu).await.status(), 200);
    let any = TestServer::with_config(Config {
        region: None,
        ..Config::default()
    })
    .await;
    assert_eq!(any.invoke(PROMPT, 5, &eu).await.status(), 200);
}

async fn bearer(server: &TestServer, key: &str) -> reqwest::Response {
    server
        .http
        .post(server.url(&model_path("anthropic.claude-v2", "invoke")))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {key}"))
        .body(serde_json::to_vec(&claude_body_value(5)).unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn api_keys_authenticate_bearer_requests() {
    let server = TestServer::start(0).await;
    let response = bearer(&server, DEMO_API_KEY).await;
    assert_eq!(response.status(), 200);
    let id = request_id(&response);
    let v: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(v["completion"], claude_text_answer(PROMPT, 5).text());
    assert_eq!(server.record(&id).signature, "api-key");

    for (key, message) in [
        (
            "ABSKbm90LWEta2V5",
            "Authentication failed: Please make sure your API Key is valid.",
        ),
        (
            "sk-not-bedrock",
            "Invalid API Key format: Must start with pre-defined prefix",
        ),
    ] {
        let response = bearer(&server, key).await;
        assert_eq!(response.status(), 403);
        let id = request_id(&response);
        assert!(header(&response, "x-amzn-ErrorType")
            .unwrap()
            .starts_with("UnrecognizedClientException:"));
        let v: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(v, json!({ "Message": message }));
        assert_eq!(server.record(&id).signature, "unknown-api-key");
    }

    let custom = TestServer::with_config(Config {
        api_keys: vec!["ABSKmine".into()],
        ..Config::default()
    })
    .await;
    assert_eq!(bearer(&custom, "ABSKmine").await.status(), 200);
    assert_eq!(bearer(&custom, DEMO_API_KEY).await.status(), 403);
    let none = TestServer::with_config(Config {
        api_keys: Vec::new(),
        ..Config::default()
    })
    .await;
    let message = expect_error(
        bearer(&none, DEMO_API_KEY).await,
        403,
        "UnrecognizedClientException",
    )
    .await;
    assert!(message.contains("not enabled"), "{message}");
}

#[tokio::test]
async fn custom_credentials_with_and_without_a_session_token() {
    let mine = Credential {
        access_key_id: "AKIDMINE".into(),
        secret_access_key: "my-secret".into(),
        session_token: None,
    };
    let server = TestServer::with_config(Config {
        credentials: vec![mine.clone()],
        ..Config::default()
    })
    .await;
    let signing = Signing {
        credential: mine.clone(),
        ..Signing::default()
    };
    assert_eq!(server.invoke(PROMPT, 5, &signing).await.status(), 200);
    // The demo credential is no longer accepted.
    expect_error(
        server.invoke(PROMPT, 5, &Signing::default()).await,
        403,
        "UnrecognizedClientException",
    )
    .await;
    // A session token the credential does not have is refused.
    let with_token = Signing {
        credential: Credential {
            session_token: Some("unexpected".into()),
            ..mine
        },
        ..Signing::default()
    };
    let response = server.invoke(PROMPT, 5, &with_token).await;
    let id = request_id(&response);
    expect_error(response, 403, "UnrecognizedClientException").await;
    assert_eq!(server.record(&id).signature, "bad-token");
}

#[tokio::test]
async fn a_skewed_server_clock_moves_the_window_and_the_date_header() {
    let server = TestServer::with_config(Config {
        clock_skew_secs: 900,
        token_delay: Duration::ZERO,
        ..Config::default()
    })
    .await;
    let response = server.invoke(PROMPT, 5, &Signing::default()).await;
    let date = header(&response, "date").unwrap().to_owned();
    let now = unix_secs(SystemTime::now());
    assert!(
        [http_date(now + 900), http_date(now + 899)].contains(&date),
        "{date}"
    );
    let message = expect_error(response, 403, "InvalidSignatureException").await;
    assert!(message.starts_with("Signature expired: "), "{message}");
    let ahead = Signing {
        time: SystemTime::now() + Duration::from_secs(900),
        ..Signing::default()
    };
    assert_eq!(server.invoke(PROMPT, 5, &ahead).await.status(), 200);
}

#[tokio::test]
async fn exposed_headers_are_configurable_and_date_is_not_exposed_by_default() {
    let server = TestServer::start(0).await;
    let response = server.invoke(PROMPT, 5, &Signing::default()).await;
    let expose = header(&response, "access-control-expose-headers").unwrap();
    assert!(
        !expose.split(", ").any(|h| h.eq_ignore_ascii_case("date")),
        "{expose}"
    );
    assert!(
        expose.contains("X-Amzn-Bedrock-Input-Token-Count"),
        "{expose}"
    );

    let server = TestServer::with_config(Config {
        expose_headers: vec!["x-amzn-RequestId".into(), "Date".into()],
        ..Config::default()
    })
    .await;
    let response = server.invoke(PROMPT, 5, &Signing::default()).await;
    assert_eq!(
        header(&response, "access-control-expose-headers"),
        Some("x-amzn-RequestId, Date")
    );
}

#[tokio::test]
async fn time_to_first_byte_is_configurable_and_logged() {
    let server = TestServer::with_config(Config {
        first_byte_delay: Duration::from_millis(300),
        token_delay: Duration::from_millis(1),
        ..Config::default()
    })
    .await;
    let response = server.invoke_stream(PROMPT, 3, &Signing::default()).await;
    let id = request_id(&response);
    let messages = frames(response).await;
    let last = chunk_json(messages.last().unwrap());
    assert!(
        last["amazon-bedrock-invocationMetrics"]["firstByteLatency"]
            .as_u64()
            .unwrap()
            >= 300
    );
    let record = server.wait_for_record(&id, |r| r.completed).await;
    // Lower bounds only: the first byte cannot leave before the configured delay.
    assert!(record.first_byte_ms.unwrap() >= 300, "{record:?}");
    assert!(record.duration_ms.unwrap() >= record.first_byte_ms.unwrap());
}
