//! InvokeModelWithBidirectionalStream against vectors computed independently, in Python's
//! standard library (`tests/fixtures/bidi-vectors/make_vectors.py`; its README says how):
//! presigned URLs and their signatures, the signed frames of whole input streams (across a
//! date change too) and the events and errors of output streams. Byte for byte.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bedrock_wasm::bedrock::bidi::{
    encode_input_event, presign_bidi_url, BidiEvent, BidiInput, BidiOutputDecoder,
};
use bedrock_wasm::bedrock::Endpoint;
use bedrock_wasm::sign::{Credentials, EndpointPolicy};
use serde_json::Value;

const VECTORS: &str = include_str!("fixtures/bidi-vectors/vectors.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).unwrap()
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn time(v: &Value) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(v["time_ms"].as_u64().unwrap())
}

fn credentials(doc: &Value, token: &Value) -> Credentials {
    Credentials::new(
        doc["credentials"]["access_key_id"].as_str().unwrap(),
        doc["credentials"]["secret_access_key"].as_str().unwrap(),
        token.as_str().map(str::to_owned),
    )
}

#[test]
fn presigned_urls_match_the_vectors() {
    let doc = vectors();
    let cases = doc["presign"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let endpoint = Endpoint::custom(
            case["endpoint"].as_str().unwrap(),
            case["region"].as_str().unwrap(),
        )
        .unwrap();
        let presigned = presign_bidi_url(
            &endpoint,
            case["model_id"].as_str().unwrap(),
            &credentials(&doc, &case["session_token"]),
            time(case),
            case["expires_secs"].as_u64().unwrap() as u32,
            EndpointPolicy::SecureOrLoopback,
        )
        .unwrap();
        assert_eq!(presigned.url(), case["url"].as_str().unwrap(), "{name}");
        assert_eq!(
            presigned.signature(),
            case["signature"].as_str().unwrap(),
            "{name}"
        );
    }
    // The regional endpoint built by the library is the one in the first vector.
    let first = &cases[0];
    let p = presign_bidi_url(
        &Endpoint::aws("us-east-1").unwrap(),
        first["model_id"].as_str().unwrap(),
        &credentials(&doc, &first["session_token"]),
        time(first),
        first["expires_secs"].as_u64().unwrap() as u32,
        EndpointPolicy::SecureOrLoopback,
    )
    .unwrap();
    assert_eq!(p.url(), first["url"].as_str().unwrap());
}

#[test]
fn signed_input_frames_match_the_vectors() {
    let doc = vectors();
    let streams = doc["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 3);
    for stream in streams {
        let name = stream["name"].as_str().unwrap();
        // Signing events does not need the session token (it is in the URL only).
        let mut input = BidiInput::new(
            &credentials(&doc, &Value::Null),
            stream["region"].as_str().unwrap(),
            stream["seed_signature"].as_str().unwrap(),
        )
        .unwrap();
        for (i, event) in stream["events"].as_array().unwrap().iter().enumerate() {
            let frame = match event["event"].as_str() {
                Some(json) => {
                    let inner = encode_input_event(json.as_bytes()).unwrap();
                    assert_eq!(
                        inner,
                        b64(event["inner_b64"].as_str().unwrap()),
                        "{name} #{i} inner"
                    );
                    input.event(json.as_bytes(), time(event)).unwrap()
                }
                None => input.end(time(event)).unwrap(),
            };
            assert_eq!(
                input.prior_signature(),
                event["signature"].as_str().unwrap(),
                "{name} #{i}"
            );
            assert_eq!(
                frame,
                b64(event["frame_b64"].as_str().unwrap()),
                "{name} #{i} frame"
            );
        }
        assert!(input.is_ended(), "{name}");
    }
}

/// The events (as UTF-8) and the error (name, message) of a stream pushed in `pieces`.
fn decode(stream: &[u8], piece: usize) -> (Vec<String>, Option<(String, String)>) {
    let mut d = BidiOutputDecoder::new();
    let mut events = Vec::new();
    for part in stream.chunks(piece.max(1)) {
        d.push(part);
        loop {
            match d.next_event() {
                Ok(Some(BidiEvent::Chunk(bytes))) => events.push(String::from_utf8(bytes).unwrap()),
                Ok(Some(other)) => panic!("{other:?}"),
                Ok(None) => break,
                Err(e) => {
                    return (
                        events,
                        Some((
                            e.name().to_owned(),
                            e.stream_exception()
                                .map_or_else(String::new, |x| x.message.clone()),
                        )),
                    )
                }
            }
        }
    }
    d.finish().unwrap();
    (events, None)
}

#[test]
fn output_streams_decode_to_the_vectors_in_pieces_of_any_size() {
    let doc = vectors();
    for case in doc["output"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let stream = b64(case["stream_b64"].as_str().unwrap());
        let want: Vec<&str> = case["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        for piece in [stream.len(), 1, 7, 64] {
            let (events, error) = decode(&stream, piece);
            assert_eq!(events, want, "{name} in pieces of {piece}");
            match (&case["error"], error) {
                (Value::Null, None) => {}
                (expected, Some((got_name, got_message))) => {
                    assert_eq!(got_name, expected["name"].as_str().unwrap(), "{name}");
                    if let Some(message) = expected["message"].as_str() {
                        assert_eq!(got_message, message, "{name}");
                    }
                }
                (expected, None) => panic!("{name}: expected {expected}, got no error"),
            }
        }
    }
}

/// The AWS SDK for JavaScript's own capture of this operation
/// (`tests/fixtures/sdk-snapshots/req/InvokeModelWithBidirectionalStream.txt`): its inner
/// event for the bytes `[1, 0, 0, 1]` is 111 bytes with these CRCs, and its signed frames
/// (67 bytes of `:date` + `:chunk-signature` headers) are 194 bytes around that event and 83
/// bytes around nothing (the end frame), with these prelude CRCs. The signatures there are
/// masked, so the outer message CRCs cannot be compared.
#[test]
fn frames_have_the_sizes_and_crcs_of_the_sdk_snapshot() {
    let be = |b: &[u8], at: usize| u32::from_be_bytes(b[at..at + 4].try_into().unwrap());
    let inner = encode_input_event(&[1, 0, 0, 1]).unwrap();
    assert_eq!(
        (inner.len(), be(&inner, 4), be(&inner, 8)),
        (111, 75, 2_672_732_141)
    );
    assert_eq!(be(&inner, inner.len() - 4), 3_888_096_204);

    let seed = "0".repeat(64);
    let mut input = BidiInput::new(
        &Credentials::new("AKID", "SECRET", None),
        "us-east-1",
        &seed,
    )
    .unwrap();
    // 1999-12-31T23:59:59.999Z, the snapshot's `:date`.
    let at = UNIX_EPOCH + Duration::from_millis(946_702_799_999);
    let frame = input.event(&[1, 0, 0, 1], at).unwrap();
    assert_eq!(
        (frame.len(), be(&frame, 4), be(&frame, 8)),
        (194, 67, 421_688_568)
    );
    assert_eq!(&frame[12..20], b"\x05:date\x08\x00");
    assert_eq!(&frame[12 + 67..frame.len() - 4], &inner[..]);
    let end = input.end(at).unwrap();
    assert_eq!(
        (end.len(), be(&end, 4), be(&end, 8)),
        (83, 67, 4_114_905_688)
    );
}
