//! `dist/` (the static playground site, built by Trunk) and `pkg/` (the npm package).

use std::path::{Path, PathBuf};

use crate::cmd::{cargo, run};
use crate::Result;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ is in the workspace")
        .to_path_buf()
}

pub fn all() -> Result {
    dist()?;
    pkg()
}

/// Release build of the playground into `dist/`, wasm-opt on (see Trunk.toml).
pub fn dist() -> Result {
    run("trunk", &["build", "--release", "--offline"])
}

/// The npm package: wasm-bindgen's ESM output, optimised, with its package.json.
pub fn pkg() -> Result {
    cargo(&[
        "build",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "bedrock-wasm",
        "--lib",
    ])?;
    let root = root();
    let out = root.join("pkg");
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|e| format!("cannot clear pkg/: {e}"))?;
    }
    let wasm = root.join("target/wasm32-unknown-unknown/release/bedrock_wasm.wasm");
    run(
        "wasm-bindgen",
        &[
            wasm.to_str().unwrap(),
            "--out-dir",
            out.to_str().unwrap(),
            "--target",
            "web",
            "--typescript",
        ],
    )?;
    let bg = out.join("bedrock_wasm_bg.wasm");
    run(
        "wasm-opt",
        &["-Oz", bg.to_str().unwrap(), "-o", bg.to_str().unwrap()],
    )?;
    let manifest = serde_json::json!({
        "name": "bedrock-wasm",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Amazon Bedrock Runtime from the browser: SigV4 signing, streaming fetch and event-stream decoding in WebAssembly",
        "license": "Apache-2.0",
        "type": "module",
        "main": "./bedrock_wasm.js",
        "module": "./bedrock_wasm.js",
        "types": "./bedrock_wasm.d.ts",
        "exports": {
            ".": { "types": "./bedrock_wasm.d.ts", "default": "./bedrock_wasm.js" },
            "./bedrock_wasm_bg.wasm": "./bedrock_wasm_bg.wasm"
        },
        "files": ["bedrock_wasm.js", "bedrock_wasm.d.ts", "bedrock_wasm_bg.wasm", "bedrock_wasm_bg.wasm.d.ts", "snippets/", "README.md", "LICENSE"],
        "sideEffects": false,
        "keywords": ["aws", "bedrock", "wasm", "sigv4", "event-stream", "llm"]
    });
    let text = serde_json::to_string_pretty(&manifest).expect("json") + "\n";
    std::fs::write(out.join("package.json"), text).map_err(|e| e.to_string())?;
    for file in ["README.md", "LICENSE"] {
        std::fs::copy(root.join(file), out.join(file)).map_err(|e| format!("{file}: {e}"))?;
    }
    Ok(())
}
