//! Who is calling: an API key, or a SigV4 signature checked by the independent verifier in
//! `sigv4.rs` against the configured and the emulated-Cognito credentials. The verdict goes
//! into the request log.

use std::time::SystemTime;

use axum::http::{header, HeaderMap};

use super::{ApiError, Shared};
use crate::sigv4::{self, IncomingRequest};

/// The `Authorization: Bearer <key>` value, if that is how the request authenticates.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    // `Bearer` with no key is an (empty, so unknown) API key, not a SigV4 attempt.
    let (scheme, key) = value.split_once(' ').unwrap_or((value, ""));
    scheme.eq_ignore_ascii_case("Bearer").then(|| key.trim())
}

/// Checks the request's API key or SigV4 signature, and records the verdict.
pub(super) fn authenticate(
    s: &Shared,
    id: &str,
    parts: &axum::http::request::Parts,
    body: &[u8],
    now: SystemTime,
) -> Result<(), ApiError> {
    // Two credentials are ambiguous (which one counts?): refuse rather than pick one.
    if parts
        .headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .nth(1)
        .is_some()
    {
        s.log.update(id, |r| r.signature = "malformed".into());
        return Err(ApiError::new(
            403,
            "IncompleteSignatureException",
            sigv4::MULTIPLE_AUTHORIZATION,
        ));
    }
    if let Some(key) = bearer(&parts.headers).filter(|_| !s.config.api_keys.is_empty()) {
        let known = s
            .config
            .api_keys
            .iter()
            .any(|k| sigv4::constant_time_eq(k.as_bytes(), key.as_bytes()));
        s.log.update(id, |r| {
            r.signature = if known { "api-key" } else { "unknown-api-key" }.into()
        });
        if known {
            return Ok(());
        }
        let message = if key.starts_with("ABSK") {
            "Authentication failed: Please make sure your API Key is valid."
        } else {
            "Invalid API Key format: Must start with pre-defined prefix"
        };
        return Err(ApiError {
            capital_message: true,
            ..ApiError::new(403, "UnrecognizedClientException", message)
        });
    }
    let incoming = IncomingRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        authority: parts.uri.authority().map(|a| a.as_str()),
        body,
    };
    // Credentials from the emulated Cognito count too, until they expire.
    let credentials = s
        .cognito
        .credentials(&s.config.credentials, &parts.headers, now)
        .map_err(|message| {
            s.log.update(id, |r| r.signature = "expired".into());
            ApiError::new(403, "ExpiredTokenException", message)
        })?;
    let verdict = sigv4::verify_in_region(&incoming, &credentials, now, s.config.region.as_deref());
    s.log.update(id, |r| {
        r.signature = match &verdict {
            Ok(_) => "valid".into(),
            Err(e) => e.verdict.into(),
        }
    });
    verdict
        .map(|_| ())
        .map_err(|e| ApiError::new(e.status, e.code, e.message))
}
