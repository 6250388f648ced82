//! `invoke_answer` and `converse_answer` say exactly what the server sends: for every family,
//! the text of an InvokeModel, InvokeModelWithResponseStream and Converse answer, and the
//! ValidationException message of a refused request.

mod common;

use bedrock_emulator::{converse_answer, invoke_answer, Family};
use common::*;
use serde_json::{json, Value};

/// A model of each family, a valid body for it, where its InvokeModel text is and where a
/// stream chunk's text piece is.
fn cases() -> Vec<(&'static str, Value, &'static str, &'static str)> {
    let chat =
        json!({"messages": [{"role": "user", "content": "Name a frame part"}], "max_tokens": 40});
    vec![
        (
            "anthropic.claude-v2:1",
            json!({"prompt": "\n\nHuman: Name a frame part\n\nAssistant:", "max_tokens_to_sample": 40}),
            "/completion",
            "/completion",
        ),
        (
            // Claude v2 with a Messages body answers as Claude Messages.
            "anthropic.claude-v2",
            json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 40,
                   "messages": [{"role": "user", "content": "Name a frame part"}]}),
            "/content/0/text",
            "/delta/text",
        ),
        (
            "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
            json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 300, "stop_sequences": ["café"],
                   "messages": [{"role": "user", "content": [{"type": "text", "text": "Name a frame part"}]}]}),
            "/content/0/text",
            "/delta/text",
        ),
        (
            "amazon.titan-text-express-v1",
            json!({"inputText": "Name a frame part", "textGenerationConfig": {"maxTokenCount": 40}}),
            "/results/0/outputText",
            "/outputText",
        ),
        (
            "amazon.nova-micro-v1:0",
            json!({"messages": [{"role": "user", "content": [{"text": "Name a frame part"}]}],
                   "inferenceConfig": {"maxTokens": 40}}),
            "/output/message/content/0/text",
            "/contentBlockDelta/delta/text",
        ),
        (
            "meta.llama3-8b-instruct-v1:0",
            json!({"prompt": "Name a frame part", "max_gen_len": 40}),
            "/generation",
            "/generation",
        ),
        (
            "mistral.mistral-7b-instruct-v0:2",
            json!({"prompt": "<s>[INST] Name a frame part [/INST]", "max_tokens": 40}),
            "/outputs/0/text",
            "/outputs/0/text",
        ),
        (
            "mistral.mistral-large-2407-v1:0",
            chat.clone(),
            "/choices/0/message/content",
            "/choices/0/message/content",
        ),
        (
            "cohere.command-text-v14",
            json!({"prompt": "Name a frame part", "max_tokens": 40}),
            "/generations/0/text",
            // Without "stream": true the whole answer is one chunk.
            "/generations/0/text",
        ),
        (
            "cohere.command-r-v1:0",
            json!({"message": "Name a frame part", "max_tokens": 40}),
            "/text",
            "/text",
        ),
        (
            "ai21.jamba-1-5-mini-v1:0",
            chat,
            "/choices/0/message/content",
            "/choices/0/delta/content",
        ),
    ]
}

#[tokio::test]
async fn invoke_answer_is_the_text_the_server_sends() {
    let server = TestServer::start(0).await;
    let mut families = Vec::new();
    for (model, body, text_at, piece_at) in cases() {
        families.extend(Family::of_model(model));
        let want = invoke_answer(model, &serde_json::to_vec(&body).unwrap())
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        assert!(!want.text().is_empty(), "{model}");

        let response = server.call(model, "invoke", &body).await;
        assert_eq!(response.status(), 200, "{model}");
        let whole: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(whole.pointer(text_at).unwrap(), &want.text(), "{model}");

        let response = server
            .call(model, "invoke-with-response-stream", &body)
            .await;
        assert_eq!(response.status(), 200, "{model}");
        let streamed: String = frames(response)
            .await
            .iter()
            .filter_map(|m| chunk_json(m).pointer(piece_at)?.as_str().map(str::to_owned))
            .collect();
        assert_eq!(streamed, want.text(), "{model}");
    }
    let mut all = Family::ALL.to_vec();
    all.sort_by_key(|f| f.name());
    families.sort_by_key(|f| f.name());
    families.dedup();
    assert_eq!(families, all, "one case per family");
}

#[tokio::test]
async fn converse_answer_is_the_text_the_server_sends() {
    let server = TestServer::start(0).await;
    let body = json!({"messages": [{"role": "user", "content": [{"text": "Name a frame part"}]}],
                      "inferenceConfig": {"maxTokens": 30, "stopSequences": ["é"]}});
    for model in ["amazon.nova-lite-v1:0", "anthropic.claude-v2"] {
        let want = converse_answer(model, &serde_json::to_vec(&body).unwrap()).unwrap();
        let response = server.call(model, "converse", &body).await;
        assert_eq!(response.status(), 200);
        let v: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(v["output"]["message"]["content"][0]["text"], want.text());
    }
}

#[tokio::test]
async fn a_refusal_is_the_servers_validation_message() {
    let server = TestServer::start(0).await;
    for (model, operation, body) in [
        (
            "amazon.titan-text-express-v1",
            "invoke",
            json!({"inputText": "hi", "textGenerationConfig": {"max_tokens": 5}}),
        ),
        ("meta.llama3-8b-instruct-v1:0", "invoke", json!([1])),
        (
            "amazon.titan-embed-text-v1",
            "invoke",
            json!({"inputText": "hi"}),
        ),
        (
            "amazon.nova-micro-v1:0",
            "converse",
            json!({"messages": "hi"}),
        ),
        (
            "stability.sd3-large-v1:0",
            "converse",
            json!({"messages": []}),
        ),
    ] {
        let bytes = serde_json::to_vec(&body).unwrap();
        let refusal = match operation {
            "invoke" => invoke_answer(model, &bytes),
            _ => converse_answer(model, &bytes),
        }
        .unwrap_err();
        let response = server.call(model, operation, &body).await;
        let message = expect_error(response, 400, "ValidationException").await;
        assert_eq!(refusal, message, "{model} {operation}");
    }
}
