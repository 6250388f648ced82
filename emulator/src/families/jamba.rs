//! AI21 Jamba (`ai21.jamba-1-5-mini-v1:0`, `ai21.jamba-1-5-large-v1:0`, `ai21.jamba-instruct-v1:0`):
//! OpenAI-style `messages` in, `chat.completion.chunk`-like deltas and a metering chunk out.

use serde_json::Value;

use super::chat_usage;
use super::schema::{chat_prompt, ChatStyle, Fields};
use super::{Reply, Request, Shape, StopReasons};
use crate::answer::{answer_for, Rng};
use crate::ids::uuid;
use crate::json::J;
use crate::plan::{chunk, Planned};

pub(super) const SHAPE: Shape = Shape {
    name: "jamba",
    answer: answer_for,
    stop_reasons: StopReasons::Words("stop", "length", "stop"),
    validate,
    body,
    chunks,
    cache_metrics: false,
};

fn validate(f: &Fields<'_>, req: &mut Request) -> Result<(), String> {
    f.keys(
        &[
            "messages",
            "max_tokens",
            "temperature",
            "top_p",
            "stop",
            "n",
            "frequency_penalty",
            "presence_penalty",
            "tools",
            "response_format",
            "documents",
        ],
        &["messages"],
    )?;
    req.max_tokens = f.int("max_tokens", 1)?.unwrap_or(4096);
    req.stops = match f.get("stop") {
        Some(Value::String(s)) => vec![s.clone()],
        _ => f.string_array("stop")?,
    };
    f.numbers(&[
        "temperature",
        "top_p",
        "frequency_penalty",
        "presence_penalty",
    ])?;
    f.ints(&["n"])?;
    req.prompt = chat_prompt(f, ChatStyle::OpenAi)?;
    Ok(())
}

fn body(r: &Reply<'_>, rng: &mut Rng) -> J {
    let (a, reason) = (r.answer, r.reason);
    let text = r.answer.text();
    J::obj([
        ("id", format!("chatcmpl-{}", uuid(rng)).into()),
        (
            "choices",
            vec![J::obj([
                ("index", 0u32.into()),
                (
                    "message",
                    J::obj([
                        ("role", "assistant".into()),
                        ("content", text.into()),
                        ("tool_calls", J::Null),
                    ]),
                ),
                ("finish_reason", reason.into()),
            ])]
            .into(),
        ),
        ("usage", chat_usage(a)),
    ])
}

fn chunks(r: &Reply<'_>, rng: &mut Rng) -> Vec<Planned> {
    let (a, reason, tokens) = (r.answer, r.reason, r.tokens.as_slice());
    let mut out = Vec::new();
    let id = format!("chatcmpl-{}", uuid(rng));
    for (i, t) in tokens.iter().enumerate() {
        let delta = if i == 0 {
            J::obj([("role", "assistant".into()), ("content", (*t).into())])
        } else {
            J::obj([("content", (*t).into())])
        };
        out.push(chunk(
            1,
            J::obj([
                ("id", id.as_str().into()),
                (
                    "choices",
                    vec![J::obj([
                        ("index", 0u32.into()),
                        ("delta", delta),
                        ("finish_reason", J::Null),
                    ])]
                    .into(),
                ),
            ]),
        ));
    }
    out.push(chunk(
        0,
        J::obj([
            ("id", id.as_str().into()),
            (
                "choices",
                vec![J::obj([
                    ("index", 0u32.into()),
                    ("delta", J::Obj(Vec::new())),
                    ("finish_reason", reason.into()),
                ])]
                .into(),
            ),
            ("usage", chat_usage(a)),
        ]),
    ));
    // The AI21 SDK documents a final "metering" chunk holding only the metrics.
    out.push(chunk(0, J::Obj(Vec::new())));
    out
}

#[cfg(test)]
mod tests {
    use crate::families::{parse_request, refusal as err, Family};

    #[test]
    fn validates_bodies_like_bedrock() {
        let r = parse_request(
            Family::Jamba,
            "m",
            br#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":7,"stop":"."}"#,
        )
        .unwrap();
        assert_eq!((r.prompt.as_str(), r.max_tokens), ("hi", 7));
        assert!(err(
            Family::Jamba,
            r#"{"messages":[{"role":"robot","content":"hi"}]}"#
        )
        .contains("not a valid enum value"));
    }
}
