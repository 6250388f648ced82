//! The bedrock-wasm playground: paste temporary credentials, pick a model, watch the answer
//! stream in. Everything runs in the page; credentials stay in memory.
//!
//! The `data-testid` hooks are a public contract (tests outside this repository drive them):
//! never rename one.

use bedrock_wasm::bedrock::{Endpoint, Error, InvokeModelInput, StreamEvent, TextChunk};
use bedrock_wasm::sign::Credentials;
use bedrock_wasm::transport::Client;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortController;

/// The seed walkthrough's prompt.
const DEFAULT_PROMPT: &str = "Write me a 100 word essay about snickers candy bars";

/// The request form: one signal per field.
#[derive(Clone, Copy)]
struct Form {
    access_key_id: RwSignal<String>,
    secret_access_key: RwSignal<String>,
    session_token: RwSignal<String>,
    region: RwSignal<String>,
    endpoint: RwSignal<String>,
    model_id: RwSignal<String>,
    prompt: RwSignal<String>,
    max_tokens: RwSignal<String>,
}

impl Form {
    fn new() -> Self {
        Self {
            access_key_id: RwSignal::new(String::new()),
            secret_access_key: RwSignal::new(String::new()),
            session_token: RwSignal::new(String::new()),
            region: RwSignal::new("us-east-1".into()),
            endpoint: RwSignal::new(String::new()),
            model_id: RwSignal::new("anthropic.claude-v2".into()),
            prompt: RwSignal::new(DEFAULT_PROMPT.into()),
            max_tokens: RwSignal::new("200".into()),
        }
    }

    fn client(&self) -> Result<Client, Error> {
        let endpoint = Endpoint::from_parts(
            Some(&self.endpoint.get_untracked()),
            &self.region.get_untracked(),
        )?;
        let credentials = Credentials::new(
            self.access_key_id.get_untracked(),
            self.secret_access_key.get_untracked(),
            Some(self.session_token.get_untracked()),
        );
        if credentials.access_key_id.is_empty() || credentials.secret_access_key.is_empty() {
            return Err(Error::InvalidInput(
                "enter an access key id and a secret access key (temporary credentials also need the session token)".into(),
            ));
        }
        Ok(Client::new(endpoint, credentials))
    }

    /// The model-native body: Claude text completions for claude-v2/instant, else Messages.
    fn input(&self) -> Result<InvokeModelInput, Error> {
        let model_id = self.model_id.get_untracked().trim().to_owned();
        let max_tokens: u32 = self
            .max_tokens
            .get_untracked()
            .trim()
            .parse()
            .map_err(|_| {
                Error::InvalidInput("max tokens must be a whole number such as 200".into())
            })?;
        let prompt = self.prompt.get_untracked();
        let body = if model_id.contains("claude-v2") || model_id.contains("claude-instant") {
            serde_json::json!({
                "prompt": format!("\n\nHuman: {prompt}\n\nAssistant:"),
                "max_tokens_to_sample": max_tokens,
            })
        } else {
            serde_json::json!({
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": max_tokens,
                "messages": [{"role": "user", "content": prompt}],
            })
        };
        Ok(InvokeModelInput::new(model_id, body.to_string()))
    }
}

/// What the page shows about the current answer.
#[derive(Clone, Copy)]
struct Answer {
    output: RwSignal<String>,
    metrics: RwSignal<String>,
    error: RwSignal<String>,
    busy: RwSignal<bool>,
    /// Aborts the request in flight (Stop / Esc).
    abort: StoredValue<Option<AbortController>, LocalStorage>,
}

impl Answer {
    fn start(&self) -> AbortController {
        self.output.set(String::new());
        self.metrics.set(String::new());
        self.error.set(String::new());
        self.busy.set(true);
        let controller = AbortController::new().expect("AbortController is available");
        self.abort.set_value(Some(controller.clone()));
        controller
    }

    fn stop(&self) {
        self.abort.with_value(|c| {
            if let Some(c) = c {
                c.abort();
            }
        });
    }

    fn finish(&self, result: Result<String, Error>) {
        match result {
            Ok(summary) => self.metrics.set(summary),
            Err(Error::Aborted) => self.metrics.set("Stopped.".into()),
            Err(e) => self.error.set(e.to_string()),
        }
        self.busy.set(false);
        self.abort.set_value(None);
    }

    fn append(&self, chunk: &TextChunk) {
        if !chunk.text.is_empty() {
            self.output.update(|o| o.push_str(&chunk.text));
        }
    }
}

fn summary(
    stop_reason: Option<&str>,
    chunk_metrics: Option<bedrock_wasm::bedrock::InvocationMetrics>,
    ttft_ms: Option<f64>,
) -> String {
    let mut parts = Vec::new();
    if let Some(m) = chunk_metrics {
        parts.push(format!("input tokens {}", m.input_token_count));
        parts.push(format!("output tokens {}", m.output_token_count));
        parts.push(format!("invocation latency {} ms", m.invocation_latency));
        parts.push(format!("first byte latency {} ms", m.first_byte_latency));
    }
    if let Some(t) = ttft_ms {
        parts.push(format!("first token after {t:.0} ms"));
    }
    if let Some(r) = stop_reason {
        parts.push(format!("stop reason {r}"));
    }
    parts.join(" · ")
}

async fn stream_answer(form: Form, answer: Answer) -> Result<String, Error> {
    let client = form.client()?;
    let input = form.input()?;
    let controller = answer.start();
    let started = js_sys::Date::now();
    let mut stream = client
        .invoke_model_with_response_stream(&input, Some(&controller.signal()))
        .await?;
    let (mut stop_reason, mut metrics, mut ttft) = (None, None, None);
    while let Some(event) = stream.next().await {
        let StreamEvent::Chunk(bytes) = event? else {
            continue;
        };
        let chunk = TextChunk::from_model_json(&bytes)?;
        if ttft.is_none() && !chunk.text.is_empty() {
            ttft = Some(js_sys::Date::now() - started);
        }
        answer.append(&chunk);
        stop_reason = chunk.stop_reason.or(stop_reason);
        metrics = chunk.metrics.or(metrics);
    }
    Ok(summary(stop_reason.as_deref(), metrics, ttft))
}

async fn invoke_once(form: Form, answer: Answer) -> Result<String, Error> {
    let client = form.client()?;
    let input = form.input()?;
    let controller = answer.start();
    let out = client
        .invoke_model(&input, Some(&controller.signal()))
        .await?;
    let chunk = TextChunk::from_model_json(&out.body)?;
    answer.append(&chunk);
    Ok(summary(chunk.stop_reason.as_deref(), chunk.metrics, None))
}

/// Prefills empty fields from `demo.json`, which only `cargo xtask demo` serves (it points
/// the page at the local emulator). On a static host the file is absent and nothing happens.
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
    let fill = |signal: RwSignal<String>, key: &str| {
        if let Some(v) = config.get(key).and_then(|v| v.as_str()) {
            signal.set(v.to_owned());
        }
    };
    fill(form.endpoint, "endpoint");
    fill(form.region, "region");
    fill(form.access_key_id, "accessKeyId");
    fill(form.secret_access_key, "secretAccessKey");
    fill(form.session_token, "sessionToken");
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
) -> impl IntoView {
    view! {
        <label>
            {label}
            <input
                type=kind
                data-testid=testid
                autocomplete="off"
                spellcheck="false"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}

#[component]
pub fn App() -> impl IntoView {
    let form = Form::new();
    let answer = Answer {
        output: RwSignal::new(String::new()),
        metrics: RwSignal::new(String::new()),
        error: RwSignal::new(String::new()),
        busy: RwSignal::new(false),
        abort: StoredValue::new_local(None),
    };
    spawn_local(load_demo_config(form));

    let send = move |streaming: bool| {
        if answer.busy.get_untracked() {
            return;
        }
        spawn_local(async move {
            let result = if streaming {
                stream_answer(form, answer).await
            } else {
                invoke_once(form, answer).await
            };
            answer.finish(result);
        });
    };
    let _keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            answer.stop();
        } else if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            send(true);
        }
    });

    view! {
        <main>
            <h1>"bedrock-wasm playground"</h1>
            <fieldset>
                <legend>"Credentials (kept in memory only)"</legend>
                <div class="grid">
                    <Field label="Access key id" testid="access-key-id" value=form.access_key_id />
                    <Field label="Secret access key" testid="secret-access-key" value=form.secret_access_key kind="password" />
                    <Field label="Session token" testid="session-token" value=form.session_token kind="password" />
                </div>
            </fieldset>
            <fieldset>
                <legend>"Endpoint and model"</legend>
                <div class="grid">
                    <Field label="Region" testid="region" value=form.region />
                    <Field label="Endpoint (empty = AWS)" testid="endpoint" value=form.endpoint />
                    <Field label="Model id" testid="model-id" value=form.model_id />
                    <Field label="Max tokens" testid="max-tokens" value=form.max_tokens />
                </div>
            </fieldset>
            <label>
                "Prompt"
                <textarea
                    data-testid="prompt"
                    prop:value=move || form.prompt.get()
                    on:input=move |ev| form.prompt.set(event_target_value(&ev))
                ></textarea>
            </label>
            <div class="actions">
                <button data-testid="send" on:click=move |_| send(true) disabled=move || answer.busy.get()>
                    "Send"
                </button>
                <button data-testid="send-once" on:click=move |_| send(false) disabled=move || answer.busy.get()>
                    "Send without streaming"
                </button>
                <button data-testid="stop" on:click=move |_| answer.stop() disabled=move || !answer.busy.get()>
                    "Stop"
                </button>
                <span class="hint">"Ctrl/Cmd+Enter sends, Esc stops."</span>
            </div>
            <div class="output" data-testid="output" aria-live="polite">{move || answer.output.get()}</div>
            <div class="metrics" data-testid="metrics">{move || answer.metrics.get()}</div>
            <div class="error" data-testid="error" role="alert">{move || answer.error.get()}</div>
        </main>
    }
}
