//! The main module's exports (the `js` feature): every operation but the bidirectional
//! stream, `textStream`'s text mode, `signRequest`, `buildInvokeBody`, Cognito. `index.js`
//! drives them; the voice module's exports are in [`super::voice`].

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

use super::{
    auth_from, checked_endpoint, endpoint_policy, get, metadata, set, set_opt, string_field,
    to_js_error, type_error,
};
use crate::bedrock::async_invoke::ListAsyncInvokesQuery;
use crate::bedrock::cognito::CognitoConfig;
use crate::bedrock::retry::{Attempts, Next, RetryPolicy};
use crate::bedrock::{
    BlockDelta, ChatInput, ConverseEvent, ConverseStreamEvent, Endpoint, Error, HttpRequest,
    InvokeHeaders, InvokeModelInput, ModelFamily, Operation, OutputReader, ServiceError,
    StreamEvent, Target,
};
use crate::sign::{ApiKey, Auth, SignErrorKind};
use crate::transport::{cognito_credentials, Client, ClientOptions, ResponseStream};

/// Test builds only (`--features test-panic`): panics now (`async_ == false`) or inside a
/// future after one await (`async_ == true`), for the safety-net tests.
#[cfg(feature = "test-panic")]
#[wasm_bindgen(js_name = __testPanic)]
pub fn test_panic(async_: bool) -> js_sys::Promise {
    if !async_ {
        panic!("test panic (sync)");
    }
    future_to_promise(async move {
        let _ =
            wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&JsValue::NULL)).await;
        panic!("test panic (async)");
    })
}

/// One client's settings and learned clock offset. `send` authorizes each call with the
/// credentials or token it is given (a provider may refresh them between calls).
#[wasm_bindgen]
pub struct Core {
    client: Client,
}

#[wasm_bindgen]
impl Core {
    #[wasm_bindgen(constructor)]
    pub fn new(
        region: &str,
        endpoint: Option<String>,
        max_attempts: u32,
        stream_idle_timeout_ms: u32,
        request_timeout_ms: u32,
        allow_insecure_endpoint: bool,
    ) -> Result<Core, JsValue> {
        let (endpoint, endpoint_policy) =
            checked_endpoint(endpoint.as_deref(), region, allow_insecure_endpoint)?;
        let options = ClientOptions {
            retry: RetryPolicy::new(max_attempts),
            stream_idle_timeout_ms,
            request_timeout_ms,
            endpoint_policy,
            ..ClientOptions::default()
        };
        let auth = Auth::Bearer(ApiKey::new(""));
        Ok(Core {
            client: Client::with_auth(endpoint, auth).with_options(options),
        })
    }

    /// `operation` is the API name (`"InvokeModel"`, `"InvokeModelWithResponseStream"`,
    /// `"Converse"`, `"ConverseStream"`). `input` carries the SDK's header fields
    /// (`contentType`, `accept`, …); `body` is the bytes to send (Converse: the JSON already
    /// encoded). `auth` is `{ accessKeyId, secretAccessKey, sessionToken? }` or `{ token }`.
    ///
    /// Resolves `{ body, contentType, $metadata, usage?, performanceConfigLatency?,
    /// serviceTier? }` for the whole-answer operations, a [`RawStream`] for the streaming ones;
    /// rejects with an `Error` whose `name` is the AWS exception name.
    pub fn send(
        &self,
        operation: &str,
        input: JsValue,
        body: Vec<u8>,
        auth: JsValue,
        signal: Option<web_sys::AbortSignal>,
    ) -> js_sys::Promise {
        let mut client = self.client.clone();
        let operation = Operation::from_name(operation);
        future_to_promise(async move {
            let operation = operation.ok_or_else(|| type_error("unknown operation"))?;
            client.set_auth(auth_from(&auth)?);
            let request = operation_request(client.endpoint(), operation, &input, body)?;
            let signal = signal.as_ref();
            if operation.is_streaming() {
                let mut stream = client
                    .call_stream(request, signal)
                    .await
                    .map_err(to_js_error)?;
                // Plain text deltas are read lean; `event_to_js` writes their SDK shape back.
                stream.meaning_only();
                return Ok(RawStream {
                    stream: Rc::new(RefCell::new(Some(stream))),
                    pending_error: Rc::default(),
                    extractor: Rc::default(),
                }
                .into());
            }
            let out = client.call(request, signal).await.map_err(to_js_error)?;
            let result = Object::new();
            set(&result, "body", &Uint8Array::from(out.body.as_slice()));
            set_opt(&result, "contentType", out.content_type.clone());
            set(&result, "$metadata", &metadata(&out.metadata));
            let headers = InvokeHeaders::read(|name| out.header(name));
            if let Some(input) = headers.input_tokens {
                let usage = Object::new();
                set(&usage, "inputTokens", &(input as f64).into());
                let number = |n: Option<u64>| n.map_or(JsValue::UNDEFINED, |n| (n as f64).into());
                set(&usage, "outputTokens", &number(headers.output_tokens));
                set(
                    &usage,
                    "invocationLatency",
                    &number(headers.invocation_latency_ms),
                );
                set(&result, "usage", &usage);
            }
            set_opt(
                &result,
                "performanceConfigLatency",
                headers.performance_config_latency,
            );
            set_opt(&result, "serviceTier", headers.service_tier);
            Ok(result.into())
        })
    }

    /// Milliseconds added to the local clock when signing, as learned from the service.
    #[wasm_bindgen(getter, js_name = clockOffset)]
    pub fn clock_offset(&self) -> f64 {
        self.client.clock_offset_ms()
    }

    /// Rejects an offset that is not a finite number of ms within ±24 h.
    #[wasm_bindgen(js_name = setClockOffset)]
    pub fn set_clock_offset(&self, ms: f64) -> Result<(), JsValue> {
        self.client
            .set_clock_offset_ms(ms)
            .map_err(|e| type_error(&e.to_string()))
    }
}

/// A streaming response: `next()` resolves the next event, `undefined` at the end.
#[wasm_bindgen]
pub struct RawStream {
    stream: Rc<RefCell<Option<ResponseStream>>>,
    /// An error met after some events of a batch: reported by the next call, so the events
    /// before it are delivered first.
    pending_error: Rc<RefCell<Option<Error>>>,
    /// Text mode's per-family extractor, made by the first `nextText`.
    #[cfg_attr(feature = "size-without-text-mode", allow(dead_code))]
    extractor: Rc<RefCell<Option<OutputReader>>>,
}

/// Takes every event available after at most one network read and hands each to `each`;
/// `Ok(false)` once the stream has ended. An error after some events is kept in `pending`
/// and reported by the next call, so the events before it are delivered first.
async fn read_batch(
    cell: &Rc<RefCell<Option<ResponseStream>>>,
    pending: &Rc<RefCell<Option<Error>>>,
    mut each: impl FnMut(StreamEvent) -> Result<(), Error>,
) -> Result<bool, JsValue> {
    if let Some(e) = pending.borrow_mut().take() {
        return Err(to_js_error(e));
    }
    // Taken out for the await so that no RefCell borrow is held across it.
    let Some(mut stream) = cell.borrow_mut().take() else {
        return Ok(false);
    };
    let mut delivered = false;
    let mut next = stream.next().await;
    while let Some(item) = next {
        match item.and_then(&mut each) {
            Ok(()) => delivered = true,
            // Dropping the stream cancels it.
            Err(e) if !delivered => return Err(to_js_error(e)),
            Err(e) => {
                *pending.borrow_mut() = Some(e);
                return Ok(true);
            }
        }
        next = stream.next_ready();
    }
    if delivered {
        // More may follow: keep the stream for the next call.
        *cell.borrow_mut() = Some(stream);
    }
    Ok(delivered)
}

#[wasm_bindgen]
impl RawStream {
    /// `X-Amzn-Bedrock-Content-Type`.
    #[wasm_bindgen(getter, js_name = contentType)]
    pub fn content_type(&self) -> Option<String> {
        let s = self.stream.borrow();
        s.as_ref()?.model_content_type().map(str::to_owned)
    }

    #[wasm_bindgen(getter)]
    pub fn metadata(&self) -> JsValue {
        match self.stream.borrow().as_ref() {
            Some(s) => metadata(s.metadata()),
            None => JsValue::UNDEFINED,
        }
    }

    /// Resolves an array of every event available after at most one network read (as `event_to_js` gives it); an empty array at the end. One wasm/JS crossing per read
    /// instead of per frame is what makes the JS iterator fast.
    #[wasm_bindgen(js_name = nextBatch)]
    pub fn next_batch(&self) -> js_sys::Promise {
        let cell = self.stream.clone();
        let pending = self.pending_error.clone();
        future_to_promise(async move {
            let batch = js_sys::Array::new();
            read_batch(&cell, &pending, |event| {
                batch.push(&event_to_js(event));
                Ok(())
            })
            .await?;
            Ok(batch.into())
        })
    }

    /// Text mode (`textStream`): resolves the answer text that the events of at most one
    /// network read added, for any model family (`modelId` picks the InvokeModel chunk
    /// format) or ConverseStream, possibly `""`; `undefined` at the end. The text is pulled
    /// out in Rust, so nothing per event crosses into JavaScript. `textOutput()` tells the
    /// rest (stop reason, usage, metrics) at the end.
    #[cfg(not(feature = "size-without-text-mode"))]
    #[wasm_bindgen(js_name = nextText)]
    pub fn next_text(&self, model_id: &str) -> js_sys::Promise {
        let cell = self.stream.clone();
        let pending = self.pending_error.clone();
        let extractor = self.extractor.clone();
        if extractor.borrow().is_none() {
            let family = ModelFamily::from_model_id(model_id);
            *extractor.borrow_mut() = Some(OutputReader::new(family));
            if let Some(stream) = cell.borrow_mut().as_mut() {
                stream.meaning_only();
            }
        }
        future_to_promise(async move {
            let mut text = String::new();
            let more = read_batch(&cell, &pending, |event| {
                if let Some(x) = extractor.borrow_mut().as_mut() {
                    text.push_str(&x.event(&event)?.text);
                }
                Ok(())
            })
            .await?;
            if !more && text.is_empty() {
                return Ok(JsValue::UNDEFINED);
            }
            Ok(text.into())
        })
    }

    /// Text mode: everything the stream said so far, as JSON `{ text, reasoning,
    /// stop_reason, usage, metrics, latency_ms, …, message? }`.
    #[cfg(not(feature = "size-without-text-mode"))]
    #[wasm_bindgen(js_name = textOutput)]
    pub fn text_output(&self) -> String {
        match self.extractor.borrow().as_ref() {
            Some(x) => output_json(x),
            None => "{}".into(),
        }
    }

    /// Stops the stream: cancels the body and aborts the request.
    pub fn cancel(&self) {
        if let Some(mut stream) = self.stream.borrow_mut().take() {
            stream.cancel();
        }
    }
}

/// A chunk's bytes as a `Uint8Array`; a ConverseStream event as `[eventType, payloadBytes]`
/// (JavaScript parses the payload once), or, for a text delta read lean, `[index, text]`.
fn event_to_js(event: StreamEvent) -> JsValue {
    match event {
        StreamEvent::Chunk(bytes) => Uint8Array::from(bytes.as_slice()).into(),
        StreamEvent::Converse(e) => match (e.payload.is_empty(), &e.event) {
            (
                true,
                ConverseEvent::ContentBlockDelta {
                    index,
                    delta: BlockDelta::Text(text),
                },
            ) => js_sys::Array::of2(&(*index as f64).into(), &text.into()).into(),
            _ => js_sys::Array::of2(
                &e.event_type().into(),
                &Uint8Array::from(e.payload.as_slice()),
            )
            .into(),
        },
    }
}

/// Text, reasoning, stop reason, usage and metrics of any model family's chunks.
#[cfg(not(feature = "size-without-text-mode"))]
#[wasm_bindgen]
pub struct Extractor {
    inner: OutputReader,
}

#[cfg(not(feature = "size-without-text-mode"))]
#[wasm_bindgen]
impl Extractor {
    #[wasm_bindgen(constructor)]
    pub fn new(model_id: &str) -> Extractor {
        Extractor {
            inner: OutputReader::new(ModelFamily::from_model_id(model_id)),
        }
    }

    /// One InvokeModel body or InvokeModelWithResponseStream chunk → the text it added.
    pub fn chunk(&mut self, bytes: &[u8]) -> Result<String, JsValue> {
        self.inner.chunk(bytes).map(|d| d.text).map_err(to_js_error)
    }

    /// One ConverseStream event (its type and payload JSON) → the text it added.
    #[wasm_bindgen(js_name = converseEvent)]
    pub fn converse_event(&mut self, event_type: &str, payload: &[u8]) -> Result<String, JsValue> {
        let event = match ConverseStreamEvent::from_payload(event_type, payload) {
            Ok(Some(e)) => StreamEvent::Converse(e),
            Ok(None) => return Ok(String::new()),
            Err(e) => return Err(to_js_error(e)),
        };
        self.inner
            .event(&event)
            .map(|d| d.text)
            .map_err(to_js_error)
    }

    /// Everything so far, as JSON: `{ text, reasoning, stop_reason, usage, metrics, … }`.
    pub fn output(&self) -> String {
        output_json(&self.inner)
    }
}

/// An output as JSON for `textStream`'s result, with the token counts to report
/// ([`Output::token_usage`](crate::bedrock::Output::token_usage)) in `usage` and the assistant
/// message to send back ([`OutputReader::message_json`]) in `message`.
#[cfg(not(feature = "size-without-text-mode"))]
fn output_json(reader: &OutputReader) -> String {
    let mut output = reader.output().clone();
    output.usage = output.token_usage();
    let mut json = serde_json::to_string(&output).unwrap_or_default();
    #[cfg(not(feature = "size-without-message-output"))]
    if let Some(m) = reader.message_json_text() {
        json.pop(); // The closing brace.
        json.push_str(",\"message\":");
        json.push_str(&m);
        json.push('}');
    }
    json
}

/// Whether credentials expiring at `expirationMs` must be renewed at `nowMs` (the one margin,
/// for every provider).
#[wasm_bindgen(js_name = credentialsExpiring)]
pub fn credentials_expiring(expiration_ms: f64, now_ms: f64) -> bool {
    crate::sign::credentials_expiring(expiration_ms, now_ms)
}

/// `buildInvokeBody`'s work: the model-native body for `model_id`'s family, from a chat in
/// Converse's JSON shape (`ChatInput`), as JSON text. JavaScript encodes and parses; the
/// meaning of every family's body is here.
#[cfg(not(feature = "size-without-build-invoke-body"))]
#[wasm_bindgen(js_name = buildInvokeBody)]
pub fn build_invoke_body(model_id: &str, chat: &[u8], streaming: bool) -> Result<String, JsValue> {
    let chat = ChatInput::from_json(chat).map_err(to_js_error)?;
    ModelFamily::from_model_id(model_id)
        .request_body(&chat, streaming)
        .map(|body| crate::bedrock::json::text(&body))
        .map_err(to_js_error)
}

/// `signRequest`'s work: the headers that authorize one Bedrock Runtime request (SigV4, or
/// `Authorization: Bearer` for `{ token }`), as a plain object. `headers` must be exactly the
/// headers that will be sent (the browser adds `host` and `content-length`).
///
/// `now_ms` (the local clock) and `clock_offset_ms` are checked: a finite time between 1970
/// and 9999 and an offset within ±24 h; `url` must be an absolute http(s) URL, and plain http
/// only to loopback unless `allow_insecure`.
#[cfg(not(feature = "size-without-sign-request"))]
#[wasm_bindgen(js_name = authorizeRequest)]
#[allow(clippy::too_many_arguments)]
pub fn authorize_request(
    method: &str,
    url: &str,
    headers: JsValue,
    body: &[u8],
    auth: JsValue,
    region: &str,
    now_ms: f64,
    clock_offset_ms: f64,
    allow_insecure: bool,
) -> Result<JsValue, JsValue> {
    let auth = auth_from(&auth)?;
    let mut pairs = Vec::new();
    if headers.is_object() {
        for entry in Object::entries(headers.unchecked_ref()).iter() {
            let entry: js_sys::Array = entry.unchecked_into();
            let value = entry
                .get(1)
                .as_string()
                .ok_or_else(|| type_error("request.headers values must be strings"))?;
            pairs.push((entry.get(0).as_string().unwrap_or_default(), value));
        }
    }
    let offset = crate::time::check_offset(clock_offset_ms).map_err(|m| type_error(&m))?;
    let policy = endpoint_policy(allow_insecure);
    let signed = crate::sign::time_from_epoch_millis(now_ms)
        .and_then(|_| crate::sign::signing_time(now_ms, offset))
        .and_then(|time| {
            crate::sign::authorize(&auth, method, url, &pairs, body, region, time, policy)
        })
        .map_err(|e| match e.kind() {
            SignErrorKind::InsecureEndpoint => to_js_error(e.into()),
            _ => type_error(&e.to_string()),
        })?;
    let out = Object::new();
    for (name, value) in signed {
        set(&out, &name, &value.into());
    }
    Ok(out.into())
}

/// `fromCognitoIdentityPool`'s work: resolves `{ accessKeyId, secretAccessKey, sessionToken,
/// expiration?, identityId }`.
#[cfg(not(feature = "size-without-cognito"))]
#[wasm_bindgen(js_name = cognitoCredentials)]
pub fn cognito(options: JsValue, signal: Option<web_sys::AbortSignal>) -> js_sys::Promise {
    future_to_promise(async move {
        let config = cognito_config(&options)?;
        let t = cognito_credentials(&config, signal.as_ref())
            .await
            .map_err(to_js_error)?;
        let o = Object::new();
        set(&o, "accessKeyId", &t.credentials.access_key_id.into());
        set(
            &o,
            "secretAccessKey",
            &t.credentials.secret_access_key.into(),
        );
        set_opt(&o, "sessionToken", t.credentials.session_token);
        if let Some(ms) = t.expiration_ms {
            set(&o, "expiration", &js_sys::Date::new(&ms.into()));
        }
        set(&o, "identityId", &t.identity_id.into());
        Ok(o.into())
    })
}

#[cfg(not(feature = "size-without-cognito"))]
fn cognito_config(o: &JsValue) -> Result<CognitoConfig, JsValue> {
    let mut logins = std::collections::BTreeMap::new();
    let l = get(o, "logins");
    if l.is_object() {
        for entry in Object::entries(l.unchecked_ref()).iter() {
            let pair: js_sys::Array = entry.unchecked_into();
            let (k, v) = (pair.get(0).as_string(), pair.get(1).as_string());
            match (k, v) {
                (Some(k), Some(v)) => {
                    logins.insert(k, v);
                }
                _ => {
                    return Err(type_error(
                        "logins must map provider names to token strings",
                    ))
                }
            }
        }
    }
    Ok(CognitoConfig {
        identity_pool_id: string_field(o, "identityPoolId")?.unwrap_or_default(),
        region: string_field(o, "region")?,
        logins,
        identity_id: string_field(o, "identityId")?,
        account_id: string_field(o, "accountId")?,
        role_arn: string_field(o, "roleArn")?.or(string_field(o, "customRoleArn")?),
        classic_flow: get(o, "classicFlow").is_truthy(),
        duration_seconds: get(o, "durationSeconds").as_f64().map(|d| d as u32),
        role_session_name: string_field(o, "roleSessionName")?,
        cognito_endpoint: string_field(o, "endpoint")?,
        sts_endpoint: string_field(o, "stsEndpoint")?,
    })
}

/// The unsigned request of `operation`, its path labels and query read from the SDK-shaped
/// `input` (the query values as strings: `index.js` writes dates as RFC 3339).
fn operation_request(
    endpoint: &Endpoint,
    operation: Operation,
    input: &JsValue,
    body: Vec<u8>,
) -> Result<HttpRequest, JsValue> {
    let required = |key: &str, example: &str| -> Result<String, JsValue> {
        string_field(input, key)?
            .ok_or_else(|| type_error(&format!("input.{key} is required, e.g. {example}")))
    };
    #[cfg(not(feature = "size-without-json-operations"))]
    let (model_id, identifier, version, arn, query);
    #[cfg(feature = "size-without-json-operations")]
    let model_id;
    let target = match operation {
        Operation::InvokeModel | Operation::InvokeModelWithResponseStream => {
            let model_id = required("modelId", "\"anthropic.claude-v2\"")?;
            let input = invoke_input(input, model_id, body)?;
            return HttpRequest::invoke(endpoint, operation, &input).map_err(to_js_error);
        }
        Operation::Converse | Operation::ConverseStream | Operation::CountTokens => {
            model_id = required("modelId", "\"anthropic.claude-v2\"")?;
            Target::Model(&model_id)
        }
        #[cfg(not(feature = "size-without-json-operations"))]
        Operation::ApplyGuardrail => {
            identifier = required("guardrailIdentifier", "\"gr1a2b3c4d5e\"")?;
            version = required("guardrailVersion", "\"DRAFT\" or \"1\"")?;
            Target::Guardrail {
                identifier: &identifier,
                version: &version,
            }
        }
        #[cfg(not(feature = "size-without-json-operations"))]
        Operation::GetAsyncInvoke => {
            arn = required(
                "invocationArn",
                "\"arn:aws:bedrock:us-east-1:123456789012:async-invoke/abc123\"",
            )?;
            Target::AsyncInvoke(&arn)
        }
        #[cfg(not(feature = "size-without-json-operations"))]
        Operation::ListAsyncInvokes => {
            let max_results = get(input, "maxResults");
            query = ListAsyncInvokesQuery {
                submit_time_after: string_field(input, "submitTimeAfter")?,
                submit_time_before: string_field(input, "submitTimeBefore")?,
                status_equals: string_field(input, "statusEquals")?,
                max_results: match max_results.as_f64() {
                    None if max_results.is_undefined() || max_results.is_null() => None,
                    // The service checks the range (1 to 1000), as for the AWS SDK.
                    Some(n) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => {
                        Some(n as u32)
                    }
                    _ => return Err(type_error("input.maxResults must be a whole number")),
                },
                next_token: string_field(input, "nextToken")?,
                sort_by: string_field(input, "sortBy")?,
                sort_order: string_field(input, "sortOrder")?,
            };
            Target::AsyncInvokes(&query)
        }
        _ => Target::None,
    };
    HttpRequest::json(endpoint, operation, target, body).map_err(to_js_error)
}

/// `createSignedFetch`'s clock-skew decision, the client's own: the clock offset (ms) to
/// re-sign with when an error response (`status`, `x-amzn-ErrorType`, body) says the
/// signature's time was rejected, stamped at `received_at_ms` by the local clock; `undefined`
/// otherwise.
#[cfg(not(feature = "size-without-skew-correction"))]
#[wasm_bindgen(js_name = skewCorrection)]
pub fn skew_correction(
    status: u16,
    error_type: Option<String>,
    body: &[u8],
    received_at_ms: f64,
) -> Option<f64> {
    let e = ServiceError::from_response(status, error_type.as_deref(), None, body);
    match Attempts::new(RetryPolicy::new(1)).after_service_error(e, received_at_ms, 0.0) {
        Next::Resign { clock_offset_ms } => Some(clock_offset_ms),
        _ => None,
    }
}

/// A version 4 UUID for an idempotency token (StartAsyncInvoke's `clientRequestToken`).
#[cfg(not(feature = "size-without-json-operations"))]
#[wasm_bindgen(js_name = idempotencyToken)]
pub fn idempotency_token() -> String {
    crate::transport::idempotency_token()
}

fn invoke_input(
    input: &JsValue,
    model_id: String,
    body: Vec<u8>,
) -> Result<InvokeModelInput, JsValue> {
    let mut out = InvokeModelInput::new(model_id, body);
    out.content_type = string_field(input, "contentType")?;
    out.accept = string_field(input, "accept")?;
    out.trace = string_field(input, "trace")?;
    out.guardrail_identifier = string_field(input, "guardrailIdentifier")?;
    out.guardrail_version = string_field(input, "guardrailVersion")?;
    out.performance_config_latency = string_field(input, "performanceConfigLatency")?;
    out.service_tier = string_field(input, "serviceTier")?;
    Ok(out)
}
