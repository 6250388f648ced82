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
    let mut names = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && extensions.iter().any(|ext| name.ends_with(ext)) {
            names.push(name);
        }
    }
    gzip_files(dir, &names)
}

/// Gzip bytes of the named files in `dir`, summed (sorted by name).
fn gzip_files(dir: &Path, names: &[String]) -> Result<(usize, Vec<(String, usize)>)> {
    let mut files = Vec::new();
    for name in names {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        files.push((name.clone(), gzip_len(&bytes)));
    }
    files.sort();
    Ok((files.iter().map(|(_, n)| n).sum(), files))
}

fn budgets() -> Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(root().join("xtask/budgets.json")).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

fn limit(budgets: &serde_json::Value, key: &str) -> Result<usize> {
    budgets[key]
        .as_u64()
        .map(|n| n as usize)
        .ok_or(format!("budgets.json lacks {key}"))
}

fn report(what: &str, total: usize, files: &[(String, usize)], budget: usize) -> Option<String> {
    let detail: Vec<String> = files.iter().map(|(n, b)| format!("{n} {b}")).collect();
    println!(
        "{what}: {total} bytes gzip (budget {budget}) [{}]",
        detail.join(", ")
    );
    (total > budget).then(|| {
        format!("{what} is {total} bytes gzip, over its budget of {budget} (xtask/budgets.json)")
    })
}

/// The playground's first load: only the files a browser fetches to show the page
/// ([`crate::build::FIRST_LOAD`]); the chunks it fetches on demand are listed, not counted.
fn dist_first_load(budget: usize) -> Result<Option<String>> {
    let dir = root().join("dist");
    let first: Vec<String> = crate::build::FIRST_LOAD
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (total, files) = gzip_files(&dir, &first)?;
    let over = report("dist/ first load", total, &files, budget);
    let (_, all) = gzip_total(&dir, &[".html", ".js", ".wasm", ".css"])?;
    let later: Vec<String> = all
        .iter()
        .filter(|(n, _)| !first.contains(n))
        .map(|(n, b)| format!("{n} {b}"))
        .collect();
    println!(
        "dist/ on demand (not in the first load): [{}]",
        later.join(", ")
    );
    Ok(over)
}

/// Only the playground's first load against its budget (`cargo xtask dist`).
pub fn check_dist() -> Result {
    let budgets = budgets()?;
    match dist_first_load(limit(&budgets, "dist_first_load_gzip_bytes")?)? {
        None => Ok(()),
        Some(over) => Err(over),
    }
}

/// What the package and the page weigh; fails when either is over its budget.
pub fn check() -> Result {
    let budgets = budgets()?;
    let mut over = Vec::new();
    let (all, files) = gzip_total(&root().join("pkg"), &[".wasm", ".js"])?;
    let is_voice = |name: &str| crate::build::VOICE_FILES.contains(&name);
    let (voice, main): (Vec<_>, Vec<_>) = files.into_iter().partition(|(n, _)| is_voice(n));
    let sum = |files: &[(String, usize)]| files.iter().map(|(_, b)| b).sum::<usize>();
    over.extend(report(
        "pkg/ loaded by every page (wasm + JS)",
        sum(&main),
        &main,
        limit(&budgets, "pkg_gzip_bytes")?,
    ));
    over.extend(report(
        "pkg/ voice module (loaded the first time a page speaks)",
        sum(&voice),
        &voice,
        limit(&budgets, "pkg_voice_gzip_bytes")?,
    ));
    println!("pkg/ in all: {all} bytes gzip");
    over.extend(dist_first_load(limit(
        &budgets,
        "dist_first_load_gzip_bytes",
    )?)?);
    if over.is_empty() {
        Ok(())
    } else {
        Err(over.join("; "))
    }
}
