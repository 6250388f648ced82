//! A loopback static server for `dist/`; the demo adds `demo.json`, which pre-fills the
//! playground with the emulator's URL and demo credentials. `dist/` is also served under
//! [`SUB_PATH`], so the tests can check that the site works from a sub-path of a host.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::http::header;
use axum::routing::get;
use axum::Router;
use tokio::sync::oneshot;
use tower_http::services::ServeDir;

/// A second mount point of `dist/`, as on a static host that serves it from a folder.
pub const SUB_PATH: &str = "/some/path/";

pub struct Site {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Site {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

pub async fn start(
    dir: PathBuf,
    demo: Option<serde_json::Value>,
    addr: SocketAddr,
) -> std::io::Result<Site> {
    let mut app = Router::new();
    if let Some(config) = demo {
        let body = config.to_string();
        app = app.route(
            "/demo.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], body) }),
        );
    }
    let app = app
        .nest_service(SUB_PATH.trim_end_matches('/'), ServeDir::new(&dir))
        .fallback_service(ServeDir::new(dir));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(Site { addr, stop, task })
}
