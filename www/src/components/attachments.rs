//! Attaching files to the prompt: a file picker, drag-and-drop onto the composer and paste
//! from the clipboard all land here; each file shows as a chip (a thumbnail for images)
//! that can be removed. What the model or Bedrock would refuse is said at once.

use std::future::Future;
use std::pin::Pin;

use bedrock_wasm::bedrock::media::{self, MediaKind};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::attachment::{self, Attachment, MAX_FILE_BYTES, MAX_PENDING};
use crate::body::Msg;
use crate::chat::Chat;
use crate::form::Form;
use crate::lazy::{split, SplitLoaderError};

/// Reads `files` into the form's attachments, saying in `status` what was refused and why.
pub fn add_files(form: Form, chat: Chat, files: web_sys::FileList, status: RwSignal<String>) {
    let files: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
    if files.is_empty() {
        return;
    }
    spawn_local(async move {
        match read_files(form, chat, files, status).await {
            Ok(read) => read.await,
            Err(_) => status.set(
                "Could not read the files: the attachments' file did not arrive (offline, or the site was updated). Try again."
                    .into(),
            ),
        }
    });
}

split! {
    attachments,
    load_attachments,
    /// The reading and checking of picked, dropped or pasted files: a chunk of its own, loaded
    /// the first time files are added (src/lazy.rs).
    fn read_files(
        form: Form,
        chat: Chat,
        files: Vec<web_sys::File>,
        status: RwSignal<String>,
    ) -> Result<Pin<Box<dyn Future<Output = ()>>>, SplitLoaderError> {
        Ok(Box::pin(async move {
            let mut notes = Vec::new();
            for file in files {
                let name = file.name();
                if form.attachments.with_untracked(Vec::len) >= MAX_PENDING {
                    notes.push(format!(
                        "{name}: at most {MAX_PENDING} files wait with one prompt"
                    ));
                    continue;
                }
                if file.size() > MAX_FILE_BYTES {
                    notes.push(format!(
                        "{name} is {}: Bedrock takes files up to 25 MB (videos; images 3.75 MB, documents 4.5 MB)",
                        media::megabytes(file.size() as u64)
                    ));
                    continue;
                }
                let Ok(buffer) = JsFuture::from(file.array_buffer()).await else {
                    notes.push(format!("{name}: the browser could not read it"));
                    continue;
                };
                let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                // Document names must differ across the whole request.
                let taken: Vec<String> = chat
                    .conversation_untracked()
                    .iter()
                    .flat_map(|t| t.attachments.clone())
                    .chain(form.attachments.get_untracked())
                    .map(|a| a.name)
                    .collect();
                match Attachment::new(
                    &name,
                    &file.type_(),
                    bytes,
                    taken.iter().map(String::as_str),
                ) {
                    Ok(a) => form.attachments.update(|v| v.push(a)),
                    Err(e) => notes.push(e),
                }
            }
            status.set(notes.join("\n"));
        }))
    }
}

/// The image's `blob:` URL, made once.
fn thumbnail(a: &Attachment) -> Option<String> {
    if a.media.kind != MediaKind::Image {
        return None;
    }
    let url = a.thumbnail.get_or_init(|| {
        let bytes = js_sys::Uint8Array::from(a.bytes.as_slice());
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(a.media.mime);
        web_sys::Blob::new_with_u8_array_sequence_and_options(&js_sys::Array::of1(&bytes), &options)
            .ok()
            .and_then(|b| web_sys::Url::create_object_url_with_blob(&b).ok())
            .unwrap_or_default()
    });
    (!url.is_empty()).then(|| url.clone())
}

/// A file as a chip: its thumbnail or kind, name and size, and a remove button when
/// `remove` is given.
#[component]
pub fn Chip(
    attachment: Attachment,
    #[prop(optional)] remove: Option<Callback<()>>,
) -> impl IntoView {
    let label = attachment.label();
    let title = label.clone();
    let remove_label = format!("Remove {}", attachment.file_name);
    let thumb = thumbnail(&attachment);
    view! {
        <span class="chip" data-testid="attachment" title=title>
            {match thumb {
                Some(src) => view! { <img src=src alt="" /> }.into_any(),
                None => view! { <span class="kind">{attachment.media.format}</span> }.into_any(),
            }}
            <span>{label}</span>
            {remove.map(|r| view! {
                <button type="button" data-testid="attachment-remove" aria-label=remove_label
                    on:click=move |_| r.run(())>"×"</button>
            })}
        </span>
    }
}

/// The composer's attachments: the picker, and the chips of the files waiting to be sent.
#[component]
pub fn AttachmentPicker(form: Form, chat: Chat, status: RwSignal<String>) -> impl IntoView {
    let pick = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        if let Some(files) = input.files() {
            add_files(form, chat, files, status);
        }
        input.set_value("");
    };
    // What the chosen model or API would refuse of these files, said before Send.
    let refused = move || {
        let pending = form.attachments.get();
        if pending.is_empty() {
            return String::new();
        }
        form.settings.with(|s| match s {
            Ok(s) => attachment::check(&s.model_id, s.api, &[Msg::user("", pending)])
                .err()
                .unwrap_or_default(),
            Err(_) => String::new(),
        })
    };
    let accept = media::accept();
    view! {
        <div class="attachments">
            <label class="attach button">
                "Attach files"
                <input type="file" multiple class="visually-hidden" data-testid="attach" accept=accept on:change=pick />
            </label>
            <For each=move || form.attachments.get().into_iter().enumerate()
                key=|(i, a)| (*i, a.file_name.clone(), a.size()) let:item>
                {
                    let (i, a) = item;
                    let remove = Callback::new(move |()| {
                        form.attachments.update(|v| {
                            if i < v.len() {
                                v.remove(i);
                            }
                        })
                    });
                    view! { <Chip attachment=a remove /> }
                }
            </For>
        </div>
        <p class="error" data-testid="attach-status" role="status">
            {move || status.get()}
            {move || {
                let r = refused();
                (!r.is_empty()).then(|| view! { <span>{r}</span> })
            }}
        </p>
    }
}
