//! The Bedrock Runtime model: endpoints, operations, errors, stream events and model families
//! (`family`: what each family's native JSON means, in both directions).
//!
//! Everything here is pure: it builds requests as data and interprets bytes, so it runs and is
//! tested natively. `transport` sends what this module builds.

pub mod async_invoke;
pub mod bidi;
pub mod cognito;
pub mod converse;
mod converse_stream;
pub mod count_tokens;
mod error;
pub mod family;
pub mod guardrail;
mod invoke_headers;
pub(crate) mod json;
pub mod media;
pub mod message;
mod output;
mod request;
pub mod retry;
pub mod sonic;
mod stream;

pub use converse_stream::{
    BlockDelta, BlockStart, ConverseEvent, ConverseStreamEvent, CONVERSE_EVENT_TYPES,
};
pub use error::{Error, ErrorKind, ServiceError, ServiceErrorKind, StreamException};
pub use family::{
    invoke_body, ChatInferenceConfig, ChatInput, ModelFamily, OutputReader, PathStep,
    SamplingDefaults, TextChunk,
};
pub use invoke_headers::InvokeHeaders;
pub use output::{InvocationMetrics, Output, TextDelta, ToolUse, Usage};
pub use request::{
    encode_model_id, ConverseInput, Endpoint, HttpRequest, InvokeModelInput, Operation, Target,
};
pub use stream::{ResponseStreamDecoder, StreamEvent};
