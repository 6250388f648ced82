//! Mistral Large 2 (2407) and Pixtral chat format: OpenAI-style `messages` in,
//! `chat.completion.chunk` chunks out.

use super::chat_usage;
use super::schema::{chat_prompt, ChatStyle, Fields};
use super::{Reply, Request, Shape, StopReasons};
use crate::answer::{answer_for, Rng};
use crate::ids::base62;
use crate::json::J;
use crate::plan::{chunk, Planned};

pub(super) const SHAPE: Shape = Shape {
    name: "mistral-chat",
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
            "tools",
            "tool_choice",
            "max_tokens",
            "temperature",
            "top_p",
            "stop",
            "response_format",
        ],
        &["messages"],
    )?;
    req.max_tokens = f.int("max_tokens", 1)?.unwrap_or(8192);
    req.stops = f.string_array("stop")?;
    f.numbers(&["temperature", "top_p"])?;
    req.prompt = chat_prompt(f, ChatStyle::OpenAi)?;
    Ok(())
}

fn body(r: &Reply<'_>, rng: &mut Rng) -> J {
    let (req, a, reason) = (r.req, r.answer, r.reason);
    let text = r.answer.text();
    let now_secs = r.now_secs;
    J::obj([
        ("id", base62(rng, 32).into()),
        ("object", "chat.completion".into()),
        ("created", now_secs.into()),
        ("model", req.model_name.as_str().into()),
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
                ("stop_reason", reason.into()),
            ])]
            .into(),
        ),
        ("usage", chat_usage(a)),
    ])
}

fn chunks(r: &Reply<'_>, rng: &mut Rng) -> Vec<Planned> {
    let (req, a, reason, tokens) = (r.req, r.answer, r.reason, r.tokens.as_slice());
    let n = tokens.len();
    let now_secs = r.now_secs;
    let mut out = Vec::new();
    let id = base62(rng, 32);
    for (i, t) in tokens.iter().enumerate() {
        let last = i + 1 == n;
        let mut json = J::obj([
            ("id", id.as_str().into()),
            ("object", "chat.completion.chunk".into()),
            ("created", now_secs.into()),
            ("model", req.model_name.as_str().into()),
            (
                "choices",
                vec![J::obj([
                    ("index", 0u32.into()),
                    (
                        "message",
                        J::obj([
                            ("role", (i == 0).then_some("assistant").into()),
                            ("content", (*t).into()),
                        ]),
                    ),
                    ("stop_reason", last.then_some(reason).into()),
                ])]
                .into(),
            ),
        ]);
        if last {
            json.push("usage", chat_usage(a));
        }
        out.push(chunk(1, json));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::families::{parse_request, Family};

    #[test]
    fn validates_bodies_like_bedrock() {
        let r = parse_request(
            Family::MistralChat,
            "m",
            br#"{"messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"}],"max_tokens":7}"#,
        )
        .unwrap();
        assert_eq!((r.prompt.as_str(), r.max_tokens), ("hi", 7));
    }
}
