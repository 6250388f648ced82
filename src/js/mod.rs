//! Every `#[wasm_bindgen]` export: the npm package's API, shaped like the AWS SDK's
//! `BedrockRuntime` client so that switching is a one-line import change.
//!
//! Minimal for now: `invokeModel` and `invokeModelWithResponseStream` with static credentials.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

use crate::bedrock::{Endpoint, Error, InvokeModelInput, StreamEvent};
use crate::sign::Credentials;
use crate::transport::{Client, ResponseMetadata, ResponseStream};

#[wasm_bindgen(
    inline_js = "export function asyncIterable(it) { return { [Symbol.asyncIterator]() { return it; } }; }"
)]
extern "C" {
    #[wasm_bindgen(js_name = asyncIterable)]
    fn async_iterable(iterator: ChunkIterator) -> JsValue;
}

/// `new BedrockRuntime({ region, credentials: { accessKeyId, secretAccessKey, sessionToken? }, endpoint? })`
#[wasm_bindgen]
pub struct BedrockRuntime {
    client: Client,
}

#[wasm_bindgen]
impl BedrockRuntime {
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<BedrockRuntime, JsValue> {
        let region = string_field(&config, "region")?
            .ok_or_else(|| type_error("config.region is required, e.g. \"us-east-1\""))?;
        let endpoint = string_field(&config, "endpoint")?;
        let endpoint = Endpoint::from_parts(endpoint.as_deref(), &region).map_err(to_js_error)?;
        let creds = get(&config, "credentials");
        if !creds.is_object() {
            return Err(type_error(
                "config.credentials must be { accessKeyId, secretAccessKey, sessionToken? }",
            ));
        }
        let credentials = Credentials::new(
            string_field(&creds, "accessKeyId")?.unwrap_or_default(),
            string_field(&creds, "secretAccessKey")?.unwrap_or_default(),
            string_field(&creds, "sessionToken")?,
        );
        Ok(BedrockRuntime {
            client: Client::new(endpoint, credentials),
        })
    }

    /// `invokeModel({ modelId, body, contentType?, accept? }, { abortSignal }?)` →
    /// `{ body: Uint8Array, contentType, $metadata }`.
    #[wasm_bindgen(js_name = invokeModel)]
    pub fn invoke_model(&self, input: JsValue, options: JsValue) -> js_sys::Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let input = invoke_input(&input)?;
            let signal = abort_signal(&options);
            let out = client
                .invoke_model(&input, signal.as_ref())
                .await
                .map_err(to_js_error)?;
            let result = Object::new();
            set(
                &result,
                "body",
                &Uint8Array::from(out.body.as_slice()).into(),
            );
            set(
                &result,
                "contentType",
                &out.content_type
                    .map(JsValue::from)
                    .unwrap_or(JsValue::UNDEFINED),
            );
            set(&result, "$metadata", &metadata(&out.metadata));
            Ok(result.into())
        })
    }

    /// `invokeModelWithResponseStream(input, { abortSignal }?)` →
    /// `{ body: AsyncIterable<{ chunk: { bytes: Uint8Array } }>, contentType, $metadata }`.
    /// Breaking out of `for await` cancels the HTTP request.
    #[wasm_bindgen(js_name = invokeModelWithResponseStream)]
    pub fn invoke_model_with_response_stream(
        &self,
        input: JsValue,
        options: JsValue,
    ) -> js_sys::Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let input = invoke_input(&input)?;
            let signal = abort_signal(&options);
            let stream = client
                .invoke_model_with_response_stream(&input, signal.as_ref())
                .await
                .map_err(to_js_error)?;
            let result = Object::new();
            set(
                &result,
                "contentType",
                &stream
                    .model_content_type()
                    .map(JsValue::from)
                    .unwrap_or(JsValue::UNDEFINED),
            );
            set(&result, "$metadata", &metadata(stream.metadata()));
            let iterator = ChunkIterator {
                stream: Rc::new(RefCell::new(Some(stream))),
            };
            set(&result, "body", &async_iterable(iterator));
            Ok(result.into())
        })
    }
}

/// The async iterator behind `body`.
#[wasm_bindgen]
pub struct ChunkIterator {
    stream: Rc<RefCell<Option<ResponseStream>>>,
}

#[wasm_bindgen]
impl ChunkIterator {
    /// Resolves `{ done, value: { chunk: { bytes } } }`; rejects with the stream's error.
    pub fn next(&self) -> js_sys::Promise {
        let cell = self.stream.clone();
        future_to_promise(async move {
            // Taken out for the await so that no RefCell borrow is held across it.
            let Some(mut stream) = cell.borrow_mut().take() else {
                return Ok(iter_result(true, JsValue::UNDEFINED));
            };
            let next = stream.next().await;
            match next {
                Some(Ok(StreamEvent::Chunk(bytes))) => {
                    *cell.borrow_mut() = Some(stream);
                    let chunk = Object::new();
                    set(&chunk, "bytes", &Uint8Array::from(bytes.as_slice()).into());
                    let event = Object::new();
                    set(&event, "chunk", &chunk.into());
                    Ok(iter_result(false, event.into()))
                }
                // ConverseStream: the AWS SDK's `{ [eventType]: payload }`.
                Some(Ok(StreamEvent::Converse(event))) => {
                    *cell.borrow_mut() = Some(stream);
                    let value = js_sys::JSON::parse(&event.to_sdk_json().to_string())?;
                    Ok(iter_result(false, value))
                }
                Some(Err(e)) => Err(to_js_error(e)),
                None => Ok(iter_result(true, JsValue::UNDEFINED)),
            }
        })
    }

    /// Called by `break` in `for await`: cancels the request.
    #[wasm_bindgen(js_name = "return")]
    pub fn return_(&self) -> js_sys::Promise {
        if let Some(mut stream) = self.stream.borrow_mut().take() {
            stream.cancel();
        }
        js_sys::Promise::resolve(&iter_result(true, JsValue::UNDEFINED))
    }
}

fn iter_result(done: bool, value: JsValue) -> JsValue {
    let r = Object::new();
    set(&r, "done", &done.into());
    set(&r, "value", &value);
    r.into()
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() {
        Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    // Defining a property on a fresh plain object cannot fail.
    let _ = Reflect::set(obj, &key.into(), value);
}

fn string_field(obj: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    let v = get(obj, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| type_error(&format!("{key} must be a string")))
}

fn invoke_input(input: &JsValue) -> Result<InvokeModelInput, JsValue> {
    let model_id = string_field(input, "modelId")?
        .ok_or_else(|| type_error("input.modelId is required, e.g. \"anthropic.claude-v2\""))?;
    let body = get(input, "body");
    let body = if let Some(s) = body.as_string() {
        s.into_bytes()
    } else if let Some(bytes) = body.dyn_ref::<Uint8Array>() {
        bytes.to_vec()
    } else {
        return Err(type_error("input.body must be a string or a Uint8Array"));
    };
    let mut out = InvokeModelInput::new(model_id, body);
    out.content_type = string_field(input, "contentType")?;
    out.accept = string_field(input, "accept")?;
    Ok(out)
}

fn abort_signal(options: &JsValue) -> Option<web_sys::AbortSignal> {
    get(options, "abortSignal").dyn_into().ok()
}

fn metadata(m: &ResponseMetadata) -> JsValue {
    let o = Object::new();
    set(&o, "httpStatusCode", &m.http_status_code.into());
    set(
        &o,
        "requestId",
        &m.request_id
            .clone()
            .map(JsValue::from)
            .unwrap_or(JsValue::UNDEFINED),
    );
    set(&o, "attempts", &m.attempts.into());
    set(&o, "totalRetryDelay", &m.total_retry_delay_ms.into());
    o.into()
}

fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

/// A real `Error` whose `name` is the AWS exception name, with `$fault` and `$metadata`.
fn to_js_error(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    match &e {
        Error::Service(s) => {
            err.set_name(if s.code.is_empty() {
                "BedrockRuntimeServiceException"
            } else {
                &s.code
            });
            set(&err, "$fault", &s.fault().into());
            let meta = ResponseMetadata {
                http_status_code: s.status,
                request_id: s.request_id.clone(),
                attempts: s.attempts,
                total_retry_delay_ms: s.total_retry_delay_ms as f64,
            };
            set(&err, "$metadata", &metadata(&meta));
            set(&err, "message", &s.message.clone().into());
        }
        Error::StreamException(x) => {
            err.set_name(&x.name);
            set(&err, "message", &x.message.clone().into());
            if let Some(code) = x.original_status_code {
                set(&err, "originalStatusCode", &code.into());
            }
            if let Some(m) = &x.original_message {
                set(&err, "originalMessage", &m.clone().into());
            }
        }
        Error::Aborted => err.set_name("AbortError"),
        Error::StreamIdleTimeout { .. } => err.set_name("StreamIdleTimeoutError"),
        Error::Network(_) => err.set_name("NetworkError"),
        Error::Decode(_) | Error::InvalidResponse(_) => err.set_name("InvalidResponseError"),
        Error::InvalidInput(_) => err.set_name("ValidationError"),
    }
    err.into()
}
