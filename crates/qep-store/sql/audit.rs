//! The append-only audit log: the SQL behind [`qep_store::AuditStore`], shared by both backends.

use crate::{Db, SqlStore};

#[async_trait::async_trait]
impl qep_store::AuditStore for SqlStore {
    async fn data_version(&self) -> qep_store::StoreResult<i64> {
        let (version,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(id) FROM audit_log WHERE prefecture_id = $1")
                .bind(self.p())
                .fetch_one(self.pool())
                .await
                .map_err(Self::map_err)?;
        Ok(version.unwrap_or(0))
    }

    async fn list_audit(
        &self,
        limit: u32,
        before: Option<i64>,
    ) -> qep_store::StoreResult<Vec<qep_store::AuditEntry>> {
        let rows: Vec<(
            i64,
            chrono::DateTime<chrono::Utc>,
            Option<i64>,
            String,
            String,
            String,
            String,
        )> = sqlx::query_as(
            "SELECT id, at, actor_id, actor, action, target, detail FROM audit_log \
             WHERE prefecture_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(self.p())
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)?;
        Ok(rows
            .into_iter()
            .map(|r| qep_store::AuditEntry {
                id: r.0,
                at: r.1,
                actor_id: r.2.map(qep_core::ids::UserId),
                actor: r.3,
                action: r.4,
                target: r.5,
                detail: r.6,
            })
            .collect())
    }
}

impl SqlStore {
    /// Ends a write: its audit entry, then the commit. The one way most operations finish,
    /// so that no change is committed without saying who made it.
    pub(crate) async fn commit_audited(
        &self,
        mut tx: sqlx::Transaction<'static, Db>,
        actor: &qep_store::Actor,
        action: &str,
        target: String,
        detail: String,
    ) -> qep_store::StoreResult<()> {
        self.audit_tx(&mut tx, actor, action, target, detail)
            .await?;
        Self::commit(tx).await
    }

    /// Writes the audit entry of a change made in `tx` (operations that audit
    /// conditionally, or more than once, call this and commit themselves).
    pub(crate) async fn audit_tx(
        &self,
        tx: &mut sqlx::Transaction<'_, Db>,
        actor: &qep_store::Actor,
        action: &str,
        target: String,
        detail: String,
    ) -> qep_store::StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (prefecture_id, at, actor_id, actor, action, target, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(self.p())
        .bind(chrono::Utc::now())
        .bind(actor.user_id.map(|u| u.0))
        .bind(&actor.label)
        .bind(action)
        .bind(target)
        .bind(qep_store::sql::clip(detail))
        .execute(&mut **tx)
        .await
        .map_err(Self::map_err)?;
        Ok(())
    }
}
