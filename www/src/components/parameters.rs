//! Inference parameters, with each model's defaults as placeholders, and the InvokeModel body
//! they make.

use leptos::prelude::*;

use super::body_editor::BodyEditor;
use super::fields::{Field, Lines};
use crate::body;
use crate::form::Form;

/// The parameters fieldset. `generated` is the InvokeModel body the form makes now.
#[component]
pub fn ParameterFields(form: Form, #[prop(into)] generated: Signal<String>) -> impl IntoView {
    let family = Memo::new(move |_| form.model_id.with(|m| crate::catalog::family(m)));
    let default = move |i: usize| {
        Signal::derive(move || {
            let (t, p) = body::defaults(family.get());
            format!("default {}", [t, p][i])
        })
    };
    let top_k = move || body::has_top_k(family.get());
    view! {
        <fieldset>
            <legend>"Parameters"</legend>
            <div class="grid">
                <Field label="Max tokens" testid="max-tokens" value=form.max_tokens />
                <Field label="Temperature" testid="temperature" value=form.temperature placeholder=default(0) />
                <Field label="Top-p" testid="top-p" value=form.top_p placeholder=default(1) />
                <label>
                    "Top-k"
                    <input data-testid="top-k" autocomplete="off" disabled=move || !top_k()
                        placeholder=move || if top_k() { "default" } else { "not supported by this model" }
                        prop:value=move || form.top_k.get() on:input=move |ev| form.top_k.set(event_target_value(&ev)) />
                </label>
            </div>
            <Lines label="Stop sequences (one per line)" testid="stop-sequences" value=form.stop />
            <Lines label="System prompt" testid="system-prompt" value=form.system />
            <div class="grid">
                <label class="check">
                    <input type="checkbox" data-testid="reasoning-enabled" prop:checked=move || form.reasoning.get()
                        on:change=move |ev| form.reasoning.set(event_target_checked(&ev)) />
                    "Reasoning (Converse: Claude, Nova 2)"
                </label>
                <Field label="Reasoning budget (tokens; Claude)" testid="reasoning-budget" value=form.reasoning_budget />
                <label>
                    "Reasoning effort (Nova 2)"
                    <select data-testid="reasoning-effort" prop:value=move || form.reasoning_effort.get()
                        on:change=move |ev| form.reasoning_effort.set(event_target_value(&ev))>
                        <option value="low">"low"</option>
                        <option value="medium">"medium"</option>
                        <option value="high">"high"</option>
                    </select>
                </label>
                <label class="check">
                    <input type="checkbox" data-testid="cache-prompt" prop:checked=move || form.cache_prompt.get()
                        on:change=move |ev| form.cache_prompt.set(event_target_checked(&ev)) />
                    "Prompt caching (Converse)"
                </label>
            </div>
            <Lines label="Structured output: a JSON schema for the answer (Converse)" testid="output-schema" value=form.output_schema />
            <Lines label="Tools: a JSON list of tool specs, {name, description, inputSchema: {json}} (Converse)" testid="tools" value=form.tools />
            <BodyEditor form generated />
        </fieldset>
    }
}
