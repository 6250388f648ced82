//! `cargo xtask size`: what the package and the playground weigh, and where the bytes are.
//!
//! For `pkg/` and `dist/` (built first unless newer than their sources):
//! - gzip (as `budget.rs` measures it) and brotli (quality 11, window 22, as Node's zlib and
//!   `cargo xtask bench`) per file and in total;
//! - the wasm by crate and by our own module: twiggy's per-function sizes on a copy built with
//!   names (the same build, with wasm-opt's `-g` instead of `--strip-debug`; its code and data
//!   sections are checked equal to the shipped file's), grouped by the demangled path;
//! - what each public feature costs: the package rebuilt with one `size-without-*` Cargo
//!   feature (Cargo.toml, src/js/api.rs), which leaves that feature's exports out, against the
//!   full package built the same way. The voice module (src/js/voice.rs) is a wasm of its own
//!   and is reported as its own table.
//!
//! The tables are printed and written into BENCHMARKS.md's "Size report" section. A report,
//! not a gate: `cargo xtask test` checks the budgets (`budget.rs`). Its builds go to
//! `target/size/` (its own target dir), so they never replace what `cargo xtask build` or the
//! test builds left in `target/`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::budget::gzip_len;
use crate::build::{self, root};
use crate::cmd::{self, cargo, output};
use crate::{tools, Result};

/// What the budget counts in each directory.
const PKG_FILES: &[&str] = &[".wasm", ".js"];
const DIST_FILES: &[&str] = &[".html", ".js", ".wasm", ".css"];

/// What `pkg/` and `dist/` are built from: if every output file is newer than all of these,
/// the report reuses the directory instead of building it again.
const PKG_INPUTS: &[&str] = &[
    "src",
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "LICENSE",
    "xtask/src/build.rs",
];
const DIST_INPUTS: &[&str] = &[
    "www",
    "src",
    "Cargo.toml",
    "Cargo.lock",
    "xtask/src/build.rs",
];

/// The public features measured one by one: (Cargo feature that leaves it out, the feature,
/// what is left out).
const FEATURES: &[(&str, &str, &str)] = &[
    (
        "size-without-cognito",
        "Cognito (`fromCognitoIdentityPool`)",
        "`cognitoCredentials`",
    ),
    (
        "size-without-text-mode",
        "`textStream`'s text mode (and its `result`)",
        "`RawStream.nextText`/`textOutput`, `Extractor`",
    ),
    (
        "size-without-message-output",
        "the message accumulator's output (`textStream(…).result.message`)",
        "the `message_json_text` call in `textOutput`/`Extractor.output`",
    ),
    (
        "size-without-skew-correction",
        "`createSignedFetch`'s clock-skew correction",
        "`skewCorrection`",
    ),
    (
        "size-without-sign-request",
        "`signRequest` and `createSignedFetch`'s signing entry",
        "`authorizeRequest` (the signer itself stays: every call signs)",
    ),
    (
        "size-without-build-invoke-body",
        "`buildInvokeBody` (model-native request bodies)",
        "`buildInvokeBody`",
    ),
    (
        "size-without-json-operations",
        "ApplyGuardrail, GetAsyncInvoke, ListAsyncInvokes, StartAsyncInvoke's token",
        "their arms in `Core.send`'s request builder, `idempotencyToken`",
    ),
];

/// What cannot be measured by leaving exports out, and why (printed with the table).
const NOT_MEASURED: &str = "\
- **Each operation on its own** (InvokeModel, InvokeModelWithResponseStream, Converse, \
ConverseStream, CountTokens, StartAsyncInvoke): they share one export (`Core.send`), one \
request builder (`HttpRequest`, dispatching on `Operation`) and one response path; only the \
request arms of the newer JSON operations can be left out from `src/js/api.rs` (row above). \
Per-operation numbers need `Operation` and `HttpRequest` in `src/bedrock/` gated, a \
restructuring this report does not do.
- **The message accumulator itself**: `OutputReader` builds the message while it reads every \
event (`src/bedrock/message*`), so only its JSON output can be left out from `src/js/`; the \
accumulation stays in every text-mode build (it goes with the text-mode row).
- **The JavaScript side**: `index.js` is one hand-written module that every feature shares \
and that is not tree-shaken per feature; the rows count the wasm and the wasm-bindgen glue \
only. (Leaving out an export breaks `index.js`'s import of it: the variants are measured, \
never run.)";

struct FileSize {
    name: String,
    raw: usize,
    gzip: usize,
    brotli: usize,
}

/// The wasm by crate and by our module, from twiggy's per-item sizes.
struct Breakdown {
    /// The named copy's code and data section sizes, and the shipped file's.
    code: usize,
    data: usize,
    shipped_code: usize,
    shipped_data: usize,
    /// Function bodies by crate, by our module (`bedrock_wasm…`), the largest functions.
    crates: Vec<(String, usize)>,
    modules: Vec<(String, usize)>,
    top: Vec<(String, usize)>,
}

struct FeatureCost {
    feature: &'static str,
    what: &'static str,
    left_out: &'static str,
    /// Full package minus the variant: wasm + JS gzip, wasm gzip, wasm raw.
    total_gzip: i64,
    wasm_gzip: i64,
    wasm_raw: i64,
}

const USAGE: &str = "usage: cargo xtask size [--skip-features | --only <size-without-… feature>]";

pub fn run(args: &[String]) -> Result {
    let mut skip_features = false;
    match args {
        [] => {}
        [a] if a == "--skip-features" => skip_features = true,
        [a, feature] if a == "--only" => return only(feature),
        _ => return Err(USAGE.into()),
    }
    tools::ensure_size_tools()?;
    let root = root();
    let (pkg, dist) = (root.join("pkg"), root.join("dist"));
    if fresh(&pkg, PKG_INPUTS) {
        println!("pkg/ is newer than its sources: measuring it as it is");
    } else {
        build::pkg()?;
    }
    if fresh(&dist, DIST_INPUTS) {
        println!("dist/ is newer than its sources: measuring it as it is");
    } else {
        build::dist()?;
    }
    // The voice module (bidirectional stream, Nova Sonic) is loaded only by a page that speaks.
    let (pkg_voice, pkg_files): (Vec<_>, Vec<_>) = measure(&pkg, PKG_FILES)?
        .into_iter()
        .partition(|f| build::VOICE_FILES.contains(&f.name.as_str()));
    // Only the first load (build::FIRST_LOAD): the chunks are fetched on demand.
    let mut dist_files = measure(&dist, DIST_FILES)?;
    dist_files.retain(|f| build::FIRST_LOAD.contains(&f.name.as_str()));

    let dir = build::target_dir().join("size");
    // The variants first and the full build last, so that the next report finds the full
    // build fresh in target/size/.
    let features = if skip_features {
        None
    } else {
        let mut variants = Vec::new();
        for (feature, _, _) in FEATURES {
            variants.push(package_variant(&dir, Some(feature))?);
        }
        Some(variants)
    };
    let full_dir = package_variant(&dir, None)?;
    let named_pkg = named_pkg_wasm(&dir)?;
    let named_dist = named_dist_wasm(&dir)?;

    let shipped_pkg_wasm = read(&pkg.join("bedrock_wasm_bg.wasm"))?;
    let same_as_shipped = read(&full_dir.join("bedrock_wasm_bg.wasm"))? == shipped_pkg_wasm;
    let pkg_breakdown = breakdown(&named_pkg, &shipped_pkg_wasm)?;
    let dist_breakdown = breakdown(
        &named_dist,
        &read(&dist.join("bedrock-wasm-playground_bg.wasm"))?,
    )?;
    let features = match features {
        None => None,
        Some(variants) => {
            let full = measure(&full_dir, PKG_FILES)?;
            let mut costs = Vec::new();
            for ((feature, what, left_out), variant) in FEATURES.iter().zip(variants) {
                let v = measure(&variant, PKG_FILES)?;
                costs.push(FeatureCost {
                    feature,
                    what,
                    left_out,
                    total_gzip: total(&full, |f| f.gzip) - total(&v, |f| f.gzip),
                    wasm_gzip: wasm(&full, |f| f.gzip) - wasm(&v, |f| f.gzip),
                    wasm_raw: wasm(&full, |f| f.raw) - wasm(&v, |f| f.raw),
                });
            }
            Some((total(&full, |f| f.gzip), costs))
        }
    };

    let report = render(
        &pkg_files,
        &pkg_voice,
        &dist_files,
        &pkg_breakdown,
        &dist_breakdown,
        same_as_shipped,
        features.as_ref(),
    );
    println!("\n{report}");
    if features.is_some() {
        let path = root.join("BENCHMARKS.md");
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, with_section(&old, &report)).map_err(|e| e.to_string())?;
        println!("Written into BENCHMARKS.md (section \"Size report\").");
    } else {
        println!("(--skip-features: BENCHMARKS.md is left as it is.)");
    }
    Ok(())
}

/// `--only <feature>`: one row of the features table, quickly (no `dist/`, no twiggy, nothing
/// written): the full package and the variant without `feature`, file by file.
fn only(feature: &str) -> Result {
    let Some((_, what, _)) = FEATURES.iter().find(|(f, _, _)| *f == feature) else {
        let names: Vec<_> = FEATURES.iter().map(|(f, _, _)| *f).collect();
        return Err(format!(
            "unknown feature {feature}: one of {}",
            names.join(", ")
        ));
    };
    tools::ensure_build_tools()?;
    let dir = build::target_dir().join("size");
    let variant = measure(&package_variant(&dir, Some(feature))?, PKG_FILES)?;
    let full = measure(&package_variant(&dir, None)?, PKG_FILES)?;
    println!("\n{what}: full package vs. built with `{feature}` (gzip, raw)");
    for f in &full {
        let v = variant.iter().find(|v| v.name == f.name);
        let (vg, vr) = v.map_or((0, 0), |v| (v.gzip, v.raw));
        println!(
            "  {:<24} {:>8} gzip ({:+}) {:>9} raw ({:+})",
            f.name,
            f.gzip,
            f.gzip as i64 - vg as i64,
            f.raw,
            f.raw as i64 - vr as i64
        );
    }
    println!(
        "  total {} gzip; the feature costs {:+} (wasm {:+}, wasm raw {:+}; index.js is shared and not counted)",
        total(&full, |f| f.gzip),
        total(&full, |f| f.gzip) - total(&variant, |f| f.gzip) - js_index(&full, &variant),
        wasm(&full, |f| f.gzip) - wasm(&variant, |f| f.gzip),
        wasm(&full, |f| f.raw) - wasm(&variant, |f| f.raw),
    );
    Ok(())
}

/// What `index.js` differs by between two builds (0: it is copied unchanged).
fn js_index(a: &[FileSize], b: &[FileSize]) -> i64 {
    let g = |x: &[FileSize]| {
        x.iter()
            .find(|f| f.name == "index.js")
            .map_or(0, |f| f.gzip) as i64
    };
    g(a) - g(b)
}

// Building.

/// The package from the `pkg` profile into `target/size/pkg-full/` (no feature) or
/// `target/size/pkg-<feature>/`, exactly as `cargo xtask build` writes `pkg/`.
fn package_variant(dir: &Path, feature: Option<&str>) -> Result<PathBuf> {
    let dir_str = dir.to_str().unwrap();
    let mut extra = vec!["--target-dir", dir_str];
    if let Some(f) = feature {
        extra.extend(["--features", f]);
    }
    build::build_pkg_wasm(&extra)?;
    let out = dir.join(format!("pkg-{}", feature.unwrap_or("full")));
    build::pkg_from(&pkg_cargo_wasm(dir), &out)?;
    Ok(out)
}

fn pkg_cargo_wasm(dir: &Path) -> PathBuf {
    dir.join("wasm32-unknown-unknown/pkg/bedrock_wasm.wasm")
}

/// The package's wasm from the full build in `dir` (the last one `package_variant` made), through
/// wasm-bindgen and wasm-opt with the package's flags, names kept.
fn named_pkg_wasm(dir: &Path) -> Result<PathBuf> {
    let out = dir.join("pkg-names");
    let bindgen_out = out.to_str().unwrap();
    let wasm = pkg_cargo_wasm(dir);
    cmd::run(
        "wasm-bindgen",
        &[
            &[wasm.to_str().unwrap(), "--out-dir", bindgen_out][..],
            build::PKG_BINDGEN_FLAGS,
        ]
        .concat(),
    )?;
    let bg = out.join("bedrock_wasm_bg.wasm");
    let named = out.join("named.wasm");
    let mut args = build::named_wasm_opt_flags(build::PKG_WASM_OPT_FLAGS);
    args.extend([bg.to_str().unwrap(), "-o", named.to_str().unwrap()]);
    cmd::run("wasm-opt", &args)?;
    Ok(named)
}

/// The playground's whole wasm, before the split (`cargo build --release`, wasm-bindgen,
/// wasm-opt at dist/'s level), with `-g`: names kept. Its breakdown is of the main module and
/// the chunks together, so its sections differ from the shipped main module's.
fn named_dist_wasm(dir: &Path) -> Result<PathBuf> {
    const BIN: &str = "bedrock-wasm-playground";
    cargo(&[
        "build",
        "--target",
        "wasm32-unknown-unknown",
        "--manifest-path",
        "www/Cargo.toml",
        "--release",
        "--bin",
        BIN,
        "--target-dir",
        dir.to_str().unwrap(),
    ])?;
    let out = dir.join("dist-names");
    let wasm = dir.join(format!("wasm32-unknown-unknown/release/{BIN}.wasm"));
    cmd::run(
        "wasm-bindgen",
        &[
            "--target=web",
            &format!("--out-dir={}", out.display()),
            &format!("--out-name={BIN}"),
            "--no-typescript",
            wasm.to_str().unwrap(),
        ],
    )?;
    let bg = out.join(format!("{BIN}_bg.wasm"));
    let named = out.join("named.wasm");
    let mut args = build::named_wasm_opt_flags(build::SITE_WASM_OPT_FLAGS);
    args.extend([bg.to_str().unwrap(), "-o", named.to_str().unwrap()]);
    cmd::run("wasm-opt", &args)?;
    Ok(named)
}

/// Whether every file in `out` is newer than everything under `inputs` (relative to the root).
fn fresh(out: &Path, inputs: &[&str]) -> bool {
    fn newest(path: &Path, acc: &mut Option<SystemTime>) {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if meta.is_dir() {
            let skip = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.') || n == "node_modules" || n == "target");
            if skip {
                return;
            }
            for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                newest(&entry.path(), acc);
            }
        } else if let Ok(t) = meta.modified() {
            *acc = Some(acc.map_or(t, |a| a.max(t)));
        }
    }
    let oldest_output = std::fs::read_dir(out).ok().and_then(|d| {
        d.flatten()
            .filter_map(|e| e.metadata().ok()?.modified().ok())
            .min()
    });
    let mut newest_input = None;
    for input in inputs {
        newest(&root().join(input), &mut newest_input);
    }
    matches!((oldest_output, newest_input), (Some(o), Some(i)) if o > i)
}

// Measuring.

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn brotli_len(bytes: &[u8]) -> usize {
    // Quality 11, window 22: Node's `zlib.brotliCompressSync` at quality 11, as `xtask bench`.
    let mut w = brotli::CompressorWriter::new(Vec::new(), 4096, 11, 22);
    w.write_all(bytes).expect("writing to a Vec cannot fail");
    w.into_inner().len()
}

/// The files of `dir` whose names end with one of `extensions`, as the budget counts them.
fn measure(dir: &Path, extensions: &[&str]) -> Result<Vec<FileSize>> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && extensions.iter().any(|ext| name.ends_with(ext)) {
            let bytes = read(&entry.path())?;
            files.push(FileSize {
                name,
                raw: bytes.len(),
                gzip: gzip_len(&bytes),
                brotli: brotli_len(&bytes),
            });
        }
    }
    // The largest first.
    files.sort_by_key(|f| std::cmp::Reverse(f.gzip));
    Ok(files)
}

fn total(files: &[FileSize], f: impl Fn(&FileSize) -> usize) -> i64 {
    files.iter().map(f).sum::<usize>() as i64
}

fn wasm(files: &[FileSize], f: impl Fn(&FileSize) -> usize) -> i64 {
    files
        .iter()
        .filter(|x| x.name.ends_with(".wasm"))
        .map(f)
        .sum::<usize>() as i64
}

/// The sizes of a wasm module's code (10) and data (11) sections.
fn code_and_data(bytes: &[u8]) -> (usize, usize) {
    fn leb(bytes: &[u8], i: &mut usize) -> usize {
        let (mut n, mut shift) = (0usize, 0);
        while let Some(&b) = bytes.get(*i) {
            *i += 1;
            n |= ((b & 0x7f) as usize) << shift;
            shift += 7;
            if b < 0x80 {
                break;
            }
        }
        n
    }
    let (mut code, mut data) = (0, 0);
    let mut i = 8; // Magic and version.
    while i < bytes.len() {
        let id = bytes[i];
        i += 1;
        let len = leb(bytes, &mut i);
        match id {
            10 => code = len,
            11 => data = len,
            _ => {}
        }
        i += len;
    }
    (code, data)
}

/// twiggy's items of `named` (function bodies, data segments, sections' parts), grouped.
fn breakdown(named: &Path, shipped: &[u8]) -> Result<Breakdown> {
    let out = std::process::Command::new("twiggy")
        .args(["top", "-n", "1000000", "--format", "json"])
        .arg(named)
        .env("PATH", tools::path_with_tools())
        .output()
        .map_err(|e| format!("cannot run twiggy: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "twiggy top {} failed: {}",
            named.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let items: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("twiggy's JSON: {e}"))?;
    let (code, data) = code_and_data(&read(named)?);
    let (shipped_code, shipped_data) = code_and_data(shipped);
    let mut crates: HashMap<String, usize> = HashMap::new();
    let mut modules: HashMap<String, usize> = HashMap::new();
    let mut top = Vec::new();
    for item in items.as_array().ok_or("twiggy's JSON is not a list")? {
        let (Some(name), Some(size)) = (item["name"].as_str(), item["shallow_size"].as_u64())
        else {
            continue;
        };
        let size = size as usize;
        let Some(name) = function_name(name) else {
            continue;
        };
        let krate = crate_of(&name);
        if let Some(module) = our_module(&name, &krate) {
            *modules.entry(module).or_default() += size;
        }
        *crates.entry(krate).or_default() += size;
        top.push((name, size));
    }
    let sorted = |m: HashMap<String, usize>| {
        let mut v: Vec<_> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    };
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(Breakdown {
        code,
        data,
        shipped_code,
        shipped_data,
        crates: sorted(crates),
        modules: sorted(modules),
        top,
    })
}

/// A function body's name without its hash and crate disambiguators (`::h0123…`,
/// `core[c593…]`); `None` for twiggy's other items (data segments, the name section's
/// subsections, exports, imports, types, tables, custom sections).
fn function_name(item: &str) -> Option<String> {
    const NOT_CODE: &[&str] = &[
        "data segment",
        "\"",
        "export \"",
        "import ",
        "type[",
        "elem[",
        "table[",
        "global[",
        "memory[",
        "custom section",
        "wasm magic bytes",
        "code section",
        "data section",
        "start section",
    ];
    if NOT_CODE.iter().any(|p| item.starts_with(p)) || item.ends_with("section headers") {
        return None;
    }
    let mut name = item.to_owned();
    // A legacy-mangled name's hash.
    if let Some(i) = name.rfind("::h") {
        let hash = &name[i + 3..];
        if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            name.truncate(i);
        }
    }
    // v0 names carry `crate[disambiguator]`.
    let mut out = String::with_capacity(name.len());
    let mut rest = name.as_str();
    while let Some(i) = rest.find('[') {
        let close = rest[i..].find(']').map(|j| i + j);
        let after_ident = rest[..i]
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        match close {
            Some(j)
                if after_ident
                    && j > i + 1
                    && rest[i + 1..j].bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                out.push_str(&rest[..i]);
                rest = &rest[j + 1..];
            }
            _ => {
                out.push_str(&rest[..=i]);
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

/// The crate a function belongs to: its path's first segment; for `<T as Trait>::f`, `T`'s
/// crate unless `T` is a primitive or from `core`/`alloc`/`std`, then `Trait`'s. Names without
/// a path are wasm-bindgen's (export and import shims, its runtime) or the compiler's
/// (`memcpy`, `__multi3`, …).
fn crate_of(name: &str) -> String {
    fn first_segment(path: &str) -> Option<&str> {
        let path = path
            .trim_start_matches(['&', '*', '(', '['])
            .trim_start_matches("mut ")
            .trim_start_matches("const ")
            .trim_start_matches("dyn ");
        let end = path.find("::")?;
        let seg = &path[..end];
        (!seg.is_empty() && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            .then_some(seg)
    }
    const STD: &[&str] = &["core", "alloc", "std"];
    if let Some(inner) = name.strip_prefix('<') {
        // `<A as B>::f` or `<A>::f`: split at the top-level " as ".
        let mut depth = 0;
        let mut split = None;
        for (i, c) in inner.char_indices() {
            match c {
                '<' => depth += 1,
                '>' if depth == 0 => {
                    split.get_or_insert((i, i));
                    break;
                }
                '>' => depth -= 1,
                ' ' if depth == 0 && inner[i..].starts_with(" as ") => {
                    split = Some((i, i + 4));
                    break;
                }
                _ => {}
            }
        }
        let (ty, tr) = match split {
            Some((a, b)) => (&inner[..a], Some(&inner[b..])),
            None => (inner, None),
        };
        let ty_crate = first_segment(ty);
        let trait_crate = tr.and_then(first_segment);
        return match (ty_crate, trait_crate) {
            (Some(t), _) if !STD.contains(&t) => t,
            (_, Some(t)) => t,
            (Some(t), None) => t,
            (None, None) => "core",
        }
        .to_owned();
    }
    if let Some(c) = first_segment(name) {
        return c.to_owned();
    }
    let builtin = (name.starts_with("mem") || name.starts_with("__"))
        && !name.starts_with("__wb")
        && !name.starts_with("__externref");
    if builtin {
        "(compiler builtins)".into()
    } else {
        "(wasm-bindgen shims and runtime)".into()
    }
}

/// For our crates (`bedrock_wasm`, `bedrock_eventstream`, `bedrock_wasm_playground`), the
/// module: up to three path segments, without the function's own name, stopping at a type or
/// an `impl`.
fn our_module(name: &str, krate: &str) -> Option<String> {
    if ![
        "bedrock_wasm",
        "bedrock_eventstream",
        "bedrock_wasm_playground",
    ]
    .contains(&krate)
    {
        return None;
    }
    // `<bedrock_wasm::x::T as core::fmt::Display>::fmt`: the type's module.
    let path = name.strip_prefix('<').unwrap_or(name);
    let mut segments = Vec::new();
    let mut ended_at_type = false;
    for seg in path.split("::") {
        let is_module = !seg.is_empty()
            && seg.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && seg
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !is_module {
            // A type, an `impl`, generics, `{{closure}}`: what came before was the module,
            // unless it ends in the closure's function.
            ended_at_type = !seg.starts_with("{{");
            break;
        }
        segments.push(seg);
    }
    if !ended_at_type && segments.len() > 1 {
        segments.pop(); // The function's own name.
    }
    if !segments.starts_with(&[krate]) {
        return Some(krate.to_owned());
    }
    segments.truncate(3);
    Some(segments.join("::"))
}

// The report.

fn n(v: usize) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A feature's cost: positive when leaving it out saves bytes.
fn signed(v: i64) -> String {
    if v < 0 {
        format!("−{}", n(v.unsigned_abs() as usize))
    } else {
        n(v as usize)
    }
}

fn pct(part: usize, whole: usize) -> String {
    format!("{:.1} %", part as f64 * 100.0 / whole.max(1) as f64)
}

fn files_table(s: &mut String, title: &str, files: &[FileSize], budget: Option<u64>) {
    let _ = writeln!(
        s,
        "### {title}\n\n| file | raw | gzip | brotli |\n|---|---:|---:|---:|"
    );
    for f in files {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} |",
            f.name,
            n(f.raw),
            n(f.gzip),
            n(f.brotli)
        );
    }
    let sum = |g: fn(&FileSize) -> usize| n(files.iter().map(g).sum());
    let _ = writeln!(
        s,
        "| **total** | {} | **{}** | **{}** |",
        sum(|f| f.raw),
        sum(|f| f.gzip),
        sum(|f| f.brotli)
    );
    if let Some(b) = budget {
        let _ = writeln!(
            s,
            "\nBudget (`xtask/budgets.json`, gzip): {}.",
            n(b as usize)
        );
    }
    s.push('\n');
}

fn breakdown_tables(s: &mut String, what: &str, b: &Breakdown, crates: usize, modules: usize) {
    let functions: usize = b.crates.iter().map(|(_, v)| v).sum();
    let check = if (b.code, b.data) == (b.shipped_code, b.shipped_data) {
        "the same code and data sections as the shipped file".to_owned()
    } else {
        format!(
            "**not** the shipped file's sections (code {}, data {}): rebuild it",
            n(b.shipped_code),
            n(b.shipped_data)
        )
    };
    let _ = writeln!(
        s,
        "### {what} wasm by crate\n\nCode section {} bytes (twiggy counts {} in functions: each \
         body with its one-byte entry in the function section), data section {} bytes (panic \
         and error strings, tables, float-formatting data). Percentages are of the code \
         section. Measured on a copy with names: {check}.\n",
        n(b.code),
        n(functions),
        n(b.data)
    );
    let _ = writeln!(s, "| crate | bytes | % of code |\n|---|---:|---:|");
    for (c, v) in b.crates.iter().take(crates) {
        let _ = writeln!(s, "| {c} | {} | {} |", n(*v), pct(*v, b.code));
    }
    let rest: Vec<_> = b.crates.iter().skip(crates).collect();
    if !rest.is_empty() {
        let bytes: usize = rest.iter().map(|(_, v)| v).sum();
        let _ = writeln!(
            s,
            "| {} more crates | {} | {} |",
            rest.len(),
            n(bytes),
            pct(bytes, b.code)
        );
    }
    let _ = writeln!(
        s,
        "\n### {what} wasm: our modules\n\n| module | bytes | % of code |\n|---|---:|---:|"
    );
    for (m, v) in b.modules.iter().take(modules) {
        let _ = writeln!(s, "| `{m}` | {} | {} |", n(*v), pct(*v, b.code));
    }
    let rest: Vec<_> = b.modules.iter().skip(modules).collect();
    if !rest.is_empty() {
        let bytes: usize = rest.iter().map(|(_, v)| v).sum();
        let _ = writeln!(
            s,
            "| {} more modules | {} | {} |",
            rest.len(),
            n(bytes),
            pct(bytes, b.code)
        );
    }
    let _ = writeln!(
        s,
        "\n### {what} wasm: largest functions\n\n| function | bytes | % of code |\n|---|---:|---:|"
    );
    for (f, v) in b.top.iter().take(12) {
        let f = if f.chars().count() > 110 {
            format!("{}…", f.chars().take(110).collect::<String>())
        } else {
            f.clone()
        };
        let _ = writeln!(
            s,
            "| `{}` | {} | {} |",
            f.replace('|', "\\|"),
            n(*v),
            pct(*v, b.code)
        );
    }
    s.push('\n');
}

fn render(
    pkg: &[FileSize],
    pkg_voice: &[FileSize],
    dist: &[FileSize],
    pkg_b: &Breakdown,
    dist_b: &Breakdown,
    same_as_shipped: bool,
    features: Option<&(i64, Vec<FeatureCost>)>,
) -> String {
    let date = output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default();
    let commit = output("git", &["rev-parse", "--short", "HEAD"]).unwrap_or_default();
    let dirty = output("git", &["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|s| !s.is_empty());
    let budgets: serde_json::Value = std::fs::read_to_string(root().join("xtask/budgets.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## Size report\n\nWritten by `cargo xtask size` on {date} at commit {commit}{}. gzip as \
         the budget check measures it (flate2, best level), brotli at quality 11 (window 22, as \
         Node's zlib). Wasm breakdowns: twiggy's function-body sizes, grouped by the demangled \
         path's first segment (for `<T as Trait>::f`, `T`'s crate unless it is a primitive or \
         `core`/`alloc`/`std`'s, then `Trait`'s) and, for our crates, by module (up to three \
         segments; a crate's own name alone is its root, e.g. the playground's `main`). Generic \
         code counts where it is defined, whoever instantiates it; code wasm-opt inlined counts \
         in its caller (an export's body often sits in its wasm-bindgen shim, e.g. \
         `buildInvokeBody multivalue shim`).\n",
        if dirty {
            " (with uncommitted changes in the tree)"
        } else {
            ""
        }
    );
    files_table(
        &mut s,
        "pkg/ (the npm package: wasm + JS) as every page loads it",
        pkg,
        budgets["pkg_gzip_bytes"].as_u64(),
    );
    files_table(
        &mut s,
        "pkg/'s voice module (InvokeModelWithBidirectionalStream and Nova Sonic: fetched by the \
         first call that speaks, never by a page that does not)",
        pkg_voice,
        budgets["pkg_voice_gzip_bytes"].as_u64(),
    );
    files_table(
        &mut s,
        "dist/ (the playground's first load: HTML, JS, wasm, CSS)",
        dist,
        budgets["dist_first_load_gzip_bytes"].as_u64(),
    );
    breakdown_tables(&mut s, "pkg/", pkg_b, 16, 24);
    breakdown_tables(&mut s, "dist/", dist_b, 16, 24);
    if let Some((full, costs)) = features {
        let _ = writeln!(
            s,
            "### What each public feature costs (pkg/)\n\nThe package rebuilt without one \
             feature's exports (`--features size-without-…`, Cargo.toml; the default build is \
             unchanged), against the full package built the same way ({} bytes gzip{}). \
             Bytes saved by leaving the feature out:\n",
            n(*full as usize),
            if same_as_shipped {
                ", byte for byte the shipped wasm"
            } else {
                "; **its wasm differs from pkg/'s**: pkg/ is stale or was built differently"
            }
        );
        let _ = writeln!(
            s,
            "| feature | `--features` | left out | gzip (wasm + JS) | of which wasm gzip | wasm raw |\n|---|---|---|---:|---:|---:|"
        );
        for c in costs {
            let _ = writeln!(
                s,
                "| {} | `{}` | {} | {} | {} | {} |",
                c.what,
                c.feature,
                c.left_out,
                signed(c.total_gzip),
                signed(c.wasm_gzip),
                signed(c.wasm_raw)
            );
        }
        let _ = writeln!(
            s,
            "\nRows overlap (shared code is only saved when every user of it is left out) and \
             do not add up. Not measured:\n\n{NOT_MEASURED}\n"
        );
    }
    s
}

const BEGIN: &str = "<!-- cargo xtask size: begin -->";
const END: &str = "<!-- cargo xtask size: end -->";

/// `doc` with its size report section replaced by `report` (appended if it has none).
fn with_section(doc: &str, report: &str) -> String {
    let section = format!("{BEGIN}\n{}\n{END}\n", report.trim_end());
    match (doc.find(BEGIN), doc.find(END)) {
        (Some(b), Some(e)) if e > b => {
            format!(
                "{}{section}{}",
                &doc[..b],
                doc[e + END.len()..].trim_start_matches('\n')
            )
        }
        _ => format!("{}\n\n{section}", doc.trim_end()),
    }
}

/// `new` (what `cargo xtask bench` writes) followed by `old`'s size report section and
/// everything after it, as they were: the report is `cargo xtask size`'s to rewrite, and what
/// follows it is written by hand from it (a bench run once dropped that part).
pub fn keep_section(old: &str, new: String) -> String {
    match old.find(BEGIN) {
        Some(b) => format!("{}\n\n{}", new.trim_end(), &old[b..]),
        None => new,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_group_by_crate_and_module() {
        let f = |s: &str| function_name(s).unwrap();
        assert_eq!(
            f("aws_sigv4::http_request::canonical_request::CanonicalRequest::from::hded3667ed7fcfb90"),
            "aws_sigv4::http_request::canonical_request::CanonicalRequest::from"
        );
        assert_eq!(
            f("core[c5930c85a12de822]::fmt::float::float_to_decimal_common_exact::<f64>"),
            "core::fmt::float::float_to_decimal_common_exact::<f64>"
        );
        assert_eq!(function_name("data segment \".rodata.73\""), None);
        assert_eq!(function_name("\"function names\" subsection"), None);
        assert_eq!(
            crate_of("<str as serde_json::value::index::Index>::index_or_insert"),
            "serde_json"
        );
        assert_eq!(
            crate_of("<dlmalloc::dlmalloc::Dlmalloc<dlmalloc::sys::System>>::malloc"),
            "dlmalloc"
        );
        assert_eq!(crate_of("<&T as core::fmt::Debug>::fmt"), "core");
        assert_eq!(
            crate_of("<bedrock_wasm::bedrock::error::Error as core::fmt::Display>::fmt"),
            "bedrock_wasm"
        );
        assert!(crate_of("buildInvokeBody multivalue shim").starts_with("(wasm-bindgen"));
        assert!(crate_of("memcpy").starts_with("(compiler"));
        let m = |s: &str| our_module(s, &crate_of(s)).unwrap();
        assert_eq!(m("bedrock_wasm::js::output_json"), "bedrock_wasm::js");
        assert_eq!(
            m("bedrock_wasm::js::cognito::{{closure}}"),
            "bedrock_wasm::js"
        );
        assert_eq!(
            m("bedrock_wasm::bedrock::family::anthropic::read"),
            "bedrock_wasm::bedrock::family"
        );
        assert_eq!(
            m("bedrock_wasm::transport::stream::ResponseStream::next_ready"),
            "bedrock_wasm::transport::stream"
        );
        assert_eq!(
            m("bedrock_wasm::transport::send::<impl bedrock_wasm::transport::Client>::send::{{closure}}"),
            "bedrock_wasm::transport::send"
        );
        assert_eq!(
            m("<bedrock_wasm::bedrock::error::Error as core::fmt::Display>::fmt"),
            "bedrock_wasm::bedrock::error"
        );
        assert_eq!(our_module("serde_json::de::from_slice", "serde_json"), None);
    }

    #[test]
    fn the_section_is_replaced_or_appended_and_survives_a_rewrite() {
        let doc = with_section("# Benchmarks\n\ntext\n", "## Size report\n\nA");
        assert!(doc.starts_with("# Benchmarks\n\ntext\n\n<!--"));
        let again = with_section(&doc, "## Size report\n\nB");
        assert_eq!(again, doc.replace("\nA\n", "\nB\n"));
        let rewritten = keep_section(&again, "# Benchmarks\n\nnew\n".into());
        assert!(rewritten.starts_with("# Benchmarks\n\nnew\n"));
        assert!(rewritten.contains("## Size report\n\nB\n"));
        // Hand-written text after the report survives a bench rewrite too, unchanged.
        let noted = format!("{again}## What stays\n\nnotes\n");
        let rewritten = keep_section(&noted, "# Benchmarks\n\nnewer\n".into());
        assert!(rewritten.starts_with("# Benchmarks\n\nnewer\n\n<!--"));
        assert!(rewritten.ends_with(&noted[noted.find(BEGIN).unwrap()..]));
    }
}
