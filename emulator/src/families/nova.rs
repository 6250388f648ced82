//! Amazon Nova text models (`amazon.nova-micro-v1:0`, `-lite-`, `-pro-`, `-premier-`, `nova-2-lite`):
//! Converse-like `messages` in, `contentBlockDelta` chunks out, cache token counts in the metrics.

use super::schema::{chat_prompt, ChatStyle, Fields};
use super::{Reply, Request, Shape, StopReasons};
use crate::answer::{answer_for, Rng};
use crate::json::J;
use crate::plan::{chunk, Planned};

pub(super) const SHAPE: Shape = Shape {
    name: "nova",
    answer: answer_for,
    stop_reasons: StopReasons::Words("end_turn", "max_tokens", "stop_sequence"),
    validate,
    body,
    chunks,
    cache_metrics: true,
};

fn validate(f: &Fields<'_>, req: &mut Request) -> Result<(), String> {
    f.keys(
        &[
            "schemaVersion",
            "system",
            "messages",
            "inferenceConfig",
            "toolConfig",
        ],
        &["messages"],
    )?;
    f.string("schemaVersion")?;
    f.array("system")?;
    req.max_tokens = 5000;
    if let Some(config) = f.object("inferenceConfig")? {
        config.keys(
            &[
                "max_new_tokens",
                "maxTokens",
                "temperature",
                "top_p",
                "topP",
                "top_k",
                "topK",
                "stopSequences",
                "reasoningConfig",
            ],
            &[],
        )?;
        config.numbers(&["temperature", "top_p", "topP"])?;
        config.ints(&["top_k", "topK"])?;
        req.max_tokens = config
            .int("max_new_tokens", 1)?
            .or(config.int("maxTokens", 1)?)
            .unwrap_or(5000);
        req.stops = config.string_array("stopSequences")?;
    }
    req.prompt = chat_prompt(f, ChatStyle::Nova)?;
    Ok(())
}

fn body(r: &Reply<'_>, _rng: &mut Rng) -> J {
    let (a, reason) = (r.answer, r.reason);
    let text = r.answer.text();
    J::obj([
        (
            "output",
            J::obj([(
                "message",
                J::obj([
                    ("content", vec![J::obj([("text", text.into())])].into()),
                    ("role", "assistant".into()),
                ]),
            )]),
        ),
        ("stopReason", reason.into()),
        (
            "usage",
            J::obj([
                ("inputTokens", a.input_tokens.into()),
                ("outputTokens", a.output_tokens().into()),
                (
                    "totalTokens",
                    a.input_tokens.saturating_add(a.output_tokens()).into(),
                ),
                ("cacheReadInputTokenCount", 0u32.into()),
                ("cacheWriteInputTokenCount", 0u32.into()),
            ]),
        ),
    ])
}

fn chunks(r: &Reply<'_>, _rng: &mut Rng) -> Vec<Planned> {
    let (a, reason, tokens) = (r.answer, r.reason, r.tokens.as_slice());
    let output = r.answer.output_tokens();
    let mut out = Vec::new();
    out.push(chunk(
        0,
        J::obj([("messageStart", J::obj([("role", "assistant".into())]))]),
    ));
    // As captured from Nova: every delta is its own content block, closed at once.
    for (i, t) in tokens.iter().enumerate() {
        out.push(chunk(
            1,
            J::obj([(
                "contentBlockDelta",
                J::obj([
                    ("delta", J::obj([("text", (*t).into())])),
                    ("contentBlockIndex", i.into()),
                ]),
            )]),
        ));
        out.push(chunk(
            0,
            J::obj([(
                "contentBlockStop",
                J::obj([("contentBlockIndex", i.into())]),
            )]),
        ));
    }
    out.push(chunk(
        0,
        J::obj([("messageStop", J::obj([("stopReason", reason.into())]))]),
    ));
    out.push(chunk(
        0,
        J::obj([(
            "metadata",
            J::obj([
                (
                    "usage",
                    J::obj([
                        ("inputTokens", a.input_tokens.into()),
                        ("outputTokens", output.into()),
                        ("cacheReadInputTokenCount", 0u32.into()),
                        ("cacheWriteInputTokenCount", 0u32.into()),
                    ]),
                ),
                ("metrics", J::Obj(Vec::new())),
                ("trace", J::Obj(Vec::new())),
            ]),
        )]),
    ));
    out
}

#[cfg(test)]
mod tests {
    use crate::families::{parse_request, refusal as err, Family};

    #[test]
    fn validates_bodies_like_bedrock() {
        let r = parse_request(
            Family::Nova,
            "m",
            br#"{"schemaVersion":"messages-v1","messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"max_new_tokens":7}}"#,
        )
        .unwrap();
        assert_eq!((r.prompt.as_str(), r.max_tokens), ("hi", 7));
        let r = parse_request(
            Family::Nova,
            "m",
            br#"{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":8}}"#,
        )
        .unwrap();
        assert_eq!((r.prompt.as_str(), r.max_tokens), ("hi", 8));
        assert!(err(
            Family::Nova,
            r#"{"messages":[{"role":"user","content":"hi"}]}"#
        )
        .contains("#/messages/0/content: expected type: JSONArray, found: String"));
    }
}
