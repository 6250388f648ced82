//! `--tls` ([`crate::Config::tls`]): HTTPS and `wss:` on loopback, for pages served over
//! `https:` (which may not open `ws:`). A self-signed certificate for `127.0.0.1`, `::1` and
//! `localhost` is made at start (`rcgen`), written next to the system's temporary files so a
//! browser or client can be told to trust it, and served with rustls (the `ring` provider).
//! Each connection's TLS handshake runs in its own task, so a slow client delays nobody.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a client may take over its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The certificate a `--tls` emulator serves.
#[derive(Clone, Debug)]
pub struct TlsCertificate {
    /// Where its PEM was written (`<temp dir>/bedrock-emulator-<port>.pem`).
    pub path: PathBuf,
    /// SHA-256 of its DER, uppercase hex pairs joined by `:` (as browsers show it).
    pub sha256_fingerprint: String,
    /// The certificate, PEM.
    pub pem: String,
    /// The certificate, DER (for a client's root store).
    pub der: Vec<u8>,
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// A fresh self-signed certificate and the rustls configuration that serves it (HTTP/1.1
/// and HTTP/2 by ALPN; WebSockets use HTTP/1.1).
pub(crate) fn self_signed(port: u16) -> io::Result<(TlsCertificate, Arc<ServerConfig>)> {
    let names = ["127.0.0.1", "::1", "localhost"].map(String::from).to_vec();
    let certified = rcgen::generate_simple_self_signed(names).map_err(other)?;
    let der = certified.cert.der().to_vec();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(other)?
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(der.clone())], key)
            .map_err(other)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let pem = certified.cert.pem();
    let path = std::env::temp_dir().join(format!("bedrock-emulator-{port}.pem"));
    std::fs::write(&path, &pem)?;
    let sha256_fingerprint = Sha256::digest(&der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    Ok((
        TlsCertificate {
            path,
            sha256_fingerprint,
            pem,
            der,
        },
        Arc::new(config),
    ))
}

/// Accepted TCP connections, each handed out once its TLS handshake is done.
pub(crate) struct TlsListener {
    rx: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    addr: SocketAddr,
}

impl TlsListener {
    pub(crate) fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> io::Result<Self> {
        let addr = tcp.local_addr()?;
        let (tx, rx) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    a = tcp.accept() => a,
                    // The server is gone: stop listening.
                    _ = tx.closed() => return,
                };
                let Ok((stream, peer)) = accepted else {
                    // Out of file descriptors and the like: wait a little, as axum does.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    if let Ok(Ok(tls)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    {
                        let _ = tx.send((tls, peer)).await;
                    }
                });
            }
        });
        Ok(TlsListener { rx, addr })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(accepted) => accepted,
            // The accept loop only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.addr)
    }
}
