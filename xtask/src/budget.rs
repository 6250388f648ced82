//! Size budgets: the npm package (wasm + JS) and the playground's first load, gzip -9,
//! checked against the numbers committed in `xtask/budgets.json`.

use std::io::Write;
use std::path::Path;

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::build::root;
use crate::Result;

pub fn gzip_len(bytes: &[u8]) -> usize {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder
        .write_all(bytes)
        .expect("writing to a Vec cannot fail");
    encoder
        .finish()
        .expect("writing to a Vec cannot fail")
        .len()
}

/// Gzip bytes of the files in `dir` whose names end with one of `extensions`, summed.
fn gzip_total(dir: &Path, extensions: &[&str]) -> Result<(usize, Vec<(String, usize)>)> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && extensions.iter().any(|ext| name.ends_with(ext)) {
            let bytes = std::fs::read(entry.path()).map_err(|e| e.to_string())?;
            files.push((name, gzip_len(&bytes)));
        }
    }
    files.sort();
    Ok((files.iter().map(|(_, n)| n).sum(), files))
}

/// What the package and the page weigh; fails when either is over its budget.
pub fn check() -> Result {
    let text =
        std::fs::read_to_string(root().join("xtask/budgets.json")).map_err(|e| e.to_string())?;
    let budgets: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let limit = |key: &str| {
        budgets[key]
            .as_u64()
            .map(|n| n as usize)
            .ok_or(format!("budgets.json lacks {key}"))
    };
    // Everything a browser downloads on first load: the page, its script, wasm and styles.
    let checks = [
        (
            "pkg/ (wasm + JS)",
            root().join("pkg"),
            &[".wasm", ".js"][..],
            limit("pkg_gzip_bytes")?,
        ),
        (
            "dist/ first load",
            root().join("dist"),
            &[".html", ".js", ".wasm", ".css"][..],
            limit("dist_first_load_gzip_bytes")?,
        ),
    ];
    let mut over = Vec::new();
    for (what, dir, extensions, budget) in checks {
        let (total, files) = gzip_total(&dir, extensions)?;
        let detail: Vec<String> = files.iter().map(|(n, b)| format!("{n} {b}")).collect();
        println!(
            "{what}: {total} bytes gzip (budget {budget}) [{}]",
            detail.join(", ")
        );
        if total > budget {
            over.push(format!(
                "{what} is {total} bytes gzip, over its budget of {budget} (xtask/budgets.json)"
            ));
        }
    }
    if over.is_empty() {
        Ok(())
    } else {
        Err(over.join("; "))
    }
}
