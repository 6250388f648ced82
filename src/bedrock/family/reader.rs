//! Reading answers: [`OutputReader`] turns a response's chunks (or a whole body) into an
//! [`Output`], asking the family's shape module how each chunk is laid out.

use serde_json::Value;

use super::super::converse_stream::ConverseEvent;
use super::super::output::{Accumulator, InvocationMetrics, TextDelta};
use super::super::{Error, Output, StreamEvent};
use super::{ModelFamily, PROBE_ORDER};

/// Reads one response's model-native JSON, chunk by chunk, keeping what came before: open
/// tool-call blocks, token counts, and the [`Output`] so far (which stays available after an
/// error, e.g. a stream exception).
///
/// The family decides how a chunk is read; a chunk that has none of the family's keys (or
/// any chunk, for [`ModelFamily::Unknown`]) is read by probing its keys. Unknown fields and
/// unknown Anthropic event types (`ping`) are ignored.
#[derive(Debug, Clone)]
pub struct OutputReader {
    family: ModelFamily,
    acc: Accumulator,
}

impl Default for OutputReader {
    /// For ConverseStream, or when the model id is not known.
    fn default() -> Self {
        Self::new(ModelFamily::Unknown)
    }
}

impl OutputReader {
    pub fn new(family: ModelFamily) -> Self {
        Self {
            family,
            acc: Accumulator::default(),
        }
    }

    pub fn family(&self) -> ModelFamily {
        self.family
    }

    /// One InvokeModelWithResponseStream chunk (the decoded `bytes`), or a whole InvokeModel
    /// body: what it adds.
    pub fn chunk(&mut self, model_json: &[u8]) -> Result<TextDelta, Error> {
        let own = self.family.reader();
        let mut d = TextDelta::default();
        // Unknown: the first shape probed may take its fast path, since probing would pick
        // that shape for any chunk the fast path accepts.
        if let Some(fast) = own.unwrap_or(PROBE_ORDER[0]).fast {
            if fast(model_json, &mut self.acc, &mut d) {
                return Ok(d);
            }
        }
        let v: Value = super::super::json::from_slice_lenient(model_json)
            .map_err(|e| Error::response_shape(format!("model output is not JSON: {e}")))?;
        if !v.is_object() {
            return Err(Error::response_shape("model output is not a JSON object"));
        }
        let reader = own
            .filter(|r| (r.fits)(&v))
            .or_else(|| PROBE_ORDER.into_iter().find(|r| (r.fits)(&v)));
        if let Some(r) = reader {
            (r.read)(&v, &mut self.acc, &mut d)?;
        }
        if let Some(m) = v.get("amazon-bedrock-invocationMetrics") {
            if let Ok(m) = serde_json::from_value::<InvocationMetrics>(m.clone()) {
                self.acc.metrics(&mut d, m);
            }
        }
        Ok(d)
    }

    /// One ConverseStream event: what it adds. The family plays no part.
    pub fn converse_event(&mut self, event: &ConverseEvent) -> Result<TextDelta, Error> {
        let mut d = TextDelta::default();
        event.apply(&mut self.acc, &mut d)?;
        Ok(d)
    }

    /// Either kind of [`StreamEvent`].
    pub fn event(&mut self, event: &StreamEvent) -> Result<TextDelta, Error> {
        match event {
            StreamEvent::Chunk(bytes) => self.chunk(bytes),
            StreamEvent::Converse(e) => self.converse_event(&e.event),
        }
    }

    /// Everything so far.
    pub fn output(&self) -> &Output {
        &self.acc.out
    }

    /// The assistant message the stream's blocks make, to push onto `messages` for the next
    /// turn (ConverseStream, or Nova's chunks): what the whole Converse answer's
    /// `output.message` holds. `None` for other families' chunks.
    pub fn message(&self) -> Option<crate::bedrock::converse::Message> {
        self.acc.msg.to_converse()
    }

    /// The assistant message as JSON, in the shape the stream spoke: Converse's (see
    /// [`message`](Self::message)) or, for Claude Messages chunks, Claude's native
    /// `{"role":"assistant","content":[{"type":"thinking",…},{"type":"text",…},…]}`.
    pub fn message_json(&self) -> Option<Value> {
        serde_json::from_slice(self.message_json_text()?.as_bytes()).ok()
    }

    /// [`message_json`](Self::message_json) as JSON text.
    pub fn message_json_text(&self) -> Option<String> {
        self.acc.msg.to_json_text()
    }

    pub fn into_output(self) -> Output {
        self.acc.out
    }
}

/// Reads a whole InvokeModel response body.
pub fn invoke_body(family: ModelFamily, bytes: &[u8]) -> Result<Output, Error> {
    let mut x = OutputReader::new(family);
    x.chunk(bytes)?;
    Ok(x.into_output())
}

/// What a chunk (or a whole InvokeModel body) means as text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextChunk {
    pub text: String,
    /// Set on the last chunk.
    pub stop_reason: Option<String>,
    /// The stop sequence that ended the answer, when the model says.
    pub stop_sequence: Option<String>,
    pub metrics: Option<InvocationMetrics>,
}

impl TextChunk {
    /// Reads model-native JSON (an InvokeModel body or one stream chunk) of any family by
    /// probing its keys, without state between chunks. [`OutputReader`] also assembles tool
    /// calls and usage, and knows the family.
    pub fn from_model_json(bytes: &[u8]) -> Result<Self, Error> {
        let d = OutputReader::new(ModelFamily::Unknown).chunk(bytes)?;
        Ok(TextChunk {
            text: d.text,
            stop_reason: d.stop_reason,
            stop_sequence: d.stop_sequence,
            metrics: d.metrics,
        })
    }
}
