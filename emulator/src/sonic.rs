//! Amazon Nova Sonic, deterministically: the input events of one
//! InvokeModelWithBidirectionalStream session checked in order, and the output events of each
//! turn (README, "InvokeModelWithBidirectionalStream"). No I/O here: `server/bidi.rs` feeds
//! events in and sends what comes out.

use std::collections::HashMap;

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::answer::{answer_for, fnv1a, Rng};

/// The model ids served (and their `us.`/`eu.`/… inference profiles).
pub const SONIC_MODELS: [&str; 2] = ["amazon.nova-sonic-v1:0", "amazon.nova-2-sonic-v1:0"];

/// Whether a model id (without a fault prefix) is a Nova Sonic model or a system inference
/// profile of one (`us.amazon.nova-sonic-v1:0`).
pub fn is_sonic_model(model_id: &str) -> bool {
    let bare = match model_id.split_once('.') {
        Some(("us" | "eu" | "apac" | "global" | "us-gov" | "ca" | "jp" | "au", rest)) => rest,
        _ => model_id,
    };
    let bare = bare
        .strip_prefix("arn:aws:bedrock:")
        .and_then(|r| r.split_once("foundation-model/").map(|(_, m)| m))
        .unwrap_or(bare);
    SONIC_MODELS.contains(&bare)
}

/// A sample at least this loud (absolute value) counts as sound for turn detection.
pub const LOUD: i32 = 1000;
/// This much quiet after some sound ends a spoken turn inside an open audio content.
pub const END_OF_SPEECH_MS: u64 = 800;
/// Synthesized speech lasts this long per answer token…
pub const SPEECH_MS_PER_TOKEN: u64 = 20;
/// …but at most this long.
pub const MAX_SPEECH_MS: u64 = 30_000;
/// Each `audioOutput` event carries at most this much speech.
pub const AUDIO_CHUNK_MS: u64 = 200;
/// `sessionStart.inferenceConfiguration.maxTokens` when absent.
pub const DEFAULT_MAX_TOKENS: u32 = 1024;
const SAMPLE_RATES: [u64; 3] = [8000, 16000, 24000];

/// The transcript the emulator "hears" in `samples` samples at `sample_rate` Hz whose
/// loudest has absolute value `peak`: `heard {ms} ms of audio, peak {peak}` (ms rounded
/// down).
pub fn sonic_audio_transcript(samples: u64, sample_rate: u32, peak: u32) -> String {
    let ms = samples.saturating_mul(1000) / u64::from(sample_rate.max(1));
    format!("heard {ms} ms of audio, peak {peak}")
}

/// [`sonic_audio_transcript`] of little-endian 16-bit mono PCM bytes (an odd last byte is
/// ignored).
pub fn sonic_pcm_transcript(pcm: &[u8], sample_rate: u32) -> String {
    let peak = pcm
        .chunks_exact(2)
        .map(|s| i32::from(i16::from_le_bytes([s[0], s[1]])).unsigned_abs())
        .max()
        .unwrap_or(0);
    sonic_audio_transcript((pcm.len() / 2) as u64, sample_rate, peak)
}

/// What the assistant says to `transcript`: [`answer_for`]`(transcript, max_tokens, &[])`,
/// its text trimmed of surrounding whitespace.
pub fn sonic_answer(transcript: &str, max_tokens: u32) -> String {
    answer_for(transcript, max_tokens, &[])
        .text()
        .trim()
        .to_owned()
}

/// The number of answer tokens [`sonic_answer`] counts (for `usageEvent` and the speech length).
pub fn sonic_answer_tokens(transcript: &str, max_tokens: u32) -> u64 {
    answer_for(transcript, max_tokens, &[]).tokens.len() as u64
}

/// The synthesized speech of an answer of `tokens` tokens: 16-bit little-endian mono PCM at
/// `sample_rate` Hz, `min(20 ms × tokens, 30 s)` long, a 500 Hz triangle wave of amplitude
/// 8000 (integer arithmetic, so identical everywhere): sample `n` with period `p =
/// sample_rate / 500` and `q = n mod p` is `-8000 + 32000·q/p` while `q < p/2`, else
/// `24000 - 32000·q/p` (divisions rounding toward zero).
pub fn sonic_speech(tokens: u64, sample_rate: u32) -> Vec<u8> {
    let ms = tokens
        .saturating_mul(SPEECH_MS_PER_TOKEN)
        .min(MAX_SPEECH_MS);
    // Nova Sonic's rates are 8–24 kHz; anything above 192 kHz is taken as 192 kHz.
    let rate = u64::from(sample_rate.min(192_000));
    let samples = rate * ms / 1000;
    let p = (rate / 500).max(2) as i64;
    let mut out = Vec::with_capacity(samples as usize * 2);
    for n in 0..samples as i64 {
        let q = n % p;
        let v = if q < p / 2 {
            -8000 + 32000 * q / p
        } else {
            24000 - 32000 * q / p
        };
        out.extend_from_slice(&(v as i16).to_le_bytes());
    }
    out
}

/// Why an input event is refused (a `validationException` for the client).
pub(crate) type Invalid = String;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Audio,
    Tool,
}

#[derive(Debug)]
struct Content {
    kind: Kind,
    role: String,
    text: String,
    rate: u64,
    /// A byte of a sample split across two `audioInput` events.
    carry: Option<u8>,
    /// Samples since the content began or since its last answered turn.
    seg_samples: u64,
    seg_peak: u32,
    seg_loud: bool,
    quiet_run: u64,
    turns: u32,
    /// `interactive` (absent counts as true): a USER text content with `false` is history,
    /// not a question.
    interactive: bool,
    /// TOOL contents: the `toolUseId` they answer.
    tool_use_id: Option<String>,
}

#[derive(Debug)]
struct Prompt {
    name: String,
    output_rate: u32,
    contents: HashMap<String, Content>,
    /// `toolConfiguration.tools[].toolSpec.name`.
    tools: Vec<String>,
}

/// Token counts of `usageEvent`.
#[derive(Debug, Default, Clone, Copy)]
struct Usage {
    in_speech: u64,
    in_text: u64,
    out_speech: u64,
    out_text: u64,
}

/// One session's state: the events seen so far and the turns answered.
#[derive(Debug, Default)]
pub(crate) struct Session {
    started: bool,
    ended: bool,
    max_tokens: u32,
    prompt: Option<Prompt>,
    prompts_done: Vec<String>,
    rng: Option<Rng>,
    session_id: String,
    total: Usage,
    /// `toolUseId`s sent and not yet answered by a tool result.
    pending_tools: Vec<String>,
    /// Turns answered.
    pub(crate) turns: usize,
    /// Decoded `audioInput` bytes received.
    pub(crate) audio_bytes: u64,
}

fn obj<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, Invalid> {
    v.as_object()
        .ok_or_else(|| format!("{what} must be a JSON object"))
}

fn string<'a>(m: &'a Map<String, Value>, key: &str, what: &str) -> Result<&'a str, Invalid> {
    match m.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) => Err(format!("{what}.{key} must not be empty")),
        Some(_) => Err(format!("{what}.{key} must be a string")),
        None => Err(format!("{what}.{key} is required")),
    }
}

/// Checks an audio configuration (`audioInputConfiguration` / `audioOutputConfiguration`);
/// returns its sample rate.
fn audio_config(v: Option<&Value>, what: &str, output: bool) -> Result<u64, Invalid> {
    let v = v.ok_or_else(|| format!("{what} is required"))?;
    let m = obj(v, what)?;
    if string(m, "mediaType", what)? != "audio/lpcm" {
        return Err(format!("{what}.mediaType must be audio/lpcm"));
    }
    let rate = m
        .get("sampleRateHertz")
        .and_then(Value::as_u64)
        .filter(|r| SAMPLE_RATES.contains(r))
        .ok_or_else(|| format!("{what}.sampleRateHertz must be 8000, 16000 or 24000"))?;
    if m.get("sampleSizeBits").and_then(Value::as_u64) != Some(16) {
        return Err(format!("{what}.sampleSizeBits must be 16"));
    }
    if m.get("channelCount").and_then(Value::as_u64) != Some(1) {
        return Err(format!("{what}.channelCount must be 1"));
    }
    if let Some(e) = m.get("encoding") {
        if e != "base64" {
            return Err(format!("{what}.encoding must be base64"));
        }
    }
    if let Some(t) = m.get("audioType") {
        if t != "SPEECH" {
            return Err(format!("{what}.audioType must be SPEECH"));
        }
    }
    if output {
        string(m, "voiceId", what)?;
    }
    Ok(rate)
}

impl Session {
    pub(crate) fn new() -> Self {
        Session::default()
    }

    fn id(&mut self) -> String {
        let rng = self.rng.get_or_insert_with(|| Rng::new(0x50_41c));
        crate::ids::uuid(rng)
    }

    /// Takes one input event (`{"event":{"<name>":{…}}}`): returns its name and the output
    /// events of the turns it completes, in order, or why it is refused.
    pub(crate) fn input(&mut self, event: &Value) -> Result<(String, Vec<Value>), Invalid> {
        let outer = obj(event, "the event")?;
        let inner = outer
            .get("event")
            .ok_or("the event must have the form {\"event\":{\"<name>\":{…}}}")?;
        let inner = obj(inner, "event")?;
        let mut it = inner.iter();
        let (Some((name, body)), None) = (it.next(), it.next()) else {
            return Err(
                "event must have exactly one member (sessionStart, promptStart, \
                        contentStart, textInput, audioInput, toolResult, contentEnd, \
                        promptEnd or sessionEnd)"
                    .into(),
            );
        };
        let name = name.clone();
        let body = obj(body, &name)?;
        if self.ended {
            return Err(format!("{name} after sessionEnd: the session is over"));
        }
        if !self.started && name != "sessionStart" {
            return Err(format!("the first event must be sessionStart, not {name}"));
        }
        let out = match name.as_str() {
            "sessionStart" => self.session_start(body, event)?,
            "promptStart" => self.prompt_start(body)?,
            "contentStart" => self.content_start(body)?,
            "textInput" | "toolResult" => self.text_input(&name, body)?,
            "audioInput" => self.audio_input(body)?,
            "contentEnd" => self.content_end(body)?,
            "promptEnd" => self.prompt_end(body)?,
            "sessionEnd" => {
                if self.prompt.is_some() {
                    return Err("sessionEnd while a prompt is open: send promptEnd first".into());
                }
                self.ended = true;
                Vec::new()
            }
            other => return Err(format!("unknown input event {other:?}")),
        };
        Ok((name, out))
    }

    fn session_start(
        &mut self,
        b: &Map<String, Value>,
        event: &Value,
    ) -> Result<Vec<Value>, Invalid> {
        if self.started {
            return Err("a second sessionStart: send it once, first".into());
        }
        let mut max_tokens = DEFAULT_MAX_TOKENS;
        if let Some(cfg) = b.get("inferenceConfiguration") {
            let cfg = obj(cfg, "sessionStart.inferenceConfiguration")?;
            if let Some(m) = cfg.get("maxTokens") {
                max_tokens = m
                    .as_u64()
                    .filter(|m| (1..=100_000).contains(m))
                    .and_then(|m| u32::try_from(m).ok())
                    .ok_or("sessionStart.inferenceConfiguration.maxTokens must be an integer from 1 to 100000")?;
            }
            for key in ["topP", "temperature"] {
                if let Some(v) = cfg.get(key) {
                    v.as_f64()
                        .filter(|x| (0.0..=1.0).contains(x))
                        .ok_or_else(|| format!("sessionStart.inferenceConfiguration.{key} must be a number from 0 to 1"))?;
                }
            }
        }
        self.started = true;
        self.max_tokens = max_tokens;
        self.rng = Some(Rng::new(fnv1a(event.to_string().as_bytes())));
        self.session_id = self.id();
        Ok(Vec::new())
    }

    fn prompt_start(&mut self, b: &Map<String, Value>) -> Result<Vec<Value>, Invalid> {
        if let Some(p) = &self.prompt {
            return Err(format!(
                "promptStart while prompt {:?} is open: send its promptEnd first",
                p.name
            ));
        }
        let name = string(b, "promptName", "promptStart")?.to_owned();
        if self.prompts_done.contains(&name) {
            return Err(format!(
                "promptName {name:?} was already used in this session"
            ));
        }
        let rate = audio_config(
            b.get("audioOutputConfiguration"),
            "promptStart.audioOutputConfiguration",
            true,
        )?;
        if let Some(t) = b.get("textOutputConfiguration") {
            let t = obj(t, "promptStart.textOutputConfiguration")?;
            if string(t, "mediaType", "promptStart.textOutputConfiguration")? != "text/plain" {
                return Err(
                    "promptStart.textOutputConfiguration.mediaType must be text/plain".into(),
                );
            }
        }
        if let Some(t) = b.get("toolUseOutputConfiguration") {
            let t = obj(t, "promptStart.toolUseOutputConfiguration")?;
            if string(t, "mediaType", "promptStart.toolUseOutputConfiguration")?
                != "application/json"
            {
                return Err(
                    "promptStart.toolUseOutputConfiguration.mediaType must be application/json"
                        .into(),
                );
            }
        }
        let mut tools = Vec::new();
        if let Some(cfg) = b.get("toolConfiguration") {
            let what = "promptStart.toolConfiguration";
            let list = obj(cfg, what)?
                .get("tools")
                .and_then(Value::as_array)
                .ok_or_else(|| format!("{what}.tools must be a list"))?;
            for (i, t) in list.iter().enumerate() {
                let spec = t
                    .get("toolSpec")
                    .ok_or_else(|| format!("{what}.tools[{i}].toolSpec is required"))?;
                let spec = obj(spec, &format!("{what}.tools[{i}].toolSpec"))?;
                tools
                    .push(string(spec, "name", &format!("{what}.tools[{i}].toolSpec"))?.to_owned());
            }
        }
        self.prompt = Some(Prompt {
            name,
            output_rate: rate as u32,
            contents: HashMap::new(),
            tools,
        });
        Ok(Vec::new())
    }

    fn open_prompt(&mut self, b: &Map<String, Value>, what: &str) -> Result<&mut Prompt, Invalid> {
        let name = string(b, "promptName", what)?;
        match &self.prompt {
            Some(p) if p.name != name => {
                return Err(format!(
                    "{what}.promptName {name:?} is not the open prompt ({:?})",
                    p.name
                ))
            }
            None => return Err(format!("{what} outside a prompt: send promptStart first")),
            Some(_) => {}
        }
        self.prompt
            .as_mut()
            .ok_or_else(|| format!("{what} outside a prompt: send promptStart first"))
    }

    fn content_start(&mut self, b: &Map<String, Value>) -> Result<Vec<Value>, Invalid> {
        let what = "contentStart";
        let content_name = string(b, "contentName", what)?.to_owned();
        let kind = match string(b, "type", what)? {
            "TEXT" => Kind::Text,
            "AUDIO" => Kind::Audio,
            "TOOL" => Kind::Tool,
            other => {
                return Err(format!(
                    "contentStart.type must be TEXT, AUDIO or TOOL, not {other:?}"
                ))
            }
        };
        let role = string(b, "role", what)?.to_owned();
        if !matches!(role.as_str(), "SYSTEM" | "USER" | "ASSISTANT" | "TOOL") {
            return Err(format!(
                "contentStart.role must be SYSTEM, USER, ASSISTANT or TOOL, not {role:?}"
            ));
        }
        let interactive = match b.get("interactive") {
            None => true,
            Some(Value::Bool(i)) => *i,
            Some(_) => return Err("contentStart.interactive must be a boolean".into()),
        };
        let mut tool_use_id = None;
        let rate = match kind {
            Kind::Audio => {
                if role != "USER" {
                    return Err(format!(
                        "an AUDIO content must have role USER, not {role:?}"
                    ));
                }
                audio_config(
                    b.get("audioInputConfiguration"),
                    "contentStart.audioInputConfiguration",
                    false,
                )?
            }
            Kind::Text => {
                if let Some(t) = b.get("textInputConfiguration") {
                    let t = obj(t, "contentStart.textInputConfiguration")?;
                    if string(t, "mediaType", "contentStart.textInputConfiguration")?
                        != "text/plain"
                    {
                        return Err(
                            "contentStart.textInputConfiguration.mediaType must be text/plain"
                                .into(),
                        );
                    }
                } else {
                    return Err("contentStart.textInputConfiguration is required for TEXT".into());
                }
                0
            }
            Kind::Tool => {
                if role != "TOOL" {
                    return Err(format!("a TOOL content must have role TOOL, not {role:?}"));
                }
                let what = "contentStart.toolResultInputConfiguration";
                let cfg = b
                    .get("toolResultInputConfiguration")
                    .ok_or_else(|| format!("{what} is required for TOOL"))?;
                let id = string(obj(cfg, what)?, "toolUseId", what)?;
                if !self.pending_tools.iter().any(|t| t == id) {
                    return Err(format!(
                        "{what}.toolUseId {id:?} is not a toolUse of this session awaiting its result"
                    ));
                }
                tool_use_id = Some(id.to_owned());
                0
            }
        };
        let p = self.open_prompt(b, what)?;
        if p.contents.contains_key(&content_name) {
            return Err(format!("contentName {content_name:?} is already open"));
        }
        p.contents.insert(
            content_name,
            Content {
                kind,
                role,
                text: String::new(),
                rate,
                carry: None,
                seg_samples: 0,
                seg_peak: 0,
                seg_loud: false,
                quiet_run: 0,
                turns: 0,
                interactive,
                tool_use_id,
            },
        );
        Ok(Vec::new())
    }

    fn content<'a>(
        &'a mut self,
        b: &Map<String, Value>,
        what: &str,
    ) -> Result<(&'a mut Content, u32), Invalid> {
        let name = string(b, "contentName", what)?.to_owned();
        let p = self.open_prompt(b, what)?;
        let rate = p.output_rate;
        let c = p
            .contents
            .get_mut(&name)
            .ok_or_else(|| format!("{what}.contentName {name:?} is not an open content"))?;
        Ok((c, rate))
    }

    fn text_input(&mut self, name: &str, b: &Map<String, Value>) -> Result<Vec<Value>, Invalid> {
        let text = string(b, "content", name)?.to_owned();
        let (c, _) = self.content(b, name)?;
        match (name, c.kind) {
            ("textInput", Kind::Text) | ("toolResult", Kind::Tool) => {}
            _ => {
                return Err(format!(
                    "{name} in a content of type {:?}",
                    format!("{:?}", c.kind).to_uppercase()
                ))
            }
        }
        if c.text.len().saturating_add(text.len()) > crate::answer::MAX_ECHO_BYTES {
            return Err(format!(
                "the text of one content is over {} bytes",
                crate::answer::MAX_ECHO_BYTES
            ));
        }
        c.text.push_str(&text);
        Ok(Vec::new())
    }

    fn audio_input(&mut self, b: &Map<String, Value>) -> Result<Vec<Value>, Invalid> {
        let data = string(b, "content", "audioInput")?;
        let pcm = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|_| "audioInput.content must be base64 (16-bit little-endian mono PCM)")?;
        self.audio_bytes = self.audio_bytes.saturating_add(pcm.len() as u64);
        let (c, _) = self.content(b, "audioInput")?;
        if c.kind != Kind::Audio {
            return Err("audioInput in a content that is not AUDIO".into());
        }
        let mut bytes = pcm.as_slice();
        let mut first = None;
        if let Some(lo) = c.carry.take() {
            if let Some((&hi, rest)) = bytes.split_first() {
                first = Some(i16::from_le_bytes([lo, hi]));
                bytes = rest;
            } else {
                c.carry = Some(lo);
            }
        }
        let pairs = bytes.chunks_exact(2);
        c.carry = pairs.remainder().first().copied();
        let end_quiet = c.rate * END_OF_SPEECH_MS / 1000;
        let mut turn_now = false;
        for s in first
            .into_iter()
            .chain(pairs.map(|s| i16::from_le_bytes([s[0], s[1]])))
        {
            let a = i32::from(s).unsigned_abs();
            c.seg_samples += 1;
            c.seg_peak = c.seg_peak.max(a);
            if a >= LOUD as u32 {
                c.seg_loud = true;
                c.quiet_run = 0;
            } else {
                c.quiet_run += 1;
                if c.seg_loud && c.quiet_run >= end_quiet {
                    // End of speech: the rest of this event starts the next segment.
                    turn_now = true;
                    break;
                }
            }
        }
        // Samples after the end of speech in the same event are dropped from the count: keep
        // the rule simple (a turn ends at the event holding its 800th quiet millisecond).
        if turn_now {
            // The rest of the event is dropped, a split sample's first byte with it.
            c.carry = None;
            let t = sonic_audio_transcript(c.seg_samples, c.rate as u32, c.seg_peak);
            let speech_ms = c.seg_samples * 1000 / c.rate.max(1);
            c.seg_samples = 0;
            c.seg_peak = 0;
            c.seg_loud = false;
            c.quiet_run = 0;
            c.turns += 1;
            return Ok(self.turn(&t, speech_ms, true));
        }
        Ok(Vec::new())
    }

    fn content_end(&mut self, b: &Map<String, Value>) -> Result<Vec<Value>, Invalid> {
        let name = string(b, "contentName", "contentEnd")?.to_owned();
        let p = self.open_prompt(b, "contentEnd")?;
        let c = p
            .contents
            .remove(&name)
            .ok_or_else(|| format!("contentEnd.contentName {name:?} is not an open content"))?;
        match (c.kind, c.role.as_str()) {
            (Kind::Text, "USER") if c.interactive => Ok(self.turn(&c.text, 0, true)),
            (Kind::Audio, _) if c.seg_samples > 0 && (c.seg_loud || c.turns == 0) => {
                let t = sonic_audio_transcript(c.seg_samples, c.rate as u32, c.seg_peak);
                let speech_ms = c.seg_samples * 1000 / c.rate.max(1);
                Ok(self.turn(&t, speech_ms, true))
            }
            (Kind::Tool, _) => {
                self.pending_tools
                    .retain(|t| Some(t) != c.tool_use_id.as_ref());
                let t = format!("tool result: {}", c.text);
                Ok(self.turn(&t, 0, false))
            }
            _ => Ok(Vec::new()),
        }
    }

    fn prompt_end(&mut self, b: &Map<String, Value>) -> Result<Vec<Value>, Invalid> {
        let p = self.open_prompt(b, "promptEnd")?;
        if let Some(open) = p.contents.keys().next() {
            return Err(format!(
                "promptEnd while content {open:?} is open: send its contentEnd first"
            ));
        }
        let name = p.name.clone();
        self.prompt = None;
        self.prompts_done.push(name);
        Ok(Vec::new())
    }

    /// The output events of one turn answering `transcript` (`user_block`: start with the
    /// USER transcript block; a tool result's continuation has none).
    fn turn(&mut self, transcript: &str, speech_ms: u64, user_block: bool) -> Vec<Value> {
        let Some(prompt) = &self.prompt else {
            return Vec::new();
        };
        let prompt_name = prompt.name.clone();
        let rate = prompt.output_rate;
        // A tool named in the prompt's toolConfiguration and asked for with `use <name>`.
        let tool = prompt
            .tools
            .iter()
            .find(|t| user_block && transcript.contains(&format!("use {t}")))
            .cloned();
        self.turns += 1;
        let completion_id = self.id();
        let session_id = self.session_id.clone();
        let ids = json!({
            "sessionId": session_id,
            "promptName": prompt_name,
            "completionId": completion_id,
        });
        let with = |extra: Value| -> Value {
            let mut m = ids.as_object().cloned().unwrap_or_default();
            if let Value::Object(e) = extra {
                m.extend(e);
            }
            Value::Object(m)
        };
        let ev = |name: &str, body: Value| json!({ "event": { name: body } });
        let mut out = vec![ev("completionStart", with(json!({})))];
        let text_block = |out: &mut Vec<Value>,
                          id: String,
                          role: &str,
                          stage: &str,
                          content: &str,
                          stop: &str| {
            out.push(ev(
                "contentStart",
                with(json!({
                    "contentId": id,
                    "type": "TEXT",
                    "role": role,
                    "additionalModelFields": format!("{{\"generationStage\":\"{stage}\"}}"),
                    "textOutputConfiguration": { "mediaType": "text/plain" },
                })),
            ));
            out.push(ev(
                "textOutput",
                with(json!({ "contentId": id, "role": role, "content": content })),
            ));
            out.push(ev(
                "contentEnd",
                with(json!({ "contentId": id, "type": "TEXT", "stopReason": stop })),
            ));
        };
        if user_block {
            let id = self.id();
            text_block(&mut out, id, "USER", "FINAL", transcript, "END_TURN");
        }
        let input_delta = Usage {
            in_speech: speech_ms / 40,
            in_text: if speech_ms == 0 {
                transcript.split_whitespace().count() as u64
            } else {
                0
            },
            ..Usage::default()
        };
        if let Some(tool) = tool {
            let id = self.id();
            let tool_use_id = self.id();
            out.push(ev(
                "contentStart",
                with(json!({
                    "contentId": id,
                    "type": "TOOL",
                    "role": "TOOL",
                    "toolUseOutputConfiguration": { "mediaType": "application/json" },
                })),
            ));
            out.push(ev(
                "toolUse",
                with(json!({
                    "contentId": id,
                    "toolName": tool,
                    "toolUseId": tool_use_id,
                    "content": json!({ "query": transcript }).to_string(),
                })),
            ));
            out.push(ev(
                "contentEnd",
                with(json!({ "contentId": id, "type": "TOOL", "stopReason": "TOOL_USE" })),
            ));
            self.pending_tools.push(tool_use_id);
            out.push(ev("usageEvent", with(self.usage(input_delta))));
            out.push(ev(
                "completionEnd",
                with(json!({ "stopReason": "TOOL_USE" })),
            ));
            return out;
        }
        let answer = sonic_answer(transcript, self.max_tokens);
        let tokens = sonic_answer_tokens(transcript, self.max_tokens);
        let id = self.id();
        text_block(
            &mut out,
            id,
            "ASSISTANT",
            "SPECULATIVE",
            &answer,
            "PARTIAL_TURN",
        );
        let audio_id = self.id();
        out.push(ev(
            "contentStart",
            with(json!({
                "contentId": audio_id,
                "type": "AUDIO",
                "role": "ASSISTANT",
                "audioOutputConfiguration": {
                    "mediaType": "audio/lpcm",
                    "sampleRateHertz": rate,
                    "sampleSizeBits": 16,
                    "channelCount": 1,
                    "encoding": "base64",
                    "audioType": "SPEECH",
                },
            })),
        ));
        let speech = sonic_speech(tokens, rate);
        let chunk = (u64::from(rate) * AUDIO_CHUNK_MS / 1000 * 2).max(2) as usize;
        for piece in speech.chunks(chunk) {
            out.push(ev(
                "audioOutput",
                with(json!({
                    "contentId": audio_id,
                    "content": base64::engine::general_purpose::STANDARD.encode(piece),
                })),
            ));
        }
        out.push(ev(
            "contentEnd",
            with(json!({ "contentId": audio_id, "type": "AUDIO", "stopReason": "PARTIAL_TURN" })),
        ));
        let id = self.id();
        text_block(&mut out, id, "ASSISTANT", "FINAL", &answer, "END_TURN");
        let out_speech_ms = (speech.len() as u64 / 2) * 1000 / u64::from(rate.max(1));
        let delta = Usage {
            out_speech: out_speech_ms / 40,
            out_text: tokens,
            ..input_delta
        };
        out.push(ev("usageEvent", with(self.usage(delta))));
        out.push(ev(
            "completionEnd",
            with(json!({ "stopReason": "END_TURN" })),
        ));
        out
    }
}

impl Session {
    /// Adds `delta` to the session's totals; the `usageEvent` members.
    fn usage(&mut self, delta: Usage) -> Value {
        let t = &mut self.total;
        t.in_speech += delta.in_speech;
        t.in_text += delta.in_text;
        t.out_speech += delta.out_speech;
        t.out_text += delta.out_text;
        let t = *t;
        let counts = |u: Usage| {
            json!({
                "input": { "speechTokens": u.in_speech, "textTokens": u.in_text },
                "output": { "speechTokens": u.out_speech, "textTokens": u.out_text },
            })
        };
        let total_in = t.in_speech + t.in_text;
        let total_out = t.out_speech + t.out_text;
        json!({
            "details": { "delta": counts(delta), "total": counts(t) },
            "totalInputTokens": total_in,
            "totalOutputTokens": total_out,
            "totalTokens": total_in + total_out,
        })
    }
}

/// The name of an output event (`{"event":{"<name>":…}}`).
#[cfg(test)]
fn event_name(event: &Value) -> &str {
    event
        .get("event")
        .and_then(Value::as_object)
        .and_then(|m| m.keys().next())
        .map_or("", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(events: &[Value]) -> Vec<&str> {
        events.iter().map(event_name).collect()
    }

    fn start(s: &mut Session) {
        s.input(&json!({"event":{"sessionStart":{"inferenceConfiguration":{"maxTokens":1024}}}}))
            .unwrap();
        s.input(&json!({"event":{"promptStart":{"promptName":"p","textOutputConfiguration":{"mediaType":"text/plain"},"audioOutputConfiguration":{"mediaType":"audio/lpcm","sampleRateHertz":24000,"sampleSizeBits":16,"channelCount":1,"voiceId":"matthew","encoding":"base64","audioType":"SPEECH"}}}}))
            .unwrap();
    }

    #[test]
    fn answers_a_text_turn() {
        let mut s = Session::new();
        start(&mut s);
        s.input(&json!({"event":{"contentStart":{"promptName":"p","contentName":"c","type":"TEXT","role":"USER","interactive":true,"textInputConfiguration":{"mediaType":"text/plain"}}}})).unwrap();
        s.input(&json!({"event":{"textInput":{"promptName":"p","contentName":"c","content":"What is your name?"}}})).unwrap();
        let (name, out) = s
            .input(&json!({"event":{"contentEnd":{"promptName":"p","contentName":"c"}}}))
            .unwrap();
        assert_eq!(name, "contentEnd");
        assert_eq!(
            names(&out),
            [
                "completionStart",
                "contentStart",
                "textOutput",
                "contentEnd",
                "contentStart",
                "textOutput",
                "contentEnd",
                "contentStart",
                "audioOutput",
                "contentEnd",
                "contentStart",
                "textOutput",
                "contentEnd",
                "usageEvent",
                "completionEnd"
            ]
        );
        assert_eq!(
            out[2]["event"]["textOutput"]["content"],
            "What is your name?"
        );
        assert_eq!(
            out[5]["event"]["textOutput"]["content"],
            "My name is Claude."
        );
        let pcm = base64::engine::general_purpose::STANDARD
            .decode(out[8]["event"]["audioOutput"]["content"].as_str().unwrap())
            .unwrap();
        let tokens = sonic_answer_tokens("What is your name?", 1024);
        assert_eq!(tokens, 4, "the README's example");
        assert!(
            pcm == sonic_speech(tokens, 24000),
            "the speech of {tokens} tokens"
        );
        assert_eq!(pcm.len() as u64, 24 * SPEECH_MS_PER_TOKEN * tokens * 2);
    }

    #[test]
    fn hears_audio_and_the_end_of_speech() {
        let mut s = Session::new();
        start(&mut s);
        s.input(&json!({"event":{"contentStart":{"promptName":"p","contentName":"a","type":"AUDIO","role":"USER","interactive":true,"audioInputConfiguration":{"mediaType":"audio/lpcm","sampleRateHertz":16000,"sampleSizeBits":16,"channelCount":1,"audioType":"SPEECH","encoding":"base64"}}}})).unwrap();
        let send = |s: &mut Session, samples: &[i16]| {
            let bytes: Vec<u8> = samples.iter().flat_map(|x| x.to_le_bytes()).collect();
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            s.input(
                &json!({"event":{"audioInput":{"promptName":"p","contentName":"a","content":b64}}}),
            )
            .unwrap()
            .1
        };
        // 0.5 s of sound, then 0.8 s of quiet: a turn.
        assert!(send(&mut s, &[5000; 8000]).is_empty());
        let out = send(&mut s, &[0; 12800]);
        assert_eq!(
            out[2]["event"]["textOutput"]["content"],
            "heard 1300 ms of audio, peak 5000"
        );
        // Quiet only, then the content ends: no second turn.
        assert!(send(&mut s, &[0; 1600]).is_empty());
        let (_, out) = s
            .input(&json!({"event":{"contentEnd":{"promptName":"p","contentName":"a"}}}))
            .unwrap();
        assert!(out.is_empty());
        assert_eq!(s.turns, 1);
        assert_eq!(
            sonic_pcm_transcript(&[0, 0x80, 1, 0], 16000),
            "heard 0 ms of audio, peak 32768"
        );
    }

    #[test]
    fn refuses_out_of_order_events() {
        let mut s = Session::new();
        assert!(s
            .input(&json!({"event":{"promptStart":{}}}))
            .unwrap_err()
            .contains("first event must be sessionStart"));
        start(&mut s);
        for bad in [
            json!({}),
            json!({"event":{}}),
            json!({"event":{"a":{},"b":{}}}),
            json!({"event":{"textInput":{"promptName":"p","contentName":"zz","content":"x"}}}),
            json!({"event":{"promptEnd":{"promptName":"q"}}}),
            json!({"event":{"audioInput":{"promptName":"p","contentName":"c","content":"!!"}}}),
            json!({"event":{"sessionStart":{}}}),
        ] {
            assert!(s.input(&bad).is_err(), "{bad}");
        }
        assert!(is_sonic_model("us.amazon.nova-sonic-v1:0"));
        assert!(is_sonic_model("amazon.nova-2-sonic-v1:0"));
        assert!(!is_sonic_model("amazon.nova-lite-v1:0"));
    }
}
