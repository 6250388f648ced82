//! The response-body pipeline: a producer task writes pieces into a capacity-1 channel that
//! hyper reads, and both ends record in the log how the body ended (complete, client gone,
//! shutdown).

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use tokio::sync::{mpsc, watch};

use super::Shared;
use crate::frame::FrameError;
use crate::log::{elapsed_ms, RequestLog};

/// The longest the emulator ever waits in one go: a configured delay beyond this (e.g.
/// `--token-delay-ms 18446744073709551615`) means "never" and must not overflow the clock.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `t + d`, for waits: delays beyond [`FAR_FUTURE`] are waited as `FAR_FUTURE` ("never"),
/// so no configured delay can overflow the clock.
pub(super) fn after(t: tokio::time::Instant, d: Duration) -> tokio::time::Instant {
    // An instant 30 years on is always representable; `t` is only a formal fallback.
    t.checked_add(d.min(FAR_FUTURE)).unwrap_or(t)
}

pub(super) async fn wait_for_shutdown(rx: &mut watch::Receiver<bool>) {
    // An error means the emulator handle is gone, which is a shutdown too.
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Why a producer stopped before the end.
pub(super) enum Stop {
    ClientGone,
    Shutdown,
    /// A planned frame does not fit the wire format (an emulator bug: plans are bounded).
    Unencodable(FrameError),
}

/// The writing side of a response body: a capacity-1 channel, so the producer runs at most
/// one piece ahead of the connection and notices a departed client at its next step.
pub(super) struct Producer {
    tx: mpsc::Sender<Bytes>,
    rx: Option<mpsc::Receiver<Bytes>>,
    shutdown: watch::Receiver<bool>,
    log: RequestLog,
    id: String,
    started: Instant,
    pub(super) all_sent: Arc<AtomicBool>,
}

impl Producer {
    pub(super) fn new(s: &Shared, id: &str, started: Instant) -> Self {
        let (tx, rx) = mpsc::channel(1);
        Producer {
            tx,
            rx: Some(rx),
            shutdown: s.shutdown.clone(),
            log: s.log.clone(),
            id: id.to_owned(),
            started,
            all_sent: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The response body reading from this producer.
    /// `expected_len` is the declared `Content-Length`, if any: hyper stops polling (and drops
    /// the body) once that many bytes went out, which then counts as complete.
    pub(super) fn body(&mut self, expected_len: Option<usize>) -> Body {
        let rx = self.rx.take().expect("a producer feeds exactly one body");
        Body::from_stream(ChannelBody {
            rx,
            yielded: 0,
            end: Some(EndHook {
                log: self.log.clone(),
                id: self.id.clone(),
                started: self.started,
                all_sent: self.all_sent.clone(),
                expected_len,
            }),
        })
    }

    pub(super) async fn wait(&mut self, d: Duration) -> Result<(), Stop> {
        self.wait_until(after(tokio::time::Instant::now(), d)).await
    }

    /// Sleeps until `deadline`, or returns early with the reason production must stop.
    pub(super) async fn wait_until(&mut self, deadline: tokio::time::Instant) -> Result<(), Stop> {
        if deadline <= tokio::time::Instant::now() {
            return if self.tx.is_closed() {
                Err(Stop::ClientGone)
            } else {
                Ok(())
            };
        }
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => Ok(()),
            _ = self.tx.closed() => Err(Stop::ClientGone),
            _ = wait_for_shutdown(&mut self.shutdown) => Err(Stop::Shutdown),
        }
    }

    pub(super) async fn send(&mut self, piece: Bytes) -> Result<(), Stop> {
        tokio::select! {
            sent = self.tx.send(piece) => sent.map_err(|_| Stop::ClientGone),
            _ = wait_for_shutdown(&mut self.shutdown) => Err(Stop::Shutdown),
        }
    }

    /// Records how production ended; dropping `self` then ends the body stream.
    pub(super) fn finish(self, result: Result<(), Stop>, all_sent: &AtomicBool, what: &str) {
        match result {
            Ok(()) => all_sent.store(true, Ordering::SeqCst),
            Err(stop) => {
                let elapsed = elapsed_ms(self.started);
                self.log.update(&self.id, |r| {
                    let sent = r.chunks_sent;
                    r.duration_ms.get_or_insert(elapsed);
                    match stop {
                        Stop::ClientGone => {
                            r.client_closed_early = true;
                            r.error.get_or_insert(format!(
                                "client closed the connection after {sent} {what}"
                            ));
                        }
                        Stop::Shutdown => {
                            r.error.get_or_insert(format!(
                                "the emulator shut down after {sent} {what}"
                            ));
                        }
                        Stop::Unencodable(e) => {
                            r.error.get_or_insert(format!(
                                "the emulator could not encode the frame after {sent} {what} \
                                 (an emulator bug; please report it): {e}"
                            ));
                        }
                    }
                });
            }
        }
    }
}

/// The body hyper polls: yields what the producer sends; records completion when the stream
/// ends after everything was sent, or an early close when hyper drops it first.
struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
    /// Bytes handed to hyper so far.
    yielded: usize,
    end: Option<EndHook>,
}

struct EndHook {
    log: RequestLog,
    id: String,
    started: Instant,
    all_sent: Arc<AtomicBool>,
    expected_len: Option<usize>,
}

impl EndHook {
    fn fire(self, reached_end: bool, yielded: usize) {
        let complete = if reached_end {
            // The stream also ends when the producer gives up; only a full run is complete.
            self.all_sent.load(Ordering::SeqCst)
        } else {
            self.expected_len == Some(yielded)
        };
        let elapsed = elapsed_ms(self.started);
        self.log.update(&self.id, |r| {
            r.duration_ms.get_or_insert(elapsed);
            if complete {
                r.completed = true;
            } else if !reached_end {
                r.client_closed_early = true;
                r.error.get_or_insert_with(|| {
                    "client closed the connection before the body was complete".into()
                });
            }
        });
    }
}

impl futures_core::Stream for ChannelBody {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match this.rx.poll_recv(cx) {
            Poll::Ready(Some(bytes)) => {
                if this.yielded == 0 {
                    if let Some(end) = &this.end {
                        let ms = elapsed_ms(end.started);
                        end.log
                            .update(&end.id, |r| _ = r.first_byte_ms.get_or_insert(ms));
                    }
                }
                this.yielded += bytes.len();
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready(None) => {
                let Some(end) = this.end.take() else {
                    return Poll::Ready(None);
                };
                let complete = end.all_sent.load(Ordering::SeqCst);
                end.fire(true, this.yielded);
                if complete {
                    Poll::Ready(None)
                } else {
                    // The producer gave up (shutdown): fail the transfer so the client sees a
                    // broken response rather than a clean but silently short one.
                    Poll::Ready(Some(Err(std::io::Error::other(
                        "the emulator stopped before the response was complete",
                    ))))
                }
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for ChannelBody {
    fn drop(&mut self) {
        if let Some(end) = self.end.take() {
            end.fire(false, self.yielded);
        }
    }
}
