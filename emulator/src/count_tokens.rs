//! CountTokens (`POST /model/{modelId}/count-tokens`): the `inputTokens` the emulator would
//! report for the same request through InvokeModel (`input.invokeModel.body`, the base64
//! native body, validated exactly as InvokeModel validates it) or Converse
//! (`input.converse`: `messages`, `system`, `toolConfig`, `additionalModelRequestFields`,
//! validated as Converse validates them).

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::answer::check_echo;
use crate::converse::parse_converse;
use crate::families::schema::json_object;
use crate::families::{parse_request, Family};
use crate::validate::{object, required, string, union};

/// The members of `ConverseTokensRequest`: the rest of a Converse body is not counted.
const CONVERSE_MEMBERS: [&str; 4] = [
    "messages",
    "system",
    "toolConfig",
    "additionalModelRequestFields",
];

/// Validates a CountTokens body for a model of `family` and returns its `inputTokens`.
pub(crate) fn count_tokens(family: Family, model_id: &str, body: &[u8]) -> Result<u32, String> {
    let obj = json_object(body)?;
    let input = required(&obj, "input", "input")?;
    match union(input, "input", &["invokeModel", "converse"])? {
        ("invokeModel", v) => {
            let request = object(v, "input.invokeModel")?;
            let b64 = string(
                required(request, "body", "input.invokeModel.body")?,
                "input.invokeModel.body",
            )?;
            let native = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| {
                    crate::validate::constraint(
                        &Value::from(b64),
                        "input.invokeModel.body",
                        "be base64-encoded bytes (a blob)",
                    )
                })?;
            let req = parse_request(family, model_id, &native)?;
            check_echo(&req.prompt)?;
            Ok(req.answer().input_tokens)
        }
        (_, v) => {
            let request = object(v, "input.converse")?;
            // The counted members, as a Converse body: then validated by Converse's own rules,
            // with the paths they report placed under `input.converse`.
            let converse: Map<String, Value> = request
                .iter()
                .filter(|(k, _)| CONVERSE_MEMBERS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let bytes = serde_json::to_vec(&Value::Object(converse)).unwrap_or_default();
            let req = parse_converse(model_id, &bytes)
                .map_err(|m| m.replacen(" at '", " at 'input.converse.", 1))?;
            check_echo(&req.prompt)?;
            Ok(req.answer().input_tokens)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::families::invoke_answer;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn counts_as_invoke_and_converse_report() {
        let native =
            r#"{"prompt":"\n\nHuman: one two three\n\nAssistant:","max_tokens_to_sample":5}"#;
        let body = format!(
            r#"{{"input":{{"invokeModel":{{"body":"{}"}}}}}}"#,
            b64(native)
        );
        let family = Family::of_model("anthropic.claude-v2").unwrap();
        assert_eq!(
            count_tokens(family, "anthropic.claude-v2", body.as_bytes()),
            Ok(invoke_answer("anthropic.claude-v2", native.as_bytes())
                .unwrap()
                .input_tokens)
        );
        let conv = r#"{"input":{"converse":{"messages":[{"role":"user","content":[{"text":"a b c d"}]}],"system":[{"text":"x"}]}}}"#;
        assert_eq!(
            count_tokens(family, "anthropic.claude-v2", conv.as_bytes()),
            Ok(8)
        );
        let err = |b: &str| count_tokens(family, "anthropic.claude-v2", b.as_bytes()).unwrap_err();
        assert!(
            err("{}").contains("at 'input' failed to satisfy constraint: Member must not be null")
        );
        assert!(err(r#"{"input":{}}"#).contains("have exactly one member set"));
        assert!(err(r#"{"input":{"invokeModel":{"body":"!!"}}}"#).contains("base64"));
        assert!(err(r#"{"input":{"converse":{}}}"#).contains("at 'input.converse.messages'"));
        let bad_native = format!(
            r#"{{"input":{{"invokeModel":{{"body":"{}"}}}}}}"#,
            b64(r#"{"prompt":"x"}"#)
        );
        assert_eq!(
            err(&bad_native),
            invoke_answer("anthropic.claude-v2", br#"{"prompt":"x"}"#).unwrap_err()
        );
    }
}
