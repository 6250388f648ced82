//! InvokeModelWithBidirectionalStream over WebSocket: a test client written here (the URL
//! presigned by aws-sigv4, an implementation independent of the emulator's verifier; frames
//! encoded and event signatures computed here from `hmac`/`sha2`/`crc32fast`; the answers
//! decoded with the library's decoder) against the emulator's handshake checks, signature
//! chain, Nova Sonic turns, faults, limits and log.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use base64::Engine as _;
use bedrock_emulator::{
    clock::format_amz_date, sonic_answer, sonic_answer_tokens, sonic_audio_transcript,
    sonic_speech, Config, Credential, EventCount, RequestRecord, AUDIO_CHUNK_MS, DEMO_API_KEY,
};
use bedrock_wasm::eventstream::{Decoder, Message};
use common::TestServer;
use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message as Ws};

const MODEL: &str = "amazon.nova-sonic-v1%3A0";
const OP: &str = "invoke-with-bidirectional-stream-websocket";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

// ---- presigning (aws-sigv4) ------------------------------------------------------------

/// RFC 3986 percent-encoding of a query value (everything but unreserved characters).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

struct Presign {
    /// The host signed (by default the one connected to, with its port).
    host: Option<String>,
    time: SystemTime,
    secret: String,
    /// The access key id and session token signed with (the secret is `secret`).
    credential: Credential,
    region: &'static str,
    /// The model label in the path (percent-encoded).
    model: String,
    /// Extra raw query parameters, signed too.
    query: Vec<(&'static str, &'static str)>,
}

impl Default for Presign {
    fn default() -> Self {
        Presign {
            host: None,
            time: SystemTime::now(),
            secret: Credential::DEMO_SECRET_ACCESS_KEY.into(),
            credential: Credential::demo(),
            region: "us-east-1",
            model: MODEL.into(),
            query: Vec::new(),
        }
    }
}

/// A `ws://` URL presigned with aws-sigv4 (query-string SigV4, 60 s, the empty body's hash),
/// and its `X-Amz-Signature` (the first event's prior signature).
fn presign(server: &TestServer, p: &Presign) -> (String, String) {
    let addr = server.emulator.local_addr().to_string();
    let host = p.host.clone().unwrap_or_else(|| addr.clone());
    let path = format!("/model/{}/{OP}", p.model);
    let extra: String = p
        .query
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let signed_url = format!(
        "http://{host}{path}{}",
        if extra.is_empty() {
            String::new()
        } else {
            format!("?{extra}")
        }
    );
    let identity: Identity = aws_credential_types::Credentials::new(
        p.credential.access_key_id.clone(),
        p.secret.clone(),
        p.credential.session_token.clone(),
        None,
        "bidi-tests",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(60));
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(p.region)
        .name("bedrock")
        .time(p.time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        "GET",
        &signed_url,
        std::iter::empty(),
        SignableBody::Bytes(b""),
    )
    .unwrap();
    let (instructions, signature) = sign(signable, &params).unwrap().into_parts();
    let mut query: Vec<String> = p
        .query
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    for (k, v) in instructions.params() {
        query.push(format!("{k}={}", enc(v)));
    }
    (format!("ws://{addr}{path}?{}", query.join("&")), signature)
}

// ---- frames and event signatures (written here) -------------------------------------------

enum H<'a> {
    Str(&'a str),
    Ts(i64),
    Bytes(&'a [u8]),
}

fn header_bytes(name: &str, v: &H<'_>) -> Vec<u8> {
    let mut out = vec![name.len() as u8];
    out.extend_from_slice(name.as_bytes());
    match v {
        H::Str(s) => {
            out.push(7);
            out.extend_from_slice(&(s.len() as u16).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        H::Ts(ms) => {
            out.push(8);
            out.extend_from_slice(&ms.to_be_bytes());
        }
        H::Bytes(b) => {
            out.push(6);
            out.extend_from_slice(&(b.len() as u16).to_be_bytes());
            out.extend_from_slice(b);
        }
    }
    out
}

fn encode(headers: &[(&str, H<'_>)], payload: &[u8]) -> Vec<u8> {
    let block: Vec<u8> = headers
        .iter()
        .flat_map(|(n, v)| header_bytes(n, v))
        .collect();
    let total = (16 + block.len() + payload.len()) as u32;
    let mut out = total.to_be_bytes().to_vec();
    out.extend_from_slice(&(block.len() as u32).to_be_bytes());
    let c = crc32fast::hash(&out);
    out.extend_from_slice(&c.to_be_bytes());
    out.extend_from_slice(&block);
    out.extend_from_slice(payload);
    let c = crc32fast::hash(&out);
    out.extend_from_slice(&c.to_be_bytes());
    out
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Signs frames the way @smithy/signature-v4 `signMessage` does, chained from the URL's
/// signature.
struct Signer {
    secret: String,
    region: String,
    prior: String,
}

impl Signer {
    fn signed(&mut self, payload: &[u8], ms: i64) -> Vec<u8> {
        let date = header_bytes(":date", &H::Ts(ms));
        let long = format_amz_date(ms.div_euclid(1000));
        let short = &long[..8];
        let to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{long}\n{short}/{}/bedrock/aws4_request\n{}\n{}\n{}",
            self.region,
            self.prior,
            hex::encode(Sha256::digest(&date)),
            hex::encode(Sha256::digest(payload))
        );
        let k = hmac(format!("AWS4{}", self.secret).as_bytes(), short.as_bytes());
        let k = hmac(&k, self.region.as_bytes());
        let k = hmac(&k, b"bedrock");
        let k = hmac(&k, b"aws4_request");
        let sig = hmac(&k, to_sign.as_bytes());
        self.prior = hex::encode(&sig);
        encode(
            &[(":date", H::Ts(ms)), (":chunk-signature", H::Bytes(&sig))],
            payload,
        )
    }

    /// An input event: the inner `chunk` event in a signed frame.
    fn event(&mut self, event: &Value) -> Vec<u8> {
        let b64 = base64::engine::general_purpose::STANDARD.encode(event.to_string());
        let inner = encode(
            &[
                (":event-type", H::Str("chunk")),
                (":content-type", H::Str("application/json")),
                (":message-type", H::Str("event")),
            ],
            json!({ "bytes": b64 }).to_string().as_bytes(),
        );
        self.signed(&inner, now_ms())
    }

    /// The signed empty frame that ends the input.
    fn end(&mut self) -> Vec<u8> {
        self.signed(b"", now_ms())
    }
}

// ---- the client ---------------------------------------------------------------------------

struct Client {
    ws: Socket,
    signer: Signer,
    decoder: Decoder,
    /// Every message received, decoded.
    received: Vec<Message>,
    /// Why decoding stopped (a damaged frame), if it did.
    damaged: Option<bedrock_wasm::eventstream::DecodeError>,
}

/// How the server ended the session.
#[derive(Debug, PartialEq)]
enum Ended {
    Close(u16),
    /// The connection ended without a close frame.
    Dropped,
}

async fn connect(server: &TestServer) -> Client {
    connect_with(server, &Presign::default()).await.unwrap()
}

async fn connect_with(server: &TestServer, p: &Presign) -> Result<Client, tungstenite::Error> {
    let (url, signature) = presign(server, p);
    let (ws, response) = tokio_tungstenite::connect_async(url).await?;
    assert_eq!(response.status(), 101);
    assert!(response.headers().contains_key("x-amzn-requestid"));
    Ok(Client {
        ws,
        signer: Signer {
            secret: p.secret.clone(),
            region: p.region.into(),
            prior: signature,
        },
        decoder: Decoder::new(),
        received: Vec::new(),
        damaged: None,
    })
}

/// The HTTP status and body of a refused handshake.
async fn refused(server: &TestServer, url: &str, extra: &[(&str, &str)]) -> (u16, String, Value) {
    let mut request = url.into_client_request().unwrap();
    for (k, v) in extra {
        request.headers_mut().insert(
            tungstenite::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            tungstenite::http::HeaderValue::from_str(v).unwrap(),
        );
    }
    let _ = server;
    match tokio_tungstenite::connect_async(request).await {
        Err(tungstenite::Error::Http(r)) => {
            let code = r
                .headers()
                .get("x-amzn-errortype")
                .map(|v| v.to_str().unwrap().split(':').next().unwrap().to_owned())
                .unwrap_or_default();
            let body = r.body().clone().unwrap_or_default();
            (
                r.status().as_u16(),
                code,
                serde_json::from_slice(&body).unwrap_or(Value::Null),
            )
        }
        Err(e) => panic!("expected an HTTP refusal, got {e}"),
        Ok(_) => panic!("expected an HTTP refusal, got an upgrade"),
    }
}

impl Client {
    async fn send(&mut self, bytes: Vec<u8>) {
        self.ws.send(Ws::Binary(bytes.into())).await.unwrap();
    }

    async fn send_events(&mut self, events: &[Value]) {
        for e in events {
            let f = self.signer.event(e);
            self.send(f).await;
        }
    }

    /// Reads until `n` more `completionEnd` events have arrived.
    async fn until_completions(&mut self, n: usize) {
        let target = completions(&self.received) + n;
        while completions(&self.received) < target {
            match tokio::time::timeout(Duration::from_secs(20), self.ws.next()).await {
                Ok(Some(Ok(Ws::Binary(b)))) => self.take(&b),
                Ok(Some(Ok(Ws::Ping(_) | Ws::Pong(_)))) => {}
                other => panic!(
                    "expected events, got {other:?}; so far {:?}",
                    names(&self.received)
                ),
            }
        }
    }

    fn take(&mut self, bytes: &[u8]) {
        if self.damaged.is_some() {
            return;
        }
        self.decoder.push(bytes);
        loop {
            match self.decoder.next_message() {
                Ok(Some(m)) => self.received.push(m),
                Ok(None) => break,
                Err(e) => {
                    self.damaged = Some(e);
                    break;
                }
            }
        }
    }

    /// Reads everything until the server closes or drops the connection.
    async fn until_end(&mut self) -> Ended {
        loop {
            match tokio::time::timeout(Duration::from_secs(20), self.ws.next()).await {
                Ok(Some(Ok(Ws::Binary(b)))) => self.take(&b),
                Ok(Some(Ok(Ws::Close(frame)))) => {
                    return Ended::Close(frame.map_or(1005, |f| u16::from(f.code)))
                }
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(_))) | Ok(None) => return Ended::Dropped,
                Err(_) => panic!(
                    "the session did not end; so far {:?}",
                    names(&self.received)
                ),
            }
        }
    }
}

fn completions(ms: &[Message]) -> usize {
    ms.iter().filter(|m| name(m) == "completionEnd").count()
}

/// The output event inside a frame: `{"event":{"<name>":{…}}}`.
fn event(m: &Message) -> Value {
    assert_eq!(
        m.str_header(":message-type"),
        Some("event"),
        "{:?}",
        m.headers
    );
    assert_eq!(m.str_header(":event-type"), Some("chunk"));
    assert_eq!(m.str_header(":content-type"), Some("application/json"));
    let outer: Value = serde_json::from_slice(&m.payload).unwrap();
    assert_eq!(
        outer.as_object().unwrap().len(),
        1,
        "payload is exactly {{bytes}}"
    );
    let b = base64::engine::general_purpose::STANDARD
        .decode(outer["bytes"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&b).unwrap()
}

fn name(m: &Message) -> String {
    if m.str_header(":message-type") != Some("event") {
        return format!("<{}>", m.str_header(":exception-type").unwrap_or("?"));
    }
    event(m)["event"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone()
}

fn names(ms: &[Message]) -> Vec<String> {
    ms.iter().map(name).collect()
}

fn body(m: &Message) -> Value {
    let e = event(m);
    e["event"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone()
}

// ---- the events a client sends ------------------------------------------------------------

fn session_start() -> Value {
    json!({"event":{"sessionStart":{"inferenceConfiguration":{"maxTokens":1024,"topP":0.9,"temperature":0.7}}}})
}

fn prompt_start(p: &str) -> Value {
    json!({"event":{"promptStart":{
        "promptName": p,
        "textOutputConfiguration": {"mediaType":"text/plain"},
        "audioOutputConfiguration": {"mediaType":"audio/lpcm","sampleRateHertz":24000,"sampleSizeBits":16,"channelCount":1,"voiceId":"matthew","encoding":"base64","audioType":"SPEECH"},
    }}})
}

fn text_content(p: &str, c: &str, role: &str, interactive: bool, text: &str) -> Vec<Value> {
    vec![
        json!({"event":{"contentStart":{"promptName":p,"contentName":c,"type":"TEXT","interactive":interactive,"role":role,"textInputConfiguration":{"mediaType":"text/plain"}}}}),
        json!({"event":{"textInput":{"promptName":p,"contentName":c,"content":text}}}),
        json!({"event":{"contentEnd":{"promptName":p,"contentName":c}}}),
    ]
}

fn audio_start(p: &str, c: &str) -> Value {
    json!({"event":{"contentStart":{"promptName":p,"contentName":c,"type":"AUDIO","interactive":true,"role":"USER","audioInputConfiguration":{"mediaType":"audio/lpcm","sampleRateHertz":16000,"sampleSizeBits":16,"channelCount":1,"audioType":"SPEECH","encoding":"base64"}}}})
}

fn audio_input(p: &str, c: &str, pcm: &[u8]) -> Value {
    json!({"event":{"audioInput":{"promptName":p,"contentName":c,"content":base64::engine::general_purpose::STANDARD.encode(pcm)}}})
}

fn content_end(p: &str, c: &str) -> Value {
    json!({"event":{"contentEnd":{"promptName":p,"contentName":c}}})
}

fn prompt_end(p: &str) -> Value {
    json!({"event":{"promptEnd":{"promptName":p}}})
}

fn session_end() -> Value {
    json!({"event":{"sessionEnd":{}}})
}

/// A text session: a system prompt (history, not answered), one question, the end.
fn text_session(question: &str) -> Vec<Value> {
    let mut v = vec![session_start(), prompt_start("p1")];
    v.extend(text_content(
        "p1",
        "sys",
        "SYSTEM",
        false,
        "You are a helpful assistant.",
    ));
    v.extend(text_content("p1", "q1", "USER", true, question));
    v.push(prompt_end("p1"));
    v.push(session_end());
    v
}

/// The output event names of one turn whose speech has `chunks` audioOutput events.
fn turn_names(chunks: usize) -> Vec<String> {
    let mut v: Vec<&str> = vec!["completionStart"];
    v.extend(["contentStart", "textOutput", "contentEnd"]); // USER transcript
    v.extend(["contentStart", "textOutput", "contentEnd"]); // ASSISTANT, SPECULATIVE
    v.push("contentStart"); // AUDIO
    v.extend(std::iter::repeat_n("audioOutput", chunks));
    v.push("contentEnd");
    v.extend(["contentStart", "textOutput", "contentEnd"]); // ASSISTANT, FINAL
    v.extend(["usageEvent", "completionEnd"]);
    v.into_iter().map(String::from).collect()
}

fn speech_chunks(tokens: u64) -> usize {
    let bytes = sonic_speech(tokens, 24000).len() as u64;
    let per = 24 * AUDIO_CHUNK_MS * 2;
    bytes.div_ceil(per) as usize
}

/// Checks one turn's events (exactly [`turn_names`]) against the predicted answer.
fn check_turn(events: &[Message], transcript: &str) {
    let tokens = sonic_answer_tokens(transcript, 1024);
    assert_eq!(names(events), turn_names(speech_chunks(tokens)));
    let answer = sonic_answer(transcript, 1024);
    let completion = body(&events[0])["completionId"]
        .as_str()
        .unwrap()
        .to_owned();
    for m in events {
        let b = body(m);
        assert_eq!(b["completionId"], completion.as_str(), "{b}");
        assert_eq!(b["promptName"], "p1");
    }
    // The USER transcript, then the assistant's text twice (SPECULATIVE, FINAL).
    assert_eq!(body(&events[1])["role"], "USER");
    assert_eq!(
        body(&events[1])["additionalModelFields"],
        "{\"generationStage\":\"FINAL\"}"
    );
    assert_eq!(body(&events[2])["content"], transcript);
    assert_eq!(body(&events[2])["role"], "USER");
    assert_eq!(body(&events[3])["stopReason"], "END_TURN");
    assert_eq!(
        body(&events[4])["additionalModelFields"],
        "{\"generationStage\":\"SPECULATIVE\"}"
    );
    assert_eq!(body(&events[5])["content"], answer.as_str());
    assert_eq!(body(&events[5])["role"], "ASSISTANT");
    assert_eq!(body(&events[6])["stopReason"], "PARTIAL_TURN");
    let audio_start = body(&events[7]);
    assert_eq!(audio_start["type"], "AUDIO");
    assert_eq!(
        audio_start["audioOutputConfiguration"]["sampleRateHertz"],
        24000
    );
    let n = events.len();
    let pcm: Vec<u8> = events[8..n - 6]
        .iter()
        .flat_map(|m| {
            let b = body(m);
            assert_eq!(b["contentId"], audio_start["contentId"]);
            base64::engine::general_purpose::STANDARD
                .decode(b["content"].as_str().unwrap())
                .unwrap()
        })
        .collect();
    assert!(pcm == sonic_speech(tokens, 24000), "the synthesized speech");
    assert_eq!(body(&events[n - 4])["content"], answer.as_str());
    assert_eq!(
        body(&events[n - 5])["additionalModelFields"],
        "{\"generationStage\":\"FINAL\"}"
    );
    assert_eq!(body(&events[n - 3])["stopReason"], "END_TURN");
    let usage = body(&events[n - 2]);
    assert_eq!(usage["details"]["delta"]["output"]["textTokens"], tokens);
    assert_eq!(body(&events[n - 1])["stopReason"], "END_TURN");
}

fn counts(pairs: &[(&str, usize)]) -> Vec<EventCount> {
    pairs
        .iter()
        .map(|(e, c)| EventCount {
            event: (*e).into(),
            count: *c,
        })
        .collect()
}

/// The emulator's record of the only bidi session, once it has ended.
async fn session_record(server: &TestServer) -> RequestRecord {
    for _ in 0..200 {
        let log = server.emulator.log();
        if let Some(r) = log
            .iter()
            .rev()
            .find(|r| r.operation == "InvokeModelWithBidirectionalStream")
        {
            if r.session.as_ref().is_none_or(|s| s.ended.is_some()) {
                return r.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no ended session in the log: {:#?}", server.emulator.log());
}

async fn fast() -> TestServer {
    TestServer::start(0).await
}

// ---- the tests ------------------------------------------------------------------------------

#[tokio::test]
async fn a_text_session_is_answered_predictably() {
    let server = TestServer::start(1).await;
    let mut c = connect(&server).await;
    c.send_events(&text_session("What is your name?")).await;
    let end = c.signer.end();
    c.send(end).await;
    assert_eq!(c.until_end().await, Ended::Close(1000));
    check_turn(&c.received, "What is your name?");
    assert_eq!(body(&c.received[5])["content"], "My name is Claude.");

    let r = session_record(&server).await;
    assert_eq!((r.status, r.signature.as_str()), (101, "valid"));
    assert_eq!(r.model_id.as_deref(), Some("amazon.nova-sonic-v1:0"));
    assert_eq!(r.family.as_deref(), Some("nova-sonic"));
    assert!(r.completed && !r.client_closed_early, "{r:?}");
    assert_eq!(r.chunks_sent, c.received.len());
    let s = r.session.unwrap();
    assert_eq!(
        s.events_received,
        counts(&[
            ("sessionStart", 1),
            ("promptStart", 1),
            ("contentStart", 1),
            ("textInput", 1),
            ("contentEnd", 1),
            ("contentStart", 1),
            ("textInput", 1),
            ("contentEnd", 1),
            ("promptEnd", 1),
            ("sessionEnd", 1),
        ])
    );
    assert_eq!((s.frames_received, s.messages_received), (11, 11));
    assert!(s.end_of_input);
    assert_eq!(s.turns, 1);
    assert_eq!(s.ended.as_deref(), Some("closed 1000 after the answer"));
}

/// 16 kHz PCM: `ms` milliseconds of a square wave of this amplitude.
fn tone(ms: usize, amplitude: i16) -> Vec<u8> {
    (0..ms * 16)
        .flat_map(|n| (if n % 32 < 16 { amplitude } else { -amplitude }).to_le_bytes())
        .collect()
}

#[tokio::test]
async fn an_audio_turn_is_transcribed_from_the_samples() {
    let server = fast().await;
    let mut c = connect(&server).await;
    let pcm = tone(1000, 3000);
    let mut events = vec![
        session_start(),
        prompt_start("p1"),
        audio_start("p1", "mic"),
    ];
    // Odd-sized chunks: samples split across events.
    for piece in pcm.chunks(3201) {
        events.push(audio_input("p1", "mic", piece));
    }
    events.extend([content_end("p1", "mic"), prompt_end("p1"), session_end()]);
    c.send_events(&events).await;
    let end = c.signer.end();
    c.send(end).await;
    assert_eq!(c.until_end().await, Ended::Close(1000));
    let transcript = sonic_audio_transcript(16000, 16000, 3000);
    assert_eq!(transcript, "heard 1000 ms of audio, peak 3000");
    check_turn(&c.received, &transcript);
    let usage = body(&c.received[c.received.len() - 2]);
    assert_eq!(usage["details"]["delta"]["input"]["speechTokens"], 25);
    let s = session_record(&server).await.session.unwrap();
    assert_eq!(s.audio_bytes_received, 32000);
    assert_eq!(s.events_received[3], counts(&[("audioInput", 10)])[0]);
}

#[tokio::test]
async fn the_end_of_speech_ends_a_turn_inside_an_open_audio_content() {
    let server = fast().await;
    let mut c = connect(&server).await;
    c.send_events(&[
        session_start(),
        prompt_start("p1"),
        audio_start("p1", "mic"),
    ])
    .await;
    // 0.5 s of speech then 0.8 s of quiet: the model answers while the microphone stays open.
    let mut pcm = tone(500, 2000);
    pcm.extend(tone(800, 0));
    c.send_events(&[audio_input("p1", "mic", &pcm)]).await;
    c.until_completions(1).await;
    check_turn(&c.received, "heard 1300 ms of audio, peak 2000");
    c.send_events(&[content_end("p1", "mic"), prompt_end("p1"), session_end()])
        .await;
    let end = c.signer.end();
    c.send(end).await;
    assert_eq!(c.until_end().await, Ended::Close(1000));
    assert_eq!(
        completions(&c.received),
        1,
        "silence after the turn is not a turn"
    );
}

#[tokio::test]
async fn several_turns_and_prompts_in_one_session() {
    let server = fast().await;
    let mut c = connect(&server).await;
    let mut events = vec![session_start(), prompt_start("p1")];
    events.extend(text_content("p1", "q1", "USER", true, "What is your name?"));
    c.send_events(&events).await;
    c.until_completions(1).await;
    let first = c.received.len();
    c.send_events(&text_content(
        "p1",
        "q2",
        "USER",
        true,
        "Tell me about event streams.",
    ))
    .await;
    c.until_completions(1).await;
    check_turn(&c.received[first..], "Tell me about event streams.");
    let second = c.received.len();
    // A second prompt: the same rules, its own promptName.
    let mut events = vec![prompt_end("p1"), prompt_start("p2")];
    events.extend(text_content(
        "p2",
        "q3",
        "USER",
        true,
        "emulator-echo:Bonjour",
    ));
    c.send_events(&events).await;
    c.until_completions(1).await;
    let third = &c.received[second..];
    assert_eq!(body(&third[2])["content"], "emulator-echo:Bonjour");
    assert_eq!(body(&third[5])["content"], "Bonjour");
    assert_eq!(body(&third[0])["promptName"], "p2");
    c.send_events(&[prompt_end("p2"), session_end()]).await;
    let end = c.signer.end();
    c.send(end).await;
    assert_eq!(c.until_end().await, Ended::Close(1000));
    // Usage totals accumulate over the session.
    let usages: Vec<Value> = c
        .received
        .iter()
        .filter(|m| name(m) == "usageEvent")
        .map(body)
        .collect();
    assert_eq!(usages.len(), 3);
    let out: u64 = usages
        .iter()
        .map(|u| {
            u["details"]["delta"]["output"]["textTokens"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(usages[2]["details"]["total"]["output"]["textTokens"], out);
    // Ids differ per completion, and are the same in a rerun of the same session.
    let ids: Vec<Value> = c
        .received
        .iter()
        .filter(|m| name(m) == "completionStart")
        .map(|m| body(m)["completionId"].clone())
        .collect();
    assert!(ids[0] != ids[1] && ids[1] != ids[2]);
    assert_eq!(session_record(&server).await.session.unwrap().turns, 3);
}

#[tokio::test]
async fn a_tool_is_used_when_asked_for_and_its_result_answered() {
    let server = fast().await;
    let mut c = connect(&server).await;
    let mut start = prompt_start("p1");
    start["event"]["promptStart"]["toolUseOutputConfiguration"] =
        json!({"mediaType":"application/json"});
    start["event"]["promptStart"]["toolConfiguration"] = json!({"tools":[{"toolSpec":{
        "name":"getWeather","description":"The weather in a city",
        "inputSchema":{"json":"{\"type\":\"object\"}"}}}]});
    let mut events = vec![session_start(), start];
    let question = "Please use getWeather for Paris";
    events.extend(text_content("p1", "q1", "USER", true, question));
    c.send_events(&events).await;
    c.until_completions(1).await;
    assert_eq!(
        names(&c.received),
        [
            "completionStart",
            "contentStart",
            "textOutput",
            "contentEnd",
            "contentStart",
            "toolUse",
            "contentEnd",
            "usageEvent",
            "completionEnd"
        ]
    );
    assert_eq!(body(&c.received[4])["type"], "TOOL");
    let tool_use = body(&c.received[5]);
    assert_eq!(tool_use["toolName"], "getWeather");
    let input: Value = serde_json::from_str(tool_use["content"].as_str().unwrap()).unwrap();
    assert_eq!(input, json!({ "query": question }));
    assert_eq!(body(&c.received[6])["stopReason"], "TOOL_USE");
    assert_eq!(body(&c.received[8])["stopReason"], "TOOL_USE");
    let id = tool_use["toolUseId"].as_str().unwrap().to_owned();
    let first = c.received.len();
    let result = "{\"temperature\":21}";
    c.send_events(&[
        json!({"event":{"contentStart":{"promptName":"p1","contentName":"t1","type":"TOOL","interactive":false,"role":"TOOL",
            "toolResultInputConfiguration":{"toolUseId":id,"type":"TEXT","textInputConfiguration":{"mediaType":"text/plain"}}}}}),
        json!({"event":{"toolResult":{"promptName":"p1","contentName":"t1","content":result}}}),
        content_end("p1", "t1"),
    ])
    .await;
    c.until_completions(1).await;
    let turn = &c.received[first..];
    let transcript = format!("tool result: {result}");
    let tokens = sonic_answer_tokens(&transcript, 1024);
    let mut expected = turn_names(speech_chunks(tokens));
    expected.drain(1..4); // no USER block
    assert_eq!(names(turn), expected);
    assert_eq!(
        body(&turn[2])["content"],
        sonic_answer(&transcript, 1024).as_str()
    );
    // A result for an unknown toolUseId is refused.
    c.send_events(&[json!({"event":{"contentStart":{"promptName":"p1","contentName":"t2","type":"TOOL","role":"TOOL",
        "toolResultInputConfiguration":{"toolUseId":id,"type":"TEXT","textInputConfiguration":{"mediaType":"text/plain"}}}}})])
        .await;
    assert_eq!(c.until_end().await, Ended::Close(1000));
    assert_eq!(name(c.received.last().unwrap()), "<validationException>");
}

/// All of a text session's frames, signed.
fn whole_input(c: &mut Client) -> Vec<u8> {
    let mut bytes = Vec::new();
    for e in text_session("What is your name?") {
        bytes.extend(c.signer.event(&e));
    }
    bytes.extend(c.signer.end());
    bytes
}

#[tokio::test]
async fn frames_split_byte_by_byte_or_merged_in_one_message() {
    let server = fast().await;
    let mut c = connect(&server).await;
    let bytes = whole_input(&mut c);
    for b in &bytes {
        c.send(vec![*b]).await;
    }
    assert_eq!(c.until_end().await, Ended::Close(1000));
    check_turn(&c.received, "What is your name?");
    let s = session_record(&server).await.session.unwrap();
    assert_eq!((s.messages_received, s.frames_received), (bytes.len(), 11));

    server.emulator.clear_log();
    let mut c = connect(&server).await;
    let bytes = whole_input(&mut c);
    c.send(bytes).await;
    assert_eq!(c.until_end().await, Ended::Close(1000));
    check_turn(&c.received, "What is your name?");
    let s = session_record(&server).await.session.unwrap();
    assert_eq!((s.messages_received, s.frames_received), (1, 11));
}

#[tokio::test]
async fn a_bad_url_signature_is_refused_before_the_upgrade() {
    let server = fast().await;
    let (url, sig) = presign(&server, &Presign::default());
    let bad = url.replace(&sig, &"0".repeat(64));
    let (status, code, body) = refused(&server, &bad, &[]).await;
    assert_eq!((status, code.as_str()), (403, "InvalidSignatureException"));
    assert!(
        body["message"].as_str().unwrap().contains("does not match"),
        "{body}"
    );
    let r = session_record(&server).await;
    assert_eq!((r.status, r.signature.as_str()), (403, "invalid"));
    assert!(r.session.is_none());

    // Signed with another secret, or for another region, or long ago.
    for (p, code, verdict) in [
        (
            Presign {
                secret: "nope".into(),
                ..Presign::default()
            },
            "InvalidSignatureException",
            "invalid",
        ),
        (
            Presign {
                region: "eu-west-1",
                ..Presign::default()
            },
            "InvalidSignatureException",
            "wrong-region",
        ),
        (
            Presign {
                time: SystemTime::now() - Duration::from_secs(600),
                ..Presign::default()
            },
            "InvalidSignatureException",
            "expired",
        ),
    ] {
        let (url, _) = presign(&server, &p);
        let (status, got, body) = refused(&server, &url, &[]).await;
        assert_eq!((status, got.as_str()), (403, code), "{body}");
        assert_eq!(session_record(&server).await.signature, verdict);
    }
    // No signature at all.
    let url = format!("ws://{}/model/{MODEL}/{OP}", server.emulator.local_addr());
    let (status, code, _) = refused(&server, &url, &[]).await;
    assert_eq!(
        (status, code.as_str()),
        (403, "MissingAuthenticationTokenException")
    );
}

#[tokio::test]
async fn a_url_signed_without_the_port_is_refused_and_told_why() {
    let server = fast().await;
    let p = Presign {
        host: Some("127.0.0.1".into()),
        ..Presign::default()
    };
    let (url, _) = presign(&server, &p);
    let (status, code, body) = refused(&server, &url, &[]).await;
    assert_eq!((status, code.as_str()), (403, "InvalidSignatureException"));
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("without the port"), "{message}");
}

#[tokio::test]
async fn other_query_parameters_are_signed_too() {
    let server = fast().await;
    let p = Presign {
        query: vec![("user-agent", "aws-sdk-js/3.0 ua/2.1")],
        ..Presign::default()
    };
    let mut c = connect_with(&server, &p).await.unwrap();
    c.send_events(&text_session("Hi")).await;
    let end = c.signer.end();
    c.send(end).await;
    assert_eq!(c.until_end().await, Ended::Close(1000));
    check_turn(&c.received, "Hi");
}

#[tokio::test]
async fn a_bad_event_signature_gets_an_exception_and_a_close() {
    let server = fast().await;
    let mut c = connect(&server).await;
    c.send_events(&[session_start()]).await;
    let mut frame = c.signer.event(&prompt_start("p1"));
    // The :chunk-signature value starts 12 (prelude) + 1 + 5 + 1 + 8 (the :date header) + 1 +
    // 16 + 1 + 2 bytes in; flip one of its bytes and fix the message CRC.
    let at = 12 + 15 + 20;
    frame[at] ^= 1;
    let n = frame.len();
    let crc = crc32fast::hash(&frame[..n - 4]);
    frame[n - 4..].copy_from_slice(&crc.to_be_bytes());
    c.send(frame).await;
    assert_eq!(c.until_end().await, Ended::Close(1000));
    assert_eq!(names(&c.received), ["<validationException>"]);
    let m = &c.received[0];
    assert_eq!(m.str_header(":message-type"), Some("exception"));
    let message: Value = serde_json::from_slice(&m.payload).unwrap();
    assert!(
        message["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid event signature"),
        "{message}"
    );
    let r = session_record(&server).await;
    assert!(r
        .error
        .unwrap()
        .starts_with("ValidationException: Invalid event signature"));
    assert_eq!(
        r.session.unwrap().events_received,
        counts(&[("sessionStart", 1)])
    );
}

#[tokio::test]
async fn an_api_key_is_refused_for_this_operation() {
    let server = fast().await;
    let url = format!("ws://{}/model/{MODEL}/{OP}", server.emulator.local_addr());
    let bearer = format!("Bearer {DEMO_API_KEY}");
    let (status, code, body) = refused(&server, &url, &[("authorization", &bearer)]).await;
    assert_eq!((status, code.as_str()), (403, "AccessDeniedException"));
    assert!(
        body["message"].as_str().unwrap().contains("API keys"),
        "{body}"
    );
    assert_eq!(session_record(&server).await.signature, "api-key");
}

#[tokio::test]
async fn only_nova_sonic_models_are_served() {
    let server = fast().await;
    for (model, expect) in [
        ("us.amazon.nova-sonic-v1%3A0", 101),
        ("amazon.nova-2-sonic-v1%3A0", 101),
        ("amazon.nova-lite-v1%3A0", 400),
        ("not-a-model", 400),
    ] {
        let p = Presign {
            model: model.into(),
            ..Presign::default()
        };
        match connect_with(&server, &p).await {
            Ok(mut c) => {
                assert_eq!(expect, 101, "{model}");
                c.ws.close(None).await.unwrap();
            }
            Err(tungstenite::Error::Http(r)) => {
                assert_eq!(r.status().as_u16(), expect, "{model}");
                let body: Value = serde_json::from_slice(&r.body().clone().unwrap()).unwrap();
                let m = body["message"].as_str().unwrap();
                if model.starts_with("amazon.nova-lite") {
                    assert!(
                        m.contains("does not support InvokeModelWithBidirectionalStream"),
                        "{m}"
                    );
                } else {
                    assert_eq!(m, "The provided model identifier is invalid.");
                }
            }
            Err(e) => panic!("{model}: {e}"),
        }
    }
}

/// A text session on a model id carrying a fault spec; the client reads to the end.
async fn faulty(server: &TestServer, spec: &str) -> (Client, Ended) {
    let p = Presign {
        model: format!("emulator-fault%3A{}%3Aamazon.nova-sonic-v1%3A0", enc(spec)),
        ..Presign::default()
    };
    let mut c = connect_with(server, &p).await.unwrap();
    c.send_events(&text_session("What is your name?")).await;
    let end = c.signer.end();
    c.send(end).await;
    let ended = c.until_end().await;
    (c, ended)
}

#[tokio::test]
async fn faults_strike_mid_answer() {
    let server = fast().await;
    let (c, ended) = faulty(&server, "exception=modelStreamErrorException@3").await;
    assert_eq!(ended, Ended::Close(1000));
    assert_eq!(
        names(&c.received),
        [
            "completionStart",
            "contentStart",
            "textOutput",
            "<modelStreamErrorException>"
        ]
    );
    let r = session_record(&server).await;
    assert_eq!(
        r.fault_applied.as_deref(),
        Some("modelStreamErrorException after 3 events")
    );

    let (c, ended) = faulty(&server, "ws-close@2").await;
    assert_eq!((ended, c.received.len()), (Ended::Close(1011), 2));
    let (c, ended) = faulty(&server, "ws-close=4000@0").await;
    assert_eq!((ended, c.received.len()), (Ended::Close(4000), 0));
    let (c, ended) = faulty(&server, "ws-drop@5").await;
    assert_eq!((ended, c.received.len()), (Ended::Dropped, 5));
    let r = session_record(&server).await;
    assert_eq!(r.session.unwrap().ended.as_deref(), Some("fault: dropped"));
    // Past the end of the answer: at its end.
    let (c, ended) = faulty(&server, "ws-close@1000").await;
    assert_eq!(ended, Ended::Close(1011));
    check_turn(&c.received, "What is your name?");
    // Damaged frames.
    let (c, ended) = faulty(&server, "corrupt-crc@1").await;
    assert_eq!(ended, Ended::Close(1000));
    assert_eq!(c.received.len(), 1);
    assert!(c.damaged.unwrap().is_checksum_mismatch());
    let (c, ended) = faulty(&server, "truncate@2").await;
    assert_eq!((ended, c.received.len()), (Ended::Close(1000), 2));
    assert!(c.decoder.finish().unwrap_err().is_truncated());

    // Slow: a pause before every event from the 2nd on, and a stall.
    let started = std::time::Instant::now();
    let (c, ended) = faulty(&server, "pace=30@1,stall=0.3@0").await;
    assert_eq!(ended, Ended::Close(1000));
    let n = c.received.len() as u128;
    assert!(
        started.elapsed().as_millis() >= 300 + 30 * (n - 1),
        "{:?}",
        started.elapsed()
    );
    check_turn(&c.received, "What is your name?");
}

#[tokio::test]
async fn refused_handshakes_by_fault() {
    let server = fast().await;
    for (spec, status, code) in [
        ("ws-refuse=503", 503, "ServiceUnavailableException"),
        ("ws-refuse=429", 429, "ThrottlingException"),
        ("throttle", 429, "ThrottlingException"),
        ("nope", 400, "ValidationException"),
    ] {
        let p = Presign {
            model: format!("emulator-fault%3A{}%3Aamazon.nova-sonic-v1%3A0", enc(spec)),
            ..Presign::default()
        };
        let (url, _) = presign(&server, &p);
        let (got, got_code, body) = refused(&server, &url, &[]).await;
        assert_eq!((got, got_code.as_str()), (status, code), "{spec}: {body}");
    }
    // `throttle=1`: refused once, then upgraded.
    let p = Presign {
        model: "emulator-fault%3Athrottle%3D1%2Ckey%3Dt1%3Aamazon.nova-sonic-v1%3A0".into(),
        ..Presign::default()
    };
    let (url, _) = presign(&server, &p);
    assert_eq!(refused(&server, &url, &[]).await.0, 429);
    assert!(connect_with(&server, &p).await.is_ok());
}

#[tokio::test]
async fn idle_sessions_and_long_ones_are_ended() {
    let server = TestServer::with_config(Config {
        token_delay: Duration::ZERO,
        bidi_idle_timeout: Duration::from_millis(300),
        ..Config::default()
    })
    .await;
    let mut c = connect(&server).await;
    c.send_events(&[session_start()]).await;
    assert_eq!(c.until_end().await, Ended::Close(1000));
    let message: Value = serde_json::from_slice(&c.received[0].payload).unwrap();
    assert!(message["message"]
        .as_str()
        .unwrap()
        .starts_with("Timed out waiting for input events"));

    let server = TestServer::with_config(Config {
        token_delay: Duration::ZERO,
        bidi_session_limit: Duration::from_millis(300),
        ..Config::default()
    })
    .await;
    let mut c = connect(&server).await;
    c.send_events(&[session_start()]).await;
    assert_eq!(c.until_end().await, Ended::Close(1000));
    assert_eq!(names(&c.received), ["<validationException>"]);
    let r = session_record(&server).await;
    assert!(r.session.unwrap().ended.unwrap().contains("limit"));
}

#[tokio::test]
async fn out_of_order_events_are_a_validation_exception() {
    let server = fast().await;
    let mut c = connect(&server).await;
    c.send_events(&[prompt_start("p1")]).await;
    assert_eq!(c.until_end().await, Ended::Close(1000));
    let message: Value = serde_json::from_slice(&c.received[0].payload).unwrap();
    assert_eq!(
        message["message"],
        "the first event must be sessionStart, not promptStart"
    );
    let s = session_record(&server).await.session.unwrap();
    assert_eq!(s.events_received, counts(&[("promptStart", 1)]));
    assert!(s
        .ended
        .unwrap()
        .starts_with("validationException: the first event"));
}

#[tokio::test]
async fn the_client_closing_early_is_logged() {
    let server = TestServer::start(20).await;
    let mut c = connect(&server).await;
    let mut events = vec![session_start(), prompt_start("p1")];
    events.extend(text_content(
        "p1",
        "q1",
        "USER",
        true,
        "Tell me about event streams.",
    ));
    c.send_events(&events).await;
    tokio::time::sleep(Duration::from_millis(60)).await;
    c.ws.close(None).await.unwrap();
    let r = session_record(&server).await;
    assert!(r.client_closed_early && !r.completed, "{r:?}");
    assert!(r
        .session
        .unwrap()
        .ended
        .unwrap()
        .starts_with("client closed"));
}

/// Deterministic pseudo-random bytes.
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[tokio::test]
async fn hostile_input_never_panics_the_emulator() {
    let server = fast().await;
    let mut inputs: Vec<Vec<Ws>> = Vec::new();
    // Garbage, a prelude announcing 4 GiB, a frame with a bad prelude CRC, a text message.
    for seed in 0..12u64 {
        // At least a prelude's worth, so that the emulator can tell it is not a frame.
        inputs.push(vec![Ws::Binary(
            noise(seed, 12 + seed as usize * 37).into(),
        )]);
    }
    let mut huge = vec![0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];
    let crc = crc32fast::hash(&huge);
    huge.extend_from_slice(&crc.to_be_bytes());
    inputs.push(vec![Ws::Binary(huge.into())]);
    inputs.push(vec![Ws::Text("{\"event\":{}}".into())]);
    // Well-framed but unsigned, and with the wrong headers.
    inputs.push(vec![Ws::Binary(
        encode(&[(":date", H::Ts(now_ms()))], b"x").into(),
    )]);
    inputs.push(vec![Ws::Binary(
        encode(
            &[
                (":date", H::Str("x")),
                (":chunk-signature", H::Bytes(&[0; 32])),
            ],
            b"",
        )
        .into(),
    )]);
    for input in inputs {
        let mut c = connect(&server).await;
        for m in input {
            let _ = c.ws.send(m).await;
        }
        assert_eq!(c.until_end().await, Ended::Close(1000));
        assert_eq!(c.received.len(), 1);
        assert_eq!(c.received[0].str_header(":message-type"), Some("exception"));
    }
    // A correctly signed frame around a hostile inner event, and hostile JSON.
    for payload in [
        noise(99, 40),
        encode(&[(":message-type", H::Str("event"))], b"{}"),
        encode(
            &[
                (":event-type", H::Str("chunk")),
                (":message-type", H::Str("event")),
            ],
            br#"{"bytes":"!!"}"#,
        ),
    ] {
        let mut c = connect(&server).await;
        let f = c.signer.signed(&payload, now_ms());
        c.send(f).await;
        assert_eq!(c.until_end().await, Ended::Close(1000));
        assert_eq!(
            c.received[0].str_header(":exception-type"),
            Some("validationException")
        );
    }
    // Still serving.
    let mut c = connect(&server).await;
    c.send_events(&text_session("Still there?")).await;
    let end = c.signer.end();
    c.send(end).await;
    assert_eq!(c.until_end().await, Ended::Close(1000));
    check_turn(&c.received, "Still there?");
    let _ = CloseCode::Normal;
}

#[tokio::test]
async fn tls_serves_wss_with_a_self_signed_certificate() {
    use tokio_rustls::rustls::{self, pki_types::CertificateDer, pki_types::ServerName};
    let server = TestServer::with_config(Config {
        token_delay: Duration::ZERO,
        tls: true,
        ..Config::default()
    })
    .await;
    assert!(server.emulator.url().starts_with("https://127.0.0.1:"));
    let cert = server.emulator.tls_certificate().unwrap().clone();
    assert_eq!(std::fs::read_to_string(&cert.path).unwrap(), cert.pem);
    assert_eq!(cert.sha256_fingerprint.len(), 32 * 3 - 1);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(cert.der.clone())).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let addr = server.emulator.local_addr();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::IpAddress(addr.ip().into());
    let tls = connector.connect(name, tcp).await.unwrap();
    let (url, signature) = presign(&server, &Presign::default());
    let url = url.replacen("ws://", "wss://", 1);
    let (ws, response) = tokio_tungstenite::client_async(url, tls).await.unwrap();
    assert_eq!(response.status(), 101);
    let mut ws = ws;
    let mut signer = Signer {
        secret: Credential::DEMO_SECRET_ACCESS_KEY.into(),
        region: "us-east-1".into(),
        prior: signature,
    };
    for e in text_session("What is your name?") {
        ws.send(Ws::Binary(signer.event(&e).into())).await.unwrap();
    }
    ws.send(Ws::Binary(signer.end().into())).await.unwrap();
    let mut decoder = Decoder::new();
    let mut received = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .unwrap()
        {
            Some(Ok(Ws::Binary(b))) => {
                decoder.push(&b);
                while let Some(m) = decoder.next_message().unwrap() {
                    received.push(m);
                }
            }
            Some(Ok(Ws::Close(f))) => {
                assert_eq!(f.map(|f| u16::from(f.code)), Some(1000));
                break;
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    check_turn(&received, "What is your name?");
    server.emulator.shutdown().await;
}

#[tokio::test]
async fn credentials_from_the_emulated_cognito_sign_sessions_until_they_expire() {
    let server = TestServer::with_config(Config {
        token_delay: Duration::ZERO,
        cognito_lifetime: Duration::from_secs(1),
        ..Config::default()
    })
    .await;
    let cognito = |op: &'static str, body: Value| {
        let r = server
            .http
            .post(server.url("/"))
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", format!("AWSCognitoIdentityService.{op}"))
            .body(body.to_string())
            .send();
        async move { serde_json::from_str::<Value>(&r.await.unwrap().text().await.unwrap()).unwrap() }
    };
    let id = cognito(
        "GetId",
        json!({ "IdentityPoolId": bedrock_emulator::DEMO_IDENTITY_POOL_ID }),
    )
    .await;
    let out = cognito(
        "GetCredentialsForIdentity",
        json!({ "IdentityId": id["IdentityId"] }),
    )
    .await;
    let c = &out["Credentials"];
    let p = Presign {
        secret: c["SecretKey"].as_str().unwrap().into(),
        credential: Credential {
            access_key_id: c["AccessKeyId"].as_str().unwrap().into(),
            secret_access_key: c["SecretKey"].as_str().unwrap().into(),
            session_token: c["SessionToken"].as_str().map(str::to_owned),
        },
        ..Presign::default()
    };
    let mut client = connect_with(&server, &p).await.unwrap();
    client
        .send_events(&text_session("What is your name?"))
        .await;
    let end = client.signer.end();
    client.send(end).await;
    assert_eq!(client.until_end().await, Ended::Close(1000));
    check_turn(&client.received, "What is your name?");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (url, _) = presign(
        &server,
        &Presign {
            time: SystemTime::now(),
            ..p
        },
    );
    let (status, code, body) = refused(&server, &url, &[]).await;
    assert_eq!(
        (status, code.as_str()),
        (403, "ExpiredTokenException"),
        "{body}"
    );
    assert_eq!(session_record(&server).await.signature, "expired");
}

/// A session recorded from the AWS SDK for JavaScript (`tests/fixtures/bidi/`, see SOURCE.md):
/// its presigned URL and signed frames, replayed byte for byte with the emulator's clock at the
/// recording's time, so the SDK's own signer checks the emulator's verifier.
#[tokio::test]
async fn a_session_recorded_from_the_aws_sdk_for_javascript_verifies() {
    let fixture: Value =
        serde_json::from_str(include_str!("fixtures/bidi/js_sdk_session.json")).unwrap();
    let url = fixture["url"].as_str().unwrap();
    let date = url.split("X-Amz-Date=").nth(1).unwrap().get(..16).unwrap();
    let signed_at = bedrock_emulator::clock::parse_amz_date(date).unwrap();
    let now = bedrock_emulator::clock::unix_secs(SystemTime::now());
    let server = TestServer::with_config(Config {
        token_delay: Duration::ZERO,
        clock_skew_secs: signed_at + 5 - now,
        ..Config::default()
    })
    .await;
    // The URL names the recording's port (it is signed); connect to this emulator instead.
    let tcp = tokio::net::TcpStream::connect(server.emulator.local_addr())
        .await
        .unwrap();
    let (ws, response) =
        tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(tcp))
            .await
            .unwrap();
    assert_eq!(response.status(), 101);
    let mut c = Client {
        ws,
        signer: Signer {
            secret: String::new(),
            region: String::new(),
            prior: String::new(),
        },
        decoder: Decoder::new(),
        received: Vec::new(),
        damaged: None,
    };
    for m in fixture["messages"].as_array().unwrap() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(m.as_str().unwrap())
            .unwrap();
        c.send(bytes).await;
    }
    assert_eq!(c.until_end().await, Ended::Close(1000));
    check_turn(&c.received, "What is your name?");
    let r = session_record(&server).await;
    assert_eq!(r.signature, "valid");
    let s = r.session.unwrap();
    assert!(s.end_of_input);
    assert_eq!(
        s.frames_received,
        fixture["messages"].as_array().unwrap().len()
    );
}
