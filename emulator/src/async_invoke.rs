//! StartAsyncInvoke, GetAsyncInvoke and ListAsyncInvokes: invocations kept in memory, whose
//! status follows the emulator's clock (skew included): `InProgress` until
//! `Config::async_invoke_delay` after submission, then `Completed` — or `Failed` when the
//! `modelInput` holds a string containing [`FAIL_MARKER`].

use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::answer::{fnv1a, Rng};
use crate::clock::{iso_date_millis, parse_iso_date_millis};
use crate::families::schema::json_object;
use crate::guardrail::ACCOUNT_ID;
use crate::validate::{
    all_bytes, arn_parts, constraint, integer, is_bedrock_arn, length, list, lower_alnum, object,
    one_of, optional, pattern, required, string, union, OpError,
};

/// A string anywhere in `modelInput` containing this makes the invocation end `Failed`.
pub const FAIL_MARKER: &str = "emulator-fail";
/// The `failureMessage` of such an invocation.
pub const FAILURE_MESSAGE: &str =
    "The model could not process the input (the emulator was asked to fail this invocation).";
/// How many invocations the emulator keeps; more is a `ServiceQuotaExceededException` until
/// `POST /_emulator/reset`.
pub const MAX_INVOCATIONS: usize = 10_000;
/// `maxResults` when ListAsyncInvokes leaves it out.
pub const DEFAULT_MAX_RESULTS: usize = 100;

/// Models that accept asynchronous invocation on Bedrock (by id prefix).
const ASYNC_MODELS: [&str; 5] = [
    "amazon.nova-reel-v1:0",
    "amazon.nova-reel-v1:1",
    "amazon.nova-2-multimodal-embeddings-v1:0",
    "twelvelabs.marengo-embed-",
    "luma.ray-v2:0",
];

const TOKEN_PATTERN: &str = "[!-~]*";
const MODEL_PATTERN: &str = "[a-zA-Z_\\.\\-/0-9:]+";
pub(crate) const S3_PATTERN: &str = "s3://[a-z0-9][\\.\\-a-z0-9]{1,61}[a-z0-9](/.*)?";
const KMS_PATTERN: &str =
    "arn:aws(-[^:]+)?:kms:[a-zA-Z0-9-]*:[0-9]{12}:((key/[a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+))";
const ACCOUNT_PATTERN: &str = "[0-9]{12}";
const TAG_PATTERN: &str = "[a-zA-Z0-9\\s._:/=+@-]*";
const ARN_PATTERN: &str =
    "arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:async-invoke/[a-z0-9]{12}";

pub(crate) fn is_s3_uri(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("s3://") else {
        return false;
    };
    let bucket = rest.split('/').next().unwrap_or("");
    let b = bucket.as_bytes();
    (3..=63).contains(&b.len())
        && lower_alnum(b[0])
        && lower_alnum(b[b.len() - 1])
        && all_bytes(bucket, |c| lower_alnum(c) || c == b'.' || c == b'-')
}

fn is_kms_key(s: &str) -> bool {
    let Some([service, region, account, resource]) = arn_parts(s) else {
        return false;
    };
    service == "kms"
        && all_bytes(region, |b| b.is_ascii_alphanumeric() || b == b'-')
        && account.len() == 12
        && all_bytes(account, |b| b.is_ascii_digit())
        && (resource.strip_prefix("key/").is_some_and(|k| {
            k.len() == 36 && all_bytes(k, |b| b.is_ascii_alphanumeric() || b == b'-')
        }) || resource.strip_prefix("alias/").is_some_and(|a| {
            !a.is_empty() && all_bytes(a, |b| b.is_ascii_alphanumeric() || b"-_/".contains(&b))
        }))
}

fn is_tag_text(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || c.is_whitespace() || "._:/=+@-".contains(c))
}

/// Whether `s` has the shape of an async-invoke ARN (the service model's pattern).
fn is_invocation_arn(s: &str) -> bool {
    is_bedrock_arn(s, "async-invoke", |id| {
        id.len() == 12 && all_bytes(id, lower_alnum)
    })
}

/// The base model id of an async-capable model id or foundation-model ARN.
fn async_model(model_id: &str) -> Option<&str> {
    let base = match model_id.strip_prefix("arn:aws:bedrock:") {
        Some(rest) => rest.split_once(":foundation-model/")?.1,
        None => model_id,
    };
    ASYNC_MODELS
        .iter()
        .any(|m| base.starts_with(m))
        .then_some(base)
}

/// Whether any string in `v` contains [`FAIL_MARKER`].
fn has_fail_marker(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains(FAIL_MARKER),
        Value::Array(items) => items.iter().any(has_fail_marker),
        Value::Object(fields) => fields
            .iter()
            .any(|(k, v)| k.contains(FAIL_MARKER) || has_fail_marker(v)),
        _ => false,
    }
}

/// One invocation.
#[derive(Debug, Clone)]
struct Invocation {
    seq: u64,
    arn: String,
    model_arn: String,
    token: Option<String>,
    /// Hash of the normalized request, for idempotency.
    fingerprint: u64,
    submit_ms: i64,
    end_ms: i64,
    fails: bool,
    s3_uri: String,
    kms_key_id: Option<String>,
    bucket_owner: Option<String>,
}

impl Invocation {
    fn status(&self, now_ms: i64) -> &'static str {
        if now_ms < self.end_ms {
            "InProgress"
        } else if self.fails {
            "Failed"
        } else {
            "Completed"
        }
    }

    fn json(&self, now_ms: i64) -> Value {
        let status = self.status(now_ms);
        let mut s3 = Map::new();
        s3.insert("s3Uri".into(), self.s3_uri.clone().into());
        if let Some(k) = &self.kms_key_id {
            s3.insert("kmsKeyId".into(), k.clone().into());
        }
        if let Some(o) = &self.bucket_owner {
            s3.insert("bucketOwner".into(), o.clone().into());
        }
        let mut out = Map::new();
        out.insert("invocationArn".into(), self.arn.clone().into());
        out.insert("modelArn".into(), self.model_arn.clone().into());
        if let Some(t) = &self.token {
            out.insert("clientRequestToken".into(), t.clone().into());
        }
        out.insert("status".into(), status.into());
        if status == "Failed" {
            out.insert("failureMessage".into(), FAILURE_MESSAGE.into());
        }
        out.insert("submitTime".into(), iso_date_millis(self.submit_ms).into());
        let done = status != "InProgress";
        let modified = if done { self.end_ms } else { self.submit_ms };
        out.insert("lastModifiedTime".into(), iso_date_millis(modified).into());
        if done {
            out.insert("endTime".into(), iso_date_millis(self.end_ms).into());
        }
        out.insert(
            "outputDataConfig".into(),
            json!({ "s3OutputDataConfig": Value::Object(s3) }),
        );
        Value::Object(out)
    }
}

/// The invocations of one emulator.
#[derive(Default)]
pub(crate) struct Store {
    inner: Mutex<Vec<Invocation>>,
}

/// What an operation needs from the server: the region, the clock (ms, skew included) and
/// the configured delay.
pub(crate) struct Env<'a> {
    pub region: &'a str,
    pub now_ms: i64,
    pub delay: Duration,
}

impl Store {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Invocation>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets every invocation (`POST /_emulator/reset`).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// StartAsyncInvoke. Returns the response and the model id (for the log).
    pub(crate) fn start(&self, body: &[u8], env: &Env<'_>) -> Result<(Value, String), OpError> {
        let obj = json_object(body)?;
        let token = match optional(&obj, "clientRequestToken") {
            Some(v) => {
                let t = string(v, "clientRequestToken")?;
                length(t, "clientRequestToken", 1, 256)?;
                pattern(t, "clientRequestToken", TOKEN_PATTERN, |s| {
                    all_bytes(s, |b| (b'!'..=b'~').contains(&b))
                })?;
                Some(t.to_owned())
            }
            None => None,
        };
        let model = string(required(&obj, "modelId", "modelId")?, "modelId")?;
        length(model, "modelId", 1, 256)?;
        pattern(model, "modelId", MODEL_PATTERN, |s| {
            all_bytes(s, |b| b.is_ascii_alphanumeric() || b"_.-/:".contains(&b))
        })?;
        let input = required(&obj, "modelInput", "modelInput")?;
        let out = required(&obj, "outputDataConfig", "outputDataConfig")?;
        let (_, s3) = union(out, "outputDataConfig", &["s3OutputDataConfig"])?;
        let s3p = "outputDataConfig.s3OutputDataConfig";
        let s3 = object(s3, s3p)?;
        let uri_path = format!("{s3p}.s3Uri");
        let uri = string(required(s3, "s3Uri", &uri_path)?, &uri_path)?;
        length(uri, &uri_path, 1, 1024)?;
        pattern(uri, &uri_path, S3_PATTERN, is_s3_uri)?;
        let kms_key_id = match optional(s3, "kmsKeyId") {
            Some(v) => {
                let p = format!("{s3p}.kmsKeyId");
                let k = string(v, &p)?;
                length(k, &p, 1, 2048)?;
                pattern(k, &p, KMS_PATTERN, is_kms_key)?;
                Some(k.to_owned())
            }
            None => None,
        };
        let bucket_owner = match optional(s3, "bucketOwner") {
            Some(v) => {
                let p = format!("{s3p}.bucketOwner");
                let o = string(v, &p)?;
                pattern(o, &p, ACCOUNT_PATTERN, |s| {
                    s.len() == 12 && all_bytes(s, |b| b.is_ascii_digit())
                })?;
                Some(o.to_owned())
            }
            None => None,
        };
        if let Some(tags) = optional(&obj, "tags") {
            let tags = list(tags, "tags")?;
            if tags.len() > 200 {
                return Err(constraint(
                    &Value::from(format!("[{} tags]", tags.len())),
                    "tags",
                    "have length less than or equal to 200",
                )
                .into());
            }
            for (i, tag) in tags.iter().enumerate() {
                let p = format!("tags.{}.member", i + 1);
                let tag = object(tag, &p)?;
                for (key, min, max) in [("key", 1, 128), ("value", 0, 256)] {
                    let kp = format!("{p}.{key}");
                    let v = string(required(tag, key, &kp)?, &kp)?;
                    length(v, &kp, min, max)?;
                    pattern(v, &kp, TAG_PATTERN, is_tag_text)?;
                }
            }
        }
        let Some(base) = async_model(model) else {
            return Err(OpError::validation(
                if crate::families::Family::of_model(model).is_some() {
                    "The provided model doesn't support asynchronous invocation. Use a model \
                     that supports StartAsyncInvoke, such as amazon.nova-reel-v1:1."
                } else {
                    crate::families::INVALID_MODEL_ID
                },
            ));
        };
        // The model reads `modelInput` as its native body: a JSON object.
        json_object(&serde_json::to_vec(input).unwrap_or_default())?;

        // Normalized request (serde_json sorts keys) for idempotency.
        let fingerprint = fnv1a(Value::Object(obj.clone()).to_string().as_bytes());
        let mut all = self.lock();
        if let Some(t) = &token {
            if let Some(old) = all.iter().find(|i| i.token.as_deref() == Some(t)) {
                if old.fingerprint == fingerprint {
                    return Ok((json!({ "invocationArn": old.arn }), model.to_owned()));
                }
                return Err(OpError::new(
                    400,
                    "ConflictException",
                    "The clientRequestToken was already used for a request with different \
                     parameters. Use a new token for a different request.",
                ));
            }
        }
        if all.len() >= MAX_INVOCATIONS {
            return Err(OpError::new(
                400,
                "ServiceQuotaExceededException",
                format!(
                    "The emulator keeps at most {MAX_INVOCATIONS} asynchronous invocations; \
                     POST /_emulator/reset forgets them."
                ),
            ));
        }
        let seq = all.last().map_or(0, |i| i.seq + 1);
        let mut rng = Rng::new(fnv1a(&seq.to_le_bytes()) ^ fingerprint);
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let id: String = (0..12)
            .map(|_| ALPHABET[rng.below(ALPHABET.len())] as char)
            .collect();
        let arn = format!(
            "arn:aws:bedrock:{}:{ACCOUNT_ID}:async-invoke/{id}",
            env.region
        );
        let delay_ms = i64::try_from(env.delay.as_millis()).unwrap_or(i64::MAX);
        all.push(Invocation {
            seq,
            arn: arn.clone(),
            model_arn: format!("arn:aws:bedrock:{}::foundation-model/{base}", env.region),
            token,
            fingerprint,
            submit_ms: env.now_ms,
            end_ms: env.now_ms.saturating_add(delay_ms),
            fails: has_fail_marker(input),
            s3_uri: format!("{}/{id}", uri.trim_end_matches('/')),
            kms_key_id,
            bucket_owner,
        });
        Ok((json!({ "invocationArn": arn }), model.to_owned()))
    }

    /// GetAsyncInvoke.
    pub(crate) fn get(&self, arn: &str, env: &Env<'_>) -> Result<Value, OpError> {
        length(arn, "invocationArn", 1, 2048)?;
        pattern(arn, "invocationArn", ARN_PATTERN, is_invocation_arn)?;
        self.lock()
            .iter()
            .find(|i| i.arn == arn)
            .map(|i| i.json(env.now_ms))
            .ok_or_else(|| {
                OpError::new(
                    404,
                    "ResourceNotFoundException",
                    format!("The specified invocation ARN was not found: {arn}"),
                )
            })
    }

    /// ListAsyncInvokes, from the decoded query parameters.
    pub(crate) fn list(&self, query: &[(String, String)], env: &Env<'_>) -> Result<Value, OpError> {
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let time = |name: &str| -> Result<Option<i64>, OpError> {
            param(name)
                .map(|v| {
                    parse_iso_date_millis(v).ok_or_else(|| {
                        OpError::validation(constraint(
                            &Value::from(v),
                            name,
                            "be an ISO 8601 date-time such as 2025-01-15T12:00:00.000Z",
                        ))
                    })
                })
                .transpose()
        };
        let after = time("submitTimeAfter")?;
        let before = time("submitTimeBefore")?;
        let status = param("statusEquals")
            .map(|v| {
                one_of(
                    &Value::from(v),
                    "statusEquals",
                    &["InProgress", "Completed", "Failed"],
                )
                .map(str::to_owned)
            })
            .transpose()?;
        let max = match param("maxResults") {
            Some(v) => {
                let n = v
                    .parse::<i64>()
                    .map_err(|_| constraint(&Value::from(v), "maxResults", "be an integer"))?;
                integer(&Value::from(n), "maxResults", 1, 1000)? as usize
            }
            None => DEFAULT_MAX_RESULTS,
        };
        if let Some(v) = param("sortBy") {
            one_of(&Value::from(v), "sortBy", &["SubmissionTime"])?;
        }
        let ascending = match param("sortOrder") {
            Some(v) => {
                one_of(&Value::from(v), "sortOrder", &["Ascending", "Descending"])? == "Ascending"
            }
            None => false,
        };
        // The filters a token was issued for: a token only continues the same listing.
        let filters = fnv1a(format!("{after:?}|{before:?}|{status:?}|{ascending}").as_bytes());
        let resume = match param("nextToken") {
            Some(t) => {
                length(t, "nextToken", 1, 2048)?;
                pattern(t, "nextToken", "\\S*", |s| {
                    !s.chars().any(char::is_whitespace)
                })?;
                Some(decode_token(t, filters).ok_or_else(|| {
                    OpError::validation(
                        "The nextToken is invalid: pass a token from a previous ListAsyncInvokes \
                         response with the same filters and sort order.",
                    )
                })?)
            }
            None => None,
        };
        let mut items: Vec<Invocation> = self
            .lock()
            .iter()
            .filter(|i| after.is_none_or(|a| i.submit_ms > a))
            .filter(|i| before.is_none_or(|b| i.submit_ms < b))
            .filter(|i| status.as_deref().is_none_or(|s| i.status(env.now_ms) == s))
            .cloned()
            .collect();
        items.sort_by_key(|i| (i.submit_ms, i.seq));
        if !ascending {
            items.reverse();
        }
        let start = match resume {
            Some(key) => items
                .iter()
                .position(|i| {
                    let k = (i.submit_ms, i.seq);
                    if ascending {
                        k > key
                    } else {
                        k < key
                    }
                })
                .unwrap_or(items.len()),
            None => 0,
        };
        let page = &items[start..items.len().min(start.saturating_add(max))];
        let mut out = Map::new();
        if start + page.len() < items.len() {
            if let Some(last) = page.last() {
                out.insert(
                    "nextToken".into(),
                    encode_token((last.submit_ms, last.seq), filters).into(),
                );
            }
        }
        out.insert(
            "asyncInvokeSummaries".into(),
            page.iter()
                .map(|i| i.json(env.now_ms))
                .collect::<Vec<_>>()
                .into(),
        );
        Ok(Value::Object(out))
    }
}

fn encode_token(key: (i64, u64), filters: u64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("emulator-page:{}:{}:{filters:016x}", key.0, key.1))
}

fn decode_token(token: &str, filters: u64) -> Option<(i64, u64)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let rest = text.strip_prefix("emulator-page:")?;
    let mut parts = rest.split(':');
    let (ms, seq, f) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || f != format!("{filters:016x}") {
        return None;
    }
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(now_ms: i64) -> Env<'static> {
        Env {
            region: "us-east-1",
            now_ms,
            delay: Duration::from_secs(2),
        }
    }

    fn body(token: &str, text: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "clientRequestToken": token,
            "modelId": "amazon.nova-reel-v1:1",
            "modelInput": {"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": text}},
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://my-bucket/out/"}},
        }))
        .unwrap()
    }

    #[test]
    fn starts_gets_and_lists() {
        let store = Store::default();
        let (r, model) = store.start(&body("t1", "a cat"), &env(1_000)).unwrap();
        assert_eq!(model, "amazon.nova-reel-v1:1");
        let arn = r["invocationArn"].as_str().unwrap().to_owned();
        assert!(is_invocation_arn(&arn), "{arn}");
        assert_eq!(store.start(&body("t1", "a cat"), &env(5_000)).unwrap().0, r);
        let e = store.start(&body("t1", "a dog"), &env(5_000)).unwrap_err();
        assert_eq!(e.code, "ConflictException");
        let g = store.get(&arn, &env(2_999)).unwrap();
        assert_eq!(g["status"], "InProgress");
        assert!(g.get("endTime").is_none());
        assert_eq!(g["submitTime"], "1970-01-01T00:00:01.000Z");
        let id = arn.rsplit('/').next().unwrap();
        assert_eq!(
            g["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"],
            format!("s3://my-bucket/out/{id}")
        );
        let g = store.get(&arn, &env(3_000)).unwrap();
        assert_eq!(
            (g["status"].as_str(), g["endTime"].as_str()),
            (Some("Completed"), Some("1970-01-01T00:00:03.000Z"))
        );
        let (f, _) = store
            .start(&body("t2", "please emulator-fail"), &env(2_000))
            .unwrap();
        let g = store
            .get(f["invocationArn"].as_str().unwrap(), &env(9_000))
            .unwrap();
        assert_eq!(
            (g["status"].as_str(), g["failureMessage"].as_str()),
            (Some("Failed"), Some(FAILURE_MESSAGE))
        );
        store.start(&body("t3", "x"), &env(3_000)).unwrap();

        let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let all = store.list(&[], &env(10_000)).unwrap();
        let arns: Vec<&str> = all["asyncInvokeSummaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["invocationArn"].as_str().unwrap())
            .collect();
        assert_eq!(arns.len(), 3);
        assert_eq!(arns[2], arn, "descending by default");
        // Paging one at a time visits every invocation once, in order.
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut params = vec![("maxResults", "1"), ("sortOrder", "Ascending")];
            if let Some(t) = &token {
                params.push(("nextToken", t));
            }
            let page = store.list(&q(&params), &env(10_000)).unwrap();
            for s in page["asyncInvokeSummaries"].as_array().unwrap() {
                seen.push(s["invocationArn"].as_str().unwrap().to_owned());
            }
            match page.get("nextToken").and_then(Value::as_str) {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        let mut expected: Vec<String> = arns.iter().map(|s| s.to_string()).collect();
        expected.reverse();
        assert_eq!(seen, expected);
        let failed = store
            .list(&q(&[("statusEquals", "Failed")]), &env(10_000))
            .unwrap();
        assert_eq!(failed["asyncInvokeSummaries"].as_array().unwrap().len(), 1);
        let after = store
            .list(
                &q(&[("submitTimeAfter", "1970-01-01T00:00:02.000Z")]),
                &env(10_000),
            )
            .unwrap();
        assert_eq!(after["asyncInvokeSummaries"].as_array().unwrap().len(), 1);
        for (params, want) in [
            (vec![("maxResults", "0")], "greater than or equal to 1"),
            (vec![("maxResults", "1001")], "less than or equal to 1000"),
            (vec![("maxResults", "x")], "be an integer"),
            (vec![("sortOrder", "Up")], "[Ascending, Descending]"),
            (vec![("sortBy", "Name")], "[SubmissionTime]"),
            (
                vec![("statusEquals", "Done")],
                "[InProgress, Completed, Failed]",
            ),
            (vec![("submitTimeBefore", "yesterday")], "ISO 8601"),
            (vec![("nextToken", "bogus")], "nextToken is invalid"),
        ] {
            let e = store.list(&q(&params), &env(0)).unwrap_err();
            assert!(e.message.contains(want), "{params:?}: {}", e.message);
        }
        // A token does not carry over to other filters.
        let page = store
            .list(&q(&[("maxResults", "1")]), &env(10_000))
            .unwrap();
        let t = page["nextToken"].as_str().unwrap();
        assert!(store
            .list(
                &q(&[("nextToken", t), ("sortOrder", "Ascending")]),
                &env(10_000)
            )
            .is_err());
    }

    #[test]
    fn validates_start() {
        let store = Store::default();
        let start = |v: Value| {
            store
                .start(&serde_json::to_vec(&v).unwrap(), &env(0))
                .unwrap_err()
                .message
        };
        let ok = json!({"modelId":"amazon.nova-reel-v1:0","modelInput":{},
            "outputDataConfig":{"s3OutputDataConfig":{"s3Uri":"s3://bkt"}}});
        let with = |k: &str, v: Value| {
            let mut o = ok.clone();
            o[k] = v;
            o
        };
        assert!(start(with("modelId", Value::Null))
            .contains("at 'modelId' failed to satisfy constraint: Member must not be null"));
        assert!(start(with("modelInput", Value::Null)).contains("at 'modelInput'"));
        assert!(start(with("modelInput", json!([1]))).starts_with("Malformed input request"));
        assert!(start(with("outputDataConfig", json!({}))).contains("exactly one member"));
        assert!(start(with(
            "outputDataConfig",
            json!({"s3OutputDataConfig":{"s3Uri":"https://x"}})
        ))
        .contains("regular expression pattern: s3://"));
        assert!(start(with(
            "outputDataConfig",
            json!({"s3OutputDataConfig":{"s3Uri":"s3://bkt","kmsKeyId":"k"}})
        ))
        .contains("kmsKeyId"));
        assert!(start(with(
            "outputDataConfig",
            json!({"s3OutputDataConfig":{"s3Uri":"s3://bkt","bucketOwner":"12"}})
        ))
        .contains("bucketOwner"));
        assert!(start(with("clientRequestToken", json!("")))
            .contains("length greater than or equal to 1"));
        assert!(start(with("clientRequestToken", json!("a b"))).contains("[!-~]*"));
        assert!(start(with("clientRequestToken", json!("x".repeat(257))))
            .contains("less than or equal to 256"));
        assert!(start(with("modelId", json!("a b"))).contains("regular expression pattern"));
        assert!(start(with("modelId", json!("anthropic.claude-v2")))
            .contains("doesn't support asynchronous"));
        assert!(start(with("modelId", json!("nope"))).contains("model identifier is invalid"));
        assert!(start(with("tags", json!([{"key":"","value":"v"}]))).contains("tags.1.member.key"));
        assert!(
            start(with("tags", json!([{"key":"k","value":"a*b"}]))).contains("tags.1.member.value")
        );
        assert!(start(with(
            "tags",
            Value::Array(vec![json!({"key":"k","value":"v"}); 201])
        ))
        .contains("less than or equal to 200"));
        let e = store
            .get(
                "arn:aws:bedrock:us-east-1:000000000000:async-invoke/abcdefabcdef",
                &env(0),
            )
            .unwrap_err();
        assert_eq!((e.status, e.code), (404, "ResourceNotFoundException"));
        assert_eq!(store.get("nope", &env(0)).unwrap_err().status, 400);
        assert!(is_kms_key(
            "arn:aws:kms:us-east-1:123456789012:alias/my-key"
        ));
        assert!(is_kms_key(
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ));
        assert!(
            async_model("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:0")
                .is_some()
        );
    }
}
