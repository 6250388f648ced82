//! The app shell: the state every part shares, the keyboard shortcuts, the demo prefill, and
//! the layout of the parts (each in `components/`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::chat::Chat;
use crate::clients::Clients;
use crate::components::code_view::CodeView;
use crate::components::compare::{Compare, ComparePanel};
use crate::components::credentials::CredentialsFields;
use crate::components::endpoint::EndpointFields;
use crate::components::inspector::Inspector;
use crate::components::model::ModelFields;
use crate::components::parameters::ParameterFields;
use crate::components::prompt::Prompt;
use crate::components::transcript::Transcript;
use crate::creds::Creds;
use crate::form::{pretty, Form};
use crate::runner::Runner;

/// Prefills fields from `demo.json`, which only `cargo xtask demo` serves (it points the page
/// at the local emulator). On a static host the file is absent and nothing happens.
async fn load_demo_config(form: Form, creds: Creds) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(response) = JsFuture::from(window.fetch_with_str("demo.json")).await else {
        return;
    };
    let Ok(response) = response.dyn_into::<web_sys::Response>() else {
        return;
    };
    if !response.ok() {
        return;
    }
    let Ok(text) = response.text() else { return };
    let text = JsFuture::from(text)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_default();
    let Ok(config) = serde_json::from_str::<Value>(&text) else {
        return;
    };
    for (signal, key) in [(form.endpoint, "endpoint"), (form.region, "region")] {
        if let Some(v) = config.get(key).and_then(|v| v.as_str()) {
            signal.set(v.to_owned());
        }
    }
    creds.apply(&config);
}

#[component]
pub fn App() -> impl IntoView {
    let form = Form::new();
    let creds = Creds::new();
    // One client per endpoint for the page's lifetime, shared by Chat and Compare, so a clock
    // offset learned by one is used by both.
    let clients = StoredValue::new_local(Clients::default());
    let chat = Chat::new(Runner::new(creds, clients));
    let compare = Compare::new(Runner::new(creds, clients));
    spawn_local(load_demo_config(form, creds));

    let _keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            chat.stop();
            compare.stop();
        } else if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            chat.send(form, true, false);
        }
    });

    // The body the next streamed Send would use.
    let generated = Signal::derive(move || pretty(&form.request(&chat.conversation())));

    view! {
        <header>
            <h1>"bedrock-wasm playground"</h1>
            <p class="hint">"Amazon Bedrock straight from this page: requests are signed here and go only to the endpoint below."</p>
        </header>
        <div class="layout">
            <aside>
                <CredentialsFields creds endpoint=form.endpoint />
                <EndpointFields form />
                <ModelFields form />
                <ParameterFields form generated />
            </aside>
            <main>
                <Transcript chat />
                <Prompt form chat />
                <ComparePanel compare form />
                <CodeView form creds generated />
                <Inspector frames=chat.frames />
            </main>
        </div>
    }
}
