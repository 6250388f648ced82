use std::fmt;

use crate::eventstream::DecodeError;
use crate::sign::{SignError, SignErrorKind};

/// Everything that can go wrong in a Bedrock call.
///
/// Shaped like [`DecodeError`]: an opaque struct whose [`kind`](Self::kind) is a
/// non-exhaustive enum (so kinds can be added without breaking callers), predicates for the
/// questions callers ask (`is_retryable`, `is_throttling`, `is_clock_skew`, `is_aborted`),
/// [`source`](std::error::Error::source) chaining to the typed cause, a stable
/// [`name`](Self::name) for JavaScript, and `Display` text that says what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    kind: ErrorKind,
}

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller's input cannot form a request (bad region, empty model id, missing keys).
    Input(String),
    /// The request could not be signed: a URL or time SigV4 cannot carry, missing
    /// credentials, or credentials that would cross the network in clear.
    Sign(SignError),
    /// Bedrock answered with an error (HTTP status ≥ 300, or a 200 that is an error).
    /// Boxed: it is the largest kind, and `Result<_, Error>` is on every path.
    Service(Box<ServiceError>),
    /// Bedrock sent an exception frame in the middle of a stream.
    StreamException(StreamException),
    /// The response bytes are not a valid event stream (corrupt or truncated).
    Decode(DecodeError),
    /// The response is well framed but its content is not what the operation returns.
    ResponseShape(String),
    /// The request never got an answer (offline, DNS, CORS refused, connection reset).
    Network(String),
    /// The caller aborted the request.
    Aborted,
    /// A stream completed no event (or a body sent no byte) for this long and was stopped
    /// (the idle watchdog).
    IdleTimeout { idle_ms: u32 },
    /// The response headers did not arrive within the request timeout.
    RequestTimeout { ms: u32 },
    /// A bidirectional stream's WebSocket was refused before it opened (`refused`), or
    /// closed with `code` before the answer ended; `message` says what happened and what to
    /// check.
    WebSocket {
        refused: bool,
        code: u16,
        message: String,
    },
    /// A bidirectional stream reached its session bound (Bedrock's is 8 minutes) and was
    /// closed.
    SessionLimit { secs: u32 },
    /// The endpoint answered with a redirect, which a signed request never follows.
    Redirect {
        /// 0 when the browser hides it (an opaque redirect).
        status: u16,
        location: Option<String>,
    },
}

impl Error {
    pub fn new(kind: ErrorKind) -> Self {
        Self { kind }
    }

    /// [`ErrorKind::Input`]: say what was wrong and what to pass instead.
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Input(message.into()))
    }

    /// [`ErrorKind::ResponseShape`].
    pub fn response_shape(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResponseShape(message.into()))
    }

    /// [`ErrorKind::Network`].
    pub fn network(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Network(message.into()))
    }

    pub fn aborted() -> Self {
        Self::new(ErrorKind::Aborted)
    }

    pub fn idle_timeout(idle_ms: u32) -> Self {
        Self::new(ErrorKind::IdleTimeout { idle_ms })
    }

    pub fn request_timeout(ms: u32) -> Self {
        Self::new(ErrorKind::RequestTimeout { ms })
    }

    pub fn redirect(status: u16, location: Option<String>) -> Self {
        Self::new(ErrorKind::Redirect { status, location })
    }

    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The service's error response, when that is what this is.
    pub fn service(&self) -> Option<&ServiceError> {
        match &self.kind {
            ErrorKind::Service(e) => Some(e),
            _ => None,
        }
    }

    /// The exception frame that ended a stream, when that is what this is.
    pub fn stream_exception(&self) -> Option<&StreamException> {
        match &self.kind {
            ErrorKind::StreamException(e) => Some(e),
            _ => None,
        }
    }

    /// Whether sending the same request again may succeed: a retryable service error
    /// (throttling, a model starting, transient 5xx) or a network failure. A clock-skew
    /// rejection is retryable too, once the clock is corrected.
    pub fn is_retryable(&self) -> bool {
        match &self.kind {
            ErrorKind::Service(e) => e.is_retryable(),
            ErrorKind::Network(_) => true,
            _ => false,
        }
    }

    pub fn is_throttling(&self) -> bool {
        self.service().is_some_and(ServiceError::is_throttling)
    }

    /// The service rejected the signature's time (the local clock is off).
    pub fn is_clock_skew(&self) -> bool {
        self.service().is_some_and(ServiceError::is_clock_skew)
    }

    /// The caller aborted.
    pub fn is_aborted(&self) -> bool {
        matches!(self.kind, ErrorKind::Aborted)
    }

    /// The idle watchdog or the request timeout stopped the call.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::IdleTimeout { .. }
                | ErrorKind::RequestTimeout { .. }
                | ErrorKind::SessionLimit { .. }
        )
    }

    /// The stable name JavaScript sees (`error.name`), decided here once: the AWS exception
    /// name for service errors and stream exceptions, otherwise one of `AbortError`,
    /// `StreamIdleTimeoutError`, `TimeoutError`, `RedirectError`, `InsecureEndpointError`,
    /// `NetworkError`, `InvalidResponseError`, `ValidationError`, `WebSocketHandshakeError` or
    /// `WebSocketClosedError`.
    pub fn name(&self) -> &str {
        match &self.kind {
            // What the AWS SDK for JavaScript names an error it cannot identify.
            ErrorKind::Service(s) if s.code.is_empty() => "Unknown",
            ErrorKind::Service(s) => &s.code,
            ErrorKind::StreamException(x) => &x.name,
            ErrorKind::Aborted => "AbortError",
            ErrorKind::IdleTimeout { .. } => "StreamIdleTimeoutError",
            ErrorKind::RequestTimeout { .. } | ErrorKind::SessionLimit { .. } => "TimeoutError",
            ErrorKind::WebSocket { refused: true, .. } => "WebSocketHandshakeError",
            ErrorKind::WebSocket { .. } => "WebSocketClosedError",
            ErrorKind::Redirect { .. } => "RedirectError",
            ErrorKind::Sign(s) if s.kind() == SignErrorKind::InsecureEndpoint => {
                "InsecureEndpointError"
            }
            ErrorKind::Network(_) => "NetworkError",
            ErrorKind::Decode(_) | ErrorKind::ResponseShape(_) => "InvalidResponseError",
            ErrorKind::Input(_) | ErrorKind::Sign(_) => "ValidationError",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Input(m) => write!(f, "invalid input: {m}"),
            ErrorKind::Sign(e) => e.fmt(f),
            ErrorKind::Service(e) => e.fmt(f),
            ErrorKind::StreamException(e) => e.fmt(f),
            ErrorKind::Decode(e) => e.fmt(f),
            ErrorKind::ResponseShape(m) => write!(f, "unexpected response from Bedrock: {m}"),
            ErrorKind::Network(m) => write!(
                f,
                "network error: {m}. Check the endpoint URL, your connection, and that the endpoint allows this page's origin (CORS)"
            ),
            ErrorKind::Aborted => f.write_str("the request was aborted"),
            ErrorKind::IdleTimeout { idle_ms } => write!(
                f,
                "the response sent nothing usable (no complete event or body byte) for {idle_ms} ms and was stopped; any text so far is kept, retry to continue"
            ),
            ErrorKind::RequestTimeout { ms } => write!(
                f,
                "no response within {ms} ms (requestTimeout); the request was aborted — raise requestTimeout for long answers"
            ),
            ErrorKind::WebSocket { message, .. } => f.write_str(message),
            ErrorKind::SessionLimit { secs } => write!(
                f,
                "the bidirectional stream reached its {secs} s session limit and was closed; open a new stream to go on"
            ),
            ErrorKind::Redirect { status, location } => {
                f.write_str("the endpoint answered with a redirect")?;
                if *status != 0 {
                    write!(f, " (HTTP {status})")?;
                }
                if let Some(l) = location {
                    write!(f, " to {:?}", l.chars().take(200).collect::<String>())?;
                }
                f.write_str(", which a signed request never follows: set the endpoint to the final URL")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Sign(e) => Some(e),
            ErrorKind::Service(e) => Some(e.as_ref()),
            ErrorKind::StreamException(e) => Some(e),
            ErrorKind::Decode(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Self::new(kind)
    }
}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Self::new(ErrorKind::Service(Box::new(e)))
    }
}

impl From<SignError> for Error {
    fn from(e: SignError) -> Self {
        Self::new(ErrorKind::Sign(e))
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Self::new(ErrorKind::Decode(e))
    }
}

impl From<StreamException> for Error {
    fn from(e: StreamException) -> Self {
        Self::new(ErrorKind::StreamException(e))
    }
}

/// The named errors Bedrock Runtime returns: every modeled one plus the common auth errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServiceErrorKind {
    ValidationException,
    ServiceQuotaExceededException,
    ConflictException,
    AccessDeniedException,
    ResourceNotFoundException,
    ModelTimeoutException,
    ModelErrorException,
    ModelStreamErrorException,
    ThrottlingException,
    ModelNotReadyException,
    InternalServerException,
    ServiceUnavailableException,
    UnrecognizedClientException,
    ExpiredTokenException,
    InvalidSignatureException,
    /// HTTP 200 `{"Output":{"__type":"…UnknownOperationException"}}`: the path matched no
    /// operation (typically an ARN with an unescaped `/`).
    UnknownOperationException,
    /// Any other code; see [`ServiceError::code`].
    Other,
}

impl ServiceErrorKind {
    /// The fault the service model gives this error (`server` for internal and unavailable,
    /// `client` for the other modeled ones); `None` for codes it does not model, whose fault
    /// the HTTP status decides.
    pub fn fault(self) -> Option<&'static str> {
        use ServiceErrorKind::*;
        match self {
            InternalServerException | ServiceUnavailableException => Some("server"),
            Other | UnknownOperationException => None,
            _ => Some("client"),
        }
    }

    pub fn from_code(code: &str) -> Self {
        use ServiceErrorKind::*;
        match code {
            "ValidationException" => ValidationException,
            "ServiceQuotaExceededException" => ServiceQuotaExceededException,
            "ConflictException" => ConflictException,
            "AccessDeniedException" => AccessDeniedException,
            "ResourceNotFoundException" => ResourceNotFoundException,
            "ModelTimeoutException" => ModelTimeoutException,
            "ModelErrorException" => ModelErrorException,
            "ModelStreamErrorException" => ModelStreamErrorException,
            "ThrottlingException" => ThrottlingException,
            "ModelNotReadyException" => ModelNotReadyException,
            "InternalServerException" => InternalServerException,
            "ServiceUnavailableException" => ServiceUnavailableException,
            "UnrecognizedClientException" => UnrecognizedClientException,
            "ExpiredTokenException" => ExpiredTokenException,
            "InvalidSignatureException" => InvalidSignatureException,
            "UnknownOperationException" => UnknownOperationException,
            _ => Other,
        }
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
    /// `ModelErrorException` / `ModelStreamErrorException`: the model's own status code.
    pub original_status_code: Option<u16>,
    /// `ModelStreamErrorException`: the model's own message.
    pub original_message: Option<String>,
    /// `ModelErrorException`: the model's resource name.
    pub resource_name: Option<String>,
    /// `Retry-After` in seconds, when the service sent one (and CORS let us read it).
    pub retry_after_secs: Option<u64>,
    /// Attempts made, the last one included (set by the transport).
    pub attempts: u32,
    /// Milliseconds spent waiting between attempts (set by the transport).
    pub total_retry_delay_ms: u64,
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
        let json: Option<serde_json::Value> = super::json::from_slice_lenient(body).ok();
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
                if text.is_empty() || json.is_some() {
                    // The AWS SDK for JavaScript's words for an error without a message.
                    "UnknownError".to_owned()
                } else {
                    // Not JSON (a proxy's HTML page): its start says more than a name could.
                    text.chars().take(300).collect()
                }
            });
        let number = |name: &str| {
            json.as_ref()
                .and_then(|j| j.get(name))
                .and_then(|v| v.as_u64())
                .and_then(|v| u16::try_from(v).ok())
        };
        Self {
            code,
            message,
            status,
            request_id: request_id.map(str::to_owned),
            original_status_code: number("originalStatusCode"),
            original_message: field("originalMessage"),
            resource_name: field("resourceName"),
            retry_after_secs: None,
            attempts: 1,
            total_retry_delay_ms: 0,
        }
    }

    /// An HTTP 200 whose JSON body is `{"Output":{"__type":…}}` is an error in disguise: it is
    /// what Bedrock sends when the path did not match an operation (e.g. an unescaped `/`).
    pub fn from_ok_body(body: &[u8], request_id: Option<&str>) -> Option<Self> {
        if !body.trim_ascii_start().starts_with(b"{\"Output\"") {
            return None;
        }
        let json: serde_json::Value = serde_json::from_slice(body).ok()?;
        let t = json.get("Output")?.get("__type")?.as_str()?;
        let mut e = Self::from_response(200, None, request_id, b"");
        e.code = sanitize_code(t);
        e.message =
            "Bedrock did not recognise the operation; check that the model id is a valid id or ARN"
                .into();
        Some(e)
    }

    pub fn kind(&self) -> ServiceErrorKind {
        ServiceErrorKind::from_code(&self.code)
    }

    /// `client` or `server`, as the AWS SDKs' `$fault`.
    pub fn fault(&self) -> &'static str {
        self.kind().fault().unwrap_or(if self.status >= 500 {
            "server"
        } else {
            "client"
        })
    }

    /// Whether retrying the same request may succeed: throttling, a model that is starting,
    /// transient server errors, and an expired signature (which a corrected clock fixes).
    pub fn is_retryable(&self) -> bool {
        use ServiceErrorKind::*;
        match self.kind() {
            ThrottlingException
            | ModelNotReadyException
            | InternalServerException
            | ServiceUnavailableException => true,
            InvalidSignatureException => self.is_clock_skew(),
            _ => {
                self.code == "TooManyRequestsException"
                    || matches!(self.status, 429 | 500 | 502 | 503 | 504)
            }
        }
    }

    /// Whether this is throttling (retried with a longer backoff than other errors).
    pub fn is_throttling(&self) -> bool {
        matches!(self.kind(), ServiceErrorKind::ThrottlingException)
            || self.code == "TooManyRequestsException"
            || self.status == 429 && self.kind() != ServiceErrorKind::ModelNotReadyException
    }

    /// Whether the signature was rejected because the clocks disagree by more than 5 minutes.
    pub fn is_clock_skew(&self) -> bool {
        self.message.contains("Signature expired") || self.message.contains("not yet current")
    }

    /// The server's time (ms since the epoch) from a clock-skew message such as `Signature
    /// expired: 20150411T064107Z is now earlier than 20150411T064135Z (20150411T064635Z - 5
    /// min.)`. A browser usually cannot read the `Date` header, so this is how the client
    /// learns the server's clock.
    pub fn server_time_ms(&self) -> Option<f64> {
        if !self.is_clock_skew() {
            return None;
        }
        let open = self.message.rfind('(')?;
        let stamp = self.message.get(open + 1..)?.split_whitespace().next()?;
        crate::time::parse_amz_date(stamp)
    }

    /// What the user should do about this error, in plain words.
    pub fn advice(&self) -> Option<&'static str> {
        use ServiceErrorKind::*;
        Some(match self.kind() {
            InvalidSignatureException if self.is_clock_skew() => {
                "This computer's clock is off by more than 5 minutes; correct it and retry."
            }
            InvalidSignatureException => {
                "Check the secret access key (and that it belongs to the access key id)."
            }
            UnrecognizedClientException => {
                "Check the access key id and the session token; temporary credentials need both."
            }
            ExpiredTokenException => "The temporary credentials expired; get new ones.",
            AccessDeniedException => {
                "Your IAM policy must allow bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream on this model, and the model must be enabled in this region."
            }
            ResourceNotFoundException => {
                "Check the model id and that the model is available in this region."
            }
            ValidationException if self.message.contains("model identifier") => {
                "Check the model id and that the model is available in this region."
            }
            ThrottlingException | ServiceQuotaExceededException => {
                "Too many requests; wait a moment and retry."
            }
            ModelNotReadyException => "The model is starting; retry in a few seconds.",
            UnknownOperationException => {
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

impl std::error::Error for ServiceError {}

impl std::error::Error for StreamException {}
