//! What a response means, whichever API sent it: a Converse response read as the same
//! [`Output`] a ConverseStream gives, and the token counts to report.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use bedrock_wasm::bedrock::converse::ConverseResponse;
use bedrock_wasm::bedrock::{Output, ToolUse};
use serde_json::json;

#[test]
fn a_converse_response_keeps_reasoning_tool_uses_and_cache_counts() {
    let response: ConverseResponse = serde_json::from_value(json!({
        "output": {"message": {"role": "assistant", "content": [
            {"reasoningContent": {"reasoningText": {"text": "Think. ", "signature": "sig"}}},
            {"reasoningContent": {"redactedContent": "AQID"}},
            {"text": "Sunny "},
            {"toolUse": {"toolUseId": "t1", "name": "weather", "input": {"city": "Paris"}}},
            {"text": "in Paris."}
        ]}},
        "stopReason": "tool_use",
        "usage": {"inputTokens": 12, "outputTokens": 7, "totalTokens": 19,
                  "cacheReadInputTokens": 100, "cacheWriteInputTokens": 3},
        "metrics": {"latencyMs": 321}
    }))
    .unwrap();
    let out = response.to_output();
    assert_eq!(out.text, "Sunny in Paris.");
    assert_eq!(out.reasoning, "Think. ");
    assert_eq!(out.reasoning_signature.as_deref(), Some("sig"));
    assert_eq!(out.redacted_reasoning, ["AQID"]);
    assert_eq!(
        out.tool_uses,
        [ToolUse::new("t1", "weather", json!({"city": "Paris"}))]
    );
    assert_eq!(out.stop_reason.as_deref(), Some("tool_use"));
    let u = out.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens, u.total()), (12, 7, 19));
    assert_eq!(u.cache_read_input_tokens, Some(100));
    assert_eq!(u.cache_write_input_tokens, Some(3));
    assert_eq!(out.latency_ms, Some(321));
}

#[test]
fn token_usage_falls_back_to_the_invocation_metrics_and_totals() {
    use bedrock_wasm::bedrock::{InvocationMetrics, Usage};
    let mut o = Output::default();
    assert_eq!(o.token_usage(), None);
    o.metrics = Some(InvocationMetrics {
        input_token_count: 3,
        output_token_count: 4,
        cache_read_input_token_count: Some(2),
        ..InvocationMetrics::default()
    });
    let from_metrics = o.token_usage().unwrap();
    assert_eq!(
        (
            from_metrics.input_tokens,
            from_metrics.output_tokens,
            from_metrics.total_tokens
        ),
        (3, 4, Some(7))
    );
    assert_eq!(from_metrics.cache_read_input_tokens, Some(2));
    o.usage = Some(Usage {
        input_tokens: 10,
        output_tokens: 5,
        total_tokens: Some(16),
        ..Usage::default()
    });
    let stated = o.token_usage().unwrap();
    assert_eq!(
        (stated.input_tokens, stated.total_tokens),
        (10, Some(16)),
        "stated counts win"
    );
}
