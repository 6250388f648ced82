//! The prompt and what can be done with it: send (streaming or not), stop, retry, edit the
//! last turn, clear.

use std::sync::atomic::{AtomicBool, Ordering};

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::attachments::{add_files, AttachmentPicker};
use crate::chat::Chat;
use crate::form::Form;
use crate::runner::load_send;

/// Starts fetching the code that sends (a chunk of its own, see `runner::send_job`) on the
/// first keystroke in the prompt, so that it is there by the time Send is pressed.
fn preload_send() {
    static STARTED: AtomicBool = AtomicBool::new(false);
    if !STARTED.swap(true, Ordering::Relaxed) {
        spawn_local(async {
            // A failure shows when Send needs the chunk (it is fetched again then).
            let _ = load_send().await;
        });
    }
}

#[component]
pub fn Prompt(form: Form, chat: Chat) -> impl IntoView {
    let busy = move || chat.busy();
    let no_turn = move || busy() || !chat.has_turn();
    let status = RwSignal::new(String::new());
    // Files dropped on the composer or pasted into the prompt are attached.
    let dragging = RwSignal::new(false);
    let on_drop = move |ev: leptos::ev::DragEvent| {
        dragging.set(false);
        if let Some(files) = ev.data_transfer().and_then(|d| d.files()) {
            ev.prevent_default();
            add_files(form, chat, files, status);
        }
    };
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        if let Some(files) = ev
            .clipboard_data()
            .and_then(|d| d.files())
            .filter(|f| f.length() > 0)
        {
            ev.prevent_default();
            add_files(form, chat, files, status);
        }
    };
    view! {
        <div class="composer" class:dragging=move || dragging.get()
            on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop>
            <label>
                "Prompt"
                <textarea data-testid="prompt" prop:value=move || form.prompt.get()
                    on:input=move |ev| {
                        form.prompt.set(event_target_value(&ev));
                        preload_send();
                    }
                    on:paste=on_paste></textarea>
            </label>
            <AttachmentPicker form chat status />
        </div>
        <div class="actions">
            <button class="primary" data-testid="send" on:click=move |_| chat.send(form, true, false) disabled=busy>"Send"</button>
            <button data-testid="send-once" on:click=move |_| chat.send(form, false, false) disabled=busy>"Send without streaming"</button>
            <button data-testid="stop" on:click=move |_| chat.stop() disabled=move || !busy()>"Stop"</button>
            <button data-testid="retry" on:click=move |_| chat.send(form, true, true) disabled=no_turn>"Retry"</button>
            <button data-testid="edit-last" on:click=move |_| chat.edit_last(form) disabled=no_turn>"Edit last"</button>
            <button data-testid="clear" on:click=move |_| chat.clear() disabled=busy>"Clear"</button>
            <span class="hint">"Ctrl/Cmd+Enter sends, Esc stops."</span>
        </div>
    }
}
