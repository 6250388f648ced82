//! The Bedrock operations. [`operation`] does what they share — reads the body, applies the
//! fault spec, authenticates, counts retries, fires HTTP faults, looks up the family — then
//! hands over to one handler per operation: the four text operations here, the JSON ones
//! (CountTokens, guardrails, async invoke) through [`json_operation`] to their own modules.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::{Body, Bytes};
use axum::response::Response;

use super::auth::authenticate;
use super::body::{after, Producer, Stop};
use super::delivery;
use super::replay;
use super::routes::{route, Operation};
use super::{ApiError, Shared};
use crate::answer::{check_echo, fnv1a, Answer, Rng};
use crate::anthropic;
use crate::async_invoke;
use crate::clock::{self, unix_secs, MAX_CLOCK_SKEW_SECS};
use crate::converse::{converse_body, converse_events, parse_converse};
use crate::count_tokens::count_tokens;
use crate::families::{
    invoke_body, parse_request, stream_chunks, Family, Request, INVALID_MODEL_ID,
};
use crate::fault::{self, Faults, HttpFault, StreamFaultKind};
use crate::guardrail;
use crate::json::J;
use crate::log::elapsed_ms;
use crate::openai::{self, CompatError};
use crate::plan::Planned;
use crate::sigv4::{self, percent_decode};
use crate::validate::OpError;

/// Bedrock's request-body limit (service model `Body` max length).
const MAX_BODY: usize = 25_000_000;

/// Requests with the same retry key count as retries of each other (`retries_seen`): the
/// fault key when a fault is selected, otherwise the operation, model id (or path and query
/// for operations without one) and body hash.
pub(super) fn retry_key(faults: &Faults, op: Operation, target: &str, body: &[u8]) -> String {
    if faults.spec.is_empty() {
        format!("request:{}:{target}:{}", op.name(), sigv4::sha256_hex(body))
    } else {
        format!("fault:{}", faults.key)
    }
}

/// Verifies, applies faults, validates and starts answering one model request. `skew` is
/// the clock skew in effect (the configured one plus a `clock-skew` fault's).
pub(super) async fn operation(
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
    // Labels are decoded once, after routing. One that is not UTF-8 once decoded is empty
    // (an invalid model id, an unknown guardrail, a malformed invocation ARN).
    let labels = route(&parts.method, parts.uri.path())
        .map(|r| r.labels)
        .unwrap_or_default()
        .map(|raw| String::from_utf8(percent_decode(raw)).unwrap_or_default());
    let (prefix_spec, model) = if op.takes_model() {
        fault::split_model_prefix(&labels[0])
    } else {
        (None, "")
    };
    let target = if op.takes_model() {
        model.to_owned()
    } else {
        format!(
            "{}?{}",
            parts.uri.path(),
            parts.uri.query().unwrap_or_default()
        )
    };
    let (faults, now) = faults_and_clock(s, id, parts, prefix_spec, skew)?;

    authenticate(s, id, parts, &body, now)?;
    let retries_seen = s.seen(&retry_key(&faults, op, &target, &body));
    s.log.update(id, |r| r.retries_seen = retries_seen);
    if let Some(answer) = http_fault(s, id, &faults, retries_seen, started, *skew, model) {
        return answer;
    }

    if matches!(
        op,
        Operation::ChatCompletions | Operation::AnthropicMessages
    ) {
        let ctx = Ctx {
            id: id.to_owned(),
            started,
            skew: *skew,
        };
        return compatible_api(s, ctx, op, parts, &body, faults, now).await;
    }
    if !matches!(
        op,
        Operation::Invoke | Operation::Stream | Operation::Converse | Operation::ConverseStream
    ) {
        let ctx = Ctx {
            id: id.to_owned(),
            started,
            skew: *skew,
        };
        return json_operation(s, &ctx, op, model, &labels, parts, &body, &faults, now).await;
    }
    let family = Family::of_model(model).ok_or_else(|| ApiError::validation(INVALID_MODEL_ID))?;
    let call = Call {
        s,
        ctx: Ctx {
            id: id.to_owned(),
            started,
            skew: *skew,
        },
        model,
        family,
        body,
        faults,
        now_secs: unix_secs(now),
    };
    match op {
        Operation::Invoke => invoke_model(call).await,
        Operation::Stream => invoke_model_with_response_stream(call),
        Operation::Converse => converse(call).await,
        Operation::ConverseStream => converse_stream(call),
        _ => Err(ApiError::new(
            500,
            "InternalServerException",
            "The emulator routed a JSON operation to a text handler (an emulator bug).",
        )),
    }
}

/// The fault spec of a request (the `x-emulator-fault` header's items, then the model-id
/// prefix's), parsed, and the server clock it sees (`skew` updated with a `clock-skew` item).
pub(super) fn faults_and_clock(
    s: &Arc<Shared>,
    id: &str,
    parts: &axum::http::request::Parts,
    prefix_spec: Option<&str>,
    skew: &mut i64,
) -> Result<(Faults, SystemTime), ApiError> {
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

    Ok((faults, now))
}

/// The HTTP fault the spec selects for this request, if it strikes (`=N` counts requests with
/// the same fault key): the error response to answer instead of the result.
pub(super) fn http_fault(
    s: &Arc<Shared>,
    id: &str,
    faults: &Faults,
    retries_seen: u32,
    started: Instant,
    skew: i64,
    model: &str,
) -> Option<Result<Response, ApiError>> {
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
                    r.answered(
                        200,
                        Some("UnknownOperationException (fault)".into()),
                        started,
                    )
                });
                return Some(Ok(s.unknown_operation(id, skew)));
            }
            let extra = (fault == HttpFault::ModelError).then(|| {
                serde_json::json!({
                    "originalStatusCode": 500,
                    "resourceName": format!("arn:aws:bedrock:{}::foundation-model/{model}",
                        s.config.region.as_deref().unwrap_or("us-east-1")),
                })
            });
            return Some(Err(ApiError {
                retry_after: faults.retry_after,
                extra,
                ..ApiError::new(status, code, message)
            }));
        }
    }
    None
}

impl From<CompatError> for ApiError {
    fn from(e: CompatError) -> Self {
        ApiError {
            openai: Some(Box::new((e.param, e.api_code))),
            ..ApiError::new(e.status, e.code, e.message)
        }
    }
}

/// What an OpenAI- or Anthropic-compatible request is answered with.
struct CompatAnswer {
    model: String,
    family: &'static str,
    prompt: String,
    tokens: usize,
    stream: bool,
    body: Vec<u8>,
    events: Vec<(u32, String)>,
    error_event: fn(&str) -> String,
}

/// `POST /openai/v1/chat/completions` and `POST /anthropic/v1/messages`: the body validated
/// by the API's own rules, then the answer whole (after the generation time) or as
/// server-sent events, paced and cut into pieces.
async fn compatible_api(
    s: &Arc<Shared>,
    ctx: Ctx,
    op: Operation,
    parts: &axum::http::request::Parts,
    body: &[u8],
    faults: Faults,
    now: SystemTime,
) -> Result<Response, ApiError> {
    replay::refuse(&faults, op)?;
    let a = if op == Operation::ChatCompletions {
        let req = openai::parse(body)?;
        let answer = req.answer();
        let created = unix_secs(now);
        CompatAnswer {
            family: "gpt-oss",
            tokens: answer.tokens.len(),
            stream: req.stream,
            body: openai::completion_body(&req, &answer, created),
            events: openai::completion_events(&req, &answer, created),
            error_event: openai::error_event,
            model: req.model,
            prompt: req.prompt,
        }
    } else {
        let req = anthropic::parse(body, &parts.headers)?;
        let answer = req.answer();
        CompatAnswer {
            family: Family::ClaudeMessages.name(),
            tokens: answer.tokens.len(),
            stream: req.stream,
            body: anthropic::message_body(&req, &answer),
            events: anthropic::message_events(&req, &answer),
            error_event: anthropic::error_event,
            model: req.model,
            prompt: req.prompt,
        }
    };
    s.log.update(&ctx.id, |r| {
        r.model_id = Some(a.model.clone());
        r.family = Some(a.family.into());
    });
    let rng = Rng::new(fnv1a(a.prompt.as_bytes()) ^ 0x55e);
    if !a.stream {
        delivery::generation_time(s, a.tokens).await;
        return Ok(delivery::whole(s, &ctx, a.body, None, rng).await);
    }
    Ok(sse_stream(s, &ctx, a.events, &faults, a.error_event, rng))
}

/// Cuts one server-sent event into network writes: with `fragment=N`, pieces of N bytes;
/// otherwise 2–3 pieces, the first cut inside the `data:` line and, when the event holds a
/// multi-byte character, a cut right before one of its continuation bytes.
fn sse_pieces(event: &[u8], fragment: Option<usize>, rng: &mut Rng) -> Vec<Bytes> {
    if let Some(n) = fragment {
        return event.chunks(n.max(1)).map(Bytes::copy_from_slice).collect();
    }
    let mut cuts = Vec::new();
    let data = event
        .windows(6)
        .position(|w| w == b"data: ")
        .map_or(0, |at| at + 6);
    let room = event.len().saturating_sub(data + 2);
    if room > 1 {
        cuts.push(data + 1 + rng.below(room.min(24)));
    }
    if let Some(k) = event
        .iter()
        .skip(cuts.first().copied().unwrap_or(0) + 1)
        .position(|b| b & 0xc0 == 0x80)
    {
        cuts.push(cuts.first().copied().unwrap_or(0) + 1 + k);
    }
    let mut out = Vec::new();
    let mut start = 0;
    for cut in cuts {
        if cut > start && cut < event.len() {
            out.push(Bytes::copy_from_slice(&event[start..cut]));
            start = cut;
        }
    }
    out.push(Bytes::copy_from_slice(&event[start..]));
    out
}

/// A server-sent-event stream, paced by the tokens each event carries (after the first-byte
/// delay), each event cut by [`sse_pieces`], with the stream faults: `stall`, `pace`,
/// `exception=TYPE` (the API's in-band error event, then the end), `error` (as
/// `exception=internalServerException`), `truncate` (half of the next event, then a clean
/// end). `corrupt-crc` has nothing to corrupt and is ignored.
fn sse_stream(
    s: &Arc<Shared>,
    ctx: &Ctx,
    events: Vec<(u32, String)>,
    faults: &Faults,
    error_event: fn(&str) -> String,
    mut rng: Rng,
) -> Response {
    let mut producer = Producer::new(s, &ctx.id, ctx.started);
    let body_stream = producer.body(None);
    let all_sent = producer.all_sent.clone();
    let (first_byte_delay, token_delay) = (s.config.first_byte_delay, s.config.token_delay);
    let log = s.log.clone();
    let id = ctx.id.clone();
    let fragment = faults.fragment;
    let mut stream_faults = faults.stream.clone();
    stream_faults.sort_by_key(|f| !matches!(f.kind, StreamFaultKind::Stall(_)));
    tokio::spawn(async move {
        let mut producer = producer;
        let n = events.len();
        let note = |what: String| log.update(&id, |r| r.note_applied(what));
        let result = async {
            producer.wait(first_byte_delay).await?;
            let tokens_start = tokio::time::Instant::now();
            let mut due_tokens = 0u32;
            let mut pace = Duration::ZERO;
            for i in 0..=n {
                let mut truncate = false;
                for f in stream_faults.iter().filter(|f| f.after.min(n) == i) {
                    match &f.kind {
                        StreamFaultKind::Stall(d) => {
                            note(format!("stalled {:.3}s after {i} events", d.as_secs_f64()));
                            producer.wait(*d).await?;
                        }
                        StreamFaultKind::Pace(d) => pace = *d,
                        StreamFaultKind::Exception(_) | StreamFaultKind::Error => {
                            let t = match &f.kind {
                                StreamFaultKind::Exception(t) => t.as_str(),
                                _ => "internalServerException",
                            };
                            note(format!("{t} after {i} events"));
                            let event = error_event(t);
                            send_pieces(
                                &mut producer,
                                event.as_bytes(),
                                fragment,
                                &mut rng,
                                token_delay,
                            )
                            .await?;
                            return Ok(());
                        }
                        StreamFaultKind::Truncate => truncate = true,
                        // Nothing to corrupt in text; the WebSocket faults are bidi-only.
                        StreamFaultKind::CorruptCrc
                        | StreamFaultKind::WsClose(_)
                        | StreamFaultKind::WsDrop => {}
                    }
                }
                let Some((tokens, event)) = events.get(i) else {
                    break;
                };
                if !pace.is_zero() {
                    producer.wait(pace).await?;
                }
                due_tokens = due_tokens.saturating_add(*tokens);
                producer
                    .wait_until(after(tokens_start, token_delay.saturating_mul(due_tokens)))
                    .await?;
                if truncate {
                    let cut = event.len() / 2;
                    note(format!(
                        "truncated event {} after {cut} of {} bytes",
                        i + 1,
                        event.len()
                    ));
                    producer
                        .send(Bytes::copy_from_slice(&event.as_bytes()[..cut]))
                        .await?;
                    return Ok(());
                }
                send_pieces(
                    &mut producer,
                    event.as_bytes(),
                    fragment,
                    &mut rng,
                    token_delay,
                )
                .await?;
                log.update(&id, |r| r.chunks_sent = i + 1);
            }
            Ok(())
        }
        .await;
        producer.finish(result, &all_sent, &format!("of {n} events"));
    });
    s.log.update(&ctx.id, |r| r.status = 200);
    let b = s
        .response(&ctx.id, axum::http::StatusCode::OK, ctx.skew)
        .header(
            axum::http::header::CONTENT_TYPE,
            "text/event-stream; charset=utf-8",
        )
        .header(axum::http::header::CACHE_CONTROL, "no-cache");
    super::finish(b, body_stream)
}

/// Writes one event in pieces, pausing briefly between them so they leave separately.
async fn send_pieces(
    producer: &mut Producer,
    event: &[u8],
    fragment: Option<usize>,
    rng: &mut Rng,
    token_delay: Duration,
) -> Result<(), Stop> {
    for (j, piece) in sse_pieces(event, fragment, rng).into_iter().enumerate() {
        if j > 0 && (fragment.is_some() || !token_delay.is_zero()) {
            producer.wait(Duration::from_millis(1)).await?;
        }
        producer.send(piece).await?;
    }
    Ok(())
}

impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        ApiError::new(e.status, e.code, e.message)
    }
}

/// The decoded query parameters (`+` is a plus sign, as AWS clients percent-encode spaces).
fn query_params(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |x: &str| String::from_utf8_lossy(&percent_decode(x)).into_owned();
            (decode(k), decode(v))
        })
        .collect()
}

/// CountTokens, ApplyGuardrail, InvokeGuardrailChecks and the async-invoke operations: a JSON
/// answer from their module, delivered whole (in fragments, like every body).
#[allow(clippy::too_many_arguments)]
async fn json_operation(
    s: &Arc<Shared>,
    ctx: &Ctx,
    op: Operation,
    model: &str,
    labels: &[String; 2],
    parts: &axum::http::request::Parts,
    body: &[u8],
    faults: &Faults,
    now: SystemTime,
) -> Result<Response, ApiError> {
    replay::refuse(faults, op)?;
    let region = s.config.region.as_deref().unwrap_or("us-east-1");
    let env = async_invoke::Env {
        region,
        now_ms: i64::try_from(clock::unix_millis(now)).unwrap_or(i64::MAX),
        delay: s.config.async_invoke_delay,
    };
    let answer: serde_json::Value = match op {
        Operation::CountTokens => {
            let family =
                Family::of_model(model).ok_or_else(|| ApiError::validation(INVALID_MODEL_ID))?;
            s.log
                .update(&ctx.id, |r| r.family = Some(family.name().into()));
            let n = count_tokens(family, model, body).map_err(ApiError::validation)?;
            serde_json::json!({ "inputTokens": n })
        }
        Operation::ApplyGuardrail => {
            guardrail::apply_guardrail(&labels[0], &labels[1], body, region)?
        }
        Operation::InvokeGuardrailChecks => guardrail::invoke_guardrail_checks(body)?,
        Operation::StartAsyncInvoke => {
            let (answer, model) = s.async_invokes.start(body, &env)?;
            s.log.update(&ctx.id, |r| r.model_id = Some(model));
            answer
        }
        Operation::GetAsyncInvoke => s.async_invokes.get(&labels[0], &env)?,
        Operation::ListAsyncInvokes => s
            .async_invokes
            .list(&query_params(parts.uri.query()), &env)?,
        Operation::Invoke
        | Operation::Stream
        | Operation::Converse
        | Operation::ConverseStream
        | Operation::ChatCompletions
        | Operation::AnthropicMessages
        | Operation::Bidi => {
            return Err(ApiError::new(
                500,
                "InternalServerException",
                "The emulator routed a text operation to the JSON handler (an emulator bug).",
            ))
        }
    };
    let bytes = answer.to_string().into_bytes();
    let rng = Rng::new(fnv1a(&bytes) ^ 0x15);
    Ok(delivery::whole(s, ctx, bytes, None, rng).await)
}

/// A verified model request, ready for its operation's handler.
struct Call<'a> {
    s: &'a Arc<Shared>,
    ctx: Ctx,
    /// The model id, without a fault prefix.
    model: &'a str,
    /// The model id's family (a Messages body still switches Claude v2 to Claude Messages).
    family: Family,
    body: Bytes,
    faults: Faults,
    /// The server clock (skew included), for the `created` fields of some bodies.
    now_secs: i64,
}

impl Call<'_> {
    /// Records which family answers, and seeds the delivery's PRNG (fragment cuts, padding)
    /// from the prompt, so one request is always delivered the same way.
    fn answering(&self, family: Family, prompt: &str) -> Rng {
        self.s
            .log
            .update(&self.ctx.id, |r| r.family = Some(family.name().into()));
        Rng::new(fnv1a(prompt.as_bytes()) ^ 0x5eed)
    }
}

/// A model-native request, validated and answered.
struct Native {
    req: Request,
    answer: Answer,
    /// The InvokeModelWithResponseStream chunks.
    planned: Vec<Planned>,
    /// The InvokeModel body.
    json: J,
}

/// Validates a model-native body and plans both answers. Both are built, in this order
/// from one PRNG, whichever operation asked, so the ids in them do not depend on it.
fn model_native(c: &Call<'_>) -> Result<Native, ApiError> {
    let req = parse_request(c.family, c.model, &c.body).map_err(ApiError::validation)?;
    check_echo(&req.prompt).map_err(ApiError::validation)?;
    let answer = req.answer();
    let mut rng = Rng::new(fnv1a(req.prompt.as_bytes()) ^ 0x1d5);
    let planned = stream_chunks(&req, &answer, &mut rng, c.now_secs);
    let json = invoke_body(&req, &answer, &mut rng, c.now_secs);
    Ok(Native {
        req,
        answer,
        planned,
        json,
    })
}

/// InvokeModel: the model-native JSON, whole, after the generation time.
async fn invoke_model(c: Call<'_>) -> Result<Response, ApiError> {
    let native = model_native(&c)?;
    let rng = c.answering(native.req.family, &native.req.prompt);
    replay::refuse(&c.faults, Operation::Invoke)?;
    let body = native.json.bytes();
    Ok(delivery::whole(c.s, &c.ctx, body, Some(&native.answer), rng).await)
}

/// InvokeModelWithResponseStream: the model-native chunks (or a replayed capture), paced.
fn invoke_model_with_response_stream(c: Call<'_>) -> Result<Response, ApiError> {
    let native = model_native(&c)?;
    let rng = c.answering(native.req.family, &native.req.prompt);
    let planned = replay::or_planned(c.s, &c.ctx.id, &c.faults, native.planned)?;
    Ok(delivery::event_stream(
        c.s,
        &c.ctx,
        Operation::Stream,
        planned,
        c.faults.stream,
        c.faults.chunk_times,
        rng,
    ))
}

/// Converse: the answer as Converse JSON, whole; it reports `metrics.latencyMs`, so it is
/// built after the generation time.
async fn converse(c: Call<'_>) -> Result<Response, ApiError> {
    let req = parse_converse(c.model, &c.body).map_err(ApiError::validation)?;
    check_echo(&req.prompt).map_err(ApiError::validation)?;
    let answer = req.answer();
    let rng = c.answering(c.family, &req.prompt);
    replay::refuse(&c.faults, Operation::Converse)?;
    delivery::generation_time(c.s, answer.tokens.len()).await;
    let body = converse_body(&answer, elapsed_ms(c.ctx.started)).bytes();
    Ok(delivery::whole(c.s, &c.ctx, body, None, rng).await)
}

/// ConverseStream: the Converse events (or a replayed capture), paced.
fn converse_stream(c: Call<'_>) -> Result<Response, ApiError> {
    let req = parse_converse(c.model, &c.body).map_err(ApiError::validation)?;
    check_echo(&req.prompt).map_err(ApiError::validation)?;
    let answer = req.answer();
    let rng = c.answering(c.family, &req.prompt);
    let planned = replay::or_planned(c.s, &c.ctx.id, &c.faults, converse_events(&answer))?;
    Ok(delivery::event_stream(
        c.s,
        &c.ctx,
        Operation::ConverseStream,
        planned,
        c.faults.stream,
        c.faults.chunk_times,
        rng,
    ))
}

/// What a response needs to know about its request.
pub(super) struct Ctx {
    pub(super) id: String,
    pub(super) started: Instant,
    /// The clock skew in effect, for the `Date` header.
    pub(super) skew: i64,
}
