//! Request authorization for Bedrock Runtime: SigV4 (a thin layer over `aws-sigv4`) or a
//! Bedrock API key sent as a bearer token.
//!
//! Bedrock signs as service **`bedrock`** (not `bedrock-runtime`), with aws-sigv4's defaults:
//! the canonical URI is the wire path encoded once more (`%3A` → `%253A`) and normalized, and
//! the session token is signed. Time is always an argument: `SystemTime::now()` panics on
//! wasm32, so the browser passes `Date.now()` in, plus any clock offset learned from the
//! service.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, SessionTokenMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
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

/// How a request is authorized.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Auth {
    /// SigV4 with these credentials.
    SigV4(Credentials),
    /// A Bedrock API key, sent as `Authorization: Bearer <key>` with no signature.
    Bearer(ApiKey),
}

/// A Bedrock API key. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into().trim().to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(** redacted **)")
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

/// The time to sign with: the local clock corrected by the offset learned from the service
/// (positive when the local clock is behind).
pub fn signing_time(now_epoch_ms: f64, clock_offset_ms: f64) -> SystemTime {
    time_from_epoch_millis(now_epoch_ms + clock_offset_ms)
}

/// Returns the headers that authorize a request: `authorization` and, for SigV4,
/// `x-amz-date` and (with temporary credentials) `x-amz-security-token`.
///
/// `url` must be the exact string passed to `fetch` (model id already percent-encoded), and
/// `headers` exactly the headers the browser will send (no `host`, no `content-length`: the
/// browser sets them; `host` is signed from the URL).
pub fn authorize(
    auth: &Auth,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    region: &str,
    time: SystemTime,
) -> Result<Vec<(String, String)>, SignError> {
    match auth {
        Auth::SigV4(credentials) => {
            sign_request(method, url, headers, body, credentials, region, time)
        }
        Auth::Bearer(key) => {
            if key.0.is_empty() {
                return Err(SignError("the Bedrock API key is empty".into()));
            }
            Ok(vec![("authorization".into(), format!("Bearer {}", key.0))])
        }
    }
}

/// SigV4-signs a Bedrock request (see [`authorize`] for what `url` and `headers` must be).
pub fn sign_request(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
) -> Result<Vec<(String, String)>, SignError> {
    let options = SuiteOptions::bedrock(region, time);
    sign_with(&options, method, url, headers, body, credentials)
}

/// Settings that Bedrock fixes but the AWS SigV4 test suite varies. Only for running that
/// suite through the same code path.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct SuiteOptions<'a> {
    pub service: &'a str,
    pub region: &'a str,
    pub time: SystemTime,
    pub normalize_path: bool,
    /// Send and sign `x-amz-content-sha256`.
    pub payload_hash_header: bool,
    /// Sign the session token (otherwise it is added after signing).
    pub sign_session_token: bool,
}

impl<'a> SuiteOptions<'a> {
    fn bedrock(region: &'a str, time: SystemTime) -> Self {
        Self {
            service: SIGNING_NAME,
            region,
            time,
            normalize_path: true,
            payload_hash_header: false,
            sign_session_token: true,
        }
    }
}

#[doc(hidden)]
pub fn sign_with(
    options: &SuiteOptions<'_>,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    credentials: &Credentials,
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
    let mut settings = SigningSettings::default();
    if !options.normalize_path {
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    if options.payload_hash_header {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    if !options.sign_session_token {
        settings.session_token_mode = SessionTokenMode::Exclude;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(options.region)
        .name(options.service)
        .time(options.time)
        .settings(settings)
        .build()
        .map_err(|e| SignError(e.to_string()))?
        .into();
    let signable = SignableRequest::new(
        method,
        Cow::Borrowed(url),
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
