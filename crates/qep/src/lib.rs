//! The `qep` binary's library: command line, configuration, backend selection, and the
//! server start-up that the integration tests use too.

pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod indicators;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use qep_store::Store;
use tokio::net::TcpListener;

/// Serves QeP on an already bound listener until `shutdown` completes (tests bind port 0).
pub async fn serve(
    store: Arc<dyn Store>,
    web: qep_web::WebConfig,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = qep_web::AppState::new(store.clone(), web)?;
    let purge = tokio::spawn(purge_sessions(store));
    let app = qep_web::app(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum_serve(listener, app, shutdown).await;
    purge.abort();
    served
}

async fn axum_serve(
    listener: TcpListener,
    app: axum::extract::connect_info::IntoMakeServiceWithConnectInfo<axum::Router, SocketAddr>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// Expired sessions are removed hourly.
async fn purge_sessions(store: Arc<dyn Store>) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match store.purge_expired_sessions(chrono::Utc::now()).await {
            Ok(n) if n > 0 => tracing::info!(sessions = n, "expired sessions purged"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "session purge failed"),
        }
    }
}
