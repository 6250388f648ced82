//! The date formats the emulator reads and writes (SigV4 `x-amz-date`, HTTP `Date`), done with
//! plain calendar arithmetic so the crate needs no date library.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The largest clock skew, either way, the emulator accepts (in seconds): 10^10 s, about 317
/// years, for `--clock-skew-secs`, [`crate::Config::clock_skew_secs`], the `clock-skew=±S`
/// fault, and their sum. Within it every date the emulator writes keeps a four-digit year
/// (SigV4's `YYYYMMDD`, the HTTP `Date`); beyond it `SystemTime` arithmetic can overflow.
pub const MAX_CLOCK_SKEW_SECS: i64 = 10_000_000_000;

/// Seconds since the Unix epoch (negative before 1970), saturating at the `i64` range.
pub fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// Milliseconds since the Unix epoch, saturating at 0 for earlier times.
pub fn unix_millis(t: SystemTime) -> u64 {
    let ms = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis();
    u64::try_from(ms).unwrap_or(u64::MAX)
}

/// The skew total `a + b` if it is within ±[`MAX_CLOCK_SKEW_SECS`].
pub fn add_skew(a: i64, b: i64) -> Option<i64> {
    a.checked_add(b)
        .filter(|s| s.unsigned_abs() <= MAX_CLOCK_SKEW_SECS.unsigned_abs())
}

/// `now` shifted by `skew` seconds; `None` if that is not a representable time.
pub fn shift(now: SystemTime, skew: i64) -> Option<SystemTime> {
    let by = Duration::from_secs(skew.unsigned_abs());
    if skew >= 0 {
        now.checked_add(by)
    } else {
        now.checked_sub(by)
    }
}

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31). Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month, day) → days since 1970-01-01; inverse of [`civil_from_days`].
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `20250115T120000Z`
pub fn format_amz_date(secs: i64) -> String {
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}{mo:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses the SigV4 basic ISO-8601 form `YYYYMMDDTHHMMSSZ`, strictly (that is the only form
/// SigV4 signers produce).
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    // ASCII only, so that the byte ranges below are character boundaries.
    if b.len() != 16 || !s.is_ascii() || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(range)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hour, min, sec) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    // Reject dates like Feb 30 that the arithmetic would silently roll over.
    if civil_from_days(days) != (i64::from(year), month, day) {
        return None;
    }
    Some(days * 86_400 + i64::from(hour * 3600 + min * 60 + sec))
}

/// `2025-01-15T12:00:00Z` (ISO 8601 extended, as STS writes `Expiration`).
pub fn iso_date(secs: i64) -> String {
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `2025-01-15T12:00:00.123Z` (ISO 8601 with milliseconds, as Bedrock writes the async-invoke
/// timestamps) from milliseconds since the Unix epoch.
pub fn iso_date_millis(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let date = iso_date(secs);
    // `iso_date` ends in `Z`; put the milliseconds before it.
    format!(
        "{}.{:03}Z",
        date.strip_suffix('Z').unwrap_or(&date),
        ms.rem_euclid(1000)
    )
}

/// Parses an ISO 8601 date-time as clients send timestamps in a query string:
/// `YYYY-MM-DDTHH:MM:SS`, optional fraction (1–9 digits), then `Z` or `±HH:MM`. Returns
/// milliseconds since the Unix epoch (the fraction is truncated to milliseconds).
pub fn parse_iso_date_millis(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if !s.is_ascii() || b.len() < 20 || b.len() > 40 {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(range)?;
        if !part.is_empty() && part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, min, sec) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    if civil_from_days(days) != (i64::from(year), month, day) {
        return None;
    }
    let mut i = 19;
    let mut millis = 0i64;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let fraction = &s[start..i];
        if fraction.is_empty() || fraction.len() > 9 {
            return None;
        }
        let mut padded = fraction.to_owned();
        padded.push_str("00");
        millis = padded[..3].parse().ok()?;
    }
    let offset_secs = match &s[i..] {
        "Z" | "z" => 0,
        zone if zone.len() == 6
            && matches!(zone.as_bytes()[0], b'+' | b'-')
            && zone.as_bytes()[3] == b':' =>
        {
            let h: i64 = zone[1..3].parse().ok().filter(|h| *h <= 23)?;
            let m: i64 = zone[4..6].parse().ok().filter(|m| *m <= 59)?;
            if !zone[1..3]
                .bytes()
                .chain(zone[4..6].bytes())
                .all(|c| c.is_ascii_digit())
            {
                return None;
            }
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            sign * (h * 3600 + m * 60)
        }
        _ => return None,
    };
    let secs = days * 86_400 + i64::from(hour * 3600 + min * 60 + sec) - offset_secs;
    secs.checked_mul(1000)?.checked_add(millis)
}

/// RFC 9110 IMF-fixdate, e.g. `Wed, 15 Jan 2025 12:00:00 GMT`.
pub fn http_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs.div_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    let rem = secs.rem_euclid(86_400);
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        // In range for every input: rem_euclid(7) is 0..=6, and the month 1..=12.
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[mo as usize - 1],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let t = parse_amz_date("20250115T120000Z").unwrap();
        assert_eq!(t, 1_736_942_400);
        assert_eq!(format_amz_date(t), "20250115T120000Z");
        assert_eq!(http_date(t), "Wed, 15 Jan 2025 12:00:00 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(format_amz_date(951_782_400), "20000229T000000Z");
        for bad in [
            "20250230T000000Z",
            "2025-01-15T12:00:00Z",
            "20250115T120000",
            "20251315T000000Z",
            "202\u{e9}115T120000Z", // 16 bytes, 'T' and 'Z' in place, 'é' across a field
            "2025011\u{e9}T12000Z",
            "",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
        assert_eq!(iso_date(t), "2025-01-15T12:00:00Z");
        assert_eq!(iso_date_millis(t * 1000 + 7), "2025-01-15T12:00:00.007Z");
        assert_eq!(iso_date_millis(946_702_799_999), "2000-01-01T04:59:59.999Z");
        for (text, ms) in [
            ("2000-01-01T04:59:59.999Z", 946_702_799_999),
            ("2000-01-01T04:59:59Z", 946_702_799_000),
            ("2000-01-01T04:59:59.999999Z", 946_702_799_999),
            ("2000-01-01T04:59:59.5Z", 946_702_799_500),
            ("2000-01-01T05:59:59.999+01:00", 946_702_799_999),
        ] {
            assert_eq!(parse_iso_date_millis(text), Some(ms), "{text}");
        }
        for bad in [
            "",
            "2000-01-01",
            "2000-01-01T04:59:59",
            "2000-02-30T00:00:00Z",
            "2000-01-01T04:59:59.Z",
            "2000-01-01T04:59:59.1234567890Z",
            "2000-01-01T04:59:59+1:00",
            "2000-01-01T04:59:59ZZ",
            "20\u{e9}0-01-01T04:59:59Z",
            "1e10-01-01T04:59:59Z",
        ] {
            assert_eq!(parse_iso_date_millis(bad), None, "{bad}");
        }
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        for secs in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX] {
            // Formatting any i64 must not panic (the year just gets long).
            let _ = (http_date(secs), format_amz_date(secs), iso_date(secs));
        }
        let now = SystemTime::now();
        let _ = (shift(now, i64::MAX), shift(now, i64::MIN));
        assert!(unix_secs(shift(now, -600).unwrap()) < unix_secs(now));
        assert_eq!(add_skew(MAX_CLOCK_SKEW_SECS, 0), Some(MAX_CLOCK_SKEW_SECS));
        assert_eq!(
            add_skew(-MAX_CLOCK_SKEW_SECS, 0),
            Some(-MAX_CLOCK_SKEW_SECS)
        );
        assert_eq!(add_skew(MAX_CLOCK_SKEW_SECS, 1), None);
        assert_eq!(add_skew(i64::MAX, 1), None);
        assert_eq!(add_skew(i64::MIN, 0), None);
        let far = unix_secs(now) + MAX_CLOCK_SKEW_SECS;
        assert_eq!(
            format_amz_date(far).len(),
            16,
            "four-digit year for centuries"
        );
    }
}
