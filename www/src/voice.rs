//! Voice mode's pure parts (Nova Sonic over the bidirectional stream): the microphone's
//! samples resampled to 16 kHz 16-bit mono PCM, the answer's 24 kHz PCM back to samples and
//! the times its buffers play at. Nova Sonic's events, both ways, are the library's
//! (`bedrock_wasm::bedrock::sonic`, shared with the npm package's `novaSonic`). The browser
//! side is `components/voice.rs`.

pub use bedrock_wasm::bedrock::sonic::{
    INPUT_SAMPLE_RATE as INPUT_RATE, OUTPUT_SAMPLE_RATE as OUTPUT_RATE, VOICES,
};
/// Samples per `audioInput` event: 100 ms at 16 kHz.
pub const CHUNK_SAMPLES: usize = 1_600;
/// A microphone frame at least this loud (peak, full scale 1.0) while the answer plays stops
/// the answer (barge-in).
pub const BARGE_IN_LEVEL: f32 = 0.1;
/// Buffers start at least this long after now (seconds), so the first one is not cut.
pub const LEAD_SECS: f64 = 0.05;

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

#[cfg(test)]
mod tests;
