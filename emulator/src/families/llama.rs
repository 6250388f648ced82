//! Meta Llama (`meta.llama…`): a `prompt` in, `generation` chunks out.

use super::schema::Fields;
use super::{Reply, Request, Shape, StopReasons};
use crate::answer::{answer_for, Rng};
use crate::json::J;
use crate::plan::{chunk, Planned};

pub(super) const SHAPE: Shape = Shape {
    name: "llama",
    answer: answer_for,
    stop_reasons: StopReasons::Words("stop", "length", "stop"),
    validate,
    body,
    chunks,
    cache_metrics: false,
};

fn validate(f: &Fields<'_>, req: &mut Request) -> Result<(), String> {
    f.keys(
        &["prompt", "max_gen_len", "temperature", "top_p", "images"],
        &["prompt"],
    )?;
    req.prompt = f.string("prompt")?.unwrap_or_default().to_owned();
    req.max_tokens = f.int("max_gen_len", 1)?.unwrap_or(512);
    f.numbers(&["temperature", "top_p"])?;
    f.string_array("images")?;
    Ok(())
}

fn body(r: &Reply<'_>, _rng: &mut Rng) -> J {
    let (a, reason) = (r.answer, r.reason);
    let text = r.answer.text();
    J::obj([
        ("generation", text.into()),
        ("prompt_token_count", a.input_tokens.into()),
        ("generation_token_count", a.output_tokens().into()),
        ("stop_reason", reason.into()),
    ])
}

fn chunks(r: &Reply<'_>, _rng: &mut Rng) -> Vec<Planned> {
    let (a, reason, tokens) = (r.answer, r.reason, r.tokens.as_slice());
    let n = tokens.len();
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let last = i + 1 == n;
        out.push(chunk(
            1,
            J::obj([
                ("generation", (*t).into()),
                (
                    "prompt_token_count",
                    (i == 0).then_some(a.input_tokens).into(),
                ),
                ("generation_token_count", (i + 1).into()),
                ("stop_reason", last.then_some(reason).into()),
            ]),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::families::{parse_request, refusal as err, Family};

    #[test]
    fn validates_bodies_like_bedrock() {
        let r = parse_request(Family::Llama, "m", br#"{"prompt":"hi","max_gen_len":7}"#).unwrap();
        assert_eq!((r.prompt.as_str(), r.max_tokens), ("hi", 7));
        assert!(err(Family::Llama, r#"{"prompt":"hi","max_tokens":5}"#)
            .contains("extraneous key [max_tokens]"));
    }
}
