//! JSON from the network, read as leniently as the AWS SDK for JavaScript reads it
//! (`TextDecoder` then `JSON.parse`): invalid UTF-8 becomes U+FFFD, and so does a lone UTF-16
//! surrogate escape (`"\ud83d"`), which `JSON.parse` accepts and a Rust `String` cannot hold.
//!
//! The strict parse runs first; only a payload it refuses is repaired and parsed again, so
//! well-formed streams pay nothing.

use std::borrow::Cow;

use serde::de::DeserializeOwned;

/// `v` as JSON text. The crate writes JSON only through `serde_json::to_writer` into a
/// `Vec<u8>` and reads it only from byte slices: `Value`'s `Display` (`to_string()`) and
/// `serde_json::from_str` each instantiate serde_json's writer or reader a second time (over a
/// `fmt::Write` adapter, over `str`), which cost ~4.5 KB gzip in the package.
pub(crate) fn text(v: &serde_json::Value) -> String {
    let mut out = Vec::new();
    let _ = serde_json::to_writer(&mut out, v);
    // serde_json writes UTF-8 only.
    String::from_utf8(out).unwrap_or_default()
}

/// Parses `bytes` as JSON; if that fails, once more after [`repair`].
pub(crate) fn from_slice_lenient<T: DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    match serde_json::from_slice(bytes) {
        Ok(v) => Ok(v),
        Err(e) => match repair(bytes) {
            Some(fixed) => serde_json::from_slice(fixed.as_bytes()),
            None => Err(e),
        },
    }
}

/// A small JSON object writer (no intermediate `Value`): the caller opens and closes
/// objects with [`raw`](Self::raw); each member gets its comma unless the object just opened.
#[derive(Debug, Default)]
pub(crate) struct JsonWriter(pub Vec<u8>);

impl JsonWriter {
    pub fn raw(&mut self, s: &str) -> &mut Self {
        self.0.extend_from_slice(s.as_bytes());
        self
    }

    /// `"key":` (the key is ours: written as it is).
    pub fn key(&mut self, key: &str) -> &mut Self {
        if !matches!(self.0.last(), Some(b'{') | None) {
            self.0.push(b',');
        }
        self.0.push(b'"');
        self.raw(key).raw("\":")
    }

    /// `"key":"value"`, the value escaped.
    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key).string(value)
    }

    /// A string value, escaped.
    pub fn string(&mut self, value: &str) -> &mut Self {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.0, value);
        self
    }

    /// A whole number.
    pub fn int(&mut self, n: u64) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut n = n;
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.0.extend_from_slice(&digits[i..]);
        self
    }

    /// A number (`null` if not finite), or any JSON value.
    pub fn value(&mut self, value: &serde_json::Value) -> &mut Self {
        let _ = serde_json::to_writer(&mut self.0, value);
        self
    }
}

/// `bytes` with invalid UTF-8 and unpaired surrogate escapes replaced by U+FFFD (the escape as
/// `\ufffd`), or `None` when there is nothing to repair.
pub(crate) fn repair(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let lossy = matches!(text, Cow::Owned(_));
    let b = text.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut changed = lossy;
    let mut last = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        match surrogate_at(b, i + 1) {
            Some(0xD800..=0xDBFF) => {
                let paired = b.get(i + 6) == Some(&b'\\')
                    && matches!(surrogate_at(b, i + 7), Some(0xDC00..=0xDFFF));
                if paired {
                    i += 12;
                    continue;
                }
            }
            Some(_) => {}
            // Any other escape: skip it whole, so `\\ud83d` (an escaped backslash) is text.
            None => {
                i += 2;
                continue;
            }
        }
        out.push_str(&text[last..i]);
        out.push_str("\\ufffd");
        changed = true;
        i += 6;
        last = i;
    }
    if !changed {
        return None;
    }
    out.push_str(&text[last.min(text.len())..]);
    Some(out)
}

/// The code unit of a `uXXXX` escape at `at` when it is a surrogate (D800–DFFF).
fn surrogate_at(b: &[u8], at: usize) -> Option<u16> {
    if b.get(at) != Some(&b'u') {
        return None;
    }
    let hex = b.get(at + 1..at + 5)?;
    let s = std::str::from_utf8(hex).ok()?;
    let unit = u16::from_str_radix(s, 16).ok()?;
    (0xD800..=0xDFFF).contains(&unit).then_some(unit)
}

/// The inside of a JSON string (between its quotes, which must not appear unescaped),
/// unescaped; `None` for anything `JSON.parse` would refuse or that a `str` cannot hold.
pub(crate) fn string_body(s: &[u8]) -> Option<Cow<'_, str>> {
    if !s.iter().any(|&b| b == b'\\' || b == b'"' || b < 0x20) {
        return std::str::from_utf8(s).ok().map(Cow::Borrowed);
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        i += 1;
        match b {
            b'"' | 0..=0x1f => return None,
            b'\\' => {
                let e = *s.get(i)?;
                i += 1;
                let c = match e {
                    b'"' => '"',
                    b'\\' => '\\',
                    b'/' => '/',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    b'u' => {
                        let hi = hex4(s.get(i..i + 4)?)?;
                        i += 4;
                        let code = if (0xD800..0xDC00).contains(&hi) {
                            let lo = s.get(i..i + 6)?.strip_prefix(b"\\u").and_then(hex4)?;
                            if !(0xDC00..0xE000).contains(&lo) {
                                return None;
                            }
                            i += 6;
                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                        } else {
                            hi
                        };
                        char::from_u32(code)?
                    }
                    _ => return None,
                };
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// Four hex digits.
fn hex4(h: &[u8]) -> Option<u32> {
    if h.len() != 4 {
        return None;
    }
    h.iter()
        .try_fold(0u32, |n, &b| Some(n * 16 + char::from(b).to_digit(16)?))
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use serde_json::{json, Value};

    use super::*;

    fn parse(s: &[u8]) -> Value {
        from_slice_lenient(s).unwrap()
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert_eq!(parse(br#"{"t":"a\ud83db"}"#), json!({"t": "a\u{fffd}b"}));
        assert_eq!(parse(br#"{"t":"\udc00"}"#), json!({"t": "\u{fffd}"}));
        assert_eq!(
            parse(br#"{"t":"\ud83d\ud83d"}"#),
            json!({"t": "\u{fffd}\u{fffd}"})
        );
        assert_eq!(parse(br#"{"t":"x\ud83d"}"#), json!({"t": "x\u{fffd}"}));
        // A proper pair and an escaped backslash are left alone.
        assert_eq!(
            parse(br#"{"t":"\ud83d\ude00\\ud83d","u":"\ud800"}"#),
            json!({"t": "😀\\ud83d", "u": "\u{fffd}"})
        );
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        assert_eq!(parse(b"{\"t\":\"a\xffb\"}"), json!({"t": "a\u{fffd}b"}));
    }

    #[test]
    fn what_cannot_be_repaired_is_still_an_error() {
        assert!(from_slice_lenient::<Value>(br#"{"t":"a"#).is_err());
        assert!(from_slice_lenient::<Value>(br#"{"t":"\ud83d"#).is_err());
        assert_eq!(repair(br#"{"t":"fine"}"#), None);
        // A truncated escape at the very end never indexes past the input.
        for cut in [
            &br#""\"#[..],
            br#""\u"#,
            br#""\ud8"#,
            br#""\ud83d\"#,
            br#""\ud83d\ud"#,
        ] {
            assert!(from_slice_lenient::<Value>(cut).is_err());
        }
    }
}
