//! Routing on the raw path: which Bedrock operation a request names, and the CORS preflight
//! every route answers.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;

use super::{finish, Shared};

pub(super) const UNKNOWN_OPERATION_BODY: &str =
    r#"{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}"#;

/// Offered in a preflight answer when the browser did not list the headers it wants.
const DEFAULT_ALLOW_HEADERS: &str =
    "authorization, content-type, x-amz-date, x-amz-security-token, \
     x-amz-content-sha256, x-amz-user-agent, x-amzn-bedrock-accept, x-amzn-bedrock-trace, \
     x-emulator-fault";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Operation {
    Invoke,
    Stream,
    Converse,
    ConverseStream,
    CountTokens,
    ApplyGuardrail,
    InvokeGuardrailChecks,
    StartAsyncInvoke,
    GetAsyncInvoke,
    ListAsyncInvokes,
    /// `POST /openai/v1/chat/completions` (OpenAI Chat Completions, see `openai.rs`).
    ChatCompletions,
    /// `POST /anthropic/v1/messages` (Anthropic Messages, see `anthropic.rs`).
    AnthropicMessages,
    /// `GET /model/{modelId}/invoke-with-bidirectional-stream-websocket` (the WebSocket form
    /// of InvokeModelWithBidirectionalStream, see `bidi.rs`).
    Bidi,
}

impl Operation {
    pub(super) fn name(self) -> &'static str {
        match self {
            Operation::Invoke => "InvokeModel",
            Operation::Stream => "InvokeModelWithResponseStream",
            Operation::Converse => "Converse",
            Operation::ConverseStream => "ConverseStream",
            Operation::CountTokens => "CountTokens",
            Operation::ApplyGuardrail => "ApplyGuardrail",
            Operation::InvokeGuardrailChecks => "InvokeGuardrailChecks",
            Operation::StartAsyncInvoke => "StartAsyncInvoke",
            Operation::GetAsyncInvoke => "GetAsyncInvoke",
            Operation::ListAsyncInvokes => "ListAsyncInvokes",
            Operation::ChatCompletions => "OpenAI.ChatCompletions",
            Operation::AnthropicMessages => "Anthropic.Messages",
            Operation::Bidi => "InvokeModelWithBidirectionalStream",
        }
    }

    /// The error shape of the API the route serves: Bedrock's, OpenAI's or Anthropic's.
    pub(super) fn error_shape(self) -> ErrorShape {
        match self {
            Operation::ChatCompletions => ErrorShape::OpenAi,
            Operation::AnthropicMessages => ErrorShape::Anthropic,
            _ => ErrorShape::Bedrock,
        }
    }

    /// Whether the first label is a model id (which may carry an `emulator-fault:` prefix).
    pub(super) fn takes_model(self) -> bool {
        matches!(
            self,
            Operation::Invoke
                | Operation::Stream
                | Operation::Converse
                | Operation::ConverseStream
                | Operation::CountTokens
                | Operation::Bidi
        )
    }
}

/// Whose error body a route answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ErrorShape {
    /// `x-amzn-ErrorType` + `{"message":…}`.
    Bedrock,
    /// `{"error":{"message","type","param","code"}}` (plus `x-amzn-ErrorType`).
    OpenAi,
    /// `{"type":"error","error":{"type","message"}}` (plus `x-amzn-ErrorType`).
    Anthropic,
}

/// A routed request: the operation and its raw (still percent-encoded) labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Routed<'a> {
    pub(super) op: Operation,
    /// `modelId`; `guardrailIdentifier` and `guardrailVersion`; `invocationArn` — each
    /// exactly one non-empty path segment, as sent. Unused labels are `""`.
    pub(super) labels: [&'a str; 2],
}

/// One label: a non-empty segment (no `/`).
fn label(s: &str) -> Option<&str> {
    (!s.is_empty() && !s.contains('/')).then_some(s)
}

/// Matches the method and the raw path against Bedrock Runtime's routes, each label exactly
/// one segment. An id with a literal `/` therefore does not match, as on Bedrock; neither does
/// a known path with another method.
pub(super) fn route<'a>(method: &Method, path: &'a str) -> Option<Routed<'a>> {
    let post = *method == Method::POST;
    let get = *method == Method::GET;
    let one = |op, a| {
        Some(Routed {
            op,
            labels: [a, ""],
        })
    };
    if let Some(rest) = path.strip_prefix("/model/") {
        let (model, op) = rest.split_once('/')?;
        let model = label(model)?;
        let op = match op {
            "invoke" => Operation::Invoke,
            "invoke-with-response-stream" => Operation::Stream,
            "converse" => Operation::Converse,
            "converse-stream" => Operation::ConverseStream,
            "count-tokens" => Operation::CountTokens,
            // A WebSocket handshake is a GET (the AWS SDK for JavaScript's
            // `websocketEndpointMiddleware` appends `-websocket` to the HTTP/2 path).
            "invoke-with-bidirectional-stream-websocket" => {
                return if get {
                    one(Operation::Bidi, model)
                } else {
                    None
                }
            }
            _ => return None,
        };
        return if post { one(op, model) } else { None };
    }
    if let Some(rest) = path.strip_prefix("/guardrail/") {
        let (id, rest) = rest.split_once("/version/")?;
        let version = rest.strip_suffix("/apply")?;
        let (id, version) = (label(id)?, label(version)?);
        return post.then_some(Routed {
            op: Operation::ApplyGuardrail,
            labels: [id, version],
        });
    }
    match path {
        "/guardrail-checks/invoke" if post => one(Operation::InvokeGuardrailChecks, ""),
        "/async-invoke" if post => one(Operation::StartAsyncInvoke, ""),
        "/async-invoke" if get => one(Operation::ListAsyncInvokes, ""),
        "/openai/v1/chat/completions" if post => one(Operation::ChatCompletions, ""),
        "/anthropic/v1/messages" if post => one(Operation::AnthropicMessages, ""),
        _ => {
            let arn = label(path.strip_prefix("/async-invoke/")?)?;
            if get {
                one(Operation::GetAsyncInvoke, arn)
            } else {
                None
            }
        }
    }
}

pub(super) fn preflight(s: &Shared, id: &str, headers: &HeaderMap) -> Response {
    let allow_headers = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or(HeaderValue::from_static(DEFAULT_ALLOW_HEADERS));
    let mut b = s
        .plain_response(id, StatusCode::OK, s.config.clock_skew_secs)
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS")
        .header(header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers)
        .header(header::ACCESS_CONTROL_MAX_AGE, "600")
        .header(header::CONTENT_LENGTH, "0");
    if let Some(expose) = &s.expose_headers {
        b = b.header(header::ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
    }
    finish(b, Body::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: Method, path: &str) -> Option<(Operation, [&str; 2])> {
        route(&method, path).map(|r| (r.op, r.labels))
    }

    #[test]
    fn routes_on_the_raw_path() {
        let post = |p| r(Method::POST, p);
        assert_eq!(
            post("/model/anthropic.claude-v2%3A1/invoke"),
            Some((Operation::Invoke, ["anthropic.claude-v2%3A1", ""]))
        );
        assert_eq!(
            post("/model/anthropic.claude-v2/invoke-with-response-stream"),
            Some((Operation::Stream, ["anthropic.claude-v2", ""]))
        );
        assert_eq!(
            post("/model/x/converse"),
            Some((Operation::Converse, ["x", ""]))
        );
        assert_eq!(
            post("/model/x/converse-stream"),
            Some((Operation::ConverseStream, ["x", ""]))
        );
        assert_eq!(
            post("/model/arn:aws:bedrock:us-east-1:1:application-inference-profile/abc/invoke"),
            None
        );
        assert_eq!(post("/model//invoke"), None);
        assert_eq!(
            post("/model/x/count-tokens"),
            Some((Operation::CountTokens, ["x", ""]))
        );
        assert_eq!(r(Method::GET, "/model/x/count-tokens"), None);
        assert_eq!(
            r(
                Method::GET,
                "/model/amazon.nova-sonic-v1%3A0/invoke-with-bidirectional-stream-websocket"
            ),
            Some((Operation::Bidi, ["amazon.nova-sonic-v1%3A0", ""]))
        );
        assert_eq!(
            post("/model/x/invoke-with-bidirectional-stream-websocket"),
            None
        );
        assert_eq!(post("/model/x/invoke-with-bidirectional-stream"), None);
        assert_eq!(
            post("/guardrail/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aguardrail%2Fabc/version/DRAFT/apply"),
            Some((
                Operation::ApplyGuardrail,
                ["arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aguardrail%2Fabc", "DRAFT"]
            ))
        );
        assert_eq!(
            post("/guardrail/arn:aws:bedrock:us-east-1:1:guardrail/abc/version/1/apply"),
            None
        );
        assert_eq!(post("/guardrail//version/1/apply"), None);
        assert_eq!(post("/guardrail/a/version//apply"), None);
        assert_eq!(post("/guardrail/a/version/1/apply/"), None);
        assert_eq!(
            post("/guardrail-checks/invoke"),
            Some((Operation::InvokeGuardrailChecks, ["", ""]))
        );
        assert_eq!(
            post("/async-invoke"),
            Some((Operation::StartAsyncInvoke, ["", ""]))
        );
        assert_eq!(
            r(Method::GET, "/async-invoke"),
            Some((Operation::ListAsyncInvokes, ["", ""]))
        );
        assert_eq!(
            r(
                Method::GET,
                "/async-invoke/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Aasync-invoke%2Fabc"
            ),
            Some((
                Operation::GetAsyncInvoke,
                [
                    "arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Aasync-invoke%2Fabc",
                    ""
                ]
            ))
        );
        assert_eq!(
            r(
                Method::GET,
                "/async-invoke/arn:aws:bedrock:us-east-1:1:async-invoke/abc"
            ),
            None
        );
        assert_eq!(r(Method::POST, "/async-invoke/x"), None);
        assert_eq!(r(Method::DELETE, "/async-invoke"), None);
        assert_eq!(r(Method::GET, "/async-invoke/"), None);
        assert_eq!(
            post("/openai/v1/chat/completions"),
            Some((Operation::ChatCompletions, ["", ""]))
        );
        assert_eq!(
            post("/anthropic/v1/messages"),
            Some((Operation::AnthropicMessages, ["", ""]))
        );
        assert_eq!(r(Method::GET, "/openai/v1/chat/completions"), None);
        assert_eq!(post("/openai/v1/responses"), None);
        assert_eq!(post("/anthropic/v1/messages/"), None);
    }
}
