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

pub use super::clock::{corrected_offset, parse_http_date};
