//! Amazon Titan Text: `{"inputText","textGenerationConfig"}` in; `{"outputText",
//! "completionReason",…}` per chunk and `{"inputTextTokenCount","results":[…]}` whole out.

use serde_json::{Map, Value};

use super::super::output::{str_at, u64_at, Accumulator, TextDelta, UsagePatch};
use super::super::Error;
use super::input::{put, Chat};
use super::{first, PathStep, Reader, SamplingDefaults, Spec};

pub(super) const TITAN_TEXT: Spec = Spec {
    body,
    text_path: &[PathStep::OptionalKey("outputText")],
    top_k: None,
    sampling: Some(SamplingDefaults {
        temperature: "0.7",
        top_p: "0.9",
    }),
};

pub(super) const READER: Reader = Reader {
    fits: |v| v.get("outputText").is_some() || v.get("results").is_some(),
    read,
    fast: None,
};

fn body(chat: &Chat, _streaming: bool) -> Result<Map<String, Value>, Error> {
    let text = match chat.lone_user_text() {
        Some(t) => t.to_owned(),
        None => chat.plain_prompt("Bot"),
    };
    let mut cfg = Map::new();
    put(&mut cfg, "maxTokenCount", chat.max_tokens());
    put(&mut cfg, "temperature", chat.temperature());
    put(&mut cfg, "topP", chat.top_p());
    put(&mut cfg, "stopSequences", chat.stop());
    let mut b = Map::new();
    b.insert("inputText".into(), text.into());
    b.insert("textGenerationConfig".into(), cfg.into());
    Ok(b)
}

/// Titan Text: `{"outputText","completionReason","inputTextTokenCount",
/// "totalOutputTextTokenCount"}` per chunk; `{"inputTextTokenCount","results":[…]}` whole.
fn read(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) -> Result<(), Error> {
    let (body, output) = match first(v, "results") {
        Some(r) => (r, u64_at(r, "tokenCount")),
        None => (v, u64_at(v, "totalOutputTextTokenCount")),
    };
    if let Some(t) = str_at(body, "outputText") {
        acc.text(d, t);
    }
    acc.stop(d, str_at(body, "completionReason"), None);
    acc.usage(
        d,
        UsagePatch {
            input: u64_at(v, "inputTextTokenCount"),
            output,
            ..Default::default()
        },
    );
    Ok(())
}
