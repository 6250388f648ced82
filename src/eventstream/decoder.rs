use super::error::{DecodeError, DecodeErrorKind};
use super::message::{parse_headers, Message};
use super::{MIN_MESSAGE_LEN, PRELUDE_LEN};

/// The service's own maximum message size (aws-c-event-stream: "current service-side max is
/// 24 MB"). A larger declared length is rejected before anything is buffered for it.
pub const DEFAULT_MAX_MESSAGE_LEN: u32 = 24 * 1024 * 1024;

/// Incremental event-stream decoder.
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
    buf: Vec<u8>,
    /// Start of the unconsumed bytes in `buf`; compacted lazily so a read that holds many
    /// messages is not shifted once per message.
    start: usize,
    max_message_len: u32,
    /// Set once an error has been returned: a corrupt stream cannot be resynchronised.
    failed: Option<DecodeError>,
    /// Total length of the message being assembled, once its prelude is verified.
    pending_len: Option<usize>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    pub fn new() -> Self {
        Self::with_max_message_len(DEFAULT_MAX_MESSAGE_LEN)
    }

    pub fn with_max_message_len(max_message_len: u32) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            max_message_len,
            failed: None,
            pending_len: None,
        }
    }

    /// Appends bytes as they arrive.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > 4096 && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet returned as messages.
    pub fn buffered_len(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next complete message, `Ok(None)` if more bytes are needed.
    ///
    /// After an error every further call returns the same error.
    pub fn next_message(&mut self) -> Result<Option<Message>, DecodeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.decode_one() {
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
            ok => ok,
        }
    }

    /// Call when the byte stream has ended: an incomplete message left over is an error, never
    /// silent success.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.buffered_len() {
            0 => Ok(()),
            buffered => Err(DecodeError::new(DecodeErrorKind::TruncatedStream {
                buffered,
            })),
        }
    }

    fn decode_one(&mut self) -> Result<Option<Message>, DecodeError> {
        let avail = &self.buf[self.start..];
        let total = match self.pending_len {
            Some(t) => t,
            None => {
                if avail.len() < PRELUDE_LEN {
                    return Ok(None);
                }
                let total_len = be_u32(&avail[0..4]);
                let headers_len = be_u32(&avail[4..8]);
                let stored = be_u32(&avail[8..12]);
                let computed = crc32fast::hash(&avail[0..8]);
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
                if headers_len == 1
                    || headers_len as u64 > total_len as u64 - MIN_MESSAGE_LEN as u64
                {
                    return Err(DecodeError::new(DecodeErrorKind::InvalidHeadersLength {
                        headers_len,
                        total_len,
                    }));
                }
                // No reserve for the declared length: 12 bytes from a peer must not buy a
                // 24 MiB allocation; the buffer grows only with bytes that really arrive.
                self.pending_len = Some(total_len as usize);
                total_len as usize
            }
        };
        let avail = &self.buf[self.start..];
        if avail.len() < total {
            return Ok(None);
        }
        let frame = &avail[..total];
        let stored = be_u32(&frame[total - 4..]);
        let computed = crc32fast::hash(&frame[..total - 4]);
        if computed != stored {
            return Err(DecodeError::new(DecodeErrorKind::MessageChecksumMismatch {
                expected: computed,
                found: stored,
            }));
        }
        let headers_len = be_u32(&frame[4..8]) as usize;
        let headers = parse_headers(&frame[PRELUDE_LEN..PRELUDE_LEN + headers_len])?;
        let payload = frame[PRELUDE_LEN + headers_len..total - 4].to_vec();
        self.start += total;
        self.pending_len = None;
        Ok(Some(Message { headers, payload }))
    }
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}
