//! The page: the form, the chat, the comparison, and their views.

use bedrock_wasm::bedrock::{Endpoint, Error};
use bedrock_wasm::sign::{ApiKey, Auth, Credentials};
use bedrock_wasm::transport::Client;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortController;

use crate::body::{self, Msg, Params};
use crate::creds::Creds;
use crate::run::{self, Frame, Job, Reply};
use crate::{catalog, clock, codegen, markdown};

/// The seed walkthrough's prompt.
const DEFAULT_PROMPT: &str = "Write me a 100 word essay about snickers candy bars";

/// The request form: one signal per field.
#[derive(Clone, Copy)]
struct Form {
    creds: Creds,
    region: RwSignal<String>,
    endpoint: RwSignal<String>,
    model_id: RwSignal<String>,
    prompt: RwSignal<String>,
    max_tokens: RwSignal<String>,
    temperature: RwSignal<String>,
    top_p: RwSignal<String>,
    top_k: RwSignal<String>,
    /// One stop sequence per line.
    stop: RwSignal<String>,
    system: RwSignal<String>,
    /// `invoke` or `converse`.
    api: RwSignal<String>,
    /// The user's edit of the InvokeModel body; `None` follows the form.
    custom_body: RwSignal<Option<String>>,
}

fn sig(s: &str) -> RwSignal<String> {
    RwSignal::new(s.to_owned())
}

fn invalid(m: &str) -> Error {
    Error::input(m)
}

fn opt_num<T: std::str::FromStr>(s: RwSignal<String>, what: &str) -> Result<Option<T>, Error> {
    let v = s.get_untracked();
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse().map(Some).map_err(|_| {
        invalid(&format!(
            "{what} must be a number (or empty for the model's default)"
        ))
    })
}

impl Form {
    fn new() -> Self {
        Self {
            creds: Creds::new(),
            region: sig("us-east-1"),
            endpoint: sig(""),
            model_id: sig("anthropic.claude-v2"),
            prompt: sig(DEFAULT_PROMPT),
            max_tokens: sig("200"),
            temperature: sig(""),
            top_p: sig(""),
            top_k: sig(""),
            stop: sig(""),
            system: sig(""),
            api: sig("invoke"),
            custom_body: RwSignal::new(None),
        }
    }

    fn client(&self, clock_offset: f64) -> Result<Client, Error> {
        let endpoint = Endpoint::from_parts(
            Some(&self.endpoint.get_untracked()),
            &self.region.get_untracked(),
        )?;
        let c = self.creds;
        let auth = if c.mode.get_untracked() == "api-key" {
            let key = ApiKey::new(c.api_key.get_untracked());
            if key.expose().is_empty() {
                return Err(invalid("enter a Bedrock API key, or switch to access keys"));
            }
            Auth::Bearer(key)
        } else if c.mode.get_untracked() == "cognito" {
            // `Creds::ready` ran first, so this only fails when signing in did.
            Auth::SigV4(c.cognito_current().ok_or_else(|| {
                invalid("get credentials from the identity pool first (enter its id and press Get credentials)")
            })?)
        } else {
            let credentials = Credentials::new(
                c.access_key_id.get_untracked(),
                c.secret_access_key.get_untracked(),
                Some(c.session_token.get_untracked()),
            );
            if credentials.access_key_id.is_empty() || credentials.secret_access_key.is_empty() {
                return Err(invalid(
                    "enter an access key id and a secret access key (temporary credentials also need the session token)",
                ));
            }
            Auth::SigV4(credentials)
        };
        let client = Client::with_auth(endpoint, auth);
        // The offset was learned by a client, which only adopts bounded ones.
        client.set_clock_offset_ms(clock_offset)?;
        Ok(client)
    }

    /// The key of the endpoint requests go to now, for its clock offset.
    fn clock_key(&self) -> Option<String> {
        clock::key(&self.endpoint.get_untracked(), &self.region.get_untracked())
    }

    fn params(&self) -> Result<Params, Error> {
        let max_tokens = self
            .max_tokens
            .get_untracked()
            .trim()
            .parse()
            .map_err(|_| invalid("max tokens must be a whole number such as 200"))?;
        Ok(Params {
            max_tokens,
            temperature: opt_num(self.temperature, "temperature")?,
            top_p: opt_num(self.top_p, "top-p")?,
            top_k: opt_num(self.top_k, "top-k")?,
            stop: self
                .stop
                .get_untracked()
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            system: self.system.get_untracked(),
        })
    }

    fn converse(&self) -> bool {
        self.api.get_untracked() == "converse"
    }

    /// The request for `model_id` and `msgs`: the body (native or Converse) as JSON.
    fn body_json(
        &self,
        model_id: &str,
        msgs: &[Msg],
        streaming: bool,
    ) -> Result<serde_json::Value, Error> {
        let family = catalog::family(model_id);
        let params = self.params()?;
        if self.converse() {
            serde_json::to_value(body::converse(family, &params, msgs))
                .map_err(|e| invalid(&e.to_string()))
        } else {
            Ok(body::native(family, &params, msgs, streaming))
        }
    }

    /// A job for `model_id`; `custom` uses the edited InvokeModel body when there is one.
    fn job(
        &self,
        model_id: &str,
        msgs: &[Msg],
        streaming: bool,
        custom: bool,
        offset: f64,
    ) -> Result<Job, Error> {
        let client = self.client(offset)?;
        let model_id = model_id.trim().to_owned();
        let family = catalog::family(&model_id);
        let params = self.params()?;
        let converse = self.converse();
        let body = match self
            .custom_body
            .get_untracked()
            .filter(|_| custom && !converse)
        {
            Some(text) => {
                serde_json::from_str::<serde_json::Value>(&text).map_err(|e| {
                    invalid(&format!("the edited JSON body is not valid JSON: {e}"))
                })?;
                text.into_bytes()
            }
            None => body::native(family, &params, msgs, streaming)
                .to_string()
                .into_bytes(),
        };
        Ok(Job {
            client,
            model_id,
            converse,
            streaming,
            body,
            request: body::converse(family, &params, msgs),
        })
    }
}

/// A finished turn of the conversation.
#[derive(Clone)]
struct Turn {
    id: usize,
    user: String,
    text: String,
    figures: String,
    error: String,
}

/// The conversation: finished turns, and the current one (whose answer streams).
#[derive(Clone, Copy)]
struct Chat {
    history: RwSignal<Vec<Turn>>,
    user: RwSignal<String>,
    reply: Reply,
    frames: RwSignal<Vec<Frame>>,
    next_id: StoredValue<usize>,
    abort: StoredValue<Option<AbortController>, LocalStorage>,
    /// The clock offsets learned from the services, per endpoint, kept across requests.
    offsets: StoredValue<clock::Offsets>,
}

impl Chat {
    fn new(offsets: StoredValue<clock::Offsets>) -> Self {
        Self {
            history: RwSignal::new(Vec::new()),
            user: sig(""),
            reply: Reply::new(),
            frames: RwSignal::new(Vec::new()),
            next_id: StoredValue::new(0),
            abort: StoredValue::new_local(None),
            offsets,
        }
    }

    /// The conversation to send: finished turns that got an answer, then `prompt`.
    fn messages(&self, prompt: &str, include_current: bool) -> Vec<Msg> {
        let mut msgs = Vec::new();
        let mut push = |user: &str, text: &str| {
            if !text.is_empty() {
                msgs.push(Msg {
                    user: true,
                    text: user.to_owned(),
                });
                msgs.push(Msg {
                    user: false,
                    text: text.to_owned(),
                });
            }
        };
        self.history
            .with_untracked(|h| h.iter().for_each(|t| push(&t.user, &t.text)));
        if include_current {
            push(&self.user.get_untracked(), &self.reply.text.get_untracked());
        }
        msgs.push(Msg {
            user: true,
            text: prompt.to_owned(),
        });
        msgs
    }

    /// Moves the current turn into the history.
    fn archive(&self) {
        let user = self.user.get_untracked();
        if user.is_empty() {
            return;
        }
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        let r = self.reply;
        let turn = Turn {
            id,
            user,
            text: r.text.get_untracked(),
            figures: r.figures.get_untracked(),
            error: r.error.get_untracked(),
        };
        self.history.update(|h| h.push(turn));
        self.user.set(String::new());
        r.clear();
    }

    /// Stops the request, or the identity-pool sign-in it waits for.
    fn stop(&self, creds: Creds) {
        if self.reply.busy.get_untracked() {
            creds.cancel_sign_in();
        }
        self.abort.with_value(|c| {
            if let Some(c) = c {
                c.abort();
            }
        });
    }

    /// Sends `prompt` as a new turn (`retry`: asks the current turn again).
    fn send(self, form: Form, streaming: bool, retry: bool) {
        if self.reply.busy.get_untracked() {
            return;
        }
        let prompt = if retry {
            self.user.get_untracked()
        } else {
            form.prompt.get_untracked()
        };
        if prompt.trim().is_empty() {
            self.reply.error.set("Type a prompt first.".into());
            return;
        }
        if !retry {
            self.archive();
        }
        let msgs = self.messages(&prompt, false);
        self.user.set(prompt);
        self.reply.clear();
        self.frames.set(Vec::new());
        let model_id = form.model_id.get_untracked();
        let reply = self.reply;
        let controller = AbortController::new().expect("AbortController is available");
        self.abort.set_value(Some(controller.clone()));
        reply.busy.set(true);
        // The endpoint this request goes to, whatever the field says by the time it ends.
        let key = form.clock_key();
        spawn_local(async move {
            // Cognito credentials are fetched or renewed first when needed.
            let job = match form.creds.ready(&form.endpoint.get_untracked()).await {
                Ok(()) => {
                    let offset = self.offsets.with_value(|o| o.get(key.as_deref()));
                    form.job(&model_id, &msgs, streaming, true, offset)
                }
                Err(e) => Err(e),
            };
            let result = match job {
                Ok(job) => {
                    let client = job.client.clone();
                    let r = run::run(job, reply, controller.signal(), Some(self.frames)).await;
                    self.offsets
                        .update_value(|o| o.learn(key, client.clock_offset_ms()));
                    r
                }
                Err(e) => Err(e),
            };
            finish(reply, result);
            self.abort.set_value(None);
        });
    }
}

fn finish(reply: Reply, result: Result<String, Error>) {
    match result {
        Ok(figures) => reply.figures.set(figures),
        Err(e) if e.is_aborted() => reply.figures.set("Stopped.".into()),
        Err(e) => reply.error.set(run::explain(&e)),
    }
    reply.busy.set(false);
}

/// Side-by-side comparison: up to four models, one prompt, all streaming at once.
#[derive(Clone, Copy)]
struct Compare {
    models: [RwSignal<String>; 4],
    replies: [Reply; 4],
    abort: StoredValue<Option<AbortController>, LocalStorage>,
    offsets: StoredValue<clock::Offsets>,
}

impl Compare {
    fn new(offsets: StoredValue<clock::Offsets>) -> Self {
        Self {
            models: [
                sig("anthropic.claude-3-haiku-20240307-v1:0"),
                sig("amazon.nova-lite-v1:0"),
                sig(""),
                sig(""),
            ],
            replies: [Reply::new(), Reply::new(), Reply::new(), Reply::new()],
            abort: StoredValue::new_local(None),
            offsets,
        }
    }

    fn busy(&self) -> bool {
        self.replies.iter().any(|r| r.busy.get())
    }

    /// Stops every pane, or the identity-pool sign-in they wait for.
    fn stop(&self, creds: Creds) {
        if self.replies.iter().any(|r| r.busy.get_untracked()) {
            creds.cancel_sign_in();
        }
        self.abort.with_value(|c| {
            if let Some(c) = c {
                c.abort();
            }
        });
    }

    fn send(self, form: Form) {
        if self.replies.iter().any(|r| r.busy.get_untracked()) {
            return;
        }
        let controller = AbortController::new().expect("AbortController is available");
        self.abort.set_value(Some(controller.clone()));
        let msgs = [Msg {
            user: true,
            text: form.prompt.get_untracked(),
        }];
        spawn_local(async move {
            let ready = form.creds.ready(&form.endpoint.get_untracked()).await;
            self.start(form, &msgs, controller, ready);
        });
    }

    /// Starts every pane (or shows why the shared credentials are missing in each).
    fn start(
        self,
        form: Form,
        msgs: &[Msg],
        controller: AbortController,
        ready: Result<(), Error>,
    ) {
        let key = form.clock_key();
        for (model, reply) in self.models.iter().zip(self.replies) {
            reply.clear();
            let model_id = model.get_untracked();
            if model_id.trim().is_empty() {
                continue;
            }
            let job = match &ready {
                Ok(()) => {
                    let offset = self.offsets.with_value(|o| o.get(key.as_deref()));
                    form.job(&model_id, msgs, true, false, offset)
                }
                Err(e) => Err(e.clone()),
            };
            let key = key.clone();
            let signal = controller.signal();
            reply.busy.set(true);
            spawn_local(async move {
                let result = match job {
                    Ok(job) => {
                        let client = job.client.clone();
                        let r = run::run(job, reply, signal, None).await;
                        self.offsets
                            .update_value(|o| o.learn(key, client.clock_offset_ms()));
                        r
                    }
                    Err(e) => Err(e),
                };
                finish(reply, result);
            });
        }
    }
}

/// Prefills fields from `demo.json`, which only `cargo xtask demo` serves (it points the page
/// at the local emulator). On a static host the file is absent and nothing happens.
async fn load_demo_config(form: Form) {
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
    let Ok(config) = serde_json::from_str::<serde_json::Value>(&text) else {
        return;
    };
    for (signal, key) in [(form.endpoint, "endpoint"), (form.region, "region")] {
        if let Some(v) = config.get(key).and_then(|v| v.as_str()) {
            signal.set(v.to_owned());
        }
    }
    form.creds.apply(&config);
}

/// A labelled text field bound to `value`.
#[component]
fn Field(
    /// Visible label.
    label: &'static str,
    /// The stable `data-testid`.
    testid: &'static str,
    value: RwSignal<String>,
    /// `password` for secrets.
    #[prop(default = "text")]
    kind: &'static str,
    /// Shown when empty.
    #[prop(into, default = Signal::stored(String::new()))]
    placeholder: Signal<String>,
) -> impl IntoView {
    view! {
        <label>
            {label}
            <input
                type=kind
                data-testid=testid
                autocomplete="off"
                spellcheck="false"
                placeholder=move || placeholder.get()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}

/// A `<select>` of `(value, label)` bound to `value`.
#[component]
fn Choice(
    label: &'static str,
    testid: &'static str,
    value: RwSignal<String>,
    options: &'static [(&'static str, &'static str)],
) -> impl IntoView {
    view! {
        <label>
            {label}
            <select data-testid=testid prop:value=move || value.get() on:change=move |ev| value.set(event_target_value(&ev))>
                {options.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
            </select>
        </label>
    }
}

/// One answer: reasoning (collapsed), the Markdown text, figures and error.
#[component]
fn Answer(reply: Reply, #[prop(optional)] n: Option<usize>) -> impl IntoView {
    let id = |base: &str| match n {
        Some(n) => format!("{base}-{n}"),
        None => base.to_owned(),
    };
    let (out, metrics, error) = match n {
        Some(_) => (
            id("compare-output"),
            id("compare-metrics"),
            id("compare-error"),
        ),
        None => ("output".into(), "metrics".into(), "error".into()),
    };
    view! {
        <details class="reasoning" data-testid=id("reasoning") class:hidden=move || reply.reasoning.with(String::is_empty)>
            <summary>"Reasoning"</summary>
            {markdown::streaming_text(reply.reasoning, reply.generation)}
        </details>
        <div class="md answer" data-testid=out aria-live="polite" aria-busy=move || reply.busy.get().to_string()>
            {markdown::streaming(reply.text, reply.generation)}
        </div>
        <div class="metrics" data-testid=metrics>{move || reply.figures.get()}</div>
        <div class="error" data-testid=error role="alert">{move || reply.error.get()}</div>
    }
}

const APIS: &[(&str, &str)] = &[
    ("invoke", "InvokeModel (native body)"),
    ("converse", "Converse"),
];
const AUTH_MODES: &[(&str, &str)] = &[
    ("sigv4", "Access keys (SigV4)"),
    ("api-key", "Bedrock API key"),
    ("cognito", "Cognito identity pool"),
];
const LANGS: &[(&str, &str)] = &[
    ("python", "Python (boto3)"),
    ("js", "JavaScript (bedrock-wasm)"),
    ("cli", "AWS CLI"),
];

#[component]
pub fn App() -> impl IntoView {
    let form = Form::new();
    let creds = form.creds;
    let offsets = StoredValue::new(clock::Offsets::default());
    let chat = Chat::new(offsets);
    let compare = Compare::new(offsets);
    spawn_local(load_demo_config(form));

    let _keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            chat.stop(creds);
            compare.stop(creds);
        } else if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            chat.send(form, true, false);
        }
    });

    // Model catalog.
    let family = Memo::new(move |_| catalog::family(&form.model_id.get()));
    let entry = move || catalog::find(&form.model_id.get());
    let catalog_value = move || entry().map(|m| m.id).unwrap_or("");
    let model_info = move || {
        let f = family.get();
        match entry() {
            Some(m) => {
                let apis = if m.invoke_only {
                    "InvokeModel"
                } else {
                    "InvokeModel, Converse"
                };
                let price = m
                    .price
                    .map(|(i, o)| {
                        format!(" · ${i}/${o} per million input/output tokens (estimate)")
                    })
                    .unwrap_or_default();
                format!(
                    "{} {} · family {f} · APIs: {apis}{price}",
                    m.provider, m.name
                )
            }
            None => format!(
                "Not in the catalog · family {f} · any model id, inference profile or ARN works"
            ),
        }
    };
    let profiles = move || {
        entry()
            .map(|m| {
                let mut ids = vec![m.id.to_owned()];
                ids.extend(m.profiles.iter().map(|g| format!("{g}.{}", m.id)));
                ids
            })
            .unwrap_or_default()
    };
    let providers = catalog::providers();

    // The InvokeModel body the next Send would use.
    let generated_body = move || {
        let _ = (
            form.prompt.get(),
            form.max_tokens.get(),
            form.temperature.get(),
            form.top_p.get(),
        );
        let _ = (
            form.top_k.get(),
            form.stop.get(),
            form.system.get(),
            form.model_id.get(),
        );
        let _ = (chat.history.get(), chat.reply.busy.get());
        let msgs = chat.messages(&form.prompt.get_untracked(), true);
        form.body_json(&form.model_id.get_untracked(), &msgs, true)
            .map(|v| serde_json::to_string_pretty(&v).unwrap_or_default())
            .unwrap_or_else(|e| e.to_string())
    };
    let body_text = move || form.custom_body.get().unwrap_or_else(generated_body);

    // View code.
    let lang = sig("python");
    let copied = sig("");
    let code = move || {
        let _ = (
            form.api.get(),
            form.region.get(),
            form.endpoint.get(),
            creds.mode.get(),
        );
        let model_id = form.model_id.get_untracked();
        let body = if form.converse() {
            let _ = generated_body();
            let msgs = chat.messages(&form.prompt.get_untracked(), true);
            form.body_json(&model_id, &msgs, true)
        } else {
            serde_json::from_str(&body_text()).map_err(|e| invalid(&e.to_string()))
        };
        let body = match body {
            Ok(b) => b,
            Err(e) => return e.to_string(),
        };
        let endpoint = form.endpoint.get_untracked();
        let r = codegen::Request {
            region: &form.region.get_untracked(),
            endpoint: endpoint.trim(),
            model_id: model_id.trim(),
            family: family.get_untracked(),
            converse: form.converse(),
            body: &body,
            api_key: creds.mode.get_untracked() == "api-key",
        };
        match lang.get().as_str() {
            "js" => codegen::javascript(&r),
            "cli" => codegen::cli(&r),
            _ => codegen::python(&r),
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

    let busy = move || chat.reply.busy.get();
    let paste = sig("");

    view! {
        <header>
            <h1>"bedrock-wasm playground"</h1>
            <p class="hint">"Amazon Bedrock straight from this page: requests are signed here and go only to the endpoint below."</p>
        </header>
        <div class="layout">
        <aside>
            <fieldset>
                <legend>"Credentials"</legend>
                <Choice label="Sign in with" testid="auth-mode" value=creds.mode options=AUTH_MODES />
                <div class="grid" class:hidden=move || creds.mode.get() != "sigv4">
                    <Field label="Access key id" testid="access-key-id" value=creds.access_key_id />
                    <Field label="Secret access key" testid="secret-access-key" value=creds.secret_access_key kind="password" />
                    <Field label="Session token" testid="session-token" value=creds.session_token kind="password" />
                </div>
                <div class:hidden=move || creds.mode.get() != "api-key">
                    <Field label="Bedrock API key" testid="api-key" value=creds.api_key kind="password" />
                </div>
                <div class:hidden=move || creds.mode.get() != "cognito">
                    <Field label="Identity pool id (its region is the part before the colon)" testid="cognito-pool-id" value=creds.pool_id placeholder="us-east-1:00000000-0000-0000-0000-000000000000" />
                    <Field label="Role ARN (classic flow, needed for guest access to Bedrock; empty = enhanced flow)" testid="cognito-role-arn" value=creds.role_arn placeholder="arn:aws:iam::123456789012:role/BedrockGuest" />
                    <div class="grid">
                        <Field label="Login provider (optional)" testid="cognito-login-provider" value=creds.login_provider placeholder="cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCd" />
                        <Field label="Login ID token" testid="cognito-login-token" value=creds.login_token kind="password" />
                    </div>
                    <div class="actions">
                        <button data-testid="cognito-get" disabled=move || creds.cognito_busy.get()
                            on:click=move |_| { spawn_local(async move { let _ = creds.sign_in(&form.endpoint.get_untracked()).await; }); }>
                            "Get credentials"
                        </button>
                        <button data-testid="cognito-cancel" class:hidden=move || !creds.cognito_busy.get()
                            on:click=move |_| creds.cancel_sign_in()>
                            "Cancel sign-in"
                        </button>
                        <span class="hint" class:hidden=move || !creds.cognito_busy.get()>"Signing in to the identity pool…"</span>
                    </div>
                    <p class="hint" data-testid="cognito-status" role="status">{move || creds.cognito_status.get()}</p>
                    <p class="hint">"Requests to the custom endpoint when one is set, else to cognito-identity (and sts) in the pool's region. Renewed before they expire; kept in memory only."</p>
                </div>
                <label>
                    "Paste credentials (JSON from aws configure export-credentials / sts, or export lines)"
                    <textarea
                        data-testid="credentials-paste"
                        class="short"
                        spellcheck="false"
                        prop:value=move || paste.get()
                        on:input=move |ev| {
                            let text = event_target_value(&ev);
                            if creds.paste(&text) {
                                // Show (and sign with) what was pasted, whatever the mode was.
                                if !creds.api_key.get_untracked().is_empty() && creds.access_key_id.get_untracked().is_empty() {
                                    creds.mode.set("api-key".into());
                                } else if !creds.access_key_id.get_untracked().is_empty() {
                                    creds.mode.set("sigv4".into());
                                }
                                paste.set(String::new());
                            } else {
                                paste.set(text);
                            }
                        }
                    ></textarea>
                </label>
                <p class="hint" data-testid="credentials-expiry">{move || creds.expiry_text()}</p>
                <label class="check">
                    <input type="checkbox" data-testid="remember" prop:checked=move || creds.remember.get()
                        on:change=move |ev| creds.remember.set(event_target_checked(&ev)) />
                    "Remember in this tab (sessionStorage; cleared when the tab closes)"
                </label>
                <button data-testid="forget" on:click=move |_| creds.forget()>"Forget credentials"</button>
                <p class="hint">"Kept in this page's memory only unless you tick the box; sent nowhere but inside the request signature."</p>
            </fieldset>
            <fieldset>
                <legend>"Endpoint"</legend>
                <div class="grid">
                    <Field label="Region" testid="region" value=form.region />
                    <Field label="Endpoint (empty = AWS)" testid="endpoint" value=form.endpoint placeholder="https://bedrock-runtime.<region>.amazonaws.com" />
                </div>
            </fieldset>
            <fieldset>
                <legend>"Model"</legend>
                <label>
                    "Catalog"
                    <select data-testid="model-catalog" prop:value=catalog_value
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            if !v.is_empty() { form.model_id.set(v); }
                        }>
                        <option value="">"Other (type an id below)"</option>
                        {providers.into_iter().map(|p| view! {
                            <optgroup label=p>
                                {catalog::MODELS.iter().filter(|m| m.provider == p).map(|m| view! {
                                    <option value=m.id>{m.name}</option>
                                }).collect_view()}
                            </optgroup>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    "Inference profile"
                    <select data-testid="model-profile" prop:value=move || form.model_id.get()
                        on:change=move |ev| form.model_id.set(event_target_value(&ev))>
                        {move || profiles().into_iter().map(|id| { let label = id.clone(); view! { <option value=id>{label}</option> } }).collect_view()}
                    </select>
                </label>
                <Field label="Model id, inference profile id or ARN" testid="model-id" value=form.model_id />
                <p class="hint" data-testid="model-info">{model_info}</p>
                <Choice label="API" testid="api" value=form.api options=APIS />
            </fieldset>
            <fieldset>
                <legend>"Parameters"</legend>
                <div class="grid">
                    <Field label="Max tokens" testid="max-tokens" value=form.max_tokens />
                    <Field label="Temperature" testid="temperature" value=form.temperature placeholder=Signal::derive(move || format!("default {}", body::defaults(family.get()).0)) />
                    <Field label="Top-p" testid="top-p" value=form.top_p placeholder=Signal::derive(move || format!("default {}", body::defaults(family.get()).1)) />
                    <label>
                        "Top-k"
                        <input data-testid="top-k" autocomplete="off" disabled=move || !body::has_top_k(family.get())
                            placeholder=move || if body::has_top_k(family.get()) { "default" } else { "not supported by this model" }
                            prop:value=move || form.top_k.get() on:input=move |ev| form.top_k.set(event_target_value(&ev)) />
                    </label>
                </div>
                <label>
                    "Stop sequences (one per line)"
                    <textarea data-testid="stop-sequences" class="short" prop:value=move || form.stop.get()
                        on:input=move |ev| form.stop.set(event_target_value(&ev))></textarea>
                </label>
                <label>
                    "System prompt"
                    <textarea data-testid="system-prompt" class="short" prop:value=move || form.system.get()
                        on:input=move |ev| form.system.set(event_target_value(&ev))></textarea>
                </label>
                <details data-testid="body-editor" class:hidden=move || form.api.get() == "converse">
                    <summary>"InvokeModel JSON body"</summary>
                    <p class="hint">{move || if form.custom_body.get().is_some() { "Edited: sent as is." } else { "Generated from the form and the conversation; edit to override." }}</p>
                    <textarea data-testid="invoke-body" aria-label="InvokeModel JSON body" class="code" spellcheck="false" prop:value=body_text
                        on:input=move |ev| form.custom_body.set(Some(event_target_value(&ev)))></textarea>
                    <button data-testid="body-reset" on:click=move |_| form.custom_body.set(None)>"Back to the form"</button>
                </details>
            </fieldset>
        </aside>
        <main>
            <div class="transcript" data-testid="transcript" node_ref=transcript on:scroll=on_scroll>
                <For each=move || chat.history.get() key=|t| t.id let:turn>
                    <div class="turn" data-testid="turn">
                        <div class="user">{turn.user}</div>
                        {markdown::finished(turn.text)}
                        <div class="metrics">{turn.figures}</div>
                        <div class="error">{turn.error}</div>
                    </div>
                </For>
                <div class="turn current">
                    <div class="user" data-testid="user-message" class:hidden=move || chat.user.with(String::is_empty)>{move || chat.user.get()}</div>
                    <Answer reply=chat.reply />
                </div>
            </div>
            <label>
                "Prompt"
                <textarea
                    data-testid="prompt"
                    prop:value=move || form.prompt.get()
                    on:input=move |ev| form.prompt.set(event_target_value(&ev))
                ></textarea>
            </label>
            <div class="actions">
                <button class="primary" data-testid="send" on:click=move |_| chat.send(form, true, false) disabled=busy>"Send"</button>
                <button data-testid="send-once" on:click=move |_| chat.send(form, false, false) disabled=busy>"Send without streaming"</button>
                <button data-testid="stop" on:click=move |_| chat.stop(creds) disabled=move || !busy()>"Stop"</button>
                <button data-testid="retry" on:click=move |_| chat.send(form, true, true) disabled=move || busy() || chat.user.with(String::is_empty)>"Retry"</button>
                <button data-testid="edit-last" disabled=move || busy() || chat.user.with(String::is_empty)
                    on:click=move |_| {
                        form.prompt.set(chat.user.get_untracked());
                        chat.user.set(String::new());
                        chat.reply.clear();
                    }>"Edit last"</button>
                <button data-testid="clear" disabled=busy
                    on:click=move |_| {
                        chat.history.set(Vec::new());
                        chat.user.set(String::new());
                        chat.reply.clear();
                        chat.frames.set(Vec::new());
                    }>"Clear"</button>
                <span class="hint">"Ctrl/Cmd+Enter sends, Esc stops."</span>
            </div>
            <details data-testid="compare">
                <summary>"Compare models side by side"</summary>
                <p class="hint">"Sends the prompt above to each model at once (single turn, same parameters and API)."</p>
                <div class="grid">
                    {(0..4).map(|i| view! {
                        <Field label=["Model 1", "Model 2", "Model 3", "Model 4"][i] testid=["compare-model-1", "compare-model-2", "compare-model-3", "compare-model-4"][i] value=compare.models[i] />
                    }).collect_view()}
                </div>
                <div class="actions">
                    <button class="primary" data-testid="compare-send" on:click=move |_| compare.send(form) disabled=move || compare.busy()>"Compare"</button>
                    <button data-testid="compare-stop" on:click=move |_| compare.stop(creds) disabled=move || !compare.busy()>"Stop all"</button>
                </div>
                <div class="panes">
                    {(0..4).map(|i| {
                        let reply = compare.replies[i];
                        let model = compare.models[i];
                        view! {
                            <section class="pane" data-testid=format!("compare-pane-{}", i + 1) class:hidden=move || model.with(|m| m.trim().is_empty())>
                                <h2>{move || model.get()}</h2>
                                <Answer reply=reply n=i + 1 />
                            </section>
                        }
                    }).collect_view()}
                </div>
            </details>
            <details data-testid="code-view">
                <summary>"View code"</summary>
                <div class="actions">
                    <Choice label="Language" testid="code-lang" value=lang options=LANGS />
                    <button data-testid="code-copy" on:click=copy>"Copy"</button>
                    <span class="hint" data-testid="code-copied" role="status">{move || copied.get()}</span>
                </div>
                <pre class="code" data-testid="code">{code}</pre>
            </details>
            <details data-testid="inspector">
                <summary>{move || format!("Inspector: {} decoded frames of the last streamed answer", chat.frames.with(Vec::len))}</summary>
                <ol class="frames">
                    {move || chat.frames.get().into_iter().map(|f| view! {
                        <li data-testid="frame">
                            <pre class="headers">{f.headers}</pre>
                            <pre class="code">{f.payload}</pre>
                            {f.decoded.map(|d| view! { <pre class="code decoded">{d}</pre> })}
                        </li>
                    }).collect_view()}
                </ol>
            </details>
        </main>
        </div>
    }
}
