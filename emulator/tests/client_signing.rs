//! Differential check of the client's signer: requests built and signed by the bedrock-wasm
//! library for every operation and every model-id shape are accepted by the emulator's
//! independent verifier, as the browser would send them (host added from the URL).

use std::time::{Duration, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use bedrock_emulator::sigv4::{verify, IncomingRequest};
use bedrock_emulator::Credential;
use bedrock_wasm::bedrock::converse::{ConverseRequest, Message};
use bedrock_wasm::bedrock::{ConverseInput, Endpoint, HttpRequest, InvokeModelInput, Operation};
use bedrock_wasm::sign::Credentials;

const MODEL_IDS: [&str; 6] = [
    "anthropic.claude-v2",
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2",
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz",
];

fn requests(model_id: &str) -> Vec<HttpRequest> {
    let endpoint = Endpoint::custom("http://127.0.0.1:4010", "eu-west-3").unwrap();
    let mut invoke =
        InvokeModelInput::new(model_id, r#"{"prompt":"\n\nHuman: é 日本\n\nAssistant:"}"#);
    invoke.trace = Some("ENABLED".into());
    invoke.request_metadata = Some(r#"{"a":"b c"}"#.into());
    let converse = ConverseInput {
        model_id: model_id.into(),
        request: ConverseRequest {
            messages: vec![Message::user("Hi ✓")],
            ..Default::default()
        },
    };
    vec![
        HttpRequest::invoke(&endpoint, Operation::InvokeModel, &invoke).unwrap(),
        HttpRequest::invoke(&endpoint, Operation::InvokeModelWithResponseStream, &invoke).unwrap(),
        HttpRequest::converse(&endpoint, false, &converse).unwrap(),
        HttpRequest::converse(&endpoint, true, &converse).unwrap(),
    ]
}

#[test]
fn every_operation_and_model_id_shape_verifies() {
    let demo = Credential::demo();
    let creds = Credentials::new(
        demo.access_key_id.clone(),
        demo.secret_access_key.clone(),
        demo.session_token.clone(),
    );
    let now = UNIX_EPOCH + Duration::from_secs(1_736_942_400);
    for model_id in MODEL_IDS {
        for mut req in requests(model_id) {
            req.sign(&creds, "eu-west-3", now).unwrap();
            let mut headers = HeaderMap::new();
            headers.insert("host", HeaderValue::from_static("127.0.0.1:4010"));
            for (k, v) in &req.headers {
                headers.insert(
                    HeaderName::try_from(k.as_str()).unwrap(),
                    HeaderValue::try_from(v.as_str()).unwrap(),
                );
            }
            let path = req.url.strip_prefix("http://127.0.0.1:4010").unwrap();
            // The model id, ARN or not, is one segment: /model/{id}/{operation}.
            assert_eq!(path.split('/').count(), 4, "{path}");
            let incoming = IncomingRequest {
                method: req.method,
                path,
                query: None,
                headers: &headers,
                authority: None,
                body: &req.body,
            };
            if let Err(e) = verify(&incoming, std::slice::from_ref(&demo), now) {
                panic!("{model_id} {path}: {e:?}");
            }
        }
    }
}
