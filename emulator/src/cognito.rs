//! Amazon Cognito Identity (`GetId`, `GetCredentialsForIdentity`, `GetOpenIdToken`; JSON 1.1)
//! and STS `AssumeRoleWithWebIdentity` (Query protocol, XML answer), just enough for a page to
//! sign in with an identity pool as it would on AWS (BEDROCK.md §8). Like on AWS these calls are
//! unsigned. The credentials handed out are fresh temporary credentials that the emulator's
//! SigV4 check accepts until they expire (then `ExpiredTokenException`), so a client's refresh
//! can be tested.

use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use crate::answer::{fnv1a, Rng};
use crate::clock::{iso_date, unix_millis, unix_secs};
use crate::log::RequestRecord;
use crate::server::Shared;
use crate::sigv4::{parse_authorization, percent_decode};
use crate::Credential;

/// The identity pool the emulator knows (guest and authenticated access, classic flow allowed).
pub const DEMO_IDENTITY_POOL_ID: &str = "us-east-1:00000000-0000-0000-0000-000000000000";

const TARGET_PREFIX: &str = "AWSCognitoIdentityService.";
const JSON_1_1: &str = "application/x-amz-json-1.1";
/// How long an OpenID token from `GetOpenIdToken` can be exchanged at STS (AWS: 10 minutes).
const OPEN_ID_TOKEN_SECS: i64 = 600;
/// The largest Cognito or STS request body read (their requests are a few hundred bytes).
const MAX_BODY: usize = 64 * 1024;

/// Which of the two services a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Cognito,
    Sts,
}

/// Cognito and STS are both `POST /`: Cognito names its operation in `X-Amz-Target`, STS
/// sends a form body. Anything else is not for this module.
pub(crate) fn service(method: &Method, path: &str, headers: &HeaderMap) -> Option<Service> {
    if method != Method::POST || path != "/" {
        return None;
    }
    let get = |h: &str| headers.get(h).and_then(|v| v.to_str().ok()).unwrap_or("");
    if get("x-amz-target").starts_with(TARGET_PREFIX) {
        Some(Service::Cognito)
    } else if get("content-type").starts_with("application/x-www-form-urlencoded") {
        Some(Service::Sts)
    } else {
        None
    }
}

/// Identities, OpenID tokens and credentials handed out so far.
#[derive(Default)]
pub(crate) struct Issuer {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    identities: Vec<String>,
    /// (token, identity id, expires at in Unix seconds).
    tokens: Vec<(String, String, i64)>,
    /// Credentials and when they expire (Unix seconds).
    credentials: Vec<(Credential, i64)>,
    counter: u64,
}

impl State {
    fn rng(&mut self) -> Rng {
        self.counter += 1;
        let seed = unix_millis(SystemTime::now()) ^ self.counter.wrapping_mul(0x9e37_79b9);
        Rng::new(fnv1a(&seed.to_le_bytes()))
    }
}

fn random(rng: &mut Rng, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| alphabet[rng.below(alphabet.len())] as char)
        .collect()
}

const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE64ISH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

impl Issuer {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The credentials a Bedrock request may be signed with at `now`: the configured ones and
    /// the unexpired ones handed out here. A request signed with a handed-out key that has
    /// expired gets `Err` (the message of AWS's `ExpiredTokenException`).
    pub(crate) fn credentials(
        &self,
        configured: &[Credential],
        headers: &HeaderMap,
        now: SystemTime,
    ) -> Result<Vec<Credential>, &'static str> {
        let now = unix_secs(now);
        let state = self.lock();
        let key = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_authorization(v).ok())
            .map(|a| a.access_key_id);
        if let Some(key) = key {
            let expired = state
                .credentials
                .iter()
                .any(|(c, exp)| c.access_key_id == key && *exp <= now);
            if expired {
                return Err("The security token included in the request is expired");
            }
        }
        let mut all = configured.to_vec();
        all.extend(
            state
                .credentials
                .iter()
                .filter(|(_, exp)| *exp > now)
                .map(|(c, _)| c.clone()),
        );
        Ok(all)
    }

    /// New temporary credentials valid for `secs`; returns them and their expiry (Unix s).
    fn issue(&self, secs: i64) -> (Credential, i64) {
        let mut state = self.lock();
        let mut rng = state.rng();
        let now = unix_secs(SystemTime::now());
        let credential = Credential {
            access_key_id: format!("ASIA{}", random(&mut rng, UPPER_DIGITS, 16)),
            secret_access_key: random(&mut rng, BASE64ISH, 40),
            session_token: Some(format!("IQoJemulator{}", random(&mut rng, BASE64ISH, 80))),
        };
        let expires = now.saturating_add(secs);
        // Keep the list short: forget credentials that expired over an hour ago.
        state
            .credentials
            .retain(|(_, exp)| *exp > now.saturating_sub(3600));
        state.credentials.push((credential.clone(), expires));
        (credential, expires)
    }
}

/// A failed call: the status, the error code and its message.
struct Failure(u16, &'static str, String);

impl Failure {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Failure(400, code, message.into())
    }
}

/// Answers one Cognito or STS request and records it in the log.
pub(crate) async fn handle(
    s: &Shared,
    service: Service,
    mut record: RequestRecord,
    parts: &axum::http::request::Parts,
    body: Body,
) -> Response {
    let started = Instant::now();
    let id = record.id.clone();
    let body = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        let code = match service {
            Service::Cognito => "SerializationException",
            Service::Sts => "ValidationError",
        };
        Failure::new(
            code,
            format!(
                "Could not read the request body: it is over the emulator's {MAX_BODY}-byte \
                 limit for Cognito and STS calls, or the client stopped sending it."
            ),
        )
    });
    let result = match (service, body) {
        (_, Err(failure)) => {
            record.operation = match service {
                Service::Cognito => format!("Cognito.{}", cognito_operation(&parts.headers)),
                Service::Sts => "STS.AssumeRoleWithWebIdentity".into(),
            };
            Err(failure)
        }
        (service, Ok(body)) => match service {
            Service::Cognito => {
                let operation = cognito_operation(&parts.headers);
                record.operation = format!("Cognito.{operation}");
                cognito(s, &operation, &parts.headers, &body)
            }
            Service::Sts => {
                record.operation = "STS.AssumeRoleWithWebIdentity".into();
                sts(s, &body)
            }
        },
    };
    let skew = s.config.clock_skew_secs;
    let (status, content_type, text, error) = match (service, result) {
        (Service::Cognito, Ok(text)) => (200, JSON_1_1, text, None),
        (Service::Sts, Ok(text)) => (200, "text/xml", text, None),
        (Service::Cognito, Err(Failure(status, code, message))) => (
            status,
            JSON_1_1,
            json!({ "__type": code, "message": message }).to_string(),
            Some(format!("{code}: {message}")),
        ),
        (Service::Sts, Err(Failure(status, code, message))) => (
            status,
            "text/xml",
            format!(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{id}</RequestId></ErrorResponse>",
                xml_escape(&message)
            ),
            Some(format!("{code}: {message}")),
        ),
    };
    record.signature = "unsigned".into();
    record.answered(status, error, started);
    s.log.push(record);
    let mut b = s.response(
        &id,
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        skew,
    );
    if status >= 300 && service == Service::Cognito {
        b = b.header("x-amzn-ErrorType", text_code(&text));
    }
    crate::server::finish(
        b.header(header::CONTENT_TYPE, content_type),
        Body::from(text),
    )
}

/// The Cognito operation named in `X-Amz-Target`.
fn cognito_operation(headers: &HeaderMap) -> String {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    target.trim_start_matches(TARGET_PREFIX).to_owned()
}

/// A configured lifetime in whole seconds (saturating; `Emulator::start` bounds it).
fn lifetime_secs(s: &Shared) -> i64 {
    i64::try_from(s.config.cognito_lifetime.as_secs()).unwrap_or(i64::MAX)
}

fn text_code(json_text: &str) -> String {
    serde_json::from_str::<Value>(json_text)
        .ok()
        .and_then(|v| v["__type"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `GetId`, `GetCredentialsForIdentity`, `GetOpenIdToken`.
fn cognito(
    s: &Shared,
    operation: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, Failure> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with(JSON_1_1) {
        return Err(Failure::new(
            "SerializationException",
            format!("Expected Content-Type {JSON_1_1}, got {content_type:?}."),
        ));
    }
    let input: Value = serde_json::from_slice(body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| Failure::new("SerializationException", "The body is not a JSON object."))?;
    check_logins(&input)?;
    let issuer = &s.cognito;
    match operation {
        "GetId" => {
            let pool = input["IdentityPoolId"].as_str().unwrap_or("");
            let well_formed = pool.split_once(':').is_some_and(|(r, u)| {
                !r.is_empty()
                    && !u.is_empty()
                    && u.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
            });
            if !well_formed {
                return Err(Failure::new(
                    "ValidationException",
                    format!("1 validation error detected: Value '{pool}' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+"),
                ));
            }
            if pool != DEMO_IDENTITY_POOL_ID {
                return Err(Failure::new(
                    "ResourceNotFoundException",
                    format!("IdentityPool '{pool}' not found."),
                ));
            }
            // A login maps to the same identity every time; each guest gets a new one.
            let mut state = issuer.lock();
            let seed = match input.get("Logins") {
                Some(logins) => fnv1a(logins.to_string().as_bytes()),
                None => state.rng().next_u64(),
            };
            let mut rng = Rng::new(seed);
            let identity = format!("us-east-1:{}", crate::ids::uuid(&mut rng));
            if !state.identities.contains(&identity) {
                state.identities.push(identity.clone());
            }
            Ok(json!({ "IdentityId": identity }).to_string())
        }
        "GetCredentialsForIdentity" | "GetOpenIdToken" => {
            let identity = input["IdentityId"].as_str().unwrap_or("").to_owned();
            if !issuer.lock().identities.contains(&identity) {
                return Err(Failure::new(
                    "ResourceNotFoundException",
                    format!("Identity '{identity}' not found."),
                ));
            }
            if operation == "GetOpenIdToken" {
                let mut state = issuer.lock();
                let mut rng = state.rng();
                let token = format!(
                    "eyJraWQiOiJlbXVsYXRvciJ9.{}.{}",
                    random(&mut rng, BASE64ISH, 24).replace(['+', '/'], "_"),
                    random(&mut rng, BASE64ISH, 16).replace(['+', '/'], "_")
                );
                let expires = unix_secs(SystemTime::now()).saturating_add(OPEN_ID_TOKEN_SECS);
                state.tokens.push((token.clone(), identity.clone(), expires));
                return Ok(json!({ "IdentityId": identity, "Token": token }).to_string());
            }
            let (c, expires) = issuer.issue(lifetime_secs(s));
            Ok(json!({
                "IdentityId": identity,
                "Credentials": {
                    "AccessKeyId": c.access_key_id,
                    "SecretKey": c.secret_access_key,
                    "SessionToken": c.session_token,
                    "Expiration": expires,
                }
            })
            .to_string())
        }
        other => Err(Failure::new(
            "UnknownOperationException",
            format!("The emulator answers GetId, GetCredentialsForIdentity and GetOpenIdToken, not {other:?}."),
        )),
    }
}

/// `Logins`, when present, maps provider names to non-empty tokens.
fn check_logins(input: &Value) -> Result<(), Failure> {
    match input.get("Logins") {
        None => Ok(()),
        Some(Value::Object(m))
            if m.values()
                .all(|t| t.as_str().is_some_and(|t| !t.is_empty())) =>
        {
            Ok(())
        }
        Some(_) => Err(Failure::new(
            "NotAuthorizedException",
            "Invalid login token.",
        )),
    }
}

/// A form body as name → value (`+` is a space, `%XX` decoded).
fn form(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    let decode =
        |s: &str| String::from_utf8_lossy(&percent_decode(&s.replace('+', " "))).into_owned();
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// STS `AssumeRoleWithWebIdentity` with a token from `GetOpenIdToken`.
fn sts(s: &Shared, body: &[u8]) -> Result<String, Failure> {
    let params = form(body);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let invalid = |m: String| Failure::new("ValidationError", m);
    if get("Action") != Some("AssumeRoleWithWebIdentity") {
        return Err(Failure::new(
            "InvalidAction",
            format!(
                "Could not find operation {} for version 2011-06-15",
                get("Action").unwrap_or("")
            ),
        ));
    }
    if get("Version") != Some("2011-06-15") {
        return Err(invalid("Version must be 2011-06-15.".into()));
    }
    let role = get("RoleArn").unwrap_or("");
    if !role.starts_with("arn:aws:iam::") || !role.contains(":role/") {
        return Err(invalid(format!(
            "1 validation error detected: Value '{role}' at 'roleArn' failed to satisfy constraint: Member must be an IAM role ARN"
        )));
    }
    let session = get("RoleSessionName").unwrap_or("");
    let session_ok = (2..=64).contains(&session.len())
        && session
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if !session_ok {
        return Err(invalid(format!(
            "1 validation error detected: Value '{session}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )));
    }
    let secs = match get("DurationSeconds") {
        None => lifetime_secs(s),
        Some(d) => d
            .parse::<i64>()
            .ok()
            .filter(|d| (900..=43_200).contains(d))
            .ok_or_else(|| {
                invalid(format!(
                    "1 validation error detected: Value '{d}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200"
                ))
            })?,
    };
    let token = get("WebIdentityToken").unwrap_or("");
    let now = unix_secs(SystemTime::now());
    let known = s
        .cognito
        .lock()
        .tokens
        .iter()
        .find(|(t, _, _)| t == token)
        .map(|(_, identity, exp)| (identity.clone(), *exp));
    let identity = match known {
        None => {
            return Err(Failure::new(
                "InvalidIdentityToken",
                "Couldn't verify the web identity token (the emulator only accepts tokens from its GetOpenIdToken).",
            ))
        }
        Some((_, exp)) if exp <= now => {
            return Err(Failure::new("ExpiredTokenException", "Token is expired."))
        }
        Some((identity, _)) => identity,
    };
    let (c, expires) = s.cognito.issue(secs);
    let iso = iso_date(expires);
    let role_name = role.rsplit('/').next().unwrap_or("");
    let account = role.split(':').nth(4).unwrap_or("");
    Ok(format!(
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{iso}</Expiration></Credentials><SubjectFromWebIdentityToken>{}</SubjectFromWebIdentityToken><AssumedRoleUser><Arn>arn:aws:sts::{account}:assumed-role/{}/{}</Arn><AssumedRoleId>AROAEMULATOR:{}</AssumedRoleId></AssumedRoleUser><Provider>cognito-identity.amazonaws.com</Provider><Audience>{DEMO_IDENTITY_POOL_ID}</Audience></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>emulator</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>",
        c.access_key_id,
        xml_escape(&c.secret_access_key),
        xml_escape(c.session_token.as_deref().unwrap_or("")),
        xml_escape(&identity),
        xml_escape(role_name),
        xml_escape(session),
        xml_escape(session),
    ))
}
