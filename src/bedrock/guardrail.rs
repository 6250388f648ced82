//! ApplyGuardrail (`POST /guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply`)
//! and InvokeGuardrailChecks (`POST /guardrail-checks/invoke`, detect-only checks that need no
//! guardrail resource). Members the library does not read stay as JSON in `extra` or as
//! [`Value`], so newer service fields pass through.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::converse::{Blob, Extra};

/// The body of ApplyGuardrail (the guardrail id and version go in the path).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyGuardrailRequest {
    /// `INPUT` (a user's prompt) or `OUTPUT` (a model's answer).
    pub source: String,
    pub content: Vec<GuardrailContentBlock>,
    /// `INTERVENTIONS` (default) or `FULL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_scope: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One block to check: exactly one member on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GuardrailContentBlock {
    Text(GuardrailTextBlock),
    Image(GuardrailImageBlock),
    /// A member this library does not know yet, kept as its JSON object.
    #[serde(untagged)]
    Other(Map<String, Value>),
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailTextBlock {
    pub text: String,
    /// `grounding_source`, `query` or `guard_content`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub qualifiers: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailImageBlock {
    /// `png` or `jpeg`.
    pub format: String,
    pub source: GuardrailImageSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailImageSource {
    pub bytes: Blob,
}

/// ApplyGuardrail's answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyGuardrailResponse {
    /// `NONE` or `GUARDRAIL_INTERVENED`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_reason: Option<String>,
    /// What to show instead when the guardrail intervened (masked or blocked text).
    #[serde(default)]
    pub outputs: Vec<GuardrailOutputContent>,
    /// Per-policy findings (topics, content, words, sensitive information, grounding, …).
    #[serde(default)]
    pub assessments: Vec<Value>,
    /// Policy units used, by policy.
    #[serde(default)]
    pub usage: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_coverage: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ApplyGuardrailResponse {
    /// Whether the guardrail blocked or changed the content.
    pub fn intervened(&self) -> bool {
        self.action == "GUARDRAIL_INTERVENED"
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailOutputContent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The body of InvokeGuardrailChecks: the conversation and which checks to run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvokeGuardrailChecksRequest {
    pub messages: Vec<GuardrailChecksMessage>,
    /// `{ contentFilter?: { categories }, promptAttack?: { categories },
    /// sensitiveInformation?: { entities } }`.
    pub checks: Value,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailChecksMessage {
    /// `user` or `assistant`.
    pub role: String,
    /// Blocks such as `{ "text": "…" }`.
    pub content: Vec<Value>,
}

/// InvokeGuardrailChecks' answer: findings and usage per check.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvokeGuardrailChecksResponse {
    pub results: Value,
    pub usage: Value,
    #[serde(flatten)]
    pub extra: Extra,
}
