//! The only code that touches the browser: `fetch`, the response's `ReadableStream`,
//! `AbortSignal` and timers, bound as globals so the same code runs in pages, workers and Node.
//!
//! What it adds to a bare `fetch`, one file each:
//! - [`send`](self::send): the send loop: retries before the first body byte (full-jitter
//!   backoff, `Retry-After`, abortable sleeps) and clock-skew correction with one re-signed
//!   retry. The decisions are pure, in `bedrock::retry` and `time`; this only does the I/O.
//! - `fetch`: one request (redirects refused, request timeout, the caller's signal combined
//!   with ours), timers, and JS rejections turned into errors.
//! - `body`: whole bodies read capped and watched; `stream`: event streams with cancellation
//!   that closes the connection; `watchdog`: the idle watchdog both use.
//! - `cognito`: temporary credentials from an identity pool.
//! - `websocket`: InvokeModelWithBidirectionalStream over the platform's `WebSocket`.

use std::cell::Cell;
use std::rc::Rc;

use web_sys::{AbortSignal, Response};

use crate::bedrock::async_invoke::{
    uuid_v4, GetAsyncInvokeResponse, ListAsyncInvokesQuery, ListAsyncInvokesResponse,
    StartAsyncInvokeRequest, StartAsyncInvokeResponse,
};
use crate::bedrock::converse::ConverseResponse;
use crate::bedrock::count_tokens::{CountTokensRequest, CountTokensResponse};
use crate::bedrock::guardrail::{
    ApplyGuardrailRequest, ApplyGuardrailResponse, InvokeGuardrailChecksRequest,
    InvokeGuardrailChecksResponse,
};
use crate::bedrock::retry::RetryPolicy;
use crate::bedrock::{
    ConverseInput, Endpoint, Error, HttpRequest, InvokeModelInput, Operation, Target,
};
use crate::sign::{Auth, Credentials, EndpointPolicy};

mod body;
mod cognito;
mod fetch;
mod send;
mod stream;
mod watchdog;
mod websocket;

pub use body::{MAX_ERROR_BODY_BYTES, MAX_RESPONSE_BODY_BYTES};
pub use cognito::cognito_credentials;
pub use stream::ResponseStream;
pub use websocket::{
    BidiPoll, BidiStream, BIDI_MAX_BUFFERED_BYTES, BIDI_MAX_QUEUED_BYTES, BIDI_SEND_POLL_MS,
    BIDI_SESSION_LIMIT_MS,
};

use body::{check_ok_body, read_body};
use fetch::header;

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

/// The answer of a JSON operation (CountTokens, ApplyGuardrail, …), typed, with the
/// response metadata.
#[derive(Debug, Clone)]
pub struct OperationOutput<T> {
    pub response: T,
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
        let offset = crate::time::check_offset(offset).map_err(Error::input)?;
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
            .map_err(|e| Error::response_shape(format!("Converse response: {e}")))?;
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

    /// CountTokens: how many input tokens `request` would use with `model_id` (free).
    pub async fn count_tokens(
        &self,
        model_id: &str,
        request: &CountTokensRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<OperationOutput<CountTokensResponse>, Error> {
        let body = encode(Operation::CountTokens, request)?;
        self.json(
            Operation::CountTokens,
            Target::Model(model_id),
            body,
            signal,
        )
        .await
    }

    /// ApplyGuardrail: checks content against a guardrail without invoking a model.
    pub async fn apply_guardrail(
        &self,
        guardrail_identifier: &str,
        guardrail_version: &str,
        request: &ApplyGuardrailRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<OperationOutput<ApplyGuardrailResponse>, Error> {
        let target = Target::Guardrail {
            identifier: guardrail_identifier,
            version: guardrail_version,
        };
        let body = encode(Operation::ApplyGuardrail, request)?;
        self.json(Operation::ApplyGuardrail, target, body, signal)
            .await
    }

    /// InvokeGuardrailChecks: detect-only checks that need no guardrail resource.
    pub async fn invoke_guardrail_checks(
        &self,
        request: &InvokeGuardrailChecksRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<OperationOutput<InvokeGuardrailChecksResponse>, Error> {
        let body = encode(Operation::InvokeGuardrailChecks, request)?;
        self.json(Operation::InvokeGuardrailChecks, Target::None, body, signal)
            .await
    }

    /// StartAsyncInvoke: starts a long job whose results land in S3. Without a
    /// `client_request_token` one is made, once, so that retries are idempotent.
    pub async fn start_async_invoke(
        &self,
        request: &StartAsyncInvokeRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<OperationOutput<StartAsyncInvokeResponse>, Error> {
        let body = if request.client_request_token.is_some() {
            encode(Operation::StartAsyncInvoke, request)?
        } else {
            let mut request = request.clone();
            request.client_request_token = Some(idempotency_token());
            encode(Operation::StartAsyncInvoke, &request)?
        };
        self.json(Operation::StartAsyncInvoke, Target::None, body, signal)
            .await
    }

    /// GetAsyncInvoke: one asynchronous invocation's status.
    pub async fn get_async_invoke(
        &self,
        invocation_arn: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<OperationOutput<GetAsyncInvokeResponse>, Error> {
        let target = Target::AsyncInvoke(invocation_arn);
        self.json(Operation::GetAsyncInvoke, target, Vec::new(), signal)
            .await
    }

    /// ListAsyncInvokes: one page of asynchronous invocations; pass the answer's
    /// `next_token` back for the next.
    pub async fn list_async_invokes(
        &self,
        query: &ListAsyncInvokesQuery,
        signal: Option<&AbortSignal>,
    ) -> Result<OperationOutput<ListAsyncInvokesResponse>, Error> {
        let target = Target::AsyncInvokes(query);
        self.json(Operation::ListAsyncInvokes, target, Vec::new(), signal)
            .await
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        operation: Operation,
        target: Target<'_>,
        body: Vec<u8>,
        signal: Option<&AbortSignal>,
    ) -> Result<OperationOutput<T>, Error> {
        let request = HttpRequest::json(&self.endpoint, operation, target, body)?;
        let out = self.call(request, signal).await?;
        let response = serde_json::from_slice(&out.body)
            .map_err(|e| Error::response_shape(format!("{} response: {e}", operation.name())))?;
        Ok(OperationOutput {
            response,
            metadata: out.metadata,
        })
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
        ResponseStream::open(sent, signal, &self.options).await
    }
}

fn encode(operation: Operation, body: &impl serde::Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body)
        .map_err(|e| Error::input(format!("cannot encode the {} body: {e}", operation.name())))
}

/// A version 4 UUID from the platform's `crypto.getRandomValues`: an idempotency token.
pub fn idempotency_token() -> String {
    let mut bytes = [0u8; 16];
    fetch::random_values(&mut bytes);
    uuid_v4(bytes)
}
