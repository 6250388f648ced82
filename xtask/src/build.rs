//! `dist/` (the static playground site, its wasm split into a first load and chunks loaded on
//! demand) and `pkg/` (the npm package).

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

/// Release build of the playground into `dist/` (see [`site`]).
pub fn dist() -> Result {
    site(&root().join("dist"), &[])
}

/// The playground's test build, in `target/dist-test/`: dist/ plus an export that panics on
/// purpose (`--features test-panic`), for the spec of its panic banner. Never served to users.
pub fn dist_test() -> Result {
    site(&dist_test_dir(), &["--features", "test-panic"])
}

/// The playground's binary, its wasm, and its name in `dist/`.
pub const SITE_BIN: &str = "bedrock-wasm-playground";

/// The files of `dist/` a browser fetches to show the page: the page, its loader and styles,
/// wasm-bindgen's glue, the main wasm and the split loader (the glue imports it). Everything
/// else is fetched on demand: `split_*.wasm` / `chunk_*.wasm` (the parts of the page cut out
/// of the first load, see www/src/lazy.rs) and `voice-worklet.js` (voice mode's microphone).
pub const FIRST_LOAD: &[&str] = &[
    "index.html",
    "boot.js",
    "style.css",
    "bedrock-wasm-playground.js",
    "bedrock-wasm-playground_bg.wasm",
    "__wasm_split.js",
];

/// The playground's release build into `out`, in these steps (Trunk cannot split a wasm):
/// 1. `cargo rustc --release` of the playground with `--emit-relocs` (the splitter needs the
///    relocations to know what each function uses);
/// 2. the split (`wasm_split_cli_support`, as cargo-leptos runs it): every `wasm_split`
///    function and what only it uses go to `split_<name>.wasm`, code shared by several of
///    them only to `chunk_<n>.wasm`, the rest stays in the main module; `__wasm_split.js`
///    loads a chunk (relative to itself, so `out` works from any sub-path);
/// 3. wasm-bindgen (the exact version pinned in Cargo.toml) on the main module;
/// 4. wasm-opt `-Oz` on every wasm; esbuild minifies the JS and CSS; the page is
///    `www/index.html` without its comments and line breaks.
pub fn site(out: &Path, extra: &[&str]) -> Result {
    let args = [
        "rustc",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        SITE_BIN,
        "--bin",
        SITE_BIN,
    ];
    // `split`: the `split!` functions become wasm_split functions (www/src/lazy.rs).
    let split_feature = ["--features", "split"];
    cargo(
        &[
            &args[..],
            &split_feature,
            extra,
            &["--", "-C", "link-arg=--emit-relocs"],
        ]
        .concat(),
    )?;
    let built = target_dir().join(format!("wasm32-unknown-unknown/release/{SITE_BIN}.wasm"));
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(|e| format!("cannot clear {}: {e}", out.display()))?;
    }
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let input = std::fs::read(&built).map_err(|e| format!("{}: {e}", built.display()))?;
    let main = target_dir().join(format!("{SITE_BIN}_split.wasm"));
    println!("xtask: splitting {}", built.display());
    let main_module = format!("./{SITE_BIN}.js");
    let split = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&input);
        opts.output_dir = out;
        opts.main_out_path = &main;
        opts.main_module = &main_module;
        opts.link_name = "./__wasm_split.js";
        opts
    })
    .map_err(|e| format!("wasm-split: {e:?}"))?;
    run(
        "wasm-bindgen",
        &[
            main.to_str().unwrap(),
            "--out-dir",
            out.to_str().unwrap(),
            "--out-name",
            SITE_BIN,
            "--target",
            "web",
            "--no-typescript",
            // The chunks link against the main module's exports (its table, memory, stack
            // pointer and the functions they share): keep them.
            "--keep-lld-exports",
        ],
    )?;
    let mut wasm = vec![out.join(format!("{SITE_BIN}_bg.wasm"))];
    wasm.extend(split.split_modules);
    for file in &wasm {
        let file = file.to_str().unwrap();
        run(
            "wasm-opt",
            &[SITE_WASM_OPT_FLAGS, &[file, "-o", file]].concat(),
        )?;
    }
    let www = root().join("www");
    for (from, to) in [
        (
            out.join(format!("{SITE_BIN}.js")),
            out.join(format!("{SITE_BIN}.js")),
        ),
        (out.join("__wasm_split.js"), out.join("__wasm_split.js")),
        (www.join("boot.js"), out.join("boot.js")),
        (www.join("voice-worklet.js"), out.join("voice-worklet.js")),
        (www.join("style.css"), out.join("style.css")),
    ] {
        run(
            "esbuild",
            &[
                from.to_str().unwrap(),
                "--minify",
                "--log-level=warning",
                // wasm-bindgen's glue names `./__wasm_split.js` once per split function in
                // the imports object: the same module each time, so the repeats are harmless.
                "--log-override:duplicate-object-key=silent",
                "--allow-overwrite",
                &format!("--outfile={}", to.display()),
            ],
        )?;
    }
    let html = std::fs::read_to_string(www.join("index.html"))
        .map_err(|e| format!("www/index.html: {e}"))?;
    std::fs::write(out.join("index.html"), minify_html(&html)).map_err(|e| e.to_string())?;
    Ok(())
}

/// wasm-opt's flags after the optimisation `$level`, for every wasm we ship: the features
/// rustc's wasm32 target emits, and no debug or producers sections.
macro_rules! wasm_opt_flags {
    ($level:literal) => {
        &[
            $level,
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            // Lets wasm-opt fold `p + C` into a load/store's offset. Without it, it must
            // keep the add in case `p + C` wraps around 2^32 into low memory; Rust never
            // does that (pointer arithmetic stays inside its allocation), and the low 1 KiB
            // is the far end of the stack. Measured (issue 15): dist first load 250,322 →
            // 249,511 bytes gzip, pkg/ 186,071 → 185,067.
            "--low-memory-unused",
            "--strip-debug",
            "--strip-producers",
        ]
    };
}

/// wasm-opt's flags for the playground's wasm files (before the input and `-o`): size first.
pub const SITE_WASM_OPT_FLAGS: &[&str] = wasm_opt_flags!("-Oz");

/// The same `flags` keeping the function names (`-g`, no `--strip-debug`), for `cargo xtask
/// size`'s breakdowns of exactly what ships.
pub fn named_wasm_opt_flags<'a>(flags: &[&'a str]) -> Vec<&'a str> {
    let mut named: Vec<&str> = flags
        .iter()
        .copied()
        .filter(|f| *f != "--strip-debug")
        .collect();
    named.push("-g");
    named
}

/// `www/index.html` without comments, indentation and line breaks (it is written so that
/// its lines can be joined as they are).
fn minify_html(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<!--") {
        text.push_str(&rest[..start]);
        rest = rest[start..]
            .find("-->")
            .map_or("", |end| &rest[start + end + 3..]);
    }
    text.push_str(rest);
    text.lines().map(str::trim).collect()
}

pub fn dist_test_dir() -> PathBuf {
    target_dir().join("dist-test")
}

/// The npm package: the hand-written ES module entries and types from `src/js/` over
/// wasm-bindgen's output (the core), built with the `pkg` profile (Cargo.toml says why).
pub fn pkg() -> Result {
    build_pkg_wasm(&[])?;
    pkg_from(&pkg_cargo_wasm(), &root().join("pkg"))?;
    voice_into(&root().join("pkg"))
}

/// Where `cargo build --profile pkg` leaves the package's wasm (either module: the last built).
fn pkg_cargo_wasm() -> PathBuf {
    target_dir().join("wasm32-unknown-unknown/pkg/bedrock_wasm.wasm")
}

/// Cargo's arguments for the voice module: the same crate with only its exports.
pub const VOICE_FEATURES: &[&str] = &["--no-default-features", "--features", "voice"];

/// The files of the voice module in the package, loaded only by a page that speaks.
pub const VOICE_FILES: &[&str] = &["bedrock_wasm_voice_bg.wasm", "bedrock_wasm_voice.js"];

/// Builds the voice module (src/js/voice.rs: the bidirectional stream and Nova Sonic) and
/// writes it into the package `out` as `bedrock_wasm_voice.js` + `bedrock_wasm_voice_bg.wasm`,
/// with the same flags, glue patch and minification as the main module.
pub fn voice_into(out: &Path) -> Result {
    build_pkg_wasm(VOICE_FEATURES)?;
    voice_from(&pkg_cargo_wasm(), out)
}

/// Writes the voice module into the package `out` from a built voice wasm.
pub fn voice_from(wasm: &Path, out: &Path) -> Result {
    module_into(wasm, out, "bedrock_wasm_voice")
}

/// One wasm module of the package into `out` as `{name}.js` + `{name}_bg.wasm`: wasm-bindgen,
/// the glue's safety-net patch, wasm-opt and the glue minified (the main module and the voice
/// module alike).
fn module_into(wasm: &Path, out: &Path, name: &str) -> Result {
    run(
        "wasm-bindgen",
        &[
            &[
                wasm.to_str().unwrap(),
                "--out-dir",
                out.to_str().unwrap(),
                "--out-name",
                name,
            ][..],
            PKG_BINDGEN_FLAGS,
        ]
        .concat(),
    )?;
    let glue = out.join(format!("{name}.js"));
    let text = std::fs::read_to_string(&glue).map_err(|e| e.to_string())?;
    std::fs::write(&glue, patch_glue(&text)?).map_err(|e| e.to_string())?;
    let bg = out.join(format!("{name}_bg.wasm"));
    let bg = bg.to_str().unwrap();
    run("wasm-opt", &[PKG_WASM_OPT_FLAGS, &[bg, "-o", bg]].concat())?;
    minify_glue(&glue)
}

/// wasm-bindgen's glue is internal (nothing of it reaches a caller by name): fully minified,
/// names too (−766 bytes gzip on the main module's, 7,783 → 7,017).
fn minify_glue(path: &Path) -> Result {
    let path = path.to_str().unwrap();
    run(
        "esbuild",
        &[
            path,
            "--minify",
            "--format=esm",
            "--log-level=warning",
            "--allow-overwrite",
            &format!("--outfile={path}"),
        ],
    )
}

/// The package's test build, in `target/pkg-test/`: the same package plus an export that
/// panics on purpose (`--features test-panic`), for the safety-net tests. Never published.
pub fn pkg_test() -> Result {
    build_pkg_wasm(&["--features", "test-panic"])?;
    // Same output path as `pkg()`'s build: `pkg_from` reads it at once.
    let out = pkg_test_dir();
    pkg_from(&pkg_cargo_wasm(), &out)?;
    build_pkg_wasm(&[VOICE_FEATURES, &["--features", "test-panic"]].concat())?;
    voice_from(&pkg_cargo_wasm(), &out)?;
    let index = out.join("index.js");
    let mut text = std::fs::read_to_string(&index).map_err(|e| e.to_string())?;
    text.push_str(
        &std::fs::read_to_string(root().join("src/js/test-panic.js"))
            .map_err(|e| format!("src/js/test-panic.js: {e}"))?,
    );
    std::fs::write(&index, text).map_err(|e| e.to_string())
}

/// The package's wasm with the `pkg` profile (plus `extra` cargo arguments), at
/// `target/wasm32-unknown-unknown/pkg/bedrock_wasm.wasm` (under `--target-dir` if `extra` has
/// one: `cargo xtask size` builds its variants there).
pub fn build_pkg_wasm(extra: &[&str]) -> Result {
    let args = [
        "build",
        "--profile",
        "pkg",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "bedrock-wasm",
        "--lib",
    ];
    cargo(&[&args[..], extra].concat())
}

pub fn pkg_test_dir() -> PathBuf {
    target_dir().join("pkg-test")
}

pub fn target_dir() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("target"))
}

/// The closure wrapper of wasm-bindgen's glue, which every callback from JS into the core goes
/// through (promise callbacks, the futures queue's microtask).
const CLOSURE_WRAPPER: &str = r#"    const real = (...args) => {

        if (state.instance !== __wbg_instance_id) {
            throw new Error('Cannot invoke closure from previous WASM instance');
        }

        // First up with a closure we increment the internal reference
        // count. This ensures that the Rust closure environment won't
        // be deallocated while we're invoking it.
        state.cnt++;
        const a = state.a;
        state.a = 0;
        try {
            return f(a, state.b, ...args);
        } finally {
            state.a = a;
            real._wbg_cb_unref();
        }
    };
    real._wbg_cb_unref = () => {
        if (--state.cnt === 0) {
            wasm.__wbindgen_destroy_closure(state.a, state.b);"#;

/// The same wrapper, made panic-safe (issue 11): a panic (or any exception) inside a task the
/// core polls from a microtask would otherwise escape as an uncaught exception, which kills
/// Node. It is handed to index.js (`__panicSink`), which rejects every call in flight and
/// restarts the module.
/// Callbacks of a dead instance do nothing instead of throwing or running on the new one.
const CLOSURE_WRAPPER_SAFE: &str = r#"    const real = (...args) => {
        // bedrock-wasm: a callback of an instance that panicked has nothing left to resume
        // (its calls were rejected); running it would touch the fresh instance.
        if (state.instance !== __wbg_instance_id || __wbg_reinit_scheduled) return;
        state.cnt++;
        const a = state.a;
        state.a = 0;
        let panicked = false;
        try {
            return f(a, state.b, ...args);
        } catch (e) {
            // Anything that unwound through the core's frames (a panic, a trap, or a JS
            // exception from a call it made) leaves its state unknown: restart it.
            if (__panicSink.on) {
                panicked = true;
                __panicSink.on(e);
                return;
            }
            throw e;
        } finally {
            if (!panicked) {
                state.a = a;
                real._wbg_cb_unref();
            }
        }
    };
    real._wbg_cb_unref = () => {
        if (--state.cnt === 0) {
            if (state.instance === __wbg_instance_id) wasm.__wbindgen_destroy_closure(state.a, state.b);"#;

/// Applies [`CLOSURE_WRAPPER_SAFE`] and adds the `__panicSink` export. The glue is pinned to
/// the wasm-bindgen version in Cargo.toml; if a new version changes the wrapper, this fails
/// the build rather than ship a package without its safety net.
fn patch_glue(glue: &str) -> Result<String> {
    if glue.matches(CLOSURE_WRAPPER).count() != 1 || !glue.contains("__wbg_reset_state") {
        return Err(
            "wasm-bindgen's glue no longer has the closure wrapper or __wbg_reset_state that \
             xtask/src/build.rs patches for the panic safety net: update CLOSURE_WRAPPER for \
             this wasm-bindgen version"
                .into(),
        );
    }
    let mut out = glue.replace(CLOSURE_WRAPPER, CLOSURE_WRAPPER_SAFE);
    out.push_str(
        "\n/** bedrock-wasm: where the closure wrapper hands a panic (set by index.js). */\nexport const __panicSink = { on: undefined };\n",
    );
    Ok(out)
}

/// wasm-bindgen's flags for the package (after the input and `--out-dir`).
pub const PKG_BINDGEN_FLAGS: &[&str] = &[
    "--target",
    "web",
    "--no-typescript",
    // Exports `__wbg_reset_state`: index.js restarts the module at once after a panic.
    "--experimental-reset-state-function",
];

/// wasm-opt's flags for the package's wasm (before the input and `-o`). `cargo xtask size`
/// runs them with [`named_wasm_opt_flags`], for a copy that keeps the function names.
// -O3, not -Oz: -Oz undoes the inlining the decode path was built with (~25% slower decoding
// for ~5% smaller gzip, measured).
pub const PKG_WASM_OPT_FLAGS: &[&str] = wasm_opt_flags!("-O3");

/// Writes the package into `out` from a built `bedrock_wasm.wasm`.
pub fn pkg_from(wasm: &Path, out: &Path) -> Result {
    let root = root();
    let out = out.to_path_buf();
    if out.exists() {
        std::fs::remove_dir_all(&out)
            .map_err(|e| format!("cannot clear {}: {e}", out.display()))?;
    }
    module_into(wasm, &out, "bedrock_wasm")?;
    for file in ["index.js", "node.js", "index.d.ts"] {
        std::fs::copy(root.join("src/js").join(file), out.join(file))
            .map_err(|e| format!("src/js/{file}: {e}"))?;
    }
    // index.js: whitespace and syntax minified, names kept (stack traces and the classes'
    // names read as in the source; the types and their docs are in index.d.ts): measured
    // -8.8 KB gzip on the package (index.js 12,430 → 7,406, the glue 10,639 → 6,814).
    let index = out.join("index.js");
    let index = index.to_str().unwrap();
    run(
        "esbuild",
        &[
            index,
            "--minify-whitespace",
            "--minify-syntax",
            "--format=esm",
            "--log-level=warning",
            "--allow-overwrite",
            &format!("--outfile={index}"),
        ],
    )?;
    // Written by hand, not with `json!`: export conditions are matched in key order, so
    // "node" must come before "default" (serde_json would sort the keys).
    let text = format!(
        r#"{{
  "name": "bedrock-wasm",
  "version": "{version}",
  "description": "Amazon Bedrock Runtime from the browser: a drop-in for the AWS SDK's BedrockRuntime (every operation, the bidirectional stream over a WebSocket, plus createSignedFetch for the OpenAI- and Anthropic-compatible APIs) in WebAssembly",
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
    "./bedrock_wasm_voice_bg.wasm": "./bedrock_wasm_voice_bg.wasm",
    "./package.json": "./package.json"
  }},
  "files": ["index.js", "node.js", "index.d.ts", "bedrock_wasm.js", "bedrock_wasm_bg.wasm", "bedrock_wasm_voice.js", "bedrock_wasm_voice_bg.wasm", "README.md", "LICENSE"],
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
