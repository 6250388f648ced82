//! ApplyGuardrail and InvokeGuardrailChecks: one small, deterministic guardrail.
//!
//! - The only guardrail is [`GUARDRAIL_ID`] (also as an ARN in the emulator's region and
//!   account [`ACCOUNT_ID`]), versions `DRAFT` and `1`; any other identifier or version that
//!   passes the service model's pattern is a `404 ResourceNotFoundException`.
//! - Denied topic: a text containing the word [`DENIED_WORD`] (any case, as a whole word) is
//!   `BLOCKED`: the action is `GUARDRAIL_INTERVENED` and the only output is
//!   [`BLOCKED_MESSAGE`].
//! - Sensitive information: e-mail addresses are `ANONYMIZED`: each is replaced by `{EMAIL}`
//!   in the outputs (one output per text block).
//! - Otherwise the action is `NONE` and there are no outputs.
//!
//! InvokeGuardrailChecks (detect-only, no guardrail resource) applies the same detections: the
//! denied word scores 0.9 in every requested content-filter category, the phrase
//! [`PROMPT_ATTACK_PHRASE`] 0.9 in every requested prompt-attack category (0.0 otherwise), and
//! e-mail addresses are reported with their offsets when `EMAIL` is a requested entity type.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::families::schema::json_object;
use crate::validate::{
    all_bytes, is_bedrock_arn, length, list, lower_alnum, object, one_of, optional, pattern,
    required, string, text_units, union, OpError,
};

/// The emulator's guardrail id. (The service model's pattern is `[a-z0-9]+`, so an id with a
/// `-` such as `emulator-guardrail` could not exist on Bedrock.)
pub const GUARDRAIL_ID: &str = "emulatorguardrail";
/// Its versions.
pub const GUARDRAIL_VERSIONS: [&str; 2] = ["DRAFT", "1"];
/// The account id in the ARNs the emulator accepts and writes.
pub const ACCOUNT_ID: &str = "000000000000";
/// The denied topic's trigger word.
pub const DENIED_WORD: &str = "forbidden";
/// The denied topic's name in assessments.
pub const DENIED_TOPIC: &str = "Forbidden";
/// The output replacing blocked content (Bedrock's default blocked messaging).
pub const BLOCKED_MESSAGE: &str = "Sorry, the model cannot answer this question.";
/// What an anonymized e-mail address becomes.
pub const EMAIL_MASK: &str = "{EMAIL}";
/// InvokeGuardrailChecks' prompt-attack trigger (any case).
pub const PROMPT_ATTACK_PHRASE: &str = "ignore previous instructions";
/// The largest image accepted (decoded bytes).
pub const MAX_IMAGE_BYTES: usize = 4 * 1024 * 1024;
/// At most this many sensitive-information results are returned by InvokeGuardrailChecks
/// (`truncated: true` beyond).
pub const MAX_CHECK_RESULTS: usize = 100;

const IDENTIFIER_PATTERN: &str =
    "(|([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))";
const VERSION_PATTERN: &str = "(|([1-9][0-9]{0,7})|(DRAFT))";

fn is_guardrail_arn(s: &str) -> bool {
    is_bedrock_arn(s, "guardrail", |id| {
        !id.is_empty() && all_bytes(id, lower_alnum)
    })
}

fn is_version(s: &str) -> bool {
    s.is_empty()
        || s == "DRAFT"
        || (s.len() <= 8 && !s.starts_with('0') && all_bytes(s, |b| b.is_ascii_digit()))
}

/// The guardrail's ARN in `region`.
pub(crate) fn guardrail_arn(region: &str) -> String {
    format!("arn:aws:bedrock:{region}:{ACCOUNT_ID}:guardrail/{GUARDRAIL_ID}")
}

/// Validates the two labels and finds the guardrail: `Ok(version)` for the emulator's.
fn resolve(identifier: &str, version: &str, region: &str) -> Result<(), OpError> {
    length(identifier, "guardrailIdentifier", 0, 2048)?;
    pattern(identifier, "guardrailIdentifier", IDENTIFIER_PATTERN, |s| {
        s.is_empty() || all_bytes(s, lower_alnum) || is_guardrail_arn(s)
    })?;
    pattern(version, "guardrailVersion", VERSION_PATTERN, is_version)?;
    let known_id = identifier == GUARDRAIL_ID || identifier == guardrail_arn(region);
    if !known_id || !GUARDRAIL_VERSIONS.contains(&version) {
        return Err(OpError::new(
            404,
            "ResourceNotFoundException",
            format!(
                "The guardrail identifier or version provided in the request does not exist: \
                 guardrail {identifier:?} version {version:?}."
            ),
        ));
    }
    Ok(())
}

/// An e-mail address found in a text: byte range and the address.
#[derive(Debug, PartialEq)]
struct Email {
    start: usize,
    end: usize,
}

fn local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-".contains(c)
}

fn domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '-'
}

/// E-mail addresses: `local@domain.tld` with a local part of `[A-Za-z0-9._%+-]`, a domain of
/// `[A-Za-z0-9.-]` containing a dot and ending in 2+ letters.
fn find_emails(text: &str) -> Vec<Email> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find('@').map(|i| i + from) {
        let start = text[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| local_char(*c))
            .last()
            .map_or(at, |(i, _)| i);
        let mut end = text[at + 1..]
            .char_indices()
            .take_while(|(_, c)| domain_char(*c))
            .last()
            .map_or(at + 1, |(i, c)| at + 1 + i + c.len_utf8());
        // A trailing dot or hyphen ends a sentence, not the domain.
        while end > at + 1 && text[..end].ends_with(['.', '-']) {
            end -= 1;
        }
        let domain = &text[at + 1..end];
        let tld_ok = domain.rsplit_once('.').is_some_and(|(host, tld)| {
            !host.is_empty() && tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())
        });
        if start < at && tld_ok && start >= from {
            found.push(Email { start, end });
            from = end;
        } else {
            from = at + 1;
        }
    }
    found
}

/// Whether `text` contains [`DENIED_WORD`] as a whole word, in any case.
fn has_denied_word(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w == DENIED_WORD)
}

fn mask(text: &str, emails: &[Email]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in emails {
        out.push_str(&text[at..e.start]);
        out.push_str(EMAIL_MASK);
        at = e.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Validates an image block: `format` png/jpeg, `source` a union of `bytes` (base64, 1 byte to
/// [`MAX_IMAGE_BYTES`]).
fn check_image(v: &Value, path: &str) -> Result<(), String> {
    let image = object(v, path)?;
    one_of(
        required(image, "format", &format!("{path}.format"))?,
        &format!("{path}.format"),
        &["png", "jpeg"],
    )?;
    let spath = format!("{path}.source");
    let (_, bytes) = union(required(image, "source", &spath)?, &spath, &["bytes"])?;
    let bpath = format!("{spath}.bytes");
    let b64 = string(bytes, &bpath)?;
    // Refuse before decoding an oversized image: base64 is 4 characters per 3 bytes.
    if b64.len() / 4 * 3 > MAX_IMAGE_BYTES + 3 {
        return Err(format!(
            "The image at {bpath} is larger than the {MAX_IMAGE_BYTES}-byte limit."
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| {
            crate::validate::constraint(bytes, &bpath, "be base64-encoded bytes (a blob)")
        })?;
    if decoded.is_empty() {
        return Err(crate::validate::constraint(
            bytes,
            &bpath,
            "have length greater than or equal to 1",
        ));
    }
    if decoded.len() > MAX_IMAGE_BYTES {
        return Err(format!(
            "The image at {bpath} is larger than the {MAX_IMAGE_BYTES}-byte limit."
        ));
    }
    Ok(())
}

/// ApplyGuardrail: validates the labels and the body, and answers.
pub(crate) fn apply_guardrail(
    identifier: &str,
    version: &str,
    body: &[u8],
    region: &str,
) -> Result<Value, OpError> {
    resolve(identifier, version, region)?;
    let obj = json_object(body)?;
    let source = one_of(
        required(&obj, "source", "source")?,
        "source",
        &["INPUT", "OUTPUT"],
    )?;
    let _ = source; // The emulator's guardrail treats inputs and outputs alike.
    let full = match optional(&obj, "outputScope") {
        Some(v) => one_of(v, "outputScope", &["INTERVENTIONS", "FULL"])? == "FULL",
        None => false,
    };
    let content = list(required(&obj, "content", "content")?, "content")?;
    let mut texts = Vec::new();
    let mut images = 0u64;
    for (i, block) in content.iter().enumerate() {
        let path = format!("content.{}.member", i + 1);
        match union(block, &path, &["text", "image"])? {
            ("text", v) => {
                let tpath = format!("{path}.text");
                let t = object(v, &tpath)?;
                let text = string(
                    required(t, "text", &format!("{tpath}.text"))?,
                    &format!("{tpath}.text"),
                )?;
                if let Some(q) = optional(t, "qualifiers") {
                    let qpath = format!("{tpath}.qualifiers");
                    for (j, item) in list(q, &qpath)?.iter().enumerate() {
                        one_of(
                            item,
                            &format!("{qpath}.{}.member", j + 1),
                            &["grounding_source", "query", "guard_content"],
                        )?;
                    }
                }
                texts.push(text);
            }
            (_, v) => {
                check_image(v, &format!("{path}.image"))?;
                images += 1;
            }
        }
    }

    let blocked = texts.iter().any(|t| has_denied_word(t));
    let emails: Vec<Vec<Email>> = texts.iter().map(|t| find_emails(t)).collect();
    let any_email = emails.iter().any(|e| !e.is_empty());
    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
    let units: u64 = texts.iter().map(|t| text_units(t.chars().count())).sum();

    let (action, reason, outputs) = if blocked {
        (
            "GUARDRAIL_INTERVENED",
            "Guardrail blocked.",
            vec![json!({ "text": BLOCKED_MESSAGE })],
        )
    } else if any_email {
        let outputs = texts
            .iter()
            .zip(&emails)
            .map(|(t, e)| json!({ "text": mask(t, e) }))
            .collect();
        ("GUARDRAIL_INTERVENED", "Guardrail masked.", outputs)
    } else {
        ("NONE", "No action.", Vec::new())
    };

    let usage = json!({
        "topicPolicyUnits": units,
        "contentPolicyUnits": 0,
        "wordPolicyUnits": 0,
        "sensitiveInformationPolicyUnits": units,
        "sensitiveInformationPolicyFreeUnits": 0,
        "contextualGroundingPolicyUnits": 0,
        "contentPolicyImageUnits": images,
    });
    let mut coverage = Map::new();
    coverage.insert(
        "textCharacters".into(),
        json!({ "guarded": chars, "total": chars }),
    );
    if images > 0 {
        coverage.insert(
            "images".into(),
            json!({ "guarded": images, "total": images }),
        );
    }
    let coverage = Value::Object(coverage);

    let mut assessment = Map::new();
    if blocked || full {
        assessment.insert(
            "topicPolicy".into(),
            json!({ "topics": [{
                "name": DENIED_TOPIC,
                "type": "DENY",
                "action": if blocked { "BLOCKED" } else { "NONE" },
                "detected": blocked,
            }]}),
        );
    }
    if any_email || full {
        let pii: Vec<Value> = texts
            .iter()
            .zip(&emails)
            .flat_map(|(t, es)| {
                es.iter().map(|e| {
                    json!({
                        "match": &t[e.start..e.end],
                        "type": "EMAIL",
                        "action": "ANONYMIZED",
                        "detected": true,
                    })
                })
            })
            .collect();
        assessment.insert(
            "sensitiveInformationPolicy".into(),
            json!({ "piiEntities": pii, "regexes": [] }),
        );
    }
    assessment.insert(
        "invocationMetrics".into(),
        json!({
            "guardrailProcessingLatency": 50 + 10 * units,
            "usage": usage,
            "guardrailCoverage": coverage,
        }),
    );
    assessment.insert(
        "appliedGuardrailDetails".into(),
        json!({
            "guardrailId": GUARDRAIL_ID,
            "guardrailVersion": version,
            "guardrailArn": guardrail_arn(region),
            "guardrailOrigin": ["REQUEST"],
            "guardrailOwnership": "SELF",
        }),
    );
    Ok(json!({
        "usage": usage,
        "action": action,
        "actionReason": reason,
        "outputs": outputs,
        "assessments": [Value::Object(assessment)],
        "guardrailCoverage": coverage,
    }))
}

const CONTENT_CATEGORIES: [&str; 5] = ["HATE", "INSULTS", "MISCONDUCT", "SEXUAL", "VIOLENCE"];
const ATTACK_CATEGORIES: [&str; 3] = ["JAILBREAK", "PROMPT_INJECTION", "PROMPT_LEAKAGE"];
const ENTITY_TYPES: [&str; 31] = [
    "ADDRESS",
    "AGE",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "CA_HEALTH_NUMBER",
    "CA_SOCIAL_INSURANCE_NUMBER",
    "CREDIT_DEBIT_CARD_CVV",
    "CREDIT_DEBIT_CARD_EXPIRY",
    "CREDIT_DEBIT_CARD_NUMBER",
    "DRIVER_ID",
    "EMAIL",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "IP_ADDRESS",
    "LICENSE_PLATE",
    "MAC_ADDRESS",
    "NAME",
    "PASSWORD",
    "PHONE",
    "PIN",
    "SWIFT_CODE",
    "UK_NATIONAL_HEALTH_SERVICE_NUMBER",
    "UK_NATIONAL_INSURANCE_NUMBER",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER",
    "URL",
    "USERNAME",
    "US_BANK_ACCOUNT_NUMBER",
    "US_BANK_ROUTING_NUMBER",
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
    "US_PASSPORT_NUMBER",
    "US_SOCIAL_SECURITY_NUMBER",
    "VEHICLE_IDENTIFICATION_NUMBER",
];

/// The requested categories (or entity types) of one check: `{<list_key>: [{<item_key>: X}]}`,
/// in request order, duplicates kept once.
fn categories<'a>(
    v: &'a Value,
    path: &str,
    list_key: &str,
    item_key: &str,
    allowed: &[&str],
) -> Result<Vec<&'a str>, String> {
    let obj = object(v, path)?;
    let lpath = format!("{path}.{list_key}");
    let mut out: Vec<&str> = Vec::new();
    for (i, item) in list(required(obj, list_key, &lpath)?, &lpath)?
        .iter()
        .enumerate()
    {
        let ipath = format!("{lpath}.{}.member", i + 1);
        let item = object(item, &ipath)?;
        let ipath = format!("{ipath}.{item_key}");
        let c = one_of(required(item, item_key, &ipath)?, &ipath, allowed)?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// InvokeGuardrailChecks: validates the body and runs the requested checks.
pub(crate) fn invoke_guardrail_checks(body: &[u8]) -> Result<Value, OpError> {
    let obj = json_object(body)?;
    let messages = list(required(&obj, "messages", "messages")?, "messages")?;
    // (message index, content index, text)
    let mut texts: Vec<(usize, usize, &str)> = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let path = format!("messages.{}.member", i + 1);
        let m = object(message, &path)?;
        one_of(
            required(m, "role", &format!("{path}.role"))?,
            &format!("{path}.role"),
            &["user", "assistant", "system"],
        )?;
        let cpath = format!("{path}.content");
        for (j, block) in list(required(m, "content", &cpath)?, &cpath)?
            .iter()
            .enumerate()
        {
            let bpath = format!("{cpath}.{}.member", j + 1);
            let (_, text) = union(block, &bpath, &["text"])?;
            texts.push((i, j, string(text, &format!("{bpath}.text"))?));
        }
    }
    let checks = object(required(&obj, "checks", "checks")?, "checks")?;
    let content = optional(checks, "contentFilter")
        .map(|v| {
            categories(
                v,
                "checks.contentFilter",
                "categories",
                "category",
                &CONTENT_CATEGORIES,
            )
        })
        .transpose()?;
    let attack = optional(checks, "promptAttack")
        .map(|v| {
            categories(
                v,
                "checks.promptAttack",
                "categories",
                "category",
                &ATTACK_CATEGORIES,
            )
        })
        .transpose()?;
    let sensitive = optional(checks, "sensitiveInformation")
        .map(|v| {
            categories(
                v,
                "checks.sensitiveInformation",
                "entities",
                "type",
                &ENTITY_TYPES,
            )
        })
        .transpose()?;
    if content.is_none() && attack.is_none() && sensitive.is_none() {
        return Err(OpError::validation(crate::validate::constraint(
            &Value::Object(checks.clone()),
            "checks",
            "set at least one of [contentFilter, promptAttack, sensitiveInformation]",
        )));
    }

    let units: u64 = texts
        .iter()
        .map(|(_, _, t)| text_units(t.chars().count()))
        .sum();
    let denied = texts.iter().any(|(_, _, t)| has_denied_word(t));
    let attacked = texts
        .iter()
        .any(|(_, _, t)| t.to_lowercase().contains(PROMPT_ATTACK_PHRASE));
    let score = |hit: bool| if hit { 0.9 } else { 0.0 };
    let mut results = Map::new();
    let mut usage = Map::new();
    if let Some(cats) = content {
        let r: Vec<Value> = cats
            .iter()
            .map(|c| json!({ "category": c, "severityScore": score(denied) }))
            .collect();
        results.insert("contentFilter".into(), json!({ "results": r }));
        usage.insert("contentFilter".into(), json!({ "textUnits": units }));
    }
    if let Some(cats) = attack {
        let r: Vec<Value> = cats
            .iter()
            .map(|c| json!({ "category": c, "severityScore": score(attacked) }))
            .collect();
        results.insert("promptAttack".into(), json!({ "results": r }));
        usage.insert("promptAttack".into(), json!({ "textUnits": units }));
    }
    if let Some(types) = sensitive {
        let mut found = Vec::new();
        let mut truncated = false;
        if types.contains(&"EMAIL") {
            'all: for (m, c, text) in &texts {
                for e in find_emails(text) {
                    if found.len() == MAX_CHECK_RESULTS {
                        truncated = true;
                        break 'all;
                    }
                    // Character offsets (begin inclusive, end exclusive).
                    let begin = text[..e.start].chars().count();
                    let end = begin + text[e.start..e.end].chars().count();
                    found.push(json!({
                        "type": "EMAIL",
                        "confidenceScore": 0.99,
                        "beginOffset": begin,
                        "endOffset": end,
                        "messageIndex": m,
                        "contentIndex": c,
                    }));
                }
            }
        }
        results.insert(
            "sensitiveInformation".into(),
            json!({ "results": found, "truncated": truncated }),
        );
        usage.insert("sensitiveInformation".into(), json!({ "textUnits": units }));
    }
    Ok(json!({ "results": results, "usage": usage }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(body: &str) -> Result<Value, OpError> {
        apply_guardrail(GUARDRAIL_ID, "DRAFT", body.as_bytes(), "us-east-1")
    }

    #[test]
    fn finds_emails_and_words() {
        let t = "Mail jane.doe+x@example.co.uk, or bob@test.org. Not @x.y, not a@b, é@c.de";
        let found: Vec<&str> = find_emails(t).iter().map(|e| &t[e.start..e.end]).collect();
        assert_eq!(found, ["jane.doe+x@example.co.uk", "bob@test.org"]);
        assert!(has_denied_word("This is FORBIDDEN!"));
        assert!(!has_denied_word("unforbiddenly"));
        assert_eq!(
            mask("a x@y.com b", &find_emails("a x@y.com b")),
            "a {EMAIL} b"
        );
    }

    #[test]
    fn applies_the_rules() {
        let none = apply(r#"{"source":"INPUT","content":[{"text":{"text":"hello"}}]}"#).unwrap();
        assert_eq!(none["action"], "NONE");
        assert_eq!(none["outputs"], json!([]));
        assert_eq!(none["usage"]["topicPolicyUnits"], 1);
        assert_eq!(none["guardrailCoverage"]["textCharacters"]["total"], 5);
        assert!(none["assessments"][0].get("topicPolicy").is_none());
        let blocked =
            apply(r#"{"source":"OUTPUT","content":[{"text":{"text":"a forbidden b"}}]}"#).unwrap();
        assert_eq!(blocked["action"], "GUARDRAIL_INTERVENED");
        assert_eq!(blocked["outputs"], json!([{ "text": BLOCKED_MESSAGE }]));
        assert_eq!(
            blocked["assessments"][0]["topicPolicy"]["topics"][0]["action"],
            "BLOCKED"
        );
        let masked = apply(
            r#"{"source":"INPUT","outputScope":"FULL","content":[{"text":{"text":"write x@y.com"}},{"image":{"format":"png","source":{"bytes":"AQAAAQ=="}}}]}"#,
        )
        .unwrap();
        assert_eq!(masked["outputs"], json!([{ "text": "write {EMAIL}" }]));
        assert_eq!(masked["guardrailCoverage"]["images"]["total"], 1);
        assert_eq!(
            masked["assessments"][0]["topicPolicy"]["topics"][0]["detected"],
            false
        );
        for (body, want) in [
            (r#"{"content":[]}"#, "at 'source'"),
            (
                r#"{"source":"X","content":[]}"#,
                "enum value set: [INPUT, OUTPUT]",
            ),
            (r#"{"source":"INPUT"}"#, "at 'content'"),
            (r#"{"source":"INPUT","content":[{}]}"#, "exactly one member"),
            (
                r#"{"source":"INPUT","content":[{"text":{"text":"x"},"image":{}}]}"#,
                "exactly one member",
            ),
            (
                r#"{"source":"INPUT","content":[{"text":{}}]}"#,
                "at 'content.1.member.text.text'",
            ),
            (
                r#"{"source":"INPUT","content":[{"image":{"format":"gif","source":{"bytes":"AA=="}}}]}"#,
                "[png, jpeg]",
            ),
            (
                r#"{"source":"INPUT","content":[{"image":{"format":"png","source":{"bytes":"%%"}}}]}"#,
                "base64",
            ),
            (
                r#"{"source":"INPUT","outputScope":"ALL","content":[]}"#,
                "[INTERVENTIONS, FULL]",
            ),
        ] {
            let e = apply(body).unwrap_err();
            assert!(e.message.contains(want), "{body}: {}", e.message);
        }
        let e = apply_guardrail("other", "DRAFT", b"{}", "us-east-1").unwrap_err();
        assert_eq!((e.status, e.code), (404, "ResourceNotFoundException"));
        let e = apply_guardrail(GUARDRAIL_ID, "2", b"{}", "us-east-1").unwrap_err();
        assert_eq!(e.status, 404);
        let e = apply_guardrail("emulator-guardrail", "1", b"{}", "us-east-1").unwrap_err();
        assert_eq!(e.status, 400);
        let e = apply_guardrail(GUARDRAIL_ID, "01", b"{}", "us-east-1").unwrap_err();
        assert!(e.message.contains("at 'guardrailVersion'"));
        assert!(apply_guardrail(
            &guardrail_arn("us-east-1"),
            "1",
            br#"{"source":"INPUT","content":[]}"#,
            "us-east-1"
        )
        .is_ok());
        assert!(is_guardrail_arn(
            "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:guardrail/abc"
        ));
        assert!(!is_guardrail_arn(
            "arn:aws:bedrock:us-east-1:1234:guardrail/abc"
        ));
    }

    #[test]
    fn runs_checks() {
        let r = invoke_guardrail_checks(
            br#"{"messages":[{"role":"user","content":[{"text":"forbidden"},{"text":"to \u00e9 x@y.com"}]}],
                "checks":{"contentFilter":{"categories":[{"category":"HATE"}]},
                          "promptAttack":{"categories":[{"category":"JAILBREAK"}]},
                          "sensitiveInformation":{"entities":[{"type":"EMAIL"}]}}}"#,
        )
        .unwrap();
        assert_eq!(
            r["results"]["contentFilter"]["results"][0]["severityScore"],
            0.9
        );
        assert_eq!(
            r["results"]["promptAttack"]["results"][0]["severityScore"],
            0.0
        );
        let e = &r["results"]["sensitiveInformation"]["results"][0];
        assert_eq!(
            (e["beginOffset"].as_u64(), e["endOffset"].as_u64()),
            (Some(5), Some(12))
        );
        assert_eq!(
            (e["messageIndex"].as_u64(), e["contentIndex"].as_u64()),
            (Some(0), Some(1))
        );
        assert_eq!(r["usage"]["promptAttack"]["textUnits"], 2);
        for (body, want) in [
            (r#"{"checks":{}}"#, "at 'messages'"),
            (r#"{"messages":[]}"#, "at 'checks'"),
            (r#"{"messages":[],"checks":{}}"#, "at least one"),
            (
                r#"{"messages":[{"role":"bot","content":[]}],"checks":{}}"#,
                "[user, assistant, system]",
            ),
            (
                r#"{"messages":[{"role":"user","content":[{"image":{}}]}],"checks":{}}"#,
                "exactly one member",
            ),
            (
                r#"{"messages":[],"checks":{"contentFilter":{"categories":[{"category":"X"}]}}}"#,
                "checks.contentFilter.categories.1.member.category",
            ),
        ] {
            let e = invoke_guardrail_checks(body.as_bytes()).unwrap_err();
            assert!(e.message.contains(want), "{body}: {}", e.message);
        }
    }
}
