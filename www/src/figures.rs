//! What an answer cost and how it went (tool calls included), as the one line under it; and
//! a Converse response as the library's [`Output`], so every API's answer is shown the same
//! way.

use bedrock_wasm::bedrock::converse::{ContentBlock, ConverseResponse, ReasoningContentBlock};
use bedrock_wasm::bedrock::{Output, ToolUse, Usage};

use crate::catalog;

/// The token counts and latency InvokeModel states in response headers (the body may not).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HeaderCounts {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub latency_ms: Option<u64>,
}

/// What the page measured around one request (times are `Date.now()` ms).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Measured {
    pub started: f64,
    /// When the first text or reasoning arrived (streams only).
    pub first_token: Option<f64>,
    pub ended: f64,
    pub attempts: u32,
    pub retry_delay_ms: f64,
    /// How much the client's clock offset moved during the request.
    pub skew_ms: f64,
    pub headers: HeaderCounts,
}

/// "input tokens 12 · output tokens 200 · … · stop reason end_turn · ≈ $0.00123".
pub fn figures(model_id: &str, out: &Output, m: &Measured) -> String {
    let h = m.headers;
    let usage = out.usage;
    let input = usage
        .map(|u| u.input_tokens)
        .or(out.metrics.map(|x| x.input_token_count))
        .or(h.input_tokens);
    let output = usage
        .map(|u| u.output_tokens)
        .or(out.metrics.map(|x| x.output_token_count))
        .or(h.output_tokens);
    let mut parts = Vec::new();
    if let Some(n) = input {
        parts.push(format!("input tokens {n}"));
    }
    if let Some(n) = output {
        parts.push(format!("output tokens {n}"));
    }
    if let Some(n) = usage.and_then(|u| u.cache_read_input_tokens) {
        parts.push(format!("cache read {n} tokens"));
    }
    if let Some(n) = usage.and_then(|u| u.cache_write_input_tokens) {
        parts.push(format!("cache write {n} tokens"));
    }
    let latency = out
        .metrics
        .map(|x| x.invocation_latency)
        .or(out.latency_ms)
        .or(h.latency_ms);
    if let Some(ms) = latency {
        parts.push(format!("invocation latency {ms} ms"));
    }
    if let Some(x) = out.metrics {
        parts.push(format!("first byte latency {} ms", x.first_byte_latency));
    }
    if let Some(t) = m.first_token {
        parts.push(format!("first token after {:.0} ms", t - m.started));
        if let Some(n) = output.filter(|&n| n > 1) {
            let secs = (m.ended - t) / 1000.0;
            if secs > 0.0 {
                parts.push(format!("{:.1} tokens/s", (n - 1) as f64 / secs));
            }
        }
    } else {
        parts.push(format!("total {:.0} ms", m.ended - m.started));
    }
    if let Some(r) = &out.stop_reason {
        parts.push(format!("stop reason {r}"));
    }
    for t in &out.tool_uses {
        parts.push(format!("tool use {}", tool_use_line(t)));
    }
    if let Some(c) = catalog::cost(model_id, input.unwrap_or(0), output.unwrap_or(0)) {
        parts.push(format!("≈ ${c:.5}"));
    }
    if m.attempts > 1 {
        parts.push(format!(
            "{} attempts ({} retried after {:.1} s of backoff)",
            m.attempts,
            m.attempts - 1,
            m.retry_delay_ms / 1000.0
        ));
    }
    if m.skew_ms.abs() >= 1000.0 {
        parts.push(format!(
            "clock skew corrected: signing {:+.0} s off this computer's clock",
            m.skew_ms / 1000.0
        ));
    }
    parts.join(" · ")
}

/// A tool call as one line: `name {"input":…}`.
fn tool_use_line(t: &ToolUse) -> String {
    match &t.unparsed_input {
        Some(raw) => format!("{} {raw}", t.name),
        None => format!("{} {}", t.name, t.input),
    }
}

/// The non-streaming Converse response as the [`Output`] a ConverseStream of the same answer
/// gives: text, reasoning (and its signature, redacted blocks), tool uses, stop reason,
/// usage with cache counts, latency.
pub fn converse_output(r: &ConverseResponse) -> Output {
    use base64::Engine as _;
    let mut out = Output {
        stop_reason: Some(r.stop_reason.clone()),
        usage: Some(Usage {
            input_tokens: r.usage.input_tokens,
            output_tokens: r.usage.output_tokens,
            total_tokens: Some(r.usage.total_tokens),
            cache_read_input_tokens: r.usage.cache_read_input_tokens,
            cache_write_input_tokens: r.usage.cache_write_input_tokens,
        }),
        latency_ms: Some(r.metrics.latency_ms),
        ..Default::default()
    };
    let blocks = r.output.message.iter().flat_map(|m| &m.content);
    for block in blocks {
        match block {
            ContentBlock::Text(t) => out.text.push_str(t),
            ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(t)) => {
                out.reasoning.push_str(&t.text);
                if t.signature.is_some() {
                    out.reasoning_signature.clone_from(&t.signature);
                }
            }
            ContentBlock::ReasoningContent(ReasoningContentBlock::RedactedContent(b)) => out
                .redacted_reasoning
                .push(base64::engine::general_purpose::STANDARD.encode(&b.0)),
            ContentBlock::ToolUse(t) => {
                out.tool_uses
                    .push(ToolUse::new(&t.tool_use_id, &t.name, t.input.clone()))
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn response() -> ConverseResponse {
        serde_json::from_value(json!({
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
        .unwrap()
    }

    #[test]
    fn a_converse_response_keeps_reasoning_tool_uses_and_cache_counts() {
        let out = converse_output(&response());
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
        assert_eq!(
            tool_use_line(&out.tool_uses[0]),
            r#"weather {"city":"Paris"}"#
        );
    }

    #[test]
    fn figures_show_counts_cache_latency_and_what_was_corrected() {
        let out = converse_output(&response());
        let m = Measured {
            started: 1_000.0,
            ended: 1_500.0,
            attempts: 3,
            retry_delay_ms: 1_500.0,
            skew_ms: -600_400.0,
            ..Default::default()
        };
        assert_eq!(
            figures("some.unknown-model", &out, &m),
            "input tokens 12 · output tokens 7 · cache read 100 tokens · cache write 3 tokens · \
             invocation latency 321 ms · total 500 ms · stop reason tool_use · \
             tool use weather {\"city\":\"Paris\"} · 3 attempts (2 retried after 1.5 s of backoff) · \
             clock skew corrected: signing -600 s off this computer's clock"
        );
    }

    #[test]
    fn header_counts_fill_in_for_a_body_without_usage() {
        let m = Measured {
            started: 0.0,
            first_token: Some(100.0),
            ended: 1_100.0,
            attempts: 1,
            headers: HeaderCounts {
                input_tokens: Some(5),
                output_tokens: Some(11),
                latency_ms: Some(900),
            },
            ..Default::default()
        };
        assert_eq!(
            figures("some.unknown-model", &Output::default(), &m),
            "input tokens 5 · output tokens 11 · invocation latency 900 ms · \
             first token after 100 ms · 10.0 tokens/s"
        );
    }
}
