//! Which model: the catalog, its inference profiles, any id, and the API to call it with.

use leptos::prelude::*;

use super::fields::{Choice, Field};
use crate::catalog;
use crate::form::Form;

/// "Anthropic Claude 2 · family … · APIs: … · $…" for the model id, or what is known of an
/// id not in the catalog.
fn model_info(model_id: &str) -> String {
    let family = catalog::family(model_id);
    match catalog::find(model_id) {
        Some(m) => {
            let apis = if m.speech {
                "InvokeModelWithBidirectionalStream (speech to speech: use the Voice panel)"
            } else if m.invoke_only {
                "InvokeModel"
            } else {
                "InvokeModel, Converse"
            };
            let price = m
                .price
                .map(|(i, o)| {
                    let (i, o) = (crate::decimal::short(i), crate::decimal::short(o));
                    format!(" · ${i}/${o} per million input/output tokens (estimate)")
                })
                .unwrap_or_default();
            format!(
                "{} {} · family {family} · APIs: {apis}{price}",
                m.provider, m.name
            )
        }
        None => format!(
            "Not in the catalog · family {family} · any model id, inference profile or ARN works"
        ),
    }
}

/// The model id and its cross-region inference profiles.
fn profiles(model_id: &str) -> Vec<String> {
    catalog::find(model_id)
        .map(|m| {
            let mut ids = vec![m.id.to_owned()];
            ids.extend(m.profiles.iter().map(|g| format!("{g}.{}", m.id)));
            ids
        })
        .unwrap_or_default()
}

#[component]
pub fn ModelFields(form: Form) -> impl IntoView {
    let id = form.model_id;
    let catalog_value = move || id.with(|m| catalog::find(m).map(|m| m.id).unwrap_or(""));
    view! {
        <fieldset>
            <legend>"Model"</legend>
            <label>
                "Catalog"
                <select data-testid="model-catalog" prop:value=catalog_value
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if !v.is_empty() { id.set(v); }
                    }>
                    <option value="">"Other (type an id below)"</option>
                    {catalog::providers().into_iter().map(|p| view! {
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
                <select data-testid="model-profile" prop:value=move || id.get()
                    on:change=move |ev| id.set(event_target_value(&ev))>
                    {move || id.with(|m| profiles(m)).into_iter().map(|p| { let label = p.clone(); view! { <option value=p>{label}</option> } }).collect_view()}
                </select>
            </label>
            <Field label="Model id, inference profile id or ARN" testid="model-id" value=id />
            <p class="hint" data-testid="model-info">{move || id.with(|m| model_info(m))}</p>
            <Choice label="API" testid="api" value=form.api />
        </fieldset>
    }
}
