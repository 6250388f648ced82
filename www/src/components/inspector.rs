//! The decoded event-stream frames of the last streamed answer.

use leptos::prelude::*;

use crate::reply::Frame;

#[component]
pub fn Inspector(frames: RwSignal<Vec<Frame>>) -> impl IntoView {
    view! {
        <details data-testid="inspector">
            <summary>{move || format!("Inspector: {} decoded frames of the last streamed answer", frames.with(Vec::len))}</summary>
            <ol class="frames">
                {move || frames.get().into_iter().map(|f| view! {
                    <li data-testid="frame">
                        <pre class="headers">{f.headers}</pre>
                        <pre class="code">{f.payload}</pre>
                        {f.decoded.map(|d| view! { <pre class="code decoded">{d}</pre> })}
                    </li>
                }).collect_view()}
            </ol>
        </details>
    }
}
