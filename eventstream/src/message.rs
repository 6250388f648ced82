use std::collections::BTreeSet;

use super::error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind};
use super::PRELUDE_LEN;

/// A header value, one variant per wire type tag (0..=9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    Bool(bool),
    Byte(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    ByteArray(Vec<u8>),
    String(String),
    /// Milliseconds since the Unix epoch.
    Timestamp(i64),
    Uuid([u8; 16]),
}

impl HeaderValue {
    /// The wire type tag.
    pub fn type_tag(&self) -> u8 {
        match self {
            HeaderValue::Bool(true) => 0,
            HeaderValue::Bool(false) => 1,
            HeaderValue::Byte(_) => 2,
            HeaderValue::Int16(_) => 3,
            HeaderValue::Int32(_) => 4,
            HeaderValue::Int64(_) => 5,
            HeaderValue::ByteArray(_) => 6,
            HeaderValue::String(_) => 7,
            HeaderValue::Timestamp(_) => 8,
            HeaderValue::Uuid(_) => 9,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            HeaderValue::String(s) => Some(s),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: HeaderValue,
}

/// One event-stream message: headers in wire order and the payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    pub headers: Vec<Header>,
    pub payload: Vec<u8>,
}

impl Message {
    pub fn new(payload: impl Into<Vec<u8>>) -> Self {
        Self {
            headers: Vec::new(),
            payload: payload.into(),
        }
    }

    /// Builder-style: append a header.
    pub fn with_header(mut self, name: impl Into<String>, value: HeaderValue) -> Self {
        self.headers.push(Header {
            name: name.into(),
            value,
        });
        self
    }

    /// Builder-style: append a string header (the only type Bedrock sends).
    pub fn with_str_header(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.with_header(name, HeaderValue::String(value.into()))
    }

    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|h| h.name == name)
            .map(|h| &h.value)
    }

    /// A string header's value, or `None` when absent or not a string.
    pub fn str_header(&self, name: &str) -> Option<&str> {
        self.header(name).and_then(HeaderValue::as_str)
    }

    /// Encodes the message to its wire form with both CRCs.
    ///
    /// Panics where [`try_encode`](Self::try_encode) returns an error: a header name over
    /// 255 bytes, a byte-array or string value over 65535 bytes, or a message over 4 GiB.
    /// Only the messages our own code builds go through here (the emulator, tests and
    /// benchmarks), never bytes from the network: a message the [`Decoder`](super::Decoder)
    /// produced always encodes. Anything built from outside input should use `try_encode`.
    ///
    /// Empty and duplicate header names are written as given, although the decoder refuses
    /// them.
    pub fn encode(&self) -> Vec<u8> {
        self.try_encode().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Encodes the message to its wire form with both CRCs, or says why it cannot be
    /// represented (the length fields are 1, 2 and 4 bytes wide).
    pub fn try_encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut headers = Vec::new();
        for h in &self.headers {
            let name = h.name.as_bytes();
            let name_len = u8::try_from(name.len()).map_err(|_| {
                EncodeError::new(EncodeErrorKind::HeaderNameTooLong {
                    name_len: name.len(),
                })
            })?;
            headers.push(name_len);
            headers.extend_from_slice(name);
            headers.push(h.value.type_tag());
            match &h.value {
                HeaderValue::Bool(_) => {}
                HeaderValue::Byte(v) => headers.extend_from_slice(&v.to_be_bytes()),
                HeaderValue::Int16(v) => headers.extend_from_slice(&v.to_be_bytes()),
                HeaderValue::Int32(v) => headers.extend_from_slice(&v.to_be_bytes()),
                HeaderValue::Int64(v) | HeaderValue::Timestamp(v) => {
                    headers.extend_from_slice(&v.to_be_bytes())
                }
                HeaderValue::ByteArray(b) => push_with_len(&mut headers, &h.name, b)?,
                HeaderValue::String(s) => push_with_len(&mut headers, &h.name, s.as_bytes())?,
                HeaderValue::Uuid(u) => headers.extend_from_slice(u),
            }
        }
        // Checked: on wasm32 `usize` is 32 bits, the same as the length field.
        let too_long = |total_len| EncodeError::new(EncodeErrorKind::MessageTooLong { total_len });
        let total = [headers.len(), self.payload.len(), 4]
            .into_iter()
            .try_fold(PRELUDE_LEN, usize::checked_add)
            .ok_or_else(|| too_long(usize::MAX))?;
        let total_u32 = u32::try_from(total).map_err(|_| too_long(total))?;
        // The header block is part of the total, so its length fits too.
        let headers_u32 = u32::try_from(headers.len()).map_err(|_| too_long(total))?;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&total_u32.to_be_bytes());
        out.extend_from_slice(&headers_u32.to_be_bytes());
        let prelude_crc = super::crc32::hash(&out);
        out.extend_from_slice(&prelude_crc.to_be_bytes());
        out.extend_from_slice(&headers);
        out.extend_from_slice(&self.payload);
        let message_crc = super::crc32::hash(&out);
        out.extend_from_slice(&message_crc.to_be_bytes());
        Ok(out)
    }
}

/// One frame from its header block, already encoded (`name length, name, type, value` per
/// header), and its payload: what [`Message::try_encode`] writes, for the frames the crate
/// writes itself with fixed headers (the bidirectional stream's input), without building a
/// [`Message`]. `None` if the frame would be over 4 GiB, which callers bound it far below.
pub fn frame(headers: &[u8], payload: &[u8]) -> Option<Vec<u8>> {
    let total = (PRELUDE_LEN + 4)
        .checked_add(headers.len())?
        .checked_add(payload.len())?;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&u32::try_from(total).ok()?.to_be_bytes());
    out.extend_from_slice(&u32::try_from(headers.len()).ok()?.to_be_bytes());
    let prelude_crc = super::crc32::hash(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(headers);
    out.extend_from_slice(payload);
    let message_crc = super::crc32::hash(&out);
    out.extend_from_slice(&message_crc.to_be_bytes());
    Some(out)
}

fn push_with_len(out: &mut Vec<u8>, name: &str, bytes: &[u8]) -> Result<(), EncodeError> {
    let len = u16::try_from(bytes.len()).map_err(|_| {
        EncodeError::new(EncodeErrorKind::HeaderValueTooLong {
            name: name.to_owned(),
            value_len: bytes.len(),
        })
    })?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

/// Header names seen so far in one block, to refuse a duplicate. A linear scan while there
/// are few (Bedrock sends 3 to 5, and a scan of a handful beats any set), an ordered set
/// beyond: a block of thousands of headers costs O(n log n) comparisons, not O(n²). Names
/// borrow from the block, so checking allocates nothing in the common case.
struct SeenNames<'a> {
    few: [&'a str; SEEN_LINEAR],
    len: usize,
    many: BTreeSet<&'a str>,
}

/// Headers checked by a linear scan before switching to the set.
const SEEN_LINEAR: usize = 8;

impl<'a> SeenNames<'a> {
    fn new() -> Self {
        Self {
            few: [""; SEEN_LINEAR],
            len: 0,
            many: BTreeSet::new(),
        }
    }

    /// Records `name`; `false` if it was already there.
    fn insert(&mut self, name: &'a str) -> bool {
        let (seen, free) = self.few.split_at_mut(self.len);
        if let Some(slot) = free.first_mut() {
            if seen.contains(&name) {
                return false;
            }
            *slot = name;
            self.len += 1;
            return true;
        }
        if self.many.is_empty() {
            self.many.extend(self.few);
        }
        self.many.insert(name)
    }
}

/// Reads the first `N` bytes of `block` and advances past them.
fn take<const N: usize>(block: &mut &[u8]) -> Result<[u8; N], DecodeError> {
    let (v, rest) = block
        .split_first_chunk::<N>()
        .ok_or_else(|| DecodeError::new(DecodeErrorKind::InvalidHeaderValue))?;
    *block = rest;
    Ok(*v)
}

/// Reads the first `n` bytes of `block` and advances past them.
fn take_slice<'a>(block: &mut &'a [u8], n: usize) -> Result<&'a [u8], DecodeError> {
    if block.len() < n {
        return Err(DecodeError::new(DecodeErrorKind::InvalidHeaderValue));
    }
    let (v, rest) = block.split_at(n);
    *block = rest;
    Ok(v)
}

/// Parses a header block (already covered by a verified message CRC). More than
/// `max_count` headers is an error as soon as the one past the limit begins, before the
/// rest of the block is read.
pub(crate) fn parse_headers(mut block: &[u8], max_count: u32) -> Result<Vec<Header>, DecodeError> {
    let err = |kind| Err(DecodeError::new(kind));
    let mut headers: Vec<Header> = Vec::new();
    let mut seen = SeenNames::new();
    while let Some((&name_len, rest)) = block.split_first() {
        // `u32` → `usize` is lossless on every target this builds for (32 and 64 bits).
        if headers.len() >= max_count as usize {
            return err(DecodeErrorKind::TooManyHeaders { max: max_count });
        }
        let name_len = usize::from(name_len);
        // A name, then at least the one-byte type tag.
        if name_len == 0 || rest.len() <= name_len {
            return err(DecodeErrorKind::InvalidHeaderNameLength);
        }
        let (name, rest) = rest.split_at(name_len);
        let Ok(name) = std::str::from_utf8(name) else {
            return err(DecodeErrorKind::InvalidUtf8String);
        };
        let Some((&tag, rest)) = rest.split_first() else {
            return err(DecodeErrorKind::InvalidHeaderNameLength);
        };
        block = rest;
        let value = match tag {
            0 => HeaderValue::Bool(true),
            1 => HeaderValue::Bool(false),
            2 => HeaderValue::Byte(i8::from_be_bytes(take(&mut block)?)),
            3 => HeaderValue::Int16(i16::from_be_bytes(take(&mut block)?)),
            4 => HeaderValue::Int32(i32::from_be_bytes(take(&mut block)?)),
            5 => HeaderValue::Int64(i64::from_be_bytes(take(&mut block)?)),
            6 | 7 => {
                let len = usize::from(u16::from_be_bytes(take(&mut block)?));
                let bytes = take_slice(&mut block, len)?;
                if tag == 6 {
                    HeaderValue::ByteArray(bytes.to_vec())
                } else {
                    let s = std::str::from_utf8(bytes)
                        .map_err(|_| DecodeError::new(DecodeErrorKind::InvalidHeaderValue))?;
                    HeaderValue::String(s.to_owned())
                }
            }
            8 => HeaderValue::Timestamp(i64::from_be_bytes(take(&mut block)?)),
            9 => HeaderValue::Uuid(take(&mut block)?),
            other => return err(DecodeErrorKind::InvalidHeaderValueType(other)),
        };
        if !seen.insert(name) {
            return err(DecodeErrorKind::DuplicateHeader(name.to_owned()));
        }
        headers.push(Header {
            name: name.to_owned(),
            value,
        });
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn seen_names_finds_every_repeat_before_and_after_the_switch_to_a_set() {
        let names: Vec<String> = (0..40).map(|i| format!("n{i}")).collect();
        let mut seen = SeenNames::new();
        for (i, n) in names.iter().enumerate() {
            assert!(seen.insert(n), "{n} is new");
            for earlier in &names[..=i] {
                assert!(!seen.insert(earlier), "{earlier} after {i} names");
            }
        }
        assert_eq!(seen.many.len(), names.len());
    }

    #[test]
    fn the_header_count_is_checked_before_each_header_is_read() {
        // Two good headers, then bytes that are not a header at all.
        let block = [1, b'a', 0, 1, b'b', 1, 0xff];
        let kind = |max| parse_headers(&block, max).unwrap_err().kind().clone();
        assert_eq!(kind(0), DecodeErrorKind::TooManyHeaders { max: 0 });
        assert_eq!(kind(2), DecodeErrorKind::TooManyHeaders { max: 2 });
        assert_eq!(kind(3), DecodeErrorKind::InvalidHeaderNameLength);
        assert_eq!(parse_headers(&block[..6], 2).unwrap().len(), 2);
    }
}
