//! A local, loopback-only stand-in for Amazon Bedrock Runtime, for the demo and the tests.
//!
//! It is strict where Bedrock is strict (an independent SigV4 verifier, Bedrock's error shapes
//! and messages, per-family body validation, the raw-path routing that makes an unescaped `/`
//! in a model id an `UnknownOperationException`), deterministic (answers depend only on the
//! request: see [`invoke_answer`], [`converse_answer`] and [`answer_for`]), faulty on demand
//! (see [`FAULT_HEADER`] and the README), and observable (every request is recorded;
//! `GET /_emulator/log` serves the log as JSON).
//!
//! All four text operations are emulated — `InvokeModel`, `InvokeModelWithResponseStream`,
//! `Converse`, `ConverseStream` — for every model family of BEDROCK.md §5 ([`Family`]), and
//! the JSON ones: `CountTokens`, `ApplyGuardrail` (the one guardrail [`GUARDRAIL_ID`]),
//! `InvokeGuardrailChecks`, `StartAsyncInvoke`, `GetAsyncInvoke`, `ListAsyncInvokes`; and
//! `InvokeModelWithBidirectionalStream` in its WebSocket form for Nova Sonic (a presigned URL,
//! chained event signatures, deterministic turns: [`sonic_answer`], [`sonic_speech`],
//! [`sonic_audio_transcript`]).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use bedrock_emulator::{Config, Emulator};
//! let emulator = Emulator::start(Config::default(), "127.0.0.1:0".parse().unwrap()).await?;
//! println!("Bedrock emulator at {}", emulator.url());
//! // … point the client at emulator.url() with Credential::demo() …
//! for record in emulator.log() {
//!     println!("{} {} {}", record.operation, record.status, record.signature);
//! }
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```

mod answer;
mod anthropic;
mod async_invoke;
mod attachments;
pub mod clock;
mod cognito;
mod converse;
mod count_tokens;
mod families;
mod fault;
mod frame;
mod frame_reader;
mod guardrail;
mod ids;
mod json;
mod log;
mod openai;
mod plan;
mod server;
pub mod sigv4;
mod sonic;
mod tls;
mod validate;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use answer::{
    answer_for, claude_text_answer, claude_text_answer_with, Answer, ECHO_MARKER, HUMAN_STOP,
    MAX_ECHO_BYTES,
};
pub use async_invoke::{DEFAULT_MAX_RESULTS, FAILURE_MESSAGE, FAIL_MARKER};
pub use attachments::{
    DOCUMENT_NAME_MESSAGE, DOCUMENT_TEXT_MESSAGE, DUPLICATE_NAME_MESSAGE,
    MAX_CLAUDE_IMAGES_AND_DOCUMENTS, MAX_DOCUMENTS, MAX_DOCUMENT_BYTES, MAX_IMAGES,
    MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MAX_NATIVE_IMAGE_BASE64, MAX_VIDEOS, S3_TOKENS,
};
pub use cognito::DEMO_IDENTITY_POOL_ID;
pub use converse::{converse_answer, reasoning_signature, REDACTED_MARKER};
pub use families::{invoke_answer, Family};
pub use fault::{FAULT_HEADER, FAULT_MODEL_PREFIX, STREAM_EXCEPTIONS};
pub use guardrail::{
    ACCOUNT_ID, BLOCKED_MESSAGE, DENIED_WORD, EMAIL_MASK, GUARDRAIL_ID, GUARDRAIL_VERSIONS,
    PROMPT_ATTACK_PHRASE,
};
pub use log::{EventCount, RequestRecord, SessionRecord};
pub use sonic::{
    is_sonic_model, sonic_answer, sonic_answer_tokens, sonic_audio_transcript,
    sonic_pcm_transcript, sonic_speech, AUDIO_CHUNK_MS,
    DEFAULT_MAX_TOKENS as SONIC_DEFAULT_MAX_TOKENS, END_OF_SPEECH_MS, LOUD, MAX_SPEECH_MS,
    SONIC_MODELS, SPEECH_MS_PER_TOKEN,
};
pub use tls::TlsCertificate;

/// The documented demo Bedrock API key (`Authorization: Bearer …`), accepted by
/// `Config::default()`. Public on purpose, like [`Credential::demo`]: only this emulator
/// accepts it.
pub const DEMO_API_KEY: &str = "ABSKQmVkcm9ja0FQSUtleS1lbXVsYXRvci1kZW1vLXB1YmxpYw==";

/// The longest [`Config::cognito_lifetime`] (and `--cognito-lifetime-secs`) accepted: 10^10 s,
/// about 317 years, so that expiry times stay representable dates with four-digit years.
pub const MAX_COGNITO_LIFETIME_SECS: u64 = 10_000_000_000;

/// How long [`Emulator::shutdown`] lets in-flight responses finish before cutting them off.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Emulator settings. `Config::default()` accepts [`Credential::demo`] signed for
/// `us-east-1` and the [`DEMO_API_KEY`], and streams a token every 10 ms.
#[derive(Clone, Debug)]
pub struct Config {
    /// Credentials whose signatures are accepted.
    pub credentials: Vec<Credential>,
    /// Delay before each streamed token (default 10 ms, so a 200-token answer takes ≈ 2 s).
    /// InvokeModel waits `first_byte_delay + tokens × token_delay` before answering. A replayed
    /// capture waits this long before each frame.
    pub token_delay: Duration,
    /// Extra delay before the first token (default 0).
    pub first_byte_delay: Duration,
    /// `Access-Control-Expose-Headers` on every non-preflight response. `Date` is deliberately
    /// absent by default: whether Bedrock exposes it is unconfirmed, so clients must not need it.
    pub expose_headers: Vec<String>,
    /// Bedrock API keys accepted as `Authorization: Bearer <key>` (default: [`DEMO_API_KEY`]).
    /// Empty: bearer requests are refused with `UnrecognizedClientException`.
    pub api_keys: Vec<String>,
    /// The region signatures must be scoped to (default `us-east-1`); `None` accepts any.
    pub region: Option<String>,
    /// Seconds added to the server clock (negative: behind). Shifts the ±5-minute signature
    /// window and the `Date` header. Default 0; at most ±[`clock::MAX_CLOCK_SKEW_SECS`]
    /// ([`Emulator::start`] refuses more).
    pub clock_skew_secs: i64,
    /// Serve this `.eventstream` capture as the body of every streaming response
    /// (InvokeModelWithResponseStream and ConverseStream), paced one frame per `token_delay`.
    pub replay: Option<PathBuf>,
    /// Where the `replay=<name>` fault looks for `<name>` or `<name>.eventstream`.
    pub replay_dir: Option<PathBuf>,
    /// How long credentials from the emulated Cognito `GetCredentialsForIdentity` (and STS
    /// `AssumeRoleWithWebIdentity` without `DurationSeconds`) last (default 1 hour; at most
    /// [`MAX_COGNITO_LIFETIME_SECS`]).
    pub cognito_lifetime: Duration,
    /// How long an asynchronous invocation (StartAsyncInvoke) stays `InProgress` on the
    /// emulator's clock before it is `Completed` (or `Failed`, see [`FAIL_MARKER`]). Default
    /// 2 s; at most [`MAX_ASYNC_INVOKE_SECS`].
    pub async_invoke_delay: Duration,
    /// InvokeModelWithBidirectionalStream: the longest session (default 8 minutes, as on
    /// Bedrock). A session still open then gets a `validationException` and is closed.
    pub bidi_session_limit: Duration,
    /// InvokeModelWithBidirectionalStream: how long a session may receive nothing while no
    /// answer is being sent (default 60 s) before it gets a `validationException` and is closed.
    pub bidi_idle_timeout: Duration,
    /// Serve `https:`/`wss:` with a self-signed certificate made at start (`--tls`; see
    /// [`Emulator::tls_certificate`]). Default `false`: plain `http:`/`ws:`.
    pub tls: bool,
}

/// The longest [`Config::async_invoke_delay`] (and `--async-invoke-secs`): 10^9 s.
pub const MAX_ASYNC_INVOKE_SECS: u64 = 1_000_000_000;

impl Default for Config {
    fn default() -> Self {
        Config {
            credentials: vec![Credential::demo()],
            token_delay: Duration::from_millis(10),
            first_byte_delay: Duration::ZERO,
            expose_headers: [
                "x-amzn-RequestId",
                "x-amzn-ErrorType",
                "X-Amzn-Bedrock-Content-Type",
                "X-Amzn-Bedrock-Input-Token-Count",
                "X-Amzn-Bedrock-Output-Token-Count",
                "X-Amzn-Bedrock-Invocation-Latency",
                "Retry-After",
            ]
            .map(String::from)
            .to_vec(),
            api_keys: vec![DEMO_API_KEY.to_owned()],
            region: Some("us-east-1".to_owned()),
            clock_skew_secs: 0,
            replay: None,
            replay_dir: None,
            cognito_lifetime: Duration::from_secs(3600),
            async_invoke_delay: Duration::from_secs(2),
            bidi_session_limit: Duration::from_secs(8 * 60),
            bidi_idle_timeout: Duration::from_secs(60),
            tls: false,
        }
    }
}

/// An accepted credential: the access key id selects it, the secret verifies the signature,
/// and when a session token is set requests must carry (and sign) the same
/// `x-amz-security-token`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl Credential {
    /// Access key id of [`Credential::demo`].
    pub const DEMO_ACCESS_KEY_ID: &'static str = "AKIDEMULATOR0000DEMO";
    /// Secret of [`Credential::demo`]. Public on purpose: it only opens the local emulator.
    pub const DEMO_SECRET_ACCESS_KEY: &'static str = "emulator/demo/secret/key";
    /// Session token of [`Credential::demo`].
    pub const DEMO_SESSION_TOKEN: &'static str = "emulator-demo-session-token";

    /// The fixed, publicly known demo credential (temporary-credential shaped, with a session
    /// token). It is accepted only by this emulator and grants nothing on AWS; it exists so the
    /// demo and tests have stable values to type in.
    pub fn demo() -> Self {
        Credential {
            access_key_id: Self::DEMO_ACCESS_KEY_ID.into(),
            secret_access_key: Self::DEMO_SECRET_ACCESS_KEY.into(),
            session_token: Some(Self::DEMO_SESSION_TOKEN.into()),
        }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret or the token, even for the demo credential: the same type may
        // carry real values in someone's test setup.
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// A running emulator. Dropping it also stops the server (without waiting).
pub struct Emulator {
    addr: SocketAddr,
    tls: Option<TlsCertificate>,
    shared: Arc<server::Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds `addr` (port 0 picks a free port) and serves on the current tokio runtime.
    ///
    /// Refuses any non-loopback address: the emulator accepts fixed, public demo credentials,
    /// so it must never be reachable from the network.
    pub async fn start(config: Config, addr: SocketAddr) -> std::io::Result<Emulator> {
        if !addr.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "the Bedrock emulator only listens on loopback addresses (127.0.0.1 or ::1) \
                     because it accepts public demo credentials; got {addr}"
                ),
            ));
        }
        if config.clock_skew_secs.unsigned_abs() > clock::MAX_CLOCK_SKEW_SECS.unsigned_abs() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "the Bedrock emulator's clock skew must be between -{max} and {max} seconds; \
                     got {}",
                    config.clock_skew_secs,
                    max = clock::MAX_CLOCK_SKEW_SECS
                ),
            ));
        }
        if config.cognito_lifetime.as_secs() > MAX_COGNITO_LIFETIME_SECS {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "the Bedrock emulator's Cognito credential lifetime must be at most \
                     {MAX_COGNITO_LIFETIME_SECS} seconds; got {}",
                    config.cognito_lifetime.as_secs()
                ),
            ));
        }
        if config.async_invoke_delay.as_secs() > MAX_ASYNC_INVOKE_SECS {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "the Bedrock emulator's async-invoke delay must be at most \
                     {MAX_ASYNC_INVOKE_SECS} seconds; got {}",
                    config.async_invoke_delay.as_secs()
                ),
            ));
        }
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let tls = if config.tls {
            Some(tls::self_signed(addr.port())?)
        } else {
            None
        };
        let (shutdown, shutdown_rx) = watch::channel(false);
        let shared = Arc::new(server::Shared::new(config, shutdown_rx.clone()));
        let app = server::router(shared.clone());
        let mut stop = shutdown_rx;
        let signal = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let (certificate, task) = match tls {
            Some((certificate, tls_config)) => {
                let listener = tls::TlsListener::new(listener, tls_config)?;
                let task = tokio::spawn(async move {
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(signal)
                        .await;
                });
                (Some(certificate), task)
            }
            None => {
                // No Nagle delay: small frame pieces must leave when written, as from a real
                // server.
                let listener = listener.tap_io(|tcp| {
                    let _ = tcp.set_nodelay(true);
                });
                // `serve` only returns on shutdown; accept errors are retried inside it.
                let task = tokio::spawn(async move {
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(signal)
                        .await;
                });
                (None, task)
            }
        };
        Ok(Emulator {
            addr,
            tls: certificate,
            shared,
            shutdown,
            task: Some(task),
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:4010` (`https://…` with [`Config::tls`]).
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// With [`Config::tls`]: the self-signed certificate served (its PEM file, fingerprint
    /// and DER, so a client can trust it).
    pub fn tls_certificate(&self) -> Option<&TlsCertificate> {
        self.tls.as_ref()
    }

    /// The bound address (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// A snapshot of the request log, oldest first.
    pub fn log(&self) -> Vec<RequestRecord> {
        self.shared.log.snapshot()
    }

    /// Empties the request log (the log part of `POST /_emulator/reset`; fault and retry
    /// counters are kept).
    pub fn clear_log(&self) {
        self.shared.log.clear();
    }

    /// Empties the request log and the fault/retry counters (same as `POST /_emulator/reset`).
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Stops accepting, ends in-flight streams (they are recorded as not completed) and waits
    /// for the server to finish, at most a few seconds.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(SHUTDOWN_GRACE, task).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
