//! Golden requests: the exact method, URL, headers and body of each operation, and how
//! they are authorized (SigV4 with a clock offset, or a Bedrock API key).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use std::time::{Duration, UNIX_EPOCH};

use bedrock_wasm::bedrock::converse::{
    Blob, CachePoint, ContentBlock, ConverseRequest, GuardrailConfig, ImageBlock, InferenceConfig,
    MediaSource, Message, OutputConfig, OutputFormat, PerformanceConfig, ReasoningContentBlock,
    ReasoningText, ServiceTier, SystemContentBlock, Tool, ToolConfig, ToolResultBlock,
    ToolResultContent, ToolSpec, ToolUseBlock,
};
use bedrock_wasm::bedrock::{
    ConverseInput, Endpoint, Error, ErrorKind, HttpRequest, InvokeModelInput, Operation,
};
use bedrock_wasm::sign::{signing_time, ApiKey, Auth, Credentials, EndpointPolicy};

const POLICY: EndpointPolicy = EndpointPolicy::SecureOrLoopback;
use serde_json::json;

fn endpoint() -> Endpoint {
    Endpoint::aws("us-east-1").unwrap()
}

fn pairs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

const CLAUDE_V2_BODY: &str =
    r#"{"prompt":"\n\nHuman:What is your name?\n\nAssistant:","max_tokens_to_sample":200}"#;

#[test]
fn invoke_model_golden() {
    let mut input = InvokeModelInput::new("anthropic.claude-v2", CLAUDE_V2_BODY);
    input.trace = Some("ENABLED".into());
    input.guardrail_identifier = Some("gr-abc123".into());
    input.guardrail_version = Some("DRAFT".into());
    input.performance_config_latency = Some("optimized".into());
    input.service_tier = Some("priority".into());
    input.request_metadata = Some(r#"{"team":"web"}"#.into());
    let req = HttpRequest::invoke(&endpoint(), Operation::InvokeModel, &input).unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.url,
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2/invoke"
    );
    assert_eq!(
        pairs(&req.headers),
        vec![
            ("accept", "application/json"),
            ("content-type", "application/json"),
            ("x-amzn-bedrock-trace", "ENABLED"),
            ("x-amzn-bedrock-guardrailidentifier", "gr-abc123"),
            ("x-amzn-bedrock-guardrailversion", "DRAFT"),
            ("x-amzn-bedrock-performanceconfig-latency", "optimized"),
            ("x-amzn-bedrock-service-tier", "priority"),
            ("x-amzn-bedrock-request-metadata", r#"{"team":"web"}"#),
        ]
    );
    assert_eq!(
        req.body,
        CLAUDE_V2_BODY.as_bytes(),
        "the body is sent byte for byte"
    );
}

#[test]
fn invoke_model_with_response_stream_golden() {
    let mut input = InvokeModelInput::new(
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz",
        CLAUDE_V2_BODY,
    );
    input.accept = Some("*/*".into());
    let req = HttpRequest::invoke(
        &endpoint(),
        Operation::InvokeModelWithResponseStream,
        &input,
    )
    .unwrap();
    // BEDROCK.md §1.6: the ARN is one path segment, `:` → %3A and `/` → %2F.
    assert_eq!(
        req.url,
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fabc123xyz/invoke-with-response-stream"
    );
    assert_eq!(
        pairs(&req.headers),
        vec![
            ("x-amzn-bedrock-accept", "*/*"),
            ("content-type", "application/json")
        ]
    );
}

#[test]
fn converse_and_converse_stream_golden() {
    let request = ConverseRequest {
        messages: vec![Message::user("Hi")],
        inference_config: Some(InferenceConfig {
            max_tokens: Some(256),
            ..Default::default()
        }),
        ..Default::default()
    };
    let input = ConverseInput {
        model_id: "us.anthropic.claude-3-5-sonnet-20240620-v1:0".into(),
        request,
    };
    let once = HttpRequest::converse(&endpoint(), false, &input).unwrap();
    let stream = HttpRequest::converse(&endpoint(), true, &input).unwrap();
    let base = "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0";
    assert_eq!(once.url, format!("{base}/converse"));
    assert_eq!(stream.url, format!("{base}/converse-stream"));
    for req in [&once, &stream] {
        assert_eq!(req.method, "POST");
        assert_eq!(
            pairs(&req.headers),
            vec![("content-type", "application/json")]
        );
        assert_eq!(
            std::str::from_utf8(&req.body).unwrap(),
            r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":256}}"#
        );
    }
}

#[test]
fn converse_body_carries_every_field_in_the_service_shape() {
    let request = ConverseRequest {
        messages: vec![
            Message {
                role: "user".into(),
                content: vec![
                    ContentBlock::Text("What is in this picture?".into()),
                    ContentBlock::Image(ImageBlock {
                        format: "png".into(),
                        source: MediaSource::Bytes(Blob(vec![0x89, b'P', b'N', b'G'])),
                        extra: Default::default(),
                    }),
                ],
            },
            Message {
                role: "assistant".into(),
                content: vec![
                    ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(
                        ReasoningText {
                            text: "Look first.".into(),
                            signature: Some("sig".into()),
                        },
                    )),
                    ContentBlock::ToolUse(ToolUseBlock {
                        tool_use_id: "t1".into(),
                        name: "look".into(),
                        input: json!({"zoom": 2}),
                        extra: Default::default(),
                    }),
                ],
            },
            Message {
                role: "user".into(),
                content: vec![ContentBlock::ToolResult(ToolResultBlock {
                    tool_use_id: "t1".into(),
                    content: vec![ToolResultContent::Json(json!({"seen": "a cat"}))],
                    status: Some("success".into()),
                    extra: Default::default(),
                })],
            },
        ],
        system: vec![
            SystemContentBlock::Text("Be brief.".into()),
            SystemContentBlock::CachePoint(CachePoint::new(Some("1h"))),
        ],
        inference_config: Some(InferenceConfig {
            max_tokens: Some(100),
            temperature: Some(0.5),
            top_p: Some(0.9),
            stop_sequences: vec!["END".into()],
            extra: Default::default(),
        }),
        tool_config: Some(ToolConfig {
            tools: vec![Tool::ToolSpec(ToolSpec {
                name: "look".into(),
                description: Some("Looks closer".into()),
                input_schema: json!({"json": {"type": "object"}}),
                strict: Some(true),
                extra: Default::default(),
            })],
            tool_choice: Some(json!({"auto": {}})),
            extra: Default::default(),
        }),
        guardrail_config: Some(GuardrailConfig {
            guardrail_identifier: "gr-1".into(),
            guardrail_version: "1".into(),
            trace: Some("enabled".into()),
            stream_processing_mode: None,
            extra: Default::default(),
        }),
        additional_model_request_fields: Some(json!({"top_k": 250})),
        additional_model_response_field_paths: vec!["/stop_sequence".into()],
        request_metadata: [("team".to_owned(), "web".to_owned())].into(),
        performance_config: Some(PerformanceConfig {
            latency: "optimized".into(),
        }),
        service_tier: Some(ServiceTier {
            kind: "flex".into(),
        }),
        output_config: Some(OutputConfig {
            text_format: Some(OutputFormat {
                kind: "json_schema".into(),
                structure: json!({"jsonSchema": {"schema": "{\"type\":\"object\"}", "name": "answer"}}),
                ..Default::default()
            }),
            effort: Some("high".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let body: serde_json::Value = serde_json::to_value(&request).unwrap();
    assert_eq!(
        body,
        json!({
            "messages": [
                {"role": "user", "content": [
                    {"text": "What is in this picture?"},
                    {"image": {"format": "png", "source": {"bytes": "iVBORw=="}}}
                ]},
                {"role": "assistant", "content": [
                    {"reasoningContent": {"reasoningText": {"text": "Look first.", "signature": "sig"}}},
                    {"toolUse": {"toolUseId": "t1", "name": "look", "input": {"zoom": 2}}}
                ]},
                {"role": "user", "content": [
                    {"toolResult": {"toolUseId": "t1", "content": [{"json": {"seen": "a cat"}}], "status": "success"}}
                ]}
            ],
            "system": [{"text": "Be brief."}, {"cachePoint": {"type": "default", "ttl": "1h"}}],
            "inferenceConfig": {"maxTokens": 100, "temperature": 0.5, "topP": 0.9, "stopSequences": ["END"]},
            "toolConfig": {
                "tools": [{"toolSpec": {"name": "look", "description": "Looks closer", "inputSchema": {"json": {"type": "object"}}, "strict": true}}],
                "toolChoice": {"auto": {}}
            },
            "guardrailConfig": {"guardrailIdentifier": "gr-1", "guardrailVersion": "1", "trace": "enabled"},
            "additionalModelRequestFields": {"top_k": 250},
            "additionalModelResponseFieldPaths": ["/stop_sequence"],
            "requestMetadata": {"team": "web"},
            "performanceConfig": {"latency": "optimized"},
            "serviceTier": {"type": "flex"},
            "outputConfig": {
                "textFormat": {"type": "json_schema", "structure": {"jsonSchema": {"schema": "{\"type\":\"object\"}", "name": "answer"}}},
                "effort": "high"
            }
        })
    );
    // The same JSON reads back into the same request (nothing lost either way).
    assert_eq!(
        serde_json::from_value::<ConverseRequest>(body).unwrap(),
        request
    );
}

#[test]
fn unknown_converse_fields_pass_through() {
    let raw = json!({
        "messages": [{"role": "user", "content": [{"text": "Hi"}, {"video": {"format": "mp4"}}]}],
        "outputConfig": {"textFormat": {"type": "json_schema"}, "newKnob2027": 1},
        "toolConfig": {"tools": [{"systemTool": {"name": "nova_grounding"}}, {"cachePoint": {"type": "default"}}]},
        "futureMember": {"any": ["json"]},
    });
    let request: ConverseRequest = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(serde_json::to_value(&request).unwrap(), raw);
}

#[test]
fn sigv4_with_a_clock_offset_signs_the_corrected_time() {
    let input = InvokeModelInput::new("anthropic.claude-v2", CLAUDE_V2_BODY);
    let mut req = HttpRequest::invoke(&endpoint(), Operation::InvokeModel, &input).unwrap();
    let creds = Credentials::new("AKIDEXAMPLE", "secret", Some("token".into()));
    // Local clock 2025-01-15T12:00:00Z, but the server is 7 minutes ahead.
    let now_ms = 1_736_942_400_000.0;
    let time = signing_time(now_ms, 7.0 * 60_000.0).unwrap();
    assert_eq!(time, UNIX_EPOCH + Duration::from_secs(1_736_942_400 + 420));
    req.authorize(&Auth::SigV4(creds), "us-east-1", time, POLICY)
        .unwrap();
    assert_eq!(req.header("x-amz-date"), Some("20250115T120700Z"));
    assert_eq!(req.header("x-amz-security-token"), Some("token"));
    let auth = req.header("authorization").unwrap();
    assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-east-1/bedrock/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token, Signature="), "{auth}");
}

#[test]
fn a_bedrock_api_key_is_a_bearer_token_without_sigv4() {
    let input = InvokeModelInput::new("anthropic.claude-v2", CLAUDE_V2_BODY);
    let mut req = HttpRequest::invoke(&endpoint(), Operation::InvokeModel, &input).unwrap();
    let key = ApiKey::new("ABSKexample-key");
    assert_eq!(format!("{key:?}"), "ApiKey(** redacted **)");
    req.authorize(&Auth::Bearer(key), "us-east-1", UNIX_EPOCH, POLICY)
        .unwrap();
    assert_eq!(req.header("authorization"), Some("Bearer ABSKexample-key"));
    assert_eq!(req.header("x-amz-date"), None);
    let err = HttpRequest::invoke(&endpoint(), Operation::InvokeModel, &input)
        .unwrap()
        .authorize(
            &Auth::Bearer(ApiKey::new(" ")),
            "us-east-1",
            UNIX_EPOCH,
            POLICY,
        )
        .unwrap_err();
    assert!(err.to_string().contains("API key is empty"), "{err}");
}

#[test]
fn bad_input_is_a_typed_error_that_says_what_to_do() {
    let e = |r: Result<HttpRequest, Error>| match r.unwrap_err().kind() {
        ErrorKind::Input(m) => m.clone(),
        other => panic!("{other:?}"),
    };
    let mut input = InvokeModelInput::new("", "{}");
    assert!(e(HttpRequest::invoke(
        &endpoint(),
        Operation::InvokeModel,
        &input
    ))
    .contains("model id"));
    input.model_id = "anthropic.claude-v2".into();
    input.guardrail_identifier = Some("gr".into());
    assert!(e(HttpRequest::invoke(
        &endpoint(),
        Operation::InvokeModel,
        &input
    ))
    .contains("guardrailVersion"));
    let converse = ConverseInput {
        model_id: "m".into(),
        request: ConverseRequest::default(),
    };
    assert!(e(HttpRequest::converse(&endpoint(), true, &converse)).contains("at least one message"));
    assert!(e(HttpRequest::invoke(
        &endpoint(),
        Operation::Converse,
        &InvokeModelInput::new("m", "{}")
    ))
    .contains("Converse body"));
    assert!(matches!(
        Endpoint::aws("US East").map_err(|e| e.kind().clone()),
        Err(ErrorKind::Input(_))
    ));
    assert!(matches!(
        Endpoint::custom("ftp://x", "us-east-1").map_err(|e| e.kind().clone()),
        Err(ErrorKind::Input(_))
    ));
    assert_eq!(
        Endpoint::from_parts(Some("  "), "eu-west-3")
            .unwrap()
            .base(),
        "https://bedrock-runtime.eu-west-3.amazonaws.com"
    );
    assert_eq!(
        Endpoint::from_parts(Some("http://127.0.0.1:4010/"), "us-east-1")
            .unwrap()
            .base(),
        "http://127.0.0.1:4010"
    );
}

#[test]
fn a_recorded_converse_response_parses_and_keeps_unmodeled_fields() {
    use bedrock_wasm::bedrock::converse::ConverseResponse;
    let body = include_bytes!("fixtures/converse/langchain-aws-test_thinking-v0.converse.json");
    let r: ConverseResponse = serde_json::from_slice(body).unwrap();
    assert_eq!(r.stop_reason, "end_turn");
    assert_eq!(
        (
            r.usage.input_tokens,
            r.usage.output_tokens,
            r.usage.total_tokens
        ),
        (1276, 1306, 2582)
    );
    assert_eq!(r.usage.cache_read_input_tokens, Some(0));
    assert_eq!(r.usage.extra["serverToolUsage"], json!({}));
    assert_eq!(r.metrics.latency_ms, 10965);
    let message = r.output.message.as_ref().unwrap();
    assert_eq!(message.role, "assistant");
    match &message.content[0] {
        ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(t)) => {
            assert!(t.text.starts_with("I'm working through the formula"));
            assert!(t.signature.as_deref().unwrap().starts_with("EsgECmQIDxAB"));
        }
        other => panic!("expected reasoning first, got {other:?}"),
    }
    assert!(r.text().starts_with("## Setting Up the Problem"));
    // Unknown fields survive a round trip, so nothing the service sent is lost.
    let again: serde_json::Value = serde_json::to_value(&r).unwrap();
    let original: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(again, original);
}

/// Input that `aws-sigv4` (or the `time` crate under it) would panic on is refused with a
/// typed error: a URL without a host, a time past the year 9999, a non-finite clock.
#[test]
fn unsignable_input_is_a_typed_error_not_a_panic() {
    use bedrock_wasm::sign::{
        authorize, time_from_epoch_millis, SignErrorKind, MAX_SIGNING_EPOCH_MS,
    };
    let creds = Auth::SigV4(Credentials::new("AKIDEXAMPLE", "secret", None));
    let sign =
        |url: &str, time| authorize(&creds, "POST", url, &[], b"", "us-east-1", time, POLICY);
    let now = UNIX_EPOCH + Duration::from_secs(1_736_942_400);
    for url in [
        "/model/x/invoke",
        "model/x",
        "",
        "https://",
        "https:///x",
        "ftp://h/x",
        "https://u:p@h/x",
        "http://[::1",
    ] {
        let e = sign(url, now).unwrap_err();
        assert_eq!(e.kind(), SignErrorKind::InvalidUrl, "{url}: {e}");
    }
    for ms in [
        f64::NAN,
        f64::INFINITY,
        -1.0,
        MAX_SIGNING_EPOCH_MS + 1000.0,
        1e300,
    ] {
        assert_eq!(
            time_from_epoch_millis(ms).unwrap_err().kind(),
            SignErrorKind::InvalidTime,
            "{ms}"
        );
        if ms != -1.0 {
            assert!(
                signing_time(1_736_942_400_000.0, ms).is_err(),
                "offset {ms}"
            );
        }
    }
    // The last second SigV4 can name still signs.
    let last = time_from_epoch_millis(MAX_SIGNING_EPOCH_MS).unwrap();
    let headers = sign(
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/x/invoke",
        last,
    )
    .unwrap();
    assert!(headers
        .iter()
        .any(|(k, v)| k == "x-amz-date" && v == "99991231T235959Z"));
    // Past it, even when handed a SystemTime directly.
    let past = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
    let e = sign(
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/x/invoke",
        past,
    )
    .unwrap_err();
    assert_eq!(e.kind(), SignErrorKind::InvalidTime);
}

#[test]
fn credentials_go_only_over_https_or_to_loopback() {
    use bedrock_wasm::sign::{authorize, SignErrorKind};
    let now = UNIX_EPOCH + Duration::from_secs(1_736_942_400);
    for auth in [
        Auth::SigV4(Credentials::new("AKIDEXAMPLE", "secret", None)),
        Auth::Bearer(ApiKey::new("key")),
    ] {
        let sign =
            |url: &str, policy| authorize(&auth, "post", url, &[], b"", "us-east-1", now, policy);
        for ok in [
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/x/invoke",
            "HTTPS://example.com/x",
            "http://127.0.0.1:4010/model/x/invoke",
            "http://127.9.9.9/x",
            "http://localhost:8080/x",
            "http://LOCALHOST./x",
            "http://app.localhost/x",
            "http://[::1]:4010/x",
        ] {
            assert!(sign(ok, POLICY).is_ok(), "{ok}");
        }
        for refused in [
            "http://example.com/x",
            "http://10.0.0.1/x",
            "http://127.0.0.1.example.com/x",
            "http://[::2]/x",
            "http://localhost.example.com/x",
        ] {
            let e = sign(refused, POLICY).unwrap_err();
            assert_eq!(e.kind(), SignErrorKind::InsecureEndpoint, "{refused}");
            assert!(e.to_string().contains("allowInsecureEndpoint"), "{e}");
            assert!(
                sign(refused, EndpointPolicy::AllowInsecure).is_ok(),
                "{refused}"
            );
        }
    }
    // The method is signed upper-cased, as fetch sends it.
    let creds = Auth::SigV4(Credentials::new("AKIDEXAMPLE", "secret", None));
    let url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/x/invoke";
    let lower = authorize(&creds, "post", url, &[], b"{}", "us-east-1", now, POLICY).unwrap();
    let upper = authorize(&creds, "POST", url, &[], b"{}", "us-east-1", now, POLICY).unwrap();
    assert_eq!(lower, upper);
}

#[test]
fn loopback_hosts_are_recognised_by_hand() {
    use bedrock_wasm::sign::is_loopback_host;
    for yes in [
        "localhost",
        "LocalHost.",
        "a.localhost",
        "127.0.0.1",
        "127.255.0.9",
        "::1",
        "0:0:0:0:0:0:0:1",
        "0::1",
        "::0001",
    ] {
        assert!(is_loopback_host(yes), "{yes}");
    }
    for no in [
        "",
        "example.com",
        "localhost.com",
        "127.0.0",
        "127.0.0.1.5",
        "127.0.0.256",
        "127.a.0.1",
        "128.0.0.1",
        "::",
        "::2",
        "1::1",
        "0:0:0:0:0:0:1",
        "::1:0",
        "[::1]",
        "12345::1",
    ] {
        assert!(!is_loopback_host(no), "{no}");
    }
}

#[test]
fn the_2026_response_members_are_typed_and_unknown_ones_kept() {
    use bedrock_wasm::bedrock::converse::{CacheDetail, ConverseResponse};
    let raw = json!({
        "output": {"message": {"role": "assistant", "content": [
            {"text": "{\"answer\":42}"},
            {"cachePoint": {"type": "default", "ttl": "5m"}}
        ]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15,
                  "cacheReadInputTokens": 0, "cacheWriteInputTokens": 1200,
                  "cacheDetails": [{"ttl": "1h", "inputTokens": 1000}, {"ttl": "5m", "inputTokens": 200}]},
        "metrics": {"latencyMs": 99},
        "newResponseMember2027": {"x": 1}
    });
    let response: ConverseResponse = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(
        response.usage.cache_details,
        vec![
            CacheDetail {
                ttl: "1h".into(),
                input_tokens: 1000
            },
            CacheDetail {
                ttl: "5m".into(),
                input_tokens: 200
            }
        ]
    );
    let message = response.output.message.as_ref().unwrap();
    assert_eq!(
        message.content[1],
        ContentBlock::CachePoint(CachePoint::new(Some("5m")))
    );
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        raw,
        "nothing lost either way"
    );
}
