//! Meta Llama: `{"prompt"}` in the Llama 3 chat template; `{"generation",
//! "prompt_token_count","generation_token_count","stop_reason"}` out.

use serde_json::{Map, Value};

use super::super::output::{str_at, u64_at, Accumulator, TextDelta, UsagePatch};
use super::super::Error;
use super::input::{put, Chat};
use super::{PathStep, Reader, SamplingDefaults, Spec};

pub(super) const LLAMA: Spec = Spec {
    body,
    text_path: &[PathStep::OptionalKey("generation")],
    top_k: None,
    sampling: Some(SamplingDefaults {
        temperature: "0.5",
        top_p: "0.9",
    }),
};

pub(super) const READER: Reader = Reader {
    fits: |v| v.get("generation").is_some(),
    read,
    fast: None,
};

fn body(chat: &Chat, _streaming: bool) -> Result<Map<String, Value>, Error> {
    let h = |r: &str| format!("<|start_header_id|>{r}<|end_header_id|>\n\n");
    let mut prompt = String::from("<|begin_of_text|>");
    if !chat.system.is_empty() {
        prompt += &format!("{}{}<|eot_id|>", h("system"), chat.system);
    }
    prompt += &chat.transcript(&h("user"), &h("assistant"), "<|eot_id|>");
    prompt += &h("assistant");
    let mut b = Map::new();
    b.insert("prompt".into(), prompt.into());
    put(&mut b, "max_gen_len", chat.max_tokens());
    put(&mut b, "temperature", chat.temperature());
    put(&mut b, "top_p", chat.top_p());
    Ok(b)
}

/// Llama: `{"generation","prompt_token_count","generation_token_count","stop_reason"}`.
fn read(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) -> Result<(), Error> {
    if let Some(t) = str_at(v, "generation") {
        acc.text(d, t);
    }
    acc.stop(d, str_at(v, "stop_reason"), None);
    acc.usage(
        d,
        UsagePatch {
            input: u64_at(v, "prompt_token_count"),
            output: u64_at(v, "generation_token_count"),
            ..Default::default()
        },
    );
    Ok(())
}
