//! Model families (BEDROCK.md §5): which model-native JSON a model id speaks, in every
//! direction — the request body built from a chat, the whole and streamed answers read as
//! [`Output`](super::Output), and where a stream chunk's text sits.
//!
//! One module per wire shape (several families share one); this module only dispatches.
//! Adding a family is its shape's module (or a new one), one arm in `ModelFamily::spec`,
//! and one line of the id rule in `id`.

use std::fmt;

use serde_json::{Map, Value};

use super::output::{Accumulator, TextDelta};
use super::Error;

mod anthropic;
mod chat;
mod claude_text;
mod cohere;
mod id;
mod input;
mod llama;
mod mistral;
mod nova;
mod reader;
mod titan;

pub use input::{ChatInferenceConfig, ChatInput};
pub use reader::{invoke_body, OutputReader, TextChunk};

use input::Chat;

/// The model-native JSON format a model answers InvokeModel with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ModelFamily {
    /// Anthropic Claude Text Completions (`claude-v2`, `claude-v2:1`, `claude-instant-v1`):
    /// `completion`.
    ClaudeText,
    /// Anthropic Claude Messages API: typed events (`content_block_delta`, …).
    ClaudeMessages,
    /// Amazon Titan Text: `outputText`, `completionReason`.
    TitanText,
    /// Amazon Nova: Converse-style events wrapped in their names.
    Nova,
    /// Meta Llama: `generation`, `stop_reason`.
    Llama,
    /// Mistral text models: `outputs[0].text`.
    Mistral,
    /// Mistral Large 2 (2407) chat format: `choices[0].message.content`.
    MistralChat,
    /// Cohere Command (legacy text): `generations[0].text`, or streamed `text`/`is_finished`.
    CohereCommand,
    /// Cohere Command R / R+: chat-stream events (`event_type`).
    CohereCommandR,
    /// AI21 Jamba: OpenAI-like `choices[0].delta.content` (or `.message.content`).
    Jamba,
    /// Not recognised (e.g. an application inference profile ARN): each chunk's keys decide.
    Unknown,
}

/// One step of the path from a stream chunk's JSON to its text, for code that reads chunks
/// itself (e.g. generated examples).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathStep {
    /// A key every text-carrying chunk has.
    Key(&'static str),
    /// A key some chunks lack; those chunks carry no text.
    OptionalKey(&'static str),
    /// An array element.
    Index(usize),
}

/// A model's own default sampling, when the caller sets none, as decimal text for showing
/// (e.g. `"0.999"`; parse it for the number). Text, so that showing it needs no float
/// formatting code in a page's wasm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SamplingDefaults {
    pub temperature: &'static str,
    pub top_p: &'static str,
}

impl ModelFamily {
    /// The family of a model id, inference profile id (`us.…`, `eu.…`, `apac.…`, `global.…`,
    /// `us-gov.…`, …) or ARN (`foundation-model/…`, `inference-profile/…`,
    /// `custom-model/<base model>/…`). ARNs that name no model (application inference
    /// profiles, provisioned or imported models, prompts) give [`ModelFamily::Unknown`].
    pub fn from_model_id(model_id: &str) -> Self {
        id::family_of(model_id)
    }

    /// A short stable name, e.g. `claude-messages`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClaudeText => "claude-text",
            Self::ClaudeMessages => "claude-messages",
            Self::TitanText => "titan-text",
            Self::Nova => "nova",
            Self::Llama => "llama",
            Self::Mistral => "mistral",
            Self::MistralChat => "mistral-chat",
            Self::CohereCommand => "cohere-command",
            Self::CohereCommandR => "cohere-command-r",
            Self::Jamba => "jamba",
            Self::Unknown => "unknown",
        }
    }

    /// Everything the family means; `None` for [`ModelFamily::Unknown`].
    fn spec(self) -> Option<&'static Spec> {
        Some(match self {
            Self::ClaudeText => &claude_text::CLAUDE_TEXT,
            Self::ClaudeMessages => &anthropic::CLAUDE_MESSAGES,
            Self::TitanText => &titan::TITAN_TEXT,
            Self::Nova => &nova::NOVA,
            Self::Llama => &llama::LLAMA,
            Self::Mistral => &mistral::MISTRAL,
            Self::MistralChat => &chat::MISTRAL_CHAT,
            Self::Jamba => &chat::JAMBA,
            Self::CohereCommand => &cohere::COMMAND,
            Self::CohereCommandR => &cohere::COMMAND_R,
            Self::Unknown => return None,
        })
    }

    /// How the family's answers are read; `None` for [`ModelFamily::Unknown`]. Apart from
    /// [`Spec`] so that code reading only a spec's data (a page's form) does not reach every
    /// reader through it: a wasm splitter keeps whatever a reachable static points to.
    fn reader(self) -> Option<&'static Reader> {
        Some(match self {
            Self::ClaudeText => &claude_text::READER,
            Self::ClaudeMessages => &anthropic::READER,
            Self::TitanText => &titan::READER,
            Self::Nova => &nova::READER,
            Self::Llama => &llama::READER,
            Self::Mistral => &mistral::READER,
            Self::MistralChat | Self::Jamba => &chat::READER,
            Self::CohereCommand | Self::CohereCommandR => &cohere::READER,
            Self::Unknown => return None,
        })
    }

    /// The model-native InvokeModel / InvokeModelWithResponseStream body for a text chat
    /// (`streaming` matters only to families that must be told, e.g. Cohere Command).
    /// `additional_model_request_fields` are added to the body's top level last, so they
    /// override what was built.
    ///
    /// Errors for [`ModelFamily::Unknown`] (use a model id of a known family), no messages,
    /// a role other than `user`/`assistant`, content other than text, and a missing
    /// `max_tokens` for families that require one.
    pub fn request_body(self, input: &ChatInput, streaming: bool) -> Result<Value, Error> {
        let spec = self.spec().ok_or_else(input::unknown_family)?;
        let chat = Chat::new(input)?;
        if self != ModelFamily::ClaudeMessages {
            chat.refuse_media(self)?;
        }
        let mut body = (spec.body)(&chat, streaming)?;
        for (k, v) in input.additional_model_request_fields.iter().flatten() {
            body.insert(k.clone(), v.clone());
        }
        Ok(Value::Object(body))
    }

    /// Where a stream chunk's answer text sits; `None` for [`ModelFamily::Unknown`].
    pub fn stream_text_path(self) -> Option<&'static [PathStep]> {
        self.spec().map(|s| s.text_path)
    }

    /// The name of the top-k parameter in the family's native body (Converse passes it on
    /// through `additionalModelRequestFields` under the same name); `None` when the family
    /// has none.
    pub fn top_k_parameter(self) -> Option<&'static str> {
        self.spec().and_then(|s| s.top_k)
    }

    /// The model's default temperature and top-p, when known.
    pub fn sampling_defaults(self) -> Option<SamplingDefaults> {
        self.spec().and_then(|s| s.sampling)
    }
}

impl fmt::Display for ModelFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Builds a native body from a checked chat; `bool` is whether the answer is streamed.
type BodyBuilder = fn(&Chat, bool) -> Result<Map<String, Value>, Error>;

/// Reads one layout's commonest chunk straight from its bytes; see [`Reader::fast`].
type FastPath = fn(&[u8], &mut Accumulator, &mut TextDelta) -> bool;

/// What one family means, held by its shape's module.
struct Spec {
    body: BodyBuilder,
    text_path: &'static [PathStep],
    top_k: Option<&'static str>,
    sampling: Option<SamplingDefaults>,
}

/// How one JSON layout is read; several families share one.
struct Reader {
    /// Whether a JSON object has this layout's keys.
    fits: fn(&Value) -> bool,
    /// Adds what a chunk (or a whole body) of this layout says.
    read: fn(&Value, &mut Accumulator, &mut TextDelta) -> Result<(), Error>,
    /// Reads the layout's commonest chunk from its bytes without a JSON tree; `false` when
    /// the bytes are not exactly that chunk (nothing is added then).
    fast: Option<FastPath>,
}

/// The key-probing order for chunks of unknown family (BEDROCK.md §5).
const PROBE_ORDER: [&Reader; 8] = [
    &anthropic::READER,
    &nova::READER,
    &titan::READER,
    &llama::READER,
    &mistral::READER,
    &chat::READER,
    &cohere::READER,
    &claude_text::READER,
];

fn first<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).and_then(|a| a.get(0))
}

#[cfg(test)]
mod request_tests;
#[cfg(test)]
mod tests;
