//! The token meter: while the user types, what the pending request (history, system prompt,
//! new prompt) will cost in input tokens, against the model's context window, with the
//! estimated input price. Exact where Bedrock's CountTokens counts for the model (free), a
//! marked estimate otherwise; it never blocks sending.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::catalog;
use crate::chat::Chat;
use crate::form::{messages, Form};

/// How long typing must pause before the request is counted.
const DEBOUNCE: Duration = Duration::from_millis(500);

#[component]
pub fn TokenMeter(form: Form, chat: Chat) -> impl IntoView {
    // (tokens, exact) for the model it was counted for.
    let count = RwSignal::new(None::<(u64, bool, String)>);
    let generation = StoredValue::new(0u32);
    Effect::new(move |_| {
        let turns = chat.conversation();
        let msgs = form
            .attachments
            .with(|files| form.prompt.with(|p| messages(&turns, p, files)));
        let model = form.model_id.get();
        let system = form.system.get();
        // Any change of the request's settings counts again.
        form.settings.track();
        let g = generation.get_value().wrapping_add(1);
        generation.set_value(g);
        let estimate = catalog::estimate_tokens(
            msgs.iter()
                .map(|m| m.text.as_str())
                .chain([system.as_str()]),
        ) + msgs
            .iter()
            .flat_map(|m| &m.attachments)
            .map(|a| catalog::estimate_attachment_tokens(a.media.kind, a.size()))
            .sum::<u64>();
        set_timeout(
            move || {
                if generation.get_value() != g {
                    return;
                }
                spawn_local(async move {
                    let exact = if catalog::counts_tokens(&model) {
                        chat.count_tokens(form, msgs).await.ok()
                    } else {
                        None
                    };
                    if generation.get_value() == g {
                        count.set(Some(match exact {
                            Some(n) => (n, true, model),
                            None => (estimate, false, model),
                        }));
                    }
                });
            },
            DEBOUNCE,
        );
    });
    let detail = move || {
        count.with(|c| {
            let Some((n, exact, model)) = c else {
                return String::new();
            };
            let mut out = String::from(if *exact {
                " input tokens"
            } else {
                " input tokens (estimate)"
            });
            if let Some(window) = catalog::context_window(model) {
                out += &format!(" of {window}");
            }
            if let Some(cost) = catalog::cost(model, *n, 0) {
                out += &format!(" · ≈ ${}", crate::decimal::four_places(cost));
            }
            out
        })
    };
    view! {
        <p class="hint" data-testid="token-meter" aria-live="polite">
            <span data-testid="token-count">{move || count.with(|c| c.as_ref().map(|c| c.0.to_string()).unwrap_or_default())}</span>
            {detail}
        </p>
    }
}
