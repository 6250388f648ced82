//! Reading a whole response body: capped, so a huge body never reaches memory, and watched,
//! so a body that stalls cannot hang the call.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use web_sys::{AbortSignal, ReadableStreamDefaultReader, Response};

use super::fetch::{cancel_reader, fetch_error};
use super::{watchdog, ResponseMetadata};
use crate::bedrock::{Error, ErrorKind, ServiceError};

/// The largest error body read (1 MiB, far above any real Bedrock error); the rest is
/// cancelled unread and the error says the body was cut.
pub const MAX_ERROR_BODY_BYTES: usize = 1 << 20;

/// The largest successful non-streaming body read (InvokeModel, Converse, Cognito): 64 MiB,
/// room for several generated images in base64. A larger body fails with a clear error
/// instead of exhausting memory.
pub const MAX_RESPONSE_BODY_BYTES: usize = 64 << 20;

/// A 200 whose body is an error (`{"Output":{"__type":…}}`) is that error.
pub(super) fn check_ok_body(body: &[u8], metadata: &ResponseMetadata) -> Result<(), Error> {
    match ServiceError::from_ok_body(body, metadata.request_id.as_deref()) {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// A body read up to a cap.
pub(super) struct Capped {
    pub bytes: Vec<u8>,
    /// The body was longer than the cap; the rest was cancelled unread.
    pub cut: bool,
}

/// Reads `response`'s body chunk by chunk, at most `cap` bytes; the rest is cancelled, so a
/// huge body never reaches memory. A body that sends nothing for `idle_ms` (0: no limit) is
/// cancelled with [`Error::StreamIdleTimeout`], so a stalled body cannot hang the call.
pub(super) async fn read_capped(
    response: &Response,
    cap: usize,
    idle_ms: u32,
) -> Result<Capped, Error> {
    let mut out = Capped {
        bytes: Vec::new(),
        cut: false,
    };
    let Some(body) = response.body() else {
        return Ok(out);
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    loop {
        let read = watchdog::race(reader.read(), idle_ms).await;
        let result = match read {
            Ok(Some(r)) => r,
            Ok(None) => {
                cancel_reader(&reader);
                return Err(Error::idle_timeout(idle_ms));
            }
            Err(e) => return Err(fetch_error(e, None)),
        };
        let result: web_sys::ReadableStreamReadResult = result.unchecked_into();
        if result.get_done() == Some(true) {
            return Ok(out);
        }
        let Ok(chunk) = result.get_value().dyn_into::<Uint8Array>() else {
            cancel_reader(&reader);
            return Err(Error::response_shape("the body yielded a non-byte chunk"));
        };
        let room = cap - out.bytes.len();
        let len = chunk.length() as usize;
        let take = len.min(room);
        let start = out.bytes.len();
        out.bytes.resize(start + take, 0);
        chunk
            .subarray(0, take as u32)
            .copy_to(&mut out.bytes[start..]);
        if len > room {
            out.cut = true;
            cancel_reader(&reader);
            return Ok(out);
        }
    }
}

/// A successful body, whole: longer than `cap` is an error.
pub(super) async fn read_body(
    response: &Response,
    signal: Option<&AbortSignal>,
    cap: usize,
    idle_ms: u32,
) -> Result<Vec<u8>, Error> {
    let body = read_capped(response, cap, idle_ms)
        .await
        .map_err(|e| match e {
            e if matches!(e.kind(), ErrorKind::Network(_))
                && signal.is_some_and(AbortSignal::aborted) =>
            {
                Error::aborted()
            }
            e => e,
        })?;
    if body.cut {
        return Err(Error::response_shape(format!(
            "the response body is larger than {} MiB and was not read",
            cap >> 20
        )));
    }
    Ok(body.bytes)
}
