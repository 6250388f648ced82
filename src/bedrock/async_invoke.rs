//! Asynchronous invocation: StartAsyncInvoke (`POST /async-invoke`), GetAsyncInvoke
//! (`GET /async-invoke/{invocationArn}`) and ListAsyncInvokes (`GET /async-invoke?…`), for
//! long jobs such as video generation whose results land in S3. Timestamps are RFC 3339
//! strings, as on the wire.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::converse::Extra;

/// The body of StartAsyncInvoke.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartAsyncInvokeRequest {
    pub model_id: String,
    /// The model-native input (a JSON document).
    pub model_input: Value,
    pub output_data_config: AsyncInvokeOutputDataConfig,
    /// Makes retries idempotent; [`Client::start_async_invoke`](crate::transport::Client)
    /// makes one when absent, as the AWS SDKs do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Where the results go (a union with one member today).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AsyncInvokeOutputDataConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_output_data_config: Option<AsyncInvokeS3OutputDataConfig>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AsyncInvokeS3OutputDataConfig {
    /// `s3://bucket/prefix`.
    pub s3_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartAsyncInvokeResponse {
    pub invocation_arn: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One invocation as GetAsyncInvoke and ListAsyncInvokes describe it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AsyncInvokeSummary {
    pub invocation_arn: String,
    pub model_arn: String,
    /// `InProgress`, `Completed` or `Failed`.
    #[serde(default)]
    pub status: String,
    /// RFC 3339, e.g. `2026-12-04T10:00:00.000Z`.
    pub submit_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
    pub output_data_config: AsyncInvokeOutputDataConfig,
    #[serde(flatten)]
    pub extra: Extra,
}

/// GetAsyncInvoke's answer has the summary's members.
pub type GetAsyncInvokeResponse = AsyncInvokeSummary;

/// ListAsyncInvokes' filters, sent as the query string (all optional).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListAsyncInvokesQuery {
    /// RFC 3339.
    pub submit_time_after: Option<String>,
    /// RFC 3339.
    pub submit_time_before: Option<String>,
    /// `InProgress`, `Completed` or `Failed`.
    pub status_equals: Option<String>,
    /// 1 to 1000 (the service checks).
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
    /// `SubmissionTime`.
    pub sort_by: Option<String>,
    /// `Ascending` or `Descending`.
    pub sort_order: Option<String>,
}

impl ListAsyncInvokesQuery {
    /// The query members in the AWS SDK's order, as `(name, value)`; absent ones left out.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let max_results = self.max_results.map(|n| n.to_string());
        [
            ("submitTimeAfter", &self.submit_time_after),
            ("submitTimeBefore", &self.submit_time_before),
            ("statusEquals", &self.status_equals),
            ("maxResults", &max_results),
            ("nextToken", &self.next_token),
            ("sortBy", &self.sort_by),
            ("sortOrder", &self.sort_order),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
        .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListAsyncInvokesResponse {
    #[serde(default)]
    pub async_invoke_summaries: Vec<AsyncInvokeSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A version 4 UUID from 16 random bytes: the idempotency token the AWS SDKs generate.
pub fn uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
