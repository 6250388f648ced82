//! InvokeModelWithBidirectionalStream over the platform's `WebSocket` (pages, workers, Node
//! ≥ 22): the only browser code of the bidirectional stream. The protocol — the presigned
//! URL, the signed input frames, the output decoder and what each close code means — is pure,
//! in `bedrock::bidi`; this connects, sends with backpressure, queues what arrives and
//! bounds every wait.
//!
//! - **Connect** to the URL presigned for now + the client's clock offset; a socket that
//!   fails or closes before it opens is a refused handshake ([`handshake_refused`]): a
//!   browser is told nothing more.
//! - **Send** each event as one binary message, signed at the moment it is sent (so frames
//!   keep their order), only while at most [`BIDI_MAX_BUFFERED_BYTES`] are buffered.
//!   [`BidiStream::end`] sends the signed end frame and keeps the socket open: the answer
//!   goes on until the service closes it (closing at once would lose the answer).
//! - **Receive**: binary messages into the decoder, in order; the close is mapped once every
//!   message before it has been decoded ([`BidiOutputDecoder::close`]).
//! - **Stop**: the caller's `AbortSignal`, [`BidiStream::cancel`] or dropping the stream
//!   closes the socket at once (1000) and ends it with `AbortError`. No message, sent or
//!   received, for the client's idle timeout fails it (`StreamIdleTimeoutError`); so does
//!   the session reaching [`BIDI_SESSION_LIMIT_MS`] (`TimeoutError`), or more than
//!   [`BIDI_MAX_QUEUED_BYTES`] received and not read.
//!
//! The primitives are synchronous — [`Client::open_bidirectional_stream`],
//! [`BidiStream::poll_open`], [`try_send`](BidiStream::try_send),
//! [`poll_next`](BidiStream::poll_next) — with one promise to await between them,
//! [`BidiStream::wait`]: no Rust future crosses into JavaScript, which keeps the package
//! small. [`Client::invoke_model_with_bidirectional_stream`], [`BidiStream::send`] and
//! [`BidiStream::next`] are their async forms for Rust callers.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

use super::fetch::{clear_timeout, js_message, set_timeout, sleep};
use super::Client;
use crate::bedrock::bidi::{
    handshake_refused, presign_bidi_url, BidiEvent, BidiInput, BidiOutputDecoder,
    BIDI_DEFAULT_EXPIRES_SECS,
};
use crate::bedrock::{Error, ErrorKind};
use crate::sign::{signing_time, Auth};

/// Sending waits while the socket buffers more than this (1 MiB): about 30 s of 16 kHz audio.
pub const BIDI_MAX_BUFFERED_BYTES: u32 = 1 << 20;
/// The longest a session stays open: 8 minutes, Bedrock's own bound.
pub const BIDI_SESSION_LIMIT_MS: f64 = 480_000.0;
/// Received bytes not yet read beyond this (64 MiB) fail the stream: read it as it arrives.
pub const BIDI_MAX_QUEUED_BYTES: usize = 64 << 20;
/// How often [`BidiStream::send`] tries again while the socket's buffer is full.
pub const BIDI_SEND_POLL_MS: f64 = 20.0;

/// What the socket's event handlers tell the stream.
#[derive(Default)]
struct State {
    opened: bool,
    /// An `error` event (before `open`: the handshake failed).
    errored: bool,
    /// The close event's code and reason.
    closed: Option<(u16, String)>,
    /// Stopped on our side (aborted, cancelled, a bound passed, a message refused): nothing
    /// more is sent; `aborted` says whether by the caller.
    stopped: bool,
    aborted: bool,
    /// The error to report, once, when the stop was not the reader's own finding.
    ended: Option<Error>,
    /// Binary messages not yet decoded, in arrival order, and their total size.
    messages: VecDeque<Vec<u8>>,
    queued: usize,
    /// When a message was last sent or received (or the socket opened).
    last_activity_ms: f64,
    /// Resolves the promise of [`BidiStream::wait`], and its timer.
    waiter: Option<Function>,
    timer: Option<JsValue>,
}

type Shared = Rc<RefCell<State>>;

/// Resolves the pending [`BidiStream::wait`], if any, and clears its timer.
fn wake(state: &Shared) {
    let (waiter, timer) = {
        let mut s = state.borrow_mut();
        (s.waiter.take(), s.timer.take())
    };
    if let Some(t) = timer {
        clear_timeout(&t);
    }
    if let Some(w) = waiter {
        let _ = w.call0(&JsValue::UNDEFINED);
    }
}

/// Stops the stream on our side (the first reason wins; `report`: the reader is told `e`
/// once) and closes the socket.
fn stop(state: &Shared, socket: &WebSocket, e: Option<Error>) {
    {
        let mut s = state.borrow_mut();
        if !s.stopped {
            s.stopped = true;
            s.aborted = e.as_ref().is_some_and(Error::is_aborted);
            s.ended = e;
        }
    }
    // Throws only for an invalid code; a closing or closed socket ignores it.
    let _ = socket.close_with_code(1000);
    wake(state);
}

struct Inner {
    socket: WebSocket,
    state: Shared,
    model_id: String,
    input: RefCell<BidiInput>,
    decoder: RefCell<BidiOutputDecoder>,
    /// The stream has ended or failed: an error is reported once, then nothing.
    finished: Cell<bool>,
    clock_offset_ms: Rc<Cell<f64>>,
    idle_ms: u32,
    deadline_ms: f64,
    signal: Option<AbortSignal>,
    /// What the socket's events and the signal's `abort` call; kept as long as the stream.
    handler: Closure<dyn FnMut(Event)>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onerror(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        if let Some(signal) = &self.signal {
            let _ = signal.remove_event_listener_with_callback(
                "abort",
                self.handler.as_ref().unchecked_ref(),
            );
        }
        let _ = self.socket.close_with_code(1000);
        wake(&self.state);
    }
}

/// What [`BidiStream::poll_next`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum BidiPoll {
    Event(BidiEvent),
    /// Nothing yet: await [`BidiStream::wait`] and poll again.
    Pending,
    /// The answer ended cleanly (or its error was already returned).
    End,
}

/// One InvokeModelWithBidirectionalStream session: send input events, [`end`](Self::end)
/// the input, and read the output until it ends. Clones share the session (send from one
/// task, read from another); dropping the last one closes it.
#[derive(Clone)]
pub struct BidiStream {
    inner: Rc<Inner>,
}

impl Client {
    /// InvokeModelWithBidirectionalStream: opens the WebSocket for `model_id` (Nova Sonic)
    /// and resolves once it is open. SigV4 credentials only: a client with an API key is
    /// refused before anything is sent.
    pub async fn invoke_model_with_bidirectional_stream(
        &self,
        model_id: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<BidiStream, Error> {
        let stream = self.open_bidirectional_stream(model_id, signal)?;
        while !stream.poll_open()? {
            let _ = JsFuture::from(stream.wait()).await;
        }
        Ok(stream)
    }

    /// Starts opening the WebSocket of InvokeModelWithBidirectionalStream for `model_id`:
    /// poll [`BidiStream::poll_open`] (awaiting [`BidiStream::wait`] between polls) until it
    /// is open. An API key, an aborted signal or a URL that cannot be signed fail here,
    /// before anything is sent.
    pub fn open_bidirectional_stream(
        &self,
        model_id: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<BidiStream, Error> {
        let Auth::SigV4(credentials) = &self.auth else {
            return Err(Error::input(
                "Bedrock API keys are not accepted by InvokeModelWithBidirectionalStream: use SigV4 credentials",
            ));
        };
        if signal.is_some_and(AbortSignal::aborted) {
            return Err(Error::aborted());
        }
        let now = js_sys::Date::now();
        let presigned = presign_bidi_url(
            &self.endpoint,
            model_id,
            credentials,
            signing_time(now, self.clock_offset_ms.get())?,
            BIDI_DEFAULT_EXPIRES_SECS,
            self.options.endpoint_policy,
        )?;
        let input = BidiInput::new(credentials, self.endpoint.region(), presigned.signature())?;
        let socket = WebSocket::new(presigned.url())
            .map_err(|e| Error::network(format!("cannot open a WebSocket: {}", js_message(&e))))?;
        socket.set_binary_type(BinaryType::Arraybuffer);
        let state: Shared = Rc::new(RefCell::new(State {
            last_activity_ms: now,
            ..State::default()
        }));
        let handler = on_event(&state, &socket);
        let f = Some(handler.as_ref().unchecked_ref());
        socket.set_onopen(f);
        socket.set_onerror(f);
        socket.set_onmessage(f);
        socket.set_onclose(f);
        if let Some(signal) = signal {
            let _ =
                signal.add_event_listener_with_callback("abort", handler.as_ref().unchecked_ref());
        }
        Ok(BidiStream {
            inner: Rc::new(Inner {
                socket,
                state,
                model_id: model_id.to_owned(),
                input: RefCell::new(input),
                decoder: RefCell::new(BidiOutputDecoder::with_frame_decoder(
                    crate::eventstream::Decoder::with_limits(self.options.event_stream_limits),
                )),
                finished: Cell::new(false),
                clock_offset_ms: self.clock_offset_ms.clone(),
                idle_ms: self.options.stream_idle_timeout_ms,
                deadline_ms: now + BIDI_SESSION_LIMIT_MS,
                signal: signal.cloned(),
                handler,
            }),
        })
    }
}

/// The one closure for the socket's `open`, `error`, `message` and `close` events and the
/// signal's `abort`.
fn on_event(state: &Shared, socket: &WebSocket) -> Closure<dyn FnMut(Event)> {
    let (s, ws) = (state.clone(), socket.clone());
    Closure::new(move |e: Event| {
        let now = js_sys::Date::now();
        let refused = {
            let mut st = s.borrow_mut();
            match e.type_().as_str() {
                "open" => {
                    st.opened = true;
                    st.last_activity_ms = now;
                    None
                }
                "error" => {
                    st.errored = true;
                    None
                }
                "close" => {
                    let c: &CloseEvent = e.unchecked_ref();
                    st.closed = Some((c.code(), c.reason()));
                    None
                }
                "message" => {
                    let data = e.unchecked_ref::<MessageEvent>().data();
                    if data.is_string() {
                        Some(Error::response_shape(
                            "the service sent a text WebSocket message",
                        ))
                    } else {
                        // An ArrayBuffer (binaryType "arraybuffer"), copied out of JS memory.
                        let bytes = Uint8Array::new(&data).to_vec();
                        st.last_activity_ms = now;
                        st.queued += bytes.len();
                        st.messages.push_back(bytes);
                        (st.queued > BIDI_MAX_QUEUED_BYTES).then(|| {
                            Error::input(
                                "64 MiB of the answer arrived unread: read it as it arrives",
                            )
                        })
                    }
                }
                // The signal's `abort`.
                _ => Some(Error::aborted()),
            }
        };
        match refused {
            Some(e) => stop(&s, &ws, Some(e)),
            None => wake(&s),
        }
    })
}

impl BidiStream {
    /// Whether the socket is open: `Ok(false)` while it is opening; an error if it failed or
    /// closed first (a refused handshake), was aborted, or a bound passed.
    pub fn poll_open(&self) -> Result<bool, Error> {
        let refused = {
            let mut s = self.inner.state.borrow_mut();
            if let Some(e) = s.ended.take() {
                drop(s);
                return Err(self.fail(e));
            }
            if s.opened {
                return Ok(true);
            }
            (s.errored || s.closed.is_some()).then(|| s.closed.as_ref().map_or(1006, |c| c.0))
        };
        if let Some(code) = refused {
            return Err(self.fail(handshake_refused(code, &self.inner.model_id)));
        }
        self.time_left()
            .map_err(|b| self.fail(b.error(self.inner.idle_ms)))?;
        Ok(false)
    }

    /// Sends one input event (Nova Sonic: one JSON event), signed as it goes out: `Ok(true)`
    /// once sent, `Ok(false)` while the socket buffers more than [`BIDI_MAX_BUFFERED_BYTES`]
    /// (try again shortly). After the stream has ended (the answer is over, an error, an
    /// abort) or a bound passed, an error.
    pub fn try_send(&self, event: &[u8]) -> Result<bool, Error> {
        self.writable()?;
        if let Err(bound) = self.time_left() {
            // The reader is told too.
            stop(
                &self.inner.state,
                &self.inner.socket,
                Some(bound.error(self.inner.idle_ms)),
            );
            return Err(bound.error(self.inner.idle_ms));
        }
        if self.inner.socket.buffered_amount() > BIDI_MAX_BUFFERED_BYTES {
            return Ok(false);
        }
        let frame = self.inner.input.borrow_mut().event(event, self.now()?)?;
        self.transmit(&frame)?;
        Ok(true)
    }

    /// [`try_send`](Self::try_send), waiting while the socket's buffer is full.
    pub async fn send(&self, event: &[u8]) -> Result<(), Error> {
        while !self.try_send(event)? {
            sleep(BIDI_SEND_POLL_MS, None).await?;
        }
        Ok(())
    }

    /// Ends the input with the signed empty frame. The socket stays open: read until the
    /// end, when the service has sent the whole answer and closed.
    pub fn end(&self) -> Result<(), Error> {
        self.writable()?;
        let frame = self.inner.input.borrow_mut().end(self.now()?)?;
        self.transmit(&frame)
    }

    /// Whether [`end`](Self::end) was sent.
    pub fn is_input_ended(&self) -> bool {
        self.inner.input.borrow().is_ended()
    }

    /// The next output event decodable from what has arrived, [`BidiPoll::Pending`] if
    /// there is none yet, [`BidiPoll::End`] after the clean end (the service closed with
    /// 1000 between frames) or once the error that ended the stream was returned. Errors:
    /// exceptions, a close that is not a clean end, the abort, the bounds.
    pub fn poll_next(&self) -> Result<BidiPoll, Error> {
        let inner = &*self.inner;
        if inner.finished.get() {
            return Ok(BidiPoll::End);
        }
        loop {
            // Stopped on our side (an abort): at once, whatever is queued.
            let ended = inner.state.borrow_mut().ended.take();
            if let Some(e) = ended {
                return Err(self.fail(e));
            }
            match inner.decoder.borrow_mut().next_event() {
                Ok(Some(event)) => return Ok(BidiPoll::Event(event)),
                Ok(None) => {}
                Err(e) => return Err(self.fail(e)),
            }
            let (message, closed) = {
                let mut s = inner.state.borrow_mut();
                match s.messages.pop_front() {
                    Some(m) => {
                        s.queued -= m.len();
                        (Some(m), None)
                    }
                    None => (None, s.closed.clone()),
                }
            };
            match (message, closed) {
                (Some(m), _) => inner.decoder.borrow_mut().push(&m),
                (None, Some((code, reason))) => {
                    inner.finished.set(true);
                    inner.decoder.borrow_mut().close(code, &reason)?;
                    return Ok(BidiPoll::End);
                }
                (None, None) => {
                    self.time_left()
                        .map_err(|b| self.fail(b.error(inner.idle_ms)))?;
                    return Ok(BidiPoll::Pending);
                }
            }
        }
    }

    /// The next output event; `None` after the clean end or the error that ended it.
    pub async fn next(&self) -> Option<Result<BidiEvent, Error>> {
        loop {
            match self.poll_next() {
                Ok(BidiPoll::Event(e)) => return Some(Ok(e)),
                Ok(BidiPoll::End) => return None,
                Ok(BidiPoll::Pending) => {
                    let _ = JsFuture::from(self.wait()).await;
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// A promise that resolves when something happens on the socket (it opens, a message
    /// arrives, it closes, the signal aborts) or when the nearest bound passes; poll again
    /// then. One wait at a time: a new one resolves the one before.
    pub fn wait(&self) -> Promise {
        let left = self.time_left().unwrap_or(0.0);
        let state = self.inner.state.clone();
        Promise::new(&mut |resolve, _| {
            let timer = set_timeout(&resolve, left);
            let (waiter, timer) = {
                let mut s = state.borrow_mut();
                (s.waiter.replace(resolve), s.timer.replace(timer))
            };
            if let Some(t) = timer {
                clear_timeout(&t);
            }
            if let Some(w) = waiter {
                let _ = w.call0(&JsValue::UNDEFINED);
            }
        })
    }

    /// Stops the session: closes the socket at once (1000); reading then fails with
    /// `AbortError`.
    pub fn cancel(&self) {
        stop(
            &self.inner.state,
            &self.inner.socket,
            Some(Error::aborted()),
        );
    }

    /// The reader found `e`: the stream is over (reported by the caller, once).
    fn fail(&self, e: Error) -> Error {
        self.inner.finished.set(true);
        stop(&self.inner.state, &self.inner.socket, None);
        e
    }

    /// Refuses to send once the stream has ended, saying why.
    fn writable(&self) -> Result<(), Error> {
        let s = self.inner.state.borrow();
        if s.aborted {
            return Err(Error::aborted());
        }
        if s.stopped || s.closed.is_some() || self.inner.finished.get() {
            return Err(closed_error());
        }
        Ok(())
    }

    fn transmit(&self, frame: &[u8]) -> Result<(), Error> {
        // A copy in JS memory: a runtime may send the buffer after this returns.
        self.inner
            .socket
            .send_with_js_u8_array(&Uint8Array::from(frame))
            .map_err(|_| closed_error())?;
        self.inner.state.borrow_mut().last_activity_ms = js_sys::Date::now();
        Ok(())
    }

    /// Now, by the service's clock as far as the client knows it.
    fn now(&self) -> Result<std::time::SystemTime, Error> {
        Ok(signing_time(
            js_sys::Date::now(),
            self.inner.clock_offset_ms.get(),
        )?)
    }

    /// How long the next wait may last: what is left of the session and of the idle bound,
    /// or the bound that has passed.
    fn time_left(&self) -> Result<f64, Bound> {
        let now = js_sys::Date::now();
        let inner = &*self.inner;
        let mut left = inner.deadline_ms - now;
        if left <= 0.0 {
            return Err(Bound::Session);
        }
        if inner.idle_ms > 0 {
            let idle_left = inner.state.borrow().last_activity_ms + f64::from(inner.idle_ms) - now;
            if idle_left <= 0.0 {
                return Err(Bound::Idle);
            }
            left = left.min(idle_left);
        }
        Ok(left)
    }
}

/// A bound of the session that passed.
#[derive(Clone, Copy)]
enum Bound {
    Session,
    Idle,
}

impl Bound {
    fn error(self, idle_ms: u32) -> Error {
        match self {
            Bound::Session => Error::new(ErrorKind::SessionLimit {
                secs: (BIDI_SESSION_LIMIT_MS / 1000.0) as u32,
            }),
            Bound::Idle => Error::idle_timeout(idle_ms),
        }
    }
}

fn closed_error() -> Error {
    Error::new(ErrorKind::WebSocket {
        refused: false,
        code: 0,
        message: "the stream has ended: nothing more can be sent".into(),
    })
}
