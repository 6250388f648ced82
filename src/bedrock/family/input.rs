//! A text chat in the Converse vocabulary, the input every family's body builder reads, and
//! the helpers those builders share.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::super::converse::{ContentBlock, Message, SystemContentBlock};
use super::super::Error;
use super::ModelFamily;

/// A text chat to send to a model with its native body: Converse's `messages`, `system` and
/// `inferenceConfig`, in Converse's JSON spelling (camelCase).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatInput {
    /// `user` and `assistant` turns, text content only.
    pub messages: Vec<Message>,
    /// Text blocks, joined by newlines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub system: Vec<SystemContentBlock>,
    #[serde(default)]
    pub inference_config: ChatInferenceConfig,
    /// Added to the native body's top level as they are (as Converse passes them to the
    /// model), after everything else, e.g. `{"thinking": {…}}` for Claude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_request_fields: Option<Map<String, Value>>,
}

/// Converse's `inferenceConfig`, plus `topK`, which each family names its own way.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatInferenceConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Left out of the body for families without top-k.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop_sequences: Vec<String>,
}

/// Every error a body builder reports; the message says what to change.
fn invalid(message: String) -> Error {
    Error::InvalidInput(message)
}

pub(super) fn unknown_family() -> Error {
    invalid(
        "the model id names no known model family, so its native body is unknown: use a \
         foundation model or inference profile id (e.g. anthropic.claude-3-haiku-20240307-v1:0), \
         or Converse"
            .into(),
    )
}

/// One turn, checked.
pub(super) struct Turn {
    pub user: bool,
    pub text: String,
}

/// A [`ChatInput`] checked and reduced to what bodies are built from.
pub(super) struct Chat<'a> {
    pub turns: Vec<Turn>,
    /// Trimmed; empty when there is none.
    pub system: String,
    pub config: &'a ChatInferenceConfig,
}

impl<'a> Chat<'a> {
    pub fn new(input: &'a ChatInput) -> Result<Self, Error> {
        if input.messages.is_empty() {
            return Err(invalid(
                "messages is empty: give at least one {role: \"user\", content: [{text}]}".into(),
            ));
        }
        let mut turns = Vec::with_capacity(input.messages.len());
        for (i, m) in input.messages.iter().enumerate() {
            let user = match m.role.as_str() {
                "user" => true,
                "assistant" => false,
                other => {
                    return Err(invalid(format!(
                        "messages[{i}].role is {other:?}: use \"user\" or \"assistant\""
                    )))
                }
            };
            let mut text = String::new();
            for block in &m.content {
                match block {
                    ContentBlock::Text(t) => text.push_str(t),
                    _ => {
                        return Err(invalid(format!(
                            "messages[{i}] has non-text content: native bodies are built from \
                             text only; send images, documents and tools with Converse"
                        )))
                    }
                }
            }
            turns.push(Turn { user, text });
        }
        let mut system = Vec::new();
        for block in &input.system {
            match block {
                SystemContentBlock::Text(t) => system.push(t.as_str()),
                SystemContentBlock::Other(_) => {
                    return Err(invalid(
                        "system has a non-text block: native bodies take text only".into(),
                    ))
                }
            }
        }
        Ok(Self {
            turns,
            system: system.join("\n").trim().to_owned(),
            config: &input.inference_config,
        })
    }

    /// The token cap, for families whose body requires one.
    pub fn required_max_tokens(&self, family: ModelFamily) -> Result<u32, Error> {
        self.config.max_tokens.ok_or_else(|| {
            invalid(format!(
                "inferenceConfig.maxTokens is required for {family} models: set the most tokens \
                 the answer may have"
            ))
        })
    }

    pub fn max_tokens(&self) -> Option<Value> {
        self.config.max_tokens.map(Value::from)
    }

    pub fn temperature(&self) -> Option<Value> {
        self.config.temperature.map(Value::from)
    }

    pub fn top_p(&self) -> Option<Value> {
        self.config.top_p.map(Value::from)
    }

    pub fn top_k(&self) -> Option<Value> {
        self.config.top_k.map(Value::from)
    }

    /// `None` when there are none (an empty list is left out, not sent).
    pub fn stop(&self) -> Option<Value> {
        let s = &self.config.stop_sequences;
        (!s.is_empty()).then(|| json!(s))
    }

    /// The text of the only turn, when the chat is one user turn and no system prompt
    /// (sent as is to plain-prompt models).
    pub fn lone_user_text(&self) -> Option<&str> {
        match self.turns.as_slice() {
            [t] if t.user && self.system.is_empty() => Some(&t.text),
            _ => None,
        }
    }

    /// Chat messages as `[{role, content: text}]`, after a `system` message when `system`.
    pub fn role_content_messages(&self, system: bool) -> Value {
        let mut out: Vec<Value> = Vec::new();
        if system && !self.system.is_empty() {
            out.push(json!({"role": "system", "content": self.system}));
        }
        out.extend(
            self.turns
                .iter()
                .map(|t| json!({"role": role(t), "content": t.text})),
        );
        Value::Array(out)
    }

    /// A text transcript: turns wrapped by the given markers.
    pub fn transcript(&self, user: &str, assistant: &str, end: &str) -> String {
        let mut s = String::new();
        for t in &self.turns {
            let start = if t.user { user } else { assistant };
            s.push_str(start);
            s.push_str(&t.text);
            s.push_str(end);
        }
        s
    }

    /// A plain-text chat prompt for models without a chat template (Titan, Cohere Command):
    /// the system prompt on its own line, `User:`/`<bot>:` turns, and an open `<bot>:` turn.
    pub fn plain_prompt(&self, bot: &str) -> String {
        let mut t = if self.system.is_empty() {
            String::new()
        } else {
            format!("{}\n", self.system)
        };
        t += &self.transcript("User: ", &format!("{bot}: "), "\n");
        t + bot + ":"
    }
}

pub(super) fn role(t: &Turn) -> &'static str {
    if t.user {
        "user"
    } else {
        "assistant"
    }
}

/// Sets `key` when there is a value.
pub(super) fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.into(), v);
    }
}
