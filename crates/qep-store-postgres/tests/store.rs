//! Runs when `QEP_TEST_POSTGRES_URL` is set; outside CI, says it skipped; in CI, fails
//! without it.

use qep_store::conformance;
use qep_store_postgres::{PgStore, testdb};

#[tokio::test]
async fn conformance_suite_passes_on_postgres() {
    for (name, scenario) in conformance::SCENARIOS {
        // Outside CI without a server: skipped, and said so; in CI, create() fails.
        let Some(db) = testdb::create().await else {
            eprintln!("skipped: {} is not set", testdb::ENV);
            return;
        };
        eprintln!("conformance scenario: {name}");
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
