use super::error::{DecodeError, DecodeErrorKind};
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
    /// Panics if a header name exceeds 255 bytes or a byte-array/string value exceeds
    /// 65535 bytes: those cannot be represented, and only code we write builds messages.
    pub fn encode(&self) -> Vec<u8> {
        let mut headers = Vec::new();
        for h in &self.headers {
            let name = h.name.as_bytes();
            let name_len = u8::try_from(name.len()).expect("header name longer than 255 bytes");
            headers.push(name_len);
            headers.extend_from_slice(name);
            headers.push(h.value.type_tag());
            match &h.value {
                HeaderValue::Bool(_) => {}
                HeaderValue::Byte(v) => headers.push(*v as u8),
                HeaderValue::Int16(v) => headers.extend_from_slice(&v.to_be_bytes()),
                HeaderValue::Int32(v) => headers.extend_from_slice(&v.to_be_bytes()),
                HeaderValue::Int64(v) | HeaderValue::Timestamp(v) => {
                    headers.extend_from_slice(&v.to_be_bytes())
                }
                HeaderValue::ByteArray(b) => push_with_len(&mut headers, b),
                HeaderValue::String(s) => push_with_len(&mut headers, s.as_bytes()),
                HeaderValue::Uuid(u) => headers.extend_from_slice(u),
            }
        }
        let total = PRELUDE_LEN + headers.len() + self.payload.len() + 4;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&(total as u32).to_be_bytes());
        out.extend_from_slice(&(headers.len() as u32).to_be_bytes());
        let prelude_crc = super::crc32::hash(&out);
        out.extend_from_slice(&prelude_crc.to_be_bytes());
        out.extend_from_slice(&headers);
        out.extend_from_slice(&self.payload);
        let message_crc = super::crc32::hash(&out);
        out.extend_from_slice(&message_crc.to_be_bytes());
        out
    }
}

fn push_with_len(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u16::try_from(bytes.len()).expect("header value longer than 65535 bytes");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Parses a header block (already covered by a verified message CRC).
pub(crate) fn parse_headers(mut block: &[u8]) -> Result<Vec<Header>, DecodeError> {
    let err = |kind| Err(DecodeError::new(kind));
    let mut headers: Vec<Header> = Vec::new();
    while !block.is_empty() {
        let name_len = block[0] as usize;
        if name_len == 0 || block.len() < 1 + name_len + 1 {
            return err(DecodeErrorKind::InvalidHeaderNameLength);
        }
        let name = match std::str::from_utf8(&block[1..1 + name_len]) {
            Ok(n) => n.to_owned(),
            Err(_) => return err(DecodeErrorKind::InvalidUtf8String),
        };
        let tag = block[1 + name_len];
        block = &block[2 + name_len..];
        let fixed = |block: &mut &[u8], n: usize| -> Result<Vec<u8>, DecodeError> {
            if block.len() < n {
                return Err(DecodeError::new(DecodeErrorKind::InvalidHeaderValue));
            }
            let (v, rest) = block.split_at(n);
            *block = rest;
            Ok(v.to_vec())
        };
        let value = match tag {
            0 => HeaderValue::Bool(true),
            1 => HeaderValue::Bool(false),
            2 => HeaderValue::Byte(fixed(&mut block, 1)?[0] as i8),
            3 => HeaderValue::Int16(i16::from_be_bytes(array(&fixed(&mut block, 2)?))),
            4 => HeaderValue::Int32(i32::from_be_bytes(array(&fixed(&mut block, 4)?))),
            5 => HeaderValue::Int64(i64::from_be_bytes(array(&fixed(&mut block, 8)?))),
            6 | 7 => {
                let len = u16::from_be_bytes(array(&fixed(&mut block, 2)?)) as usize;
                let bytes = fixed(&mut block, len)?;
                if tag == 6 {
                    HeaderValue::ByteArray(bytes)
                } else {
                    HeaderValue::String(
                        String::from_utf8(bytes)
                            .map_err(|_| DecodeError::new(DecodeErrorKind::InvalidHeaderValue))?,
                    )
                }
            }
            8 => HeaderValue::Timestamp(i64::from_be_bytes(array(&fixed(&mut block, 8)?))),
            9 => HeaderValue::Uuid(array(&fixed(&mut block, 16)?)),
            other => return err(DecodeErrorKind::InvalidHeaderValueType(other)),
        };
        if headers.iter().any(|h| h.name == name) {
            return err(DecodeErrorKind::DuplicateHeader(name));
        }
        headers.push(Header { name, value });
    }
    Ok(headers)
}

fn array<const N: usize>(v: &[u8]) -> [u8; N] {
    v.try_into().expect("length checked by caller")
}
