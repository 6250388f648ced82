//! `cargo xtask bench`: our decoder, signer and sizes next to the JS peers, in one run,
//! written to BENCHMARKS.md. Bounded: a few minutes on a 2-core machine.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use bedrock_wasm::eventstream::Message;

use crate::build::root;
use crate::cmd::{output, run_env, run_in};
use crate::Result;

/// Frames per benchmark stream (issue: a 10,000-frame stream).
const FRAMES: usize = 10_000;

/// A small deterministic generator, so every run measures the same bytes.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

const WORDS: [&str; 12] = [
    " the", " stream", " decoder", " reads", " every", " frame", " as", " it", " arrives", ",",
    " café", " 🍫",
];
const PAD: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn frame(event_type: &str, payload: serde_json::Value) -> Vec<u8> {
    Message::new(payload.to_string())
        .with_str_header(":event-type", event_type)
        .with_str_header(":content-type", "application/json")
        .with_str_header(":message-type", "event")
        .encode()
}

/// An InvokeModelWithResponseStream chunk around Claude Messages JSON, padded like Bedrock's.
fn chunk(rng: &mut Lcg, model_json: serde_json::Value) -> Vec<u8> {
    let bytes = base64::engine::general_purpose::STANDARD.encode(model_json.to_string());
    let pad = &PAD[..(rng.next() % PAD.len() as u64) as usize];
    frame("chunk", serde_json::json!({ "bytes": bytes, "p": pad }))
}

/// Writes `claude-messages.eventstream` and `converse-stream.eventstream` into `dir`.
pub fn write_streams(dir: &Path) -> Result {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let mut rng = Lcg(0x5eed);
    let deltas = FRAMES - 5;
    let mut claude = Vec::new();
    claude.extend(chunk(&mut rng, serde_json::json!({"type":"message_start","message":{"id":"msg_bdrk_bench","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":21,"output_tokens":1}}})));
    claude.extend(chunk(&mut rng, serde_json::json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})));
    let mut converse = frame(
        "messageStart",
        serde_json::json!({"role":"assistant","p":"abcd"}),
    );
    for _ in 0..deltas {
        let word = WORDS[(rng.next() % WORDS.len() as u64) as usize];
        claude.extend(chunk(&mut rng, serde_json::json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":word}})));
        let pad = &PAD[..(rng.next() % PAD.len() as u64) as usize];
        converse.extend(frame(
            "contentBlockDelta",
            serde_json::json!({"contentBlockIndex":0,"delta":{"text":word},"p":pad}),
        ));
    }
    claude.extend(chunk(
        &mut rng,
        serde_json::json!({"type":"content_block_stop","index":0}),
    ));
    claude.extend(chunk(&mut rng, serde_json::json!({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":deltas}})));
    claude.extend(chunk(&mut rng, serde_json::json!({"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":21,"outputTokenCount":deltas,"invocationLatency":9000,"firstByteLatency":300}})));
    converse.extend(frame(
        "contentBlockStop",
        serde_json::json!({"contentBlockIndex":0,"p":"ab"}),
    ));
    converse.extend(frame(
        "messageStop",
        serde_json::json!({"stopReason":"end_turn","p":"abc"}),
    ));
    converse.extend(frame("metadata", serde_json::json!({"usage":{"inputTokens":21,"outputTokens":deltas,"totalTokens":deltas + 21},"metrics":{"latencyMs":9000},"p":"a"})));
    // The Claude stream has FRAMES frames; the Converse one FRAMES - 1 (no block start).
    std::fs::write(dir.join("claude-messages.eventstream"), claude).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("converse-stream.eventstream"), converse).map_err(|e| e.to_string())?;
    Ok(())
}

/// Criterion's median for one benchmark, in nanoseconds per iteration.
fn criterion_median_ns(id: &str) -> Result<f64> {
    let path = root()
        .join("target/criterion")
        .join(id)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    json["median"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("no median in {}", path.display()))
}

fn version(program: &str, args: &[&str]) -> String {
    output(program, args).unwrap_or_else(|| "unknown".into())
}

pub fn run() -> Result {
    let root = root();
    let streams = root.join("target/bench/streams");
    write_streams(&streams)?;
    let bench_dir = root.join("tests/bench");
    if !bench_dir.join("node_modules/.package-lock.json").exists() {
        println!("xtask: installing npm packages from tests/bench/package.json (the JS peers)");
        run_in(&bench_dir, "npm", &["ci", "--no-audit", "--no-fund"], &[])?;
    }
    crate::build::pkg()?;
    if !root.join("dist/index.html").exists() {
        crate::build::dist()?;
    }
    let streams_str = streams.to_string_lossy().into_owned();
    run_env(
        "cargo",
        &[
            "bench",
            "-p",
            "bedrock-wasm",
            "--bench",
            "decode",
            "--",
            "--noplot",
        ],
        &[("BENCH_STREAMS_DIR", &streams_str)],
    )?;
    let mut native = serde_json::Map::new();
    for name in ["claude-messages", "converse-stream"] {
        let bytes = std::fs::metadata(streams.join(format!("{name}.eventstream")))
            .map_err(|e| e.to_string())?
            .len() as f64;
        for piece in ["4096", "65536"] {
            let ns = criterion_median_ns(&format!("decode_{name}/{piece}"))?;
            native.insert(format!("{name}/{piece}"), serde_json::json!({ "mb_per_s": bytes / ns * 1e3, "frames_per_s": FRAMES as f64 / ns * 1e9 }));
        }
    }
    let sign_us = criterion_median_ns("sign_converse-stream")? / 1e3;
    // The JS side prints one JSON object per measurement on stdout.
    let js = Command::new("node")
        .arg("--expose-gc")
        .arg(bench_dir.join("run.mjs"))
        .current_dir(&bench_dir)
        .env("BENCH_STREAMS_DIR", &streams)
        .env("BENCH_ROOT", &root)
        .output()
        .map_err(|e| format!("node: {e}"))?;
    if !js.status.success() {
        return Err(format!(
            "tests/bench/run.mjs failed:\n{}",
            String::from_utf8_lossy(&js.stderr)
        ));
    }
    let js: serde_json::Value =
        serde_json::from_slice(&js.stdout).map_err(|e| format!("run.mjs output: {e}"))?;
    let report = render(&native, sign_us, &js);
    std::fs::write(root.join("BENCHMARKS.md"), &report).map_err(|e| e.to_string())?;
    println!("\n{report}");
    Ok(())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Where the goals stand and what limits them (profiled, not guessed; see the commit log).
const GOALS: &str = "
## Goals and what limits them

- **Decode ≥ 5× the SDK path and ≥ 5× the SDK client end to end: missed.** The native
  decoder does ~240 MB/s (≈ 8× the SDK path); through the package in Node we reach about
  1.0–2.0× the SDK path and 1.6–2.5× the SDK client. Events now cross the wasm/JS boundary
  in batches, one per network read (that doubled the Claude 4 KiB figure); what remains is
  per event in JS: each chunk is a fresh `Uint8Array` the caller `JSON.parse`s, and each
  ConverseStream event is serialised to JSON in Rust and parsed again in JS. Building the
  event objects directly (no JSON round trip) and `textStream()` (text extracted in Rust)
  are the next steps.
- **Signing faster than every JS signer: not shown.** Natively aws-sigv4 signs in ~5 µs;
  the package does not export a bare signer, so the Node figure is a whole `invokeModel`
  round trip through a mocked fetch (an upper bound), which is slower than the JS
  signers alone. A bare `sign` export would make the comparison fair.
- **`pkg/` ≤ 63 KB gzip: missed** (~210 KB). The wasm is dominated by `aws-sigv4`'s
  `http`/`aws-smithy-*` dependencies (~40 KB), `serde_json::Value`-based parsing of every
  family and Converse, allocation and float formatting from core; our own code is ~55 KB
  before wasm-opt. A signer on `hmac` + `sha2` and typed per-family parsing are the
  planned cuts (twiggy: `twiggy top -n 30 pkg/bedrock_wasm_bg.wasm`).
- **`dist/` first load ≤ 200 KB gzip: missed** (~300 KB): the same library cost plus
  Leptos's renderer and the playground's views. Loading compare/code/inspector on demand
  is the planned cut.
- **Cold start: met** — about 2.4× faster than the SDK client to the first chunk in Node.
- **Memory: flat** — JS heap unchanged over 1,000 calls; the decoder holds at most one
  partial frame. (An idle-watchdog closure that leaked per read was found by this
  benchmark and fixed.)
- **Flat per-token render cost and ≤ 5 ms chunk-to-DOM: not measured yet.**
";

fn render(
    native: &serde_json::Map<String, serde_json::Value>,
    sign_us: f64,
    js: &serde_json::Value,
) -> String {
    let mut s = String::new();
    let date = version("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let _ = writeln!(s, "# Benchmarks\n\nWritten by `cargo xtask bench` on {date}. Medians (min–max) of repeated runs, all in one run on one machine.\n");
    let _ = writeln!(
        s,
        "- Machine: {} ({cores} cores), {}",
        cpu_model(),
        version("uname", &["-sr"])
    );
    let _ = writeln!(
        s,
        "- Versions: {}, Node {}, peers as pinned in `tests/bench/package.json`",
        version("rustc", &["--version"]),
        version("node", &["--version"])
    );
    let _ = writeln!(s, "- Streams: {FRAMES} frames of Claude Messages text deltas (InvokeModelWithResponseStream, random-length `p` padding) and the ConverseStream equivalent\n");
    let _ = writeln!(
        s,
        "{}",
        js["markdown"]
            .as_str()
            .unwrap_or("(the JS measurements failed)")
    );
    let _ = writeln!(s, "## Native Rust decoder (criterion, the ceiling)\n\n| stream | piece | MB/s | frames/s |\n|---|---|---|---|");
    for (key, v) in native {
        let (name, piece) = key.split_once('/').unwrap_or((key, ""));
        let _ = writeln!(
            s,
            "| {name} | {piece} B | {:.0} | {:.0} |",
            v["mb_per_s"].as_f64().unwrap_or(0.0),
            v["frames_per_s"].as_f64().unwrap_or(0.0)
        );
    }
    let _ = writeln!(s, "\nNative signing (aws-sigv4, the BEDROCK.md Appendix A request): {sign_us:.1} µs per signature.");
    s.push_str(GOALS);
    s
}
