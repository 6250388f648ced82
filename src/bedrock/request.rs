use std::time::SystemTime;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::async_invoke::ListAsyncInvokesQuery;
use super::converse::ConverseRequest;
use super::Error;
use crate::sign::{authorize, Auth, Credentials, EndpointPolicy};

/// Everything but `A–Z a–z 0–9 - _ . ~` is escaped, as botocore does for a non-greedy label.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a model id (or ARN) as ONE path segment: `:` → `%3A`, `/` → `%2F`.
///
/// An ARN with a literal `/` would split the path, and Bedrock answers such a request with an
/// HTTP 200 `UnknownOperationException` body.
pub fn encode_model_id(model_id: &str) -> String {
    utf8_percent_encode(model_id, PATH_SEGMENT).to_string()
}

/// Where requests go: the regional AWS endpoint or a custom base URL (such as the emulator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Base URL without a trailing slash, e.g. `https://bedrock-runtime.us-east-1.amazonaws.com`.
    base: String,
    region: String,
}

impl Endpoint {
    /// The standard endpoint of `region`.
    pub fn aws(region: &str) -> Result<Self, Error> {
        let region = check_region(region)?;
        Ok(Self {
            base: format!("https://bedrock-runtime.{region}.amazonaws.com"),
            region,
        })
    }

    /// A custom base URL; requests are still signed for `region`.
    pub fn custom(url: &str, region: &str) -> Result<Self, Error> {
        let region = check_region(region)?;
        let base = url.trim().trim_end_matches('/');
        let rest = base
            .strip_prefix("https://")
            .or_else(|| base.strip_prefix("http://"))
            .ok_or_else(|| {
                Error::input(format!(
                    "endpoint {base:?} must start with https:// (or http:// for a local emulator)"
                ))
            })?;
        if rest.is_empty() || rest.contains(['?', '#', ' ']) {
            return Err(Error::input(format!(
                "endpoint {base:?} must be a base URL such as https://bedrock-runtime.us-east-1.amazonaws.com"
            )));
        }
        Ok(Self {
            base: base.to_owned(),
            region,
        })
    }

    /// The regional AWS endpoint when `url` is empty, otherwise the custom one.
    pub fn from_parts(url: Option<&str>, region: &str) -> Result<Self, Error> {
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => Self::custom(u, region),
            None => Self::aws(region),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn region(&self) -> &str {
        &self.region
    }
}

fn check_region(region: &str) -> Result<String, Error> {
    let region = region.trim();
    let ok = !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(region.to_owned())
    } else {
        Err(Error::input(format!(
            "region {region:?} is not a valid AWS region name such as us-east-1"
        )))
    }
}

/// The Bedrock Runtime operations over HTTP. InvokeModelWithBidirectionalStream is not one of
/// them: it runs over a WebSocket, see [`bidi`](super::bidi).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    InvokeModel,
    InvokeModelWithResponseStream,
    Converse,
    ConverseStream,
    CountTokens,
    ApplyGuardrail,
    InvokeGuardrailChecks,
    StartAsyncInvoke,
    GetAsyncInvoke,
    ListAsyncInvokes,
}

impl Operation {
    pub const ALL: [Operation; 10] = [
        Operation::InvokeModel,
        Operation::InvokeModelWithResponseStream,
        Operation::Converse,
        Operation::ConverseStream,
        Operation::CountTokens,
        Operation::ApplyGuardrail,
        Operation::InvokeGuardrailChecks,
        Operation::StartAsyncInvoke,
        Operation::GetAsyncInvoke,
        Operation::ListAsyncInvokes,
    ];

    /// The operation with this API name (`"InvokeModel"`, …).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Operation::InvokeModel => "InvokeModel",
            Operation::InvokeModelWithResponseStream => "InvokeModelWithResponseStream",
            Operation::Converse => "Converse",
            Operation::ConverseStream => "ConverseStream",
            Operation::CountTokens => "CountTokens",
            Operation::ApplyGuardrail => "ApplyGuardrail",
            Operation::InvokeGuardrailChecks => "InvokeGuardrailChecks",
            Operation::StartAsyncInvoke => "StartAsyncInvoke",
            Operation::GetAsyncInvoke => "GetAsyncInvoke",
            Operation::ListAsyncInvokes => "ListAsyncInvokes",
        }
    }

    /// Whether the response is an event stream.
    pub fn is_streaming(self) -> bool {
        matches!(
            self,
            Operation::InvokeModelWithResponseStream | Operation::ConverseStream
        )
    }

    /// The HTTP method (the service model's).
    pub fn method(self) -> &'static str {
        match self {
            Operation::GetAsyncInvoke | Operation::ListAsyncInvokes => "GET",
            _ => "POST",
        }
    }

    /// The last path segment of the operations under `/model/{modelId}/`.
    fn model_path_suffix(self) -> Option<&'static str> {
        Some(match self {
            Operation::InvokeModel => "invoke",
            Operation::InvokeModelWithResponseStream => "invoke-with-response-stream",
            Operation::Converse => "converse",
            Operation::ConverseStream => "converse-stream",
            Operation::CountTokens => "count-tokens",
            _ => return None,
        })
    }
}

/// What fills an operation's path and query: its labels (each one path segment, escaped
/// like a model id) or ListAsyncInvokes' query.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// `/model/{modelId}/…`: Invoke*, Converse*, CountTokens.
    Model(&'a str),
    /// `/guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply`.
    Guardrail {
        identifier: &'a str,
        version: &'a str,
    },
    /// `/async-invoke/{invocationArn}`.
    AsyncInvoke(&'a str),
    /// `/async-invoke?…`.
    AsyncInvokes(&'a ListAsyncInvokesQuery),
    /// A fixed path: InvokeGuardrailChecks, StartAsyncInvoke.
    None,
}

/// Input of InvokeModel and InvokeModelWithResponseStream (the AWS SDK's fields).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InvokeModelInput {
    pub model_id: String,
    /// The model-native JSON body, sent byte for byte.
    pub body: Vec<u8>,
    /// MIME type of `body`; default `application/json`.
    pub content_type: Option<String>,
    /// MIME type of the answer; default `application/json`.
    pub accept: Option<String>,
    /// `ENABLED`, `DISABLED` or `ENABLED_FULL`.
    pub trace: Option<String>,
    /// Guardrail id or ARN; needs `guardrail_version`.
    pub guardrail_identifier: Option<String>,
    /// `1`…`99999999` or `DRAFT`.
    pub guardrail_version: Option<String>,
    /// `standard` or `optimized`.
    pub performance_config_latency: Option<String>,
    /// `priority`, `default`, `flex` or `reserved`.
    pub service_tier: Option<String>,
    /// A JSON object as a string (at most 8,500 characters), used to filter invocation logs.
    pub request_metadata: Option<String>,
}

impl InvokeModelInput {
    pub fn new(model_id: impl Into<String>, body: impl Into<Vec<u8>>) -> Self {
        Self {
            model_id: model_id.into(),
            body: body.into(),
            ..Default::default()
        }
    }
}

/// Input of Converse and ConverseStream: the model id (path) and the JSON body.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConverseInput {
    pub model_id: String,
    pub request: ConverseRequest,
}

/// A request ready for `fetch`: what is signed is exactly what is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for HttpRequest {
    // Signed requests carry the session token and signature: never print header values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

fn model_path(endpoint: &Endpoint, model_id: &str, operation: Operation) -> Result<String, Error> {
    operation_url(endpoint, operation, Target::Model(model_id))
}

/// One path label: 1 to 2048 characters, escaped as one segment.
fn label(value: &str, name: &str, example: &str) -> Result<String, Error> {
    if value.is_empty() || value.len() > 2048 {
        return Err(Error::input(format!(
            "{name} must be 1 to 2048 characters, e.g. {example}"
        )));
    }
    Ok(encode_model_id(value))
}

/// A model id (or ARN) as the one path segment of `/model/{modelId}/…`: trimmed, 1 to 2048
/// characters, escaped by [`encode_model_id`]. Every route with a model id goes through here.
pub(crate) fn model_label(model_id: &str) -> Result<String, Error> {
    label(model_id.trim(), "model id", "anthropic.claude-v2")
}

/// Everything but `A–Z a–z 0–9 - _ . ~` is escaped in a query value, as the AWS SDKs do.
fn query_value(value: &str) -> String {
    utf8_percent_encode(value, PATH_SEGMENT).to_string()
}

/// The URL of `operation` for `target`; a target that does not fit the operation is an
/// input error.
pub(crate) fn operation_url(
    endpoint: &Endpoint,
    operation: Operation,
    target: Target<'_>,
) -> Result<String, Error> {
    let base = endpoint.base();
    let mismatch = || {
        Error::input(format!(
            "{} does not take {target:?} as its path",
            operation.name()
        ))
    };
    Ok(match (operation, target) {
        (op, Target::Model(model_id)) => {
            let suffix = op.model_path_suffix().ok_or_else(mismatch)?;
            let model = model_label(model_id)?;
            format!("{base}/model/{model}/{suffix}")
        }
        (
            Operation::ApplyGuardrail,
            Target::Guardrail {
                identifier,
                version,
            },
        ) => {
            let id = label(identifier, "guardrailIdentifier", "gr1a2b3c4d5e")?;
            let version = label(version, "guardrailVersion", "DRAFT or 1")?;
            format!("{base}/guardrail/{id}/version/{version}/apply")
        }
        (Operation::InvokeGuardrailChecks, Target::None) => {
            format!("{base}/guardrail-checks/invoke")
        }
        (Operation::StartAsyncInvoke, Target::None) => format!("{base}/async-invoke"),
        (Operation::GetAsyncInvoke, Target::AsyncInvoke(arn)) => {
            let arn = label(
                arn,
                "invocationArn",
                "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abc123",
            )?;
            format!("{base}/async-invoke/{arn}")
        }
        (Operation::ListAsyncInvokes, Target::AsyncInvokes(query)) => {
            let pairs = query.pairs();
            if pairs.iter().any(|(_, v)| v.len() > 2048) {
                return Err(Error::input(
                    "ListAsyncInvokes filters must be at most 2048 characters each",
                ));
            }
            let query: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{k}={}", query_value(v)))
                .collect();
            if query.is_empty() {
                format!("{base}/async-invoke")
            } else {
                format!("{base}/async-invoke?{}", query.join("&"))
            }
        }
        _ => return Err(mismatch()),
    })
}

impl HttpRequest {
    /// Builds an unsigned InvokeModel / InvokeModelWithResponseStream request.
    pub fn invoke(
        endpoint: &Endpoint,
        operation: Operation,
        input: &InvokeModelInput,
    ) -> Result<Self, Error> {
        let accept_header = match operation {
            Operation::InvokeModel => "accept",
            // The streaming call carries the model's output type in its own header; HTTP
            // `Accept` would be the event-stream type.
            Operation::InvokeModelWithResponseStream => "x-amzn-bedrock-accept",
            other => {
                return Err(Error::input(format!(
                    "{} takes a Converse body; use HttpRequest::converse",
                    other.name()
                )))
            }
        };
        let url = model_path(endpoint, &input.model_id, operation)?;
        if input.guardrail_identifier.is_some() != input.guardrail_version.is_some() {
            return Err(Error::input(
                "a guardrail needs both guardrailIdentifier and guardrailVersion",
            ));
        }
        if input
            .request_metadata
            .as_ref()
            .is_some_and(|m| m.chars().count() > 8500)
        {
            return Err(Error::input(
                "requestMetadata must be at most 8,500 characters",
            ));
        }
        let mut headers = vec![
            (
                accept_header.to_owned(),
                input.accept.clone().unwrap_or_else(|| JSON.into()),
            ),
            (
                "content-type".to_owned(),
                input.content_type.clone().unwrap_or_else(|| JSON.into()),
            ),
        ];
        let optional = [
            ("x-amzn-bedrock-trace", &input.trace),
            (
                "x-amzn-bedrock-guardrailidentifier",
                &input.guardrail_identifier,
            ),
            ("x-amzn-bedrock-guardrailversion", &input.guardrail_version),
            (
                "x-amzn-bedrock-performanceconfig-latency",
                &input.performance_config_latency,
            ),
            ("x-amzn-bedrock-service-tier", &input.service_tier),
            ("x-amzn-bedrock-request-metadata", &input.request_metadata),
        ];
        for (name, value) in optional {
            if let Some(v) = value {
                headers.push((name.to_owned(), v.clone()));
            }
        }
        Ok(Self {
            method: "POST",
            url,
            headers,
            body: input.body.clone(),
        })
    }

    /// Builds an unsigned Converse (`streaming == false`) or ConverseStream request.
    pub fn converse(
        endpoint: &Endpoint,
        streaming: bool,
        input: &ConverseInput,
    ) -> Result<Self, Error> {
        let operation = if streaming {
            Operation::ConverseStream
        } else {
            Operation::Converse
        };
        let url = model_path(endpoint, &input.model_id, operation)?;
        if input.request.messages.is_empty() && input.request.prompt_variables.is_none() {
            return Err(Error::input(
                "a Converse request needs at least one message",
            ));
        }
        let body = serde_json::to_vec(&input.request)
            .map_err(|e| Error::input(format!("cannot encode the Converse body: {e}")))?;
        Ok(Self {
            method: "POST",
            url,
            headers: vec![("content-type".to_owned(), JSON.to_owned())],
            body,
        })
    }

    /// Builds an unsigned Converse or ConverseStream request whose JSON body is already
    /// encoded (the JavaScript layer encodes it with `JSON.stringify`, blobs as base64).
    pub fn converse_json(
        endpoint: &Endpoint,
        streaming: bool,
        model_id: &str,
        body: Vec<u8>,
    ) -> Result<Self, Error> {
        let operation = if streaming {
            Operation::ConverseStream
        } else {
            Operation::Converse
        };
        Self::json(endpoint, operation, Target::Model(model_id), body)
    }

    /// Builds an unsigned request of any JSON operation (CountTokens, ApplyGuardrail,
    /// InvokeGuardrailChecks, StartAsyncInvoke, GetAsyncInvoke, ListAsyncInvokes, and
    /// Converse) from its target and its JSON body, already encoded. A GET sends no body.
    pub fn json(
        endpoint: &Endpoint,
        operation: Operation,
        target: Target<'_>,
        body: Vec<u8>,
    ) -> Result<Self, Error> {
        if matches!(
            operation,
            Operation::InvokeModel | Operation::InvokeModelWithResponseStream
        ) {
            return Err(Error::input(format!(
                "{} takes a model-native body; use HttpRequest::invoke",
                operation.name()
            )));
        }
        let url = operation_url(endpoint, operation, target)?;
        let method = operation.method();
        if method == "GET" {
            if !body.is_empty() {
                return Err(Error::input(format!("{} sends no body", operation.name())));
            }
            return Ok(Self {
                method,
                url,
                headers: Vec::new(),
                body,
            });
        }
        Ok(Self {
            method,
            url,
            headers: vec![("content-type".to_owned(), JSON.to_owned())],
            body,
        })
    }

    /// Adds the authorization headers for `time` (SigV4 or a bearer API key).
    ///
    /// Refuses plain `http` to a host that is not loopback unless `policy` allows it.
    pub fn authorize(
        &mut self,
        auth: &Auth,
        region: &str,
        time: SystemTime,
        policy: EndpointPolicy,
    ) -> Result<(), Error> {
        let added = authorize(
            auth,
            self.method,
            &self.url,
            &self.headers,
            &self.body,
            region,
            time,
            policy,
        )?;
        self.headers.extend(added);
        Ok(())
    }

    /// Adds the SigV4 headers for `time`.
    pub fn sign(
        &mut self,
        credentials: &Credentials,
        region: &str,
        time: SystemTime,
    ) -> Result<(), Error> {
        self.authorize(
            &Auth::SigV4(credentials.clone()),
            region,
            time,
            EndpointPolicy::SecureOrLoopback,
        )
    }

    /// A header's value (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

const JSON: &str = "application/json";
