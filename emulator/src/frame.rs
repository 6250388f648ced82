//! The emulator's own event-stream frame writer (`application/vnd.amazon.eventstream`).
//!
//! Written here rather than borrowed from the library so that the emulator stays an
//! independent oracle: a bug in the library's codec cannot hide by appearing on both sides
//! (README, "Independence"). Bedrock's frames carry string headers only, so that is the one
//! header type written (tag 7).
//!
//! Wire form: `total_len: u32 BE | headers_len: u32 BE | prelude CRC32 | headers | payload |
//! message CRC32`, each header `name_len: u8 | name | 7 | value_len: u16 BE | value`; both
//! CRCs are CRC-32 (IEEE) over everything before them.

use std::fmt;

/// Prelude (two lengths and their CRC) plus the trailing message CRC.
const OVERHEAD: usize = 12 + 4;
/// The type tag of a string header value.
const STRING_TAG: u8 = 7;

/// Why a frame cannot be represented on the wire (its length fields are 1, 2 and 4 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// Header names are 1 to 255 bytes.
    HeaderName { name_len: usize },
    /// String header values are at most 65,535 bytes.
    HeaderValue { name: String, value_len: usize },
    /// The whole frame must fit the 4-byte total length.
    TooLong { total_len: usize },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::HeaderName { name_len } => write!(
                f,
                "an event-stream header name must be 1 to 255 bytes; this one has {name_len}"
            ),
            FrameError::HeaderValue { name, value_len } => write!(
                f,
                "the event-stream header {name:?} holds {value_len} bytes; a string header \
                 value is at most 65535 bytes (shorten it)"
            ),
            FrameError::TooLong { total_len } => write!(
                f,
                "an event-stream frame is at most 4294967295 bytes; this one would be \
                 {total_len} (send a shorter payload)"
            ),
        }
    }
}

impl std::error::Error for FrameError {}

/// One frame with these string headers, in this order, and this payload.
pub(crate) fn encode(headers: &[(&str, &str)], payload: &[u8]) -> Result<Vec<u8>, FrameError> {
    let mut block = Vec::new();
    for (name, value) in headers {
        let name_len =
            u8::try_from(name.len())
                .ok()
                .filter(|n| *n > 0)
                .ok_or(FrameError::HeaderName {
                    name_len: name.len(),
                })?;
        let value_len = u16::try_from(value.len()).map_err(|_| FrameError::HeaderValue {
            name: (*name).to_owned(),
            value_len: value.len(),
        })?;
        block.push(name_len);
        block.extend_from_slice(name.as_bytes());
        block.push(STRING_TAG);
        block.extend_from_slice(&value_len.to_be_bytes());
        block.extend_from_slice(value.as_bytes());
    }
    let total = OVERHEAD
        .checked_add(block.len())
        .and_then(|n| n.checked_add(payload.len()))
        .ok_or(FrameError::TooLong {
            total_len: usize::MAX,
        })?;
    let total_u32 = u32::try_from(total).map_err(|_| FrameError::TooLong { total_len: total })?;
    // The header block is part of the total, so it fits whenever the total does.
    let block_u32 =
        u32::try_from(block.len()).map_err(|_| FrameError::TooLong { total_len: total })?;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&total_u32.to_be_bytes());
    out.extend_from_slice(&block_u32.to_be_bytes());
    let prelude_crc = crc32fast::hash(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(&block);
    out.extend_from_slice(payload);
    let message_crc = crc32fast::hash(&out);
    out.extend_from_slice(&message_crc.to_be_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use serde_json::Value;

    /// Rebuilds a public vector from its JSON description and compares it with the vector's
    /// bytes (the fixtures and their provenance: `tests/fixtures/SOURCE.md`).
    fn check_vector(decoded: &str, encoded: &[u8]) {
        let b64 = |v: &Value| {
            base64::engine::general_purpose::STANDARD
                .decode(v.as_str().unwrap())
                .unwrap()
        };
        let d: Value = serde_json::from_str(decoded).unwrap();
        let headers: Vec<(String, String)> = d["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                assert_eq!(h["type"], STRING_TAG, "only string headers are written");
                let name = h["name"].as_str().unwrap().to_owned();
                (name, String::from_utf8(b64(&h["value"])).unwrap())
            })
            .collect();
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let frame = encode(&headers, &b64(&d["payload"])).unwrap();
        assert_eq!(frame, encoded);
        // The description's own numbers, so a wrong fixture cannot pass by accident.
        let be = |at: usize| u32::from_be_bytes(frame[at..at + 4].try_into().unwrap());
        assert_eq!(u64::from(be(0)), d["total_length"].as_u64().unwrap());
        assert_eq!(u64::from(be(4)), d["headers_length"].as_u64().unwrap());
        assert_eq!(i64::from(be(8) as i32), d["prelude_crc"].as_i64().unwrap());
        let end = frame.len() - 4;
        assert_eq!(
            i64::from(be(end) as i32),
            d["message_crc"].as_i64().unwrap()
        );
    }

    #[test]
    fn writes_the_public_vectors_exactly() {
        macro_rules! vector {
            ($name:literal) => {
                check_vector(
                    include_str!(concat!(
                        "../tests/fixtures/eventstream/decoded/positive/",
                        $name
                    )),
                    include_bytes!(concat!(
                        "../tests/fixtures/eventstream/encoded/positive/",
                        $name
                    )),
                )
            };
        }
        vector!("empty_message");
        vector!("payload_no_headers");
        vector!("payload_one_str_header");
    }

    #[test]
    fn refuses_what_the_wire_cannot_carry() {
        let long_name = "n".repeat(256);
        assert_eq!(
            encode(&[(&long_name, "v")], b""),
            Err(FrameError::HeaderName { name_len: 256 })
        );
        assert_eq!(
            encode(&[("", "v")], b""),
            Err(FrameError::HeaderName { name_len: 0 })
        );
        let long_value = "v".repeat(65_536);
        let e = encode(&[(":x", &long_value)], b"").unwrap_err();
        assert_eq!(
            e,
            FrameError::HeaderValue {
                name: ":x".into(),
                value_len: 65_536
            }
        );
        assert!(e.to_string().contains("at most 65535 bytes"), "{e}");
        // The largest name and value that fit are written.
        let frame = encode(&[(&"n".repeat(255), &"v".repeat(65_535))], b"p").unwrap();
        assert_eq!(frame.len(), 16 + 1 + 255 + 1 + 2 + 65_535 + 1);
    }
}
