//! Credentials: memory by default; `sessionStorage` (this tab only) when the user opts in;
//! never `localStorage`, never a URL, never logged.

use leptos::prelude::*;
use serde_json::{json, Value};

/// The `sessionStorage` key used when "remember in this tab" is on.
pub const STORAGE_KEY: &str = "bedrock-wasm-playground.credentials";

/// The credential fields and how they are kept.
#[derive(Clone, Copy)]
pub struct Creds {
    pub access_key_id: RwSignal<String>,
    pub secret_access_key: RwSignal<String>,
    pub session_token: RwSignal<String>,
    /// `sigv4` or `api-key`.
    pub mode: RwSignal<String>,
    pub api_key: RwSignal<String>,
    /// Expiry (ms since the epoch), when known.
    pub expiration: RwSignal<Option<f64>>,
    pub remember: RwSignal<bool>,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

impl Creds {
    pub fn new() -> Self {
        let c = Self {
            access_key_id: RwSignal::new(String::new()),
            secret_access_key: RwSignal::new(String::new()),
            session_token: RwSignal::new(String::new()),
            mode: RwSignal::new("sigv4".into()),
            api_key: RwSignal::new(String::new()),
            expiration: RwSignal::new(None),
            remember: RwSignal::new(false),
        };
        if let Some(saved) = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) {
            if let Ok(v) = serde_json::from_str::<Value>(&saved) {
                c.apply(&v);
                if let Some(mode) = v["mode"].as_str() {
                    c.mode.set(mode.into());
                }
                c.remember.set(true);
            }
        }
        // Keeps sessionStorage in step with the fields while "remember" is on, and empty
        // when it is off.
        Effect::new(move || {
            let Some(s) = storage() else { return };
            if c.remember.get() {
                let v = json!({
                    "accessKeyId": c.access_key_id.get(),
                    "secretAccessKey": c.secret_access_key.get(),
                    "sessionToken": c.session_token.get(),
                    "apiKey": c.api_key.get(),
                    "mode": c.mode.get(),
                    "expiration": c.expiration.get(),
                });
                let _ = s.set_item(STORAGE_KEY, &v.to_string());
            } else {
                let _ = s.remove_item(STORAGE_KEY);
            }
        });
        c
    }

    /// Fills fields from JSON in the shapes the AWS tools print: `aws configure
    /// export-credentials` (`AccessKeyId`, …, `Expiration`), `aws sts get-session-token`
    /// (the same inside `Credentials`), or our own camelCase (demo.json, sessionStorage).
    /// Returns whether anything was found.
    pub fn apply(&self, v: &Value) -> bool {
        let v = v.get("Credentials").unwrap_or(v);
        let get = |a: &str, b: &str| v.get(a).or(v.get(b)).and_then(Value::as_str);
        let mut found = false;
        for (signal, a, b) in [
            (self.access_key_id, "AccessKeyId", "accessKeyId"),
            (self.secret_access_key, "SecretAccessKey", "secretAccessKey"),
            (self.session_token, "SessionToken", "sessionToken"),
            (self.api_key, "ApiKey", "apiKey"),
        ] {
            if let Some(s) = get(a, b) {
                signal.set(s.to_owned());
                found = true;
            }
        }
        let exp = v.get("Expiration").or(v.get("expiration"));
        if let Some(ms) = exp.and_then(|e| match e {
            Value::String(s) => Some(js_sys::Date::parse(s)).filter(|t| t.is_finite()),
            Value::Number(n) => n.as_f64(),
            _ => None,
        }) {
            self.expiration.set(Some(ms));
        }
        found
    }

    /// Pasted text: JSON (see [`apply`](Self::apply)) or `export AWS_ACCESS_KEY_ID=…` lines
    /// (`aws configure export-credentials --format env`).
    pub fn paste(&self, text: &str) -> bool {
        if let Ok(v) = serde_json::from_str::<Value>(text) {
            return self.apply(&v);
        }
        let mut v = serde_json::Map::new();
        for line in text.lines() {
            let line = line.trim().trim_start_matches("export ");
            let Some((k, val)) = line.split_once('=') else {
                continue;
            };
            let key = match k.trim() {
                "AWS_ACCESS_KEY_ID" => "AccessKeyId",
                "AWS_SECRET_ACCESS_KEY" => "SecretAccessKey",
                "AWS_SESSION_TOKEN" => "SessionToken",
                "AWS_CREDENTIAL_EXPIRATION" => "Expiration",
                "AWS_BEARER_TOKEN_BEDROCK" => "ApiKey",
                _ => continue,
            };
            v.insert(key.into(), val.trim().trim_matches('"').into());
        }
        self.apply(&Value::Object(v))
    }

    /// Forget: clears every field and the tab's storage.
    pub fn forget(&self) {
        for s in [
            self.access_key_id,
            self.secret_access_key,
            self.session_token,
            self.api_key,
        ] {
            s.set(String::new());
        }
        self.expiration.set(None);
        self.remember.set(false);
        if let Some(s) = storage() {
            let _ = s.remove_item(STORAGE_KEY);
        }
    }

    /// "expires in 42 min (14:05)", "expired 3 min ago", or empty when unknown.
    pub fn expiry_text(&self) -> String {
        let Some(at) = self.expiration.get() else {
            return String::new();
        };
        let mins = ((at - js_sys::Date::now()) / 60_000.0).round();
        let when = js_sys::Date::new(&at.into())
            .to_locale_time_string("en-GB")
            .as_string()
            .unwrap_or_default();
        if mins >= 0.0 {
            format!("Credentials expire in {mins} min (at {when}).")
        } else {
            format!(
                "Credentials expired {} min ago (at {when}); get new ones.",
                -mins
            )
        }
    }
}
