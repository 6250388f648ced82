//! Running child processes, echoing each command line first.

use std::path::Path;
use std::process::Command;

use crate::build::root;
use crate::tools;
use crate::Result;

/// `cargo` with the given arguments, from the workspace root.
pub fn cargo(args: &[&str]) -> Result {
    cargo_env(args, &[])
}

pub fn cargo_env(args: &[&str], env: &[(&str, &str)]) -> Result {
    run_env(
        &std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
        args,
        env,
    )
}

pub fn run(program: &str, args: &[&str]) -> Result {
    run_env(program, args, &[])
}

pub fn run_env(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result {
    run_in(&root(), program, args, env)
}

pub fn run_in(dir: &Path, program: &str, args: &[&str], env: &[(&str, &str)]) -> Result {
    println!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .env("PATH", tools::path_with_tools())
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{program} {}` exited with {status}",
            args.join(" ")
        ))
    }
}

/// A command's trimmed stdout, or `None` if it cannot run or fails.
pub fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .env("PATH", tools::path_with_tools())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
