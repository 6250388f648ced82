//! One answer as it streams: reasoning (collapsed), the Markdown text, figures (tool calls
//! included) and error.

use leptos::prelude::*;

use crate::markdown;
use crate::reply::Reply;

/// An answer. `n` numbers a comparison pane (`compare-output-2`, …); without it the ids are
/// the chat's (`output`, `metrics`, `error`).
#[component]
pub fn Answer(reply: Reply, #[prop(optional)] n: Option<usize>) -> impl IntoView {
    let id = |chat: &str, pane: &str| match n {
        Some(n) => format!("{pane}-{n}"),
        None => chat.to_owned(),
    };
    view! {
        <details class="reasoning" data-testid=id("reasoning", "reasoning") class:hidden=move || reply.reasoning.with(String::is_empty)>
            <summary>"Reasoning"</summary>
            {markdown::streaming_text(reply.reasoning, reply.generation)}
        </details>
        <div class="md answer" data-testid=id("output", "compare-output") aria-live="polite" aria-busy=move || reply.busy.get().to_string()>
            {markdown::streaming(reply.text, reply.generation)}
        </div>
        <div class="metrics" data-testid=id("metrics", "compare-metrics")>{move || reply.figures.get()}</div>
        <div class="error" data-testid=id("error", "compare-error") role="alert">{move || reply.error.get()}</div>
    }
}
