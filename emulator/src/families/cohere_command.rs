//! Cohere Command (legacy text: `cohere.command-text-v14`, `cohere.command-light-text-v14`):
//! a `prompt` in, `generations` out (streamed as `text` chunks only with `"stream": true`).

use super::schema::Fields;
use super::{Reply, Request, Shape, StopReasons};
use crate::answer::{answer_for, Rng};
use crate::ids::uuid;
use crate::json::J;
use crate::plan::{chunk, Planned};

pub(super) const SHAPE: Shape = Shape {
    name: "cohere-command",
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
            "prompt",
            "temperature",
            "p",
            "k",
            "max_tokens",
            "stop_sequences",
            "return_likelihoods",
            "stream",
            "num_generations",
            "logit_bias",
            "truncate",
        ],
        &["prompt"],
    )?;
    req.prompt = f.string("prompt")?.unwrap_or_default().to_owned();
    // Cohere Command's default is famously short.
    req.max_tokens = f.int("max_tokens", 1)?.unwrap_or(20);
    req.stops = f.string_array("stop_sequences")?;
    req.cohere_stream = f.bool("stream")?.unwrap_or(false);
    f.numbers(&["temperature", "p"])?;
    f.ints(&["k", "num_generations"])?;
    f.string("return_likelihoods")?;
    f.string("truncate")?;
    Ok(())
}

fn body(r: &Reply<'_>, rng: &mut Rng) -> J {
    let (req, reason) = (r.req, r.reason);
    let text = r.answer.text();
    J::obj([
        (
            "generations",
            vec![J::obj([
                ("finish_reason", reason.into()),
                ("id", uuid(rng).into()),
                ("text", text.into()),
            ])]
            .into(),
        ),
        ("id", uuid(rng).into()),
        ("prompt", req.prompt.as_str().into()),
    ])
}

fn chunks(r: &Reply<'_>, rng: &mut Rng) -> Vec<Planned> {
    let (req, reason, tokens) = (r.req, r.reason, r.tokens.as_slice());
    let output = r.answer.output_tokens();
    let mut out = Vec::new();
    if req.cohere_stream {
        for t in tokens {
            out.push(chunk(
                1,
                J::obj([("text", (*t).into()), ("is_finished", false.into())]),
            ));
        }
        out.push(chunk(
            0,
            J::obj([
                ("is_finished", true.into()),
                ("finish_reason", reason.into()),
                ("response", body(r, rng)),
            ]),
        ));
    } else {
        // Without "stream": true the whole answer comes as one generations chunk.
        out.push(chunk(output, body(r, rng)));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::families::{parse_request, Family};

    #[test]
    fn validates_bodies_like_bedrock() {
        let r = parse_request(
            Family::CohereCommand,
            "m",
            br#"{"prompt":"hi","stream":true}"#,
        )
        .unwrap();
        assert_eq!((r.prompt.as_str(), r.max_tokens), ("hi", 20));
    }
}
