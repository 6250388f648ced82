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
    /// The declared total length exceeds the configured maximum.
    MessageTooLong { total_len: u32, max: u32 },
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
                "event stream: message declares {total_len} bytes, above the {max}-byte limit"
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
