use std::collections::VecDeque;

use super::error::{DecodeError, DecodeErrorKind};
use super::limits::Limits;
use super::message::{parse_headers, Message};
use super::{MIN_MESSAGE_LEN, PRELUDE_LEN};

/// Incremental event-stream decoder.
///
/// Whole frames are decoded straight from the bytes given to [`push`](Self::push); only a
/// frame cut by the end of a read is copied, so the buffer never holds more than one
/// (partial) frame.
///
/// ```
/// # use bedrock_eventstream::{Decoder, Message};
/// let wire = Message::new(b"hi".to_vec()).with_str_header(":message-type", "event").encode();
/// let mut d = Decoder::new();
/// d.push(&wire[..5]);
/// assert!(d.next_message().unwrap().is_none());
/// d.push(&wire[5..]);
/// assert_eq!(d.next_message().unwrap().unwrap().payload, b"hi");
/// d.finish().unwrap();
/// ```
#[derive(Debug)]
pub struct Decoder {
    /// The start of a frame that a read cut short (at most one frame).
    partial: Vec<u8>,
    /// How many bytes the partial frame is known to need in all: its prelude, then its
    /// declared length. Always more than `partial.len()` while `partial` is not empty.
    need: usize,
    /// Decoded messages not yet taken, in order.
    ready: VecDeque<Message>,
    limits: Limits,
    /// Set at the first error: a corrupt stream cannot be resynchronised. Reported after
    /// the messages that preceded it.
    failed: Option<DecodeError>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

/// What one attempt to decode a frame from the front of some bytes gave.
enum Step {
    /// A message and how many bytes it took (never more than were given).
    Message(Message, usize),
    /// Not enough bytes yet; `need` is the total known so far to be required, always more
    /// than were given.
    Incomplete { need: usize },
}

impl Decoder {
    /// A decoder with the default [`Limits`] (the Smithy spec's sizes).
    pub fn new() -> Self {
        Self::with_limits(Limits::DEFAULT)
    }

    /// A decoder with the default [`Limits`] except the whole-message bound. Lowering it is
    /// the usual use; raising it above [`DEFAULT_MAX_MESSAGE_LEN`](super::DEFAULT_MAX_MESSAGE_LEN)
    /// alone changes nothing, as the headers and payload bounds still apply: raise those with
    /// [`with_limits`](Self::with_limits).
    pub fn with_max_message_len(max_message_len: u32) -> Self {
        Self::with_limits(Limits::DEFAULT.with_max_message_len(max_message_len))
    }

    /// A decoder with the given bounds on each message.
    pub fn with_limits(limits: Limits) -> Self {
        Self {
            partial: Vec::new(),
            need: 0,
            ready: VecDeque::new(),
            limits,
            failed: None,
        }
    }

    /// The bounds this decoder enforces.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Takes bytes as they arrive and decodes every frame they complete.
    pub fn push(&mut self, mut bytes: &[u8]) {
        while self.failed.is_none() && !bytes.is_empty() {
            if self.partial.is_empty() {
                match step(&self.limits, bytes) {
                    Ok(Step::Message(m, used)) => {
                        self.ready.push_back(m);
                        // In range: `step` only returns a frame it found whole in `bytes`.
                        bytes = &bytes[used..];
                    }
                    Ok(Step::Incomplete { need }) => {
                        // Fewer than `need` bytes, and `need` is at most the message limit.
                        self.partial.extend_from_slice(bytes);
                        self.need = need;
                        return;
                    }
                    Err(e) => self.failed = Some(e),
                }
            } else {
                // Top the partial frame up to what it is known to need (its prelude, then its
                // declared length), never beyond, so the rest decodes in place. `need` is
                // more than the bytes held, so this takes at least one byte: no spinning, and
                // the subtraction cannot wrap.
                let missing = self.need - self.partial.len();
                let (top_up, rest) = bytes.split_at(missing.min(bytes.len()));
                self.partial.extend_from_slice(top_up);
                bytes = rest;
                if self.partial.len() < self.need {
                    // `bytes` is used up.
                    continue;
                }
                match step(&self.limits, &self.partial) {
                    Ok(Step::Message(m, _)) => {
                        self.ready.push_back(m);
                        self.partial = Vec::new();
                        self.need = 0;
                    }
                    Ok(Step::Incomplete { need }) => self.need = need,
                    Err(e) => self.failed = Some(e),
                }
            }
        }
    }

    /// Bytes of a frame received but not yet complete.
    pub fn buffered_len(&self) -> usize {
        self.partial.len()
    }

    /// The next complete message, `Ok(None)` if more bytes are needed.
    ///
    /// After an error every further call returns the same error.
    pub fn next_message(&mut self) -> Result<Option<Message>, DecodeError> {
        if let Some(m) = self.ready.pop_front() {
            return Ok(Some(m));
        }
        match &self.failed {
            Some(e) => Err(e.clone()),
            None => Ok(None),
        }
    }

    /// Call when the byte stream has ended: an incomplete message left over is an error, never
    /// silent success.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.partial.len() {
            0 => Ok(()),
            buffered => Err(DecodeError::new(DecodeErrorKind::TruncatedStream {
                buffered,
            })),
        }
    }
}

/// Decodes one frame from the front of `avail`: the prelude CRC is checked as soon as 12
/// bytes are in, before its lengths are trusted, then the lengths against the limits; the
/// message CRC before any header is parsed.
fn step(limits: &Limits, avail: &[u8]) -> Result<Step, DecodeError> {
    let err = |kind| Err(DecodeError::new(kind));
    let Some((prelude, _)) = avail.split_first_chunk::<PRELUDE_LEN>() else {
        return Ok(Step::Incomplete { need: PRELUDE_LEN });
    };
    let [t0, t1, t2, t3, h0, h1, h2, h3, c0, c1, c2, c3] = *prelude;
    let total_len = u32::from_be_bytes([t0, t1, t2, t3]);
    let headers_len = u32::from_be_bytes([h0, h1, h2, h3]);
    let stored = u32::from_be_bytes([c0, c1, c2, c3]);
    let computed = super::crc32::hash(&[t0, t1, t2, t3, h0, h1, h2, h3]);
    if computed != stored {
        return err(DecodeErrorKind::PreludeChecksumMismatch {
            expected: computed,
            found: stored,
        });
    }
    // Length arithmetic stays in u32, the width of the fields, so it means the same on
    // wasm32 (32-bit usize) as natively.
    let Some(room) = total_len.checked_sub(MIN_MESSAGE_LEN as u32) else {
        return err(DecodeErrorKind::MessageTooShort { total_len });
    };
    if total_len > limits.max_message_len {
        return err(DecodeErrorKind::MessageTooLong {
            total_len,
            max: limits.max_message_len,
        });
    }
    // headers_len == 1 cannot hold a header (name length + name + type ≥ 3).
    if headers_len == 1 || headers_len > room {
        return err(DecodeErrorKind::InvalidHeadersLength {
            headers_len,
            total_len,
        });
    }
    if headers_len > limits.max_headers_len {
        return err(DecodeErrorKind::HeadersTooLong {
            headers_len,
            max: limits.max_headers_len,
        });
    }
    let payload_len = room - headers_len; // headers_len ≤ room, checked above
    if payload_len > limits.max_payload_len {
        return err(DecodeErrorKind::PayloadTooLong {
            payload_len,
            max: limits.max_payload_len,
        });
    }
    // `u32` → `usize` is lossless on the 32- and 64-bit targets this builds for.
    let total = total_len as usize;
    let Some(frame) = avail.get(..total) else {
        // More than avail.len() ≥ 12 bytes, so more than were given.
        return Ok(Step::Incomplete { need: total });
    };
    // total ≥ 16: the CRC and the prelude are there.
    let Some((covered, crc)) = frame.split_last_chunk::<4>() else {
        return err(DecodeErrorKind::MessageTooShort { total_len });
    };
    let stored = u32::from_be_bytes(*crc);
    let computed = super::crc32::hash(covered);
    if computed != stored {
        return err(DecodeErrorKind::MessageChecksumMismatch {
            expected: computed,
            found: stored,
        });
    }
    // covered = prelude + headers_len + payload_len bytes, as checked above.
    let Some((header_block, payload)) = covered
        .get(PRELUDE_LEN..)
        .and_then(|body| body.split_at_checked(headers_len as usize))
    else {
        return err(DecodeErrorKind::InvalidHeadersLength {
            headers_len,
            total_len,
        });
    };
    let headers = parse_headers(header_block, limits.max_header_count)?;
    Ok(Step::Message(
        Message {
            headers,
            payload: payload.to_vec(),
        },
        total,
    ))
}
