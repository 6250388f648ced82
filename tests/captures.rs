//! Real Bedrock responses (tests/fixtures/captures, see SOURCE.md there): every capture decodes
//! in every piece size with no bytes left over, and what the crate extracts (text, reasoning,
//! tool calls, stop reason, usage, metrics, exception) equals the golden written by an
//! independent decoder (`make_goldens.py`) and checked by hand.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use bedrock_wasm::bedrock::{
    ConverseEvent, ModelFamily, Output, OutputReader, ResponseStreamDecoder, StreamEvent,
    StreamException, ToolUse,
};
use bedrock_wasm::eventstream::Message;
use serde_json::{json, Value};

struct Capture {
    name: &'static str,
    bytes: &'static [u8],
    golden: &'static str,
}

macro_rules! capture {
    ($source:literal, $name:literal) => {
        Capture {
            name: concat!($source, "/", $name),
            bytes: include_bytes!(concat!(
                "fixtures/captures/",
                $source,
                "/",
                $name,
                ".eventstream"
            )),
            golden: include_str!(concat!(
                "fixtures/captures/",
                $source,
                "/",
                $name,
                ".golden.json"
            )),
        }
    };
}

const CAPTURES: [Capture; 38] = [
    capture!("langchain-aws", "test_agent_loop_streaming[v0]"),
    capture!("langchain-aws", "test_agent_loop_streaming[v1]"),
    capture!("langchain-aws", "test_citations[document0]"),
    capture!("langchain-aws", "test_citations[document1]"),
    capture!("langchain-aws", "test_citations_v1[v0]"),
    capture!("langchain-aws", "test_citations_v1[v1]"),
    capture!("langchain-aws", "test_thinking[v0]"),
    capture!("langchain-aws", "test_thinking[v1]"),
    capture!(
        "openinference",
        "should-handle-ai21-jamba-models-with-streaming"
    ),
    capture!(
        "openinference",
        "should-handle-amazon-nova-models-with-streaming"
    ),
    capture!("openinference", "should-handle-amazon-nova-streaming"),
    capture!(
        "openinference",
        "should-handle-amazon-titan-models-with-streaming"
    ),
    capture!("openinference", "should-handle-amazon-titan-streaming"),
    capture!(
        "openinference",
        "should-handle-basic-converse-stream-responses"
    ),
    capture!(
        "openinference",
        "should-handle-cohere-command-models-with-streaming"
    ),
    capture!(
        "openinference",
        "should-handle-invoke-model-with-response-stream"
    ),
    capture!(
        "openinference",
        "should-handle-large-payloads-and-edge-cases-in-streaming"
    ),
    capture!(
        "openinference",
        "should-handle-meta-llama-models-with-streaming"
    ),
    capture!("openinference", "should-handle-meta-llama-streaming"),
    capture!(
        "openinference",
        "should-handle-mistral-models-with-streaming"
    ),
    capture!(
        "openinference",
        "should-handle-multi-modal-content-in-streaming-responses"
    ),
    capture!(
        "openinference",
        "should-handle-streaming-responses-with-tool-calls"
    ),
    capture!(
        "openinference",
        "should-handle-streaming-tool-calls-and-responses"
    ),
    capture!(
        "openinference",
        "should-handle-system-prompts-with-streaming-responses"
    ),
    capture!(
        "openinference",
        "should-propagate-context-attributes-in-streaming"
    ),
    capture!(
        "pydantic-ai",
        "test_bedrock_model_code_execution_tool_stream"
    ),
    capture!("pydantic-ai", "test_bedrock_model_iter_stream.0"),
    capture!("pydantic-ai", "test_bedrock_model_iter_stream.1"),
    capture!("pydantic-ai", "test_bedrock_model_stream"),
    capture!("pydantic-ai", "test_bedrock_model_stream_empty_text_delta"),
    capture!(
        "pydantic-ai",
        "test_bedrock_model_stream_with_extra_headers"
    ),
    capture!(
        "pydantic-ai",
        "test_bedrock_model_thinking_part_redacted_stream"
    ),
    capture!("pydantic-ai", "test_bedrock_model_thinking_part_stream"),
    capture!("pydantic-ai", "test_bedrock_native_output_stream"),
    capture!("pydantic-ai", "test_stream_cancel"),
    capture!("vercel-ai", "issue-18994-live-converse-stream"),
    capture!("vercel-ai", "model-stream-error-exception.v1-two-frames"),
    capture!(
        "vercel-ai",
        "model-stream-error-exception.v2-single-exception"
    ),
];

/// Piece sizes the body is fed in (`usize::MAX`: all at once).
const PIECES: [usize; 5] = [1, 7, 64, 4096, usize::MAX];

/// What one run over a capture produced.
struct Run {
    events: Vec<StreamEvent>,
    output: Output,
    error: Option<StreamException>,
    /// The deltas, concatenated.
    streamed_text: String,
    streamed_reasoning: String,
    streamed_tools: Vec<ToolUse>,
}

/// Decodes `bytes` fed in pieces of `piece`, extracting with `family`, until the end or a
/// stream exception (which must come with the last frame).
fn run(name: &str, bytes: &[u8], piece: usize, family: ModelFamily) -> Run {
    let mut decoder = ResponseStreamDecoder::new();
    let mut x = OutputReader::new(family);
    let mut r = Run {
        events: Vec::new(),
        output: Output::default(),
        error: None,
        streamed_text: String::new(),
        streamed_reasoning: String::new(),
        streamed_tools: Vec::new(),
    };
    let pieces: Vec<&[u8]> = bytes.chunks(piece.min(bytes.len())).collect();
    'feed: for (i, p) in pieces.iter().enumerate() {
        decoder.push(p);
        loop {
            match decoder.next_event() {
                Ok(Some(event)) => {
                    let d = x
                        .event(&event)
                        .unwrap_or_else(|e| panic!("{name}: {e} at {event:?}"));
                    r.streamed_text.push_str(&d.text);
                    r.streamed_reasoning.push_str(&d.reasoning);
                    r.streamed_tools.extend(d.tool_uses_completed);
                    r.events.push(event);
                }
                Ok(None) => break,
                Err(e) if e.stream_exception().is_some() => {
                    assert_eq!(i, pieces.len() - 1, "{name}: exception before the end");
                    r.error = e.stream_exception().cloned();
                    break 'feed;
                }
                Err(e) => panic!("{name} in {piece}-byte pieces: {e}"),
            }
        }
    }
    decoder
        .finish()
        .unwrap_or_else(|e| panic!("{name}: bytes left over: {e}"));
    r.output = x.into_output();
    r
}

fn operation(events: &[StreamEvent]) -> &'static str {
    match events.first() {
        Some(StreamEvent::Chunk(_)) => "InvokeModelWithResponseStream",
        _ => "ConverseStream",
    }
}

/// The run in the golden's layout.
fn actual(golden: &Value, r: &Run) -> Value {
    let model_id = golden["model_id"].as_str();
    let family = model_id.map_or(ModelFamily::Unknown, ModelFamily::from_model_id);
    let o = &r.output;
    json!({
        "operation": operation(&r.events),
        "model_id": model_id,
        "family": family.as_str(),
        "events": r.events.len(),
        "text": o.text,
        "reasoning": o.reasoning,
        "reasoning_signature": o.reasoning_signature,
        "redacted_reasoning": o.redacted_reasoning,
        "tool_uses": o.tool_uses,
        "stop_reason": o.stop_reason,
        "stop_sequence": o.stop_sequence,
        "usage": o.usage,
        "metrics": o.metrics,
        "latency_ms": o.latency_ms,
        "error": r.error.as_ref().map(|e| json!({
            "name": e.name,
            "message": e.message,
            "original_status_code": e.original_status_code,
            "original_message": e.original_message,
        })),
    })
}

fn assert_matches_golden(name: &str, what: &str, golden: &Value, got: &Value) {
    for (key, want) in golden.as_object().unwrap() {
        assert_eq!(&got[key], want, "{name} ({what}): {key}");
    }
    assert_eq!(got, golden, "{name} ({what})");
}

#[test]
fn every_capture_matches_its_golden_in_every_piece_size() {
    for c in &CAPTURES {
        let golden: Value = serde_json::from_str(c.golden).unwrap();
        let family = golden["model_id"]
            .as_str()
            .map_or(ModelFamily::Unknown, ModelFamily::from_model_id);
        for piece in PIECES {
            let r = run(c.name, c.bytes, piece, family);
            let what = format!("{piece}-byte pieces");
            assert_matches_golden(c.name, &what, &golden, &actual(&golden, &r));
            // The deltas add up to the output.
            assert_eq!(r.streamed_text, r.output.text, "{}", c.name);
            assert_eq!(r.streamed_reasoning, r.output.reasoning, "{}", c.name);
            assert_eq!(r.streamed_tools, r.output.tool_uses, "{}", c.name);
        }
    }
}

#[test]
fn invoke_stream_captures_also_decode_by_key_probing() {
    let mut seen = 0;
    for c in &CAPTURES {
        let golden: Value = serde_json::from_str(c.golden).unwrap();
        if golden["operation"] != "InvokeModelWithResponseStream" {
            continue;
        }
        seen += 1;
        let r = run(c.name, c.bytes, usize::MAX, ModelFamily::Unknown);
        let mut got = actual(&golden, &r);
        // Only the family detection differs; the extracted values must not.
        got["family"] = golden["family"].clone();
        assert_matches_golden(c.name, "probing", &golden, &got);
    }
    assert_eq!(seen, 5);
}

#[test]
fn converse_events_keep_their_payload_without_padding() {
    let mut seen = 0;
    for c in &CAPTURES {
        let r = run(c.name, c.bytes, usize::MAX, ModelFamily::Unknown);
        for event in &r.events {
            let StreamEvent::Converse(e) = event else {
                continue;
            };
            seen += 1;
            let payload = e.payload_json().unwrap();
            assert!(payload.is_object(), "{}", c.name);
            assert!(payload.get("p").is_none(), "{}: p kept", c.name);
            let sdk = e.to_sdk_json().unwrap();
            let sdk = sdk.as_object().unwrap();
            assert_eq!(sdk.len(), 1);
            assert_eq!(sdk[e.event_type()], payload);
            // The typed view is read from that same payload.
            assert_eq!(
                ConverseEvent::from_json(e.event_type(), &payload).unwrap(),
                Some(e.event.clone())
            );
        }
    }
    // All 1,600 frames, less the 300 chunks of the 5 InvokeModelWithResponseStream captures
    // and the 2 exception frames.
    assert_eq!(seen, 1_298);
}

/// Text mode's decoder (`meaning_only`) reads every capture to the same typed events and the
/// same output; only the payload of plain text deltas is left out.
#[test]
fn meaning_only_decoding_means_the_same() {
    let decode = |bytes: &[u8], meaning_only: bool| {
        let mut d = ResponseStreamDecoder::new();
        if meaning_only {
            d.meaning_only();
        }
        d.push(bytes);
        let mut x = OutputReader::new(ModelFamily::Unknown);
        let mut events = Vec::new();
        while let Ok(Some(e)) = d.next_event() {
            x.event(&e).unwrap();
            events.push(e);
        }
        (events, x.into_output())
    };
    let mut skipped = 0;
    for c in &CAPTURES {
        let (full, full_out) = decode(c.bytes, false);
        let (lean, lean_out) = decode(c.bytes, true);
        assert_eq!(full_out, lean_out, "{}", c.name);
        assert_eq!(full.len(), lean.len(), "{}", c.name);
        for (f, l) in full.iter().zip(&lean) {
            match (f, l) {
                (StreamEvent::Converse(f), StreamEvent::Converse(l)) => {
                    assert_eq!(f.event, l.event, "{}", c.name);
                    if l.payload.is_empty() {
                        skipped += 1;
                        assert_eq!(f.event_type(), "contentBlockDelta", "{}", c.name);
                        // Rebuilt from its meaning, it is what was sent (less `p`).
                        assert_eq!(f.payload_json(), l.payload_json(), "{}", c.name);
                    } else {
                        assert_eq!(f.payload, l.payload, "{}", c.name);
                    }
                }
                (f, l) => assert_eq!(f, l, "{}", c.name),
            }
        }
    }
    assert!(skipped > 500, "text deltas took the lean path: {skipped}");
}

/// The frames of a capture, re-encoded one by one.
fn frames(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut d = bedrock_wasm::eventstream::Decoder::new();
    d.push(bytes);
    let mut out = Vec::new();
    while let Some(m) = d.next_message().unwrap() {
        out.push(m.encode());
    }
    out
}

fn exception_frame(kind: &str, payload: &str) -> Vec<u8> {
    Message::new(payload.as_bytes().to_vec())
        .with_str_header(":message-type", "exception")
        .with_str_header(":exception-type", kind)
        .with_str_header(":content-type", "application/json")
        .encode()
}

fn by_name(name: &str) -> &'static Capture {
    CAPTURES.iter().find(|c| c.name == name).unwrap()
}

/// A real stream cut after `keep` frames, then an exception of each type the operation's
/// union has: the error is typed, and what arrived before it stays in the output.
fn exceptions_keep_earlier_output(capture: &str, family: ModelFamily, keep: usize, kinds: &[&str]) {
    let frames = frames(by_name(capture).bytes);
    for kind in kinds {
        let payload = if *kind == "modelStreamErrorException" {
            r#"{"message":"boom","originalStatusCode":500,"originalMessage":"upstream"}"#
        } else {
            r#"{"message":"boom"}"#
        };
        let mut body: Vec<u8> = frames[..keep].concat();
        body.extend(exception_frame(kind, payload));
        let whole = run(capture, &frames.concat(), usize::MAX, family);
        let cut = run(capture, &body, 7, family);
        let e = cut.error.expect("an exception");
        let mut want = kind.to_string();
        want[..1].make_ascii_uppercase();
        assert_eq!(e.name, want);
        assert_eq!(e.message, "boom");
        if *kind == "modelStreamErrorException" {
            assert_eq!(e.original_status_code, Some(500));
            assert_eq!(e.original_message.as_deref(), Some("upstream"));
        }
        assert_eq!(cut.events.len(), keep);
        assert!(!cut.output.text.is_empty());
        assert!(whole.output.text.starts_with(&cut.output.text));
        assert!(cut.output.text.len() < whole.output.text.len());
        assert_eq!(cut.output.stop_reason, None, "the stream never finished");
    }
}

#[test]
fn invoke_stream_exceptions_keep_the_text_received_before() {
    exceptions_keep_earlier_output(
        "openinference/should-handle-invoke-model-with-response-stream",
        ModelFamily::ClaudeMessages,
        10,
        &[
            "internalServerException",
            "modelStreamErrorException",
            "validationException",
            "throttlingException",
            "modelTimeoutException",
            "serviceUnavailableException",
        ],
    );
}

#[test]
fn converse_stream_exceptions_keep_the_text_received_before() {
    exceptions_keep_earlier_output(
        "pydantic-ai/test_bedrock_model_stream",
        ModelFamily::Unknown,
        10,
        &[
            "internalServerException",
            "modelStreamErrorException",
            "validationException",
            "throttlingException",
            "serviceUnavailableException",
        ],
    );
}

#[test]
fn a_tool_call_cut_by_an_exception_is_not_reported_but_the_text_is() {
    // Claude (InvokeModelWithResponseStream) after the text block and three input fragments.
    let c = "openinference/should-handle-streaming-responses-with-tool-calls";
    let frames = frames(by_name(c).bytes);
    let mut body = frames[..19].concat();
    body.extend(exception_frame(
        "throttlingException",
        r#"{"message":"slow down"}"#,
    ));
    let r = run(c, &body, 64, ModelFamily::ClaudeMessages);
    assert_eq!(r.error.unwrap().name, "ThrottlingException");
    assert_eq!(
        r.output.text,
        "Okay, let's get the current weather for San Francisco:"
    );
    assert!(r.output.tool_uses.is_empty());
}
