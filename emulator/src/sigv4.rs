//! Server-side SigV4 verification, written independently of any client signer.
//!
//! Everything is recomputed from the request exactly as received: the raw (still
//! percent-encoded) path, the raw query, the header values and the body bytes. A client that
//! signs something other than what it sends (the classic "encoded the path differently" bug,
//! BEDROCK.md §1.6) is therefore rejected here just as Bedrock would reject it.

use std::time::SystemTime;

use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::clock::{format_amz_date, parse_amz_date, unix_secs};
use crate::Credential;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Bedrock Runtime's signing name; the host name says `bedrock-runtime`, the scope must not.
pub const SERVICE: &str = "bedrock";
/// Bedrock accepts a signature dated up to this far from its own clock, either way.
pub const MAX_SKEW_SECS: i64 = 5 * 60;

/// The message for a request with more than one `Authorization` header.
pub(crate) const MULTIPLE_AUTHORIZATION: &str =
    "The request has more than one Authorization header; send exactly one.";
const INVALID_TOKEN: &str = "The security token included in the request is invalid.";
const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the \
     signature you provided. Check your AWS Secret Access Key and signing method. Consult the \
     service documentation for details.";

/// The parts of a received request that a signature covers.
#[derive(Debug, Clone, Copy)]
pub struct IncomingRequest<'a> {
    pub method: &'a str,
    /// The path as received, still percent-encoded (`/model/anthropic.claude-v2%3A1/invoke`).
    pub path: &'a str,
    /// The raw query string without `?`, if any.
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    /// The HTTP/2 `:authority` (the URI's authority), which HTTP/2 clients such as the AWS SDK
    /// for JavaScript sign as a header named `:authority` instead of `host`. `None` falls back
    /// to the `host` header.
    pub authority: Option<&'a str>,
    pub body: &'a [u8],
}

/// Why a request was refused: the HTTP status, Bedrock's error code and message, and a short
/// verdict for the request log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// `missing`, `malformed`, `unknown-key`, `bad-token`, `expired`, `not-yet-current`,
    /// `wrong-scope`, `wrong-region` or `invalid`.
    pub verdict: &'static str,
}

impl AuthError {
    fn new(code: &'static str, verdict: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: 403,
            code,
            message: message.into(),
            verdict,
        }
    }
    fn incomplete(message: impl Into<String>) -> Self {
        Self::new("IncompleteSignatureException", "malformed", message)
    }
    fn invalid(verdict: &'static str, message: impl Into<String>) -> Self {
        Self::new("InvalidSignatureException", verdict, message)
    }
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AuthError {}

/// A parsed `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    /// `yyyymmdd` from the credential scope.
    pub date: String,
    pub region: String,
    pub service: String,
    pub terminator: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    /// `date/region/service/terminator`, as it appears in the string to sign.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.date, self.region, self.service, self.terminator
        )
    }
}

/// A request whose signature checked out.
#[derive(Debug, Clone)]
pub struct Verified {
    pub access_key_id: String,
    pub region: String,
    pub canonical_request: String,
    pub string_to_sign: String,
}

/// Parses an `Authorization` header value.
pub fn parse_authorization(value: &str) -> Result<Authorization, AuthError> {
    let value = value.trim();
    let (algorithm, rest) = value.split_once(' ').unwrap_or((value, ""));
    if algorithm.eq_ignore_ascii_case("Bearer") {
        return Err(AuthError::new(
            "UnrecognizedClientException",
            "unknown-key",
            "Bedrock API keys (Authorization: Bearer) are not enabled in this emulator (it was \
             started with no API keys); sign the request with SigV4 (AWS4-HMAC-SHA256) using the \
             emulator's credentials.",
        ));
    }
    if algorithm != ALGORITHM {
        return Err(AuthError::incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'. Sign the request with {ALGORITHM}."
        )));
    }
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            continue;
        };
        match k.trim() {
            "Credential" => credential = Some(v.trim()),
            "SignedHeaders" => signed = Some(v.trim()),
            "Signature" => signature = Some(v.trim()),
            _ => {}
        }
    }
    let mut missing = String::new();
    for (name, v) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed),
    ] {
        if v.is_none_or(str::is_empty) {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(AuthError::incomplete(missing.trim_end().to_owned()));
    };
    if !missing.is_empty() {
        return Err(AuthError::incomplete(missing.trim_end().to_owned()));
    }
    let scope: Vec<&str> = credential.split('/').collect();
    let [key, date, region, service, terminator] = scope[..] else {
        return Err(AuthError::incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. \
             keyid/date/region/service/term, got '{credential}'"
        )));
    };
    if scope.iter().any(|s| s.is_empty()) {
        return Err(AuthError::incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. \
             keyid/date/region/service/term, got '{credential}'"
        )));
    }
    Ok(Authorization {
        access_key_id: key.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        terminator: terminator.to_owned(),
        signed_headers: signed.split(';').map(str::to_owned).collect(),
        signature: signature.to_owned(),
    })
}

/// SigV4 URI encoding of raw bytes: everything but `A-Za-z0-9-_.~` becomes `%XX` (uppercase).
pub fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits is kept literally.
pub fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// The canonical URI of a non-S3 service: the path as received, each segment URI-encoded once
/// more, so `%3A` becomes `%253A` while `/` separators stay.
pub fn canonical_uri(raw_path: &str) -> String {
    if raw_path.is_empty() {
        return "/".to_owned();
    }
    raw_path
        .split('/')
        .map(|segment| uri_encode(segment.as_bytes(), false))
        .collect::<Vec<_>>()
        .join("/")
}

/// The canonical query string: each parameter decoded, re-encoded strictly, sorted.
pub fn canonical_query(raw_query: Option<&str>) -> String {
    let mut params: Vec<(String, String)> = raw_query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), false),
                uri_encode(&percent_decode(v), false),
            )
        })
        .collect();
    params.sort();
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A header's canonical value: all values for the name joined with `,`, each trimmed and with
/// runs of spaces collapsed to one.
fn canonical_header_value(headers: &HeaderMap, name: &str) -> String {
    headers
        .get_all(name)
        .iter()
        .map(|v| {
            let text = String::from_utf8_lossy(v.as_bytes());
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The canonical request for the given signed headers and payload hash.
pub fn canonical_request(
    req: &IncomingRequest<'_>,
    signed_headers: &[String],
    payload_hash: &str,
) -> String {
    let mut out = String::new();
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_uri(req.path));
    out.push('\n');
    out.push_str(&canonical_query(req.query));
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        let name = name.to_ascii_lowercase();
        match (name.as_str(), req.authority) {
            (":authority", Some(authority)) => out.push_str(authority.trim()),
            (":authority", None) => out.push_str(&canonical_header_value(req.headers, "host")),
            // Over HTTP/2 the host travels as `:authority`, never as a `host` header.
            ("host", Some(authority)) if !req.headers.contains_key("host") => {
                out.push_str(authority.trim())
            }
            _ => out.push_str(&canonical_header_value(req.headers, &name)),
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    out
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

pub fn signature(secret: &str, auth: &Authorization, string_to_sign: &str) -> String {
    let key = signing_key(secret, &auth.date, &auth.region, &auth.service);
    hex::encode(hmac_sha256(&key, string_to_sign.as_bytes()))
}

/// Compares without an early exit, so timing does not reveal how much of a guess was right.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The single value of a header, as text.
fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Recomputes the canonical request the way [`verify`] does (including the payload-hash rules)
/// from the request's own `Authorization` header. Useful for diagnostics and tests.
pub fn canonical_request_for(req: &IncomingRequest<'_>) -> Result<String, AuthError> {
    let auth = header_str(req.headers, "authorization").ok_or_else(|| {
        AuthError::new(
            "MissingAuthenticationTokenException",
            "missing",
            "Missing Authentication Token",
        )
    })?;
    let auth = parse_authorization(auth)?;
    let hash = payload_hash(req, &auth)?;
    Ok(canonical_request(req, &auth.signed_headers, &hash))
}

/// The body's SHA-256, or the signed `x-amz-content-sha256` value, which must then match it.
fn payload_hash(req: &IncomingRequest<'_>, auth: &Authorization) -> Result<String, AuthError> {
    let actual = sha256_hex(req.body);
    let declared_and_signed = auth
        .signed_headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("x-amz-content-sha256"));
    match header_str(req.headers, "x-amz-content-sha256") {
        Some(declared) if declared_and_signed => {
            if declared.eq_ignore_ascii_case(&actual) {
                Ok(declared.to_owned())
            } else {
                Err(AuthError::invalid(
                    "invalid",
                    format!(
                        "The provided 'x-amz-content-sha256' header does not match what was computed. \
                         Send the hex SHA-256 of the exact body bytes (got '{declared}', body hashes to '{actual}')."
                    ),
                ))
            }
        }
        _ => Ok(actual),
    }
}

/// Verifies a request against the accepted credentials at time `now`.
///
/// Checks, in order: an `Authorization` header is present and well formed; `x-amz-date` is
/// present, valid and signed; the access key is known; the session token matches (and is
/// signed); the date is within ±5 minutes of `now`; the scope is `<date>/<region>/bedrock/
/// aws4_request`; `host` is signed; the signature matches.
pub fn verify(
    req: &IncomingRequest<'_>,
    credentials: &[Credential],
    now: SystemTime,
) -> Result<Verified, AuthError> {
    verify_in_region(req, credentials, now, None)
}

/// [`verify`], and when `region` is given the credential scope must name that region
/// (otherwise `InvalidSignatureException: Credential should be scoped to a valid region, not
/// '<region>'. `, checked right after the service name).
pub fn verify_in_region(
    req: &IncomingRequest<'_>,
    credentials: &[Credential],
    now: SystemTime,
    region: Option<&str>,
) -> Result<Verified, AuthError> {
    let mut auth_headers = req.headers.get_all("authorization").iter();
    let Some(auth_header) = auth_headers.next() else {
        return Err(AuthError::new(
            "MissingAuthenticationTokenException",
            "missing",
            "Missing Authentication Token",
        ));
    };
    if auth_headers.next().is_some() {
        return Err(AuthError::incomplete(MULTIPLE_AUTHORIZATION));
    }
    let auth_header = auth_header
        .to_str()
        .map_err(|_| AuthError::incomplete("The Authorization header contains non-ASCII bytes."))?;
    let auth = parse_authorization(auth_header)?;

    let Some(amz_date) = header_str(req.headers, "x-amz-date") else {
        return Err(AuthError::incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. \
             (The emulator, like browsers, needs 'X-Amz-Date'.)",
        ));
    };
    let Some(signed_at) = parse_amz_date(amz_date) else {
        return Err(AuthError::incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. Expected e.g. '20250115T120000Z'."
        )));
    };

    let Some(credential) = credentials
        .iter()
        .find(|c| c.access_key_id == auth.access_key_id)
    else {
        return Err(AuthError::new(
            "UnrecognizedClientException",
            "unknown-key",
            INVALID_TOKEN,
        ));
    };
    let sent_token = header_str(req.headers, "x-amz-security-token");
    let is_signed = |name: &str| auth.signed_headers.iter().any(|h| h == name);
    let token_ok = match (&credential.session_token, sent_token) {
        (Some(expected), Some(sent)) => {
            constant_time_eq(expected.as_bytes(), sent.as_bytes())
                && is_signed("x-amz-security-token")
        }
        (None, None) => true,
        _ => false,
    };
    if !token_ok {
        return Err(AuthError::new(
            "UnrecognizedClientException",
            "bad-token",
            INVALID_TOKEN,
        ));
    }

    let server = unix_secs(now);
    let (earliest, latest) = (
        server.saturating_sub(MAX_SKEW_SECS),
        server.saturating_add(MAX_SKEW_SECS),
    );
    if signed_at < earliest {
        return Err(AuthError::invalid(
            "expired",
            format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - 5 min.)",
                format_amz_date(earliest),
                format_amz_date(server)
            ),
        ));
    }
    if signed_at > latest {
        return Err(AuthError::invalid(
            "not-yet-current",
            format!(
                "Signature not yet current: {amz_date} is still later than {} ({} + 5 min.)",
                format_amz_date(latest),
                format_amz_date(server)
            ),
        ));
    }

    if auth.terminator != "aws4_request" {
        return Err(AuthError::invalid(
            "wrong-scope",
            format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
                auth.terminator
            ),
        ));
    }
    if auth.service != SERVICE {
        // Bedrock's signing name is `bedrock`, not the `bedrock-runtime` of the host name.
        return Err(AuthError::invalid(
            "wrong-scope",
            format!(
                "Credential should be scoped to correct service: '{SERVICE}'. (got '{}')",
                auth.service
            ),
        ));
    }
    if let Some(expected) = region {
        if auth.region != expected {
            return Err(AuthError::invalid(
                "wrong-region",
                format!(
                    "Credential should be scoped to a valid region, not '{}'. ",
                    auth.region
                ),
            ));
        }
    }
    // `parse_amz_date` accepted it, so it is 16 ASCII bytes; `get` keeps that unassumed.
    let day = amz_date.get(..8).unwrap_or(amz_date);
    if auth.date != day {
        return Err(AuthError::invalid(
            "wrong-scope",
            format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{day}', from '{amz_date}'.",
                auth.date,
            ),
        ));
    }
    // HTTP/2 clients sign the `:authority` pseudo-header in place of `host`.
    if !is_signed("host") && !is_signed(":authority") {
        return Err(AuthError::invalid(
            "invalid",
            "'host' must be a 'SignedHeader' in the AWS Authorization. Add it to the headers you sign.",
        ));
    }
    for required in ["x-amz-date"] {
        if !is_signed(required) {
            return Err(AuthError::invalid(
                "invalid",
                format!("'{required}' must be a 'SignedHeader' in the AWS Authorization. Add it to the headers you sign."),
            ));
        }
    }

    let hash = payload_hash(req, &auth)?;
    let canonical = canonical_request(req, &auth.signed_headers, &hash);
    let to_sign = string_to_sign(amz_date, &auth.scope(), &canonical);
    let expected = signature(&credential.secret_access_key, &auth, &to_sign);
    if !constant_time_eq(
        expected.as_bytes(),
        auth.signature.to_ascii_lowercase().as_bytes(),
    ) {
        return Err(AuthError::invalid("invalid", SIGNATURE_MISMATCH));
    }
    Ok(Verified {
        access_key_id: auth.access_key_id,
        region: auth.region,
        canonical_request: canonical,
        string_to_sign: to_sign,
    })
}

/// The payload hash of a presigned WebSocket handshake: the SHA-256 of an empty body (the AWS
/// SDK for JavaScript presigns the URL "with empty body", `WebsocketSignatureV4`).
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// The longest `X-Amz-Expires` SigV4 allows: one week.
pub const MAX_PRESIGNED_EXPIRES_SECS: i64 = 7 * 24 * 60 * 60;
/// The string-to-sign algorithm of a signed event (`signMessage` in @smithy/signature-v4).
pub const EVENT_ALGORITHM: &str = "AWS4-HMAC-SHA256-PAYLOAD";

/// A presigned (query-string) request whose signature checked out: what the signed events
/// that follow on the same connection are chained to and signed with.
#[derive(Clone)]
pub struct Presigned {
    pub access_key_id: String,
    pub region: String,
    /// `X-Amz-Signature`, lowercase hex: the "prior signature" of the first event.
    pub signature: String,
    pub(crate) secret_access_key: String,
    pub canonical_request: String,
}

impl std::fmt::Debug for Presigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presigned")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

/// The decoded query parameters, in order.
fn decoded_params(raw_query: Option<&str>) -> Vec<(String, String)> {
    raw_query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let d = |x: &str| String::from_utf8_lossy(&percent_decode(x)).into_owned();
            (d(k), d(v))
        })
        .collect()
}

/// The raw query without its `X-Amz-Signature` parameter (which the signature cannot cover).
fn query_without_signature(raw_query: Option<&str>) -> String {
    raw_query
        .unwrap_or("")
        .split('&')
        .filter(|p| {
            let k = p.split_once('=').map_or(*p, |(k, _)| k);
            percent_decode(k) != b"X-Amz-Signature"
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `host` without a `:port` suffix (`127.0.0.1:4010` → `127.0.0.1`, `[::1]:80` → `[::1]`).
fn without_port(host: &str) -> Option<&str> {
    let (name, port) = host.rsplit_once(':')?;
    (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !name.ends_with(':'))
        .then_some(name)
}

/// Verifies a request authenticated by a presigned URL (SigV4 in the query string), as the
/// AWS SDK for JavaScript signs its WebSocket handshakes (`presign`: `X-Amz-Algorithm`,
/// `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-Security-Token`,
/// `X-Amz-SignedHeaders`, `X-Amz-Signature`; every other query parameter is signed too; the
/// payload hash is the empty body's).
///
/// Checks, in order: the parameters are present, single and well formed; the access key is
/// known; the token matches; the URL is not dated more than 5 minutes ahead of `now` and has
/// not expired (`X-Amz-Date + X-Amz-Expires`); the scope is `<date>/<region>/bedrock/
/// aws4_request`; `host` is signed; the signature matches. A signature that matches only when
/// the `host` is taken without its port is refused with a message saying so.
pub fn verify_presigned(
    req: &IncomingRequest<'_>,
    credentials: &[Credential],
    now: SystemTime,
    region: Option<&str>,
) -> Result<Presigned, AuthError> {
    let params = decoded_params(req.query);
    let one = |name: &str| -> Result<Option<&str>, AuthError> {
        let mut found = params.iter().filter(|(k, _)| k == name);
        let first = found.next().map(|(_, v)| v.as_str());
        if found.next().is_some() {
            return Err(AuthError::incomplete(format!(
                "The query-string parameter '{name}' appears more than once; send it once."
            )));
        }
        Ok(first)
    };
    let algorithm = one("X-Amz-Algorithm")?;
    let credential = one("X-Amz-Credential")?;
    let signature = one("X-Amz-Signature")?;
    let signed = one("X-Amz-SignedHeaders")?;
    let amz_date = one("X-Amz-Date")?;
    let expires = one("X-Amz-Expires")?;
    if algorithm.is_none() && credential.is_none() && signature.is_none() {
        return Err(AuthError::new(
            "MissingAuthenticationTokenException",
            "missing",
            "Missing Authentication Token (this operation is authenticated by a presigned URL: \
             SigV4 in the query string, X-Amz-Algorithm … X-Amz-Signature)",
        ));
    }
    let mut missing = Vec::new();
    for (name, v) in [
        ("X-Amz-Algorithm", algorithm),
        ("X-Amz-Credential", credential),
        ("X-Amz-Signature", signature),
        ("X-Amz-SignedHeaders", signed),
        ("X-Amz-Date", amz_date),
        ("X-Amz-Expires", expires),
    ] {
        if v.is_none_or(str::is_empty) {
            missing.push(format!("'{name}'"));
        }
    }
    let (
        Some(algorithm),
        Some(credential),
        Some(signature),
        Some(signed),
        Some(amz_date),
        Some(expires),
    ) = (algorithm, credential, signature, signed, amz_date, expires)
    else {
        return Err(AuthError::incomplete(format!(
            "AWS query-string parameters must include {}. Re-examine the query-string parameters.",
            missing.join(", ")
        )));
    };
    if !missing.is_empty() {
        return Err(AuthError::incomplete(format!(
            "AWS query-string parameters must include {}. Re-examine the query-string parameters.",
            missing.join(", ")
        )));
    }
    if algorithm != ALGORITHM {
        return Err(AuthError::incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'. Presign the URL with {ALGORITHM}."
        )));
    }
    let auth = parse_authorization(&format!(
        "{ALGORITHM} Credential={credential}, SignedHeaders={signed}, Signature={signature}"
    ))?;
    let Some(signed_at) = parse_amz_date(amz_date) else {
        return Err(AuthError::incomplete(format!(
            "X-Amz-Date must be in ISO-8601 'basic format'. Got '{amz_date}'. Expected e.g. '20250115T120000Z'."
        )));
    };
    let Some(expires_secs) = expires
        .parse::<i64>()
        .ok()
        .filter(|e| (1..=MAX_PRESIGNED_EXPIRES_SECS).contains(e))
    else {
        return Err(AuthError::incomplete(format!(
            "X-Amz-Expires must be a whole number of seconds from 1 to \
             {MAX_PRESIGNED_EXPIRES_SECS} (one week); got '{expires}'."
        )));
    };
    let Some(credential) = credentials
        .iter()
        .find(|c| c.access_key_id == auth.access_key_id)
    else {
        return Err(AuthError::new(
            "UnrecognizedClientException",
            "unknown-key",
            INVALID_TOKEN,
        ));
    };
    let token_ok = match (&credential.session_token, one("X-Amz-Security-Token")?) {
        (Some(expected), Some(sent)) => constant_time_eq(expected.as_bytes(), sent.as_bytes()),
        (None, None) => true,
        _ => false,
    };
    if !token_ok {
        return Err(AuthError::new(
            "UnrecognizedClientException",
            "bad-token",
            INVALID_TOKEN,
        ));
    }
    let server = unix_secs(now);
    if signed_at > server.saturating_add(MAX_SKEW_SECS) {
        return Err(AuthError::invalid(
            "not-yet-current",
            format!(
                "Signature not yet current: {amz_date} is still later than {} ({} + 5 min.)",
                format_amz_date(server.saturating_add(MAX_SKEW_SECS)),
                format_amz_date(server)
            ),
        ));
    }
    let expiry = signed_at.saturating_add(expires_secs);
    if server > expiry {
        return Err(AuthError::invalid(
            "expired",
            format!(
                "Request has expired: the URL was signed at {amz_date} for {expires_secs} s, so \
                 it expired at {}; the server time is {}.",
                format_amz_date(expiry),
                format_amz_date(server)
            ),
        ));
    }
    if auth.terminator != "aws4_request" {
        return Err(AuthError::invalid(
            "wrong-scope",
            format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
                auth.terminator
            ),
        ));
    }
    if auth.service != SERVICE {
        return Err(AuthError::invalid(
            "wrong-scope",
            format!(
                "Credential should be scoped to correct service: '{SERVICE}'. (got '{}')",
                auth.service
            ),
        ));
    }
    if let Some(expected) = region {
        if auth.region != expected {
            return Err(AuthError::invalid(
                "wrong-region",
                format!(
                    "Credential should be scoped to a valid region, not '{}'. ",
                    auth.region
                ),
            ));
        }
    }
    let day = amz_date.get(..8).unwrap_or(amz_date);
    if auth.date != day {
        return Err(AuthError::invalid(
            "wrong-scope",
            format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from X-Amz-Date: '{}' != '{day}', from '{amz_date}'.",
                auth.date,
            ),
        ));
    }
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(AuthError::invalid(
            "invalid",
            "'host' must be in X-Amz-SignedHeaders. Presign the URL with the host header signed.",
        ));
    }
    let query = query_without_signature(req.query);
    let compute = |r: &IncomingRequest<'_>| {
        let canonical = canonical_request(r, &auth.signed_headers, EMPTY_PAYLOAD_SHA256);
        let to_sign = string_to_sign(amz_date, &auth.scope(), &canonical);
        (
            self::signature(&credential.secret_access_key, &auth, &to_sign),
            canonical,
        )
    };
    let unsigned = IncomingRequest {
        query: Some(&query),
        ..*req
    };
    let (expected, canonical) = compute(&unsigned);
    let sent = auth.signature.to_ascii_lowercase();
    if !constant_time_eq(expected.as_bytes(), sent.as_bytes()) {
        // The classic WebSocket presigning bug: signing the host name without the port the
        // client then connects to.
        let host = header_str(req.headers, "host").or(req.authority);
        if let Some(bare) = host.and_then(without_port) {
            let mut headers = req.headers.clone();
            if let Ok(v) = axum::http::HeaderValue::from_str(bare) {
                headers.insert(axum::http::header::HOST, v);
            }
            let bare_req = IncomingRequest {
                headers: &headers,
                authority: None,
                ..unsigned
            };
            let (without, _) = compute(&bare_req);
            if constant_time_eq(without.as_bytes(), sent.as_bytes()) {
                return Err(AuthError::invalid(
                    "invalid",
                    format!(
                        "{SIGNATURE_MISMATCH} (The URL was signed with host '{bare}', without \
                         the port; the request's host is '{}': sign the host with the port you \
                         connect to.)",
                        host.unwrap_or_default()
                    ),
                ));
            }
        }
        return Err(AuthError::invalid("invalid", SIGNATURE_MISMATCH));
    }
    Ok(Presigned {
        access_key_id: auth.access_key_id,
        region: auth.region,
        signature: sent,
        secret_access_key: credential.secret_access_key.clone(),
        canonical_request: canonical,
    })
}

/// The string to sign of one signed event (`signEvent` in @smithy/signature-v4):
/// `AWS4-HMAC-SHA256-PAYLOAD`, the event's date (`:date`, to the second), the scope of that
/// date, the prior signature (hex), the hex SHA-256 of the encoded `:date` header and the hex
/// SHA-256 of the payload, one per line.
pub fn event_string_to_sign(
    date_ms: i64,
    region: &str,
    prior_signature: &str,
    encoded_date_header: &[u8],
    payload: &[u8],
) -> String {
    let long = format_amz_date(date_ms.div_euclid(1000));
    let short = long.get(..8).unwrap_or(&long);
    format!(
        "{EVENT_ALGORITHM}\n{long}\n{short}/{region}/{SERVICE}/aws4_request\n{prior_signature}\n{}\n{}",
        sha256_hex(encoded_date_header),
        sha256_hex(payload)
    )
}

/// The signature of one event (raw bytes, as the `:chunk-signature` header carries them).
pub fn event_signature(
    secret: &str,
    date_ms: i64,
    region: &str,
    prior_signature: &str,
    encoded_date_header: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let long = format_amz_date(date_ms.div_euclid(1000));
    let short = long.get(..8).unwrap_or(&long);
    let key = signing_key(secret, short, region, SERVICE);
    hmac_sha256(
        &key,
        event_string_to_sign(
            date_ms,
            region,
            prior_signature,
            encoded_date_header,
            payload,
        )
        .as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_paths_twice_and_queries_strictly() {
        assert_eq!(
            canonical_uri("/model/anthropic.claude-v2%3A1/invoke"),
            "/model/anthropic.claude-v2%253A1/invoke"
        );
        assert_eq!(canonical_uri("/model/a:b/invoke"), "/model/a%3Ab/invoke");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(
            canonical_query(Some("b=2&a=x%20y&a=1&c")),
            "a=1&a=x%20y&b=2&c="
        );
        assert_eq!(percent_decode("a%3Ab%2"), b"a:b%2");
        assert_eq!(percent_decode("%e6%97%a5"), "日".as_bytes());
    }

    #[test]
    fn parses_authorization() {
        let a = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20250115/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        )
        .unwrap();
        assert_eq!(a.access_key_id, "AKID");
        assert_eq!(a.scope(), "20250115/us-east-1/bedrock/aws4_request");
        assert_eq!(a.signed_headers, ["host", "x-amz-date"]);
        let e = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20250115/us-east-1/bedrock/aws4_request",
        )
        .unwrap_err();
        assert_eq!(e.code, "IncompleteSignatureException");
        assert!(
            e.message.contains("'Signature'") && e.message.contains("'SignedHeaders'"),
            "{}",
            e.message
        );
        for bad in [
            "",
            " ",
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 ",
            "AWS4-HMAC-SHA256 ,,,,",
            "AWS4-HMAC-SHA256 Credential=",
            "AWS4-HMAC-SHA256 Credential==, SignedHeaders==, Signature==",
            "AWS4-HMAC-SHA256 Credential=////, SignedHeaders=host, Signature=ab",
            "AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f, SignedHeaders=host, Signature=ab",
            "AWS4-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host, Signature=ab",
            "AWS4-HMAC-SHA256 Credential=AKID/2025",
            "Bearer",
        ] {
            assert!(parse_authorization(bad).is_err(), "{bad:?}");
        }
    }
}
