//! The Bedrock Runtime model: endpoints, operations, errors, stream events and per-family text.
//!
//! Everything here is pure: it builds requests as data and interprets bytes, so it runs and is
//! tested natively. `transport` sends what this module builds.

mod error;
mod family;
mod request;
mod stream;

pub use error::{Error, ServiceError, StreamException};
pub use family::{InvocationMetrics, TextChunk};
pub use request::{encode_model_id, Endpoint, HttpRequest, InvokeModelInput, Operation};
pub use stream::{ResponseStreamDecoder, StreamEvent};
