//! The bidirectional stream's SigV4 against the oracle: aws-sigv4's own signers, which share
//! no code with `src/sign/presign.rs` and `src/sign/event.rs` beyond the HMAC primitives.
//!
//! - Presigned URLs: random endpoints (ports, loopback, IPv6, `bedrock-mantle`), model ids
//!   with every escapable character, session tokens, times from 1970 to 9999 and expiries are
//!   presigned by the library and by `http_request::sign` with
//!   `SignatureLocation::QueryParams` (empty body): same signature, same query parameters.
//! - Event chains: random events at increasing times (days apart too) are signed by the
//!   library and by `event_stream::sign_message` / `sign_empty_message`: same inner message,
//!   same signatures, link after link. aws-sigv4 truncates `:date` to whole seconds where the
//!   JS SDK (which the library follows) keeps milliseconds, so the times here are whole
//!   seconds.
//!
//! Native only: the oracle is a dev-dependency.

#![cfg(not(target_arch = "wasm32"))]

use std::borrow::Cow;
use std::time::{Duration, UNIX_EPOCH};

use aws_sigv4::event_stream::{sign_empty_message, sign_message};
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bedrock_wasm::bedrock::bidi::{encode_input_event, presign_bidi_url, BidiInput};
use bedrock_wasm::bedrock::Endpoint;
use bedrock_wasm::eventstream::{Decoder, HeaderValue as OurValue};
use bedrock_wasm::sign::{signing_name, Credentials, EndpointPolicy};
use percent_encoding::percent_decode_str;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn string(&mut self, pieces: &[&str], max: u64) -> String {
        (0..1 + self.below(max))
            .map(|_| *self.pick(pieces))
            .collect()
    }
}

const ID_PIECES: &[&str] = &[
    "amazon",
    ".",
    "nova-sonic",
    "-v1",
    ":",
    "0",
    "/",
    "arn",
    "~",
    "_",
    "%",
    "+",
    " ",
    "é",
    "!",
    "*",
    "'",
    "(",
    "&",
    "=",
    "?",
    "#",
    "🌊",
    "..",
    "a",
];
const TOKEN_PIECES: &[&str] = &["IQoJ", "+", "/", "=", "b3Jp", "Z2lu", "X2Vj", "0", "z"];

fn identity(c: &Credentials) -> Identity {
    aws_credential_types::Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.clone(),
        c.session_token.clone(),
        None,
        "oracle",
    )
    .into()
}

/// The query of `url` as decoded (name, value) pairs, sorted.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| percent_decode_str(s).decode_utf8().unwrap().into_owned();
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (decode(k), decode(v))
        })
        .collect();
    pairs.sort();
    pairs
}

#[test]
fn presigned_urls_sign_exactly_as_aws_sigv4_presigns() {
    let endpoints = [
        (
            "https://bedrock-runtime.us-east-1.amazonaws.com",
            "us-east-1",
        ),
        (
            "https://bedrock-runtime.eu-west-3.amazonaws.com:8443",
            "eu-west-3",
        ),
        (
            "https://bedrock-runtime.ap-south-1.amazonaws.com:443",
            "ap-south-1",
        ),
        ("https://bedrock-mantle.us-east-1.api.aws", "us-east-1"),
        ("https://proxy.example.com/prefix", "us-west-2"),
        ("http://127.0.0.1:4010", "us-west-2"),
        ("http://localhost", "us-east-1"),
        ("http://localhost:80", "us-east-1"),
        ("http://[::1]:9000", "eu-central-1"),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut checked = 0;
    for _ in 0..600 {
        let (base, region) = *rng.pick(&endpoints);
        let endpoint = Endpoint::custom(base, region).unwrap();
        let model = rng.string(ID_PIECES, 12);
        let token = (rng.below(2) == 0).then(|| rng.string(TOKEN_PIECES, 40));
        let creds = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            token,
        );
        let ms = rng.below(253_402_300_799_000);
        let time = UNIX_EPOCH + Duration::from_millis(ms);
        let expires = 1 + rng.below(604_800) as u32;
        let ours = match presign_bidi_url(
            &endpoint,
            &model,
            &creds,
            time,
            expires,
            EndpointPolicy::SecureOrLoopback,
        ) {
            Ok(p) => p,
            // Only an id that trims to nothing is refused here.
            Err(e) => {
                assert!(model.trim().is_empty(), "{model:?}: {e}");
                continue;
            }
        };
        let (path_url, query) = ours.url().split_once('?').unwrap();
        let http_url = path_url
            .replacen("wss://", "https://", 1)
            .replacen("ws://", "http://", 1);

        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(u64::from(expires)));
        let identity = identity(&creds);
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(signing_name(&http_url))
            .time(time)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let request = SignableRequest::new(
            "GET",
            Cow::Borrowed(http_url.as_str()),
            std::iter::empty(),
            SignableBody::Bytes(&[]),
        )
        .unwrap();
        let (instructions, signature) = sign(request, &params).unwrap().into_parts();
        assert_eq!(ours.signature(), signature, "{}", ours.url());
        let (headers, oracle_params) = instructions.into_parts();
        assert!(headers.is_empty());
        let mut oracle_pairs: Vec<(String, String)> = oracle_params
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into_owned()))
            .collect();
        oracle_pairs.sort();
        assert_eq!(query_pairs(query), oracle_pairs, "{}", ours.url());
        checked += 1;
    }
    assert!(checked > 550, "{checked}");
}

#[test]
fn event_chains_sign_exactly_as_aws_sigv4_signs_messages() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for round in 0..40 {
        let creds = Credentials::new("AKIDEXAMPLE", rng.string(TOKEN_PIECES, 10), None);
        let region = *rng.pick(&["us-east-1", "eu-north-1", "ap-northeast-1"]);
        let seed: String = (0..64)
            .map(|_| char::from(b"0123456789abcdef"[rng.below(16) as usize]))
            .collect();
        let mut input = BidiInput::new(&creds, region, &seed).unwrap();
        let identity = identity(&creds);
        let mut oracle_prior = seed.clone();
        let mut secs = rng.below(253_402_300_799 - 10 * 86_400);
        let events = 1 + rng.below(6);
        for i in 0..=events {
            // Seconds to days apart: some links cross midnight.
            secs += *rng.pick(&[0, 1, 59, 3_599, 86_399, 86_400, 2 * 86_400]);
            let time = UNIX_EPOCH + Duration::from_secs(secs);
            let params = v4::SigningParams::builder()
                .identity(&identity)
                .region(region)
                .name("bedrock")
                .time(time)
                .settings(())
                .build()
                .unwrap();
            let (frame, oracle) = if i < events {
                let event = format!(
                    r#"{{"event":{{"audioInput":{{"content":"{}"}}}}}}"#,
                    rng.string(TOKEN_PIECES, 30)
                );
                let inner = encode_input_event(event.as_bytes()).unwrap();
                let b64 = base64_of(event.as_bytes());
                let message = Message::new(format!(r#"{{"bytes":"{b64}"}}"#).into_bytes())
                    .add_header(Header::new(
                        ":event-type",
                        HeaderValue::String("chunk".into()),
                    ))
                    .add_header(Header::new(
                        ":message-type",
                        HeaderValue::String("event".into()),
                    ))
                    .add_header(Header::new(
                        ":content-type",
                        HeaderValue::String("application/json".into()),
                    ));
                let mut encoded = Vec::new();
                aws_smithy_eventstream_write(&message, &mut encoded);
                assert_eq!(inner, encoded, "round {round} event {i}: inner message");
                let frame = input.event(event.as_bytes(), time).unwrap();
                (
                    frame,
                    sign_message(&message, &oracle_prior, &params).unwrap(),
                )
            } else {
                let frame = input.end(time).unwrap();
                (frame, sign_empty_message(&oracle_prior, &params).unwrap())
            };
            let (signed, signature) = oracle.into_parts();
            assert_eq!(
                input.prior_signature(),
                signature,
                "round {round} event {i}"
            );
            oracle_prior = signature;

            // The same headers (the JS SDK's order: `:date` first) and payload.
            let mut d = Decoder::new();
            d.push(&frame);
            let ours = d.next_message().unwrap().unwrap();
            assert_eq!(ours.payload, signed.payload().as_ref());
            let Some(OurValue::Timestamp(ms)) = ours.header(":date") else {
                panic!("{ours:?}")
            };
            assert_eq!(*ms, secs as i64 * 1000);
            let Some(OurValue::ByteArray(sig)) = ours.header(":chunk-signature") else {
                panic!("{ours:?}")
            };
            let oracle_sig = signed
                .headers()
                .iter()
                .find(|h| h.name().as_str() == ":chunk-signature")
                .unwrap();
            assert_eq!(
                oracle_sig.value(),
                &HeaderValue::ByteArray(sig.clone().into())
            );
            let names: Vec<&str> = ours.headers.iter().map(|h| h.name.as_str()).collect();
            assert_eq!(names, [":date", ":chunk-signature"]);
        }
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// aws-smithy-eventstream's writer, the one `sign_message` encodes the inner message with.
fn aws_smithy_eventstream_write(message: &Message, out: &mut Vec<u8>) {
    aws_smithy_eventstream::frame::write_message_to(message, out).unwrap();
}
