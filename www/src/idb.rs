//! IndexedDB, just enough for saved conversations: the database `bedrock-wasm`, its object
//! store `conversations` (keyed by the record's id, with an index on `updated`). Each call is
//! one short transaction; a request or transaction becomes a promise by handing it the
//! promise's own `resolve`/`reject` as event handlers (no closures to keep alive but the one
//! that creates the store).
//! What is stored is decided in `conversations.rs`; this file only moves records.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbCursorDirection, IdbCursorWithValue, IdbDatabase, IdbObjectStore, IdbRequest,
    IdbTransaction, IdbTransactionMode,
};

const DB: &str = "bedrock-wasm";
const STORE: &str = "conversations";
const UPDATED: &str = "updated";

/// Waits for `target`'s first event among `ok` (then resolves with it) and `err` (then
/// fails with the target's `error`, e.g. a `QuotaExceededError`, when it has one). The
/// handlers are set by name: one import for every event.
async fn settled(target: &JsValue, ok: &[&str], err: &[&str]) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        for (names, f) in [(ok, &resolve), (err, &reject)] {
            for name in names {
                let _ = Reflect::set(target, &JsValue::from_str(name), f);
            }
        }
    });
    JsFuture::from(promise).await.map_err(|e| {
        Reflect::get(target, &"error".into())
            .ok()
            .filter(JsValue::is_object)
            .unwrap_or(e)
    })
}

/// A request's result.
async fn request(r: IdbRequest) -> Result<JsValue, JsValue> {
    settled(&r, &["onsuccess"], &["onerror"]).await?;
    r.result()
}

/// Waits until `tx` is committed.
async fn committed(tx: IdbTransaction) -> Result<(), JsValue> {
    settled(&tx, &["oncomplete"], &["onerror", "onabort"])
        .await
        .map(drop)
}

/// Opens (creating on first use) the database; fails where there is none (`indexedDB`
/// undefined or refusing, as some private modes do).
pub async fn open() -> Result<IdbDatabase, JsValue> {
    let factory = web_sys::window()
        .ok_or(JsValue::NULL)?
        .indexed_db()?
        .ok_or(JsValue::NULL)?;
    let r = factory.open_with_u32(DB, 1)?;
    let req = r.clone();
    // Runs inside the upgrade event (the only time a store can be created).
    let upgrade = Closure::once_into_js(move || {
        if let Ok(db) = req.result() {
            if let Ok(store) = db
                .unchecked_into::<IdbDatabase>()
                .create_object_store(STORE)
            {
                let _ = store.create_index_with_str(UPDATED, UPDATED);
            }
        }
    });
    Reflect::set(&r, &"onupgradeneeded".into(), &upgrade)?;
    let db: IdbDatabase = request(r.into()).await?.unchecked_into();
    // Another tab deleting the database (Forget everything) must not wait for this one.
    let close: Function = Reflect::get(&db, &"close".into())?.unchecked_into();
    Reflect::set(&db, &"onversionchange".into(), &close.bind0(&db))?;
    Ok(db)
}

fn store(
    db: &IdbDatabase,
    mode: IdbTransactionMode,
) -> Result<(IdbTransaction, IdbObjectStore), JsValue> {
    let tx = db.transaction_with_str_and_mode(STORE, mode)?;
    let store = tx.object_store(STORE)?;
    Ok((tx, store))
}

/// Up to `limit` records, the most recently updated first, each passed to `each`.
pub async fn newest(
    db: &IdbDatabase,
    limit: u32,
    mut each: impl FnMut(JsValue),
) -> Result<(), JsValue> {
    let (_tx, store) = store(db, IdbTransactionMode::Readonly)?;
    let r = store
        .index(UPDATED)?
        .open_cursor_with_range_and_direction(&JsValue::NULL, IdbCursorDirection::Prev)?;
    for _ in 0..limit {
        // The cursor moves on from the continuation of its success event (a microtask), while
        // the transaction is still active.
        let Ok(cursor) = request(r.clone()).await?.dyn_into::<IdbCursorWithValue>() else {
            break;
        };
        each(cursor.value()?);
        cursor.continue_()?;
    }
    Ok(())
}

/// The record with key `id`, if any.
pub async fn get(db: &IdbDatabase, id: f64) -> Result<JsValue, JsValue> {
    let (_tx, store) = store(db, IdbTransactionMode::Readonly)?;
    request(store.get(&id.into())?).await
}

/// Writes `record` under key `id` (`None`: deletes it); waits until it is committed.
pub async fn write(db: &IdbDatabase, id: f64, record: Option<&JsValue>) -> Result<(), JsValue> {
    let (tx, store) = store(db, IdbTransactionMode::Readwrite)?;
    let key = JsValue::from(id);
    match record {
        Some(r) => store.put_with_key(r, &key)?,
        None => store.delete(&key)?,
    };
    committed(tx).await
}

/// Deletes the whole database (close this page's connection first). Other tabs close theirs
/// when asked (see [`open`]); a tab that does not only delays it.
pub async fn delete_all() -> Result<(), JsValue> {
    let factory = web_sys::window()
        .ok_or(JsValue::NULL)?
        .indexed_db()?
        .ok_or(JsValue::NULL)?;
    let r = factory.delete_database(DB)?;
    settled(&r, &["onsuccess", "onblocked"], &["onerror"])
        .await
        .map(drop)
}
