//! Request authorization for Bedrock Runtime: SigV4 or a Bedrock API key sent as a bearer
//! token.
//!
//! Bedrock signs as service **`bedrock`** (not `bedrock-runtime`), with aws-sigv4's defaults:
//! the canonical URI is the wire path encoded once more (`%3A` → `%253A`) and normalized, and
//! the session token is signed. The canonical request is built here (`canonical.rs`, exactly
//! as `aws-sigv4`'s `http_request::sign` builds it, which the tests hold it to) and signed
//! with `aws-sigv4`'s primitives: its `http_request` layer would cost the package ~55 KB gzip
//! (`http`'s `Uri`/`HeaderMap`, identities, date formatting). Time is always an argument:
//! `SystemTime::now()` panics on wasm32, so the browser passes `Date.now()` in, plus any clock
//! offset learned from the service.
//!
//! Besides the `Authorization` header: a presigned URL (`presign.rs`, SigV4 in the query
//! string, for a WebSocket handshake) and the chained signatures of the events a client sends
//! on an event stream (`event.rs`).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

mod canonical;
mod event;
mod presign;

pub use event::EventSigner;
pub use presign::{
    presign_url, PresignedUrl, EMPTY_PAYLOAD_SHA256, PRESIGN_DEFAULT_EXPIRES_SECS,
    PRESIGN_MAX_EXPIRES_SECS,
};

/// The SigV4 signing name of Bedrock Runtime (its endpoint prefix is `bedrock-runtime`).
pub const SIGNING_NAME: &str = "bedrock";

/// The signing name of the Bedrock Mantle endpoints (`bedrock-mantle.<region>.api.aws`, the
/// OpenAI-compatible APIs).
pub const MANTLE_SIGNING_NAME: &str = "bedrock-mantle";

/// The SigV4 signing name for a request to `url`: `bedrock-mantle` for a
/// `bedrock-mantle.*` host, otherwise `bedrock` (Bedrock Runtime, whose own host also
/// serves `/openai/v1` and `/anthropic`, and any custom endpoint).
pub fn signing_name(url: &str) -> &'static str {
    match url_origin(url) {
        Ok((_, host))
            if host
                .get(..15)
                .is_some_and(|h| h.eq_ignore_ascii_case("bedrock-mantle.")) =>
        {
            MANTLE_SIGNING_NAME
        }
        _ => SIGNING_NAME,
    }
}

/// Temporary credentials are renewed this long before they expire (5 minutes, as the AWS
/// SDKs do), so that a request signed with them cannot arrive after they lapsed.
pub const REFRESH_BEFORE_EXPIRY_MS: f64 = 5.0 * 60.0 * 1000.0;

/// Whether credentials that expire at `expiration_ms` (ms since the epoch) should be renewed
/// now. An expiration that is not a number counts as expired.
pub fn credentials_expiring(expiration_ms: f64, now_ms: f64) -> bool {
    let left = expiration_ms - now_ms;
    left.is_nan() || left <= REFRESH_BEFORE_EXPIRY_MS
}

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
pub struct SignError {
    kind: SignErrorKind,
    detail: String,
}

/// What was wrong, for callers that branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignErrorKind {
    /// The URL is not an absolute `http(s)` URL with a host.
    InvalidUrl,
    /// Credentials or an API key would go over plain `http` to a host that is not loopback.
    InsecureEndpoint,
    /// The signing time (local clock plus offset) is not a date SigV4 can carry.
    InvalidTime,
    /// Missing credentials or an empty API key.
    MissingCredentials,
    /// A header name or value (or the session token) that is not valid in HTTP, or an
    /// event the event-stream framing cannot carry.
    Rejected,
    /// A presigned URL's lifetime outside 1 second to 7 days.
    InvalidExpiry,
}

impl SignError {
    fn new(kind: SignErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }

    pub fn kind(&self) -> SignErrorKind {
        self.kind
    }
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot sign the request: {}", self.detail)
    }
}

impl std::error::Error for SignError {}

pub use crate::time::MAX_SIGNING_EPOCH_MS;

/// Converts milliseconds since the Unix epoch (what `Date.now()` returns) to a `SystemTime`,
/// refusing what SigV4 cannot carry: not a finite number, before 1970 or after the year 9999.
pub fn time_from_epoch_millis(ms: f64) -> Result<SystemTime, SignError> {
    crate::time::system_time(ms).ok_or_else(|| {
        SignError::new(
            SignErrorKind::InvalidTime,
            format!(
                "the signing time ({ms} ms since 1970) is not a date between 1970 and 9999; check the clock and any clockOffset"
            ),
        )
    })
}

/// The time to sign with: the local clock corrected by the offset learned from the service
/// (positive when the local clock is behind).
pub fn signing_time(now_epoch_ms: f64, clock_offset_ms: f64) -> Result<SystemTime, SignError> {
    time_from_epoch_millis(now_epoch_ms + clock_offset_ms)
}

/// Where credentials may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EndpointPolicy {
    /// `https`, or plain `http` only to a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`),
    /// such as a local emulator.
    #[default]
    SecureOrLoopback,
    /// Any `http(s)` URL: the caller accepts that credentials cross the network in clear
    /// (`allowInsecureEndpoint: true`).
    AllowInsecure,
}

/// The scheme and host of an absolute `http(s)` URL, or why it is not one.
fn url_origin(url: &str) -> Result<(bool, &str), SignError> {
    let invalid = |why: &str| {
        SignError::new(
            SignErrorKind::InvalidUrl,
            format!(
                "the URL {:?} {why}; pass the absolute URL you send, e.g. https://bedrock-runtime.us-east-1.amazonaws.com/model/…/invoke",
                url.chars().take(200).collect::<String>()
            ),
        )
    };
    let (secure, rest) = if let Some(rest) = strip_prefix_ignore_case(url, "https://") {
        (true, rest)
    } else if let Some(rest) = strip_prefix_ignore_case(url, "http://") {
        (false, rest)
    } else {
        return Err(invalid("is not an absolute http(s) URL"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // Credentials in a URL are never sent (and `fetch` refuses them).
    if authority.contains('@') {
        return Err(invalid("has user information before the host"));
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    if host.is_empty() {
        return Err(invalid("has no host"));
    }
    Ok((secure, host))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Whether `host` (as written in a URL, IPv6 without brackets) is this machine: `localhost`
/// and its subdomains, `127.0.0.0/8` in dotted decimal, or `::1`. Written out rather than
/// through `std::net` address parsing, which costs the wasm several KB.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    let mut octets = host.split('.');
    if octets.next() == Some("127") {
        let rest: Vec<&str> = octets.collect();
        return rest.len() == 3
            && rest.iter().all(|o| {
                !o.is_empty()
                    && o.len() <= 3
                    && o.bytes().all(|b| b.is_ascii_digit())
                    && o.parse::<u16>().is_ok_and(|n| n <= 255)
            });
    }
    // `::1` in any spelling: every group zero but the last, which is 1.
    if host.contains(':') && host.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
        let groups: Vec<&str> = host.split(':').collect();
        let nonzero: Vec<&&str> = groups
            .iter()
            .filter(|g| !g.is_empty() && g.bytes().any(|b| b != b'0'))
            .collect();
        let last_is_one = groups
            .last()
            .is_some_and(|g| !g.is_empty() && u16::from_str_radix(g, 16) == Ok(1));
        let explicit = groups.iter().filter(|g| !g.is_empty()).count();
        let compressed = host.contains("::");
        return nonzero.len() == 1
            && last_is_one
            && groups.len() <= 8
            && (compressed || explicit == 8)
            && groups.iter().all(|g| g.len() <= 4);
    }
    false
}

/// Checks that `url` is an absolute `http(s)` URL that credentials may be sent to under
/// `policy`.
pub fn check_endpoint(url: &str, policy: EndpointPolicy) -> Result<(), SignError> {
    let (secure, host) = url_origin(url)?;
    if secure || policy == EndpointPolicy::AllowInsecure || is_loopback_host(host) {
        return Ok(());
    }
    Err(SignError::new(
        SignErrorKind::InsecureEndpoint,
        format!(
            "refusing to send credentials in clear over http:// to {host:?}: use https://, or http:// only to a loopback address (127.0.0.1, localhost); to accept the risk, set allowInsecureEndpoint: true"
        ),
    ))
}

/// Returns the headers that authorize a request: `authorization` and, for SigV4,
/// `x-amz-date` and (with temporary credentials) `x-amz-security-token`.
///
/// `url` must be the exact string passed to `fetch` (model id already percent-encoded), and
/// `headers` exactly the headers the browser will send (no `host`, no `content-length`: the
/// browser sets them; `host` is signed from the URL).
///
/// The URL is checked first: absolute `http(s)` with a host, and not plain `http` to a host
/// that is not loopback unless `policy` allows it. The method is upper-cased, as `fetch` sends
/// it.
#[allow(clippy::too_many_arguments)]
pub fn authorize(
    auth: &Auth,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    region: &str,
    time: SystemTime,
    policy: EndpointPolicy,
) -> Result<Vec<(String, String)>, SignError> {
    check_endpoint(url, policy)?;
    let method = method.to_ascii_uppercase();
    let method = method.as_str();
    match auth {
        Auth::SigV4(credentials) => {
            sign_request(method, url, headers, body, credentials, region, time)
        }
        Auth::Bearer(key) => {
            if key.0.is_empty() {
                return Err(SignError::new(
                    SignErrorKind::MissingCredentials,
                    "the Bedrock API key is empty",
                ));
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
    let options = SuiteOptions {
        service: signing_name(url),
        ..SuiteOptions::bedrock(region, time)
    };
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
    let (parts, _) = checked(credentials, url, options.time)?;
    canonical::sign(options, method, &parts, headers, body, credentials)
        .map_err(|why| SignError::new(SignErrorKind::Rejected, why))
}

/// What a SigV4 signature (in the headers or the query) needs first, checked in this order:
/// the credentials, the URL (read as `http::Uri` reads it, absolute `http(s)` with a host) and
/// the time (1970 to 9999). Gives the URL's parts and the time in whole seconds since 1970.
fn checked<'u>(
    credentials: &Credentials,
    url: &'u str,
    time: SystemTime,
) -> Result<(canonical::UrlParts<'u>, u64), SignError> {
    if credentials.access_key_id.is_empty() || credentials.secret_access_key.is_empty() {
        return Err(SignError::new(
            SignErrorKind::MissingCredentials,
            "the access key id and secret access key are required",
        ));
    }
    let parts = canonical::parse_url(url).map_err(|why| {
        SignError::new(
            SignErrorKind::InvalidUrl,
            format!(
                "the URL {:?} {why}",
                url.chars().take(200).collect::<String>()
            ),
        )
    })?;
    url_origin(url)?;
    let ms = epoch_ms(time)?;
    Ok((parts, (ms / 1000.0) as u64))
}

/// `time` in whole milliseconds since 1970, if [`time_from_epoch_millis`] takes it (exact:
/// such a time is below 2^53 ms).
fn epoch_ms(time: SystemTime) -> Result<f64, SignError> {
    let ms = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as f64 * 1000.0 + f64::from(d.subsec_millis()))
        .unwrap_or(-1.0);
    time_from_epoch_millis(ms)?;
    Ok(ms)
}
