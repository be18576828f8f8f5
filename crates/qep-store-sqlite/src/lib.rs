//! QeP storage on SQLite, the default for one prefecture: one file, WAL journal, busy
//! timeout. The SQL itself is shared with PostgreSQL (`crates/qep-store/sql/`, compiled here as the `sql` module).

use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use qep_store::sql::MigrationFile;
use qep_store::{StoreError, StoreResult};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub struct SqliteStore {
    /// Every query is scoped by this prefecture.
    prefecture: qep_core::ids::PrefectureId,
    pool: SqlitePool,
}

/// How long a writer waits for another one before giving up with [`StoreError::Busy`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl SqliteStore {
    /// How a write transaction begins (see `crates/qep-store/sql/mod.rs`).
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";

    /// Opens the database file at `path`, creating it only when `create` is set, and
    /// applies pending migrations.
    pub async fn open(path: &Path, create: bool) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(Self::map_err)?
            .filename(path)
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Backend(format!("{} : {e}", path.display())))?;
        let store = SqliteStore {
            prefecture: qep_core::ids::PrefectureId::HOME,
            pool,
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        qep_store::sql_migrator!(MIGRATIONS)?
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migrations SQLite : {e}")))
    }

    /// The journal mode actually in force (tests check it is `wal`).
    pub async fn journal_mode(&self) -> StoreResult<String> {
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&self.pool)
            .await
            .map_err(Self::map_err)?;
        Ok(mode)
    }

    /// The same database, scoped to another prefecture (a national or shared instance).
    pub fn for_prefecture(&self, prefecture: qep_core::ids::PrefectureId) -> Self {
        Self {
            prefecture,
            pool: self.pool.clone(),
        }
    }

    /// The prefecture every query of this store is scoped by.
    pub fn prefecture(&self) -> qep_core::ids::PrefectureId {
        self.prefecture
    }

    /// Direct pool access for backend-specific tests and tools.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn map_err(e: sqlx::Error) -> StoreError {
        match &e {
            // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
            sqlx::Error::Database(db)
                if db
                    .code()
                    .and_then(|c| c.parse::<i32>().ok())
                    .is_some_and(|c| matches!(c & 0xff, 5 | 6)) =>
            {
                StoreError::Busy
            }
            sqlx::Error::PoolTimedOut => StoreError::Busy,
            _ => StoreError::Backend(e.to_string()),
        }
    }
}

// The shared SQL (`crates/qep-store/sql/`), compiled for this backend.
type SqlStore = SqliteStore;
type Db = sqlx::Sqlite;
type DbRow = <Db as sqlx::Database>::Row;
const BACKEND: &str = "sqlite";
#[path = "../../qep-store/sql/mod.rs"]
mod sql;

/// Every migration of this backend, in order. Same file names as the other backend's.
pub const MIGRATIONS: &[MigrationFile] = qep_store::migration_files![
    "0001_foundation.sql",
    "0002_site_calendars.sql",
    "0003_indicators.sql",
    "0004_correspondence.sql",
    "0005_mail.sql",
    "0006_sampling.sql",
    "0007_log_registers.sql",
    "0008_job_runs.sql",
    "0009_trainings.sql",
    "0010_attachments.sql",
    "0011_imported_facts.sql",
    "0012_report_texts.sql",
    "0013_site_time_zones.sql",
    "0014_jobs_and_senders.sql",
    "0015_prefecture_keys.sql"
];

/// Throw-away database files for tests (here and in the binary's integration tests).
pub mod testdb {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A unique path under the system temp dir; the file and its WAL companions are removed
    /// on drop.
    pub struct TempDbPath(pub PathBuf);

    impl TempDbPath {
        pub fn new() -> TempDbPath {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            TempDbPath(
                std::env::temp_dir()
                    .join(format!("qep-test-{}-{n}-{nanos}.db", std::process::id())),
            )
        }
    }

    impl Default for TempDbPath {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Drop for TempDbPath {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = self.0.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
    }
}
