//! InvokeModelWithBidirectionalStream over a WebSocket, as the AWS SDK for JavaScript runs it
//! in a browser (`@aws-sdk/middleware-websocket`, bedrock-runtime since PR #7175): pure, so it
//! runs and is tested natively; the socket itself belongs to the caller.
//!
//! 1. **Connect** to [`presign_bidi_url`]:
//!    `wss://<host>[:port]/model/{modelId}/invoke-with-bidirectional-stream-websocket`, SigV4
//!    in the query ([`presign_url`]). Its signature seeds the event chain.
//! 2. **Send** each input event as one binary WebSocket message: [`BidiInput::event`] wraps
//!    the event bytes (Nova Sonic: one JSON event) as the SDK does — an inner event message
//!    (`:event-type: chunk`, `:message-type: event`, `:content-type: application/json`,
//!    payload `{"bytes":"<base64>"}`, [`encode_input_event`]) inside an outer frame signed
//!    with the chained signature (`:date`, `:chunk-signature`, [`EventSigner`]).
//!    [`BidiInput::end`] gives the signed empty frame that ends the input (the SDK's
//!    `includeEndFrame`).
//! 3. **Receive**: push every binary message into a [`BidiOutputDecoder`] (frames may be
//!    split across messages or several in one) and take [`BidiEvent`]s out; exception and
//!    error frames become the crate's typed [`Error`] (`ErrorKind::StreamException`).
//!
//! Where this differs from the SDK: the presigned URL signs `host` with its port when the
//! port is not the default (see `src/sign/presign.rs`); it is valid for the time the caller
//! gives, 300 s by default (the SDK fixes 60 s); and the SDK's `user-agent` query parameter
//! is not sent.

use std::time::SystemTime;

use super::request::model_label;
use super::stream::{chunk_bytes, event_type};
use super::{Endpoint, Error, ErrorKind};
use crate::eventstream::{frame, Decoder, DEFAULT_MAX_PAYLOAD_LEN};
use crate::sign::{presign_url, Credentials, EndpointPolicy, EventSigner, PresignedUrl};

/// The last path segment of the WebSocket route: the HTTP/2 operation's
/// `invoke-with-bidirectional-stream` plus the `-websocket` the SDK's
/// `websocketEndpointMiddleware` appends.
pub const BIDI_PATH_SUFFIX: &str = "invoke-with-bidirectional-stream-websocket";

/// How long a presigned bidirectional-stream URL stays valid unless the caller says: 300 s
/// ([`PRESIGN_DEFAULT_EXPIRES_SECS`](crate::sign::PRESIGN_DEFAULT_EXPIRES_SECS)).
pub const BIDI_DEFAULT_EXPIRES_SECS: u32 = crate::sign::PRESIGN_DEFAULT_EXPIRES_SECS;

/// The presigned WebSocket URL that opens InvokeModelWithBidirectionalStream for `model_id`
/// (a model id, inference profile or ARN; escaped as one path segment like every other
/// route) at `endpoint`, valid `expires_secs` seconds (1 to 604,800) from `time`.
///
/// `https://` becomes `wss://`, and plain `http://` (only to a loopback host such as a local
/// emulator, unless `policy` allows more) becomes `ws://`. Bearer API keys are not accepted
/// by this operation, so this takes SigV4 credentials. The returned signature is the seed of
/// [`BidiInput::new`].
pub fn presign_bidi_url(
    endpoint: &Endpoint,
    model_id: &str,
    credentials: &Credentials,
    time: SystemTime,
    expires_secs: u32,
    policy: EndpointPolicy,
) -> Result<PresignedUrl, Error> {
    let model = model_label(model_id)?;
    let url = format!("{}/model/{model}/{BIDI_PATH_SUFFIX}", endpoint.base());
    let presigned = presign_url(
        "GET",
        &url,
        credentials,
        endpoint.region(),
        time,
        expires_secs,
        policy,
    )?;
    let secure = url
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
    Ok(presigned.with_scheme(if secure { "wss" } else { "ws" }))
}

/// The inner event message of one input event, as the SDK serializes the
/// `{ chunk: { bytes } }` member of `InvokeModelWithBidirectionalStreamInput`: headers
/// `:event-type: chunk`, `:message-type: event`, `:content-type: application/json` (in that
/// order), payload `{"bytes":"<base64 of event>"}`. [`BidiInput::event`] signs it.
///
/// Refuses an event over the event-stream payload limit (24 MiB).
pub fn encode_input_event(event: &[u8]) -> Result<Vec<u8>, Error> {
    // Base64 grows it by a third: bound it before allocating.
    if event.len() > DEFAULT_MAX_PAYLOAD_LEN as usize / 4 * 3 {
        return Err(Error::input(format!(
            "an input event of {} bytes is over what one event-stream frame carries (18 MiB before base64); send it in smaller events",
            event.len()
        )));
    }
    let mut payload = Vec::with_capacity(event.len().div_ceil(3) * 4 + 12);
    payload.extend_from_slice(b"{\"bytes\":\"");
    base64_into(&mut payload, event);
    payload.extend_from_slice(b"\"}");
    // Bounded above, so it fits.
    frame(INPUT_EVENT_HEADERS, &payload).ok_or_else(|| Error::input("cannot frame the input event"))
}

/// The inner event's headers, encoded (name length, name, type 7 = string, value length,
/// value): `:event-type: chunk`, `:message-type: event`, `:content-type: application/json`.
const INPUT_EVENT_HEADERS: &[u8] = b"\x0b:event-type\x07\x00\x05chunk\
\x0d:message-type\x07\x00\x05event\
\x0d:content-type\x07\x00\x10application/json";

/// Standard base64 with padding, appended to `out`. Small on purpose: the `base64` crate's
/// encoder (unrolled for speed) would be linked into the package for this alone, and input
/// events are small (audio comes at 32 KB/s).
pub(crate) fn base64_into(out: &mut Vec<u8>, bytes: &[u8]) {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for c in bytes.chunks(3) {
        let at = |i: usize| u32::from(c.get(i).copied().unwrap_or(0));
        let n = at(0) << 16 | at(1) << 8 | at(2);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            out.push(if i <= c.len() {
                ABC[(n >> shift) as usize & 63]
            } else {
                b'='
            });
        }
    }
}

/// The input side of one bidirectional stream: turns event bytes into the signed binary
/// frames to send, in order, each signed for the time given with it. After
/// [`end`](Self::end) nothing more can be sent.
///
/// `Debug` prints no key or signature.
#[derive(Debug, Clone)]
pub struct BidiInput {
    signer: EventSigner,
    ended: bool,
}

impl BidiInput {
    /// The input of the stream opened with `seed_signature` (the presigned URL's
    /// [`signature`](PresignedUrl::signature)), signed with the same `credentials` and
    /// `region`.
    pub fn new(
        credentials: &Credentials,
        region: &str,
        seed_signature: &str,
    ) -> Result<Self, Error> {
        Ok(Self {
            signer: EventSigner::new(
                credentials,
                region,
                crate::sign::SIGNING_NAME,
                seed_signature,
            )?,
            ended: false,
        })
    }

    /// The signed frame that carries `event` (Nova Sonic: one JSON event such as
    /// `{"event":{"sessionStart":{…}}}`), signed for `now` (the clock corrected by any
    /// offset learned from the service, see [`signing_time`](crate::sign::signing_time)):
    /// send it as one binary message.
    pub fn event(&mut self, event: &[u8], now: SystemTime) -> Result<Vec<u8>, Error> {
        self.check_open()?;
        let inner = encode_input_event(event)?;
        Ok(self.signer.sign_event(&inner, now)?)
    }

    /// The signed empty frame that ends the input (the SDK sends it when the input iterable
    /// is done); the output may go on after it until the service closes the socket.
    pub fn end(&mut self, now: SystemTime) -> Result<Vec<u8>, Error> {
        self.check_open()?;
        let frame = self.signer.sign_event(&[], now)?;
        self.ended = true;
        Ok(frame)
    }

    /// Whether [`end`](Self::end) was sent.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// The signature of the last frame (the seed before the first), hex.
    pub fn prior_signature(&self) -> &str {
        self.signer.prior_signature()
    }

    fn check_open(&self) -> Result<(), Error> {
        if self.ended {
            return Err(Error::input(
                "the input of this bidirectional stream has ended; open a new stream to send more",
            ));
        }
        Ok(())
    }
}

/// One event of the output stream (`InvokeModelWithBidirectionalStreamOutput`); its
/// exceptions are errors ([`BidiOutputDecoder::next_event`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BidiEvent {
    /// A `chunk`: the model's event bytes (Nova Sonic: one JSON event), base64-decoded.
    Chunk(Vec<u8>),
}

/// Turns the binary WebSocket messages the service sends into [`BidiEvent`]s. Frames may
/// arrive split across messages or several in one; the [`Decoder`] bounds their sizes.
/// Unknown event types are skipped, as the AWS SDKs do.
#[derive(Debug, Default)]
pub struct BidiOutputDecoder {
    frames: Decoder,
    /// An error was returned: the stream is over, and it is not reported again.
    failed: bool,
}

impl BidiOutputDecoder {
    /// A decoder with the default event-stream limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder with its own frame decoder (other limits).
    pub fn with_frame_decoder(frames: Decoder) -> Self {
        Self {
            frames,
            failed: false,
        }
    }

    /// Adds the bytes of one WebSocket message.
    pub fn push(&mut self, bytes: &[u8]) {
        self.frames.push(bytes);
    }

    /// The next event, `Ok(None)` when more bytes are needed. An error — corrupt bytes, an
    /// exception (`ValidationException`, `ModelStreamErrorException`, `ThrottlingException`,
    /// …) or `error` frame, a chunk that is not `{"bytes":"<base64>"}` — is returned once;
    /// the stream is over after it and every later call gives `Ok(None)`.
    pub fn next_event(&mut self) -> Result<Option<BidiEvent>, Error> {
        if self.failed {
            return Ok(None);
        }
        let next = self.decode_next();
        self.failed = next.is_err();
        next
    }

    fn decode_next(&mut self) -> Result<Option<BidiEvent>, Error> {
        while let Some(frame) = self.frames.next_message()? {
            if event_type(&frame)? == "chunk" {
                return chunk_bytes(&frame.payload).map(|b| Some(BidiEvent::Chunk(b)));
            }
        }
        Ok(None)
    }

    /// Call when the socket has closed: a partial frame left over is a truncated stream.
    /// After an error already returned by [`next_event`](Self::next_event), `Ok(())`.
    pub fn finish(&self) -> Result<(), Error> {
        if self.failed {
            return Ok(());
        }
        self.frames.finish().map_err(Error::from)
    }

    /// What the socket's close means once every message before it was pushed and every event
    /// taken: `Ok(())` is the clean end of the answer — code 1000 (normal) or 1005 (no code
    /// given) between frames. Anything else is an error that says what happened, never a
    /// clean end: 1000/1005 in the middle of a frame, 1006 (the connection was lost without a
    /// close frame), 1011 (an error on the service's side), or any other code. `reason` is
    /// the close frame's reason (cut to 200 characters). After an error already returned,
    /// `Ok(())`.
    pub fn close(&mut self, code: u16, reason: &str) -> Result<(), Error> {
        if self.failed {
            return Ok(());
        }
        self.failed = true;
        let pending = self.frames.buffered_len();
        let clean = matches!(code, 1000 | 1005);
        if clean && pending == 0 && self.frames.finish().is_ok() {
            return Ok(());
        }
        let what = if clean {
            format!("closed the WebSocket ({code}) in the middle of an event ({pending} bytes)")
        } else {
            format!(
                "closed the WebSocket with code {code} ({})",
                close_meaning(code)
            )
        };
        let reason: String = reason.chars().take(200).collect();
        let reason = if reason.is_empty() {
            String::new()
        } else {
            format!(", reason {reason:?}")
        };
        Err(Error::new(ErrorKind::WebSocket {
            refused: false,
            code,
            message: format!(
                "the service {what}{reason} before the answer ended: the answer is incomplete"
            ),
        }))
    }
}

/// What a WebSocket close code means (RFC 6455 §7.4.1), in words for an error message.
fn close_meaning(code: u16) -> &'static str {
    match code {
        1001 => "going away",
        1002 => "protocol error",
        1006 => "the connection was lost without a close frame",
        1008 => "policy violation",
        1009 => "message too big",
        1011 => "an error on the service's side",
        1012 => "service restart",
        1013 => "try again later",
        3000..=4999 => "application-defined",
        _ => "unexpected",
    }
}

/// The error for a WebSocket that closed (with `code`, 1006 in browsers) before it opened: a
/// browser is not told why the handshake was refused, so this names what to check.
pub fn handshake_refused(code: u16, model_id: &str) -> Error {
    let model: String = model_id.chars().take(200).collect();
    Error::new(ErrorKind::WebSocket {
        refused: true,
        code,
        message: format!(
            "the WebSocket was refused before it opened (close code {code}; a browser is not told why): check the credentials (SigV4, allowed bedrock:InvokeModelWithBidirectionalStream), the region, access to {model:?} (a bidirectional model such as Nova Sonic) and the clock (a URL signed 5+ minutes off is refused)"
        ),
    })
}

#[cfg(test)]
mod tests;
