//! Anthropic Claude Text Completions (`claude-v2`, `claude-instant`):
//! `{"prompt": "\n\nHuman: …\n\nAssistant:", "max_tokens_to_sample"}` in,
//! `{"completion","stop_reason","stop"}` out, streamed and whole.

use serde_json::{Map, Value};

use super::super::output::{str_at, Accumulator, TextDelta};
use super::super::Error;
use super::input::{put, Chat};
use super::{ModelFamily, PathStep, Reader, SamplingDefaults, Spec};

pub(super) const CLAUDE_TEXT: Spec = Spec {
    body,
    text_path: &[PathStep::OptionalKey("completion")],
    top_k: Some("top_k"),
    sampling: Some(SamplingDefaults {
        temperature: "1",
        top_p: "0.999",
    }),
};

pub(super) const READER: Reader = Reader {
    fits: |v| v.get("completion").is_some(),
    read,
    fast: None,
};

fn body(chat: &Chat, _streaming: bool) -> Result<Map<String, Value>, Error> {
    let mut prompt = chat.system.clone();
    for t in &chat.turns {
        if t.user {
            prompt += "\n\nHuman: ";
            prompt += &t.text;
        } else {
            prompt += "\n\nAssistant: ";
            prompt += t.text.trim_start();
        }
    }
    prompt += "\n\nAssistant:";
    let mut b = Map::new();
    b.insert("prompt".into(), prompt.into());
    b.insert(
        "max_tokens_to_sample".into(),
        chat.required_max_tokens(ModelFamily::ClaudeText)?.into(),
    );
    put(&mut b, "temperature", chat.temperature());
    put(&mut b, "top_p", chat.top_p());
    put(&mut b, "top_k", chat.top_k());
    put(&mut b, "stop_sequences", chat.stop());
    Ok(b)
}

fn read(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) -> Result<(), Error> {
    if let Some(t) = str_at(v, "completion") {
        acc.text(d, t);
    }
    acc.stop(d, str_at(v, "stop_reason"), str_at(v, "stop"));
    Ok(())
}
