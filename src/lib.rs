//! bedrock-wasm: Amazon Bedrock Runtime from a web page.
//!
//! Data flows one way: bytes → [`eventstream`] frames → [`bedrock`] events → text.
//! [`eventstream`] is the `bedrock-eventstream` crate (`eventstream/`): its own crate only so
//! that the npm package can optimise it for speed and everything else for size (Cargo.toml).
//! The core ([`eventstream`], [`sign`], [`bedrock`]) is pure Rust and runs natively;
//! `transport` (fetch, ReadableStream, AbortSignal) is the only code that touches the browser
//! and `js` holds every `#[wasm_bindgen]` export of the npm package.

pub mod bedrock;
pub use bedrock_eventstream as eventstream;
pub mod sign;
pub mod time;

#[cfg(target_arch = "wasm32")]
pub mod transport;

#[cfg(all(target_arch = "wasm32", feature = "js"))]
pub mod js;
