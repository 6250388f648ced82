//! `fetch`, timers and `AbortSignal`, bound as globals (so pages, workers and Node all work):
//! one request sent, a redirect refused, a timer raced, a rejection turned into an [`Error`].

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, ReadableStreamDefaultReader, Response};

use crate::bedrock::{Error, HttpRequest};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    pub(super) fn global_fetch(input: &str, init: &web_sys::RequestInit) -> Promise;
    #[wasm_bindgen(js_name = setTimeout)]
    pub(super) fn set_timeout(callback: &JsValue, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = setTimeout)]
    pub(super) fn set_timeout_with_arg(callback: &JsValue, ms: f64, arg: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    pub(super) fn clear_timeout(id: &JsValue);
    /// `crypto.getRandomValues` (pages, workers, Node ≥ 19).
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    pub(super) fn random_values(buffer: &mut [u8]);
    /// `AbortSignal.any` (Node ≥ 20.3, every current browser); undefined where missing.
    #[wasm_bindgen(thread_local_v2, js_namespace = AbortSignal, js_name = any)]
    static ABORT_SIGNAL_ANY: JsValue;
}

/// Sends one request. A redirect is never followed (the signature is for this URL only, and
/// following would send the body elsewhere): it is an [`Error::Redirect`]. With `timeout_ms`
/// > 0, headers that take longer abort the request with [`Error::RequestTimeout`].
pub(super) async fn fetch(
    request: &HttpRequest,
    signal: Option<&AbortSignal>,
    controller: &AbortController,
    timeout_ms: u32,
) -> Result<Response, Error> {
    if signal.is_some_and(AbortSignal::aborted) {
        return Err(Error::aborted());
    }
    let headers = web_sys::Headers::new().map_err(js_error)?;
    for (name, value) in &request.headers {
        headers.set(name, value).map_err(js_error)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(request.method);
    init.set_headers(&headers);
    // A GET or HEAD with a body is a TypeError in fetch.
    if request.method != "GET" {
        init.set_body(&Uint8Array::from(request.body.as_slice()));
    }
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    // Our controller always aborts the request (a dropped stream, the request timeout); the
    // caller's signal too, through `AbortSignal.any` where it exists.
    let own = controller.signal();
    let combined = signal.and_then(|s| any_signal(s, &own));
    init.set_signal(Some(combined.as_ref().or(signal).unwrap_or(&own)));
    let pending = global_fetch(&request.url, &init);
    let (result, timed_out) = if timeout_ms == 0 {
        (JsFuture::from(pending).await, false)
    } else {
        let (race, timer, marker) = race_timer(pending, timeout_ms as f64);
        let result = JsFuture::from(race).await;
        clear_timeout(&timer);
        match result {
            Ok(v) if js_sys::Object::is(&v, &marker) => (Ok(v), true),
            other => (other, false),
        }
    };
    if timed_out {
        controller.abort();
        return Err(Error::request_timeout(timeout_ms));
    }
    let response: Response = result
        .map_err(|e| fetch_error(e, signal))?
        .dyn_into()
        .map_err(|_| Error::response_shape("fetch did not return a Response"))?;
    // `manual`: browsers give an opaque redirect (status 0), Node the 3xx itself.
    let status = response.status();
    if response.type_() == web_sys::ResponseType::Opaqueredirect || (300..400).contains(&status) {
        controller.abort();
        return Err(Error::redirect(status, header(&response, "location")));
    }
    Ok(response)
}

/// `AbortSignal.any([a, b])`, or `None` where the runtime lacks it.
fn any_signal(a: &AbortSignal, b: &AbortSignal) -> Option<AbortSignal> {
    let any = ABORT_SIGNAL_ANY.with(JsValue::clone);
    let any: &js_sys::Function = any.dyn_ref()?;
    let this: JsValue = Reflect::get(&js_sys::global(), &"AbortSignal".into()).ok()?;
    any.call1(&this, &js_sys::Array::of2(a, b))
        .ok()?
        .dyn_into()
        .ok()
}

/// `promise` raced against a timer of `ms`: the race, the timer id and the unique marker
/// the timer resolves with. No Rust closure is made, so a cleared timer leaks nothing.
pub(super) fn race_timer(promise: Promise, ms: f64) -> (Promise, JsValue, JsValue) {
    let marker: JsValue = js_sys::Object::new().into();
    let mut timer = JsValue::UNDEFINED;
    let timeout = Promise::new(&mut |resolve, _| {
        timer = set_timeout_with_arg(&resolve, ms.max(0.0), &marker);
    });
    let race = Promise::race(&js_sys::Array::of2(&promise, &timeout));
    (race, timer, marker)
}

/// Waits `ms`, or fails with [`Error::aborted()`] as soon as `signal` fires.
pub(super) async fn sleep(ms: f64, signal: Option<&AbortSignal>) -> Result<(), Error> {
    if signal.is_some_and(AbortSignal::aborted) {
        return Err(Error::aborted());
    }
    let timer = Rc::new(Cell::new(JsValue::UNDEFINED));
    let promise = Promise::new(&mut |resolve, reject| {
        timer.set(set_timeout(&resolve, ms));
        if let Some(signal) = signal {
            // `{ once: true }` semantics are not needed: the listener only rejects a promise
            // that has usually settled already.
            let _ = signal.add_event_listener_with_callback("abort", &reject);
        }
    });
    let result = JsFuture::from(promise).await;
    clear_timeout(&timer.take());
    result.map(|_| ()).map_err(|_| Error::aborted())
}

/// Cancels a body reader, fire-and-forget. Its promise rejects once the request is aborted:
/// it is awaited so the rejection is handled, not reported as uncaught.
pub(super) fn cancel_reader(reader: &ReadableStreamDefaultReader) {
    let cancelled = JsFuture::from(reader.cancel());
    wasm_bindgen_futures::spawn_local(async move {
        let _ = cancelled.await;
    });
}

/// A response header, when CORS lets the page read it.
pub(super) fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).ok().flatten()
}

/// A rejected fetch or read: aborted if the signal fired (JS rejects with the signal's
/// reason, which can be any value), otherwise a network error.
pub(super) fn fetch_error(e: JsValue, signal: Option<&AbortSignal>) -> Error {
    let name = Reflect::get(&e, &"name".into())
        .ok()
        .and_then(|n| n.as_string());
    if signal.is_some_and(AbortSignal::aborted) || name.as_deref() == Some("AbortError") {
        return Error::aborted();
    }
    Error::network(js_message(&e))
}

pub(super) fn js_error(e: JsValue) -> Error {
    Error::input(js_message(&e))
}

pub(super) fn js_message(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}
