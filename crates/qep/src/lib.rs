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
use std::time::Duration;

use qep_app::Ctx;
use tokio::net::TcpListener;

/// Serves QeP on an already bound listener until `shutdown` completes (tests bind port 0).
pub async fn serve(
    ctx: Ctx,
    web: qep_web::WebConfig,
    mail: qep_app::mail::MailConfig,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let retention_months = web.retention_months;
    // The prefecture's legal time, for "today" (it is read again whenever sites are).
    ctx.zones().await?;
    let state = qep_web::AppState::new(ctx.clone(), web)?;
    let outbox = tokio::spawn(qep_app::mail::run_outbox(ctx.clone(), mail));
    let purge = tokio::spawn(housekeeping(ctx, retention_months));
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
async fn housekeeping(ctx: Ctx, retention_months: u32) {
    let store = ctx.store();
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let now = ctx.now();
        match store.purge_expired_sessions(now).await {
            Ok(n) if n > 0 => tracing::info!(sessions = n, "expired sessions purged"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "session purge failed"),
        }
        let today = ctx.today();
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
