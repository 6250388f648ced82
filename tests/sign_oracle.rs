//! The signer against the oracle: aws-sigv4's own `http_request` signer, which the library
//! signed through before `src/sign/canonical.rs` built the canonical request itself. Random
//! requests — built by the library for every operation (model ids and ARNs, guardrail ids,
//! invocation ARNs, ListAsyncInvokes queries with every escapable character), plus raw URLs,
//! header sets, bodies, times from 1970 to 9999, credentials with and without session tokens,
//! ports and `bedrock-mantle` hosts — are signed both ways; the headers must be identical, and
//! where one refuses the other must refuse with the same kind of error. Native only: the
//! oracle is a dev-dependency.

#![cfg(not(target_arch = "wasm32"))]

use std::borrow::Cow;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, SessionTokenMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bedrock_wasm::bedrock::async_invoke::ListAsyncInvokesQuery;
use bedrock_wasm::bedrock::{Endpoint, HttpRequest, InvokeModelInput, Operation, Target};
use bedrock_wasm::sign::{
    check_endpoint, sign_with, signing_name, time_from_epoch_millis, Credentials, EndpointPolicy,
    SignErrorKind, SuiteOptions,
};

type Signed = Result<Vec<(String, String)>, SignErrorKind>;

/// The library's signing path as it was, on aws-sigv4's `http_request::sign`.
fn oracle(
    options: &SuiteOptions<'_>,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    credentials: &Credentials,
) -> Signed {
    if credentials.access_key_id.is_empty() || credentials.secret_access_key.is_empty() {
        return Err(SignErrorKind::MissingCredentials);
    }
    let identity: Identity = aws_credential_types::Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.clone(),
        credentials.session_token.clone(),
        None,
        "oracle",
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
        .map_err(|_| SignErrorKind::Rejected)?
        .into();
    let signable = SignableRequest::new(
        method,
        Cow::Borrowed(url),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|_| SignErrorKind::InvalidUrl)?;
    // What `url_origin` refused (user information, no host), `AllowInsecure` aside.
    check_endpoint(url, EndpointPolicy::AllowInsecure).map_err(|e| e.kind())?;
    let ms = options
        .time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(-1.0);
    time_from_epoch_millis(ms).map_err(|e| e.kind())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|_| SignErrorKind::Rejected)?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

/// SplitMix64: small, deterministic, good enough to pick test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True `percent`% of the time.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// Up to `max` pieces joined.
    fn string(&mut self, pieces: &[&str], max: usize) -> String {
        let n = self.below(max + 1);
        (0..n).map(|_| *self.pick(pieces)).collect()
    }
}

/// Every ASCII character a path, query, header or id may carry (escapable or not), percent
/// escapes (valid, invalid, and of bytes that are not UTF-8), dot segments, and characters
/// beyond ASCII (two-, three- and four-byte UTF-8, KELVIN SIGN, U+FFFD).
const PIECES: &[&str] = &[
    "a",
    "Z",
    "0",
    "9",
    "-",
    "_",
    ".",
    "~",
    ":",
    "/",
    "%",
    "%25",
    "%3A",
    "%2F",
    "%2f",
    "%20",
    "%FF",
    "%C3",
    "%C3%A9",
    "%zz",
    "+",
    "=",
    "&",
    "?",
    "#",
    " ",
    "  ",
    "!",
    "*",
    "'",
    "(",
    ")",
    ";",
    "@",
    "$",
    ",",
    "[",
    "]",
    "{",
    "}",
    "|",
    "\\",
    "^",
    "`",
    "\"",
    "<",
    ">",
    "é",
    "€",
    "😀",
    "\u{212A}",
    "\u{FFFD}",
    "..",
    "./",
    "../",
    "//",
    "anthropic",
    "claude-3-5",
    "v1:0",
    "arn:aws:bedrock:us-east-1:123456789012:",
    // Last: what no header value may hold.
    "\t",
    "\n",
    "\r",
    "\u{0}",
    "\u{1f}",
    "\u{7f}",
];

/// [`PIECES`] but the control characters.
const CLEAN: usize = PIECES.len() - 6;

/// Characters of a header value: mostly what HTTP allows, sometimes what it does not.
const VALUE_PIECES: &[&str] = &[
    "a",
    "Z",
    "0",
    " ",
    "  ",
    "   ",
    "\t",
    "application/json",
    "*/*",
    ",",
    ";",
    "=",
    "\"",
    "é",
    "😀",
    "%",
    "+",
    "/",
    ":",
    // Last: what HTTP does not allow.
    "\u{7f}",
    "\n",
    "\r",
    "\u{0}",
    "\u{1}",
];

/// [`VALUE_PIECES`] but what HTTP does not allow.
const VALID: usize = VALUE_PIECES.len() - 5;

const MODEL_IDS: &[&str] = &[
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz",
    "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1",
    "arn:aws:sagemaker:us-west-2:123456789012:endpoint/my endpoint",
    "meta.llama3-1-70b-instruct-v1:0",
];

const BASES: &[&str] = &[
    "https://bedrock-runtime.us-east-1.amazonaws.com",
    "https://Bedrock-Runtime.EU-West-1.amazonaws.com:443",
    "https://bedrock-runtime.us-east-1.amazonaws.com:8443",
    "https://bedrock-mantle.us-west-2.api.aws",
    "https://BEDROCK-MANTLE.eu-central-1.api.aws:443",
    "http://127.0.0.1:4010",
    "http://localhost:80",
    "http://localhost",
    "HTTP://LOCALHOST:8080",
    "https://[::1]:8443",
    "http://[::1]",
    "https://h.example:0443",
    "https://h.example:",
    "https://vpce-0123.bedrock-runtime.us-east-1.vpce.amazonaws.com/base/./x/../",
    "https://proxy.example/a%20b/%3A",
];

const HEADER_NAMES: &[&str] = &[
    "content-type",
    "Content-Type",
    "accept",
    "X-Amzn-Bedrock-Accept",
    "x-amzn-bedrock-trace",
    "X-Amzn-Bedrock-GuardrailIdentifier",
    "host",
    "Host",
    "X-Amz-Date",
    "x-amz-security-token",
    "x-amz-content-sha256",
    "authorization",
    "User-Agent",
    "x-amzn-trace-id",
    "Transfer-Encoding",
    "x-amz-user-agent",
    "x-custom",
    "\u{212A}ey",
    "x-\u{212A}",
    "x-!#$%&'*+-.^_`|~",
    "x-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

const BAD_HEADER_NAMES: &[&str] = &["bad name", "bad:name", "", "é", "x\u{130}", "x\n"];

/// 9999-12-31T23:59:59Z.
const MAX_SECS: u64 = 253_402_300_799;

fn random_time(rng: &mut Rng) -> SystemTime {
    let secs = match rng.below(40) {
        0 => *rng.pick(&[0, 1, 59, 86_399, 86_400]),
        1 => *rng.pick(&[951_782_400, 951_868_799, 4_107_542_399, 1_736_942_400]),
        2 => MAX_SECS - rng.below(3) as u64,
        3 => MAX_SECS + 1 + rng.below(1000) as u64,
        _ => rng.next() % (MAX_SECS + 1),
    };
    let nanos = if rng.chance(50) {
        0
    } else {
        (rng.next() % 1_000_000_000) as u32
    };
    if rng.chance(1) {
        return UNIX_EPOCH - Duration::from_secs(1 + rng.below(1000) as u64);
    }
    UNIX_EPOCH + Duration::new(secs, nanos)
}

fn random_credentials(rng: &mut Rng) -> Credentials {
    let session_token = match rng.below(8) {
        0..=2 => None,
        3 => Some(String::new()),
        4 => {
            let pieces = if rng.chance(80) {
                &VALUE_PIECES[..VALID]
            } else {
                VALUE_PIECES
            };
            Some(rng.string(pieces, 6))
        }
        _ => Some("FQoGZXIvYXdzEXAMPLETOKEN//+=".to_owned()),
    };
    Credentials {
        access_key_id: if rng.chance(1) {
            String::new()
        } else if rng.chance(5) {
            rng.string(PIECES, 4)
        } else {
            "AKIDEXAMPLE".to_owned()
        },
        secret_access_key: if rng.chance(1) {
            String::new()
        } else {
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_owned()
        },
        session_token,
    }
}

fn random_id(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => rng.pick(MODEL_IDS).to_string(),
        1 => format!("{}{}", rng.pick(MODEL_IDS), rng.string(PIECES, 4)),
        _ => rng.string(PIECES, 12),
    }
}

/// A request as the library builds it for one of its operations (or `None` when the library
/// refuses the random input, e.g. an empty id).
fn library_request(rng: &mut Rng) -> Option<HttpRequest> {
    let base = *rng.pick(BASES);
    let endpoint = Endpoint::custom(base, "us-east-1").ok()?;
    let id = random_id(rng);
    // Header-borne members: mostly what HTTP allows, sometimes a control character.
    let optional = |rng: &mut Rng| {
        rng.chance(40).then(|| {
            let pieces = if rng.chance(90) {
                &PIECES[..CLEAN]
            } else {
                PIECES
            };
            rng.string(pieces, 5)
        })
    };
    match rng.below(8) {
        0 | 1 => {
            let mut input = InvokeModelInput::new(id, random_body(rng));
            input.content_type = optional(rng);
            input.accept = optional(rng);
            input.trace = optional(rng);
            if rng.chance(30) {
                input.guardrail_identifier = Some(rng.string(PIECES, 5));
                input.guardrail_version = Some(rng.string(PIECES, 3));
            }
            input.performance_config_latency = optional(rng);
            input.service_tier = optional(rng);
            input.request_metadata = optional(rng);
            let op = *rng.pick(&[
                Operation::InvokeModel,
                Operation::InvokeModelWithResponseStream,
            ]);
            HttpRequest::invoke(&endpoint, op, &input).ok()
        }
        2 => {
            let op = *rng.pick(&[
                Operation::Converse,
                Operation::ConverseStream,
                Operation::CountTokens,
            ]);
            HttpRequest::json(&endpoint, op, Target::Model(&id), random_body(rng)).ok()
        }
        3 => {
            let version = rng.string(PIECES, 3);
            let target = Target::Guardrail {
                identifier: &id,
                version: &version,
            };
            HttpRequest::json(
                &endpoint,
                Operation::ApplyGuardrail,
                target,
                random_body(rng),
            )
            .ok()
        }
        4 => HttpRequest::json(
            &endpoint,
            Operation::GetAsyncInvoke,
            Target::AsyncInvoke(&id),
            Vec::new(),
        )
        .ok(),
        5 | 6 => {
            let query = ListAsyncInvokesQuery {
                submit_time_after: optional(rng),
                submit_time_before: optional(rng),
                status_equals: optional(rng),
                max_results: rng.chance(40).then(|| rng.next() as u32),
                next_token: optional(rng),
                sort_by: optional(rng),
                sort_order: optional(rng),
            };
            HttpRequest::json(
                &endpoint,
                Operation::ListAsyncInvokes,
                Target::AsyncInvokes(&query),
                Vec::new(),
            )
            .ok()
        }
        _ => {
            let op = *rng.pick(&[
                Operation::InvokeGuardrailChecks,
                Operation::StartAsyncInvoke,
            ]);
            HttpRequest::json(&endpoint, op, Target::None, random_body(rng)).ok()
        }
    }
}

fn random_body(rng: &mut Rng) -> Vec<u8> {
    match rng.below(4) {
        0 => Vec::new(),
        1 => (0..rng.below(300)).map(|_| rng.next() as u8).collect(),
        2 => br#"{"messages":[{"role":"user","content":[{"text":"Hi \u00e9"}]}]}"#.to_vec(),
        _ => rng.string(PIECES, 20).into_bytes(),
    }
}

/// A raw URL: a scheme, an authority, a path, a query and a fragment drawn from every
/// character, mostly refused (the refusals must agree too).
fn random_url(rng: &mut Rng) -> String {
    let scheme = rng.pick(&[
        "https://", "http://", "HTTPS://", "hTTp://", "ftp://", "", "https:/",
    ]);
    let authority = if rng.chance(60) {
        rng.pick(BASES)
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or("")
            .to_owned()
    } else {
        rng.string(
            &[
                "h", "example", ".", ":", "443", "80", "0443", "+443", "[", "]", "::1", "@", "%",
                "%25", "-", "_", "~", "é", " ", "/", "?", "#", "!", "$", "'", "(", "=", "\"", "<",
                "\\", "^", "`", "{", "|",
            ],
            6,
        )
    };
    let mut url = format!("{scheme}{authority}");
    if rng.chance(80) {
        url.push('/');
        url.push_str(&rng.string(PIECES, 10));
    }
    if rng.chance(40) {
        url.push('?');
        url.push_str(&rng.string(PIECES, 10));
    }
    if rng.chance(10) {
        url.push('#');
        url.push_str(&rng.string(PIECES, 4));
    }
    url
}

fn random_headers(rng: &mut Rng, mut headers: Vec<(String, String)>) -> Vec<(String, String)> {
    if rng.chance(50) {
        for _ in 0..rng.below(6) {
            let name = match rng.below(100) {
                0..=94 => rng.pick(HEADER_NAMES).to_string(),
                95..=97 => rng.pick(BAD_HEADER_NAMES).to_string(),
                _ => rng.string(PIECES, 3),
            };
            let value = if rng.chance(95) {
                rng.string(&VALUE_PIECES[..VALID], 8)
            } else {
                rng.string(VALUE_PIECES, 8)
            };
            let at = rng.below(headers.len() + 1);
            headers.insert(at, (name, value));
        }
    }
    headers
}

struct Case {
    options_service: &'static str,
    custom: Option<(bool, bool, bool)>,
    region: String,
    time: SystemTime,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    credentials: Credentials,
}

fn random_case(rng: &mut Rng) -> Case {
    let from_library = rng.chance(80);
    let request = (0..10)
        .map(|_| library_request(rng))
        .find(Option::is_some)
        .flatten();
    let (method, url, headers, body) = match request.filter(|_| from_library) {
        Some(req) => (req.method.to_owned(), req.url, req.headers, req.body),
        None => {
            let method = rng
                .pick(&["POST", "GET", "post", "PUT", "X Y", ""])
                .to_string();
            (method, random_url(rng), Vec::new(), random_body(rng))
        }
    };
    let headers = random_headers(rng, headers);
    let region = if rng.chance(90) {
        rng.pick(&["us-east-1", "eu-west-3", "ap-southeast-2"])
            .to_string()
    } else {
        rng.string(PIECES, 3)
    };
    Case {
        options_service: signing_name(&url),
        custom: rng
            .chance(15)
            .then(|| (rng.chance(50), rng.chance(50), rng.chance(50))),
        region,
        time: random_time(rng),
        method,
        url,
        headers,
        body,
        credentials: random_credentials(rng),
    }
}

fn run(case: &Case) -> (Signed, Signed) {
    let mut options = SuiteOptions {
        service: case.options_service,
        region: &case.region,
        time: case.time,
        normalize_path: true,
        payload_hash_header: false,
        sign_session_token: true,
    };
    if let Some((normalize, payload_hash, sign_token)) = case.custom {
        options.normalize_path = normalize;
        options.payload_hash_header = payload_hash;
        options.sign_session_token = sign_token;
    }
    let ours = sign_with(
        &options,
        &case.method,
        &case.url,
        &case.headers,
        &case.body,
        &case.credentials,
    )
    .map_err(|e| e.kind());
    let theirs = oracle(
        &options,
        &case.method,
        &case.url,
        &case.headers,
        &case.body,
        &case.credentials,
    );
    (ours, theirs)
}

const CASES: usize = 15_000;

#[test]
fn random_requests_sign_exactly_as_aws_sigv4_signs_them() {
    let started = Instant::now();
    let mut rng = Rng(0x5EED_B0CE_2026_0015);
    let mut mismatches = Vec::new();
    let (mut signed, mut refused) = (0, 0);
    let mut kinds = std::collections::BTreeMap::new();
    let mut services = std::collections::BTreeSet::new();
    let mut with_token = 0;
    for i in 0..CASES {
        let case = random_case(&mut rng);
        let (ours, theirs) = run(&case);
        match &theirs {
            Ok(headers) => {
                signed += 1;
                services.insert(case.options_service);
                with_token += usize::from(headers.iter().any(|(k, _)| k == "x-amz-security-token"));
            }
            Err(kind) => {
                refused += 1;
                *kinds.entry(format!("{kind:?}")).or_insert(0) += 1;
            }
        }
        if ours != theirs && mismatches.len() < 10 {
            mismatches.push(format!(
                "case {i}: {} {:?} headers {:?} body {} bytes region {:?} time {:?} options {:?} \
                 credentials {:?}\n  ours:   {ours:?}\n  oracle: {theirs:?}",
                case.method,
                case.url,
                case.headers,
                case.body.len(),
                case.region,
                case.time.duration_since(UNIX_EPOCH).ok(),
                case.custom,
                case.credentials,
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // The generator reaches both outcomes and every refusal the oracle can give.
    assert!(
        signed > CASES / 2,
        "only {signed} of {CASES} signed: {kinds:?}"
    );
    assert!(with_token > CASES / 5, "{with_token} with a session token");
    assert_eq!(services.len(), 2, "{services:?}");
    for kind in [
        "InvalidUrl",
        "InvalidTime",
        "MissingCredentials",
        "Rejected",
    ] {
        assert!(
            kinds.get(kind).is_some_and(|&n| n > 10),
            "{kind}: {kinds:?}"
        );
    }
    eprintln!(
        "{CASES} cases: {signed} signed identically, {refused} refused alike {kinds:?}, in {:?}",
        started.elapsed()
    );
}

/// Inputs far past anything real still give a typed answer, never a panic: the oracle
/// panicked on more than 24,576 headers (`HeaderMap`'s capacity); a 60 KB URL, a megabyte of
/// header value and a 65,535-byte header name are signed or refused as the oracle does.
#[test]
fn huge_inputs_are_signed_or_refused_without_a_panic() {
    let credentials = Credentials::new("AKIDEXAMPLE", "secret", Some("token".into()));
    let options = SuiteOptions {
        service: "bedrock",
        region: "us-east-1",
        time: UNIX_EPOCH + Duration::from_secs(1_736_942_400),
        normalize_path: true,
        payload_hash_header: false,
        sign_session_token: true,
    };
    let url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/invoke";
    let many: Vec<(String, String)> = (0..30_000)
        .map(|i| (format!("x-h{}", i % 20_000), "v".to_owned()))
        .collect();
    let signed = sign_with(&options, "POST", url, &many, b"", &credentials).unwrap();
    assert!(signed[1].1.contains("x-h19999;"), "{}", signed[1].1);

    let long_path = format!("{url}/{}", "a%3A".repeat(16_000));
    let long_name = "x".repeat(65_535);
    let cases: Vec<(String, Vec<(String, String)>)> = vec![
        (long_path.clone(), Vec::new()),
        (format!("{long_path}{}", "b".repeat(1000)), Vec::new()),
        (url.to_owned(), vec![("x-big".into(), "v ".repeat(500_000))]),
        (url.to_owned(), vec![(long_name.clone(), "v".into())]),
        (url.to_owned(), vec![(format!("{long_name}x"), "v".into())]),
    ];
    for (url, headers) in cases {
        let ours =
            sign_with(&options, "POST", &url, &headers, b"", &credentials).map_err(|e| e.kind());
        let theirs = oracle(&options, "POST", &url, &headers, b"", &credentials);
        assert_eq!(ours, theirs, "{} bytes of URL", url.len());
    }
}
