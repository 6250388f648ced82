//! One [`Client`] per endpoint, kept for the page's lifetime. A client learns how far this
//! computer's clock is from the service's (from a clock-skew error's `Date`) and signs with
//! the correction; keeping the client keeps what it learned. The offset belongs to the
//! endpoint, so clients are keyed by its base URL and signing region and one endpoint's
//! offset never signs a request to another (the emulator's skew must not sign a request to
//! AWS). Credentials are not part of the key: they change (renewals, another key) while the
//! endpoint's clock does not; each request gets a clone with its own credentials.

use bedrock_wasm::bedrock::Endpoint;

/// The endpoint a request goes to, as the client resolves it: the base URL (AWS's regional
/// one when the field is empty) and the signing region.
pub fn key(endpoint: &Endpoint) -> String {
    format!("{} {}", endpoint.base(), endpoint.region())
}

#[cfg(target_arch = "wasm32")]
pub use cache::Clients;

#[cfg(target_arch = "wasm32")]
mod cache {
    use std::collections::HashMap;

    use bedrock_wasm::bedrock::Endpoint;
    use bedrock_wasm::sign::{ApiKey, Auth};
    use bedrock_wasm::transport::Client;

    /// The clients made so far, by endpoint [`key`](super::key). They hold no credentials.
    #[derive(Default)]
    pub struct Clients(HashMap<String, Client>);

    impl Clients {
        /// A client for `endpoint` that signs with `auth`; clones of one endpoint's client
        /// share its clock offset, whatever their credentials.
        pub fn client(&mut self, endpoint: Endpoint, auth: Auth) -> Client {
            let mut client = self
                .0
                .entry(super::key(&endpoint))
                .or_insert_with(|| Client::with_auth(endpoint, Auth::Bearer(ApiKey::new(""))))
                .clone();
            client.set_auth(auth);
            client
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMULATOR: &str = "http://127.0.0.1:4010";

    fn k(endpoint: &str, region: &str) -> Option<String> {
        Endpoint::from_parts(Some(endpoint), region)
            .ok()
            .map(|e| key(&e))
    }

    #[test]
    fn each_endpoint_and_region_has_its_own_key() {
        let emulator = k(EMULATOR, "us-east-1");
        let aws = k("", "us-east-1");
        assert_eq!(
            aws.as_deref(),
            Some("https://bedrock-runtime.us-east-1.amazonaws.com us-east-1")
        );
        assert_ne!(emulator, aws);
        assert_ne!(k("", "eu-west-1"), aws);
        assert_ne!(k(EMULATOR, "eu-west-1"), emulator);
        assert_ne!(k("http://localhost:4010", "us-east-1"), emulator);
        // The same endpoint however it is typed.
        assert_eq!(k(" http://127.0.0.1:4010/ ", " us-east-1"), emulator);
        assert_eq!(
            k(
                "https://bedrock-runtime.us-east-1.amazonaws.com",
                "us-east-1"
            ),
            aws
        );
        assert_eq!(k("ftp://x", "us-east-1"), None);
        assert_eq!(k("", "US EAST"), None);
    }
}
