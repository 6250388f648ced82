//! The HTTP side: routing on the raw path, CORS, authentication (SigV4 or an API key), faults,
//! the four operations, the introspection routes and the paced, deliberately fragmented
//! response bodies.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use base64::Engine as _;
use tokio::sync::{mpsc, watch};

use crate::answer::{fnv1a, Answer, Rng, ECHO_MARKER, MAX_ECHO_BYTES};
use crate::clock::{self, http_date, unix_millis, unix_secs, MAX_CLOCK_SKEW_SECS};
use crate::converse::{converse_body, converse_events, parse_converse};
use crate::families::{invoke_body, parse_request, stream_chunks, Family};
use crate::fault::{self, exception_payload, Faults, HttpFault, StreamFault, StreamFaultKind};
use crate::frame::{self, FrameError};
use crate::json::J;
use crate::log::{RequestLog, RequestRecord};
use crate::plan::{Frame, Metrics, Planned};
use crate::sigv4::{self, percent_decode, IncomingRequest};
use crate::Config;

/// Bedrock's request-body limit (service model `Body` max length).
const MAX_BODY: usize = 25_000_000;
/// The `p` padding alphabet observed in real streams; each chunk carries a prefix of it.
const PADDING: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Pause between the pieces of one write, so the client really receives them separately.
const PIECE_PAUSE: Duration = Duration::from_millis(1);
const ERROR_NAMESPACE: &str = ":http://internal.amazon.com/coral/com.amazon.bedrock/";
const UNKNOWN_OPERATION_BODY: &str =
    r#"{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}"#;
/// Offered in a preflight answer when the browser did not list the headers it wants.
const DEFAULT_ALLOW_HEADERS: &str =
    "authorization, content-type, x-amz-date, x-amz-security-token, \
     x-amz-content-sha256, x-amz-user-agent, x-amzn-bedrock-accept, x-amzn-bedrock-trace, \
     x-emulator-fault";
const EVENTSTREAM: &str = "application/vnd.amazon.eventstream";
/// The longest the emulator ever waits in one go: a configured delay beyond this (e.g.
/// `--token-delay-ms 18446744073709551615`) means "never" and must not overflow the clock.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// State shared by all requests of one emulator.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) log: RequestLog,
    next_id: AtomicU64,
    id_seed: u64,
    shutdown: watch::Receiver<bool>,
    expose_headers: Option<HeaderValue>,
    /// Requests seen per retry key (see [`retry_key`]).
    counters: Mutex<HashMap<String, u32>>,
    /// What the emulated Cognito/STS handed out (see `cognito.rs`).
    pub(crate) cognito: crate::cognito::Issuer,
}

impl Shared {
    pub(crate) fn new(config: Config, shutdown: watch::Receiver<bool>) -> Self {
        let expose_headers = HeaderValue::from_str(&config.expose_headers.join(", ")).ok();
        Shared {
            config,
            log: RequestLog::default(),
            next_id: AtomicU64::new(0),
            // Different per start, so ids from two runs are not confused in a test's output.
            id_seed: fnv1a(&unix_millis(SystemTime::now()).to_le_bytes()),
            shutdown,
            expose_headers,
            counters: Mutex::new(HashMap::new()),
            cognito: Default::default(),
        }
    }

    /// A fresh uuid-shaped request id.
    fn request_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut rng = Rng::new(self.id_seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        crate::ids::uuid(&mut rng)
    }

    /// How many earlier requests had this retry key; counts this one.
    fn seen(&self, key: &str) -> u32 {
        let mut counters = self
            .counters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let n = counters.entry(key.to_owned()).or_insert(0);
        let seen = *n;
        *n = n.saturating_add(1);
        seen
    }

    /// Empties the log and the retry/fault counters; returns how many records the log held.
    pub(crate) fn reset(&self) -> usize {
        self.counters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
        self.log.clear()
    }

    /// Status, `x-amzn-RequestId` and `Date` (the server clock shifted by `skew` seconds).
    fn plain_response(
        &self,
        id: &str,
        status: StatusCode,
        skew: i64,
    ) -> axum::http::response::Builder {
        Response::builder()
            .status(status)
            .header("x-amzn-RequestId", id)
            .header(
                header::DATE,
                http_date(unix_secs(SystemTime::now()).saturating_add(skew)),
            )
    }

    /// [`Self::plain_response`] plus the CORS headers every non-preflight Bedrock, Cognito
    /// and STS response has.
    pub(crate) fn response(
        &self,
        id: &str,
        status: StatusCode,
        skew: i64,
    ) -> axum::http::response::Builder {
        let mut b = self
            .plain_response(id, status, skew)
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        if let Some(expose) = &self.expose_headers {
            b = b.header(header::ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
        }
        b
    }

    fn error_response(&self, id: &str, e: &ApiError, skew: i64) -> Response {
        let mut body = serde_json::Map::new();
        // Bedrock's front end spells it `Message` for API-key failures, `message` otherwise.
        let key = if e.capital_message {
            "Message"
        } else {
            "message"
        };
        body.insert(key.into(), e.message.clone().into());
        if let Some(serde_json::Value::Object(extra)) = &e.extra {
            body.extend(extra.clone());
        }
        let mut b = self
            .response(id, e.status, skew)
            .header("x-amzn-ErrorType", format!("{}{ERROR_NAMESPACE}", e.code))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(secs) = e.retry_after {
            b = b.header(header::RETRY_AFTER, secs);
        }
        finish(b, Body::from(serde_json::Value::Object(body).to_string()))
    }

    fn unknown_operation(&self, id: &str, skew: i64) -> Response {
        finish(
            self.response(id, StatusCode::OK, skew)
                .header(header::CONTENT_TYPE, "application/json"),
            Body::from(UNKNOWN_OPERATION_BODY),
        )
    }
}

/// Builds a response. Every header value the emulator sets is either static, a number, or
/// copied from a valid request header, so this does not fail; if it ever did, the client gets
/// a bare 500 instead of the emulator panicking.
pub(crate) fn finish(builder: axum::http::response::Builder, body: Body) -> Response {
    builder.body(body).unwrap_or_else(|e| {
        let mut r = Response::new(Body::from(
            serde_json::json!({ "message": format!("The emulator could not build its response: {e}") })
                .to_string(),
        ));
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(guarded).with_state(shared)
}

/// A future that turns a panic while polling `F` into an `Err` (like `catch_unwind`).
struct CatchPanic<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// [`handle`], with a last line of defence: no input is known to make the emulator panic
/// (`tests/hostile.rs`), but if a bug does, the client gets a 500 `InternalServerException`
/// naming it instead of a connection dropped without an answer.
async fn guarded(State(s): State<Arc<Shared>>, req: Request) -> Response {
    match CatchPanic(Box::pin(handle(s.clone(), req))).await {
        Ok(response) => response,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|m| (*m).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let id = s.request_id();
            let e = ApiError::new(
                500,
                "InternalServerException",
                format!("The emulator failed on this request (an emulator bug; please report it): {what}"),
            );
            s.error_response(&id, &e, s.config.clock_skew_secs)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Invoke,
    Stream,
    Converse,
    ConverseStream,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Invoke => "InvokeModel",
            Operation::Stream => "InvokeModelWithResponseStream",
            Operation::Converse => "Converse",
            Operation::ConverseStream => "ConverseStream",
        }
    }

    fn streaming(self) -> bool {
        matches!(self, Operation::Stream | Operation::ConverseStream)
    }
}

/// Matches `/model/{modelId}/{operation}` on the raw path, with the model id as exactly one
/// segment. An id with a literal `/` therefore does not match, as on Bedrock.
fn route(path: &str) -> Option<(Operation, &str)> {
    let (model, op) = path.strip_prefix("/model/")?.split_once('/')?;
    if model.is_empty() {
        return None;
    }
    match op {
        "invoke" => Some((Operation::Invoke, model)),
        "invoke-with-response-stream" => Some((Operation::Stream, model)),
        "converse" => Some((Operation::Converse, model)),
        "converse-stream" => Some((Operation::ConverseStream, model)),
        _ => None,
    }
}

/// An error answered Bedrock-style (`x-amzn-ErrorType` + `{"message":…}`).
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
    /// More body fields (`originalStatusCode`, `resourceName`).
    extra: Option<serde_json::Value>,
    capital_message: bool,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            code,
            message: message.into(),
            retry_after: None,
            extra: None,
            capital_message: false,
        }
    }

    fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationException", message)
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// `t + d`, for waits: delays beyond [`FAR_FUTURE`] are waited as `FAR_FUTURE` ("never"),
/// so no configured delay can overflow the clock.
fn after(t: tokio::time::Instant, d: Duration) -> tokio::time::Instant {
    // An instant 30 years on is always representable; `t` is only a formal fallback.
    t.checked_add(d.min(FAR_FUTURE)).unwrap_or(t)
}

async fn handle(s: Arc<Shared>, req: Request) -> Response {
    let started = Instant::now();
    let started_ms = unix_millis(SystemTime::now());
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();

    if path.starts_with("/_emulator/") {
        return introspection(&s, &parts);
    }
    let id = s.request_id();
    let routed = route(&path);
    let model_id = routed.map(|(_, raw)| {
        let decoded = String::from_utf8_lossy(&percent_decode(raw)).into_owned();
        fault::split_model_prefix(&decoded).1.to_owned()
    });
    let skew = s.config.clock_skew_secs;
    let mut record = RequestRecord {
        id: id.clone(),
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
    };

    if parts.method == Method::OPTIONS {
        let response = preflight(&s, &id, &parts.headers);
        record.operation = "Preflight".into();
        record.status = response.status().as_u16();
        record.completed = true;
        record.duration_ms = Some(elapsed_ms(started));
        record.first_byte_ms = record.duration_ms;
        s.log.push(record);
        return response;
    }
    if let Some(service) = crate::cognito::service(&parts.method, &path, &parts.headers) {
        return crate::cognito::handle(&s, service, record, &parts, body).await;
    }
    let op = match routed {
        Some((op, _)) if parts.method == Method::POST => op,
        _ => {
            // Bedrock's front end answers an unroutable request with a 200 whose body names
            // the error; clients must treat `Output.__type` as a failure.
            record.operation = "Unknown".into();
            record.status = 200;
            record.error = Some(format!(
                "UnknownOperationException: no operation for {} {path}",
                parts.method
            ));
            record.completed = true;
            record.duration_ms = Some(elapsed_ms(started));
            record.first_byte_ms = record.duration_ms;
            s.log.push(record);
            return s.unknown_operation(&id, skew);
        }
    };
    record.operation = op.name().into();
    s.log.push(record);

    let mut guard = InFlight {
        log: s.log.clone(),
        id: id.clone(),
        started,
        armed: true,
    };
    let mut skew = skew;
    let result = operation(&s, &id, op, &parts, body, started, &mut skew).await;
    guard.armed = false;
    match result {
        Ok(response) => response,
        Err(e) => {
            s.log.update(&id, |r| {
                r.status = e.status.as_u16();
                r.error = Some(format!("{}: {}", e.code, e.message));
                r.completed = true;
                r.duration_ms = Some(elapsed_ms(started));
                r.first_byte_ms = r.duration_ms;
            });
            s.error_response(&id, &e, skew)
        }
    }
}

/// The `Authorization: Bearer <key>` value, if that is how the request authenticates.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    // `Bearer` with no key is an (empty, so unknown) API key, not a SigV4 attempt.
    let (scheme, key) = value.split_once(' ').unwrap_or((value, ""));
    scheme.eq_ignore_ascii_case("Bearer").then(|| key.trim())
}

/// Checks the request's API key or SigV4 signature, and records the verdict.
fn authenticate(
    s: &Shared,
    id: &str,
    parts: &axum::http::request::Parts,
    body: &[u8],
    now: SystemTime,
) -> Result<(), ApiError> {
    // Two credentials are ambiguous (which one counts?): refuse rather than pick one.
    if parts
        .headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .nth(1)
        .is_some()
    {
        s.log.update(id, |r| r.signature = "malformed".into());
        return Err(ApiError::new(
            403,
            "IncompleteSignatureException",
            sigv4::MULTIPLE_AUTHORIZATION,
        ));
    }
    if let Some(key) = bearer(&parts.headers).filter(|_| !s.config.api_keys.is_empty()) {
        let known = s
            .config
            .api_keys
            .iter()
            .any(|k| sigv4::constant_time_eq(k.as_bytes(), key.as_bytes()));
        s.log.update(id, |r| {
            r.signature = if known { "api-key" } else { "unknown-api-key" }.into()
        });
        if known {
            return Ok(());
        }
        let message = if key.starts_with("ABSK") {
            "Authentication failed: Please make sure your API Key is valid."
        } else {
            "Invalid API Key format: Must start with pre-defined prefix"
        };
        return Err(ApiError {
            capital_message: true,
            ..ApiError::new(403, "UnrecognizedClientException", message)
        });
    }
    let incoming = IncomingRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        authority: parts.uri.authority().map(|a| a.as_str()),
        body,
    };
    // Credentials from the emulated Cognito count too, until they expire.
    let credentials = s
        .cognito
        .credentials(&s.config.credentials, &parts.headers, now)
        .map_err(|message| {
            s.log.update(id, |r| r.signature = "expired".into());
            ApiError::new(403, "ExpiredTokenException", message)
        })?;
    let verdict = sigv4::verify_in_region(&incoming, &credentials, now, s.config.region.as_deref());
    s.log.update(id, |r| {
        r.signature = match &verdict {
            Ok(_) => "valid".into(),
            Err(e) => e.verdict.into(),
        }
    });
    verdict
        .map(|_| ())
        .map_err(|e| ApiError::new(e.status, e.code, e.message))
}

/// Requests with the same retry key count as retries of each other (`retries_seen`): the
/// fault key when a fault is selected, otherwise the operation, model id and body hash.
fn retry_key(faults: &Faults, op: Operation, model: &str, body: &[u8]) -> String {
    if faults.spec.is_empty() {
        format!("request:{}:{model}:{}", op.name(), sigv4::sha256_hex(body))
    } else {
        format!("fault:{}", faults.key)
    }
}

/// Resolves a replay capture name in the replay directory.
fn resolve_replay(dir: Option<&Path>, name: &str) -> Result<PathBuf, ApiError> {
    let dir = dir.ok_or_else(|| {
        ApiError::validation(format!(
            "Cannot replay {name:?}: the emulator has no replay directory (start it with --replay-dir DIR)."
        ))
    })?;
    [dir.join(name), dir.join(format!("{name}.eventstream"))]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| {
            ApiError::validation(format!(
                "Cannot replay {name:?}: no such file in {}.",
                dir.display()
            ))
        })
}

/// Splits a capture into its frames by their `total_length`; bytes that do not form a whole
/// frame are kept as one last piece, so a damaged capture replays as it is.
pub(crate) fn capture_frames(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = bytes.len() - at;
        let len = bytes
            .get(at..at.saturating_add(4))
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .and_then(|b| usize::try_from(u32::from_be_bytes(b)).ok())
            .filter(|len| *len >= 16 && *len <= rest)
            .unwrap_or(rest);
        frames.push(bytes[at..at + len].to_vec());
        at += len;
    }
    frames
}

/// Verifies, applies faults, validates and starts answering one model request. `skew` is
/// the clock skew in effect (the configured one plus a `clock-skew` fault's).
async fn operation(
    s: &Arc<Shared>,
    id: &str,
    op: Operation,
    parts: &axum::http::request::Parts,
    body: Body,
    started: Instant,
    skew: &mut i64,
) -> Result<Response, ApiError> {
    let body = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::validation(
            "Could not read the request body: it is over the 25,000,000-byte limit, or the client \
             stopped sending it.",
        )
    })?;
    let raw_model = route(parts.uri.path()).map(|(_, m)| m).unwrap_or_default();
    let decoded = String::from_utf8(percent_decode(raw_model)).unwrap_or_default();
    let (prefix_spec, model) = fault::split_model_prefix(&decoded);
    // A repeated header counts as one comma-separated list, as HTTP (and SigV4) join them.
    let mut header_specs = Vec::new();
    for value in parts.headers.get_all(fault::FAULT_HEADER) {
        let Ok(text) = value.to_str() else {
            let shown = String::from_utf8_lossy(value.as_bytes()).into_owned();
            s.log.update(id, |r| r.fault = Some(shown));
            return Err(ApiError::validation(format!(
                "Invalid emulator fault spec: the {} header must be visible ASCII (e.g. \
                 throttle=2,retry-after=1); it holds other bytes.",
                fault::FAULT_HEADER
            )));
        };
        header_specs.push(text);
    }
    let spec = header_specs
        .into_iter()
        .chain(prefix_spec)
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(",");
    let faults = if spec.is_empty() {
        Faults::default()
    } else {
        s.log.update(id, |r| r.fault = Some(spec.clone()));
        fault::parse(&spec).map_err(ApiError::validation)?
    };
    if let Some(extra) = faults.clock_skew {
        *skew = clock::add_skew(*skew, extra).ok_or_else(|| {
            ApiError::validation(format!(
                "Invalid emulator fault spec {spec:?}: the clock skew in effect ({} s configured \
                 + {extra} s) must stay between -{MAX_CLOCK_SKEW_SECS} and {MAX_CLOCK_SKEW_SECS} \
                 seconds.",
                *skew
            ))
        })?;
    }
    let now = clock::shift(SystemTime::now(), *skew).ok_or_else(|| {
        ApiError::validation(format!(
            "The server clock shifted by {} s is not a representable time.",
            *skew
        ))
    })?;

    authenticate(s, id, parts, &body, now)?;
    let retries_seen = s.seen(&retry_key(&faults, op, model, &body));
    s.log.update(id, |r| r.retries_seen = retries_seen);

    if let Some((fault, times)) = faults.http {
        if times.is_none_or(|n| retries_seen < n) {
            let (status, code, message) = fault.error();
            let note = match times {
                Some(n) => format!("{code} ({} of {n})", retries_seen.saturating_add(1)),
                None => code.to_owned(),
            };
            s.log.update(id, |r| r.fault_applied = Some(note));
            if fault == HttpFault::UnknownOperation {
                s.log.update(id, |r| {
                    r.status = 200;
                    r.error = Some("UnknownOperationException (fault)".into());
                    r.completed = true;
                    r.duration_ms = Some(elapsed_ms(started));
                    r.first_byte_ms = r.duration_ms;
                });
                return Ok(s.unknown_operation(id, *skew));
            }
            let extra = (fault == HttpFault::ModelError).then(|| {
                serde_json::json!({
                    "originalStatusCode": 500,
                    "resourceName": format!("arn:aws:bedrock:{}::foundation-model/{model}",
                        s.config.region.as_deref().unwrap_or("us-east-1")),
                })
            });
            return Err(ApiError {
                retry_after: faults.retry_after,
                extra,
                ..ApiError::new(status, code, message)
            });
        }
    }

    let family = Family::of_model(model)
        .ok_or_else(|| ApiError::validation("The provided model identifier is invalid."))?;
    let now_secs = unix_secs(now);
    let (answer, prompt, planned, invoke_json, family) = match op {
        Operation::Invoke | Operation::Stream => {
            let req = parse_request(family, model, &body).map_err(ApiError::validation)?;
            check_echo(&req.prompt)?;
            let answer = req.answer();
            let mut rng = Rng::new(fnv1a(req.prompt.as_bytes()) ^ 0x1d5);
            let planned = stream_chunks(&req, &answer, &mut rng, now_secs);
            let json = invoke_body(&req, &answer, &mut rng, now_secs);
            (answer, req.prompt, planned, Some(json), req.family)
        }
        Operation::Converse | Operation::ConverseStream => {
            let req = parse_converse(&body).map_err(ApiError::validation)?;
            check_echo(&req.prompt)?;
            let answer = req.answer();
            let planned = converse_events(&answer);
            (answer, req.prompt, planned, None, family)
        }
    };
    s.log.update(id, |r| r.family = Some(family.name().into()));
    let rng = Rng::new(fnv1a(prompt.as_bytes()) ^ 0x5eed);

    let replay = match (&faults.replay, op.streaming()) {
        (Some(name), true) => Some(resolve_replay(s.config.replay_dir.as_deref(), name)?),
        (Some(name), false) => {
            return Err(ApiError::validation(format!(
                "Cannot replay {name:?} on {}: replay applies to streaming operations only.",
                op.name()
            )))
        }
        (None, true) => s.config.replay.clone(),
        (None, false) => None,
    };
    let planned = match replay {
        Some(path) => {
            let bytes = std::fs::read(&path).map_err(|e| {
                ApiError::new(
                    500,
                    "InternalServerException",
                    format!(
                        "The emulator cannot read the replay file {}: {e}",
                        path.display()
                    ),
                )
            })?;
            let note = format!("replay {}", path.display());
            s.log.update(id, |r| {
                r.fault_applied = Some(match r.fault_applied.take() {
                    Some(prev) => format!("{prev}; {note}"),
                    None => note,
                })
            });
            capture_frames(&bytes)
                .into_iter()
                .map(|frame| Planned {
                    tokens: 1,
                    frame: Frame::Raw(frame),
                })
                .collect()
        }
        None => planned,
    };

    let ctx = Ctx {
        id: id.to_owned(),
        started,
        skew: *skew,
    };
    Ok(match op {
        Operation::Invoke => {
            let json = invoke_json.ok_or_else(|| {
                ApiError::new(
                    500,
                    "InternalServerException",
                    "No InvokeModel body was planned.",
                )
            })?;
            invoke(s, &ctx, json.bytes(), Some(&answer), rng).await
        }
        Operation::Converse => {
            generation_time(s, answer.tokens.len()).await;
            let body = converse_body(&answer, elapsed_ms(started)).bytes();
            invoke(s, &ctx, body, None, rng).await
        }
        Operation::Stream | Operation::ConverseStream => {
            stream(s, &ctx, op, planned, faults.stream, faults.chunk_times, rng)
        }
    })
}

/// Refuses an echo of more than [`MAX_ECHO_BYTES`] (it would plan millions of frames).
fn check_echo(prompt: &str) -> Result<(), ApiError> {
    match crate::answer::echo_text(prompt).map(str::len) {
        Some(n) if n > MAX_ECHO_BYTES => Err(ApiError::validation(format!(
            "The emulator echoes at most {MAX_ECHO_BYTES} bytes after {ECHO_MARKER:?}; this \
             prompt asks for {n}."
        ))),
        _ => Ok(()),
    }
}

/// What a response needs to know about its request.
struct Ctx {
    id: String,
    started: Instant,
    skew: i64,
}

fn preflight(s: &Shared, id: &str, headers: &HeaderMap) -> Response {
    let allow_headers = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or(HeaderValue::from_static(DEFAULT_ALLOW_HEADERS));
    let mut b = s
        .plain_response(id, StatusCode::OK, s.config.clock_skew_secs)
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS")
        .header(header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers)
        .header(header::ACCESS_CONTROL_MAX_AGE, "600")
        .header(header::CONTENT_LENGTH, "0");
    if let Some(expose) = &s.expose_headers {
        b = b.header(header::ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
    }
    finish(b, Body::empty())
}

/// `host[:port]` (a `Host` header or a URI authority) names this machine: `localhost`, an
/// IPv4 loopback address or `[::1]`, with an optional numeric port.
fn loopback_authority(authority: &str) -> bool {
    let port_ok = |port: &str| {
        !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok()
    };
    if let Some(rest) = authority.strip_prefix('[') {
        let Some((ip, after)) = rest.split_once(']') else {
            return false;
        };
        let port_fine = after.is_empty() || after.strip_prefix(':').is_some_and(port_ok);
        return port_fine && ip.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
    }
    let host = match authority.split_once(':') {
        Some((host, port)) if port_ok(port) => host,
        Some(_) => return false,
        None => authority,
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// A browser `Origin` of a page served from this machine: `http://` or `https://` and a
/// loopback authority, nothing else (no path, no user info; `null` is not one).
fn loopback_origin(origin: &str) -> bool {
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(loopback_authority)
}

/// Who may use the `/_emulator/*` control routes.
enum Control {
    /// No `Origin`: not a browser's cross-origin request (curl, tests, Node's `fetch`).
    NoOrigin,
    /// A page on this machine: allowed, and its origin is echoed in
    /// `Access-Control-Allow-Origin`.
    Loopback(HeaderValue),
    /// Refused (403), for this reason.
    Refused(String),
}

/// The `/_emulator/*` access rule: the `Host` must be loopback (so a DNS-rebinding page that
/// reaches the port under its own name is refused), and an `Origin`, if any, must be a
/// loopback origin (so an arbitrary page cannot read the log or reset the counters).
fn control_access(parts: &axum::http::request::Parts) -> Control {
    let hosts = parts.headers.get_all(header::HOST);
    let host_ok = hosts
        .iter()
        .all(|h| h.to_str().is_ok_and(loopback_authority))
        && parts
            .uri
            .authority()
            .is_none_or(|a| loopback_authority(a.as_str()));
    if !host_ok {
        return Control::Refused(
            "The emulator's control routes (/_emulator/*) answer only requests addressed to \
             127.0.0.1, [::1] or localhost (the Host header names another host; DNS rebinding?)."
                .into(),
        );
    }
    let mut origins = parts.headers.get_all(header::ORIGIN).iter();
    match (origins.next(), origins.next()) {
        (None, _) => Control::NoOrigin,
        (Some(origin), None) if origin.to_str().is_ok_and(loopback_origin) => {
            Control::Loopback(origin.clone())
        }
        (Some(origin), _) => Control::Refused(format!(
            "The emulator's control routes (/_emulator/*) do not answer cross-origin requests \
             from {:?}: only pages on http://127.0.0.1, http://localhost or http://[::1] (any \
             port) may use them.",
            String::from_utf8_lossy(origin.as_bytes())
        )),
    }
}

/// `GET /_emulator/log` (the log as a JSON array) and `POST /_emulator/reset` (clears it and
/// the fault/retry counters). Not logged themselves, so tests can poll without disturbing
/// what they inspect. Unlike the Bedrock routes they carry no `Access-Control-Allow-Origin:
/// *`: see [`control_access`] for who may call them.
fn introspection(s: &Shared, parts: &axum::http::request::Parts) -> Response {
    let id = s.request_id();
    let access = control_access(parts);
    let base = |status: StatusCode| {
        let b = s
            .plain_response(&id, status, s.config.clock_skew_secs)
            .header(header::CACHE_CONTROL, "no-store")
            .header(header::VARY, "Origin");
        match &access {
            Control::Loopback(origin) => b.header(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin),
            Control::NoOrigin | Control::Refused(_) => b,
        }
    };
    let json = |status: StatusCode, body: String| {
        finish(
            base(status).header(header::CONTENT_TYPE, "application/json"),
            Body::from(body),
        )
    };
    if let Control::Refused(why) = &access {
        return finish(
            base(StatusCode::FORBIDDEN)
                .header(
                    "x-amzn-ErrorType",
                    format!("AccessDeniedException{ERROR_NAMESPACE}"),
                )
                .header(header::CONTENT_TYPE, "application/json"),
            Body::from(serde_json::json!({ "message": why }).to_string()),
        );
    }
    match (&parts.method, parts.uri.path()) {
        (&Method::GET, "/_emulator/log") => json(
            StatusCode::OK,
            serde_json::to_string(&s.log.snapshot()).unwrap_or_else(|_| "[]".into()),
        ),
        (&Method::POST, "/_emulator/reset") => json(
            StatusCode::OK,
            serde_json::json!({ "cleared": s.reset() }).to_string(),
        ),
        (&Method::OPTIONS, _) => {
            let b = base(StatusCode::NO_CONTENT);
            let b = match access {
                Control::Loopback(_) => b
                    .header(header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS")
                    .header(header::ACCESS_CONTROL_MAX_AGE, "600"),
                _ => b,
            };
            finish(b, Body::empty())
        }
        _ => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({ "message": "Emulator routes: GET /_emulator/log, POST /_emulator/reset." }).to_string(),
        ),
    }
}

/// Waits as long as generating `tokens` tokens takes (non-streaming operations).
async fn generation_time(s: &Shared, tokens: usize) {
    let tokens = u32::try_from(tokens).unwrap_or(u32::MAX);
    let generation = s
        .config
        .first_byte_delay
        .saturating_add(s.config.token_delay.saturating_mul(tokens));
    if !generation.is_zero() {
        let mut shutdown = s.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep_until(after(tokio::time::Instant::now(), generation)) => {}
            _ = wait_for_shutdown(&mut shutdown) => {}
        }
    }
}

/// InvokeModel (with `answer`: waits the generation time, adds the token-count and latency
/// headers) or Converse (already waited): one JSON body written in fragments.
async fn invoke(
    s: &Arc<Shared>,
    ctx: &Ctx,
    body: Vec<u8>,
    answer: Option<&Answer>,
    mut rng: Rng,
) -> Response {
    if let Some(answer) = answer {
        generation_time(s, answer.tokens.len()).await;
    }
    let latency = elapsed_ms(ctx.started);
    let pieces = split_body(&body, &mut rng);
    let mut producer = Producer::new(s, &ctx.id, ctx.started);
    let (body_stream, all_sent) = (producer.body(Some(body.len())), producer.all_sent.clone());
    let pause = !s.config.token_delay.is_zero();
    tokio::spawn(async move {
        let mut producer = producer;
        let result = async {
            for (i, piece) in pieces.into_iter().enumerate() {
                if i > 0 && pause {
                    producer.wait(PIECE_PAUSE).await?;
                }
                producer.send(piece).await?;
            }
            Ok(())
        }
        .await;
        producer.finish(result, &all_sent, "body pieces");
    });
    s.log.update(&ctx.id, |r| r.status = 200);
    let mut b = s
        .response(&ctx.id, StatusCode::OK, ctx.skew)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, body.len());
    if let Some(answer) = answer {
        b = b
            .header("X-Amzn-Bedrock-Input-Token-Count", answer.input_tokens)
            .header("X-Amzn-Bedrock-Output-Token-Count", answer.output_tokens())
            .header("X-Amzn-Bedrock-Invocation-Latency", latency);
    }
    finish(b, body_stream)
}

/// Timing a stream's metrics report.
struct Timing {
    latency_ms: u64,
    first_byte_ms: u64,
}

fn padding(rng: &mut Rng) -> &'static str {
    &PADDING[..1 + rng.below(PADDING.len())]
}

fn metrics_json(m: &Metrics, t: &Timing) -> J {
    let mut j = J::obj([
        ("inputTokenCount", m.input.into()),
        ("outputTokenCount", m.output.into()),
        ("invocationLatency", t.latency_ms.into()),
        ("firstByteLatency", t.first_byte_ms.into()),
    ]);
    if m.cache {
        j.push("cacheReadInputTokenCount", 0u32);
        j.push("cacheWriteInputTokenCount", 0u32);
    }
    j
}

/// Encodes a planned frame at send time, with Bedrock's all-string headers in the captured
/// order `:event-type`, `:content-type`, `:message-type`.
fn encode(frame: &Frame, rng: &mut Rng, t: &Timing) -> Result<Vec<u8>, FrameError> {
    let event = |event_type: &str, payload: Vec<u8>| {
        frame::encode(
            &[
                (":event-type", event_type),
                (":content-type", "application/json"),
                (":message-type", "event"),
            ],
            &payload,
        )
    };
    match frame {
        Frame::Chunk { json, metrics } => {
            let mut json = json.clone();
            if let Some(m) = metrics {
                json.push("amazon-bedrock-invocationMetrics", metrics_json(m, t));
            }
            let payload = J::obj([
                (
                    "bytes",
                    base64::engine::general_purpose::STANDARD
                        .encode(json.bytes())
                        .into(),
                ),
                ("p", padding(rng).into()),
            ]);
            event("chunk", payload.bytes())
        }
        Frame::Event { event_type, json } => {
            let mut json = json.clone();
            if *event_type == "metadata" {
                json.set("metrics", J::obj([("latencyMs", t.latency_ms.into())]));
            }
            json.push("p", padding(rng));
            event(event_type, json.sorted().bytes())
        }
        Frame::Raw(bytes) => Ok(bytes.clone()),
    }
}

/// A `:message-type: exception` frame (headers in the same order as events).
fn exception_frame(exception_type: &str) -> Result<Vec<u8>, FrameError> {
    frame::encode(
        &[
            (":exception-type", exception_type),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        exception_payload(exception_type).to_string().as_bytes(),
    )
}

/// An unmodeled `:message-type: error` frame: code and message in headers, empty payload.
fn error_frame() -> Result<Vec<u8>, FrameError> {
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
}

/// Where a stream fault strikes in a plan of `n` frames: before frame `at` (`at == n`: after
/// the last one). Damage to a frame needs a frame, so it clamps to the last.
fn fault_position(f: &StreamFault, n: usize) -> usize {
    match f.kind {
        StreamFaultKind::Truncate | StreamFaultKind::CorruptCrc => f.after.min(n.saturating_sub(1)),
        _ => f.after.min(n),
    }
}

/// InvokeModelWithResponseStream / ConverseStream: the planned frames, paced by their token
/// counts, each split mid-prelude; stream faults strike between frames.
fn stream(
    s: &Arc<Shared>,
    ctx: &Ctx,
    op: Operation,
    planned: Vec<Planned>,
    mut faults: Vec<StreamFault>,
    chunk_times: bool,
    mut rng: Rng,
) -> Response {
    let mut producer = Producer::new(s, &ctx.id, ctx.started);
    let body = producer.body(None);
    let all_sent = producer.all_sent.clone();
    let (first_byte_delay, token_delay) = (s.config.first_byte_delay, s.config.token_delay);
    let log = s.log.clone();
    let id = ctx.id.clone();
    let started = ctx.started;
    // Stalls first, so `stall=…@K,exception=…@K` pauses before the exception.
    faults.sort_by_key(|f| !matches!(f.kind, StreamFaultKind::Stall(_)));
    tokio::spawn(async move {
        let mut producer = producer;
        let n = planned.len();
        let note = |what: String| {
            log.update(&id, |r| {
                r.fault_applied = Some(match r.fault_applied.take() {
                    Some(prev) => format!("{prev}; {what}"),
                    None => what,
                })
            })
        };
        let result = async {
            producer.wait(first_byte_delay).await?;
            // Frame i is due at `tokens_start + (tokens up to i) × token_delay`: pacing by
            // deadline keeps the rate at `token_delay` despite the pauses between pieces.
            let tokens_start = tokio::time::Instant::now();
            let mut due_tokens = 0u32;
            let mut first_byte_ms = None;
            let mut pace = Duration::ZERO;
            for i in 0..=n {
                for f in faults.iter().filter(|f| fault_position(f, n) == i) {
                    match &f.kind {
                        StreamFaultKind::Stall(d) => {
                            note(format!("stalled {:.3}s after {i} frames", d.as_secs_f64()));
                            producer.wait(*d).await?;
                        }
                        StreamFaultKind::Pace(d) => pace = *d,
                        StreamFaultKind::Exception(t) => {
                            note(format!("{t} after {i} frames"));
                            let frame = exception_frame(t).map_err(Stop::Unencodable)?;
                            send_frame(&mut producer, &frame, &mut rng, token_delay).await?;
                            return Ok(());
                        }
                        StreamFaultKind::Error => {
                            note(format!("error frame after {i} frames"));
                            let frame = error_frame().map_err(Stop::Unencodable)?;
                            send_frame(&mut producer, &frame, &mut rng, token_delay).await?;
                            return Ok(());
                        }
                        StreamFaultKind::Truncate | StreamFaultKind::CorruptCrc => {}
                    }
                }
                let Some(next) = planned.get(i) else {
                    break;
                };
                if !pace.is_zero() {
                    producer.wait(pace).await?;
                }
                due_tokens = due_tokens.saturating_add(next.tokens);
                producer
                    .wait_until(after(tokens_start, token_delay.saturating_mul(due_tokens)))
                    .await?;
                let first = *first_byte_ms.get_or_insert(elapsed_ms(started));
                let timing = Timing {
                    latency_ms: elapsed_ms(started),
                    first_byte_ms: first,
                };
                let mut frame =
                    encode(&next.frame, &mut rng, &timing).map_err(Stop::Unencodable)?;
                let damage = faults.iter().find(|f| {
                    fault_position(f, n) == i
                        && matches!(
                            f.kind,
                            StreamFaultKind::Truncate | StreamFaultKind::CorruptCrc
                        )
                });
                match damage.map(|f| &f.kind) {
                    Some(StreamFaultKind::Truncate) => {
                        let cut = (frame.len() / 2) | 1;
                        note(format!(
                            "truncated frame {} after {cut} of {} bytes",
                            i + 1,
                            frame.len()
                        ));
                        producer.send(Bytes::copy_from_slice(&frame[..cut])).await?;
                        return Ok(());
                    }
                    Some(StreamFaultKind::CorruptCrc) => {
                        note(format!("corrupt message CRC on frame {}", i + 1));
                        if let Some(last) = frame.last_mut() {
                            *last ^= 0xff;
                        }
                    }
                    _ => {}
                }
                send_frame(&mut producer, &frame, &mut rng, token_delay).await?;
                let now = chunk_times.then(|| {
                    SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
                });
                log.update(&id, |r| {
                    r.chunks_sent = i + 1;
                    r.chunk_times_us.extend(now);
                });
            }
            Ok(())
        }
        .await;
        producer.finish(result, &all_sent, &format!("of {n} frames"));
    });
    s.log.update(&ctx.id, |r| r.status = 200);
    let mut b = s
        .response(&ctx.id, StatusCode::OK, ctx.skew)
        .header(header::CONTENT_TYPE, EVENTSTREAM);
    if op == Operation::Stream {
        b = b.header("X-Amzn-Bedrock-Content-Type", "application/json");
    }
    finish(b, body)
}

/// Writes one frame in 2–3 pieces.
async fn send_frame(
    producer: &mut Producer,
    frame: &[u8],
    rng: &mut Rng,
    token_delay: Duration,
) -> Result<(), Stop> {
    for (j, piece) in split_frame(frame, rng).into_iter().enumerate() {
        if j > 0 && !token_delay.is_zero() {
            producer.wait(PIECE_PAUSE).await?;
        }
        producer.send(piece).await?;
    }
    Ok(())
}

/// Cuts an event-stream frame into 2–3 pieces, the first cut at an odd offset inside the
/// 12-byte prelude, so clients must reassemble preludes.
fn split_frame(frame: &[u8], rng: &mut Rng) -> Vec<Bytes> {
    let first = 1 + 2 * rng.below(6); // 1, 3, …, 11
    let mut cuts = vec![first];
    if rng.below(2) == 0 && frame.len() > first + 2 {
        cuts.push((first + 1 + rng.below(frame.len() - first - 1)) | 1);
    }
    pieces(frame, &cuts)
}

/// Cuts a body every few dozen bytes, preferring a cut inside a multi-byte UTF-8 character.
fn split_body(body: &[u8], rng: &mut Rng) -> Vec<Bytes> {
    let mut cuts = Vec::new();
    let mut at = 0;
    loop {
        at += 7 + 2 * rng.below(40);
        if at >= body.len() {
            break;
        }
        // A UTF-8 continuation byte within reach: cut right before it, mid-character.
        if let Some(k) = body[at..body.len().min(at + 12)]
            .iter()
            .position(|b| b & 0xc0 == 0x80)
        {
            at += k;
        }
        cuts.push(at);
    }
    pieces(body, &cuts)
}

fn pieces(data: &[u8], cuts: &[usize]) -> Vec<Bytes> {
    let mut out = Vec::new();
    let mut start = 0;
    for &cut in cuts {
        if cut > start && cut < data.len() {
            out.push(Bytes::copy_from_slice(&data[start..cut]));
            start = cut;
        }
    }
    out.push(Bytes::copy_from_slice(&data[start..]));
    out
}

async fn wait_for_shutdown(rx: &mut watch::Receiver<bool>) {
    // An error means the emulator handle is gone, which is a shutdown too.
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Why a producer stopped before the end.
enum Stop {
    ClientGone,
    Shutdown,
    /// A planned frame does not fit the wire format (an emulator bug: plans are bounded).
    Unencodable(FrameError),
}

/// The writing side of a response body: a capacity-1 channel, so the producer runs at most
/// one piece ahead of the connection and notices a departed client at its next step.
struct Producer {
    tx: mpsc::Sender<Bytes>,
    rx: Option<mpsc::Receiver<Bytes>>,
    shutdown: watch::Receiver<bool>,
    log: RequestLog,
    id: String,
    started: Instant,
    all_sent: Arc<AtomicBool>,
}

impl Producer {
    fn new(s: &Shared, id: &str, started: Instant) -> Self {
        let (tx, rx) = mpsc::channel(1);
        Producer {
            tx,
            rx: Some(rx),
            shutdown: s.shutdown.clone(),
            log: s.log.clone(),
            id: id.to_owned(),
            started,
            all_sent: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The response body reading from this producer.
    /// `expected_len` is the declared `Content-Length`, if any: hyper stops polling (and drops
    /// the body) once that many bytes went out, which then counts as complete.
    fn body(&mut self, expected_len: Option<usize>) -> Body {
        let rx = self.rx.take().expect("a producer feeds exactly one body");
        Body::from_stream(ChannelBody {
            rx,
            yielded: 0,
            end: Some(EndHook {
                log: self.log.clone(),
                id: self.id.clone(),
                started: self.started,
                all_sent: self.all_sent.clone(),
                expected_len,
            }),
        })
    }

    async fn wait(&mut self, d: Duration) -> Result<(), Stop> {
        self.wait_until(after(tokio::time::Instant::now(), d)).await
    }

    /// Sleeps until `deadline`, or returns early with the reason production must stop.
    async fn wait_until(&mut self, deadline: tokio::time::Instant) -> Result<(), Stop> {
        if deadline <= tokio::time::Instant::now() {
            return if self.tx.is_closed() {
                Err(Stop::ClientGone)
            } else {
                Ok(())
            };
        }
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => Ok(()),
            _ = self.tx.closed() => Err(Stop::ClientGone),
            _ = wait_for_shutdown(&mut self.shutdown) => Err(Stop::Shutdown),
        }
    }

    async fn send(&mut self, piece: Bytes) -> Result<(), Stop> {
        tokio::select! {
            sent = self.tx.send(piece) => sent.map_err(|_| Stop::ClientGone),
            _ = wait_for_shutdown(&mut self.shutdown) => Err(Stop::Shutdown),
        }
    }

    /// Records how production ended; dropping `self` then ends the body stream.
    fn finish(self, result: Result<(), Stop>, all_sent: &AtomicBool, what: &str) {
        match result {
            Ok(()) => all_sent.store(true, Ordering::SeqCst),
            Err(stop) => {
                let elapsed = elapsed_ms(self.started);
                self.log.update(&self.id, |r| {
                    let sent = r.chunks_sent;
                    r.duration_ms.get_or_insert(elapsed);
                    match stop {
                        Stop::ClientGone => {
                            r.client_closed_early = true;
                            r.error.get_or_insert(format!(
                                "client closed the connection after {sent} {what}"
                            ));
                        }
                        Stop::Shutdown => {
                            r.error.get_or_insert(format!(
                                "the emulator shut down after {sent} {what}"
                            ));
                        }
                        Stop::Unencodable(e) => {
                            r.error.get_or_insert(format!(
                                "the emulator could not encode the frame after {sent} {what} \
                                 (an emulator bug; please report it): {e}"
                            ));
                        }
                    }
                });
            }
        }
    }
}

/// The body hyper polls: yields what the producer sends; records completion when the stream
/// ends after everything was sent, or an early close when hyper drops it first.
struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
    /// Bytes handed to hyper so far.
    yielded: usize,
    end: Option<EndHook>,
}

struct EndHook {
    log: RequestLog,
    id: String,
    started: Instant,
    all_sent: Arc<AtomicBool>,
    expected_len: Option<usize>,
}

impl EndHook {
    fn fire(self, reached_end: bool, yielded: usize) {
        let complete = if reached_end {
            // The stream also ends when the producer gives up; only a full run is complete.
            self.all_sent.load(Ordering::SeqCst)
        } else {
            self.expected_len == Some(yielded)
        };
        let elapsed = elapsed_ms(self.started);
        self.log.update(&self.id, |r| {
            r.duration_ms.get_or_insert(elapsed);
            if complete {
                r.completed = true;
            } else if !reached_end {
                r.client_closed_early = true;
                r.error.get_or_insert_with(|| {
                    "client closed the connection before the body was complete".into()
                });
            }
        });
    }
}

impl futures_core::Stream for ChannelBody {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match this.rx.poll_recv(cx) {
            Poll::Ready(Some(bytes)) => {
                if this.yielded == 0 {
                    if let Some(end) = &this.end {
                        let ms = elapsed_ms(end.started);
                        end.log
                            .update(&end.id, |r| _ = r.first_byte_ms.get_or_insert(ms));
                    }
                }
                this.yielded += bytes.len();
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready(None) => {
                let Some(end) = this.end.take() else {
                    return Poll::Ready(None);
                };
                let complete = end.all_sent.load(Ordering::SeqCst);
                end.fire(true, this.yielded);
                if complete {
                    Poll::Ready(None)
                } else {
                    // The producer gave up (shutdown): fail the transfer so the client sees a
                    // broken response rather than a clean but silently short one.
                    Poll::Ready(Some(Err(std::io::Error::other(
                        "the emulator stopped before the response was complete",
                    ))))
                }
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for ChannelBody {
    fn drop(&mut self) {
        if let Some(end) = self.end.take() {
            end.fire(false, self.yielded);
        }
    }
}

/// Marks the request as abandoned if the handler future is dropped (client gone) before a
/// response was produced, e.g. during InvokeModel's simulated generation time.
struct InFlight {
    log: RequestLog,
    id: String,
    started: Instant,
    armed: bool,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_on_the_raw_path() {
        assert_eq!(
            route("/model/anthropic.claude-v2%3A1/invoke"),
            Some((Operation::Invoke, "anthropic.claude-v2%3A1"))
        );
        assert_eq!(
            route("/model/anthropic.claude-v2/invoke-with-response-stream"),
            Some((Operation::Stream, "anthropic.claude-v2"))
        );
        assert_eq!(route("/model/x/converse"), Some((Operation::Converse, "x")));
        assert_eq!(
            route("/model/x/converse-stream"),
            Some((Operation::ConverseStream, "x"))
        );
        assert_eq!(
            route("/model/arn:aws:bedrock:us-east-1:1:application-inference-profile/abc/invoke"),
            None
        );
        assert_eq!(route("/model//invoke"), None);
        assert_eq!(route("/model/x/count-tokens"), None);
    }

    #[test]
    fn splits_cover_the_input() {
        let mut rng = Rng::new(7);
        let body = "{\"completion\":\" café 日本語 🍫 naïve\"}".repeat(20);
        let parts = split_body(body.as_bytes(), &mut rng);
        assert!(parts.len() > 3);
        assert_eq!(parts.concat(), body.as_bytes());
        assert!(
            parts.iter().any(|p| std::str::from_utf8(p).is_err()),
            "some piece splits a character"
        );
        let frame = vec![0u8; 100];
        for _ in 0..50 {
            let parts = split_frame(&frame, &mut rng);
            assert!((2..=3).contains(&parts.len()));
            assert!(parts[0].len() < 12 && parts[0].len() % 2 == 1);
            assert_eq!(parts.concat(), frame);
        }
    }

    #[test]
    fn a_panic_while_handling_becomes_an_error() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let fine = rt.block_on(CatchPanic(Box::pin(async { 7 })));
        assert_eq!(fine.ok(), Some(7));
        // (The panic hook still prints this deliberate panic.)
        let boom = rt.block_on(CatchPanic(Box::pin(async {
            if fnv1a(b"x") != 0 {
                panic!("deliberate panic (CatchPanic test)");
            }
            7
        })));
        assert_eq!(
            boom.err().and_then(|p| p.downcast_ref::<&str>().copied()),
            Some("deliberate panic (CatchPanic test)")
        );
    }

    #[test]
    fn loopback_hosts_and_origins() {
        for ok in [
            "localhost",
            "localhost:1",
            "127.0.0.1",
            "127.1.2.3:65535",
            "[::1]",
            "[::1]:80",
        ] {
            assert!(loopback_authority(ok), "{ok}");
        }
        for bad in [
            "",
            "localhost:",
            "localhost:65536",
            "localhost.",
            "127.0.0.1.evil",
            "evil.localhost",
            "[::2]",
            "[::1",
            "[::1]x",
            "0.0.0.0",
            "a@127.0.0.1",
        ] {
            assert!(!loopback_authority(bad), "{bad}");
        }
        assert!(loopback_origin("http://localhost:8080") && loopback_origin("https://[::1]"));
        for bad in [
            "null",
            "localhost",
            "http://localhost/",
            "ws://localhost",
            "http://",
        ] {
            assert!(!loopback_origin(bad), "{bad}");
        }
    }

    #[test]
    fn captures_split_into_frames() {
        let a = frame::encode(&[(":x", "1")], b"a").unwrap();
        let b = frame::encode(&[], b"bb").unwrap();
        let mut bytes = [a.clone(), b.clone()].concat();
        assert_eq!(capture_frames(&bytes), [a.clone(), b.clone()]);
        bytes.extend_from_slice(&[0, 0, 0, 99, 1]);
        assert_eq!(capture_frames(&bytes), [a, b, vec![0, 0, 0, 99, 1]]);
        assert!(capture_frames(&[]).is_empty());
    }
}
