//! The library and the emulator agree, family by family: a model id is recognised the same by
//! both id rules, the body the library builds is one the emulator accepts, and the library
//! reads back exactly the emulator's whole and streamed answers (and ConverseStream's).
//!
//! The two are written independently on purpose (the emulator is the oracle; see its README,
//! "Independence"); this test is what ties them together, so a family added to one and not
//! the other, or read differently by the two, fails here.

mod common;

use bedrock_emulator::{converse_answer, invoke_answer, Family};
use bedrock_wasm::bedrock::{
    invoke_body, ChatInput, ModelFamily, OutputReader, ResponseStreamDecoder,
};
use common::*;
use serde_json::{json, Value};

/// One model of each family (and the Claude v2 id that a Messages body would switch).
const MODELS: [&str; 10] = [
    "anthropic.claude-v2:1",
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "amazon.titan-text-express-v1",
    "amazon.nova-micro-v1:0",
    "meta.llama3-8b-instruct-v1:0",
    "mistral.mistral-7b-instruct-v0:2",
    "mistral.mistral-large-2407-v1:0",
    "cohere.command-text-v14",
    "cohere.command-r-v1:0",
    "ai21.jamba-1-5-mini-v1:0",
];

/// The forms a model id takes on the wire: plain, a system inference profile, and both ARNs.
fn id_forms(model: &str) -> Vec<String> {
    vec![
        model.to_owned(),
        format!("us.{model}"),
        format!("global.{model}"),
        format!("arn:aws:bedrock:us-east-1::foundation-model/{model}"),
        format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.{model}"),
    ]
}

#[test]
fn every_family_is_recognised_the_same_by_library_and_emulator() {
    let mut covered = Vec::new();
    for model in MODELS {
        for id in id_forms(model) {
            let emulator = Family::of_model(&id).unwrap_or_else(|| panic!("emulator: {id}"));
            let library = ModelFamily::from_model_id(&id);
            assert_eq!(library.as_str(), emulator.name(), "{id}");
            covered.push(emulator.name());
        }
    }
    covered.sort_unstable();
    covered.dedup();
    let mut all: Vec<_> = Family::ALL.iter().map(|f| f.name()).collect();
    all.sort_unstable();
    assert_eq!(covered, all, "a sample id for every emulator family");
    // What neither serves.
    for id in ["amazon.titan-embed-text-v1", "stability.sd3-large-v1:0"] {
        assert_eq!(Family::of_model(id), None, "{id}");
        assert_eq!(ModelFamily::from_model_id(id), ModelFamily::Unknown, "{id}");
    }
}

fn chat() -> ChatInput {
    let input = json!({
        "system": [{"text": "Answer briefly."}],
        "messages": [
            {"role": "user", "content": [{"text": "Name a frame part"}]},
            {"role": "assistant", "content": [{"text": "The prelude."}]},
            {"role": "user", "content": [{"text": "And another"}]}
        ],
        "inferenceConfig": {"maxTokens": 40, "temperature": 0.5, "topP": 0.9}
    });
    ChatInput::from_json(&serde_json::to_vec(&input).unwrap()).unwrap()
}

/// Every event of a ConverseStream or InvokeModelWithResponseStream body, read by the library
/// as one output.
fn read_stream(family: ModelFamily, bytes: &[u8]) -> bedrock_wasm::bedrock::Output {
    let mut decoder = ResponseStreamDecoder::new();
    decoder.push(bytes);
    let mut reader = OutputReader::new(family);
    while let Some(event) = decoder.next_event().unwrap() {
        reader.event(&event).unwrap();
    }
    decoder.finish().unwrap();
    reader.into_output()
}

#[tokio::test]
async fn the_library_reads_back_exactly_what_the_emulator_answers() {
    let server = TestServer::start(0).await;
    for model in MODELS {
        let family = ModelFamily::from_model_id(model);
        for streaming in [false, true] {
            let body: Value = family.request_body(&chat(), streaming).unwrap();
            let want =
                invoke_answer(model, &serde_json::to_vec(&body).unwrap()).unwrap_or_else(|e| {
                    panic!("{model}: the emulator refuses the library's body: {e}")
                });
            let operation = if streaming {
                "invoke-with-response-stream"
            } else {
                "invoke"
            };
            let response = server.call(model, operation, &body).await;
            assert_eq!(response.status(), 200, "{model} {operation}");
            let bytes = response.bytes().await.unwrap();
            let output = if streaming {
                read_stream(family, &bytes)
            } else {
                invoke_body(family, &bytes).unwrap()
            };
            assert_eq!(output.text, want.text(), "{model} {operation}");
            assert!(output.stop_reason.is_some(), "{model} {operation}");
        }
    }
}

#[tokio::test]
async fn the_library_reads_back_exactly_what_converse_stream_answers() {
    let server = TestServer::start(0).await;
    let body = json!({"messages": [{"role": "user", "content": [{"text": "Name a frame part"}]}],
                      "inferenceConfig": {"maxTokens": 30}});
    for model in MODELS {
        let want = converse_answer(model, &serde_json::to_vec(&body).unwrap()).unwrap();
        let response = server.call(model, "converse-stream", &body).await;
        assert_eq!(response.status(), 200, "{model}");
        let output = read_stream(ModelFamily::Unknown, &response.bytes().await.unwrap());
        assert_eq!(output.text, want.text(), "{model}");
        let usage = output.token_usage().expect("ConverseStream states usage");
        assert_eq!(usage.input_tokens, u64::from(want.input_tokens), "{model}");
    }
}
