use base64::Engine as _;

use super::{ConverseStreamEvent, Error, StreamException};
// `Frame`: a wire-format message, not the chat `converse::Message`.
use crate::eventstream::{Decoder, Message as Frame};

/// Frames kept by [`ResponseStreamDecoder::record_frames`]: the first `limit` decoded frames.
#[derive(Debug, Default)]
struct Recorder {
    limit: usize,
    frames: Vec<Frame>,
}

/// One event of either streaming response, decoded: an InvokeModelWithResponseStream chunk,
/// or a ConverseStream event ([`ConverseStreamEvent`]: the typed [`ConverseEvent`](super::ConverseEvent)
/// plus its payload as sent).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// An InvokeModelWithResponseStream `chunk`: the model-native JSON bytes, already
    /// base64-decoded.
    Chunk(Vec<u8>),
    /// A ConverseStream event (`messageStart`, `contentBlockStart`, `contentBlockDelta`,
    /// `contentBlockStop`, `messageStop`, `metadata`).
    Converse(ConverseStreamEvent),
}

/// Turns response bytes into [`StreamEvent`]s: frames → events, dispatched on `:event-type`.
/// Exception frames (and unmodeled `error` frames) become [`Error::StreamException`]; unknown
/// event types are skipped, as the AWS SDKs do.
#[derive(Debug, Default)]
pub struct ResponseStreamDecoder {
    frames: Decoder,
    recorder: Option<Recorder>,
    meaning_only: bool,
    /// An error was returned: the stream is over, and it is not reported again.
    failed: bool,
}

impl ResponseStreamDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_frame_decoder(frames: Decoder) -> Self {
        Self {
            frames,
            recorder: None,
            meaning_only: false,
            failed: false,
        }
    }

    /// Keeps a copy of the first `limit` decoded frames (headers and raw payload), for
    /// inspectors and debugging; see [`recorded_frames`](Self::recorded_frames).
    pub fn record_frames(&mut self, limit: usize) {
        self.recorder = Some(Recorder {
            limit,
            frames: Vec::new(),
        });
    }

    /// The frames kept since [`record_frames`](Self::record_frames), in arrival order.
    pub fn recorded_frames(&self) -> &[Frame] {
        self.recorder.as_ref().map_or(&[], |r| &r.frames)
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.frames.push(bytes);
    }

    /// For readers that use only the typed events (text extraction): ConverseStream text
    /// deltas are then read without a JSON tree and their `payload` is `Null`. Every event
    /// means the same; only `ConverseStreamEvent::payload` of text deltas is left out.
    pub fn meaning_only(&mut self) {
        self.meaning_only = true;
    }

    /// The next event, `Ok(None)` when more bytes are needed. An error (corrupt bytes, an
    /// exception frame, a malformed event) is returned once; the stream is over after it and
    /// every later call gives `Ok(None)`.
    pub fn next_event(&mut self) -> Result<Option<StreamEvent>, Error> {
        if self.failed {
            return Ok(None);
        }
        let next = self.decode_next();
        self.failed = next.is_err();
        next
    }

    fn decode_next(&mut self) -> Result<Option<StreamEvent>, Error> {
        while let Some(message) = self.frames.next_message()? {
            if let Some(r) = &mut self.recorder {
                if r.frames.len() < r.limit {
                    r.frames.push(message.clone());
                }
            }
            if let Some(event) = interpret(&message, self.meaning_only)? {
                return Ok(Some(event));
            }
        }
        Ok(None)
    }

    /// Call when the body has ended: a partial frame left over is a truncated stream. After
    /// an error already returned by [`next_event`](Self::next_event), `Ok(())`.
    pub fn finish(&self) -> Result<(), Error> {
        if self.failed {
            return Ok(());
        }
        self.frames.finish().map_err(Error::from)
    }
}

fn interpret(message: &Frame, meaning_only: bool) -> Result<Option<StreamEvent>, Error> {
    match event_type(message)? {
        "chunk" => chunk_bytes(&message.payload).map(|b| Some(StreamEvent::Chunk(b))),
        "contentBlockDelta" if meaning_only => Ok(Some(StreamEvent::Converse(
            match ConverseStreamEvent::text_delta_only(&message.payload) {
                Some(e) => e,
                None => {
                    match ConverseStreamEvent::from_payload("contentBlockDelta", &message.payload)?
                    {
                        Some(e) => e,
                        None => return Ok(None),
                    }
                }
            },
        ))),
        other => {
            Ok(ConverseStreamEvent::from_payload(other, &message.payload)?
                .map(StreamEvent::Converse))
        }
    }
}

/// What a frame of a Bedrock response stream is: an event's `:event-type`, or the typed error
/// of an exception frame (`:exception-type`, JSON payload) or of an unmodeled `error` frame
/// (`:error-code`, `:error-message`). Shared by every stream Bedrock sends (the bidirectional
/// stream's output included).
pub(super) fn event_type(message: &Frame) -> Result<&str, Error> {
    match message.str_header(":message-type") {
        // Smithy's compliance cases (MissingEventTypeOutput, MalformedEventTypeOutput):
        // an event that does not say what it is, or not as a string, is malformed.
        Some("event") => message.str_header(":event-type").ok_or_else(|| {
            Error::response_shape("event-stream event without a string :event-type header")
        }),
        Some("exception") => {
            let kind = message
                .str_header(":exception-type")
                .unwrap_or("unknownException");
            Err(Error::from(exception(kind, &message.payload)))
        }
        Some("error") => Err(Error::from(StreamException {
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
        other => Err(Error::response_shape(format!(
            "event-stream message with :message-type {other:?}"
        ))),
    }
}

/// `{"bytes":"<base64>","p":"…"}` → the decoded bytes; `p` is padding and ignored.
pub(super) fn chunk_bytes(payload: &[u8]) -> Result<Vec<u8>, Error> {
    if let Some(b64) = plain_chunk(payload) {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) {
            return Ok(bytes);
        }
    }
    // Borrowed: base64 never needs unescaping, so the text is not copied.
    #[derive(serde::Deserialize)]
    struct Part<'a> {
        #[serde(borrow)]
        bytes: Option<std::borrow::Cow<'a, str>>,
    }
    let part: Part = serde_json::from_slice(payload)
        .map_err(|e| Error::response_shape(format!("chunk payload is not JSON: {e}")))?;
    let b64 = part
        .bytes
        .ok_or_else(|| Error::response_shape("chunk payload has no \"bytes\" field"))?;
    base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .map_err(|e| Error::response_shape(format!("chunk \"bytes\" is not base64: {e}")))
}

/// The base64 of a chunk written exactly as Bedrock writes it — `{"bytes":"<base64>"}` or
/// `{"bytes":"<base64>","p":"<padding>"}`, nothing escaped — found without a JSON parser (the
/// decode path's hottest step). Any other payload, valid or not, is `None` and goes through
/// the parser, which says what is wrong with it.
fn plain_chunk(payload: &[u8]) -> Option<&[u8]> {
    let rest = payload.strip_prefix(b"{\"bytes\":\"")?;
    let end = rest.iter().position(|&b| b == b'"')?;
    let (b64, tail) = rest.split_at(end);
    // Printable ASCII without quotes or escapes: what the parser would take as is.
    let plain = |s: &[u8]| {
        s.iter()
            .all(|&b| (0x20..0x7f).contains(&b) && b != b'\\' && b != b'"')
    };
    let tail_ok = tail == b"\"}"
        || tail
            .strip_prefix(b"\",\"p\":\"")
            .and_then(|t| t.strip_suffix(b"\"}"))
            .is_some_and(plain);
    (plain(b64) && tail_ok).then_some(b64)
}

fn exception(kind: &str, payload: &[u8]) -> StreamException {
    let json: serde_json::Value = super::json::from_slice_lenient(payload).unwrap_or_default();
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

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::bedrock::{BlockDelta, ConverseEvent};

    fn event_frame(kind: &str, payload: &str) -> Vec<u8> {
        Frame::new(payload.as_bytes().to_vec())
            .with_str_header(":event-type", kind)
            .with_str_header(":content-type", "application/json")
            .with_str_header(":message-type", "event")
            .encode()
    }

    fn decode(bytes: &[u8]) -> Vec<Result<StreamEvent, Error>> {
        let mut d = ResponseStreamDecoder::new();
        d.push(bytes);
        let mut out = Vec::new();
        loop {
            match d.next_event() {
                Ok(Some(e)) => out.push(Ok(e)),
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(e));
                    break;
                }
            }
        }
        d.finish().unwrap();
        out
    }

    #[test]
    fn the_plain_chunk_shortcut_agrees_with_the_json_parser_on_every_shape() {
        // Through the parser only, as before the shortcut.
        fn parsed(payload: &[u8]) -> Result<Vec<u8>, String> {
            #[derive(serde::Deserialize)]
            struct Part {
                bytes: Option<String>,
            }
            let part: Part = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
            let b64 = part.bytes.ok_or("no bytes")?;
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| e.to_string())
        }
        let cases: &[&[u8]] = &[
            br#"{"bytes":"aGVsbG8="}"#,
            br#"{"bytes":"aGVsbG8=","p":"abcdefghij"}"#,
            br#"{"bytes":"aGVsbG8=","p":""}"#,
            br#"{"bytes":""}"#,
            // Escapes, other keys, order, spacing, duplicates, trailing bytes: the parser's.
            br#"{"bytes":"aGVs\/bG8="}"#,
            br#"{"bytes":"a\u0047VsbG8="}"#,
            br#"{"bytes":"aGVsbG8=","p":"x\"y"}"#,
            br#"{"bytes":"aGVsbG8=","bytes":"aGk="}"#,
            br#"{"bytes":"aGVsbG8=","p":"a","q":1}"#,
            br#"{"bytes":"aGVsbG8=","p":"a"}x"#,
            br#"{"bytes":"aGVsbG8=","p":"a"} "#,
            br#"{"bytes":"aGVsbG8=" }"#,
            br#"{"p":"a","bytes":"aGVsbG8="}"#,
            br#"{"bytes":"aGVsbG8"}"#,
            br#"{"bytes":"aGVs bG8="}"#,
            br#"{"bytes":"aGVsbG8=","p":"#,
            br#"{"bytes":"aGVsbG8="#,
            br#"{"bytes":"#,
            b"{\"bytes\":\"aGVsbG8=\",\"p\":\"\xff\"}",
            b"{\"bytes\":\"aGVsbG8=\",\"p\":\"\x01\"}",
            b"{\"bytes\":\"aGVsbG8=\",\"p\":\"\xc3\xa9\"}",
            br#"{"bytes":null}"#,
            br#"{}"#,
            b"",
        ];
        for case in cases {
            let ours = chunk_bytes(case).map_err(|_| ());
            let reference = parsed(case).map_err(|_| ());
            assert_eq!(ours, reference, "{}", String::from_utf8_lossy(case));
        }
        assert_eq!(
            plain_chunk(br#"{"bytes":"aGk=","p":"abc"}"#),
            Some(&b"aGk="[..])
        );
        assert_eq!(plain_chunk(br#"{"bytes":"aGk=","p":"a\"}"#), None);
    }

    #[test]
    fn events_dispatch_on_event_type_and_unknown_ones_are_skipped() {
        let bytes = [
            event_frame("chunk", r#"{"bytes":"eyJhIjoxfQ==","p":"abc"}"#),
            event_frame("somethingNew", "whatever"),
            event_frame(
                "contentBlockDelta",
                r#"{"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"abcdefgh"}"#,
            ),
        ]
        .concat();
        let events = decode(&bytes);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0], Ok(StreamEvent::Chunk(br#"{"a":1}"#.to_vec())));
        let Ok(StreamEvent::Converse(e)) = &events[1] else {
            panic!("{:?}", events[1]);
        };
        assert_eq!(
            e.event,
            ConverseEvent::ContentBlockDelta {
                index: 0,
                delta: BlockDelta::Text("Hi".into())
            }
        );
        assert_eq!(
            e.payload_json().unwrap(),
            serde_json::json!({"contentBlockIndex": 0, "delta": {"text": "Hi"}})
        );
    }

    #[test]
    fn exceptions_are_typed_for_both_operations() {
        for kind in [
            "internalServerException",
            "modelStreamErrorException",
            "validationException",
            "throttlingException",
            "modelTimeoutException",
            "serviceUnavailableException",
        ] {
            let frame = Frame::new(br#"{"message":"m","originalStatusCode":503}"#.to_vec())
                .with_str_header(":message-type", "exception")
                .with_str_header(":exception-type", kind)
                .encode();
            let events = decode(&frame);
            let Some(e) = &events[0].as_ref().err().and_then(Error::stream_exception) else {
                panic!("{events:?}");
            };
            assert_eq!(e.name[1..], kind[1..]);
            assert!(e.name.starts_with(|c: char| c.is_ascii_uppercase()));
            assert_eq!(e.message, "m");
            assert_eq!(e.original_status_code, Some(503));
        }
    }

    #[test]
    fn error_frames_use_their_headers() {
        let frame = Frame::new(Vec::new())
            .with_str_header(":message-type", "error")
            .with_str_header(":error-code", "InternalFailure")
            .with_str_header(":error-message", "try again")
            .encode();
        let events = decode(&frame);
        let Some(e) = &events[0].as_ref().err().and_then(Error::stream_exception) else {
            panic!("{events:?}");
        };
        assert_eq!(
            (e.name.as_str(), e.message.as_str()),
            ("InternalFailure", "try again")
        );
    }

    #[test]
    fn recorded_frames_are_bounded_and_in_order() {
        let bytes = [
            event_frame("chunk", r#"{"bytes":"eyJhIjoxfQ=="}"#),
            event_frame("somethingNew", "x"),
            event_frame("chunk", r#"{"bytes":"eyJhIjoyfQ=="}"#),
        ]
        .concat();
        let mut d = ResponseStreamDecoder::new();
        assert!(d.recorded_frames().is_empty());
        d.record_frames(2);
        d.push(&bytes);
        while d.next_event().unwrap().is_some() {}
        let kinds: Vec<_> = d
            .recorded_frames()
            .iter()
            .map(|m| m.str_header(":event-type").unwrap())
            .collect();
        assert_eq!(kinds, ["chunk", "somethingNew"]);
    }

    #[test]
    fn an_error_is_reported_once_then_the_stream_is_over() {
        let good = event_frame("chunk", r#"{"bytes":"eyJhIjoxfQ=="}"#);
        let mut bad = good.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0xff;
        let mut d = ResponseStreamDecoder::new();
        d.push(&[good.clone(), bad, good].concat());
        assert!(matches!(d.next_event(), Ok(Some(StreamEvent::Chunk(_)))));
        assert!(matches!(
            d.next_event().as_ref().map_err(Error::kind),
            Err(crate::bedrock::ErrorKind::Decode(_))
        ));
        // Not again, and not as a truncated stream at the end either.
        assert_eq!(d.next_event(), Ok(None));
        d.push(b"more bytes after the failure");
        assert_eq!(d.next_event(), Ok(None));
        assert_eq!(d.finish(), Ok(()));
        // An exception frame is an error too: reported once.
        let mut d = ResponseStreamDecoder::new();
        d.push(
            &Frame::new(br#"{"message":"m"}"#.to_vec())
                .with_str_header(":message-type", "exception")
                .with_str_header(":exception-type", "throttlingException")
                .encode(),
        );
        assert!(matches!(
            d.next_event().as_ref().map_err(Error::kind),
            Err(crate::bedrock::ErrorKind::StreamException(_))
        ));
        assert_eq!(d.next_event(), Ok(None));
    }

    #[test]
    fn a_malformed_converse_event_is_an_error() {
        let events = decode(&event_frame("messageStop", "{}"));
        assert!(matches!(
            events[0].as_ref().map_err(Error::kind),
            Err(crate::bedrock::ErrorKind::ResponseShape(_))
        ));
    }
}
