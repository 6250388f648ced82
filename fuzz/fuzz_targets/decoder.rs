//! The event-stream decoder on arbitrary bytes. The input is the stream itself, so the seed
//! frames are valid as they are; the piece sizes are read from the input too. A copy of the
//! input with its CRCs recomputed is checked as well: otherwise almost every mutation stops at
//! a checksum and the header parser behind it is rarely reached.
//!
//! Beyond "no panic, no hang" it checks what must hold for any input:
//! - splitting does not matter: whole input in one push and in pieces decode alike;
//! - an accepted frame re-encodes to exactly its input bytes, and decodes back to itself;
//! - limits only cut the stream short: with any [`Limits`] the messages are a prefix of those
//!   decoded with no limit at all, none of them breaks a limit, and the stream ends as the
//!   unlimited one does or with a limit error naming the frame that breaks it. Checked with the
//!   default limits (inputs run to several MiB, so 128 KiB header blocks and the 1,024-header
//!   count are reached), a small whole-message cap, and limits read from the input's first
//!   bytes, on or one below its first frame's own sizes, so each bound is met exactly or
//!   missed by one byte without needing a large input;
//! - the buffer never holds more than the message limit.

#![no_main]

use bedrock_wasm::eventstream::{
    DecodeError, DecodeErrorKind, Decoder, HeaderValue, Limits, Message,
};
use libfuzzer_sys::fuzz_target;

/// Messages decoded before the end or the first error, and how the stream ended.
type Outcome = (Vec<Message>, Result<(), DecodeError>);

fn decode<'a>(mut decoder: Decoder, pieces: impl Iterator<Item = &'a [u8]>, len: usize) -> Outcome {
    let mut messages = Vec::new();
    let mut calls = 0;
    let mut pushes = 0;
    // A frame is buffered only while incomplete, and only up to its declared length (or the
    // 12-byte prelude before that is known).
    let max_buffered = (decoder.limits().max_message_len as usize).max(12);
    for piece in pieces {
        decoder.push(piece);
        pushes += 1;
        assert!(
            decoder.buffered_len() <= max_buffered,
            "buffered beyond the limit"
        );
        loop {
            // Each message takes at least 16 bytes and each drain ends at the first `None`:
            // any more calls means the decoder spins.
            calls += 1;
            assert!(calls <= pushes + len / 16, "decoder spins");
            match decoder.next_message() {
                Ok(Some(m)) => messages.push(m),
                Ok(None) => break,
                Err(e) => {
                    assert_eq!(decoder.next_message(), Err(e.clone()), "errors are sticky");
                    assert_eq!(decoder.finish(), Err(e.clone()));
                    return (messages, Err(e));
                }
            }
        }
    }
    let end = decoder.finish();
    match &end {
        Ok(()) => assert_eq!(decoder.buffered_len(), 0),
        Err(e) => assert_eq!(
            e.kind(),
            &DecodeErrorKind::TruncatedStream {
                buffered: decoder.buffered_len()
            }
        ),
    }
    (messages, end)
}

/// Pieces of 1..=64 bytes, sizes taken from the input read backwards (its tail is usually a
/// CRC, so the sizes vary even when the fuzzer leaves that part alone).
fn pieces(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    let mut k = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let size = 1 + data[data.len() - 1 - k % data.len()] as usize % 64;
        k += 1;
        let (piece, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        Some(piece)
    })
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let sealed = reseal(data);
    if sealed != data {
        check(&sealed);
    }
});

/// Recomputes the prelude CRC and the message CRC of every frame the declared lengths delimit.
fn reseal(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    let mut at = 0;
    while out.len() - at >= 12 {
        let crc = crc32fast::hash(&out[at..at + 8]);
        out[at + 8..at + 12].copy_from_slice(&crc.to_be_bytes());
        let total = u32::from_be_bytes(out[at..at + 4].try_into().unwrap()) as usize;
        if total < 16 || out.len() - at < total {
            break;
        }
        let crc = crc32fast::hash(&out[at..at + total - 4]);
        out[at + total - 4..at + total].copy_from_slice(&crc.to_be_bytes());
        at += total;
    }
    out
}

/// Limits from the input's first bytes: on, or one below, the first frame's declared total,
/// headers and payload lengths, and a header count of 0..=15; each one applied or not. Which,
/// and on or below, follows bits of the input length, which mutations change all the time.
fn limits_from(data: &[u8]) -> Limits {
    let word = |at: usize| {
        data.get(at..at + 4)
            .map_or(0, |b| u32::from_be_bytes(b.try_into().unwrap()))
    };
    let (total, headers) = (word(0), word(4));
    let payload = total.saturating_sub(16).saturating_sub(headers);
    let k = data.len() as u32;
    let pick = |on: u32, value: u32, below: u32| {
        if k & on == 0 {
            u32::MAX
        } else {
            value.saturating_sub((k >> below) & 1)
        }
    };
    Limits::default()
        .with_max_message_len(pick(1, total, 4))
        .with_max_headers_len(pick(2, headers, 5))
        .with_max_payload_len(pick(4, payload, 6))
        .with_max_header_count(if k & 8 == 0 { u32::MAX } else { (k >> 7) & 15 })
}

/// The encoded header block length of a message, counted (encoding a large message for it
/// would cost more than decoding it).
fn headers_len(m: &Message) -> u64 {
    m.headers
        .iter()
        .map(|h| {
            let value = match &h.value {
                HeaderValue::Bool(_) => 0,
                HeaderValue::Byte(_) => 1,
                HeaderValue::Int16(_) => 2,
                HeaderValue::Int32(_) => 4,
                HeaderValue::Int64(_) | HeaderValue::Timestamp(_) => 8,
                HeaderValue::ByteArray(b) => 2 + b.len(),
                HeaderValue::String(s) => 2 + s.len(),
                HeaderValue::Uuid(_) => 16,
            };
            (2 + h.name.len() + value) as u64
        })
        .sum()
}

/// The encoded length of a message.
fn total_len(m: &Message) -> u64 {
    16 + headers_len(m) + m.payload.len() as u64
}

fn fits(m: &Message, limits: &Limits) -> bool {
    total_len(m) <= limits.max_message_len as u64
        && headers_len(m) <= limits.max_headers_len as u64
        && m.payload.len() as u64 <= limits.max_payload_len as u64
        && m.headers.len() as u64 <= limits.max_header_count as u64
}

/// `limited` (decoded with `limits`) is `free` (decoded with none) cut short at a frame that
/// breaks one of the limits, with an error that says which and by how much.
fn check_limited(limited: &Outcome, free: &Outcome, limits: &Limits) {
    let (messages, end) = limited;
    assert!(messages.len() <= free.0.len(), "a limit let more through");
    assert_eq!(
        messages[..],
        free.0[..messages.len()],
        "a limit changed a message"
    );
    for m in messages {
        assert!(fits(m, limits), "a message beyond the limits was accepted");
    }
    let e = match end {
        Err(e) if e.is_limit_exceeded() => e,
        _ => {
            assert_eq!(limited, free, "limits that were not hit changed the result");
            return;
        }
    };
    // Without limits, the refused frame either decodes and breaks the limit named, or is
    // refused for a reason checked later (its CRC, a header, the end of the stream).
    let refused = free.0.get(messages.len());
    if refused.is_none() {
        assert!(free.1.is_err(), "refused a frame that was not there");
    }
    match *e.kind() {
        DecodeErrorKind::MessageTooLong {
            total_len: len,
            max,
        } => {
            assert_eq!(max, limits.max_message_len);
            assert!(len > max);
            if let Some(m) = refused {
                assert_eq!(total_len(m), u64::from(len));
            }
        }
        DecodeErrorKind::HeadersTooLong {
            headers_len: len,
            max,
        } => {
            assert_eq!(max, limits.max_headers_len);
            assert!(len > max);
            if let Some(m) = refused {
                assert_eq!(headers_len(m), u64::from(len));
            }
        }
        DecodeErrorKind::PayloadTooLong { payload_len, max } => {
            assert_eq!(max, limits.max_payload_len);
            assert!(payload_len > max);
            if let Some(m) = refused {
                assert_eq!(m.payload.len(), payload_len as usize);
            }
        }
        DecodeErrorKind::TooManyHeaders { max } => {
            assert_eq!(max, limits.max_header_count);
            if let Some(m) = refused {
                assert!(m.headers.len() as u64 > max as u64);
            }
        }
        ref other => panic!("is_limit_exceeded() for {other:?}"),
    }
}

fn check(data: &[u8]) {
    let len = data.len();
    let free = decode(
        Decoder::with_limits(Limits::UNLIMITED),
        std::iter::once(data),
        len,
    );
    let whole = decode(Decoder::new(), std::iter::once(data), len);
    let split = decode(Decoder::new(), pieces(data), len);
    assert_eq!(whole, split, "the split points changed the result");
    check_limited(&whole, &free, &Limits::default());

    // Accepted frames are contiguous from the start and encode canonically.
    let mut at = 0;
    for m in &free.0 {
        let wire = m.try_encode().expect("a decoded message encodes");
        assert_eq!(wire.len() as u64, total_len(m));
        assert_eq!(
            u64::from(u32::from_be_bytes(wire[4..8].try_into().unwrap())),
            headers_len(m)
        );
        assert_eq!(&data[at..at + wire.len()], &wire[..], "re-encoding differs");
        at += wire.len();
        let mut d = Decoder::with_limits(Limits::UNLIMITED);
        d.push(&wire);
        assert_eq!(d.next_message(), Ok(Some(m.clone())));
        assert_eq!(d.next_message(), Ok(None));
        assert_eq!(d.finish(), Ok(()));
    }

    // A cap that moves with the input length, so its boundary meets frames of every size.
    let cap = 16 + (len % 128) as u32;
    let capped = decode(Decoder::with_max_message_len(cap), pieces(data), len);
    check_limited(&capped, &free, &Limits::default().with_max_message_len(cap));

    let limits = limits_from(data);
    let custom = decode(Decoder::with_limits(limits), pieces(data), len);
    check_limited(&custom, &free, &limits);
}
