//! The retry schedule and clock-offset rules, with randomness and time passed in.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use bedrock_wasm::bedrock::retry::{Attempts, Next, RetryPolicy};
use bedrock_wasm::bedrock::{Error, ServiceError};
use bedrock_wasm::time::{corrected_offset, parse_http_date};

fn service(status: u16, code: &str, message: &str) -> Error {
    let body = serde_json::json!({ "message": message }).to_string();
    Error::from(ServiceError::from_response(
        status,
        Some(code),
        None,
        body.as_bytes(),
    ))
}

#[test]
fn full_jitter_backoff_doubles_from_100_ms_or_500_ms_for_throttling() {
    let policy = RetryPolicy::new(5);
    let transient = service(500, "InternalServerException", "boom");
    let throttled = service(429, "ThrottlingException", "slow down");
    // random = 1 shows the ceiling of each step; random = 0.5 half of it.
    let ceilings: Vec<f64> = (1..5)
        .map(|a| policy.delay_ms(a, &transient, 1.0).unwrap())
        .collect();
    assert_eq!(ceilings, vec![100.0, 200.0, 400.0, 800.0]);
    assert_eq!(policy.delay_ms(1, &throttled, 0.5), Some(250.0));
    assert_eq!(policy.delay_ms(3, &throttled, 1.0), Some(2000.0));
    assert_eq!(
        policy.delay_ms(5, &transient, 1.0),
        None,
        "no attempts left"
    );
    // The cap is 20 s.
    assert_eq!(
        RetryPolicy::new(20).delay_ms(15, &throttled, 1.0),
        Some(20_000.0)
    );
}

#[test]
fn only_transient_failures_are_retried() {
    let policy = RetryPolicy::default();
    for retryable in [
        service(429, "ThrottlingException", "x"),
        service(429, "ModelNotReadyException", "x"),
        service(503, "ServiceUnavailableException", "x"),
        service(502, "", "bad gateway"),
        Error::network("Failed to fetch"),
    ] {
        assert!(policy.delay_ms(1, &retryable, 0.3).is_some(), "{retryable}");
    }
    for fatal in [
        service(400, "ValidationException", "x"),
        service(403, "AccessDeniedException", "x"),
        service(403, "InvalidSignatureException", "The request signature we calculated does not match"),
        // Clock skew has its own re-signed retry, not backoff.
        service(403, "InvalidSignatureException", "Signature expired: 20150411T064107Z is now earlier than 20150411T064135Z (20150411T064635Z - 5 min.)"),
        Error::aborted(),
        Error::input("x"),
    ] {
        assert_eq!(policy.delay_ms(1, &fatal, 0.3), None, "{fatal}");
    }
    assert_eq!(
        RetryPolicy::new(1).delay_ms(1, &service(429, "ThrottlingException", "x"), 0.3),
        None,
        "maxAttempts 1 disables retries"
    );
}

#[test]
fn retry_after_is_honoured_within_five_seconds_of_the_computed_delay() {
    let policy = RetryPolicy::default();
    let with_hint = |secs| {
        let mut e = ServiceError::from_response(429, Some("ThrottlingException"), None, b"{}");
        e.retry_after_secs = Some(secs);
        Error::from(e)
    };
    // Computed 0.5 × 500 = 250 ms; a 2 s hint wins; a 60 s hint is capped at 250 + 5000.
    assert_eq!(policy.delay_ms(1, &with_hint(2), 0.5), Some(2000.0));
    assert_eq!(policy.delay_ms(1, &with_hint(60), 0.5), Some(5250.0));
    assert_eq!(policy.delay_ms(1, &with_hint(0), 0.5), Some(250.0));
}

#[test]
fn http_dates_parse_and_skew_is_adopted_only_past_five_minutes() {
    assert_eq!(
        parse_http_date("Tue, 15 Nov 1994 08:12:31 GMT"),
        Some(784_887_151_000.0)
    );
    assert_eq!(
        parse_http_date("Wed, 15 Jan 2025 12:00:00 GMT"),
        Some(1_736_942_400_000.0)
    );
    assert_eq!(parse_http_date("15 Jan 2025"), None);
    assert_eq!(parse_http_date("Wed, 15 Foo 2025 12:00:00 GMT"), None);
    let server = 1_736_942_400_000.0;
    assert_eq!(corrected_offset(server, server - 299_000.0, 0.0), None);
    assert_eq!(
        corrected_offset(server, server - 301_000.0, 0.0),
        Some(301_000.0)
    );
    assert_eq!(
        corrected_offset(server, server + 600_000.0, 0.0),
        Some(-600_000.0)
    );
    // Already corrected: nothing to learn.
    assert_eq!(
        corrected_offset(server, server - 600_000.0, 600_000.0),
        None
    );
}

fn service_error(status: u16, code: &str, message: &str) -> ServiceError {
    let body = serde_json::json!({ "message": message }).to_string();
    ServiceError::from_response(status, Some(code), None, body.as_bytes())
}

const SKEWED: &str = "Signature expired: 20150411T064107Z is now earlier than 20150411T064135Z (20150411T064635Z - 5 min.)";

#[test]
fn the_send_loop_backs_off_then_gives_up_with_the_counts_on_the_error() {
    let mut attempts = Attempts::new(RetryPolicy::new(3));
    let throttled = || service_error(429, "ThrottlingException", "slow down");
    assert_eq!(
        attempts.after_service_error(throttled(), 0.0, 1.0),
        Next::Retry { delay_ms: 500.0 }
    );
    assert_eq!(
        attempts.after_error(Error::network("reset"), 1.0),
        Next::Retry { delay_ms: 200.0 }
    );
    assert_eq!(attempts.attempt(), 3);
    match attempts.after_service_error(throttled(), 0.0, 1.0) {
        Next::Fail(e) if e.service().is_some() => {
            assert!(e.is_throttling());
            let e = e.service().unwrap();
            assert_eq!((e.attempts, e.total_retry_delay_ms), (3, 700));
        }
        other => panic!("expected the throttling error, got {other:?}"),
    }
}

#[test]
fn the_send_loop_resigns_once_with_the_servers_time_then_backs_off_as_usual() {
    let mut attempts = Attempts::new(RetryPolicy::new(3));
    let server = bedrock_wasm::time::parse_amz_date("20150411T064635Z").unwrap();
    let local = server - 3_600_000.0;
    assert_eq!(
        attempts.after_service_error(
            service_error(403, "InvalidSignatureException", SKEWED),
            local,
            0.5
        ),
        Next::Resign {
            clock_offset_ms: 3_600_000.0
        }
    );
    assert_eq!(attempts.attempt(), 2);
    // A second skew rejection in the same call is final: re-signing again would loop.
    match attempts.after_service_error(
        service_error(403, "InvalidSignatureException", SKEWED),
        local,
        0.5,
    ) {
        Next::Fail(e) if e.is_clock_skew() => assert_eq!(e.service().unwrap().attempts, 2),
        other => panic!("expected the skew error, got {other:?}"),
    }
}

#[test]
fn a_server_time_beyond_a_day_is_not_adopted_and_the_error_says_so() {
    let mut attempts = Attempts::new(RetryPolicy::default());
    let server = bedrock_wasm::time::parse_amz_date("20150411T064635Z").unwrap();
    let far = server - 2.0 * 86_400_000.0;
    match attempts.after_service_error(
        service_error(403, "InvalidSignatureException", SKEWED),
        far,
        0.5,
    ) {
        Next::Fail(e) if e.is_clock_skew() => {
            let e = e.service().unwrap();
            assert!(e.message.contains("not adopted"), "{}", e.message);
        }
        other => panic!("expected the skew error, got {other:?}"),
    }
}
