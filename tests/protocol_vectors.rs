//! Conformance with public protocol data (`tests/fixtures/smithy/`, `tests/fixtures/botocore/`,
//! see each `SOURCE.md`):
//! - Smithy's restJson1 event-stream compliance cases that apply to a client: every frame
//!   decodes to the declared headers and payload and re-encodes to the same bytes, and the
//!   Bedrock stream decoder succeeds or fails as each case expects;
//! - Smithy's restJson1 `@httpLabel` escaping (the string labels: model ids, guardrail ids and
//!   invocation ARNs are such labels);
//! - Smithy's restJson1 error resolution (which error an error response is);
//! - botocore's event-stream decoder vectors (all header types, corruptions, duplicate
//!   headers, `:message-type: error`, split chunks).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use base64::Engine as _;
use bedrock_wasm::bedrock::{encode_model_id, ErrorKind, ResponseStreamDecoder, ServiceError};
use bedrock_wasm::eventstream::{DecodeErrorKind, Decoder, HeaderValue, Message};
use serde_json::Value;

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn fixture(path: &str) -> Value {
    // Included, so the same tests run in the browser (wasm-bindgen-test) as natively.
    let text = match path {
        "smithy/restjson1-event-stream-client.json" => {
            include_str!("fixtures/smithy/restjson1-event-stream-client.json")
        }
        "smithy/restjson1-http-labels.json" => {
            include_str!("fixtures/smithy/restjson1-http-labels.json")
        }
        "smithy/restjson1-errors.json" => include_str!("fixtures/smithy/restjson1-errors.json"),
        "botocore/botocore-eventstream-vectors.json" => {
            include_str!("fixtures/botocore/botocore-eventstream-vectors.json")
        }
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(text).unwrap()
}

fn decode_one(bytes: &[u8]) -> Message {
    let mut d = Decoder::new();
    d.push(bytes);
    let m = d.next_message().unwrap().expect("one whole message");
    assert!(d.next_message().unwrap().is_none());
    d.finish().unwrap();
    m
}

/// A header as `{ name, type, value }` in the fixtures' words.
fn header_json(name: &str, value: &HeaderValue) -> (String, &'static str, Value) {
    let (kind, v) = match value {
        HeaderValue::Bool(b) => ("boolean", Value::from(*b)),
        HeaderValue::Byte(n) => ("byte", Value::from(*n)),
        HeaderValue::Int16(n) => ("short", Value::from(*n)),
        HeaderValue::Int32(n) => ("integer", Value::from(*n)),
        HeaderValue::Int64(n) => ("long", Value::from(*n)),
        HeaderValue::ByteArray(b) => (
            "blob",
            Value::from(base64::engine::general_purpose::STANDARD.encode(b)),
        ),
        HeaderValue::String(s) => ("string", Value::from(s.as_str())),
        HeaderValue::Timestamp(ms) => ("timestamp", Value::from(*ms)),
        HeaderValue::Uuid(u) => (
            "uuid",
            Value::from(base64::engine::general_purpose::STANDARD.encode(u)),
        ),
    };
    (name.to_owned(), kind, v)
}

// ---------------------------------------------------------------------------------------------
// Smithy: event streams.

#[test]
fn smithy_event_stream_frames_decode_to_their_headers_and_payload_and_re_encode() {
    let cases = fixture("smithy/restjson1-event-stream-client.json");
    let mut frames = 0;
    for case in cases["cases"].as_array().unwrap() {
        for event in case["events"].as_array().unwrap() {
            let Some(bytes) = event["bytesBase64"].as_str() else {
                continue;
            };
            let bytes = b64(bytes);
            let id = case["id"].as_str().unwrap();
            let message = decode_one(&bytes);
            let declared = &event["bytesDecoded"];
            let expected: Vec<(String, &str, Value)> = declared["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    let kind = h["type"].as_str().unwrap();
                    let value = match kind {
                        "blob" => h["valueBase64"].clone(),
                        "timestamp" => h["epochMillis"].clone(),
                        _ => h["value"].clone(),
                    };
                    let kind = match kind {
                        "boolean" => "boolean",
                        "byte" => "byte",
                        "short" => "short",
                        "integer" => "integer",
                        "long" => "long",
                        "blob" => "blob",
                        "string" => "string",
                        "timestamp" => "timestamp",
                        other => panic!("{id}: header type {other}"),
                    };
                    (h["name"].as_str().unwrap().to_owned(), kind, value)
                })
                .collect();
            let got: Vec<_> = message
                .headers
                .iter()
                .map(|h| header_json(&h.name, &h.value))
                .collect();
            assert_eq!(got, expected, "{id}: headers");
            assert_eq!(
                message.payload,
                b64(declared["payloadBase64"].as_str().unwrap()),
                "{id}: payload"
            );
            assert_eq!(message.encode(), bytes, "{id}: re-encodes byte for byte");
            frames += 1;
        }
    }
    assert_eq!(frames, 76, "every frame of the client cases");
}

#[test]
fn smithy_event_stream_client_cases_succeed_or_fail_as_expected() {
    let cases = fixture("smithy/restjson1-event-stream-client.json");
    let mut checked = 0;
    for case in cases["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let responses: Vec<Vec<u8>> = case["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "response")
            .filter_map(|e| e["bytesBase64"].as_str().map(b64))
            .collect();
        // Initial-response cases describe an RPC shape Bedrock's streams do not have.
        if responses.is_empty() || id.contains("InitialResponse") {
            continue;
        }
        let mut decoder = ResponseStreamDecoder::new();
        for frame in &responses {
            decoder.push(frame);
        }
        let mut outcome = Ok(());
        loop {
            match decoder.next_event() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        let outcome = outcome.and_then(|()| decoder.finish());
        let expected = &case["expectation"];
        if expected.get("success").is_some() {
            // Events this client does not know (Smithy's test shapes) are skipped, not errors.
            assert!(outcome.is_ok(), "{id}: {outcome:?}");
        } else {
            let e = outcome.expect_err(id);
            match expected["failure"]["errorId"].as_str() {
                // A modeled exception event: the stream ends with that exception, by name.
                Some(error_id) => {
                    let member = error_id.rsplit('#').next().unwrap();
                    let x = e.stream_exception().unwrap_or_else(|| panic!("{id}: {e}"));
                    assert_eq!(x.name, "Error", "{id}: {member} (the `error` member)");
                }
                None => assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::StreamException(_) | ErrorKind::ResponseShape(_)
                    ),
                    "{id}: {e:?}"
                ),
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 42, "the response-stream cases");
}

// ---------------------------------------------------------------------------------------------
// Smithy: labels and errors.

#[test]
fn smithy_string_labels_are_escaped_as_one_segment() {
    let cases = fixture("smithy/restjson1-http-labels.json");
    let mut checked = 0;
    for case in cases["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let uri = case["uri"].as_str().unwrap();
        let segments: Vec<&str> = uri.split('/').collect();
        // The non-greedy string labels (Bedrock has no greedy labels and only string ones).
        let context = &case["context"];
        let Some(members) = context["inputMembers"].as_object() else {
            continue;
        };
        let template = context["http"]["uri"].as_str().unwrap_or("");
        for (name, member) in members {
            let is_label = member["traits"].get("httpLabel").is_some();
            let is_string = member["target"] == "smithy.api#String";
            let Some(value) = case["params"][name].as_str() else {
                continue;
            };
            if !is_label || !is_string || template.contains(&format!("{{{name}+}}")) {
                continue;
            }
            let escaped = encode_model_id(value);
            assert!(
                segments.contains(&escaped.as_str()),
                "{id}: {name} = {value:?} escaped as {escaped:?}, not a segment of {uri}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 3, "string labels checked: {checked}");
}

#[test]
fn smithy_error_responses_resolve_to_their_error() {
    let cases = fixture("smithy/restjson1-errors.json");
    let mut checked = 0;
    for case in cases["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let Some(expected) = case["expectedError"].as_str().or(case["context"]["shape"]
            .as_str()
            .filter(|_| case["context"]["shapeType"] == "structure"))
        else {
            continue;
        };
        let shape = expected.rsplit('#').next().unwrap();
        let status = case["code"].as_u64().unwrap() as u16;
        let headers = case["headers"].as_object().unwrap();
        let error_type = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-amzn-errortype"))
            .and_then(|(_, v)| v.as_str());
        let body = case["body"].as_str().unwrap_or("");
        let e = ServiceError::from_response(status, error_type, None, body.as_bytes());
        assert_eq!(e.code, shape, "{id}");
        assert_eq!(e.status, status, "{id}");
        checked += 1;
    }
    assert_eq!(checked, 14, "every error case");
}

#[test]
fn smithy_protocol_errors_before_the_stream_are_errors() {
    // ModeledProtocolError / UnmodeledProtocolError: an HTTP 500 instead of a stream.
    let modeled = ServiceError::from_response(500, Some("ServiceUnavailableError"), None, b"");
    assert_eq!(modeled.code, "ServiceUnavailableError");
    let unmodeled = ServiceError::from_response(500, None, None, b"an internal failure");
    assert!(!unmodeled.message.is_empty());
    assert_eq!(unmodeled.status, 500);
}

// ---------------------------------------------------------------------------------------------
// botocore.

#[test]
fn botocore_positive_vectors_decode_with_their_lengths_crcs_and_headers() {
    let v = fixture("botocore/botocore-eventstream-vectors.json");
    for case in v["positive"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let bytes = b64(case["bytes_base64"].as_str().unwrap());
        let expected = &case["expected"];
        assert_eq!(
            bytes.len() as u64,
            expected["total_length"].as_u64().unwrap(),
            "{name}"
        );
        let crc =
            |range: std::ops::Range<usize>| u32::from_be_bytes(bytes[range].try_into().unwrap());
        assert_eq!(
            crc(8..12) as u64,
            expected["prelude_crc"].as_u64().unwrap(),
            "{name}"
        );
        let n = bytes.len();
        assert_eq!(
            crc(n - 4..n) as u64,
            expected["message_crc"].as_u64().unwrap(),
            "{name}"
        );
        let message = decode_one(&bytes);
        assert_eq!(
            message.payload,
            b64(expected["payload_base64"].as_str().unwrap()),
            "{name}"
        );
        let headers = expected["headers_botocore"].as_object().unwrap();
        assert_eq!(message.headers.len(), headers.len(), "{name}");
        for h in &message.headers {
            let want = &headers[&h.name];
            let got = match &h.value {
                HeaderValue::Bool(b) => Value::from(*b),
                HeaderValue::Byte(n) => Value::from(*n),
                HeaderValue::Int16(n) => Value::from(*n),
                HeaderValue::Int32(n) => Value::from(*n),
                HeaderValue::Int64(n) | HeaderValue::Timestamp(n) => Value::from(*n),
                HeaderValue::String(s) => Value::from(s.as_str()),
                HeaderValue::ByteArray(b) => serde_json::json!({
                    "bytes_base64": base64::engine::general_purpose::STANDARD.encode(b)
                }),
                HeaderValue::Uuid(u) => serde_json::json!({
                    "bytes_base64": base64::engine::general_purpose::STANDARD.encode(u)
                }),
            };
            assert_eq!(&got, want, "{name}: header {}", h.name);
        }
        assert_eq!(message.encode(), bytes, "{name}: re-encodes byte for byte");
    }
}

#[test]
fn botocore_negative_vectors_are_rejected_for_their_reason() {
    let v = fixture("botocore/botocore-eventstream-vectors.json");
    for case in v["negative"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        // Too large to inline: the prelude is what matters, and it is rejected from that
        // alone, before the rest is buffered.
        let bytes = match case["bytes_base64"].as_str() {
            Some(b) => b64(b),
            None => b64(case["bytes_generator"][0]["bytes_base64"].as_str().unwrap()),
        };
        let mut d = Decoder::new();
        d.push(&bytes);
        let e = d.next_message().expect_err(name);
        let ok = match case["expected_exception"].as_str().unwrap() {
            "ChecksumMismatch" => e.is_checksum_mismatch(),
            "DuplicateHeader" => matches!(e.kind(), DecodeErrorKind::DuplicateHeader(_)),
            "InvalidHeadersLength" => {
                matches!(e.kind(), DecodeErrorKind::InvalidHeadersLength { .. })
            }
            // botocore caps a payload at 16 MiB; ours is the Smithy spec's 24 MiB, and this
            // frame's 25,165,841 bytes are over it.
            "InvalidPayloadLength" => matches!(e.kind(), DecodeErrorKind::PayloadTooLong { .. }),
            other => panic!("{name}: {other}"),
        };
        assert!(ok, "{name}: rejected as {e:?}");
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn botocore_stream_vectors_split_anywhere_and_error_frames_end_the_stream() {
    let v = fixture("botocore/botocore-eventstream-vectors.json");
    let stream = |name: &str| {
        v["stream"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    let chunks = |s: &Value| -> Vec<Vec<u8>> {
        s["chunks_base64"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| b64(c.as_str().unwrap()))
            .collect()
    };

    let partial = chunks(&stream("test_partial_message"));
    let mut d = Decoder::new();
    d.push(&partial[0]);
    assert!(
        d.next_message().unwrap().is_none(),
        "no message after the first chunk"
    );
    assert!(d.finish().unwrap_err().is_truncated());
    d.push(&partial[1]);
    let m = d.next_message().unwrap().unwrap();
    assert!(
        m.headers.is_empty() && m.payload.is_empty(),
        "then exactly EMPTY_MESSAGE"
    );

    let all = chunks(&stream("test_all_positive_cases"));
    let mut d = Decoder::new();
    let mut n = 0;
    for c in &all {
        d.push(c);
        while d.next_message().unwrap().is_some() {
            n += 1;
        }
    }
    d.finish().unwrap();
    assert_eq!(n, v["positive"].as_array().unwrap().len());

    let wrapped = chunks(&stream("test_event_stream_wrapper_iteration"));
    let mut d = Decoder::new();
    for c in &wrapped {
        d.push(c);
    }
    let m = d.next_message().unwrap().unwrap();
    assert_eq!(m.headers[0].name, "event-id");
    assert_eq!(m.headers[0].value, HeaderValue::Int32(40972));
    assert_eq!(m.payload, b"{'foo':'bar'}");

    // A `:message-type: error` frame ends the stream with that error, named by its code.
    let error = chunks(&stream("test_eventstream_wrapper_iteration_error"));
    let mut s = ResponseStreamDecoder::new();
    s.push(&error[0]);
    let e = s.next_event().unwrap_err();
    let x = e.stream_exception().expect("a stream exception");
    assert_eq!((x.name.as_str(), x.message.as_str()), ("code", "message"));
    assert!(s.next_event().unwrap().is_none(), "nothing after it");
}
