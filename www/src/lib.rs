//! The bedrock-wasm playground: paste temporary credentials (or a Bedrock API key), pick a
//! model, chat with streaming answers, compare models side by side, see the code and the
//! frames behind an answer. Everything runs in the page; credentials stay in memory unless
//! the user asks this tab to remember them.
//!
//! The `data-testid` hooks are a public contract (tests outside this repository drive them):
//! never rename one. README.md lists them all.
//!
//! The page itself (`app`, and what sends requests) only builds for wasm32. The rest also
//! builds natively, so its unit tests run with `cargo test -p bedrock-wasm-playground --lib`.
// Natively nothing calls the pure modules but their tests.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

#[cfg(target_arch = "wasm32")]
mod app;
mod body;
mod catalog;
mod clock;
mod codegen;
#[cfg(target_arch = "wasm32")]
mod creds;
#[cfg(target_arch = "wasm32")]
pub mod fatal;
mod markdown;
#[cfg(target_arch = "wasm32")]
mod run;

#[cfg(target_arch = "wasm32")]
pub use app::App;
