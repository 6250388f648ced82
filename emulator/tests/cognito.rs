//! The emulated Cognito Identity and STS: both flows, the credentials they hand out signing
//! Bedrock calls until they expire, errors in AWS's shapes, CORS.

mod common;

use std::time::Duration;

use bedrock_emulator::{Config, Credential, DEMO_IDENTITY_POOL_ID};
use common::*;
use serde_json::{json, Value};

async fn cognito(server: &TestServer, op: &str, body: Value) -> (u16, Value) {
    let r = server
        .http
        .post(server.url("/"))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("AWSCognitoIdentityService.{op}"))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap(),
    )
}

async fn sts(server: &TestServer, form: &str) -> (u16, String) {
    let r = server
        .http
        .post(server.url("/"))
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(form.to_owned())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn credential(c: &Value, secret: &str) -> Credential {
    Credential {
        access_key_id: c["AccessKeyId"].as_str().unwrap().into(),
        secret_access_key: c[secret].as_str().unwrap().into(),
        session_token: c["SessionToken"].as_str().map(str::to_owned),
    }
}

fn signing(credential: Credential) -> Signing {
    Signing {
        credential,
        ..Signing::default()
    }
}

fn xml(text: &str, tag: &str) -> String {
    let start = text.find(&format!("<{tag}>")).unwrap() + tag.len() + 2;
    let end = text.find(&format!("</{tag}>")).unwrap();
    text[start..end].to_owned()
}

#[tokio::test]
async fn enhanced_flow_credentials_sign_bedrock_calls() {
    let server = TestServer::start(0).await;
    let (status, id) = cognito(
        &server,
        "GetId",
        json!({ "IdentityPoolId": DEMO_IDENTITY_POOL_ID }),
    )
    .await;
    assert_eq!(status, 200);
    let identity = id["IdentityId"].as_str().unwrap();
    assert!(identity.starts_with("us-east-1:"));
    let (status, out) = cognito(
        &server,
        "GetCredentialsForIdentity",
        json!({ "IdentityId": identity }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(out["IdentityId"], identity);
    let c = &out["Credentials"];
    assert!(c["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    let expires = c["Expiration"].as_i64().expect("epoch seconds, a number");
    let now = bedrock_emulator::clock::unix_secs(std::time::SystemTime::now());
    assert!((3590..=3610).contains(&(expires - now)), "about an hour");
    let response = server
        .invoke(PROMPT, 5, &signing(credential(c, "SecretKey")))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(server.record(&request_id(&response)).signature, "valid");
    let ops: Vec<String> = server
        .emulator
        .log()
        .iter()
        .map(|r| r.operation.clone())
        .collect();
    assert_eq!(
        ops,
        [
            "Cognito.GetId",
            "Cognito.GetCredentialsForIdentity",
            "InvokeModel"
        ]
    );
    // A login maps to the same identity each time; a guest gets a new one.
    let login = json!({ "IdentityPoolId": DEMO_IDENTITY_POOL_ID, "Logins": { "accounts.example.com": "t1" } });
    let a = cognito(&server, "GetId", login.clone()).await.1;
    assert_eq!(a, cognito(&server, "GetId", login).await.1);
    let guest = cognito(
        &server,
        "GetId",
        json!({ "IdentityPoolId": DEMO_IDENTITY_POOL_ID }),
    )
    .await
    .1;
    assert_ne!(guest["IdentityId"], id["IdentityId"]);
}

#[tokio::test]
async fn handed_out_credentials_expire() {
    let server = TestServer::with_config(Config {
        cognito_lifetime: Duration::from_secs(1),
        ..Config::default()
    })
    .await;
    let identity = cognito(
        &server,
        "GetId",
        json!({ "IdentityPoolId": DEMO_IDENTITY_POOL_ID }),
    )
    .await
    .1["IdentityId"]
        .clone();
    let out = cognito(
        &server,
        "GetCredentialsForIdentity",
        json!({ "IdentityId": identity }),
    )
    .await
    .1;
    let s = signing(credential(&out["Credentials"], "SecretKey"));
    assert_eq!(server.invoke(PROMPT, 5, &s).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let response = server.invoke(PROMPT, 5, &s).await;
    let id = request_id(&response);
    assert_eq!(
        expect_error(response, 403, "ExpiredTokenException").await,
        "The security token included in the request is expired"
    );
    assert_eq!(server.record(&id).signature, "expired");
}

#[tokio::test]
async fn classic_flow_through_sts() {
    let server = TestServer::start(0).await;
    let identity = cognito(
        &server,
        "GetId",
        json!({ "IdentityPoolId": DEMO_IDENTITY_POOL_ID }),
    )
    .await
    .1["IdentityId"]
        .clone();
    let (status, out) = cognito(&server, "GetOpenIdToken", json!({ "IdentityId": identity })).await;
    assert_eq!(status, 200);
    let token = out["Token"].as_str().unwrap();
    let form = format!(
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FBedrockGuest&RoleSessionName=bedrock-wasm&WebIdentityToken={token}&DurationSeconds=900"
    );
    let (status, text) = sts(&server, &form).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.starts_with("<AssumeRoleWithWebIdentityResponse"));
    assert!(xml(&text, "Expiration").ends_with('Z'));
    let c = Credential {
        access_key_id: xml(&text, "AccessKeyId"),
        secret_access_key: xml(&text, "SecretAccessKey"),
        session_token: Some(xml(&text, "SessionToken")),
    };
    assert_eq!(server.invoke(PROMPT, 5, &signing(c)).await.status(), 200);

    let (status, text) = sts(&server, &form.replace(token, "forged.token.x")).await;
    assert_eq!(status, 400);
    assert_eq!(xml(&text, "Code"), "InvalidIdentityToken");
    let (status, text) = sts(&server, &form.replace("=900", "=60")).await;
    assert_eq!(
        (status, xml(&text, "Code").as_str()),
        (400, "ValidationError")
    );
}

#[tokio::test]
async fn errors_are_named_like_cognitos() {
    let server = TestServer::start(0).await;
    let (status, e) = cognito(
        &server,
        "GetId",
        json!({ "IdentityPoolId": "us-east-1:11111111-1111-1111-1111-111111111111" }),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(e["__type"], "ResourceNotFoundException");
    assert_eq!(
        e["message"],
        "IdentityPool 'us-east-1:11111111-1111-1111-1111-111111111111' not found."
    );
    let (_, e) = cognito(&server, "GetId", json!({ "IdentityPoolId": "nope" })).await;
    assert_eq!(e["__type"], "ValidationException");
    let (_, e) = cognito(
        &server,
        "GetCredentialsForIdentity",
        json!({ "IdentityId": "us-east-1:unknown" }),
    )
    .await;
    assert_eq!(e["__type"], "ResourceNotFoundException");
    let (_, e) = cognito(
        &server,
        "GetId",
        json!({ "IdentityPoolId": DEMO_IDENTITY_POOL_ID, "Logins": { "x": "" } }),
    )
    .await;
    assert_eq!(e["__type"], "NotAuthorizedException");
    let (_, e) = cognito(&server, "ListIdentityPools", json!({})).await;
    assert_eq!(e["__type"], "UnknownOperationException");
}

#[tokio::test]
async fn preflight_allows_the_cognito_headers() {
    let server = TestServer::start(0).await;
    let r = server
        .http
        .request(reqwest::Method::OPTIONS, server.url("/"))
        .header("origin", "http://127.0.0.1:8080")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,x-amz-target",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));
    assert!(header(&r, "access-control-allow-headers")
        .unwrap()
        .contains("x-amz-target"));
    assert!(header(&r, "access-control-allow-methods")
        .unwrap()
        .contains("POST"));
}
