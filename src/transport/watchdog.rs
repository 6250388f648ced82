//! The idle watchdog: a body or stream that delivers nothing usable for too long is stopped,
//! so a dead connection cannot hang a call or keep a stream open forever.

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::fetch::{clear_timeout, race_timer};

/// Awaits `read` for at most `ms` (0: no limit): `Ok(None)` when the time ran out first.
pub(super) async fn race(read: Promise, ms: u32) -> Result<Option<JsValue>, JsValue> {
    race_ms(read, ms as f64, ms == 0).await
}

async fn race_ms(read: Promise, ms: f64, unlimited: bool) -> Result<Option<JsValue>, JsValue> {
    if unlimited {
        return JsFuture::from(read).await.map(Some);
    }
    let (race, timer, marker) = race_timer(read, ms);
    let result = JsFuture::from(race).await;
    clear_timeout(&timer);
    let value = result?;
    Ok((!js_sys::Object::is(&value, &marker)).then_some(value))
}

/// A stream's watchdog: counts from the last *completed event*, not the last byte, so a
/// trickle of bytes that never completes an event cannot keep a dead stream alive.
#[derive(Debug)]
pub(super) struct Watchdog {
    idle_ms: u32,
    /// When the last event was completed (or the stream opened).
    last_event_ms: f64,
    /// An event was completed since the last read; the next read restarts the count (one
    /// clock reading per read, not per event).
    event_since_read: bool,
}

impl Watchdog {
    pub(super) fn new(idle_ms: u32, now_ms: f64) -> Self {
        Self {
            idle_ms,
            last_event_ms: now_ms,
            event_since_read: false,
        }
    }

    pub(super) fn idle_ms(&self) -> u32 {
        self.idle_ms
    }

    /// An event was completed.
    pub(super) fn event(&mut self) {
        self.event_since_read = true;
    }

    /// Awaits one read against the time left: `Ok(None)` when the watchdog fired.
    pub(super) async fn read(&mut self, read: Promise) -> Result<Option<JsValue>, JsValue> {
        if self.idle_ms == 0 {
            return race_ms(read, 0.0, true).await;
        }
        let now = js_sys::Date::now();
        if std::mem::take(&mut self.event_since_read) {
            self.last_event_ms = now;
        }
        let left = self.last_event_ms + self.idle_ms as f64 - now;
        if left <= 0.0 {
            return Ok(None);
        }
        race_ms(read, left, false).await
    }
}
