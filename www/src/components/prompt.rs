//! The prompt and what can be done with it: send (streaming or not), stop, retry, edit the
//! last turn, clear.

use leptos::prelude::*;

use crate::chat::Chat;
use crate::form::Form;

#[component]
pub fn Prompt(form: Form, chat: Chat) -> impl IntoView {
    let busy = move || chat.busy();
    let no_turn = move || busy() || chat.user.with(String::is_empty);
    view! {
        <label>
            "Prompt"
            <textarea data-testid="prompt" prop:value=move || form.prompt.get()
                on:input=move |ev| form.prompt.set(event_target_value(&ev))></textarea>
        </label>
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
