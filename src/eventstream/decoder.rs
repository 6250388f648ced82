use std::collections::VecDeque;

use super::error::{DecodeError, DecodeErrorKind};
use super::message::{parse_headers, Message};
use super::{MIN_MESSAGE_LEN, PRELUDE_LEN};

/// The service's own maximum message size (aws-c-event-stream: "current service-side max is
/// 24 MB"). A larger declared length is rejected before anything is buffered for it.
pub const DEFAULT_MAX_MESSAGE_LEN: u32 = 24 * 1024 * 1024;

/// Incremental event-stream decoder.
///
/// Whole frames are decoded straight from the bytes given to [`push`](Self::push); only a
/// frame cut by the end of a read is copied, so the buffer never holds more than one
/// (partial) frame.
///
/// ```
/// # use bedrock_wasm::eventstream::{Decoder, Message};
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
    /// Decoded messages not yet taken, in order.
    ready: VecDeque<Message>,
    max_message_len: u32,
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
    /// A message and how many bytes it took.
    Message(Message, usize),
    /// Not enough bytes yet; `need` is the total known so far to be required.
    Incomplete { need: usize },
}

impl Decoder {
    pub fn new() -> Self {
        Self::with_max_message_len(DEFAULT_MAX_MESSAGE_LEN)
    }

    pub fn with_max_message_len(max_message_len: u32) -> Self {
        Self {
            partial: Vec::new(),
            ready: VecDeque::new(),
            max_message_len,
            failed: None,
        }
    }

    /// Takes bytes as they arrive and decodes every frame they complete.
    pub fn push(&mut self, mut bytes: &[u8]) {
        while self.failed.is_none() && !bytes.is_empty() {
            if self.partial.is_empty() {
                match self.step(bytes) {
                    Ok(Step::Message(m, used)) => {
                        self.ready.push_back(m);
                        bytes = &bytes[used..];
                    }
                    Ok(Step::Incomplete { .. }) => {
                        self.partial.extend_from_slice(bytes);
                        return;
                    }
                    Err(e) => self.failed = Some(e),
                }
            } else {
                // Top the partial frame up to what it is known to need (its prelude, then
                // its declared length), never beyond, so the rest decodes in place.
                let need = match self.step(&self.partial) {
                    Ok(Step::Incomplete { need }) => need,
                    Ok(Step::Message(..)) => unreachable!("a complete frame is never kept"),
                    Err(e) => {
                        self.failed = Some(e);
                        return;
                    }
                };
                let take = (need - self.partial.len()).min(bytes.len());
                self.partial.extend_from_slice(&bytes[..take]);
                bytes = &bytes[take..];
                match self.step(&self.partial) {
                    Ok(Step::Message(m, _)) => {
                        self.ready.push_back(m);
                        self.partial = Vec::new();
                    }
                    Ok(Step::Incomplete { .. }) => {}
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

    /// Decodes one frame from the front of `avail`: the prelude CRC is checked as soon as 12
    /// bytes are in, before its lengths are trusted; the message CRC before any header is
    /// parsed.
    fn step(&self, avail: &[u8]) -> Result<Step, DecodeError> {
        if avail.len() < PRELUDE_LEN {
            return Ok(Step::Incomplete { need: PRELUDE_LEN });
        }
        let total_len = be_u32(&avail[0..4]);
        let headers_len = be_u32(&avail[4..8]);
        let stored = be_u32(&avail[8..12]);
        let computed = super::crc32::hash(&avail[0..8]);
        if computed != stored {
            return Err(DecodeError::new(DecodeErrorKind::PreludeChecksumMismatch {
                expected: computed,
                found: stored,
            }));
        }
        if (total_len as usize) < MIN_MESSAGE_LEN {
            return Err(DecodeError::new(DecodeErrorKind::MessageTooShort {
                total_len,
            }));
        }
        if total_len > self.max_message_len {
            return Err(DecodeError::new(DecodeErrorKind::MessageTooLong {
                total_len,
                max: self.max_message_len,
            }));
        }
        // headers_len == 1 cannot hold a header (name length + name + type ≥ 3).
        if headers_len == 1 || headers_len as u64 > total_len as u64 - MIN_MESSAGE_LEN as u64 {
            return Err(DecodeError::new(DecodeErrorKind::InvalidHeadersLength {
                headers_len,
                total_len,
            }));
        }
        let total = total_len as usize;
        if avail.len() < total {
            return Ok(Step::Incomplete { need: total });
        }
        let frame = &avail[..total];
        let stored = be_u32(&frame[total - 4..]);
        let computed = super::crc32::hash(&frame[..total - 4]);
        if computed != stored {
            return Err(DecodeError::new(DecodeErrorKind::MessageChecksumMismatch {
                expected: computed,
                found: stored,
            }));
        }
        let headers_len = headers_len as usize;
        let headers = parse_headers(&frame[PRELUDE_LEN..PRELUDE_LEN + headers_len])?;
        let payload = frame[PRELUDE_LEN + headers_len..total - 4].to_vec();
        Ok(Step::Message(Message { headers, payload }, total))
    }
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}
