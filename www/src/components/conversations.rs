//! Saved conversations: each finished turn saves the open conversation to IndexedDB, the
//! page reopens the latest on start-up, and a list opens, starts, renames and deletes them;
//! "Forget everything" clears them with the credentials. What is saved is what Export JSON
//! writes, never a credential (see `conversations.rs`). Without storage (a private mode, a
//! full disk) the page works as before and says so, quietly.

use js_sys::{Array, JsString, Reflect, JSON};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::IdbDatabase;

use super::conversation_file::{
    apply, export_json, load_conversation_export, read_saved, setup, EXPORT_NOT_LOADED,
    READER_NOT_LOADED,
};
use crate::chat::Chat;
use crate::conversations::{self, Entry, MAX_LISTED};
use crate::creds::Creds;
use crate::export::MAX_IMPORT_BYTES;
use crate::form::Form;
use crate::idb;

/// The saved conversations and which one is open.
#[derive(Clone, Copy)]
pub struct Saved {
    /// Newest first, at most [`MAX_LISTED`].
    pub list: RwSignal<Vec<Entry>>,
    /// The open conversation's id; `None`: a new one, saved once it has an answer.
    pub current: RwSignal<Option<f64>>,
    /// Empty, or what went wrong with storage (the page works without it).
    pub status: RwSignal<String>,
    db: StoredValue<Option<IdbDatabase>, LocalStorage>,
    form: Form,
    chat: Chat,
}

/// `s` if it is no longer than an import may be.
fn bounded(s: JsString) -> Option<String> {
    (f64::from(s.length()) <= MAX_IMPORT_BYTES).then(|| s.into())
}

impl Saved {
    /// Nothing is read until [`load`](Self::load); [`Conversations`] saves after each turn.
    pub fn new(form: Form, chat: Chat) -> Self {
        Self {
            list: RwSignal::new(Vec::new()),
            current: RwSignal::new(None),
            status: RwSignal::new(String::new()),
            db: StoredValue::new_local(None),
            form,
            chat,
        }
    }

    /// Says what failed, naming the browser's error (`QuotaExceededError`, …).
    fn failed(self, what: &str, e: &JsValue) {
        let name = Reflect::get(e, &"name".into())
            .ok()
            .and_then(|n| n.as_string())
            .unwrap_or_else(|| "no storage here".into());
        self.status
            .set(format!("{what} ({name}); the page works as before."));
    }

    /// Whether no answer is under way (the list waits for it).
    fn idle(self) -> bool {
        !self.chat.reply.busy.get_untracked()
    }

    /// Opens the database, lists what it holds and reopens the latest conversation (unless
    /// the user has started one meanwhile). The database stays open for the page; without
    /// one, nothing is kept.
    pub async fn load(self) {
        let db = match idb::open().await {
            Ok(db) => db,
            Err(e) => return self.failed("Conversations are not kept in this browser", &e),
        };
        self.db.set_value(Some(db.clone()));
        let fields = Array::of3(&"id".into(), &"title".into(), &"updated".into());
        let mut list = Vec::new();
        let mut unreadable = 0;
        let read = idb::newest(
            &db,
            MAX_LISTED,
            |record| match JSON::stringify_with_replacer(&record, &fields)
                .ok()
                .and_then(bounded)
                .and_then(|meta| conversations::entry(&meta))
            {
                Some(e) => list.push(e),
                None => unreadable += 1,
            },
        )
        .await;
        if let Err(e) = read {
            self.failed("Saved conversations could not all be listed", &e);
        } else if unreadable > 0 {
            self.status.set(format!(
                "{unreadable} saved conversation(s) could not be read and are not listed."
            ));
        }
        let newest = list.first().map(|e| e.id);
        self.list.set(list);
        // Unless the user has started something meanwhile.
        if let Some(id) = newest.filter(|_| {
            self.current.get_untracked().is_none()
                && self.chat.history.with_untracked(Vec::is_empty)
                && self.chat.user.with_untracked(String::is_empty)
        }) {
            self.open(id);
        }
    }

    /// Opens saved conversation `id`: reads it and puts it on the page as an import does.
    pub fn open(self, id: f64) {
        let Some(db) = self.db.get_value().filter(|_| self.idle()) else {
            return;
        };
        spawn_local(async move {
            let text = match idb::get(&db, id).await {
                Ok(record) => Reflect::get(&record, &"conversation".into())
                    .ok()
                    .and_then(|t| t.dyn_into::<JsString>().ok())
                    .and_then(bounded)
                    .ok_or_else(|| "it is not a saved conversation".to_owned()),
                Err(e) => return self.failed("That conversation could not be read", &e),
            };
            let read = match text {
                Ok(text) => read_saved(text)
                    .await
                    .unwrap_or_else(|_| Err(READER_NOT_LOADED.into())),
                Err(e) => Err(e),
            };
            match read {
                Ok(c) if self.idle() => {
                    self.current.set(Some(id));
                    apply(self.form, self.chat, c);
                }
                Ok(_) => {}
                Err(e) => self
                    .status
                    .set(format!("That saved conversation cannot be opened: {e}")),
            }
        });
    }

    /// Writes record `id` (`None`: deletes it), saying so if that fails.
    fn write(self, id: f64, record: Option<String>) {
        let Some(db) = self.db.get_value() else {
            return;
        };
        spawn_local(async move {
            let done = match record.map(|r| JSON::parse(&r)).transpose() {
                Ok(r) => idb::write(&db, id, r.as_ref()).await,
                Err(e) => Err(e),
            };
            if let Err(e) = done {
                self.failed("Not kept", &e);
            }
        });
    }

    /// Saves the open conversation (a new record for a new one); nothing before it has an
    /// answer.
    pub fn save(self) {
        let turns = self.chat.conversation_untracked();
        let Some(first) = conversations::first_prompt(&turns) else {
            return;
        };
        let now = js_sys::Date::now();
        let id = self
            .current
            .get_untracked()
            .unwrap_or_else(|| self.list.with_untracked(|l| conversations::next_id(now, l)));
        let title = self
            .list
            .with_untracked(|l| l.iter().find(|e| e.id == id).map(|e| e.title.clone()))
            .unwrap_or_else(|| conversations::title(first));
        let entry = Entry {
            id,
            title,
            updated: now,
        };
        self.current.set(Some(id));
        self.list.update(|l| conversations::touch(l, entry.clone()));
        let setup = setup(self.form);
        // At once when the chunk is there (the sending code fetched it, see
        // `preload_export`); else once it is, unless the conversation was deleted meanwhile.
        if matches!(crate::lazy::now(load_conversation_export()), Some(Ok(()))) {
            if let Some(Ok(text)) = crate::lazy::now(export_json(setup, turns)) {
                self.write(id, Some(conversations::record(&entry, &text)));
            }
            return;
        }
        spawn_local(async move {
            match export_json(setup, turns).await {
                Ok(text) if self.list.with_untracked(|l| l.iter().any(|e| e.id == id)) => {
                    self.write(id, Some(conversations::record(&entry, &text)));
                }
                Ok(_) => {}
                Err(_) => self.status.set(format!("Not kept: {EXPORT_NOT_LOADED}.")),
            }
        });
    }

    /// An imported conversation is saved as a new one.
    pub fn imported(self) {
        self.current.set(None);
        self.save();
    }

    /// Empties the chat; the next answer starts a new saved conversation.
    pub fn start_new(self) {
        if self.idle() {
            self.current.set(None);
            self.chat.clear();
        }
    }

    /// Renames the open conversation.
    pub fn rename(self, text: &str) {
        let Some(id) = self.current.get_untracked() else {
            return;
        };
        let title = conversations::title(text);
        self.list.update(|l| {
            if let Some(e) = l.iter_mut().find(|e| e.id == id) {
                e.title = title;
            }
        });
        self.save();
    }

    /// Deletes the open conversation, and empties the chat.
    pub fn delete(self) {
        if let Some(id) = self.current.get_untracked().filter(|_| self.idle()) {
            self.list.update(|l| l.retain(|e| e.id != id));
            self.start_new();
            self.write(id, None);
        }
    }

    /// Forgets the credentials, every saved conversation (the whole database) and the layout
    /// choice, and empties the chat. Nothing more is kept until the page is loaded again.
    pub fn forget_everything(self, creds: Creds) {
        creds.forget();
        self.chat.stop();
        self.current.set(None);
        self.chat.clear();
        self.list.set(Vec::new());
        if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = s.remove_item(crate::app::SETTINGS_KEY);
        }
        // This page's connection is closed first, or the deletion would wait for it.
        if let Some(db) = self.db.try_update_value(Option::take).flatten() {
            db.close();
        }
        spawn_local(async move {
            match idb::delete_all().await {
                Ok(()) => self.status.set(
                    "Forgotten: credentials, saved conversations and the layout choice.".into(),
                ),
                Err(e) => self.failed("Saved conversations could not be deleted", &e),
            }
        });
    }
}

/// The list of saved conversations, and what can be done with them. The items, the open
/// one's title (and whether there is one) and the status are set on the DOM by one effect,
/// which also saves each finished turn; one listener per event serves every button (each
/// Leptos view, effect and handler weighs on the page).
#[component]
pub fn Conversations(saved: Saved, creds: Creds) -> impl IntoView {
    let root = NodeRef::<leptos::html::Fieldset>::new();
    let find = move |testid: &str| {
        let selector = ["[data-testid=\"", testid, "\"]"].concat();
        root.get_untracked()?.query_selector(&selector).ok()?
    };
    // Also saves after every turn that ends (answered, stopped or failed).
    Effect::new(move |was_busy: Option<bool>| {
        let busy = saved.chat.reply.busy.get();
        if was_busy == Some(true) && !busy {
            saved.save();
        }
        let current = saved.current.get();
        root.track();
        let (Some(ul), Some(title), Some(status), Some(doc)) = (
            find("conversations"),
            find("conversation-rename"),
            find("storage-status"),
            web_sys::window().and_then(|w| w.document()),
        ) else {
            return busy;
        };
        saved.status.with(|s| status.set_text_content(Some(s)));
        ul.set_text_content(None);
        let mut open = None;
        saved.list.with(|l| {
            for e in l {
                let (Ok(li), Ok(b)) = (doc.create_element("li"), doc.create_element("button"))
                else {
                    continue;
                };
                let _ = b.set_attribute("data-testid", "conversation");
                if current == Some(e.id) {
                    let _ = b.set_attribute("aria-current", "true");
                    open = Some(e.title.clone());
                }
                b.set_text_content(Some(&e.title));
                let _ = li.append_child(&b);
                let _ = ul.append_child(&li);
            }
        });
        if let (Some(group), Ok(input)) = (
            title.closest("div").ok().flatten(),
            title.dyn_into::<web_sys::HtmlInputElement>(),
        ) {
            input.set_value(open.as_deref().unwrap_or_default());
            let _ = group
                .class_list()
                .toggle_with_force("hidden", open.is_none());
        }
        busy
    });
    let click = move |ev: leptos::ev::MouseEvent| {
        let Some(button) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|t| t.closest("button").ok().flatten())
        else {
            return;
        };
        match button.get_attribute("data-testid").as_deref() {
            Some("new-conversation") => saved.start_new(),
            Some("forget-everything") => saved.forget_everything(creds),
            Some("conversation-delete") => saved.delete(),
            Some("conversation") => {
                // Its position in the list.
                let mut i = 0;
                let mut li = button.parent_element();
                while let Some(prev) = li.and_then(|l| l.previous_element_sibling()) {
                    i += 1;
                    li = Some(prev);
                }
                if let Some(id) = saved.list.with_untracked(|l| l.get(i).map(|e| e.id)) {
                    saved.open(id);
                }
            }
            _ => {}
        }
    };
    view! {
        <fieldset node_ref=root on:click=click on:change=move |ev| saved.rename(&event_target_value(&ev))>
            <legend>"Conversations"</legend>
            <ul class="conversations" data-testid="conversations" aria-label="Saved conversations"></ul>
            <div class="actions">
                <button data-testid="new-conversation">"New conversation"</button>
                <button data-testid="forget-everything">"Forget everything"</button>
            </div>
            <div class="actions hidden">
                <label>
                    "Title of this conversation"
                    <input data-testid="conversation-rename" />
                </label>
                <button data-testid="conversation-delete">"Delete it"</button>
            </div>
            <p class="hint" data-testid="storage-status" role="status"></p>
            <p class="hint">"Kept in this browser (IndexedDB) as Export JSON writes them, never credentials. Forget everything also forgets the credentials and the layout choice."</p>
        </fieldset>
    }
}
