use std::fmt;

use crate::eventstream::DecodeError;

/// Everything that can go wrong in a Bedrock call.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The caller's input cannot form a request (bad region, empty model id, missing keys).
    InvalidInput(String),
    /// Bedrock answered with an error (HTTP status ≥ 300, or a 200 that is an error).
    Service(ServiceError),
    /// Bedrock sent an exception frame in the middle of a stream.
    StreamException(StreamException),
    /// The response bytes are not a valid event stream (corrupt or truncated).
    Decode(DecodeError),
    /// The response is well framed but its content is not what the operation returns.
    InvalidResponse(String),
    /// The request never got an answer (offline, DNS, CORS refused, connection reset).
    Network(String),
    /// The caller aborted the request.
    Aborted,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Error::Service(e) => e.fmt(f),
            Error::StreamException(e) => e.fmt(f),
            Error::Decode(e) => e.fmt(f),
            Error::InvalidResponse(m) => write!(f, "unexpected response from Bedrock: {m}"),
            Error::Network(m) => write!(
                f,
                "network error: {m}. Check the endpoint URL, your connection, and that the endpoint allows this page's origin (CORS)"
            ),
            Error::Aborted => f.write_str("the request was aborted"),
        }
    }
}

impl std::error::Error for Error {}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}

/// An error response from Bedrock Runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// The AWS error code, e.g. `ThrottlingException` (empty if the response named none).
    pub code: String,
    pub message: String,
    pub status: u16,
    pub request_id: Option<String>,
}

impl ServiceError {
    /// Reads an error response: the code from `x-amzn-ErrorType` (cut at `,` and `:`, the part
    /// after `#`) or else the body's `__type`/`code`; the message from `message`/`Message`.
    pub fn from_response(
        status: u16,
        error_type_header: Option<&str>,
        request_id: Option<&str>,
        body: &[u8],
    ) -> Self {
        let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let field = |name: &str| {
            json.as_ref()
                .and_then(|j| j.get(name))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let code = error_type_header
            .map(sanitize_code)
            .filter(|c| !c.is_empty())
            .or_else(|| field("__type").map(|t| sanitize_code(&t)))
            .or_else(|| field("code").map(|t| sanitize_code(&t)))
            .unwrap_or_default();
        let message = field("message")
            .or_else(|| field("Message"))
            .unwrap_or_else(|| {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                if text.is_empty() {
                    format!("HTTP {status} with an empty body")
                } else {
                    text.chars().take(300).collect()
                }
            });
        Self {
            code,
            message,
            status,
            request_id: request_id.map(str::to_owned),
        }
    }

    /// An HTTP 200 whose JSON body is `{"Output":{"__type":…}}` is an error in disguise: it is
    /// what Bedrock sends when the path did not match an operation (e.g. an unescaped `/`).
    pub fn from_ok_body(body: &[u8], request_id: Option<&str>) -> Option<Self> {
        if !body.starts_with(b"{\"Output\"") {
            return None;
        }
        let json: serde_json::Value = serde_json::from_slice(body).ok()?;
        let t = json.get("Output")?.get("__type")?.as_str()?;
        Some(Self {
            code: sanitize_code(t),
            message: "Bedrock did not recognise the operation; check that the model id is a valid id or ARN".into(),
            status: 200,
            request_id: request_id.map(str::to_owned),
        })
    }

    /// Whether retrying the same request may succeed (throttling and transient server errors).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.code.as_str(),
            "ThrottlingException"
                | "TooManyRequestsException"
                | "ModelNotReadyException"
                | "InternalServerException"
                | "ServiceUnavailableException"
        ) || matches!(self.status, 429 | 500 | 502 | 503 | 504)
    }

    /// What the user should do about this error, in plain words.
    pub fn advice(&self) -> Option<&'static str> {
        Some(match self.code.as_str() {
            "InvalidSignatureException" if self.message.contains("Signature expired")
                || self.message.contains("not yet current") =>
            {
                "This computer's clock is off by more than 5 minutes; correct it and retry."
            }
            "InvalidSignatureException" | "SignatureDoesNotMatch" => {
                "Check the secret access key (and that it belongs to the access key id)."
            }
            "UnrecognizedClientException" => {
                "Check the access key id and the session token; temporary credentials need both."
            }
            "ExpiredTokenException" => "The temporary credentials expired; get new ones.",
            "AccessDeniedException" => {
                "Your IAM policy must allow bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream on this model, and the model must be enabled in this region."
            }
            "ResourceNotFoundException" | "ValidationException" if self.message.contains("model") => {
                "Check the model id and that the model is available in this region."
            }
            "ThrottlingException" | "TooManyRequestsException" | "ServiceQuotaExceededException" => {
                "Too many requests; wait a moment and retry."
            }
            "ModelNotReadyException" => "The model is starting; retry in a few seconds.",
            "UnknownOperationException" => {
                "The request path was not understood; a model ARN must be sent as one escaped path segment."
            }
            _ => return None,
        })
    }
}

fn sanitize_code(raw: &str) -> String {
    let cut = raw.split([',', ':']).next().unwrap_or("");
    let cut = cut.rsplit('#').next().unwrap_or(cut);
    cut.trim().to_owned()
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = if self.code.is_empty() {
            "Error"
        } else {
            &self.code
        };
        write!(f, "{code} (HTTP {}): {}", self.status, self.message)?;
        if let Some(advice) = self.advice() {
            write!(f, " — {advice}")?;
        }
        Ok(())
    }
}

/// An exception frame (`:message-type: exception`) or an unmodeled error frame
/// (`:message-type: error`) received mid-stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamException {
    /// The exception name in the AWS SDK's form, e.g. `ModelStreamErrorException`.
    pub name: String,
    pub message: String,
    /// `modelStreamErrorException`'s `originalStatusCode`.
    pub original_status_code: Option<u16>,
    /// `modelStreamErrorException`'s `originalMessage`.
    pub original_message: Option<String>,
}

impl fmt::Display for StreamException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} during the stream: {}", self.name, self.message)?;
        if let Some(m) = &self.original_message {
            write!(f, " ({m})")?;
        }
        Ok(())
    }
}
