//! Fidelity against real Bedrock captures (tests/fixtures, see SOURCE.md): for each captured
//! family the emulator's frames have the same header order, the same `{"bytes","p"}` payload,
//! and chunks with the same key structure (keys in the same order, nested alike), so a
//! client that parses the captures parses the emulator and vice versa.

mod common;

use std::collections::BTreeSet;

use bedrock_wasm::eventstream::Message;
use common::*;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{json, Value};

/// The key structure of a JSON text: objects as `{k:…,…}` in wire order, arrays by their first
/// element, every scalar (and null) as `_`.
struct Shape(String);

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Shape;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
                Ok(Shape("_".into()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
                Ok(Shape("_".into()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
                Ok(Shape("_".into()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
                Ok(Shape("_".into()))
            }
            fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
                Ok(Shape("_".into()))
            }
            fn visit_unit<E>(self) -> Result<Shape, E> {
                Ok(Shape("_".into()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
                let first = seq.next_element::<Shape>()?;
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Shape(format!("[{}]", first.map_or(String::new(), |s| s.0))))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
                let mut parts = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    let v = map.next_value::<Shape>()?;
                    parts.push(format!("{k}:{}", v.0));
                }
                Ok(Shape(format!("{{{}}}", parts.join(","))))
            }
        }
        d.deserialize_any(V)
    }
}

fn shape(json: &str) -> String {
    serde_json::from_str::<Shape>(json).unwrap().0
}

fn capture(name: &str) -> Vec<Message> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let (messages, end) = decode_all(&std::fs::read(path).unwrap());
    end.unwrap();
    messages
}

/// The distinct chunk shapes of an InvokeModelWithResponseStream frame list, after checking
/// every frame's headers and outer payload against Bedrock's.
fn chunk_shapes(messages: &[Message]) -> BTreeSet<String> {
    messages
        .iter()
        .map(|m| {
            assert_event_frame(m);
            assert_eq!(
                key_order(std::str::from_utf8(&m.payload).unwrap()),
                ["bytes", "p"]
            );
            shape(&chunk_text(m))
        })
        .collect()
}

fn event_shapes(messages: &[Message]) -> BTreeSet<String> {
    messages
        .iter()
        .map(|m| {
            assert_event_frame(m);
            format!(
                "{} {}",
                m.str_header(":event-type").unwrap(),
                shape(std::str::from_utf8(&m.payload).unwrap())
            )
        })
        .collect()
}

#[tokio::test]
async fn invoke_stream_chunks_match_the_captures() {
    let server = TestServer::start(0).await;
    for (fixture, model, body) in [
        (
            "claude-messages.eventstream",
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100,
                   "messages": [{"role": "user", "content": "Tell me a short story"}]}),
        ),
        (
            "nova.eventstream",
            "us.amazon.nova-micro-v1:0",
            json!({"messages": [{"role": "user", "content": [{"text": "Tell me a story"}]}],
                   "inferenceConfig": {"max_new_tokens": 100}}),
        ),
        (
            "titan-text.eventstream",
            "amazon.titan-text-express-v1",
            json!({"inputText": "Tell me a story", "textGenerationConfig": {"maxTokenCount": 100}}),
        ),
        (
            "llama.eventstream",
            "meta.llama3-8b-instruct-v1:0",
            json!({"prompt": "Tell me a story", "max_gen_len": 120}),
        ),
    ] {
        let captured = capture(fixture);
        let ours = frames(
            server
                .call(model, "invoke-with-response-stream", &body)
                .await,
        )
        .await;
        assert_eq!(chunk_shapes(&ours), chunk_shapes(&captured), "{fixture}");
        // The metrics object is laid out alike too, on the last chunk of both.
        let metrics = |m: &Message| {
            let v: Value = serde_json::from_str(&chunk_text(m)).unwrap();
            v.get("amazon-bedrock-invocationMetrics").cloned().map(|m| {
                m.as_object()
                    .unwrap()
                    .keys()
                    .cloned()
                    .collect::<BTreeSet<_>>()
            })
        };
        assert!(metrics(ours.last().unwrap()).is_some());
        assert_eq!(
            metrics(ours.last().unwrap()),
            metrics(captured.last().unwrap()),
            "{fixture}"
        );
    }
}

#[tokio::test]
async fn converse_stream_events_match_the_capture() {
    let server = TestServer::start(0).await;
    let captured = capture("converse-stream.eventstream");
    let body = json!({"messages": [{"role": "user", "content": [{"text": "Hello"}]}]});
    let ours = frames(
        server
            .call(
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
                "converse-stream",
                &body,
            )
            .await,
    )
    .await;
    assert_eq!(event_shapes(&ours), event_shapes(&captured));
    let order = |ms: &[Message]| {
        let mut types: Vec<String> = ms
            .iter()
            .map(|m| m.str_header(":event-type").unwrap().to_owned())
            .collect();
        types.dedup();
        types
    };
    assert_eq!(order(&ours), order(&captured));
}

#[test]
fn padding_lengths_vary_like_the_captures() {
    // Real streams pad each payload with a random-length prefix of the alphabet.
    for fixture in ["llama.eventstream", "nova.eventstream"] {
        let lengths: BTreeSet<usize> = capture(fixture)
            .iter()
            .map(|m| payload(m)["p"].as_str().unwrap().len())
            .collect();
        assert!(lengths.len() > 10, "{fixture}: {lengths:?}");
    }
}

#[tokio::test]
async fn our_padding_lengths_vary_too() {
    let server = TestServer::start(0).await;
    let body = json!({"prompt": "Tell me a story", "max_gen_len": 120});
    let lengths: BTreeSet<usize> = frames(
        server
            .call(
                "meta.llama3-8b-instruct-v1:0",
                "invoke-with-response-stream",
                &body,
            )
            .await,
    )
    .await
    .iter()
    .map(|m| payload(m)["p"].as_str().unwrap().len())
    .collect();
    assert!(lengths.len() > 10, "{lengths:?}");
}
