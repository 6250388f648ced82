use std::fmt;

/// Why a byte stream is not a valid event stream.
///
/// The kind is exposed as a non-exhaustive enum so new checks can be added without breaking
/// callers; `Display` says what was wrong in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    kind: DecodeErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The CRC32 stored in bytes 8..12 does not match bytes 0..8.
    PreludeChecksumMismatch { expected: u32, found: u32 },
    /// The CRC32 stored in the last 4 bytes does not match the rest of the message.
    MessageChecksumMismatch { expected: u32, found: u32 },
    /// The declared total length is below the 16-byte minimum.
    MessageTooShort { total_len: u32 },
    /// The declared total length exceeds [`Limits::max_message_len`](super::Limits).
    MessageTooLong { total_len: u32, max: u32 },
    /// The declared headers length exceeds [`Limits::max_headers_len`](super::Limits).
    HeadersTooLong { headers_len: u32, max: u32 },
    /// The payload the prelude implies exceeds [`Limits::max_payload_len`](super::Limits).
    PayloadTooLong { payload_len: u32, max: u32 },
    /// The header block holds more than [`Limits::max_header_count`](super::Limits) headers
    /// (found while parsing, before the rest of the block is read).
    TooManyHeaders { max: u32 },
    /// The declared headers length does not fit inside the message (or is 1).
    InvalidHeadersLength { headers_len: u32, total_len: u32 },
    /// A header name is empty or runs past the header block.
    InvalidHeaderNameLength,
    /// A header name is not UTF-8.
    InvalidUtf8String,
    /// A header value type tag outside 0..=9.
    InvalidHeaderValueType(u8),
    /// A header value runs past the header block, or a string value is not UTF-8.
    InvalidHeaderValue,
    /// The same header name appears twice in one message.
    DuplicateHeader(String),
    /// The stream ended in the middle of a message.
    TruncatedStream { buffered: usize },
}

impl DecodeError {
    pub(crate) fn new(kind: DecodeErrorKind) -> Self {
        Self { kind }
    }

    pub fn kind(&self) -> &DecodeErrorKind {
        &self.kind
    }

    pub fn is_checksum_mismatch(&self) -> bool {
        matches!(
            self.kind,
            DecodeErrorKind::PreludeChecksumMismatch { .. }
                | DecodeErrorKind::MessageChecksumMismatch { .. }
        )
    }

    pub fn is_truncated(&self) -> bool {
        matches!(self.kind, DecodeErrorKind::TruncatedStream { .. })
    }

    /// A well-formed frame refused because it exceeds one of the decoder's [`Limits`]
    /// (length of the message, its headers or its payload, or the number of headers).
    ///
    /// [`Limits`]: super::Limits
    pub fn is_limit_exceeded(&self) -> bool {
        matches!(
            self.kind,
            DecodeErrorKind::MessageTooLong { .. }
                | DecodeErrorKind::HeadersTooLong { .. }
                | DecodeErrorKind::PayloadTooLong { .. }
                | DecodeErrorKind::TooManyHeaders { .. }
        )
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DecodeErrorKind::*;
        match &self.kind {
            PreludeChecksumMismatch { expected, found } => write!(
                f,
                "event stream: prelude checksum mismatch (computed {expected:#010x}, frame says {found:#010x}); the response is corrupt or not an event stream"
            ),
            MessageChecksumMismatch { expected, found } => write!(
                f,
                "event stream: message checksum mismatch (computed {expected:#010x}, frame says {found:#010x}); the response was corrupted in transit"
            ),
            MessageTooShort { total_len } => write!(
                f,
                "event stream: message declares {total_len} bytes, below the 16-byte minimum"
            ),
            MessageTooLong { total_len, max } => write!(
                f,
                "event stream: message declares {total_len} bytes, above the {max}-byte limit; if the service really sends messages this large, raise `max_message_len` (Decoder::with_limits)"
            ),
            HeadersTooLong { headers_len, max } => write!(
                f,
                "event stream: message declares {headers_len} bytes of headers, above the {max}-byte limit; if the service really sends headers this large, raise `max_headers_len` (Decoder::with_limits)"
            ),
            PayloadTooLong { payload_len, max } => write!(
                f,
                "event stream: message declares a {payload_len}-byte payload, above the {max}-byte limit; if the service really sends payloads this large, raise `max_payload_len` (Decoder::with_limits)"
            ),
            TooManyHeaders { max } => write!(
                f,
                "event stream: message has more than {max} headers; if the service really sends that many, raise `max_header_count` (Decoder::with_limits)"
            ),
            InvalidHeadersLength { headers_len, total_len } => write!(
                f,
                "event stream: headers length {headers_len} does not fit a {total_len}-byte message"
            ),
            InvalidHeaderNameLength => f.write_str("event stream: invalid header name length"),
            InvalidUtf8String => f.write_str("event stream: header name is not valid UTF-8"),
            InvalidHeaderValueType(t) => {
                write!(f, "event stream: unknown header value type {t}")
            }
            InvalidHeaderValue => f.write_str("event stream: header value is cut off or invalid"),
            DuplicateHeader(name) => write!(f, "event stream: header {name:?} appears twice"),
            TruncatedStream { buffered } => write!(
                f,
                "event stream: the response ended in the middle of a message ({buffered} bytes left over); the connection was cut"
            ),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Why a [`Message`](super::Message) cannot be written in the event-stream format.
///
/// Returned by [`Message::try_encode`](super::Message::try_encode); like [`DecodeError`] its
/// kind is a non-exhaustive enum and `Display` says what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError {
    kind: EncodeErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeErrorKind {
    /// A header name longer than 255 bytes: its length is written in one byte.
    HeaderNameTooLong { name_len: usize },
    /// A byte-array or string header value longer than 65535 bytes: its length is written in
    /// two bytes.
    HeaderValueTooLong { name: String, value_len: usize },
    /// The whole message would be longer than the 4-byte total length can say.
    MessageTooLong { total_len: usize },
}

impl EncodeError {
    pub(crate) fn new(kind: EncodeErrorKind) -> Self {
        Self { kind }
    }

    pub fn kind(&self) -> &EncodeErrorKind {
        &self.kind
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use EncodeErrorKind::*;
        match &self.kind {
            HeaderNameTooLong { name_len } => write!(
                f,
                "event stream: a header name of {name_len} bytes cannot be encoded (255 at most); shorten it"
            ),
            HeaderValueTooLong { name, value_len } => write!(
                f,
                "event stream: header {name:?} has a {value_len}-byte value, which cannot be encoded (65535 at most); send it in the payload instead"
            ),
            MessageTooLong { total_len } => write!(
                f,
                "event stream: a {total_len}-byte message cannot be encoded (4294967295 bytes at most); split the payload"
            ),
        }
    }
}

impl std::error::Error for EncodeError {}
