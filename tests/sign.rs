//! SigV4: the Bedrock vector of BEDROCK.md Appendix A and AWS suite cases for double encoding.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bedrock_wasm::bedrock::{encode_model_id, Endpoint, HttpRequest, InvokeModelInput, Operation};
use bedrock_wasm::sign::{sign_request, sign_request_as, Credentials};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn reproduces_bedrock_md_appendix_a() {
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        SECRET,
        Some("FQoGZXIvYXdzEXAMPLETOKEN".into()),
    );
    let body = br#"{"messages": [{"role": "user", "content": [{"text": "Hi"}]}], "inferenceConfig": {"maxTokens": 256}}"#;
    let url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream";
    let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    // 2025-01-15T12:00:00Z
    let added = sign_request(
        "POST",
        url,
        &headers,
        body,
        &creds,
        "us-east-1",
        at(1_736_942_400),
    )
    .unwrap();
    assert_eq!(
        header(&added, "authorization"),
        Some(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-east-1/bedrock/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, \
             Signature=7efd2d175809d9a2d2d9e8ee03ed09086ad3b7fbc60e75995fcc22cab9cf70de"
        )
    );
    assert_eq!(header(&added, "x-amz-date"), Some("20250115T120000Z"));
    assert_eq!(
        header(&added, "x-amz-security-token"),
        Some("FQoGZXIvYXdzEXAMPLETOKEN")
    );
}

/// The same Appendix A request built by the library's request builder from a model id.
#[test]
fn request_builder_encodes_model_id_once_and_signs_double_encoded() {
    assert_eq!(
        encode_model_id("us.anthropic.claude-3-5-sonnet-20240620-v1:0"),
        "us.anthropic.claude-3-5-sonnet-20240620-v1%3A0"
    );
    assert_eq!(
        encode_model_id(
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz"
        ),
        "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fabc123xyz"
    );
    let endpoint = Endpoint::aws("us-east-1").unwrap();
    let input = InvokeModelInput::new("anthropic.claude-v2:1", b"{}".to_vec());
    let mut req =
        HttpRequest::invoke(&endpoint, Operation::InvokeModelWithResponseStream, &input).unwrap();
    assert_eq!(
        req.url,
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2%3A1/invoke-with-response-stream"
    );
    assert_eq!(
        header(&req.headers, "x-amzn-bedrock-accept"),
        Some("application/json")
    );
    assert_eq!(header(&req.headers, "accept"), None);
    let creds = Credentials::new("AKIDEXAMPLE", SECRET, Some(String::new()));
    req.sign(&creds, "us-east-1", at(1_736_942_400)).unwrap();
    // An empty session token is no token: sending it empty makes AWS reject the request.
    assert_eq!(header(&req.headers, "x-amz-security-token"), None);
    let auth = header(&req.headers, "authorization").unwrap();
    assert!(auth.contains("/us-east-1/bedrock/aws4_request"), "{auth}");
    assert!(
        auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amzn-bedrock-accept,"),
        "{auth}"
    );
}

/// Runs one case of the AWS SigV4 suite (header form) through `sign_request_as`.
fn suite_case(request: &str, signed: &str, context: &str) {
    let ctx: serde_json::Value = serde_json::from_str(context).unwrap();
    let creds = &ctx["credentials"];
    let credentials = Credentials::new(
        creds["access_key_id"].as_str().unwrap(),
        creds["secret_access_key"].as_str().unwrap(),
        creds["token"].as_str().map(str::to_owned),
    );
    let mut lines = request.lines();
    let mut first = lines.next().unwrap().split(' ');
    let (method, path) = (first.next().unwrap(), first.next().unwrap());
    let mut host = "";
    let mut headers = Vec::new();
    for line in lines.by_ref() {
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').unwrap();
        match k.to_ascii_lowercase().as_str() {
            "host" => host = v,
            "x-amz-date" => {}
            _ => headers.push((k.to_owned(), v.to_owned())),
        }
    }
    let time = ctx["timestamp"].as_str().unwrap();
    let secs = parse_rfc3339(time);
    let added = sign_request_as(
        ctx["service"].as_str().unwrap(),
        method,
        &format!("https://{host}{path}"),
        &headers,
        b"",
        &credentials,
        ctx["region"].as_str().unwrap(),
        at(secs),
    )
    .unwrap();
    let expected = signed
        .lines()
        .find_map(|l| l.strip_prefix("Authorization:"))
        .unwrap()
        .trim();
    assert_eq!(header(&added, "authorization"), Some(expected));
}

/// `2015-08-30T12:36:00Z` → seconds since the epoch (no time crate needed for two vectors).
fn parse_rfc3339(s: &str) -> u64 {
    let n = |r: std::ops::Range<usize>| s[r].parse::<u64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let days_before_month = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let leap = |y: u64| (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let mut days = (1970..y)
        .map(|y| if leap(y) { 366 } else { 365 })
        .sum::<u64>();
    days += days_before_month[(m - 1) as usize] + d - 1;
    if m > 2 && leap(y) {
        days += 1;
    }
    days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)
}

#[test]
fn aws_suite_double_url_encode() {
    suite_case(
        include_str!("fixtures/sigv4/double-url-encode/request.txt"),
        include_str!("fixtures/sigv4/double-url-encode/header-signed-request.txt"),
        // smithy-rs ships this case without a context.json; these are its inputs (BEDROCK.md §1).
        r#"{"credentials":{"access_key_id":"AKIDEXAMPLE",
            "secret_access_key":"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
            "region":"us-east-2","service":"lambda","timestamp":"2021-05-11T15:40:45Z"}"#,
    );
}

#[test]
fn aws_suite_get_vanilla_with_session_token() {
    suite_case(
        include_str!("fixtures/sigv4/get-vanilla-with-session-token/request.txt"),
        include_str!("fixtures/sigv4/get-vanilla-with-session-token/header-signed-request.txt"),
        include_str!("fixtures/sigv4/get-vanilla-with-session-token/context.json"),
    );
}

#[test]
fn debug_output_redacts_secrets() {
    let creds = Credentials::new("AKIDEXAMPLE", SECRET, Some("TOKEN123".into()));
    let shown = format!("{creds:?}");
    assert!(shown.contains("AKIDEXAMPLE"));
    assert!(
        !shown.contains(SECRET) && !shown.contains("TOKEN123"),
        "{shown}"
    );
}
