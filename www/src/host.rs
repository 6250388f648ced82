//! A host's `config.json` (optional, next to `index.html`): the title, region, endpoint, model,
//! the models to offer, the sign-in choices and the Cognito pool, pre-set for a team without
//! rebuilding. Read leniently: a field that is wrong is left out with a warning naming it;
//! nothing in the file can break the page.

use bedrock_wasm::bedrock::Endpoint;
use serde_json::Value;

use crate::choices::{AuthMode, Options};

/// Longest string a field may hold (titles, ids, ARNs, URLs).
const MAX_FIELD: usize = 2048;
/// Most models a host may offer.
const MAX_MODELS: usize = 200;

/// What a host's `config.json` sets; `None`/empty fields leave the page's defaults.
#[derive(Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub struct HostConfig {
    pub title: Option<String>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub model_id: Option<String>,
    /// The models to offer (ids, inference profiles or ARNs); empty: the whole catalog.
    pub models: Vec<String>,
    /// The sign-in choices to offer; empty: all.
    pub auth_modes: Vec<AuthMode>,
    pub identity_pool_id: Option<String>,
    pub role_arn: Option<String>,
    pub login_provider: Option<String>,
}

/// One warning: the field and why it was left out.
fn warn(warnings: &mut Vec<String>, field: &str, why: &str) {
    warnings.push(format!("config.json: \"{field}\" {why}; it was ignored"));
}

/// A string field: non-empty and bounded, or a warning naming it.
fn string_field(v: &Value, field: &str, warnings: &mut Vec<String>) -> Option<String> {
    match v.as_str() {
        Some(s) if !s.trim().is_empty() && s.len() <= MAX_FIELD => Some(s.trim().to_owned()),
        _ => {
            warn(
                warnings,
                field,
                "must be a non-empty string of at most 2048 characters",
            );
            None
        }
    }
}

impl HostConfig {
    /// Reads `config.json`'s text: the config, and one warning per field left out (naming
    /// it and saying why).
    pub fn parse(text: &str) -> (Self, Vec<String>) {
        let mut c = Self::default();
        let mut warnings = Vec::new();
        let root = match crate::json::parse::<Value>(text) {
            Ok(Value::Object(o)) => o,
            Ok(_) => {
                warnings.push("config.json must be a JSON object; it was ignored".to_owned());
                return (c, warnings);
            }
            Err(e) => {
                warnings.push(format!(
                    "config.json is not valid JSON ({e}); it was ignored"
                ));
                return (c, warnings);
            }
        };
        for (key, v) in &root {
            match key.as_str() {
                "title" => c.title = string_field(v, "title", &mut warnings),
                "region" => c.region = string_field(v, "region", &mut warnings),
                "endpoint" => c.endpoint = string_field(v, "endpoint", &mut warnings),
                "modelId" => c.model_id = string_field(v, "modelId", &mut warnings),
                "models" => {
                    let ids: Option<Vec<String>> = v.as_array().and_then(|a| {
                        (a.len() <= MAX_MODELS)
                            .then(|| a.iter().map(|m| string_field(m, "models[]", &mut warnings)).collect())
                            .flatten()
                    });
                    match ids {
                        Some(ids) if !ids.is_empty() => c.models = ids,
                        _ => warn(&mut warnings, "models", "must be a list of 1 to 200 model ids"),
                    }
                }
                "authModes" => {
                    let modes: Option<Vec<AuthMode>> = v.as_array().and_then(|a| {
                        a.iter()
                            .map(|m| m.as_str().and_then(AuthMode::parse))
                            .collect()
                    });
                    match modes {
                        Some(modes) if !modes.is_empty() => c.auth_modes = modes,
                        _ => warn(
                            &mut warnings,
                            "authModes",
                            "must list one or more of sigv4, api-key, cognito",
                        ),
                    }
                }
                "cognito" => match v.as_object() {
                    Some(o) => {
                        for (k, v) in o {
                            let field = format!("cognito.{k}");
                            match k.as_str() {
                                "identityPoolId" => c.identity_pool_id = string_field(v, &field, &mut warnings),
                                "roleArn" => c.role_arn = string_field(v, &field, &mut warnings),
                                "loginProvider" => c.login_provider = string_field(v, &field, &mut warnings),
                                _ => warn(&mut warnings, &field, "is not a field (known: identityPoolId, roleArn, loginProvider)"),
                            }
                        }
                    }
                    None => warn(&mut warnings, "cognito", "must be an object { identityPoolId, roleArn?, loginProvider? }"),
                },
                other => warn(&mut warnings, other, "is not a field (known: title, region, endpoint, modelId, models, authModes, cognito)"),
            }
        }
        // Where requests go must make sense before anything is pre-filled with it.
        if c.region.is_some() || c.endpoint.is_some() {
            let region = c.region.as_deref().unwrap_or("us-east-1");
            if Endpoint::aws(region).is_err() {
                warn(
                    &mut warnings,
                    "region",
                    "is not an AWS region name such as us-east-1",
                );
                c.region = None;
            }
            if let Some(url) = c.endpoint.as_deref() {
                if Endpoint::custom(url, "us-east-1").is_err() {
                    warn(&mut warnings, "endpoint", "must be a base URL such as https://bedrock-runtime.us-east-1.amazonaws.com");
                    c.endpoint = None;
                }
            }
        }
        (c, warnings)
    }

    /// Whether the page offers `mode`.
    pub fn offers(&self, mode: AuthMode) -> bool {
        self.auth_modes.is_empty() || self.auth_modes.contains(&mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_config_sets_every_field() {
        let (c, warnings) = HostConfig::parse(
            r#"{
                "title": "Acme Bedrock",
                "region": "eu-west-1",
                "endpoint": "https://bedrock-runtime.eu-west-1.amazonaws.com",
                "modelId": "eu.anthropic.claude-3-haiku-20240307-v1:0",
                "models": ["eu.anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-lite-v1:0"],
                "authModes": ["cognito"],
                "cognito": {
                    "identityPoolId": "eu-west-1:00000000-0000-0000-0000-000000000000",
                    "roleArn": "arn:aws:iam::123456789012:role/BedrockTeam",
                    "loginProvider": "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCd"
                }
            }"#,
        );
        assert_eq!(warnings, Vec::<String>::new());
        assert_eq!(c.title.as_deref(), Some("Acme Bedrock"));
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
        assert_eq!(c.models.len(), 2);
        assert_eq!(c.auth_modes, vec![AuthMode::Cognito]);
        assert!(c.offers(AuthMode::Cognito) && !c.offers(AuthMode::SigV4));
        assert_eq!(
            c.role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/BedrockTeam")
        );
    }

    #[test]
    fn wrong_fields_are_left_out_with_a_warning_naming_them() {
        let (c, warnings) = HostConfig::parse(
            r#"{"title": 7, "region": "Not A Region", "endpoint": "ftp://x", "models": [],
                "authModes": ["sigv4", "password"], "cognito": {"identityPoolId": "p", "pool": 1},
                "modelID": "typo", "modelId": "amazon.nova-lite-v1:0"}"#,
        );
        assert_eq!(c.model_id.as_deref(), Some("amazon.nova-lite-v1:0"));
        assert_eq!(c.identity_pool_id.as_deref(), Some("p"));
        assert_eq!(c.title, None);
        assert_eq!(c.region, None);
        assert_eq!(c.endpoint, None);
        assert!(c.models.is_empty() && c.auth_modes.is_empty());
        for field in [
            "\"title\"",
            "\"region\"",
            "\"endpoint\"",
            "\"models\"",
            "\"authModes\"",
            "\"cognito.pool\"",
            "\"modelID\"",
        ] {
            assert!(
                warnings.iter().any(|w| w.contains(field)),
                "{field} in {warnings:#?}"
            );
        }
    }

    #[test]
    fn a_file_that_is_not_a_json_object_changes_nothing() {
        for text in ["", "<html>404</html>", "[1]", "null", "{\"title\": \"x\""] {
            let (c, warnings) = HostConfig::parse(text);
            assert_eq!(c, HostConfig::default(), "{text}");
            assert_eq!(warnings.len(), 1, "{text}");
        }
        let huge = format!("{{\"title\": \"{}\"}}", "x".repeat(MAX_FIELD + 1));
        let (c, warnings) = HostConfig::parse(&huge);
        assert_eq!(c.title, None);
        assert_eq!(warnings.len(), 1);
        let many = format!(
            "{{\"models\": [{}]}}",
            vec!["\"m\""; MAX_MODELS + 1].join(",")
        );
        assert!(HostConfig::parse(&many).0.models.is_empty());
    }
}
