//! The id rule: ids, inference profiles and ARNs.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::super::ModelFamily::{self, *};

#[test]
fn families_from_model_ids() {
    let cases = [
        ("anthropic.claude-v2", ClaudeText),
        ("anthropic.claude-v2:1", ClaudeText),
        ("anthropic.claude-instant-v1", ClaudeText),
        ("Anthropic.Claude-V2", ClaudeText),
        ("anthropic.claude-3-haiku-20240307-v1:0", ClaudeMessages),
        ("anthropic.claude-3-5-sonnet-20240620-v1:0", ClaudeMessages),
        ("amazon.nova-micro-v1:0", Nova),
        ("amazon.nova-2-lite-v1:0", Nova),
        ("amazon.titan-text-express-v1", TitanText),
        ("amazon.titan-text-premier-v1:0", TitanText),
        ("amazon.titan-tg1-large", TitanText),
        ("amazon.titan-embed-text-v2:0", Unknown),
        ("meta.llama3-8b-instruct-v1:0", Llama),
        ("meta.llama4-scout-17b-instruct-v1:0", Llama),
        ("mistral.mistral-7b-instruct-v0:2", Mistral),
        ("mistral.mixtral-8x7b-instruct-v0:1", Mistral),
        ("mistral.mistral-large-2402-v1:0", Mistral),
        ("mistral.mistral-large-2407-v1:0", MistralChat),
        ("cohere.command-text-v14", CohereCommand),
        ("cohere.command-light-text-v14", CohereCommand),
        ("cohere.command-r-v1:0", CohereCommandR),
        ("cohere.command-r-plus-v1:0", CohereCommandR),
        ("ai21.jamba-1-5-mini-v1:0", Jamba),
        ("ai21.jamba-instruct-v1:0", Jamba),
        ("openai.gpt-oss-120b-1:0", Unknown),
        ("deepseek.r1-v1:0", Unknown),
        ("", Unknown),
        ("claude", Unknown),
    ];
    for (id, family) in cases {
        assert_eq!(ModelFamily::from_model_id(id), family, "{id}");
    }
}

#[test]
fn inference_profile_prefixes_are_stripped() {
    for geo in ["us", "eu", "apac", "global", "us-gov", "jp", "au", "ca"] {
        let cases = [
            ("anthropic.claude-sonnet-4-20250514-v1:0", ClaudeMessages),
            ("amazon.nova-micro-v1:0", Nova),
            ("meta.llama3-2-11b-instruct-v1:0", Llama),
            ("mistral.pixtral-large-2502-v1:0", Mistral),
        ];
        for (id, family) in cases {
            let id = format!("{geo}.{id}");
            assert_eq!(ModelFamily::from_model_id(&id), family, "{id}");
        }
    }
    // Only a geography is stripped, and only one.
    assert_eq!(ModelFamily::from_model_id("us.us.meta.llama3"), Unknown);
    assert_eq!(ModelFamily::from_model_id("us.claude-v2"), Unknown);
}

#[test]
fn families_from_arns() {
    let cases = [
        (
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2",
            ClaudeText,
        ),
        (
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
            ClaudeMessages,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0",
            Nova,
        ),
        (
            "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0",
            ClaudeMessages,
        ),
        (
            "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.meta.llama3-2-1b-instruct-v1:0",
            Llama,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-express-v1:0:8k/ly16hhi765j4",
            TitanText,
        ),
        // These name no model.
        (
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
            Unknown,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/a1b2c3d4e5f6",
            Unknown,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:imported-model/a1b2c3d4e5f6",
            Unknown,
        ),
        ("arn:aws:bedrock", Unknown),
    ];
    for (id, family) in cases {
        assert_eq!(ModelFamily::from_model_id(id), family, "{id}");
    }
}
