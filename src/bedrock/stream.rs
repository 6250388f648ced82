use base64::Engine as _;

use super::{Error, StreamException};
use crate::eventstream::{Decoder, Message};

/// One event of an InvokeModelWithResponseStream response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// A `chunk`: the model-native JSON bytes, already base64-decoded.
    Chunk(Vec<u8>),
}

/// Turns response bytes into [`StreamEvent`]s: frames → events. Exception frames become
/// [`Error::StreamException`]; unknown event types are skipped, as the AWS SDKs do.
#[derive(Debug, Default)]
pub struct ResponseStreamDecoder {
    frames: Decoder,
}

impl ResponseStreamDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_frame_decoder(frames: Decoder) -> Self {
        Self { frames }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.frames.push(bytes);
    }

    /// The next event, `Ok(None)` when more bytes are needed.
    pub fn next_event(&mut self) -> Result<Option<StreamEvent>, Error> {
        while let Some(message) = self.frames.next_message()? {
            if let Some(event) = interpret(&message)? {
                return Ok(Some(event));
            }
        }
        Ok(None)
    }

    /// Call when the body has ended: a partial frame left over is a truncated stream.
    pub fn finish(&self) -> Result<(), Error> {
        self.frames.finish().map_err(Error::from)
    }
}

fn interpret(message: &Message) -> Result<Option<StreamEvent>, Error> {
    match message.str_header(":message-type") {
        Some("event") => match message.str_header(":event-type") {
            Some("chunk") => chunk_bytes(&message.payload).map(|b| Some(StreamEvent::Chunk(b))),
            _ => Ok(None),
        },
        Some("exception") => {
            let kind = message
                .str_header(":exception-type")
                .unwrap_or("unknownException");
            Err(Error::StreamException(exception(kind, &message.payload)))
        }
        Some("error") => Err(Error::StreamException(StreamException {
            name: message
                .str_header(":error-code")
                .unwrap_or("UnknownError")
                .to_owned(),
            message: message
                .str_header(":error-message")
                .unwrap_or("the service reported an error without a message")
                .to_owned(),
            original_status_code: None,
            original_message: None,
        })),
        other => Err(Error::InvalidResponse(format!(
            "event-stream message with :message-type {other:?}"
        ))),
    }
}

/// `{"bytes":"<base64>","p":"…"}` → the decoded bytes; `p` is padding and ignored.
fn chunk_bytes(payload: &[u8]) -> Result<Vec<u8>, Error> {
    #[derive(serde::Deserialize)]
    struct Part {
        bytes: Option<String>,
    }
    let part: Part = serde_json::from_slice(payload)
        .map_err(|e| Error::InvalidResponse(format!("chunk payload is not JSON: {e}")))?;
    let b64 = part
        .bytes
        .ok_or_else(|| Error::InvalidResponse("chunk payload has no \"bytes\" field".into()))?;
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| Error::InvalidResponse(format!("chunk \"bytes\" is not base64: {e}")))
}

fn exception(kind: &str, payload: &[u8]) -> StreamException {
    let json: serde_json::Value = serde_json::from_slice(payload).unwrap_or_default();
    let str_field = |k: &str| json.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    // The union member name is lowerCamelCase; the SDKs name the error in UpperCamelCase.
    let mut name = kind.to_owned();
    if let Some(first) = name.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    StreamException {
        name,
        message: str_field("message")
            .or_else(|| str_field("Message"))
            .unwrap_or_else(|| "no message".into()),
        original_status_code: json
            .get("originalStatusCode")
            .and_then(|v| v.as_u64())
            .and_then(|v| u16::try_from(v).ok()),
        original_message: str_field("originalMessage"),
    }
}
