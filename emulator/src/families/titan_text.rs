//! Amazon Titan Text (`amazon.titan-text-express-v1`, `-lite-`, `-premier-`, `titan-tg1-large`):
//! `inputText` in, `outputText` chunks of several tokens out.

use super::schema::Fields;
use super::{Reply, Request, Shape, StopReasons};
use crate::answer::{answer_for, Rng};
use crate::json::J;
use crate::plan::{chunk, Planned};

/// Tokens per Titan chunk: Titan streams a sentence or more at a time.
const TOKENS_PER_CHUNK: usize = 8;

pub(super) const SHAPE: Shape = Shape {
    name: "titan-text",
    answer: answer_for,
    stop_reasons: StopReasons::Words("FINISH", "LENGTH", "STOP_CRITERIA_MET"),
    validate,
    body,
    chunks,
    cache_metrics: false,
};

fn validate(f: &Fields<'_>, req: &mut Request) -> Result<(), String> {
    f.keys(&["inputText", "textGenerationConfig"], &["inputText"])?;
    req.prompt = f.string("inputText")?.unwrap_or_default().to_owned();
    req.max_tokens = 512;
    if let Some(config) = f.object("textGenerationConfig")? {
        config.keys(
            &["temperature", "topP", "maxTokenCount", "stopSequences"],
            &[],
        )?;
        config.numbers(&["temperature", "topP"])?;
        req.max_tokens = config.int("maxTokenCount", 0)?.unwrap_or(512);
        req.stops = config.string_array("stopSequences")?;
    }
    Ok(())
}

fn body(r: &Reply<'_>, _rng: &mut Rng) -> J {
    let (a, reason) = (r.answer, r.reason);
    let text = r.answer.text();
    J::obj([
        ("inputTextTokenCount", a.input_tokens.into()),
        (
            "results",
            vec![J::obj([
                ("tokenCount", a.output_tokens().into()),
                ("outputText", text.into()),
                ("completionReason", reason.into()),
            ])]
            .into(),
        ),
    ])
}

fn chunks(r: &Reply<'_>, _rng: &mut Rng) -> Vec<Planned> {
    let (a, reason, tokens) = (r.answer, r.reason, r.tokens.as_slice());
    let output = r.answer.output_tokens();
    let mut out = Vec::new();
    let groups: Vec<&[&str]> = tokens.chunks(TOKENS_PER_CHUNK).collect();
    for (i, group) in groups.iter().enumerate() {
        let last = i + 1 == groups.len();
        out.push(chunk(
            group.len() as u32,
            J::obj([
                ("outputText", group.concat().into()),
                ("index", 0u32.into()),
                ("totalOutputTextTokenCount", last.then_some(output).into()),
                ("completionReason", last.then_some(reason).into()),
                (
                    "inputTextTokenCount",
                    (i == 0).then_some(a.input_tokens).into(),
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
        let r = parse_request(
            Family::TitanText,
            "m",
            br#"{"inputText":"User: hi\nBot:","textGenerationConfig":{"maxTokenCount":7,"stopSequences":["|"]}}"#,
        )
        .unwrap();
        assert_eq!((r.prompt.as_str(), r.max_tokens), ("User: hi\nBot:", 7));
        assert!(err(
            Family::TitanText,
            r#"{"inputText":"hi","textGenerationConfig":{"max_tokens":5}}"#
        )
        .contains("#/textGenerationConfig: extraneous key [max_tokens]"));
    }
}
