//! SigV4's canonical request, string to sign and `Authorization` header, built exactly as
//! `aws-sigv4`'s `http_request::sign` builds them with the settings [`SuiteOptions`] picks
//! (Bedrock: `SigningSettings::default()`), and signed with its primitives
//! (`sign::v4::generate_signing_key`, `calculate_signature`).
//!
//! "Exactly" includes what it refuses: a URL is read as `http::Uri` reads it (the same
//! characters allowed in the host, the path and the query, the fragment dropped), a header
//! name as `http::HeaderName` (lower-cased as `str::to_lowercase` does) and a header value as
//! `http::HeaderValue::from_str`. `tests/sign_oracle.rs` signs random requests both ways and
//! demands identical headers, errors included.
//!
//! Nothing here panics on any input: every index is checked, and the only arithmetic is on
//! a time already known to lie between 1970 and 9999.

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sigv4::sign::v4;
use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use super::{Credentials, SuiteOptions};

/// Everything but SigV4's unreserved `A–Z a–z 0–9 - _ . ~` is escaped (aws-smithy-http's
/// `BASE_SET`): query names and values.
pub(super) const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The same, keeping `/`: the path, encoded once more (`%` → `%25`: SigV4's double encoding).
pub(super) const PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// `http::Uri`'s longest URI.
const MAX_URL_LEN: usize = u16::MAX as usize - 1;

/// `http::HeaderName`'s longest name.
const MAX_HEADER_NAME_LEN: usize = u16::MAX as usize;

/// Headers aws-sigv4 never signs (`SigningSettings::default().excluded_headers`).
const EXCLUDED: [&str; 4] = [
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "transfer-encoding",
];

const X_AMZ_DATE: &str = "x-amz-date";
const X_AMZ_SECURITY_TOKEN: &str = "x-amz-security-token";
const X_AMZ_CONTENT_SHA256: &str = "x-amz-content-sha256";

/// What signing reads from an absolute `http(s)` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UrlParts<'a> {
    /// `host`, as aws-sigv4 signs it: the host alone when the port is the scheme's default
    /// (written exactly `443` for https, `80` for http), otherwise host and port as written.
    pub(super) host: &'a str,
    /// The path as sent (`/` when empty), fragment removed.
    pub(super) path: &'a str,
    /// The query after `?`, when there is a `?`.
    pub(super) query: Option<&'a str>,
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// `http::Uri`'s URI characters allowed in an authority, besides the ones with a role
/// (`: [ ] @ / ? #`) and `%`.
fn authority_char(b: u8) -> bool {
    matches!(b, b'!' | b'$' | b'&'..=b'.' | b'0'..=b'9' | b';' | b'=' | b'A'..=b'Z' | b'_' | b'a'..=b'z' | b'~')
}

/// `http::uri::PathAndQuery`'s path bytes (besides `?` and `#`); bytes of UTF-8 sequences
/// are allowed.
fn path_char(b: u8) -> bool {
    matches!(b, 0x21 | 0x22 | 0x24..=0x3B | 0x3D | 0x40..=0x5F | 0x61..=0x7E | 0x80..=0xFF)
}

/// `http::uri::PathAndQuery`'s query bytes (besides `#`).
fn query_char(b: u8) -> bool {
    matches!(b, 0x21 | 0x24..=0x3B | 0x3D | 0x3F..=0x7E | 0x80..=0xFF)
}

/// Where the authority ends (`http::uri::Authority::parse`), or why it is not one.
fn authority_end(s: &[u8]) -> Result<usize, &'static str> {
    let bad = "has an invalid host or port";
    let mut colons = 0;
    let (mut open, mut close, mut percent) = (false, false, false);
    let mut end = s.len();
    let mut at = s.len();
    for (i, &b) in s.iter().enumerate() {
        match b {
            b'/' | b'?' | b'#' => {
                end = i;
                break;
            }
            b'%' => percent = true,
            b':' => {
                if colons >= 8 {
                    return Err(bad);
                }
                colons += 1;
            }
            b'[' => {
                if percent || open {
                    return Err(bad);
                }
                open = true;
            }
            b']' => {
                if !open || close {
                    return Err(bad);
                }
                close = true;
                colons = 0;
                percent = false;
            }
            b'@' => {
                at = i;
                colons = 0;
                percent = false;
            }
            _ if authority_char(b) => {}
            _ => return Err("has a character that is not allowed in a host"),
        }
    }
    if open != close || colons > 1 || (end > 0 && at == end - 1) || percent {
        return Err(bad);
    }
    if end == 0 {
        return Err("has no host");
    }
    Ok(end)
}

/// Reads `url` as aws-sigv4 does (through `http::Uri`), or says why it cannot be signed.
pub(super) fn parse_url(url: &str) -> Result<UrlParts<'_>, &'static str> {
    if url.len() > MAX_URL_LEN {
        return Err("is longer than 65,534 bytes");
    }
    let (secure, rest) = if starts_with_ignore_case(url, "http://") {
        (false, &url[7..])
    } else if starts_with_ignore_case(url, "https://") {
        (true, &url[8..])
    } else {
        return Err("is not an absolute http(s) URL");
    };
    if rest.is_empty() {
        return Err("has no host");
    }
    let end = authority_end(rest.as_bytes())?;
    let (authority, tail) = rest.split_at(end);

    // The path runs to `?` or `#`, the query from `?` to `#`; the fragment is not sent.
    let bytes = tail.as_bytes();
    let mut stop = bytes.len();
    let mut query_at = None;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' {
            stop = i;
            break;
        }
        let ok = match query_at {
            None if b == b'?' => {
                query_at = Some(i);
                true
            }
            None => path_char(b),
            Some(_) => query_char(b),
        };
        if !ok {
            return Err("has a character that must be percent-encoded (a space, a control character, \" < > ` …)");
        }
    }
    let path = tail.get(..query_at.unwrap_or(stop)).unwrap_or("");
    let query = query_at.and_then(|q| tail.get(q + 1..stop));

    // `http::uri::Authority::host` and `port`.
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let host = if host_port.starts_with('[') {
        host_port
            .find(']')
            .and_then(|i| host_port.get(..=i))
            .unwrap_or(host_port)
    } else {
        host_port.split(':').next().unwrap_or(host_port)
    };
    let port = authority.rfind(':').and_then(|i| authority.get(i + 1..));
    let default_port = port == Some(if secure { "443" } else { "80" });
    Ok(UrlParts {
        host: if default_port { host } else { authority },
        path: if path.is_empty() { "/" } else { path },
        query,
    })
}

/// aws-sigv4's `normalize_uri_path`: RFC 3986 dot segments and empty segments removed.
pub(super) fn normalize_path(path: &str) -> Cow<'_, str> {
    if path.is_empty() {
        return Cow::Borrowed("/");
    }
    let path: Cow<'_, str> = if path.starts_with('/') {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(format!("/{path}"))
    };
    if !(path.contains('.') || path.contains("//")) {
        return path;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(path.len());
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty()
        || (["/", "/.", "/./", "/..", "/../"]
            .iter()
            .any(|s| path.ends_with(s))
            && !out.ends_with('/'))
    {
        out.push('/');
    }
    Cow::Owned(out)
}

/// `application/x-www-form-urlencoded` decoding (`form_urlencoded::parse`): `+` is a space,
/// `%XX` a byte, and what is not UTF-8 becomes U+FFFD.
fn form_decode(s: &str) -> String {
    let bytes: Vec<u8> = s
        .bytes()
        .map(|b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&bytes).decode_utf8_lossy().into_owned()
}

/// A name and its value: a query parameter or a header.
type Pair<'a> = (String, Cow<'a, str>);

/// The one (stable) sort of the signer: a `fn` pointer as the order, so the query's and the
/// headers' orders share one copy of the standard library's sort (a second copy was 1.5 KB
/// gzip in the package).
fn sort_pairs(pairs: &mut [Pair<'_>], order: fn(&Pair<'_>, &Pair<'_>) -> std::cmp::Ordering) {
    pairs.sort_by(order);
}

/// The canonical query string: every `name=value` pair decoded, encoded again the SigV4 way,
/// and sorted.
pub(super) fn canonical_query(query: Option<&str>) -> String {
    let mut pairs: Vec<Pair<'_>> = query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let encode = |s: &str| utf8_percent_encode(&form_decode(s), UNRESERVED).to_string();
            (encode(name), Cow::Owned(encode(value)))
        })
        .collect();
    sort_pairs(&mut pairs, |a, b| a.cmp(b));
    let mut out = String::new();
    for (name, value) in &pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// `http::HeaderName`'s characters (RFC 9110 `tchar`, lower case).
fn token_char(b: u8) -> bool {
    matches!(b, b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'.' | b'0'..=b'9' | b'^'..=b'z' | b'|' | b'~')
}

/// `name.to_lowercase()` when that is a valid `http::HeaderName`. The one character outside
/// ASCII that `to_lowercase` turns into ASCII is KELVIN SIGN (`K` → `k`); written out rather
/// than linking Unicode's case tables.
fn header_name(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = if c == '\u{212A}' {
            'k'
        } else {
            c.to_ascii_lowercase()
        };
        if !c.is_ascii() || !token_char(c as u8) {
            return None;
        }
        out.push(c);
    }
    (!out.is_empty() && out.len() <= MAX_HEADER_NAME_LEN).then_some(out)
}

/// `http::HeaderValue::from_str`: no control characters but tab, no DEL.
fn valid_header_value(value: &str) -> bool {
    value.bytes().all(|b| (b >= 32 && b != 127) || b == b'\t')
}

/// A header value as SigV4 signs it: spaces (only spaces) trimmed and runs of them collapsed.
fn trim_all(value: &str) -> Cow<'_, str> {
    let value = value.trim_matches(' ');
    if !value.contains("  ") {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut last_space = false;
    for c in value.chars() {
        if !(c == ' ' && last_space) {
            out.push(c);
        }
        last_space = c == ' ';
    }
    Cow::Owned(out)
}

pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

pub(super) fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// `YYYYMMDD'T'HHMMSS'Z'` for `secs` since the epoch (Howard Hinnant's civil-from-days).
/// `secs` is at most 9999-12-31T23:59:59Z, checked by the caller.
pub(super) fn amz_date(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let in_day = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut out = String::with_capacity(16);
    for (n, width) in [(year, 4), (month, 2), (day, 2)] {
        push_digits(&mut out, n, width);
    }
    out.push('T');
    for n in [in_day / 3600, in_day / 60 % 60, in_day % 60] {
        push_digits(&mut out, n as i64, 2);
    }
    out.push('Z');
    out
}

/// `n` in decimal, zero-padded to `width` digits (`n` has at most `width`).
fn push_digits(out: &mut String, n: i64, width: u32) {
    for i in (0..width).rev() {
        let digit = (n / 10_i64.pow(i)).rem_euclid(10) as u8;
        out.push(char::from(b'0' + digit));
    }
}

/// Sets `name` to `value`, replacing every value the caller gave it (`HeaderMap::insert`).
fn set<'a>(canonical: &mut Vec<(String, Cow<'a, str>)>, name: &str, value: Cow<'a, str>) {
    canonical.retain(|(n, _)| n != name);
    canonical.push((name.to_owned(), value));
}

/// The headers that sign the request: `x-amz-date`, `authorization`, then (when asked)
/// `x-amz-content-sha256` and (with a session token) `x-amz-security-token`, in aws-sigv4's
/// order. The caller has checked the credentials, the URL and the time; what can still be
/// refused here is a header name or value (or a session token) that HTTP does not allow.
pub(super) fn sign(
    options: &SuiteOptions<'_>,
    method: &str,
    url: &UrlParts<'_>,
    headers: &[(String, String)],
    body: &[u8],
    credentials: &Credentials,
) -> Result<Vec<(String, String)>, String> {
    let secs = options
        .time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let date_time = amz_date(secs);
    let payload_hash = sha256_hex(body);

    // Canonical headers, in the request's order (a name may repeat); the ones the signer
    // sets replace any the caller gave.
    let mut canonical: Vec<Pair<'_>> = Vec::with_capacity(headers.len() + 4);
    for (name, value) in headers {
        let name = header_name(name).ok_or_else(|| {
            format!(
                "{:?} is not a valid HTTP header name",
                name.chars().take(100).collect::<String>()
            )
        })?;
        let value = trim_all(value);
        if !valid_header_value(&value) {
            return Err(format!(
                "the value of header {name:?} has a character HTTP does not allow (a control character)"
            ));
        }
        canonical.push((name, value));
    }
    if !canonical.iter().any(|(n, _)| n == "host") {
        canonical.push(("host".to_owned(), Cow::Borrowed(url.host)));
    }
    set(&mut canonical, X_AMZ_DATE, Cow::Borrowed(&date_time));
    let token = credentials.session_token.as_deref();
    if let Some(token) = token {
        if !valid_header_value(token) {
            return Err(
                "the session token has a character HTTP does not allow (a control character)"
                    .to_owned(),
            );
        }
        set(&mut canonical, X_AMZ_SECURITY_TOKEN, Cow::Borrowed(token));
    }
    if options.payload_hash_header {
        set(
            &mut canonical,
            X_AMZ_CONTENT_SHA256,
            Cow::Borrowed(&payload_hash),
        );
    }
    // Stable: the values of a repeated name keep their order.
    sort_pairs(&mut canonical, |a, b| a.0.cmp(&b.0));

    let path = if options.normalize_path {
        normalize_path(url.path)
    } else {
        Cow::Borrowed(url.path)
    };
    let mut creq = request_head(method, &path, url.query);
    let mut signed = String::new();
    let mut previous: Option<&str> = None;
    for (name, value) in &canonical {
        let excluded = EXCLUDED.contains(&name.as_str())
            || (!options.sign_session_token && name == X_AMZ_SECURITY_TOKEN);
        if excluded {
            continue;
        }
        if previous == Some(name.as_str()) {
            creq.push(',');
        } else {
            if previous.is_some() {
                creq.push('\n');
                signed.push(';');
            }
            creq.push_str(name);
            creq.push(':');
            signed.push_str(name);
            previous = Some(name);
        }
        creq.push_str(value);
    }
    if previous.is_some() {
        creq.push('\n');
    }
    creq.push('\n');
    creq.push_str(&signed);
    creq.push('\n');
    creq.push_str(&payload_hash);

    let scope = scope(&date_time, options.region, options.service);
    let signature = signature(
        &creq,
        &date_time,
        &scope,
        secs,
        options.region,
        options.service,
        &credentials.secret_access_key,
    );

    let mut out = vec![
        (X_AMZ_DATE.to_owned(), date_time.clone()),
        (
            "authorization".to_owned(),
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
                credentials.access_key_id
            ),
        ),
    ];
    if options.payload_hash_header {
        out.push((X_AMZ_CONTENT_SHA256.to_owned(), payload_hash));
    }
    if let Some(token) = token {
        out.push((X_AMZ_SECURITY_TOKEN.to_owned(), token.to_owned()));
    }
    Ok(out)
}

/// A canonical request's first three lines: the method, the path (encoded once more) and the
/// canonical query; the headers follow.
pub(super) fn request_head(method: &str, path: &str, query: Option<&str>) -> String {
    let mut creq = String::with_capacity(512);
    creq.push_str(method);
    creq.push('\n');
    creq.extend(utf8_percent_encode(path, PATH));
    creq.push('\n');
    creq.push_str(&canonical_query(query));
    creq.push('\n');
    creq
}

/// The credential scope: `<date>/<region>/<service>/aws4_request`.
pub(super) fn scope(date_time: &str, region: &str, service: &str) -> String {
    let date = date_time.get(..8).unwrap_or("");
    format!("{date}/{region}/{service}/aws4_request")
}

/// The signature (hex) of the canonical request `creq` made at `date_time` (`secs` since
/// 1970) under `scope`.
pub(super) fn signature(
    creq: &str,
    date_time: &str,
    scope: &str,
    secs: u64,
    region: &str,
    service: &str,
    secret_access_key: &str,
) -> String {
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{date_time}\n{scope}\n{}",
        sha256_hex(creq.as_bytes())
    );
    let key = v4::generate_signing_key(secret_access_key, time_at(secs), region, service);
    v4::calculate_signature(key, string_to_sign.as_bytes())
}

/// The signing key's date is the day of `secs` (aws-sigv4 formats it from a `SystemTime`).
pub(super) fn time_at(secs: u64) -> SystemTime {
    UNIX_EPOCH + std::time::Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn kelvin_sign_is_the_only_non_ascii_character_that_lowercases_to_ascii() {
        let to_ascii: Vec<char> = (0x80..=0x10FFFF_u32)
            .filter_map(char::from_u32)
            .filter(|c| c.to_lowercase().all(|l| l.is_ascii()))
            .collect();
        assert_eq!(to_ascii, ['\u{212A}']);
        assert_eq!(
            header_name("Content-\u{212A}ind").as_deref(),
            Some("content-kind")
        );
        assert_eq!(header_name("İ"), None);
        assert_eq!(header_name(""), None);
    }

    #[test]
    fn dates_across_the_range() {
        assert_eq!(amz_date(0), "19700101T000000Z");
        assert_eq!(amz_date(951_782_400), "20000229T000000Z");
        assert_eq!(amz_date(1_736_942_400), "20250115T120000Z");
        assert_eq!(amz_date(253_402_300_799), "99991231T235959Z");
    }

    #[test]
    fn urls_read_as_http_uri_reads_them() {
        let p = parse_url("HTTPS://Host.Example:443/a%3Ab/c?x=1#frag").unwrap();
        assert_eq!(
            (p.host, p.path, p.query),
            ("Host.Example", "/a%3Ab/c", Some("x=1"))
        );
        let p = parse_url("http://[::1]:8080?").unwrap();
        assert_eq!((p.host, p.path, p.query), ("[::1]:8080", "/", Some("")));
        let p = parse_url("https://h:0443#x?y").unwrap();
        assert_eq!((p.host, p.path, p.query), ("h:0443", "/", None));
        for bad in [
            "https://",
            "https:///x",
            "https://h/a b",
            "https://h/a<b",
            "https://h/?a\"b",
            "https://h\u{e9}/",
            "https://h:1:2/",
            "https://[::1/",
            "ftp://h/",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }
}
