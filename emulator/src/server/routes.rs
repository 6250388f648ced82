//! Routing on the raw path: which Bedrock operation a request names, and the CORS preflight
//! every route answers.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
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
}

impl Operation {
    pub(super) fn name(self) -> &'static str {
        match self {
            Operation::Invoke => "InvokeModel",
            Operation::Stream => "InvokeModelWithResponseStream",
            Operation::Converse => "Converse",
            Operation::ConverseStream => "ConverseStream",
        }
    }
}

/// Matches `/model/{modelId}/{operation}` on the raw path, with the model id as exactly one
/// segment. An id with a literal `/` therefore does not match, as on Bedrock.
pub(super) fn route(path: &str) -> Option<(Operation, &str)> {
    let (model, op) = path.strip_prefix("/model/")?.split_once('/')?;
    if model.is_empty() {
        return None;
    }
    match op {
        "invoke" => Some((Operation::Invoke, model)),
        "invoke-with-response-stream" => Some((Operation::Stream, model)),
        "converse" => Some((Operation::Converse, model)),
        "converse-stream" => Some((Operation::ConverseStream, model)),
        _ => None,
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
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS")
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

    #[test]
    fn routes_on_the_raw_path() {
        assert_eq!(
            route("/model/anthropic.claude-v2%3A1/invoke"),
            Some((Operation::Invoke, "anthropic.claude-v2%3A1"))
        );
        assert_eq!(
            route("/model/anthropic.claude-v2/invoke-with-response-stream"),
            Some((Operation::Stream, "anthropic.claude-v2"))
        );
        assert_eq!(route("/model/x/converse"), Some((Operation::Converse, "x")));
        assert_eq!(
            route("/model/x/converse-stream"),
            Some((Operation::ConverseStream, "x"))
        );
        assert_eq!(
            route("/model/arn:aws:bedrock:us-east-1:1:application-inference-profile/abc/invoke"),
            None
        );
        assert_eq!(route("/model//invoke"), None);
        assert_eq!(route("/model/x/count-tokens"), None);
    }
}
