//! The playground's safety net. A panic is a bug, and none is known to be reachable from
//! input; but if one happens the wasm instance is dead (`panic = "abort"`) and the page would
//! sit there with Send busy for ever. The hook shows what happened instead: a banner with the
//! panic message, a Reload button, and every other control disabled (the dead instance cannot
//! answer them). It touches only the DOM, never the app's reactive state, which the panicking
//! code may hold borrowed.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Installs the panic hook; call before mounting the app.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let message = format!(
            "The playground hit a bug and stopped: {info}. Reload the page to continue (the text on screen stays until then); please report this message."
        );
        let _ = show(&message);
    }));
}

fn show(message: &str) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let body = document
        .body()
        .ok_or_else(|| JsValue::from_str("no body"))?;
    // Every control of the dead app: disabled, so nothing looks like it still works.
    let controls = document.query_selector_all("button, input, select, textarea")?;
    for i in 0..controls.length() {
        if let Some(el) = controls.item(i) {
            let _ = el
                .unchecked_into::<web_sys::Element>()
                .set_attribute("disabled", "");
        }
    }
    let banner = document.create_element("div")?;
    banner.set_attribute("role", "alert")?;
    banner.set_attribute("class", "fatal")?;
    banner.set_attribute("data-testid", "fatal-error")?;
    let text = document.create_element("p")?;
    text.set_text_content(Some(message));
    banner.append_child(&text)?;
    // A link to this very page reloads it, with no script (and so nothing of the dead
    // instance) involved.
    let reload = document.create_element("a")?;
    reload.set_attribute("data-testid", "fatal-reload")?;
    reload.set_attribute("href", "")?;
    reload.set_text_content(Some("Reload"));
    banner.append_child(&reload)?;
    body.prepend_with_node_1(&banner)?;
    Ok(())
}

/// Test builds only (`--features test-panic`, the build `cargo xtask test` uses for
/// the spec of this net, never for dist/): panics inside a task, as a bug in a request would.
#[cfg(feature = "test-panic")]
#[wasm_bindgen(js_name = __testPanic)]
pub fn test_panic() {
    wasm_bindgen_futures::spawn_local(async {
        panic!("test panic (playground)");
    });
}
