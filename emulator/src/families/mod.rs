//! Model families (BEDROCK.md §5): which model ids the emulator serves ([`Family::of_model`],
//! the id rule), and per family (one file each) how its InvokeModel body is validated (like
//! Bedrock: required keys, extraneous keys, types), what its prompt text is, and the
//! model-native JSON it answers with, whole (InvokeModel) or as stream chunks
//! (InvokeModelWithResponseStream) shaped like the real captures.
//!
//! Adding a family: a file here defining its [`Shape`], a variant in [`Family`] (and
//! [`Family::ALL`]), its line in [`Family::shape`], and its ids in the id rule.

mod claude_messages;
mod claude_text;
mod cohere_command;
mod cohere_command_r;
mod jamba;
mod llama;
mod mistral;
mod mistral_chat;
mod nova;
pub(crate) mod schema;
mod titan_text;

use crate::answer::{answer_after, check_echo, Answer, Rng};
use crate::attachments::{self, Attachment};
use crate::json::J;
use crate::plan::{Frame, Metrics, Planned};
use schema::{json_object, Fields};

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
        self.shape().name
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

    /// How this family reads requests and writes answers.
    fn shape(self) -> &'static Shape {
        match self {
            Family::ClaudeText => &claude_text::SHAPE,
            Family::ClaudeMessages => &claude_messages::SHAPE,
            Family::TitanText => &titan_text::SHAPE,
            Family::Nova => &nova::SHAPE,
            Family::Llama => &llama::SHAPE,
            Family::Mistral => &mistral::SHAPE,
            Family::MistralChat => &mistral_chat::SHAPE,
            Family::CohereCommand => &cohere_command::SHAPE,
            Family::CohereCommandR => &cohere_command_r::SHAPE,
            Family::Jamba => &jamba::SHAPE,
        }
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

/// Bedrock's message for a model id no family serves.
pub(crate) const INVALID_MODEL_ID: &str = "The provided model identifier is invalid.";

/// The deterministic answer the emulator gives to an `InvokeModel` or
/// `InvokeModelWithResponseStream` request for `model_id` (as decoded from the path, without
/// an `emulator-fault:` prefix) with this model-native `body`: `answer.text()` is the text a
/// client decodes from the response (whole, or the streamed pieces joined), `answer.tokens`
/// the streamed pieces, `answer.stop_reason` the reason in [`answer_for`](crate::answer_for)'s
/// terms (each family reports it in its own vocabulary).
///
/// The family comes from [`Family::of_model`], then from the body (a Claude v2 / instant
/// model with a Messages body answers as Claude Messages), and the answer from the family's
/// prompt text, max tokens and stop sequences. `Err` holds the message of the
/// `ValidationException` the emulator answers instead (unknown model id, malformed body, an
/// over-long echo). Authentication and faults are not considered.
pub fn invoke_answer(model_id: &str, body: &[u8]) -> Result<Answer, String> {
    let family = Family::of_model(model_id).ok_or(INVALID_MODEL_ID)?;
    let req = parse_request(family, model_id, body)?;
    check_echo(&req.prompt)?;
    Ok(req.answer())
}

/// One family's wire shape: everything that differs between families, in one place.
pub(crate) struct Shape {
    /// [`Family::name`].
    name: &'static str,
    /// The deterministic answer for (prompt, max tokens, stop sequences).
    answer: fn(&str, u32, &[&str]) -> Answer,
    stop_reasons: StopReasons,
    /// Checks a body (already a JSON object) and fills in what the answer depends on.
    validate: fn(&Fields<'_>, &mut Request) -> Result<(), String>,
    /// The InvokeModel response body.
    body: fn(&Reply<'_>, &mut Rng) -> J,
    /// The InvokeModelWithResponseStream chunks, without the invocation metrics.
    chunks: fn(&Reply<'_>, &mut Rng) -> Vec<Planned>,
    /// The invocation metrics also report cache token counts (0), as Nova's do.
    cache_metrics: bool,
}

/// How a family names why an answer ended.
pub(crate) enum StopReasons {
    /// As the answer says (Claude text-completion vocabulary already).
    Answer,
    /// (natural end, `max_tokens` reached, stop sequence matched).
    Words(&'static str, &'static str, &'static str),
}

impl StopReasons {
    fn of(&self, a: &Answer) -> &'static str {
        let (natural, length, sequence) = match *self {
            StopReasons::Answer => return a.stop_reason,
            StopReasons::Words(natural, length, sequence) => (natural, length, sequence),
        };
        match a.stop_reason {
            "max_tokens" => length,
            "stop_sequence" => sequence,
            _ => natural,
        }
    }
}

/// A validated InvokeModel request: what the answer depends on.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub family: Family,
    /// The prompt text the answer is seeded with.
    pub prompt: String,
    pub max_tokens: u32,
    pub stops: Vec<String>,
    /// Cohere Command's `"stream": true` (chunks of `text`); otherwise one `generations` chunk.
    pub cohere_stream: bool,
    /// The model name some bodies echo (`claude-3-5-sonnet-20240620`, `mistral-large-2407`).
    pub model_name: String,
    /// Claude Messages: the images and documents of the last user message; the answer starts
    /// with a line for each.
    pub attachments: Vec<Attachment>,
}

impl Request {
    /// The deterministic answer for this request.
    pub fn answer(&self) -> Answer {
        let stops: Vec<&str> = self.stops.iter().map(String::as_str).collect();
        if self.attachments.is_empty() {
            return (self.family.shape().answer)(&self.prompt, self.max_tokens, &stops);
        }
        let lines = attachments::line_tokens(&self.attachments);
        let mut answer = answer_after(lines, &self.prompt, self.max_tokens, &stops);
        answer.input_tokens = answer
            .input_tokens
            .saturating_add(attachments::tokens(&self.attachments));
        answer
    }
}

/// What a family builds its answer from.
pub(crate) struct Reply<'a> {
    pub req: &'a Request,
    pub answer: &'a Answer,
    /// The stop reason in the family's vocabulary.
    pub reason: &'static str,
    /// The answer's pieces; an answer cut to nothing by a stop sequence still streams one
    /// (empty) piece.
    pub tokens: Vec<&'a str>,
    pub now_secs: i64,
}

impl<'a> Reply<'a> {
    fn new(req: &'a Request, answer: &'a Answer, now_secs: i64) -> Self {
        let tokens = if answer.tokens.is_empty() {
            vec![""]
        } else {
            answer.tokens.iter().map(String::as_str).collect()
        };
        Reply {
            req,
            answer,
            reason: req.family.shape().stop_reasons.of(answer),
            tokens,
            now_secs,
        }
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
        attachments: Vec::new(),
    };
    (family.shape().validate)(&f, &mut req)?;
    Ok(req)
}

/// The InvokeModel response body.
pub(crate) fn invoke_body(req: &Request, a: &Answer, rng: &mut Rng, now_secs: i64) -> J {
    (req.family.shape().body)(&Reply::new(req, a, now_secs), rng)
}

/// The InvokeModelWithResponseStream chunks, shaped like the real captures; the last chunk
/// (for Jamba, a separate final "metering" chunk) carries the invocation metrics.
pub(crate) fn stream_chunks(
    req: &Request,
    a: &Answer,
    rng: &mut Rng,
    now_secs: i64,
) -> Vec<Planned> {
    let shape = req.family.shape();
    let mut out = (shape.chunks)(&Reply::new(req, a, now_secs), rng);
    if let Some(Planned {
        frame: Frame::Chunk { metrics, .. },
        ..
    }) = out.last_mut()
    {
        *metrics = Some(Metrics {
            input: a.input_tokens,
            output: a.output_tokens(),
            cache: shape.cache_metrics,
        });
    }
    out
}

/// The `usage` object of the OpenAI-style chat bodies (Mistral chat, Jamba).
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

/// Why `parse_request` refuses `body` for `family` (for the families' tests).
#[cfg(test)]
fn refusal(family: Family, body: &str) -> String {
    parse_request(family, "m", body.as_bytes()).unwrap_err()
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
}
