//! Faults on demand: the `x-emulator-fault` header or the `emulator-fault:<spec>:` model-id
//! prefix, parsed into what to do to one request. The syntax is documented in the README
//! ("Faults on demand") and on [`crate::FAULT_HEADER`].

use std::time::Duration;

use crate::clock::MAX_CLOCK_SKEW_SECS;

/// Request header that selects faults for one request.
pub const FAULT_HEADER: &str = "x-emulator-fault";
/// Model-id prefix that selects faults: `emulator-fault:<spec>:<model id>`. It survives every
/// SDK unchanged (the model id is one percent-encoded path segment) and needs no extra header.
pub const FAULT_MODEL_PREFIX: &str = "emulator-fault:";

/// The longest `:exception-type` the `exception=TYPE` fault sends (after `Exception` is
/// appended): 255 bytes, like an event-stream header name. (A header value may not exceed
/// 65535 bytes at all; the frame writer refuses longer ones.)
pub(crate) const MAX_EXCEPTION_TYPE_LEN: usize = 255;

/// An HTTP-level fault: the response is this error instead of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HttpFault {
    Throttle,
    Internal,
    Unavailable,
    NotReady,
    Validation,
    AccessDenied,
    ExpiredToken,
    ModelTimeout,
    ModelError,
    Quota,
    UnknownOperation,
}

const HTTP_FAULTS: [(&str, HttpFault); 11] = [
    ("throttle", HttpFault::Throttle),
    ("internal", HttpFault::Internal),
    ("unavailable", HttpFault::Unavailable),
    ("not-ready", HttpFault::NotReady),
    ("validation", HttpFault::Validation),
    ("access-denied", HttpFault::AccessDenied),
    ("expired-token", HttpFault::ExpiredToken),
    ("model-timeout", HttpFault::ModelTimeout),
    ("model-error", HttpFault::ModelError),
    ("quota", HttpFault::Quota),
    ("unknown-operation", HttpFault::UnknownOperation),
];

impl HttpFault {
    /// (HTTP status, error code, message) as Bedrock sends them.
    pub(crate) fn error(self) -> (u16, &'static str, &'static str) {
        match self {
            HttpFault::Throttle => (
                429,
                "ThrottlingException",
                "Too many requests, please wait before trying again.",
            ),
            HttpFault::Internal => (
                500,
                "InternalServerException",
                "The system encountered an unexpected error during processing. Try your request again.",
            ),
            HttpFault::Unavailable => (
                503,
                "ServiceUnavailableException",
                "Bedrock is unable to process your request.",
            ),
            HttpFault::NotReady => (
                429,
                "ModelNotReadyException",
                "Model is not ready for inference. Wait and try your request again. Refer to the Amazon Bedrock User Guide for more information.",
            ),
            HttpFault::Validation => (
                400,
                "ValidationException",
                "Input is too long for requested model.",
            ),
            HttpFault::AccessDenied => (
                403,
                "AccessDeniedException",
                "You don't have access to the model with the specified model ID.",
            ),
            HttpFault::ExpiredToken => (
                403,
                "ExpiredTokenException",
                "The security token included in the request is expired",
            ),
            HttpFault::ModelTimeout => (
                408,
                "ModelTimeoutException",
                "Model has timed out in processing the request. Try your request again.",
            ),
            HttpFault::ModelError => (
                424,
                "ModelErrorException",
                "The model encountered an error processing the request. Try your request again.",
            ),
            HttpFault::Quota => (
                400,
                "ServiceQuotaExceededException",
                "Your request exceeds the service quota for your account. You can view your quotas at https://docs.aws.amazon.com/servicequotas/latest/userguide/gs-request-quota.html. You can resubmit your request later.",
            ),
            HttpFault::UnknownOperation => (200, "UnknownOperationException", ""),
        }
    }
}

/// What to do mid-stream.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StreamFaultKind {
    /// A `:message-type: exception` frame with this `:exception-type` (lowerCamelCase), then
    /// the end of the body.
    Exception(String),
    /// An unmodeled `:message-type: error` frame, then the end of the body.
    Error,
    /// Half of the next frame, then a clean end of the body.
    Truncate,
    /// The next frame with a wrong message CRC (the rest follows).
    CorruptCrc,
    /// A pause before the next frame.
    Stall(Duration),
    /// From the next frame on, this pause before every frame (on top of the token delay), so
    /// one stretch of a zero-delay stream can arrive one frame at a time.
    Pace(Duration),
    /// InvokeModelWithBidirectionalStream only: the server closes the WebSocket with this
    /// close code (`ws-close[=CODE]`, default 1011).
    WsClose(u16),
    /// InvokeModelWithBidirectionalStream only: the server drops the TCP connection without a
    /// close frame (`ws-drop`).
    WsDrop,
}

/// A stream fault and the number of frames sent before it strikes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StreamFault {
    pub after: usize,
    pub kind: StreamFaultKind,
}

/// A parsed fault spec.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Faults {
    /// The spec as given (also the default counting key).
    pub spec: String,
    /// Requests with the same key share a counter (`key=` overrides the spec string).
    pub key: String,
    /// The HTTP fault and for how many requests with this key (`None`: all of them).
    pub http: Option<(HttpFault, Option<u32>)>,
    /// `Retry-After` seconds on an HTTP fault's response.
    pub retry_after: Option<u64>,
    pub stream: Vec<StreamFault>,
    /// Seconds added to the server clock for this request.
    pub clock_skew: Option<i64>,
    /// A capture name to replay (resolved in the replay directory).
    pub replay: Option<String>,
    /// Record when each frame was handed to the connection (`chunk-times`), for latency
    /// benchmarks; off by default so long streams do not grow the log.
    pub chunk_times: bool,
    /// Server-sent-event streams (`/openai/v1`, `/anthropic`) only: write every event in pieces
    /// of at most this many bytes (`fragment=N`), each its own network write, instead of the
    /// default 2–3 pieces. `fragment=1` splits every `data:` line and every multi-byte
    /// character.
    pub fragment: Option<usize>,
    /// InvokeModelWithBidirectionalStream only: refuse the WebSocket handshake with this HTTP
    /// status (`ws-refuse=STATUS`, 400–599).
    pub ws_refuse: Option<u16>,
}

/// The six InvokeModelWithResponseStream exception members (`:exception-type` values) the
/// `exception=` fault sends with Bedrock-like payloads. ConverseStream's union has the same
/// minus `modelTimeoutException`.
pub const STREAM_EXCEPTIONS: [&str; 6] = [
    "internalServerException",
    "modelStreamErrorException",
    "validationException",
    "throttlingException",
    "modelTimeoutException",
    "serviceUnavailableException",
];

/// The JSON payload of an in-stream exception.
pub(crate) fn exception_payload(exception_type: &str) -> serde_json::Value {
    let message = match exception_type {
        "internalServerException" => {
            "The system encountered an unexpected error during processing. Try your request again."
        }
        "modelStreamErrorException" => {
            "The model encountered an error while streaming the response. Retry your request."
        }
        "validationException" => "Input is too long for requested model.",
        "throttlingException" => "Too many requests, please wait before trying again.",
        "modelTimeoutException" => {
            "Model has timed out in processing the request. Try your request again."
        }
        "serviceUnavailableException" => "Bedrock is unable to process your request.",
        _ => "An error occurred while streaming the response.",
    };
    if exception_type == "modelStreamErrorException" {
        serde_json::json!({
            "message": message,
            "originalStatusCode": 500,
            "originalMessage": "Internal error while generating the response",
        })
    } else {
        serde_json::json!({ "message": message })
    }
}

/// Close codes a server may put in a close frame (RFC 6455 §7.4: not 1004–1006 or 1015,
/// which are reserved, nor 1015+ up to 2999, which are unassigned).
fn is_sendable_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Splits `emulator-fault:<spec>:<model id>` into the spec and the real model id.
pub(crate) fn split_model_prefix(model_id: &str) -> (Option<&str>, &str) {
    match model_id.strip_prefix(FAULT_MODEL_PREFIX) {
        Some(rest) => match rest.split_once(':') {
            Some((spec, model)) => (Some(spec), model),
            None => (Some(rest), ""),
        },
        None => (None, model_id),
    }
}

const KNOWN: &str = "throttle[=N], internal[=N], unavailable[=N], not-ready[=N], validation[=N], \
    access-denied[=N], expired-token[=N], model-timeout[=N], model-error[=N], quota[=N], \
    unknown-operation[=N], retry-after=S, exception=TYPE[@K], error[@K], truncate[@K], \
    corrupt-crc[@K], stall=S[@K], pace=MS[@K], clock-skew=±S, replay=NAME, key=NAME, chunk-times, \
    fragment=N, ws-close[=CODE][@K], ws-drop[@K], ws-refuse=STATUS";

/// Parses a fault spec: comma-separated items `name[=value][@K]` (see the README).
pub(crate) fn parse(spec: &str) -> Result<Faults, String> {
    let spec = spec.trim();
    let mut f = Faults {
        spec: spec.to_owned(),
        key: spec.to_owned(),
        ..Faults::default()
    };
    let bad = |item: &str, why: &str| {
        format!("Invalid emulator fault spec {spec:?}: {item:?} {why}. Known faults: {KNOWN}.")
    };
    for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (head, after) = match item.rsplit_once('@') {
            Some((head, k)) => (
                head,
                Some(
                    k.parse::<usize>()
                        .map_err(|_| bad(item, "has a bad @K (K = frames before the fault)"))?,
                ),
            ),
            None => (item, None),
        };
        let (name, value) = match head.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (head, None),
        };
        let need = |what: &str| value.ok_or_else(|| bad(item, &format!("needs ={what}")));
        let stream_kind = match name {
            "exception" => {
                let v = need("TYPE")?;
                if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(bad(
                        item,
                        "needs an exception type such as throttlingException",
                    ));
                }
                // `v` is non-empty ASCII, so splitting after its first byte is safe.
                let (first, rest) = v.split_at(1);
                let mut t = first.to_ascii_lowercase() + rest;
                if !t.ends_with("Exception") {
                    t.push_str("Exception");
                }
                if t.len() > MAX_EXCEPTION_TYPE_LEN {
                    return Err(bad(
                        item,
                        &format!(
                            "names an exception type of {} bytes; at most \
                             {MAX_EXCEPTION_TYPE_LEN} are allowed (with `Exception` appended)",
                            t.len()
                        ),
                    ));
                }
                Some(StreamFaultKind::Exception(t))
            }
            "error" => Some(StreamFaultKind::Error),
            "truncate" => Some(StreamFaultKind::Truncate),
            "corrupt-crc" => Some(StreamFaultKind::CorruptCrc),
            "stall" => {
                let secs: f64 = need("SECONDS")?
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s <= 3600.0)
                    .ok_or_else(|| bad(item, "needs seconds between 0 and 3600"))?;
                Some(StreamFaultKind::Stall(Duration::from_secs_f64(secs)))
            }
            "pace" => {
                let ms: f64 = need("MILLISECONDS")?
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s <= 60_000.0)
                    .ok_or_else(|| bad(item, "needs milliseconds between 0 and 60000"))?;
                Some(StreamFaultKind::Pace(Duration::from_secs_f64(ms / 1000.0)))
            }
            "ws-close" => Some(StreamFaultKind::WsClose(match value {
                None => 1011,
                Some(v) => v
                    .parse::<u16>()
                    .ok()
                    .filter(|c| is_sendable_close_code(*c))
                    .ok_or_else(|| {
                        bad(
                            item,
                            "needs a close code a server may send: 1000-1003, 1007-1014 or \
                             3000-4999",
                        )
                    })?,
            })),
            "ws-drop" => Some(StreamFaultKind::WsDrop),
            _ => None,
        };
        if let Some(kind) = stream_kind {
            if matches!(name, "error" | "truncate" | "corrupt-crc" | "ws-drop") && value.is_some() {
                return Err(bad(item, "takes no value"));
            }
            f.stream.push(StreamFault {
                after: after.unwrap_or(1),
                kind,
            });
            continue;
        }
        if after.is_some() {
            return Err(bad(item, "cannot take @K (only stream faults can)"));
        }
        if let Some((_, http)) = HTTP_FAULTS.iter().find(|(n, _)| *n == name) {
            if f.http.is_some() {
                return Err(bad(item, "is a second HTTP fault; choose one"));
            }
            let times = match value {
                Some(v) => Some(
                    v.parse::<u32>()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| bad(item, "needs a count N ≥ 1"))?,
                ),
                None => None,
            };
            f.http = Some((*http, times));
            continue;
        }
        match name {
            "retry-after" => {
                f.retry_after = Some(
                    need("SECONDS")?
                        .parse()
                        .map_err(|_| bad(item, "needs whole seconds"))?,
                )
            }
            "clock-skew" => {
                f.clock_skew = Some(
                    need("SECONDS")?
                        .trim_start_matches('+')
                        .parse::<i64>()
                        .ok()
                        .filter(|s| s.unsigned_abs() <= MAX_CLOCK_SKEW_SECS.unsigned_abs())
                        .ok_or_else(|| {
                            bad(
                                item,
                                &format!(
                                    "needs signed whole seconds between -{MAX_CLOCK_SKEW_SECS} \
                                     and {MAX_CLOCK_SKEW_SECS}, e.g. -600"
                                ),
                            )
                        })?,
                )
            }
            "replay" => {
                let v = need("NAME")?;
                if v.is_empty() || v.contains(['/', '\\']) || v.starts_with('.') {
                    return Err(bad(item, "needs a file name in the replay directory"));
                }
                f.replay = Some(v.to_owned());
            }
            "key" => f.key = need("NAME")?.to_owned(),
            "ws-refuse" => {
                f.ws_refuse = Some(
                    need("STATUS")?
                        .parse::<u16>()
                        .ok()
                        .filter(|s| (400..=599).contains(s))
                        .ok_or_else(|| bad(item, "needs an HTTP status from 400 to 599"))?,
                )
            }
            "chunk-times" if value.is_none() => f.chunk_times = true,
            "chunk-times" => return Err(bad(item, "takes no value")),
            "fragment" => {
                f.fragment = Some(
                    need("BYTES")?
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=65_536).contains(n))
                        .ok_or_else(|| bad(item, "needs a piece size between 1 and 65536 bytes"))?,
                )
            }
            _ => return Err(bad(item, "is not a fault")),
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let f = parse("throttle=2, retry-after=3").unwrap();
        assert_eq!(f.http, Some((HttpFault::Throttle, Some(2))));
        assert_eq!(
            (f.retry_after, f.key.as_str()),
            (Some(3), "throttle=2, retry-after=3")
        );
        let f = parse("exception=modelStreamError@4,stall=0.5,key=k1,clock-skew=-600").unwrap();
        assert_eq!(
            f.stream,
            [
                StreamFault {
                    after: 4,
                    kind: StreamFaultKind::Exception("modelStreamErrorException".into())
                },
                StreamFault {
                    after: 1,
                    kind: StreamFaultKind::Stall(Duration::from_millis(500))
                }
            ]
        );
        assert_eq!((f.key.as_str(), f.clock_skew), ("k1", Some(-600)));
        assert_eq!(
            parse("internal").unwrap().http,
            Some((HttpFault::Internal, None))
        );
        assert_eq!(
            parse("replay=a.eventstream").unwrap().replay.as_deref(),
            Some("a.eventstream")
        );
        assert!(parse("replay=a,chunk-times").unwrap().chunk_times);
        assert!(!parse("replay=a").unwrap().chunk_times);
        assert_eq!(parse("fragment=1").unwrap().fragment, Some(1));
        assert!(parse("fragment=0").is_err() && parse("fragment").is_err());
        assert!(parse("fragment=65537").is_err() && parse("fragment=1@2").is_err());
        assert_eq!(
            parse("pace=2.5@10").unwrap().stream,
            [StreamFault {
                after: 10,
                kind: StreamFaultKind::Pace(Duration::from_micros(2500))
            }]
        );
        assert!(parse("pace=-1").is_err() && parse("pace").is_err());
        for bad in [
            "nope",
            "throttle=0",
            "throttle@3",
            "stall",
            "exception=@2",
            "replay=../x",
            "internal,throttle",
            "truncate@x",
            "clock-skew=1000000000000000",
            "clock-skew=-1000000000000000",
            "clock-skew=9223372036854775807",
            "clock-skew=-9223372036854775808",
            "clock-skew=10000000001",
            "throttle=4294967296",
            "retry-after=-1",
            "stall=1e400",
            "stall=NaN",
            "pace=inf",
            "exception=x@-1",
            "exception=x@99999999999999999999999",
        ] {
            assert!(parse(bad).unwrap_err().contains("Known faults"), "{bad}");
        }
        assert_eq!(
            parse("clock-skew=-10000000000").unwrap().clock_skew,
            Some(-10_000_000_000)
        );
        let long = |n: usize| format!("exception={}", "a".repeat(n));
        assert!(parse(&long(300)).unwrap_err().contains("at most 255"));
        assert!(parse(&long(247)).is_err(), "247 + `Exception` is over 255");
        assert_eq!(
            parse(&format!("{}Exception", long(246))).unwrap().stream[0].kind,
            StreamFaultKind::Exception(format!("{}Exception", "a".repeat(246)))
        );
        assert!(parse(&long(70_000)).is_err());
        assert_eq!(
            split_model_prefix("emulator-fault:throttle=1:anthropic.claude-v2:1"),
            (Some("throttle=1"), "anthropic.claude-v2:1")
        );
        assert_eq!(
            split_model_prefix("anthropic.claude-v2"),
            (None, "anthropic.claude-v2")
        );
    }
}
