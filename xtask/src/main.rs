//! `cargo xtask <command>`: everything a developer or CI runs, on a fresh Debian machine.
//!
//! - `demo`  builds the playground (release), starts the emulator and serves `dist/`.
//! - `test`  fmt, clippy (native and wasm32), native tests, wasm tests in headless Chromium,
//!   and the end-to-end browser test.
//! - `build` writes `dist/` (the static site) and `pkg/` (the npm package).
//! - `size`  prints what `pkg/` and `dist/` weigh (gzip, brotli), their wasm by crate and by our
//!   module, and what each public feature of the package costs; writes it into BENCHMARKS.md.
//! - `fuzz`  runs the event-stream decoder's fuzz target (`fuzz/`, nightly) for a while.
//!
//! Missing tools are installed first, and each installation is announced (see `tools.rs`).

mod bench;
mod budget;
mod build;
mod cmd;
mod npm;
mod serve;
mod size;
mod tools;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bedrock_emulator::{Config, Credential, Emulator};

type Result<T = ()> = std::result::Result<T, String>;

const USAGE: &str =
    "usage: cargo xtask <demo [--port N] [--emulator-port N] | test | build | size [--skip-features | --only FEATURE] | test-wasm | test-e2e | fuzz [--seconds N] [--target decoder|api|all] | bench>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo(&args[1..]),
        Some("test") => test(),
        Some("build") => tools::ensure_build_tools()
            .and_then(|_| build::all())
            .and_then(|_| budget::check()),
        // A report, not a gate (the budgets are `build`'s and `test`'s): see size.rs.
        Some("size") => size::run(&args[1..]),
        // Single steps of `test`, for quick iteration.
        Some("dist") => tools::ensure_build_tools()
            .and_then(|_| build::dist())
            .and_then(|_| budget::check_dist()),
        Some("test-wasm") => tools::ensure_test_tools().and_then(|_| wasm_tests()),
        Some("test-e2e") => tools::ensure_test_tools()
            .and_then(|_| build::all())
            .and_then(|_| e2e()),
        Some("fuzz") => fuzz(&args[1..]),
        // The npm package alone: build pkg/, then its Node, browser, type and conformance tests.
        Some("test-npm") => tools::ensure_test_tools()
            .and_then(|_| build::pkg())
            .and_then(|_| npm::tests()),
        // Test tools: the browser part needs Chromium and playwright-core.
        Some("bench") => tools::ensure_test_tools().and_then(|_| bench::run()),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn port_arg(args: &[String], flag: &str, default: u16) -> Result<u16> {
    match args.iter().position(|a| a == flag) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("{flag} needs a port number\n{USAGE}")),
    }
}

fn demo(args: &[String]) -> Result {
    let site_port = port_arg(args, "--port", 8080)?;
    let emulator_port = port_arg(args, "--emulator-port", 4010)?;
    tools::ensure_build_tools()?;
    build::dist()?;
    runtime().block_on(async {
        let emulator = Emulator::start(Config::default(), loopback(emulator_port))
            .await
            .map_err(|e| {
                format!(
                    "cannot start the emulator on port {emulator_port}: {e} (try --emulator-port)"
                )
            })?;
        let demo = Credential::demo();
        let config = serde_json::json!({
            "endpoint": emulator.url(),
            "region": "us-east-1",
            "accessKeyId": demo.access_key_id,
            "secretAccessKey": demo.secret_access_key,
            "sessionToken": demo.session_token,
            // The emulator's Cognito pool, for the "Cognito identity pool" sign-in.
            "identityPoolId": bedrock_emulator::DEMO_IDENTITY_POOL_ID,
        });
        let site = serve::start(
            build::root().join("dist"),
            Some(config),
            loopback(site_port),
        )
        .await
        .map_err(|e| format!("cannot serve dist/ on port {site_port}: {e} (try --port)"))?;
        println!("\n  Bedrock emulator:  {}", emulator.url());
        println!("  Playground:        {}/", site.url());
        println!(
            "\n  The page is pre-filled with the emulator's demo credentials. Ctrl-C stops both."
        );
        tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
        println!("\nStopping.");
        site.shutdown().await;
        emulator.shutdown().await;
        Ok(())
    })
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Runs each step, timing it, and stops at the first failure.
fn test() -> Result {
    let scratch = test_scratch()?;
    let result = test_steps();
    // Chromium's profiles (chromedriver leaves one of ~70 MB per session), the emulator's
    // certificate and the fake microphone's WAV all went to the system temp dir and stayed.
    let _ = std::fs::remove_dir_all(&scratch);
    println!("disk: target/ holds {}", disk_usage(&build::target_dir()));
    result
}

/// Points every child (and this process's own temp files) at a temp dir under `target/` that
/// is removed when the run ends, and turns incremental compilation off: a test run builds
/// each crate once, and the incremental caches doubled the disk a clean run needs.
fn test_scratch() -> Result<std::path::PathBuf> {
    let scratch = build::target_dir().join("tmp").join("test");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    // Set before any thread starts (no runtime, no child yet).
    std::env::set_var("TMPDIR", &scratch);
    if std::env::var_os("CARGO_INCREMENTAL").is_none() {
        std::env::set_var("CARGO_INCREMENTAL", "0");
    }
    Ok(scratch)
}

/// `du -sh`'s figure for a directory, or why there is none.
fn disk_usage(dir: &std::path::Path) -> String {
    cmd::output("du", &["-sh", &dir.to_string_lossy()])
        .and_then(|out| out.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "an unknown amount (du failed)".into())
}

fn test_steps() -> Result {
    let started = Instant::now();
    let mut timings: Vec<(&str, Duration)> = Vec::new();
    let mut step = |name: &'static str, f: &mut dyn FnMut() -> Result| -> Result {
        println!("\n==> {name}");
        let t = Instant::now();
        f().map_err(|e| format!("{name} failed: {e}"))?;
        timings.push((name, t.elapsed()));
        Ok(())
    };
    step("install missing tools", &mut || tools::ensure_test_tools())?;
    step("cargo fmt --check", &mut || {
        cmd::cargo(&["fmt", "--all", "--", "--check"])
    })?;
    step("clippy (native)", &mut || {
        let args = [
            "clippy",
            "--workspace",
            "--exclude",
            PLAYGROUND,
            "--all-targets",
        ];
        cmd::cargo(&[&args[..], &["--", "-D", "warnings"]].concat())
    })?;
    step("clippy (wasm32)", &mut || {
        let args = [
            "clippy",
            "--target",
            WASM,
            "-p",
            "bedrock-wasm",
            "-p",
            "bedrock-eventstream",
            "-p",
            PLAYGROUND,
        ];
        cmd::cargo(&[&args[..], &["--all-targets", "--", "-D", "warnings"]].concat())?;
        // The package's voice module: the same crate with only its exports.
        let voice = ["clippy", "--target", WASM, "-p", "bedrock-wasm", "--lib"];
        cmd::cargo(&[&voice[..], build::VOICE_FEATURES, &["--", "-D", "warnings"]].concat())
    })?;
    step("fuzz target compiles", &mut check_fuzz_target)?;
    step("native tests", &mut || {
        cmd::cargo(&["test", "--workspace", "--exclude", PLAYGROUND])?;
        // The playground's pure parts (Markdown parser, form parsing, figures) test
        // natively; its components only build for wasm32 (tested in the wasm step).
        cmd::cargo(&["test", "-p", PLAYGROUND, "--lib"])
    })?;
    step("wasm tests in headless Chromium", &mut wasm_tests)?;
    step("release build (dist/ and pkg/)", &mut build::all)?;
    step("size budgets", &mut budget::check)?;
    step(
        "npm package (tsc, Node, Chromium page/bundle/worker, AWS SDK conformance)",
        &mut npm::tests,
    )?;
    step("end-to-end tests (playground in Chromium)", &mut e2e)?;
    println!("\nAll passed in {:.0?}:", started.elapsed());
    for (name, d) in timings {
        println!("  {:>6.1}s  {name}", d.as_secs_f64());
    }
    Ok(())
}

/// The playground crate: its app and views are browser-only, so the workspace-wide native
/// steps skip it; its pure library parts test natively on their own, the wasm32 steps cover
/// the rest.
const PLAYGROUND: &str = "bedrock-wasm-playground";
const WASM: &str = "wasm32-unknown-unknown";

/// Token pacing of the emulator the browser tests run against.
const TEST_TOKEN_DELAY: Duration = Duration::from_millis(20);

fn test_emulator_config() -> Config {
    Config {
        token_delay: TEST_TOKEN_DELAY,
        // Cognito credentials that enter the 5-minute renewal margin
        // (`sign::REFRESH_BEFORE_EXPIRY_MS`) 20 s after they are issued, so the playground's
        // renewal is exercised.
        cognito_lifetime: Duration::from_secs(320),
        ..Config::default()
    }
}

fn wasm_tests() -> Result {
    let rt = runtime();
    let emulator = rt
        .block_on(Emulator::start(test_emulator_config(), loopback(0)))
        .map_err(|e| format!("cannot start the emulator: {e}"))?;
    let demo = Credential::demo();
    let delay = TEST_TOKEN_DELAY.as_millis().to_string();
    let url = emulator.url();
    let token = demo.session_token.clone().unwrap_or_default();
    let env = [
        ("BEDROCK_EMULATOR_URL", url.as_str()),
        (
            "BEDROCK_EMULATOR_ACCESS_KEY_ID",
            demo.access_key_id.as_str(),
        ),
        (
            "BEDROCK_EMULATOR_SECRET_ACCESS_KEY",
            demo.secret_access_key.as_str(),
        ),
        ("BEDROCK_EMULATOR_SESSION_TOKEN", token.as_str()),
        ("BEDROCK_EMULATOR_TOKEN_DELAY_MS", delay.as_str()),
        ("CHROMEDRIVER", tools::CHROMEDRIVER),
        ("WASM_BINDGEN_TEST_WEBDRIVER_JSON", &tools::webdriver_json()),
        ("WASM_BINDGEN_TEST_TIMEOUT", "120"),
    ];
    let result = cmd::cargo_env(
        &[
            "test",
            "-p",
            "bedrock-wasm",
            "-p",
            "bedrock-eventstream",
            "--target",
            "wasm32-unknown-unknown",
            "--no-default-features",
        ],
        &env,
    )
    .and_then(|()| {
        // The playground's components, mounted (its pure parts test natively).
        cmd::cargo_env(
            &[
                "test",
                "-p",
                PLAYGROUND,
                "--target",
                WASM,
                "--test",
                "components",
            ],
            &env,
        )
    });
    rt.block_on(emulator.shutdown());
    result
}

fn e2e() -> Result {
    // The panic banner's spec needs a build that can panic on purpose.
    build::dist_test()?;
    let rt = runtime();
    let (emulator, site, test_site) = rt.block_on(async {
        let emulator = Emulator::start(test_emulator_config(), loopback(0))
            .await
            .map_err(|e| format!("cannot start the emulator: {e}"))?;
        let site = serve::start(build::root().join("dist"), None, loopback(0))
            .await
            .map_err(|e| format!("cannot serve dist/: {e}"))?;
        let test_site = serve::start(build::dist_test_dir(), None, loopback(0))
            .await
            .map_err(|e| format!("cannot serve target/dist-test/: {e}"))?;
        Ok::<_, String>((emulator, site, test_site))
    })?;
    let test_site_url = format!("{}/", test_site.url());
    let demo = Credential::demo();
    let prompt = "Write me a 100 word essay about snickers candy bars";
    let max_tokens = 200;
    // The playground wraps the prompt in the Claude text-completion format.
    let expected = bedrock_emulator::claude_text_answer(
        &format!("\n\nHuman: {prompt}\n\nAssistant:"),
        max_tokens,
    );
    let expected_json = serde_json::json!({
        "prompt": prompt,
        "maxTokens": max_tokens,
        "text": expected.text(),
        "inputTokens": expected.input_tokens,
        "outputTokens": expected.tokens.len(),
        "stopReason": expected.stop_reason,
    })
    .to_string();
    let url = format!("{}/", site.url());
    let sub_path_url = format!("{}{}", site.url(), serve::SUB_PATH);
    let emulator_url = emulator.url();
    let token = demo.session_token.clone().unwrap_or_default();
    let env = [
        ("PLAYGROUND_URL", url.as_str()),
        ("PLAYGROUND_SUB_PATH_URL", sub_path_url.as_str()),
        ("EMULATOR_URL", emulator_url.as_str()),
        ("ACCESS_KEY_ID", demo.access_key_id.as_str()),
        ("SECRET_ACCESS_KEY", demo.secret_access_key.as_str()),
        ("SESSION_TOKEN", token.as_str()),
        ("API_KEY", bedrock_emulator::DEMO_API_KEY),
        ("IDENTITY_POOL_ID", bedrock_emulator::DEMO_IDENTITY_POOL_ID),
        ("EXPECTED", expected_json.as_str()),
        ("CHROMIUM", tools::CHROMIUM),
        ("PLAYGROUND_TEST_BUILD_URL", test_site_url.as_str()),
    ];
    let result = ["tests/e2e/playground.mjs", "tests/e2e/fatal.mjs"]
        .iter()
        .try_for_each(|script| {
            let path = build::root().join(script);
            cmd::run_env("node", &[path.to_str().unwrap()], &env)
        });
    rt.block_on(async {
        site.shutdown().await;
        test_site.shutdown().await;
        emulator.shutdown().await;
    });
    result
}

// Fuzzing. `fuzz/` is its own workspace because cargo-fuzz needs nightly and libFuzzer; the
// rest of the build never depends on either.

const FUZZ_TARGET: &str = "decoder";
const FUZZ_SECONDS: u64 = 300;

fn nightly_available() -> bool {
    cmd::output("cargo", &["+nightly", "--version"]).is_some()
}

/// Type-checks the fuzz target. `check` links nothing, so libfuzzer-sys is pointed at a
/// library that never gets used instead of compiling libFuzzer's C++ (about 30 s on a fresh
/// machine, and it would need a C++ compiler). Without nightly the step is skipped, saying so.
fn check_fuzz_target() -> Result {
    if !nightly_available() {
        println!("skipped: no nightly toolchain (`rustup toolchain install nightly` adds it)");
        return Ok(());
    }
    cmd::run_env(
        "cargo",
        &["+nightly", "check", "--manifest-path", "fuzz/Cargo.toml"],
        &[(
            "CUSTOM_LIBFUZZER_PATH",
            "/nonexistent/libfuzzer-unused-by-check.a",
        )],
    )
}

/// Nightly, cargo-fuzz and a C++ compiler (libFuzzer is C++), installing the first two.
fn ensure_fuzz_tools() -> Result {
    if !nightly_available() {
        println!("xtask: installing the nightly Rust toolchain (rustup, minimal profile)");
        cmd::run(
            "rustup",
            &["toolchain", "install", "nightly", "--profile", "minimal"],
        )?;
    }
    if cmd::output("cargo", &["fuzz", "--version"]).is_none() {
        println!("xtask: installing cargo-fuzz (cargo install, a few minutes)");
        cmd::run("cargo", &["install", "cargo-fuzz", "--locked"])?;
    }
    if cmd::output("c++", &["--version"]).is_none() {
        return Err("libFuzzer needs a C++ compiler: install one (`apt-get install g++`)".into());
    }
    Ok(())
}

/// `cargo xtask fuzz [--seconds N]`: runs the decoder target on inputs up to 4 MiB, echoing
/// libFuzzer's output, and ends with a summary (executions, exec/s, crashes found, corpus
/// size). Large seed frames are written first (`gen-*`, next to the committed `seed-*`). New
/// corpus entries stay in `fuzz/corpus/decoder/` (git-ignored), crashes go to
/// `fuzz/artifacts/decoder/`.
fn fuzz(args: &[String]) -> Result {
    let seconds = match args.iter().position(|a| a == "--seconds") {
        None => FUZZ_SECONDS,
        Some(i) => args
            .get(i + 1)
            .and_then(|s| s.parse().ok())
            .filter(|&s: &u64| s > 0)
            .ok_or_else(|| format!("--seconds needs a positive number\n{USAGE}"))?,
    };
    let target = match args.iter().position(|a| a == "--target") {
        None => "all",
        Some(i) => match args.get(i + 1).map(String::as_str) {
            Some(t @ ("decoder" | "api" | "all")) => t,
            _ => return Err(format!("--target is decoder, api or all\n{USAGE}")),
        },
    };
    // The decoder first (libFuzzer), then the package's JS API (tests/js/fuzz-api.mjs).
    if target != "api" {
        fuzz_decoder(seconds)?;
    }
    if target != "decoder" {
        fuzz_api(seconds)?;
    }
    Ok(())
}

/// `tests/js/fuzz-api.mjs` against the built package for `seconds`: random values for every
/// option and argument of every export, a server that answers at random. Prints its
/// executions and findings; any finding fails.
fn fuzz_api(seconds: u64) -> Result {
    tools::ensure_test_tools()?;
    build::pkg()?;
    let script = build::root().join("tests/js/fuzz-api.mjs");
    let secs = seconds.to_string();
    println!("\n$ node tests/js/fuzz-api.mjs --seconds {secs}");
    let out = std::process::Command::new("node")
        .arg(&script)
        .args(["--seconds", &secs])
        .current_dir(build::root().join("tests"))
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout.lines().last().unwrap_or("");
    let json: serde_json::Value = serde_json::from_str(summary).unwrap_or_default();
    println!("\nFuzzing summary (JS API, {seconds} s):");
    println!("  total execs: {}", json["executions"]);
    println!("  findings = {}", json["findings"]);
    println!(
        "  seed: {} (replay one finding with --runs 1 --seed <its seed>)",
        json["seed"]
    );
    if let Some(examples) = json["examples"].as_array() {
        for e in examples {
            println!("    {e}");
        }
    }
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "the API fuzzer found problems or crashed ({}):\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The event-stream decoder's libFuzzer target for `seconds`.
fn fuzz_decoder(seconds: u64) -> Result {
    use std::io::BufRead;

    use std::path::Path;

    use bedrock_wasm::eventstream::{HeaderValue, Message};

    /// Frames the mutations alone would take very long to grow: they reach the header-count
    /// and header-length limits and the large-payload path from the first run. Generated
    /// here rather than committed, and rewritten only when their bytes change.
    fn write_large_seeds(dir: &Path) -> Result {
        let bedrock = |m: Message| {
            m.with_str_header(":event-type", "chunk")
                .with_str_header(":content-type", "application/json")
                .with_str_header(":message-type", "event")
        };
        let ascii = || (0u8..128).map(char::from);
        let mut seeds: Vec<(&str, Vec<u8>)> = Vec::new();
        // Exactly 128 KiB of headers (the default limit): 128 string headers of 1 KiB.
        let mut m = Message::new(b"{}".to_vec());
        for i in 0..128 {
            m = m.with_str_header(format!("n{i:03}"), "v".repeat(1016));
        }
        seeds.push(("gen-headers-128k", m.encode()));
        // 1,024 distinct headers (the default count limit), then 1,025.
        for (name, n) in [("gen-headers-1024", 1024), ("gen-headers-1025", 1025)] {
            let mut m = Message::new(b"p".to_vec());
            for i in 0..n {
                m = m.with_header(format!("h{i:x}"), HeaderValue::Bool(true));
            }
            seeds.push((name, m.encode()));
        }
        // The smallest distinct headers up to ~128 KiB: one- and two-byte names, then
        // three-byte ones (~29,000 headers, the worst case for the duplicate check).
        let mut m = Message::new(Vec::new());
        let names = ascii()
            .map(String::from)
            .chain(ascii().flat_map(|a| ascii().map(move |b| format!("{a}{b}"))))
            .chain(ascii().flat_map(|a| {
                ascii().flat_map(move |b| ascii().map(move |c| format!("{a}{b}{c}")))
            }));
        let mut headers_len = 0;
        for name in names {
            headers_len += name.len() + 2;
            if headers_len > 128 * 1024 {
                break;
            }
            m = m.with_header(name, HeaderValue::Bool(true));
        }
        seeds.push(("gen-headers-tiny-128k", m.encode()));
        // A 1 MiB payload, and a stream of 2,000 ordinary chunks.
        let payload: Vec<u8> = (0..1 << 20).map(|i: u32| b'a' + (i % 26) as u8).collect();
        seeds.push(("gen-payload-1m", bedrock(Message::new(payload)).encode()));
        let stream: Vec<u8> = (0..2000)
            .flat_map(|i| {
                let text = format!(r#"{{"bytes":"{}","p":"abc"}}"#, "x".repeat(i % 300));
                bedrock(Message::new(text)).encode()
            })
            .collect();
        seeds.push(("gen-stream-2000", stream));
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for (name, bytes) in seeds {
            let path = dir.join(name);
            if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
                std::fs::write(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
        Ok(())
    }

    /// The number after `key` in a libFuzzer line (`exec/s: 1234`, `#5678`).
    fn number_after(line: &str, key: &str) -> Option<u64> {
        let rest = &line[line.find(key)? + key.len()..];
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    }

    ensure_fuzz_tools()?;
    let corpus = build::root().join("fuzz/corpus").join(FUZZ_TARGET);
    let artifacts = build::root().join("fuzz/artifacts").join(FUZZ_TARGET);
    write_large_seeds(&corpus)?;
    let artifact_files = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&artifacts)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default()
    };
    let artifacts_before = artifact_files();
    let max_time = format!("-max_total_time={seconds}");
    let fuzz_args = [
        "+nightly",
        "fuzz",
        "run",
        // Overflow checks on: a wrapped length is exactly the bug to find.
        "--debug-assertions",
        FUZZ_TARGET,
        "--",
        &max_time,
        // Several MiB: room for 128 KiB header blocks, thousands of headers and large
        // payloads, where the limits and the duplicate check live (libFuzzer still grows
        // inputs gradually, so most are small and fast).
        "-max_len=4194304",
        "-timeout=10",
        "-print_final_stats=1",
    ];
    println!("$ cargo {}", fuzz_args.join(" "));
    let mut child = std::process::Command::new("cargo")
        .args(fuzz_args)
        .current_dir(build::root())
        .env("PATH", tools::path_with_tools())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
    // libFuzzer reports on stderr: pass it through, keeping the status line and final stats.
    let mut status_line = None;
    let mut stats = Vec::new();
    let stderr = std::io::BufReader::new(child.stderr.take().expect("piped"));
    for line in stderr.split(b'\n') {
        let line = String::from_utf8_lossy(&line.map_err(|e| e.to_string())?).into_owned();
        eprintln!("{line}");
        if line.contains(" cov: ") && line.contains(" exec/s: ") {
            status_line = Some(line);
        } else if line.starts_with("stat::") {
            stats.push(line);
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let stat = |key: &str| {
        stats
            .iter()
            .find_map(|s| number_after(s, &format!("stat::{key}:")))
    };
    let status_number = |key: &str| status_line.as_deref().and_then(|l| number_after(l, key));
    let execs = stat("number_of_executed_units").or_else(|| status_number("#"));
    let exec_per_s = stat("average_exec_per_sec").or_else(|| status_number("exec/s:"));
    let crashes: Vec<_> = artifact_files()
        .into_iter()
        .filter(|p| !artifacts_before.contains(p))
        .collect();
    let (corpus_files, corpus_bytes) = std::fs::read_dir(&corpus)
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .fold((0u64, 0u64), |(n, b), m| (n + 1, b + m.len()))
        })
        .unwrap_or((0, 0));
    let show = |n: Option<u64>| n.map_or("?".to_owned(), |n| n.to_string());
    println!("\nFuzzing summary ({FUZZ_TARGET}, {seconds} s, inputs up to 4 MiB):");
    println!(
        "  {}",
        status_line.as_deref().unwrap_or("no libFuzzer status line")
    );
    println!("  total execs: {}", show(execs));
    println!("  exec/s: {}", show(exec_per_s));
    println!("  new corpus units: {}", show(stat("new_units_added")));
    println!("  peak RSS: {} MB", show(stat("peak_rss_mb")));
    println!("  crashes found = {}", crashes.len());
    for c in &crashes {
        println!("    {}", c.display());
    }
    println!(
        "  corpus: {corpus_files} files, {:.1} MiB in {}",
        corpus_bytes as f64 / (1024.0 * 1024.0),
        corpus.display()
    );
    if status.success() && crashes.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the fuzzer stopped with {status}: the input is under fuzz/artifacts/{FUZZ_TARGET}/ \
             (reproduce with `cargo +nightly fuzz run {FUZZ_TARGET} <file>`)"
        ))
    }
}
