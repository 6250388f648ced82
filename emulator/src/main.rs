//! `bedrock-emulator [options]` — runs the local Bedrock Runtime emulator on 127.0.0.1 until
//! Ctrl-C. `--help` lists the options; emulator/README.md explains them.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bedrock_emulator::clock::MAX_CLOCK_SKEW_SECS;
use bedrock_emulator::{
    Config, Credential, Emulator, FAULT_HEADER, FAULT_MODEL_PREFIX, GUARDRAIL_ID,
    MAX_ASYNC_INVOKE_SECS, MAX_COGNITO_LIFETIME_SECS,
};

const USAGE: &str = "usage: bedrock-emulator [options]

  --port N                  port on 127.0.0.1 (default 4010; 0 picks a free one)
  --access-key-id ID        the accepted access key id (default AKIDEMULATOR0000DEMO)
  --secret-access-key KEY   its secret (default emulator/demo/secret/key)
  --session-token TOKEN     its session token (default emulator-demo-session-token;
                            \"\" accepts requests without one)
  --region REGION           the region signatures must be scoped to (default us-east-1;
                            \"any\" accepts every region)
  --api-key KEY             accept Authorization: Bearer KEY (repeatable; replaces the
                            default demo key; \"\" disables API keys)
  --token-delay-ms N        delay before each streamed token or replayed frame (default 10)
  --first-byte-delay-ms N   extra delay before the first token (default 0)
  --clock-skew-secs N       shift the server clock by N seconds, e.g. -600 (default 0;
                            at most +/-10000000000)
  --expose-headers A,B,...  Access-Control-Expose-Headers (default: x-amzn-RequestId,
                            x-amzn-ErrorType, X-Amzn-Bedrock-*, Retry-After; not Date)
  --replay FILE             answer every streaming request with this .eventstream capture
  --replay-dir DIR          where the replay=NAME fault finds NAME[.eventstream]
  --cognito-lifetime-secs N how long Cognito-issued credentials last (default 3600;
                            at most 10000000000)
  --async-invoke-secs S     how long a StartAsyncInvoke invocation stays InProgress on the
                            emulator's clock before it completes (default 2; decimals
                            allowed, e.g. 0.5; at most 1000000000)
  --tls                     serve https:// and wss:// with a self-signed certificate for
                            127.0.0.1, ::1 and localhost, made at start (its path and
                            SHA-256 fingerprint are printed)";

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
    let mut credential = Credential::demo();
    let mut api_keys: Option<Vec<String>> = None;
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        if flag == "--tls" {
            parsed.config.tls = true;
            continue;
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
        let config = &mut parsed.config;
        match name.as_str() {
            "--port" => {
                parsed.port = u16::try_from(number("--port")?)
                    .map_err(|_| format!("--port must be at most 65535, got {value}"))?
            }
            "--token-delay-ms" => {
                config.token_delay = Duration::from_millis(number("--token-delay-ms")?)
            }
            "--first-byte-delay-ms" => {
                config.first_byte_delay = Duration::from_millis(number("--first-byte-delay-ms")?)
            }
            "--access-key-id" if !value.is_empty() => credential.access_key_id = value,
            "--secret-access-key" if !value.is_empty() => credential.secret_access_key = value,
            "--access-key-id" | "--secret-access-key" => {
                return Err(format!("{name} must not be empty"))
            }
            "--session-token" => credential.session_token = (!value.is_empty()).then_some(value),
            "--region" => {
                config.region = match value.as_str() {
                    "any" => None,
                    r if !r.is_empty()
                        && r.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
                    {
                        Some(value)
                    }
                    _ => {
                        return Err(format!(
                            "--region must look like us-east-1 (or be \"any\"), got {value:?}"
                        ))
                    }
                }
            }
            "--api-key" => {
                let keys = api_keys.get_or_insert_with(Vec::new);
                if !value.is_empty() {
                    keys.push(value);
                }
            }
            "--clock-skew-secs" => {
                config.clock_skew_secs = value
                    .trim_start_matches('+')
                    .parse::<i64>()
                    .ok()
                    .filter(|s| s.unsigned_abs() <= MAX_CLOCK_SKEW_SECS.unsigned_abs())
                    .ok_or_else(|| {
                        format!(
                            "--clock-skew-secs must be a whole number of seconds between \
                             -{MAX_CLOCK_SKEW_SECS} and {MAX_CLOCK_SKEW_SECS}, got {value:?}"
                        )
                    })?
            }
            "--expose-headers" => {
                config.expose_headers = value
                    .split(',')
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
                    .map(String::from)
                    .collect()
            }
            "--replay" => {
                let path = PathBuf::from(&value);
                if !path.is_file() {
                    return Err(format!("--replay: no such file {value:?}"));
                }
                config.replay = Some(path)
            }
            "--replay-dir" => {
                let path = PathBuf::from(&value);
                if !path.is_dir() {
                    return Err(format!("--replay-dir: no such directory {value:?}"));
                }
                config.replay_dir = Some(path)
            }
            "--cognito-lifetime-secs" => {
                let secs = number("--cognito-lifetime-secs")?;
                if secs > MAX_COGNITO_LIFETIME_SECS {
                    return Err(format!(
                        "--cognito-lifetime-secs must be at most {MAX_COGNITO_LIFETIME_SECS}, \
                         got {value}"
                    ));
                }
                config.cognito_lifetime = Duration::from_secs(secs)
            }
            "--async-invoke-secs" => {
                let secs = value
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s >= 0.0 && *s <= MAX_ASYNC_INVOKE_SECS as f64)
                    .ok_or_else(|| {
                        format!(
                            "--async-invoke-secs must be a number of seconds between 0 and \
                             {MAX_ASYNC_INVOKE_SECS}, got {value:?}"
                        )
                    })?;
                config.async_invoke_delay = Duration::from_secs_f64(secs)
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    parsed.config.credentials = vec![credential];
    if let Some(keys) = api_keys {
        parsed.config.api_keys = keys;
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
    let config = args.config.clone();
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
    let credential = &config.credentials[0];
    println!("Bedrock Runtime emulator listening on {}", emulator.url());
    if let Some(cert) = emulator.tls_certificate() {
        println!(
            "  TLS certificate:   {} (self-signed, made now)",
            cert.path.display()
        );
        println!("  SHA-256:           {}", cert.sha256_fingerprint);
    }
    println!("  access key id:     {}", credential.access_key_id);
    // The emulator's credentials are local test values (the defaults are public): print them
    // so they can be pasted into a client.
    println!("  secret access key: {}", credential.secret_access_key);
    println!(
        "  session token:     {}",
        credential.session_token.as_deref().unwrap_or("(none)")
    );
    println!(
        "  region:            {} (signing name \"bedrock\")",
        config.region.as_deref().unwrap_or("any")
    );
    if !config.api_keys.is_empty() {
        println!("  API key(s):        {}", config.api_keys.join(", "));
    }
    println!(
        "  pacing:            {} ms per token, {} ms to first byte{}",
        config.token_delay.as_millis(),
        config.first_byte_delay.as_millis(),
        if config.clock_skew_secs != 0 {
            format!(", server clock skewed {:+} s", config.clock_skew_secs)
        } else {
            String::new()
        }
    );
    if let Some(replay) = &config.replay {
        println!(
            "  replaying:         {} on every streaming request",
            replay.display()
        );
    }
    println!(
        "  operations:        InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream,"
    );
    println!(
        "                     CountTokens, ApplyGuardrail (guardrail {GUARDRAIL_ID}, versions DRAFT and 1),"
    );
    println!(
        "                     InvokeGuardrailChecks, StartAsyncInvoke, GetAsyncInvoke, ListAsyncInvokes ({} s to complete)",
        config.async_invoke_delay.as_secs_f64()
    );
    println!(
        "                     InvokeModelWithBidirectionalStream (Nova Sonic; {}/model/<id>/invoke-with-bidirectional-stream-websocket)",
        emulator.url().replacen("http", "ws", 1)
    );
    println!(
        "  faults:            header {FAULT_HEADER}: <spec>, or model id {FAULT_MODEL_PREFIX}<spec>:<model id>"
    );
    println!(
        "  Cognito pool:      {} (GetId, GetCredentialsForIdentity, GetOpenIdToken; STS AssumeRoleWithWebIdentity)",
        bedrock_emulator::DEMO_IDENTITY_POOL_ID
    );
    println!("  request log:       {}/_emulator/log", emulator.url());
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
        assert_eq!(a.config.credentials, [Credential::demo()]);
        assert_eq!(a.config.region.as_deref(), Some("us-east-1"));
        assert!(parse(&["--help"]).unwrap().is_none());
        assert!(!a.config.tls);
        assert!(
            parse(&["--tls", "--port", "0"])
                .unwrap()
                .unwrap()
                .config
                .tls
        );
        assert!(parse(&["--port"]).unwrap_err().contains("needs a value"));
        assert!(parse(&["--port", "99999"]).is_err());
        assert!(parse(&["--bogus", "1"])
            .unwrap_err()
            .contains("unknown option"));
    }

    #[test]
    fn parses_every_option() {
        let a = parse(&[
            "--access-key-id=AKIDX",
            "--secret-access-key",
            "s3cr3t",
            "--session-token=",
            "--region",
            "eu-west-3",
            "--api-key",
            "ABSKone",
            "--api-key=ABSKtwo",
            "--first-byte-delay-ms",
            "250",
            "--clock-skew-secs=-600",
            "--expose-headers",
            "x-amzn-RequestId, Date",
            "--replay-dir",
            ".",
        ])
        .unwrap()
        .unwrap();
        let c = &a.config;
        assert_eq!(
            c.credentials,
            [Credential {
                access_key_id: "AKIDX".into(),
                secret_access_key: "s3cr3t".into(),
                session_token: None,
            }]
        );
        assert_eq!(c.region.as_deref(), Some("eu-west-3"));
        assert_eq!(c.api_keys, ["ABSKone", "ABSKtwo"]);
        assert_eq!(c.first_byte_delay, Duration::from_millis(250));
        assert_eq!(c.clock_skew_secs, -600);
        assert_eq!(c.expose_headers, ["x-amzn-RequestId", "Date"]);
        assert_eq!(c.replay_dir.as_deref(), Some(std::path::Path::new(".")));
        let any = parse(&["--region", "any", "--api-key", ""])
            .unwrap()
            .unwrap();
        assert_eq!(any.config.region, None);
        assert!(any.config.api_keys.is_empty());
        assert!(parse(&["--region", "US East"]).is_err());
        assert!(parse(&["--replay", "/no/such/file.eventstream"])
            .unwrap_err()
            .contains("no such file"));
        assert!(parse(&["--clock-skew-secs", "soon"]).is_err());
        for skew in ["1000000000000000", "-1000000000000000", "10000000001"] {
            assert!(parse(&["--clock-skew-secs", skew])
                .unwrap_err()
                .contains("between"));
        }
        let far = parse(&[
            "--clock-skew-secs=-10000000000",
            "--token-delay-ms=18446744073709551615",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(far.config.clock_skew_secs, -10_000_000_000);
        assert!(parse(&["--cognito-lifetime-secs", "10000000001"]).is_err());
        assert!(parse(&["--cognito-lifetime-secs", "10000000000"]).is_ok());
        assert!(parse(&["--access-key-id", ""]).is_err());
        let a = parse(&["--async-invoke-secs", "0.25"]).unwrap().unwrap();
        assert_eq!(a.config.async_invoke_delay, Duration::from_millis(250));
        assert_eq!(
            parse(&[]).unwrap().unwrap().config.async_invoke_delay,
            Duration::from_secs(2)
        );
        for bad in ["-1", "NaN", "inf", "soon", "1000000001"] {
            assert!(parse(&["--async-invoke-secs", bad])
                .unwrap_err()
                .contains("--async-invoke-secs"));
        }
    }
}
