//! When and how long to wait before retrying (the AWS SDKs' standard mode, BEDROCK.md §6.3).
//!
//! Pure: randomness and the clock are arguments, so the schedule is tested natively.

use super::{Error, ServiceError};

/// Attempts including the first, as the AWS SDKs' `maxAttempts` (default 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 3 }
    }
}

/// The longest backoff before jitter, as in the SDKs.
const MAX_BACKOFF_MS: f64 = 20_000.0;
/// Base delay for transient errors and for throttling.
const BASE_MS: f64 = 100.0;
const THROTTLING_BASE_MS: f64 = 500.0;
/// A `Retry-After` hint may stretch the computed delay by at most this much.
const RETRY_AFTER_SLACK_MS: f64 = 5_000.0;

impl RetryPolicy {
    pub fn new(max_attempts: u32) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
        }
    }

    /// The delay before attempt `attempt + 1` (attempts count from 1), or `None` when the
    /// error is final or no attempts are left. `random` is uniform in `[0, 1)`.
    ///
    /// Only errors seen before the first body byte reach here: a stream that has started
    /// delivering is never retried (the caller would see text twice).
    pub fn delay_ms(&self, attempt: u32, error: &Error, random: f64) -> Option<f64> {
        if attempt >= self.max_attempts {
            return None;
        }
        let (retryable, throttling, retry_after) = match error {
            Error::Service(e) => (
                is_retryable_service_error(e),
                e.is_throttling(),
                e.retry_after_secs,
            ),
            // "Failed to fetch" and friends: the request may never have left.
            Error::Network(_) => (true, false, None),
            _ => (false, false, None),
        };
        if !retryable {
            return None;
        }
        let base = if throttling {
            THROTTLING_BASE_MS
        } else {
            BASE_MS
        };
        let ceiling = (base * 2f64.powi(attempt as i32 - 1)).min(MAX_BACKOFF_MS);
        let computed = random.clamp(0.0, 1.0) * ceiling;
        Some(match retry_after {
            Some(secs) => (secs as f64 * 1000.0).clamp(computed, computed + RETRY_AFTER_SLACK_MS),
            None => computed,
        })
    }
}

/// Clock-skew rejections are handled by a re-signed retry of their own, not by backoff.
fn is_retryable_service_error(e: &ServiceError) -> bool {
    e.is_retryable() && !e.is_clock_skew()
}

/// `Date` header (`Tue, 15 Nov 1994 08:12:31 GMT`) → ms since the epoch.
pub fn parse_http_date(s: &str) -> Option<f64> {
    let mut parts = s.split_whitespace();
    let _weekday = parts.next()?;
    let day: i64 = parts.next()?.parse().ok()?;
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
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if parts.next()? != "GMT" || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(super::error::epoch_ms(year, month, day, h, m, sec))
}

/// The offset to adopt from a server time, as the AWS SDKs do: only when the local clock
/// (corrected by the current offset) is 5 minutes or more away from the server's.
pub fn corrected_offset(server_ms: f64, local_ms: f64, current_offset_ms: f64) -> Option<f64> {
    const SKEW_MS: f64 = 300_000.0;
    ((server_ms - (local_ms + current_offset_ms)).abs() >= SKEW_MS).then_some(server_ms - local_ms)
}
