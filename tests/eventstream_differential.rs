//! Differential tests: our event-stream decoder and encoder against the AWS Rust SDK's codec
//! (`aws-smithy-eventstream`, the oracle), on random valid streams and on mutated ones.
//!
//! Intended divergences (we are stricter than the oracle; nothing else may differ):
//! - A duplicate header name is rejected (`DuplicateHeader`); the oracle keeps both headers.
//! - An empty header name is rejected (`InvalidHeaderNameLength`); the oracle accepts it.
//! - We enforce [`Limits`] (Smithy spec sizes: 128 KiB of headers, 24 MiB of payload; at most
//!   1,024 headers); the oracle has no bound. A frame beyond one is refused with a limit
//!   error (`DecodeError::is_limit_exceeded`); with every limit at `u32::MAX` we agree.
//! - We check the prelude CRC, the length limits and the headers length as soon as the 12-byte
//!   prelude is in; the oracle waits for the whole declared frame. On a finite input that
//!   means we report an error where the oracle reports "incomplete": both reject the stream,
//!   so verdicts are compared, never error kinds (the oracle also parses headers before
//!   checking the message CRC, so its error for a corrupt frame is often a different one).
#![cfg(not(target_arch = "wasm32"))]

use aws_smithy_eventstream::frame::{write_message_to, DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream as aws;
use aws_smithy_types::DateTime;
use bedrock_wasm::eventstream::{
    DecodeError, DecodeErrorKind, Decoder, Header, HeaderValue, Limits, Message,
};
use bytes::{Bytes, BytesMut};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

const PRELUDE_LEN: usize = 12;
const MIN_MESSAGE_LEN: usize = 16;

// ---------------------------------------------------------------------------------------------
// Conversion to the oracle's types and running both decoders.

fn to_oracle(m: &Message) -> aws::Message {
    let headers = m
        .headers
        .iter()
        .map(|h| {
            let value = match &h.value {
                HeaderValue::Bool(b) => aws::HeaderValue::Bool(*b),
                HeaderValue::Byte(v) => aws::HeaderValue::Byte(*v),
                HeaderValue::Int16(v) => aws::HeaderValue::Int16(*v),
                HeaderValue::Int32(v) => aws::HeaderValue::Int32(*v),
                HeaderValue::Int64(v) => aws::HeaderValue::Int64(*v),
                HeaderValue::ByteArray(b) => aws::HeaderValue::ByteArray(Bytes::from(b.clone())),
                HeaderValue::String(s) => aws::HeaderValue::String(s.clone().into()),
                HeaderValue::Timestamp(ms) => {
                    aws::HeaderValue::Timestamp(DateTime::from_millis(*ms))
                }
                HeaderValue::Uuid(u) => aws::HeaderValue::Uuid(u128::from_be_bytes(*u)),
            };
            aws::Header::new(h.name.clone(), value)
        })
        .collect();
    aws::Message::new_from_parts(headers, Bytes::from(m.payload.clone()))
}

fn oracle_encode(m: &aws::Message) -> Vec<u8> {
    let mut out = Vec::new();
    write_message_to(m, &mut out).expect("the oracle encodes every message we generate");
    out
}

/// Splits `bytes` at `cuts` (taken modulo the length, sorted; repeats give empty pieces).
fn pieces<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    at.sort_unstable();
    at.push(bytes.len());
    let mut start = 0;
    at.into_iter()
        .map(|end| {
            let piece = &bytes[start..end];
            start = end;
            piece
        })
        .collect()
}

/// Messages decoded before the end or the first error, and how the stream ended.
type Ours = (Vec<Message>, Result<(), DecodeError>);

/// Feeds the pieces, drains after each, and calls `finish` once everything is in. Also
/// checks the calling contract: errors are sticky, and the loop cannot spin (every message
/// consumes at least 16 bytes and each drain ends at the first `None`), so more calls than
/// pieces plus messages that fit is a hang.
fn decode_ours(mut decoder: Decoder, bytes: &[u8], cuts: &[usize]) -> Ours {
    let pieces = pieces(bytes, cuts);
    let limit = pieces.len() + bytes.len() / MIN_MESSAGE_LEN;
    let mut calls = 0;
    let mut out = Vec::new();
    for piece in pieces {
        decoder.push(piece);
        loop {
            calls += 1;
            assert!(
                calls <= limit,
                "decoder spins: {calls} calls for {} bytes",
                bytes.len()
            );
            match decoder.next_message() {
                Ok(Some(m)) => out.push(m),
                Ok(None) => break,
                Err(e) => {
                    assert_eq!(decoder.next_message(), Err(e.clone()), "errors are sticky");
                    assert_eq!(decoder.finish(), Err(e.clone()), "finish repeats the error");
                    return (out, Err(e));
                }
            }
        }
    }
    let end = decoder.finish();
    assert_eq!(end.is_ok(), decoder.buffered_len() == 0);
    (out, end)
}

#[derive(Debug, PartialEq)]
enum OracleEnd {
    Clean,
    /// Bytes left over (possibly a prelude the oracle has already taken out of the buffer).
    Incomplete,
    Error(String),
}

fn decode_oracle(bytes: &[u8], cuts: &[usize]) -> (Vec<aws::Message>, OracleEnd) {
    let mut decoder = MessageFrameDecoder::new();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut framed = 0;
    let pieces = pieces(bytes, cuts);
    // Same bound as ours: each completed frame takes at least 16 bytes.
    let limit = pieces.len() + bytes.len() / MIN_MESSAGE_LEN;
    let mut calls = 0;
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            calls += 1;
            assert!(calls <= limit, "the oracle spins");
            match decoder.decode_frame(&mut buf) {
                Ok(DecodedFrame::Complete(m)) => {
                    // The oracle only accepts a header block it parsed exactly, so the
                    // re-encoded length is the frame's length.
                    framed += oracle_encode(&m).len();
                    out.push(m);
                }
                Ok(DecodedFrame::Incomplete) => break,
                Err(e) => return (out, OracleEnd::Error(e.to_string())),
            }
        }
    }
    // The oracle keeps a consumed prelude internally, so "nothing left" is counted, not asked.
    let end = if buf.is_empty() && framed == bytes.len() {
        OracleEnd::Clean
    } else {
        OracleEnd::Incomplete
    };
    (out, end)
}

/// Whether a message fits the default [`Limits`].
fn within_default_limits(m: &Message) -> bool {
    let limits = Limits::default();
    let wire = m.encode();
    let headers_len = u32::from_be_bytes(wire[4..8].try_into().unwrap());
    let payload_len = m.payload.len();
    wire.len() <= limits.max_message_len as usize
        && headers_len <= limits.max_headers_len
        && payload_len <= limits.max_payload_len as usize
        && m.headers.len() <= limits.max_header_count as usize
}

/// A message only the oracle accepts: it breaks one of our stricter rules.
fn breaks_stricter_rule(m: &aws::Message) -> bool {
    let names: Vec<&str> = m.headers().iter().map(|h| h.name().as_str()).collect();
    names.iter().any(|n| n.is_empty())
        || names
            .iter()
            .enumerate()
            .any(|(i, n)| names[..i].contains(n))
        || !within_default_limits(&from_oracle(m))
}

/// The oracle's message in our types (names and values only matter for the limits).
fn from_oracle(m: &aws::Message) -> Message {
    let mut out = Message::new(m.payload().to_vec());
    for h in m.headers() {
        let value = match h.value() {
            aws::HeaderValue::Bool(b) => HeaderValue::Bool(*b),
            aws::HeaderValue::Byte(v) => HeaderValue::Byte(*v),
            aws::HeaderValue::Int16(v) => HeaderValue::Int16(*v),
            aws::HeaderValue::Int32(v) => HeaderValue::Int32(*v),
            aws::HeaderValue::Int64(v) => HeaderValue::Int64(*v),
            aws::HeaderValue::ByteArray(b) => HeaderValue::ByteArray(b.to_vec()),
            aws::HeaderValue::String(s) => HeaderValue::String(s.as_str().to_owned()),
            aws::HeaderValue::Timestamp(t) => HeaderValue::Timestamp(t.to_millis().unwrap()),
            aws::HeaderValue::Uuid(u) => HeaderValue::Uuid(u.to_be_bytes()),
            other => panic!("a header type the oracle added: {other:?}"),
        };
        out.headers.push(Header {
            name: h.name().as_str().to_owned(),
            value,
        });
    }
    out
}

/// Same messages and same verdict, except where we reject a frame for a stricter rule.
fn assert_agree(ours: &Ours, theirs: &(Vec<aws::Message>, OracleEnd)) -> Result<(), TestCaseError> {
    let (our_messages, our_end) = ours;
    let (their_messages, their_end) = theirs;
    let converted: Vec<aws::Message> = our_messages.iter().map(to_oracle).collect();
    if their_messages.len() > converted.len() {
        let extra = &their_messages[converted.len()];
        let stricter = match our_end {
            Err(e) => {
                e.is_limit_exceeded()
                    || matches!(
                        e.kind(),
                        DecodeErrorKind::DuplicateHeader(_)
                            | DecodeErrorKind::InvalidHeaderNameLength
                    )
            }
            Ok(()) => false,
        };
        prop_assert!(
            stricter && breaks_stricter_rule(extra),
            "the oracle accepted a frame we rejected ({our_end:?}): {extra:?}"
        );
        prop_assert_eq!(&converted[..], &their_messages[..converted.len()]);
        return Ok(());
    }
    prop_assert_eq!(&converted, their_messages);
    prop_assert_eq!(
        our_end.is_ok(),
        *their_end == OracleEnd::Clean,
        "verdicts differ: ours {:?}, oracle {:?}",
        our_end,
        their_end
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Generators. Long values come from a seed rather than one proptest value per byte, which
// keeps generation fast in debug builds and shrinking sane.

fn seeded_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            // xorshift64
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A string of exactly `len` UTF-8 bytes mixing 1- to 4-byte characters.
fn seeded_string(len: usize, seed: u64) -> String {
    const SAMPLES: [char; 8] = ['a', 'Z', ':', '-', 'é', 'ж', '€', '🦀'];
    let mut s = String::with_capacity(len);
    // Every character adds at least one byte, so `len` samples are enough.
    for b in seeded_bytes(len, seed) {
        if s.len() == len {
            break;
        }
        let c = SAMPLES[b as usize % SAMPLES.len()];
        s.push(if s.len() + c.len_utf8() <= len {
            c
        } else {
            'x'
        });
    }
    s
}

/// Value lengths weighted towards short ones, with the 65535-byte maximum and its neighbours.
fn value_len(big: bool) -> BoxedStrategy<usize> {
    if big {
        prop_oneof![8 => 0..=32usize, 2 => 0..=2048usize, 1 => Just(65535usize), 1 => 65500..=65535usize]
            .boxed()
    } else {
        (0..=24usize).boxed()
    }
}

/// Header names: 1..=255 bytes (255 is the most one length byte can say), ASCII or not.
fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z:-][a-z0-9:-]{0,15}",
        2 => vec(any::<char>(), 1..=64).prop_map(|cs| {
            let mut s = String::new();
            for c in cs {
                if s.len() + c.len_utf8() > 255 {
                    break;
                }
                s.push(c);
            }
            s
        }),
        1 => (250..=255usize, any::<u64>()).prop_map(|(len, seed)| seeded_string(len, seed)),
    ]
}

fn header_value(big: bool) -> impl Strategy<Value = HeaderValue> {
    prop_oneof![
        any::<bool>().prop_map(HeaderValue::Bool),
        any::<i8>().prop_map(HeaderValue::Byte),
        any::<i16>().prop_map(HeaderValue::Int16),
        any::<i32>().prop_map(HeaderValue::Int32),
        any::<i64>().prop_map(HeaderValue::Int64),
        (value_len(big), any::<u64>())
            .prop_map(|(len, seed)| HeaderValue::ByteArray(seeded_bytes(len, seed))),
        (value_len(big), any::<u64>())
            .prop_map(|(len, seed)| HeaderValue::String(seeded_string(len, seed))),
        any::<i64>().prop_map(HeaderValue::Timestamp),
        any::<[u8; 16]>().prop_map(HeaderValue::Uuid),
    ]
}

/// A message both codecs accept: distinct, non-empty header names.
fn message(big: bool) -> impl Strategy<Value = Message> {
    let payload_len = if big {
        prop_oneof![0..=64usize, 0..=4096usize].boxed()
    } else {
        (0..=32usize).boxed()
    };
    (
        vec((header_name(), header_value(big)), 0..=6),
        payload_len,
        any::<u64>(),
    )
        .prop_map(|(headers, len, seed)| {
            let mut m = Message::new(seeded_bytes(len, seed));
            for (name, value) in headers {
                if m.header(&name).is_none() {
                    m.headers.push(Header { name, value });
                }
            }
            m
        })
}

/// Where a message sits in the encoded stream, and its headers' structural bytes.
struct Frame {
    start: usize,
    len: usize,
    headers: Vec<HeaderAt>,
}

struct HeaderAt {
    name_len: usize,
    tag: usize,
    /// The 2-byte length of a string or byte-array value.
    value_len: Option<usize>,
}

fn encode_all(messages: &[Message]) -> (Vec<u8>, Vec<Frame>) {
    let mut wire = Vec::new();
    let mut frames = Vec::new();
    for m in messages {
        let start = wire.len();
        let mut at = start + PRELUDE_LEN;
        let mut headers = Vec::new();
        for h in &m.headers {
            let tag = at + 1 + h.name.len();
            let (value_len, size) = match &h.value {
                HeaderValue::ByteArray(b) => (Some(tag + 1), 2 + b.len()),
                HeaderValue::String(s) => (Some(tag + 1), 2 + s.len()),
                HeaderValue::Bool(_) => (None, 0),
                HeaderValue::Byte(_) => (None, 1),
                HeaderValue::Int16(_) => (None, 2),
                HeaderValue::Int32(_) => (None, 4),
                HeaderValue::Int64(_) | HeaderValue::Timestamp(_) => (None, 8),
                HeaderValue::Uuid(_) => (None, 16),
            };
            headers.push(HeaderAt {
                name_len: at,
                tag,
                value_len,
            });
            at = tag + 1 + size;
        }
        wire.extend(m.encode());
        frames.push(Frame {
            start,
            len: wire.len() - start,
            headers,
        });
    }
    (wire, frames)
}

// ---------------------------------------------------------------------------------------------
// Mutations.

#[derive(Debug, Clone)]
enum Len {
    /// The current value plus a small delta (wrapping): off-by-one territory.
    Near(i8),
    Small(u32),
    Any(u32),
}

impl Len {
    fn apply(&self, current: u32) -> u32 {
        match *self {
            Len::Near(d) => current.wrapping_add_signed(d.into()),
            Len::Small(v) | Len::Any(v) => v,
        }
    }
}

fn len_choice() -> impl Strategy<Value = Len> {
    prop_oneof![
        2 => Just(Len::Near(0)),
        3 => any::<i8>().prop_map(Len::Near),
        2 => (0..=40u32).prop_map(Len::Small),
        1 => any::<u32>().prop_map(Len::Any),
    ]
}

#[derive(Debug, Clone, Copy)]
enum Field {
    NameLen,
    Tag,
    /// Falls back to the tag for fixed-size values.
    ValueLen,
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(Index, u8),
    SetByte(Index, u8),
    Truncate(Index),
    Insert(Index, Vec<u8>),
    Remove(Index, usize),
    /// New length fields for one frame, with the prelude CRC recomputed so the decoder gets
    /// past the prelude check.
    Lengths(Index, Len, Len),
    /// A new name length, type tag or value length for one header, with the message CRC
    /// recomputed: random bytes rarely land on these, and they steer the header parser.
    HeaderField(Index, Index, Field, Len),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let field = prop_oneof![
        Just(Field::NameLen),
        Just(Field::Tag),
        Just(Field::ValueLen)
    ];
    prop_oneof![
        4 => (any::<Index>(), 0..8u8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::SetByte(i, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), vec(any::<u8>(), 1..=8)).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (any::<Index>(), 1..=8usize).prop_map(|(i, n)| Mutation::Remove(i, n)),
        3 => (any::<Index>(), len_choice(), len_choice())
            .prop_map(|(f, t, h)| Mutation::Lengths(f, t, h)),
        4 => (any::<Index>(), any::<Index>(), field, len_choice())
            .prop_map(|(f, h, field, v)| Mutation::HeaderField(f, h, field, v)),
    ]
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b[..4].try_into().unwrap())
}

fn put_crc(bytes: &mut [u8], covered: std::ops::Range<usize>) {
    let crc = crc32fast::hash(&bytes[covered.clone()]);
    bytes[covered.end..covered.end + 4].copy_from_slice(&crc.to_be_bytes());
}

/// Applies the mutations. The structural ones use the layout of the unmutated stream, so they
/// go first: header fields (resealed by the message CRC), then frame lengths (resealed by
/// the prelude CRC), then the byte-level ones.
fn mutate(mut wire: Vec<u8>, frames: &[Frame], mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        if let Mutation::HeaderField(f, h, field, v) = m {
            let frame = &frames[f.index(frames.len())];
            if frame.headers.is_empty() {
                continue;
            }
            let header = &frame.headers[h.index(frame.headers.len())];
            match (field, header.value_len) {
                (Field::NameLen, _) => {
                    wire[header.name_len] = v.apply(wire[header.name_len].into()) as u8
                }
                (Field::ValueLen, Some(at)) => {
                    let old = u16::from_be_bytes([wire[at], wire[at + 1]]);
                    let new = v.apply(old.into()) as u16;
                    wire[at..at + 2].copy_from_slice(&new.to_be_bytes());
                }
                (Field::Tag | Field::ValueLen, _) => {
                    wire[header.tag] = v.apply(wire[header.tag].into()) as u8
                }
            }
            put_crc(&mut wire, frame.start..frame.start + frame.len - 4);
        }
    }
    for m in mutations {
        if let Mutation::Lengths(f, total, headers) = m {
            let at = frames[f.index(frames.len())].start;
            let t = total.apply(be_u32(&wire[at..]));
            let h = headers.apply(be_u32(&wire[at + 4..]));
            wire[at..at + 4].copy_from_slice(&t.to_be_bytes());
            wire[at + 4..at + 8].copy_from_slice(&h.to_be_bytes());
            put_crc(&mut wire, at..at + 8);
        }
    }
    for m in mutations {
        if wire.is_empty() {
            break;
        }
        let len = wire.len();
        match m {
            Mutation::FlipBit(i, bit) => wire[i.index(len)] ^= 1 << bit,
            Mutation::SetByte(i, b) => wire[i.index(len)] = *b,
            Mutation::Truncate(i) => wire.truncate(i.index(len)),
            Mutation::Insert(i, b) => {
                let at = i.index(len + 1);
                wire.splice(at..at, b.iter().copied());
            }
            Mutation::Remove(i, n) => {
                let at = i.index(len);
                wire.drain(at..(at + n).min(len));
            }
            Mutation::Lengths(..) | Mutation::HeaderField(..) => {}
        }
    }
    wire
}

/// Recomputes both CRCs of every frame that the declared lengths delimit, so corrupt header
/// blocks and lengths reach header parsing instead of stopping at a checksum.
fn fix_crcs(wire: &mut [u8]) {
    let mut at = 0;
    while at + PRELUDE_LEN <= wire.len() {
        put_crc(wire, at..at + 8);
        let total = be_u32(&wire[at..]) as usize;
        if total < MIN_MESSAGE_LEN || wire.len() - at < total {
            break;
        }
        put_crc(wire, at..at + total - 4);
        at += total;
    }
}

// ---------------------------------------------------------------------------------------------
// Properties.

/// 256 cases keep this file at about a second in debug; `PROPTEST_CASES=N` searches longer.
fn config() -> ProptestConfig {
    let config = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            config.cases
        } else {
            256
        },
        ..config
    }
}

proptest! {
    #![proptest_config(config())]

    /// Random valid streams: the oracle writes what we write, byte for byte, and both decoders
    /// read back the generated messages whatever the split points.
    #[test]
    fn valid_streams_agree_with_the_oracle(
        messages in vec(message(true), 1..=4),
        cuts in vec(any::<usize>(), 0..=12),
    ) {
        for m in &messages {
            let ours = m.encode();
            let theirs = oracle_encode(&to_oracle(m));
            // Not prop_assert_eq: a failure would print two encodings of up to 400 KB.
            prop_assert!(ours == theirs, "encodings differ for {:?}", m.headers);
        }
        let (wire, _) = encode_all(&messages);
        let ours = decode_ours(Decoder::with_limits(Limits::UNLIMITED), &wire, &cuts);
        prop_assert_eq!(&ours.1, &Ok(()));
        prop_assert!(ours.0 == messages, "decoded messages differ from the generated ones");
        let theirs = decode_oracle(&wire, &cuts);
        prop_assert_eq!(&theirs.1, &OracleEnd::Clean);
        assert_agree(&ours, &theirs)?;
        // With the default limits (values up to 65535 bytes make header blocks beyond
        // 128 KiB): the same messages up to the first that does not fit, refused for that.
        let fit = messages.iter().take_while(|m| within_default_limits(m)).count();
        let limited = decode_ours(Decoder::new(), &wire, &cuts);
        prop_assert!(limited.0[..] == messages[..fit], "default limits changed a message that fits");
        match &limited.1 {
            Ok(()) => prop_assert_eq!(fit, messages.len()),
            Err(e) => prop_assert!(
                fit < messages.len() && e.is_limit_exceeded(),
                "expected a limit error, got {:?}",
                e
            ),
        }
        assert_agree(&limited, &theirs)?;
    }

    /// Mutated streams never panic or spin, and the two decoders accept exactly the same
    /// frames with the same content (except the documented stricter rules).
    #[test]
    fn mutated_streams_agree_with_the_oracle(
        mut messages in vec(message(false), 1..=3),
        stricter in proptest::option::weighted(0.15, (any::<Index>(), any::<bool>())),
        mutations in vec(mutation(), 0..=3),
        recompute_crcs in any::<bool>(),
        cuts in vec(any::<usize>(), 0..=6),
    ) {
        // Sometimes a frame only the oracle accepts, so the divergence rule is exercised too.
        if let Some((i, empty)) = stricter {
            let n = messages.len();
            let m = &mut messages[i.index(n)];
            let name = match m.headers.first() {
                Some(h) if !empty => h.name.clone(),
                _ => String::new(),
            };
            m.headers.push(Header { name, value: HeaderValue::Bool(true) });
        }
        let (wire, frames) = encode_all(&messages);
        let mut wire = mutate(wire, &frames, &mutations);
        if recompute_crcs {
            fix_crcs(&mut wire);
        }
        let ours = decode_ours(Decoder::new(), &wire, &cuts);
        // Whatever we accept must re-encode to the same bytes the oracle writes.
        for m in &ours.0 {
            prop_assert_eq!(m.encode(), oracle_encode(&to_oracle(m)));
        }
        let theirs = decode_oracle(&wire, &cuts);
        assert_agree(&ours, &theirs)?;
    }

    /// A small cap: every message up to it decodes, the first larger one is refused from its
    /// prelude alone, before its body arrives.
    #[test]
    fn cap_refuses_exactly_the_oversized_messages(
        messages in vec(message(false), 1..=4),
        // Mostly a cap within one byte of a message's length: the boundary is what matters.
        cap in prop_oneof![
            3 => (any::<Index>(), -1..=1i64).prop_map(|(i, d)| (Some(i), d)),
            1 => (16..=400i64).prop_map(|c| (None, c)),
        ],
        cuts in vec(any::<usize>(), 0..=6),
    ) {
        let (wire, frames) = encode_all(&messages);
        let cap = match cap {
            (Some(i), delta) => (messages[i.index(messages.len())].encode().len() as i64 + delta) as u32,
            (None, cap) => cap as u32,
        };
        let (decoded, end) = decode_ours(Decoder::with_max_message_len(cap), &wire, &cuts);
        let fits = messages
            .iter()
            .take_while(|m| m.encode().len() as u32 <= cap)
            .count();
        prop_assert_eq!(&decoded[..], &messages[..fits]);
        if fits == messages.len() {
            prop_assert_eq!(end, Ok(()));
        } else {
            let total_len = messages[fits].encode().len() as u32;
            prop_assert_eq!(
                end.map_err(|e| e.kind().clone()),
                Err(DecodeErrorKind::MessageTooLong { total_len, max: cap })
            );
            // Only the prelude is needed to refuse it.
            let prelude_end = frames[fits].start + PRELUDE_LEN;
            let (_, early) = decode_ours(Decoder::with_max_message_len(cap), &wire[..prelude_end], &[]);
            let refused = matches!(
                early.map_err(|e| e.kind().clone()),
                Err(DecodeErrorKind::MessageTooLong { .. })
            );
            prop_assert!(refused, "not refused from the prelude alone");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The intended divergences, pinned down.

fn oracle_wire(headers: Vec<aws::Header>) -> Vec<u8> {
    oracle_encode(&aws::Message::new_from_parts(
        headers,
        Bytes::from_static(b"p"),
    ))
}

#[test]
fn duplicate_header_names_only_the_oracle_accepts() {
    let wire = oracle_wire(vec![
        aws::Header::new("a", aws::HeaderValue::Int32(1)),
        aws::Header::new("a", aws::HeaderValue::Int32(2)),
    ]);
    let (messages, end) = decode_oracle(&wire, &[]);
    assert_eq!((messages.len(), end), (1, OracleEnd::Clean));
    let (_, ours) = decode_ours(Decoder::new(), &wire, &[]);
    assert_eq!(
        ours.unwrap_err().kind(),
        &DecodeErrorKind::DuplicateHeader("a".into())
    );
}

#[test]
fn empty_header_name_only_the_oracle_accepts() {
    let wire = oracle_wire(vec![aws::Header::new("", aws::HeaderValue::Bool(true))]);
    let (messages, end) = decode_oracle(&wire, &[]);
    assert_eq!((messages.len(), end), (1, OracleEnd::Clean));
    let (_, ours) = decode_ours(Decoder::new(), &wire, &[]);
    assert_eq!(
        ours.unwrap_err().kind(),
        &DecodeErrorKind::InvalidHeaderNameLength
    );
}

#[test]
fn limits_only_we_enforce() {
    // 1,025 headers, and a header block one byte over 128 KiB: the oracle has no bound.
    let many = oracle_wire(
        (0..1025)
            .map(|i| aws::Header::new(format!("h{i}"), aws::HeaderValue::Bool(true)))
            .collect(),
    );
    let long = oracle_wire(vec![
        aws::Header::new("a", aws::HeaderValue::String("x".repeat(65535).into())),
        aws::Header::new("b", aws::HeaderValue::String("x".repeat(65528).into())),
    ]);
    assert_eq!(u32::from_be_bytes(long[4..8].try_into().unwrap()), 131_073);
    for (wire, kind) in [
        (many, DecodeErrorKind::TooManyHeaders { max: 1024 }),
        (
            long,
            DecodeErrorKind::HeadersTooLong {
                headers_len: 131_073,
                max: 131_072,
            },
        ),
    ] {
        let (messages, end) = decode_oracle(&wire, &[]);
        assert_eq!((messages.len(), end), (1, OracleEnd::Clean));
        assert!(breaks_stricter_rule(&messages[0]));
        let (_, ours) = decode_ours(Decoder::new(), &wire, &[]);
        assert_eq!(ours.unwrap_err().kind(), &kind);
        let (ours, end) = decode_ours(Decoder::with_limits(Limits::UNLIMITED), &wire, &[]);
        assert_eq!(end, Ok(()));
        assert_eq!(to_oracle(&ours[0]), messages[0]);
    }
}
