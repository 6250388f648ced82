//! The only code that touches the browser: `fetch`, the response's `ReadableStream`,
//! `AbortSignal` and timers. `fetch` and `setTimeout` are bound as globals, so the same code
//! runs in pages, workers and Node.
//!
//! What it adds to a bare `fetch`: retries before the first body byte (full-jitter backoff,
//! `Retry-After`, abortable sleeps), clock-skew correction with one re-signed retry, an idle
//! watchdog on streams, and cancellation that closes the connection.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, ReadableStreamDefaultReader, Response};

use crate::bedrock::clock::{corrected_offset, parse_http_date, usable_offset};
use crate::bedrock::cognito::{self, CognitoConfig, TemporaryCredentials};
use crate::bedrock::converse::ConverseResponse;
use crate::bedrock::retry::RetryPolicy;
use crate::bedrock::{
    ConverseInput, Endpoint, Error, HttpRequest, InvokeModelInput, Operation,
    ResponseStreamDecoder, ServiceError, StreamEvent,
};
use crate::sign::{signing_time, Auth, Credentials, EndpointPolicy};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(input: &str, init: &web_sys::RequestInit) -> Promise;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &JsValue, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout_with_arg(callback: &JsValue, ms: f64, arg: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
    /// `AbortSignal.any` (Node ≥ 20.3, every current browser); undefined where missing.
    #[wasm_bindgen(thread_local_v2, js_namespace = AbortSignal, js_name = any)]
    static ABORT_SIGNAL_ANY: JsValue;
}

/// The largest error body read (1 MiB, far above any real Bedrock error); the rest is
/// cancelled unread and the error says the body was cut.
pub const MAX_ERROR_BODY_BYTES: usize = 1 << 20;

/// The largest successful non-streaming body read (InvokeModel, Converse, Cognito): 64 MiB,
/// room for several generated images in base64. A larger body fails with a clear error
/// instead of exhausting memory.
pub const MAX_RESPONSE_BODY_BYTES: usize = 64 << 20;

/// What every response carries, in the AWS SDK's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseMetadata {
    pub http_status_code: u16,
    /// `x-amzn-RequestId`, when CORS lets the page read it.
    pub request_id: Option<String>,
    /// Attempts made, the successful one included.
    pub attempts: u32,
    /// Milliseconds spent waiting between attempts.
    pub total_retry_delay_ms: f64,
}

#[derive(Debug, Clone)]
pub struct InvokeModelOutput {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub metadata: ResponseMetadata,
    response: Response,
}

impl InvokeModelOutput {
    /// A response header, when CORS lets the page read it (e.g.
    /// `x-amzn-bedrock-input-token-count`).
    pub fn header(&self, name: &str) -> Option<String> {
        header(&self.response, name)
    }
}

/// The non-streaming Converse result.
#[derive(Debug, Clone)]
pub struct ConverseOutput {
    pub response: ConverseResponse,
    pub metadata: ResponseMetadata,
}

/// Client settings beyond where and who.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClientOptions {
    pub retry: RetryPolicy,
    /// A stream that completes no event for this long is stopped; 0 disables the watchdog.
    /// Bytes that do not complete an event do not count, so a trickle cannot keep a dead
    /// stream alive.
    pub stream_idle_timeout_ms: u32,
    /// The longest wait for the response headers of one attempt (the AWS SDK's
    /// `requestHandler.requestTimeout`); 0 (the default) waits as long as the server takes,
    /// since InvokeModel answers only when generation is done.
    pub request_timeout_ms: u32,
    /// Whether credentials may go over plain `http` to hosts that are not loopback.
    pub endpoint_policy: EndpointPolicy,
    /// Event-stream frame caps (default: the Smithy spec's, headers 128 KiB, payload 24 MiB,
    /// 1,024 headers).
    pub event_stream_limits: crate::eventstream::Limits,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            stream_idle_timeout_ms: 60_000,
            request_timeout_ms: 0,
            endpoint_policy: EndpointPolicy::default(),
            event_stream_limits: crate::eventstream::Limits::DEFAULT,
        }
    }
}

/// A Bedrock Runtime client: where to send, and how to authorize.
///
/// Clones share the learned clock offset.
#[derive(Debug, Clone)]
pub struct Client {
    endpoint: Endpoint,
    auth: Auth,
    options: ClientOptions,
    /// Added to `Date.now()` when signing; learned from `Date` headers or clock-skew errors.
    clock_offset_ms: Rc<Cell<f64>>,
}

impl Client {
    pub fn new(endpoint: Endpoint, credentials: Credentials) -> Self {
        Self::with_auth(endpoint, Auth::SigV4(credentials))
    }

    pub fn with_auth(endpoint: Endpoint, auth: Auth) -> Self {
        Self {
            endpoint,
            auth,
            options: ClientOptions::default(),
            clock_offset_ms: Rc::new(Cell::new(0.0)),
        }
    }

    pub fn with_options(mut self, options: ClientOptions) -> Self {
        self.options = options;
        self
    }

    /// Replaces the authorization (e.g. refreshed credentials); keeps the clock offset.
    pub fn set_auth(&mut self, auth: Auth) {
        self.auth = auth;
    }

    /// How far the local clock is behind the service's, as learned so far (ms).
    pub fn clock_offset_ms(&self) -> f64 {
        self.clock_offset_ms.get()
    }

    /// Sets the offset (e.g. one kept from an earlier session with the same endpoint). An
    /// offset that is not a finite number within ±24 h is refused.
    pub fn set_clock_offset_ms(&self, offset: f64) -> Result<(), Error> {
        let offset = crate::bedrock::clock::check_offset(offset).map_err(Error::InvalidInput)?;
        self.clock_offset_ms.set(offset);
        Ok(())
    }

    /// InvokeModel: the whole answer at once.
    pub async fn invoke_model(
        &self,
        input: &InvokeModelInput,
        signal: Option<&AbortSignal>,
    ) -> Result<InvokeModelOutput, Error> {
        let request = HttpRequest::invoke(&self.endpoint, Operation::InvokeModel, input)?;
        self.call(request, signal).await
    }

    /// InvokeModelWithResponseStream: events as their last byte arrives.
    ///
    /// Dropping the returned stream (or calling [`ResponseStream::cancel`]) cancels the HTTP
    /// body, which closes the connection and stops generation, and so billing.
    pub async fn invoke_model_with_response_stream(
        &self,
        input: &InvokeModelInput,
        signal: Option<&AbortSignal>,
    ) -> Result<ResponseStream, Error> {
        let request = HttpRequest::invoke(
            &self.endpoint,
            Operation::InvokeModelWithResponseStream,
            input,
        )?;
        self.stream(request, signal).await
    }

    /// Converse: one answer in the unified message format.
    pub async fn converse(
        &self,
        input: &ConverseInput,
        signal: Option<&AbortSignal>,
    ) -> Result<ConverseOutput, Error> {
        let request = HttpRequest::converse(&self.endpoint, false, input)?;
        let out = self.call(request, signal).await?;
        let response = serde_json::from_slice(&out.body)
            .map_err(|e| Error::InvalidResponse(format!("Converse response: {e}")))?;
        Ok(ConverseOutput {
            response,
            metadata: out.metadata,
        })
    }

    /// ConverseStream: Converse events as they arrive (cancellation as for
    /// [`Client::invoke_model_with_response_stream`]).
    pub async fn converse_stream(
        &self,
        input: &ConverseInput,
        signal: Option<&AbortSignal>,
    ) -> Result<ResponseStream, Error> {
        let request = HttpRequest::converse(&self.endpoint, true, input)?;
        self.stream(request, signal).await
    }

    /// Sends a prepared non-streaming request (e.g. [`HttpRequest::converse_json`]) with the
    /// same retries and clock-skew handling, and reads the whole answer.
    pub async fn call(
        &self,
        request: HttpRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<InvokeModelOutput, Error> {
        let sent = self.send(request, signal).await?;
        let body = read_body(
            &sent.response,
            signal,
            MAX_RESPONSE_BODY_BYTES,
            self.options.stream_idle_timeout_ms,
        )
        .await?;
        check_ok_body(&body, &sent.metadata)?;
        Ok(InvokeModelOutput {
            body,
            content_type: header(&sent.response, "content-type"),
            metadata: sent.metadata,
            response: sent.response,
        })
    }

    /// Sends a prepared streaming request (cancellation as for
    /// [`Client::invoke_model_with_response_stream`]).
    pub async fn call_stream(
        &self,
        request: HttpRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<ResponseStream, Error> {
        self.stream(request, signal).await
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    async fn stream(
        &self,
        request: HttpRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<ResponseStream, Error> {
        let sent = self.send(request, signal).await?;
        // Check the Content-Type before frame-decoding, so a JSON body is reported as the
        // error it is, not as a checksum mismatch.
        let content_type = header(&sent.response, "content-type").unwrap_or_default();
        if !content_type.starts_with("application/vnd.amazon.eventstream") {
            let idle = self.options.stream_idle_timeout_ms;
            let body = read_capped(&sent.response, MAX_ERROR_BODY_BYTES, idle)
                .await?
                .bytes;
            check_ok_body(&body, &sent.metadata)?;
            return Err(Error::InvalidResponse(format!(
                "expected an event stream, got Content-Type {content_type:?}"
            )));
        }
        let body = sent
            .response
            .body()
            .ok_or_else(|| Error::InvalidResponse("the streaming response has no body".into()))?;
        let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        Ok(ResponseStream {
            reader: Some(reader),
            decoder: ResponseStreamDecoder::with_frame_decoder(
                crate::eventstream::Decoder::with_limits(self.options.event_stream_limits),
            ),
            controller: sent.controller,
            signal: signal.cloned(),
            idle_timeout_ms: self.options.stream_idle_timeout_ms,
            last_event_ms: js_sys::Date::now(),
            event_since_read: false,
            finished: false,
            model_content_type: header(&sent.response, "x-amzn-bedrock-content-type"),
            metadata: sent.metadata,
            scratch: Vec::new(),
        })
    }

    /// Authorizes and sends `request` until it succeeds or fails for good; an error status
    /// becomes a [`ServiceError`].
    ///
    /// Only failures before the first body byte are retried (so nothing is delivered twice):
    /// throttling, transient 5xx and network errors, with full-jitter backoff. A clock-skew
    /// rejection teaches the client the service's time, read from the error message since
    /// browsers usually cannot read `Date`, and is re-signed and sent once more.
    async fn send(
        &self,
        request: HttpRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<Sent, Error> {
        let mut attempt = 1;
        let mut total_delay = 0.0;
        let mut skew_corrected = false;
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
            let error = match fetch(&signed, signal, &controller, timeout).await {
                Ok(response) => {
                    self.learn_clock_from_date(&response, sent_at);
                    if response.status() < 300 {
                        let metadata = ResponseMetadata {
                            http_status_code: response.status(),
                            request_id: header(&response, "x-amzn-requestid"),
                            attempts: attempt,
                            total_retry_delay_ms: total_delay,
                        };
                        return Ok(Sent {
                            response,
                            controller,
                            metadata,
                        });
                    }
                    let idle = self.options.stream_idle_timeout_ms;
                    let body = read_capped(&response, MAX_ERROR_BODY_BYTES, idle).await?;
                    let mut e = ServiceError::from_response(
                        response.status(),
                        header(&response, "x-amzn-errortype").as_deref(),
                        header(&response, "x-amzn-requestid").as_deref(),
                        &body.bytes,
                    );
                    if body.cut {
                        e.message.push_str(&format!(
                            " (the error body was cut after {MAX_ERROR_BODY_BYTES} bytes)"
                        ));
                    }
                    e.retry_after_secs =
                        header(&response, "retry-after").and_then(|v| v.trim().parse().ok());
                    e.attempts = attempt;
                    e.total_retry_delay_ms = total_delay as u64;
                    // The server stamped its time on receipt, about half-way through the
                    // round trip.
                    let received_at = (sent_at + js_sys::Date::now()) / 2.0;
                    match e.server_time_ms() {
                        Some(server) if !skew_corrected => {
                            match usable_offset(server, received_at) {
                                Some(offset) => {
                                    self.clock_offset_ms.set(offset);
                                    skew_corrected = true;
                                    attempt += 1;
                                    continue;
                                }
                                None => {
                                    e.message.push_str(
                                        " (the server's time is more than 24 h from this computer's clock, so it was not adopted: one of the two clocks is unusable)",
                                    );
                                    e.into()
                                }
                            }
                        }
                        _ => e.into(),
                    }
                }
                Err(e) => e,
            };
            match self
                .options
                .retry
                .delay_ms(attempt, &error, js_sys::Math::random())
            {
                Some(delay) => {
                    sleep(delay, signal).await?;
                    total_delay += delay;
                    attempt += 1;
                }
                None => return Err(error),
            }
        }
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

/// Temporary credentials from a Cognito identity pool: unsigned `GetId` (unless the identity
/// id is known) then `GetCredentialsForIdentity`, or in the classic flow `GetOpenIdToken` and
/// STS `AssumeRoleWithWebIdentity`.
pub async fn cognito_credentials(
    config: &CognitoConfig,
    signal: Option<&AbortSignal>,
) -> Result<TemporaryCredentials, Error> {
    let identity_id = match &config.identity_id {
        Some(id) => id.clone(),
        None => {
            let (status, body) = send_unsigned(&config.get_id()?, signal).await?;
            cognito::parse_get_id(status, &body)?
        }
    };
    if config.classic_flow {
        let (status, body) =
            send_unsigned(&config.get_open_id_token(&identity_id)?, signal).await?;
        let token = cognito::parse_open_id_token(status, &body)?;
        let (status, body) =
            send_unsigned(&config.assume_role_with_web_identity(&token)?, signal).await?;
        cognito::parse_assume_role_with_web_identity(status, &body, &identity_id)
    } else {
        let request = config.get_credentials_for_identity(&identity_id)?;
        let (status, body) = send_unsigned(&request, signal).await?;
        cognito::parse_credentials_for_identity(status, &body, &identity_id)
    }
}

/// Cognito and STS bodies that send nothing for this long fail (they answer in well under a
/// second).
const UNSIGNED_IDLE_MS: u32 = 60_000;

/// One unsigned request: its status and whole body.
async fn send_unsigned(
    request: &HttpRequest,
    signal: Option<&AbortSignal>,
) -> Result<(u16, Vec<u8>), Error> {
    let controller = AbortController::new().map_err(js_error)?;
    crate::sign::check_endpoint(&request.url, EndpointPolicy::SecureOrLoopback)?;
    let response = fetch(request, signal, &controller, 0).await?;
    let cap = if response.status() < 300 {
        MAX_RESPONSE_BODY_BYTES
    } else {
        MAX_ERROR_BODY_BYTES
    };
    let body = read_capped(&response, cap, UNSIGNED_IDLE_MS).await?.bytes;
    Ok((response.status(), body))
}

/// A successful response, before its body is read.
struct Sent {
    response: Response,
    /// Aborts this attempt's request when the caller gave no signal.
    controller: AbortController,
    metadata: ResponseMetadata,
}

fn check_ok_body(body: &[u8], metadata: &ResponseMetadata) -> Result<(), Error> {
    match ServiceError::from_ok_body(body, metadata.request_id.as_deref()) {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Sends one request. A redirect is never followed (the signature is for this URL only, and
/// following would send the body elsewhere): it is an [`Error::Redirect`]. With `timeout_ms`
/// > 0, headers that take longer abort the request with [`Error::RequestTimeout`].
async fn fetch(
    request: &HttpRequest,
    signal: Option<&AbortSignal>,
    controller: &AbortController,
    timeout_ms: u32,
) -> Result<Response, Error> {
    if signal.is_some_and(AbortSignal::aborted) {
        return Err(Error::Aborted);
    }
    let headers = web_sys::Headers::new().map_err(js_error)?;
    for (name, value) in &request.headers {
        headers.set(name, value).map_err(js_error)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(request.method);
    init.set_headers(&headers);
    init.set_body(&Uint8Array::from(request.body.as_slice()));
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    // Our controller always aborts the request (a dropped stream, the request timeout); the
    // caller's signal too, through `AbortSignal.any` where it exists.
    let own = controller.signal();
    let combined = signal.and_then(|s| any_signal(s, &own));
    init.set_signal(Some(combined.as_ref().or(signal).unwrap_or(&own)));
    let pending = global_fetch(&request.url, &init);
    let (result, timed_out) = if timeout_ms == 0 {
        (JsFuture::from(pending).await, false)
    } else {
        let (race, timer, marker) = race_timer(pending, timeout_ms as f64);
        let result = JsFuture::from(race).await;
        clear_timeout(&timer);
        match result {
            Ok(v) if js_sys::Object::is(&v, &marker) => (Ok(v), true),
            other => (other, false),
        }
    };
    if timed_out {
        controller.abort();
        return Err(Error::RequestTimeout { ms: timeout_ms });
    }
    let response: Response = result
        .map_err(|e| fetch_error(e, signal))?
        .dyn_into()
        .map_err(|_| Error::InvalidResponse("fetch did not return a Response".into()))?;
    // `manual`: browsers give an opaque redirect (status 0), Node the 3xx itself.
    let status = response.status();
    if response.type_() == web_sys::ResponseType::Opaqueredirect || (300..400).contains(&status) {
        controller.abort();
        return Err(Error::Redirect {
            status,
            location: header(&response, "location"),
        });
    }
    Ok(response)
}

/// `AbortSignal.any([a, b])`, or `None` where the runtime lacks it.
fn any_signal(a: &AbortSignal, b: &AbortSignal) -> Option<AbortSignal> {
    let any = ABORT_SIGNAL_ANY.with(JsValue::clone);
    let any: &js_sys::Function = any.dyn_ref()?;
    let this: JsValue = Reflect::get(&js_sys::global(), &"AbortSignal".into()).ok()?;
    any.call1(&this, &js_sys::Array::of2(a, b))
        .ok()?
        .dyn_into()
        .ok()
}

/// `promise` raced against a timer of `ms`: the race, the timer id and the unique marker
/// the timer resolves with. No Rust closure is made, so a cleared timer leaks nothing.
fn race_timer(promise: Promise, ms: f64) -> (Promise, JsValue, JsValue) {
    let marker: JsValue = js_sys::Object::new().into();
    let mut timer = JsValue::UNDEFINED;
    let timeout = Promise::new(&mut |resolve, _| {
        timer = set_timeout_with_arg(&resolve, ms.max(0.0), &marker);
    });
    let race = Promise::race(&js_sys::Array::of2(&promise, &timeout));
    (race, timer, marker)
}

/// Waits `ms`, or fails with [`Error::Aborted`] as soon as `signal` fires.
async fn sleep(ms: f64, signal: Option<&AbortSignal>) -> Result<(), Error> {
    if signal.is_some_and(AbortSignal::aborted) {
        return Err(Error::Aborted);
    }
    let timer = Rc::new(Cell::new(JsValue::UNDEFINED));
    let promise = Promise::new(&mut |resolve, reject| {
        timer.set(set_timeout(&resolve, ms));
        if let Some(signal) = signal {
            // `{ once: true }` semantics are not needed: the listener only rejects a promise
            // that has usually settled already.
            let _ = signal.add_event_listener_with_callback("abort", &reject);
        }
    });
    let result = JsFuture::from(promise).await;
    clear_timeout(&timer.take());
    result.map(|_| ()).map_err(|_| Error::Aborted)
}

/// A streaming response: call [`next`](Self::next) until it returns `None`.
pub struct ResponseStream {
    reader: Option<ReadableStreamDefaultReader>,
    decoder: ResponseStreamDecoder,
    controller: AbortController,
    signal: Option<AbortSignal>,
    idle_timeout_ms: u32,
    /// When the last event was completed (or the stream opened): the idle watchdog's start.
    last_event_ms: f64,
    /// An event was completed since the last read; the next read restarts the watchdog (one
    /// clock reading per read, not per event).
    event_since_read: bool,
    /// The stream ended or failed; an error is reported once, then `next` gives `None`.
    finished: bool,
    model_content_type: Option<String>,
    metadata: ResponseMetadata,
    /// Each read's bytes, copied out of JS memory (reused, so a read allocates nothing).
    scratch: Vec<u8>,
}

impl ResponseStream {
    pub fn metadata(&self) -> &ResponseMetadata {
        &self.metadata
    }

    /// `X-Amzn-Bedrock-Content-Type`: the MIME type of each chunk's bytes.
    pub fn model_content_type(&self) -> Option<&str> {
        self.model_content_type.as_deref()
    }

    /// Keeps a copy of the first `limit` decoded frames (headers and raw payload), for
    /// inspectors; call before [`next`](Self::next). Off unless called.
    pub fn record_frames(&mut self, limit: usize) {
        self.decoder.record_frames(limit);
    }

    /// Only the typed events will be used (text extraction): see
    /// [`ResponseStreamDecoder::meaning_only`].
    pub fn meaning_only(&mut self) {
        self.decoder.meaning_only();
    }

    /// The frames kept since [`record_frames`](Self::record_frames), in arrival order.
    pub fn recorded_frames(&self) -> &[crate::eventstream::Message] {
        self.decoder.recorded_frames()
    }

    /// The next event; `None` once the stream has ended or failed (an error is reported
    /// once). Each event is returned as soon as its frame's last byte has been read.
    pub async fn next(&mut self) -> Option<Result<StreamEvent, Error>> {
        loop {
            if let Some(item) = self.next_ready() {
                return Some(item);
            }
            if self.finished {
                return None;
            }
            let pending = self.reader.as_ref()?.read();
            let result = match self.read(pending).await {
                Ok(Some(r)) => r,
                Ok(None) => {
                    return self.fail(Error::StreamIdleTimeout {
                        idle_ms: self.idle_timeout_ms,
                    })
                }
                Err(e) => {
                    let err = fetch_error(e, self.signal.as_ref());
                    return self.fail(err);
                }
            };
            // The typed getters: no property-name string is made per read.
            let result: web_sys::ReadableStreamReadResult = result.unchecked_into();
            if result.get_done() == Some(true) {
                self.reader = None;
                self.finished = true;
                return self.decoder.finish().err().map(Err);
            }
            match result.get_value().dyn_into::<Uint8Array>() {
                Ok(bytes) => {
                    // One copy out of JS memory, into a buffer reused across reads.
                    self.scratch.resize(bytes.length() as usize, 0);
                    bytes.copy_to(&mut self.scratch);
                    self.decoder.push(&self.scratch);
                }
                Err(_) => {
                    return self.fail(Error::InvalidResponse(
                        "the body yielded a non-byte chunk".into(),
                    ))
                }
            }
        }
    }

    /// An event already decoded from bytes in hand, without reading more: lets a caller
    /// take every event of one network read in one go.
    pub fn next_ready(&mut self) -> Option<Result<StreamEvent, Error>> {
        if self.finished {
            return None;
        }
        match self.decoder.next_event() {
            Ok(Some(event)) => {
                self.event_since_read = true;
                Some(Ok(event))
            }
            Ok(None) => None,
            Err(e) => self.fail(e),
        }
    }

    /// Ends the stream with `e`, reported once.
    fn fail(&mut self, e: Error) -> Option<Result<StreamEvent, Error>> {
        self.finished = true;
        self.cancel();
        Some(Err(e))
    }

    /// Awaits one read, racing it against the idle watchdog: `Ok(None)` when it fired. The
    /// watchdog counts from the last completed event, not from the last byte.
    async fn read(&mut self, read: Promise) -> Result<Option<JsValue>, JsValue> {
        if self.idle_timeout_ms == 0 {
            return JsFuture::from(read).await.map(Some);
        }
        let now = js_sys::Date::now();
        if std::mem::take(&mut self.event_since_read) {
            self.last_event_ms = now;
        }
        let left = self.last_event_ms + self.idle_timeout_ms as f64 - now;
        if left <= 0.0 {
            return Ok(None);
        }
        let (race, timer, marker) = race_timer(read, left);
        let result = JsFuture::from(race).await;
        clear_timeout(&timer);
        let value = result?;
        Ok((!js_sys::Object::is(&value, &marker)).then_some(value))
    }

    /// Stops the stream: cancels the body and aborts the request, which closes the
    /// connection so the model stops generating.
    pub fn cancel(&mut self) {
        self.finished = true;
        if let Some(reader) = self.reader.take() {
            // Cancelling is fire-and-forget, but its promise rejects once the request is
            // aborted: await it so the rejection is handled, not reported as uncaught.
            let cancelled = JsFuture::from(reader.cancel());
            wasm_bindgen_futures::spawn_local(async move {
                let _ = cancelled.await;
            });
        }
        self.controller.abort();
    }
}

impl Drop for ResponseStream {
    fn drop(&mut self) {
        self.cancel();
    }
}

fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).ok().flatten()
}

/// A body read up to a cap.
struct Capped {
    bytes: Vec<u8>,
    /// The body was longer than the cap; the rest was cancelled unread.
    cut: bool,
}

/// Reads `response`'s body chunk by chunk, at most `cap` bytes; the rest is cancelled, so a
/// huge body never reaches memory. A body that sends nothing for `idle_ms` (0: no limit) is
/// cancelled with [`Error::StreamIdleTimeout`], so a stalled body cannot hang the call.
async fn read_capped(response: &Response, cap: usize, idle_ms: u32) -> Result<Capped, Error> {
    let mut out = Capped {
        bytes: Vec::new(),
        cut: false,
    };
    let Some(body) = response.body() else {
        return Ok(out);
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let cancel = |reader: &ReadableStreamDefaultReader| {
        let cancelled = JsFuture::from(reader.cancel());
        wasm_bindgen_futures::spawn_local(async move {
            let _ = cancelled.await;
        });
    };
    loop {
        let read = if idle_ms == 0 {
            JsFuture::from(reader.read()).await.map(Some)
        } else {
            let (race, timer, marker) = race_timer(reader.read(), idle_ms as f64);
            let result = JsFuture::from(race).await;
            clear_timeout(&timer);
            result.map(|v| (!js_sys::Object::is(&v, &marker)).then_some(v))
        };
        let result = match read {
            Ok(Some(r)) => r,
            Ok(None) => {
                cancel(&reader);
                return Err(Error::StreamIdleTimeout { idle_ms });
            }
            Err(e) => return Err(fetch_error(e, None)),
        };
        let result: web_sys::ReadableStreamReadResult = result.unchecked_into();
        if result.get_done() == Some(true) {
            return Ok(out);
        }
        let Ok(chunk) = result.get_value().dyn_into::<Uint8Array>() else {
            let _ = reader.cancel();
            return Err(Error::InvalidResponse(
                "the body yielded a non-byte chunk".into(),
            ));
        };
        let room = cap - out.bytes.len();
        let len = chunk.length() as usize;
        let take = len.min(room);
        let start = out.bytes.len();
        out.bytes.resize(start + take, 0);
        chunk
            .subarray(0, take as u32)
            .copy_to(&mut out.bytes[start..]);
        if len > room {
            out.cut = true;
            cancel(&reader);
            return Ok(out);
        }
    }
}

/// A successful body, whole: longer than `cap` is an error.
async fn read_body(
    response: &Response,
    signal: Option<&AbortSignal>,
    cap: usize,
    idle_ms: u32,
) -> Result<Vec<u8>, Error> {
    let body = read_capped(response, cap, idle_ms)
        .await
        .map_err(|e| match e {
            Error::Network(_) if signal.is_some_and(AbortSignal::aborted) => Error::Aborted,
            e => e,
        })?;
    if body.cut {
        return Err(Error::InvalidResponse(format!(
            "the response body is larger than {} MiB and was not read",
            cap >> 20
        )));
    }
    Ok(body.bytes)
}

/// A rejected fetch or read: aborted if the signal fired (JS rejects with the signal's
/// reason, which can be any value), otherwise a network error.
fn fetch_error(e: JsValue, signal: Option<&AbortSignal>) -> Error {
    let name = Reflect::get(&e, &"name".into())
        .ok()
        .and_then(|n| n.as_string());
    if signal.is_some_and(AbortSignal::aborted) || name.as_deref() == Some("AbortError") {
        return Error::Aborted;
    }
    Error::Network(js_message(&e))
}

fn js_error(e: JsValue) -> Error {
    Error::InvalidInput(js_message(&e))
}

fn js_message(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}
