//! Amazon Nova: `{"messages","system","inferenceConfig"}` in; out, Converse's events wrapped
//! in their names while streaming and Converse's response shape whole.

use serde_json::{json, Map, Value};

use super::super::converse_stream::{apply_converse_body, ConverseEvent, CONVERSE_EVENT_TYPES};
use super::super::output::{Accumulator, TextDelta};
use super::super::Error;
use super::input::{put, role, Chat};
use super::{PathStep, Reader, SamplingDefaults, Spec};

pub(super) const NOVA: Spec = Spec {
    body,
    text_path: &[
        PathStep::OptionalKey("contentBlockDelta"),
        PathStep::OptionalKey("delta"),
        PathStep::OptionalKey("text"),
    ],
    top_k: Some("top_k"),
    sampling: Some(SamplingDefaults {
        temperature: "0.7",
        top_p: "0.9",
    }),
};

pub(super) const READER: Reader = Reader {
    fits: |v| {
        CONVERSE_EVENT_TYPES.iter().any(|k| v.get(k).is_some())
            || v.get("output").and_then(|o| o.get("message")).is_some()
    },
    read,
    fast: None,
};

fn body(chat: &Chat, _streaming: bool) -> Result<Map<String, Value>, Error> {
    let messages: Vec<Value> = chat
        .turns
        .iter()
        .map(|t| json!({"role": role(t), "content": [{"text": t.text}]}))
        .collect();
    let mut b = Map::new();
    b.insert("messages".into(), messages.into());
    if !chat.system.is_empty() {
        b.insert("system".into(), json!([{ "text": chat.system }]));
    }
    let mut cfg = Map::new();
    put(&mut cfg, "max_new_tokens", chat.max_tokens());
    put(&mut cfg, "temperature", chat.temperature());
    put(&mut cfg, "top_p", chat.top_p());
    put(&mut cfg, "top_k", chat.top_k());
    put(&mut cfg, "stopSequences", chat.stop());
    b.insert("inferenceConfig".into(), cfg.into());
    Ok(b)
}

/// Nova: a stream chunk is one Converse event wrapped in its name; a whole answer is the
/// Converse response shape.
fn read(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) -> Result<(), Error> {
    for name in CONVERSE_EVENT_TYPES {
        if let Some(payload) = v.get(name) {
            if let Some(event) = ConverseEvent::from_json(name, payload)? {
                event.apply(acc, d)?;
            }
        }
    }
    if v.get("output").is_some() {
        apply_converse_body(v, acc, d);
    }
    Ok(())
}
