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

/// One schema, described the same way for both backends so that the two can be compared:
/// lines such as `column sites.name TEXT NOT NULL DEFAULT -`,
/// `foreign services (prefecture_id, site_id) -> sites (prefecture_id, id) ON DELETE NO ACTION`.
type Schema = BTreeSet<String>;

/// The SQLite column type each PostgreSQL type is stored as (one representation each for
/// dates, times, booleans and ids, which sqlx maps to the same Rust types).
fn sqlite_type_of(pg: &str) -> &'static str {
    match pg {
        "text" | "timestamp with time zone" | "date" => "TEXT",
        "bigint" | "integer" | "smallint" | "boolean" => "INTEGER",
        "double precision" | "real" => "REAL",
        "bytea" => "BLOB",
        other => panic!("PostgreSQL type {other} has no SQLite counterpart here"),
    }
}

/// Defaults written the same way: `''::text` and `''`, `true` and `1`.
fn default_of(raw: Option<&str>) -> String {
    let Some(raw) = raw else { return "-".into() };
    let value = raw.split("::").next().unwrap_or(raw).trim();
    match value {
        "true" => "1".into(),
        "false" => "0".into(),
        "NULL" => "-".into(),
        v => v.to_owned(),
    }
}

async fn sqlite_schema(pool: &sqlx::SqlitePool) -> Schema {
    let mut schema = Schema::new();
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("tables");
    for (table, sql) in &tables {
        let columns: Vec<(String, String, bool, Option<String>, i64)> = sqlx::query_as(
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info($1)",
        )
        .bind(table)
        .fetch_all(pool)
        .await
        .expect("columns");
        let mut key: Vec<(i64, String)> = Vec::new();
        for (name, ty, not_null, default, pk) in columns {
            // An INTEGER PRIMARY KEY is the rowid: never null, whatever it declares.
            let not_null = not_null || (pk > 0 && ty == "INTEGER");
            schema.insert(format!(
                "column {table}.{name} {ty}{} DEFAULT {}",
                if not_null { " NOT NULL" } else { "" },
                default_of(default.as_deref())
            ));
            if pk > 0 {
                key.push((pk, name));
            }
        }
        key.sort();
        let key: Vec<String> = key.into_iter().map(|(_, c)| c).collect();
        schema.insert(format!("primary {table} ({})", key.join(", ")));
        let checks = sql.matches("CHECK (").count();
        schema.insert(format!("checks {table} {checks}"));
        let indexes: Vec<(String, bool, String, bool)> =
            sqlx::query_as("SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)")
                .bind(table)
                .fetch_all(pool)
                .await
                .expect("indexes");
        for (index, unique, origin, partial) in indexes {
            if origin == "pk" {
                continue;
            }
            let cols: Vec<(String,)> =
                sqlx::query_as("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(pool)
                    .await
                    .expect("index columns");
            let cols: Vec<String> = cols.into_iter().map(|(c,)| c).collect();
            schema.insert(format!(
                "index {table} ({}){}{}",
                cols.join(", "),
                if unique { " UNIQUE" } else { "" },
                if partial { " PARTIAL" } else { "" }
            ));
        }
        let fks: Vec<(i64, i64, String, String, String, String)> = sqlx::query_as(
            "SELECT id, seq, \"table\", \"from\", \"to\", on_delete \
             FROM pragma_foreign_key_list($1) ORDER BY id, seq",
        )
        .bind(table)
        .fetch_all(pool)
        .await
        .expect("foreign keys");
        let mut by_id: std::collections::BTreeMap<i64, (String, Vec<String>, Vec<String>, String)> =
            Default::default();
        for (id, _, parent, from, to, on_delete) in fks {
            let e = by_id
                .entry(id)
                .or_insert_with(|| (parent, vec![], vec![], on_delete));
            e.1.push(from);
            e.2.push(to);
        }
        for (parent, from, to, on_delete) in by_id.into_values() {
            schema.insert(format!(
                "foreign {table} ({}) -> {parent} ({}) ON DELETE {on_delete}",
                from.join(", "),
                to.join(", ")
            ));
        }
    }
    let triggers: Vec<(String, String)> =
        sqlx::query_as("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
            .fetch_all(pool)
            .await
            .expect("triggers");
    for (table, sql) in triggers {
        for event in ["UPDATE", "DELETE", "INSERT"] {
            if sql.contains(&format!("BEFORE {event}")) {
                schema.insert(format!("trigger {table} BEFORE {event}"));
            }
        }
    }
    schema
}

async fn pg_schema(pool: &sqlx::PgPool) -> Schema {
    let mut schema = Schema::new();
    let columns: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, \
         column_default::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("columns");
    for (table, name, ty, nullable, default) in columns {
        schema.insert(format!(
            "column {table}.{name} {}{} DEFAULT {}",
            sqlite_type_of(&ty),
            if nullable == "NO" { " NOT NULL" } else { "" },
            default_of(default.as_deref())
        ));
    }
    // Constraints, with their columns in key order.
    // (table, kind, columns, referenced table, referenced columns, on delete)
    type ConstraintRow = (
        String,
        String,
        Vec<String>,
        Option<String>,
        Vec<String>,
        String,
    );
    let constraints: Vec<ConstraintRow> = sqlx::query_as(
        "SELECT t.relname::text, c.contype::text, \
               ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o) \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o), \
               f.relname::text, \
               ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, o) \
                 JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o), \
               c.confdeltype::text \
             FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
             LEFT JOIN pg_class f ON f.oid = c.confrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = 'public' AND t.relname <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("constraints");
    let mut checks: std::collections::BTreeMap<String, usize> = Default::default();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("tables");
    for (t,) in &tables {
        checks.insert(t.clone(), 0);
    }
    let mut has_primary = BTreeSet::new();
    for (table, kind, cols, parent, to, on_delete) in constraints {
        match kind.as_str() {
            "p" => {
                has_primary.insert(table.clone());
                schema.insert(format!("primary {table} ({})", cols.join(", ")));
            }
            "u" => {
                schema.insert(format!("index {table} ({}) UNIQUE", cols.join(", ")));
            }
            "c" => *checks.entry(table).or_default() += 1,
            "f" => {
                let action = match on_delete.as_str() {
                    "c" => "CASCADE",
                    "n" => "SET NULL",
                    "r" => "RESTRICT",
                    "d" => "SET DEFAULT",
                    _ => "NO ACTION",
                };
                schema.insert(format!(
                    "foreign {table} ({}) -> {} ({}) ON DELETE {action}",
                    cols.join(", "),
                    parent.unwrap_or_default(),
                    to.join(", ")
                ));
            }
            _ => {}
        }
    }
    for (table, n) in checks {
        schema.insert(format!("checks {table} {n}"));
    }
    for (t,) in &tables {
        if !has_primary.contains(t) {
            schema.insert(format!("primary {t} ()"));
        }
    }
    // Indexes that back no constraint.
    let indexes: Vec<(String, Vec<String>, bool, bool)> = sqlx::query_as(
        "SELECT t.relname::text, \
           ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k + 1, true) \
             FROM generate_subscripts(ix.indkey, 1) AS k ORDER BY k), \
           ix.indisunique, ix.indpred IS NOT NULL \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND t.relname <> '_sqlx_migrations' \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)",
    )
    .fetch_all(pool)
    .await
    .expect("indexes");
    for (table, cols, unique, partial) in indexes {
        schema.insert(format!(
            "index {table} ({}){}{}",
            cols.join(", "),
            if unique { " UNIQUE" } else { "" },
            if partial { " PARTIAL" } else { "" }
        ));
    }
    let triggers: Vec<(String, String)> = sqlx::query_as(
        "SELECT event_object_table::text, event_manipulation::text \
         FROM information_schema.triggers WHERE trigger_schema = 'public' \
           AND action_timing = 'BEFORE'",
    )
    .fetch_all(pool)
    .await
    .expect("triggers");
    for (table, event) in triggers {
        schema.insert(format!("trigger {table} BEFORE {event}"));
    }
    schema
}

#[tokio::test]
async fn both_backends_create_the_same_schema() {
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
    let lite_schema = sqlite_schema(lite.pool()).await;
    let pg_schema = pg_schema(pg.pool()).await;
    assert!(lite_schema.len() > 300, "{lite_schema:#?}");
    let only_lite: Vec<_> = lite_schema.difference(&pg_schema).collect();
    let only_pg: Vec<_> = pg_schema.difference(&lite_schema).collect();
    assert!(
        only_lite.is_empty() && only_pg.is_empty(),
        "the schemas differ.\nOnly on SQLite: {only_lite:#?}\nOnly on PostgreSQL: {only_pg:#?}"
    );
    lite.close().await;
    pg.close().await;
}
