//! Parts of the page that are not in the first load: each is a `wasm_split` function, which
//! `cargo xtask build` cuts out of the main wasm into a chunk of its own (`dist/chunk_*.wasm`,
//! fetched from next to the page the first time the part is shown). [`lazy`] shows
//! "Loading …" until the chunk is there, then the part; a chunk that cannot be loaded is a
//! plain error with a Retry button, never a panic.
//!
//! A split function is declared with [`split!`]: its chunk's name, the name of the function
//! that only loads the chunk, then the function, which returns `Result<_, SplitLoaderError>`
//! (a failed load is an `Err`, never a panic) and is called with `.await`:
//!
//! ```ignore
//! split! {
//!     voice,
//!     load_voice,
//!     fn voice_section(voice: Voice, form: Form) -> Result<AnyView, SplitLoaderError> { … }
//! }
//! ```

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use leptos::prelude::*;
use leptos::task::spawn_local;
pub use leptos::wasm_split::SplitLoaderError;
use wasm_bindgen::JsCast;

/// Declares a split function. With the `split` feature (on in `cargo xtask build`, which runs
/// the splitter) it is a `wasm_split` function (`fallible`, `$load` fetches its chunk);
/// without it (the component tests, clippy, `cargo xtask size`'s whole-app breakdown) it is the
/// same function made `async` and `$load` does nothing, so that a wasm the splitter never sees
/// has no chunk import left to resolve.
macro_rules! split {
    (
        $module:ident,
        $load:ident,
        $(#[$attr:meta])*
        $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block
    ) => {
        #[cfg(feature = "split")]
        #[leptos::wasm_split::wasm_split(
            $module,
            wasm_split_path = ::leptos::wasm_split,
            preload(#[allow(dead_code)] $load),
            fallible
        )]
        $(#[$attr])*
        $vis fn $name($($arg: $ty),*) -> $ret $body

        #[cfg(not(feature = "split"))]
        $(#[$attr])*
        $vis async fn $name($($arg: $ty),*) -> $ret $body

        #[cfg(not(feature = "split"))]
        #[allow(dead_code)]
        $vis async fn $load() -> Result<(), $crate::lazy::SplitLoaderError> {
            Ok(())
        }
    };
}
pub(crate) use split;

/// The result of a future that is ready at once (a split function whose chunk is loaded:
/// its wrapper's only await is the load, already done), or `None`.
pub fn now<T>(future: impl Future<Output = T>) -> Option<T> {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

/// A `<details>`'s `on:toggle` handler that sets `opened` the first time it opens (its
/// content, a split function, is loaded then).
pub fn on_open(opened: RwSignal<bool>) -> impl Fn(leptos::ev::Event) + Copy + 'static {
    move |ev: leptos::ev::Event| {
        let open = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|d| d.has_attribute("open"));
        if open {
            opened.set(true);
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Loading,
    Ready,
    Failed,
}

/// `what` ("voice mode") while `load` fetches its chunk, then `view()` (the split function,
/// called through [`now`] so that it runs in this view's reactive scope), or a plain error.
pub fn lazy<L, F, V>(what: &'static str, load: L, view: V) -> impl IntoView
where
    L: Fn() -> F + Copy + Send + Sync + 'static,
    F: Future<Output = Result<(), SplitLoaderError>> + 'static,
    V: Fn() -> Option<Result<AnyView, SplitLoaderError>> + Send + Sync + 'static,
{
    let state = RwSignal::new(State::Loading);
    let start = move || {
        state.set(State::Loading);
        spawn_local(async move {
            state.set(match load().await {
                Ok(()) => State::Ready,
                Err(_) => State::Failed,
            });
        });
    };
    start();
    move || {
        match state.get() {
        State::Loading => view! {
            <p class="hint" data-testid="lazy-loading" role="status">{format!("Loading {what}…")}</p>
        }
        .into_any(),
        State::Ready => match view() {
            Some(Ok(v)) => v,
            _ => failed(what, start),
        },
        State::Failed => failed(what, start),
    }
    }
}

fn failed(what: &'static str, retry: impl Fn() + 'static) -> AnyView {
    view! {
        <p class="error" data-testid="lazy-error" role="alert">
            {format!("Could not load {what}: its file did not arrive (offline, or the site was updated). ")}
            <button on:click=move |_| retry()>"Retry"</button>
        </p>
    }
    .into_any()
}
