//! The event-stream decoder on arbitrary bytes. The input is the stream itself, so the seed
//! frames are valid as they are; the piece sizes are read from the input too. A copy of the
//! input with its CRCs recomputed is checked as well: otherwise almost every mutation stops at
//! a checksum and the header parser behind it is rarely reached.
//!
//! Beyond "no panic, no hang" it checks what must hold for any input:
//! - splitting does not matter: whole input in one push and in pieces decode alike;
//! - an accepted frame re-encodes to exactly its input bytes, and decodes back to itself;
//! - a small cap only cuts the stream short, with `MessageTooLong` for the frame it refuses.

#![no_main]

use bedrock_wasm::eventstream::{DecodeError, DecodeErrorKind, Decoder, Message};
use libfuzzer_sys::fuzz_target;

/// Messages decoded before the end or the first error, and how the stream ended.
type Outcome = (Vec<Message>, Result<(), DecodeError>);

fn decode<'a>(mut decoder: Decoder, pieces: impl Iterator<Item = &'a [u8]>, len: usize) -> Outcome {
    let mut messages = Vec::new();
    let mut calls = 0;
    let mut pushes = 0;
    for piece in pieces {
        decoder.push(piece);
        pushes += 1;
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

fn check(data: &[u8]) {
    let whole = decode(Decoder::new(), std::iter::once(data), data.len());
    let split = decode(Decoder::new(), pieces(data), data.len());
    assert_eq!(whole, split, "the split points changed the result");

    // Accepted frames are contiguous from the start and encode canonically.
    let mut at = 0;
    for m in &whole.0 {
        let wire = m.encode();
        assert_eq!(&data[at..at + wire.len()], &wire[..], "re-encoding differs");
        at += wire.len();
        let mut d = Decoder::new();
        d.push(&wire);
        assert_eq!(d.next_message(), Ok(Some(m.clone())));
        assert_eq!(d.next_message(), Ok(None));
        assert_eq!(d.finish(), Ok(()));
    }

    // A cap that moves with the input length, so its boundary meets frames of every size.
    let cap = 16 + (data.len() % 128) as u32;
    let (capped, end) = decode(Decoder::with_max_message_len(cap), pieces(data), data.len());
    assert!(capped.len() <= whole.0.len(), "the cap let more through");
    assert_eq!(capped[..], whole.0[..capped.len()]);
    match end.as_ref().map_err(DecodeError::kind) {
        Err(&DecodeErrorKind::MessageTooLong { total_len, max }) => {
            assert_eq!(max, cap);
            assert!(total_len > cap);
            // Uncapped, that frame is either decoded with that length or refused for another reason.
            if let Some(m) = whole.0.get(capped.len()) {
                assert_eq!(m.encode().len(), total_len as usize);
            } else {
                assert!(whole.1.is_err());
            }
        }
        _ => assert_eq!(
            (capped, end),
            whole,
            "a cap that was not hit changed the result"
        ),
    }
}
