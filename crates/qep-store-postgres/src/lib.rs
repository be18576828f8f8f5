//! QeP storage on PostgreSQL, for the ministry's national consolidation and for
//! prefectures that prefer a server. The SQL itself is shared with SQLite
//! (`crates/qep-store/sql/`, compiled here as the `sql` module).

use std::time::Duration;

use qep_store::sql::MigrationFile;
use qep_store::{StoreError, StoreResult};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

pub struct PgStore {
    /// Every query is scoped by this prefecture.
    prefecture: qep_core::ids::PrefectureId,
    pool: PgPool,
}

impl PgStore {
    /// How a write transaction begins (see `crates/qep-store/sql/mod.rs`).
    const BEGIN_WRITE: &'static str = "BEGIN";

    /// Connects to `url` (`postgres://…`) and applies pending migrations.
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| StoreError::Backend(format!("connexion PostgreSQL impossible : {e}")))?;
        let store = PgStore {
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
            .map_err(|e| StoreError::Backend(format!("migrations PostgreSQL : {e}")))
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
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn map_err(e: sqlx::Error) -> StoreError {
        match &e {
            // serialization_failure, deadlock_detected, lock_not_available
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("40001" | "40P01" | "55P03")) =>
            {
                StoreError::Busy
            }
            sqlx::Error::PoolTimedOut => StoreError::Busy,
            _ => StoreError::Backend(e.to_string()),
        }
    }
}

// The shared SQL (`crates/qep-store/sql/`), compiled for this backend.
type SqlStore = PgStore;
type Db = sqlx::Postgres;
type DbRow = <Db as sqlx::Database>::Row;
const BACKEND: &str = "postgres";
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

/// Throw-away databases for tests (here and in the binary's integration tests): each test
/// gets its own database on the server named by `QEP_TEST_POSTGRES_URL`, dropped afterwards.
pub mod testdb {
    use sqlx::Connection as _;
    use sqlx::PgConnection;
    use std::sync::atomic::{AtomicU32, Ordering};

    pub const ENV: &str = "QEP_TEST_POSTGRES_URL";

    /// A database of its own for one test, dropped when this guard is dropped (even when
    /// the test panics), or earlier by [`TestDatabase::drop_database`].
    pub struct TestDatabase {
        admin_url: String,
        pub name: String,
        pub url: String,
        dropped: bool,
    }

    /// `None` when `QEP_TEST_POSTGRES_URL` is unset (PostgreSQL tests are then skipped,
    /// except in CI where the variable is always set).
    pub async fn create() -> Option<TestDatabase> {
        let Some(admin_url) = std::env::var(ENV).ok().filter(|s| !s.is_empty()) else {
            // CI always runs the PostgreSQL suites: a missing server is a failure there.
            assert!(
                std::env::var("CI").is_err(),
                "{ENV} must be set in CI (.ci/run starts a PostgreSQL server)"
            );
            return None;
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "qep_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_micros())
                .unwrap_or(0)
        );
        let mut conn = PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("{ENV}={admin_url}: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let _ = conn.close().await;
        let base = match admin_url.split_once('?') {
            Some((base, _)) => base,
            None => admin_url.as_str(),
        };
        let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
        let url = format!("{prefix}/{name}");
        Some(TestDatabase {
            admin_url,
            name,
            url,
            dropped: false,
        })
    }

    async fn drop_now(admin_url: &str, name: &str) {
        if let Ok(mut conn) = PgConnection::connect(admin_url).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
        }
    }

    impl Drop for TestDatabase {
        fn drop(&mut self) {
            if self.dropped {
                return;
            }
            // Drop cannot await, and may run inside the test's runtime: drop the database
            // from a thread with a runtime of its own.
            let (admin_url, name) = (self.admin_url.clone(), std::mem::take(&mut self.name));
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(drop_now(&admin_url, &name));
                }
            })
            .join();
        }
    }

    impl TestDatabase {
        pub async fn drop_database(mut self) {
            drop_now(&self.admin_url, &self.name).await;
            self.dropped = true;
        }
    }
}
