//! SigV4 in the query string (a presigned URL): what a WebSocket handshake carries, since a
//! browser's `WebSocket` cannot set an `Authorization` header.
//!
//! Built as `@smithy/signature-v4`'s `presign` builds it for the AWS SDK for JavaScript's
//! WebSocket handler (`@aws-sdk/middleware-websocket`, `WebsocketSignatureV4`), and as
//! `aws-sigv4`'s `http_request::sign` with `SignatureLocation::QueryParams` does (the tests hold
//! it to both):
//! - the query gains `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
//!   `X-Amz-SignedHeaders=host` and, with temporary credentials, `X-Amz-Security-Token`, which
//!   is **signed** (it is in the canonical query, as both signers do by default); then
//!   `X-Amz-Signature`, which is not;
//! - the only signed header is `host`;
//! - the payload hash is the SHA-256 of the empty body (`e3b0c442…`), not `UNSIGNED-PAYLOAD`:
//!   `WebsocketSignatureV4` presigns `{ ...request, body: "" }` for exactly that reason;
//! - the URL's query is written sorted by name, as `@smithy/querystring-builder` writes it.
//!
//! One deliberate difference: `host` is signed with its port when the port is not the scheme's
//! default (`127.0.0.1:4010`), as the `Host` header the browser sends says. The SDK's
//! `websocketEndpointMiddleware` signs `request.hostname` without the port, which a server
//! that checks the signature against the real `Host` header refuses.

use std::fmt;
use std::time::SystemTime;

use percent_encoding::utf8_percent_encode;

use super::canonical::{amz_date, normalize_path, request_head, scope, signature, UNRESERVED};
use super::{
    check_endpoint, checked, signing_name, Credentials, EndpointPolicy, SignError, SignErrorKind,
};

/// How long a presigned URL stays valid when the caller does not say: 300 seconds. The SDK's
/// WebSocket signer uses 60; a few minutes leaves room for a slow handshake and a skewed
/// clock, and the URL only opens the connection (the stream itself may last longer).
pub const PRESIGN_DEFAULT_EXPIRES_SECS: u32 = 300;

/// The longest validity SigV4 allows a presigned URL: 7 days (604,800 seconds).
pub const PRESIGN_MAX_EXPIRES_SECS: u32 = 604_800;

/// The SHA-256 of an empty payload: what a presigned WebSocket URL signs as its body.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// A presigned URL and its signature. The signature (hex) seeds the chain of event
/// signatures that follow on the connection ([`EventSigner`](super::EventSigner)).
///
/// `Debug` shows the URL without its query: the query carries the session token.
#[derive(Clone, PartialEq, Eq)]
pub struct PresignedUrl {
    url: String,
    signature: String,
}

impl PresignedUrl {
    /// The URL to open, query included.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `X-Amz-Signature`, 64 lower-case hex digits: the first "prior signature" of the
    /// event chain.
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// The URL and the signature.
    pub fn into_parts(self) -> (String, String) {
        (self.url, self.signature)
    }

    /// The same URL under another scheme (`https` → `wss`): SigV4 signs the host, path and
    /// query, not the scheme, so the signature still holds as long as the default port is
    /// the same (443 for `https`/`wss`, 80 for `http`/`ws`).
    pub(crate) fn with_scheme(mut self, scheme: &str) -> Self {
        if let Some(rest) = self.url.find("://").and_then(|at| self.url.get(at..)) {
            // A new string rather than `replace_range`, whose splicing costs the wasm.
            let mut url = String::with_capacity(scheme.len() + rest.len());
            url.push_str(scheme);
            url.push_str(rest);
            self.url = url;
        }
        self
    }
}

impl fmt::Debug for PresignedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base = self.url.split('?').next().unwrap_or("");
        f.debug_struct("PresignedUrl")
            .field("url", &format_args!("{base}?** query redacted **"))
            .finish_non_exhaustive()
    }
}

/// Presigns `url` (absolute `http(s)`, no fragment) for `method`, valid `expires_secs`
/// seconds (1 to [`PRESIGN_MAX_EXPIRES_SECS`]) from `time`, signed for `region` under the
/// signing name of the host ([`signing_name`]).
///
/// The URL is checked as [`authorize`](super::authorize) checks it: plain `http` only to a
/// loopback host unless `policy` allows it. Query parameters already in `url` stay where they
/// are and are signed; the new ones follow them, sorted by name.
pub fn presign_url(
    method: &str,
    url: &str,
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
    expires_secs: u32,
    policy: EndpointPolicy,
) -> Result<PresignedUrl, SignError> {
    check_endpoint(url, policy)?;
    if !(1..=PRESIGN_MAX_EXPIRES_SECS).contains(&expires_secs) {
        return Err(SignError::new(
            SignErrorKind::InvalidExpiry,
            format!(
                "a presigned URL must expire after 1 to {PRESIGN_MAX_EXPIRES_SECS} seconds (7 days), not {expires_secs}; pass e.g. {PRESIGN_DEFAULT_EXPIRES_SECS}"
            ),
        ));
    }
    if url.contains('#') {
        return Err(SignError::new(
            SignErrorKind::InvalidUrl,
            "a URL to presign must not have a #fragment (it is never sent, so it cannot be signed)",
        ));
    }
    let (parts, secs) = checked(credentials, url, time)?;
    let token = credentials.session_token.as_deref();
    if token.is_some_and(|t| t.bytes().any(|b| b < 32 || b == 127)) {
        return Err(SignError::new(
            SignErrorKind::Rejected,
            "the session token has a control character; check that it was copied whole",
        ));
    }

    let service = signing_name(url);
    let date_time = amz_date(secs);
    let scope = scope(&date_time, region, service);
    let credential = format!("{}/{scope}", credentials.access_key_id);
    let expires = expires_secs.to_string();
    let mut params: Vec<(&str, &str)> = vec![
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Credential", &credential),
        ("X-Amz-Date", &date_time),
        ("X-Amz-Expires", &expires),
    ];
    if let Some(token) = token {
        params.push(("X-Amz-Security-Token", token));
    }
    params.push(("X-Amz-SignedHeaders", "host"));
    let encoded = |pairs: &[(&str, &str)]| -> String {
        let mut out = String::new();
        for (name, value) in pairs {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(name);
            out.push('=');
            out.extend(utf8_percent_encode(value, UNRESERVED));
        }
        out
    };
    let ours = encoded(&params);
    let signed_query = match parts.query.filter(|q| !q.is_empty()) {
        Some(q) => format!("{q}&{ours}"),
        None => ours,
    };

    let mut creq = request_head(
        &method.to_ascii_uppercase(),
        &normalize_path(parts.path),
        Some(&signed_query),
    );
    creq.push_str("host:");
    creq.push_str(parts.host);
    creq.push_str("\n\nhost\n");
    creq.push_str(EMPTY_PAYLOAD_SHA256);
    let signature = signature(
        &creq,
        &date_time,
        &scope,
        secs,
        region,
        service,
        &credentials.secret_access_key,
    );

    // `X-Amz-Signature` before `X-Amz-SignedHeaders`, the last: the query stays sorted.
    let last = params.len() - 1;
    params[last] = ("X-Amz-Signature", &signature);
    params.push(("X-Amz-SignedHeaders", "host"));
    let base = url.split('?').next().unwrap_or(url);
    let query = match parts.query.filter(|q| !q.is_empty()) {
        Some(q) => format!("{q}&{}", encoded(&params)),
        None => encoded(&params),
    };
    let url = format!("{base}?{query}");
    Ok(PresignedUrl { url, signature })
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn creds(token: Option<&str>) -> Credentials {
        Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            token.map(str::to_owned),
        )
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn presign(url: &str, c: &Credentials, expires: u32) -> Result<PresignedUrl, SignError> {
        presign_url(
            "GET",
            url,
            c,
            "us-east-1",
            at(1_736_942_400),
            expires,
            EndpointPolicy::SecureOrLoopback,
        )
    }

    #[test]
    fn the_query_is_sorted_and_the_token_signed() {
        let p = presign(
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/x",
            &creds(Some("tok+en/=")),
            300,
        )
        .unwrap();
        let query = p.url().split_once('?').unwrap().1;
        let names: Vec<&str> = query
            .split('&')
            .map(|kv| kv.split('=').next().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "X-Amz-Algorithm",
                "X-Amz-Credential",
                "X-Amz-Date",
                "X-Amz-Expires",
                "X-Amz-Security-Token",
                "X-Amz-Signature",
                "X-Amz-SignedHeaders"
            ]
        );
        assert!(query.contains("X-Amz-Security-Token=tok%2Ben%2F%3D&"));
        assert!(query.contains(
            "X-Amz-Credential=AKIDEXAMPLE%2F20250115%2Fus-east-1%2Fbedrock%2Faws4_request&"
        ));
        assert_eq!(p.signature().len(), 64);
        // The token is signed: another token, another signature.
        let q = presign(
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/x",
            &creds(Some("other")),
            300,
        )
        .unwrap();
        assert_ne!(p.signature(), q.signature());
        let debug = format!("{p:?}");
        assert!(
            !debug.contains("tok") && !debug.contains(p.signature()),
            "{debug}"
        );
    }

    #[test]
    fn refusals_say_what_to_do() {
        let c = creds(None);
        for bad in [0, PRESIGN_MAX_EXPIRES_SECS + 1] {
            let e = presign("https://h/x", &c, bad).unwrap_err();
            assert_eq!(e.kind(), SignErrorKind::InvalidExpiry, "{e}");
            assert!(e.to_string().contains("1 to 604800"), "{e}");
        }
        assert!(presign("https://h/x", &c, PRESIGN_MAX_EXPIRES_SECS).is_ok());
        let e = presign("http://example.com/x", &c, 60).unwrap_err();
        assert_eq!(e.kind(), SignErrorKind::InsecureEndpoint);
        let e = presign("https://h/x#f", &c, 60).unwrap_err();
        assert_eq!(e.kind(), SignErrorKind::InvalidUrl);
        let e = presign("https://h/x", &Credentials::new("", "s", None), 60).unwrap_err();
        assert_eq!(e.kind(), SignErrorKind::MissingCredentials);
        let e = presign("https://h/x", &creds(Some("a\u{1}b")), 60).unwrap_err();
        assert_eq!(e.kind(), SignErrorKind::Rejected);
        // A time before 1970 (natively; wasm32's SystemTime cannot even hold one).
        if let Some(before) = UNIX_EPOCH.checked_sub(Duration::from_secs(1)) {
            let e = presign_url(
                "GET",
                "https://h/x",
                &c,
                "us-east-1",
                before,
                60,
                EndpointPolicy::SecureOrLoopback,
            )
            .unwrap_err();
            assert_eq!(e.kind(), SignErrorKind::InvalidTime);
        }
    }

    #[test]
    fn an_existing_query_is_kept_and_signed() {
        let c = creds(None);
        let plain = presign("https://h/x", &c, 60).unwrap();
        let with = presign("https://h/x?b=2&a=1", &c, 60).unwrap();
        assert!(with
            .url()
            .starts_with("https://h/x?b=2&a=1&X-Amz-Algorithm="));
        assert_ne!(plain.signature(), with.signature());
    }

    #[test]
    fn another_scheme_keeps_the_rest() {
        let p = presign("https://h:8443/x", &creds(None), 60).unwrap();
        let sig = p.signature().to_owned();
        let w = p.clone().with_scheme("wss");
        assert_eq!(w.url(), p.url().replacen("https", "wss", 1));
        assert_eq!(w.signature(), sig);
    }
}
