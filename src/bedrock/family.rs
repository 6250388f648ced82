use serde::Deserialize;

use super::Error;

/// `amazon-bedrock-invocationMetrics`, carried by the last chunk of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct InvocationMetrics {
    pub input_token_count: u64,
    pub output_token_count: u64,
    /// Milliseconds.
    pub invocation_latency: u64,
    /// Milliseconds.
    pub first_byte_latency: u64,
}

/// What a chunk (or a whole InvokeModel body) means as text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextChunk {
    pub text: String,
    /// Set on the last chunk.
    pub stop_reason: Option<String>,
    /// The stop sequence that ended the answer, when the model says.
    pub stop_sequence: Option<String>,
    pub metrics: Option<InvocationMetrics>,
}

impl TextChunk {
    /// Reads model-native JSON (an InvokeModel body or one stream chunk). Understands Claude
    /// text completions (`completion`) and Claude Messages (`content_block_delta`,
    /// `message_delta`, non-streaming `content`); unknown fields are ignored.
    pub fn from_model_json(bytes: &[u8]) -> Result<Self, Error> {
        #[derive(Deserialize)]
        struct Raw {
            completion: Option<String>,
            stop_reason: Option<String>,
            stop: Option<String>,
            #[serde(rename = "type")]
            kind: Option<String>,
            delta: Option<Delta>,
            content: Option<Vec<Block>>,
            stop_sequence: Option<String>,
            #[serde(rename = "amazon-bedrock-invocationMetrics")]
            metrics: Option<InvocationMetrics>,
        }
        #[derive(Deserialize)]
        struct Delta {
            text: Option<String>,
            stop_reason: Option<String>,
            stop_sequence: Option<String>,
        }
        #[derive(Deserialize)]
        struct Block {
            #[serde(rename = "type")]
            kind: String,
            text: Option<String>,
        }
        let raw: Raw = serde_json::from_slice(bytes)
            .map_err(|e| Error::InvalidResponse(format!("model output is not JSON: {e}")))?;
        let mut out = TextChunk {
            metrics: raw.metrics,
            ..Default::default()
        };
        if let Some(completion) = raw.completion {
            out.text = completion;
            out.stop_reason = raw.stop_reason;
            out.stop_sequence = raw.stop;
            return Ok(out);
        }
        match raw.kind.as_deref() {
            Some("content_block_delta") => {
                out.text = raw.delta.and_then(|d| d.text).unwrap_or_default();
            }
            Some("message_delta") => {
                if let Some(d) = raw.delta {
                    out.stop_reason = d.stop_reason;
                    out.stop_sequence = d.stop_sequence;
                }
            }
            Some("message") => {
                out.text = raw
                    .content
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|b| b.kind == "text")
                    .filter_map(|b| b.text)
                    .collect();
                out.stop_reason = raw.stop_reason;
                out.stop_sequence = raw.stop_sequence;
            }
            _ => {}
        }
        Ok(out)
    }
}
