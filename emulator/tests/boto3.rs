//! The yardstick: the real boto3 (botocore's own signer, retry handler and event-stream parser)
//! runs the seed's calls against the emulator unchanged — see `boto3_seed.py`.
//!
//! Needs `python3`. If `import boto3` fails, the test makes a virtualenv under the target
//! directory (`<target>/tmp/boto3-venv`) and `pip install`s boto3 from PyPI into it, once (or,
//! without the venv module, `pip install --target <target>/tmp/boto3-packages`).
//! Set `BEDROCK_EMULATOR_SKIP_BOTO3=1` to skip it on a machine without Python.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use bedrock_emulator::{answer_for, claude_text_answer, Credential, DEMO_API_KEY};
use common::*;

fn imports_boto3(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import boto3"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A Python that can `import boto3`, and a `PYTHONPATH` it needs (if any): the system Python;
/// else a virtualenv made for this test; else (no `venv` module, as on Debian without
/// python3-venv) boto3 `pip install --target`ed next to it.
fn python_with_boto3() -> (PathBuf, Option<PathBuf>) {
    let system = PathBuf::from("python3");
    if Command::new(&system).arg("--version").output().is_err() {
        panic!(
            "the boto3 yardstick test needs python3 (Debian: apt-get install python3 python3-venv); \
             set BEDROCK_EMULATOR_SKIP_BOTO3=1 to skip it"
        );
    }
    if std::env::var_os("BEDROCK_EMULATOR_BOTO3_VENV").is_none() && imports_boto3(&system) {
        return (system, None);
    }
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let venv = tmp.join("boto3-venv");
    let python = venv.join("bin/python");
    if imports_boto3(&python) {
        return (python, None);
    }
    let made_venv = Command::new(&system)
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .is_ok_and(|o| o.status.success());
    if made_venv {
        eprintln!("installing boto3 from PyPI into {}", venv.display());
        run(
            Command::new(&python).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "boto3",
            ]),
            "pip install boto3 (into a virtualenv)",
        );
        return (python, None);
    }
    let target = tmp.join("boto3-packages");
    eprintln!(
        "python3 has no venv module; installing boto3 from PyPI into {}",
        target.display()
    );
    run(
        Command::new(&system)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target"])
            .arg(&target)
            .arg("boto3"),
        "pip install --target boto3 (install python3-venv or python3-pip, or set BEDROCK_EMULATOR_SKIP_BOTO3=1)",
    );
    (system, Some(target))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_runs_the_seed_unchanged() {
    if std::env::var_os("BEDROCK_EMULATOR_SKIP_BOTO3").is_some() {
        eprintln!("skipped: BEDROCK_EMULATOR_SKIP_BOTO3 is set");
        return;
    }
    let (python, python_path) = tokio::task::spawn_blocking(python_with_boto3)
        .await
        .unwrap();
    let server = TestServer::start(1).await;
    let stream_prompt =
        "\n\nHuman: Write me a 100 word essay about snickers candy bars\n\nAssistant:";
    let stream = claude_text_answer(stream_prompt, 200);
    let converse_prompt = "Écris-moi un poème sur le café ☕ et le 日本語.";
    let expected = serde_json::json!({
        "stream_prompt": stream_prompt,
        "stream_text": stream.text(),
        "stream_stop_reason": stream.stop_reason,
        "converse_prompt": converse_prompt,
        "converse_text": answer_for(converse_prompt, 50, &[]).text(),
        "api_key": DEMO_API_KEY,
    });
    let demo = Credential::demo();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/boto3_seed.py");
    let mut cmd = Command::new(&python);
    if let Some(path) = python_path {
        cmd.env("PYTHONPATH", path);
    }
    cmd.arg(&script)
        .env("EMULATOR_URL", server.emulator.url())
        .env("EXPECTED", expected.to_string())
        .env("AWS_ACCESS_KEY_ID", &demo.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &demo.secret_access_key)
        .env("AWS_SESSION_TOKEN", demo.session_token.as_deref().unwrap())
        // Nothing from this machine's AWS setup may leak in.
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_REGION")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_RETRY_MODE")
        .env_remove("AWS_MAX_ATTEMPTS")
        .env_remove("AWS_BEARER_TOKEN_BEDROCK");
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .expect("run boto3_seed.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "boto3_seed.py failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let facts: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(facts["stream_chunks"], stream.tokens.len());
    assert_eq!(facts["stream_error"], "modelStreamErrorException");
    assert_eq!(
        facts["wrong_region"],
        "Credential should be scoped to a valid region, not 'eu-west-1'. "
    );

    // The emulator saw botocore's requests as valid SigV4, and its retry of the throttle.
    let log = server.emulator.log();
    let signed: Vec<_> = log
        .iter()
        .filter(|r| r.operation != "Preflight")
        .map(|r| r.signature.as_str())
        .collect();
    assert_eq!(
        signed.iter().filter(|s| **s == "valid").count(),
        9,
        "{signed:?}"
    );
    if facts["api_key"] == "used" {
        assert_eq!(signed[signed.len() - 2..], ["wrong-region", "api-key"]);
    } else {
        eprintln!("API-key part {}", facts["api_key"]);
        assert_eq!(signed.last(), Some(&"wrong-region"));
    }
    let throttled: Vec<_> = log
        .iter()
        .filter(|r| r.fault.as_deref() == Some("throttle=1"))
        .map(|r| (r.status, r.retries_seen))
        .collect();
    assert_eq!(throttled, [(429, 0), (200, 1)]);
    for op in [
        "InvokeModel",
        "InvokeModelWithResponseStream",
        "Converse",
        "ConverseStream",
    ] {
        assert!(
            log.iter().any(|r| r.operation == op && r.status == 200),
            "{op}"
        );
    }
}
