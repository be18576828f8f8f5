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

/// Every row of `store`'s prefecture, as text, table by table.
async fn rows_of(store: &PgStore) -> Vec<String> {
    let pool = store.pool();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_name <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .expect("tables");
    let mut out = Vec::new();
    for (table,) in tables {
        let key = if table == "prefecture" {
            "id"
        } else {
            "prefecture_id"
        };
        let rows: Vec<(String,)> = sqlx::query_as(&format!(
            "SELECT '{table}:' || t::text FROM \"{table}\" t WHERE {key} = $1 ORDER BY 1"
        ))
        .bind(store.prefecture().0)
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("{table} carries its prefecture: {e}"));
        out.extend(rows.into_iter().map(|(r,)| r));
    }
    out
}

#[tokio::test]
async fn two_prefectures_in_one_database_never_see_each_other() {
    // Outside CI without a server: skipped, and said so; in CI, create() fails.
    let Some(probe) = testdb::create().await else {
        eprintln!("skipped: {} is not set", testdb::ENV);
        return;
    };
    probe.drop_database().await;
    // The databases live until the end of the test (their guards drop them).
    let dbs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    conformance::two_prefectures_in_one_database(
        || {
            let dbs = dbs.clone();
            async move {
                let db = testdb::create().await.expect("postgres test database");
                let home = PgStore::connect(&db.url).await.expect("connect");
                dbs.lock().expect("lock").push(db);
                let other = home.for_prefecture(qep_core::ids::PrefectureId(7));
                (home, other)
            }
        },
        |s| Box::pin(rows_of(s)),
    )
    .await;
}
