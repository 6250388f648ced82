//! Mistral text-completion models (`mistral.mistral-7b-instruct-v0:2`, `mixtral-8x7b…`, …):
//! a `prompt` in, `outputs` chunks out.

use super::schema::Fields;
use super::{Reply, Request, Shape, StopReasons};
use crate::answer::{answer_for, Rng};
use crate::json::J;
use crate::plan::{chunk, Planned};

pub(super) const SHAPE: Shape = Shape {
    name: "mistral",
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
            "prompt",
            "max_tokens",
            "stop",
            "temperature",
            "top_p",
            "top_k",
        ],
        &["prompt"],
    )?;
    req.prompt = f.string("prompt")?.unwrap_or_default().to_owned();
    req.max_tokens = f.int("max_tokens", 1)?.unwrap_or(512);
    req.stops = f.string_array("stop")?;
    f.numbers(&["temperature", "top_p"])?;
    f.ints(&["top_k"])?;
    Ok(())
}

fn body(r: &Reply<'_>, _rng: &mut Rng) -> J {
    let reason = r.reason;
    let text = r.answer.text();
    J::obj([(
        "outputs",
        vec![J::obj([
            ("text", text.into()),
            ("stop_reason", reason.into()),
        ])]
        .into(),
    )])
}

fn chunks(r: &Reply<'_>, _rng: &mut Rng) -> Vec<Planned> {
    let (reason, tokens) = (r.reason, r.tokens.as_slice());
    let n = tokens.len();
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let last = i + 1 == n;
        out.push(chunk(
            1,
            J::obj([(
                "outputs",
                vec![J::obj([
                    ("text", (*t).into()),
                    ("stop_reason", last.then_some(reason).into()),
                ])]
                .into(),
            )]),
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
            Family::Mistral,
            "m",
            br#"{"prompt":"<s>[INST] hi [/INST]","max_tokens":7,"stop":["."]}"#,
        )
        .unwrap();
        assert_eq!(
            (r.prompt.as_str(), r.max_tokens),
            ("<s>[INST] hi [/INST]", 7)
        );
        assert!(
            err(Family::Mistral, r#"[1]"#).contains("expected type: JSONObject, found: JSONArray")
        );
    }
}
