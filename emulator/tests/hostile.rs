//! Hostile input: every way in from the network (fault specs, headers, bodies, signatures,
//! Cognito and STS, the `/_emulator/*` control routes) gets a clear answer — never a dropped
//! connection, a body cut short or a panic — and the emulator keeps serving normal requests
//! afterwards. A panic in a connection task would drop the connection without a response:
//! [`send`] and [`body`] turn that into a failure naming the case.

mod common;

use std::time::{Duration, SystemTime};

use bedrock_emulator::clock::{http_date, unix_secs, MAX_CLOCK_SKEW_SECS};
use bedrock_emulator::{
    claude_text_answer, Config, Emulator, DEMO_IDENTITY_POOL_ID, MAX_COGNITO_LIFETIME_SECS,
};
use common::*;
use reqwest::header::HeaderValue;
use serde_json::{json, Value};

const CLAUDE: &str = "anthropic.claude-v2";
const STREAM: &str = "invoke-with-response-stream";

fn claude(max: u32) -> Value {
    json!({"prompt": PROMPT, "max_tokens_to_sample": max})
}

fn claude_bytes(max: u32) -> Vec<u8> {
    serde_json::to_vec(&claude(max)).unwrap()
}

/// Sends a request. No response at all (a dropped connection, which is what a panicking
/// connection task produces) fails the test.
async fn send(req: reqwest::RequestBuilder, case: &str) -> reqwest::Response {
    match req.send().await {
        Ok(r) => r,
        Err(e) => panic!("{case}: no response (connection dropped?): {e:?}"),
    }
}

/// Reads a whole body; a body cut short (a panicking producer task) fails the test.
async fn read_body(r: reqwest::Response, case: &str) -> Vec<u8> {
    match r.bytes().await {
        Ok(b) => b.to_vec(),
        Err(e) => panic!("{case}: body cut short: {e:?}"),
    }
}

/// Asserts a Bedrock-style error: `status`, `x-amzn-ErrorType` (of `code` when given) and a
/// JSON body with a non-empty `message` (or `Message`), which it returns.
async fn clear_error(r: reqwest::Response, status: u16, code: Option<&str>, case: &str) -> String {
    assert_eq!(r.status().as_u16(), status, "{case}");
    let error_type = header(&r, "x-amzn-ErrorType")
        .unwrap_or_else(|| panic!("{case}: no x-amzn-ErrorType"))
        .to_owned();
    if let Some(code) = code {
        assert!(
            error_type.starts_with(&format!("{code}:")),
            "{case}: {error_type}"
        );
    }
    assert_eq!(
        header(&r, "content-type"),
        Some("application/json"),
        "{case}"
    );
    let bytes = read_body(r, case).await;
    let v: Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{case}: the body is not JSON ({e}): {bytes:?}"));
    let message = v["message"]
        .as_str()
        .or(v["Message"].as_str())
        .unwrap_or_else(|| panic!("{case}: no message in {v}"));
    assert!(!message.is_empty(), "{case}");
    message.to_owned()
}

/// The emulator still answers correctly: an InvokeModel, a stream that decodes cleanly to its
/// end, and the log.
async fn assert_healthy(server: &TestServer) {
    let r = send(
        signed(server, &model_path(CLAUDE, "invoke"), claude_bytes(5), &[]),
        "health: invoke",
    )
    .await;
    assert_eq!(r.status(), 200, "health: invoke");
    let v: Value = serde_json::from_slice(&read_body(r, "health: invoke").await).unwrap();
    assert_eq!(v["completion"], claude_text_answer(PROMPT, 5).text());
    let r = send(
        signed(server, &model_path(CLAUDE, STREAM), claude_bytes(3), &[]),
        "health: stream",
    )
    .await;
    assert_eq!(frames(r).await.len(), 3, "health: stream");
    let r = send(server.http.get(server.url("/_emulator/log")), "health: log").await;
    assert_eq!(r.status(), 200, "health: log");
}

/// A POST of `body` to `path`, signed with the demo credentials, plus `raw` headers that are
/// sent unsigned (so they may hold any bytes, and repeat).
fn signed(
    server: &TestServer,
    path: &str,
    body: Vec<u8>,
    raw: &[(&str, &[u8])],
) -> reqwest::RequestBuilder {
    let url = server.url(path);
    let headers = [("content-type", "application/json")];
    let mut req = server
        .http
        .post(&url)
        .header("content-type", "application/json");
    for (k, v) in sign_headers("POST", &url, &headers, &body, &Signing::default()) {
        req = req.header(k, v);
    }
    for (k, v) in raw {
        req = req.header(*k, HeaderValue::from_bytes(v).unwrap());
    }
    req.body(body)
}

/// A signed streaming call with `spec` in the fault header.
fn with_fault(server: &TestServer, spec: &str, max: u32) -> reqwest::RequestBuilder {
    signed(
        server,
        &model_path(CLAUDE, STREAM),
        claude_bytes(max),
        &[("x-emulator-fault", spec.as_bytes())],
    )
}

#[tokio::test]
async fn out_of_range_clock_skews_are_refused_both_signs() {
    let server = TestServer::start(0).await;
    for skew in [
        "1000000000000000",
        "-1000000000000000",
        "+1000000000000000",
        "10000000001",
        "-10000000001",
        "9223372036854775807",
        "-9223372036854775808",
        "99999999999999999999999",
    ] {
        let spec = format!("clock-skew={skew}");
        let r = send(with_fault(&server, &spec, 5), &spec).await;
        let m = clear_error(r, 400, Some("ValidationException"), &spec).await;
        assert!(m.contains("between -10000000000 and 10000000000"), "{m}");
        // The same through the model-id prefix, on every operation.
        for op in ["invoke", STREAM, "converse", "converse-stream"] {
            let case = format!("prefix {spec} {op}");
            let path = model_path(&format!("emulator-fault:{spec}:{CLAUDE}"), op);
            let r = send(signed(&server, &path, claude_bytes(5), &[]), &case).await;
            clear_error(r, 400, Some("ValidationException"), &case).await;
        }
    }
    assert_healthy(&server).await;
}

#[tokio::test]
async fn the_largest_clock_skews_still_work_both_signs() {
    let server = TestServer::start(0).await;
    for (skew, verdict) in [
        (MAX_CLOCK_SKEW_SECS, "Signature expired"),
        (-MAX_CLOCK_SKEW_SECS, "Signature not yet current"),
    ] {
        let spec = format!("clock-skew={skew}");
        let r = send(with_fault(&server, &spec, 5), &spec).await;
        let expected = http_date(unix_secs(SystemTime::now()) + skew);
        let year = |d: &str| d.split(' ').nth(3).unwrap_or_default().to_owned();
        assert_eq!(year(header(&r, "date").unwrap()), year(&expected), "{spec}");
        let m = clear_error(r, 403, Some("InvalidSignatureException"), &spec).await;
        assert!(m.starts_with(verdict), "{m}");
    }
    // Configured skew + fault skew beyond the bound: refused, not overflowed.
    let skewed = TestServer::with_config(Config {
        clock_skew_secs: MAX_CLOCK_SKEW_SECS - 5,
        ..Config::default()
    })
    .await;
    let r = send(with_fault(&skewed, "clock-skew=6", 5), "sum").await;
    let m = clear_error(r, 400, Some("ValidationException"), "sum").await;
    assert!(m.contains("clock skew in effect"), "{m}");
    let r = send(with_fault(&skewed, "clock-skew=-5", 5), "sum back").await;
    clear_error(r, 403, Some("InvalidSignatureException"), "sum back").await;
    assert_healthy(&server).await;
}

#[tokio::test]
async fn out_of_range_configuration_is_refused_at_start() {
    for config in [
        Config {
            clock_skew_secs: i64::MAX,
            ..Config::default()
        },
        Config {
            clock_skew_secs: i64::MIN,
            ..Config::default()
        },
        Config {
            clock_skew_secs: -MAX_CLOCK_SKEW_SECS - 1,
            ..Config::default()
        },
        Config {
            cognito_lifetime: Duration::MAX,
            ..Config::default()
        },
        Config {
            cognito_lifetime: Duration::from_secs(MAX_COGNITO_LIFETIME_SECS + 1),
            ..Config::default()
        },
    ] {
        let err = Emulator::start(config.clone(), "127.0.0.1:0".parse().unwrap())
            .await
            .err()
            .unwrap_or_else(|| panic!("started with {config:?}"));
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
    }
}

#[tokio::test]
async fn over_long_exception_names_are_refused() {
    let server = TestServer::start(0).await;
    // 300 bytes: over the 255-byte limit. 70,000: over what an event-stream header value can
    // hold at all (65535), which used to panic the stream's task mid-response.
    for n in [300, 70_000] {
        let spec = format!("exception={}", "a".repeat(n));
        let case = format!("{n}-byte exception by header");
        let r = send(with_fault(&server, &spec, 5), &case).await;
        let m = clear_error(r, 400, Some("ValidationException"), &case).await;
        assert!(
            m.contains("at most 255"),
            "{case}: {}",
            m.chars().take(300).collect::<String>()
        );
        if n > 60_000 {
            continue; // Too long for a URI (at most 65534 bytes), so only by header.
        }
        for op in [STREAM, "converse-stream"] {
            let case = format!("{n}-byte exception by model-id prefix, {op}");
            let path = model_path(&format!("emulator-fault:{spec}:{CLAUDE}"), op);
            let r = send(signed(&server, &path, claude_bytes(5), &[]), &case).await;
            clear_error(r, 400, Some("ValidationException"), &case).await;
        }
    }
    // Exactly 255 bytes is sent as it is.
    let name = format!("{}Exception", "x".repeat(246));
    let r = send(
        with_fault(&server, &format!("exception={name}@2"), 5),
        "255",
    )
    .await;
    let messages = frames(r).await;
    assert_eq!(messages.len(), 3);
    assert_eq!(
        messages[2].str_header(":exception-type"),
        Some(name.as_str())
    );
    assert_healthy(&server).await;
}

#[tokio::test]
async fn over_long_fault_values_and_model_ids_get_clear_answers() {
    let server = TestServer::start(0).await;
    let long = "z".repeat(100_000);
    for (case, spec) in [
        ("over-long replay name", format!("replay={long}")),
        ("over-long unknown item", long.clone()),
        (
            "over-long value of an item without one",
            format!("error={long}"),
        ),
        (
            "over-long count",
            format!("throttle={}", "9".repeat(100_000)),
        ),
        ("over-long @K", format!("truncate@{}", "9".repeat(100_000))),
        (
            "many items",
            "error@1,".repeat(10_000) + "internal,throttle",
        ),
    ] {
        let r = send(with_fault(&server, &spec, 5), case).await;
        clear_error(r, 400, Some("ValidationException"), case).await;
    }
    // A long fault key is just a key.
    let spec = format!("throttle=1,key={long}");
    let r = send(with_fault(&server, &spec, 5), "long key").await;
    clear_error(r, 429, Some("ThrottlingException"), "long key").await;
    // An over-long or undecodable model id is an invalid model id.
    for (case, segment) in [
        ("50 KB model id", "a".repeat(50_000)),
        ("non-UTF-8 model id", "anthropic.claude-v2%FF%FE".to_owned()),
        (
            "non-UTF-8 fault prefix",
            "emulator-fault%3Athrottle%FF%3Aanthropic.claude-v2".to_owned(),
        ),
        ("lone percent", "anthropic.claude-v2%".to_owned()),
    ] {
        let path = format!("/model/{segment}/invoke");
        let r = send(signed(&server, &path, claude_bytes(5), &[]), case).await;
        let m = clear_error(r, 400, Some("ValidationException"), case).await;
        assert_eq!(m, "The provided model identifier is invalid.", "{case}");
    }
    assert_healthy(&server).await;
}

#[tokio::test]
async fn absurd_numbers_in_every_numeric_fault_parameter() {
    let server = TestServer::start(0).await;
    for spec in [
        "throttle=0",
        "throttle=-1",
        "throttle=4294967296",
        "throttle=99999999999999999999999",
        "throttle=1e3",
        "throttle=",
        "internal=0",
        "retry-after=-1",
        "retry-after=1.5",
        "retry-after=18446744073709551616",
        "retry-after=",
        "stall=-1",
        "stall=3600.001",
        "stall=1e400",
        "stall=1e308",
        "stall=NaN",
        "stall=inf",
        "stall=-inf",
        "stall=",
        "pace=-0.001",
        "pace=60000.1",
        "pace=1e400",
        "pace=NaN",
        "exception=throttling@-1",
        "exception=throttling@18446744073709551616",
        "exception=throttling@1e3",
        "exception=throttling@",
        "exception=throttling@@1",
        "truncate@-5",
        "error@99999999999999999999999",
        "corrupt-crc@0x10",
        "clock-skew=1e3",
        "clock-skew=",
        "clock-skew=--5",
    ] {
        let r = send(with_fault(&server, spec, 3), spec).await;
        let m = clear_error(r, 400, Some("ValidationException"), spec).await;
        assert!(m.contains("Known faults"), "{spec}: {m}");
    }
    // The largest valid values are honoured.
    let r = send(with_fault(&server, "throttle=4294967295", 3), "max count").await;
    let id = request_id(&r);
    clear_error(r, 429, Some("ThrottlingException"), "max count").await;
    assert_eq!(
        server.record(&id).fault_applied.as_deref(),
        Some("ThrottlingException (1 of 4294967295)")
    );
    let spec = "internal,retry-after=18446744073709551615";
    let r = send(with_fault(&server, spec, 3), spec).await;
    assert_eq!(header(&r, "retry-after"), Some("18446744073709551615"));
    clear_error(r, 500, Some("InternalServerException"), spec).await;
    let far = "18446744073709551615";
    let r = send(
        with_fault(&server, &format!("exception=throttling@{far}"), 3),
        "far exception",
    )
    .await;
    let messages = frames(r).await;
    assert_eq!(messages.len(), 4, "three chunks, then the exception");
    assert_eq!(messages[3].str_header(":message-type"), Some("exception"));
    for spec in [
        format!("stall=0@{far}"),
        format!("pace=60000@{far}"),
        "pace=0@0".to_owned(),
        "stall=0@0,stall=0.000001@1,pace=0.000001@2".to_owned(),
    ] {
        let r = send(with_fault(&server, &spec, 3), &spec).await;
        assert_eq!(frames(r).await.len(), 3, "{spec}");
    }
    let r = send(
        with_fault(&server, &format!("truncate@{far}"), 3),
        "far truncate",
    )
    .await;
    assert_eq!(r.status(), 200);
    let (messages, end) = decode_all(&read_body(r, "far truncate").await);
    assert_eq!(messages.len(), 2);
    assert!(end.is_err(), "the last frame is truncated");
    let r = send(with_fault(&server, "exception=x@0", 3), "exception first").await;
    let messages = frames(r).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].str_header(":exception-type"),
        Some("xException")
    );
    assert_healthy(&server).await;
}

#[tokio::test]
async fn non_utf8_bodies_are_malformed_input() {
    let server = TestServer::start(0).await;
    let bodies: [(&str, Vec<u8>); 4] = [
        ("binary", vec![0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28]),
        (
            "invalid UTF-8 inside a string",
            b"{\"prompt\":\"\xff\xfe\",\"max_tokens_to_sample\":5}".to_vec(),
        ),
        (
            "a lone surrogate escape",
            br#"{"prompt":"\ud800","max_tokens_to_sample":5}"#.to_vec(),
        ),
        (
            "UTF-16",
            "{\"a\":1}"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect(),
        ),
    ];
    for (case, bytes) in bodies {
        for op in ["invoke", STREAM, "converse", "converse-stream"] {
            let case = format!("{case}, {op}");
            let r = send(
                signed(&server, &model_path(CLAUDE, op), bytes.clone(), &[]),
                &case,
            )
            .await;
            let m = clear_error(r, 400, Some("ValidationException"), &case).await;
            assert!(m.starts_with("Malformed input request"), "{case}: {m}");
        }
    }
    assert_healthy(&server).await;
}

#[tokio::test]
async fn deeply_nested_json_bodies_are_malformed_input() {
    let server = TestServer::start(0).await;
    let depth = 10_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    let inside = format!(
        r#"{{"prompt":{},"max_tokens_to_sample":5,"top_k":{arrays}}}"#,
        serde_json::to_string(PROMPT).unwrap()
    );
    for (case, text) in [
        ("arrays", &arrays),
        ("objects", &objects),
        ("inside", &inside),
    ] {
        for op in ["invoke", STREAM, "converse", "converse-stream"] {
            let case = format!("{depth} nested {case}, {op}");
            let r = send(
                signed(
                    &server,
                    &model_path(CLAUDE, op),
                    text.clone().into_bytes(),
                    &[],
                ),
                &case,
            )
            .await;
            let m = clear_error(r, 400, Some("ValidationException"), &case).await;
            assert!(m.contains("recursion limit"), "{case}: {m}");
        }
    }
    assert_healthy(&server).await;
}

#[tokio::test]
async fn malformed_authorization_headers_and_dates() {
    let server = TestServer::start(0).await;
    let url = server.url(&model_path(CLAUDE, "invoke"));
    let now = bedrock_emulator::clock::format_amz_date(unix_secs(SystemTime::now()));
    let real = sign_headers(
        "POST",
        &url,
        &[("content-type", "application/json")],
        &claude_bytes(5),
        &Signing::default(),
    );
    let get = |name: &str| {
        real.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let (authorization, amz_date, token) = (
        get("authorization"),
        get("x-amz-date"),
        get("x-amz-security-token"),
    );
    let scoped = |day: &str| {
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEMULATOR0000DEMO/{day}/us-east-1/bedrock/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=00"
        )
    };
    let mut cases: Vec<(String, Vec<u8>, Vec<u8>)> = [
        "",
        "   ",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 ",
        "AWS4-HMAC-SHA256 Credential=",
        "AWS4-HMAC-SHA256 Credential=AKIDEMULATOR0000DEMO/2025",
        "AWS4-HMAC-SHA256 Credential=////, SignedHeaders=;;;, Signature=zz",
        "AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f/g, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential==, SignedHeaders==, Signature==",
        ",,,,===,,,",
        "Bearer",
        "Bearer ",
        "bearer ABSK",
        "Basic dXNlcjpwYXNz",
    ]
    .iter()
    .map(|a| {
        (
            format!("Authorization {a:?}"),
            a.as_bytes().to_vec(),
            amz_date.clone().into_bytes(),
        )
    })
    .collect();
    let huge = format!("AWS4-HMAC-SHA256 {}", "Credential=x, ".repeat(10_000));
    cases.push((
        "huge Authorization".into(),
        huge.into_bytes(),
        amz_date.clone().into_bytes(),
    ));
    for bytes in [
        &b"AWS4-HMAC-SHA256 Credential=AKID\xff/20250115/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00"[..],
        b"\xc3\xa9\xc3\xa9",
        b"Bearer \xff\xfe",
    ] {
        cases.push(("non-ASCII Authorization".into(), bytes.to_vec(), amz_date.clone().into_bytes()));
    }
    // The real header, truncated at every length.
    for cut in (0..authorization.len()).step_by(5) {
        cases.push((
            format!("Authorization cut at {cut}"),
            authorization.as_bytes()[..cut].to_vec(),
            amz_date.clone().into_bytes(),
        ));
    }
    // Odd dates, with a credential scope that gets as far as checking them.
    for date in [
        &b""[..],
        b"2025",
        b"20250115T120000",
        b"20250115T120000Z0",
        b"2025-01-15T12:00:00Z",
        b"20250230T000000Z",
        b"99999999T999999Z",
        b"+0250115T120000Z",
        b"-0250115T120000Z",
        b"202\xc3\xa90115T1200Z",
        b"2025011\xc3\xa9T12000Z",
        b"00000101T000000Z",
        b"99991231T235959Z",
        b"19700101T000000Z",
    ] {
        let day = String::from_utf8_lossy(date.get(..8).unwrap_or(date)).into_owned();
        cases.push((
            format!("x-amz-date {:?}", String::from_utf8_lossy(date)),
            scoped(&day).into_bytes(),
            date.to_vec(),
        ));
    }
    cases.push((
        "a scope date off by one".into(),
        scoped("19991231").into_bytes(),
        now.into_bytes(),
    ));
    for (case, auth, date) in cases {
        let mut req = server
            .http
            .post(&url)
            .header("content-type", "application/json")
            .header("x-amz-security-token", &token)
            .header("x-amz-date", HeaderValue::from_bytes(&date).unwrap())
            .body(claude_bytes(5));
        req = req.header("authorization", HeaderValue::from_bytes(&auth).unwrap());
        let r = send(req, &case).await;
        clear_error(r, 403, None, &case).await;
    }
    // Two Authorization headers are refused, even when one of them is valid.
    for second in [
        authorization.as_str(),
        "AWS4-HMAC-SHA256 junk",
        "Bearer ABSK",
    ] {
        let case = format!("a second Authorization {second:?}");
        let r = send(
            signed(
                &server,
                &model_path(CLAUDE, "invoke"),
                claude_bytes(5),
                &[("authorization", second.as_bytes())],
            ),
            &case,
        )
        .await;
        let m = clear_error(r, 403, Some("IncompleteSignatureException"), &case).await;
        assert!(m.contains("more than one Authorization"), "{m}");
    }
    assert_healthy(&server).await;
}

#[tokio::test]
async fn non_ascii_and_repeated_headers() {
    let server = TestServer::start(0).await;
    for spec in [&b"throttle\xff"[..], b"exception=caf\xc3\xa9", b"\x80"] {
        let case = format!("fault header {:?}", String::from_utf8_lossy(spec));
        let r = send(
            signed(
                &server,
                &model_path(CLAUDE, STREAM),
                claude_bytes(3),
                &[("x-emulator-fault", spec)],
            ),
            &case,
        )
        .await;
        let m = clear_error(r, 400, Some("ValidationException"), &case).await;
        assert!(m.contains("visible ASCII"), "{m}");
    }
    // A repeated fault header is one list, as HTTP joins repeated headers.
    let r = send(
        signed(
            &server,
            &model_path(CLAUDE, STREAM),
            claude_bytes(3),
            &[
                ("x-emulator-fault", b"throttle=1,key=repeated"),
                ("x-emulator-fault", b"retry-after=7"),
            ],
        ),
        "repeated fault header",
    )
    .await;
    assert_eq!(header(&r, "retry-after"), Some("7"));
    clear_error(r, 429, Some("ThrottlingException"), "repeated").await;
    let r = send(
        signed(
            &server,
            &model_path(CLAUDE, STREAM),
            claude_bytes(3),
            &[
                ("x-emulator-fault", b"throttle"),
                ("x-emulator-fault", b"internal"),
            ],
        ),
        "two HTTP faults in two headers",
    )
    .await;
    clear_error(r, 400, Some("ValidationException"), "two HTTP faults").await;
    // Non-ASCII bytes in headers the emulator does not sign or read change nothing.
    let r = send(
        signed(
            &server,
            &model_path(CLAUDE, STREAM),
            claude_bytes(3),
            &[
                ("x-anything", b"\xff\xfe caf\xc3\xa9"),
                ("user-agent", b"\x80"),
            ],
        ),
        "non-ASCII unsigned headers",
    )
    .await;
    assert_eq!(frames(r).await.len(), 3);
    assert_healthy(&server).await;
}

async fn control(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &[u8])],
    case: &str,
) -> reqwest::Response {
    let mut req = server.http.request(method, server.url(path));
    for (k, v) in headers {
        req = req.header(*k, HeaderValue::from_bytes(v).unwrap());
    }
    send(req, case).await
}

#[tokio::test]
async fn control_routes_answer_only_loopback_pages() {
    use reqwest::Method;
    let server = TestServer::start(0).await;
    let port = server.emulator.local_addr().port();
    let acao = |r: &reqwest::Response| header(r, "access-control-allow-origin").map(str::to_owned);
    assert_eq!(
        server.call(CLAUDE, "invoke", &claude(3)).await.status(),
        200
    );

    // No Origin (curl, tests, Node's fetch): allowed, without CORS headers.
    let r = control(&server, Method::GET, "/_emulator/log", &[], "no origin").await;
    assert_eq!((r.status().as_u16(), acao(&r)), (200, None));
    assert_eq!(read_body(r, "log").await.first(), Some(&b'['));

    // Pages on this machine: allowed, their origin echoed.
    for origin in [
        "http://127.0.0.1:8080".to_owned(),
        format!("http://127.0.0.1:{port}"),
        "http://localhost:3000".into(),
        "http://localhost".into(),
        "http://[::1]:5173".into(),
        "https://localhost:8443".into(),
        "http://127.0.0.2:1".into(),
    ] {
        let o = origin.as_bytes();
        let r = control(
            &server,
            Method::GET,
            "/_emulator/log",
            &[("origin", o)],
            &origin,
        )
        .await;
        assert_eq!(r.status(), 200, "{origin}");
        assert_eq!(acao(&r).as_deref(), Some(origin.as_str()));
        assert!(header(&r, "vary").unwrap_or("").contains("Origin"));
        let r = control(
            &server,
            Method::OPTIONS,
            "/_emulator/reset",
            &[("origin", o), ("access-control-request-method", b"POST")],
            &origin,
        )
        .await;
        assert_eq!(r.status(), 204, "preflight {origin}");
        assert_eq!(acao(&r).as_deref(), Some(origin.as_str()));
    }

    // Any other page: 403, no CORS headers, nothing done.
    let before = server.emulator.log().len();
    assert!(before > 0);
    let hostile: [&[u8]; 16] = [
        b"https://evil.example",
        b"http://evil.example:4010",
        b"null",
        b"http://127.0.0.1.evil.example",
        b"http://127.0.0.1.evil.example:80",
        b"http://localhost.evil.example:1",
        b"http://evil@127.0.0.1:1",
        b"http://127.0.0.1:1/path",
        b"http://[::2]:1",
        b"http://127.0.0.1:99999",
        b"http://0.0.0.0:1",
        b"http://localhost:",
        b"file://",
        b"",
        b"http://localhost:\xff",
        b"chrome-extension://abcdef",
    ];
    for origin in hostile {
        let case = format!("origin {:?}", String::from_utf8_lossy(origin));
        for (method, path) in [
            (Method::GET, "/_emulator/log"),
            (Method::POST, "/_emulator/reset"),
            (Method::OPTIONS, "/_emulator/log"),
            (Method::GET, "/_emulator/nope"),
        ] {
            let case = format!("{case} {method} {path}");
            let headers: &[(&str, &[u8])] = &[
                ("origin", origin),
                ("access-control-request-method", b"GET"),
            ];
            let r = control(&server, method, path, headers, &case).await;
            assert_eq!(acao(&r), None, "{case}");
            clear_error(r, 403, Some("AccessDeniedException"), &case).await;
        }
    }
    // Two Origin headers are refused too, even loopback ones.
    let two: &[(&str, &[u8])] = &[
        ("origin", b"http://localhost:1"),
        ("origin", b"http://localhost:2"),
    ];
    let r = control(&server, Method::GET, "/_emulator/log", two, "two origins").await;
    clear_error(r, 403, Some("AccessDeniedException"), "two origins").await;
    assert_eq!(server.emulator.log().len(), before, "no reset happened");

    // DNS rebinding: a page reaching this port under its own host name is refused.
    for host in [
        format!("evil.example:{port}").into_bytes(),
        b"127.0.0.1.evil.example".to_vec(),
        format!("localhost.evil.example:{port}").into_bytes(),
        b"[::2]:1".to_vec(),
        b"localhost:port".to_vec(),
        b"\xff".to_vec(),
    ] {
        let case = format!("host {:?}", String::from_utf8_lossy(&host));
        let r = control(
            &server,
            Method::GET,
            "/_emulator/log",
            &[("host", &host)],
            &case,
        )
        .await;
        clear_error(r, 403, Some("AccessDeniedException"), &case).await;
    }
    for host in [
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        "127.0.0.1".into(),
    ] {
        let r = control(
            &server,
            Method::GET,
            "/_emulator/log",
            &[("host", host.as_bytes())],
            &host,
        )
        .await;
        assert_eq!(r.status(), 200, "{host}");
    }
    let r = control(&server, Method::POST, "/_emulator/reset", &[], "reset").await;
    assert_eq!((r.status().as_u16(), acao(&r)), (200, None));
    assert!(server.emulator.log().is_empty());

    // The Bedrock routes keep their permissive CORS.
    let r = send(
        signed(
            &server,
            &model_path(CLAUDE, "invoke"),
            claude_bytes(3),
            &[("origin", b"https://evil.example")],
        ),
        "bedrock route",
    )
    .await;
    assert_eq!((r.status().as_u16(), acao(&r).as_deref()), (200, Some("*")));
    assert_healthy(&server).await;
}

async fn cognito_call(
    server: &TestServer,
    target: &[u8],
    payload: Vec<u8>,
    case: &str,
) -> (u16, Value) {
    let req = server
        .http
        .post(server.url("/"))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", HeaderValue::from_bytes(target).unwrap())
        .body(payload);
    let r = send(req, case).await;
    let status = r.status().as_u16();
    let bytes = read_body(r, case).await;
    let v = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{case}: not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, v)
}

async fn sts_call(server: &TestServer, form: Vec<u8>, case: &str) -> (u16, String) {
    let req = server
        .http
        .post(server.url("/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form);
    let r = send(req, case).await;
    let status = r.status().as_u16();
    (
        status,
        String::from_utf8_lossy(&read_body(r, case).await).into_owned(),
    )
}

fn xml(text: &str, tag: &str) -> String {
    let start = text.find(&format!("<{tag}>")).unwrap() + tag.len() + 2;
    let end = text.find(&format!("</{tag}>")).unwrap();
    text[start..end].to_owned()
}

#[tokio::test]
async fn hostile_cognito_and_sts_requests() {
    let server = TestServer::with_config(Config {
        cognito_lifetime: Duration::from_secs(MAX_COGNITO_LIFETIME_SECS),
        ..Config::default()
    })
    .await;
    let get_id = b"AWSCognitoIdentityService.GetId";
    let depth = 10_000;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let nested_in =
        format!(r#"{{"IdentityPoolId":"{DEMO_IDENTITY_POOL_ID}","Logins":{{"x":{nested}}}}}"#);
    for (case, target, body, code) in [
        (
            "over 64 KiB",
            &get_id[..],
            vec![b' '; 70_000],
            "SerializationException",
        ),
        (
            "non-UTF-8",
            get_id,
            vec![0xff, 0xfe, 0x7b],
            "SerializationException",
        ),
        (
            "deeply nested",
            get_id,
            nested.clone().into_bytes(),
            "SerializationException",
        ),
        (
            "deeply nested inside",
            get_id,
            nested_in.into_bytes(),
            "SerializationException",
        ),
        (
            "a number for the pool",
            get_id,
            br#"{"IdentityPoolId":1e999}"#.to_vec(),
            "SerializationException",
        ),
        (
            "an array for the pool",
            get_id,
            br#"{"IdentityPoolId":[1,2]}"#.to_vec(),
            "ValidationException",
        ),
        (
            "an over-long operation",
            &format!("AWSCognitoIdentityService.{}", "X".repeat(100_000)).into_bytes()[..],
            b"{}".to_vec(),
            "UnknownOperationException",
        ),
    ] {
        let (status, v) = cognito_call(&server, target, body, case).await;
        assert_eq!(
            (status, v["__type"].as_str()),
            (400, Some(code)),
            "{case}: {v}"
        );
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{case}"
        );
    }

    let base = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&RoleSessionName=s1&WebIdentityToken=t";
    for (case, form, code) in [
        ("over 64 KiB", vec![b'a'; 70_000], "ValidationError"),
        (
            "non-UTF-8",
            b"Action=\xff\xfe&%ff=%fe".to_vec(),
            "InvalidAction",
        ),
        ("bad escapes", b"Action=%&%zz=%".to_vec(), "InvalidAction"),
        (
            "huge duration",
            format!("{base}&DurationSeconds=99999999999999999999999").into_bytes(),
            "ValidationError",
        ),
        (
            "negative duration",
            format!("{base}&DurationSeconds=-1").into_bytes(),
            "ValidationError",
        ),
        (
            "float duration",
            format!("{base}&DurationSeconds=1e3").into_bytes(),
            "ValidationError",
        ),
        (
            "unknown token",
            base.as_bytes().to_vec(),
            "InvalidIdentityToken",
        ),
    ] {
        let (status, text) = sts_call(&server, form, case).await;
        assert_eq!(
            (status, xml(&text, "Code").as_str()),
            (400, code),
            "{case}: {text}"
        );
    }

    // The longest credential lifetime still gives well-formed expiry dates.
    let (_, id) = cognito_call(
        &server,
        get_id,
        json!({ "IdentityPoolId": DEMO_IDENTITY_POOL_ID })
            .to_string()
            .into_bytes(),
        "GetId",
    )
    .await;
    let identity = id["IdentityId"].as_str().unwrap().to_owned();
    let (status, out) = cognito_call(
        &server,
        b"AWSCognitoIdentityService.GetOpenIdToken",
        json!({ "IdentityId": identity }).to_string().into_bytes(),
        "GetOpenIdToken",
    )
    .await;
    assert_eq!(status, 200);
    let token = out["Token"].as_str().unwrap();
    let form = format!(
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&RoleSessionName=s1&WebIdentityToken={token}"
    );
    let (status, text) = sts_call(&server, form.into_bytes(), "STS").await;
    assert_eq!(status, 200, "{text}");
    let expiration = xml(&text, "Expiration");
    let shape = expiration.bytes().enumerate().all(|(i, b)| match i {
        4 | 7 => b == b'-',
        10 => b == b'T',
        13 | 16 => b == b':',
        19 => b == b'Z',
        _ => b.is_ascii_digit(),
    });
    assert!(shape && expiration.len() == 20, "{expiration}");
    assert_healthy(&server).await;
}

#[tokio::test]
async fn huge_configured_delays_wait_instead_of_overflowing() {
    for (token_delay, first_byte_delay) in [
        (Duration::from_millis(u64::MAX), Duration::ZERO),
        (Duration::ZERO, Duration::from_millis(u64::MAX)),
        (Duration::MAX, Duration::MAX),
    ] {
        let server = TestServer::with_config(Config {
            token_delay,
            first_byte_delay,
            ..Config::default()
        })
        .await;
        let case = format!("delays {token_delay:?} / {first_byte_delay:?}");
        // A stream starts and then waits (its first frame is due "never"): no error, no end.
        let mut r = send(
            signed(&server, &model_path(CLAUDE, STREAM), claude_bytes(3), &[]),
            &case,
        )
        .await;
        assert_eq!(r.status(), 200, "{case}");
        let next = tokio::time::timeout(Duration::from_millis(300), r.chunk()).await;
        assert!(next.is_err(), "{case}: the stream did not wait: {next:?}");
        drop(r);
        // InvokeModel waits too (the client gives up), rather than dropping the connection.
        for op in ["invoke", "converse"] {
            let body = if op == "invoke" {
                claude_bytes(3)
            } else {
                json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]}]})
                    .to_string()
                    .into_bytes()
            };
            let err = signed(&server, &model_path(CLAUDE, op), body, &[])
                .timeout(Duration::from_millis(300))
                .send()
                .await
                .expect_err("it waits");
            assert!(err.is_timeout(), "{case} {op}: {err:?}");
        }
        // Everything that does not wait still answers.
        let r = send(with_fault(&server, "throttle", 3), &case).await;
        clear_error(r, 429, Some("ThrottlingException"), &case).await;
        let r = send(server.http.get(server.url("/_emulator/log")), &case).await;
        assert_eq!(r.status(), 200);
        let log: Value = serde_json::from_slice(&read_body(r, &case).await).unwrap();
        assert_eq!(log.as_array().unwrap().len(), 4, "{case}: {log}");
    }
}

#[tokio::test]
async fn huge_bodies_get_clear_answers() {
    let server = TestServer::start(0).await;
    // An echo over the limit: refused before millions of frames are planned.
    let text = "e".repeat(bedrock_emulator::MAX_ECHO_BYTES + 1);
    let claude_echo = serde_json::to_vec(&json!({
        "prompt": format!("\n\nHuman: emulator-echo:{text}\n\nAssistant:"),
        "max_tokens_to_sample": 1_000_000_000,
    }))
    .unwrap();
    let converse_echo = serde_json::to_vec(&json!({
        "messages": [{"role": "user", "content": [{"text": format!("emulator-echo:{text}")}]}],
        "inferenceConfig": {"maxTokens": 1_000_000_000},
    }))
    .unwrap();
    for (op, bytes) in [
        ("invoke", &claude_echo),
        (STREAM, &claude_echo),
        ("converse", &converse_echo),
        ("converse-stream", &converse_echo),
    ] {
        let case = format!("over-long echo, {op}");
        let r = send(
            signed(&server, &model_path(CLAUDE, op), bytes.clone(), &[]),
            &case,
        )
        .await;
        let m = clear_error(r, 400, Some("ValidationException"), &case).await;
        assert!(m.contains("echoes at most 1048576 bytes"), "{m}");
    }
    // Exactly at the limit (as the echo counts it) is echoed.
    let at_limit = format!("{}\n\nAssistant:", &text[1..]);
    let body = serde_json::to_vec(&json!({
        "prompt": format!("\n\nHuman: emulator-echo:{at_limit}"),
        "max_tokens_to_sample": 3,
    }))
    .unwrap();
    let r = send(
        signed(&server, &model_path(CLAUDE, "invoke"), body, &[]),
        "echo at the limit",
    )
    .await;
    assert_eq!(r.status(), 200);
    let v: Value = serde_json::from_slice(&read_body(r, "echo at the limit").await).unwrap();
    assert_eq!(v["completion"], "eeeeeeeee");
    // A body over Bedrock's 25,000,000-byte limit.
    let big = vec![b' '; 25_000_001];
    let r = send(
        signed(&server, &model_path(CLAUDE, "invoke"), big, &[]),
        "25 MB body",
    )
    .await;
    let m = clear_error(r, 400, Some("ValidationException"), "25 MB body").await;
    assert!(m.contains("25,000,000-byte limit"), "{m}");
    assert_healthy(&server).await;
}
