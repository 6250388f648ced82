//! Amazon Nova Sonic's event protocol over InvokeModelWithBidirectionalStream: the one home of
//! its JSON shapes, in both directions. Pure (no clock, no browser): it runs and is tested
//! natively; the playground (`www/src/voice.rs`) and the npm package's `novaSonic` helper
//! (`src/js/`) both use it. The socket is [`bidi`](super::bidi)'s and the transport's.
//!
//! - **Input**: [`Input`] is every event a client sends, written as the service reads it
//!   (`{"event":{"<name>":{…}}}`); [`Session`] numbers the contents of one prompt and sends
//!   them in the order Nova Sonic expects (`sessionStart`, `promptStart`, then per content
//!   `contentStart`, its inputs and `contentEnd`, then `promptEnd` and `sessionEnd`). The
//!   prompt's name is the caller's (it holds the clock); content names are `content-1`, ….
//! - **Output**: [`OutputEvent::parse`] parses each output event and [`OutputReader`] reads
//!   it into an [`Output`] that borrows from it (no string is copied): transcripts with
//!   their role and whether they are final (a `SPECULATIVE` content's text is not), speech as
//!   PCM, barge-in, tool uses, usage, the end of a completion; any other event by its name
//!   and body. Everything it is given is bounded: an event over [`MAX_OUTPUT_EVENT_LEN`], an
//!   id over [`MAX_ID_LEN`], JSON that is not an event or a field of the wrong type is a
//!   [`SonicError`], never a panic; at most [`MAX_TRACKED_CONTENTS`] contents are remembered.

use std::fmt;

use base64::Engine as _;
use serde_json::{Map, Value};

use super::json::JsonWriter;
use super::Error;

/// What Nova Sonic hears by default: 16 kHz 16-bit mono PCM.
pub const INPUT_SAMPLE_RATE: u32 = 16_000;
/// What it speaks by default: 24 kHz.
pub const OUTPUT_SAMPLE_RATE: u32 = 24_000;
/// The sample rates Nova Sonic takes and gives.
pub const SAMPLE_RATES: [u32; 3] = [8_000, 16_000, 24_000];
/// Nova Sonic's voices; the first is the default.
pub const VOICES: &[&str] = &[
    "matthew", "tiffany", "amy", "olivia", "lupe", "carlos", "ambre", "florian", "greta",
    "lennart", "beatrice", "lorenzo",
];
/// The default voice.
pub const DEFAULT_VOICE: &str = "matthew";
/// `sessionStart`'s defaults: max tokens, top-p, temperature.
pub const DEFAULT_MAX_TOKENS: u32 = 1024;
pub const DEFAULT_TOP_P: f64 = 0.9;
pub const DEFAULT_TEMPERATURE: f64 = 0.7;
/// The largest output event read (4 MiB): Nova Sonic's are a few KB (100 ms of speech is
/// 6.4 KB of base64).
pub const MAX_OUTPUT_EVENT_LEN: usize = 4 << 20;
/// The longest content or tool-use id read (Nova Sonic's are UUIDs, 36 bytes).
pub const MAX_ID_LEN: usize = 256;
/// How many open speculative contents are remembered; beyond it the oldest is forgotten (its
/// text would then read as final).
pub const MAX_TRACKED_CONTENTS: usize = 64;

/// Why an event could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SonicError {
    /// An output event longer than [`MAX_OUTPUT_EVENT_LEN`].
    TooLarge { len: usize },
    /// An output event that is not JSON (the parser's words).
    NotJson(String),
    /// JSON that is not `{"event":{"<name>":{…}}}` with one name.
    NotAnEvent,
    /// A member of a known event with the wrong type (or an id over [`MAX_ID_LEN`]).
    Field {
        event: &'static str,
        field: &'static str,
        expected: &'static str,
    },
    /// An option of the input that Nova Sonic cannot take.
    Option {
        name: &'static str,
        expected: &'static str,
    },
    /// The tools are not what `promptStart` can carry.
    Tools(&'static str),
    /// The session's input has ended ([`Session::end`]).
    Ended,
}

impl fmt::Display for SonicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { len } => write!(
                f,
                "a Nova Sonic event of {len} bytes is over the {MAX_OUTPUT_EVENT_LEN} read"
            ),
            Self::NotJson(e) => write!(f, "a Nova Sonic event is not JSON: {e}"),
            Self::NotAnEvent => {
                f.write_str("a Nova Sonic event is not {\"event\":{\"<name>\":{…}}} with one name")
            }
            Self::Field {
                event,
                field,
                expected,
            } => write!(f, "Nova Sonic's {event}.{field} is not {expected}"),
            Self::Option { name, expected } => write!(f, "{name} must be {expected}"),
            Self::Tools(what) => write!(f, "tools: {what}"),
            Self::Ended => f.write_str("this Nova Sonic session has ended: open a new one"),
        }
    }
}

impl std::error::Error for SonicError {}

impl From<SonicError> for Error {
    /// What the service sent: `ResponseShape`; what the caller passed: `Input`.
    fn from(e: SonicError) -> Self {
        match e {
            SonicError::TooLarge { .. }
            | SonicError::NotJson(_)
            | SonicError::NotAnEvent
            | SonicError::Field { .. } => Error::response_shape(e.to_string()),
            _ => Error::input(e.to_string()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Input.

/// Who a text content is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
    System,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "USER",
            Role::Assistant => "ASSISTANT",
            Role::System => "SYSTEM",
        }
    }

    /// `USER`, `ASSISTANT` or `SYSTEM`.
    pub fn from_name(name: &str) -> Result<Self, SonicError> {
        match name {
            "USER" => Ok(Role::User),
            "ASSISTANT" => Ok(Role::Assistant),
            "SYSTEM" => Ok(Role::System),
            _ => Err(SonicError::Option {
                name: "role",
                expected: "USER, ASSISTANT or SYSTEM",
            }),
        }
    }
}

/// What a content carries, for its `contentStart`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Content<'a> {
    /// Typed text (`textInput`); `interactive: false` is history.
    Text { role: Role, interactive: bool },
    /// The microphone (`audioInput`): 16-bit mono PCM at `sample_rate`, always USER.
    Audio { sample_rate: u32 },
    /// The result of the tool use `tool_use_id` (`toolResult`), as text.
    ToolResult { tool_use_id: &'a str },
}

/// The tools of `promptStart`, as Nova Sonic takes them (`inputSchema.json` as JSON text):
/// the JSON array, written.
#[derive(Debug, Clone, PartialEq)]
pub struct Tools(String);

/// The schema of a tool that gives none: an object with no properties.
const NO_SCHEMA: &str = "{\"type\":\"object\",\"properties\":{}}";

impl Tools {
    /// A JSON array of `{ toolSpec: { name, description?, inputSchema?: { json } } }` (or of
    /// the specs themselves); `json` may be an object or JSON text (no schema: an object
    /// with no properties).
    pub fn from_json(json: &[u8]) -> Result<Self, SonicError> {
        let list: Value =
            super::json::from_slice_lenient(json).map_err(|_| SonicError::Tools("not JSON"))?;
        let list = list.as_array().ok_or(SonicError::Tools("not an array"))?;
        let mut w = JsonWriter(b"[".to_vec());
        for tool in list {
            let spec =
                tool.get("toolSpec")
                    .unwrap_or(tool)
                    .as_object()
                    .ok_or(SonicError::Tools(
                        "each tool must be { toolSpec: { name, … } }",
                    ))?;
            if !spec.get("name").is_some_and(Value::is_string) {
                return Err(SonicError::Tools("each tool needs a name"));
            }
            if w.0.len() > 1 {
                w.raw(",");
            }
            w.raw("{\"toolSpec\":{");
            for (k, v) in spec.iter().filter(|(k, _)| *k != "inputSchema") {
                if !w.0.ends_with(b"{") {
                    w.raw(",");
                }
                w.string(k).raw(":").value(v);
            }
            let schema = spec.get("inputSchema").and_then(|s| s.get("json"));
            w.key("inputSchema").raw("{").key("json");
            match schema {
                Some(Value::String(s)) => w.string(s),
                Some(v) => w.string(&super::json::text(v)),
                None => w.string(NO_SCHEMA),
            };
            w.raw("}}}");
        }
        w.raw("]");
        // Only valid UTF-8 was written.
        Ok(Self(String::from_utf8(w.0).unwrap_or_default()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.len() <= 2
    }
}

/// One input event. [`to_json`](Self::to_json) writes it as the service reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Input<'a> {
    SessionStart {
        max_tokens: u32,
        top_p: f64,
        temperature: f64,
    },
    /// Text out, speech out at `sample_rate` in `voice_id`, and the tools (none: no tool
    /// configuration).
    PromptStart {
        prompt: &'a str,
        voice_id: &'a str,
        sample_rate: u32,
        tools: Option<&'a Tools>,
    },
    ContentStart {
        prompt: &'a str,
        content: &'a str,
        kind: Content<'a>,
    },
    TextInput {
        prompt: &'a str,
        content: &'a str,
        text: &'a str,
    },
    /// PCM, sent as base64.
    AudioInput {
        prompt: &'a str,
        content: &'a str,
        pcm: &'a [u8],
    },
    ToolResult {
        prompt: &'a str,
        content: &'a str,
        result: &'a str,
    },
    ContentEnd {
        prompt: &'a str,
        content: &'a str,
    },
    PromptEnd {
        prompt: &'a str,
    },
    SessionEnd,
}

/// The members every audio configuration has: 16-bit mono PCM at `rate`, base64; the
/// object is left open.
fn lpcm(w: &mut JsonWriter, key: &str, rate: u32) {
    w.key(key)
        .raw("{\"mediaType\":\"audio/lpcm\"")
        .key("sampleRateHertz")
        .int(rate.into())
        .raw(",\"sampleSizeBits\":16,\"channelCount\":1,\"audioType\":\"SPEECH\",\"encoding\":\"base64\"");
}

fn names(w: &mut JsonWriter, prompt: &str, content: &str) {
    w.str("promptName", prompt).str("contentName", content);
}

impl Input<'_> {
    /// The event as the service reads it: `{"event":{"<name>":{…}}}`, UTF-8 JSON.
    pub fn to_json(&self) -> Vec<u8> {
        let mut w = JsonWriter(Vec::with_capacity(match self {
            Input::AudioInput { pcm, .. } => pcm.len().div_ceil(3) * 4 + 96,
            _ => 160,
        }));
        w.raw("{\"event\":{\"").raw(self.name()).raw("\":{");
        match *self {
            Input::SessionStart {
                max_tokens,
                top_p,
                temperature,
            } => {
                w.key("inferenceConfiguration")
                    .raw("{")
                    .key("maxTokens")
                    .int(max_tokens.into())
                    .key("topP")
                    .value(&top_p.into())
                    .key("temperature")
                    .value(&temperature.into())
                    .raw("}");
            }
            Input::PromptStart {
                prompt,
                voice_id,
                sample_rate,
                tools,
            } => {
                w.str("promptName", prompt)
                    .raw(",\"textOutputConfiguration\":{\"mediaType\":\"text/plain\"}");
                lpcm(&mut w, "audioOutputConfiguration", sample_rate);
                w.str("voiceId", voice_id).raw("}");
                if let Some(tools) = tools.filter(|t| !t.is_empty()) {
                    w.raw(",\"toolUseOutputConfiguration\":{\"mediaType\":\"application/json\"},\"toolConfiguration\":{\"tools\":")
                        .raw(&tools.0)
                        .raw("}");
                }
            }
            Input::ContentStart {
                prompt,
                content,
                kind,
            } => {
                names(&mut w, prompt, content);
                match kind {
                    Content::Text { role, interactive } => {
                        w.str("type", "TEXT")
                            .str("role", role.as_str())
                            .key("interactive")
                            .raw(if interactive { "true" } else { "false" })
                            .raw(",\"textInputConfiguration\":{\"mediaType\":\"text/plain\"}");
                    }
                    Content::Audio { sample_rate } => {
                        w.raw(",\"type\":\"AUDIO\",\"role\":\"USER\",\"interactive\":true");
                        lpcm(&mut w, "audioInputConfiguration", sample_rate);
                        w.raw("}");
                    }
                    Content::ToolResult { tool_use_id } => {
                        w.raw(",\"type\":\"TOOL\",\"role\":\"TOOL\",\"interactive\":false,\"toolResultInputConfiguration\":{")
                            .str("toolUseId", tool_use_id)
                            .raw(",\"type\":\"TEXT\",\"textInputConfiguration\":{\"mediaType\":\"text/plain\"}}");
                    }
                }
            }
            Input::TextInput {
                prompt,
                content,
                text: value,
            }
            | Input::ToolResult {
                prompt,
                content,
                result: value,
            } => {
                names(&mut w, prompt, content);
                w.str("content", value);
            }
            Input::AudioInput {
                prompt,
                content,
                pcm,
            } => {
                names(&mut w, prompt, content);
                w.key("content").raw("\"");
                super::bidi::base64_into(&mut w.0, pcm);
                w.raw("\"");
            }
            Input::ContentEnd { prompt, content } => names(&mut w, prompt, content),
            Input::PromptEnd { prompt } => {
                w.str("promptName", prompt);
            }
            Input::SessionEnd => {}
        }
        w.raw("}}}");
        w.0
    }

    /// The event's name on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Input::SessionStart { .. } => "sessionStart",
            Input::PromptStart { .. } => "promptStart",
            Input::ContentStart { .. } => "contentStart",
            Input::TextInput { .. } => "textInput",
            Input::AudioInput { .. } => "audioInput",
            Input::ToolResult { .. } => "toolResult",
            Input::ContentEnd { .. } => "contentEnd",
            Input::PromptEnd { .. } => "promptEnd",
            Input::SessionEnd => "sessionEnd",
        }
    }
}

/// How a session starts: `sessionStart`'s inference settings (Nova Sonic's defaults where
/// `None`), the voice and speech rate of `promptStart`, its tools and the system prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig<'a> {
    pub max_tokens: Option<u32>,
    pub top_p: Option<f64>,
    pub temperature: Option<f64>,
    pub voice_id: &'a str,
    pub output_sample_rate: u32,
    pub tools: Option<&'a Tools>,
    /// Sent as a SYSTEM text content unless blank.
    pub system_prompt: &'a str,
}

impl Default for SessionConfig<'_> {
    fn default() -> Self {
        Self {
            max_tokens: None,
            top_p: None,
            temperature: None,
            voice_id: DEFAULT_VOICE,
            output_sample_rate: OUTPUT_SAMPLE_RATE,
            tools: None,
            system_prompt: "",
        }
    }
}

fn check_rate(name: &'static str, rate: u32) -> Result<u32, SonicError> {
    if SAMPLE_RATES.contains(&rate) {
        Ok(rate)
    } else {
        Err(SonicError::Option {
            name,
            expected: "8000, 16000 or 24000",
        })
    }
}

fn check_unit(name: &'static str, x: Option<f64>, default: f64) -> Result<f64, SonicError> {
    match x {
        None => Ok(default),
        Some(x) if x.is_finite() => Ok(x),
        Some(_) => Err(SonicError::Option {
            name,
            expected: "a finite number",
        }),
    }
}

/// The input of one Nova Sonic session (one prompt): each call gives the events to send next,
/// in order, with the prompt's name and numbered content names filled in.
#[derive(Debug, Clone)]
pub struct Session {
    prompt: String,
    contents: u32,
    input_rate: u32,
    /// The microphone's content, while open.
    audio: Option<String>,
    ended: bool,
}

impl Session {
    /// A session whose prompt is named `prompt` (unique enough, e.g. from the time: the
    /// caller holds the clock) and whose microphone sends PCM at `input_sample_rate`.
    pub fn new(prompt: &str, input_sample_rate: u32) -> Result<Self, SonicError> {
        Ok(Self {
            prompt: prompt.to_owned(),
            contents: 0,
            input_rate: check_rate("inputSampleRate", input_sample_rate)?,
            audio: None,
            ended: false,
        })
    }

    /// [`new`](Self::new) with the microphone at [`INPUT_SAMPLE_RATE`].
    pub fn named(prompt: &str) -> Self {
        Self {
            prompt: prompt.to_owned(),
            contents: 0,
            input_rate: INPUT_SAMPLE_RATE,
            audio: None,
            ended: false,
        }
    }

    pub fn prompt_name(&self) -> &str {
        &self.prompt
    }

    fn next_content(&mut self) -> String {
        self.contents += 1;
        format!("content-{}", self.contents)
    }

    fn open(&self) -> Result<(), SonicError> {
        if self.ended {
            Err(SonicError::Ended)
        } else {
            Ok(())
        }
    }

    /// `sessionStart`, `promptStart` and, unless blank, the system prompt as a SYSTEM text
    /// content.
    pub fn start(&mut self, config: &SessionConfig) -> Result<Vec<Vec<u8>>, SonicError> {
        self.open()?;
        let session = Input::SessionStart {
            max_tokens: config.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
            top_p: check_unit("topP", config.top_p, DEFAULT_TOP_P)?,
            temperature: check_unit("temperature", config.temperature, DEFAULT_TEMPERATURE)?,
        };
        let prompt = Input::PromptStart {
            prompt: &self.prompt,
            voice_id: config.voice_id,
            sample_rate: check_rate("outputSampleRate", config.output_sample_rate)?,
            tools: config.tools,
        };
        let mut out = vec![session.to_json(), prompt.to_json()];
        if !config.system_prompt.trim().is_empty() {
            out.extend(self.text(Role::System, config.system_prompt, false)?);
        }
        Ok(out)
    }

    /// One `audioInput` of PCM at the session's input rate, opening the microphone's content
    /// first if it is not open.
    pub fn audio(&mut self, pcm: &[u8]) -> Result<Vec<Vec<u8>>, SonicError> {
        self.open()?;
        let mut out = Vec::with_capacity(2);
        let content = match &self.audio {
            Some(c) => c.clone(),
            None => {
                let c = self.next_content();
                let kind = Content::Audio {
                    sample_rate: self.input_rate,
                };
                out.push(self.content_start(&c, kind));
                self.audio = Some(c.clone());
                c
            }
        };
        out.push(
            Input::AudioInput {
                prompt: &self.prompt,
                content: &content,
                pcm,
            }
            .to_json(),
        );
        Ok(out)
    }

    /// Ends the microphone's content, if open (the next [`audio`](Self::audio) opens another).
    pub fn end_audio(&mut self) -> Vec<Vec<u8>> {
        match self.audio.take() {
            Some(c) => vec![self.content_end(&c)],
            None => Vec::new(),
        }
    }

    /// A text content: `contentStart`, `textInput`, `contentEnd`.
    pub fn text(
        &mut self,
        role: Role,
        text: &str,
        interactive: bool,
    ) -> Result<Vec<Vec<u8>>, SonicError> {
        self.open()?;
        let c = self.next_content();
        let input = Input::TextInput {
            prompt: &self.prompt,
            content: &c,
            text,
        };
        Ok(vec![
            self.content_start(&c, Content::Text { role, interactive }),
            input.to_json(),
            self.content_end(&c),
        ])
    }

    /// The result of a tool use, as text: `contentStart`, `toolResult`, `contentEnd`.
    pub fn tool_result(
        &mut self,
        tool_use_id: &str,
        result: &str,
    ) -> Result<Vec<Vec<u8>>, SonicError> {
        self.open()?;
        let c = self.next_content();
        let input = Input::ToolResult {
            prompt: &self.prompt,
            content: &c,
            result,
        };
        Ok(vec![
            self.content_start(&c, Content::ToolResult { tool_use_id }),
            input.to_json(),
            self.content_end(&c),
        ])
    }

    /// The end of the input: the microphone's `contentEnd` if open, `promptEnd`,
    /// `sessionEnd`. Nothing after a first end.
    pub fn end(&mut self) -> Vec<Vec<u8>> {
        if self.ended {
            return Vec::new();
        }
        let mut out = self.end_audio();
        out.push(
            Input::PromptEnd {
                prompt: &self.prompt,
            }
            .to_json(),
        );
        out.push(Input::SessionEnd.to_json());
        self.ended = true;
        out
    }

    /// Whether [`end`](Self::end) was called.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    fn content_start(&self, content: &str, kind: Content) -> Vec<u8> {
        Input::ContentStart {
            prompt: &self.prompt,
            content,
            kind,
        }
        .to_json()
    }

    fn content_end(&self, content: &str) -> Vec<u8> {
        Input::ContentEnd {
            prompt: &self.prompt,
            content,
        }
        .to_json()
    }
}

// ---------------------------------------------------------------------------------------------
// Output.

/// One output event, parsed: the name and body of `{"event":{"<name>":{…}}}`.
/// [`OutputReader::read`] reads it into an [`Output`] that borrows from it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputEvent {
    pub name: String,
    /// Always a JSON object.
    pub body: Value,
}

impl OutputEvent {
    /// Parses one output event (the bytes of a bidirectional stream's chunk).
    pub fn parse(bytes: &[u8]) -> Result<Self, SonicError> {
        if bytes.len() > MAX_OUTPUT_EVENT_LEN {
            return Err(SonicError::TooLarge { len: bytes.len() });
        }
        let v: Value = super::json::from_slice_lenient(bytes)
            .map_err(|e| SonicError::NotJson(e.to_string()))?;
        let Value::Object(mut outer) = v else {
            return Err(SonicError::NotAnEvent);
        };
        // Taken, not `remove`d (`outer` is dropped): the map's removal code costs ~1 KB gzip.
        match (outer.len(), outer.get_mut("event").map(Value::take)) {
            (1, Some(Value::Object(inner))) if inner.len() == 1 => match inner.into_iter().next() {
                Some((name, body @ Value::Object(_))) => Ok(Self { name, body }),
                _ => Err(SonicError::NotAnEvent),
            },
            _ => Err(SonicError::NotAnEvent),
        }
    }
}

/// One output event, read; its strings and bodies borrow from the [`OutputEvent`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Output<'a> {
    /// What was heard (`role` USER) or is being said (ASSISTANT). `final_text` is false for
    /// the text of a `SPECULATIVE` content (said before the speech), true otherwise.
    Transcript {
        role: &'a str,
        text: &'a str,
        final_text: bool,
        content_id: Option<&'a str>,
    },
    /// The user spoke over the answer (a `textOutput` of `{"interrupted":true}`): stop
    /// playing it.
    Interrupted { content_id: Option<&'a str> },
    /// Speech: 16-bit little-endian mono PCM at the prompt's output rate.
    Audio {
        pcm: Vec<u8>,
        content_id: Option<&'a str>,
    },
    /// The model asks for a tool; `input` is the content as sent (JSON text).
    ToolUse {
        tool_use_id: &'a str,
        tool_name: &'a str,
        input: &'a str,
        content_id: Option<&'a str>,
    },
    /// The session's totals so far; `details` (an object) with this turn's `delta`.
    Usage {
        input_tokens: u64,
        output_tokens: u64,
        total_tokens: u64,
        details: Option<&'a Value>,
    },
    /// The end of one answer.
    CompletionEnd { stop_reason: &'a str },
    /// A content begins (`kind`: TEXT, AUDIO, TOOL); `body` is the event as sent.
    ContentStart {
        content_id: Option<&'a str>,
        kind: &'a str,
        role: &'a str,
        speculative: bool,
        body: &'a Value,
    },
    /// A content ends; `stop_reason` such as PARTIAL_TURN, END_TURN, INTERRUPTED.
    ContentEnd {
        content_id: Option<&'a str>,
        kind: &'a str,
        stop_reason: &'a str,
        body: &'a Value,
    },
    /// Any other event (`completionStart`, …): its name and body as sent.
    Other { name: &'a str, body: &'a Value },
}

/// Reads a session's output events in order; remembers which contents are speculative.
#[derive(Debug, Clone, Default)]
pub struct OutputReader {
    /// Oldest first (at most [`MAX_TRACKED_CONTENTS`]: a shift is cheap).
    speculative: Vec<String>,
}

/// The members of one event's body, read with its name for the errors.
struct Body<'a> {
    event: &'static str,
    body: &'a Value,
}

impl<'a> Body<'a> {
    fn str(&self, field: &'static str) -> Result<Option<&'a str>, SonicError> {
        match self.body.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong(field, "a string")),
        }
    }

    fn text(&self, field: &'static str) -> Result<&'a str, SonicError> {
        Ok(self.str(field)?.unwrap_or_default())
    }

    fn id(&self, field: &'static str) -> Result<Option<&'a str>, SonicError> {
        match self.str(field)? {
            Some(s) if s.len() > MAX_ID_LEN => Err(self.wrong(field, "an id of at most 256 bytes")),
            s => Ok(s),
        }
    }

    fn count(&self, field: &'static str) -> Result<u64, SonicError> {
        match self.body.get(field) {
            None | Some(Value::Null) => Ok(0),
            Some(v) => v
                .as_u64()
                .ok_or_else(|| self.wrong(field, "a whole number of tokens")),
        }
    }

    fn wrong(&self, field: &'static str, expected: &'static str) -> SonicError {
        SonicError::Field {
            event: self.event,
            field,
            expected,
        }
    }
}

/// The object `text` holds, if it is JSON text of one.
fn object(text: &str) -> Option<Map<String, Value>> {
    match serde_json::from_slice(text.as_bytes()) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// Whether a `textOutput`'s content is Nova Sonic's barge-in mark, `{"interrupted":true}`.
fn is_interruption(text: &str) -> bool {
    text.trim_start().starts_with('{')
        && object(text).is_some_and(|m| {
            m.len() == 1 && m.get("interrupted").and_then(Value::as_bool) == Some(true)
        })
}

impl OutputReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads one parsed output event ([`OutputEvent::parse`]).
    #[inline(never)]
    pub fn read<'a>(&mut self, event: &'a OutputEvent) -> Result<Output<'a>, SonicError> {
        let map = &event.body;
        let body = |event| Body { event, body: map };
        Ok(match event.name.as_str() {
            "textOutput" => {
                let b = body("textOutput");
                let text = b.text("content")?;
                let content_id = b.id("contentId")?;
                if is_interruption(text) {
                    Output::Interrupted { content_id }
                } else {
                    Output::Transcript {
                        role: b.text("role")?,
                        text,
                        final_text: !content_id
                            .is_some_and(|id| self.speculative.iter().any(|s| s == id)),
                        content_id,
                    }
                }
            }
            "audioOutput" => {
                let b = body("audioOutput");
                let pcm = base64::engine::general_purpose::STANDARD
                    .decode(b.text("content")?)
                    .map_err(|_| b.wrong("content", "base64"))?;
                Output::Audio {
                    pcm,
                    content_id: b.id("contentId")?,
                }
            }
            "toolUse" => {
                let b = body("toolUse");
                Output::ToolUse {
                    tool_use_id: b
                        .id("toolUseId")?
                        .ok_or_else(|| b.wrong("toolUseId", "an id of at most 256 bytes"))?,
                    tool_name: b.text("toolName")?,
                    input: b.text("content")?,
                    content_id: b.id("contentId")?,
                }
            }
            "usageEvent" => {
                let b = body("usageEvent");
                let details = match map.get("details") {
                    None | Some(Value::Null) => None,
                    Some(d @ Value::Object(_)) => Some(d),
                    Some(_) => return Err(b.wrong("details", "an object")),
                };
                Output::Usage {
                    input_tokens: b.count("totalInputTokens")?,
                    output_tokens: b.count("totalOutputTokens")?,
                    total_tokens: b.count("totalTokens")?,
                    details,
                }
            }
            "completionEnd" => Output::CompletionEnd {
                stop_reason: body("completionEnd").text("stopReason")?,
            },
            "contentStart" => {
                let b = body("contentStart");
                let content_id = b.id("contentId")?;
                // `additionalModelFields` is JSON text: `{"generationStage":"SPECULATIVE"}`.
                let speculative = b
                    .str("additionalModelFields")?
                    .and_then(object)
                    .is_some_and(|m| {
                        m.get("generationStage").and_then(Value::as_str) == Some("SPECULATIVE")
                    });
                if let (true, Some(id)) = (speculative, content_id) {
                    if self.speculative.len() == MAX_TRACKED_CONTENTS {
                        self.speculative.remove(0);
                    }
                    self.speculative.push(id.to_owned());
                }
                Output::ContentStart {
                    kind: b.text("type")?,
                    role: b.text("role")?,
                    speculative,
                    body: map,
                    content_id,
                }
            }
            "contentEnd" => {
                let b = body("contentEnd");
                let content_id = b.id("contentId")?;
                if let Some(id) = content_id {
                    self.speculative.retain(|s| s != id);
                }
                Output::ContentEnd {
                    kind: b.text("type")?,
                    stop_reason: b.text("stopReason")?,
                    body: map,
                    content_id,
                }
            }
            name => Output::Other { name, body: map },
        })
    }
}

#[cfg(test)]
mod tests;
