//! Why a request did not give an answer, in plain words. This is the one place that looks
//! inside the library's error type: everything else holds a [`Failure`].

use std::fmt;

use bedrock_wasm::bedrock::{Error, ErrorKind};

use crate::form::FormError;

/// How a request (or the sign-in before it) ended without an answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// Stopped by the user (Stop, Esc, Cancel sign-in): not an error.
    Stopped,
    /// The form cannot make the request.
    Form(FormError),
    /// The library or the service refused: its message, and what the page adds to it (the
    /// retries made, the fix, the request id), one line each.
    Request { message: String, detail: String },
}

impl Failure {
    /// The first line: the error itself, without what the page adds.
    pub fn message(&self) -> String {
        match self {
            Self::Stopped => "Stopped.".into(),
            Self::Form(e) => e.to_string(),
            Self::Request { message, .. } => message.clone(),
        }
    }
}

impl From<FormError> for Failure {
    fn from(e: FormError) -> Self {
        Self::Form(e)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let mut detail = String::new();
        match e.kind() {
            ErrorKind::Aborted => return Self::Stopped,
            ErrorKind::Service(se) => {
                if se.attempts > 1 {
                    detail += &format!(
                        "\nTried {} times ({:.1} s of backoff) before giving up.",
                        se.attempts,
                        se.total_retry_delay_ms as f64 / 1000.0
                    );
                }
                if se.is_clock_skew() {
                    detail += "\nThe clock was corrected from the service's time and the request re-signed once; it still failed.";
                }
                if let Some(id) = &se.request_id {
                    detail += &format!("\nRequest id: {id}");
                }
            }
            ErrorKind::StreamException(_) | ErrorKind::Decode(_) => {
                detail += "\nThe text received so far is kept; press Retry to ask again.";
            }
            _ => {}
        }
        Self::Request {
            message: e.to_string(),
            detail,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Request { message, detail } => write!(f, "{message}{detail}"),
            other => f.write_str(&other.message()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_abort_is_a_stop_not_an_error() {
        assert_eq!(Failure::from(Error::aborted()), Failure::Stopped);
    }

    #[test]
    fn a_form_error_reads_as_what_to_fix() {
        let f = Failure::from(FormError::NoPrompt);
        assert_eq!(f.to_string(), "Type a prompt first.");
    }

    #[test]
    fn other_errors_keep_the_library_message_first() {
        let e = Error::input("region must look like us-east-1");
        let f = Failure::from(e.clone());
        assert_eq!(f.message(), e.to_string());
        assert_eq!(f.to_string(), e.to_string());
    }
}
