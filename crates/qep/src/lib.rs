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

use qep_app::Ctx;
use tokio::net::TcpListener;

/// Serves QeP on an already bound listener until `shutdown` completes (tests bind port 0):
/// the web application, the outbox and the job scheduler.
pub async fn serve(
    ctx: Ctx,
    web: qep_web::WebConfig,
    mail: qep_app::mail::MailConfig,
    jobs: qep_app::jobs::JobsConfig,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // The prefecture's legal time, for "today" (it is read again whenever sites are).
    ctx.zones().await?;
    let orphans = qep_web::remove_orphan_uploads();
    if orphans > 0 {
        tracing::info!(files = orphans, "orphan uploads of a previous run removed");
    }
    let state = qep_web::AppState::new(ctx.clone(), web)?;
    let outbox = tokio::spawn(qep_app::mail::run_outbox(ctx.clone(), mail));
    let scheduler = tokio::spawn(qep_app::jobs::run_scheduler(ctx, jobs));
    let app = qep_web::app(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum_serve(listener, app, shutdown).await;
    scheduler.abort();
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
