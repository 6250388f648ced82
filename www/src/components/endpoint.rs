//! Where requests go: the region and an optional custom endpoint (the emulator).

use leptos::prelude::*;

use super::fields::Field;
use crate::form::Form;

#[component]
pub fn EndpointFields(form: Form) -> impl IntoView {
    view! {
        <fieldset>
            <legend>"Endpoint"</legend>
            <div class="grid">
                <Field label="Region" testid="region" value=form.region />
                <Field label="Endpoint (empty = AWS)" testid="endpoint" value=form.endpoint placeholder="https://bedrock-runtime.<region>.amazonaws.com" />
            </div>
        </fieldset>
    }
}
