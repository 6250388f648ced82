//! The only code that touches the browser: `fetch`, the response's `ReadableStream`, and
//! `AbortSignal`. `fetch` is bound as a global, so the same code runs in pages and workers.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, ReadableStreamDefaultReader, Response};

use crate::bedrock::{
    Endpoint, Error, HttpRequest, InvokeModelInput, Operation, ResponseStreamDecoder, ServiceError,
    StreamEvent,
};
use crate::sign::{time_from_epoch_millis, Credentials};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(input: &str, init: &web_sys::RequestInit) -> js_sys::Promise;
}

/// What every response carries, in the AWS SDK's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseMetadata {
    pub http_status_code: u16,
    /// `x-amzn-RequestId`, when CORS lets the page read it.
    pub request_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct InvokeModelOutput {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub metadata: ResponseMetadata,
}

/// A Bedrock Runtime client: where to send, and the credentials to sign with.
#[derive(Debug, Clone)]
pub struct Client {
    endpoint: Endpoint,
    credentials: Credentials,
}

impl Client {
    pub fn new(endpoint: Endpoint, credentials: Credentials) -> Self {
        Self {
            endpoint,
            credentials,
        }
    }

    /// InvokeModel: the whole answer at once.
    pub async fn invoke_model(
        &self,
        input: &InvokeModelInput,
        signal: Option<&AbortSignal>,
    ) -> Result<InvokeModelOutput, Error> {
        let controller = AbortController::new().map_err(js_error)?;
        let response = self
            .send(Operation::InvokeModel, input, signal, &controller)
            .await?;
        let metadata = metadata(&response);
        let body = read_all(&response, signal).await?;
        if metadata.http_status_code >= 300 {
            return Err(service_error(&response, &body));
        }
        if let Some(e) = ServiceError::from_ok_body(&body, metadata.request_id.as_deref()) {
            return Err(Error::Service(e));
        }
        Ok(InvokeModelOutput {
            body,
            content_type: header(&response, "content-type"),
            metadata,
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
        let controller = AbortController::new().map_err(js_error)?;
        let response = self
            .send(
                Operation::InvokeModelWithResponseStream,
                input,
                signal,
                &controller,
            )
            .await?;
        let metadata = metadata(&response);
        // Check status and Content-Type before frame-decoding, so a JSON error body is
        // reported as the error it is, not as a checksum mismatch.
        if metadata.http_status_code >= 300 {
            let body = read_all(&response, signal).await?;
            return Err(service_error(&response, &body));
        }
        let content_type = header(&response, "content-type").unwrap_or_default();
        if !content_type.starts_with("application/vnd.amazon.eventstream") {
            let body = read_all(&response, signal).await?;
            if let Some(e) = ServiceError::from_ok_body(&body, metadata.request_id.as_deref()) {
                return Err(Error::Service(e));
            }
            return Err(Error::InvalidResponse(format!(
                "expected an event stream, got Content-Type {content_type:?}"
            )));
        }
        let body = response
            .body()
            .ok_or_else(|| Error::InvalidResponse("the streaming response has no body".into()))?;
        let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        Ok(ResponseStream {
            reader: Some(reader),
            decoder: ResponseStreamDecoder::new(),
            controller,
            signal: signal.cloned(),
            model_content_type: header(&response, "x-amzn-bedrock-content-type"),
            metadata,
        })
    }

    async fn send(
        &self,
        operation: Operation,
        input: &InvokeModelInput,
        signal: Option<&AbortSignal>,
        controller: &AbortController,
    ) -> Result<Response, Error> {
        let mut request = HttpRequest::invoke(&self.endpoint, operation, input)?;
        request.sign(
            &self.credentials,
            self.endpoint.region(),
            time_from_epoch_millis(js_sys::Date::now()),
        )?;
        let headers = web_sys::Headers::new().map_err(js_error)?;
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(js_error)?;
        }
        let init = web_sys::RequestInit::new();
        init.set_method(request.method);
        init.set_headers(&headers);
        init.set_body(&Uint8Array::from(request.body.as_slice()));
        init.set_mode(web_sys::RequestMode::Cors);
        // The caller's signal aborts the request; without one our own controller lets a
        // dropped stream abort it.
        init.set_signal(Some(signal.unwrap_or(&controller.signal())));
        let response = JsFuture::from(global_fetch(&request.url, &init))
            .await
            .map_err(|e| fetch_error(e, signal))?;
        response
            .dyn_into::<Response>()
            .map_err(|_| Error::InvalidResponse("fetch did not return a Response".into()))
    }
}

/// A streaming response: call [`next`](Self::next) until it returns `None`.
pub struct ResponseStream {
    reader: Option<ReadableStreamDefaultReader>,
    decoder: ResponseStreamDecoder,
    controller: AbortController,
    signal: Option<AbortSignal>,
    model_content_type: Option<String>,
    metadata: ResponseMetadata,
}

impl ResponseStream {
    pub fn metadata(&self) -> &ResponseMetadata {
        &self.metadata
    }

    /// `X-Amzn-Bedrock-Content-Type`: the MIME type of each chunk's bytes.
    pub fn model_content_type(&self) -> Option<&str> {
        self.model_content_type.as_deref()
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
            let result = match JsFuture::from(reader.read()).await {
                Ok(r) => r,
                Err(e) => {
                    let err = fetch_error(e, self.signal.as_ref());
                    self.cancel();
                    return Some(Err(err));
                }
            };
            let done = Reflect::get(&result, &"done".into())
                .ok()
                .and_then(|d| d.as_bool());
            if done == Some(true) {
                self.reader = None;
                return self.decoder.finish().err().map(Err);
            }
            match Reflect::get(&result, &"value".into()).map(|v| v.dyn_into::<Uint8Array>()) {
                Ok(Ok(bytes)) => self.decoder.push(&bytes.to_vec()),
                _ => {
                    self.cancel();
                    return Some(Err(Error::InvalidResponse(
                        "the body yielded a non-byte chunk".into(),
                    )));
                }
            }
        }
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

fn metadata(response: &Response) -> ResponseMetadata {
    ResponseMetadata {
        http_status_code: response.status(),
        request_id: header(response, "x-amzn-requestid"),
    }
}

fn service_error(response: &Response, body: &[u8]) -> Error {
    Error::Service(ServiceError::from_response(
        response.status(),
        header(response, "x-amzn-errortype").as_deref(),
        header(response, "x-amzn-requestid").as_deref(),
        body,
    ))
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
