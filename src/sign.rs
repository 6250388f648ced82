//! SigV4 signing for Bedrock Runtime: a thin layer over `aws-sigv4`.
//!
//! Bedrock signs as service **`bedrock`** (not `bedrock-runtime`), with aws-sigv4's defaults:
//! the canonical URI is the wire path encoded once more (`%3A` → `%253A`) and normalized, and
//! the session token is signed. Time is always an argument: `SystemTime::now()` panics on
//! wasm32, so the browser passes `Date.now()` in.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

/// The SigV4 signing name of Bedrock Runtime (its endpoint prefix is `bedrock-runtime`).
pub const SIGNING_NAME: &str = "bedrock";

/// AWS credentials, held in memory only. `Debug` never prints the secret or the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Temporary credentials' session token. An empty string counts as none: an empty
    /// `X-Amz-Security-Token` header makes AWS reject the request as an invalid token.
    pub session_token: Option<String>,
}

impl Credentials {
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into().trim().to_owned(),
            secret_access_key: secret_access_key.into().trim().to_owned(),
            session_token: session_token
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// Why a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignError(String);

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot sign the request: {}", self.0)
    }
}

impl std::error::Error for SignError {}

/// Converts milliseconds since the Unix epoch (what `Date.now()` returns) to a `SystemTime`.
pub fn time_from_epoch_millis(ms: f64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0.0) as u64)
}

/// Signs a request and returns the headers to add: `authorization`, `x-amz-date` and, with
/// temporary credentials, `x-amz-security-token`.
///
/// `url` must be the exact string passed to `fetch` (model id already percent-encoded), and
/// `headers` exactly the headers the browser will send (no `host`, no `content-length`: the
/// browser sets them; `host` is signed from the URL).
pub fn sign_request(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
) -> Result<Vec<(String, String)>, SignError> {
    sign_request_as(
        SIGNING_NAME,
        method,
        url,
        headers,
        body,
        credentials,
        region,
        time,
    )
}

/// [`sign_request`] for another signing name: only for running the AWS SigV4 test suite.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn sign_request_as(
    service: &str,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
) -> Result<Vec<(String, String)>, SignError> {
    if credentials.access_key_id.is_empty() || credentials.secret_access_key.is_empty() {
        return Err(SignError(
            "the access key id and secret access key are required".into(),
        ));
    }
    let identity: Identity = aws_credential_types::Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.clone(),
        credentials.session_token.clone(),
        None,
        "bedrock-wasm",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| SignError(e.to_string()))?
        .into();
    let signable = SignableRequest::new(
        method,
        url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|e| SignError(format!("{e} (url {url:?})")))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| SignError(e.to_string()))?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}
