//! The plan of a response stream: the frames to send, each with the number of generated
//! tokens it carries (its pacing). Families and Converse plan; `server` encodes and paces.

use crate::json::J;

/// What a stream chunk's `amazon-bedrock-invocationMetrics` reports; latencies are filled in
/// when the chunk is sent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Metrics {
    pub input: u32,
    pub output: u32,
    /// Adds `cacheReadInputTokenCount` / `cacheWriteInputTokenCount` (0), as Nova does.
    pub cache: bool,
}

/// One frame of a planned response stream.
#[derive(Debug, Clone)]
pub(crate) enum Frame {
    /// An InvokeModelWithResponseStream `chunk`: model-native JSON, base64 in `bytes`, next to
    /// `p` padding. With `metrics`, the invocation metrics are appended when it is sent.
    Chunk { json: J, metrics: Option<Metrics> },
    /// A ConverseStream event: `p` is added when sent; a `metadata` event gets
    /// `metrics.latencyMs` then.
    Event { event_type: &'static str, json: J },
    /// Bytes sent as they are (a replayed capture frame).
    Raw(Vec<u8>),
}

/// A planned frame and the number of generated tokens it carries: it is due
/// `tokens × token_delay` after the previous one.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub tokens: u32,
    pub frame: Frame,
}

/// An InvokeModelWithResponseStream chunk carrying `tokens` generated tokens.
pub(crate) fn chunk(tokens: u32, json: J) -> Planned {
    Planned {
        tokens,
        frame: Frame::Chunk {
            json,
            metrics: None,
        },
    }
}
