//! Time, in one place: dates a server sends (`Date` headers, clock-skew messages, credential
//! expirations), the clock offset and whether to adopt it, and epoch milliseconds → `SystemTime`.
//!
//! The clock itself is never read here (`SystemTime::now` panics on wasm32): every "now" is an
//! argument, given by the caller (`Date.now()` in the browser).
//!
//! Every date a server sends is untrusted: it is parsed with bounded fields, so no arithmetic
//! can overflow, and it is adopted only within [`MAX_CLOCK_OFFSET_MS`] of the local clock, so a
//! broken or hostile endpoint cannot push the signing time out of what SigV4 can carry.

/// The largest clock correction adopted from a server: 24 hours. A real clock that is off by
/// more than a day is not worth signing with, and a server claiming such a time is broken;
/// beyond this the original error is reported and the clock is called unusable.
pub const MAX_CLOCK_OFFSET_MS: f64 = 24.0 * 3600.0 * 1000.0;

/// How far the clocks may disagree before SigV4 rejects a signature (and so before an offset
/// is adopted): 5 minutes, as in the AWS SDKs.
pub const SKEW_MS: f64 = 300_000.0;

/// A UTC civil date and time → ms since the epoch (Howard Hinnant's days-from-civil), or
/// `None` when a field is out of range (years 1–9999). With bounded fields nothing overflows.
pub(crate) fn epoch_ms(y: i64, m: i64, d: i64, hh: i64, mm: i64, ss: i64) -> Option<f64> {
    if !(1..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&d)
        || !(0..=23).contains(&hh)
        || !(0..=59).contains(&mm)
        || !(0..=60).contains(&ss)
    {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000) as f64)
}

/// Digits only (no sign, no spaces), at most 18 of them: `str::parse` alone accepts `+5`.
fn number(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `20150411T064635Z` (a SigV4 date) → ms since the epoch.
pub fn parse_amz_date(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| number(s.get(r)?);
    epoch_ms(
        n(0..4)?,
        n(4..6)?,
        n(6..8)?,
        n(9..11)?,
        n(11..13)?,
        n(13..15)?,
    )
}

/// `Date` header (`Tue, 15 Nov 1994 08:12:31 GMT`) → ms since the epoch.
pub fn parse_http_date(s: &str) -> Option<f64> {
    let mut parts = s.split_whitespace();
    let _weekday = parts.next()?;
    let day = number(parts.next()?)?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year = number(parts.next()?)?;
    let mut hms = parts.next()?.split(':').map(number);
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    epoch_ms(year, month, day, h, m, sec)
}

/// `2025-01-15T13:00:00Z` (fractional seconds allowed) → ms since the epoch.
pub fn parse_iso8601(s: &str) -> Option<f64> {
    let s = s.trim().strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-').map(number);
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':');
    let (hh, mm) = (number(t.next()?)?, number(t.next()?)?);
    // Seconds read as integers: parsing a float would link core's float parser (~10 KB).
    let sec = t.next()?;
    if d.next().is_some() || t.next().is_some() {
        return None;
    }
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = number(whole)?;
    if whole > 60 {
        return None;
    }
    let ms = frac
        .bytes()
        .chain(*b"000")
        .take(3)
        .fold(0, |a, b| a * 10 + i64::from(b - b'0'));
    Some(epoch_ms(y, m, day, hh, mm, 0)? + (whole * 1000 + ms) as f64)
}

/// The offset to adopt from a server time, as the AWS SDKs do: only when the local clock
/// (corrected by the current offset) is 5 minutes or more away from the server's, and never
/// when the two are more than [`MAX_CLOCK_OFFSET_MS`] apart (see [`usable_offset`]).
pub fn corrected_offset(server_ms: f64, local_ms: f64, current_offset_ms: f64) -> Option<f64> {
    let offset = usable_offset(server_ms, local_ms)?;
    ((server_ms - (local_ms + current_offset_ms)).abs() >= SKEW_MS).then_some(offset)
}

/// `server_ms - local_ms` when it is a finite offset within [`MAX_CLOCK_OFFSET_MS`]; `None`
/// for a server time that is not usable.
pub fn usable_offset(server_ms: f64, local_ms: f64) -> Option<f64> {
    let offset = server_ms - local_ms;
    (offset.is_finite() && offset.abs() <= MAX_CLOCK_OFFSET_MS).then_some(offset)
}

/// A clock offset a caller gives (ms): finite and within [`MAX_CLOCK_OFFSET_MS`].
pub fn check_offset(offset_ms: f64) -> Result<f64, String> {
    if offset_ms.is_finite() && offset_ms.abs() <= MAX_CLOCK_OFFSET_MS {
        Ok(offset_ms)
    } else {
        Err(format!(
            "clockOffset must be a number of milliseconds within ±24 h (86400000), got {offset_ms}"
        ))
    }
}

/// 9999-12-31T23:59:59Z: the last instant a SigV4 date (`YYYYMMDD'T'HHMMSS'Z'`) can name, and
/// so the last one `aws-sigv4` can format without overflowing.
pub const MAX_SIGNING_EPOCH_MS: f64 = 253_402_300_799_000.0;

/// Milliseconds since the Unix epoch (what `Date.now()` returns) → `SystemTime`, or `None` for
/// what SigV4 cannot carry: not a finite number, before 1970 or after the year 9999.
pub fn system_time(epoch_ms: f64) -> Option<std::time::SystemTime> {
    (0.0..=MAX_SIGNING_EPOCH_MS)
        .contains(&epoch_ms)
        .then(|| std::time::UNIX_EPOCH + std::time::Duration::from_millis(epoch_ms as u64))
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn dates_out_of_range_are_refused_without_overflow() {
        assert_eq!(
            parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(253_402_300_799_000.0)
        );
        for bad in [
            "Sat, 01 Jan 10000 00:00:00 GMT",
            "Sat, 01 Jan 999999999999999999 00:00:00 GMT",
            "Sat, 01 Jan 0 00:00:00 GMT",
            "Sat, +1 Jan 2025 00:00:00 GMT",
            "Sat, 01 Jan 2025 00:00:00:00 GMT",
            "Sat, 01 Jan 2025 99:00:00 GMT",
            "Sat, 01 Jan 2025 00:00:00 GMT extra",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
        assert_eq!(parse_amz_date("99999999T000000Z"), None);
        assert_eq!(parse_amz_date("2025011+T000000Z"), None);
        assert_eq!(parse_iso8601("2025-01-15T13:00:99999999999999999Z"), None);
        assert_eq!(parse_iso8601("99999-01-15T13:00:00Z"), None);
        assert_eq!(
            parse_iso8601("2025-01-15T13:00:00.5Z"),
            Some(1_736_946_000_500.0)
        );
    }

    #[test]
    fn offsets_beyond_a_day_are_not_adopted() {
        let local = 1_736_942_400_000.0;
        assert_eq!(
            corrected_offset(local + 600_000.0, local, 0.0),
            Some(600_000.0)
        );
        assert_eq!(
            corrected_offset(local + MAX_CLOCK_OFFSET_MS + 1.0, local, 0.0),
            None
        );
        assert_eq!(
            corrected_offset(local - MAX_CLOCK_OFFSET_MS - 1.0, local, 0.0),
            None
        );
        assert_eq!(corrected_offset(253_402_300_799_000.0, local, 0.0), None);
        assert_eq!(corrected_offset(f64::NAN, local, 0.0), None);
        assert!(check_offset(MAX_CLOCK_OFFSET_MS).is_ok());
        for bad in [f64::NAN, f64::INFINITY, -MAX_CLOCK_OFFSET_MS - 1.0, 1e300] {
            assert!(check_offset(bad).is_err(), "{bad}");
        }
    }
}
