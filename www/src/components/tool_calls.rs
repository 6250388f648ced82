//! What a Converse answer asks of the page: the tool calls the model made, each with a field
//! for its result that goes back as a `toolResult` turn; and, with an output schema, the
//! answer pretty-printed and checked against it.

use bedrock_wasm::bedrock::converse::ContentBlock;
use leptos::prelude::*;
use serde_json::Value;

use crate::body::ToolResult;
use crate::chat::Chat;
use crate::form::Form;
use crate::lazy::{lazy, now, split, SplitLoaderError};
use crate::schema;

/// The current answer's tool calls `(id, name, input)`, once it has ended.
fn calls(chat: Chat) -> Vec<(String, String, String)> {
    if chat.reply.busy.get() {
        return Vec::new();
    }
    chat.reply.message.with(|m| {
        m.iter()
            .flat_map(|m| &m.content)
            .filter_map(|b| match b {
                ContentBlock::ToolUse(t) => Some((
                    t.tool_use_id.clone(),
                    t.name.clone(),
                    crate::json::text(&t.input),
                )),
                _ => None,
            })
            .collect()
    })
}

#[component]
pub fn ToolCalls(form: Form, chat: Chat) -> impl IntoView {
    view! {
        {move || {
            let calls = calls(chat);
            (!calls.is_empty()).then(|| {
                let results: Vec<RwSignal<String>> =
                    calls.iter().map(|_| RwSignal::new(String::new())).collect();
                let fields = results.clone();
                let shown = calls.clone();
                let send = move |_| {
                    let out = calls
                        .iter()
                        .zip(&results)
                        .map(|((id, name, _), r)| ToolResult {
                            id: id.clone(),
                            name: name.clone(),
                            text: r.get_untracked(),
                        })
                        .collect();
                    chat.send_tool_results(form, out);
                };
                view! {
                    <div class="tool-calls">
                        {shown.into_iter().zip(fields).map(|((_, name, input), result)| view! {
                            <div class="tool-call">
                                <p data-testid="tool-call">"The model calls "<code>{name.clone()}</code>" with "<code>{input}</code></p>
                                <label>
                                    {format!("Result of {name}")}
                                    <textarea data-testid="tool-result" class="short" prop:value=move || result.get()
                                        on:input=move |ev| result.set(event_target_value(&ev))></textarea>
                                </label>
                            </div>
                        }).collect_view()}
                        <button class="primary" data-testid="tool-result-send" on:click=send>"Send the results"</button>
                    </div>
                }
            })
        }}
    }
}

/// With an output schema, the finished answer as pretty JSON and whether it follows the
/// schema. The check (the schema walker, the pretty printer) is a chunk of its own, loaded the
/// first time there is an answer to check (src/lazy.rs).
#[component]
pub fn StructuredOutput(form: Form, chat: Chat) -> impl IntoView {
    let shown = move || {
        !chat.reply.busy.get()
            && form
                .settings
                .with(|s| s.as_ref().is_ok_and(|s| s.params.output_schema.is_some()))
            && chat.reply.text.with(|t| !t.trim().is_empty())
    };
    view! {
        <Show when=shown>
            {lazy("the schema check", load_schema_check, move || now(structured(form, chat)))}
        </Show>
    }
}

split! {
    schema_check,
    load_schema_check,
    fn structured(form: Form, chat: Chat) -> Result<AnyView, SplitLoaderError> {
        let check = move || {
            let schema = form
                .settings
                .with(|s| s.as_ref().ok().and_then(|s| s.params.output_schema.clone()))?;
            let text = chat.reply.text.get();
            Some(match crate::json::parse::<Value>(&text) {
                Ok(v) => {
                    let verdict = match schema::violation(&schema, &v) {
                        None => "The answer follows the schema.".to_owned(),
                        Some(e) => format!("The answer does not follow the schema: {e}"),
                    };
                    (
                        crate::json::pretty(&v),
                        verdict,
                    )
                }
                Err(e) => (String::new(), format!("The answer is not JSON: {e}")),
            })
        };
        Ok(view! {
            {move || check().map(|(pretty, verdict)| view! {
                <div class="structured">
                    <pre class="code" data-testid="structured-output" class:hidden=pretty.is_empty()>{pretty.clone()}</pre>
                    <p class="hint" data-testid="schema-check" role="status">{verdict}</p>
                </div>
            })}
        }
        .into_any())
    }
}
