//! The `bedrock-emulator` binary: options, the start-up banner with the URL and the one
//! credential set, and a request signed with those credentials.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use bedrock_emulator::{answer_for, Credential};
use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn the_binary_prints_its_url_and_credentials_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bedrock-emulator"))
        .args([
            "--port",
            "0",
            "--access-key-id",
            "AKIDCLITEST",
            "--secret-access-key",
            "cli-secret",
            "--session-token",
            "cli-token",
            "--region",
            "eu-central-1",
            "--token-delay-ms",
            "0",
            "--first-byte-delay-ms",
            "0",
            "--clock-skew-secs",
            "0",
            "--expose-headers",
            "x-amzn-RequestId,Date",
            "--async-invoke-secs",
            "0.5",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the emulator binary");
    let stdout = child.stdout.take().unwrap();
    // Stops the emulator even if an assertion below fails.
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _child = KillOnDrop(child);
    let banner = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let done = line.starts_with("Press Ctrl-C");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    })
    .await
    .unwrap();
    let text = banner.join("\n");
    let url = banner[0]
        .rsplit(' ')
        .next()
        .filter(|u| u.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {text}"))
        .to_owned();
    for expected in [
        "AKIDCLITEST",
        "cli-secret",
        "cli-token",
        "eu-central-1",
        "CountTokens",
        "emulatorguardrail",
        "ListAsyncInvokes (0.5 s to complete)",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }

    let credential = Credential {
        access_key_id: "AKIDCLITEST".into(),
        secret_access_key: "cli-secret".into(),
        session_token: Some("cli-token".into()),
    };
    let signing = Signing {
        credential,
        region: "eu-central-1",
        ..Signing::default()
    };
    let http = reqwest::Client::new();
    let body = serde_json::to_vec(&json!({
        "messages": [{"role": "user", "content": [{"text": "Hi from the CLI"}]}],
        "inferenceConfig": {"maxTokens": 7}
    }))
    .unwrap();
    let path = model_path("amazon.nova-micro-v1:0", "converse");
    let full = format!("{url}{path}");
    let headers = [("content-type", "application/json")];
    let mut req = http
        .post(&full)
        .body(body.clone())
        .header("content-type", "application/json");
    for (k, v) in sign_headers("POST", &full, &headers, &body, &signing) {
        req = req.header(k, v);
    }
    let response = req.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "access-control-expose-headers"),
        Some("x-amzn-RequestId, Date")
    );
    let v: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(
        v["output"]["message"]["content"][0]["text"],
        answer_for("Hi from the CLI", 7, &[]).text()
    );
    let log: Value = serde_json::from_slice(
        &http
            .get(format!("{url}/_emulator/log"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(log[0]["operation"], "Converse");
    assert_eq!(log[0]["signature"], "valid");
}

#[test]
fn the_binary_explains_bad_options() {
    let out = Command::new(env!("CARGO_BIN_EXE_bedrock-emulator"))
        .args(["--replay", "/no/such/capture.eventstream"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no such file") && err.contains("usage:"),
        "{err}"
    );
    let help = Command::new(env!("CARGO_BIN_EXE_bedrock-emulator"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for option in [
        "--port",
        "--access-key-id",
        "--secret-access-key",
        "--session-token",
        "--region",
        "--api-key",
        "--token-delay-ms",
        "--first-byte-delay-ms",
        "--clock-skew-secs",
        "--expose-headers",
        "--replay",
        "--replay-dir",
        "--cognito-lifetime-secs",
        "--async-invoke-secs",
    ] {
        assert!(help.contains(option), "{option}");
    }
}
