//! The InvokeModel body as JSON: generated from the form and the conversation until the user
//! edits it, then sent as typed (checked to be JSON).

use leptos::prelude::*;

use crate::choices::Api;
use crate::form::{check_body, Form};

/// What the editor says about the body it shows.
fn status(custom: Option<&str>) -> String {
    match custom.map(check_body) {
        None => "Generated from the form and the conversation; edit to override.".into(),
        Some(Ok(())) => "Edited: sent as is.".into(),
        Some(Err(e)) => format!("Edited, but Send will refuse it: {e}"),
    }
}

/// The body editor (hidden for Converse). `generated` is the body the form makes now.
#[component]
pub fn BodyEditor(form: Form, #[prop(into)] generated: Signal<String>) -> impl IntoView {
    let custom = form.custom_body;
    let text = move || custom.get().unwrap_or_else(|| generated.get());
    view! {
        <details data-testid="body-editor" class:hidden=move || form.api.get() == Api::Converse>
            <summary>"InvokeModel JSON body"</summary>
            <p class="hint">{move || custom.with(|c| status(c.as_deref()))}</p>
            <textarea data-testid="invoke-body" aria-label="InvokeModel JSON body" class="code" spellcheck="false"
                prop:value=text on:input=move |ev| custom.set(Some(event_target_value(&ev)))></textarea>
            <button data-testid="body-reset" on:click=move |_| custom.set(None)>"Back to the form"</button>
        </details>
    }
}
