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

use crate::bedrock::cognito::{self, CognitoConfig, TemporaryCredentials};
use crate::bedrock::converse::ConverseResponse;
use crate::bedrock::retry::{corrected_offset, parse_http_date, RetryPolicy};
use crate::bedrock::{
    ConverseInput, Endpoint, Error, HttpRequest, InvokeModelInput, Operation,
    ResponseStreamDecoder, ServiceError, StreamEvent,
};
use crate::sign::{signing_time, Auth, Credentials};

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
}

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
    /// A stream that delivers nothing for this long is stopped; 0 disables the watchdog.
    pub stream_idle_timeout_ms: u32,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            stream_idle_timeout_ms: 60_000,
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

    pub fn set_clock_offset_ms(&self, offset: f64) {
        self.clock_offset_ms.set(offset);
    }

    /// InvokeModel: the whole answer at once.
    pub async fn invoke_model(
        &self,
        input: &InvokeModelInput,
        signal: Option<&AbortSignal>,
    ) -> Result<InvokeModelOutput, Error> {
        let request = HttpRequest::invoke(&self.endpoint, Operation::InvokeModel, input)?;
        let sent = self.send(request, signal).await?;
        let body = read_all(&sent.response, signal).await?;
        check_ok_body(&body, &sent.metadata)?;
        Ok(InvokeModelOutput {
            body,
            content_type: header(&sent.response, "content-type"),
            metadata: sent.metadata,
            response: sent.response,
        })
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
        let sent = self.send(request, signal).await?;
        let body = read_all(&sent.response, signal).await?;
        check_ok_body(&body, &sent.metadata)?;
        let response = serde_json::from_slice(&body)
            .map_err(|e| Error::InvalidResponse(format!("Converse response: {e}")))?;
        Ok(ConverseOutput {
            response,
            metadata: sent.metadata,
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
        let body = read_all(&sent.response, signal).await?;
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
            let body = read_all(&sent.response, signal).await?;
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
            decoder: ResponseStreamDecoder::new(),
            controller: sent.controller,
            signal: signal.cloned(),
            idle_timeout_ms: self.options.stream_idle_timeout_ms,
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
                signing_time(sent_at, self.clock_offset_ms.get()),
            )?;
            let error = match fetch(&signed, signal, &controller).await {
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
                    let body = read_all(&response, signal).await?;
                    let mut e = ServiceError::from_response(
                        response.status(),
                        header(&response, "x-amzn-errortype").as_deref(),
                        header(&response, "x-amzn-requestid").as_deref(),
                        &body,
                    );
                    e.retry_after_secs =
                        header(&response, "retry-after").and_then(|v| v.trim().parse().ok());
                    e.attempts = attempt;
                    e.total_retry_delay_ms = total_delay as u64;
                    match e.server_time_ms() {
                        Some(server) if !skew_corrected => {
                            // The server stamped its time on receipt, about half-way
                            // through the round trip.
                            let received_at = (sent_at + js_sys::Date::now()) / 2.0;
                            self.clock_offset_ms.set(server - received_at);
                            skew_corrected = true;
                            attempt += 1;
                            continue;
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

/// One unsigned request: its status and whole body.
async fn send_unsigned(
    request: &HttpRequest,
    signal: Option<&AbortSignal>,
) -> Result<(u16, Vec<u8>), Error> {
    let controller = AbortController::new().map_err(js_error)?;
    let response = fetch(request, signal, &controller).await?;
    let body = read_all(&response, signal).await?;
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

async fn fetch(
    request: &HttpRequest,
    signal: Option<&AbortSignal>,
    controller: &AbortController,
) -> Result<Response, Error> {
    let headers = web_sys::Headers::new().map_err(js_error)?;
    for (name, value) in &request.headers {
        headers.set(name, value).map_err(js_error)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(request.method);
    init.set_headers(&headers);
    init.set_body(&Uint8Array::from(request.body.as_slice()));
    init.set_mode(web_sys::RequestMode::Cors);
    // The caller's signal aborts the request; without one our own controller lets a dropped
    // stream abort it.
    init.set_signal(Some(signal.unwrap_or(&controller.signal())));
    let response = JsFuture::from(global_fetch(&request.url, &init))
        .await
        .map_err(|e| fetch_error(e, signal))?;
    response
        .dyn_into::<Response>()
        .map_err(|_| Error::InvalidResponse("fetch did not return a Response".into()))
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

    /// The next event; `None` once the stream has ended or failed. Each event is returned as
    /// soon as its frame's last byte has been read.
    pub async fn next(&mut self) -> Option<Result<StreamEvent, Error>> {
        loop {
            match self.decoder.next_event() {
                Ok(Some(event)) => return Some(Ok(event)),
                Ok(None) => {}
                Err(e) => {
                    self.cancel();
                    return Some(Err(e));
                }
            }
            let reader = self.reader.as_ref()?;
            let result = match self.read(reader.read()).await {
                Ok(Some(r)) => r,
                Ok(None) => {
                    self.cancel();
                    return Some(Err(Error::StreamIdleTimeout {
                        idle_ms: self.idle_timeout_ms,
                    }));
                }
                Err(e) => {
                    let err = fetch_error(e, self.signal.as_ref());
                    self.cancel();
                    return Some(Err(err));
                }
            };
            // The typed getters: no property-name string is made per read.
            let result: web_sys::ReadableStreamReadResult = result.unchecked_into();
            if result.get_done() == Some(true) {
                self.reader = None;
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
                    self.cancel();
                    return Some(Err(Error::InvalidResponse(
                        "the body yielded a non-byte chunk".into(),
                    )));
                }
            }
        }
    }

    /// An event already decoded from bytes in hand, without reading more: lets a caller
    /// take every event of one network read in one go.
    pub fn next_ready(&mut self) -> Option<Result<StreamEvent, Error>> {
        self.reader.as_ref()?;
        match self.decoder.next_event() {
            Ok(Some(event)) => Some(Ok(event)),
            Ok(None) => None,
            Err(e) => {
                self.cancel();
                Some(Err(e))
            }
        }
    }

    /// Awaits one read, racing it against the idle watchdog: `Ok(None)` when it fired.
    async fn read(&self, read: Promise) -> Result<Option<JsValue>, JsValue> {
        if self.idle_timeout_ms == 0 {
            return JsFuture::from(read).await.map(Some);
        }
        // A unique object marks the timer's win; a read result is never this object.
        let idle = js_sys::Object::new();
        let timer = Rc::new(Cell::new(JsValue::UNDEFINED));
        let marker: JsValue = idle.clone().into();
        // setTimeout passes the marker to `resolve` itself: no Rust closure is created, so
        // nothing leaks when the timer is cleared (a `Closure::once` never called would).
        let timeout = Promise::new(&mut |resolve, _| {
            timer.set(set_timeout_with_arg(
                &resolve,
                self.idle_timeout_ms as f64,
                &marker,
            ));
        });
        let race = Promise::race(&js_sys::Array::of2(&read, &timeout));
        let result = JsFuture::from(race).await;
        clear_timeout(&timer.take());
        let value = result?;
        Ok((!js_sys::Object::is(&value, &idle)).then_some(value))
    }

    /// Stops the stream: cancels the body and aborts the request, which closes the
    /// connection so the model stops generating.
    pub fn cancel(&mut self) {
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

async fn read_all(response: &Response, signal: Option<&AbortSignal>) -> Result<Vec<u8>, Error> {
    let promise = response.array_buffer().map_err(js_error)?;
    let buffer = JsFuture::from(promise)
        .await
        .map_err(|e| fetch_error(e, signal))?;
    Ok(Uint8Array::new(&buffer).to_vec())
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
