//! Components mounted in headless Chromium: a streaming answer tick by tick, the body editor,
//! and the shared per-endpoint clients. `cargo xtask test` runs them (`test-wasm` alone);
//! by hand: `cargo test -p bedrock-wasm-playground --target wasm32-unknown-unknown --test
//! components` with CHROMEDRIVER set.
#![cfg(target_arch = "wasm32")]

use bedrock_wasm::bedrock::Endpoint;
use bedrock_wasm::sign::{ApiKey, Auth, Credentials};
use bedrock_wasm_playground::choices::Api;
use bedrock_wasm_playground::clients::Clients;
use bedrock_wasm_playground::components::answer::Answer;
use bedrock_wasm_playground::components::body_editor::BodyEditor;
use bedrock_wasm_playground::form::{pretty, Form};
use bedrock_wasm_playground::reply::Reply;
use leptos::mount::mount_to;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh element in the page's body to mount into (event delegation needs it attached).
fn container() -> HtmlElement {
    let doc = document();
    let div = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    div.unchecked_into()
}

/// Lets the effects scheduled by signal writes run.
async fn settle() {
    for _ in 0..4 {
        leptos::task::tick().await;
    }
}

fn by_id(root: &Element, id: &str) -> Element {
    root.query_selector(&format!("[data-testid=\"{id}\"]"))
        .unwrap()
        .unwrap_or_else(|| panic!("no [data-testid={id}]"))
}

fn text(el: &Element) -> String {
    el.text_content().unwrap_or_default()
}

/// The tags under `el`, in document order.
fn tags(el: &Element) -> Vec<String> {
    let all = el.query_selector_all("*").unwrap();
    (0..all.length())
        .filter_map(|i| all.item(i))
        .map(|n| n.unchecked_into::<Element>().tag_name())
        .collect()
}

#[wasm_bindgen_test]
async fn an_answer_streams_markdown_token_by_token_and_ends_with_its_figures() {
    let root = container();
    let reply = Reply::new();
    let _app = mount_to(root.clone(), move || view! { <Answer reply /> });
    reply.busy.set(true);
    settle().await;
    let output = by_id(&root, "output");
    assert_eq!(output.get_attribute("aria-busy").as_deref(), Some("true"));
    assert!(by_id(&root, "reasoning").class_list().contains("hidden"));

    // (token, what the output reads after it, whether a <strong> / <pre> exists yet)
    let steps = [
        ("Hello ", "Hello ", false, false),
        ("**wor", "Hello **wor", false, false),
        ("ld** and", "Hello world and", true, false),
        (
            " more\n```rust\nfn ma",
            "Hello world and more\nfn ma",
            true,
            true,
        ),
        (
            "in() {}\n```\nDone.",
            "Hello world and more\nfn main() {}Done.",
            true,
            true,
        ),
    ];
    for (token, shown, strong, pre) in steps {
        reply.text.update(|t| t.push_str(token));
        settle().await;
        assert_eq!(text(&output), shown, "after {token:?}");
        let tags = tags(&output);
        assert_eq!(
            tags.contains(&"STRONG".into()),
            strong,
            "after {token:?}: {tags:?}"
        );
        assert_eq!(
            tags.contains(&"PRE".into()),
            pre,
            "after {token:?}: {tags:?}"
        );
    }
    let strong = output.query_selector("strong").unwrap().unwrap();
    assert_eq!(text(&strong), "world");
    let code = output.query_selector("pre.code code").unwrap().unwrap();
    assert_eq!(text(&code), "fn main() {}");

    reply.reasoning.set("Thinking it over.".into());
    reply
        .figures
        .set("input tokens 12 · output tokens 9".into());
    reply.busy.set(false);
    settle().await;
    let reasoning = by_id(&root, "reasoning");
    assert!(!reasoning.class_list().contains("hidden"));
    assert_eq!(text(&reasoning), "ReasoningThinking it over.");
    assert_eq!(
        text(&by_id(&root, "metrics")),
        "input tokens 12 · output tokens 9"
    );
    assert_eq!(output.get_attribute("aria-busy").as_deref(), Some("false"));

    // A retry starts over: nothing of the old answer stays.
    reply.clear();
    reply.text.set("Again".into());
    settle().await;
    assert_eq!(text(&output), "Again");
    assert!(!tags(&output).contains(&"PRE".into()));
    assert_eq!(text(&by_id(&root, "metrics")), "");
}

#[wasm_bindgen_test]
async fn a_comparison_pane_has_numbered_ids() {
    let root = container();
    let reply = Reply::new();
    let _app = mount_to(root.clone(), move || view! { <Answer reply n=3 /> });
    reply.text.set("**Hi**".into());
    reply.error.set("ThrottlingException".into());
    settle().await;
    assert_eq!(text(&by_id(&root, "compare-output-3")), "Hi");
    assert_eq!(
        text(&by_id(&root, "compare-error-3")),
        "ThrottlingException"
    );
    by_id(&root, "compare-metrics-3");
    by_id(&root, "reasoning-3");
    assert!(root
        .query_selector("[data-testid=\"output\"]")
        .unwrap()
        .is_none());
}

/// Types `value` into a textarea as a user would (an `input` event that bubbles).
fn type_into(area: &HtmlTextAreaElement, value: &str) {
    area.set_value(value);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
    area.dispatch_event(&ev).unwrap();
}

#[wasm_bindgen_test]
async fn the_body_editor_follows_the_form_until_edited_and_checks_the_edit() {
    let root = container();
    let form = Form::new();
    let conversation = [bedrock_wasm_playground::body::Exchange {
        user: "Hi".into(),
        answer: "Hello".into(),
        ..Default::default()
    }];
    let generated = Signal::derive(move || pretty(&form.request(&conversation)));
    let _app = mount_to(
        root.clone(),
        move || view! { <BodyEditor form generated /> },
    );
    form.prompt.set("And you?".into());
    settle().await;
    let area: HtmlTextAreaElement = by_id(&root, "invoke-body").unchecked_into();
    let hint = root.query_selector("p.hint").unwrap().unwrap();
    let body = || serde_json::from_str::<serde_json::Value>(&area.value()).unwrap();
    assert_eq!(
        body(),
        serde_json::json!({
            "prompt": "\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: And you?\n\nAssistant:",
            "max_tokens_to_sample": 200,
        })
    );
    assert!(text(&hint).starts_with("Generated from the form"));

    // The form's changes show as they are made.
    form.max_tokens.set("5".into());
    form.temperature.set("0.5".into());
    settle().await;
    assert_eq!(body()["max_tokens_to_sample"], 5);
    assert_eq!(body()["temperature"], 0.5);
    form.max_tokens.set("five".into());
    settle().await;
    assert_eq!(
        area.value(),
        "max tokens must be a whole number such as 200"
    );
    form.max_tokens.set("7".into());
    settle().await;

    // An edit is kept as typed, checked, and overrides the form until reset.
    type_into(&area, r#"{"prompt": "#);
    settle().await;
    assert_eq!(
        form.custom_body.get_untracked().as_deref(),
        Some(r#"{"prompt": "#)
    );
    assert!(
        text(&hint)
            .starts_with("Edited, but Send will refuse it: the edited JSON body is not valid JSON"),
        "{}",
        text(&hint)
    );
    type_into(&area, r#"{"prompt": "x", "max_tokens_to_sample": 3}"#);
    form.prompt.set("ignored while edited".into());
    settle().await;
    assert_eq!(text(&hint), "Edited: sent as is.");
    assert_eq!(body()["max_tokens_to_sample"], 3);
    by_id(&root, "body-reset")
        .unchecked_into::<HtmlElement>()
        .click();
    settle().await;
    assert_eq!(form.custom_body.get_untracked(), None);
    assert_eq!(body()["max_tokens_to_sample"], 7);
    assert!(body()["prompt"]
        .as_str()
        .unwrap()
        .contains("ignored while edited"));

    // Converse has no native body to edit.
    let editor = by_id(&root, "body-editor");
    assert!(!editor.class_list().contains("hidden"));
    form.api.set(Api::Converse);
    settle().await;
    assert!(editor.class_list().contains("hidden"));
}

#[wasm_bindgen_test]
fn a_clock_offset_learned_from_one_endpoint_is_not_applied_to_another() {
    let endpoint = |url: &str, region: &str| Endpoint::from_parts(Some(url), region).unwrap();
    let keys = || Auth::SigV4(Credentials::new("AKID", "secret", None));
    let mut clients = Clients::default();
    let emulator = clients.client(endpoint("http://127.0.0.1:4010", "us-east-1"), keys());
    emulator.set_clock_offset_ms(-600_000.0).unwrap();
    // The same endpoint, however typed and whatever the credentials: what it learned holds.
    let again = clients.client(
        endpoint(" http://127.0.0.1:4010/ ", "us-east-1"),
        Auth::Bearer(ApiKey::new("key")),
    );
    assert_eq!(again.clock_offset_ms(), -600_000.0);
    // Another endpoint (or region) starts from this computer's clock.
    for (url, region) in [
        ("http://localhost:4010", "us-east-1"),
        ("http://127.0.0.1:4010", "eu-west-1"),
        ("", "us-east-1"),
    ] {
        let other = clients.client(endpoint(url, region), keys());
        assert_eq!(other.clock_offset_ms(), 0.0, "{url} {region}");
    }
    // A later correction replaces the endpoint's offset for every request after it.
    again.set_clock_offset_ms(1_500.0).unwrap();
    let later = clients.client(endpoint("http://127.0.0.1:4010", "us-east-1"), keys());
    assert_eq!(later.clock_offset_ms(), 1_500.0);
}
