//! Writing responses the way a real server's arrive: whole bodies in fragments cut
//! mid-character, event streams paced by token and each frame split inside its prelude, with
//! the stream faults (stall, pace, exception, error, truncate, corrupt-crc) applied to the
//! bytes.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::http::{header, StatusCode};
use axum::response::Response;
use base64::Engine as _;

use super::body::{after, wait_for_shutdown, Producer, Stop};
use super::handlers::Ctx;
use super::routes::Operation;
use super::{finish, Shared};
use crate::answer::{Answer, Rng};
use crate::fault::{exception_payload, StreamFault, StreamFaultKind};
use crate::frame::{self, FrameError};
use crate::json::J;
use crate::log::elapsed_ms;
use crate::plan::{Frame, Metrics, Planned};

/// The `p` padding alphabet observed in real streams; each chunk carries a prefix of it.
const PADDING: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Pause between the pieces of one write, so the client really receives them separately.
const PIECE_PAUSE: Duration = Duration::from_millis(1);

const EVENTSTREAM: &str = "application/vnd.amazon.eventstream";

/// Waits as long as generating `tokens` tokens takes (non-streaming operations).
pub(super) async fn generation_time(s: &Shared, tokens: usize) {
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
pub(super) async fn whole(
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
pub(super) fn event_stream(
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
        let note = |what: String| log.update(&id, |r| r.note_applied(what));
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
                        // Bidi-only (the WebSocket session): ignored here.
                        StreamFaultKind::WsClose(_) | StreamFaultKind::WsDrop => {}
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

#[cfg(test)]
mod tests {
    use super::*;

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
