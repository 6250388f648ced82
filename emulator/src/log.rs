//! The request log: one [`RequestRecord`] per request, updated while its response streams.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde::Serialize;

/// What the emulator saw and did for one request. Serialized as-is by `GET /_emulator/log`.
#[derive(Clone, Debug, Serialize)]
pub struct RequestRecord {
    /// The `x-amzn-RequestId` sent back.
    pub id: String,
    /// `InvokeModel`, `InvokeModelWithResponseStream`, `Converse`, `ConverseStream`,
    /// `Preflight`, `Unknown`, or for the emulated sign-in `Cognito.<Operation>` /
    /// `STS.AssumeRoleWithWebIdentity`.
    pub operation: String,
    /// The decoded model id from the path (`anthropic.claude-v2:1`), when the route had one,
    /// without an `emulator-fault:<spec>:` prefix.
    pub model_id: Option<String>,
    /// HTTP status sent; 0 while the request is still being handled.
    pub status: u16,
    /// Authentication verdict: SigV4's `valid`, `missing`, `malformed`, `unknown-key`,
    /// `bad-token`, `expired`, `not-yet-current`, `wrong-scope`, `wrong-region`, `invalid`; an
    /// API key's `api-key` or `unknown-api-key`; `unsigned` (Cognito and STS calls); or
    /// `not-checked` (preflight, unknown route, unparseable fault spec).
    pub signature: String,
    /// `Code: message` of the error returned, or why the response stopped early.
    pub error: Option<String>,
    /// Event-stream frames fully handed to the connection (streaming only).
    pub chunks_sent: usize,
    /// The whole response body was handed to the connection.
    pub completed: bool,
    /// The client went away (or the emulator shut down) before the body was complete.
    pub client_closed_early: bool,
    /// Request arrival, milliseconds since the Unix epoch.
    pub started_ms: u64,
    /// Arrival to end of the response body (or to the client leaving); `None` while in flight.
    pub duration_ms: Option<u64>,
    /// Arrival to the first response-body byte handed to the connection (for error and
    /// preflight responses, to the response); `None` before that.
    pub first_byte_ms: Option<u64>,
    /// How many earlier requests had the same retry key: the fault key (`key=…`, or the fault
    /// spec as sent) when a fault was selected, otherwise the operation + model id + SHA-256
    /// of the body. A client's retries of one call therefore count 1, 2, … Counted once the
    /// request is authenticated; `POST /_emulator/reset` clears the counts.
    pub retries_seen: u32,
    /// The fault spec the request selected (`x-emulator-fault` header and/or the
    /// `emulator-fault:<spec>:` model-id prefix), as sent.
    pub fault: Option<String>,
    /// What the emulator did about it (`ThrottlingException (1 of 2)`, `throttlingException
    /// after 3 frames`, `replay <file>`, …); `None` when nothing was applied.
    pub fault_applied: Option<String>,
    /// The model family that answered (`claude-text`, `claude-messages`, `nova`, …).
    pub family: Option<String>,
    /// With the `chunk-times` item only: when each event-stream frame was fully handed to the
    /// connection, microseconds since the Unix epoch (wall clock, so a browser on the same
    /// machine can compare it with `performance.timeOrigin + performance.now()`). Left out
    /// of the JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chunk_times_us: Vec<u64>,
    /// InvokeModelWithBidirectionalStream only: what happened on the WebSocket. Left out of
    /// the JSON for every other operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionRecord>,
}

/// A run of input events of one type, in the order received (`audioInput` × 40).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct EventCount {
    pub event: String,
    pub count: usize,
}

/// One InvokeModelWithBidirectionalStream WebSocket session.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SessionRecord {
    /// The input events, in order, consecutive ones of a type counted together.
    pub events_received: Vec<EventCount>,
    /// WebSocket messages received (binary and text).
    pub messages_received: usize,
    /// Signed frames received and verified (the end-of-input frame included).
    pub frames_received: usize,
    /// Decoded `audioInput` bytes.
    pub audio_bytes_received: u64,
    /// The signed empty frame that ends the input arrived.
    pub end_of_input: bool,
    /// Turns answered.
    pub turns: usize,
    /// How the session ended: `closed 1000 after the answer`, `client closed (1000)`,
    /// `client went away`, `validationException: …`, `fault: closed 1011`, `fault: dropped`,
    /// `idle timeout`, `session limit`, `shutdown`; `None` while open.
    pub ended: Option<String>,
}

impl SessionRecord {
    /// Counts one input event.
    pub(crate) fn received(&mut self, event: &str) {
        match self.events_received.last_mut() {
            Some(last) if last.event == event => last.count += 1,
            _ => self.events_received.push(EventCount {
                event: event.to_owned(),
                count: 1,
            }),
        }
    }
}

impl RequestRecord {
    /// The record of a request that has just arrived: nothing checked or sent yet.
    pub(crate) fn arrived(id: String, model_id: Option<String>, started_ms: u64) -> Self {
        RequestRecord {
            id,
            operation: String::new(),
            model_id,
            status: 0,
            signature: "not-checked".into(),
            error: None,
            chunks_sent: 0,
            completed: false,
            client_closed_early: false,
            started_ms,
            duration_ms: None,
            first_byte_ms: None,
            retries_seen: 0,
            fault: None,
            fault_applied: None,
            family: None,
            chunk_times_us: Vec::new(),
            session: None,
        }
    }

    /// Records a response sent whole, at once (an error, a preflight, a sign-in answer): it
    /// is complete, and its first byte left when it ended.
    pub(crate) fn answered(&mut self, status: u16, error: Option<String>, started: Instant) {
        self.status = status;
        self.error = error;
        self.completed = true;
        self.duration_ms = Some(elapsed_ms(started));
        self.first_byte_ms = self.duration_ms;
    }

    /// Adds `what` to [`Self::fault_applied`] (`first; second`).
    pub(crate) fn note_applied(&mut self, what: String) {
        self.fault_applied = Some(match self.fault_applied.take() {
            Some(prev) => format!("{prev}; {what}"),
            None => what,
        });
    }
}

/// Milliseconds since `started`, for the log's timings.
pub(crate) fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Marks a request as abandoned if its handler is dropped (the client left) before a
/// response was produced, e.g. during InvokeModel's simulated generation time.
pub(crate) struct InFlight {
    log: RequestLog,
    id: String,
    started: Instant,
    armed: bool,
}

impl InFlight {
    pub(crate) fn new(log: &RequestLog, id: &str, started: Instant) -> Self {
        InFlight {
            log: log.clone(),
            id: id.to_owned(),
            started,
            armed: true,
        }
    }

    /// The handler produced its response: nothing to record on drop.
    pub(crate) fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.armed {
            let elapsed = elapsed_ms(self.started);
            self.log.update(&self.id, |r| {
                r.client_closed_early = true;
                r.duration_ms = Some(elapsed);
                r.error.get_or_insert_with(|| {
                    "client closed the connection before the response was sent".into()
                });
            });
        }
    }
}

/// Shared, cheaply cloneable handle to the log.
#[derive(Clone, Default)]
pub(crate) struct RequestLog(Arc<Mutex<Vec<RequestRecord>>>);

impl RequestLog {
    fn lock(&self) -> MutexGuard<'_, Vec<RequestRecord>> {
        // A panic elsewhere must not make the log unreadable: the data is still consistent.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn push(&self, record: RequestRecord) {
        self.lock().push(record);
    }

    /// Applies `f` to the record with this id, if it is still in the log (a reset drops it).
    pub(crate) fn update(&self, id: &str, f: impl FnOnce(&mut RequestRecord)) {
        if let Some(r) = self.lock().iter_mut().rev().find(|r| r.id == id) {
            f(r);
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<RequestRecord> {
        self.lock().clone()
    }

    /// Empties the log and returns how many records it held.
    pub(crate) fn clear(&self) -> usize {
        let mut log = self.lock();
        let n = log.len();
        log.clear();
        n
    }
}
