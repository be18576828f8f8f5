//! The SQL both backends run, written once as ordinary Rust modules, one per context.
//!
//! Each backend crate compiles these files as its own `sql` module (`#[path]`), after
//! defining `SqlStore` (its store type), `Db` (its `sqlx::Database`), `DbRow`, `BACKEND`,
//! and the inherent `pool()`, `map_err()` and `BEGIN_WRITE`. So the statements exist once
//! and are type-checked against each backend's sqlx driver; sqlx's per-type encode and
//! decode bounds cannot be implied by one generic trait bound, and a generic version would
//! repeat some twenty `where` clauses on every function.
//!
//! SQLite and PostgreSQL accept the same statements here (`$n` placeholders, `RETURNING`,
//! `ON CONFLICT`); what differs is the column types chosen in each backend's migrations
//! (TEXT vs TIMESTAMPTZ, INTEGER vs BOOLEAN), which sqlx maps to the same Rust types.

mod accounts;
mod audit;
mod documents;
mod imports;
mod indicators;
mod jobs;
mod mail;
mod prefecture;
mod registers;

use crate::{BACKEND, Db, SqlStore};

#[async_trait::async_trait]
impl qep_store::Store for SqlStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn ping(&self) -> qep_store::StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(self.pool())
            .await
            .map_err(Self::map_err)?;
        Ok(())
    }
}

impl SqlStore {
    /// Every write transaction starts with the backend's `BEGIN_WRITE`: on SQLite
    /// `BEGIN IMMEDIATE`, so that a read-then-write transaction takes the write lock
    /// at once and waits its turn (busy timeout) instead of failing as "busy" when
    /// another writer commits first.
    pub(crate) async fn begin(&self) -> qep_store::StoreResult<sqlx::Transaction<'static, Db>> {
        self.pool()
            .begin_with(Self::BEGIN_WRITE)
            .await
            .map_err(Self::map_err)
    }

    pub(crate) async fn commit(tx: sqlx::Transaction<'static, Db>) -> qep_store::StoreResult<()> {
        tx.commit().await.map_err(Self::map_err)
    }

    pub(crate) fn violation(
        e: sqlx::Error,
        on: qep_store::sql::OnViolation,
    ) -> qep_store::StoreError {
        // sqlx derives these kinds from each backend's own error codes.
        if let sqlx::Error::Database(db) = &e {
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => return on.unique,
                sqlx::error::ErrorKind::ForeignKeyViolation => return on.foreign_key,
                _ => {}
            }
        }
        Self::map_err(e)
    }
}

impl SqlStore {
    /// The prefecture this store is scoped by, as bound in every statement.
    pub(crate) fn p(&self) -> i64 {
        self.prefecture.0
    }
}
