//! The id rule: which family a model id, inference profile id or ARN names.

use super::ModelFamily;
use ModelFamily::*;

/// See [`ModelFamily::from_model_id`].
pub(super) fn family_of(model_id: &str) -> ModelFamily {
    let Some(id) = base_model_id(model_id) else {
        return Unknown;
    };
    let Some((provider, model)) = id.split_once('.') else {
        return Unknown;
    };
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| model.starts_with(p));
    // First match wins: one line per family (more specific prefixes first).
    match provider {
        "anthropic" if starts(&["claude-v2", "claude-instant"]) => ClaudeText,
        "anthropic" => ClaudeMessages,
        "amazon" if starts(&["nova"]) => Nova,
        "amazon" if starts(&["titan-text", "titan-tg1"]) => TitanText,
        "meta" => Llama,
        "mistral" if starts(&["mistral-large-2407"]) => MistralChat,
        "mistral" => Mistral,
        "cohere" if starts(&["command-r"]) => CohereCommandR,
        "cohere" if starts(&["command"]) => CohereCommand,
        "ai21" => Jamba,
        _ => Unknown,
    }
}

/// `provider.model…`, lowercased, from an id, a profile id or an ARN that names a model;
/// `None` for ARNs that name none.
fn base_model_id(model_id: &str) -> Option<String> {
    let id = model_id.trim().to_ascii_lowercase();
    let id = match id.strip_prefix("arn:") {
        Some(arn) => {
            // arn:partition:bedrock:region:account:resource-type/resource
            let resource = arn.splitn(5, ':').nth(4)?;
            let mut parts = resource.splitn(3, '/');
            match (parts.next(), parts.next()) {
                (Some("foundation-model" | "inference-profile" | "custom-model"), Some(name)) => {
                    name.to_owned()
                }
                _ => return None,
            }
        }
        None => id,
    };
    Some(strip_geo_prefix(&id).to_owned())
}

/// Inference profiles put a geography before the provider: `us.`, `eu.`, `apac.`, `global.`,
/// and more of the same shape (`us-gov.`, `jp.`, `au.`, `ca.`).
fn strip_geo_prefix(id: &str) -> &str {
    let Some((first, rest)) = id.split_once('.') else {
        return id;
    };
    let (head, tail) = first.split_once('-').unwrap_or((first, ""));
    let geo = matches!(first, "apac" | "global")
        || (head.len() == 2
            && head.bytes().all(|b| b.is_ascii_lowercase())
            && tail.len() <= 4
            && tail.bytes().all(|b| b.is_ascii_lowercase()));
    if geo && rest.contains('.') {
        rest
    } else {
        id
    }
}

#[cfg(test)]
#[path = "id_tests.rs"]
mod tests;
