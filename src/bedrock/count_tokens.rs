//! CountTokens (`POST /model/{modelId}/count-tokens`): how many input tokens a request would
//! use, free of charge. The request says what would be sent, either InvokeModel's native body
//! or Converse's messages.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::converse::{Blob, Extra, Message, SystemContentBlock, ToolConfig};

/// The body of CountTokens (the model id goes in the path).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountTokensRequest {
    pub input: CountTokensInput,
}

/// What would be sent: exactly one member on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CountTokensInput {
    /// An InvokeModel body (base64 on the wire).
    InvokeModel(InvokeModelTokensRequest),
    /// A Converse request's messages, system prompt and tools.
    Converse(ConverseTokensRequest),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvokeModelTokensRequest {
    pub body: Blob,
}

/// Converse's members that count: `messages`, `system`, `toolConfig`,
/// `additionalModelRequestFields` (others pass through in `extra`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseTokensRequest {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub system: Vec<SystemContentBlock>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<ToolConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_request_fields: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountTokensResponse {
    pub input_tokens: u64,
    #[serde(flatten)]
    pub extra: Extra,
}
