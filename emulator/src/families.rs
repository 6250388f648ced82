//! Model families (BEDROCK.md §5): which model ids the emulator serves, how each family's
//! InvokeModel body is validated (like Bedrock: required keys, extraneous keys, types), what
//! its prompt text is, and the model-native JSON it answers with, whole (InvokeModel) or as
//! stream chunks (InvokeModelWithResponseStream) shaped like the real captures.

use serde_json::{Map, Value};

use crate::answer::{answer_for, claude_text_answer_with, Answer, Rng};
use crate::json::J;

/// The model-native request/response format of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Family {
    /// Anthropic Claude Text Completions (`anthropic.claude-v2[:N]`, `anthropic.claude-instant-v1`).
    ClaudeText,
    /// Anthropic Claude Messages API (Claude 3 and later; Claude v2/instant with a Messages body).
    ClaudeMessages,
    /// Amazon Titan Text (`amazon.titan-text-express-v1`, `-lite-`, `-premier-`, `titan-tg1-large`).
    TitanText,
    /// Amazon Nova text models (`amazon.nova-micro-v1:0`, `-lite-`, `-pro-`, `-premier-`, `nova-2-lite`).
    Nova,
    /// Meta Llama (`meta.llama…`).
    Llama,
    /// Mistral text-completion models (`mistral.mistral-7b-instruct-v0:2`, `mixtral-8x7b…`, …).
    Mistral,
    /// Mistral Large 2 (2407) and Pixtral chat format (`messages`).
    MistralChat,
    /// Cohere Command (legacy text: `cohere.command-text-v14`, `cohere.command-light-text-v14`).
    CohereCommand,
    /// Cohere Command R / R+ (`cohere.command-r-v1:0`, `cohere.command-r-plus-v1:0`).
    CohereCommandR,
    /// AI21 Jamba (`ai21.jamba-1-5-mini-v1:0`, `ai21.jamba-1-5-large-v1:0`, `ai21.jamba-instruct-v1:0`).
    Jamba,
}

impl Family {
    /// All families, for tests and documentation.
    pub const ALL: [Family; 10] = [
        Family::ClaudeText,
        Family::ClaudeMessages,
        Family::TitanText,
        Family::Nova,
        Family::Llama,
        Family::Mistral,
        Family::MistralChat,
        Family::CohereCommand,
        Family::CohereCommandR,
        Family::Jamba,
    ];

    /// Short name, as in the request log (`claude-text`, `claude-messages`, `titan-text`, `nova`,
    /// `llama`, `mistral`, `mistral-chat`, `cohere-command`, `cohere-command-r`, `jamba`).
    pub fn name(self) -> &'static str {
        match self {
            Family::ClaudeText => "claude-text",
            Family::ClaudeMessages => "claude-messages",
            Family::TitanText => "titan-text",
            Family::Nova => "nova",
            Family::Llama => "llama",
            Family::Mistral => "mistral",
            Family::MistralChat => "mistral-chat",
            Family::CohereCommand => "cohere-command",
            Family::CohereCommandR => "cohere-command-r",
            Family::Jamba => "jamba",
        }
    }

    /// The family of a model id the emulator serves: a foundation-model id, a system inference
    /// profile (`us.`, `eu.`, `apac.`, `global.`, `us-gov.`, `ca.`, `jp.`, `au.` + id), or a
    /// `foundation-model/…` / `inference-profile/…` ARN. `None` means Bedrock would answer
    /// "The provided model identifier is invalid." A Claude v2/instant model answers in
    /// [`Family::ClaudeText`] here; a Messages-shaped body switches it to
    /// [`Family::ClaudeMessages`], as on Bedrock.
    pub fn of_model(model_id: &str) -> Option<Family> {
        model_family(base_model_id(model_id)?)
    }
}

/// The foundation-model id inside an id, profile id or ARN (`anthropic.claude-v2:1`).
pub(crate) fn base_model_id(model_id: &str) -> Option<&str> {
    let id = match model_id.strip_prefix("arn:") {
        Some(arn) => {
            // partition:bedrock:region:account:type/name
            let mut parts = arn.splitn(5, ':');
            let partition = parts.next()?;
            if !partition.starts_with("aws") || parts.next()? != "bedrock" {
                return None;
            }
            let (_region, _account) = (parts.next()?, parts.next()?);
            let (kind, name) = parts.next()?.split_once('/')?;
            match kind {
                "foundation-model" | "inference-profile" => name,
                _ => return None,
            }
        }
        None => model_id,
    };
    const GEO: [&str; 8] = [
        "us.", "eu.", "apac.", "global.", "us-gov.", "ca.", "jp.", "au.",
    ];
    Some(
        GEO.iter()
            .find_map(|geo| id.strip_prefix(geo))
            .unwrap_or(id),
    )
}

fn model_family(id: &str) -> Option<Family> {
    let valid_char = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.:".contains(&b);
    if !id.bytes().all(valid_char) {
        return None;
    }
    let (provider, model) = id.split_once('.')?;
    let mut segments = model.split(':');
    let base = segments.next()?;
    if base.is_empty() || segments.any(str::is_empty) {
        return None;
    }
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| base.starts_with(p));
    match provider {
        "anthropic" if base == "claude-v2" || base == "claude-instant-v1" => {
            Some(Family::ClaudeText)
        }
        "anthropic"
            if starts(&[
                "claude-3",
                "claude-sonnet-",
                "claude-opus-",
                "claude-haiku-",
            ]) =>
        {
            Some(Family::ClaudeMessages)
        }
        "amazon"
            if starts(&[
                "titan-text-express-v1",
                "titan-text-lite-v1",
                "titan-text-premier-v1",
                "titan-tg1-large",
            ]) =>
        {
            Some(Family::TitanText)
        }
        "amazon"
            if starts(&[
                "nova-micro-",
                "nova-lite-",
                "nova-pro-",
                "nova-premier-",
                "nova-2-lite-",
            ]) =>
        {
            Some(Family::Nova)
        }
        "meta" if base.len() > 5 && base.starts_with("llama") => Some(Family::Llama),
        "mistral" if starts(&["mistral-large-2407", "pixtral-"]) => Some(Family::MistralChat),
        "mistral" if starts(&["mistral-", "mixtral-"]) => Some(Family::Mistral),
        "cohere" if base.starts_with("command-r") => Some(Family::CohereCommandR),
        "cohere" if starts(&["command-text", "command-light-text"]) => Some(Family::CohereCommand),
        "ai21" if base.starts_with("jamba") => Some(Family::Jamba),
        _ => None,
    }
}

/// A validated InvokeModel request: what the answer depends on.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub family: Family,
    /// The prompt text [`answer_for`] is seeded with.
    pub prompt: String,
    pub max_tokens: u32,
    pub stops: Vec<String>,
    /// Cohere Command's `"stream": true` (chunks of `text`); otherwise one `generations` chunk.
    pub cohere_stream: bool,
    /// The model name some bodies echo (`claude-3-5-sonnet-20240620`, `mistral-large-2407`).
    pub model_name: String,
}

impl Request {
    /// The deterministic answer for this request.
    pub fn answer(&self) -> Answer {
        let stops: Vec<&str> = self.stops.iter().map(String::as_str).collect();
        match self.family {
            Family::ClaudeText => claude_text_answer_with(&self.prompt, self.max_tokens, &stops),
            _ => answer_for(&self.prompt, self.max_tokens, &stops),
        }
    }
}

/// `Malformed input request: <detail>, please reformat your input and try again.` — the
/// message Bedrock's JSON-schema check gives for model-native bodies.
pub(crate) fn malformed(detail: impl std::fmt::Display) -> String {
    format!("Malformed input request: {detail}, please reformat your input and try again.")
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "Integer",
        Value::Number(_) => "Number",
        Value::String(_) => "String",
        Value::Array(_) => "JSONArray",
        Value::Object(_) => "JSONObject",
    }
}

/// Field checks in the style of the everit JSON-schema messages Bedrock returns
/// (`#/max_tokens: expected type: Integer, found: String`).
struct Fields<'a> {
    obj: &'a Map<String, Value>,
    /// `#` or `#/textGenerationConfig`.
    path: String,
}

impl<'a> Fields<'a> {
    fn new(obj: &'a Map<String, Value>, path: &str) -> Self {
        Fields {
            obj,
            path: path.to_owned(),
        }
    }

    fn keys(&self, allowed: &[&str], required: &[&str]) -> Result<(), String> {
        if let Some(extra) = self.obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(malformed(format!(
                "{}: extraneous key [{extra}] is not permitted",
                self.path
            )));
        }
        if let Some(missing) = required.iter().find(|k| !self.obj.contains_key(**k)) {
            return Err(malformed(format!(
                "{}: required key [{missing}] not found",
                self.path
            )));
        }
        Ok(())
    }

    fn wrong_type(&self, key: &str, expected: &str, v: &Value) -> String {
        malformed(format!(
            "{}/{key}: expected type: {expected}, found: {}",
            self.path,
            type_name(v)
        ))
    }

    fn string(&self, key: &str) -> Result<Option<&'a str>, String> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.wrong_type(key, "String", v)),
        }
    }

    /// An integer of at least `min`.
    fn int(&self, key: &str, min: i64) -> Result<Option<u32>, String> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(v) => {
                let Some(n) = v.as_i64().or_else(|| v.as_u64().map(|_| i64::MAX)) else {
                    return Err(self.wrong_type(key, "Integer", v));
                };
                if n < min {
                    return Err(malformed(format!(
                        "{}/{key}: {n} is not greater or equal to {min}",
                        self.path
                    )));
                }
                Ok(Some(u32::try_from(n).unwrap_or(u32::MAX)))
            }
        }
    }

    fn numbers(&self, keys: &[&str]) -> Result<(), String> {
        for key in keys {
            if let Some(v) = self.obj.get(*key) {
                if !v.is_number() {
                    return Err(self.wrong_type(key, "Number", v));
                }
            }
        }
        Ok(())
    }

    fn ints(&self, keys: &[&str]) -> Result<(), String> {
        for key in keys {
            self.int(key, i64::MIN)?;
        }
        Ok(())
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, String> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.wrong_type(key, "Boolean", v)),
        }
    }

    fn string_array(&self, key: &str) -> Result<Vec<String>, String> {
        match self.obj.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(self.wrong_type(&format!("{key}/{i}"), "String", other)),
                })
                .collect(),
            Some(v) => Err(self.wrong_type(key, "JSONArray", v)),
        }
    }

    fn array(&self, key: &str) -> Result<Option<&'a Vec<Value>>, String> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(v) => Err(self.wrong_type(key, "JSONArray", v)),
        }
    }

    fn object(&self, key: &str) -> Result<Option<Fields<'a>>, String> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::Object(o)) => Ok(Some(Fields::new(o, &format!("{}/{key}", self.path)))),
            Some(v) => Err(self.wrong_type(key, "JSONObject", v)),
        }
    }
}

/// Parses a body that must be a JSON object.
pub(crate) fn json_object(body: &[u8]) -> Result<Map<String, Value>, String> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| malformed(format!("the body is not valid JSON ({e})")))?;
    match value {
        Value::Object(o) => Ok(o),
        other => Err(malformed(format!(
            "#: expected type: JSONObject, found: {}",
            type_name(&other)
        ))),
    }
}

/// The model name some response bodies carry: `anthropic.claude-3-5-sonnet-20240620-v1:0`
/// → `claude-3-5-sonnet-20240620`.
fn model_name(model_id: &str) -> String {
    let base = base_model_id(model_id).unwrap_or(model_id);
    let name = base.split_once('.').map_or(base, |(_, m)| m);
    let name = name.split(':').next().unwrap_or(name);
    name.strip_suffix("-v1")
        .or_else(|| name.strip_suffix("-v2"))
        .unwrap_or(name)
        .to_owned()
}

/// Validates an InvokeModel / InvokeModelWithResponseStream body for `family` like Bedrock
/// does, and extracts what the answer depends on.
pub(crate) fn parse_request(
    family: Family,
    model_id: &str,
    body: &[u8],
) -> Result<Request, String> {
    let obj = json_object(body)?;
    let f = Fields::new(&obj, "#");
    let family = match family {
        // Bedrock serves Claude v2 / instant with the Messages API too.
        Family::ClaudeText
            if obj.contains_key("messages")
                || (obj.contains_key("anthropic_version") && !obj.contains_key("prompt")) =>
        {
            Family::ClaudeMessages
        }
        other => other,
    };
    let mut req = Request {
        family,
        prompt: String::new(),
        max_tokens: 0,
        stops: Vec::new(),
        cohere_stream: false,
        model_name: model_name(model_id),
    };
    match family {
        Family::ClaudeText => {
            f.keys(
                &[
                    "prompt",
                    "max_tokens_to_sample",
                    "temperature",
                    "top_p",
                    "top_k",
                    "stop_sequences",
                    "anthropic_version",
                ],
                &["prompt", "max_tokens_to_sample"],
            )?;
            let prompt = f.string("prompt")?.unwrap_or_default();
            req.max_tokens = f.int("max_tokens_to_sample", 1)?.unwrap_or(1);
            f.numbers(&["temperature", "top_p"])?;
            f.ints(&["top_k"])?;
            req.stops = f.string_array("stop_sequences")?;
            if !prompt.contains("\n\nHuman:") {
                return Err(r#"Invalid prompt: prompt must start with "\n\nHuman:" turn after an optional system prompt"#.into());
            }
            if !prompt.ends_with("\n\nAssistant:") {
                return Err(r#"Invalid prompt: prompt must end with "\n\nAssistant:" turn"#.into());
            }
            req.prompt = prompt.to_owned();
        }
        Family::ClaudeMessages => {
            f.keys(
                &[
                    "anthropic_version",
                    "anthropic_beta",
                    "max_tokens",
                    "messages",
                    "system",
                    "stop_sequences",
                    "temperature",
                    "top_p",
                    "top_k",
                    "tools",
                    "tool_choice",
                    "thinking",
                    "metadata",
                ],
                &["anthropic_version", "max_tokens", "messages"],
            )?;
            let version = f.string("anthropic_version")?.unwrap_or_default();
            if version != "bedrock-2023-05-31" {
                return Err(malformed(format!(
                    "#/anthropic_version: {version} is not a valid enum value"
                )));
            }
            req.max_tokens = f.int("max_tokens", 1)?.unwrap_or(1);
            f.numbers(&["temperature", "top_p"])?;
            f.ints(&["top_k"])?;
            req.stops = f.string_array("stop_sequences")?;
            f.array("anthropic_beta")?;
            if let Some(system) = obj.get("system") {
                if !system.is_string() && !system.is_array() {
                    return Err(f.wrong_type("system", "String or JSONArray", system));
                }
            }
            req.prompt = chat_prompt(&f, ChatStyle::Anthropic)?;
        }
        Family::TitanText => {
            f.keys(&["inputText", "textGenerationConfig"], &["inputText"])?;
            req.prompt = f.string("inputText")?.unwrap_or_default().to_owned();
            req.max_tokens = 512;
            if let Some(config) = f.object("textGenerationConfig")? {
                config.keys(
                    &["temperature", "topP", "maxTokenCount", "stopSequences"],
                    &[],
                )?;
                config.numbers(&["temperature", "topP"])?;
                req.max_tokens = config.int("maxTokenCount", 0)?.unwrap_or(512);
                req.stops = config.string_array("stopSequences")?;
            }
        }
        Family::Nova => {
            f.keys(
                &[
                    "schemaVersion",
                    "system",
                    "messages",
                    "inferenceConfig",
                    "toolConfig",
                ],
                &["messages"],
            )?;
            f.string("schemaVersion")?;
            f.array("system")?;
            req.max_tokens = 5000;
            if let Some(config) = f.object("inferenceConfig")? {
                config.keys(
                    &[
                        "max_new_tokens",
                        "maxTokens",
                        "temperature",
                        "top_p",
                        "topP",
                        "top_k",
                        "topK",
                        "stopSequences",
                        "reasoningConfig",
                    ],
                    &[],
                )?;
                config.numbers(&["temperature", "top_p", "topP"])?;
                config.ints(&["top_k", "topK"])?;
                req.max_tokens = config
                    .int("max_new_tokens", 1)?
                    .or(config.int("maxTokens", 1)?)
                    .unwrap_or(5000);
                req.stops = config.string_array("stopSequences")?;
            }
            req.prompt = chat_prompt(&f, ChatStyle::Nova)?;
        }
        Family::Llama => {
            f.keys(
                &["prompt", "max_gen_len", "temperature", "top_p", "images"],
                &["prompt"],
            )?;
            req.prompt = f.string("prompt")?.unwrap_or_default().to_owned();
            req.max_tokens = f.int("max_gen_len", 1)?.unwrap_or(512);
            f.numbers(&["temperature", "top_p"])?;
            f.string_array("images")?;
        }
        Family::Mistral => {
            f.keys(
                &[
                    "prompt",
                    "max_tokens",
                    "stop",
                    "temperature",
                    "top_p",
                    "top_k",
                ],
                &["prompt"],
            )?;
            req.prompt = f.string("prompt")?.unwrap_or_default().to_owned();
            req.max_tokens = f.int("max_tokens", 1)?.unwrap_or(512);
            req.stops = f.string_array("stop")?;
            f.numbers(&["temperature", "top_p"])?;
            f.ints(&["top_k"])?;
        }
        Family::MistralChat => {
            f.keys(
                &[
                    "messages",
                    "tools",
                    "tool_choice",
                    "max_tokens",
                    "temperature",
                    "top_p",
                    "stop",
                    "response_format",
                ],
                &["messages"],
            )?;
            req.max_tokens = f.int("max_tokens", 1)?.unwrap_or(8192);
            req.stops = f.string_array("stop")?;
            f.numbers(&["temperature", "top_p"])?;
            req.prompt = chat_prompt(&f, ChatStyle::OpenAi)?;
        }
        Family::CohereCommand => {
            f.keys(
                &[
                    "prompt",
                    "temperature",
                    "p",
                    "k",
                    "max_tokens",
                    "stop_sequences",
                    "return_likelihoods",
                    "stream",
                    "num_generations",
                    "logit_bias",
                    "truncate",
                ],
                &["prompt"],
            )?;
            req.prompt = f.string("prompt")?.unwrap_or_default().to_owned();
            // Cohere Command's default is famously short.
            req.max_tokens = f.int("max_tokens", 1)?.unwrap_or(20);
            req.stops = f.string_array("stop_sequences")?;
            req.cohere_stream = f.bool("stream")?.unwrap_or(false);
            f.numbers(&["temperature", "p"])?;
            f.ints(&["k", "num_generations"])?;
            f.string("return_likelihoods")?;
            f.string("truncate")?;
        }
        Family::CohereCommandR => {
            f.keys(
                &[
                    "message",
                    "chat_history",
                    "documents",
                    "search_queries_only",
                    "preamble",
                    "max_tokens",
                    "temperature",
                    "p",
                    "k",
                    "prompt_truncation",
                    "frequency_penalty",
                    "presence_penalty",
                    "seed",
                    "return_prompt",
                    "tools",
                    "tool_results",
                    "stop_sequences",
                    "raw_prompting",
                ],
                &["message"],
            )?;
            req.prompt = f.string("message")?.unwrap_or_default().to_owned();
            req.max_tokens = f.int("max_tokens", 1)?.unwrap_or(4000);
            req.stops = f.string_array("stop_sequences")?;
            f.numbers(&["temperature", "p", "frequency_penalty", "presence_penalty"])?;
            f.ints(&["k", "seed"])?;
            f.string("preamble")?;
            f.array("chat_history")?;
        }
        Family::Jamba => {
            f.keys(
                &[
                    "messages",
                    "max_tokens",
                    "temperature",
                    "top_p",
                    "stop",
                    "n",
                    "frequency_penalty",
                    "presence_penalty",
                    "tools",
                    "response_format",
                    "documents",
                ],
                &["messages"],
            )?;
            req.max_tokens = f.int("max_tokens", 1)?.unwrap_or(4096);
            req.stops = match obj.get("stop") {
                Some(Value::String(s)) => vec![s.clone()],
                _ => f.string_array("stop")?,
            };
            f.numbers(&[
                "temperature",
                "top_p",
                "frequency_penalty",
                "presence_penalty",
            ])?;
            f.ints(&["n"])?;
            req.prompt = chat_prompt(&f, ChatStyle::OpenAi)?;
        }
    }
    Ok(req)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ChatStyle {
    /// `content`: a string or `[{"type":"text","text":…}, …]`; roles user/assistant.
    Anthropic,
    /// `content`: `[{"text":…}, {"image":…}, …]`; roles user/assistant.
    Nova,
    /// `content`: a string (or typed parts); roles system/user/assistant/tool.
    OpenAi,
}

/// Validates `messages` and returns the prompt text: the text of the last user message
/// (its text parts joined with `"\n"`).
fn chat_prompt(f: &Fields<'_>, style: ChatStyle) -> Result<String, String> {
    let messages = f.array("messages")?.map(Vec::as_slice).unwrap_or_default();
    if messages.is_empty() {
        return Err(match style {
            ChatStyle::Anthropic => "messages: at least one message is required".into(),
            _ => malformed("#/messages: expected minimum item count: 1, found: 0"),
        });
    }
    let roles: &[&str] = match style {
        ChatStyle::OpenAi => &["system", "user", "assistant", "tool"],
        _ => &["user", "assistant"],
    };
    let mut prompt = None;
    for (i, message) in messages.iter().enumerate() {
        let path = format!("#/messages/{i}");
        let Value::Object(m) = message else {
            return Err(malformed(format!(
                "{path}: expected type: JSONObject, found: {}",
                type_name(message)
            )));
        };
        let mf = Fields::new(m, &path);
        let allowed: &[&str] = match style {
            ChatStyle::OpenAi => &["role", "content", "name", "tool_calls", "tool_call_id"],
            _ => &["role", "content"],
        };
        mf.keys(allowed, &["role", "content"])?;
        let role = mf.string("role")?.unwrap_or_default();
        if !roles.contains(&role) {
            return Err(match style {
                ChatStyle::Anthropic => {
                    format!("messages.{i}.role: Input should be 'user' or 'assistant'")
                }
                _ => malformed(format!("{path}/role: {role} is not a valid enum value")),
            });
        }
        if i == 0 && style == ChatStyle::Anthropic && role != "user" {
            return Err(r#"messages: first message must use the "user" role"#.into());
        }
        let content = m.get("content").unwrap_or(&Value::Null);
        let text = match (style, content) {
            (ChatStyle::Nova, Value::String(_))
            | (_, Value::Null | Value::Bool(_) | Value::Number(_) | Value::Object(_)) => {
                return Err(mf.wrong_type(
                    "content",
                    if style == ChatStyle::Nova {
                        "JSONArray"
                    } else {
                        "String or JSONArray"
                    },
                    content,
                ));
            }
            (_, Value::String(s)) => s.clone(),
            (_, Value::Array(parts)) => {
                let mut texts = Vec::new();
                for (j, part) in parts.iter().enumerate() {
                    let Value::Object(p) = part else {
                        return Err(malformed(format!(
                            "{path}/content/{j}: expected type: JSONObject, found: {}",
                            type_name(part)
                        )));
                    };
                    match style {
                        ChatStyle::Nova => {
                            if p.len() != 1 {
                                return Err(malformed(format!(
                                    "{path}/content/{j}: exactly one content type (text, image, video, document, toolUse, toolResult) must be set"
                                )));
                            }
                            if let Some(t) = p.get("text") {
                                texts.push(t.as_str().map(str::to_owned).ok_or_else(|| {
                                    malformed(format!(
                                        "{path}/content/{j}/text: expected type: String, found: {}",
                                        type_name(t)
                                    ))
                                })?);
                            }
                        }
                        _ => {
                            let kind = p.get("type").and_then(Value::as_str).ok_or_else(|| {
                                malformed(format!(
                                    "{path}/content/{j}: required key [type] not found"
                                ))
                            })?;
                            if kind == "text" {
                                let t = p.get("text").and_then(Value::as_str).ok_or_else(|| {
                                    malformed(format!(
                                        "{path}/content/{j}: required key [text] not found"
                                    ))
                                })?;
                                texts.push(t.to_owned());
                            }
                        }
                    }
                }
                texts.join("\n")
            }
        };
        if role == "user" {
            prompt = Some(text);
        }
    }
    prompt.ok_or_else(|| malformed("#/messages: at least one message must have the user role"))
}

/// What a stream chunk's `amazon-bedrock-invocationMetrics` reports; latencies are filled in
/// when the chunk is sent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Metrics {
    pub input: u32,
    pub output: u32,
    /// Adds `cacheReadInputTokenCount` / `cacheWriteInputTokenCount` (0), as Nova does.
    pub cache: bool,
}

/// One frame of a planned response stream.
#[derive(Debug, Clone)]
pub(crate) enum Frame {
    /// An InvokeModelWithResponseStream `chunk`: model-native JSON, base64 in `bytes`, next to
    /// `p` padding. With `metrics`, the invocation metrics are appended when it is sent.
    Chunk { json: J, metrics: Option<Metrics> },
    /// A ConverseStream event: `p` is added when sent; a `metadata` event gets
    /// `metrics.latencyMs` then.
    Event { event_type: &'static str, json: J },
    /// Bytes sent as they are (a replayed capture frame).
    Raw(Vec<u8>),
}

/// A planned frame and the number of generated tokens it carries: it is due
/// `tokens × token_delay` after the previous one.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub tokens: u32,
    pub frame: Frame,
}

fn chunk(tokens: u32, json: J) -> Planned {
    Planned {
        tokens,
        frame: Frame::Chunk {
            json,
            metrics: None,
        },
    }
}

/// The stop reason in each family's vocabulary, and the matched stop sequence.
fn stop_reason(family: Family, a: &Answer) -> &'static str {
    let (natural, length, sequence) = match family {
        Family::ClaudeText => return a.stop_reason,
        Family::ClaudeMessages | Family::Nova => ("end_turn", "max_tokens", "stop_sequence"),
        Family::TitanText => ("FINISH", "LENGTH", "STOP_CRITERIA_MET"),
        Family::Llama | Family::Mistral | Family::MistralChat | Family::Jamba => {
            ("stop", "length", "stop")
        }
        Family::CohereCommand | Family::CohereCommandR => ("COMPLETE", "MAX_TOKENS", "COMPLETE"),
    };
    match a.stop_reason {
        "max_tokens" => length,
        "stop_sequence" => sequence,
        _ => natural,
    }
}

/// A uuid-shaped id from the answer's PRNG.
pub(crate) fn uuid(rng: &mut Rng) -> String {
    let (a, b) = (rng.next_u64(), rng.next_u64());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

/// `len` characters of `[A-Za-z0-9]`.
pub(crate) fn base62(rng: &mut Rng, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| ALPHABET[rng.below(ALPHABET.len())] as char)
        .collect()
}

fn chat_usage(a: &Answer) -> J {
    J::obj([
        ("prompt_tokens", a.input_tokens.into()),
        ("completion_tokens", a.output_tokens().into()),
        (
            "total_tokens",
            a.input_tokens.saturating_add(a.output_tokens()).into(),
        ),
    ])
}

/// The InvokeModel response body.
pub(crate) fn invoke_body(req: &Request, a: &Answer, rng: &mut Rng, now_secs: i64) -> J {
    let text = a.text();
    let reason = stop_reason(req.family, a);
    match req.family {
        Family::ClaudeText => J::obj([
            ("completion", text.into()),
            ("stop_reason", reason.into()),
            ("stop", a.stop_sequence.clone().into()),
        ]),
        Family::ClaudeMessages => J::obj([
            ("id", format!("msg_bdrk_{}", base62(rng, 24)).into()),
            ("type", "message".into()),
            ("role", "assistant".into()),
            ("model", req.model_name.as_str().into()),
            (
                "content",
                vec![J::obj([("type", "text".into()), ("text", text.into())])].into(),
            ),
            ("stop_reason", reason.into()),
            ("stop_sequence", a.stop_sequence.clone().into()),
            (
                "usage",
                J::obj([
                    ("input_tokens", a.input_tokens.into()),
                    ("output_tokens", a.output_tokens().into()),
                ]),
            ),
        ]),
        Family::TitanText => J::obj([
            ("inputTextTokenCount", a.input_tokens.into()),
            (
                "results",
                vec![J::obj([
                    ("tokenCount", a.output_tokens().into()),
                    ("outputText", text.into()),
                    ("completionReason", reason.into()),
                ])]
                .into(),
            ),
        ]),
        Family::Nova => J::obj([
            (
                "output",
                J::obj([(
                    "message",
                    J::obj([
                        ("content", vec![J::obj([("text", text.into())])].into()),
                        ("role", "assistant".into()),
                    ]),
                )]),
            ),
            ("stopReason", reason.into()),
            (
                "usage",
                J::obj([
                    ("inputTokens", a.input_tokens.into()),
                    ("outputTokens", a.output_tokens().into()),
                    (
                        "totalTokens",
                        a.input_tokens.saturating_add(a.output_tokens()).into(),
                    ),
                    ("cacheReadInputTokenCount", 0u32.into()),
                    ("cacheWriteInputTokenCount", 0u32.into()),
                ]),
            ),
        ]),
        Family::Llama => J::obj([
            ("generation", text.into()),
            ("prompt_token_count", a.input_tokens.into()),
            ("generation_token_count", a.output_tokens().into()),
            ("stop_reason", reason.into()),
        ]),
        Family::Mistral => J::obj([(
            "outputs",
            vec![J::obj([
                ("text", text.into()),
                ("stop_reason", reason.into()),
            ])]
            .into(),
        )]),
        Family::MistralChat => J::obj([
            ("id", base62(rng, 32).into()),
            ("object", "chat.completion".into()),
            ("created", now_secs.into()),
            ("model", req.model_name.as_str().into()),
            (
                "choices",
                vec![J::obj([
                    ("index", 0u32.into()),
                    (
                        "message",
                        J::obj([
                            ("role", "assistant".into()),
                            ("content", text.into()),
                            ("tool_calls", J::Null),
                        ]),
                    ),
                    ("stop_reason", reason.into()),
                ])]
                .into(),
            ),
            ("usage", chat_usage(a)),
        ]),
        Family::CohereCommand => J::obj([
            (
                "generations",
                vec![J::obj([
                    ("finish_reason", reason.into()),
                    ("id", uuid(rng).into()),
                    ("text", text.into()),
                ])]
                .into(),
            ),
            ("id", uuid(rng).into()),
            ("prompt", req.prompt.as_str().into()),
        ]),
        Family::CohereCommandR => {
            let history = cohere_history(req, &text);
            J::obj([
                ("response_id", uuid(rng).into()),
                ("text", text.into()),
                ("generation_id", uuid(rng).into()),
                ("chat_history", history),
                ("finish_reason", reason.into()),
            ])
        }
        Family::Jamba => J::obj([
            ("id", format!("chatcmpl-{}", uuid(rng)).into()),
            (
                "choices",
                vec![J::obj([
                    ("index", 0u32.into()),
                    (
                        "message",
                        J::obj([
                            ("role", "assistant".into()),
                            ("content", text.into()),
                            ("tool_calls", J::Null),
                        ]),
                    ),
                    ("finish_reason", reason.into()),
                ])]
                .into(),
            ),
            ("usage", chat_usage(a)),
        ]),
    }
}

fn cohere_history(req: &Request, text: &str) -> J {
    vec![
        J::obj([
            ("role", "USER".into()),
            ("message", req.prompt.as_str().into()),
        ]),
        J::obj([("role", "CHATBOT".into()), ("message", text.into())]),
    ]
    .into()
}

/// Tokens per Titan chunk: Titan streams a sentence or more at a time.
const TITAN_TOKENS_PER_CHUNK: usize = 8;

/// The InvokeModelWithResponseStream chunks, shaped like the real captures; the last chunk
/// (for Jamba, a separate final "metering" chunk) carries the invocation metrics.
pub(crate) fn stream_chunks(
    req: &Request,
    a: &Answer,
    rng: &mut Rng,
    now_secs: i64,
) -> Vec<Planned> {
    let reason = stop_reason(req.family, a);
    // An answer cut to nothing by a stop sequence still streams one (empty) piece.
    let tokens: Vec<&str> = if a.tokens.is_empty() {
        vec![""]
    } else {
        a.tokens.iter().map(String::as_str).collect()
    };
    let n = tokens.len();
    let output = a.output_tokens();
    let mut out: Vec<Planned> = Vec::new();
    match req.family {
        Family::ClaudeText => {
            for (i, t) in tokens.iter().enumerate() {
                let last = i + 1 == n;
                out.push(chunk(
                    1,
                    J::obj([
                        ("completion", (*t).into()),
                        ("stop_reason", last.then_some(reason).into()),
                        (
                            "stop",
                            if last { a.stop_sequence.clone() } else { None }.into(),
                        ),
                    ]),
                ));
            }
        }
        Family::ClaudeMessages => {
            out.push(chunk(
                0,
                J::obj([
                    ("type", "message_start".into()),
                    (
                        "message",
                        J::obj([
                            ("id", format!("msg_bdrk_{}", base62(rng, 24)).into()),
                            ("type", "message".into()),
                            ("role", "assistant".into()),
                            ("model", req.model_name.as_str().into()),
                            ("content", J::Arr(Vec::new())),
                            ("stop_reason", J::Null),
                            ("stop_sequence", J::Null),
                            (
                                "usage",
                                J::obj([
                                    ("input_tokens", a.input_tokens.into()),
                                    ("output_tokens", 1u32.into()),
                                ]),
                            ),
                        ]),
                    ),
                ]),
            ));
            out.push(chunk(
                0,
                J::obj([
                    ("type", "content_block_start".into()),
                    ("index", 0u32.into()),
                    (
                        "content_block",
                        J::obj([("type", "text".into()), ("text", "".into())]),
                    ),
                ]),
            ));
            for t in &tokens {
                out.push(chunk(
                    1,
                    J::obj([
                        ("type", "content_block_delta".into()),
                        ("index", 0u32.into()),
                        (
                            "delta",
                            J::obj([("type", "text_delta".into()), ("text", (*t).into())]),
                        ),
                    ]),
                ));
            }
            out.push(chunk(
                0,
                J::obj([
                    ("type", "content_block_stop".into()),
                    ("index", 0u32.into()),
                ]),
            ));
            out.push(chunk(
                0,
                J::obj([
                    ("type", "message_delta".into()),
                    (
                        "delta",
                        J::obj([
                            ("stop_reason", reason.into()),
                            ("stop_sequence", a.stop_sequence.clone().into()),
                        ]),
                    ),
                    ("usage", J::obj([("output_tokens", output.into())])),
                ]),
            ));
            out.push(chunk(0, J::obj([("type", "message_stop".into())])));
        }
        Family::TitanText => {
            let groups: Vec<&[&str]> = tokens.chunks(TITAN_TOKENS_PER_CHUNK).collect();
            for (i, group) in groups.iter().enumerate() {
                let last = i + 1 == groups.len();
                out.push(chunk(
                    group.len() as u32,
                    J::obj([
                        ("outputText", group.concat().into()),
                        ("index", 0u32.into()),
                        ("totalOutputTextTokenCount", last.then_some(output).into()),
                        ("completionReason", last.then_some(reason).into()),
                        (
                            "inputTextTokenCount",
                            (i == 0).then_some(a.input_tokens).into(),
                        ),
                    ]),
                ));
            }
        }
        Family::Nova => {
            out.push(chunk(
                0,
                J::obj([("messageStart", J::obj([("role", "assistant".into())]))]),
            ));
            // As captured from Nova: every delta is its own content block, closed at once.
            for (i, t) in tokens.iter().enumerate() {
                out.push(chunk(
                    1,
                    J::obj([(
                        "contentBlockDelta",
                        J::obj([
                            ("delta", J::obj([("text", (*t).into())])),
                            ("contentBlockIndex", i.into()),
                        ]),
                    )]),
                ));
                out.push(chunk(
                    0,
                    J::obj([(
                        "contentBlockStop",
                        J::obj([("contentBlockIndex", i.into())]),
                    )]),
                ));
            }
            out.push(chunk(
                0,
                J::obj([("messageStop", J::obj([("stopReason", reason.into())]))]),
            ));
            out.push(chunk(
                0,
                J::obj([(
                    "metadata",
                    J::obj([
                        (
                            "usage",
                            J::obj([
                                ("inputTokens", a.input_tokens.into()),
                                ("outputTokens", output.into()),
                                ("cacheReadInputTokenCount", 0u32.into()),
                                ("cacheWriteInputTokenCount", 0u32.into()),
                            ]),
                        ),
                        ("metrics", J::Obj(Vec::new())),
                        ("trace", J::Obj(Vec::new())),
                    ]),
                )]),
            ));
        }
        Family::Llama => {
            for (i, t) in tokens.iter().enumerate() {
                let last = i + 1 == n;
                out.push(chunk(
                    1,
                    J::obj([
                        ("generation", (*t).into()),
                        (
                            "prompt_token_count",
                            (i == 0).then_some(a.input_tokens).into(),
                        ),
                        ("generation_token_count", (i + 1).into()),
                        ("stop_reason", last.then_some(reason).into()),
                    ]),
                ));
            }
        }
        Family::Mistral => {
            for (i, t) in tokens.iter().enumerate() {
                let last = i + 1 == n;
                out.push(chunk(
                    1,
                    J::obj([(
                        "outputs",
                        vec![J::obj([
                            ("text", (*t).into()),
                            ("stop_reason", last.then_some(reason).into()),
                        ])]
                        .into(),
                    )]),
                ));
            }
        }
        Family::MistralChat => {
            let id = base62(rng, 32);
            for (i, t) in tokens.iter().enumerate() {
                let last = i + 1 == n;
                let mut json = J::obj([
                    ("id", id.as_str().into()),
                    ("object", "chat.completion.chunk".into()),
                    ("created", now_secs.into()),
                    ("model", req.model_name.as_str().into()),
                    (
                        "choices",
                        vec![J::obj([
                            ("index", 0u32.into()),
                            (
                                "message",
                                J::obj([
                                    ("role", (i == 0).then_some("assistant").into()),
                                    ("content", (*t).into()),
                                ]),
                            ),
                            ("stop_reason", last.then_some(reason).into()),
                        ])]
                        .into(),
                    ),
                ]);
                if last {
                    json.push("usage", chat_usage(a));
                }
                out.push(chunk(1, json));
            }
        }
        Family::CohereCommand if req.cohere_stream => {
            for t in &tokens {
                out.push(chunk(
                    1,
                    J::obj([("text", (*t).into()), ("is_finished", false.into())]),
                ));
            }
            out.push(chunk(
                0,
                J::obj([
                    ("is_finished", true.into()),
                    ("finish_reason", reason.into()),
                    ("response", invoke_body(req, a, rng, now_secs)),
                ]),
            ));
        }
        Family::CohereCommand => {
            // Without "stream": true the whole answer comes as one generations chunk.
            out.push(chunk(output, invoke_body(req, a, rng, now_secs)));
        }
        Family::CohereCommandR => {
            out.push(chunk(
                0,
                J::obj([
                    ("is_finished", false.into()),
                    ("event_type", "stream-start".into()),
                    ("generation_id", uuid(rng).into()),
                ]),
            ));
            for t in &tokens {
                out.push(chunk(
                    1,
                    J::obj([
                        ("is_finished", false.into()),
                        ("event_type", "text-generation".into()),
                        ("text", (*t).into()),
                    ]),
                ));
            }
            out.push(chunk(
                0,
                J::obj([
                    ("is_finished", true.into()),
                    ("event_type", "stream-end".into()),
                    ("response", invoke_body(req, a, rng, now_secs)),
                    ("finish_reason", reason.into()),
                ]),
            ));
        }
        Family::Jamba => {
            let id = format!("chatcmpl-{}", uuid(rng));
            for (i, t) in tokens.iter().enumerate() {
                let delta = if i == 0 {
                    J::obj([("role", "assistant".into()), ("content", (*t).into())])
                } else {
                    J::obj([("content", (*t).into())])
                };
                out.push(chunk(
                    1,
                    J::obj([
                        ("id", id.as_str().into()),
                        (
                            "choices",
                            vec![J::obj([
                                ("index", 0u32.into()),
                                ("delta", delta),
                                ("finish_reason", J::Null),
                            ])]
                            .into(),
                        ),
                    ]),
                ));
            }
            out.push(chunk(
                0,
                J::obj([
                    ("id", id.as_str().into()),
                    (
                        "choices",
                        vec![J::obj([
                            ("index", 0u32.into()),
                            ("delta", J::Obj(Vec::new())),
                            ("finish_reason", reason.into()),
                        ])]
                        .into(),
                    ),
                    ("usage", chat_usage(a)),
                ]),
            ));
            // The AI21 SDK documents a final "metering" chunk holding only the metrics.
            out.push(chunk(0, J::Obj(Vec::new())));
        }
    }
    if let Some(Planned {
        frame: Frame::Chunk { metrics, .. },
        ..
    }) = out.last_mut()
    {
        *metrics = Some(Metrics {
            input: a.input_tokens,
            output,
            cache: req.family == Family::Nova,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids() {
        for (id, family) in [
            ("anthropic.claude-v2", Family::ClaudeText),
            ("anthropic.claude-v2:1", Family::ClaudeText),
            ("anthropic.claude-instant-v1", Family::ClaudeText),
            ("anthropic.claude-v2:0:100k", Family::ClaudeText),
            (
                "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2:1",
                Family::ClaudeText,
            ),
            ("anthropic.claude-3-haiku-20240307-v1:0", Family::ClaudeMessages),
            ("us.anthropic.claude-3-5-sonnet-20240620-v1:0", Family::ClaudeMessages),
            ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", Family::ClaudeMessages),
            ("apac.anthropic.claude-3-haiku-20240307-v1:0", Family::ClaudeMessages),
            (
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0",
                Family::ClaudeMessages,
            ),
            ("amazon.titan-text-express-v1", Family::TitanText),
            ("amazon.nova-micro-v1:0", Family::Nova),
            ("us.amazon.nova-2-lite-v1:0", Family::Nova),
            ("meta.llama3-8b-instruct-v1:0", Family::Llama),
            ("mistral.mistral-7b-instruct-v0:2", Family::Mistral),
            ("mistral.mixtral-8x7b-instruct-v0:1", Family::Mistral),
            ("mistral.mistral-large-2402-v1:0", Family::Mistral),
            ("mistral.mistral-large-2407-v1:0", Family::MistralChat),
            ("cohere.command-text-v14", Family::CohereCommand),
            ("cohere.command-r-plus-v1:0", Family::CohereCommandR),
            ("ai21.jamba-1-5-mini-v1:0", Family::Jamba),
        ] {
            assert_eq!(Family::of_model(id), Some(family), "{id}");
        }
        for bad in [
            "anthropic.claude-v2x",
            "anthropic.claude-v2:",
            "anthropic.claude",
            "",
            "meta.llama",
            "amazon.titan-embed-text-v1",
            "amazon.nova-canvas-v1:0",
            "cohere.embed-english-v3",
            "stability.sd3-large-v1:0",
            "Anthropic.claude-v2",
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc",
            "arn:aws:s3:::bucket/anthropic.claude-v2",
        ] {
            assert_eq!(Family::of_model(bad), None, "{bad}");
        }
        assert_eq!(
            model_name("us.anthropic.claude-3-5-sonnet-20240620-v1:0"),
            "claude-3-5-sonnet-20240620"
        );
        assert_eq!(
            model_name("mistral.mistral-large-2407-v1:0"),
            "mistral-large-2407"
        );
    }

    fn err(family: Family, body: &str) -> String {
        parse_request(family, "m", body.as_bytes()).unwrap_err()
    }

    #[test]
    fn validates_bodies_like_bedrock() {
        let ok = parse_request(
            Family::ClaudeText,
            "anthropic.claude-v2",
            br#"{"prompt":"\n\nHuman: hi\n\nAssistant:","max_tokens_to_sample":5,"temperature":0.5,"stop_sequences":["x"]}"#,
        )
        .unwrap();
        assert_eq!(
            (ok.prompt.as_str(), ok.max_tokens),
            ("\n\nHuman: hi\n\nAssistant:", 5)
        );
        assert_eq!(ok.stops, ["x"]);
        assert!(err(
            Family::ClaudeText,
            r#"{"prompt":"\n\nHuman: hi\n\nAssistant:"}"#
        )
        .contains("required key [max_tokens_to_sample]"));
        assert!(err(
            Family::ClaudeText,
            r#"{"prompt":"\n\nHuman: hi\n\nAssistant:","max_tokens_to_sample":5,"stream":true}"#
        )
        .contains("extraneous key [stream]"));
        assert!(err(
            Family::ClaudeText,
            r#"{"prompt":"hi","max_tokens_to_sample":5}"#
        )
        .contains("must start with"));
        assert!(err(
            Family::ClaudeText,
            r#"{"prompt":"\n\nHuman: hi","max_tokens_to_sample":5}"#
        )
        .contains("must end with"));
        assert!(err(Family::ClaudeText, "{nope").starts_with("Malformed input request"));
        assert!(err(
            Family::ClaudeText,
            r#"{"prompt":"\n\nHuman: hi\n\nAssistant:","max_tokens_to_sample":-1}"#
        )
        .contains("greater or equal"));

        // Messages: required keys, no model/stream keys, roles.
        let m = |extra: &str| {
            format!(
                r#"{{"anthropic_version":"bedrock-2023-05-31","max_tokens":9,"messages":[{{"role":"user","content":[{{"type":"text","text":"Hi"}},{{"type":"text","text":"there"}}]}}]{extra}}}"#
            )
        };
        let r = parse_request(Family::ClaudeText, "anthropic.claude-v2", m("").as_bytes()).unwrap();
        assert_eq!(
            (r.family, r.prompt.as_str(), r.max_tokens),
            (Family::ClaudeMessages, "Hi\nthere", 9)
        );
        assert_eq!(
            err(Family::ClaudeMessages, &m(r#","stream":true"#)),
            "Malformed input request: #: extraneous key [stream] is not permitted, please reformat your input and try again."
        );
        assert!(err(Family::ClaudeMessages, &m(r#","model":"claude""#))
            .contains("extraneous key [model]"));
        assert!(
            err(Family::ClaudeMessages, r#"{"max_tokens":9,"messages":[]}"#)
                .contains("required key [anthropic_version] not found")
        );
        assert!(err(
            Family::ClaudeMessages,
            r#"{"anthropic_version":"bedrock-2023-05-31","messages":[]}"#
        )
        .contains("required key [max_tokens] not found"));
        assert!(err(
            Family::ClaudeMessages,
            r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":"9","messages":[]}"#
        )
        .contains("#/max_tokens: expected type: Integer, found: String"));
        assert!(err(
            Family::ClaudeMessages,
            r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":9,"messages":[{"role":"assistant","content":"x"}]}"#
        )
        .contains("first message must use the \"user\" role"));

        // The other families.
        for (family, body, prompt, max) in [
            (
                Family::TitanText,
                r#"{"inputText":"User: hi\nBot:","textGenerationConfig":{"maxTokenCount":7,"stopSequences":["|"]}}"#,
                "User: hi\nBot:",
                7,
            ),
            (
                Family::Nova,
                r#"{"schemaVersion":"messages-v1","messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"max_new_tokens":7}}"#,
                "hi",
                7,
            ),
            (
                Family::Nova,
                r#"{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":8}}"#,
                "hi",
                8,
            ),
            (Family::Llama, r#"{"prompt":"hi","max_gen_len":7}"#, "hi", 7),
            (
                Family::Mistral,
                r#"{"prompt":"<s>[INST] hi [/INST]","max_tokens":7,"stop":["."]}"#,
                "<s>[INST] hi [/INST]",
                7,
            ),
            (
                Family::MistralChat,
                r#"{"messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"}],"max_tokens":7}"#,
                "hi",
                7,
            ),
            (
                Family::CohereCommand,
                r#"{"prompt":"hi","stream":true}"#,
                "hi",
                20,
            ),
            (
                Family::CohereCommandR,
                r#"{"message":"hi","chat_history":[],"max_tokens":7}"#,
                "hi",
                7,
            ),
            (
                Family::Jamba,
                r#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":7,"stop":"."}"#,
                "hi",
                7,
            ),
        ] {
            let r = parse_request(family, "m", body.as_bytes())
                .unwrap_or_else(|e| panic!("{family:?}: {e}"));
            assert_eq!(
                (r.prompt.as_str(), r.max_tokens),
                (prompt, max),
                "{family:?}"
            );
        }
        assert!(err(Family::Llama, r#"{"prompt":"hi","max_tokens":5}"#)
            .contains("extraneous key [max_tokens]"));
        assert!(err(
            Family::TitanText,
            r#"{"inputText":"hi","textGenerationConfig":{"max_tokens":5}}"#
        )
        .contains("#/textGenerationConfig: extraneous key [max_tokens]"));
        assert!(err(
            Family::Nova,
            r#"{"messages":[{"role":"user","content":"hi"}]}"#
        )
        .contains("#/messages/0/content: expected type: JSONArray, found: String"));
        assert!(
            err(Family::CohereCommandR, r#"{"prompt":"hi"}"#).contains("extraneous key [prompt]")
        );
        assert!(err(
            Family::Jamba,
            r#"{"messages":[{"role":"robot","content":"hi"}]}"#
        )
        .contains("not a valid enum value"));
        assert!(
            err(Family::Mistral, r#"[1]"#).contains("expected type: JSONObject, found: JSONArray")
        );
    }
}
