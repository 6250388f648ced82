//! AWS event-stream framing (`application/vnd.amazon.eventstream`).
//!
//! [`Decoder`] is a small pure object: feed it bytes in whatever pieces `fetch` delivers and
//! take complete [`Message`]s out. It checks the prelude CRC as soon as 12 bytes are in, before
//! trusting the declared lengths, refuses a message beyond its [`Limits`] (sizes of the
//! message, its headers and its payload) from the prelude alone, before buffering it,
//! verifies the message CRC before parsing headers, stops parsing headers at the header-count
//! limit, and reports bytes left over at the end of a stream as a truncated stream.

mod crc32;
mod decoder;
mod error;
mod limits;
mod message;

pub use decoder::Decoder;
pub use error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind};
pub use limits::{
    Limits, DEFAULT_MAX_HEADERS_LEN, DEFAULT_MAX_HEADER_COUNT, DEFAULT_MAX_MESSAGE_LEN,
    DEFAULT_MAX_PAYLOAD_LEN,
};
pub use message::frame;
pub use message::{Header, HeaderValue, Message};

/// Prelude: total length (4), headers length (4), prelude CRC (4).
pub(crate) const PRELUDE_LEN: usize = 12;
/// The smallest message: a prelude and the trailing message CRC.
pub(crate) const MIN_MESSAGE_LEN: usize = PRELUDE_LEN + 4;
