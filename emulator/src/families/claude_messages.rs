//! Anthropic Claude Messages API (Claude 3 and later; Claude v2/instant with a Messages body):
//! `messages` in, `message_start` … `message_stop` events out.

use super::schema::{chat_prompt_with_attachments, malformed, ChatStyle, Fields};
use super::{Reply, Request, Shape, StopReasons};
use crate::answer::{answer_for, Rng};
use crate::ids::base62;
use crate::json::J;
use crate::plan::{chunk, Planned};

pub(super) const SHAPE: Shape = Shape {
    name: "claude-messages",
    answer: answer_for,
    stop_reasons: StopReasons::Words("end_turn", "max_tokens", "stop_sequence"),
    validate,
    body,
    chunks,
    cache_metrics: false,
};

fn validate(f: &Fields<'_>, req: &mut Request) -> Result<(), String> {
    f.keys(
        &[
            "anthropic_version",
            "anthropic_beta",
            "max_tokens",
            "messages",
            "system",
            "stop_sequences",
            "temperature",
            "top_p",
            "top_k",
            "tools",
            "tool_choice",
            "thinking",
            "metadata",
        ],
        &["anthropic_version", "max_tokens", "messages"],
    )?;
    let version = f.string("anthropic_version")?.unwrap_or_default();
    if version != "bedrock-2023-05-31" {
        return Err(malformed(format!(
            "#/anthropic_version: {version} is not a valid enum value"
        )));
    }
    req.max_tokens = f.int("max_tokens", 1)?.unwrap_or(1);
    f.numbers(&["temperature", "top_p"])?;
    f.ints(&["top_k"])?;
    req.stops = f.string_array("stop_sequences")?;
    f.array("anthropic_beta")?;
    if let Some(system) = f.get("system") {
        if !system.is_string() && !system.is_array() {
            return Err(f.wrong_type("system", "String or JSONArray", system));
        }
    }
    (req.prompt, req.attachments) = chat_prompt_with_attachments(f, ChatStyle::Anthropic)?;
    Ok(())
}

fn body(r: &Reply<'_>, rng: &mut Rng) -> J {
    let (req, a, reason) = (r.req, r.answer, r.reason);
    let text = r.answer.text();
    J::obj([
        ("id", format!("msg_bdrk_{}", base62(rng, 24)).into()),
        ("type", "message".into()),
        ("role", "assistant".into()),
        ("model", req.model_name.as_str().into()),
        (
            "content",
            vec![J::obj([("type", "text".into()), ("text", text.into())])].into(),
        ),
        ("stop_reason", reason.into()),
        ("stop_sequence", a.stop_sequence.clone().into()),
        (
            "usage",
            J::obj([
                ("input_tokens", a.input_tokens.into()),
                ("output_tokens", a.output_tokens().into()),
            ]),
        ),
    ])
}

fn chunks(r: &Reply<'_>, rng: &mut Rng) -> Vec<Planned> {
    let (req, a, reason, tokens) = (r.req, r.answer, r.reason, r.tokens.as_slice());
    let output = r.answer.output_tokens();
    let mut out = Vec::new();
    out.push(chunk(
        0,
        J::obj([
            ("type", "message_start".into()),
            (
                "message",
                J::obj([
                    ("id", format!("msg_bdrk_{}", base62(rng, 24)).into()),
                    ("type", "message".into()),
                    ("role", "assistant".into()),
                    ("model", req.model_name.as_str().into()),
                    ("content", J::Arr(Vec::new())),
                    ("stop_reason", J::Null),
                    ("stop_sequence", J::Null),
                    (
                        "usage",
                        J::obj([
                            ("input_tokens", a.input_tokens.into()),
                            ("output_tokens", 1u32.into()),
                        ]),
                    ),
                ]),
            ),
        ]),
    ));
    out.push(chunk(
        0,
        J::obj([
            ("type", "content_block_start".into()),
            ("index", 0u32.into()),
            (
                "content_block",
                J::obj([("type", "text".into()), ("text", "".into())]),
            ),
        ]),
    ));
    for t in tokens {
        out.push(chunk(
            1,
            J::obj([
                ("type", "content_block_delta".into()),
                ("index", 0u32.into()),
                (
                    "delta",
                    J::obj([("type", "text_delta".into()), ("text", (*t).into())]),
                ),
            ]),
        ));
    }
    out.push(chunk(
        0,
        J::obj([
            ("type", "content_block_stop".into()),
            ("index", 0u32.into()),
        ]),
    ));
    out.push(chunk(
        0,
        J::obj([
            ("type", "message_delta".into()),
            (
                "delta",
                J::obj([
                    ("stop_reason", reason.into()),
                    ("stop_sequence", a.stop_sequence.clone().into()),
                ]),
            ),
            ("usage", J::obj([("output_tokens", output.into())])),
        ]),
    ));
    out.push(chunk(0, J::obj([("type", "message_stop".into())])));
    out
}

#[cfg(test)]
mod tests {
    use crate::families::{parse_request, refusal as err, Family};

    #[test]
    fn validates_bodies_like_bedrock() {
        // Messages: required keys, no model/stream keys, roles.
        let m = |extra: &str| {
            format!(
                r#"{{"anthropic_version":"bedrock-2023-05-31","max_tokens":9,"messages":[{{"role":"user","content":[{{"type":"text","text":"Hi"}},{{"type":"text","text":"there"}}]}}]{extra}}}"#
            )
        };
        let r = parse_request(Family::ClaudeText, "anthropic.claude-v2", m("").as_bytes()).unwrap();
        assert_eq!(
            (r.family, r.prompt.as_str(), r.max_tokens),
            (Family::ClaudeMessages, "Hi\nthere", 9)
        );
        assert_eq!(
            err(Family::ClaudeMessages, &m(r#","stream":true"#)),
            "Malformed input request: #: extraneous key [stream] is not permitted, please reformat your input and try again."
        );
        assert!(err(Family::ClaudeMessages, &m(r#","model":"claude""#))
            .contains("extraneous key [model]"));
        assert!(
            err(Family::ClaudeMessages, r#"{"max_tokens":9,"messages":[]}"#)
                .contains("required key [anthropic_version] not found")
        );
        assert!(err(
            Family::ClaudeMessages,
            r#"{"anthropic_version":"bedrock-2023-05-31","messages":[]}"#
        )
        .contains("required key [max_tokens] not found"));
        assert!(err(
            Family::ClaudeMessages,
            r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":"9","messages":[]}"#
        )
        .contains("#/max_tokens: expected type: Integer, found: String"));
        assert!(err(
            Family::ClaudeMessages,
            r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":9,"messages":[{"role":"assistant","content":"x"}]}"#
        )
        .contains("first message must use the \"user\" role"));
    }
}
