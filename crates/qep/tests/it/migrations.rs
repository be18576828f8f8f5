//! The two backends' migrations must stay in step.

use std::collections::BTreeSet;
use std::path::Path;

fn files(dir: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(dir)
        .join("migrations");
    let mut names: Vec<String> = std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    names
}

#[test]
fn both_backends_have_the_same_migrations_and_embed_them_all() {
    let sqlite = files("qep-store-sqlite");
    let postgres = files("qep-store-postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "migrations differ between SQLite and PostgreSQL"
    );
    let embedded = |list: &[qep_store::sql::MigrationFile]| -> Vec<String> {
        list.iter().map(|m| m.file_name.to_owned()).collect()
    };
    assert_eq!(
        embedded(qep_store_sqlite::MIGRATIONS),
        sqlite,
        "SQLite embeds every file"
    );
    assert_eq!(
        embedded(qep_store_postgres::MIGRATIONS),
        postgres,
        "PostgreSQL embeds every file"
    );
    for name in &sqlite {
        assert!(
            qep_store::sql::migration_version(name).is_some(),
            "{name}: NNNN_description.sql"
        );
    }
}

#[tokio::test]
async fn both_backends_create_the_same_tables_and_columns() {
    let Some(db) = qep_store_postgres::testdb::create().await else {
        eprintln!("skipped: QEP_TEST_POSTGRES_URL is not set");
        return;
    };
    let pg = qep_store_postgres::PgStore::connect(&db.url)
        .await
        .expect("pg");
    let tmp = qep_store_sqlite::testdb::TempDbPath::new();
    let lite = qep_store_sqlite::SqliteStore::open(&tmp.0, true)
        .await
        .expect("sqlite");

    let pg_cols: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pg.pool())
    .await
    .expect("pg columns");
    let lite_cols: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
    )
    .fetch_all(lite.pool())
    .await
    .expect("sqlite columns");
    let pg_set: BTreeSet<_> = pg_cols.into_iter().collect();
    let lite_set: BTreeSet<_> = lite_cols.into_iter().collect();
    assert_eq!(lite_set, pg_set, "schemas differ");
    pg.close().await;
    db.drop_database().await;
}
