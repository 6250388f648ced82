//! The form's building blocks: a labelled text field and a `<select>` of typed options.

use leptos::prelude::*;

use crate::choices::Options;

/// A labelled text field bound to `value`.
#[component]
pub fn Field(
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

/// A `<select>` of every option of `T`, bound to `value`.
#[component]
pub fn Choice<T: Options>(
    /// Visible label.
    label: &'static str,
    /// The stable `data-testid`.
    testid: &'static str,
    value: RwSignal<T>,
) -> impl IntoView {
    // Only this glue is per type; the view is shared (each copy of a view costs page weight).
    let select = move |v: String| {
        if let Some(v) = T::parse(&v) {
            value.set(v);
        }
    };
    select_view(
        label,
        testid,
        T::OPTIONS,
        Box::new(move || value.get().value()),
        Box::new(select),
    )
}

fn select_view(
    label: &'static str,
    testid: &'static str,
    options: &'static [(&'static str, &'static str)],
    selected: Box<dyn Fn() -> &'static str + Send + Sync>,
    select: Box<dyn Fn(String)>,
) -> impl IntoView {
    view! {
        <label>
            {label}
            <select data-testid=testid prop:value=selected
                on:change=move |ev| select(event_target_value(&ev))>
                {options.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
            </select>
        </label>
    }
}

/// A labelled multi-line field bound to `value`.
#[component]
pub fn Lines(label: &'static str, testid: &'static str, value: RwSignal<String>) -> impl IntoView {
    view! {
        <label>
            {label}
            <textarea data-testid=testid class="short" prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))></textarea>
        </label>
    }
}
