//! Clock offsets, one per endpoint. A client learns how far this computer's clock is from the
//! service's (from a clock-skew error's `Date`) and signs with the correction; that offset is
//! the endpoint's, so it is kept under the endpoint's base URL and signing region and never
//! applied to another one (the emulator's skew must not sign a request to AWS).

use std::collections::HashMap;

use bedrock_wasm::bedrock::Endpoint;

/// The endpoint a request goes to, as the client resolves it: the base URL (AWS's regional
/// one when the field is empty) and the signing region. `None` when they are invalid (then no
/// request is sent either).
pub fn key(endpoint: &str, region: &str) -> Option<String> {
    let e = Endpoint::from_parts(Some(endpoint), region).ok()?;
    Some(format!("{} {}", e.base(), e.region()))
}

/// The offsets learned so far, in ms, by endpoint key.
#[derive(Debug, Default)]
pub struct Offsets(HashMap<String, f64>);

impl Offsets {
    /// The offset to sign with for `key` (0 for an endpoint never heard from).
    pub fn get(&self, key: Option<&str>) -> f64 {
        key.and_then(|k| self.0.get(k)).copied().unwrap_or(0.0)
    }

    /// Keeps what a client to `key` ended with.
    pub fn learn(&mut self, key: Option<String>, offset_ms: f64) {
        if let Some(k) = key {
            self.0.insert(k, offset_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMULATOR: &str = "http://127.0.0.1:4010";

    #[test]
    fn each_endpoint_and_region_has_its_own_key() {
        let emulator = key(EMULATOR, "us-east-1");
        let aws = key("", "us-east-1");
        assert_eq!(
            aws.as_deref(),
            Some("https://bedrock-runtime.us-east-1.amazonaws.com us-east-1")
        );
        assert_ne!(emulator, aws);
        assert_ne!(key("", "eu-west-1"), aws);
        assert_ne!(key(EMULATOR, "eu-west-1"), emulator);
        assert_ne!(key("http://localhost:4010", "us-east-1"), emulator);
        // The same endpoint however it is typed.
        assert_eq!(key(" http://127.0.0.1:4010/ ", " us-east-1"), emulator);
        assert_eq!(
            key(
                "https://bedrock-runtime.us-east-1.amazonaws.com",
                "us-east-1"
            ),
            aws
        );
        assert_eq!(key("ftp://x", "us-east-1"), None);
        assert_eq!(key("", "US EAST"), None);
    }

    #[test]
    fn an_offset_learned_from_one_endpoint_is_not_applied_to_another() {
        let mut offsets = Offsets::default();
        let emulator = key(EMULATOR, "us-east-1");
        let aws = key("", "us-east-1");
        offsets.learn(emulator.clone(), -600_000.0);
        assert_eq!(offsets.get(emulator.as_deref()), -600_000.0);
        assert_eq!(offsets.get(aws.as_deref()), 0.0);
        assert_eq!(offsets.get(None), 0.0);
        offsets.learn(aws.clone(), 1_500.0);
        assert_eq!(offsets.get(aws.as_deref()), 1_500.0);
        assert_eq!(offsets.get(emulator.as_deref()), -600_000.0);
        // A later correction replaces the endpoint's offset.
        offsets.learn(emulator.clone(), 0.0);
        assert_eq!(offsets.get(emulator.as_deref()), 0.0);
        offsets.learn(None, 42.0);
        assert_eq!(offsets.get(None), 0.0);
    }
}
