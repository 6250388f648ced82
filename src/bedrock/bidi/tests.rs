#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::bedrock::ErrorKind;
use crate::eventstream::{HeaderValue, Message as Frame};
use crate::sign::SignErrorKind;

const SEED: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn creds() -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
    )
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn presign(endpoint: &Endpoint, model: &str, expires: u32) -> Result<PresignedUrl, Error> {
    presign_bidi_url(
        endpoint,
        model,
        &creds(),
        at(1_736_942_400),
        expires,
        EndpointPolicy::SecureOrLoopback,
    )
}

fn frames(bytes: &[u8]) -> Vec<Frame> {
    let mut d = Decoder::new();
    d.push(bytes);
    let mut out = Vec::new();
    while let Some(m) = d.next_message().unwrap() {
        out.push(m);
    }
    d.finish().unwrap();
    out
}

fn event_frame(kind: &str, payload: &[u8]) -> Vec<u8> {
    Frame::new(payload.to_vec())
        .with_str_header(":event-type", kind)
        .with_str_header(":message-type", "event")
        .with_str_header(":content-type", "application/json")
        .encode()
}

/// Every event until `Ok(None)` or the first error; then `finish`.
fn decode_all(d: &mut BidiOutputDecoder) -> (Vec<BidiEvent>, Option<Error>) {
    let mut events = Vec::new();
    loop {
        match d.next_event() {
            Ok(Some(e)) => events.push(e),
            Ok(None) => break,
            Err(e) => return (events, Some(e)),
        }
    }
    (events, d.finish().err())
}

#[test]
fn the_url_is_the_websocket_route_with_sigv4_in_the_query() {
    let aws = Endpoint::aws("us-east-1").unwrap();
    let p = presign(&aws, "amazon.nova-sonic-v1:0", BIDI_DEFAULT_EXPIRES_SECS).unwrap();
    assert!(
        p.url().starts_with(
            "wss://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-sonic-v1%3A0/invoke-with-bidirectional-stream-websocket?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20250115%2Fus-east-1%2Fbedrock%2Faws4_request&X-Amz-Date=20250115T120000Z&X-Amz-Expires=300&X-Amz-Signature="
        ),
        "{}",
        p.url()
    );
    assert!(p.url().ends_with("&X-Amz-SignedHeaders=host"));
    assert!(p.url().contains(p.signature()));

    let arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz";
    let p = presign(&aws, &format!("  {arn} "), 60).unwrap();
    assert!(
        p.url().contains("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fabc123xyz/invoke-with-bidirectional-stream-websocket?"),
        "{}",
        p.url()
    );

    let local = Endpoint::custom("http://127.0.0.1:4010/", "us-west-2").unwrap();
    let p = presign(&local, "amazon.nova-sonic-v1:0", 60).unwrap();
    assert!(p
        .url()
        .starts_with("ws://127.0.0.1:4010/model/amazon.nova-sonic-v1%3A0/"));
    assert!(p.url().contains("%2Fus-west-2%2Fbedrock%2F"));
}

#[test]
fn hostile_connect_inputs_are_typed_errors() {
    let aws = Endpoint::aws("us-east-1").unwrap();
    for bad in [String::new(), "  ".into(), "m".repeat(2049)] {
        let e = presign(&aws, &bad, 60).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Input(_)), "{e}");
        assert!(e.to_string().contains("1 to 2048"), "{e}");
    }
    assert!(presign(&aws, &"m".repeat(2048), 60).is_ok());

    let far = Endpoint::custom("http://bedrock.example.com", "us-east-1").unwrap();
    let e = presign(&far, "m", 60).unwrap_err();
    assert_eq!(e.name(), "InsecureEndpointError", "{e}");
    assert!(e.to_string().contains("https://"), "{e}");
    // Only when the caller accepts the risk.
    let p = presign_bidi_url(
        &far,
        "m",
        &creds(),
        at(0),
        60,
        EndpointPolicy::AllowInsecure,
    )
    .unwrap();
    assert!(p.url().starts_with("ws://bedrock.example.com/"));

    for expires in [0, 604_801, u32::MAX] {
        let e = presign(&aws, "m", expires).unwrap_err();
        let ErrorKind::Sign(s) = e.kind() else {
            panic!("{e}");
        };
        assert_eq!(s.kind(), SignErrorKind::InvalidExpiry);
    }
    assert!(presign(&aws, "m", 1).is_ok() && presign(&aws, "m", 604_800).is_ok());

    let e = presign_bidi_url(
        &aws,
        "m",
        &Credentials::new("AKID", "", None),
        at(0),
        60,
        EndpointPolicy::SecureOrLoopback,
    )
    .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Sign(_)), "{e}");
}

#[test]
fn an_input_event_is_framed_as_the_sdk_frames_it() {
    let inner = encode_input_event(br#"{"event":{"sessionEnd":{}}}"#).unwrap();
    let [m] = &frames(&inner)[..] else { panic!() };
    let headers: Vec<(&str, &str)> = m
        .headers
        .iter()
        .map(|h| (h.name.as_str(), h.value.as_str().unwrap()))
        .collect();
    assert_eq!(
        headers,
        [
            (":event-type", "chunk"),
            (":message-type", "event"),
            (":content-type", "application/json")
        ]
    );
    assert_eq!(
        m.payload,
        br#"{"bytes":"eyJldmVudCI6eyJzZXNzaW9uRW5kIjp7fX19"}"#
    );
    // What comes back out is what went in.
    assert_eq!(
        chunk_bytes(&m.payload).unwrap(),
        br#"{"event":{"sessionEnd":{}}}"#
    );
    let e = encode_input_event(&vec![b'x'; DEFAULT_MAX_PAYLOAD_LEN as usize]).unwrap_err();
    assert!(e.to_string().contains("smaller events"), "{e}");
}

#[test]
fn the_input_is_signed_events_then_the_empty_end_frame() {
    let mut input = BidiInput::new(&creds(), "us-east-1", SEED).unwrap();
    let first = input.event(b"{}", at(1_736_942_400)).unwrap();
    let [outer] = &frames(&first)[..] else {
        panic!()
    };
    assert_eq!(
        outer.header(":date"),
        Some(&HeaderValue::Timestamp(1_736_942_400_000))
    );
    assert_eq!(outer.payload, encode_input_event(b"{}").unwrap());
    assert_ne!(input.prior_signature(), SEED);
    let end = input.end(at(1_736_942_401)).unwrap();
    let [outer] = &frames(&end)[..] else { panic!() };
    assert!(outer.payload.is_empty());
    assert!(input.is_ended());
    for after in [
        input.event(b"{}", at(1_736_942_402)),
        input.end(at(1_736_942_402)),
    ] {
        let e = after.unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Input(_)), "{e}");
        assert!(e.to_string().contains("open a new stream"), "{e}");
    }
    let e = BidiInput::new(&creds(), "us-east-1", "not-hex").unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Sign(_)), "{e}");
    let debug = format!("{input:?}");
    assert!(!debug.contains("wJalr") && !debug.contains(SEED), "{debug}");
}

#[test]
fn output_frames_split_or_merged_anyhow_decode_the_same() {
    let bytes = [
        event_frame("chunk", br#"{"bytes":"eyJhIjoxfQ=="}"#),
        event_frame("somethingNew", b"{}"),
        event_frame("chunk", br#"{"bytes":"eyJiIjoyfQ==","p":"abc"}"#),
    ]
    .concat();
    let want = vec![
        BidiEvent::Chunk(br#"{"a":1}"#.to_vec()),
        BidiEvent::Chunk(br#"{"b":2}"#.to_vec()),
    ];
    // One message, every split into two, and one byte per message.
    for split in 0..=bytes.len() {
        let mut d = BidiOutputDecoder::new();
        let mut events = Vec::new();
        for part in [&bytes[..split], &bytes[split..]] {
            d.push(part);
            while let Some(e) = d.next_event().unwrap() {
                events.push(e);
            }
        }
        d.finish().unwrap();
        assert_eq!(events, want, "split at {split}");
    }
    let mut d = BidiOutputDecoder::new();
    let mut events = Vec::new();
    for b in &bytes {
        d.push(std::slice::from_ref(b));
        while let Some(e) = d.next_event().unwrap() {
            events.push(e);
        }
    }
    assert_eq!(events, want);
}

#[test]
fn exceptions_and_error_frames_are_typed_errors() {
    for (kind, name) in [
        ("validationException", "ValidationException"),
        ("modelStreamErrorException", "ModelStreamErrorException"),
        ("internalServerException", "InternalServerException"),
        ("throttlingException", "ThrottlingException"),
        ("modelTimeoutException", "ModelTimeoutException"),
        ("serviceUnavailableException", "ServiceUnavailableException"),
    ] {
        let frame = Frame::new(
            br#"{"message":"m","originalStatusCode":500,"originalMessage":"o"}"#.to_vec(),
        )
        .with_str_header(":message-type", "exception")
        .with_str_header(":exception-type", kind)
        .with_str_header(":content-type", "application/json")
        .encode();
        let mut d = BidiOutputDecoder::new();
        d.push(&event_frame("chunk", br#"{"bytes":""}"#));
        d.push(&frame);
        let (events, e) = decode_all(&mut d);
        assert_eq!(events, [BidiEvent::Chunk(Vec::new())]);
        let e = e.unwrap();
        assert_eq!(e.name(), name);
        let x = e.stream_exception().unwrap();
        assert_eq!(
            (x.message.as_str(), x.original_status_code),
            ("m", Some(500))
        );
        // Once only.
        assert_eq!(d.next_event(), Ok(None));
    }
    let frame = Frame::new(Vec::new())
        .with_str_header(":message-type", "error")
        .with_str_header(":error-code", "InternalFailure")
        .with_str_header(":error-message", "try again")
        .encode();
    let mut d = BidiOutputDecoder::new();
    d.push(&frame);
    let e = decode_all(&mut d).1.unwrap();
    assert_eq!(e.name(), "InternalFailure");
    assert!(e.to_string().contains("try again"), "{e}");
}

#[test]
fn malformed_output_is_a_typed_error_never_a_panic() {
    let good = event_frame("chunk", br#"{"bytes":"eyJhIjoxfQ=="}"#);
    let mut bad_crc = good.clone();
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 1;
    let no_type = Frame::new(b"{}".to_vec())
        .with_str_header(":event-type", "chunk")
        .encode();
    let no_event_type = Frame::new(b"{}".to_vec())
        .with_str_header(":message-type", "event")
        .encode();
    type Case = (&'static str, Vec<u8>, fn(&ErrorKind) -> bool);
    let cases: [Case; 8] = [
        ("bad CRC", bad_crc, |k| matches!(k, ErrorKind::Decode(_))),
        (
            "not a frame",
            b"hello, this is not an event stream!".to_vec(),
            |k| matches!(k, ErrorKind::Decode(_)),
        ),
        ("truncated", good[..good.len() - 3].to_vec(), |k| {
            matches!(k, ErrorKind::Decode(_))
        }),
        (
            "bytes not base64",
            event_frame("chunk", br#"{"bytes":"not base64!"}"#),
            |k| matches!(k, ErrorKind::ResponseShape(m) if m.contains("base64")),
        ),
        (
            "bytes not a string",
            event_frame("chunk", br#"{"bytes":42}"#),
            |k| matches!(k, ErrorKind::ResponseShape(_)),
        ),
        (
            "payload not JSON",
            event_frame("chunk", b"\xff{"),
            |k| matches!(k, ErrorKind::ResponseShape(m) if m.contains("JSON")),
        ),
        ("no :message-type", no_type, |k| {
            matches!(k, ErrorKind::ResponseShape(_))
        }),
        ("no :event-type", no_event_type, |k| {
            matches!(k, ErrorKind::ResponseShape(_))
        }),
    ];
    for (name, bytes, expected) in cases {
        let mut d = BidiOutputDecoder::new();
        d.push(&bytes);
        let (events, e) = decode_all(&mut d);
        assert!(events.is_empty(), "{name}");
        let e = e.unwrap_or_else(|| panic!("{name}: no error"));
        assert!(expected(e.kind()), "{name}: {e:?}");
        assert_eq!(e.name(), "InvalidResponseError", "{name}");
    }

    // Garbage of every shape: errors or events, never a panic.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..2000 {
        let mut d = BidiOutputDecoder::new();
        let mut bytes = good.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % bytes.len() as u64) as usize;
            bytes[at] = (state >> 32) as u8;
        }
        d.push(&bytes);
        let _ = decode_all(&mut d);
    }
}

#[test]
fn close_codes_map_to_a_clean_end_only_when_normal_and_between_frames() {
    let good = event_frame("chunk", br#"{"bytes":"eyJhIjoxfQ=="}"#);
    // 1000 and 1005 between frames: the clean end.
    for code in [1000, 1005] {
        let mut d = BidiOutputDecoder::new();
        d.push(&good);
        assert_eq!(decode_all(&mut d).0.len(), 1);
        assert_eq!(d.close(code, ""), Ok(()), "{code}");
    }
    // 1000/1005 mid-frame: the answer is incomplete.
    for code in [1000, 1005] {
        let mut d = BidiOutputDecoder::new();
        d.push(&good[..good.len() - 5]);
        let e = d.close(code, "bye").unwrap_err();
        assert_eq!(e.name(), "WebSocketClosedError");
        let m = e.to_string();
        assert!(
            m.contains("middle of an event") && m.contains("\"bye\""),
            "{m}"
        );
        assert!(
            matches!(e.kind(), ErrorKind::WebSocket { refused: false, code: c, .. } if *c == code)
        );
    }
    // Any other code, even between frames, is an error naming it.
    for (code, words) in [
        (1006, "lost without a close frame"),
        (1011, "service's side"),
        (1001, "going away"),
        (4000, "application-defined"),
        (0, "unexpected"),
        (u16::MAX, "unexpected"),
    ] {
        let mut d = BidiOutputDecoder::new();
        d.push(&good);
        let _ = decode_all(&mut d);
        let e = d.close(code, &"x".repeat(10_000)).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains(&format!("code {code}")) && m.contains(words),
            "{m}"
        );
        assert!(m.len() < 600, "the reason is cut: {}", m.len());
        assert_eq!(e.name(), "WebSocketClosedError");
        // Reported once.
        assert_eq!(d.close(code, ""), Ok(()));
    }
    // After an exception already returned, the close adds nothing.
    let mut d = BidiOutputDecoder::new();
    d.push(b"not a frame at all, certainly not");
    assert!(decode_all(&mut d).1.is_some());
    assert_eq!(d.close(1011, ""), Ok(()));
    // A refused handshake names what to check.
    let e = handshake_refused(1006, "amazon.nova-sonic-v1:0");
    assert_eq!(e.name(), "WebSocketHandshakeError");
    let m = e.to_string();
    for word in ["credentials", "region", "amazon.nova-sonic-v1:0", "clock"] {
        assert!(m.contains(word), "{word}: {m}");
    }
}

#[test]
fn the_small_base64_encoder_matches_the_base64_crate() {
    use base64::Engine as _;
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for len in 0..300 {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let mut out = Vec::new();
        base64_into(&mut out, &bytes);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            base64::engine::general_purpose::STANDARD.encode(&bytes),
            "{len}"
        );
    }
}
