//! Durable jobs: what QeP does on its own, recorded in the store so that it happens once
//! whatever the number of processes, survives restarts and shows on the jobs page.
//!
//! - **digest**: the morning digest of a day, queued to run from 07:00 at the main site
//!   (its legal time), once per day; its messages are queued all or nothing.
//! - **retention**: hourly, citizens' personal data of items closed more than
//!   `retention_months` ago is anonymised (`docs/REGISTERS.md`).
//! - **sessions**: hourly, expired sessions are removed.
//! - **import**: a web statistics import, recorded while it runs; one interrupted by a
//!   restart (its lease ran out) is reported failed, and nothing of it was written (imports
//!   are one transaction).
//!
//! Every `interval` the scheduler queues what is due (one (kind, key) exists once, so two
//! processes queue a job once), requeues jobs whose process died, and runs what it can
//! claim (a lease, taken with one `UPDATE … RETURNING`). A failed run is retried after 1,
//! 2, 4… minutes, 5 times.

use std::time::Duration;

use chrono::{DateTime, NaiveTime, Utc};
use qep_store::{Actor, Job, JobOutcome, StoreResult};

use crate::Ctx;

/// The kinds the scheduler runs (imports run where they were started).
pub const SCHEDULED: [&str; 3] = ["digest", "retention", "sessions"];
/// When the morning digest is queued, at the main site.
pub const DIGEST_TIME: NaiveTime = match NaiveTime::from_hms_opt(7, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};
/// How long a claimed job is kept from other processes.
pub const LEASE: chrono::Duration = chrono::Duration::minutes(10);
const MAX_ATTEMPTS: u32 = 5;

#[derive(Debug, Clone)]
pub struct JobsConfig {
    pub interval: Duration,
    /// Months citizens' personal data is kept after an item is closed.
    pub retention_months: u32,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            interval: Duration::from_secs(60),
            retention_months: 12,
        }
    }
}

/// This process's name in leases: host-independent, unique per start.
pub fn owner() -> String {
    static OWNER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    OWNER
        .get_or_init(|| format!("qep-{}-{:08x}", std::process::id(), rand::random::<u32>()))
        .clone()
}

/// Queues what is due now; returns how many jobs were added.
pub async fn schedule(ctx: &Ctx) -> StoreResult<usize> {
    let store = ctx.store();
    let now = ctx.now();
    let zone = ctx.zones().await?.prefecture;
    let local = qep_core::time::local(now, zone);
    let mut added = 0;
    let digest_at = qep_core::time::to_utc(local.date().and_time(DIGEST_TIME), zone);
    added += usize::from(
        store
            .schedule_job("digest", &local.date().to_string(), digest_at)
            .await?,
    );
    let hour = local.format("%Y-%m-%dT%H").to_string();
    for kind in ["retention", "sessions"] {
        added += usize::from(store.schedule_job(kind, &hour, now).await?);
    }
    Ok(added)
}

/// One scheduler pass: queue, recover, run. Returns the jobs run.
pub async fn tick(ctx: &Ctx, config: &JobsConfig) -> StoreResult<Vec<Job>> {
    schedule(ctx).await?;
    let store = ctx.store();
    let recovered = store
        .expire_jobs(
            ctx.now(),
            &SCHEDULED,
            "interrompue : le processus qui l'exécutait s'est arrêté",
        )
        .await?;
    if recovered > 0 {
        tracing::warn!(jobs = recovered, "jobs of a stopped process recovered");
    }
    let owner = owner();
    let mut ran = Vec::new();
    // A bounded pass: what is left waits for the next tick.
    for _ in 0..20 {
        let now = ctx.now();
        let Some(job) = store
            .claim_job(&SCHEDULED, &owner, now, now + LEASE)
            .await?
        else {
            break;
        };
        let outcome = match run(ctx, config, &job).await {
            Ok(detail) => JobOutcome::Done(detail),
            Err(e) => {
                tracing::warn!(kind = %job.kind, key = %job.key, error = %e, "job failed");
                JobOutcome::Failed {
                    error: e.to_string(),
                    retry_at: (job.attempts < MAX_ATTEMPTS)
                        .then(|| ctx.now() + chrono::Duration::minutes(1 << job.attempts.min(10))),
                }
            }
        };
        store
            .finish_job(job.id, &owner, ctx.now(), &outcome)
            .await?;
        ran.push(job);
    }
    Ok(ran)
}

async fn run(ctx: &Ctx, config: &JobsConfig, job: &Job) -> StoreResult<String> {
    let store = ctx.store();
    match job.kind.as_str() {
        "digest" => {
            let day = chrono::NaiveDate::parse_from_str(&job.key, "%Y-%m-%d")
                .map_err(|e| qep_store::StoreError::Corrupt(format!("tâche {} : {e}", job.key)))?;
            let queued = crate::mail::digest_of(ctx, day).await?;
            Ok(format!("{queued} message(s) mis en file"))
        }
        "retention" => {
            let today = ctx.today();
            let Some(cutoff) =
                today.checked_sub_months(chrono::Months::new(config.retention_months))
            else {
                return Ok("rien à faire".into());
            };
            let n = store.purge_personal_data(&Actor::system(), cutoff).await?;
            Ok(format!(
                "{n} élément(s) clos avant le {cutoff} anonymisé(s)"
            ))
        }
        "sessions" => {
            let n = store.purge_expired_sessions(ctx.now()).await?;
            Ok(format!("{n} session(s) expirée(s) supprimée(s)"))
        }
        other => Ok(format!("type de tâche inconnu « {other} » : ignorée")),
    }
}

/// Runs the scheduler every `config.interval` for as long as the server runs.
pub async fn run_scheduler(ctx: Ctx, config: JobsConfig) {
    let mut tick_every = tokio::time::interval(config.interval);
    tick_every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick_every.tick().await;
        if let Err(e) = tick(&ctx, &config).await {
            tracing::warn!(error = %e, "job scheduler pass failed");
        }
    }
}

/// A running import, recorded as a job with a lease renewed while it runs.
pub struct RunningJob {
    pub id: qep_core::ids::JobId,
    owner: String,
}

/// How often a running import renews its lease, and how long a lease lasts: an import
/// whose process died is reported failed within a few minutes.
pub const HEARTBEAT: Duration = Duration::from_secs(30);
const RUNNING_LEASE: chrono::Duration = chrono::Duration::minutes(3);

pub async fn start(ctx: &Ctx, kind: &str, key: &str) -> StoreResult<RunningJob> {
    let owner = owner();
    let now = ctx.now();
    let id = ctx
        .store
        .start_job(kind, key, &owner, now, now + RUNNING_LEASE)
        .await?;
    Ok(RunningJob { id, owner })
}

impl RunningJob {
    /// The handle of a job this process started (for a heartbeat task).
    pub fn resume(id: qep_core::ids::JobId) -> RunningJob {
        RunningJob { id, owner: owner() }
    }

    pub async fn heartbeat(&self, ctx: &Ctx) -> StoreResult<()> {
        let now = ctx.now();
        ctx.store
            .renew_job(self.id, &self.owner, now, now + RUNNING_LEASE)
            .await
    }

    pub async fn finish(self, ctx: &Ctx, outcome: Result<String, String>) -> StoreResult<()> {
        let outcome = match outcome {
            Ok(detail) => JobOutcome::Done(detail),
            Err(error) => JobOutcome::Failed {
                error,
                retry_at: None,
            },
        };
        ctx.store
            .finish_job(self.id, &self.owner, ctx.now(), &outcome)
            .await
    }
}

/// When a job ran or will run, for the jobs page.
pub fn when(t: DateTime<Utc>, ctx: &Ctx) -> String {
    qep_core::time::format_local(t, ctx.zone())
}
