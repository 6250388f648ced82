//! Side-by-side comparison: up to four models, one prompt, all streaming at once.

use leptos::prelude::*;

use super::answer::Answer;
use super::fields::Field;
use crate::body::Msg;
use crate::form::Form;
use crate::lazy::{lazy, now, on_open, split, SplitLoaderError};
use crate::reply::Reply;
use crate::runner::{Runner, Task};

/// The comparison's state: a model and a reply per pane.
#[derive(Clone, Copy)]
pub struct Compare {
    pub models: [RwSignal<String>; 4],
    pub replies: [Reply; 4],
    runner: Runner,
}

impl Compare {
    pub fn new(runner: Runner) -> Self {
        let model = |m: &str| RwSignal::new(m.to_owned());
        Self {
            models: [
                model("anthropic.claude-3-haiku-20240307-v1:0"),
                model("amazon.nova-lite-v1:0"),
                model(""),
                model(""),
            ],
            replies: [Reply::new(), Reply::new(), Reply::new(), Reply::new()],
            runner,
        }
    }

    /// Stops every pane, or the identity-pool sign-in they wait for.
    pub fn stop(&self) {
        self.runner.stop();
    }

    /// Sends the prompt to every pane with a model (single turn, the form's parameters).
    pub fn send(self, form: Form) {
        if self.runner.busy_untracked() {
            return;
        }
        let prompt = form.prompt.get_untracked();
        let files = form.attachments.get_untracked();
        let mut tasks = Vec::new();
        for (model, reply) in self.models.iter().zip(self.replies) {
            reply.clear();
            let model_id = model.get_untracked();
            if model_id.trim().is_empty() {
                continue;
            }
            tasks.push(Task {
                reply,
                model_id,
                msgs: vec![Msg::user(prompt.clone(), files.clone())],
                streaming: true,
                custom_body: None,
                frames: None,
            });
        }
        self.runner.start(form, tasks);
    }
}

/// The comparison: its content (the model fields, the panes and what sends) is a chunk of
/// its own, loaded the first time the section is opened (src/lazy.rs).
#[component]
pub fn ComparePanel(compare: Compare, form: Form) -> impl IntoView {
    let opened = RwSignal::new(false);
    view! {
        <details data-testid="compare" on:toggle=on_open(opened)>
            <summary>"Compare models side by side"</summary>
            <Show when=move || opened.get()>
                {lazy("the comparison", load_compare, move || now(compare_panel(compare, form)))}
            </Show>
        </details>
    }
}

split! {
    compare,
    load_compare,
    fn compare_panel(compare: Compare, form: Form) -> Result<AnyView, SplitLoaderError> {
        let busy = move || compare.runner.busy();
        Ok(view! {
            <p class="hint">"Sends the prompt above to each model at once (single turn, same parameters and API)."</p>
            <div class="grid">
                {(0..4).map(|i| view! {
                    <Field label=["Model 1", "Model 2", "Model 3", "Model 4"][i] testid=["compare-model-1", "compare-model-2", "compare-model-3", "compare-model-4"][i] value=compare.models[i] />
                }).collect_view()}
            </div>
            <div class="actions">
                <button class="primary" data-testid="compare-send" on:click=move |_| compare.send(form) disabled=busy>"Compare"</button>
                <button data-testid="compare-stop" on:click=move |_| compare.stop() disabled=move || !busy()>"Stop all"</button>
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
        }
        .into_any())
    }
}
