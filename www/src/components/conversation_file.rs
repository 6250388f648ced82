//! The conversation as a file: export it as JSON (Converse's shape, re-importable) or
//! Markdown, and import such a JSON back (as a new saved conversation).

use std::sync::atomic::{AtomicBool, Ordering};

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::conversations::Saved;
use crate::body::Exchange;
use crate::chat::Chat;
use crate::export::{self, Conversation, Setup, MAX_IMPORT_BYTES};
use crate::form::Form;
use crate::lazy::{split, SplitLoaderError};

/// What writing a conversation says when its chunk could not be fetched.
pub const EXPORT_NOT_LOADED: &str =
    "the page's file that writes conversations did not arrive (offline, or the site was updated); try again";

/// What reading a conversation back says when its chunk could not be fetched.
pub const READER_NOT_LOADED: &str =
    "the page's file that reads conversations did not arrive (offline, or the site was updated); try again";

split! {
    conversation_export,
    load_conversation_export,
    /// The conversation as a file's JSON ([`export::to_json`]): a chunk of its own, fetched
    /// with the first answer (the sending code asks for it, see [`preload_export`]) or the
    /// first export.
    pub fn export_json(setup: Setup, turns: Vec<Exchange>) -> Result<String, SplitLoaderError> {
        Ok(export::to_json(&setup, &turns))
    }
}

/// Starts fetching [`export_json`]'s chunk, once: an answer is saved as soon as it ends.
pub fn preload_export() {
    static STARTED: AtomicBool = AtomicBool::new(false);
    if !STARTED.swap(true, Ordering::Relaxed) {
        spawn_local(async {
            // A failure shows when the chunk is needed (it is fetched again then).
            let _ = load_conversation_export().await;
        });
    }
}

split! {
    conversation_import,
    load_conversation_import,
    /// Reads an imported file back ([`export::from_json`]): with [`read_saved`], a chunk of its
    /// own (typed Converse messages' deserializer is most of it), fetched the first time a
    /// conversation is imported or reopened (src/lazy.rs).
    pub fn read_file(text: String) -> Result<Result<Conversation, String>, SplitLoaderError> {
        Ok(export::from_json(&text))
    }
}

split! {
    conversation_import,
    load_saved_reader,
    /// A saved conversation read back ([`conversations::read`]), in [`read_file`]'s chunk.
    pub fn read_saved(text: String) -> Result<Result<Conversation, String>, SplitLoaderError> {
        Ok(crate::conversations::read(&text))
    }
}

/// The form's setup, for a file (or a saved conversation).
pub fn setup(form: Form) -> Setup {
    Setup {
        model_id: form.model_id.get_untracked(),
        system: form.system.get_untracked(),
        max_tokens: form.max_tokens.get_untracked(),
        temperature: form.temperature.get_untracked(),
        top_p: form.top_p.get_untracked(),
        top_k: form.top_k.get_untracked(),
        stop: form.stop.get_untracked(),
    }
}

/// Puts conversation `c` on the page — its setup into the form (what it sets), its turns
/// into the chat, a last prompt without an answer back into the prompt — and returns how
/// many turns it had. An import and reopening a saved conversation both come through here.
pub fn apply(form: Form, chat: Chat, c: Conversation) -> usize {
    let s = c.setup;
    for (signal, value) in [
        (form.model_id, s.model_id),
        (form.system, s.system),
        (form.max_tokens, s.max_tokens),
        (form.temperature, s.temperature),
        (form.top_p, s.top_p),
        (form.top_k, s.top_k),
        (form.stop, s.stop),
    ] {
        if !value.is_empty() {
            signal.set(value);
        }
    }
    let n = c.turns.len();
    chat.restore(c.turns);
    if let Some(p) = c.pending {
        form.prompt.set(p);
        form.attachments.set(c.pending_attachments);
    }
    n
}

/// Offers `text` as a download named `name`.
fn download(name: &str, mime: &str, text: &str) -> Option<()> {
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let doc = web_sys::window()?.document()?;
    let a: web_sys::HtmlAnchorElement = doc.create_element("a").ok()?.dyn_into().ok()?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Some(())
}

#[component]
pub fn ConversationFile(form: Form, chat: Chat, saved: Saved) -> impl IntoView {
    let status = RwSignal::new(String::new());
    let export_json = move |_| {
        let (setup, turns) = (setup(form), chat.conversation_untracked());
        // At once when the chunk is there (as the click's own download), else once it is.
        if matches!(crate::lazy::now(load_conversation_export()), Some(Ok(()))) {
            if let Some(Ok(text)) = crate::lazy::now(export_json(setup, turns)) {
                download("conversation.json", "application/json", &text);
            }
            return;
        }
        spawn_local(async move {
            match export_json(setup, turns).await {
                Ok(text) => {
                    download("conversation.json", "application/json", &text);
                }
                Err(_) => status.set(format!("Cannot export: {EXPORT_NOT_LOADED}.")),
            }
        });
    };
    let export_markdown = move |_| {
        let text = export::to_markdown(&setup(form), &chat.conversation_untracked());
        download("conversation.md", "text/markdown", &text);
    };
    let import = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        if file.size() > MAX_IMPORT_BYTES {
            status
                .set("That file is over 50 MB: not a conversation exported from this page.".into());
            return;
        }
        spawn_local(async move {
            let text = JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|t| t.as_string())
                .unwrap_or_default();
            match read_file(text)
                .await
                .unwrap_or_else(|_| Err(READER_NOT_LOADED.into()))
            {
                Ok(c) => {
                    let n = apply(form, chat, c);
                    saved.imported();
                    status.set(format!("Imported {n} turns."));
                }
                Err(e) => status.set(format!("Cannot import: {e}")),
            }
        });
    };
    view! {
        <div class="actions">
            <button data-testid="export-json" on:click=export_json>"Export JSON"</button>
            <button data-testid="export-markdown" on:click=export_markdown>"Export Markdown"</button>
            <label>
                "Import a conversation (JSON)"
                <input type="file" data-testid="import" accept="application/json,.json" on:change=import />
            </label>
            <span class="hint" data-testid="import-status" role="status">{move || status.get()}</span>
        </div>
    }
}
