//! A text chat in the Converse vocabulary, the input every family's body builder reads, and
//! the helpers those builders share.

use serde_json::{json, Map, Value};

use super::super::converse::{ContentBlock, Message, SystemContentBlock};
use super::super::Error;
use super::ModelFamily;

/// A text chat to send to a model with its native body: Converse's `messages`, `system` and
/// `inferenceConfig`; [`ChatInput::from_json`] reads Converse's JSON spelling (camelCase).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatInput {
    /// `user` and `assistant` turns, text content only.
    pub messages: Vec<Message>,
    /// Text blocks, joined by newlines.
    pub system: Vec<SystemContentBlock>,
    pub inference_config: ChatInferenceConfig,
    /// Added to the native body's top level as they are (as Converse passes them to the
    /// model), after everything else, e.g. `{"thinking": {…}}` for Claude.
    pub additional_model_request_fields: Option<Map<String, Value>>,
}

/// Converse's `inferenceConfig`, plus `topK`, which each family names its own way.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatInferenceConfig {
    pub max_tokens: Option<u32>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    /// Left out of the body for families without top-k.
    pub top_k: Option<u32>,
    pub stop_sequences: Vec<String>,
}

impl ChatInput {
    /// Reads `{"messages": [{"role", "content": [{"text"}]}], "system": [{"text"}],
    /// "inferenceConfig": {"maxTokens", "temperature", "topP", "topK", "stopSequences"},
    /// "additionalModelRequestFields": {…}}`; `null` counts as absent. A content block other
    /// than `{"text"}` is kept as `Other` (and refused when a body is built).
    ///
    /// Read by hand rather than with serde's derive: the derive for Converse's content types
    /// costs the npm package tens of KB of wasm.
    pub fn from_json(json: &[u8]) -> Result<Self, Error> {
        let v: Value = serde_json::from_slice(json)
            .map_err(|e| invalid(format!("the chat is not JSON: {e}")))?;
        let mut input = ChatInput::default();
        for (key, value) in into_object(v, "the chat")? {
            if value.is_null() {
                continue;
            }
            match key.as_str() {
                "messages" => {
                    for (i, m) in into_array(value, "messages")?.into_iter().enumerate() {
                        input.messages.push(message(m, i)?);
                    }
                }
                "system" => {
                    for b in into_array(value, "system")? {
                        input
                            .system
                            .push(match text_block(into_object(b, "system[]")?) {
                                Ok(t) => SystemContentBlock::Text(t),
                                Err(other) => SystemContentBlock::Other(other),
                            });
                    }
                }
                "inferenceConfig" => input.inference_config = inference_config(value)?,
                "additionalModelRequestFields" => {
                    input.additional_model_request_fields =
                        Some(into_object(value, "additionalModelRequestFields")?)
                }
                other => {
                    return Err(invalid(format!(
                        "the chat has an unknown field {other:?}: use messages, system, \
                         inferenceConfig and additionalModelRequestFields"
                    )))
                }
            }
        }
        Ok(input)
    }
}

fn message(v: Value, i: usize) -> Result<Message, Error> {
    let at = format!("messages[{i}]");
    let mut m = into_object(v, &at)?;
    // Taken, not `remove`d: `m` is dropped after, and the map's removal code costs ~1 KB gzip.
    let role = match m.get_mut("role").map(Value::take) {
        Some(Value::String(r)) => r,
        _ => {
            return Err(invalid(format!(
                "{at}.role must be \"user\" or \"assistant\""
            )))
        }
    };
    let content = m.get_mut("content").map(Value::take).unwrap_or_default();
    let content = into_array(content, &format!("{at}.content"))?;
    let mut blocks = Vec::with_capacity(content.len());
    for b in content {
        blocks.push(
            match text_block(into_object(b, &format!("{at}.content[]"))?) {
                Ok(t) => ContentBlock::Text(t),
                Err(other) => ContentBlock::Other(other),
            },
        );
    }
    Ok(Message {
        role,
        content: blocks,
    })
}

/// `{"text": "…"}`'s text, or the block as it came.
fn text_block(mut block: Map<String, Value>) -> Result<String, Map<String, Value>> {
    if block.len() == 1 {
        if let Some(Value::String(t)) = block.get("text") {
            let t = t.clone();
            block.clear();
            return Ok(t);
        }
    }
    Err(block)
}

fn inference_config(v: Value) -> Result<ChatInferenceConfig, Error> {
    let mut c = ChatInferenceConfig::default();
    for (key, value) in into_object(v, "inferenceConfig")? {
        if value.is_null() {
            continue;
        }
        let at = format!("inferenceConfig.{key}");
        let whole = |v: &Value| {
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| invalid(format!("{at} must be a whole number from 0 to 4294967295")))
        };
        let number = |v: &Value| {
            v.as_f64()
                .ok_or_else(|| invalid(format!("{at} must be a number")))
        };
        match key.as_str() {
            "maxTokens" => c.max_tokens = Some(whole(&value)?),
            "topK" => c.top_k = Some(whole(&value)?),
            "temperature" => c.temperature = Some(number(&value)?),
            "topP" => c.top_p = Some(number(&value)?),
            "stopSequences" => {
                for s in into_array(value, &at)? {
                    match s {
                        Value::String(s) => c.stop_sequences.push(s),
                        _ => return Err(invalid(format!("{at} must be strings"))),
                    }
                }
            }
            _ => {
                return Err(invalid(format!(
                    "{at} is unknown: use maxTokens, temperature, topP, topK and stopSequences"
                )))
            }
        }
    }
    Ok(c)
}

fn into_object(v: Value, what: &str) -> Result<Map<String, Value>, Error> {
    match v {
        Value::Object(o) => Ok(o),
        _ => Err(invalid(format!("{what} must be an object"))),
    }
}

fn into_array(v: Value, what: &str) -> Result<Vec<Value>, Error> {
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(invalid(format!("{what} must be an array"))),
    }
}

/// Every error a body builder reports; the message says what to change.
fn invalid(message: String) -> Error {
    Error::input(message)
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
pub(super) struct Turn<'a> {
    pub user: bool,
    pub text: String,
    /// Its `image` and `document` blocks, in order: only Claude's Messages body takes them
    /// ([`Chat::refuse_media`] stops the others).
    pub media: Vec<&'a ContentBlock>,
}

/// A [`ChatInput`] checked and reduced to what bodies are built from.
pub(super) struct Chat<'a> {
    pub turns: Vec<Turn<'a>>,
    /// Trimmed; empty when there is none.
    pub system: String,
    pub config: &'a ChatInferenceConfig,
}

// The helpers are `#[inline(never)]`: a body is built once per request, and inlining them into
// every family's builder (the crate is built at opt-level 3 for the decoder) costs the npm
// package's wasm about 1 KB gzip.
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
            let mut media = Vec::new();
            for block in &m.content {
                match block {
                    ContentBlock::Text(t) => text.push_str(t),
                    ContentBlock::Image(_) | ContentBlock::Document(_) => media.push(block),
                    _ => {
                        return Err(invalid(format!(
                            "messages[{i}] has non-text content a native body cannot carry \
                             (Claude's takes typed images and documents): send it with Converse"
                        )))
                    }
                }
            }
            turns.push(Turn { user, text, media });
        }
        let mut system = Vec::new();
        for block in &input.system {
            match block {
                SystemContentBlock::Text(t) => system.push(t.as_str()),
                SystemContentBlock::CachePoint(_) | SystemContentBlock::Other(_) => {
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

    /// Refuses images and documents: every native body but Claude's Messages is text only.
    pub fn refuse_media(&self, family: ModelFamily) -> Result<(), Error> {
        match self.turns.iter().position(|t| !t.media.is_empty()) {
            Some(i) => Err(invalid(format!(
                "messages[{i}] has an image or document, which the native body of {family} \
                 models cannot carry: send it with Converse"
            ))),
            None => Ok(()),
        }
    }

    /// The token cap, for families whose body requires one.
    #[inline(never)]
    pub fn required_max_tokens(&self, family: ModelFamily) -> Result<u32, Error> {
        self.config.max_tokens.ok_or_else(|| {
            invalid(format!(
                "inferenceConfig.maxTokens is required for {family} models: set the most tokens \
                 the answer may have"
            ))
        })
    }

    #[inline(never)]
    pub fn max_tokens(&self) -> Option<Value> {
        self.config.max_tokens.map(Value::from)
    }

    #[inline(never)]
    pub fn temperature(&self) -> Option<Value> {
        self.config.temperature.map(Value::from)
    }

    #[inline(never)]
    pub fn top_p(&self) -> Option<Value> {
        self.config.top_p.map(Value::from)
    }

    #[inline(never)]
    pub fn top_k(&self) -> Option<Value> {
        self.config.top_k.map(Value::from)
    }

    /// `None` when there are none (an empty list is left out, not sent).
    #[inline(never)]
    pub fn stop(&self) -> Option<Value> {
        let s = &self.config.stop_sequences;
        (!s.is_empty()).then(|| json!(s))
    }

    /// The text of the only turn, when the chat is one user turn and no system prompt
    /// (sent as is to plain-prompt models).
    #[inline(never)]
    pub fn lone_user_text(&self) -> Option<&str> {
        match self.turns.as_slice() {
            [t] if t.user && self.system.is_empty() => Some(&t.text),
            _ => None,
        }
    }

    /// Chat messages as `[{role, content: text}]`, after a `system` message when `system`.
    #[inline(never)]
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
    #[inline(never)]
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
    #[inline(never)]
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
#[inline(never)]
pub(super) fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.into(), v);
    }
}
