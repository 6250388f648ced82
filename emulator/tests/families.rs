//! Every model family over InvokeModel and InvokeModelWithResponseStream: validated bodies,
//! the deterministic answer, max tokens, stop sequences, model-id shapes, chunk framing and
//! metrics. Text is pulled out of the JSON the way BEDROCK.md §5 says clients must.

mod common;

use bedrock_emulator::{answer_for, claude_text_answer_with, Answer, Family};
use common::*;
use serde_json::{json, Value};

/// One model family: a model id, how to build its body, and where its text and stop reason are.
struct Case {
    family: Family,
    model: &'static str,
    /// Body for (prompt text, max tokens, stop sequences).
    body: fn(&str, u32, &[&str]) -> Value,
    /// The prompt text the answer is seeded with, for a body built from `p`.
    prompt: fn(&str) -> String,
    /// (text, stop reason) of an InvokeModel body.
    invoke: fn(&Value) -> (String, String),
    /// Text piece and stop reason (when present) of one stream chunk.
    chunk: fn(&Value) -> (Option<String>, Option<String>),
    /// Stop reasons for (natural end, max tokens, stop sequence).
    reasons: [&'static str; 3],
    supports_stops: bool,
}

fn s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            family: Family::ClaudeText,
            model: "anthropic.claude-v2",
            body: |p, max, stops| json!({"prompt": p, "max_tokens_to_sample": max, "stop_sequences": stops}),
            prompt: |p| p.to_owned(),
            invoke: |v| (s(&v["completion"]).unwrap(), s(&v["stop_reason"]).unwrap()),
            chunk: |v| (s(&v["completion"]), s(&v["stop_reason"])),
            reasons: ["stop_sequence", "max_tokens", "stop_sequence"],
            supports_stops: true,
        },
        Case {
            family: Family::ClaudeMessages,
            model: "anthropic.claude-3-haiku-20240307-v1:0",
            body: |p, max, stops| {
                json!({
                    "anthropic_version": "bedrock-2023-05-31", "max_tokens": max, "stop_sequences": stops,
                    "system": "Be helpful.",
                    "messages": [{"role": "user", "content": "Earlier question"},
                                 {"role": "assistant", "content": [{"type": "text", "text": "Earlier answer"}]},
                                 {"role": "user", "content": [{"type": "text", "text": p}]}]
                })
            },
            prompt: |p| p.to_owned(),
            invoke: |v| {
                (
                    s(&v["content"][0]["text"]).unwrap(),
                    s(&v["stop_reason"]).unwrap(),
                )
            },
            chunk: |v| match v["type"].as_str().unwrap() {
                "content_block_delta" => (s(&v["delta"]["text"]), None),
                "message_delta" => (None, s(&v["delta"]["stop_reason"])),
                _ => (None, None),
            },
            reasons: ["end_turn", "max_tokens", "stop_sequence"],
            supports_stops: true,
        },
        Case {
            family: Family::TitanText,
            model: "amazon.titan-text-express-v1",
            body: |p, max, stops| json!({"inputText": p, "textGenerationConfig": {"maxTokenCount": max, "stopSequences": stops, "temperature": 0}}),
            prompt: |p| p.to_owned(),
            invoke: |v| {
                (
                    s(&v["results"][0]["outputText"]).unwrap(),
                    s(&v["results"][0]["completionReason"]).unwrap(),
                )
            },
            chunk: |v| (s(&v["outputText"]), s(&v["completionReason"])),
            reasons: ["FINISH", "LENGTH", "STOP_CRITERIA_MET"],
            supports_stops: true,
        },
        Case {
            family: Family::Nova,
            model: "us.amazon.nova-micro-v1:0",
            body: |p, max, stops| {
                json!({
                    "schemaVersion": "messages-v1", "system": [{"text": "Be brief."}],
                    "messages": [{"role": "user", "content": [{"text": p}]}],
                    "inferenceConfig": {"max_new_tokens": max, "stopSequences": stops}
                })
            },
            prompt: |p| p.to_owned(),
            invoke: |v| {
                (
                    s(&v["output"]["message"]["content"][0]["text"]).unwrap(),
                    s(&v["stopReason"]).unwrap(),
                )
            },
            chunk: |v| {
                (
                    s(&v["contentBlockDelta"]["delta"]["text"]),
                    s(&v["messageStop"]["stopReason"]),
                )
            },
            reasons: ["end_turn", "max_tokens", "stop_sequence"],
            supports_stops: true,
        },
        Case {
            family: Family::Llama,
            model: "meta.llama3-8b-instruct-v1:0",
            body: |p, max, _| json!({"prompt": format!("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{p}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"), "max_gen_len": max, "temperature": 0.5}),
            prompt: |p| {
                format!("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{p}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
            },
            invoke: |v| (s(&v["generation"]).unwrap(), s(&v["stop_reason"]).unwrap()),
            chunk: |v| (s(&v["generation"]), s(&v["stop_reason"])),
            reasons: ["stop", "length", "stop"],
            supports_stops: false,
        },
        Case {
            family: Family::Mistral,
            model: "mistral.mistral-7b-instruct-v0:2",
            body: |p, max, stops| json!({"prompt": format!("<s>[INST] {p} [/INST]"), "max_tokens": max, "stop": stops}),
            prompt: |p| format!("<s>[INST] {p} [/INST]"),
            invoke: |v| {
                (
                    s(&v["outputs"][0]["text"]).unwrap(),
                    s(&v["outputs"][0]["stop_reason"]).unwrap(),
                )
            },
            chunk: |v| {
                (
                    s(&v["outputs"][0]["text"]),
                    s(&v["outputs"][0]["stop_reason"]),
                )
            },
            reasons: ["stop", "length", "stop"],
            supports_stops: true,
        },
        Case {
            family: Family::MistralChat,
            model: "mistral.mistral-large-2407-v1:0",
            body: |p, max, stops| json!({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": p}], "max_tokens": max, "stop": stops}),
            prompt: |p| p.to_owned(),
            invoke: |v| {
                (
                    s(&v["choices"][0]["message"]["content"]).unwrap(),
                    s(&v["choices"][0]["stop_reason"]).unwrap(),
                )
            },
            chunk: |v| {
                (
                    s(&v["choices"][0]["message"]["content"]),
                    s(&v["choices"][0]["stop_reason"]),
                )
            },
            reasons: ["stop", "length", "stop"],
            supports_stops: true,
        },
        Case {
            family: Family::CohereCommand,
            model: "cohere.command-text-v14",
            body: |p, max, stops| json!({"prompt": p, "max_tokens": max, "stop_sequences": stops, "stream": true}),
            prompt: |p| p.to_owned(),
            invoke: |v| {
                (
                    s(&v["generations"][0]["text"]).unwrap(),
                    s(&v["generations"][0]["finish_reason"]).unwrap(),
                )
            },
            chunk: |v| {
                if v["is_finished"] == true {
                    (None, s(&v["finish_reason"]))
                } else {
                    (s(&v["text"]), None)
                }
            },
            reasons: ["COMPLETE", "MAX_TOKENS", "COMPLETE"],
            supports_stops: true,
        },
        Case {
            family: Family::CohereCommandR,
            model: "cohere.command-r-plus-v1:0",
            body: |p, max, stops| json!({"message": p, "chat_history": [{"role": "USER", "message": "Hi"}, {"role": "CHATBOT", "message": "Hello"}], "max_tokens": max, "stop_sequences": stops}),
            prompt: |p| p.to_owned(),
            invoke: |v| (s(&v["text"]).unwrap(), s(&v["finish_reason"]).unwrap()),
            chunk: |v| match v["event_type"].as_str().unwrap() {
                "text-generation" => (s(&v["text"]), None),
                "stream-end" => (None, s(&v["finish_reason"])),
                _ => (None, None),
            },
            reasons: ["COMPLETE", "MAX_TOKENS", "COMPLETE"],
            supports_stops: true,
        },
        Case {
            family: Family::Jamba,
            model: "ai21.jamba-1-5-mini-v1:0",
            body: |p, max, stops| json!({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": p}], "max_tokens": max, "stop": stops}),
            prompt: |p| p.to_owned(),
            invoke: |v| {
                (
                    s(&v["choices"][0]["message"]["content"]).unwrap(),
                    s(&v["choices"][0]["finish_reason"]).unwrap(),
                )
            },
            chunk: |v| {
                (
                    s(&v["choices"][0]["delta"]["content"]),
                    s(&v["choices"][0]["finish_reason"]),
                )
            },
            reasons: ["stop", "length", "stop"],
            supports_stops: true,
        },
    ]
}

fn expected(case: &Case, p: &str, max: u32, stops: &[&str]) -> Answer {
    let prompt = (case.prompt)(p);
    if case.family == Family::ClaudeText {
        claude_text_answer_with(&prompt, max, stops)
    } else {
        answer_for(&prompt, max, stops)
    }
}

fn prompt_for(case: &Case, question: &str) -> String {
    if case.family == Family::ClaudeText {
        format!("\n\nHuman: {question}\n\nAssistant:")
    } else {
        question.to_owned()
    }
}

/// Streams a body and returns (text, stop reason, decoded chunks).
async fn stream(server: &TestServer, case: &Case, body: &Value) -> (String, String, Vec<Value>) {
    let response = server
        .call(case.model, "invoke-with-response-stream", body)
        .await;
    assert_eq!(
        header(&response, "x-amzn-bedrock-content-type"),
        Some("application/json")
    );
    let messages = frames(response).await;
    let mut text = String::new();
    let mut reason = None;
    let mut chunks = Vec::new();
    for m in &messages {
        assert_event_frame(m);
        let chunk = chunk_json(m);
        let (piece, r) = (case.chunk)(&chunk);
        text.push_str(&piece.unwrap_or_default());
        if r.is_some() {
            assert!(reason.is_none(), "{:?}: two stop reasons", case.family);
            reason = r;
        }
        chunks.push(chunk);
    }
    (text, reason.expect("a stop reason"), chunks)
}

#[tokio::test]
async fn every_family_answers_deterministically_whole_and_streamed() {
    let server = TestServer::start(0).await;
    for case in cases() {
        let p = prompt_for(&case, "Tell me about event streams, please.");
        let want = expected(&case, &p, 1000, &[]);
        assert!(
            want.text().chars().any(|c| c.len_utf8() > 1),
            "multi-byte text"
        );
        assert!(
            want.text().contains("\n\n") || want.tokens.len() < 60,
            "paragraphs"
        );

        let body = (case.body)(&p, 1000, &[]);
        let response = server.call(case.model, "invoke", &body).await;
        assert_eq!(response.status(), 200, "{:?}", case.family);
        assert_eq!(header(&response, "content-type"), Some("application/json"));
        assert_eq!(
            header(&response, "x-amzn-bedrock-input-token-count"),
            Some(&*want.input_tokens.to_string())
        );
        assert_eq!(
            header(&response, "x-amzn-bedrock-output-token-count"),
            Some(&*want.output_tokens().to_string())
        );
        let id = request_id(&response);
        let json: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(
            (case.invoke)(&json),
            (want.text(), case.reasons[0].to_owned()),
            "{:?}",
            case.family
        );
        let record = server.wait_for_record(&id, |r| r.completed).await;
        assert_eq!(record.family.as_deref(), Some(case.family.name()));

        let (text, reason, chunks) = stream(&server, &case, &body).await;
        assert_eq!(
            (text, reason.as_str()),
            (want.text(), case.reasons[0]),
            "{:?}",
            case.family
        );
        // Metrics ride on the last chunk only.
        let last = chunks.last().unwrap();
        let metrics = &last["amazon-bedrock-invocationMetrics"];
        assert_eq!(
            metrics["inputTokenCount"], want.input_tokens,
            "{:?}",
            case.family
        );
        assert_eq!(metrics["outputTokenCount"], want.output_tokens());
        assert!(
            metrics["firstByteLatency"].as_u64().unwrap()
                <= metrics["invocationLatency"].as_u64().unwrap()
        );
        for chunk in &chunks[..chunks.len() - 1] {
            assert!(
                chunk.get("amazon-bedrock-invocationMetrics").is_none(),
                "{chunk}"
            );
        }
        if case.family == Family::Jamba {
            // The separate final "metering" chunk holds nothing else.
            assert_eq!(last.as_object().unwrap().len(), 1, "{last}");
        }
    }
}

#[tokio::test]
async fn every_family_honours_max_tokens_and_stop_sequences() {
    let server = TestServer::start(0).await;
    for case in cases() {
        let p = prompt_for(&case, "Explain checksums to a café owner.");
        // Max tokens.
        let want = expected(&case, &p, 5, &[]);
        assert_eq!(want.tokens.len(), 5);
        let body = (case.body)(&p, 5, &[]);
        let json: Value = serde_json::from_slice(
            &server
                .call(case.model, "invoke", &body)
                .await
                .bytes()
                .await
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            (case.invoke)(&json),
            (want.text(), case.reasons[1].to_owned()),
            "{:?}",
            case.family
        );
        let (text, reason, _) = stream(&server, &case, &body).await;
        assert_eq!((text, reason.as_str()), (want.text(), case.reasons[1]));

        if !case.supports_stops {
            continue;
        }
        // A stop sequence taken from the middle of the natural answer (multi-byte included).
        let natural = expected(&case, &p, 1000, &[]).text();
        let from = natural.char_indices().nth(30).unwrap().0;
        let stop: String = natural[from..].chars().take(4).collect();
        let want = expected(&case, &p, 1000, &[&stop, "never appears ⊗"]);
        assert_eq!(want.stop_reason, "stop_sequence");
        assert!(natural.starts_with(&want.text()) && want.text().len() < natural.len());
        let body = (case.body)(&p, 1000, &[&stop, "never appears ⊗"]);
        let json: Value = serde_json::from_slice(
            &server
                .call(case.model, "invoke", &body)
                .await
                .bytes()
                .await
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            (case.invoke)(&json),
            (want.text(), case.reasons[2].to_owned()),
            "{:?}",
            case.family
        );
        if case.family == Family::ClaudeMessages {
            assert_eq!(json["stop_sequence"], stop.as_str());
        }
        if case.family == Family::ClaudeText {
            assert_eq!(json["stop"], stop.as_str());
        }
        let (text, reason, _) = stream(&server, &case, &body).await;
        assert_eq!(
            (text, reason.as_str()),
            (want.text(), case.reasons[2]),
            "{:?}",
            case.family
        );
    }
}

#[tokio::test]
async fn the_seed_question_gets_the_seed_answer_from_chat_models_too() {
    let server = TestServer::start(0).await;
    for case in cases() {
        let p = prompt_for(&case, "What is your name?");
        if case.family == Family::Llama || case.family == Family::Mistral {
            continue; // Their prompt templates wrap the question.
        }
        let json: Value = serde_json::from_slice(
            &server
                .call(case.model, "invoke", &(case.body)(&p, 200, &[]))
                .await
                .bytes()
                .await
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            (case.invoke)(&json).0,
            " My name is Claude.",
            "{:?}",
            case.family
        );
    }
}

#[tokio::test]
async fn model_ids_profiles_and_arns_are_accepted() {
    let server = TestServer::start(0).await;
    let body = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 3,
                      "messages": [{"role": "user", "content": "Hi"}]});
    for model in [
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
        "eu.anthropic.claude-3-5-sonnet-20240620-v1:0",
        "apac.anthropic.claude-3-5-sonnet-20240620-v1:0",
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0",
        // Claude v2 takes Messages bodies too.
        "anthropic.claude-v2:1",
    ] {
        let response = server.call(model, "invoke", &body).await;
        assert_eq!(response.status(), 200, "{model}");
        let id = request_id(&response);
        let json: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(json["content"][0]["text"], answer_for("Hi", 3, &[]).text());
        assert!(json["id"].as_str().unwrap().starts_with("msg_bdrk_"));
        let record = server.record(&id);
        assert_eq!(record.model_id.as_deref(), Some(model));
        assert_eq!(record.family.as_deref(), Some("claude-messages"));
    }
    for bad in [
        "anthropic.claude-9",
        "amazon.titan-embed-text-v2:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
        "xx.anthropic.claude-3-haiku-20240307-v1:0",
    ] {
        let response = server.call(bad, "invoke", &body).await;
        assert_eq!(
            expect_error(response, 400, "ValidationException").await,
            "The provided model identifier is invalid.",
            "{bad}"
        );
    }
}

#[tokio::test]
async fn bodies_are_validated_like_bedrock() {
    let server = TestServer::start(0).await;
    let messages = json!([{"role": "user", "content": "Hi"}]);
    for (model, body, message) in [
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5, "messages": messages, "stream": true}),
            "Malformed input request: #: extraneous key [stream] is not permitted, please reformat your input and try again.",
        ),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5, "messages": messages, "model": "claude-3-haiku"}),
            "Malformed input request: #: extraneous key [model] is not permitted, please reformat your input and try again.",
        ),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            json!({"max_tokens": 5, "messages": messages}),
            "Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again.",
        ),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            json!({"anthropic_version": "bedrock-2023-05-31", "messages": messages}),
            "Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again.",
        ),
        (
            "meta.llama3-8b-instruct-v1:0",
            json!({"prompt": "hi", "max_tokens": 5}),
            "Malformed input request: #: extraneous key [max_tokens] is not permitted, please reformat your input and try again.",
        ),
        (
            "amazon.titan-text-express-v1",
            json!({"textGenerationConfig": {}}),
            "Malformed input request: #: required key [inputText] not found, please reformat your input and try again.",
        ),
        (
            "mistral.mistral-7b-instruct-v0:2",
            json!({"prompt": "hi", "max_tokens": "5"}),
            "Malformed input request: #/max_tokens: expected type: Integer, found: String, please reformat your input and try again.",
        ),
        (
            "amazon.nova-lite-v1:0",
            json!({"messages": [{"role": "user", "content": "hi"}]}),
            "Malformed input request: #/messages/0/content: expected type: JSONArray, found: String, please reformat your input and try again.",
        ),
        (
            "cohere.command-r-v1:0",
            json!({"prompt": "hi"}),
            "Malformed input request: #: extraneous key [prompt] is not permitted, please reformat your input and try again.",
        ),
    ] {
        let response = server.call(model, "invoke-with-response-stream", &body).await;
        assert_eq!(expect_error(response, 400, "ValidationException").await, message, "{model}");
    }
}

#[tokio::test]
async fn cohere_command_without_stream_true_sends_one_generations_chunk() {
    let server = TestServer::start(0).await;
    let body = json!({"prompt": "Write a haiku", "max_tokens": 40});
    let messages = frames(
        server
            .call(
                "cohere.command-light-text-v14",
                "invoke-with-response-stream",
                &body,
            )
            .await,
    )
    .await;
    assert_eq!(messages.len(), 1);
    let chunk = chunk_json(&messages[0]);
    let want = answer_for("Write a haiku", 40, &[]);
    assert_eq!(chunk["generations"][0]["text"], want.text());
    assert_eq!(chunk["generations"][0]["finish_reason"], "MAX_TOKENS");
    assert_eq!(
        chunk["amazon-bedrock-invocationMetrics"]["outputTokenCount"],
        40
    );
    // Cohere Command's default max_tokens is 20.
    let json: Value = serde_json::from_slice(
        &server
            .call(
                "cohere.command-text-v14",
                "invoke",
                &json!({"prompt": "Write a haiku"}),
            )
            .await
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        json["generations"][0]["text"],
        answer_for("Write a haiku", 20, &[]).text()
    );
}
