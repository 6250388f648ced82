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

/// The npm package: the hand-written ES module entries and types from `src/js/` over
/// wasm-bindgen's output (the core), built with the `pkg` profile (Cargo.toml says why).
pub fn pkg() -> Result {
    cargo(&[
        "build",
        "--profile",
        "pkg",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "bedrock-wasm",
        "--lib",
    ])?;
    let root = root();
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    pkg_from(&target.join("wasm32-unknown-unknown/pkg/bedrock_wasm.wasm"))
}

/// Writes `pkg/` from a built `bedrock_wasm.wasm`.
pub fn pkg_from(wasm: &Path) -> Result {
    let root = root();
    let out = root.join("pkg");
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|e| format!("cannot clear pkg/: {e}"))?;
    }
    run(
        "wasm-bindgen",
        &[
            wasm.to_str().unwrap(),
            "--out-dir",
            out.to_str().unwrap(),
            "--target",
            "web",
            "--no-typescript",
        ],
    )?;
    let bg = out.join("bedrock_wasm_bg.wasm");
    run(
        "wasm-opt",
        &[
            // -O3, not -Oz: -Oz undoes the inlining the decode path was built with
            // (~25% slower decoding for ~5% smaller gzip, measured).
            "-O3",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--strip-debug",
            "--strip-producers",
            bg.to_str().unwrap(),
            "-o",
            bg.to_str().unwrap(),
        ],
    )?;
    for file in ["index.js", "node.js", "index.d.ts"] {
        std::fs::copy(root.join("src/js").join(file), out.join(file))
            .map_err(|e| format!("src/js/{file}: {e}"))?;
    }
    // Written by hand, not with `json!`: export conditions are matched in key order, so
    // "node" must come before "default" (serde_json would sort the keys).
    let text = format!(
        r#"{{
  "name": "bedrock-wasm",
  "version": "{version}",
  "description": "Amazon Bedrock Runtime from the browser: a drop-in for the AWS SDK's BedrockRuntime (InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream) in WebAssembly",
  "license": "Apache-2.0",
  "type": "module",
  "main": "./node.js",
  "module": "./index.js",
  "browser": "./index.js",
  "types": "./index.d.ts",
  "exports": {{
    ".": {{
      "types": "./index.d.ts",
      "node": "./node.js",
      "default": "./index.js"
    }},
    "./bedrock_wasm_bg.wasm": "./bedrock_wasm_bg.wasm",
    "./package.json": "./package.json"
  }},
  "files": ["index.js", "node.js", "index.d.ts", "bedrock_wasm.js", "bedrock_wasm_bg.wasm", "README.md", "LICENSE"],
  "sideEffects": ["./node.js"],
  "engines": {{ "node": ">=20" }},
  "keywords": ["aws", "bedrock", "bedrock-runtime", "wasm", "sigv4", "event-stream", "llm"]
}}
"#,
        version = env!("CARGO_PKG_VERSION")
    );
    std::fs::write(out.join("package.json"), text).map_err(|e| e.to_string())?;
    for file in ["README.md", "LICENSE"] {
        std::fs::copy(root.join(file), out.join(file)).map_err(|e| format!("{file}: {e}"))?;
    }
    // wasm-bindgen's own ignore file would hide everything from `npm pack`.
    let _ = std::fs::remove_file(out.join(".gitignore"));
    Ok(())
}
