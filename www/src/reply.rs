//! What the page shows about one answer while it streams and after, and the decoded frames
//! the inspector lists.

use bedrock_wasm::bedrock::converse::Message as ConverseMessage;
use bedrock_wasm::bedrock::Output;
use bedrock_wasm::eventstream::{HeaderValue, Message};
use leptos::prelude::*;

use crate::failure::Failure;

/// One answer's signals.
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
    /// The whole assistant message (Converse): what the next turn sends back, and the tool
    /// calls to answer. Set when the answer ends.
    pub message: RwSignal<Option<ConverseMessage>>,
}

impl Default for Reply {
    fn default() -> Self {
        Self::new()
    }
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
            message: RwSignal::new(None),
        }
    }

    pub fn clear(&self) {
        self.generation.update(|g| *g += 1);
        self.text.set(String::new());
        self.reasoning.set(String::new());
        self.figures.set(String::new());
        self.error.set(String::new());
        self.message.set(None);
    }

    /// A whole answer at once (no streaming).
    pub fn show(&self, out: &Output) {
        self.text.set(out.text.clone());
        self.reasoning.set(out.reasoning.clone());
    }

    /// The end of a request: its figures, "Stopped.", or the error.
    pub fn finish(&self, result: Result<String, Failure>) {
        match result {
            Ok(figures) => self.figures.set(figures),
            Err(Failure::Stopped) => self.figures.set(Failure::Stopped.message()),
            Err(e) => self.error.set(e.to_string()),
        }
        self.busy.set(false);
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
    pub fn from_message(m: &Message) -> Self {
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
