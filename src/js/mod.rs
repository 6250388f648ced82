//! Every `#[wasm_bindgen]` export: the small core under the npm package, in two wasm modules.
//!
//! The AWS-SDK-shaped surface (`BedrockRuntime`, error classes, credential providers,
//! automatic initialisation, `textStream`) is the hand-written ES module `src/js/index.js`,
//! which drives this core. Rust owns meaning, JS owns shapes: Rust decides everything that
//! must be right (signing, retries, clock skew, event-stream decoding, the idle watchdog,
//! cancellation, per-family text, usage, error names and faults, credential freshness,
//! Cognito, Nova Sonic's events); JavaScript only validates options, parses JSON (where
//! `JSON.parse` is free) and builds the AWS SDK's object shapes.
//!
//! - [`api`] (feature `js`): the main module, `bedrock_wasm_bg.wasm`, loaded by every call.
//! - [`voice`] (feature `voice`): the voice module, `bedrock_wasm_voice_bg.wasm`, the same
//!   crate built with `--no-default-features --features voice`: the bidirectional stream and
//!   the Nova Sonic helper. `index.js` imports it the first time a page speaks, so a page that
//!   never does downloads none of it.
//!
//! What both need (the panic hook, credentials from JavaScript, errors as JavaScript values)
//! is here.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::bedrock::{Endpoint, Error};
use crate::sign::{ApiKey, Auth, Credentials, EndpointPolicy};
use crate::transport::ResponseMetadata;

#[cfg(feature = "js")]
mod api;
#[cfg(feature = "voice")]
mod voice;

/// Runs at every instantiation (the first and each one after a panic): installs the panic
/// hook.
///
/// A panic must never kill the host or leave a promise pending. The hook (1) schedules a
/// fresh instance for the next call (wasm-bindgen's reinit: this one's memory may be
/// inconsistent), and (2) throws a JS `Error` named `BedrockWasmPanicError` carrying the panic
/// message instead of trapping; `index.js` and the patched glue catch it, reject every
/// pending call with it and carry on.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        wasm_bindgen::handler::schedule_reinit();
        let e = js_sys::Error::new(&format!(
            "bedrock-wasm panicked: {info}. This is a bug; please report it with the message. The module has been restarted, later calls work."
        ));
        e.set_name("BedrockWasmPanicError");
        wasm_bindgen::throw_val(e.into());
    }));
}

/// The policy for the caller's `allowInsecureEndpoint`: plain http only to loopback unless set.
fn endpoint_policy(allow_insecure: bool) -> EndpointPolicy {
    if allow_insecure {
        EndpointPolicy::AllowInsecure
    } else {
        EndpointPolicy::SecureOrLoopback
    }
}

/// The endpoint for `region` (or the caller's `endpoint`) and its policy; an insecure one not
/// allowed is refused here, before any credentials are fetched or sent.
fn checked_endpoint(
    endpoint: Option<&str>,
    region: &str,
    allow_insecure: bool,
) -> Result<(Endpoint, EndpointPolicy), JsValue> {
    let endpoint = Endpoint::from_parts(endpoint, region).map_err(to_js_error)?;
    let policy = endpoint_policy(allow_insecure);
    crate::sign::check_endpoint(endpoint.base(), policy).map_err(|e| to_js_error(e.into()))?;
    Ok((endpoint, policy))
}

fn auth_from(auth: &JsValue) -> Result<Auth, JsValue> {
    if let Some(token) = string_field(auth, "token")? {
        return Ok(Auth::Bearer(ApiKey::new(token)));
    }
    let id = string_field(auth, "accessKeyId")?.unwrap_or_default();
    let secret = string_field(auth, "secretAccessKey")?.unwrap_or_default();
    if id.trim().is_empty() || secret.trim().is_empty() {
        return Err(type_error(
            "credentials need accessKeyId and secretAccessKey (and sessionToken for temporary credentials), or pass token: a Bedrock API key",
        ));
    }
    Ok(Auth::SigV4(Credentials::new(
        id,
        secret,
        string_field(auth, "sessionToken")?,
    )))
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() {
        Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    // Defining a property on a fresh plain object cannot fail.
    let _ = Reflect::set(obj, &key.into(), value);
}

fn set_opt(obj: &Object, key: &str, value: Option<String>) {
    if let Some(v) = value {
        set(obj, key, &v.into());
    }
}

fn string_field(obj: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    let v = get(obj, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| type_error(&format!("{key} must be a string")))
}

fn metadata(m: &ResponseMetadata) -> JsValue {
    let o = Object::new();
    set(&o, "httpStatusCode", &m.http_status_code.into());
    set_opt(&o, "requestId", m.request_id.clone());
    set(&o, "attempts", &m.attempts.into());
    set(&o, "totalRetryDelay", &m.total_retry_delay_ms.into());
    o.into()
}

fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

/// A real `Error` whose `name` is the AWS exception name, with `$fault`, `$metadata` and, when
/// there is something to do about it, `advice`. `index.js` turns it into the matching class.
fn to_js_error(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    if let Some(s) = e.service() {
        set(&err, "$fault", &s.fault().into());
        let meta = ResponseMetadata {
            http_status_code: s.status,
            request_id: s.request_id.clone(),
            attempts: s.attempts,
            total_retry_delay_ms: s.total_retry_delay_ms as f64,
        };
        set(&err, "$metadata", &metadata(&meta));
        set(&err, "message", &s.message.clone().into());
        set_opt(&err, "advice", s.advice().map(str::to_owned));
        if let Some(code) = s.original_status_code {
            set(&err, "originalStatusCode", &code.into());
        }
        set_opt(&err, "resourceName", s.resource_name.clone());
    }
    if let Some(x) = e.stream_exception() {
        set(&err, "message", &x.message.clone().into());
        if let Some(code) = x.original_status_code {
            set(&err, "originalStatusCode", &code.into());
        }
        set_opt(&err, "originalMessage", x.original_message.clone());
    }
    if let crate::bedrock::ErrorKind::WebSocket { code, .. } = e.kind() {
        if *code != 0 {
            set(&err, "closeCode", &(*code).into());
        }
    }
    let name = e.name();
    err.set_name(name);
    err.into()
}
