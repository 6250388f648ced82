//! bedrock-wasm: Amazon Bedrock Runtime from a web page.
//!
//! Data flows one way: bytes → [`eventstream`] frames → [`bedrock`] events → text.
//! [`eventstream`] is the `bedrock-eventstream` crate (`eventstream/`): its own crate only so
//! that the npm package can optimise it for speed and everything else for size (Cargo.toml).
//! The core ([`eventstream`], [`sign`], [`bedrock`]) is pure Rust and runs natively;
//! `transport` (fetch, ReadableStream, AbortSignal) is the only code that touches the browser
//! and `js` holds every `#[wasm_bindgen]` export of the npm package.

/// Talc instead of the standard library's dlmalloc in wasm: 2.9 KB gzip smaller in the package,
/// decode speed unchanged (issue 15's A/B against the SDK's decode path).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub mod bedrock;
pub use bedrock_eventstream as eventstream;
pub mod sign;
pub mod time;

#[cfg(target_arch = "wasm32")]
pub mod transport;

#[cfg(all(target_arch = "wasm32", any(feature = "js", feature = "voice")))]
pub mod js;
