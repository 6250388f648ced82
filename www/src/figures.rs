//! What an answer cost and how it went (tool calls included), as the one line under it. Every
//! API's answer arrives as the library's [`Output`], so they are all shown the same way.

use bedrock_wasm::bedrock::{InvokeHeaders, Output, ToolUse};

use crate::catalog;

/// What the page measured around one request (times are `Date.now()` ms).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measured {
    pub started: f64,
    /// When the first text or reasoning arrived (streams only).
    pub first_token: Option<f64>,
    pub ended: f64,
    pub attempts: u32,
    pub retry_delay_ms: f64,
    /// How much the client's clock offset moved during the request.
    pub skew_ms: f64,
    /// What InvokeModel's response headers said (the body may state no counts).
    pub headers: InvokeHeaders,
}

/// "input tokens 12 · output tokens 200 · … · stop reason end_turn · ≈ $0.00123".
pub fn figures(model_id: &str, out: &Output, m: &Measured) -> String {
    let h = &m.headers;
    let usage = out.token_usage();
    let input = usage.map(|u| u.input_tokens).or(h.input_tokens);
    let output = usage.map(|u| u.output_tokens).or(h.output_tokens);
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
        .or(h.invocation_latency_ms);
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn response() -> bedrock_wasm::bedrock::converse::ConverseResponse {
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
    fn a_tool_call_is_one_line() {
        let out = response().to_output();
        assert_eq!(
            tool_use_line(&out.tool_uses[0]),
            r#"weather {"city":"Paris"}"#
        );
    }

    #[test]
    fn figures_show_counts_cache_latency_and_what_was_corrected() {
        let out = response().to_output();
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
            headers: InvokeHeaders {
                input_tokens: Some(5),
                output_tokens: Some(11),
                invocation_latency_ms: Some(900),
                ..Default::default()
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
