//! The jobs page: what QeP does on its own (morning digest, retention, session purge,
//! imports) and the outbox, for the quality lead and the IT team.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use qep_store::{Job, JobState};
use serde::Serialize;

use crate::AppState;
use crate::auth::AdminUser;
use crate::error::WebError;
use crate::render::{RequestContext, page, ser};

const SHOWN: u32 = 100;

/// What a job kind is, for people.
fn kind_label(kind: &str) -> &str {
    match kind {
        "digest" => "Récapitulatif du matin",
        "retention" => "Anonymisation des données personnelles",
        "sessions" => "Suppression des sessions expirées",
        "import" => "Import de statistiques",
        other => other,
    }
}

/// One row of the jobs table.
#[derive(Serialize)]
struct JobRow {
    kind: String,
    key: String,
    state: &'static str,
    /// `queued`, `running`, `done`, `failed`: the badge's colour.
    state_code: &'static str,
    run_after: String,
    attempts: u32,
    /// Retried after a failure: queued again with an error kept.
    retried: bool,
    error: Option<String>,
    detail: String,
    updated: String,
}

#[derive(Serialize)]
struct JobsView {
    jobs: Vec<JobRow>,
    outbox_waiting: u64,
    outbox_given_up: u64,
}

fn row(job: Job, state: &AppState) -> JobRow {
    JobRow {
        kind: kind_label(&job.kind).to_owned(),
        key: job.key,
        state: job.state.label(),
        state_code: job.state.as_str(),
        run_after: qep_app::jobs::when(job.run_after, &state.app),
        attempts: job.attempts,
        retried: job.state == JobState::Queued && job.last_error.is_some(),
        error: job.last_error,
        detail: job.detail,
        updated: qep_app::jobs::when(job.updated_at, &state.app),
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
) -> Result<Response, WebError> {
    let jobs = state.store.list_jobs(SHOWN).await?;
    let (outbox_waiting, outbox_given_up) = state.store.outbox_counts().await?;
    let view = JobsView {
        jobs: jobs.into_iter().map(|j| row(j, &state)).collect(),
        outbox_waiting,
        outbox_given_up,
    };
    page(
        &state,
        &ctx,
        "admin/jobs.html",
        StatusCode::OK,
        context! { view => ser(&view) },
    )
    .await
}
