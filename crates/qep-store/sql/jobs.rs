//! Durable jobs under leases, and the older once-a-day job runs: the SQL behind [`qep_store::JobStore`], shared by both backends.

use crate::SqlStore;

#[async_trait::async_trait]
impl qep_store::JobStore for SqlStore {
    async fn schedule_job(
        &self,
        kind: &str,
        key: &str,
        run_after: chrono::DateTime<chrono::Utc>,
    ) -> qep_store::StoreResult<bool> {
        let now = chrono::Utc::now();
        let r = sqlx::query(
            "INSERT INTO jobs (kind, key, state, run_after, created_at, updated_at, prefecture_id) \
             VALUES ($1, $2, 'queued', $3, $4, $4, $5) \
             ON CONFLICT (prefecture_id, kind, key) DO NOTHING",
        )
        .bind(kind)
        .bind(key)
        .bind(run_after)
        .bind(now)
        .bind(self.p())
        .execute(self.pool())
        .await
        .map_err(Self::map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn start_job(
        &self,
        kind: &str,
        key: &str,
        owner: &str,
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
    ) -> qep_store::StoreResult<qep_core::ids::JobId> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO jobs (kind, key, state, run_after, attempts, lease_owner, \
             lease_until, created_at, updated_at, prefecture_id) \
             VALUES ($1, $2, 'running', $3, 1, $4, $5, $3, $3, $6) RETURNING id",
        )
        .bind(kind)
        .bind(key)
        .bind(now)
        .bind(owner)
        .bind(lease_until)
        .bind(self.p())
        .fetch_one(self.pool())
        .await
        .map_err(|e| Self::violation(e, qep_store::sql::OnViolation::GENERIC))?;
        Ok(qep_core::ids::JobId(id))
    }

    async fn renew_job(
        &self,
        id: qep_core::ids::JobId,
        owner: &str,
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
    ) -> qep_store::StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET lease_until = $1, updated_at = $2 \
             WHERE id = $3 AND lease_owner = $4 AND state = 'running' AND prefecture_id = $5",
        )
        .bind(lease_until)
        .bind(now)
        .bind(id.0)
        .bind(owner)
        .bind(self.p())
        .execute(self.pool())
        .await
        .map_err(Self::map_err)?;
        Ok(())
    }

    async fn claim_job(
        &self,
        kinds: &[&str],
        owner: &str,
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
    ) -> qep_store::StoreResult<Option<qep_store::Job>> {
        if kinds.is_empty() {
            return Ok(None);
        }
        let sql = format!(
            "UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $2, \
             attempts = attempts + 1, updated_at = $3 \
             WHERE id = (SELECT id FROM jobs WHERE prefecture_id = $4 AND state = 'queued' \
               AND run_after <= $3 AND kind IN ({}) ORDER BY run_after, id LIMIT 1) \
             AND state = 'queued' RETURNING {}",
            qep_store::sql::placeholders(5, kinds.len()),
            qep_store::sql::JOB_COLUMNS
        );
        let mut q = sqlx::query_as::<_, qep_store::sql::JobRow>(&sql)
            .bind(owner)
            .bind(lease_until)
            .bind(now)
            .bind(self.p());
        for k in kinds {
            q = q.bind(*k);
        }
        let row = q.fetch_optional(self.pool()).await.map_err(Self::map_err)?;
        row.map(qep_store::sql::job_from_row).transpose()
    }

    async fn finish_job(
        &self,
        id: qep_core::ids::JobId,
        owner: &str,
        now: chrono::DateTime<chrono::Utc>,
        outcome: &qep_store::JobOutcome,
    ) -> qep_store::StoreResult<()> {
        let (state, run_after, error, detail) = match outcome {
            qep_store::JobOutcome::Done(detail) => ("done", None, None, detail.clone()),
            qep_store::JobOutcome::Failed {
                error,
                retry_at: Some(at),
            } => ("queued", Some(*at), Some(error.clone()), String::new()),
            qep_store::JobOutcome::Failed {
                error,
                retry_at: None,
            } => ("failed", None, Some(error.clone()), String::new()),
        };
        sqlx::query(
            "UPDATE jobs SET state = $1, run_after = COALESCE($2, run_after), \
             last_error = $3, detail = CASE WHEN $4 = '' THEN detail ELSE $4 END, \
             lease_owner = NULL, lease_until = NULL, updated_at = $5 \
             WHERE id = $6 AND lease_owner = $7 AND prefecture_id = $8",
        )
        .bind(state)
        .bind(run_after)
        .bind(error.map(qep_store::sql::clip))
        .bind(qep_store::sql::clip(detail))
        .bind(now)
        .bind(id.0)
        .bind(owner)
        .bind(self.p())
        .execute(self.pool())
        .await
        .map_err(Self::map_err)?;
        Ok(())
    }

    async fn expire_jobs(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        retry_kinds: &[&str],
        reason: &str,
    ) -> qep_store::StoreResult<u64> {
        let mut tx = self.begin().await?;
        let mut n = 0;
        for retry in [true, false] {
            let kinds = if retry_kinds.is_empty() {
                "''".to_owned()
            } else {
                qep_store::sql::placeholders(5, retry_kinds.len())
            };
            let sql = format!(
                "UPDATE jobs SET state = $1, last_error = $2, lease_owner = NULL, \
                 lease_until = NULL, updated_at = $3 \
                 WHERE prefecture_id = $4 AND state = 'running' AND lease_until < $3 \
                 AND kind {} IN ({kinds})",
                if retry { "" } else { "NOT" }
            );
            let mut q = sqlx::query(&sql)
                .bind(if retry { "queued" } else { "failed" })
                .bind(reason)
                .bind(now)
                .bind(self.p());
            for k in retry_kinds {
                q = q.bind(*k);
            }
            n += q
                .execute(&mut *tx)
                .await
                .map_err(Self::map_err)?
                .rows_affected();
        }
        Self::commit(tx).await?;
        Ok(n)
    }

    async fn list_jobs(&self, limit: u32) -> qep_store::StoreResult<Vec<qep_store::Job>> {
        let rows: Vec<qep_store::sql::JobRow> = sqlx::query_as(&format!(
            "SELECT {} FROM jobs WHERE prefecture_id = $2 ORDER BY updated_at DESC, id DESC LIMIT $1",
            qep_store::sql::JOB_COLUMNS
        ))
        .bind(i64::from(limit))
        .bind(self.p())
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)?;
        rows.into_iter().map(qep_store::sql::job_from_row).collect()
    }

    async fn claim_job_run(
        &self,
        job: &str,
        day: chrono::NaiveDate,
    ) -> qep_store::StoreResult<bool> {
        let r = sqlx::query(
            "INSERT INTO job_runs (job, day, at, prefecture_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (prefecture_id, job, day) DO NOTHING",
        )
        .bind(job)
        .bind(day)
        .bind(chrono::Utc::now())
        .bind(self.p())
        .execute(self.pool())
        .await
        .map_err(Self::map_err)?;
        Ok(r.rows_affected() == 1)
    }
}
