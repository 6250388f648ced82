//! The bedrock-wasm playground: paste temporary credentials (or a Bedrock API key), pick a
//! model, chat with streaming answers, compare models side by side, see the code and the
//! frames behind an answer. Everything runs in the page; credentials stay in memory unless
//! the user asks this tab to remember them.
//!
//! The shape of Leptos's examples: `main.rs` mounts [`App`], the shell in `app.rs`; each
//! part of the page is a component in `components/`; the state they share is typed
//! (`form`, `creds`, `chat`, `reply`, `choices`) and one `runner` sends for Chat and Compare.
//! The `data-testid` hooks are a public contract (tests outside this repository drive them):
//! never rename one. README.md lists them all.
//!
//! The page itself (the app, its components, what sends requests) only builds for wasm32.
//! The rest also builds natively, so its unit tests run with
//! `cargo test -p bedrock-wasm-playground --lib`; the components are tested mounted, in
//! Chromium (`tests/components.rs`).
// Natively nothing calls the pure modules but their tests.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

#[cfg(target_arch = "wasm32")]
mod app;
pub mod attachment;
pub mod body;
pub mod catalog;
#[cfg(target_arch = "wasm32")]
pub mod chat;
pub mod choices;
pub mod clients;
mod codegen;
#[cfg(target_arch = "wasm32")]
pub mod components;
pub mod conversations;
#[cfg(target_arch = "wasm32")]
pub mod creds;
pub mod decimal;
pub mod export;
pub mod failure;
#[cfg(target_arch = "wasm32")]
pub mod fatal;
mod figures;
pub mod form;
pub mod host;
#[cfg(target_arch = "wasm32")]
mod idb;
pub mod json;
#[cfg(target_arch = "wasm32")]
pub mod lazy;
pub mod markdown;
#[cfg(target_arch = "wasm32")]
pub mod reply;
#[cfg(target_arch = "wasm32")]
pub mod runner;
pub mod schema;
pub mod voice;

#[cfg(target_arch = "wasm32")]
pub use app::App;
