//! `bedrock-emulator [--port N] [--token-delay-ms N] [--first-byte-delay-ms N]`
//!
//! Runs the local Bedrock Runtime emulator on 127.0.0.1 until Ctrl-C.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use bedrock_emulator::{Config, Credential, Emulator};

const USAGE: &str =
    "usage: bedrock-emulator [--port N] [--token-delay-ms N] [--first-byte-delay-ms N]

  --port N                 port on 127.0.0.1 (default 4010; 0 picks a free one)
  --token-delay-ms N       delay before each streamed token (default 10)
  --first-byte-delay-ms N  extra delay before the first token (default 0)";

#[derive(Debug)]
struct Args {
    port: u16,
    config: Config,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args {
        port: 4010,
        config: Config::default(),
    };
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (flag.clone(), None),
        };
        let value = inline
            .or_else(|| args.next())
            .ok_or_else(|| format!("{name} needs a value"))?;
        let number = |what: &str| -> Result<u64, String> {
            value
                .parse::<u64>()
                .map_err(|_| format!("{what} must be a non-negative integer, got {value:?}"))
        };
        match name.as_str() {
            "--port" => {
                parsed.port = u16::try_from(number("--port")?)
                    .map_err(|_| format!("--port must be at most 65535, got {value}"))?
            }
            "--token-delay-ms" => {
                parsed.config.token_delay = Duration::from_millis(number("--token-delay-ms")?)
            }
            "--first-byte-delay-ms" => {
                parsed.config.first_byte_delay =
                    Duration::from_millis(number("--first-byte-delay-ms")?)
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(Some(parsed))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("bedrock-emulator: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let emulator = match Emulator::start(args.config, addr).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!(
                "bedrock-emulator: cannot listen on {addr}: {e}. Is another emulator already \
                 running? Choose another port with --port N (0 picks a free one)."
            );
            return ExitCode::FAILURE;
        }
    };
    println!("Bedrock Runtime emulator listening on {}", emulator.url());
    println!(
        "  credentials: access key id {} with the built-in demo secret and session token \
         (Credential::demo(); local emulator only, not AWS credentials)",
        Credential::DEMO_ACCESS_KEY_ID
    );
    println!("  region: any (signing name \"bedrock\")");
    println!("  models: anthropic.claude-v2[:N], anthropic.claude-instant-v1 (text completions)");
    println!("  request log: {}/_emulator/log", emulator.url());
    println!("Press Ctrl-C to stop.");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("bedrock-emulator: cannot wait for Ctrl-C ({e}); stopping.");
    }
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Args>, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn parses_flags() {
        let a = parse(&["--port", "0", "--token-delay-ms=3"])
            .unwrap()
            .unwrap();
        assert_eq!(a.port, 0);
        assert_eq!(a.config.token_delay, Duration::from_millis(3));
        assert!(parse(&["--help"]).unwrap().is_none());
        assert!(parse(&["--port"]).unwrap_err().contains("needs a value"));
        assert!(parse(&["--port", "99999"]).is_err());
        assert!(parse(&["--bogus", "1"])
            .unwrap_err()
            .contains("unknown option"));
    }
}
