//! Test client: signs with aws-sigv4 (an implementation independent of the emulator's
//! verifier) and sends with reqwest over plain HTTP.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use base64::Engine as _;
use bedrock_emulator::{Config, Credential, Emulator, RequestRecord};
use bedrock_wasm::eventstream::{DecodeError, Decoder, Message};

pub const MODEL_SEGMENT: &str = "anthropic.claude-v2%3A1";
pub const PROMPT: &str = "\n\nHuman: Tell me about event streams.\n\nAssistant:";

/// How a test request is signed.
#[derive(Clone)]
pub struct Signing {
    pub credential: Credential,
    pub service: &'static str,
    pub region: &'static str,
    pub time: SystemTime,
}

impl Default for Signing {
    fn default() -> Self {
        Signing {
            credential: Credential::demo(),
            service: "bedrock",
            region: "us-east-1",
            time: SystemTime::now(),
        }
    }
}

/// The headers aws-sigv4 adds (authorization, x-amz-date, x-amz-security-token).
pub fn sign_headers(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    s: &Signing,
) -> Vec<(String, String)> {
    let identity: Identity = aws_credential_types::Credentials::new(
        s.credential.access_key_id.clone(),
        s.credential.secret_access_key.clone(),
        s.credential.session_token.clone(),
        None,
        "emulator-tests",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(s.region)
        .name(s.service)
        .time(s.time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions
        .headers()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

pub fn claude_body(prompt: &str, max_tokens: u32) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "prompt": prompt, "max_tokens_to_sample": max_tokens }))
        .unwrap()
}

pub struct TestServer {
    pub emulator: Emulator,
    pub http: reqwest::Client,
}

impl TestServer {
    pub async fn start(token_delay_ms: u64) -> TestServer {
        Self::with_config(Config {
            token_delay: Duration::from_millis(token_delay_ms),
            ..Config::default()
        })
        .await
    }

    pub async fn with_config(config: Config) -> TestServer {
        let emulator = Emulator::start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        TestServer {
            emulator,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.url())
    }

    /// POSTs `body` to `path`, signed as `signing` says.
    pub async fn post_signed(
        &self,
        path: &str,
        body: Vec<u8>,
        signing: &Signing,
    ) -> reqwest::Response {
        self.post_signed_with(path, body, signing, &[]).await
    }

    /// POSTs `body` to `path` with `extra` headers too (signed, as a browser client does).
    pub async fn post_signed_with(
        &self,
        path: &str,
        body: Vec<u8>,
        signing: &Signing,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let url = self.url(path);
        let mut headers = vec![("content-type", "application/json")];
        headers.extend_from_slice(extra);
        let mut req = self.http.post(&url).body(body.clone());
        for (k, v) in headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain(sign_headers("POST", &url, &headers, &body, signing))
        {
            req = req.header(k, v);
        }
        req.send().await.unwrap()
    }

    /// GETs `path_and_query` (already percent-encoded), signed as `signing` says, with `extra`
    /// headers (signed too). The body is empty, so the payload hash is the empty string's.
    pub async fn get_signed_with(
        &self,
        path_and_query: &str,
        signing: &Signing,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let url = self.url(path_and_query);
        let mut req = self.http.get(&url);
        for (k, v) in extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain(sign_headers("GET", &url, extra, b"", signing))
        {
            req = req.header(k, v);
        }
        req.send().await.unwrap()
    }

    pub async fn get_signed(&self, path_and_query: &str) -> reqwest::Response {
        self.get_signed_with(path_and_query, &Signing::default(), &[])
            .await
    }

    /// POSTs JSON to `path` with the demo credentials.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.post_json_with(path, body, &[]).await
    }

    pub async fn post_json_with(
        &self,
        path: &str,
        body: &serde_json::Value,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        self.post_signed_with(
            path,
            serde_json::to_vec(body).unwrap(),
            &Signing::default(),
            extra,
        )
        .await
    }

    /// Calls `operation` (`invoke`, `invoke-with-response-stream`, `converse`,
    /// `converse-stream`) on `model_id` with the demo credentials.
    pub async fn call(
        &self,
        model_id: &str,
        operation: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.call_with(model_id, operation, body, &[]).await
    }

    pub async fn call_with(
        &self,
        model_id: &str,
        operation: &str,
        body: &serde_json::Value,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        self.post_signed_with(
            &model_path(model_id, operation),
            serde_json::to_vec(body).unwrap(),
            &Signing::default(),
            extra,
        )
        .await
    }

    pub async fn invoke(
        &self,
        prompt: &str,
        max_tokens: u32,
        signing: &Signing,
    ) -> reqwest::Response {
        self.post_signed(
            &format!("/model/{MODEL_SEGMENT}/invoke"),
            claude_body(prompt, max_tokens),
            signing,
        )
        .await
    }

    pub async fn invoke_stream(
        &self,
        prompt: &str,
        max_tokens: u32,
        signing: &Signing,
    ) -> reqwest::Response {
        self.post_signed(
            &format!("/model/{MODEL_SEGMENT}/invoke-with-response-stream"),
            claude_body(prompt, max_tokens),
            signing,
        )
        .await
    }

    /// The log record for a response, by its `x-amzn-RequestId`.
    pub fn record(&self, request_id: &str) -> RequestRecord {
        self.emulator
            .log()
            .into_iter()
            .find(|r| r.id == request_id)
            .expect("request is logged")
    }

    /// Polls the log (up to 5 s) until `pred` holds for the record.
    pub async fn wait_for_record(
        &self,
        request_id: &str,
        pred: impl Fn(&RequestRecord) -> bool,
    ) -> RequestRecord {
        for _ in 0..250 {
            let record = self.record(request_id);
            if pred(&record) {
                return record;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "log record never reached the expected state: {:?}",
            self.record(request_id)
        );
    }
}

pub fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

pub fn request_id(response: &reqwest::Response) -> String {
    header(response, "x-amzn-RequestId")
        .expect("x-amzn-RequestId is set")
        .to_owned()
}

/// Asserts a Bedrock-shaped error and returns its message.
pub async fn expect_error(response: reqwest::Response, status: u16, code: &str) -> String {
    assert_eq!(response.status().as_u16(), status);
    let error_type = header(&response, "x-amzn-ErrorType").expect("x-amzn-ErrorType is set");
    assert_eq!(
        error_type,
        format!("{code}:http://internal.amazon.com/coral/com.amazon.bedrock/")
    );
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    body["message"]
        .as_str()
        .expect("body has a message")
        .to_owned()
}

/// `/model/{id}/{operation}` with the id percent-encoded as one segment (as SDKs do).
pub fn model_path(model_id: &str, operation: &str) -> String {
    format!("/model/{}/{operation}", encode_label(model_id))
}

/// A label (or query value) percent-encoded as SDKs do: everything but `A-Za-z0-9-_.~`.
pub fn encode_label(label: &str) -> String {
    let mut out = String::new();
    for b in label.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn base64_decode(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// Decodes a whole event-stream body: the messages, and how the stream ended.
pub fn decode_all(bytes: &[u8]) -> (Vec<Message>, Result<(), DecodeError>) {
    let mut decoder = Decoder::new();
    decoder.push(bytes);
    let mut messages = Vec::new();
    loop {
        match decoder.next_message() {
            Ok(Some(m)) => messages.push(m),
            Ok(None) => return (messages, decoder.finish()),
            Err(e) => return (messages, Err(e)),
        }
    }
}

/// Reads and decodes a streaming response, which must decode cleanly.
pub async fn frames(response: reqwest::Response) -> Vec<Message> {
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        Some("application/vnd.amazon.eventstream")
    );
    let (messages, end) = decode_all(&response.bytes().await.unwrap());
    end.unwrap();
    messages
}

/// The outer JSON payload of a frame.
pub fn payload(m: &Message) -> serde_json::Value {
    serde_json::from_slice(&m.payload).unwrap()
}

/// The model-native JSON text inside an InvokeModelWithResponseStream chunk (`bytes`).
pub fn chunk_text(m: &Message) -> String {
    assert_eq!(m.str_header(":event-type"), Some("chunk"));
    String::from_utf8(base64_decode(payload(m)["bytes"].as_str().unwrap())).unwrap()
}

pub fn chunk_json(m: &Message) -> serde_json::Value {
    serde_json::from_str(&chunk_text(m)).unwrap()
}

/// The header names of a frame, in wire order.
pub fn header_names(m: &Message) -> Vec<&str> {
    m.headers.iter().map(|h| h.name.as_str()).collect()
}

/// The top-level keys of a JSON object text, in order.
pub fn key_order(json: &str) -> Vec<String> {
    // serde_json::Value sorts keys; walk the text with a streaming deserializer instead.
    struct Keys(Vec<String>);
    impl<'de> serde::Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Keys;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some(k) = map.next_key::<String>()? {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        keys.push(k);
                    }
                    Ok(Keys(keys))
                }
            }
            d.deserialize_map(V)
        }
    }
    serde_json::from_str::<Keys>(json).unwrap().0
}

pub const PADDING: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Asserts a frame is an event with Bedrock's header order and a valid `p`.
pub fn assert_event_frame(m: &Message) {
    assert_eq!(
        header_names(m),
        [":event-type", ":content-type", ":message-type"]
    );
    assert_eq!(m.str_header(":content-type"), Some("application/json"));
    assert_eq!(m.str_header(":message-type"), Some("event"));
    let p = payload(m)["p"].as_str().unwrap().to_owned();
    assert!(!p.is_empty() && PADDING.starts_with(&p), "padding {p:?}");
}
