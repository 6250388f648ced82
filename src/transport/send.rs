//! The send loop: authorize, send, and on failure ask [`Attempts`] what to do (re-sign with
//! the server's time, back off and retry, or give up). The decisions are pure and live in
//! `bedrock::retry`; this file only does the I/O.

use web_sys::{AbortController, AbortSignal, Response};

use super::body::{read_capped, MAX_ERROR_BODY_BYTES};
use super::fetch::{fetch, header, js_error, sleep};
use super::{Client, ResponseMetadata};
use crate::bedrock::retry::{Attempts, Next};
use crate::bedrock::{Error, HttpRequest, ServiceError};
use crate::sign::signing_time;
use crate::time::{corrected_offset, parse_http_date};

/// A successful response, before its body is read.
pub(super) struct Sent {
    pub response: Response,
    /// Aborts this attempt's request when the caller gave no signal.
    pub controller: AbortController,
    pub metadata: ResponseMetadata,
}

impl Client {
    /// Authorizes and sends `request` until it succeeds or fails for good; an error status
    /// becomes a [`ServiceError`].
    ///
    /// Only failures before the first body byte are retried (so nothing is delivered twice):
    /// throttling, transient 5xx and network errors, with full-jitter backoff. A clock-skew
    /// rejection teaches the client the service's time, read from the error message since
    /// browsers usually cannot read `Date`, and is re-signed and sent once more.
    pub(super) async fn send(
        &self,
        request: HttpRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<Sent, Error> {
        let mut attempts = Attempts::new(self.options.retry);
        loop {
            let controller = AbortController::new().map_err(js_error)?;
            let mut signed = request.clone();
            let sent_at = js_sys::Date::now();
            signed.authorize(
                &self.auth,
                self.endpoint.region(),
                signing_time(sent_at, self.clock_offset_ms.get())?,
                self.options.endpoint_policy,
            )?;
            let timeout = self.options.request_timeout_ms;
            let next = match fetch(&signed, signal, &controller, timeout).await {
                Ok(response) if response.status() < 300 => {
                    self.learn_clock_from_date(&response, sent_at);
                    let metadata = ResponseMetadata {
                        http_status_code: response.status(),
                        request_id: header(&response, "x-amzn-requestid"),
                        attempts: attempts.attempt(),
                        total_retry_delay_ms: attempts.total_delay_ms(),
                    };
                    return Ok(Sent {
                        response,
                        controller,
                        metadata,
                    });
                }
                Ok(response) => {
                    self.learn_clock_from_date(&response, sent_at);
                    let e = self.service_error(&response).await?;
                    // The server stamped its time on receipt, about half-way through the
                    // round trip.
                    let received_at = (sent_at + js_sys::Date::now()) / 2.0;
                    attempts.after_service_error(e, received_at, js_sys::Math::random())
                }
                Err(e) => attempts.after_error(e, js_sys::Math::random()),
            };
            match next {
                Next::Resign { clock_offset_ms } => self.clock_offset_ms.set(clock_offset_ms),
                Next::Retry { delay_ms } => sleep(delay_ms, signal).await?,
                Next::Fail(e) => return Err(e),
            }
        }
    }

    /// An error response read (capped) into a [`ServiceError`].
    async fn service_error(&self, response: &Response) -> Result<ServiceError, Error> {
        let idle = self.options.stream_idle_timeout_ms;
        let body = read_capped(response, MAX_ERROR_BODY_BYTES, idle).await?;
        let mut e = ServiceError::from_response(
            response.status(),
            header(response, "x-amzn-errortype").as_deref(),
            header(response, "x-amzn-requestid").as_deref(),
            &body.bytes,
        );
        if body.cut {
            e.message.push_str(&format!(
                " (the error body was cut after {MAX_ERROR_BODY_BYTES} bytes)"
            ));
        }
        e.retry_after_secs = header(response, "retry-after").and_then(|v| v.trim().parse().ok());
        Ok(e)
    }

    /// Adopts the server's clock from a readable `Date` header when ours is 5+ minutes off.
    fn learn_clock_from_date(&self, response: &Response, sent_at: f64) {
        let Some(server) = header(response, "date")
            .as_deref()
            .and_then(parse_http_date)
        else {
            return;
        };
        let local = (sent_at + js_sys::Date::now()) / 2.0;
        if let Some(offset) = corrected_offset(server, local, self.clock_offset_ms.get()) {
            self.clock_offset_ms.set(offset);
        }
    }
}
