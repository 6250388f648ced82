//! "View code": the request the next Send makes, as Python, JavaScript or an AWS CLI command.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use wasm_bindgen_futures::JsFuture;

use super::fields::Choice;
use crate::choices::{Api, AuthMode, Lang};
use crate::codegen;
use crate::creds::Creds;
use crate::form::{Form, FormError};
use crate::lazy::{lazy, now, on_open, split, SplitLoaderError};

/// The code view. `generated` is the body the next streamed Send would use, as the body
/// editor shows it (JSON, or what to fix). Its content (and the code generators) is a chunk
/// of its own, loaded the first time the section is opened (src/lazy.rs).
#[component]
pub fn CodeView(
    form: Form,
    creds: Creds,
    #[prop(into)] generated: Signal<String>,
) -> impl IntoView {
    let opened = RwSignal::new(false);
    view! {
        <details data-testid="code-view" on:toggle=on_open(opened)>
            <summary>"View code"</summary>
            <Show when=move || opened.get()>
                {lazy("the code view", load_code_view, move || now(code_view(form, creds, generated)))}
            </Show>
        </details>
    }
}

split! {
    code_view,
    load_code_view,
    fn code_view(
        form: Form,
        creds: Creds,
        generated: Signal<String>,
    ) -> Result<AnyView, SplitLoaderError> {
        let lang = RwSignal::new(Lang::Python);
        let copied = RwSignal::new(String::new());
        let code = move || {
            let api = form.api.get();
            // InvokeModel sends the edited body when there is one.
            let edited = match api {
                Api::Invoke => form.custom_body.get(),
                Api::Converse => None,
            };
            let body: Value = match edited {
                Some(text) => match crate::json::parse(&text) {
                    Ok(b) => b,
                    Err(e) => return FormError::BodyNotJson(e.to_string()).to_string(),
                },
                // Not JSON: it says what to fix in the form.
                None => match generated.with(|g| crate::json::parse(g)) {
                    Ok(b) => b,
                    Err(_) => return generated.get(),
                },
            };
            let model_id = form.model_id.get();
            let endpoint = form.endpoint.get();
            let r = codegen::Request {
                region: &form.region.get(),
                endpoint: endpoint.trim(),
                model_id: model_id.trim(),
                family: crate::catalog::family(&model_id),
                converse: api == Api::Converse,
                body: &body,
                api_key: creds.mode.get() == AuthMode::ApiKey,
            };
            match lang.get() {
                Lang::JavaScript => codegen::javascript(&r),
                Lang::Cli => codegen::cli(&r),
                Lang::Python => codegen::python(&r),
            }
        };
        let copy = move |_| {
            let text = code();
            let clipboard = web_sys::window().map(|w| w.navigator().clipboard());
            spawn_local(async move {
                let ok = match clipboard {
                    Some(c) => JsFuture::from(c.write_text(&text)).await.is_ok(),
                    None => false,
                };
                copied.set(
                    if ok {
                        "Copied."
                    } else {
                        "Copy failed: select the text instead."
                    }
                    .into(),
                );
            });
        };
        Ok(view! {
            <div class="actions">
                <Choice label="Language" testid="code-lang" value=lang />
                <button data-testid="code-copy" on:click=copy>"Copy"</button>
                <span class="hint" data-testid="code-copied" role="status">{move || copied.get()}</span>
            </div>
            <pre class="code" data-testid="code">{code}</pre>
        }
        .into_any())
    }
}
