//! Installs what a fresh Debian machine lacks, saying so each time, and never downloads a
//! browser or a prebuilt tool: Rust tools are built with `cargo install`, `wasm-opt` comes from
//! the npm package `binaryen`, Chromium and chromedriver from Debian.

use std::path::PathBuf;

use crate::build::root;
use crate::cmd::{output, run, run_in};
use crate::Result;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// `cargo xtask size`'s wasm breakdown (builds with `--locked` on rustc 1.95).
const TWIGGY_VERSION: &str = "0.8.0";

pub fn ensure_build_tools() -> Result {
    ensure_wasm_target()?;
    ensure_wasm_bindgen_cli()?;
    ensure_npm_packages()
}

pub fn ensure_test_tools() -> Result {
    ensure_rust_components()?;
    ensure_build_tools()?;
    ensure_chromium()
}

fn announce(what: &str) {
    println!("xtask: installing {what}");
}

/// What `cargo xtask size` needs besides the build tools: twiggy, for the wasm breakdown.
pub fn ensure_size_tools() -> Result {
    ensure_build_tools()?;
    let found = output("twiggy", &["--version"]).unwrap_or_default();
    if found != format!("twiggy {TWIGGY_VERSION}") {
        announce(&format!(
            "twiggy {TWIGGY_VERSION} (cargo install, a few minutes)"
        ));
        run(
            "cargo",
            &["install", &format!("twiggy@{TWIGGY_VERSION}"), "--locked"],
        )?;
    }
    Ok(())
}

fn ensure_rust_components() -> Result {
    for (component, probe) in [("rustfmt", "fmt"), ("clippy", "clippy")] {
        if output("cargo", &[probe, "--version"]).is_none() {
            announce(&format!("the {component} component"));
            run("rustup", &["component", "add", component])?;
        }
    }
    Ok(())
}

fn ensure_wasm_target() -> Result {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !installed
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        announce("the wasm32-unknown-unknown Rust target");
        run("rustup", &["target", "add", "wasm32-unknown-unknown"])?;
    }
    Ok(())
}

/// The version pinned with `=` in the workspace Cargo.toml; the CLI must match it exactly.
pub fn wasm_bindgen_version() -> Result<String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).map_err(|e| e.to_string())?;
    manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("wasm-bindgen = \"="))
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .ok_or_else(|| "Cargo.toml must pin wasm-bindgen as `wasm-bindgen = \"=X.Y.Z\"`".into())
}

fn ensure_wasm_bindgen_cli() -> Result {
    let version = wasm_bindgen_version()?;
    let found = output("wasm-bindgen", &["--version"]).unwrap_or_default();
    if found != format!("wasm-bindgen {version}") {
        announce(&format!(
            "wasm-bindgen-cli {version} (cargo install, a few minutes)"
        ));
        // `--locked` fails to resolve for this crate; the exact version pins what matters.
        run(
            "cargo",
            &["install", "wasm-bindgen-cli", "--version", &version],
        )?;
    }
    Ok(())
}

/// `tests/package.json`: playwright-core (no browser download), binaryen (wasm-opt) and the
/// JS test tools.
fn ensure_npm_packages() -> Result {
    let dir = root().join("tests");
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let modified = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let stale = match (modified(&lock), modified(&installed)) {
        (Some(l), Some(i)) => l > i,
        _ => true,
    };
    if stale {
        if output("npm", &["--version"]).is_none() {
            return Err("npm is missing: install Node.js 20 or later (with npm) first".into());
        }
        announce("npm packages from tests/package.json (playwright-core, binaryen, esbuild, axe-core, Vite, TypeScript, the AWS SDK)");
        run_in(&dir, "npm", &["ci", "--no-audit", "--no-fund"], &[])?;
    }
    Ok(())
}

fn ensure_chromium() -> Result {
    let present = |p: &str| std::path::Path::new(p).exists();
    if present(CHROMIUM) && present(CHROMEDRIVER) {
        return Ok(());
    }
    let root_user = output("id", &["-u"]).as_deref() == Some("0");
    if !root_user {
        return Err(format!(
            "Chromium and chromedriver are missing ({CHROMIUM}, {CHROMEDRIVER}); install them with \
             `sudo apt-get install chromium chromium-driver`, or run as root to let xtask do it"
        ));
    }
    announce("Chromium and chromedriver from Debian (apt-get)");
    run("apt-get", &["update"])?;
    crate::cmd::run_env(
        "apt-get",
        &[
            "install",
            "-y",
            "--no-install-recommends",
            "chromium",
            "chromium-driver",
        ],
        &[("DEBIAN_FRONTEND", "noninteractive")],
    )
}

pub fn webdriver_json() -> String {
    root()
        .join("tests/webdriver.json")
        .to_string_lossy()
        .into_owned()
}

/// PATH with cargo's bin directory and the npm tools (wasm-opt) in front.
pub fn path_with_tools() -> String {
    let cargo_home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo")
        });
    let mut paths = vec![
        root().join("tests/node_modules/.bin"),
        cargo_home.join("bin"),
    ];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}
