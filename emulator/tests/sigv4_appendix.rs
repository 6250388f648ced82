//! The emulator's verifier against BEDROCK.md Appendix A (computed by botocore and by an
//! independent Python implementation), with an injected clock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bedrock_emulator::sigv4::{self, IncomingRequest};
use bedrock_emulator::Credential;
use http::{HeaderMap, HeaderValue};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "FQoGZXIvYXdzEXAMPLETOKEN";
const PATH: &str = "/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream";
const BODY: &[u8] =
    br#"{"messages": [{"role": "user", "content": [{"text": "Hi"}]}], "inferenceConfig": {"maxTokens": 256}}"#;
const SIGNATURE: &str = "7efd2d175809d9a2d2d9e8ee03ed09086ad3b7fbc60e75995fcc22cab9cf70de";

const CANONICAL_REQUEST: &str = "POST
/model/us.anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse-stream

content-type:application/json
host:bedrock-runtime.us-east-1.amazonaws.com
x-amz-date:20250115T120000Z
x-amz-security-token:FQoGZXIvYXdzEXAMPLETOKEN

content-type;host;x-amz-date;x-amz-security-token
ff61d9daf5973cc3c908a9726c1495d71fe81c1a42f7a56daad69b349dba9b4c";

const STRING_TO_SIGN: &str = "AWS4-HMAC-SHA256
20250115T120000Z
20250115/us-east-1/bedrock/aws4_request
af44e24104065ef4034dea2ac85355f20f4c18f2732dd8d6e2f8adbe4c58ea7d";

/// 2025-01-15T12:00:00Z
fn signing_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_736_942_400)
}

fn credentials(secret: &str) -> Vec<Credential> {
    vec![Credential {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: secret.into(),
        session_token: Some(TOKEN.into()),
    }]
}

fn headers(authorization: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in [
        ("content-type", "application/json"),
        ("host", "bedrock-runtime.us-east-1.amazonaws.com"),
        ("x-amz-date", "20250115T120000Z"),
        ("x-amz-security-token", TOKEN),
        ("authorization", authorization),
        // Sent by browsers but not signed: must not matter.
        ("accept", "*/*"),
        ("content-length", "96"),
    ] {
        h.append(k, HeaderValue::from_str(v).unwrap());
    }
    h
}

fn authorization(scope_service: &str, signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-east-1/{scope_service}/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature={signature}"
    )
}

fn request(headers: &HeaderMap) -> IncomingRequest<'_> {
    IncomingRequest {
        method: "POST",
        path: PATH,
        query: None,
        headers,
        authority: None,
        body: BODY,
    }
}

#[test]
fn accepts_the_appendix_request_and_reproduces_its_canonical_form() {
    let h = headers(&authorization("bedrock", SIGNATURE));
    let req = request(&h);
    assert_eq!(
        sigv4::canonical_request_for(&req).unwrap(),
        CANONICAL_REQUEST
    );
    let verified = sigv4::verify(&req, &credentials(SECRET), signing_time()).unwrap();
    assert_eq!(verified.canonical_request, CANONICAL_REQUEST);
    assert_eq!(verified.string_to_sign, STRING_TO_SIGN);
    assert_eq!(verified.access_key_id, "AKIDEXAMPLE");
    assert_eq!(verified.region, "us-east-1");
    // Within the ±5 minute window on both sides.
    for offset in [-300i64, 299] {
        let now = UNIX_EPOCH + Duration::from_secs((1_736_942_400 + offset) as u64);
        sigv4::verify(&req, &credentials(SECRET), now).unwrap();
    }
}

#[test]
fn rejects_a_flipped_signature_or_secret() {
    let mut flipped = SIGNATURE.to_owned();
    flipped.replace_range(10..11, if &SIGNATURE[10..11] == "0" { "1" } else { "0" });
    let h = headers(&authorization("bedrock", &flipped));
    let e = sigv4::verify(&request(&h), &credentials(SECRET), signing_time()).unwrap_err();
    assert_eq!(
        (e.status, e.code, e.verdict),
        (403, "InvalidSignatureException", "invalid")
    );
    assert!(
        e.message
            .starts_with("The request signature we calculated does not match"),
        "{}",
        e.message
    );

    let h = headers(&authorization("bedrock", SIGNATURE));
    let wrong_secret = SECRET.replace('K', "k");
    let e = sigv4::verify(&request(&h), &credentials(&wrong_secret), signing_time()).unwrap_err();
    assert_eq!(
        (e.code, e.verdict),
        ("InvalidSignatureException", "invalid")
    );

    // The body is covered too.
    let req = IncomingRequest {
        body: b"{}",
        ..request(&h)
    };
    assert_eq!(
        sigv4::verify(&req, &credentials(SECRET), signing_time())
            .unwrap_err()
            .verdict,
        "invalid"
    );
    // So is the path exactly as received: a single-encoded canonical path would differ.
    let req = IncomingRequest {
        path: "/model/us.anthropic.claude-3-5-sonnet-20240620-v1:0/converse-stream",
        ..request(&h)
    };
    assert_eq!(
        sigv4::verify(&req, &credentials(SECRET), signing_time())
            .unwrap_err()
            .verdict,
        "invalid"
    );
}

#[test]
fn reports_clock_skew_with_bedrocks_messages() {
    let h = headers(&authorization("bedrock", SIGNATURE));
    let late = signing_time() + Duration::from_secs(328); // server at 12:05:28
    let e = sigv4::verify(&request(&h), &credentials(SECRET), late).unwrap_err();
    assert_eq!(
        (e.status, e.code, e.verdict),
        (403, "InvalidSignatureException", "expired")
    );
    assert_eq!(
        e.message,
        "Signature expired: 20250115T120000Z is now earlier than 20250115T120028Z (20250115T120528Z - 5 min.)"
    );
    let early = signing_time() - Duration::from_secs(301);
    let e = sigv4::verify(&request(&h), &credentials(SECRET), early).unwrap_err();
    assert_eq!(e.verdict, "not-yet-current");
    assert_eq!(
        e.message,
        "Signature not yet current: 20250115T120000Z is still later than 20250115T115959Z (20250115T115459Z + 5 min.)"
    );
}

#[test]
fn rejects_wrong_scope_unknown_keys_and_token_mismatches() {
    let h = headers(&authorization("bedrock-runtime", SIGNATURE));
    let e = sigv4::verify(&request(&h), &credentials(SECRET), signing_time()).unwrap_err();
    assert_eq!(
        (e.code, e.verdict),
        ("InvalidSignatureException", "wrong-scope")
    );
    assert!(e.message.contains("'bedrock'"), "{}", e.message);

    let h = headers(&authorization("bedrock", SIGNATURE));
    let other_key = vec![Credential {
        access_key_id: "AKIDOTHER".into(),
        ..credentials(SECRET).remove(0)
    }];
    let e = sigv4::verify(&request(&h), &other_key, signing_time()).unwrap_err();
    assert_eq!(
        (e.code, e.verdict),
        ("UnrecognizedClientException", "unknown-key")
    );
    assert_eq!(
        e.message,
        "The security token included in the request is invalid."
    );

    let other_token = vec![Credential {
        session_token: Some("other".into()),
        ..credentials(SECRET).remove(0)
    }];
    let e = sigv4::verify(&request(&h), &other_token, signing_time()).unwrap_err();
    assert_eq!(
        (e.code, e.verdict),
        ("UnrecognizedClientException", "bad-token")
    );

    let mut no_token = h.clone();
    no_token.remove("x-amz-security-token");
    let e = sigv4::verify(&request(&no_token), &credentials(SECRET), signing_time()).unwrap_err();
    assert_eq!(e.verdict, "bad-token");

    let mut no_auth = h.clone();
    no_auth.remove("authorization");
    let e = sigv4::verify(&request(&no_auth), &credentials(SECRET), signing_time()).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            "MissingAuthenticationTokenException",
            "Missing Authentication Token"
        )
    );
}

/// A request as the AWS SDK for JavaScript v3 (3.1163) signs it over HTTP/2, recorded from the
/// SDK against the emulator: it signs the `:authority` pseudo-header instead of `host`, plus
/// `x-amz-content-sha256` and its own `amz-sdk-*` headers.
#[test]
fn accepts_the_js_sdks_http2_signature_over_authority() {
    let mut h = HeaderMap::new();
    for (k, v) in [
        ("content-type", "application/octet-stream"),
        ("content-length", "2"),
        ("x-amz-user-agent", "aws-sdk-js/3.1163.0"),
        ("amz-sdk-invocation-id", "bc5410e9-fbfd-4197-a98d-90894d3f95ec"),
        ("amz-sdk-request", "attempt=1; max=3"),
        ("x-amz-date", "20261124T213027Z"),
        ("x-amz-security-token", "emulator-demo-session-token"),
        (
            "x-amz-content-sha256",
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        ),
        (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEMULATOR0000DEMO/20261124/us-east-1/bedrock/aws4_request, \
             SignedHeaders=:authority;amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-user-agent, \
             Signature=0951f6ed167bdc6a24b500a90c2935e1a0cefd81dc8147036dd5d52fe186dd53",
        ),
    ] {
        h.append(k, HeaderValue::from_str(v).unwrap());
    }
    let req = IncomingRequest {
        method: "POST",
        path: "/model/anthropic.claude-v2/invoke",
        query: None,
        headers: &h,
        authority: Some("127.0.0.1:4733"),
        body: b"{}",
    };
    // 2026-11-24T21:30:27Z
    let at = UNIX_EPOCH + Duration::from_secs(1_795_555_827);
    let verified = sigv4::verify(&req, &[Credential::demo()], at).unwrap();
    assert!(verified
        .canonical_request
        .contains("\n:authority:127.0.0.1:4733\n"));
    // The authority is covered: another one fails.
    let moved = IncomingRequest {
        authority: Some("127.0.0.1:4734"),
        ..req
    };
    assert_eq!(
        sigv4::verify(&moved, &[Credential::demo()], at)
            .unwrap_err()
            .verdict,
        "invalid"
    );
}
