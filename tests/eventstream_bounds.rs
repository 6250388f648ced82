//! The decoder's resource bounds (issue #11): the length limits are enforced from the prelude
//! alone, the header count while the header block is parsed, and duplicate names are found
//! wherever they are. The hostile cases check what the decoder did (which error, how much it
//! buffered, that it stopped before bytes it would otherwise have rejected), never how long
//! it took.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use bedrock_wasm::eventstream::{
    DecodeError, DecodeErrorKind, Decoder, EncodeErrorKind, Header, HeaderValue, Limits, Message,
    DEFAULT_MAX_HEADERS_LEN, DEFAULT_MAX_HEADER_COUNT, DEFAULT_MAX_MESSAGE_LEN,
    DEFAULT_MAX_PAYLOAD_LEN,
};

/// A frame around a raw header block, CRCs computed with crc32fast (not the code under test).
fn frame(headers: &[u8], payload: &[u8]) -> Vec<u8> {
    let total = (12 + headers.len() + payload.len() + 4) as u32;
    let mut out = prelude(total, headers.len() as u32);
    out.extend_from_slice(headers);
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
    out
}

/// A prelude with a valid CRC: all a decoder needs to judge the declared lengths.
fn prelude(total: u32, headers: u32) -> Vec<u8> {
    let mut p = total.to_be_bytes().to_vec();
    p.extend_from_slice(&headers.to_be_bytes());
    p.extend_from_slice(&crc32fast::hash(&p).to_be_bytes());
    p
}

/// A `true` header (no value bytes): name length, name, type 0.
fn bool_header(name: &str) -> Vec<u8> {
    let mut h = vec![name.len() as u8];
    h.extend_from_slice(name.as_bytes());
    h.push(0);
    h
}

/// Distinct names for every index.
fn name(i: usize) -> String {
    format!("h{i:x}")
}

fn block(names: impl IntoIterator<Item = String>) -> Vec<u8> {
    names.into_iter().flat_map(|n| bool_header(&n)).collect()
}

/// Everything decoded from `bytes` in one push, and how the stream ended.
fn decode(decoder: Decoder, bytes: &[u8]) -> (Vec<Message>, Result<(), DecodeError>) {
    let mut d = decoder;
    d.push(bytes);
    let mut out = Vec::new();
    loop {
        match d.next_message() {
            Ok(Some(m)) => out.push(m),
            Ok(None) => return (out, d.finish()),
            Err(e) => return (out, Err(e)),
        }
    }
}

fn error_kind(decoder: Decoder, bytes: &[u8]) -> DecodeErrorKind {
    decode(decoder, bytes).1.unwrap_err().kind().clone()
}

// ---------------------------------------------------------------------------------------------
// The defaults and their provenance.

#[test]
fn default_limits_are_the_smithy_spec_sizes() {
    assert_eq!(DEFAULT_MAX_PAYLOAD_LEN, 25_165_824);
    assert_eq!(DEFAULT_MAX_HEADERS_LEN, 131_072);
    assert_eq!(DEFAULT_MAX_MESSAGE_LEN, 12 + 131_072 + 25_165_824 + 4);
    assert_eq!(DEFAULT_MAX_HEADER_COUNT, 1024);
    let d = Limits::default();
    assert_eq!(
        (
            d.max_message_len,
            d.max_headers_len,
            d.max_payload_len,
            d.max_header_count
        ),
        (
            DEFAULT_MAX_MESSAGE_LEN,
            DEFAULT_MAX_HEADERS_LEN,
            DEFAULT_MAX_PAYLOAD_LEN,
            DEFAULT_MAX_HEADER_COUNT
        )
    );
    assert_eq!(Decoder::new().limits(), d);
    // The old constructor moves only the whole-message bound.
    assert_eq!(
        Decoder::with_max_message_len(100).limits(),
        d.with_max_message_len(100)
    );
}

// ---------------------------------------------------------------------------------------------
// Length limits: refused from the 12-byte prelude, before anything else is buffered.

/// Pushes only a prelude: `Ok(None)` (waiting for the body) or the error it caused.
fn judge_prelude(decoder: Decoder, total: u32, headers: u32) -> Result<(), DecodeErrorKind> {
    let mut d = decoder;
    d.push(&prelude(total, headers));
    match d.next_message() {
        Ok(None) => {
            assert_eq!(d.buffered_len(), 12, "waiting for the body");
            Ok(())
        }
        Ok(Some(m)) => panic!("a message from a prelude alone: {m:?}"),
        Err(e) => Err(e.kind().clone()),
    }
}

#[test]
fn headers_and_payload_at_the_default_limits_are_awaited_one_byte_more_is_refused() {
    let h = DEFAULT_MAX_HEADERS_LEN;
    let p = DEFAULT_MAX_PAYLOAD_LEN;
    // The largest message the defaults allow: headers and payload both at their limit.
    assert_eq!(judge_prelude(Decoder::new(), 16 + h + p, h), Ok(()));
    assert_eq!(
        judge_prelude(Decoder::new(), 16 + h + 1, h + 1),
        Err(DecodeErrorKind::HeadersTooLong {
            headers_len: h + 1,
            max: h
        })
    );
    assert_eq!(
        judge_prelude(Decoder::new(), 16 + 1 + p, 0),
        Err(DecodeErrorKind::PayloadTooLong {
            payload_len: p + 1,
            max: p
        })
    );
    assert_eq!(
        judge_prelude(Decoder::new(), 16 + h + p + 1, h),
        Err(DecodeErrorKind::MessageTooLong {
            total_len: DEFAULT_MAX_MESSAGE_LEN + 1,
            max: DEFAULT_MAX_MESSAGE_LEN
        })
    );
}

#[test]
fn every_length_limit_is_exact_on_real_frames() {
    let headers = block((0..10).map(name)); // 10 headers, 40 bytes
    let payload = [7u8; 100];
    let wire = frame(&headers, &payload);
    let (hl, pl, tl) = (
        headers.len() as u32,
        payload.len() as u32,
        wire.len() as u32,
    );
    let cases = [
        (Limits::default().with_max_headers_len(hl), None),
        (
            Limits::default().with_max_headers_len(hl - 1),
            Some(DecodeErrorKind::HeadersTooLong {
                headers_len: hl,
                max: hl - 1,
            }),
        ),
        (Limits::default().with_max_payload_len(pl), None),
        (
            Limits::default().with_max_payload_len(pl - 1),
            Some(DecodeErrorKind::PayloadTooLong {
                payload_len: pl,
                max: pl - 1,
            }),
        ),
        (Limits::default().with_max_message_len(tl), None),
        (
            Limits::default().with_max_message_len(tl - 1),
            Some(DecodeErrorKind::MessageTooLong {
                total_len: tl,
                max: tl - 1,
            }),
        ),
        (Limits::default().with_max_header_count(10), None),
        (
            Limits::default().with_max_header_count(9),
            Some(DecodeErrorKind::TooManyHeaders { max: 9 }),
        ),
    ];
    for (limits, want) in cases {
        let (messages, end) = decode(Decoder::with_limits(limits), &wire);
        match want {
            None => {
                assert_eq!(end, Ok(()), "{limits:?}");
                assert_eq!(messages.len(), 1);
                assert_eq!(messages[0].headers.len(), 10);
                assert_eq!(messages[0].payload, payload);
            }
            Some(kind) => {
                let e = end.unwrap_err();
                assert!(messages.is_empty());
                assert!(e.is_limit_exceeded(), "{e}");
                assert_eq!(e.kind(), &kind, "{limits:?}");
            }
        }
    }
}

#[test]
fn a_real_frame_with_exactly_128_kib_of_headers_decodes_and_one_more_byte_is_refused_unread() {
    // 128 string headers of exactly 1 KiB each: name length, 4-byte name, tag, 2-byte value
    // length and 1016 value bytes.
    let headers: Vec<u8> = (0..128)
        .flat_map(|i| {
            let mut h = vec![4u8];
            h.extend_from_slice(format!("n{i:03}").as_bytes());
            h.push(7);
            h.extend_from_slice(&1016u16.to_be_bytes());
            h.extend(std::iter::repeat_n(b'v', 1016));
            h
        })
        .collect();
    assert_eq!(headers.len(), 131_072);
    let wire = frame(&headers, b"payload");
    let (messages, end) = decode(Decoder::new(), &wire);
    assert_eq!(end, Ok(()));
    assert_eq!(messages[0].headers.len(), 128);

    // One byte more: refused after the prelude, with nothing but the prelude buffered.
    let mut longer = headers.clone();
    longer.push(0);
    let wire = frame(&longer, b"payload");
    let mut d = Decoder::new();
    d.push(&wire[..12]);
    assert!(matches!(
        d.next_message().unwrap_err().kind(),
        DecodeErrorKind::HeadersTooLong {
            headers_len: 131_073,
            ..
        }
    ));
    d.push(&wire[12..]);
    assert_eq!(d.buffered_len(), 0, "nothing kept after the refusal");
}

#[test]
fn lengths_near_u32_max_are_judged_without_overflow() {
    // These preludes would overflow a careless `12 + headers_len` or `total - headers - 16`
    // in 32-bit arithmetic (wasm32's usize).
    let max = u32::MAX;
    for (total, headers) in [
        (max, max),
        (max, max - 15),
        (max, max - 16),
        (max, 0),
        (16, max),
        (17, 2),
    ] {
        for limits in [Limits::default(), Limits::UNLIMITED] {
            let verdict = judge_prelude(Decoder::with_limits(limits), total, headers);
            let fits = headers != 1 && headers as u64 + 16 <= total as u64;
            let within = total <= limits.max_message_len
                && headers <= limits.max_headers_len
                && (!fits || total as u64 - 16 - headers as u64 <= limits.max_payload_len as u64);
            match verdict {
                Ok(()) => assert!(fits && within, "{total} {headers} accepted"),
                Err(DecodeErrorKind::InvalidHeadersLength { .. }) => assert!(!fits),
                Err(
                    k @ (DecodeErrorKind::MessageTooLong { .. }
                    | DecodeErrorKind::HeadersTooLong { .. }
                    | DecodeErrorKind::PayloadTooLong { .. }),
                ) => assert!(!within, "{total} {headers}: {k:?}"),
                Err(k) => panic!("{total} {headers}: {k:?}"),
            }
        }
    }
    // A frame declared at 4 GiB - 1 with no limits waits for its body and, cut short, is a
    // truncated stream.
    let mut d = Decoder::with_limits(Limits::UNLIMITED);
    d.push(&prelude(max, 0));
    d.push(&[0; 100]);
    assert_eq!(d.next_message(), Ok(None));
    assert_eq!(d.buffered_len(), 112);
    assert!(d.finish().unwrap_err().is_truncated());
}

// ---------------------------------------------------------------------------------------------
// Header count: checked as each header begins, so the rest of the block is never read.

#[test]
fn a_128_kib_block_of_tiny_headers_is_stopped_by_the_count_limit_before_the_rest_is_read() {
    // 1024 distinct headers (the limit), then a 1025th that is malformed (name length 0), then
    // 1-byte-name duplicates up to 128 KiB. Parsing header 1025, or any byte after it, would
    // give another error: `TooManyHeaders` proves the parser stopped where it began.
    let mut headers = block((0..1024).map(name));
    headers.extend_from_slice(&[0, 0, 0]);
    while headers.len() < 131_072 {
        headers.extend_from_slice(&bool_header("a"));
    }
    headers.truncate(131_072);
    let wire = frame(&headers, b"");
    assert_eq!(
        error_kind(Decoder::new(), &wire),
        DecodeErrorKind::TooManyHeaders { max: 1024 }
    );
    // Without the count limit the same block fails where the parser meets the bad header.
    assert_eq!(
        error_kind(Decoder::with_limits(Limits::UNLIMITED), &wire),
        DecodeErrorKind::InvalidHeaderNameLength
    );
}

#[test]
fn distinct_headers_up_to_the_count_limit_decode_in_wire_order() {
    for n in [1023, 1024] {
        let wire = frame(&block((0..n).map(name)), b"p");
        let (messages, end) = decode(Decoder::new(), &wire);
        assert_eq!(end, Ok(()), "{n} headers");
        let names: Vec<String> = messages[0].headers.iter().map(|h| h.name.clone()).collect();
        assert_eq!(names, (0..n).map(name).collect::<Vec<_>>());
        // Re-encodes to the same bytes.
        assert_eq!(messages[0].encode(), wire);
    }
    let wire = frame(&block((0..1025).map(name)), b"p");
    let e = decode(Decoder::new(), &wire).1.unwrap_err();
    assert_eq!(e.kind(), &DecodeErrorKind::TooManyHeaders { max: 1024 });
    assert!(e.is_limit_exceeded());
    assert!(e.to_string().contains("with_limits"), "{e}");
}

#[test]
fn a_full_128_kib_block_of_distinct_headers_decodes_without_the_count_limit() {
    // The worst case the length limit allows: 128 KiB of the smallest distinct headers (all
    // 128 one-byte names, all 16,384 two-byte ASCII names, then three-byte ones), ~29,500
    // headers. A quadratic duplicate check would make ~435 million name comparisons here.
    let ascii = || (0u8..128).map(|b| b as char);
    let mut names: Vec<String> = ascii().map(String::from).collect();
    names.extend(ascii().flat_map(|a| ascii().map(move |b| format!("{a}{b}"))));
    let mut triples =
        ascii().flat_map(|a| ascii().flat_map(move |b| ascii().map(move |c| format!("{a}{b}{c}"))));
    let mut headers = block(names.iter().cloned());
    // Three-byte-name `true` headers (5 bytes) while a last string header (7 bytes or more)
    // still fits, then that header's value takes what is left, to end at exactly 128 KiB.
    while 131_072 - headers.len() >= 5 + 7 {
        let n = triples.next().unwrap();
        headers.extend(bool_header(&n));
        names.push(n);
    }
    let last = triples.next().unwrap();
    let value_len = 131_072 - headers.len() - 7;
    headers.push(3);
    headers.extend_from_slice(last.as_bytes());
    headers.push(7);
    headers.extend_from_slice(&(value_len as u16).to_be_bytes());
    headers.extend(std::iter::repeat_n(b'v', value_len));
    names.push(last);
    assert_eq!(headers.len(), 131_072);
    assert!(names.len() > 29_000);

    let wire = frame(&headers, b"");
    let limits = Limits::default().with_max_header_count(u32::MAX);
    let (messages, end) = decode(Decoder::with_limits(limits), &wire);
    assert_eq!(end, Ok(()));
    let decoded: Vec<&String> = messages[0].headers.iter().map(|h| &h.name).collect();
    assert_eq!(decoded, names.iter().collect::<Vec<_>>());
    // With the default count limit it is refused at header 1025.
    assert_eq!(
        error_kind(Decoder::new(), &wire),
        DecodeErrorKind::TooManyHeaders { max: 1024 }
    );
    // The same block with its first name repeated at the very end.
    let mut dup = headers.clone();
    dup.extend(bool_header(&names[0]));
    let wire = frame(&dup, b"");
    let limits = limits.with_max_headers_len(u32::MAX);
    assert_eq!(
        error_kind(Decoder::with_limits(limits), &wire),
        DecodeErrorKind::DuplicateHeader(names[0].clone())
    );
}

// ---------------------------------------------------------------------------------------------
// Duplicates: found wherever they are, named by the second occurrence's name.

#[test]
fn a_duplicate_is_found_at_every_position_pair() {
    // Across the switch from a linear scan to a set (after 8 names) and at its edges.
    for n in 2..=20usize {
        for first in 0..n {
            for second in first + 1..n {
                let names: Vec<String> = (0..n)
                    .map(|i| if i == second { name(first) } else { name(i) })
                    .collect();
                let wire = frame(&block(names), b"");
                assert_eq!(
                    error_kind(Decoder::new(), &wire),
                    DecodeErrorKind::DuplicateHeader(name(first)),
                    "{n} headers, #{second} repeats #{first}"
                );
            }
        }
    }
}

#[test]
fn a_duplicate_at_the_very_end_of_the_largest_header_count_is_found() {
    let mut names: Vec<String> = (0..1023).map(name).collect();
    names.push(name(0));
    let wire = frame(&block(names.clone()), b"");
    assert_eq!(
        error_kind(Decoder::new(), &wire),
        DecodeErrorKind::DuplicateHeader(name(0))
    );
    // Also when the repeated name is the last-but-one.
    names[1023] = name(1022);
    let wire = frame(&block(names), b"");
    assert_eq!(
        error_kind(Decoder::new(), &wire),
        DecodeErrorKind::DuplicateHeader(name(1022))
    );
}

// ---------------------------------------------------------------------------------------------
// Encoding: what cannot be represented is an error from `try_encode`.

#[test]
fn try_encode_refuses_what_the_length_fields_cannot_hold() {
    let at_limits = Message::new(b"p".to_vec())
        .with_header("n".repeat(255), HeaderValue::ByteArray(vec![1; 65535]))
        .with_str_header("s", "x".repeat(65535));
    let wire = at_limits.try_encode().unwrap();
    assert_eq!(wire, at_limits.encode());
    let limits = Limits::default().with_max_headers_len(u32::MAX);
    let (messages, end) = decode(Decoder::with_limits(limits), &wire);
    assert_eq!((messages, end), (vec![at_limits], Ok(())));

    let long_name = Message::new(Vec::new()).with_header("n".repeat(256), HeaderValue::Bool(true));
    let e = long_name.try_encode().unwrap_err();
    assert_eq!(
        e.kind(),
        &EncodeErrorKind::HeaderNameTooLong { name_len: 256 }
    );
    assert!(e.to_string().contains("255"), "{e}");

    for value in [
        HeaderValue::ByteArray(vec![0; 65536]),
        HeaderValue::String("x".repeat(65536)),
    ] {
        let m = Message {
            headers: vec![Header {
                name: "big".into(),
                value,
            }],
            payload: Vec::new(),
        };
        assert_eq!(
            m.try_encode().unwrap_err().kind(),
            &EncodeErrorKind::HeaderValueTooLong {
                name: "big".into(),
                value_len: 65536
            }
        );
    }
}

// `should_panic` needs unwinding, which the wasm test runner does not have.
#[cfg(not(target_arch = "wasm32"))]
#[test]
#[should_panic(expected = "cannot be encoded (255 at most)")]
fn encode_panics_with_the_try_encode_error() {
    Message::new(Vec::new())
        .with_header("n".repeat(256), HeaderValue::Bool(true))
        .encode();
}
