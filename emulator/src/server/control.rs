//! The `/_emulator/*` control routes (request log, reset) and who may call them.

use std::net::{Ipv4Addr, Ipv6Addr};

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;

use super::{finish, Shared, ERROR_NAMESPACE};

/// `host[:port]` (a `Host` header or a URI authority) names this machine: `localhost`, an
/// IPv4 loopback address or `[::1]`, with an optional numeric port.
fn loopback_authority(authority: &str) -> bool {
    let port_ok = |port: &str| {
        !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok()
    };
    if let Some(rest) = authority.strip_prefix('[') {
        let Some((ip, after)) = rest.split_once(']') else {
            return false;
        };
        let port_fine = after.is_empty() || after.strip_prefix(':').is_some_and(port_ok);
        return port_fine && ip.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
    }
    let host = match authority.split_once(':') {
        Some((host, port)) if port_ok(port) => host,
        Some(_) => return false,
        None => authority,
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// A browser `Origin` of a page served from this machine: `http://` or `https://` and a
/// loopback authority, nothing else (no path, no user info; `null` is not one).
fn loopback_origin(origin: &str) -> bool {
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(loopback_authority)
}

/// Who may use the `/_emulator/*` control routes.
enum Control {
    /// No `Origin`: not a browser's cross-origin request (curl, tests, Node's `fetch`).
    NoOrigin,
    /// A page on this machine: allowed, and its origin is echoed in
    /// `Access-Control-Allow-Origin`.
    Loopback(HeaderValue),
    /// Refused (403), for this reason.
    Refused(String),
}

/// The `/_emulator/*` access rule: the `Host` must be loopback (so a DNS-rebinding page that
/// reaches the port under its own name is refused), and an `Origin`, if any, must be a
/// loopback origin (so an arbitrary page cannot read the log or reset the counters).
fn control_access(parts: &axum::http::request::Parts) -> Control {
    let hosts = parts.headers.get_all(header::HOST);
    let host_ok = hosts
        .iter()
        .all(|h| h.to_str().is_ok_and(loopback_authority))
        && parts
            .uri
            .authority()
            .is_none_or(|a| loopback_authority(a.as_str()));
    if !host_ok {
        return Control::Refused(
            "The emulator's control routes (/_emulator/*) answer only requests addressed to \
             127.0.0.1, [::1] or localhost (the Host header names another host; DNS rebinding?)."
                .into(),
        );
    }
    let mut origins = parts.headers.get_all(header::ORIGIN).iter();
    match (origins.next(), origins.next()) {
        (None, _) => Control::NoOrigin,
        (Some(origin), None) if origin.to_str().is_ok_and(loopback_origin) => {
            Control::Loopback(origin.clone())
        }
        (Some(origin), _) => Control::Refused(format!(
            "The emulator's control routes (/_emulator/*) do not answer cross-origin requests \
             from {:?}: only pages on http://127.0.0.1, http://localhost or http://[::1] (any \
             port) may use them.",
            String::from_utf8_lossy(origin.as_bytes())
        )),
    }
}

/// `GET /_emulator/log` (the log as a JSON array) and `POST /_emulator/reset` (clears it and
/// the fault/retry counters). Not logged themselves, so tests can poll without disturbing
/// what they inspect. Unlike the Bedrock routes they carry no `Access-Control-Allow-Origin:
/// *`: see [`control_access`] for who may call them.
pub(super) fn introspection(s: &Shared, parts: &axum::http::request::Parts) -> Response {
    let id = s.request_id();
    let access = control_access(parts);
    let base = |status: StatusCode| {
        let b = s
            .plain_response(&id, status, s.config.clock_skew_secs)
            .header(header::CACHE_CONTROL, "no-store")
            .header(header::VARY, "Origin");
        match &access {
            Control::Loopback(origin) => b.header(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin),
            Control::NoOrigin | Control::Refused(_) => b,
        }
    };
    let json = |status: StatusCode, body: String| {
        finish(
            base(status).header(header::CONTENT_TYPE, "application/json"),
            Body::from(body),
        )
    };
    if let Control::Refused(why) = &access {
        return finish(
            base(StatusCode::FORBIDDEN)
                .header(
                    "x-amzn-ErrorType",
                    format!("AccessDeniedException{ERROR_NAMESPACE}"),
                )
                .header(header::CONTENT_TYPE, "application/json"),
            Body::from(serde_json::json!({ "message": why }).to_string()),
        );
    }
    match (&parts.method, parts.uri.path()) {
        (&Method::GET, "/_emulator/log") => json(
            StatusCode::OK,
            serde_json::to_string(&s.log.snapshot()).unwrap_or_else(|_| "[]".into()),
        ),
        (&Method::POST, "/_emulator/reset") => json(
            StatusCode::OK,
            serde_json::json!({ "cleared": s.reset() }).to_string(),
        ),
        (&Method::OPTIONS, _) => {
            let b = base(StatusCode::NO_CONTENT);
            let b = match access {
                Control::Loopback(_) => b
                    .header(header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS")
                    .header(header::ACCESS_CONTROL_MAX_AGE, "600"),
                _ => b,
            };
            finish(b, Body::empty())
        }
        _ => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({ "message": "Emulator routes: GET /_emulator/log, POST /_emulator/reset." }).to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_and_origins() {
        for ok in [
            "localhost",
            "localhost:1",
            "127.0.0.1",
            "127.1.2.3:65535",
            "[::1]",
            "[::1]:80",
        ] {
            assert!(loopback_authority(ok), "{ok}");
        }
        for bad in [
            "",
            "localhost:",
            "localhost:65536",
            "localhost.",
            "127.0.0.1.evil",
            "evil.localhost",
            "[::2]",
            "[::1",
            "[::1]x",
            "0.0.0.0",
            "a@127.0.0.1",
        ] {
            assert!(!loopback_authority(bad), "{bad}");
        }
        assert!(loopback_origin("http://localhost:8080") && loopback_origin("https://[::1]"));
        for bad in [
            "null",
            "localhost",
            "http://localhost/",
            "ws://localhost",
            "http://",
        ] {
            assert!(!loopback_origin(bad), "{bad}");
        }
    }
}
