//! Anthropic Claude Text Completions (`anthropic.claude-v2[:N]`, `anthropic.claude-instant-v1`):
//! a `prompt` with `"\n\nHuman:"` / `"\n\nAssistant:"` turns, `completion` chunks.

use super::schema::Fields;
use super::{Reply, Request, Shape, StopReasons};
use crate::answer::{claude_text_answer_with, Rng};
use crate::json::J;
use crate::plan::{chunk, Planned};

pub(super) const SHAPE: Shape = Shape {
    name: "claude-text",
    answer: claude_text_answer_with,
    stop_reasons: StopReasons::Answer,
    validate,
    body,
    chunks,
    cache_metrics: false,
};

fn validate(f: &Fields<'_>, req: &mut Request) -> Result<(), String> {
    f.keys(
        &[
            "prompt",
            "max_tokens_to_sample",
            "temperature",
            "top_p",
            "top_k",
            "stop_sequences",
            "anthropic_version",
        ],
        &["prompt", "max_tokens_to_sample"],
    )?;
    let prompt = f.string("prompt")?.unwrap_or_default();
    req.max_tokens = f.int("max_tokens_to_sample", 1)?.unwrap_or(1);
    f.numbers(&["temperature", "top_p"])?;
    f.ints(&["top_k"])?;
    req.stops = f.string_array("stop_sequences")?;
    if !prompt.contains("\n\nHuman:") {
        return Err(r#"Invalid prompt: prompt must start with "\n\nHuman:" turn after an optional system prompt"#.into());
    }
    if !prompt.ends_with("\n\nAssistant:") {
        return Err(r#"Invalid prompt: prompt must end with "\n\nAssistant:" turn"#.into());
    }
    req.prompt = prompt.to_owned();
    Ok(())
}

fn body(r: &Reply<'_>, _rng: &mut Rng) -> J {
    let (a, reason) = (r.answer, r.reason);
    let text = r.answer.text();
    J::obj([
        ("completion", text.into()),
        ("stop_reason", reason.into()),
        ("stop", a.stop_sequence.clone().into()),
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
                ("completion", (*t).into()),
                ("stop_reason", last.then_some(reason).into()),
                (
                    "stop",
                    if last { a.stop_sequence.clone() } else { None }.into(),
                ),
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
        let ok = parse_request(
            Family::ClaudeText,
            "anthropic.claude-v2",
            br#"{"prompt":"\n\nHuman: hi\n\nAssistant:","max_tokens_to_sample":5,"temperature":0.5,"stop_sequences":["x"]}"#,
        )
        .unwrap();
        assert_eq!(
            (ok.prompt.as_str(), ok.max_tokens),
            ("\n\nHuman: hi\n\nAssistant:", 5)
        );
        assert_eq!(ok.stops, ["x"]);
        assert!(err(
            Family::ClaudeText,
            r#"{"prompt":"\n\nHuman: hi\n\nAssistant:"}"#
        )
        .contains("required key [max_tokens_to_sample]"));
        assert!(err(
            Family::ClaudeText,
            r#"{"prompt":"\n\nHuman: hi\n\nAssistant:","max_tokens_to_sample":5,"stream":true}"#
        )
        .contains("extraneous key [stream]"));
        assert!(err(
            Family::ClaudeText,
            r#"{"prompt":"hi","max_tokens_to_sample":5}"#
        )
        .contains("must start with"));
        assert!(err(
            Family::ClaudeText,
            r#"{"prompt":"\n\nHuman: hi","max_tokens_to_sample":5}"#
        )
        .contains("must end with"));
        assert!(err(Family::ClaudeText, "{nope").starts_with("Malformed input request"));
        assert!(err(
            Family::ClaudeText,
            r#"{"prompt":"\n\nHuman: hi\n\nAssistant:","max_tokens_to_sample":-1}"#
        )
        .contains("greater or equal"));
    }
}
