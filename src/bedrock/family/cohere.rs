//! Cohere Command (legacy text, `{"prompt"}` in) and Command R / R+ (`{"message",
//! "chat_history","preamble"}` in); one reader for both, since their chunks mix: chat-stream
//! events (`event_type`), `text`/`is_finished` pieces, and whole `generations` or `text`.

use serde_json::{json, Map, Value};

use super::super::output::{str_at, u64_at, Accumulator, TextDelta, UsagePatch};
use super::super::Error;
use super::input::{put, Chat};
use super::{first, PathStep, Reader, SamplingDefaults, Spec};

const TEXT_PATH: &[PathStep] = &[PathStep::OptionalKey("text")];
const SAMPLING: Option<SamplingDefaults> = Some(SamplingDefaults {
    temperature: "0.9",
    top_p: "0.75",
});

pub(super) const COMMAND: Spec = Spec {
    body: command_body,
    text_path: TEXT_PATH,
    top_k: Some("k"),
    sampling: SAMPLING,
};

pub(super) const COMMAND_R: Spec = Spec {
    body: command_r_body,
    text_path: TEXT_PATH,
    top_k: Some("k"),
    sampling: SAMPLING,
};

pub(super) const READER: Reader = Reader {
    fits: |v| {
        ["event_type", "text", "is_finished", "generations"]
            .iter()
            .any(|k| v.get(k).is_some())
    },
    read,
    fast: None,
};

/// Sampling keys both bodies share.
fn sampling(chat: &Chat, b: &mut Map<String, Value>) {
    put(b, "max_tokens", chat.max_tokens());
    put(b, "temperature", chat.temperature());
    put(b, "p", chat.top_p());
    put(b, "k", chat.top_k());
    put(b, "stop_sequences", chat.stop());
}

/// Command streams only when the body says so.
fn command_body(chat: &Chat, streaming: bool) -> Result<Map<String, Value>, Error> {
    let prompt = match chat.lone_user_text() {
        Some(t) => t.to_owned(),
        None => chat.plain_prompt("Chatbot"),
    };
    let mut b = Map::new();
    b.insert("prompt".into(), prompt.into());
    sampling(chat, &mut b);
    if streaming {
        b.insert("stream".into(), true.into());
    }
    Ok(b)
}

/// The last turn is the `message`; the ones before it are `chat_history`.
fn command_r_body(chat: &Chat, _streaming: bool) -> Result<Map<String, Value>, Error> {
    let (last, before) = chat
        .turns
        .split_last()
        .map_or((None, &[][..]), |(l, b)| (Some(l), b));
    let history: Vec<Value> = before
        .iter()
        .map(|t| json!({"role": if t.user {"USER"} else {"CHATBOT"}, "message": t.text}))
        .collect();
    let mut b = Map::new();
    b.insert(
        "message".into(),
        last.map(|t| t.text.clone()).unwrap_or_default().into(),
    );
    if !history.is_empty() {
        b.insert("chat_history".into(), history.into());
    }
    if !chat.system.is_empty() {
        b.insert("preamble".into(), chat.system.clone().into());
    }
    sampling(chat, &mut b);
    Ok(b)
}

/// Cohere: Command R chat-stream events (`event_type`), Command R whole answers (`text`,
/// `finish_reason`, `meta`), legacy Command streamed (`text`, `is_finished`,
/// `finish_reason`) and whole (`generations`).
fn read(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) -> Result<(), Error> {
    let billed = |meta: Option<&Value>| {
        let b = meta.and_then(|m| m.get("billed_units").or_else(|| m.get("tokens")));
        UsagePatch {
            input: b.and_then(|b| u64_at(b, "input_tokens")),
            output: b.and_then(|b| u64_at(b, "output_tokens")),
            ..Default::default()
        }
    };
    if let Some(kind) = str_at(v, "event_type") {
        match kind {
            "text-generation" => acc.text(d, str_at(v, "text").unwrap_or_default()),
            "stream-end" => {
                acc.stop(d, str_at(v, "finish_reason"), None);
                let meta = v.get("response").and_then(|r| r.get("meta"));
                acc.usage(d, billed(meta));
            }
            _ => {}
        }
        return Ok(());
    }
    if let Some(g) = first(v, "generations") {
        if let Some(t) = str_at(g, "text") {
            acc.text(d, t);
        }
        acc.stop(d, str_at(g, "finish_reason"), None);
        return Ok(());
    }
    // The final streamed chunk repeats the whole answer in `response`: only its reason counts.
    if let Some(t) = str_at(v, "text") {
        acc.text(d, t);
    }
    acc.stop(d, str_at(v, "finish_reason"), None);
    acc.usage(d, billed(v.get("meta")));
    Ok(())
}
