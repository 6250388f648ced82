//! Running one request into a [`Reply`]: streaming or whole, InvokeModel or Converse, with
//! the figures the page shows and errors in plain words.

use bedrock_wasm::bedrock::converse::ConverseRequest;
use bedrock_wasm::bedrock::{
    invoke_body, ConverseInput, Error, ErrorKind, InvokeModelInput, ModelFamily, Output,
    OutputReader,
};
use bedrock_wasm::eventstream::{HeaderValue, Message};
use bedrock_wasm::transport::{Client, ResponseMetadata, ResponseStream};
use leptos::prelude::*;
use web_sys::AbortSignal;

use crate::catalog;

/// What the page shows about one answer.
#[derive(Clone, Copy)]
pub struct Reply {
    pub text: RwSignal<String>,
    pub reasoning: RwSignal<String>,
    pub figures: RwSignal<String>,
    pub error: RwSignal<String>,
    pub busy: RwSignal<bool>,
    /// Changes whenever `text` and `reasoning` start over (rather than grow), so the views
    /// that only append know to start over too.
    pub generation: RwSignal<u64>,
}

impl Reply {
    pub fn new() -> Self {
        Self {
            text: RwSignal::new(String::new()),
            reasoning: RwSignal::new(String::new()),
            figures: RwSignal::new(String::new()),
            error: RwSignal::new(String::new()),
            busy: RwSignal::new(false),
            generation: RwSignal::new(0),
        }
    }

    pub fn clear(&self) {
        self.generation.update(|g| *g += 1);
        self.text.set(String::new());
        self.reasoning.set(String::new());
        self.figures.set(String::new());
        self.error.set(String::new());
    }
}

/// One decoded event-stream frame, as the inspector shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub headers: String,
    pub payload: String,
    /// A chunk's `bytes`, base64-decoded (the model-native JSON).
    pub decoded: Option<String>,
}

/// How many frames the inspector keeps.
pub const MAX_FRAMES: usize = 2000;

impl Frame {
    fn from_message(m: &Message) -> Self {
        use base64::Engine as _;
        let headers = m
            .headers
            .iter()
            .map(|h| match &h.value {
                HeaderValue::String(s) => format!("{}: {s}", h.name),
                other => format!("{}: {other:?}", h.name),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let payload = String::from_utf8_lossy(&m.payload).into_owned();
        let decoded = serde_json::from_slice::<serde_json::Value>(&m.payload)
            .ok()
            .and_then(|v| v.get("bytes")?.as_str().map(str::to_owned))
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        Self {
            headers,
            payload,
            decoded,
        }
    }
}

/// A request ready to run.
pub struct Job {
    pub client: Client,
    pub model_id: String,
    pub converse: bool,
    pub streaming: bool,
    pub body: Vec<u8>,
    pub request: ConverseRequest,
}

/// Runs `job`, filling `reply`. Returns the figures; frames of a stream go to `frames`.
pub async fn run(
    job: Job,
    reply: Reply,
    signal: AbortSignal,
    frames: Option<RwSignal<Vec<Frame>>>,
) -> Result<String, Error> {
    let family = catalog::family(&job.model_id);
    let started = js_sys::Date::now();
    let offset_before = job.client.clock_offset_ms();
    let mut first_token = None;
    let (output, meta, headers) = if job.streaming {
        let mut stream: ResponseStream = if job.converse {
            let input = ConverseInput {
                model_id: job.model_id.clone(),
                request: job.request,
            };
            job.client.converse_stream(&input, Some(&signal)).await?
        } else {
            let input = InvokeModelInput::new(job.model_id.clone(), job.body);
            job.client
                .invoke_model_with_response_stream(&input, Some(&signal))
                .await?
        };
        // Only the typed events are used here (the inspector keeps its own copy of frames).
        stream.meaning_only();
        if frames.is_some() {
            stream.record_frames(MAX_FRAMES);
        }
        let mut extractor = OutputReader::new(if job.converse {
            ModelFamily::Unknown
        } else {
            family
        });
        let mut failure = None;
        while let Some(event) = stream.next().await {
            let delta = event.and_then(|e| extractor.event(&e));
            match delta {
                Ok(d) => {
                    if !d.text.is_empty() {
                        first_token.get_or_insert_with(js_sys::Date::now);
                        reply.text.update(|t| t.push_str(&d.text));
                    }
                    if !d.reasoning.is_empty() {
                        first_token.get_or_insert_with(js_sys::Date::now);
                        reply.reasoning.update(|t| t.push_str(&d.reasoning));
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        if let Some(f) = frames {
            f.set(
                stream
                    .recorded_frames()
                    .iter()
                    .map(Frame::from_message)
                    .collect(),
            );
        }
        if let Some(e) = failure {
            return Err(e);
        }
        (extractor.into_output(), stream.metadata().clone(), None)
    } else if job.converse {
        let input = ConverseInput {
            model_id: job.model_id.clone(),
            request: job.request,
        };
        let out = job.client.converse(&input, Some(&signal)).await?;
        let r = out.response;
        let text = r
            .output
            .message
            .as_ref()
            .map(|m| m.text())
            .unwrap_or_default();
        let output = Output {
            text,
            stop_reason: Some(r.stop_reason),
            usage: Some(bedrock_wasm::bedrock::Usage {
                input_tokens: r.usage.input_tokens,
                output_tokens: r.usage.output_tokens,
                total_tokens: Some(r.usage.total_tokens),
                ..Default::default()
            }),
            latency_ms: Some(r.metrics.latency_ms),
            ..Default::default()
        };
        reply.text.set(output.text.clone());
        (output, out.metadata, None)
    } else {
        let input = InvokeModelInput::new(job.model_id.clone(), job.body);
        let out = job.client.invoke_model(&input, Some(&signal)).await?;
        let output = invoke_body(family, &out.body)?;
        reply.text.set(output.text.clone());
        reply.reasoning.set(output.reasoning.clone());
        let h = |name: &str| out.header(name).and_then(|v| v.parse::<u64>().ok());
        let headers = (
            h("x-amzn-bedrock-input-token-count"),
            h("x-amzn-bedrock-output-token-count"),
            h("x-amzn-bedrock-invocation-latency"),
        );
        (output, out.metadata.clone(), Some(headers))
    };
    let ended = js_sys::Date::now();
    let skew = job.client.clock_offset_ms() - offset_before;
    Ok(figures(
        &job.model_id,
        &output,
        &meta,
        headers,
        started,
        first_token,
        ended,
        skew,
    ))
}

#[allow(clippy::too_many_arguments)]
fn figures(
    model_id: &str,
    out: &Output,
    meta: &ResponseMetadata,
    headers: Option<(Option<u64>, Option<u64>, Option<u64>)>,
    started: f64,
    first_token: Option<f64>,
    ended: f64,
    skew_ms: f64,
) -> String {
    let (h_in, h_out, h_latency) = headers.unwrap_or_default();
    let input = out
        .usage
        .map(|u| u.input_tokens)
        .or(out.metrics.map(|m| m.input_token_count))
        .or(h_in);
    let output = out
        .usage
        .map(|u| u.output_tokens)
        .or(out.metrics.map(|m| m.output_token_count))
        .or(h_out);
    let mut parts = Vec::new();
    if let Some(n) = input {
        parts.push(format!("input tokens {n}"));
    }
    if let Some(n) = output {
        parts.push(format!("output tokens {n}"));
    }
    let latency = out
        .metrics
        .map(|m| m.invocation_latency)
        .or(out.latency_ms)
        .or(h_latency);
    if let Some(ms) = latency {
        parts.push(format!("invocation latency {ms} ms"));
    }
    if let Some(m) = out.metrics {
        parts.push(format!("first byte latency {} ms", m.first_byte_latency));
    }
    if let Some(t) = first_token {
        parts.push(format!("first token after {:.0} ms", t - started));
        if let Some(n) = output.filter(|&n| n > 1) {
            let secs = (ended - t) / 1000.0;
            if secs > 0.0 {
                parts.push(format!("{:.1} tokens/s", (n - 1) as f64 / secs));
            }
        }
    } else {
        parts.push(format!("total {:.0} ms", ended - started));
    }
    if let Some(r) = &out.stop_reason {
        parts.push(format!("stop reason {r}"));
    }
    if let Some(c) = catalog::cost(model_id, input.unwrap_or(0), output.unwrap_or(0)) {
        parts.push(format!("≈ ${c:.5}"));
    }
    if meta.attempts > 1 {
        parts.push(format!(
            "{} attempts ({} retried after {:.1} s of backoff)",
            meta.attempts,
            meta.attempts - 1,
            meta.total_retry_delay_ms / 1000.0
        ));
    }
    if skew_ms.abs() >= 1000.0 {
        parts.push(format!(
            "clock skew corrected: signing {:+.0} s off this computer's clock",
            skew_ms / 1000.0
        ));
    }
    parts.join(" · ")
}

/// An error in plain words, with the fix and what was already tried.
pub fn explain(e: &Error) -> String {
    let mut s = e.to_string();
    match e.kind() {
        ErrorKind::Service(se) => {
            if se.attempts > 1 {
                s += &format!(
                    "\nTried {} times ({:.1} s of backoff) before giving up.",
                    se.attempts,
                    se.total_retry_delay_ms as f64 / 1000.0
                );
            }
            if se.is_clock_skew() {
                s += "\nThe clock was corrected from the service's time and the request re-signed once; it still failed.";
            }
            if let Some(id) = &se.request_id {
                s += &format!("\nRequest id: {id}");
            }
        }
        ErrorKind::StreamException(_) | ErrorKind::Decode(_) => {
            s += "\nThe text received so far is kept; press Retry to ask again.";
        }
        _ => {}
    }
    s
}
