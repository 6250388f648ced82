//! The conversation: finished turns rendered once, the current one streaming, following the
//! answer down unless the user scrolls up.

use leptos::prelude::*;

use super::answer::Answer;
use super::attachments::Chip;
use super::tool_calls::{StructuredOutput, ToolCalls};
use crate::attachment::Attachment;
use crate::body::ToolResult;
use crate::chat::Chat;
use crate::form::Form;
use crate::markdown;

#[component]
pub fn Transcript(form: Form, chat: Chat) -> impl IntoView {
    // Auto-scroll: follows the answer unless the user scrolled up.
    let transcript = NodeRef::<leptos::html::Div>::new();
    let follow = StoredValue::new(true);
    Effect::new(move || {
        chat.reply.text.track();
        chat.history.track();
        if follow.get_value() {
            request_animation_frame(move || {
                // Checked again: the user may have scrolled up since (scroll events run first).
                if let Some(el) = transcript.get_untracked().filter(|_| follow.get_value()) {
                    el.set_scroll_top(el.scroll_height());
                }
            });
        }
    });
    // Only a move up is the user leaving the bottom: content growing between our scroll and
    // its event must not stop following. Reaching the bottom again resumes it.
    let last_top = StoredValue::new(0);
    let on_scroll = move |_| {
        if let Some(el) = transcript.get_untracked() {
            let top = el.scroll_top();
            if top + el.client_height() >= el.scroll_height() - 24 {
                follow.set_value(true);
            } else if top < last_top.get_value() {
                follow.set_value(false);
            }
            last_top.set_value(top);
        }
    };
    view! {
        <div class="transcript" data-testid="transcript" node_ref=transcript on:scroll=on_scroll
            tabindex="0" role="region" aria-label="Conversation">
            <For each=move || chat.history.get() key=|t| t.id let:turn>
                <div class="turn" data-testid="turn">
                    <div class="user">
                        {turn.exchange.user.clone()}
                        <Files files=turn.exchange.attachments.clone() />
                        <Results results=turn.exchange.tool_results.clone() />
                    </div>
                    {markdown::finished(turn.exchange.answer.clone())}
                    <div class="metrics">{turn.figures}</div>
                    <div class="error">{turn.error}</div>
                </div>
            </For>
            <div class="turn current">
                <div class="user" data-testid="user-message" class:hidden=move || !chat.has_turn()>
                    {move || chat.user.get()}
                    {move || view! { <Files files=chat.attachments.get() /> }}
                    {move || view! { <Results results=chat.tool_results.get() /> }}
                </div>
                <Answer reply=chat.reply />
                <ToolCalls form chat />
                <StructuredOutput form chat />
            </div>
        </div>
    }
}

/// What a turn carried, as chips (nothing when it carried no file).
#[component]
fn Files(files: Vec<Attachment>) -> impl IntoView {
    (!files.is_empty()).then(|| {
        view! {
            <div class="files">
                {files.into_iter().map(|a| view! { <Chip attachment=a /> }).collect_view()}
            </div>
        }
    })
}

/// The tool results a turn sent.
#[component]
fn Results(results: Vec<ToolResult>) -> impl IntoView {
    results
        .into_iter()
        .map(|r| {
            view! { <div class="hint" data-testid="tool-result-sent">{format!("Result of {}: {}", r.name, r.text)}</div> }
        })
        .collect_view()
}
