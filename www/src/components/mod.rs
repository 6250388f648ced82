//! The page's parts, one file each. Every `data-testid` here is a public contract (tests
//! outside this repository drive them): never rename one. README.md lists them all.

pub mod answer;
pub mod attachments;
pub mod body_editor;
pub mod code_view;
pub mod compare;
pub mod conversation_file;
pub mod conversations;
pub mod credentials;
pub mod endpoint;
pub mod fields;
pub mod inspector;
pub mod meter;
pub mod model;
pub mod parameters;
pub mod prompt;
pub mod tool_calls;
pub mod transcript;
pub mod voice;
