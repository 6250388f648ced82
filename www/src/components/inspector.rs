//! The decoded event-stream frames of the last streamed answer. The list is a chunk of its
//! own, loaded the first time the section is opened (src/lazy.rs).

use leptos::prelude::*;

use crate::lazy::{lazy, now, on_open, split, SplitLoaderError};
use crate::reply::Frame;

#[component]
pub fn Inspector(frames: RwSignal<Vec<Frame>>) -> impl IntoView {
    let opened = RwSignal::new(false);
    view! {
        <details data-testid="inspector" on:toggle=on_open(opened)>
            <summary>{move || format!("Inspector: {} decoded frames of the last streamed answer", frames.with(Vec::len))}</summary>
            <Show when=move || opened.get()>
                {lazy("the inspector", load_inspector, move || now(frame_list(frames)))}
            </Show>
        </details>
    }
}

split! {
    inspector,
    load_inspector,
    fn frame_list(frames: RwSignal<Vec<Frame>>) -> Result<AnyView, SplitLoaderError> {
        Ok(view! {
            <ol class="frames">
                {move || frames.get().into_iter().map(|f| view! {
                    <li data-testid="frame">
                        <pre class="headers">{f.headers}</pre>
                        <pre class="code">{f.payload}</pre>
                        {f.decoded.map(|d| view! { <pre class="code decoded">{d}</pre> })}
                    </li>
                }).collect_view()}
            </ol>
        }
        .into_any())
    }
}
