//! Temporary credentials from an Amazon Cognito identity pool (BEDROCK.md §8), as data: the
//! unsigned requests (`GetId`, `GetCredentialsForIdentity`, or the classic `GetOpenIdToken` +
//! STS `AssumeRoleWithWebIdentity`) and what their answers mean. `transport` sends them.

use std::collections::BTreeMap;

use serde_json::Value;

use super::json::JsonWriter;
use super::{Error, HttpRequest, ServiceError};
use crate::sign::Credentials;
use crate::time::parse_iso8601;

/// Which identity pool, and how to get credentials from it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CognitoConfig {
    /// `us-east-1:xxxxxxxx-…`.
    pub identity_pool_id: String,
    /// The pool's region; by default the part of the pool id before `:`.
    pub region: Option<String>,
    /// Identity-provider tokens, e.g. `{"cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCd": "<id token>"}`.
    /// Tokens are secrets: they are sent in request bodies only, never printed.
    pub logins: BTreeMap<String, String>,
    /// An identity id from an earlier `GetId`, to skip that call.
    pub identity_id: Option<String>,
    /// `GetId`'s optional `AccountId`.
    pub account_id: Option<String>,
    /// Enhanced flow: `CustomRoleArn`. Classic flow: the role to assume (required).
    pub role_arn: Option<String>,
    /// Use the basic (classic) flow: `GetOpenIdToken` + STS `AssumeRoleWithWebIdentity`.
    /// Needed for guest access to Bedrock, whose actions the enhanced flow's guest session
    /// policy does not allow.
    pub classic_flow: bool,
    /// Classic flow: 900…43200 seconds.
    pub duration_seconds: Option<u32>,
    /// Classic flow: `RoleSessionName` (default `bedrock-wasm`).
    pub role_session_name: Option<String>,
    /// Another Cognito Identity endpoint (tests, FIPS); default `https://cognito-identity.<region>.amazonaws.com`.
    pub cognito_endpoint: Option<String>,
    /// Another STS endpoint; default `https://sts.<region>.amazonaws.com`.
    pub sts_endpoint: Option<String>,
}

/// Credentials and when they expire.
#[derive(Debug, Clone, PartialEq)]
pub struct TemporaryCredentials {
    pub credentials: Credentials,
    /// ms since the Unix epoch.
    pub expiration_ms: Option<f64>,
    pub identity_id: String,
}

impl CognitoConfig {
    pub fn region(&self) -> Result<String, Error> {
        let region = match &self.region {
            Some(r) => r.trim().to_owned(),
            None => self
                .identity_pool_id
                .split_once(':')
                .map(|(r, _)| r.to_owned())
                .unwrap_or_default(),
        };
        let valid = !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(region)
        } else {
            Err(Error::input(
                "the identity pool's region is missing or invalid: pass identityPoolId as \"us-east-1:xxxxxxxx-…\" or set region",
            ))
        }
    }

    fn cognito_url(&self) -> Result<String, Error> {
        Ok(match &self.cognito_endpoint {
            Some(e) => format!("{}/", e.trim_end_matches('/')),
            None => format!("https://cognito-identity.{}.amazonaws.com/", self.region()?),
        })
    }

    fn sts_url(&self) -> Result<String, Error> {
        Ok(match &self.sts_endpoint {
            Some(e) => format!("{}/", e.trim_end_matches('/')),
            None => format!("https://sts.{}.amazonaws.com/", self.region()?),
        })
    }

    fn cognito(&self, operation: &str, body: Vec<u8>) -> Result<HttpRequest, Error> {
        Ok(HttpRequest {
            method: "POST",
            url: self.cognito_url()?,
            headers: vec![
                ("content-type".into(), "application/x-amz-json-1.1".into()),
                (
                    "x-amz-target".into(),
                    format!("AWSCognitoIdentityService.{operation}"),
                ),
            ],
            body,
        })
    }

    /// A JSON body: `fields` (the ones given, in the order given) then `Logins` if there are
    /// any. Written directly, keys in the order serde_json's sorted map gave (the callers list
    /// them sorted): no `Value` built, no `IndexMut` (3.7 KB raw of insert-or-panic code).
    fn body(&self, fields: &[(&str, Option<&str>)]) -> Vec<u8> {
        let mut w = JsonWriter::default();
        w.raw("{");
        for (key, value) in fields {
            if let Some(value) = value {
                w.str(key, value);
            }
        }
        if !self.logins.is_empty() {
            w.key("Logins").raw("{");
            for (provider, token) in &self.logins {
                // The provider names are the caller's: escaped, unlike `key`'s.
                if w.0.last() != Some(&b'{') {
                    w.raw(",");
                }
                w.string(provider).raw(":").string(token);
            }
            w.raw("}");
        }
        w.raw("}");
        w.0
    }

    /// `GetId`.
    pub fn get_id(&self) -> Result<HttpRequest, Error> {
        if self.identity_pool_id.trim().is_empty() {
            return Err(Error::input(
                "identityPoolId is required, e.g. \"us-east-1:00000000-0000-0000-0000-000000000000\"",
            ));
        }
        let body = self.body(&[
            ("AccountId", self.account_id.as_deref()),
            ("IdentityPoolId", Some(self.identity_pool_id.trim())),
        ]);
        self.cognito("GetId", body)
    }

    /// `GetCredentialsForIdentity` (enhanced flow).
    pub fn get_credentials_for_identity(&self, identity_id: &str) -> Result<HttpRequest, Error> {
        let body = self.body(&[
            ("CustomRoleArn", self.role_arn.as_deref()),
            ("IdentityId", Some(identity_id)),
        ]);
        self.cognito("GetCredentialsForIdentity", body)
    }

    /// `GetOpenIdToken` (classic flow).
    pub fn get_open_id_token(&self, identity_id: &str) -> Result<HttpRequest, Error> {
        let body = self.body(&[("IdentityId", Some(identity_id))]);
        self.cognito("GetOpenIdToken", body)
    }

    /// STS `AssumeRoleWithWebIdentity` (classic flow), Query protocol.
    pub fn assume_role_with_web_identity(&self, token: &str) -> Result<HttpRequest, Error> {
        let role = self.role_arn.as_deref().ok_or_else(|| {
            Error::input(
                "the classic flow needs roleArn: the IAM role the identity pool's users assume",
            )
        })?;
        let enc = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        let mut body = format!(
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn={}&RoleSessionName={}&WebIdentityToken={}",
            enc(role),
            enc(self.role_session_name.as_deref().unwrap_or("bedrock-wasm")),
            enc(token)
        );
        if let Some(d) = self.duration_seconds {
            body.push_str(&format!("&DurationSeconds={d}"));
        }
        Ok(HttpRequest {
            method: "POST",
            url: self.sts_url()?,
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            )],
            body: body.into_bytes(),
        })
    }
}

/// A Cognito answer: the JSON object, or its `{"__type","message"}` error.
fn cognito_json(status: u16, body: &[u8]) -> Result<Value, Error> {
    if status >= 300 {
        let mut e = ServiceError::from_response(status, None, None, body);
        if e.code == "NotAuthorizedException" || e.code == "ResourceNotFoundException" {
            e.message
                .push_str(" (check identityPoolId, its region, and that the pool allows this login or guest access)");
        }
        return Err(e.into());
    }
    serde_json::from_slice(body)
        .map_err(|e| Error::response_shape(format!("Cognito answered with invalid JSON: {e}")))
}

fn required<'a>(v: &'a Value, key: &str, what: &str) -> Result<&'a str, Error> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| Error::response_shape(format!("{what} answer without {key}")))
}

/// `GetId` → the identity id.
pub fn parse_get_id(status: u16, body: &[u8]) -> Result<String, Error> {
    let v = cognito_json(status, body)?;
    Ok(required(&v, "IdentityId", "GetId")?.to_owned())
}

/// `GetOpenIdToken` → the OpenID token.
pub fn parse_open_id_token(status: u16, body: &[u8]) -> Result<String, Error> {
    let v = cognito_json(status, body)?;
    Ok(required(&v, "Token", "GetOpenIdToken")?.to_owned())
}

/// `GetCredentialsForIdentity` → credentials (`SecretKey`, `Expiration` in epoch seconds).
pub fn parse_credentials_for_identity(
    status: u16,
    body: &[u8],
    identity_id: &str,
) -> Result<TemporaryCredentials, Error> {
    let v = cognito_json(status, body)?;
    let c = v.get("Credentials").ok_or_else(|| {
        Error::response_shape("GetCredentialsForIdentity answer without Credentials")
    })?;
    let what = "GetCredentialsForIdentity";
    Ok(TemporaryCredentials {
        credentials: Credentials::new(
            required(c, "AccessKeyId", what)?,
            required(c, "SecretKey", what)?,
            c.get("SessionToken")
                .and_then(Value::as_str)
                .map(str::to_owned),
        ),
        expiration_ms: c
            .get("Expiration")
            .and_then(Value::as_f64)
            .map(|s| s * 1000.0),
        identity_id: v
            .get("IdentityId")
            .and_then(Value::as_str)
            .unwrap_or(identity_id)
            .to_owned(),
    })
}

/// The text of the first `<tag>…</tag>`, XML entities decoded.
fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(
        xml[start..end]
            .trim()
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// STS `AssumeRoleWithWebIdentity` XML → credentials, or its `<Error>`.
pub fn parse_assume_role_with_web_identity(
    status: u16,
    body: &[u8],
    identity_id: &str,
) -> Result<TemporaryCredentials, Error> {
    let xml = String::from_utf8_lossy(body);
    if status >= 300 || xml.contains("<ErrorResponse") {
        let mut e = ServiceError::from_response(status, None, None, b"");
        e.code = xml_text(&xml, "Code").unwrap_or_default();
        e.message =
            xml_text(&xml, "Message").unwrap_or_else(|| format!("STS answered HTTP {status}"));
        e.request_id = xml_text(&xml, "RequestId");
        return Err(e.into());
    }
    let missing =
        |k: &str| Error::response_shape(format!("AssumeRoleWithWebIdentity answer without {k}"));
    Ok(TemporaryCredentials {
        credentials: Credentials::new(
            xml_text(&xml, "AccessKeyId").ok_or_else(|| missing("AccessKeyId"))?,
            xml_text(&xml, "SecretAccessKey").ok_or_else(|| missing("SecretAccessKey"))?,
            xml_text(&xml, "SessionToken"),
        ),
        expiration_ms: xml_text(&xml, "Expiration").and_then(|e| parse_iso8601(&e)),
        identity_id: identity_id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> CognitoConfig {
        CognitoConfig {
            identity_pool_id: "us-east-1:00000000-0000-0000-0000-000000000000".into(),
            ..Default::default()
        }
    }

    #[test]
    fn get_id_is_unsigned_json_1_1_in_the_pools_region() {
        let r = config().get_id().unwrap();
        assert_eq!(r.url, "https://cognito-identity.us-east-1.amazonaws.com/");
        assert_eq!(
            r.header("x-amz-target"),
            Some("AWSCognitoIdentityService.GetId")
        );
        assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.1"));
        assert!(r.header("authorization").is_none());
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            body,
            json!({"IdentityPoolId": "us-east-1:00000000-0000-0000-0000-000000000000"})
        );
    }

    #[test]
    fn logins_and_custom_role_go_into_the_body() {
        let mut c = config();
        c.logins.insert("accounts.google.com".into(), "tok".into());
        c.role_arn = Some("arn:aws:iam::1:role/R".into());
        let r = c.get_credentials_for_identity("us-east-1:id").unwrap();
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["Logins"]["accounts.google.com"], "tok");
        assert_eq!(body["CustomRoleArn"], "arn:aws:iam::1:role/R");
        assert_eq!(body["IdentityId"], "us-east-1:id");
    }

    /// The bodies are written directly; byte for byte what serde_json writes for the same
    /// object (sorted keys), with provider names and values escaped.
    #[test]
    fn bodies_are_exactly_serde_jsons() {
        let mut c = config();
        c.logins.insert("accounts.google.com".into(), "tok".into());
        c.logins
            .insert("odd \"provider\"\n".into(), "t\u{1}\u{e9}".into());
        c.account_id = Some("123456789012".into());
        c.role_arn = Some("arn:aws:iam::1:role/R".into());
        let logins = json!({"accounts.google.com": "tok", "odd \"provider\"\n": "t\u{1}\u{e9}"});
        let pool = "us-east-1:00000000-0000-0000-0000-000000000000";
        let cases = [
            (
                c.get_id().unwrap().body,
                json!({"AccountId": "123456789012", "IdentityPoolId": pool, "Logins": logins}),
            ),
            (
                c.get_credentials_for_identity("us-east-1:id").unwrap().body,
                json!({"CustomRoleArn": "arn:aws:iam::1:role/R", "IdentityId": "us-east-1:id",
                       "Logins": logins}),
            ),
            (
                c.get_open_id_token("us-east-1:id").unwrap().body,
                json!({"IdentityId": "us-east-1:id", "Logins": logins}),
            ),
            (
                config().get_open_id_token("i").unwrap().body,
                json!({"IdentityId": "i"}),
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(
                String::from_utf8(body).unwrap(),
                serde_json::to_string(&expected).unwrap()
            );
        }
    }

    #[test]
    fn credentials_use_secret_key_and_epoch_seconds() {
        let body = br#"{"IdentityId":"us-east-1:id","Credentials":{"AccessKeyId":"ASIA1","SecretKey":"s","SessionToken":"t","Expiration":1736946000}}"#;
        let c = parse_credentials_for_identity(200, body, "x").unwrap();
        assert_eq!(c.credentials.access_key_id, "ASIA1");
        assert_eq!(c.credentials.secret_access_key, "s");
        assert_eq!(c.credentials.session_token.as_deref(), Some("t"));
        assert_eq!(c.expiration_ms, Some(1_736_946_000_000.0));
        assert_eq!(c.identity_id, "us-east-1:id");
    }

    #[test]
    fn cognito_errors_are_named() {
        let e = parse_get_id(
            400,
            br#"{"__type":"NotAuthorizedException","message":"Unauthenticated access is not supported for this identity pool."}"#,
        )
        .unwrap_err();
        let Some(e) = e.service() else { panic!() };
        assert_eq!(e.code, "NotAuthorizedException");
        assert!(e.message.contains("Unauthenticated access"));
    }

    #[test]
    fn classic_flow_assumes_the_role_with_the_open_id_token() {
        let mut c = config();
        assert!(c.assume_role_with_web_identity("jwt").is_err());
        c.role_arn = Some("arn:aws:iam::123456789012:role/BedrockGuest".into());
        c.duration_seconds = Some(900);
        let r = c.assume_role_with_web_identity("a.b+c").unwrap();
        assert_eq!(r.url, "https://sts.us-east-1.amazonaws.com/");
        let body = String::from_utf8(r.body).unwrap();
        assert!(body.starts_with("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FBedrockGuest&RoleSessionName=bedrock%2Dwasm&WebIdentityToken=a%2Eb%2Bc"));
        assert!(body.ends_with("&DurationSeconds=900"));
    }

    #[test]
    fn sts_xml_is_read() {
        let xml = br#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA2</AccessKeyId><SecretAccessKey>se&amp;cret</SecretAccessKey><SessionToken>tok</SessionToken><Expiration>2025-01-15T13:00:00.5Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"#;
        let c = parse_assume_role_with_web_identity(200, xml, "id").unwrap();
        assert_eq!(c.credentials.secret_access_key, "se&cret");
        assert_eq!(c.expiration_ms, Some(1_736_946_000_500.0));
        let err = br#"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>bad token</Message></Error><RequestId>r1</RequestId></ErrorResponse>"#;
        let e = parse_assume_role_with_web_identity(400, err, "id").unwrap_err();
        let Some(e) = e.service() else { panic!() };
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("InvalidIdentityToken", "bad token")
        );
    }

    #[test]
    fn iso8601_seconds_and_fractions() {
        let at = |s| parse_iso8601(s);
        assert_eq!(at("2025-01-15T13:00:00Z"), Some(1_736_946_000_000.0));
        assert_eq!(at("2025-01-15T13:00:07.123456Z"), Some(1_736_946_007_123.0));
        assert_eq!(at("2025-01-15T13:00:07.5Z"), Some(1_736_946_007_500.0));
        assert_eq!(at("2025-01-15T13:00:0xZ"), None);
        assert_eq!(at("2025-01-15T13:00:07.-1Z"), None);
        assert_eq!(at("2025-01-15T13:00:07"), None);
    }

    #[test]
    fn a_bad_pool_id_says_what_to_pass() {
        let c = CognitoConfig::default();
        assert!(c.get_id().unwrap_err().to_string().contains("identity"));
    }
}
