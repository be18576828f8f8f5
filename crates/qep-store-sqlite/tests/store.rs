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

/// Every row of `store`'s prefecture, as text, table by table.
async fn rows_of(store: &SqliteStore) -> Vec<String> {
    let pool = store.pool();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .expect("tables");
    let mut out = Vec::new();
    for (table,) in tables {
        let columns: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(&table)
                .fetch_all(pool)
                .await
                .expect("columns");
        let key = if table == "prefecture" {
            "id"
        } else {
            "prefecture_id"
        };
        assert!(
            columns.iter().any(|(c,)| c == key),
            "{table} carries its prefecture"
        );
        let row = columns
            .iter()
            .map(|(c,)| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let rows: Vec<(String,)> = sqlx::query_as(&format!(
            "SELECT '{table}:' || {row} FROM \"{table}\" WHERE {key} = $1 ORDER BY 1"
        ))
        .bind(store.prefecture().0)
        .fetch_all(pool)
        .await
        .expect("rows");
        out.extend(rows.into_iter().map(|(r,)| r));
    }
    out
}

#[tokio::test]
async fn two_prefectures_in_one_file_never_see_each_other() {
    let mut paths = Vec::new();
    conformance::two_prefectures_in_one_database(
        || {
            let path = TempDbPath::new();
            let p = path.0.clone();
            paths.push(path);
            async move {
                let home = SqliteStore::open(&p, true).await.expect("open");
                let other = home.for_prefecture(qep_core::ids::PrefectureId(7));
                (home, other)
            }
        },
        |s| Box::pin(rows_of(s)),
    )
    .await;
}
