//! SigV4 for the events a client sends on an event stream: each one is wrapped in a frame
//! that carries its own signature, chained to the one before it.
//!
//! As `@smithy/signature-v4`'s `signMessage` (used by `@aws-sdk/middleware-websocket`'s
//! `getEventSigningTransformStream`) and `aws-sigv4`'s `event_stream::sign_message` sign:
//!
//! ```text
//! AWS4-HMAC-SHA256-PAYLOAD
//! <YYYYMMDD'T'HHMMSS'Z' of the event's time>
//! <YYYYMMDD>/<region>/<service>/aws4_request
//! <prior signature, hex>
//! <hex SHA-256 of the encoded `:date` header>
//! <hex SHA-256 of the payload>
//! ```
//!
//! HMAC-SHA256 with the signing key of that day. The first prior signature is the request's
//! (for a WebSocket, the presigned URL's `X-Amz-Signature`). The frame sent has exactly two
//! headers, `:date` (a timestamp, in milliseconds: the SDK signs a JS `Date`) then
//! `:chunk-signature` (the 32 raw signature bytes), and the payload signed. The end of the
//! input is the same frame around an empty payload.

use std::fmt;
use std::time::SystemTime;

use aws_sigv4::sign::v4;

use super::canonical::{amz_date, sha256_hex, time_at};
use super::{Credentials, SignError, SignErrorKind};
use crate::eventstream::{frame, DEFAULT_MAX_PAYLOAD_LEN};

/// The signing key of one day (days since 1970), derived once and reused for every event of
/// that day.
#[derive(Clone)]
struct DayKey {
    day: u64,
    key: [u8; 32],
}

/// Signs the frames a client sends on an event stream, keeping the chain: the prior
/// signature and the signing key of the current day (a new key is derived when an event's
/// time falls on another day, as the SDK does).
///
/// The time of each event is an argument ([`sign_event`](Self::sign_event)): nothing here
/// reads a clock. `Debug` prints neither the secret key nor the signing key.
#[derive(Clone)]
pub struct EventSigner {
    secret_access_key: String,
    region: String,
    service: String,
    prior: String,
    key: Option<DayKey>,
    signed: u64,
}

impl fmt::Debug for EventSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSigner")
            .field("region", &self.region)
            .field("service", &self.service)
            .field("events_signed", &self.signed)
            .finish_non_exhaustive()
    }
}

impl EventSigner {
    /// A signer for events sent under `credentials` to `service` in `region`, chained to
    /// `seed_signature`: the hex signature of the request that opened the stream (for a
    /// WebSocket, [`PresignedUrl::signature`](super::PresignedUrl::signature)).
    pub fn new(
        credentials: &Credentials,
        region: &str,
        service: &str,
        seed_signature: &str,
    ) -> Result<Self, SignError> {
        if credentials.access_key_id.is_empty() || credentials.secret_access_key.is_empty() {
            return Err(SignError::new(
                SignErrorKind::MissingCredentials,
                "the access key id and secret access key are required",
            ));
        }
        let hex_digits = seed_signature.len() == 64
            && seed_signature
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex_digits {
            return Err(SignError::new(
                SignErrorKind::Rejected,
                "the seed signature must be the 64 lower-case hex digits of the signature that opened the stream (the presigned URL's X-Amz-Signature)",
            ));
        }
        Ok(Self {
            secret_access_key: credentials.secret_access_key.clone(),
            region: region.to_owned(),
            service: service.to_owned(),
            prior: seed_signature.to_owned(),
            key: None,
            signed: 0,
        })
    }

    /// The signature of the last frame signed (the seed before the first): hex, as sent.
    pub fn prior_signature(&self) -> &str {
        &self.prior
    }

    /// Wraps `payload` (an encoded event-stream message, or nothing for the end of the
    /// input) in a signed frame for `time`, and returns the frame's bytes. The chain advances
    /// only when a frame is returned.
    ///
    /// Refuses a time SigV4 cannot carry (before 1970, after 9999) and a payload over the
    /// event-stream limit of 24 MiB.
    pub fn sign_event(&mut self, payload: &[u8], time: SystemTime) -> Result<Vec<u8>, SignError> {
        let ms = super::epoch_ms(time)?;
        if payload.len() > DEFAULT_MAX_PAYLOAD_LEN as usize {
            return Err(SignError::new(
                SignErrorKind::Rejected,
                format!(
                    "an event of {} bytes is over the event-stream limit of {DEFAULT_MAX_PAYLOAD_LEN} bytes; send it in smaller events",
                    payload.len()
                ),
            ));
        }
        // Between 1970 and 9999: fits an i64 and a u64.
        let ms = ms as i64;
        let secs = (ms / 1000) as u64;
        let day = secs / 86_400;
        let key = match &self.key {
            Some(k) if k.day == day => k.key,
            _ => {
                let derived = v4::generate_signing_key(
                    &self.secret_access_key,
                    time_at(secs),
                    &self.region,
                    &self.service,
                );
                let mut key = [0u8; 32];
                key.copy_from_slice(derived.as_ref());
                self.key = Some(DayKey { day, key });
                key
            }
        };

        let date_time = amz_date(secs);
        let date = date_time.get(..8).unwrap_or("");
        let date_header = encoded_date_header(ms);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{date_time}\n{date}/{}/{}/aws4_request\n{}\n{}\n{}",
            self.region,
            self.service,
            self.prior,
            sha256_hex(&date_header),
            sha256_hex(payload),
        );
        let signature = v4::calculate_signature(key, string_to_sign.as_bytes());
        // `:date` (timestamp), then `:chunk-signature` (type 6, bytes): the raw signature.
        let raw = signature_bytes(&signature);
        let mut headers = date_header;
        headers.extend_from_slice(b"\x10:chunk-signature\x06");
        headers.extend_from_slice(&(raw.len() as u16).to_be_bytes());
        headers.extend_from_slice(&raw);
        // The payload is bounded above, so it fits.
        let frame = frame(&headers, payload).ok_or_else(|| {
            SignError::new(SignErrorKind::Rejected, "cannot frame the signed event")
        })?;
        self.prior = signature;
        self.signed += 1;
        Ok(frame)
    }
}

/// The `:date` header as the event-stream encoder writes it (and as it is hashed): name
/// length, `:date`, type 8 (timestamp), milliseconds since 1970 as a big-endian i64.
fn encoded_date_header(ms: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(15);
    out.push(5);
    out.extend_from_slice(b":date");
    out.push(8);
    out.extend_from_slice(&ms.to_be_bytes());
    out
}

/// 64 hex digits (as `calculate_signature` returns them) → 32 bytes.
fn signature_bytes(hex: &str) -> Vec<u8> {
    let digit = |b: u8| match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => 0,
    };
    hex.as_bytes()
        .chunks_exact(2)
        .map(|p| (digit(p[0]) << 4) | digit(p[1]))
        .collect()
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::eventstream::{Decoder, HeaderValue, Message};
    use std::time::{Duration, UNIX_EPOCH};

    const SEED: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn signer() -> EventSigner {
        let c = Credentials::new("AKIDEXAMPLE", "secret", None);
        EventSigner::new(&c, "us-east-1", "bedrock", SEED).unwrap()
    }

    fn at_ms(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    fn decode(frame: &[u8]) -> Message {
        let mut d = Decoder::new();
        d.push(frame);
        let m = d.next_message().unwrap().unwrap();
        d.finish().unwrap();
        m
    }

    #[test]
    fn a_frame_has_date_then_signature_and_the_chain_advances() {
        let mut s = signer();
        let frame = s.sign_event(b"inner", at_ms(1_736_942_400_123)).unwrap();
        let m = decode(&frame);
        let names: Vec<&str> = m.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, [":date", ":chunk-signature"]);
        assert_eq!(
            m.header(":date"),
            Some(&HeaderValue::Timestamp(1_736_942_400_123))
        );
        let Some(HeaderValue::ByteArray(sig)) = m.header(":chunk-signature") else {
            panic!("{m:?}");
        };
        assert_eq!(super::super::canonical::hex(sig), s.prior_signature());
        assert_eq!(m.payload, b"inner");
        let first = s.prior_signature().to_owned();
        // Same payload and time, but chained: another signature.
        s.sign_event(b"inner", at_ms(1_736_942_400_123)).unwrap();
        assert_ne!(s.prior_signature(), first);
        // The empty end frame.
        let end = decode(&s.sign_event(b"", at_ms(1_736_942_401_000)).unwrap());
        assert!(end.payload.is_empty());
        assert_eq!(end.headers.len(), 2);
    }

    #[test]
    fn a_new_day_gets_a_new_key() {
        let mut s = signer();
        s.sign_event(b"a", at_ms(86_400_000 - 1)).unwrap();
        let day0 = s.key.as_ref().unwrap().day;
        s.sign_event(b"a", at_ms(86_400_000)).unwrap();
        assert_eq!(s.key.as_ref().unwrap().day, day0 + 1);
    }

    #[test]
    fn refusals_leave_the_chain_alone() {
        let mut s = signer();
        // A time before 1970 (natively; wasm32's SystemTime cannot even hold one).
        if let Some(before) = UNIX_EPOCH.checked_sub(Duration::from_millis(1)) {
            let e = s.sign_event(b"a", before).unwrap_err();
            assert_eq!(e.kind(), SignErrorKind::InvalidTime);
        }
        let big = vec![0u8; DEFAULT_MAX_PAYLOAD_LEN as usize + 1];
        let e = s.sign_event(&big, at_ms(0)).unwrap_err();
        assert_eq!(e.kind(), SignErrorKind::Rejected);
        assert!(e.to_string().contains("smaller events"), "{e}");
        assert_eq!(s.prior_signature(), SEED);
        let c = Credentials::new("AKID", "secret", None);
        for bad in ["", "abc", &SEED.to_uppercase(), &format!("{SEED}0")] {
            let e = EventSigner::new(&c, "us-east-1", "bedrock", bad).unwrap_err();
            assert_eq!(e.kind(), SignErrorKind::Rejected);
        }
        let e = EventSigner::new(&Credentials::new("AKID", "", None), "r", "s", SEED).unwrap_err();
        assert_eq!(e.kind(), SignErrorKind::MissingCredentials);
    }

    #[test]
    fn debug_prints_no_secret() {
        let c = Credentials::new("AKIDEXAMPLE", "very-secret-key", Some("tok".into()));
        let mut s = EventSigner::new(&c, "us-east-1", "bedrock", SEED).unwrap();
        s.sign_event(b"x", at_ms(0)).unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains("very-secret-key"), "{debug}");
        assert!(!debug.contains(SEED) && !debug.contains(s.prior_signature()));
        assert!(debug.contains("events_signed: 1"), "{debug}");
    }
}
