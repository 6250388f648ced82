//! AWS event-stream framing (`application/vnd.amazon.eventstream`).
//!
//! [`Decoder`] is a small pure object: feed it bytes in whatever pieces `fetch` delivers and
//! take complete [`Message`]s out. It checks the prelude CRC as soon as 12 bytes are in, before
//! trusting the declared length, caps a message at [`DEFAULT_MAX_MESSAGE_LEN`] before
//! buffering it, verifies the message CRC before parsing headers, and reports bytes left over
//! at the end of a stream as a truncated stream.

mod crc32;
mod decoder;
mod error;
mod message;

pub use decoder::{Decoder, DEFAULT_MAX_MESSAGE_LEN};
pub use error::{DecodeError, DecodeErrorKind};
pub use message::{Header, HeaderValue, Message};

/// Prelude: total length (4), headers length (4), prelude CRC (4).
pub(crate) const PRELUDE_LEN: usize = 12;
/// The smallest message: a prelude and the trailing message CRC.
pub(crate) const MIN_MESSAGE_LEN: usize = PRELUDE_LEN + 4;
