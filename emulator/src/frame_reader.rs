//! The emulator's own event-stream frame reader, for the frames a client sends on the
//! InvokeModelWithBidirectionalStream WebSocket (see `server/bidi.rs`).
//!
//! Like the writer (`frame.rs`), it is written here from the format's public description so
//! that the emulator shares no codec with the client it checks. It reads every header type
//! (signed frames carry a timestamp and a byte array), checks both CRCs and every length
//! against the bytes actually there, and bounds the frame size, so no input can make it
//! panic or allocate without limit.

/// Prelude (two lengths and their CRC) plus the trailing message CRC.
const OVERHEAD: usize = 12 + 4;

/// A header value, by the format's type tags 0–9.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderValue {
    Bool(bool),
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
    Bytes(Vec<u8>),
    String(String),
    /// Milliseconds since the Unix epoch.
    Timestamp(i64),
    Uuid([u8; 16]),
}

impl HeaderValue {
    /// The type's name, for error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            HeaderValue::Bool(_) => "boolean",
            HeaderValue::Byte(_) => "byte",
            HeaderValue::Short(_) => "short",
            HeaderValue::Int(_) => "integer",
            HeaderValue::Long(_) => "long",
            HeaderValue::Bytes(_) => "byte array",
            HeaderValue::String(_) => "string",
            HeaderValue::Timestamp(_) => "timestamp",
            HeaderValue::Uuid(_) => "uuid",
        }
    }
}

/// One header: its name, value, and its bytes exactly as on the wire (what an event
/// signature hashes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) name: String,
    pub(crate) value: HeaderValue,
    pub(crate) raw: Vec<u8>,
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) headers: Vec<Header>,
    pub(crate) payload: Vec<u8>,
}

impl Frame {
    /// The headers named `name` (a well-formed frame has at most one).
    pub(crate) fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|h| h.name == name)
            .map(|h| &h.value)
    }
}

/// Takes bytes in pieces of any size (a frame split across WebSocket messages, or several in
/// one) and hands out whole frames.
#[derive(Debug)]
pub(crate) struct Reader {
    buf: Vec<u8>,
    max_frame: usize,
}

impl Reader {
    /// A reader refusing frames longer than `max_frame` bytes (at least the 16-byte minimum).
    pub(crate) fn new(max_frame: usize) -> Self {
        Reader {
            buf: Vec::new(),
            max_frame: max_frame.max(OVERHEAD),
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received that are not yet a whole frame.
    #[cfg(test)]
    pub(crate) fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The next whole frame, `Ok(None)` if more bytes are needed, or why the bytes are not a
    /// frame (after which the stream cannot be resynchronised).
    pub(crate) fn next_frame(&mut self) -> Result<Option<Frame>, String> {
        if self.buf.len() < 12 {
            return Ok(None);
        }
        let total = be32(&self.buf[0..4]) as usize;
        check_prelude(&self.buf[..12], self.max_frame)?;
        if self.buf.len() < total {
            return Ok(None);
        }
        let frame = decode(&self.buf[..total], self.max_frame)?;
        self.buf.drain(..total);
        Ok(Some(frame))
    }
}

fn be32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_be_bytes(a)
}

/// Checks the 12-byte prelude: the lengths' ranges and the prelude CRC.
fn check_prelude(prelude: &[u8], max_frame: usize) -> Result<(), String> {
    let total = be32(&prelude[0..4]) as usize;
    let headers_len = be32(&prelude[4..8]) as usize;
    let crc = be32(&prelude[8..12]);
    let actual = crc32fast::hash(&prelude[..8]);
    if crc != actual {
        return Err(format!(
            "event-stream frame: the prelude CRC is {crc:#010x} but the prelude's bytes hash to \
             {actual:#010x}"
        ));
    }
    if total < OVERHEAD {
        return Err(format!(
            "event-stream frame: total length {total} is under the 16-byte minimum"
        ));
    }
    if total > max_frame {
        return Err(format!(
            "event-stream frame: total length {total} is over the emulator's limit of \
             {max_frame} bytes"
        ));
    }
    if headers_len > total - OVERHEAD {
        return Err(format!(
            "event-stream frame: headers length {headers_len} does not fit in a frame of \
             {total} bytes"
        ));
    }
    Ok(())
}

/// Decodes exactly one whole frame (`bytes` must be all of it).
pub(crate) fn decode(bytes: &[u8], max_frame: usize) -> Result<Frame, String> {
    if bytes.len() < OVERHEAD {
        return Err(format!(
            "event-stream frame: {} bytes is under the 16-byte minimum",
            bytes.len()
        ));
    }
    check_prelude(&bytes[..12], max_frame)?;
    let total = be32(&bytes[0..4]) as usize;
    if total != bytes.len() {
        return Err(format!(
            "event-stream frame: total length {total} but {} bytes are there",
            bytes.len()
        ));
    }
    let headers_len = be32(&bytes[4..8]) as usize;
    let crc = be32(&bytes[total - 4..]);
    let actual = crc32fast::hash(&bytes[..total - 4]);
    if crc != actual {
        return Err(format!(
            "event-stream frame: the message CRC is {crc:#010x} but the frame's bytes hash to \
             {actual:#010x}"
        ));
    }
    let headers = decode_headers(&bytes[12..12 + headers_len])?;
    Ok(Frame {
        headers,
        payload: bytes[12 + headers_len..total - 4].to_vec(),
    })
}

fn decode_headers(mut b: &[u8]) -> Result<Vec<Header>, String> {
    let mut out: Vec<Header> = Vec::new();
    let short = |what: &str| format!("event-stream frame: the header block ends inside {what}");
    while !b.is_empty() {
        let start = b;
        let name_len = usize::from(b[0]);
        if name_len == 0 {
            return Err("event-stream frame: a header has an empty name".into());
        }
        let name = b
            .get(1..1 + name_len)
            .ok_or_else(|| short("a header name"))?;
        let name = std::str::from_utf8(name)
            .map_err(|_| "event-stream frame: a header name is not UTF-8".to_owned())?
            .to_owned();
        b = &b[1 + name_len..];
        let (&tag, rest) = b
            .split_first()
            .ok_or_else(|| short(&format!("header {name:?}")))?;
        b = rest;
        let take = |b: &mut &[u8], n: usize| -> Result<Vec<u8>, String> {
            let v = b
                .get(..n)
                .ok_or_else(|| short(&format!("the value of header {name:?}")))?
                .to_vec();
            *b = &b[n..];
            Ok(v)
        };
        let fixed = |v: Vec<u8>| -> [u8; 8] {
            let mut a = [0u8; 8];
            a[8 - v.len()..].copy_from_slice(&v);
            a
        };
        let value = match tag {
            0 => HeaderValue::Bool(true),
            1 => HeaderValue::Bool(false),
            2 => HeaderValue::Byte(take(&mut b, 1)?[0] as i8),
            3 => {
                let v = take(&mut b, 2)?;
                HeaderValue::Short(i16::from_be_bytes([v[0], v[1]]))
            }
            4 => {
                let v = take(&mut b, 4)?;
                HeaderValue::Int(i32::from_be_bytes([v[0], v[1], v[2], v[3]]))
            }
            5 => HeaderValue::Long(i64::from_be_bytes(fixed(take(&mut b, 8)?))),
            6 | 7 => {
                let len = take(&mut b, 2)?;
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                let v = take(&mut b, len)?;
                if tag == 6 {
                    HeaderValue::Bytes(v)
                } else {
                    HeaderValue::String(String::from_utf8(v).map_err(|_| {
                        format!("event-stream frame: the string header {name:?} is not UTF-8")
                    })?)
                }
            }
            8 => HeaderValue::Timestamp(i64::from_be_bytes(fixed(take(&mut b, 8)?))),
            9 => {
                let v = take(&mut b, 16)?;
                let mut a = [0u8; 16];
                a.copy_from_slice(&v);
                HeaderValue::Uuid(a)
            }
            other => {
                return Err(format!(
                    "event-stream frame: header {name:?} has unknown type {other} (types are 0–9)"
                ))
            }
        };
        if out.iter().any(|h| h.name == name) {
            return Err(format!(
                "event-stream frame: header {name:?} appears more than once"
            ));
        }
        let raw = start[..start.len() - b.len()].to_vec();
        out.push(Header { name, value, raw });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_writer_writes_in_any_pieces() {
        let a = crate::frame::encode(&[(":event-type", "chunk")], b"{}").unwrap();
        let b = crate::frame::encode(&[], b"").unwrap();
        let both = [a.clone(), b.clone()].concat();
        for piece in 1..=both.len() {
            let mut r = Reader::new(1 << 20);
            let mut frames = Vec::new();
            for p in both.chunks(piece) {
                r.push(p);
                while let Some(f) = r.next_frame().unwrap() {
                    frames.push(f);
                }
            }
            assert_eq!(frames.len(), 2, "pieces of {piece}");
            assert_eq!(
                frames[0].header(":event-type"),
                Some(&HeaderValue::String("chunk".into()))
            );
            assert_eq!(frames[0].payload, b"{}");
            assert_eq!(
                frames[0].headers[0].raw,
                b"\x0b:event-type\x07\x00\x05chunk"
            );
            assert!(frames[1].headers.is_empty() && frames[1].payload.is_empty());
            assert_eq!(r.pending(), 0);
        }
    }

    #[test]
    fn refuses_damaged_frames_without_panicking() {
        let good = crate::frame::encode(&[(":a", "b")], b"xyz").unwrap();
        let mut bad_crc = good.clone();
        *bad_crc.last_mut().unwrap() ^= 1;
        assert!(decode(&bad_crc, 1 << 20)
            .unwrap_err()
            .contains("message CRC"));
        assert!(decode(&good, 10).unwrap_err().contains("limit"));
        // Every truncation and every single-byte change is refused or read, never a panic.
        for cut in 0..good.len() {
            let _ = decode(&good[..cut], 1 << 20);
        }
        for i in 0..good.len() {
            for x in [1u8, 0x80, 0xff] {
                let mut g = good.clone();
                g[i] ^= x;
                let _ = decode(&g, 1 << 20);
                let mut r = Reader::new(1 << 20);
                r.push(&g);
                let _ = r.next_frame();
            }
        }
        // A header block that lies about its lengths, with valid CRCs.
        let mut f = vec![0u8; 12];
        let block = [3u8, b':', b'a', b'b', 7, 0xff, 0xff, b'x'];
        let total = (OVERHEAD + block.len()) as u32;
        f[0..4].copy_from_slice(&total.to_be_bytes());
        f[4..8].copy_from_slice(&(block.len() as u32).to_be_bytes());
        let c = crc32fast::hash(&f[..8]);
        f[8..12].copy_from_slice(&c.to_be_bytes());
        f.extend_from_slice(&block);
        let c = crc32fast::hash(&f);
        f.extend_from_slice(&c.to_be_bytes());
        assert!(decode(&f, 1 << 20).unwrap_err().contains("ends inside"));
    }
}
