//! Requests from the form: a model-native InvokeModel body, or a Converse request, from the
//! conversation and the parameters. What each family's body looks like is the library's
//! (`ModelFamily::request_body`); this only maps the form onto it.

use bedrock_wasm::bedrock::converse::{
    CachePoint, ContentBlock, ConverseRequest, InferenceConfig, Message, OutputConfig,
    OutputFormat, SystemContentBlock, Tool, ToolConfig, ToolResultBlock, ToolResultContent,
    ToolSpec,
};
use bedrock_wasm::bedrock::family::{ChatInferenceConfig, ChatInput, ModelFamily};
use serde_json::{json, Map, Value};

use crate::attachment::Attachment;

/// The parameters, already parsed; `None` means the model's default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params {
    pub max_tokens: u32,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<u32>,
    pub stop: Vec<String>,
    pub system: String,
    /// Converse only: reasoning with this budget of tokens (Claude's `thinking`).
    pub reasoning_budget: Option<u32>,
    /// Converse only: reasoning with this effort (`low`, `medium`, `high`; Nova 2's
    /// `reasoningConfig.maxReasoningEffort`).
    pub reasoning_effort: Option<String>,
    /// Converse only: cache points after the system prompt and after the history.
    pub cache: bool,
    /// Converse only: the JSON schema the answer must follow (`outputConfig.textFormat`).
    pub output_schema: Option<Value>,
    /// Converse only: the tools the model may call (`toolConfig.tools`).
    pub tools: Vec<ToolSpec>,
}

/// A tool's result as the user typed it, for the tool call `id` (`name`).
#[derive(Clone, Debug, PartialEq)]
pub struct ToolResult {
    pub id: String,
    pub name: String,
    pub text: String,
}

impl ToolResult {
    /// The Converse block: the text as JSON when it parses as a JSON object or array (what
    /// tools usually return), else as text.
    fn block(&self) -> ContentBlock {
        let content = match crate::json::parse::<Value>(&self.text) {
            Ok(v @ (Value::Object(_) | Value::Array(_))) => ToolResultContent::Json(v),
            _ => ToolResultContent::Text(self.text.clone()),
        };
        ContentBlock::ToolResult(ToolResultBlock {
            tool_use_id: self.id.clone(),
            content: vec![content],
            status: None,
            extra: Default::default(),
        })
    }
}

/// One turn as a request carries it: the prompt, the files sent with it (or the results of
/// the tools the model called), and the answer (empty when there is none) with, from
/// Converse, the whole assistant message (reasoning with its signature, tool calls) to send
/// back exactly.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exchange {
    pub user: String,
    pub attachments: Vec<Attachment>,
    pub tool_results: Vec<ToolResult>,
    pub answer: String,
    pub message: Option<Message>,
}

impl Exchange {
    /// Whether the turn was answered (a model must see alternating roles).
    pub fn answered(&self) -> bool {
        !self.answer.is_empty() || self.message.as_ref().is_some_and(|m| !m.content.is_empty())
    }
}

/// One message of the conversation.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Msg {
    pub user: bool,
    pub text: String,
    /// Files sent with a user message, before its text.
    pub attachments: Vec<Attachment>,
    /// Tool results of a user message, before its text.
    pub tool_results: Vec<ToolResult>,
    /// An assistant message as the model sent it (Converse): replayed instead of `text`.
    pub message: Option<Message>,
}

impl Msg {
    pub fn user(text: impl Into<String>, attachments: Vec<Attachment>) -> Self {
        Self {
            user: true,
            text: text.into(),
            attachments,
            ..Default::default()
        }
    }

    pub fn assistant(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Default::default()
        }
    }
}

/// Whether the family takes a top-k parameter in its native body.
pub fn has_top_k(family: ModelFamily) -> bool {
    family.top_k_parameter().is_some()
}

/// The model's default temperature / top-p, shown as placeholders.
pub fn defaults(family: ModelFamily) -> (&'static str, &'static str) {
    // An id no family claims: the Converse API's neutral values.
    family
        .sampling_defaults()
        .map_or(("1", "1"), |d| (d.temperature, d.top_p))
}

/// The form's chat in the library's Converse vocabulary.
fn chat_input(p: &Params, msgs: &[Msg]) -> ChatInput {
    ChatInput {
        messages: messages(msgs),
        system: system(p),
        inference_config: ChatInferenceConfig {
            max_tokens: Some(p.max_tokens),
            temperature: p.temperature,
            top_p: p.top_p,
            top_k: p.top_k,
            stop_sequences: p.stop.clone(),
        },
        additional_model_request_fields: None,
    }
}

/// The messages; with `replay`, an assistant message the model sent (Converse) goes back
/// exactly as it came, its reasoning only when `reasoning` (a signed reasoning block is
/// only valid while reasoning is on, and only for the model that signed it).
fn messages_with(msgs: &[Msg], replay: bool, reasoning: bool) -> Vec<Message> {
    msgs.iter()
        .map(|m| {
            if let (true, Some(sent)) = (replay && !m.user, &m.message) {
                let mut sent = sent.clone();
                if !reasoning {
                    sent.content
                        .retain(|b| !matches!(b, ContentBlock::ReasoningContent(_)));
                }
                if !sent.content.is_empty() {
                    return sent;
                }
            }
            let mut message = if m.user {
                Message::user(m.text.clone())
            } else {
                Message::assistant(m.text.clone())
            };
            if m.text.is_empty() {
                message.content.clear();
            }
            let files = m.attachments.iter().map(Attachment::block);
            let results = m.tool_results.iter().map(ToolResult::block);
            message.content.splice(0..0, files.chain(results));
            message
        })
        .collect()
}

/// The messages as model-native bodies take them: text (and files), no replayed blocks.
fn messages(msgs: &[Msg]) -> Vec<Message> {
    messages_with(msgs, false, false)
}

fn system(p: &Params) -> Vec<SystemContentBlock> {
    let system = p.system.trim();
    if system.is_empty() {
        Vec::new()
    } else {
        vec![SystemContentBlock::Text(system.into())]
    }
}

/// The model-native JSON body for InvokeModel / InvokeModelWithResponseStream. Ids the
/// catalog cannot place get the Claude Messages shape, the likeliest for a new id.
pub fn native(family: ModelFamily, p: &Params, msgs: &[Msg], streaming: bool) -> Value {
    let family = match family {
        ModelFamily::Unknown => ModelFamily::ClaudeMessages,
        known => known,
    };
    // The form always sends the prompt as the last message and always a token cap, so the
    // library has nothing to refuse; `Null` would show in the body view if it ever did.
    family
        .request_body(&chat_input(p, msgs), streaming)
        .unwrap_or(Value::Null)
}

/// The Converse / ConverseStream request body.
pub fn converse(family: ModelFamily, p: &Params, msgs: &[Msg]) -> ConverseRequest {
    let reasoning = p.reasoning_budget.is_some() || p.reasoning_effort.is_some();
    let mut messages = messages_with(msgs, true, reasoning);
    let mut system = system(p);
    if p.cache {
        // Everything before the new prompt is the same next turn: cache up to there.
        if !system.is_empty() {
            system.push(SystemContentBlock::CachePoint(CachePoint::new(None)));
        }
        if let Some(history) = messages
            .len()
            .checked_sub(2)
            .and_then(|i| messages.get_mut(i))
        {
            history
                .content
                .push(ContentBlock::CachePoint(CachePoint::new(None)));
        }
    }
    let mut fields = Map::new();
    // Converse has no top-k of its own: it goes to the model under the model's name.
    if let Some((k, key)) = p.top_k.zip(family.top_k_parameter()) {
        fields.insert(key.into(), json!(k));
    }
    if let Some(effort) = &p.reasoning_effort {
        fields.insert(
            "reasoningConfig".into(),
            json!({"type": "enabled", "maxReasoningEffort": effort}),
        );
    }
    if let Some(budget) = p.reasoning_budget {
        fields.insert(
            "thinking".into(),
            json!({"type": "enabled", "budget_tokens": budget}),
        );
    }
    ConverseRequest {
        messages,
        system,
        inference_config: Some(InferenceConfig {
            max_tokens: Some(p.max_tokens),
            temperature: p.temperature,
            top_p: p.top_p,
            stop_sequences: p.stop.clone(),
            extra: Map::new(),
        }),
        additional_model_request_fields: (!fields.is_empty()).then_some(Value::Object(fields)),
        tool_config: (!p.tools.is_empty()).then(|| ToolConfig {
            tools: p.tools.iter().cloned().map(Tool::ToolSpec).collect(),
            tool_choice: None,
            extra: Default::default(),
        }),
        output_config: p.output_schema.as_ref().map(|schema| OutputConfig {
            text_format: Some(OutputFormat {
                kind: "json_schema".into(),
                structure: json!({"jsonSchema": {"schema": crate::json::text(schema), "name": "answer"}}),
                extra: Default::default(),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_claude_text_turn_is_the_seed_body() {
        let p = Params {
            max_tokens: 200,
            ..Default::default()
        };
        let msgs = [Msg::user("Hi", Vec::new())];
        assert_eq!(
            native(ModelFamily::ClaudeText, &p, &msgs, true),
            json!({"prompt": "\n\nHuman: Hi\n\nAssistant:", "max_tokens_to_sample": 200})
        );
    }

    #[test]
    fn reasoning_and_caching_go_where_converse_expects_them() {
        let (mut p, msgs) = chat();
        p.top_k = None;
        p.temperature = None;
        p.reasoning_budget = Some(2048);
        p.cache = true;
        let r = serde_json::to_value(converse(ModelFamily::ClaudeMessages, &p, &msgs)).unwrap();
        assert_eq!(
            r["additionalModelRequestFields"],
            json!({"thinking": {"type": "enabled", "budget_tokens": 2048}})
        );
        assert_eq!(
            r["system"],
            json!([{"text": "Be brief."}, {"cachePoint": {"type": "default"}}])
        );
        // After the history (the assistant's last answer), not after the new prompt.
        assert_eq!(
            r["messages"][1]["content"][1],
            json!({"cachePoint": {"type": "default"}})
        );
        assert_eq!(r["messages"][2]["content"].as_array().unwrap().len(), 1);
        // Off: nothing added.
        let (p, msgs) = chat();
        let r = serde_json::to_value(converse(ModelFamily::ClaudeMessages, &p, &msgs)).unwrap();
        assert_eq!(r["additionalModelRequestFields"], json!({"top_k": 40}));
        assert!(!r.to_string().contains("cachePoint"));
    }

    fn chat() -> (Params, [Msg; 3]) {
        let p = Params {
            max_tokens: 300,
            temperature: Some(0.5),
            top_p: Some(0.9),
            top_k: Some(40),
            stop: vec!["END".into()],
            system: " Be brief. ".into(),
            ..Default::default()
        };
        let msg = |user, text: &str| Msg {
            user,
            text: text.into(),
            ..Default::default()
        };
        (
            p,
            [msg(true, "Hi"), msg(false, " Hello!"), msg(true, "Name?")],
        )
    }

    #[test]
    fn an_id_no_family_claims_gets_the_claude_messages_body() {
        let (p, msgs) = chat();
        assert_eq!(
            native(ModelFamily::Unknown, &p, &msgs, true),
            json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 300,
                   "messages": [{"content": "Hi", "role": "user"},
                                {"content": " Hello!", "role": "assistant"},
                                {"content": "Name?", "role": "user"}],
                   "stop_sequences": ["END"], "system": "Be brief.", "temperature": 0.5,
                   "top_k": 40, "top_p": 0.9})
        );
        assert!(!has_top_k(ModelFamily::Unknown));
        assert_eq!(defaults(ModelFamily::Unknown), ("1", "1"));
        assert_eq!(defaults(ModelFamily::ClaudeText), ("1", "0.999"));
    }

    #[test]
    fn converse_sends_top_k_under_the_model_s_name_or_not_at_all() {
        let (p, msgs) = chat();
        let with = |family| serde_json::to_value(converse(family, &p, &msgs)).unwrap();
        let expected = json!({
            "messages": [{"role": "user", "content": [{"text": "Hi"}]},
                         {"role": "assistant", "content": [{"text": " Hello!"}]},
                         {"role": "user", "content": [{"text": "Name?"}]}],
            "system": [{"text": "Be brief."}],
            "inferenceConfig": {"maxTokens": 300, "temperature": 0.5, "topP": 0.9,
                                "stopSequences": ["END"]}});
        for (family, fields) in [
            (ModelFamily::Llama, None),
            (ModelFamily::Unknown, None),
            (ModelFamily::CohereCommand, Some(json!({"k": 40}))),
            (ModelFamily::Nova, Some(json!({"top_k": 40}))),
        ] {
            let mut e = expected.clone();
            if let Some(f) = fields {
                e["additionalModelRequestFields"] = f;
            }
            assert_eq!(with(family), e, "{family}");
        }
    }
}
