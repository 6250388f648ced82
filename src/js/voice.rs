//! The voice module's exports (the `voice` feature, built into its own wasm): the WebSocket
//! of InvokeModelWithBidirectionalStream and Nova Sonic's events. `index.js` loads the module
//! on the first `invokeModelWithBidirectionalStream` or `novaSonic`; everything it needs of
//! a client (region, endpoint, idle timeout, the learned clock offset) comes with the call.

use std::cell::RefCell;

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

use super::{auth_from, checked_endpoint, to_js_error, type_error};
use crate::bedrock::bidi::BidiEvent;
use crate::bedrock::json::JsonWriter;
use crate::bedrock::sonic;
use crate::bedrock::Error;
use crate::transport::{BidiPoll, BidiStream, Client, ClientOptions};

/// Test builds only (`--features test-panic`): panics, for the safety net's test of the voice
/// module.
#[cfg(feature = "test-panic")]
#[wasm_bindgen(js_name = __testPanic)]
pub fn test_panic() {
    panic!("test panic (voice)");
}

/// InvokeModelWithBidirectionalStream: starts opening the WebSocket for `model_id` (poll
/// [`RawBidi::opened`]) with the main module's client settings and its learned clock offset.
/// `auth` is `{ accessKeyId, secretAccessKey, sessionToken? }`; an API key (`{ token }`) is
/// refused here, before connecting, as is an insecure endpoint.
#[wasm_bindgen(js_name = openBidi)]
#[allow(clippy::too_many_arguments)]
pub fn open_bidi(
    region: &str,
    endpoint: Option<String>,
    allow_insecure_endpoint: bool,
    stream_idle_timeout_ms: u32,
    clock_offset_ms: f64,
    model_id: &str,
    auth: JsValue,
    signal: Option<web_sys::AbortSignal>,
) -> Result<RawBidi, JsValue> {
    let (endpoint, endpoint_policy) =
        checked_endpoint(endpoint.as_deref(), region, allow_insecure_endpoint)?;
    let options = ClientOptions {
        stream_idle_timeout_ms,
        endpoint_policy,
        ..ClientOptions::default()
    };
    let client = Client::with_auth(endpoint, auth_from(&auth)?).with_options(options);
    client
        .set_clock_offset_ms(clock_offset_ms)
        .map_err(|e| type_error(&e.to_string()))?;
    let stream = client
        .open_bidirectional_stream(model_id, signal.as_ref())
        .map_err(to_js_error)?;
    Ok(RawBidi {
        stream,
        pending_error: None.into(),
    })
}

/// A bidirectional stream, all synchronous: poll `opened` until true, `send` input events
/// (false: the socket's buffer is full, try again shortly), `end` the input, `poll` the
/// output; await `wait()` between polls.
#[wasm_bindgen]
pub struct RawBidi {
    stream: BidiStream,
    /// An error met after some events of a poll, reported by the next one.
    pending_error: RefCell<Option<Error>>,
}

#[wasm_bindgen]
impl RawBidi {
    /// Whether the socket is open; throws if it was refused, aborted or timed out.
    pub fn opened(&self) -> Result<bool, JsValue> {
        self.stream.poll_open().map_err(to_js_error)
    }

    /// Sends one input event's bytes (signed as they go out); `false` while the socket's
    /// buffer is full.
    pub fn send(&self, event: &[u8]) -> Result<bool, JsValue> {
        self.stream.try_send(event).map_err(to_js_error)
    }

    /// Sends the signed end frame; the answer goes on until the service closes.
    pub fn end(&self) -> Result<(), JsValue> {
        self.stream.end().map_err(to_js_error)
    }

    /// Every output event's bytes decodable now, as `Uint8Array`s (empty: await `wait()`);
    /// `undefined` at the clean end. Throws the typed error that ended the stream, once.
    pub fn poll(&self) -> Result<JsValue, JsValue> {
        if let Some(e) = self.pending_error.take() {
            return Err(to_js_error(e));
        }
        let batch = js_sys::Array::new();
        loop {
            match self.stream.poll_next() {
                Ok(BidiPoll::Event(BidiEvent::Chunk(bytes))) => {
                    batch.push(&Uint8Array::from(bytes.as_slice()));
                }
                Ok(BidiPoll::Pending) => break,
                Ok(BidiPoll::End) if batch.length() == 0 => return Ok(JsValue::UNDEFINED),
                Ok(BidiPoll::End) => break,
                Err(e) if batch.length() == 0 => return Err(to_js_error(e)),
                Err(e) => {
                    *self.pending_error.borrow_mut() = Some(e);
                    break;
                }
            }
        }
        Ok(batch.into())
    }

    /// Resolves when something happens on the socket or a bound passes: poll again then.
    pub fn wait(&self) -> js_sys::Promise {
        self.stream.wait()
    }

    /// Closes the socket at once (1000); polling then throws `AbortError`.
    pub fn cancel(&self) {
        self.stream.cancel();
    }
}

/// `novaSonic`'s protocol: Nova Sonic's input events written and its output events read in
/// Rust (`bedrock::sonic`); `index.js` queues the events and builds the objects it documents.
/// Each input method returns the events to send next, as an array of `Uint8Array`s.
#[wasm_bindgen]
pub struct Sonic {
    session: sonic::Session,
    reader: sonic::OutputReader,
    /// The last `audio` event's PCM, until taken.
    pcm: Vec<u8>,
}

fn sonic_events(events: Result<Vec<Vec<u8>>, sonic::SonicError>) -> Result<js_sys::Array, JsValue> {
    let out = js_sys::Array::new();
    for e in events.map_err(|e| type_error(&e.to_string()))? {
        out.push(&Uint8Array::from(e.as_slice()));
    }
    Ok(out)
}

#[wasm_bindgen]
impl Sonic {
    /// A session whose prompt is named `prompt`, its microphone at `input_rate` (default
    /// 16 kHz). Throws a `TypeError` for a rate Nova Sonic does not take.
    #[wasm_bindgen(constructor)]
    pub fn new(prompt: &str, input_rate: Option<u32>) -> Result<Sonic, JsValue> {
        let rate = input_rate.unwrap_or(sonic::INPUT_SAMPLE_RATE);
        Ok(Sonic {
            session: sonic::Session::new(prompt, rate).map_err(|e| type_error(&e.to_string()))?,
            reader: sonic::OutputReader::new(),
            pcm: Vec::new(),
        })
    }

    /// `sessionStart`, `promptStart` and the system prompt (`tools`: the option as JSON text).
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        &mut self,
        max_tokens: Option<f64>,
        top_p: Option<f64>,
        temperature: Option<f64>,
        voice_id: Option<String>,
        output_rate: Option<u32>,
        tools: Option<String>,
        system_prompt: Option<String>,
    ) -> Result<js_sys::Array, JsValue> {
        let max_tokens = match max_tokens {
            Some(n) if !(n.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&n)) => {
                return Err(type_error("maxTokens must be a whole number of at least 1"))
            }
            n => n.map(|n| n as u32),
        };
        let tools = tools
            .map(|t| sonic::Tools::from_json(t.as_bytes()))
            .transpose();
        let tools = tools.map_err(|e| type_error(&e.to_string()))?;
        let config = sonic::SessionConfig {
            max_tokens,
            top_p,
            temperature,
            voice_id: voice_id.as_deref().unwrap_or(sonic::DEFAULT_VOICE),
            output_sample_rate: output_rate.unwrap_or(sonic::OUTPUT_SAMPLE_RATE),
            tools: tools.as_ref(),
            system_prompt: system_prompt.as_deref().unwrap_or_default(),
        };
        sonic_events(self.session.start(&config))
    }

    /// One `audioInput` (the microphone's `contentStart` first if it is not open).
    pub fn audio(&mut self, pcm: &[u8]) -> Result<js_sys::Array, JsValue> {
        sonic_events(self.session.audio(pcm))
    }

    /// A text content (`role`: USER, ASSISTANT or SYSTEM), or with `tool_use_id` a tool's
    /// result.
    pub fn text(
        &mut self,
        role: &str,
        text: &str,
        interactive: bool,
        tool_use_id: Option<String>,
    ) -> Result<js_sys::Array, JsValue> {
        if let Some(id) = tool_use_id {
            return sonic_events(self.session.tool_result(&id, text));
        }
        let role = sonic::Role::from_name(role).map_err(|e| type_error(&e.to_string()))?;
        sonic_events(self.session.text(role, text, interactive))
    }

    /// The microphone's `contentEnd` (`all`: and the end of the input, nothing after the
    /// first).
    pub fn end(&mut self, all: bool) -> js_sys::Array {
        let events = if all {
            self.session.end()
        } else {
            self.session.end_audio()
        };
        sonic_events(Ok(events)).unwrap_or_default()
    }

    /// One output event, read: the JSON text of a `NovaSonicEvent` (index.d.ts), but for an
    /// `audio` event's PCM, which [`pcm`](Self::pcm) gives. Throws `InvalidResponseError`.
    pub fn read(&mut self, bytes: &[u8]) -> Result<String, JsValue> {
        use sonic::Output as O;
        let event = sonic::OutputEvent::parse(bytes).map_err(|e| to_js_error(e.into()))?;
        let mut w = JsonWriter::default();
        w.raw("{");
        let id = match self
            .reader
            .read(&event)
            .map_err(|e| to_js_error(e.into()))?
        {
            O::Transcript {
                role,
                text,
                final_text,
                content_id,
            } => {
                w.str("type", "transcript")
                    .str("role", role)
                    .str("text", text)
                    .key("final")
                    .raw(if final_text { "true" } else { "false" });
                content_id
            }
            O::Audio { pcm, content_id } => {
                self.pcm = pcm;
                w.str("type", "audio");
                content_id
            }
            O::ToolUse {
                tool_use_id,
                tool_name,
                input,
                content_id,
            } => {
                w.str("type", "toolUse")
                    .str("toolUseId", tool_use_id)
                    .str("toolName", tool_name)
                    .key("input");
                // The input parsed when it is JSON, else as the text.
                match serde_json::from_slice::<serde_json::Value>(input.as_bytes()) {
                    Ok(v) => w.value(&v),
                    Err(_) => w.string(input),
                };
                content_id
            }
            O::Usage {
                input_tokens,
                output_tokens,
                total_tokens,
                details,
            } => {
                w.str("type", "usage")
                    .key("inputTokens")
                    .int(input_tokens)
                    .key("outputTokens")
                    .int(output_tokens)
                    .key("totalTokens")
                    .int(total_tokens);
                if let Some(d) = details {
                    w.key("details").value(d);
                }
                None
            }
            O::Interrupted { content_id } => {
                w.str("type", "interrupted");
                content_id
            }
            O::CompletionEnd { stop_reason } => {
                w.str("type", "completionEnd")
                    .str("stopReason", stop_reason);
                None
            }
            // `{"type":"other","name":…,"event":…}`.
            O::ContentStart { body, .. } | O::ContentEnd { body, .. } | O::Other { body, .. } => {
                w.str("type", "other")
                    .str("name", &event.name)
                    .key("event")
                    .value(body);
                None
            }
        };
        if let Some(id) = id {
            w.str("contentId", id);
        }
        w.raw("}");
        Ok(String::from_utf8(w.0).unwrap_or_default())
    }

    /// The PCM of the last `audio` event read.
    pub fn pcm(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pcm)
    }
}
