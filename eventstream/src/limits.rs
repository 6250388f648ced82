//! How much one message may hold: the bounds a [`Decoder`](super::Decoder) enforces before it
//! buffers or parses anything a hostile or broken peer declares.
//!
//! Provenance of the defaults:
//! - Payload 25,165,824 bytes (24 MiB) and encoded headers 131,072 bytes (128 KiB): the Smithy
//!   "Amazon Event Stream Specification" (smithy-lang/smithy
//!   `docs/source-2.0/aws/amazon-eventstream.rst`, "size restrictions"), the numbers issue #11
//!   asks for. aws-c-event-stream @ d47b14c6 (`event_stream.h`) caps the *whole* message at
//!   24 MiB ("current service-side max is 24 MB") and headers at the same 24 MiB; it and
//!   smithy-kotlin used 16 MiB messages with 128 KiB headers before. We take the spec's
//!   per-part numbers, so the total below is a little above 24 MiB.
//! - Total: prelude (12) + headers (128 KiB) + payload (24 MiB) + message CRC (4) =
//!   25,296,912 bytes, the largest message those two bounds allow.
//! - 1,024 headers: aws-c-event-stream `AWS_EVENT_STREAM_MESSAGE_MAX_HEADERS` (commit
//!   51bef3c, "Limit the number of headers allowed in a message"). Bedrock sends 3 to 5; the
//!   spec sets no number, but 128 KiB of 3-byte headers would be 43,690 of them, each an
//!   allocation.
//!
//! The spec says services MUST enforce the size restrictions and clients MUST NOT, so that a
//! service may raise them without breaking clients. We bound anyway because this decoder runs
//! in a browser tab on bytes from the network: the defaults are exactly the spec's service
//! maxima, so nothing a conforming service sends today is refused, and every bound can be
//! raised with [`Decoder::with_limits`](super::Decoder::with_limits).

/// The largest payload by default: 24 MiB (Smithy event-stream spec).
pub const DEFAULT_MAX_PAYLOAD_LEN: u32 = 24 * 1024 * 1024;

/// The largest encoded header block by default: 128 KiB (Smithy event-stream spec).
pub const DEFAULT_MAX_HEADERS_LEN: u32 = 128 * 1024;

/// The largest whole message by default: the 12-byte prelude, [`DEFAULT_MAX_HEADERS_LEN`],
/// [`DEFAULT_MAX_PAYLOAD_LEN`] and the 4-byte message CRC (25,296,912 bytes).
///
/// Before issue #11 this was a flat 24 MiB for the whole message; it is now the largest
/// message the spec's separate headers and payload bounds allow.
pub const DEFAULT_MAX_MESSAGE_LEN: u32 =
    super::PRELUDE_LEN as u32 + DEFAULT_MAX_HEADERS_LEN + DEFAULT_MAX_PAYLOAD_LEN + 4;

/// The most headers one message may carry by default (aws-c-event-stream's bound).
pub const DEFAULT_MAX_HEADER_COUNT: u32 = 1024;

/// Bounds on one message. Every length bound is checked from the 12-byte prelude, before any
/// of the message is buffered; the header count while the header block is parsed, before the
/// rest of it is read.
///
/// ```
/// # use bedrock_eventstream::{Decoder, Limits};
/// // Refuse anything beyond 1 MiB of payload and 16 headers.
/// let limits = Limits::default()
///     .with_max_payload_len(1 << 20)
///     .with_max_header_count(16);
/// let decoder = Decoder::with_limits(limits);
/// # let _ = decoder;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The whole message: prelude, headers, payload and message CRC.
    pub max_message_len: u32,
    /// The encoded header block.
    pub max_headers_len: u32,
    /// The payload.
    pub max_payload_len: u32,
    /// The number of headers.
    pub max_header_count: u32,
}

impl Limits {
    /// The defaults: the Smithy spec's sizes and aws-c-event-stream's header count.
    pub const DEFAULT: Limits = Limits {
        max_message_len: DEFAULT_MAX_MESSAGE_LEN,
        max_headers_len: DEFAULT_MAX_HEADERS_LEN,
        max_payload_len: DEFAULT_MAX_PAYLOAD_LEN,
        max_header_count: DEFAULT_MAX_HEADER_COUNT,
    };

    /// No bound at all (as the AWS SDK's own decoder): for tests and oracles, never for a
    /// stream from the network.
    pub const UNLIMITED: Limits = Limits {
        max_message_len: u32::MAX,
        max_headers_len: u32::MAX,
        max_payload_len: u32::MAX,
        max_header_count: u32::MAX,
    };

    pub const fn with_max_message_len(mut self, max: u32) -> Self {
        self.max_message_len = max;
        self
    }

    pub const fn with_max_headers_len(mut self, max: u32) -> Self {
        self.max_headers_len = max;
        self
    }

    pub const fn with_max_payload_len(mut self, max: u32) -> Self {
        self.max_payload_len = max;
        self
    }

    pub const fn with_max_header_count(mut self, max: u32) -> Self {
        self.max_header_count = max;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
