//! Mistral text models: `{"prompt"}` in the `[INST]` template; `{"outputs":[{"text",
//! "stop_reason"}]}` out.

use serde_json::{Map, Value};

use super::super::output::{str_at, Accumulator, TextDelta};
use super::super::Error;
use super::input::{put, Chat};
use super::{first, PathStep, Reader, SamplingDefaults, Spec};

pub(super) const MISTRAL: Spec = Spec {
    body,
    text_path: &[
        PathStep::Key("outputs"),
        PathStep::Index(0),
        PathStep::Key("text"),
    ],
    top_k: Some("top_k"),
    sampling: Some(SamplingDefaults {
        temperature: "0.5",
        top_p: "0.9",
    }),
};

pub(super) const READER: Reader = Reader {
    fits: |v| v.get("outputs").is_some(),
    read,
    fast: None,
};

fn body(chat: &Chat, _streaming: bool) -> Result<Map<String, Value>, Error> {
    let mut prompt = String::from("<s>");
    for (i, t) in chat.turns.iter().enumerate() {
        if t.user {
            // The system prompt has no place of its own: it opens the first instruction.
            let sys = if i == 0 && !chat.system.is_empty() {
                format!("{}\n\n", chat.system)
            } else {
                String::new()
            };
            prompt += &format!("[INST] {sys}{} [/INST]", t.text);
        } else {
            prompt += &format!("{}</s>", t.text);
        }
    }
    let mut b = Map::new();
    b.insert("prompt".into(), prompt.into());
    put(&mut b, "max_tokens", chat.max_tokens());
    put(&mut b, "temperature", chat.temperature());
    put(&mut b, "top_p", chat.top_p());
    put(&mut b, "top_k", chat.top_k());
    put(&mut b, "stop", chat.stop());
    Ok(b)
}

/// Mistral text models: `{"outputs":[{"text","stop_reason"}]}`.
fn read(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) -> Result<(), Error> {
    if let Some(o) = first(v, "outputs") {
        if let Some(t) = str_at(o, "text") {
            acc.text(d, t);
        }
        acc.stop(d, str_at(o, "stop_reason"), None);
    }
    Ok(())
}
