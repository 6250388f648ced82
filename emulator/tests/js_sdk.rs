//! The AWS SDK for JavaScript v3 calls the JSON operations (CountTokens, ApplyGuardrail,
//! InvokeGuardrailChecks, the async-invoke trio) against the emulator unchanged — see
//! `js_sdk_ops.mjs`. It uses the SDK the repository's tooling installs in `tests/node_modules`
//! (`cd tests && npm ci`); without Node or that SDK the test says so and passes, and
//! `BEDROCK_EMULATOR_REQUIRE_JS_SDK=1` makes that a failure instead.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use bedrock_emulator::Config;
use common::*;

#[tokio::test]
async fn the_aws_sdk_for_javascript_calls_the_json_operations() {
    let sdk_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests");
    let installed = sdk_dir
        .join("node_modules/@aws-sdk/client-bedrock-runtime/package.json")
        .is_file();
    let node = Command::new("node").arg("--version").output().is_ok();
    if !installed || !node {
        let why = if node {
            "the SDK is not installed in tests/node_modules (cd tests && npm ci)"
        } else {
            "node is not installed"
        };
        assert!(
            std::env::var_os("BEDROCK_EMULATOR_REQUIRE_JS_SDK").is_none(),
            "the JS SDK test cannot run: {why}"
        );
        eprintln!("skipped: {why}");
        return;
    }
    let server = TestServer::with_config(Config {
        token_delay: Duration::ZERO,
        async_invoke_delay: Duration::ZERO,
        ..Config::default()
    })
    .await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js_sdk_ops.mjs");
    let url = server.emulator.url();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .env("SDK_DIR", sdk_dir)
            .env("EMULATOR_URL", url)
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    let log: Vec<String> = server
        .emulator
        .log()
        .iter()
        .map(|r| format!("{} {} {:?}", r.operation, r.status, r.error))
        .collect();
    assert!(
        out.status.success(),
        "js_sdk_ops.mjs failed ({}):\n{}{}\nemulator log:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        log.join("\n")
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("js-sdk-ops: ok"));
    for op in [
        "CountTokens",
        "ApplyGuardrail",
        "InvokeGuardrailChecks",
        "StartAsyncInvoke",
        "GetAsyncInvoke",
        "ListAsyncInvokes",
    ] {
        assert!(
            server
                .emulator
                .log()
                .iter()
                .any(|r| r.operation == op && r.status == 200 && r.signature == "valid"),
            "no signed, answered {op} in the log"
        );
    }
}
