//! Cohere Command R / R+ (`cohere.command-r-v1:0`, `cohere.command-r-plus-v1:0`): a `message`
//! in, `stream-start` / `text-generation` / `stream-end` chunks out.

use super::schema::Fields;
use super::{Reply, Request, Shape, StopReasons};
use crate::answer::{answer_for, Rng};
use crate::ids::uuid;
use crate::json::J;
use crate::plan::{chunk, Planned};

pub(super) const SHAPE: Shape = Shape {
    name: "cohere-command-r",
    answer: answer_for,
    stop_reasons: StopReasons::Words("COMPLETE", "MAX_TOKENS", "COMPLETE"),
    validate,
    body,
    chunks,
    cache_metrics: false,
};

fn validate(f: &Fields<'_>, req: &mut Request) -> Result<(), String> {
    f.keys(
        &[
            "message",
            "chat_history",
            "documents",
            "search_queries_only",
            "preamble",
            "max_tokens",
            "temperature",
            "p",
            "k",
            "prompt_truncation",
            "frequency_penalty",
            "presence_penalty",
            "seed",
            "return_prompt",
            "tools",
            "tool_results",
            "stop_sequences",
            "raw_prompting",
        ],
        &["message"],
    )?;
    req.prompt = f.string("message")?.unwrap_or_default().to_owned();
    req.max_tokens = f.int("max_tokens", 1)?.unwrap_or(4000);
    req.stops = f.string_array("stop_sequences")?;
    f.numbers(&["temperature", "p", "frequency_penalty", "presence_penalty"])?;
    f.ints(&["k", "seed"])?;
    f.string("preamble")?;
    f.array("chat_history")?;
    Ok(())
}

fn body(r: &Reply<'_>, rng: &mut Rng) -> J {
    let (req, reason) = (r.req, r.reason);
    let text = r.answer.text();
    let history = cohere_history(req, &text);
    J::obj([
        ("response_id", uuid(rng).into()),
        ("text", text.into()),
        ("generation_id", uuid(rng).into()),
        ("chat_history", history),
        ("finish_reason", reason.into()),
    ])
}

fn cohere_history(req: &Request, text: &str) -> J {
    vec![
        J::obj([
            ("role", "USER".into()),
            ("message", req.prompt.as_str().into()),
        ]),
        J::obj([("role", "CHATBOT".into()), ("message", text.into())]),
    ]
    .into()
}

fn chunks(r: &Reply<'_>, rng: &mut Rng) -> Vec<Planned> {
    let (reason, tokens) = (r.reason, r.tokens.as_slice());
    let mut out = Vec::new();
    out.push(chunk(
        0,
        J::obj([
            ("is_finished", false.into()),
            ("event_type", "stream-start".into()),
            ("generation_id", uuid(rng).into()),
        ]),
    ));
    for t in tokens {
        out.push(chunk(
            1,
            J::obj([
                ("is_finished", false.into()),
                ("event_type", "text-generation".into()),
                ("text", (*t).into()),
            ]),
        ));
    }
    out.push(chunk(
        0,
        J::obj([
            ("is_finished", true.into()),
            ("event_type", "stream-end".into()),
            ("response", body(r, rng)),
            ("finish_reason", reason.into()),
        ]),
    ));
    out
}

#[cfg(test)]
mod tests {
    use crate::families::{parse_request, refusal as err, Family};

    #[test]
    fn validates_bodies_like_bedrock() {
        let r = parse_request(
            Family::CohereCommandR,
            "m",
            br#"{"message":"hi","chat_history":[],"max_tokens":7}"#,
        )
        .unwrap();
        assert_eq!((r.prompt.as_str(), r.max_tokens), ("hi", 7));
        assert!(
            err(Family::CohereCommandR, r#"{"prompt":"hi"}"#).contains("extraneous key [prompt]")
        );
    }
}
