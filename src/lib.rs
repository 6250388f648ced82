//! bedrock-wasm: Amazon Bedrock Runtime from a web page.
//!
//! Data flows one way: bytes → [`eventstream`] frames → [`bedrock`] events → text.
//! The core ([`eventstream`], [`sign`], [`bedrock`]) is pure Rust and runs natively;
//! `transport` (fetch, ReadableStream, AbortSignal) is the only code that touches the browser
//! and `js` holds every `#[wasm_bindgen]` export of the npm package.

pub mod bedrock;
pub mod eventstream;
pub mod sign;
pub mod time;

#[cfg(target_arch = "wasm32")]
pub mod transport;

#[cfg(all(target_arch = "wasm32", feature = "js"))]
pub mod js;
