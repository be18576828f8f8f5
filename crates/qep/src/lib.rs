//! The `qep` binary's library: command line, configuration, backend selection, and the
//! server start-up that the integration tests use too.

pub mod analyze;
pub mod cli;
pub mod config;
pub mod correspondence;
pub mod db;
pub mod demo;
pub mod error;
pub mod imports;
pub mod indicators;
pub mod reports;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use qep_store::Store;
use tokio::net::TcpListener;

/// Serves QeP on an already bound listener until `shutdown` completes (tests bind port 0).
pub async fn serve(
    store: Arc<dyn Store>,
    web: qep_web::WebConfig,
    mail: qep_web::mail::MailConfig,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let retention_months = web.retention_months;
    let state = qep_web::AppState::new(store.clone(), web)?;
    let outbox = tokio::spawn(qep_web::mail::run_outbox(store.clone(), mail));
    let purge = tokio::spawn(housekeeping(store, retention_months));
    let app = qep_web::app(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum_serve(listener, app, shutdown).await;
    purge.abort();
    outbox.abort();
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

/// Hourly: expired sessions are removed, citizens' personal data of items closed more than
/// `retention_months` ago is anonymised, and from 7:00 the day's digest is queued once.
async fn housekeeping(store: Arc<dyn Store>, retention_months: u32) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let now = chrono::Utc::now();
        match store.purge_expired_sessions(now).await {
            Ok(n) if n > 0 => tracing::info!(sessions = n, "expired sessions purged"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "session purge failed"),
        }
        let today = qep_core::time::to_paris(now).date();
        let Some(cutoff) = today.checked_sub_months(chrono::Months::new(retention_months)) else {
            continue;
        };
        match store
            .purge_personal_data(&qep_store::Actor::system(), cutoff)
            .await
        {
            Ok(n) if n > 0 => tracing::info!(items = n, %cutoff, "personal data anonymised"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "personal data purge failed"),
        }
    }
}
