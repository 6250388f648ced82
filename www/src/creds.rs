//! Credentials: memory by default; `sessionStorage` (this tab only) when the user opts in;
//! never `localStorage`, never a URL, never logged. Credentials from a Cognito identity
//! pool are kept in memory only, always (they are renewed from the pool when needed).

use std::collections::BTreeMap;

use bedrock_wasm::bedrock::cognito::{CognitoConfig, TemporaryCredentials};
use bedrock_wasm::sign::{ApiKey, Auth, Credentials};
use leptos::prelude::*;
use serde_json::{json, Value};
use web_sys::AbortController;

use crate::choices::{AuthMode, Options};
use crate::failure::Failure;
use crate::form::FormError;
use crate::lazy::{split, SplitLoaderError};

/// A sign-in under way (see [`cognito_sign_in`]).
type SignIn =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<TemporaryCredentials, Failure>>>>;

split! {
    cognito,
    load_cognito,
    /// The identity-pool sign-in (the Cognito and STS requests, their signing and parsing): a
    /// chunk of its own, loaded on the first sign-in (src/lazy.rs).
    /// The provider's config is built here too (its logins map is code of its own).
    fn cognito_sign_in(
        fields: SignInFields,
        signal: web_sys::AbortSignal,
    ) -> Result<SignIn, SplitLoaderError> {
        Ok(Box::pin(async move {
            let SignInFields {
                pool,
                role,
                provider,
                token,
                identity_id,
                custom,
            } = fields;
            let mut logins = BTreeMap::new();
            if !provider.is_empty() {
                logins.insert(provider, token.trim().to_owned());
            }
            let config = CognitoConfig {
                identity_pool_id: pool,
                logins,
                identity_id,
                classic_flow: !role.is_empty(),
                role_arn: Some(role).filter(|r| !r.is_empty()),
                cognito_endpoint: custom.clone(),
                sts_endpoint: custom,
                ..Default::default()
            };
            bedrock_wasm::transport::cognito_credentials(&config, Some(&signal))
                .await
                .map_err(Failure::from)
        }))
    }
}

/// What a sign-in is made from: the form's pool, role and login, the identity kept from the
/// last sign-in, and the custom endpoint (Cognito's and STS's when set).
struct SignInFields {
    pool: String,
    role: String,
    provider: String,
    token: String,
    identity_id: Option<String>,
    custom: Option<String>,
}

/// The `sessionStorage` key used when "remember in this tab" is on.
pub const STORAGE_KEY: &str = "bedrock-wasm-playground.credentials";

/// The credential fields and how they are kept.
#[derive(Clone, Copy)]
pub struct Creds {
    pub access_key_id: RwSignal<String>,
    pub secret_access_key: RwSignal<String>,
    pub session_token: RwSignal<String>,
    pub mode: RwSignal<AuthMode>,
    pub api_key: RwSignal<String>,
    /// Expiry (ms since the epoch), when known.
    pub expiration: RwSignal<Option<f64>>,
    pub remember: RwSignal<bool>,
    /// Cognito: the identity pool (its id names its region), the role for the classic flow
    /// (empty: enhanced flow), and an optional login (provider name and ID token).
    pub pool_id: RwSignal<String>,
    pub role_arn: RwSignal<String>,
    pub login_provider: RwSignal<String>,
    pub login_token: RwSignal<String>,
    /// The pool's current credentials (with the pool id they came from). Memory only.
    cognito: StoredValue<Option<(String, TemporaryCredentials)>>,
    pub cognito_expiration: RwSignal<Option<f64>>,
    /// The signed-in identity, or why signing in failed.
    pub cognito_status: RwSignal<String>,
    pub cognito_busy: RwSignal<bool>,
    /// Aborts the sign-in under way (every concurrent one: Get credentials and a Send's
    /// renewal share it), and how many are under way.
    cognito_abort: StoredValue<Option<AbortController>, LocalStorage>,
    cognito_running: StoredValue<u32>,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

impl Default for Creds {
    fn default() -> Self {
        Self::new()
    }
}

impl Creds {
    pub fn new() -> Self {
        let c = Self {
            access_key_id: RwSignal::new(String::new()),
            secret_access_key: RwSignal::new(String::new()),
            session_token: RwSignal::new(String::new()),
            mode: RwSignal::new(AuthMode::SigV4),
            api_key: RwSignal::new(String::new()),
            expiration: RwSignal::new(None),
            remember: RwSignal::new(false),
            pool_id: RwSignal::new(String::new()),
            role_arn: RwSignal::new(String::new()),
            login_provider: RwSignal::new(String::new()),
            login_token: RwSignal::new(String::new()),
            cognito: StoredValue::new(None),
            cognito_expiration: RwSignal::new(None),
            cognito_status: RwSignal::new(String::new()),
            cognito_busy: RwSignal::new(false),
            cognito_abort: StoredValue::new_local(None),
            cognito_running: StoredValue::new(0),
        };
        if let Some(saved) = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) {
            if let Ok(v) = crate::json::parse::<Value>(&saved) {
                c.apply(&v);
                if let Some(mode) = v["mode"].as_str().and_then(AuthMode::parse) {
                    c.mode.set(mode);
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
                    "mode": c.mode.get().value(),
                    "expiration": c.expiration.get(),
                    // Where to sign in, never the login token or the pool's credentials.
                    "identityPoolId": c.pool_id.get(),
                    "roleArn": c.role_arn.get(),
                    "loginProvider": c.login_provider.get(),
                });
                let _ = s.set_item(STORAGE_KEY, &crate::json::text(&v));
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
            (self.pool_id, "IdentityPoolId", "identityPoolId"),
            (self.role_arn, "RoleArn", "roleArn"),
            (self.login_provider, "LoginProvider", "loginProvider"),
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
        if let Ok(v) = crate::json::parse::<Value>(text) {
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
            self.pool_id,
            self.role_arn,
            self.login_provider,
            self.login_token,
            self.cognito_status,
        ] {
            s.set(String::new());
        }
        self.cognito.set_value(None);
        self.cognito_expiration.set(None);
        self.expiration.set(None);
        self.remember.set(false);
        if let Some(s) = storage() {
            let _ = s.remove_item(STORAGE_KEY);
        }
    }

    /// "expires in 42 min (14:05)", "expired 3 min ago", or empty when unknown.
    pub fn expiry_text(&self) -> String {
        let at = if self.mode.get() == AuthMode::Cognito {
            self.cognito_expiration.get()
        } else {
            self.expiration.get()
        };
        let Some(at) = at else {
            return String::new();
        };
        let mins = ((at - js_sys::Date::now()) / 60_000.0).round();
        let when = js_sys::Date::new(&at.into())
            .to_locale_time_string("en-GB")
            .as_string()
            .unwrap_or_default();
        if mins >= 0.0 {
            let mins = crate::decimal::whole(mins);
            format!("Credentials expire in {mins} min (at {when}).")
        } else {
            format!(
                "Credentials expired {} min ago (at {when}); get new ones.",
                crate::decimal::whole(-mins)
            )
        }
    }
}

impl Creds {
    /// The pool's credentials if they are good for a while yet (no request).
    pub fn cognito_current(&self) -> Option<Credentials> {
        let pool = self.pool_id.get_untracked();
        let now = js_sys::Date::now();
        self.cognito.with_value(|c| {
            c.as_ref()
                .filter(|(p, t)| {
                    *p == pool.trim()
                        && t.expiration_ms
                            .is_none_or(|e| !bedrock_wasm::sign::credentials_expiring(e, now))
                })
                .map(|(_, t)| t.credentials.clone())
        })
    }

    /// In Cognito mode, makes sure there are credentials good for a while: signs in to the
    /// pool when there are none, they are about to expire or the pool changed. Other modes:
    /// nothing to do.
    pub async fn ready(&self, endpoint: &str) -> Result<(), Failure> {
        if self.mode.get_untracked() != AuthMode::Cognito || self.cognito_current().is_some() {
            return Ok(());
        }
        self.sign_in(endpoint).await
    }

    /// Cancels the sign-in under way, if any: its requests are aborted (the connections
    /// close) and it ends with a "cancelled" status, leaving the form as it was.
    pub fn cancel_sign_in(&self) {
        // Taken, so a sign-in started from now on gets a fresh controller.
        if let Some(c) = self.cognito_abort.try_update_value(Option::take).flatten() {
            c.abort();
        }
    }

    /// Gets credentials from the identity pool with the library's provider: the Cognito (and
    /// STS) endpoint is the custom endpoint when one is set (the emulator answers both),
    /// otherwise AWS's `cognito-identity.<pool region>.amazonaws.com` / `sts.<…>`.
    pub async fn sign_in(&self, endpoint: &str) -> Result<(), Failure> {
        let pool = self.pool_id.get_untracked().trim().to_owned();
        let role = self.role_arn.get_untracked().trim().to_owned();
        let provider = self.login_provider.get_untracked().trim().to_owned();
        let token = self.login_token.get_untracked();
        let custom = Some(endpoint.trim().to_owned()).filter(|e| !e.is_empty());
        // The same identity is kept across renewals, as AWS's SDKs do.
        let identity_id = self.cognito.with_value(|c| {
            c.as_ref()
                .filter(|(p, _)| *p == pool)
                .map(|(_, t)| t.identity_id.clone())
        });
        let fields = SignInFields {
            pool: pool.clone(),
            role,
            provider,
            token,
            identity_id,
            custom,
        };
        let controller = self
            .cognito_abort
            .with_value(Clone::clone)
            .unwrap_or_else(|| {
                let c = AbortController::new().expect("AbortController is available");
                self.cognito_abort.set_value(Some(c.clone()));
                c
            });
        self.cognito_running.update_value(|n| *n += 1);
        self.cognito_busy.set(true);
        let signal = controller.signal();
        let result = match cognito_sign_in(fields, signal).await {
            Ok(sign_in) => sign_in.await,
            Err(_) => Err(Failure::Request {
                message: "the sign-in's file did not arrive (offline, or the site was updated)"
                    .into(),
                detail: String::new(),
            }),
        };
        self.cognito_running.update_value(|n| *n -= 1);
        if self.cognito_running.get_value() == 0 {
            self.cognito_busy.set(false);
            self.cognito_abort.set_value(None);
        }
        match result {
            Err(Failure::Stopped) => {
                // Whatever was signed in before stays (it is still checked for expiry).
                self.cognito_status.set(
                    "Sign-in cancelled: no credentials were fetched. Press Get credentials (or Send) to try again."
                        .into(),
                );
                Err(Failure::Stopped)
            }
            Ok(t) => {
                self.cognito_expiration.set(t.expiration_ms);
                self.cognito_status
                    .set(format!("Signed in as identity {}.", t.identity_id));
                self.cognito.set_value(Some((pool, t)));
                Ok(())
            }
            Err(e) => {
                self.cognito.set_value(None);
                self.cognito_expiration.set(None);
                self.cognito_status.set(format!(
                    "Could not get credentials from the identity pool: {}",
                    e.message()
                ));
                Err(e)
            }
        }
    }

    /// How the next request is authorized, from the fields of the current mode. In Cognito
    /// mode [`ready`](Self::ready) runs first, so this only fails when signing in did.
    pub fn auth(&self) -> Result<Auth, FormError> {
        match self.mode.get_untracked() {
            AuthMode::ApiKey => {
                let key = ApiKey::new(self.api_key.get_untracked());
                if key.expose().is_empty() {
                    return Err(FormError::NoApiKey);
                }
                Ok(Auth::Bearer(key))
            }
            AuthMode::Cognito => self
                .cognito_current()
                .map(Auth::SigV4)
                .ok_or(FormError::NotSignedIn),
            AuthMode::SigV4 => {
                let credentials = Credentials::new(
                    self.access_key_id.get_untracked(),
                    self.secret_access_key.get_untracked(),
                    Some(self.session_token.get_untracked()),
                );
                if credentials.access_key_id.is_empty() || credentials.secret_access_key.is_empty()
                {
                    return Err(FormError::NoAccessKeys);
                }
                Ok(Auth::SigV4(credentials))
            }
        }
    }
}
