//! InvokeModelWithBidirectionalStream over a WebSocket, as the AWS SDK for JavaScript speaks
//! it in browsers: `GET /model/{modelId}/invoke-with-bidirectional-stream-websocket` with a
//! presigned URL, then signed event-stream frames in binary messages (each frame's headers
//! `:date` and `:chunk-signature`, its payload one inner `chunk` event), answered by Nova
//! Sonic's output events (`sonic.rs`) in frames written by `frame.rs`.
//!
//! [`handshake`] checks everything the URL carries before upgrading (faults, the presigned
//! signature, HTTP faults, the model), so a refused handshake is an ordinary HTTP error;
//! [`session`] then verifies every frame's signature (chained from the URL's), feeds the
//! events to the Nova Sonic model and paces its answers, with the WebSocket faults.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::FromRequestParts;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use base64::Engine as _;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::time::{sleep_until, Instant as TokioInstant};

use super::body::wait_for_shutdown;
use super::handlers::{faults_and_clock, http_fault, retry_key};
use super::routes::{route, Operation};
use super::{ApiError, CatchPanic, Shared};
use crate::clock::{self, unix_secs};
use crate::families::{Family, INVALID_MODEL_ID};
use crate::fault::{self, exception_payload, Faults, StreamFault, StreamFaultKind};
use crate::frame;
use crate::frame_reader::{self, HeaderValue as FrameValue};
use crate::log::{elapsed_ms, RequestLog, SessionRecord};
use crate::sigv4::{self, percent_decode, IncomingRequest, Presigned};
use crate::sonic::{self, is_sonic_model};

/// The longest signed frame accepted (an outer frame with its inner event).
pub const MAX_FRAME_BYTES: usize = 1 << 20;
/// The longest WebSocket message accepted (several frames may share one).
pub const MAX_MESSAGE_BYTES: usize = 2 << 20;
/// The most input events one session may send.
pub const MAX_EVENTS: usize = 100_000;
/// The most decoded `audioInput` bytes one session may send (8 minutes of 24 kHz 16-bit
/// mono audio is 23,040,000 bytes).
pub const MAX_AUDIO_BYTES: u64 = 32 << 20;
/// How long the server waits for the client's close frame after sending its own.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Checks the handshake and upgrades, or answers the HTTP error a refused handshake gets.
pub(super) async fn handshake(
    s: &Arc<Shared>,
    id: &str,
    mut parts: axum::http::request::Parts,
    started: Instant,
    skew: &mut i64,
) -> Result<Response, ApiError> {
    let raw = route(&parts.method, parts.uri.path()).map_or("", |r| r.labels[0]);
    let decoded = String::from_utf8(percent_decode(raw)).unwrap_or_default();
    let (prefix_spec, model) = fault::split_model_prefix(&decoded);
    let (faults, now) = faults_and_clock(s, id, &parts, prefix_spec, skew)?;

    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned());
    if let Some(a) = authorization {
        let bearer = a
            .split_once(' ')
            .map_or(a.as_str(), |(scheme, _)| scheme)
            .eq_ignore_ascii_case("Bearer");
        s.log.update(id, |r| {
            r.signature = if bearer { "api-key" } else { "malformed" }.into()
        });
        return Err(if bearer {
            ApiError::new(
                403,
                "AccessDeniedException",
                "Bedrock API keys (Authorization: Bearer) are not accepted for \
                 InvokeModelWithBidirectionalStream: presign the WebSocket URL with SigV4 \
                 (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, \
                 X-Amz-Security-Token, X-Amz-SignedHeaders=host, X-Amz-Signature in the query).",
            )
        } else {
            ApiError::new(
                403,
                "IncompleteSignatureException",
                "The InvokeModelWithBidirectionalStream WebSocket is authenticated by a \
                 presigned URL (SigV4 in the query string), not by an Authorization header.",
            )
        });
    }
    // Credentials from the emulated Cognito count too, until they expire; the issuer finds
    // the access key in an Authorization header, so hand it the URL's credential that way.
    let mut key_headers = axum::http::HeaderMap::new();
    if let Some(credential) = query_param(parts.uri.query(), "X-Amz-Credential") {
        if let Ok(v) = HeaderValue::from_str(&format!(
            "AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature=0"
        )) {
            key_headers.insert(header::AUTHORIZATION, v);
        }
    }
    let credentials = s
        .cognito
        .credentials(&s.config.credentials, &key_headers, now)
        .map_err(|m| {
            s.log.update(id, |r| r.signature = "expired".into());
            ApiError::new(403, "ExpiredTokenException", m)
        })?;
    let incoming = IncomingRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        authority: parts.uri.authority().map(|a| a.as_str()),
        body: b"",
    };
    let verdict = sigv4::verify_presigned(&incoming, &credentials, now, s.config.region.as_deref());
    s.log.update(id, |r| {
        r.signature = match &verdict {
            Ok(_) => "valid".into(),
            Err(e) => e.verdict.into(),
        }
    });
    let presigned = verdict.map_err(|e| ApiError::new(e.status, e.code, e.message))?;

    let retries_seen = s.seen(&retry_key(&faults, Operation::Bidi, model, b""));
    s.log.update(id, |r| r.retries_seen = retries_seen);
    if let Some(answer) = http_fault(s, id, &faults, retries_seen, started, *skew, model) {
        return answer;
    }
    if let Some(status) = faults.ws_refuse {
        let code = refusal_code(status);
        s.log
            .update(id, |r| r.note_applied(format!("ws-refuse {status} {code}")));
        return Err(ApiError::new(
            status,
            code,
            format!(
                "The WebSocket handshake was refused with {status} (emulator fault ws-refuse)."
            ),
        ));
    }
    if faults.replay.is_some() {
        return Err(ApiError::validation(
            "Invalid emulator fault spec: replay=NAME cannot answer \
             InvokeModelWithBidirectionalStream (captures are one-way event streams).",
        ));
    }
    if !is_sonic_model(model) {
        // Refused before the upgrade, like every other check of the URL: see README.
        return Err(ApiError::validation(if Family::of_model(model).is_some() {
            format!(
                "The provided model {model} does not support InvokeModelWithBidirectionalStream; \
                 use a speech-to-speech model such as {}.",
                sonic::SONIC_MODELS[0]
            )
        } else {
            INVALID_MODEL_ID.to_owned()
        }));
    }
    s.log.update(id, |r| r.family = Some("nova-sonic".into()));
    let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &())
        .await
        .map_err(|e| {
            ApiError::validation(format!(
                "InvokeModelWithBidirectionalStream on this path is a WebSocket: send a GET with \
                 Connection: Upgrade, Upgrade: websocket, Sec-WebSocket-Version: 13 and a \
                 Sec-WebSocket-Key ({e})."
            ))
        })?;
    let ctx = SessionCtx {
        s: s.clone(),
        id: id.to_owned(),
        started,
        skew: *skew,
        presigned,
        faults,
    };
    let log = s.log.clone();
    let failed_id = id.to_owned();
    s.log.update(id, |r| {
        r.status = 101;
        r.first_byte_ms = Some(elapsed_ms(started));
        r.session = Some(SessionRecord::default());
    });
    let mut response = upgrade
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_failed_upgrade(move |e| {
            log.update(&failed_id, |r| {
                r.error = Some(format!("the WebSocket upgrade failed: {e}"));
                r.duration_ms = Some(elapsed_ms(started));
            })
        })
        .on_upgrade(move |socket| run(ctx, socket));
    if let Ok(v) = HeaderValue::from_str(id) {
        response.headers_mut().insert("x-amzn-RequestId", v);
    }
    Ok(response)
}

/// A query parameter, percent-decoded (the first, if repeated).
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (percent_decode(k) == name.as_bytes())
            .then(|| String::from_utf8_lossy(&percent_decode(v)).into_owned())
    })
}

/// The error code a `ws-refuse=STATUS` refusal carries.
fn refusal_code(status: u16) -> &'static str {
    match status {
        403 => "AccessDeniedException",
        404 => "ResourceNotFoundException",
        408 => "ModelTimeoutException",
        424 => "ModelErrorException",
        429 => "ThrottlingException",
        503 => "ServiceUnavailableException",
        400..=499 => "ValidationException",
        _ => "InternalServerException",
    }
}

/// What a session needs from its handshake.
struct SessionCtx {
    s: Arc<Shared>,
    id: String,
    started: Instant,
    skew: i64,
    presigned: Presigned,
    faults: Faults,
}

/// Runs a session; a panic (an emulator bug) ends it and is logged instead of vanishing.
async fn run(ctx: SessionCtx, socket: WebSocket) {
    let log = ctx.s.log.clone();
    let (id, started) = (ctx.id.clone(), ctx.started);
    if let Err(panic) = CatchPanic(Box::pin(session(ctx, socket))).await {
        let what = panic
            .downcast_ref::<&str>()
            .map(|m| (*m).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        log.update(&id, |r| {
            r.error = Some(format!(
                "the emulator failed in this session (a bug): {what}"
            ));
            r.duration_ms = Some(elapsed_ms(started));
            if let Some(s) = &mut r.session {
                s.ended = Some("emulator bug".into());
            }
        });
    }
}

/// How a session ends.
enum End {
    /// Everything answered after the end of input: close 1000.
    Done,
    /// The client refused or broke the protocol: this exception, then close 1000.
    Refused(&'static str, String),
    /// A fault: already acted on (what to write in the log).
    Fault(String),
    /// The client closed (close code) or went away.
    ClientClosed(Option<u16>),
    ClientGone(String),
    Shutdown,
}

type Tx = SplitSink<WebSocket, Message>;
type Rx = SplitStream<WebSocket>;

fn update_session(log: &RequestLog, id: &str, f: impl FnOnce(&mut SessionRecord)) {
    log.update(id, |r| {
        if let Some(s) = &mut r.session {
            f(s)
        }
    });
}

/// An output event frame: `:event-type chunk`, `:content-type application/json`,
/// `:message-type event`, payload `{"bytes":"<base64 JSON>"}`.
fn event_frame(event: &Value) -> Vec<u8> {
    let payload = serde_json::json!({
        "bytes": base64::engine::general_purpose::STANDARD.encode(event.to_string()),
    });
    frame::encode(
        &[
            (":event-type", "chunk"),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        payload.to_string().as_bytes(),
    )
    .unwrap_or_default()
}

/// A `:message-type exception` frame with this `:exception-type` and `{"message":…}`.
fn exception_frame(exception_type: &str, payload: &Value) -> Vec<u8> {
    frame::encode(
        &[
            (":exception-type", exception_type),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        payload.to_string().as_bytes(),
    )
    .unwrap_or_default()
}

/// What the session loop does with one received frame.
struct Input {
    reader: frame_reader::Reader,
    prior: String,
    sonic: sonic::Session,
    events: usize,
    /// Signed frames verified.
    frames: usize,
    ended: bool,
}

impl Input {
    /// Verifies one signed frame and feeds its event to the model; returns the output events.
    fn frame(
        &mut self,
        c: &SessionCtx,
        f: frame_reader::Frame,
    ) -> Result<Vec<Value>, (&'static str, String)> {
        let invalid = |m: String| ("validationException", m);
        if self.ended {
            return Err(invalid(
                "A frame arrived after the end of input (the signed empty frame); send nothing after it."
                    .into(),
            ));
        }
        let names: Vec<&str> = f.headers.iter().map(|h| h.name.as_str()).collect();
        let date = f.headers.iter().find(|h| h.name == ":date");
        let sig = f.header(":chunk-signature");
        let (Some(date), Some(FrameValue::Bytes(sig)), 2) = (date, sig, f.headers.len()) else {
            return Err(invalid(format!(
                "Each frame must carry exactly the headers :date (timestamp) and \
                 :chunk-signature (32 bytes); this one has {names:?}."
            )));
        };
        let FrameValue::Timestamp(ms) = date.value else {
            return Err(invalid(format!(
                "The :date header must be a timestamp (type 8), not a {}.",
                date.value.type_name()
            )));
        };
        if sig.len() != 32 {
            return Err(invalid(format!(
                "The :chunk-signature header must hold 32 bytes (an HMAC-SHA256), not {}.",
                sig.len()
            )));
        }
        let now = clock::shift(SystemTime::now(), c.skew).map_or(0, unix_secs);
        let secs = ms.div_euclid(1000);
        if secs.abs_diff(now) > sigv4::MAX_SKEW_SECS as u64 {
            return Err(invalid(format!(
                "Signature expired: the frame's :date {} is more than 5 minutes from the server \
                 time {}.",
                clock::format_amz_date(secs),
                clock::format_amz_date(now)
            )));
        }
        let expected = sigv4::event_signature(
            &c.presigned.secret_access_key,
            ms,
            &c.presigned.region,
            &self.prior,
            &date.raw,
            &f.payload,
        );
        if !sigv4::constant_time_eq(&expected, sig) {
            return Err(invalid(format!(
                "Invalid event signature: the :chunk-signature of frame {} does not match the \
                 one computed (AWS4-HMAC-SHA256-PAYLOAD, chained from the prior signature {}).",
                self.frames + 1,
                self.prior
            )));
        }
        self.prior = hex::encode(sig);
        self.frames += 1;
        if f.payload.is_empty() {
            self.ended = true;
            return Ok(Vec::new());
        }
        let inner = frame_reader::decode(&f.payload, MAX_FRAME_BYTES)
            .map_err(|e| invalid(format!("The signed frame's payload is not an event: {e}")))?;
        let text = |name: &str| match inner.header(name) {
            Some(FrameValue::String(v)) => Some(v.as_str()),
            _ => None,
        };
        if text(":message-type") != Some("event") || text(":event-type") != Some("chunk") {
            return Err(invalid(
                "The inner event must have :message-type event and :event-type chunk.".into(),
            ));
        }
        if let Some(ct) = inner.header(":content-type") {
            if *ct != FrameValue::String("application/json".into()) {
                return Err(invalid(
                    "The inner event's :content-type must be application/json.".into(),
                ));
            }
        }
        let body: Value = serde_json::from_slice(&inner.payload).map_err(|e| {
            invalid(format!(
                "The chunk's payload must be JSON {{\"bytes\":\"<base64>\"}}: {e}"
            ))
        })?;
        let bytes = body
            .get("bytes")
            .and_then(Value::as_str)
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .ok_or_else(|| {
                invalid("The chunk's payload must be {\"bytes\":\"<base64 JSON event>\"}.".into())
            })?;
        let event: Value = serde_json::from_slice(&bytes)
            .map_err(|e| invalid(format!("The chunk's bytes are not a JSON event: {e}")))?;
        self.events += 1;
        if self.events > MAX_EVENTS {
            return Err(invalid(format!(
                "A session may send at most {MAX_EVENTS} events."
            )));
        }
        // Logged before it is checked, so a refused event shows in `events_received` too.
        let name = event
            .get("event")
            .and_then(Value::as_object)
            .and_then(|m| m.keys().next())
            .map_or("<malformed>", String::as_str)
            .to_owned();
        update_session(&c.s.log, &c.id, |r| r.received(&name));
        let (_, out) = self.sonic.input(&event).map_err(invalid)?;
        update_session(&c.s.log, &c.id, |r| {
            r.audio_bytes_received = self.sonic.audio_bytes;
            r.turns = self.sonic.turns;
        });
        if self.sonic.audio_bytes > MAX_AUDIO_BYTES {
            return Err(invalid(format!(
                "A session may send at most {MAX_AUDIO_BYTES} bytes of audio."
            )));
        }
        Ok(out)
    }
}

async fn send(tx: &mut Tx, bytes: Vec<u8>) -> Result<(), End> {
    tx.send(Message::Binary(bytes.into()))
        .await
        .map_err(|e| End::ClientGone(e.to_string()))
}

async fn close(tx: &mut Tx, rx: &mut Rx, code: u16, reason: &str) {
    let _ = tx
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
    // Let the client answer the close (the closing handshake), briefly.
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(m)) = rx.next().await {
            if matches!(m, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// A fault that ends the session (an exception or error frame, a close, a dropped
/// connection) struck after `sent` events: logged with `note`, done, and how the session
/// ended; `None` for the faults that do not end it.
async fn strike(
    kind: &StreamFaultKind,
    sent: usize,
    note: &impl Fn(String),
    tx: &mut Tx,
    rx: &mut Rx,
) -> Option<End> {
    Some(match kind {
        StreamFaultKind::Exception(t) => {
            note(format!("{t} after {sent} events"));
            let _ = send(tx, exception_frame(t, &exception_payload(t))).await;
            close(tx, rx, 1000, "").await;
            End::Fault(format!("fault: {t}"))
        }
        StreamFaultKind::Error => {
            note(format!("error frame after {sent} events"));
            let _ = send(tx, error_frame()).await;
            close(tx, rx, 1000, "").await;
            End::Fault("fault: error frame".into())
        }
        StreamFaultKind::WsClose(code) => {
            note(format!("closed {code} after {sent} events"));
            close(tx, rx, *code, "emulator fault ws-close").await;
            End::Fault(format!("fault: closed {code}"))
        }
        StreamFaultKind::WsDrop => {
            note(format!("dropped the connection after {sent} events"));
            End::Fault("fault: dropped".into())
        }
        _ => return None,
    })
}

async fn session(c: SessionCtx, socket: WebSocket) {
    let (mut tx, mut rx) = socket.split();
    let log = c.s.log.clone();
    let note = |what: String| log.update(&c.id, |r| r.note_applied(what));
    let mut input = Input {
        reader: frame_reader::Reader::new(MAX_FRAME_BYTES),
        prior: c.presigned.signature.clone(),
        sonic: sonic::Session::new(),
        events: 0,
        frames: 0,
        ended: false,
    };
    let mut faults: Vec<(StreamFault, bool)> = c
        .faults
        .stream
        .iter()
        .cloned()
        .map(|f| (f, false))
        .collect();
    // Stalls first, so `stall=…@K,exception=…@K` pauses before the exception.
    faults.sort_by_key(|(f, _)| !matches!(f.kind, StreamFaultKind::Stall(_)));
    let (token_delay, first_byte_delay) = (c.s.config.token_delay, c.s.config.first_byte_delay);
    let mut queue: VecDeque<Value> = VecDeque::new();
    let mut due: Option<TokioInstant> = None;
    let mut pace = Duration::ZERO;
    let mut sent = 0usize;
    let mut shutdown = c.s.shutdown.clone();
    let limit = TokioInstant::now() + c.s.config.bidi_session_limit;
    let mut last_input = TokioInstant::now();
    let far = TokioInstant::now() + Duration::from_secs(86_400 * 365);

    let end = 'session: loop {
        if input.ended && queue.is_empty() {
            // Faults past the end of the answer strike at its end.
            for (f, fired) in faults.iter_mut().filter(|(_, fired)| !*fired) {
                *fired = true;
                if let Some(end) = strike(&f.kind, sent, &note, &mut tx, &mut rx).await {
                    break 'session end;
                }
            }
            break End::Done;
        }
        let idle_at = if queue.is_empty() {
            last_input + c.s.config.bidi_idle_timeout
        } else {
            far
        };
        let send_at = due.filter(|_| !queue.is_empty()).unwrap_or(far);
        tokio::select! {
            biased;
            _ = wait_for_shutdown(&mut shutdown) => break End::Shutdown,
            _ = sleep_until(limit) => break End::Refused(
                "validationException",
                format!(
                    "The session reached the {} s limit of InvokeModelWithBidirectionalStream.",
                    c.s.config.bidi_session_limit.as_secs()
                ),
            ),
            _ = sleep_until(idle_at) => break End::Refused(
                "validationException",
                format!(
                    "Timed out waiting for input events: nothing arrived for {} s.",
                    c.s.config.bidi_idle_timeout.as_secs()
                ),
            ),
            message = rx.next() => {
                last_input = TokioInstant::now();
                let data = match message {
                    Some(Ok(Message::Binary(data))) => data,
                    Some(Ok(Message::Text(_))) => break End::Refused(
                        "validationException",
                        "Send the events as binary WebSocket messages, not text.".into(),
                    ),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(frame))) => break End::ClientClosed(frame.map(|f| f.code)),
                    Some(Err(e)) => break End::ClientGone(e.to_string()),
                    None => break End::ClientGone("the connection ended".into()),
                };
                update_session(&log, &c.id, |r| r.messages_received += 1);
                input.reader.push(&data);
                loop {
                    let f = match input.reader.next_frame() {
                        Ok(Some(f)) => f,
                        Ok(None) => break,
                        Err(e) => break 'session End::Refused("validationException", e),
                    };
                    match input.frame(&c, f) {
                        Ok(out) => {
                            update_session(&log, &c.id, |r| {
                                r.frames_received += 1;
                                r.end_of_input = input.ended;
                            });
                            if !out.is_empty() {
                                if queue.is_empty() {
                                    due = Some(TokioInstant::now() + first_byte_delay + token_delay);
                                }
                                queue.extend(out);
                            }
                        }
                        Err((t, m)) => break 'session End::Refused(t, m),
                    }
                }
            }
            _ = sleep_until(send_at) => {
                // The faults due before event `sent + 1`.
                let mut corrupt = false;
                for (f, fired) in faults.iter_mut().filter(|(f, fired)| !*fired && f.after == sent) {
                    *fired = true;
                    match &f.kind {
                        StreamFaultKind::Stall(d) => {
                            note(format!("stalled {:.3}s after {sent} events", d.as_secs_f64()));
                            due = Some(TokioInstant::now() + *d);
                            continue 'session;
                        }
                        StreamFaultKind::Pace(d) => pace = *d,
                        kind @ (StreamFaultKind::Exception(_)
                        | StreamFaultKind::Error
                        | StreamFaultKind::WsClose(_)
                        | StreamFaultKind::WsDrop) => {
                            if let Some(end) = strike(kind, sent, &note, &mut tx, &mut rx).await {
                                break 'session end;
                            }
                        }
                        StreamFaultKind::Truncate => {
                            let bytes = queue.front().map(event_frame).unwrap_or_default();
                            let cut = (bytes.len() / 2) | 1;
                            note(format!("truncated frame {} after {cut} of {} bytes", sent + 1, bytes.len()));
                            let _ = send(&mut tx, bytes[..cut.min(bytes.len())].to_vec()).await;
                            close(&mut tx, &mut rx, 1000, "").await;
                            break 'session End::Fault("fault: truncated frame".into());
                        }
                        StreamFaultKind::CorruptCrc => corrupt = true,
                    }
                }
                let Some(event) = queue.pop_front() else { continue };
                let mut bytes = event_frame(&event);
                if corrupt {
                    note(format!("corrupt message CRC on frame {}", sent + 1));
                    if let Some(last) = bytes.last_mut() {
                        *last ^= 0xff;
                    }
                }
                if let Err(end) = send(&mut tx, bytes).await {
                    break end;
                }
                sent += 1;
                log.update(&c.id, |r| r.chunks_sent = sent);
                due = Some(TokioInstant::now() + token_delay + pace);
                // The idle time counts from the end of the answer too.
                last_input = TokioInstant::now();
            }
        }
    };

    let (ended, error, completed, early) = match end {
        End::Done => {
            close(&mut tx, &mut rx, 1000, "").await;
            let how = if input.sonic.turns > 0 {
                "closed 1000 after the answer"
            } else {
                "closed 1000 after the end of input"
            };
            (how.to_owned(), None, true, false)
        }
        End::Refused(t, m) => {
            let _ = send(
                &mut tx,
                exception_frame(t, &serde_json::json!({ "message": m })),
            )
            .await;
            close(&mut tx, &mut rx, 1000, "").await;
            let code = capitalized(t);
            (
                format!("{t}: {m}"),
                Some(format!("{code}: {m}")),
                false,
                false,
            )
        }
        End::Fault(what) => (what, None, false, false),
        End::ClientClosed(code) => {
            let pending = !input.ended || !queue.is_empty();
            let how = match code {
                Some(code) => format!("client closed ({code})"),
                None => "client closed".to_owned(),
            };
            let error = pending.then(|| format!("{how} before the end of input and the answer"));
            (how, error, false, pending)
        }
        End::ClientGone(e) => (
            "client went away".to_owned(),
            Some(format!("the client went away: {e}")),
            false,
            true,
        ),
        End::Shutdown => {
            close(&mut tx, &mut rx, 1001, "the emulator is shutting down").await;
            (
                "shutdown".to_owned(),
                Some("the emulator shut down".into()),
                false,
                true,
            )
        }
    };
    log.update(&c.id, |r| {
        r.completed = completed;
        r.client_closed_early = early;
        if error.is_some() {
            r.error = error;
        }
        r.duration_ms = Some(elapsed_ms(c.started));
        if let Some(s) = &mut r.session {
            s.ended = Some(ended);
            s.turns = input.sonic.turns;
            s.end_of_input = input.ended;
        }
    });
}

/// `validationException` → `ValidationException` (the log's `Code: message`).
fn capitalized(t: &str) -> String {
    let mut c = t.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// An unmodeled `:message-type error` frame, as the `error` fault sends on other streams.
fn error_frame() -> Vec<u8> {
    frame::encode(
        &[
            (":error-code", "InternalFailure"),
            (
                ":error-message",
                "The request processing has failed because of an unknown error.",
            ),
            (":message-type", "error"),
        ],
        b"",
    )
    .unwrap_or_default()
}
