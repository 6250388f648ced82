//! The HTTP side: routing on the raw path, CORS, SigV4, the two Invoke operations, the
//! introspection routes and the paced, deliberately fragmented response bodies.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use base64::Engine as _;
use bedrock_wasm::eventstream::Message;
use serde::Serialize;
use tokio::sync::{mpsc, watch};

use crate::answer::{claude_text_answer, fnv1a, Answer, Rng};
use crate::clock::{http_date, unix_millis, unix_secs};
use crate::log::{RequestLog, RequestRecord};
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
     x-amz-content-sha256, x-amz-user-agent, x-amzn-bedrock-accept, x-amzn-bedrock-trace";

/// State shared by all requests of one emulator.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) log: RequestLog,
    next_id: AtomicU64,
    id_seed: u64,
    shutdown: watch::Receiver<bool>,
    expose_headers: Option<HeaderValue>,
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
        }
    }

    /// A fresh uuid-shaped request id.
    fn request_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut rng = Rng::new(self.id_seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let (a, b) = (rng.next_u64(), rng.next_u64());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }

    /// Status, `x-amzn-RequestId`, `Date` and the CORS headers every non-preflight response has.
    fn response(&self, id: &str, status: StatusCode) -> axum::http::response::Builder {
        let mut b = Response::builder()
            .status(status)
            .header("x-amzn-RequestId", id)
            .header(header::DATE, http_date(unix_secs(SystemTime::now())))
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        if let Some(expose) = &self.expose_headers {
            b = b.header(header::ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
        }
        b
    }

    fn error_response(&self, id: &str, e: &ApiError) -> Response {
        let body = serde_json::json!({ "message": e.message }).to_string();
        self.response(id, e.status)
            .header("x-amzn-ErrorType", format!("{}{ERROR_NAMESPACE}", e.code))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .expect("static headers are valid")
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Invoke,
    Stream,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Invoke => "InvokeModel",
            Operation::Stream => "InvokeModelWithResponseStream",
        }
    }
}

/// Matches `/model/{modelId}/invoke[-with-response-stream]` on the raw path, with the model id
/// as exactly one segment. An id with a literal `/` therefore does not match, as on Bedrock.
fn route(path: &str) -> Option<(Operation, &str)> {
    let (model, op) = path.strip_prefix("/model/")?.split_once('/')?;
    if model.is_empty() {
        return None;
    }
    match op {
        "invoke" => Some((Operation::Invoke, model)),
        "invoke-with-response-stream" => Some((Operation::Stream, model)),
        _ => None,
    }
}

/// Claude text-completion models (also as a foundation-model ARN), optionally versioned
/// (`anthropic.claude-v2:1`, `anthropic.claude-v2:0:100k`).
fn supported_model(id: &str) -> bool {
    let id = id
        .strip_prefix("arn:aws:bedrock:")
        .and_then(|rest| rest.split_once(":foundation-model/"))
        .map_or(id, |(_, model)| model);
    ["anthropic.claude-v2", "anthropic.claude-instant-v1"]
        .iter()
        .any(|base| {
            id.strip_prefix(base).is_some_and(|rest| {
                rest.is_empty()
                    || rest.strip_prefix(':').is_some_and(|v| {
                        !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == ':')
                    })
            })
        })
}

/// An error answered Bedrock-style (`x-amzn-ErrorType` + `{"message":…}`).
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn validation(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "ValidationException",
            message: message.into(),
        }
    }
}

async fn handle(State(s): State<Arc<Shared>>, req: Request) -> Response {
    let started = Instant::now();
    let started_ms = unix_millis(SystemTime::now());
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();

    if path.starts_with("/_emulator/") {
        return introspection(&s, &parts.method, &path);
    }
    let id = s.request_id();
    let routed = route(&path);
    let model_id =
        routed.map(|(_, raw)| String::from_utf8_lossy(&percent_decode(raw)).into_owned());
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
    };

    if parts.method == Method::OPTIONS {
        let response = preflight(&s, &id, &parts.headers);
        record.operation = "Preflight".into();
        record.status = response.status().as_u16();
        record.completed = true;
        record.duration_ms = Some(started.elapsed().as_millis() as u64);
        s.log.push(record);
        return response;
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
            record.duration_ms = Some(started.elapsed().as_millis() as u64);
            s.log.push(record);
            return s
                .response(&id, StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(UNKNOWN_OPERATION_BODY))
                .expect("static headers are valid");
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
    let result = operation(&s, &id, op, &parts, body, started).await;
    guard.armed = false;
    match result {
        Ok(response) => response,
        Err(e) => {
            s.log.update(&id, |r| {
                r.status = e.status.as_u16();
                r.error = Some(format!("{}: {}", e.code, e.message));
                r.completed = true;
                r.duration_ms = Some(started.elapsed().as_millis() as u64);
            });
            s.error_response(&id, &e)
        }
    }
}

/// Verifies, validates and starts answering one Invoke request.
async fn operation(
    s: &Arc<Shared>,
    id: &str,
    op: Operation,
    parts: &axum::http::request::Parts,
    body: Body,
    started: Instant,
) -> Result<Response, ApiError> {
    let body = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::validation(
            "Could not read the request body: it is over the 25,000,000-byte limit, or the client \
             stopped sending it.",
        )
    })?;
    let raw_model = route(parts.uri.path()).map(|(_, m)| m).unwrap_or_default();
    let incoming = IncomingRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body: &body,
    };
    let verdict = sigv4::verify(&incoming, &s.config.credentials, SystemTime::now());
    s.log.update(id, |r| {
        r.signature = match &verdict {
            Ok(_) => "valid".into(),
            Err(e) => e.verdict.into(),
        }
    });
    if let Err(e) = verdict {
        return Err(ApiError {
            status: StatusCode::from_u16(e.status).unwrap_or(StatusCode::FORBIDDEN),
            code: e.code,
            message: e.message,
        });
    }

    let model = String::from_utf8(percent_decode(raw_model)).unwrap_or_default();
    if !supported_model(&model) {
        return Err(ApiError::validation(
            "The provided model identifier is invalid.",
        ));
    }
    let (prompt, max_tokens) = parse_claude_text(&body).map_err(ApiError::validation)?;
    let answer = claude_text_answer(&prompt, max_tokens);
    let rng = Rng::new(fnv1a(prompt.as_bytes()) ^ 0x5eed);
    Ok(match op {
        Operation::Invoke => invoke(s, id, answer, rng, started).await,
        Operation::Stream => stream(s, id, answer, rng, started),
    })
}

/// Validates a Claude text-completions body like Bedrock does; returns (prompt, max tokens).
fn parse_claude_text(body: &[u8]) -> Result<(String, u32), String> {
    let malformed = |detail: String| {
        format!("Malformed input request: {detail}, please reformat your input and try again.")
    };
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| malformed(format!("the body is not valid JSON ({e})")))?;
    let Some(obj) = value.as_object() else {
        return Err(malformed("#: expected type: JSONObject".into()));
    };
    const ALLOWED: [&str; 7] = [
        "prompt",
        "max_tokens_to_sample",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "anthropic_version",
    ];
    if let Some(extra) = obj.keys().find(|k| !ALLOWED.contains(&k.as_str())) {
        return Err(malformed(format!(
            "#: extraneous key [{extra}] is not permitted"
        )));
    }
    for required in ["prompt", "max_tokens_to_sample"] {
        if !obj.contains_key(required) {
            return Err(malformed(format!("#: required key [{required}] not found")));
        }
    }
    let Some(prompt) = obj["prompt"].as_str() else {
        return Err(malformed("#/prompt: expected type: String".into()));
    };
    let max = &obj["max_tokens_to_sample"];
    let Some(max) = max.as_u64().or_else(|| max.as_i64().map(|_| 0)) else {
        return Err(malformed(
            "#/max_tokens_to_sample: expected type: Integer".into(),
        ));
    };
    if max < 1 {
        return Err(malformed(format!(
            "#/max_tokens_to_sample: {} is not greater or equal to 1",
            obj["max_tokens_to_sample"]
        )));
    }
    for number in ["temperature", "top_p"] {
        if obj.get(number).is_some_and(|v| !v.is_number()) {
            return Err(malformed(format!("#/{number}: expected type: Number")));
        }
    }
    if obj.get("top_k").is_some_and(|v| !v.is_u64()) {
        return Err(malformed("#/top_k: expected type: Integer".into()));
    }
    if obj.get("stop_sequences").is_some_and(|v| {
        !v.as_array()
            .is_some_and(|a| a.iter().all(|s| s.is_string()))
    }) {
        return Err(malformed(
            "#/stop_sequences: expected type: JSONArray of String".into(),
        ));
    }
    if !prompt.contains("\n\nHuman:") {
        return Err(r#"Invalid prompt: prompt must start with "\n\nHuman:" turn after an optional system prompt"#.into());
    }
    if !prompt.ends_with("\n\nAssistant:") {
        return Err(r#"Invalid prompt: prompt must end with "\n\nAssistant:" turn"#.into());
    }
    Ok((prompt.to_owned(), u32::try_from(max).unwrap_or(u32::MAX)))
}

fn preflight(s: &Shared, id: &str, headers: &HeaderMap) -> Response {
    let allow_headers = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or(HeaderValue::from_static(DEFAULT_ALLOW_HEADERS));
    Response::builder()
        .status(StatusCode::OK)
        .header("x-amzn-RequestId", id)
        .header(header::DATE, http_date(unix_secs(SystemTime::now())))
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS")
        .header(header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers)
        .header(header::ACCESS_CONTROL_MAX_AGE, "600")
        .header(header::CONTENT_LENGTH, "0")
        .body(Body::empty())
        .map(|mut r| {
            if let Some(expose) = &s.expose_headers {
                r.headers_mut()
                    .insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
            }
            r
        })
        .expect("static headers are valid")
}

/// `GET /_emulator/log` (the log as a JSON array) and `POST /_emulator/reset` (clears it).
/// Not logged themselves, so tests can poll without disturbing what they inspect.
fn introspection(s: &Shared, method: &Method, path: &str) -> Response {
    let id = s.request_id();
    let json = |status: StatusCode, body: String| {
        s.response(&id, status)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CACHE_CONTROL, "no-store")
            .body(Body::from(body))
            .expect("static headers are valid")
    };
    match (method, path) {
        (&Method::GET, "/_emulator/log") => {
            json(StatusCode::OK, serde_json::to_string(&s.log.snapshot()).expect("records serialize"))
        }
        (&Method::POST, "/_emulator/reset") => {
            json(StatusCode::OK, serde_json::json!({ "cleared": s.log.clear() }).to_string())
        }
        (&Method::OPTIONS, _) => Response::builder()
            .status(StatusCode::NO_CONTENT)
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
            .header(header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS")
            .header(header::ACCESS_CONTROL_MAX_AGE, "600")
            .body(Body::empty())
            .expect("static headers are valid"),
        _ => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({ "message": "Emulator routes: GET /_emulator/log, POST /_emulator/reset." }).to_string(),
        ),
    }
}

#[derive(Serialize)]
struct Completion<'a> {
    completion: &'a str,
    stop_reason: Option<&'a str>,
    stop: Option<&'a str>,
    #[serde(
        rename = "amazon-bedrock-invocationMetrics",
        skip_serializing_if = "Option::is_none"
    )]
    metrics: Option<Metrics>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metrics {
    input_token_count: u32,
    output_token_count: u32,
    invocation_latency: u64,
    first_byte_latency: u64,
}

#[derive(Serialize)]
struct PayloadPart<'a> {
    bytes: String,
    p: &'a str,
}

/// InvokeModel: "generates" for as long as streaming would take, then answers in one JSON body
/// written in fragments.
async fn invoke(
    s: &Arc<Shared>,
    id: &str,
    answer: Answer,
    mut rng: Rng,
    started: Instant,
) -> Response {
    let generation = s.config.first_byte_delay + s.config.token_delay * answer.tokens.len() as u32;
    if !generation.is_zero() {
        let mut shutdown = s.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(generation) => {}
            _ = wait_for_shutdown(&mut shutdown) => {}
        }
    }
    let text = answer.text();
    let body = serde_json::to_vec(&Completion {
        completion: &text,
        stop_reason: Some(answer.stop_reason),
        stop: answer.stop,
        metrics: None,
    })
    .expect("completion serializes");
    let latency = started.elapsed().as_millis() as u64;
    let pieces = split_body(&body, &mut rng);
    let mut producer = Producer::new(s, id, started);
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
    s.log.update(id, |r| r.status = 200);
    s.response(id, StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, body.len())
        .header("X-Amzn-Bedrock-Input-Token-Count", answer.input_tokens)
        .header("X-Amzn-Bedrock-Output-Token-Count", answer.output_tokens())
        .header("X-Amzn-Bedrock-Invocation-Latency", latency)
        .body(body_stream)
        .expect("static headers are valid")
}

/// InvokeModelWithResponseStream: one `chunk` event per token, paced and split mid-prelude.
fn stream(s: &Arc<Shared>, id: &str, answer: Answer, mut rng: Rng, started: Instant) -> Response {
    let mut producer = Producer::new(s, id, started);
    let body = producer.body(None);
    let all_sent = producer.all_sent.clone();
    let (first_byte_delay, token_delay) = (s.config.first_byte_delay, s.config.token_delay);
    let log = s.log.clone();
    let id_owned = id.to_owned();
    tokio::spawn(async move {
        let mut producer = producer;
        let n = answer.tokens.len();
        let result = async {
            producer.wait(first_byte_delay).await?;
            // Token i is due at `tokens_start + (i + 1) × token_delay`: pacing by deadline keeps
            // the rate at `token_delay` despite the short pauses between frame pieces.
            let tokens_start = tokio::time::Instant::now();
            let mut first_byte_ms = None;
            for (i, token) in answer.tokens.iter().enumerate() {
                producer
                    .wait_until(tokens_start + token_delay * (i as u32 + 1))
                    .await?;
                let first_byte = *first_byte_ms.get_or_insert(started.elapsed().as_millis() as u64);
                let last = i + 1 == n;
                let chunk = serde_json::to_vec(&Completion {
                    completion: token,
                    stop_reason: last.then_some(answer.stop_reason),
                    stop: if last { answer.stop } else { None },
                    metrics: last.then(|| Metrics {
                        input_token_count: answer.input_tokens,
                        output_token_count: answer.output_tokens(),
                        invocation_latency: started.elapsed().as_millis() as u64,
                        first_byte_latency: first_byte,
                    }),
                })
                .expect("chunk serializes");
                let payload = serde_json::to_vec(&PayloadPart {
                    bytes: base64::engine::general_purpose::STANDARD.encode(chunk),
                    p: &PADDING[..1 + rng.below(PADDING.len())],
                })
                .expect("payload serializes");
                // Header order as in captured Bedrock streams.
                let frame = Message::new(payload)
                    .with_str_header(":event-type", "chunk")
                    .with_str_header(":content-type", "application/json")
                    .with_str_header(":message-type", "event")
                    .encode();
                for (j, piece) in split_frame(&frame, &mut rng).into_iter().enumerate() {
                    if j > 0 && !token_delay.is_zero() {
                        producer.wait(PIECE_PAUSE).await?;
                    }
                    producer.send(piece).await?;
                }
                log.update(&id_owned, |r| r.chunks_sent = i + 1);
            }
            Ok(())
        }
        .await;
        producer.finish(result, &all_sent, &format!("of {n} chunks"));
    });
    s.log.update(id, |r| r.status = 200);
    s.response(id, StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/vnd.amazon.eventstream")
        .header("X-Amzn-Bedrock-Content-Type", "application/json")
        .body(body)
        .expect("static headers are valid")
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
        self.wait_until(tokio::time::Instant::now() + d).await
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
                let elapsed = self.started.elapsed().as_millis() as u64;
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
        let elapsed = self.started.elapsed().as_millis() as u64;
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
            let elapsed = self.started.elapsed().as_millis() as u64;
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
        assert_eq!(
            route("/model/arn:aws:bedrock:us-east-1:1:application-inference-profile/abc/invoke"),
            None
        );
        assert_eq!(route("/model//invoke"), None);
        assert_eq!(route("/model/x/converse"), None);
    }

    #[test]
    fn supported_models() {
        for ok in [
            "anthropic.claude-v2",
            "anthropic.claude-v2:1",
            "anthropic.claude-instant-v1",
            "anthropic.claude-v2:0:100k",
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2:1",
        ] {
            assert!(supported_model(ok), "{ok}");
        }
        for bad in [
            "anthropic.claude-v2x",
            "anthropic.claude-v2:",
            "anthropic.claude-3-haiku",
            "",
            "meta.llama",
        ] {
            assert!(!supported_model(bad), "{bad}");
        }
    }

    #[test]
    fn validates_bodies() {
        let ok = br#"{"prompt":"\n\nHuman: hi\n\nAssistant:","max_tokens_to_sample":5,"temperature":0.5}"#;
        assert_eq!(
            parse_claude_text(ok).unwrap(),
            ("\n\nHuman: hi\n\nAssistant:".into(), 5)
        );
        let err = |b: &str| parse_claude_text(b.as_bytes()).unwrap_err();
        assert!(err(r#"{"prompt":"\n\nHuman: hi\n\nAssistant:"}"#)
            .contains("required key [max_tokens_to_sample]"));
        assert!(err(
            r#"{"prompt":"\n\nHuman: hi\n\nAssistant:","max_tokens_to_sample":5,"stream":true}"#
        )
        .contains("extraneous key [stream]"));
        assert!(err(r#"{"prompt":"hi","max_tokens_to_sample":5}"#).contains("must start with"));
        assert!(
            err(r#"{"prompt":"\n\nHuman: hi","max_tokens_to_sample":5}"#).contains("must end with")
        );
        assert!(err("{nope").starts_with("Malformed input request"));
        assert!(
            err(r#"{"prompt":"\n\nHuman: hi\n\nAssistant:","max_tokens_to_sample":-1}"#)
                .contains("greater or equal")
        );
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
}
