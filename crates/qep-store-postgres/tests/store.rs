//! Runs when `QEP_TEST_POSTGRES_URL` is set (always in CI); otherwise says it skipped.

use qep_store::conformance;
use qep_store_postgres::{PgStore, testdb};

#[tokio::test]
async fn conformance_suite_passes_on_postgres() {
    if std::env::var(testdb::ENV).is_err() {
        eprintln!("skipped: {} is not set", testdb::ENV);
        return;
    }
    for (name, scenario) in conformance::SCENARIOS {
        eprintln!("conformance scenario: {name}");
        let db = testdb::create().await.expect("postgres test database");
        let store = PgStore::connect(&db.url).await.expect("connect");
        scenario(&store).await;
        store.close().await;
        db.drop_database().await;
    }
}

#[tokio::test]
async fn the_audit_log_refuses_updates_and_deletes() {
    let Some(db) = testdb::create().await else {
        eprintln!("skipped: {} is not set", testdb::ENV);
        return;
    };
    let store = PgStore::connect(&db.url).await.expect("connect");
    conformance::audit_log_pages_newest_first(&store).await;
    for sql in ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"] {
        let err = sqlx::query(sql)
            .execute(store.pool())
            .await
            .expect_err("append-only");
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    store.close().await;
    db.drop_database().await;
}
