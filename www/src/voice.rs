//! Voice mode's pure parts (Nova Sonic over the bidirectional stream): the microphone's
//! samples resampled to 16 kHz 16-bit mono PCM, the answer's 24 kHz PCM back to samples, the
//! times its buffers play at, and the session's JSON events (the shapes of `index.js`'s
//! `novaSonic` helper; the library's Rust API carries events as bytes and has no Nova Sonic
//! helper). The browser side is `components/voice.rs`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

/// What Nova Sonic hears: 16 kHz.
pub const INPUT_RATE: u32 = 16_000;
/// What it speaks: 24 kHz.
pub const OUTPUT_RATE: u32 = 24_000;
/// Samples per `audioInput` event: 100 ms at 16 kHz.
pub const CHUNK_SAMPLES: usize = 1_600;
/// A microphone frame at least this loud (peak, full scale 1.0) while the answer plays stops
/// the answer (barge-in).
pub const BARGE_IN_LEVEL: f32 = 0.1;
/// Buffers start at least this long after now (seconds), so the first one is not cut.
pub const LEAD_SECS: f64 = 0.05;
/// Nova Sonic's voices.
pub const VOICES: &[&str] = &[
    "matthew", "tiffany", "amy", "olivia", "lupe", "carlos", "ambre", "florian", "greta",
    "lennart", "beatrice", "lorenzo",
];

/// Whether `model_id` (a fault prefix, a geography or an ARN's path allowed) is a Nova Sonic
/// model: speech to speech, over the bidirectional stream only.
pub fn is_speech_model(model_id: &str) -> bool {
    crate::catalog::find(model_id).is_some_and(|m| m.speech)
}

/// Streaming resampler from any rate to another: a moving-average low-pass as wide as the
/// decimation step (so 48 kHz → 16 kHz averages 3 samples), then linear interpolation.
/// Frames of any length go in one after another; the output is continuous across them.
#[derive(Debug, Clone)]
pub struct Resampler {
    /// Input samples per output sample.
    step: f64,
    /// The low-pass: its width, the samples in it and their sum.
    taps: usize,
    window: std::collections::VecDeque<f32>,
    sum: f64,
    /// Filtered samples not yet passed, and where the next output falls among them.
    history: Vec<f32>,
    pos: f64,
}

impl Resampler {
    pub fn new(from_rate: f64, to_rate: f64) -> Self {
        let step = if from_rate > 0.0 && to_rate > 0.0 {
            from_rate / to_rate
        } else {
            1.0
        };
        Self {
            step,
            taps: step.round().max(1.0) as usize,
            window: Default::default(),
            sum: 0.0,
            history: Vec::new(),
            pos: 0.0,
        }
    }

    /// The output samples `input` completes.
    pub fn process(&mut self, input: &[f32]) -> Vec<f32> {
        for &x in input {
            let x = if x.is_finite() { x } else { 0.0 };
            self.window.push_back(x);
            self.sum += f64::from(x);
            if self.window.len() > self.taps {
                self.sum -= f64::from(self.window.pop_front().unwrap_or(0.0));
            }
            self.history
                .push((self.sum / self.window.len() as f64) as f32);
        }
        let mut out = Vec::with_capacity((input.len() as f64 / self.step) as usize + 1);
        while self.pos + 1.0 < self.history.len() as f64 {
            let i = self.pos.floor() as usize;
            let frac = (self.pos - i as f64) as f32;
            let (a, b) = (self.history[i], self.history[i + 1]);
            out.push(a + (b - a) * frac);
            self.pos += self.step;
        }
        let used = (self.pos.floor() as usize).min(self.history.len());
        self.history.drain(..used);
        self.pos -= used as f64;
        out
    }
}

/// Samples (full scale ±1.0) as 16-bit little-endian PCM, clamped; NaN is silence.
pub fn to_pcm16(samples: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(samples.len() * 2);
    for &s in samples {
        let s = if s.is_nan() { 0.0 } else { s.clamp(-1.0, 1.0) };
        out.extend_from_slice(&((s * 32767.0).round() as i16).to_le_bytes());
    }
    out
}

/// 16-bit little-endian PCM as samples (−32768 → −1.0); an odd last byte is dropped.
pub fn from_pcm16(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(2)
        .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
        .collect()
}

/// The largest |sample|.
pub fn peak(samples: &[f32]) -> f32 {
    samples
        .iter()
        .fold(0.0, |m, s| if s.abs() > m { s.abs() } else { m })
}

/// When each answer buffer plays: back to back, never in the past; what a barge-in clears.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Playback {
    /// When the last scheduled buffer ends (the audio clock, seconds).
    next: f64,
    /// Everything scheduled so far (ms), kept across barge-ins.
    pub scheduled_ms: f64,
}

impl Playback {
    /// The start of a buffer of `duration` seconds arriving at `now`.
    pub fn schedule(&mut self, now: f64, duration: f64) -> f64 {
        let start = self.next.max(now + LEAD_SECS);
        self.next = start + duration;
        self.scheduled_ms += duration * 1000.0;
        start
    }

    /// Whether something scheduled is still to play at `now`.
    pub fn playing(&self, now: f64) -> bool {
        self.next > now
    }

    /// Barge-in: nothing is scheduled any more (the caller stops the sources).
    pub fn interrupt(&mut self) {
        self.next = 0.0;
    }
}

/// `sessionStart`'s settings (the form's, when it has them).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Inference {
    pub max_tokens: Option<u32>,
    pub top_p: Option<f64>,
    pub temperature: Option<f64>,
}

/// The input events of one Nova Sonic session (`{"event":{name:{…}}}`, the prompt and
/// content names filled in).
#[derive(Debug, Clone)]
pub struct Session {
    prompt: String,
    contents: u32,
    /// The microphone's content, while open.
    audio: Option<String>,
}

fn event(name: &str, body: Value) -> Vec<u8> {
    json!({ "event": { name: body } }).to_string().into_bytes()
}

fn lpcm(rate: u32) -> Value {
    json!({
        "mediaType": "audio/lpcm", "sampleRateHertz": rate, "sampleSizeBits": 16,
        "channelCount": 1, "audioType": "SPEECH", "encoding": "base64",
    })
}

impl Session {
    /// `id` makes the prompt's name (any text unique enough, e.g. the time).
    pub fn new(id: &str) -> Self {
        Self {
            prompt: format!("prompt-{id}"),
            contents: 0,
            audio: None,
        }
    }

    fn content(&mut self) -> String {
        self.contents += 1;
        format!("content-{}", self.contents)
    }

    /// `sessionStart` (`inference`, Nova Sonic's defaults where `None`), `promptStart`
    /// (speech out at 24 kHz in `voice`) and, when not empty, the system prompt as a SYSTEM
    /// text content.
    pub fn start(&mut self, inference: Inference, voice: &str, system: &str) -> Vec<Vec<u8>> {
        let mut audio_out = lpcm(OUTPUT_RATE);
        audio_out["voiceId"] = voice.into();
        let mut out = vec![
            event(
                "sessionStart",
                json!({ "inferenceConfiguration": {
                    "maxTokens": inference.max_tokens.unwrap_or(1024),
                    "topP": inference.top_p.unwrap_or(0.9),
                    "temperature": inference.temperature.unwrap_or(0.7),
                } }),
            ),
            event(
                "promptStart",
                json!({
                    "promptName": self.prompt,
                    "textOutputConfiguration": { "mediaType": "text/plain" },
                    "audioOutputConfiguration": audio_out,
                }),
            ),
        ];
        if !system.trim().is_empty() {
            let name = self.content();
            out.push(event(
                "contentStart",
                json!({
                    "promptName": self.prompt, "contentName": name, "type": "TEXT",
                    "role": "SYSTEM", "interactive": false,
                    "textInputConfiguration": { "mediaType": "text/plain" },
                }),
            ));
            out.push(event(
                "textInput",
                json!({ "promptName": self.prompt, "contentName": name, "content": system }),
            ));
            out.push(event(
                "contentEnd",
                json!({ "promptName": self.prompt, "contentName": name }),
            ));
        }
        out
    }

    /// One `audioInput` of 16 kHz 16-bit PCM, opening the microphone's content first.
    pub fn audio(&mut self, pcm: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let name = match &self.audio {
            Some(n) => n.clone(),
            None => {
                let n = self.content();
                out.push(event(
                    "contentStart",
                    json!({
                        "promptName": self.prompt, "contentName": n, "type": "AUDIO",
                        "role": "USER", "interactive": true,
                        "audioInputConfiguration": lpcm(INPUT_RATE),
                    }),
                ));
                self.audio = Some(n.clone());
                n
            }
        };
        out.push(event(
            "audioInput",
            json!({ "promptName": self.prompt, "contentName": name, "content": STANDARD.encode(pcm) }),
        ));
        out
    }

    /// The end of the input: the microphone's `contentEnd`, `promptEnd`, `sessionEnd`.
    pub fn end(&mut self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        if let Some(n) = self.audio.take() {
            out.push(event(
                "contentEnd",
                json!({ "promptName": self.prompt, "contentName": n }),
            ));
        }
        out.push(event("promptEnd", json!({ "promptName": self.prompt })));
        out.push(event("sessionEnd", json!({})));
        out
    }
}

/// What an output event means to the panel.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A content begins: its id and whether it is a final transcript (not SPECULATIVE).
    ContentStart {
        id: String,
        final_text: bool,
    },
    /// A transcript line: role, text, its content's id.
    Text {
        role: String,
        text: String,
        content: String,
    },
    /// The user spoke over the answer: stop playing it.
    Interrupted,
    /// Speech: 16-bit PCM at 24 kHz.
    Audio(Vec<u8>),
    /// An answer is complete.
    CompletionEnd,
    Other,
}

/// Reads one output event (`{"event":{name:{…}}}`).
pub fn read_output(bytes: &[u8]) -> Output {
    let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
        return Output::Other;
    };
    let Some((name, body)) = v
        .get("event")
        .and_then(Value::as_object)
        .and_then(|e| e.iter().next())
    else {
        return Output::Other;
    };
    let s = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    match name.as_str() {
        "contentStart" => {
            let stage = body
                .get("additionalModelFields")
                .and_then(Value::as_str)
                .and_then(|f| serde_json::from_str::<Value>(f).ok())
                .and_then(|f| {
                    f.get("generationStage")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                });
            Output::ContentStart {
                id: s("contentId"),
                final_text: stage.as_deref() != Some("SPECULATIVE"),
            }
        }
        "textOutput" => {
            let text = s("content");
            let interrupted = serde_json::from_str::<Value>(&text)
                .ok()
                .is_some_and(|v| v.get("interrupted") == Some(&Value::Bool(true)));
            if interrupted {
                Output::Interrupted
            } else {
                Output::Text {
                    role: s("role"),
                    text,
                    content: s("contentId"),
                }
            }
        }
        "audioOutput" => STANDARD
            .decode(s("content"))
            .map_or(Output::Other, Output::Audio),
        "completionEnd" => Output::CompletionEnd,
        _ => Output::Other,
    }
}

#[cfg(test)]
mod tests;
