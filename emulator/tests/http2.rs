//! HTTP/2 (h2c with prior knowledge), as the AWS SDK for JavaScript speaks to bedrock-runtime
//! from Node: the host arrives as `:authority`, not as a `host` header, and must still verify.

mod common;

use bedrock_emulator::{answer_for, claude_text_answer};
use common::*;
use serde_json::json;

#[tokio::test]
async fn http2_requests_verify_and_stream() {
    let mut server = TestServer::start(1).await;
    server.http = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let response = server.invoke(PROMPT, 8, &Signing::default()).await;
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body["completion"], claude_text_answer(PROMPT, 8).text());

    let body = json!({"messages": [{"role": "user", "content": [{"text": "Over h2"}]}]});
    let response = server
        .call("amazon.nova-micro-v1:0", "converse-stream", &body)
        .await;
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    let id = request_id(&response);
    let text: String = frames(response)
        .await
        .iter()
        .filter(|m| m.str_header(":event-type") == Some("contentBlockDelta"))
        .map(|m| payload(m)["delta"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(text, answer_for("Over h2", 4096, &[]).text());
    let record = server.wait_for_record(&id, |r| r.completed).await;
    assert_eq!(record.signature, "valid");

    // A wrong signature is still caught over HTTP/2.
    let bad = Signing {
        credential: bedrock_emulator::Credential {
            secret_access_key: "wrong".into(),
            ..bedrock_emulator::Credential::demo()
        },
        ..Signing::default()
    };
    expect_error(
        server.invoke(PROMPT, 8, &bad).await,
        403,
        "InvalidSignatureException",
    )
    .await;
}
