//! The JSON operations beyond the four text calls (CountTokens, ApplyGuardrail,
//! InvokeGuardrailChecks, StartAsyncInvoke, GetAsyncInvoke, ListAsyncInvokes): routes, label
//! escaping, query strings, methods and bodies, as the AWS SDK puts them on the wire
//! (`tests/fixtures/sdk-snapshots/`), and their typed bodies.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use std::time::{Duration, UNIX_EPOCH};

use bedrock_wasm::bedrock::async_invoke::{
    uuid_v4, AsyncInvokeOutputDataConfig, AsyncInvokeS3OutputDataConfig, GetAsyncInvokeResponse,
    ListAsyncInvokesQuery, ListAsyncInvokesResponse, StartAsyncInvokeRequest,
};
use bedrock_wasm::bedrock::converse::{Blob, Message};
use bedrock_wasm::bedrock::count_tokens::{
    ConverseTokensRequest, CountTokensInput, CountTokensRequest, CountTokensResponse,
    InvokeModelTokensRequest,
};
use bedrock_wasm::bedrock::guardrail::{
    ApplyGuardrailRequest, ApplyGuardrailResponse, GuardrailContentBlock, GuardrailTextBlock,
};
use bedrock_wasm::bedrock::{Endpoint, ErrorKind, HttpRequest, Operation, Target};
use bedrock_wasm::sign::{Auth, Credentials, EndpointPolicy};
use serde_json::json;

const BASE: &str = "https://bedrock-runtime.us-east-1.amazonaws.com";

fn endpoint() -> Endpoint {
    Endpoint::aws("us-east-1").unwrap()
}

fn request(op: Operation, target: Target<'_>, body: &[u8]) -> HttpRequest {
    HttpRequest::json(&endpoint(), op, target, body.to_vec()).unwrap()
}

#[test]
fn every_operation_has_its_name_method_and_route() {
    let query = ListAsyncInvokesQuery::default();
    let cases = [
        (
            Operation::CountTokens,
            Target::Model("anthropic.claude-3-haiku-20240307-v1:0"),
            "POST",
            "/model/anthropic.claude-3-haiku-20240307-v1%3A0/count-tokens",
        ),
        (
            Operation::ApplyGuardrail,
            Target::Guardrail {
                identifier: "gr1a2b3c4d5e",
                version: "DRAFT",
            },
            "POST",
            "/guardrail/gr1a2b3c4d5e/version/DRAFT/apply",
        ),
        (
            Operation::InvokeGuardrailChecks,
            Target::None,
            "POST",
            "/guardrail-checks/invoke",
        ),
        (
            Operation::StartAsyncInvoke,
            Target::None,
            "POST",
            "/async-invoke",
        ),
        (
            Operation::GetAsyncInvoke,
            Target::AsyncInvoke("abc"),
            "GET",
            "/async-invoke/abc",
        ),
        (
            Operation::ListAsyncInvokes,
            Target::AsyncInvokes(&query),
            "GET",
            "/async-invoke",
        ),
    ];
    for (op, target, method, path) in cases {
        assert_eq!(Operation::from_name(op.name()), Some(op));
        assert_eq!(op.method(), method);
        assert!(!op.is_streaming());
        let body: &[u8] = if method == "GET" { b"" } else { b"{}" };
        let req = request(op, target, body);
        assert_eq!(req.method, method, "{op:?}");
        assert_eq!(req.url, format!("{BASE}{path}"), "{op:?}");
        if method == "GET" {
            assert!(req.headers.is_empty(), "a GET sends no content-type");
            assert!(req.body.is_empty());
        } else {
            assert_eq!(req.header("content-type"), Some("application/json"));
            assert_eq!(req.body, b"{}");
        }
    }
    assert_eq!(Operation::ALL.len(), 10);
    assert_eq!(
        Operation::from_name("InvokeModelWithBidirectionalStream"),
        None
    );
}

#[test]
fn labels_are_one_path_segment_and_signed_double_encoded() {
    let guardrail_arn = "arn:aws:bedrock:us-east-1:123456789012:guardrail/gr1a2b3c4d5e";
    let req = request(
        Operation::ApplyGuardrail,
        Target::Guardrail {
            identifier: guardrail_arn,
            version: "12",
        },
        b"{}",
    );
    assert_eq!(
        req.url,
        format!(
            "{BASE}/guardrail/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aguardrail%2Fgr1a2b3c4d5e/version/12/apply"
        )
    );
    let invocation = "arn:aws:bedrock:us-east-1:123456789012:async-invoke/x1y2 z+é";
    let mut req = request(
        Operation::GetAsyncInvoke,
        Target::AsyncInvoke(invocation),
        b"",
    );
    assert_eq!(
        req.url,
        format!(
            "{BASE}/async-invoke/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aasync-invoke%2Fx1y2%20z%2B%C3%A9"
        )
    );
    // Signed like every other request (the canonical URI escapes the escapes, SigV4's double
    // encoding for every service but S3; the emulator's own verifier checks that end to end).
    let time = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let auth = Auth::SigV4(Credentials::new("AKID", "secret", None));
    req.authorize(&auth, "us-east-1", time, EndpointPolicy::SecureOrLoopback)
        .unwrap();
    let authorization = req.header("authorization").unwrap();
    assert!(authorization.contains("/us-east-1/bedrock/aws4_request"));
    assert!(
        authorization.contains("SignedHeaders=host;x-amz-date,"),
        "a GET signs no content-type: {authorization}"
    );
}

#[test]
fn list_async_invokes_query_in_the_sdk_order_and_escaped() {
    let query = ListAsyncInvokesQuery {
        submit_time_after: Some("2000-01-01T04:59:59.999Z".into()),
        submit_time_before: Some("2000-01-01T04:59:59.999Z".into()),
        status_equals: Some("InProgress".into()),
        max_results: Some(1),
        next_token: Some("a+b/c=".into()),
        sort_by: Some("SubmissionTime".into()),
        sort_order: Some("Ascending".into()),
    };
    let req = request(
        Operation::ListAsyncInvokes,
        Target::AsyncInvokes(&query),
        b"",
    );
    assert_eq!(
        req.url,
        format!(
            "{BASE}/async-invoke?submitTimeAfter=2000-01-01T04%3A59%3A59.999Z&submitTimeBefore=2000-01-01T04%3A59%3A59.999Z&statusEquals=InProgress&maxResults=1&nextToken=a%2Bb%2Fc%3D&sortBy=SubmissionTime&sortOrder=Ascending"
        )
    );
    let only_status = ListAsyncInvokesQuery {
        status_equals: Some("Failed".into()),
        ..Default::default()
    };
    let req = request(
        Operation::ListAsyncInvokes,
        Target::AsyncInvokes(&only_status),
        b"",
    );
    assert_eq!(req.url, format!("{BASE}/async-invoke?statusEquals=Failed"));
}

#[test]
fn bad_targets_and_labels_are_typed_input_errors() {
    let bad = |op, target: Target<'_>, body: &[u8]| {
        HttpRequest::json(&endpoint(), op, target, body.to_vec()).unwrap_err()
    };
    let long = "x".repeat(2049);
    let huge_token = ListAsyncInvokesQuery {
        next_token: Some(long.clone()),
        ..Default::default()
    };
    let errors = [
        bad(Operation::CountTokens, Target::Model(""), b"{}"),
        bad(Operation::CountTokens, Target::Model(&long), b"{}"),
        bad(
            Operation::ApplyGuardrail,
            Target::Guardrail {
                identifier: "",
                version: "1",
            },
            b"{}",
        ),
        bad(
            Operation::ApplyGuardrail,
            Target::Guardrail {
                identifier: "g",
                version: "",
            },
            b"{}",
        ),
        bad(Operation::GetAsyncInvoke, Target::AsyncInvoke(""), b""),
        bad(Operation::GetAsyncInvoke, Target::AsyncInvoke("a"), b"{}"),
        bad(
            Operation::ListAsyncInvokes,
            Target::AsyncInvokes(&huge_token),
            b"",
        ),
        // A target that does not fit the operation.
        bad(Operation::ApplyGuardrail, Target::None, b"{}"),
        bad(Operation::StartAsyncInvoke, Target::Model("m"), b"{}"),
        bad(Operation::InvokeModel, Target::Model("m"), b"{}"),
    ];
    for e in errors {
        assert!(matches!(e.kind(), ErrorKind::Input(_)), "{e}");
        assert!(!e.to_string().is_empty());
    }
    let e = bad(
        Operation::ApplyGuardrail,
        Target::Guardrail {
            identifier: "",
            version: "1",
        },
        b"{}",
    );
    assert!(e.to_string().contains("guardrailIdentifier"), "{e}");
}

#[test]
fn typed_bodies_have_the_service_shape() {
    let count = CountTokensRequest {
        input: CountTokensInput::InvokeModel(InvokeModelTokensRequest {
            body: Blob(vec![1, 0, 0, 1]),
        }),
    };
    assert_eq!(
        serde_json::to_value(&count).unwrap(),
        json!({"input": {"invokeModel": {"body": "AQAAAQ=="}}})
    );
    let count = CountTokensRequest {
        input: CountTokensInput::Converse(ConverseTokensRequest {
            messages: vec![Message::user("Hi")],
            ..Default::default()
        }),
    };
    assert_eq!(
        serde_json::to_value(&count).unwrap(),
        json!({"input": {"converse": {"messages": [{"role": "user", "content": [{"text": "Hi"}]}]}}})
    );
    let answer: CountTokensResponse = serde_json::from_str(r#"{"inputTokens":7}"#).unwrap();
    assert_eq!(answer.input_tokens, 7);

    let apply = ApplyGuardrailRequest {
        source: "INPUT".into(),
        content: vec![GuardrailContentBlock::Text(GuardrailTextBlock {
            text: "hello".into(),
            qualifiers: vec!["query".into()],
            ..Default::default()
        })],
        output_scope: Some("FULL".into()),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&apply).unwrap(),
        json!({"source": "INPUT", "content": [{"text": {"text": "hello", "qualifiers": ["query"]}}], "outputScope": "FULL"})
    );
    let answer: ApplyGuardrailResponse = serde_json::from_value(json!({
        "usage": {"topicPolicyUnits": 1},
        "action": "GUARDRAIL_INTERVENED",
        "actionReason": "Guardrail blocked.",
        "outputs": [{"text": "Sorry."}],
        "assessments": [{"topicPolicy": {"topics": []}}],
        "newMember2026": true
    }))
    .unwrap();
    assert!(answer.intervened());
    assert_eq!(answer.outputs[0].text.as_deref(), Some("Sorry."));
    assert_eq!(
        answer.extra["newMember2026"],
        json!(true),
        "unknown members are kept"
    );

    let start = StartAsyncInvokeRequest {
        model_id: "amazon.nova-reel-v1:1".into(),
        model_input: json!({"taskType": "TEXT_VIDEO"}),
        output_data_config: AsyncInvokeOutputDataConfig {
            s3_output_data_config: Some(AsyncInvokeS3OutputDataConfig {
                s3_uri: "s3://bucket/videos".into(),
                ..Default::default()
            }),
            ..Default::default()
        },
        client_request_token: Some("t".into()),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_string(&start).unwrap(),
        r#"{"modelId":"amazon.nova-reel-v1:1","modelInput":{"taskType":"TEXT_VIDEO"},"outputDataConfig":{"s3OutputDataConfig":{"s3Uri":"s3://bucket/videos"}},"clientRequestToken":"t"}"#,
        "the SDK's member order"
    );
    let got: GetAsyncInvokeResponse = serde_json::from_value(json!({
        "invocationArn": "arn:a", "modelArn": "arn:m", "status": "Completed",
        "submitTime": "2026-12-04T10:00:00.000Z", "endTime": "2026-12-04T10:01:00Z",
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://b/p"}}
    }))
    .unwrap();
    assert_eq!(got.status, "Completed");
    assert_eq!(got.end_time.as_deref(), Some("2026-12-04T10:01:00Z"));
    let list: ListAsyncInvokesResponse =
        serde_json::from_value(json!({"asyncInvokeSummaries": [], "nextToken": "n"})).unwrap();
    assert_eq!(list.next_token.as_deref(), Some("n"));
}

#[test]
fn idempotency_tokens_are_version_4_uuids() {
    assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
    assert_eq!(uuid_v4([0xff; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
}
