use qep_store::conformance;
use qep_store::prelude::*;
use qep_store_sqlite::SqliteStore;
use qep_store_sqlite::testdb::TempDbPath;

#[tokio::test]
async fn conformance_suite_passes_on_sqlite() {
    let mut paths = Vec::new();
    conformance::run_all(|| {
        let path = TempDbPath::new();
        let p = path.0.clone();
        paths.push(path);
        async move {
            SqliteStore::open(&p, true)
                .await
                .expect("open fresh sqlite")
        }
    })
    .await;
}

#[tokio::test]
async fn runs_in_wal_mode_with_foreign_keys() {
    let path = TempDbPath::new();
    let store = SqliteStore::open(&path.0, true).await.expect("open");
    assert_eq!(store.journal_mode().await.expect("pragma"), "wal");
    let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .expect("pragma");
    assert_eq!(fk, 1);
}

#[tokio::test]
async fn a_missing_file_is_not_created_unless_asked() {
    let path = TempDbPath::new();
    assert!(SqliteStore::open(&path.0, false).await.is_err());
    assert!(!path.0.exists(), "no empty database may be left behind");
}

#[tokio::test]
async fn the_audit_log_refuses_updates_and_deletes() {
    let path = TempDbPath::new();
    let store = SqliteStore::open(&path.0, true).await.expect("open");
    conformance::audit_log_pages_newest_first(&store).await;
    for sql in ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"] {
        let err = sqlx::query(sql)
            .execute(store.pool())
            .await
            .expect_err("append-only");
        assert!(err.to_string().contains("append-only"), "{err}");
    }
}

#[tokio::test]
async fn reopening_applies_no_migration_twice() {
    let path = TempDbPath::new();
    let store = SqliteStore::open(&path.0, true).await.expect("open");
    conformance::prefecture_lifecycle(&store).await;
    store.close().await;
    let again = SqliteStore::open(&path.0, false).await.expect("reopen");
    assert!(again.find_prefecture().await.expect("read").is_some());
}
