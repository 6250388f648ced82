//! The request form: one signal per field, what the fields mean once parsed ([`Settings`]),
//! and the playground's own [`FormError`] for fields that do not parse.

use std::fmt;

use bedrock_wasm::bedrock::converse::ConverseRequest;
use bedrock_wasm::bedrock::converse::ToolSpec;
use bedrock_wasm::bedrock::ModelFamily;
use leptos::prelude::*;
use serde_json::{json, Value};

use crate::attachment::{self, Attachment};
use crate::body::{self, Msg, Params};
use crate::body::{Exchange, ToolResult};
use crate::catalog;
use crate::choices::Api;

/// The seed walkthrough's prompt.
pub const DEFAULT_PROMPT: &str = "Write me a 100 word essay about snickers candy bars";

/// Why the form cannot make a request yet; rendered through `Display` as what to fix.
#[derive(Clone, Debug, PartialEq)]
pub enum FormError {
    NoPrompt,
    MaxTokens,
    /// The named optional parameter is neither empty nor a number.
    NotANumber(&'static str),
    /// The edited InvokeModel body, and why it is not JSON.
    BodyNotJson(String),
    NoApiKey,
    NoAccessKeys,
    NotSignedIn,
    /// A Converse request that does not encode as JSON (the parser's words).
    Unencodable(String),
    /// The reasoning budget is not a whole number from 1,024 below max tokens.
    ReasoningBudget,
    /// The reasoning effort is not low, medium or high.
    ReasoningEffort,
    /// Reasoning with a sampling parameter the model refuses alongside it.
    ReasoningSampling,
    /// Reasoning or caching set with InvokeModel, or reasoning for a model it is not set for.
    ConverseOnly,
    /// An attachment the model or Bedrock would refuse, and what to do about it.
    Attachment(String),
    /// The output schema is not a JSON object (the parser's words, or what it is).
    OutputSchema(String),
    /// The tools are not a list of tool specs (what is wrong, naming the entry).
    Tools(String),
    /// Structured output or tools set with InvokeModel.
    NeedsConverse(&'static str),
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoPrompt => f.write_str("Type a prompt first."),
            Self::MaxTokens => f.write_str("max tokens must be a whole number such as 200"),
            Self::NotANumber(what) => write!(
                f,
                "{what} must be a number (or empty for the model's default)"
            ),
            Self::BodyNotJson(e) => write!(f, "the edited JSON body is not valid JSON: {e}"),
            Self::NoApiKey => f.write_str("enter a Bedrock API key, or switch to access keys"),
            Self::NoAccessKeys => f.write_str(
                "enter an access key id and a secret access key (temporary credentials also need the session token)",
            ),
            Self::NotSignedIn => f.write_str(
                "get credentials from the identity pool first (enter its id and press Get credentials)",
            ),
            Self::Unencodable(e) => write!(f, "the request cannot be encoded as JSON: {e}"),
            Self::ReasoningBudget => f.write_str(
                "the reasoning budget must be a whole number of at least 1024 tokens, below max tokens",
            ),
            Self::ReasoningEffort => f.write_str("the reasoning effort must be low, medium or high"),
            Self::ReasoningSampling => f.write_str(
                "reasoning takes the model's default temperature and top-k: clear them, or turn reasoning off",
            ),
            Self::ConverseOnly => f.write_str(
                "reasoning and prompt caching are set here for the Converse API, reasoning with Claude (a budget) and Nova 2 (an effort): choose Converse (and such a model), or turn them off",
            ),
            Self::Attachment(e) => f.write_str(e),
            Self::OutputSchema(e) => write!(f, "the output schema must be a JSON schema object: {e}"),
            Self::Tools(e) => write!(f, "the tools must be a JSON list of tool specs ({{\"name\", \"description\", \"inputSchema\": {{\"json\": {{…}}}}}}): {e}"),
            Self::NeedsConverse(what) => write!(f, "{what} goes through the Converse API here: choose Converse, or clear it"),
        }
    }
}

impl std::error::Error for FormError {}

/// The parameter fields as typed.
pub struct ParamFields<'a> {
    pub max_tokens: &'a str,
    pub temperature: &'a str,
    pub top_p: &'a str,
    pub top_k: &'a str,
    /// One stop sequence per line.
    pub stop: &'a str,
    pub system: &'a str,
    pub reasoning: bool,
    pub reasoning_budget: &'a str,
    /// Whether the model takes an effort (low, medium, high) rather than a token budget.
    pub effort_model: bool,
    pub reasoning_effort: &'a str,
    pub cache: bool,
    /// A JSON schema, or empty.
    pub output_schema: &'a str,
    /// A JSON list of tool specs, or empty.
    pub tools: &'a str,
}

/// The output schema field: empty, or a JSON object.
fn output_schema(text: &str) -> Result<Option<Value>, FormError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    match crate::json::parse::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(Some(v)),
        Ok(_) => Err(FormError::OutputSchema(
            "it is JSON, but not an object".into(),
        )),
        Err(e) => Err(FormError::OutputSchema(e.to_string())),
    }
}

/// The tools field: empty, or a JSON list of specs, each Converse's `toolSpec` (or
/// `{"toolSpec": …}`): a `name`, an optional `description`, and `inputSchema.json`. Read by
/// hand (a derived reader for the tool types would weigh on the page).
fn tools(text: &str) -> Result<Vec<ToolSpec>, FormError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let list = match crate::json::parse::<Value>(text) {
        Ok(Value::Array(list)) => list,
        Ok(one @ Value::Object(_)) => vec![one],
        Ok(_) => return Err(FormError::Tools("it is JSON, but not a list".into())),
        Err(e) => return Err(FormError::Tools(e.to_string())),
    };
    let mut out: Vec<ToolSpec> = Vec::with_capacity(list.len());
    for (i, mut t) in list.into_iter().enumerate() {
        if let Some(inner) = t.get_mut("toolSpec") {
            t = inner.take();
        }
        let name = t.get("name").and_then(Value::as_str).unwrap_or_default();
        // Bedrock's rule for tool names.
        let valid = (1..=64).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(FormError::Tools(format!(
                "tool {i} needs a \"name\" of 1 to 64 letters, digits, _ or -"
            )));
        }
        if out.iter().any(|o| o.name == name) {
            return Err(FormError::Tools(format!("two tools are named {name:?}")));
        }
        let Some(schema) = t.pointer("/inputSchema/json").filter(|s| s.is_object()) else {
            return Err(FormError::Tools(format!(
                "tool {name:?} needs \"inputSchema\": {{\"json\": <a JSON schema object>}}"
            )));
        };
        out.push(ToolSpec {
            name: name.to_owned(),
            description: t
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned),
            input_schema: json!({ "json": schema }),
            strict: None,
            extra: Default::default(),
        });
    }
    Ok(out)
}

fn optional<T: std::str::FromStr>(v: &str, what: &'static str) -> Result<Option<T>, FormError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse().map(Some).map_err(|_| FormError::NotANumber(what))
}

impl ParamFields<'_> {
    pub fn parse(&self) -> Result<Params, FormError> {
        let max_tokens: u32 = self
            .max_tokens
            .trim()
            .parse()
            .map_err(|_| FormError::MaxTokens)?;
        let (reasoning_budget, reasoning_effort) = match (self.reasoning, self.effort_model) {
            (false, _) => (None, None),
            (true, true) => match self.reasoning_effort.trim() {
                e @ ("low" | "medium" | "high") => (None, Some(e.to_owned())),
                _ => return Err(FormError::ReasoningEffort),
            },
            (true, false) => match self.reasoning_budget.trim().parse::<u32>() {
                Ok(b) if (1024..max_tokens).contains(&b) => (Some(b), None),
                _ => return Err(FormError::ReasoningBudget),
            },
        };
        Ok(Params {
            max_tokens,
            reasoning_budget,
            reasoning_effort,
            cache: self.cache,
            output_schema: output_schema(self.output_schema)?,
            tools: tools(self.tools)?,
            temperature: optional(self.temperature, "temperature")?,
            top_p: optional(self.top_p, "top-p")?,
            top_k: optional(self.top_k, "top-k")?,
            stop: self
                .stop
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            system: self.system.to_owned(),
        })
    }
}

/// Checks the user's edit of the InvokeModel body; it is sent as typed.
pub fn check_body(text: &str) -> Result<(), FormError> {
    crate::json::parse::<Value>(text)
        .map(drop)
        .map_err(|e| FormError::BodyNotJson(e.to_string()))
}

/// What the form says, parsed: enough to build any model's request.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub model_id: String,
    pub api: Api,
    pub params: Params,
}

impl Settings {
    /// Refuses controls the chosen API or model does not take here: reasoning and caching
    /// are Converse's, reasoning is Claude's (its `thinking`), and Claude refuses a
    /// temperature or top-k alongside it.
    fn checked(self) -> Result<Self, FormError> {
        let p = &self.params;
        let reasoning = p.reasoning_budget.is_some() || p.reasoning_effort.is_some();
        if (reasoning || p.cache) && self.api != Api::Converse {
            return Err(FormError::ConverseOnly);
        }
        if self.api != Api::Converse {
            if p.output_schema.is_some() {
                return Err(FormError::NeedsConverse(
                    "structured output (an output schema)",
                ));
            }
            if !p.tools.is_empty() {
                return Err(FormError::NeedsConverse("tool use"));
            }
        }
        if p.reasoning_budget.is_some() {
            if self.family() != ModelFamily::ClaudeMessages {
                return Err(FormError::ConverseOnly);
            }
            if p.temperature.is_some() || p.top_k.is_some() {
                return Err(FormError::ReasoningSampling);
            }
        }
        Ok(self)
    }

    pub fn family(&self) -> ModelFamily {
        catalog::family(&self.model_id)
    }

    /// The same settings for another model (Compare).
    pub fn for_model(&self, model_id: &str) -> Self {
        Self {
            model_id: model_id.trim().to_owned(),
            ..self.clone()
        }
    }

    pub fn converse_request(&self, msgs: &[Msg]) -> ConverseRequest {
        body::converse(self.family(), &self.params, msgs)
    }

    /// The InvokeModel body from the form.
    pub fn native_body(&self, msgs: &[Msg], streaming: bool) -> Value {
        body::native(self.family(), &self.params, msgs, streaming)
    }

    /// The body the API sends for `msgs`, as JSON: native or Converse.
    pub fn body(&self, msgs: &[Msg], streaming: bool) -> Result<Value, FormError> {
        match self.api {
            // Encoded as the library sends it, then read back: one serializer for both (each
            // instantiation of ConverseRequest's serializer weighs on the page).
            Api::Converse => serde_json::to_vec(&self.converse_request(msgs))
                .and_then(|b| serde_json::from_slice(&b))
                .map_err(|e| FormError::Unencodable(e.to_string())),
            Api::Invoke => Ok(self.native_body(msgs, streaming)),
        }
    }
}

/// A conversation as messages: each answered turn, then `prompt` with its `files`. Turns
/// without an answer are left out (a model needs alternating roles), but the tool results
/// such a turn sent go with the next user message: they answer the tool calls of the turn
/// before it, and Bedrock refuses a `toolUse` that no `toolResult` follows.
pub fn messages(turns: &[Exchange], prompt: &str, files: &[Attachment]) -> Vec<Msg> {
    let mut msgs = Vec::new();
    let mut unanswered: Vec<ToolResult> = Vec::new();
    for t in turns {
        if !t.answered() {
            unanswered.extend(t.tool_results.iter().cloned());
            continue;
        }
        let mut results = std::mem::take(&mut unanswered);
        results.extend(t.tool_results.iter().cloned());
        msgs.push(Msg {
            tool_results: results,
            ..Msg::user(t.user.clone(), t.attachments.clone())
        });
        msgs.push(Msg {
            message: t.message.clone(),
            ..Msg::assistant(t.answer.clone())
        });
    }
    msgs.push(Msg {
        tool_results: unanswered,
        ..Msg::user(prompt, files.to_vec())
    });
    msgs
}

/// The request form: one signal per field.
#[derive(Clone, Copy)]
pub struct Form {
    pub region: RwSignal<String>,
    pub endpoint: RwSignal<String>,
    pub model_id: RwSignal<String>,
    pub prompt: RwSignal<String>,
    pub max_tokens: RwSignal<String>,
    pub temperature: RwSignal<String>,
    pub top_p: RwSignal<String>,
    pub top_k: RwSignal<String>,
    /// One stop sequence per line.
    pub stop: RwSignal<String>,
    pub system: RwSignal<String>,
    pub api: RwSignal<Api>,
    /// Converse with Claude: reasoning on, with `reasoning_budget` tokens.
    pub reasoning: RwSignal<bool>,
    pub reasoning_budget: RwSignal<String>,
    /// Converse, models that take an effort instead of a budget: `low`, `medium` or `high`.
    pub reasoning_effort: RwSignal<String>,
    /// Converse: cache points after the system prompt and the history.
    pub cache_prompt: RwSignal<bool>,
    /// Converse: a JSON schema for structured output (empty: none).
    pub output_schema: RwSignal<String>,
    /// Converse: tool specs as a JSON list (empty: none).
    pub tools: RwSignal<String>,
    /// The user's edit of the InvokeModel body; `None` follows the form.
    pub custom_body: RwSignal<Option<String>>,
    /// The files to send with the prompt.
    pub attachments: RwSignal<Vec<Attachment>>,
    /// The fields parsed: the settings every request is prepared from, recomputed only when
    /// a field changes.
    pub settings: Memo<Result<Settings, FormError>>,
}

fn text(s: &str) -> RwSignal<String> {
    RwSignal::new(s.to_owned())
}

impl Default for Form {
    fn default() -> Self {
        Self::new()
    }
}

impl Form {
    pub fn new() -> Self {
        let (max_tokens, temperature, top_p, top_k, stop, system) = (
            text("200"),
            text(""),
            text(""),
            text(""),
            text(""),
            text(""),
        );
        let model_id = text("anthropic.claude-v2");
        let api = RwSignal::new(Api::Invoke);
        let (reasoning, reasoning_budget, cache_prompt) =
            (RwSignal::new(false), text("2048"), RwSignal::new(false));
        let reasoning_effort = text("medium");
        let (output_schema, tools) = (text(""), text(""));
        let settings = Memo::new(move |_| {
            let params = ParamFields {
                max_tokens: &max_tokens.get(),
                temperature: &temperature.get(),
                top_p: &top_p.get(),
                top_k: &top_k.get(),
                stop: &stop.get(),
                system: &system.get(),
                reasoning: reasoning.get(),
                reasoning_budget: &reasoning_budget.get(),
                effort_model: model_id.with(|m| catalog::takes_effort(m)),
                reasoning_effort: &reasoning_effort.get(),
                cache: cache_prompt.get(),
                output_schema: &output_schema.get(),
                tools: &tools.get(),
            }
            .parse()?;
            Settings {
                model_id: model_id.get().trim().to_owned(),
                api: api.get(),
                params,
            }
            .checked()
        });
        Self {
            region: text("us-east-1"),
            endpoint: text(""),
            model_id,
            prompt: text(DEFAULT_PROMPT),
            max_tokens,
            temperature,
            top_p,
            top_k,
            stop,
            system,
            api,
            reasoning,
            reasoning_budget,
            reasoning_effort,
            cache_prompt,
            output_schema,
            tools,
            custom_body: RwSignal::new(None),
            attachments: RwSignal::new(Vec::new()),
            settings,
        }
    }
}

impl Form {
    /// The body the next streamed Send would use, from the settings and `conversation` (the
    /// turns before the prompt field's); tracked. Attachments show as placeholders, and what
    /// would be refused is said.
    pub fn request(&self, conversation: &[Exchange]) -> Result<Value, FormError> {
        let settings = self.settings.get()?;
        let msgs = self
            .attachments
            .with(|files| self.prompt.with(|p| messages(conversation, p, files)));
        attachment::check(&settings.model_id, settings.api, &msgs)
            .map_err(FormError::Attachment)?;
        let mut body = settings.body(&attachment::hollow(&msgs), true)?;
        attachment::abbreviate(&mut body, &msgs);
        Ok(body)
    }
}

/// A request as the body editor shows it: pretty JSON, or what to fix.
pub fn pretty(request: &Result<Value, FormError>) -> String {
    match request {
        Ok(v) => crate::json::pretty(v),
        Err(e) => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(max_tokens: &str, temperature: &str, top_k: &str) -> ParamFields<'static> {
        // Leaked: test strings only.
        let leak = |s: &str| -> &'static str { Box::leak(s.to_owned().into_boxed_str()) };
        ParamFields {
            max_tokens: leak(max_tokens),
            temperature: leak(temperature),
            top_p: "",
            top_k: leak(top_k),
            stop: "END\n\nSTOP",
            system: "Be brief.",
            reasoning: false,
            reasoning_budget: "",
            effort_model: false,
            reasoning_effort: "",
            cache: false,
            output_schema: "",
            tools: "",
        }
    }

    #[test]
    fn reasoning_needs_a_budget_below_max_tokens_converse_claude_and_default_sampling() {
        let mut f = fields("4096", "", "");
        f.reasoning = true;
        f.reasoning_budget = "2048";
        assert_eq!(f.parse().unwrap().reasoning_budget, Some(2048));
        for bad in ["1000", "4096", "lots", ""] {
            f.reasoning_budget = bad;
            assert_eq!(f.parse(), Err(FormError::ReasoningBudget), "{bad}");
        }
        f.reasoning_budget = "2048";
        let settings = |model: &str, api, f: &ParamFields| {
            Settings {
                model_id: model.into(),
                api,
                params: f.parse().unwrap(),
            }
            .checked()
        };
        let claude = "anthropic.claude-3-7-sonnet-20250219-v1:0";
        assert!(settings(claude, Api::Converse, &f).is_ok());
        assert_eq!(
            settings(claude, Api::Invoke, &f).unwrap_err(),
            FormError::ConverseOnly
        );
        assert_eq!(
            settings("amazon.nova-lite-v1:0", Api::Converse, &f).unwrap_err(),
            FormError::ConverseOnly
        );
        let mut warm = fields("4096", "0.5", "");
        warm.reasoning = true;
        warm.reasoning_budget = "2048";
        assert_eq!(
            settings(claude, Api::Converse, &warm).unwrap_err(),
            FormError::ReasoningSampling
        );
        let mut cached = fields("200", "", "");
        cached.cache = true;
        assert!(settings("amazon.nova-lite-v1:0", Api::Converse, &cached).is_ok());
        assert_eq!(
            settings("amazon.nova-lite-v1:0", Api::Invoke, &cached).unwrap_err(),
            FormError::ConverseOnly
        );
    }

    #[test]
    fn models_that_take_an_effort_get_one_instead_of_a_budget() {
        let mut f = fields("200", "", "");
        f.reasoning = true;
        f.effort_model = true;
        f.reasoning_effort = "high";
        // The budget field does not matter for them (200 max tokens would refuse any budget).
        let p = f.parse().unwrap();
        assert_eq!(
            (p.reasoning_budget, p.reasoning_effort.as_deref()),
            (None, Some("high"))
        );
        f.reasoning_effort = "max";
        assert_eq!(f.parse(), Err(FormError::ReasoningEffort));
        f.reasoning_effort = "low";
        let s = |api| {
            Settings {
                model_id: "amazon.nova-2-lite-v1:0".into(),
                api,
                params: f.parse().unwrap(),
            }
            .checked()
        };
        assert!(s(Api::Converse).is_ok());
        assert_eq!(s(Api::Invoke).unwrap_err(), FormError::ConverseOnly);
        let body = s(Api::Converse)
            .unwrap()
            .body(&messages(&[], "Hi", &[]), true)
            .unwrap();
        assert_eq!(
            body["additionalModelRequestFields"],
            json!({"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}})
        );
    }

    #[test]
    fn output_schema_and_tools_parse_or_say_what_is_wrong() {
        let mut f = fields("200", "", "");
        f.output_schema = r#"{"type":"object"}"#;
        f.tools = r#"[{"toolSpec":{"name":"get_weather","description":"Weather","inputSchema":{"json":{"type":"object"}}}},
                     {"name":"add","inputSchema":{"json":{"type":"object"}}}]"#;
        let p = f.parse().unwrap();
        assert_eq!(p.output_schema, Some(json!({"type": "object"})));
        let names: Vec<_> = p.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["get_weather", "add"]);
        assert_eq!(p.tools[0].input_schema, json!({"json": {"type": "object"}}));
        let err = |schema: &'static str, tools: &'static str| {
            let mut f = fields("200", "", "");
            f.output_schema = schema;
            f.tools = tools;
            f.parse().unwrap_err().to_string()
        };
        assert!(err("[1]", "").contains("not an object"));
        assert!(err("{", "").starts_with("the output schema must be a JSON schema object"));
        assert!(err("", r#"[{"name":"a b","inputSchema":{"json":{}}}]"#)
            .contains("tool 0 needs a \"name\""));
        assert!(err("", r#"[{"name":"a"}]"#).contains("tool \"a\" needs \"inputSchema\""));
        assert!(err(
            "",
            r#"[{"name":"a","inputSchema":{"json":{}}},{"name":"a","inputSchema":{"json":{}}}]"#
        )
        .contains("two tools"));
        // Converse only.
        let s = Settings {
            model_id: "amazon.nova-lite-v1:0".into(),
            api: Api::Invoke,
            params: p,
        };
        assert_eq!(
            s.checked().unwrap_err(),
            FormError::NeedsConverse("structured output (an output schema)")
        );
    }

    #[test]
    fn fields_parse_into_params_and_empty_means_the_default() {
        let p = fields(" 200 ", "", "").parse().unwrap();
        assert_eq!(p.max_tokens, 200);
        assert_eq!((p.temperature, p.top_p, p.top_k), (None, None, None));
        assert_eq!(p.stop, ["END", "STOP"]);
        assert_eq!(p.system, "Be brief.");
        let p = fields("5", "0.25", "40").parse().unwrap();
        assert_eq!((p.temperature, p.top_k), (Some(0.25), Some(40)));
    }

    #[test]
    fn a_field_that_is_not_a_number_is_a_typed_error_saying_what_to_fix() {
        assert_eq!(fields("lots", "", "").parse(), Err(FormError::MaxTokens));
        assert_eq!(fields("-1", "", "").parse(), Err(FormError::MaxTokens));
        assert_eq!(
            fields("200", "warm", "").parse(),
            Err(FormError::NotANumber("temperature"))
        );
        assert_eq!(
            fields("200", "", "4.5").parse(),
            Err(FormError::NotANumber("top-k"))
        );
        assert_eq!(
            FormError::NotANumber("top-k").to_string(),
            "top-k must be a number (or empty for the model's default)"
        );
        assert_eq!(
            FormError::MaxTokens.to_string(),
            "max tokens must be a whole number such as 200"
        );
    }

    #[test]
    fn an_edited_body_must_be_json() {
        assert_eq!(check_body(r#"{"prompt":"hi"}"#), Ok(()));
        let e = check_body(r#"{"prompt":"#).unwrap_err();
        assert!(matches!(e, FormError::BodyNotJson(_)));
        assert!(e
            .to_string()
            .starts_with("the edited JSON body is not valid JSON: "));
    }

    #[test]
    fn messages_keep_answered_turns_then_the_prompt() {
        let turns = [("Hi", "Hello"), ("Lost", ""), ("Again", "Yes")].map(|(u, a)| Exchange {
            user: u.into(),
            answer: a.into(),
            ..Default::default()
        });
        let msgs = messages(&turns, "Next", &[]);
        let texts: Vec<_> = msgs.iter().map(|m| (m.user, m.text.as_str())).collect();
        assert_eq!(
            texts,
            [
                (true, "Hi"),
                (false, "Hello"),
                (true, "Again"),
                (false, "Yes"),
                (true, "Next")
            ]
        );
    }

    #[test]
    fn tool_results_of_a_failed_turn_go_with_the_next_user_message() {
        let result = |id: &str, text: &str| ToolResult {
            id: id.into(),
            name: "weather".into(),
            text: text.into(),
        };
        let turns = [
            Exchange {
                user: "Weather?".into(),
                answer: "Let me look.".into(),
                ..Default::default()
            },
            // The results were sent and the answer failed: nothing came back.
            Exchange {
                tool_results: vec![result("t1", "sunny"), result("t2", "rain")],
                ..Default::default()
            },
        ];
        let msgs = messages(&turns, "And now?", &[]);
        assert_eq!(msgs.len(), 3);
        let last = &msgs[2];
        assert!(last.user);
        assert_eq!(last.text, "And now?");
        assert_eq!(
            last.tool_results,
            [result("t1", "sunny"), result("t2", "rain")]
        );
        // Answered turns keep their own results, after those carried to them.
        let mut answered = turns.to_vec();
        answered.push(Exchange {
            tool_results: vec![result("t3", "fog")],
            answer: "Foggy.".into(),
            ..Default::default()
        });
        let msgs = messages(&answered, "Thanks", &[]);
        let ids: Vec<_> = msgs[2].tool_results.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["t1", "t2", "t3"]);
        assert!(msgs[4].tool_results.is_empty());
    }

    #[test]
    fn settings_build_the_body_of_their_api() {
        let s = Settings {
            model_id: "anthropic.claude-v2".into(),
            api: Api::Invoke,
            params: fields("200", "", "").parse().unwrap(),
        };
        let msgs = messages(&[], "Hi", &[]);
        assert_eq!(s.body(&msgs, true).unwrap()["max_tokens_to_sample"], 200);
        let c = Settings {
            api: Api::Converse,
            ..s.for_model(" amazon.nova-lite-v1:0 ")
        };
        assert_eq!(c.model_id, "amazon.nova-lite-v1:0");
        let body = c.body(&msgs, true).unwrap();
        assert_eq!(body["messages"][0]["content"][0]["text"], "Hi");
        assert_eq!(body["inferenceConfig"]["maxTokens"], 200);
    }
}
