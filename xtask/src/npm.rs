//! The npm package's own tests: `node --test tests/js/` against the built `pkg/` and an
//! emulator started here (Node, headless Chromium page / bundle / Web Worker, the AWS SDK
//! conformance script), and `tsc --noEmit` over `tests/js/types.test.ts`.

use bedrock_emulator::{Config, Credential, Emulator};

use crate::build::root;
use crate::cmd;
use crate::tools;
use crate::Result;

pub fn tests() -> Result {
    // The safety-net tests need a build with a panicking export.
    crate::build::pkg_test()?;
    let pkg_test = crate::build::pkg_test_dir();
    let tests = root().join("tests");
    cmd::run_in(
        &tests,
        "node",
        &["node_modules/typescript/bin/tsc", "-p", "js/tsconfig.json"],
        &[],
    )?;
    let rt = crate::runtime();
    let config = Config {
        token_delay: std::time::Duration::from_millis(2),
        ..Config::default()
    };
    let emulator = rt
        .block_on(Emulator::start(config, crate::loopback(0)))
        .map_err(|e| format!("cannot start the emulator: {e}"))?;
    let demo = Credential::demo();
    let url = emulator.url();
    let token = demo.session_token.clone().unwrap_or_default();
    let env = [
        ("EMULATOR_URL", url.as_str()),
        ("ACCESS_KEY_ID", demo.access_key_id.as_str()),
        ("SECRET_ACCESS_KEY", demo.secret_access_key.as_str()),
        ("SESSION_TOKEN", token.as_str()),
        ("API_KEY", bedrock_emulator::DEMO_API_KEY),
        ("CHROMIUM", tools::CHROMIUM),
        ("PKG_TEST_DIR", pkg_test.to_str().unwrap_or_default()),
    ];
    // InvokeModelWithBidirectionalStream needs a global WebSocket: Node 22+ has one, Node
    // 20.10+ behind this flag (the test runner passes it on to each test file).
    let global_websocket = cmd::output("node", &["-p", "typeof WebSocket"]);
    let mut args = vec!["--test", "--test-concurrency=1", "js/"];
    // `NPM_ONLY='regex'`: only the tests whose names match, for iterating on one.
    let only = std::env::var("NPM_ONLY")
        .ok()
        .map(|re| format!("--test-name-pattern={re}"));
    if let Some(only) = &only {
        args.insert(2, only);
    }
    if global_websocket.as_deref() != Some("function") {
        args.insert(0, "--experimental-websocket");
    }
    let result = cmd::run_in(&tests, "node", &args, &env);
    rt.block_on(emulator.shutdown());
    result
}
