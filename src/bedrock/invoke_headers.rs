//! What InvokeModel's response headers say: token counts, latency, the latency profile and
//! service tier used (`X-Amzn-Bedrock-*`, BEDROCK.md §3). Read once here, for the npm package,
//! the playground and Rust callers alike.

/// The `X-Amzn-Bedrock-*` headers of an InvokeModel response. Each is `None` when absent, not
/// a number, or hidden by CORS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvokeHeaders {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub invocation_latency_ms: Option<u64>,
    /// `x-amzn-bedrock-performanceconfig-latency`: `standard` or `optimized`.
    pub performance_config_latency: Option<String>,
    /// `x-amzn-bedrock-service-tier`.
    pub service_tier: Option<String>,
}

impl InvokeHeaders {
    /// Reads them through `header` (name in lower case → value).
    pub fn read(header: impl Fn(&str) -> Option<String>) -> Self {
        let number = |name: &str| header(name).and_then(|v| v.trim().parse().ok());
        let text = |name: &str| header(name).filter(|v| !v.is_empty());
        Self {
            input_tokens: number("x-amzn-bedrock-input-token-count"),
            output_tokens: number("x-amzn-bedrock-output-token-count"),
            invocation_latency_ms: number("x-amzn-bedrock-invocation-latency"),
            performance_config_latency: text("x-amzn-bedrock-performanceconfig-latency"),
            service_tier: text("x-amzn-bedrock-service-tier"),
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn numbers_are_read_and_junk_is_absent() {
        let h = InvokeHeaders::read(|name| match name {
            "x-amzn-bedrock-input-token-count" => Some("12".into()),
            "x-amzn-bedrock-output-token-count" => Some(" 7 ".into()),
            "x-amzn-bedrock-invocation-latency" => Some("-3".into()),
            "x-amzn-bedrock-service-tier" => Some("priority".into()),
            "x-amzn-bedrock-performanceconfig-latency" => Some(String::new()),
            _ => None,
        });
        assert_eq!(
            h,
            InvokeHeaders {
                input_tokens: Some(12),
                output_tokens: Some(7),
                invocation_latency_ms: None,
                performance_config_latency: None,
                service_tier: Some("priority".into()),
            }
        );
    }
}
