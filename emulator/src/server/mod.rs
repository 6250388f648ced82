//! The HTTP side. One request goes: [`guarded`] → [`handle`] (control routes, preflight,
//! sign-in, routing: `routes`) → `handlers` (faults, authentication: `auth`, validation, one
//! handler per operation, replays: `replay`) → `delivery` (paced, fragmented, faulty bodies,
//! written through `body`).

mod auth;
mod bidi;
mod body;
mod control;
mod delivery;
mod handlers;
mod replay;
mod routes;

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use tokio::sync::watch;

use crate::answer::{fnv1a, Rng};
use crate::clock::{http_date, unix_millis, unix_secs};
use crate::fault;
use crate::log::{InFlight, RequestLog, RequestRecord};
use crate::sigv4::percent_decode;
use crate::Config;
use routes::{preflight, route, ErrorShape, UNKNOWN_OPERATION_BODY};

const ERROR_NAMESPACE: &str = ":http://internal.amazon.com/coral/com.amazon.bedrock/";

/// State shared by all requests of one emulator.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) log: RequestLog,
    next_id: AtomicU64,
    id_seed: u64,
    shutdown: watch::Receiver<bool>,
    expose_headers: Option<HeaderValue>,
    /// Requests seen per retry key (see [`handlers::retry_key`]).
    counters: Mutex<HashMap<String, u32>>,
    /// What the emulated Cognito/STS handed out (see `cognito.rs`).
    pub(crate) cognito: crate::cognito::Issuer,
    /// The async invocations (see `async_invoke.rs`).
    pub(crate) async_invokes: crate::async_invoke::Store,
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
            async_invokes: Default::default(),
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

    /// Empties the log, the retry/fault counters and the async invocations; returns how many
    /// records the log held.
    pub(crate) fn reset(&self) -> usize {
        self.async_invokes.clear();
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
        self.shaped_error_response(id, e, skew, ErrorShape::Bedrock)
    }

    /// An error in the shape of the API the route serves. Every shape keeps Bedrock's
    /// `x-amzn-ErrorType` header and status code.
    fn shaped_error_response(
        &self,
        id: &str,
        e: &ApiError,
        skew: i64,
        shape: ErrorShape,
    ) -> Response {
        let status = e.status.as_u16();
        let body = match shape {
            ErrorShape::Bedrock => serde_json::Value::Object(self.bedrock_error_body(e)),
            ErrorShape::OpenAi => serde_json::to_value(crate::openai::error_json(
                status,
                e.code,
                &e.message,
                e.openai.as_ref().and_then(|d| d.0.as_deref()),
                e.openai.as_ref().and_then(|d| d.1),
            ))
            .unwrap_or_default(),
            ErrorShape::Anthropic => {
                serde_json::to_value(crate::anthropic::error_json(status, e.code, &e.message))
                    .unwrap_or_default()
            }
        };
        let mut b = self
            .response(id, e.status, skew)
            .header("x-amzn-ErrorType", format!("{}{ERROR_NAMESPACE}", e.code))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(secs) = e.retry_after {
            b = b.header(header::RETRY_AFTER, secs);
        }
        finish(b, Body::from(body.to_string()))
    }

    fn bedrock_error_body(&self, e: &ApiError) -> serde_json::Map<String, serde_json::Value> {
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
        body
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
    /// For the `/openai/v1` routes: the OpenAI error's `param` (the member at fault) and its
    /// `code` when that is not the Bedrock code (`invalid_value`, …). Boxed: errors stay small.
    openai: Option<Box<(Option<String>, Option<&'static str>)>>,
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
            openai: None,
        }
    }

    fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationException", message)
    }
}

async fn handle(s: Arc<Shared>, req: Request) -> Response {
    let started = Instant::now();
    let started_ms = unix_millis(SystemTime::now());
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();

    if path.starts_with("/_emulator/") {
        return control::introspection(&s, &parts);
    }
    let id = s.request_id();
    let routed = route(&parts.method, &path);
    // A preflight names the model of the POST it precedes.
    let model_route = if parts.method == Method::OPTIONS {
        route(&Method::POST, &path)
    } else {
        routed
    };
    let model_id = model_route.filter(|r| r.op.takes_model()).map(|r| {
        let decoded = String::from_utf8_lossy(&percent_decode(r.labels[0])).into_owned();
        fault::split_model_prefix(&decoded).1.to_owned()
    });
    let skew = s.config.clock_skew_secs;
    let mut record = RequestRecord::arrived(id.clone(), model_id, started_ms);

    if parts.method == Method::OPTIONS {
        let response = preflight(&s, &id, &parts.headers);
        record.operation = "Preflight".into();
        record.answered(response.status().as_u16(), None, started);
        s.log.push(record);
        return response;
    }
    if let Some(service) = crate::cognito::service(&parts.method, &path, &parts.headers) {
        return crate::cognito::handle(&s, service, record, &parts, body).await;
    }
    let op = match routed {
        Some(r) => r.op,
        None => {
            // Bedrock's front end answers an unroutable request with a 200 whose body names
            // the error; clients must treat `Output.__type` as a failure.
            record.operation = "Unknown".into();
            let error = format!(
                "UnknownOperationException: no operation for {} {path}",
                parts.method
            );
            record.answered(200, Some(error), started);
            s.log.push(record);
            return s.unknown_operation(&id, skew);
        }
    };
    record.operation = op.name().into();
    s.log.push(record);

    let in_flight = InFlight::new(&s.log, &id, started);
    let mut skew = skew;
    let result = if op == routes::Operation::Bidi {
        bidi::handshake(&s, &id, parts, started, &mut skew).await
    } else {
        handlers::operation(&s, &id, op, &parts, body, started, &mut skew).await
    };
    in_flight.disarm();
    match result {
        Ok(response) => response,
        Err(e) => {
            let error = format!("{}: {}", e.code, e.message);
            s.log
                .update(&id, |r| r.answered(e.status.as_u16(), Some(error), started));
            s.shaped_error_response(&id, &e, skew, op.error_shape())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
