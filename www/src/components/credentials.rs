//! Credentials: access keys, a Bedrock API key or a Cognito identity pool; pasting what the
//! AWS tools print; remembering in this tab or forgetting.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::fields::{Choice, Field};
use crate::choices::AuthMode;
use crate::creds::Creds;

/// The credentials fieldset. `endpoint` is where Cognito requests go when it is set.
#[component]
pub fn CredentialsFields(creds: Creds, endpoint: RwSignal<String>) -> impl IntoView {
    let paste = RwSignal::new(String::new());
    let shown = move |mode| move || creds.mode.get() != mode;
    let on_paste = move |ev| {
        let text = event_target_value(&ev);
        if creds.paste(&text) {
            // Show (and sign with) what was pasted, whatever the mode was.
            if !creds.api_key.get_untracked().is_empty()
                && creds.access_key_id.get_untracked().is_empty()
            {
                creds.mode.set(AuthMode::ApiKey);
            } else if !creds.access_key_id.get_untracked().is_empty() {
                creds.mode.set(AuthMode::SigV4);
            }
            paste.set(String::new());
        } else {
            paste.set(text);
        }
    };
    let sign_in = move |_| {
        spawn_local(async move {
            // The outcome shows in the status line.
            let _ = creds.sign_in(&endpoint.get_untracked()).await;
        })
    };
    view! {
        <fieldset>
            <legend>"Credentials"</legend>
            <Choice label="Sign in with" testid="auth-mode" value=creds.mode />
            <div class="grid" class:hidden=shown(AuthMode::SigV4)>
                <Field label="Access key id" testid="access-key-id" value=creds.access_key_id />
                <Field label="Secret access key" testid="secret-access-key" value=creds.secret_access_key kind="password" />
                <Field label="Session token" testid="session-token" value=creds.session_token kind="password" />
            </div>
            <div class:hidden=shown(AuthMode::ApiKey)>
                <Field label="Bedrock API key" testid="api-key" value=creds.api_key kind="password" />
            </div>
            <div class:hidden=shown(AuthMode::Cognito)>
                <Field label="Identity pool id (its region is the part before the colon)" testid="cognito-pool-id" value=creds.pool_id placeholder="us-east-1:00000000-0000-0000-0000-000000000000" />
                <Field label="Role ARN (classic flow, needed for guest access to Bedrock; empty = enhanced flow)" testid="cognito-role-arn" value=creds.role_arn placeholder="arn:aws:iam::123456789012:role/BedrockGuest" />
                <div class="grid">
                    <Field label="Login provider (optional)" testid="cognito-login-provider" value=creds.login_provider placeholder="cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCd" />
                    <Field label="Login ID token" testid="cognito-login-token" value=creds.login_token kind="password" />
                </div>
                <div class="actions">
                    <button data-testid="cognito-get" disabled=move || creds.cognito_busy.get() on:click=sign_in>
                        "Get credentials"
                    </button>
                    <button data-testid="cognito-cancel" class:hidden=move || !creds.cognito_busy.get()
                        on:click=move |_| creds.cancel_sign_in()>
                        "Cancel sign-in"
                    </button>
                    <span class="hint" class:hidden=move || !creds.cognito_busy.get()>"Signing in to the identity pool…"</span>
                </div>
                <p class="hint" data-testid="cognito-status" role="status">{move || creds.cognito_status.get()}</p>
                <p class="hint">"Requests to the custom endpoint when one is set, else to cognito-identity (and sts) in the pool's region. Renewed before they expire; kept in memory only."</p>
            </div>
            <label>
                "Paste credentials (JSON from aws configure export-credentials / sts, or export lines)"
                <textarea data-testid="credentials-paste" class="short" spellcheck="false"
                    prop:value=move || paste.get() on:input=on_paste></textarea>
            </label>
            <p class="hint" data-testid="credentials-expiry">{move || creds.expiry_text()}</p>
            <label class="check">
                <input type="checkbox" data-testid="remember" prop:checked=move || creds.remember.get()
                    on:change=move |ev| creds.remember.set(event_target_checked(&ev)) />
                "Remember in this tab (sessionStorage; cleared when the tab closes)"
            </label>
            <button data-testid="forget" on:click=move |_| creds.forget()>"Forget credentials"</button>
            <p class="hint">"Kept in this page's memory only unless you tick the box; sent nowhere but inside the request signature."</p>
        </fieldset>
    }
}
