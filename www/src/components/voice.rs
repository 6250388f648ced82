//! Voice mode (Nova Sonic): shown only when a speech model is chosen. The microphone through
//! an AudioWorklet (`voice-worklet.js`) → 16 kHz PCM (`voice.rs`) → `audioInput` events on
//! the bidirectional stream; the answer's transcript shown line by line and its speech played
//! back to back, stopped at once when the user speaks over it (barge-in).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use bedrock_wasm::bedrock::bidi::BidiEvent;
use bedrock_wasm::bedrock::sonic::{Output, OutputEvent, OutputReader, Session, SessionConfig};
use bedrock_wasm::bedrock::Error;
use bedrock_wasm::transport::BidiStream;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, AudioBufferSourceNode, AudioContext, AudioScheduledSourceNode,
    AudioWorkletNode, MediaStream, MediaStreamConstraints, MessageEvent,
};

use crate::failure::Failure;
use crate::form::Form;
use crate::lazy::{lazy, now, split, SplitLoaderError};
use crate::runner::Runner;
use crate::voice::{
    from_pcm16, is_speech_model, peak, to_pcm16, Playback, Resampler, BARGE_IN_LEVEL,
    CHUNK_SAMPLES, INPUT_RATE, OUTPUT_RATE, VOICES,
};

/// The worklet file next to the page (`cargo xtask build` copies it).
const WORKLET: &str = "voice-worklet.js";

/// What the panel shows.
#[derive(Clone, Copy)]
pub struct Voice {
    runner: Runner,
    pub status: RwSignal<String>,
    /// The transcript: (role, text) per line.
    pub lines: RwSignal<Vec<(String, String)>>,
    pub scheduled_ms: RwSignal<f64>,
    /// How many times speaking over the answer stopped it.
    pub barge_ins: RwSignal<u32>,
    /// A session is under way (from Start until it has closed).
    pub active: RwSignal<bool>,
    pub voice: RwSignal<String>,
    /// The session under way, as what Stop and Escape need of it: behind a trait object the
    /// session's code and types (Nova Sonic's events, playback) stay in voice mode's chunk,
    /// out of the first load, which Escape is part of.
    live: StoredValue<Option<Rc<dyn Control>>, LocalStorage>,
}

trait Control {
    /// Stop: `true` when the input is ending (the answer under way still arrives), `false`
    /// when the session was closed at once (a second Stop, or nothing said yet).
    fn stop(&self) -> bool;
    /// Closes the session at once.
    fn cancel(&self);
}

impl Control for Live {
    fn stop(&self) -> bool {
        if self.ending.get() || !self.opened.get() {
            self.controller.abort();
            return false;
        }
        self.release_mic();
        // The send loop writes the end events after what is queued.
        self.ending.set(true);
        true
    }

    fn cancel(&self) {
        self.controller.abort();
    }
}

/// The worklet port's message handler.
type OnFrame = Closure<dyn FnMut(MessageEvent)>;

/// One session's browser objects.
struct Live {
    ctx: AudioContext,
    controller: AbortController,
    media: RefCell<Option<MediaStream>>,
    nodes: RefCell<Vec<web_sys::AudioNode>>,
    /// The worklet's port and its handler (kept until the session is dropped: a message
    /// already queued may still arrive after the port is told to stop).
    port: RefCell<Option<web_sys::MessagePort>>,
    on_frame: RefCell<Option<OnFrame>>,
    /// The socket is open (Stop before then cancels), and the session is over (the send
    /// loop ends).
    opened: std::cell::Cell<bool>,
    done: std::cell::Cell<bool>,
    session: RefCell<Session>,
    /// Input events waiting to be sent, in order; `ending`: the end of input follows them.
    outbox: RefCell<VecDeque<Vec<u8>>>,
    ending: std::cell::Cell<bool>,
    resampler: RefCell<Resampler>,
    pending: RefCell<Vec<f32>>,
    playback: RefCell<Playback>,
    sources: RefCell<Vec<(AudioBufferSourceNode, f64)>>,
}

impl Live {
    /// Stops every scheduled buffer (barge-in).
    fn silence(&self) {
        for (s, _) in self.sources.borrow_mut().drain(..) {
            let _ = s.unchecked_ref::<AudioScheduledSourceNode>().stop();
        }
        self.playback.borrow_mut().interrupt();
    }

    /// The microphone off: tracks stopped, nodes disconnected.
    fn release_mic(&self) {
        if let Some(m) = self.media.borrow_mut().take() {
            for t in m.get_tracks().iter() {
                if let Ok(t) = t.dyn_into::<web_sys::MediaStreamTrack>() {
                    t.stop();
                }
            }
        }
        if let Some(port) = self.port.borrow_mut().take() {
            port.set_onmessage(None);
        }
        for n in self.nodes.borrow_mut().drain(..) {
            let _ = n.disconnect();
        }
    }
}

fn sleep(ms: i32) -> JsFuture {
    JsFuture::from(js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    }))
}

fn js_err(what: &str, e: JsValue) -> Failure {
    let detail = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_default();
    Failure::Request {
        message: format!("{what}: {detail}"),
        detail: String::new(),
    }
}

impl Voice {
    pub fn new(runner: Runner) -> Self {
        Self {
            runner,
            status: RwSignal::new(String::new()),
            lines: RwSignal::new(Vec::new()),
            scheduled_ms: RwSignal::new(0.0),
            barge_ins: RwSignal::new(0),
            active: RwSignal::new(false),
            voice: RwSignal::new(VOICES[0].to_owned()),
            live: StoredValue::new_local(None),
        }
    }

    /// Start: from the click itself (an AudioContext made in a user gesture may play).
    pub fn start(self, form: Form) {
        if self.active.get_untracked() {
            return;
        }
        let ctx = match AudioContext::new() {
            Ok(c) => c,
            Err(e) => {
                self.status
                    .set(js_err("This browser cannot play audio", e).to_string());
                return;
            }
        };
        let live = Rc::new(Live {
            resampler: RefCell::new(Resampler::new(
                f64::from(ctx.sample_rate()),
                f64::from(INPUT_RATE),
            )),
            ctx,
            controller: AbortController::new().expect("AbortController is available"),
            media: RefCell::new(None),
            nodes: RefCell::new(Vec::new()),
            port: RefCell::new(None),
            on_frame: RefCell::new(None),
            opened: std::cell::Cell::new(false),
            done: std::cell::Cell::new(false),
            session: RefCell::new(Session::named(&format!(
                "prompt-{:x}",
                js_sys::Date::now() as u64
            ))),
            outbox: RefCell::new(VecDeque::new()),
            ending: std::cell::Cell::new(false),
            pending: RefCell::new(Vec::new()),
            playback: RefCell::new(Playback::default()),
            sources: RefCell::new(Vec::new()),
        });
        self.live.set_value(Some(live.clone() as Rc<dyn Control>));
        self.active.set(true);
        self.lines.set(Vec::new());
        self.scheduled_ms.set(0.0);
        self.barge_ins.set(0);
        self.status.set("connecting".into());
        spawn_local(async move {
            let result = self.run(form, live.clone()).await;
            live.done.set(true);
            live.release_mic();
            live.silence();
            let _ = live.ctx.close();
            self.live.set_value(None);
            self.active.set(false);
            self.status.set(match result {
                Ok(()) | Err(Failure::Stopped) => "closed".into(),
                Err(e) => e.to_string(),
            });
        });
    }

    /// Stop: the microphone's content and the session end; the answer under way still
    /// arrives until the service closes.
    pub fn stop(self) {
        if let Some(live) = self.live.get_value() {
            if live.stop() {
                self.status.set("ending".into());
            }
        }
    }

    /// Closes the session at once (the panel is hidden: another model was chosen).
    pub fn cancel(self) {
        if let Some(live) = self.live.get_value() {
            live.cancel();
        }
    }

    async fn run(self, form: Form, live: Rc<Live>) -> Result<(), Failure> {
        let model_id = form.model_id.get_untracked().trim().to_owned();
        let system = form.system.get_untracked();
        // The form's max tokens, temperature and top-p when they parse (Nova Sonic's
        // defaults otherwise: the rest of the form is the chat's).
        let params = form.settings.get_untracked().ok().map(|s| s.params);
        // An API key cannot open the session: say so before asking for the microphone.
        self.runner.check_bidi_auth()?;
        // The microphone and the worklet first: nothing is sent without them.
        let window = web_sys::window().ok_or(Failure::Stopped)?;
        let devices = window
            .navigator()
            .media_devices()
            .map_err(|e| js_err("No microphone access in this page", e))?;
        let constraints = MediaStreamConstraints::new();
        constraints.set_audio_bool(true);
        let media: MediaStream = JsFuture::from(
            devices
                .get_user_media_with_constraints(&constraints)
                .map_err(|e| js_err("No microphone access", e))?,
        )
        .await
        .map_err(|e| js_err("The microphone could not be opened", e))?
        .unchecked_into();
        live.media.replace(Some(media.clone()));
        let worklet = live
            .ctx
            .audio_worklet()
            .map_err(|e| js_err("No AudioWorklet in this browser", e))?;
        JsFuture::from(
            worklet
                .add_module(WORKLET)
                .map_err(|e| js_err("The microphone processor could not load", e))?,
        )
        .await
        .map_err(|e| js_err("The microphone processor could not load", e))?;

        let stream = self
            .runner
            .open_bidi(form, &model_id, &live.controller.signal())
            .await?;
        let voice = self.voice.get_untracked();
        let start = live
            .session
            .borrow_mut()
            .start(&SessionConfig {
                max_tokens: params.as_ref().map(|p| p.max_tokens),
                top_p: params.as_ref().and_then(|p| p.top_p),
                temperature: params.as_ref().and_then(|p| p.temperature),
                voice_id: &voice,
                system_prompt: &system,
                ..SessionConfig::default()
            })
            .map_err(Error::from)?;
        live.outbox.borrow_mut().extend(start);
        live.opened.set(true);
        self.capture(&live, &media)?;
        self.status.set("listening".into());
        spawn_local(send_loop(stream.clone(), live.clone()));
        self.read(&stream, &live).await
    }

    /// Connects the microphone to the worklet; its frames become `audioInput` events.
    fn capture(self, live: &Rc<Live>, media: &MediaStream) -> Result<(), Failure> {
        let ctx = &live.ctx;
        let source = ctx
            .create_media_stream_source(media)
            .map_err(|e| js_err("The microphone could not be used", e))?;
        let node = AudioWorkletNode::new(ctx, "voice-capture")
            .map_err(|e| js_err("The microphone processor could not start", e))?;
        let weak = Rc::downgrade(live);
        let barge_ins = self.barge_ins;
        let on_frame = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(live) = weak.upgrade() else { return };
            if live.ending.get() {
                return;
            }
            let frame = js_sys::Float32Array::new(&e.data()).to_vec();
            if peak(&frame) >= BARGE_IN_LEVEL
                && live.playback.borrow().playing(live.ctx.current_time())
            {
                live.silence();
                barge_ins.update(|n| *n += 1);
            }
            let out = live.resampler.borrow_mut().process(&frame);
            let mut pending = live.pending.borrow_mut();
            pending.extend(out);
            while pending.len() >= CHUNK_SAMPLES {
                let chunk: Vec<f32> = pending.drain(..CHUNK_SAMPLES).collect();
                // Only an ended session refuses audio, and none is sent after Stop.
                if let Ok(events) = live.session.borrow_mut().audio(&to_pcm16(&chunk)) {
                    live.outbox.borrow_mut().extend(events);
                }
            }
        });
        let port = node
            .port()
            .map_err(|e| js_err("The microphone processor could not start", e))?;
        port.set_onmessage(Some(on_frame.as_ref().unchecked_ref()));
        source
            .connect_with_audio_node(&node)
            .map_err(|e| js_err("The microphone could not be used", e))?;
        // Its output is silence; connected so that it is processed.
        let _ = node.connect_with_audio_node(&ctx.destination());
        live.on_frame.replace(Some(on_frame));
        live.port.replace(Some(port));
        live.nodes
            .borrow_mut()
            .extend([source.unchecked_into(), node.unchecked_into()]);
        Ok(())
    }

    /// Reads the answer until the service closes: transcript lines, speech, barge-ins. An
    /// event that cannot be read ends the session with the library's error.
    async fn read(self, stream: &BidiStream, live: &Rc<Live>) -> Result<(), Failure> {
        let mut reader = OutputReader::new();
        while let Some(event) = stream.next().await {
            let BidiEvent::Chunk(bytes) = event? else {
                continue;
            };
            let event = OutputEvent::parse(&bytes).map_err(Error::from)?;
            match reader.read(&event).map_err(Error::from)? {
                Output::Transcript {
                    role,
                    text,
                    final_text: true,
                    ..
                } => {
                    if role == "ASSISTANT" {
                        self.answering(live);
                    }
                    self.lines
                        .update(|l| l.push((role.to_owned(), text.to_owned())));
                }
                Output::Interrupted { .. } => {
                    live.silence();
                    self.barge_ins.update(|n| *n += 1);
                }
                Output::Audio { pcm, .. } => {
                    self.answering(live);
                    self.play(live, &pcm);
                }
                Output::CompletionEnd { .. } if !live.ending.get() => {
                    self.status.set("listening".into());
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn answering(self, live: &Live) {
        if !live.ending.get() {
            self.status.set("answering".into());
        }
    }

    /// Schedules 24 kHz PCM right after what is already scheduled.
    fn play(self, live: &Live, pcm: &[u8]) {
        let samples = from_pcm16(pcm);
        if samples.is_empty() {
            return;
        }
        let ctx = &live.ctx;
        let Ok(buffer) = ctx.create_buffer(1, samples.len() as u32, OUTPUT_RATE as f32) else {
            return;
        };
        let _ = buffer.copy_to_channel(&samples, 0);
        let Ok(source) = ctx.create_buffer_source() else {
            return;
        };
        source.set_buffer(Some(&buffer));
        let _ = source.connect_with_audio_node(&ctx.destination());
        let now = ctx.current_time();
        let duration = samples.len() as f64 / f64::from(OUTPUT_RATE);
        let at = live.playback.borrow_mut().schedule(now, duration);
        let _ = source
            .unchecked_ref::<AudioScheduledSourceNode>()
            .start_with_when(at);
        let mut sources = live.sources.borrow_mut();
        sources.retain(|(_, end)| *end > now);
        sources.push((source, at + duration));
        self.scheduled_ms
            .set(live.playback.borrow().scheduled_ms.round());
    }
}

/// Sends the queued input events in order (waiting while the socket's buffer is full), then,
/// after Stop, the session's end events and the end of input.
async fn send_loop(stream: BidiStream, live: Rc<Live>) {
    let mut end_queued = false;
    loop {
        let next = live.outbox.borrow_mut().pop_front();
        match next {
            None if live.ending.get() && !end_queued => {
                end_queued = true;
                let end = live.session.borrow_mut().end();
                live.outbox.borrow_mut().extend(end);
            }
            Some(e) => {
                if stream.send(&e).await.is_err() {
                    // The reader reports why.
                    return;
                }
            }
            None if live.ending.get() => {
                let _ = stream.end();
                return;
            }
            None if live.done.get() => return,
            None => {
                let _ = sleep(20).await;
            }
        }
    }
}

#[component]
pub fn VoicePanel(voice: Voice, form: Form) -> impl IntoView {
    let shown = move || form.model_id.with(|m| is_speech_model(m));
    // Another model chosen: its session ends with it.
    Effect::new(move || {
        if !shown() {
            voice.cancel();
        }
    });
    // The panel and everything behind it (the microphone, the session, playback) are a
    // chunk of their own, loaded the first time a speech model is chosen (src/lazy.rs).
    view! {
        <Show when=shown>
            {lazy("voice mode", load_voice, move || now(voice_section(voice, form)))}
        </Show>
    }
}

split! {
    voice,
    load_voice,
    fn voice_section(voice: Voice, form: Form) -> Result<AnyView, SplitLoaderError> {
        let active = move || voice.active.get();
        Ok(view! {
            <section class="voice" data-testid="voice" data-scheduled-ms=move || voice.scheduled_ms.get().to_string()
                data-barge-ins=move || voice.barge_ins.get().to_string()>
                <h2>"Voice"</h2>
                <p class="hint">"Speak with Nova Sonic: the microphone streams while the session is open; speaking over the answer stops it. The system prompt, max tokens, temperature and top-p come from the parameters."</p>
                <div class="actions">
                    <button class="primary" data-testid="voice-start" disabled=active
                        on:click=move |_| voice.start(form)>"Start talking"</button>
                    <button data-testid="voice-stop" disabled=move || !active()
                        on:click=move |_| voice.stop()>"Stop"</button>
                    <label>
                        "Voice "
                        <select data-testid="voice-id" disabled=active prop:value=move || voice.voice.get()
                            on:change=move |ev| voice.voice.set(event_target_value(&ev))>
                            {VOICES.iter().map(|v| view! { <option value=*v>{*v}</option> }).collect_view()}
                        </select>
                    </label>
                </div>
                <p data-testid="voice-status" role="status">{move || voice.status.get()}</p>
                <ol class="voice-transcript" data-testid="voice-transcript">
                    {move || voice.lines.get().into_iter().map(|(role, text)| {
                        let label = format!("{role}: ");
                        view! { <li data-role=role><b>{label}</b>{text}</li> }
                    }).collect_view()}
                </ol>
            </section>
        }
        .into_any())
    }
}
