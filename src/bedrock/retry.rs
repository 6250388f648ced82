//! When and how long to wait before retrying (the AWS SDKs' standard mode, BEDROCK.md §6.3).
//!
//! Pure: randomness and the clock are arguments, so the schedule is tested natively.

use super::{Error, ErrorKind, ServiceError};

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
        let (retryable, throttling, retry_after) = match error.kind() {
            ErrorKind::Service(e) => (
                is_retryable_service_error(e),
                e.is_throttling(),
                e.retry_after_secs,
            ),
            // "Failed to fetch" and friends: the request may never have left.
            ErrorKind::Network(_) => (true, false, None),
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

/// What the send loop does after a failed attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// The service rejected the signature's time and told us its own: adopt this clock
    /// offset, re-sign and send again at once (once per call).
    Resign { clock_offset_ms: f64 },
    /// Wait this long (abortably), then send again.
    Retry { delay_ms: f64 },
    /// Give up with this error.
    Fail(Error),
}

/// One call's attempts: the whole retry decision (backoff, clock-skew re-signing, attempt and
/// delay bookkeeping), pure so it is tested natively. The transport only sends, sleeps and
/// asks what to do next.
#[derive(Debug, Clone)]
pub struct Attempts {
    policy: RetryPolicy,
    attempt: u32,
    total_delay_ms: f64,
    skew_corrected: bool,
}

impl Attempts {
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            attempt: 1,
            total_delay_ms: 0.0,
            skew_corrected: false,
        }
    }

    /// The attempt under way, counting from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Milliseconds waited between attempts so far.
    pub fn total_delay_ms(&self) -> f64 {
        self.total_delay_ms
    }

    /// An error response. `received_at_ms` is when the server stamped its time (about
    /// half-way through the round trip, by the local clock); `random` is uniform in `[0, 1)`.
    pub fn after_service_error(
        &mut self,
        mut e: ServiceError,
        received_at_ms: f64,
        random: f64,
    ) -> Next {
        e.attempts = self.attempt;
        e.total_retry_delay_ms = self.total_delay_ms as u64;
        if let (Some(server), false) = (e.server_time_ms(), self.skew_corrected) {
            match crate::time::usable_offset(server, received_at_ms) {
                Some(clock_offset_ms) => {
                    self.skew_corrected = true;
                    self.attempt += 1;
                    return Next::Resign { clock_offset_ms };
                }
                None => e.message.push_str(
                    " (the server's time is more than 24 h from this computer's clock, so it was not adopted: one of the two clocks is unusable)",
                ),
            }
        }
        self.after_error(e.into(), random)
    }

    /// Any other failure before the first body byte (network, timeout, abort, …).
    pub fn after_error(&mut self, error: Error, random: f64) -> Next {
        match self.policy.delay_ms(self.attempt, &error, random) {
            Some(delay_ms) => {
                self.total_delay_ms += delay_ms;
                self.attempt += 1;
                Next::Retry { delay_ms }
            }
            None => Next::Fail(error),
        }
    }
}
