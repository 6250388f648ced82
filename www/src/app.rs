//! The app shell: the state every part shares, the keyboard shortcuts, the demo prefill, and
//! the layout of the parts (each in `components/`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::chat::Chat;
use crate::choices::{AuthMode, Options};
use crate::clients::Clients;
use crate::components::code_view::CodeView;
use crate::components::compare::{Compare, ComparePanel};
use crate::components::conversation_file::ConversationFile;
use crate::components::conversations::{Conversations, Saved};
use crate::components::credentials::CredentialsFields;
use crate::components::endpoint::EndpointFields;
use crate::components::inspector::Inspector;
use crate::components::meter::TokenMeter;
use crate::components::model::ModelFields;
use crate::components::parameters::ParameterFields;
use crate::components::prompt::Prompt;
use crate::components::transcript::Transcript;
use crate::components::voice::{Voice, VoicePanel};
use crate::creds::Creds;
use crate::form::{pretty, Form};
use crate::host::HostConfig;
use crate::runner::Runner;

/// The text of a file next to the page, or `None` when there is none (or it cannot be read).
async fn sibling_file(name: &str) -> Option<String> {
    let window = web_sys::window()?;
    let response = JsFuture::from(window.fetch_with_str(name)).await.ok()?;
    let response = response.dyn_into::<web_sys::Response>().ok()?;
    if !response.ok() {
        return None;
    }
    JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()
}

/// Applies a host's `config.json` (see [`HostConfig`]): pre-fills what it sets, titles the
/// page, limits the sign-in choices and models offered, and shows what it had to ignore.
async fn load_host_config(form: Form, creds: Creds) {
    let Some(text) = sibling_file("config.json").await else {
        return;
    };
    let (config, problems) = HostConfig::parse(&text);
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    // Set once, in the static header (a reactive view for each would weigh on the page).
    if let Some(title) = &config.title {
        doc.set_title(title);
        if let Ok(Some(h1)) = doc.query_selector("h1") {
            h1.set_text_content(Some(title));
        }
    }
    if !problems.is_empty() {
        if let Ok(Some(p)) = doc.query_selector("[data-testid=\"config-warning\"]") {
            p.set_text_content(Some(&problems.join(" · ")));
            let _ = p.remove_attribute("hidden");
        }
    }
    for (signal, value) in [
        (form.region, &config.region),
        (form.endpoint, &config.endpoint),
        (form.model_id, &config.model_id),
        (creds.pool_id, &config.identity_pool_id),
        (creds.role_arn, &config.role_arn),
        (creds.login_provider, &config.login_provider),
    ] {
        if let Some(v) = value {
            signal.set(v.clone());
        }
    }
    if let Some(&first) = config.auth_modes.first() {
        if !config.offers(creds.mode.get_untracked()) {
            creds.mode.set(first);
        }
        keep_options("auth-mode", |v| {
            AuthMode::parse(v).is_some_and(|m| config.offers(m))
        });
    }
    if !config.models.is_empty() {
        offer_models(&config.models);
        // The catalog <select> now has the offered options: show the current one.
        form.model_id.update(|_| {});
    }
}

/// The rendered `<select data-testid=…>` (these selects are rendered once, statically, so the
/// host's limits are applied to the DOM once instead of costing a reactive view each).
fn select(testid: &str) -> Option<(web_sys::Document, web_sys::Element)> {
    let doc = web_sys::window()?.document()?;
    let select = doc
        .query_selector(&format!("[data-testid=\"{testid}\"]"))
        .ok()??;
    Some((doc, select))
}

/// Removes the options of select `testid` whose value `keep` refuses.
fn keep_options(testid: &str, keep: impl Fn(&str) -> bool) {
    let Some((_, select)) = select(testid) else {
        return;
    };
    let Ok(options) = select.query_selector_all("option") else {
        return;
    };
    for i in 0..options.length() {
        if let Some(option) = options
            .item(i)
            .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
        {
            if !keep(&option.get_attribute("value").unwrap_or_default()) {
                option.remove();
            }
        }
    }
}

/// The model catalog offers exactly `models` (after "Other").
fn offer_models(models: &[String]) {
    let Some((doc, select)) = select("model-catalog") else {
        return;
    };
    if let Ok(groups) = select.query_selector_all("optgroup") {
        for i in 0..groups.length() {
            if let Some(g) = groups
                .item(i)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
            {
                g.remove();
            }
        }
    }
    for id in models {
        let label = crate::catalog::find(id).map_or_else(
            || id.clone(),
            |m| format!("{} {} ({id})", m.provider, m.name),
        );
        if let Ok(option) = doc.create_element("option") {
            let _ = option.set_attribute("value", id);
            option.set_text_content(Some(&label));
            let _ = select.append_child(&option);
        }
    }
}

/// Prefills fields from `demo.json`, which only `cargo xtask demo` serves (it points the page
/// at the local emulator). On a static host the file is absent and nothing happens.
async fn load_demo_config(form: Form, creds: Creds) {
    let Some(text) = sibling_file("demo.json").await else {
        return;
    };
    let Ok(config) = crate::json::parse::<Value>(&text) else {
        return;
    };
    for (signal, key) in [(form.endpoint, "endpoint"), (form.region, "region")] {
        if let Some(v) = config.get(key).and_then(|v| v.as_str()) {
            signal.set(v.to_owned());
        }
    }
    creds.apply(&config);
}

/// Where the settings panel's open/closed state is kept (`localStorage`).
pub(crate) const SETTINGS_KEY: &str = "bedrock-wasm.settings";

/// The stored state of the settings panel: open, closed, or never chosen.
fn settings_stored() -> Option<bool> {
    let storage = web_sys::window()?.local_storage().ok()??;
    match storage.get_item(SETTINGS_KEY).ok()??.as_str() {
        "closed" => Some(false),
        "open" => Some(true),
        _ => None,
    }
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
    let saved = Saved::new(form, chat);
    // Voice mode (Nova Sonic), shown only for a speech model.
    let voice = Voice::new(Runner::new(creds, clients));
    spawn_local(load_demo_config(form, creds));
    spawn_local(async move {
        load_host_config(form, creds).await;
        // The latest conversation's settings come after a host's pre-fills.
        saved.load().await;
    });

    let _keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            chat.stop();
            compare.stop();
            // As the Voice panel's Stop: the microphone and the input end, the answer under
            // way still arrives (a second Escape closes at once).
            voice.stop();
        } else if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            chat.send(form, true, false);
        }
    });

    // The body the next streamed Send would use.
    let generated = Signal::derive(move || pretty(&form.request(&chat.conversation())));

    // The settings panel, open until the user closes it; the choice is kept in this browser
    // (a layout preference, never anything secret). The folding itself is CSS (`:has`).
    let settings_open = settings_stored() != Some(false);
    let remember_settings = move |ev| {
        let open = event_target_checked(&ev);
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(SETTINGS_KEY, if open { "open" } else { "closed" });
        }
    };

    view! {
        <header>
            <h1>"bedrock-wasm playground"</h1>
            // Filled by a host's config.json when it has fields it could not use.
            <p class="error" data-testid="config-warning" role="alert" hidden></p>
            <p class="hint">"Amazon Bedrock straight from this page: requests are signed here and go only to the endpoint in the settings."</p>
            <label class="check toggle">
                <input type="checkbox" role="switch" data-testid="settings-toggle" aria-controls="settings"
                    prop:checked=settings_open on:change=remember_settings />
                "Settings"
            </label>
        </header>
        <div class="layout">
            <aside id="settings">
                <Conversations saved creds />
                <CredentialsFields creds endpoint=form.endpoint />
                <EndpointFields form />
                <ModelFields form />
                <ParameterFields form generated />
            </aside>
            <main>
                <VoicePanel voice form />
                <Transcript form chat />
                <Prompt form chat />
                <TokenMeter form chat />
                <ConversationFile form chat saved />
                <ComparePanel compare form />
                <CodeView form creds generated />
                <Inspector frames=chat.frames />
            </main>
        </div>
    }
}
