//! OpenAI-like chat completions, shared by Mistral Large 2 (2407) and AI21 Jamba:
//! `{"messages":[{role, content}],"max_tokens"}` in; `choices[0].delta` / `.message` out.

use serde_json::{Map, Value};

use super::super::output::{str_at, u64_at, Accumulator, TextDelta, ToolUse, UsagePatch};
use super::super::Error;
use super::input::{put, Chat};
use super::{first, PathStep, Reader, SamplingDefaults, Spec};

/// Mistral Large 2407 streams `choices[0].message`, not `delta`.
pub(super) const MISTRAL_CHAT: Spec = Spec {
    body,
    text_path: &[
        PathStep::Key("choices"),
        PathStep::Index(0),
        PathStep::Key("message"),
        PathStep::Key("content"),
    ],
    top_k: None,
    sampling: Some(SamplingDefaults {
        temperature: "0.5",
        top_p: "0.9",
    }),
};

pub(super) const JAMBA: Spec = Spec {
    body,
    text_path: &[
        PathStep::Key("choices"),
        PathStep::Index(0),
        PathStep::Key("delta"),
        PathStep::OptionalKey("content"),
    ],
    top_k: None,
    sampling: Some(SamplingDefaults {
        temperature: "1",
        top_p: "1",
    }),
};

pub(super) const READER: Reader = Reader {
    fits: |v| v.get("choices").is_some(),
    read,
    fast: None,
};

fn body(chat: &Chat, _streaming: bool) -> Result<Map<String, Value>, Error> {
    let mut b = Map::new();
    b.insert("messages".into(), chat.role_content_messages(true));
    put(&mut b, "max_tokens", chat.max_tokens());
    put(&mut b, "temperature", chat.temperature());
    put(&mut b, "top_p", chat.top_p());
    put(&mut b, "stop", chat.stop());
    Ok(b)
}

/// OpenAI-like chat completions (Mistral Large 2407, AI21 Jamba): `choices[0].delta` while
/// streaming, `choices[0].message` whole (and in some streamed chunks); `finish_reason` or
/// `stop_reason`; `usage`. Tool calls are read from whole messages only.
fn read(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) -> Result<(), Error> {
    if let Some(c) = first(v, "choices") {
        let msg = c.get("delta").or_else(|| c.get("message"));
        if let Some(m) = msg {
            if let Some(t) = str_at(m, "content") {
                acc.text(d, t);
            }
        }
        if let Some(calls) = c
            .get("message")
            .and_then(|m| m.get("tool_calls"))
            .and_then(Value::as_array)
        {
            for call in calls {
                let f = call.get("function").unwrap_or(&Value::Null);
                let input = match f.get("arguments") {
                    Some(Value::String(s)) => serde_json::from_slice(s.as_bytes())
                        .unwrap_or_else(|_| Value::String(s.clone())),
                    Some(other) => other.clone(),
                    None => Value::Object(Default::default()),
                };
                acc.tool_use(
                    d,
                    ToolUse {
                        id: str_at(call, "id").unwrap_or_default().to_owned(),
                        name: str_at(f, "name").unwrap_or_default().to_owned(),
                        input,
                        unparsed_input: None,
                    },
                );
            }
        }
        let reason = str_at(c, "finish_reason").or_else(|| str_at(c, "stop_reason"));
        acc.stop(d, reason, None);
    }
    if let Some(u) = v.get("usage") {
        acc.usage(
            d,
            UsagePatch {
                input: u64_at(u, "prompt_tokens"),
                output: u64_at(u, "completion_tokens"),
                total: u64_at(u, "total_tokens"),
                ..Default::default()
            },
        );
    }
    Ok(())
}
