//! A streaming response: events as their frame's last byte arrives, the idle watchdog, and
//! cancellation that closes the connection (which stops generation, and billing).

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, AbortSignal, ReadableStreamDefaultReader};

use super::body::{check_ok_body, read_capped, MAX_ERROR_BODY_BYTES};
use super::fetch::{cancel_reader, fetch_error, header};
use super::send::Sent;
use super::watchdog::Watchdog;
use super::{ClientOptions, ResponseMetadata};
use crate::bedrock::{Error, ResponseStreamDecoder, StreamEvent};

/// A streaming response: call [`next`](Self::next) until it returns `None`.
pub struct ResponseStream {
    reader: Option<ReadableStreamDefaultReader>,
    decoder: ResponseStreamDecoder,
    controller: AbortController,
    signal: Option<AbortSignal>,
    watchdog: Watchdog,
    /// The stream ended or failed; an error is reported once, then `next` gives `None`.
    finished: bool,
    model_content_type: Option<String>,
    metadata: ResponseMetadata,
    /// Each read's bytes, copied out of JS memory (reused, so a read allocates nothing).
    scratch: Vec<u8>,
}

impl ResponseStream {
    /// A successful response as a stream of events; a body that is not an event stream is
    /// read (capped) and reported as the error it is.
    pub(super) async fn open(
        sent: Sent,
        signal: Option<&AbortSignal>,
        options: &ClientOptions,
    ) -> Result<Self, Error> {
        // Check the Content-Type before frame-decoding, so a JSON body is reported as the
        // error it is, not as a checksum mismatch.
        let content_type = header(&sent.response, "content-type").unwrap_or_default();
        if !content_type.starts_with("application/vnd.amazon.eventstream") {
            let idle = options.stream_idle_timeout_ms;
            let body = read_capped(&sent.response, MAX_ERROR_BODY_BYTES, idle)
                .await?
                .bytes;
            check_ok_body(&body, &sent.metadata)?;
            return Err(Error::response_shape(format!(
                "expected an event stream, got Content-Type {content_type:?}"
            )));
        }
        let body = sent
            .response
            .body()
            .ok_or_else(|| Error::response_shape("the streaming response has no body"))?;
        let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        Ok(ResponseStream {
            reader: Some(reader),
            decoder: ResponseStreamDecoder::with_frame_decoder(
                crate::eventstream::Decoder::with_limits(options.event_stream_limits),
            ),
            controller: sent.controller,
            signal: signal.cloned(),
            watchdog: Watchdog::new(options.stream_idle_timeout_ms, js_sys::Date::now()),
            finished: false,
            model_content_type: header(&sent.response, "x-amzn-bedrock-content-type"),
            metadata: sent.metadata,
            scratch: Vec::new(),
        })
    }

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
            let result = match self.watchdog.read(pending).await {
                Ok(Some(r)) => r,
                Ok(None) => return self.fail(Error::idle_timeout(self.watchdog.idle_ms())),
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
                    return self.fail(Error::response_shape("the body yielded a non-byte chunk"))
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
                self.watchdog.event();
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

    /// Stops the stream: cancels the body and aborts the request, which closes the
    /// connection so the model stops generating.
    pub fn cancel(&mut self) {
        self.finished = true;
        if let Some(reader) = self.reader.take() {
            cancel_reader(&reader);
        }
        self.controller.abort();
    }
}

impl Drop for ResponseStream {
    fn drop(&mut self) {
        self.cancel();
    }
}
