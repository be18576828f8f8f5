//! A database made by an earlier release keeps all its data when today's binary opens it.
//!
//! `tests/fixtures/release-0014.*.sql` are dumps of a database built by the release whose
//! last migration was 0014 (the demo prefecture plus one row or more in every table), made
//! with `build_fixture` below (see its doc). Each test loads one into a fresh database,
//! counts every table's rows, opens it with today's store (which applies the newer
//! migrations) and checks that nothing was lost, through SQL and through the store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Duration, NaiveDate, TimeZone as _, Utc};
use qep_core::calendar::Closure;
use qep_core::registers::correspondence::{AnswerType, Channel, Kind};
use qep_core::registers::log::{LogEntry, LogRegister};
use qep_store::prelude::*;
use qep_store::{Actor, CorrespondenceQuery, NewMail, NewSession};
use sqlx::Connection as _;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// What the fixture holds, read back through the store.
async fn check_contents(store: &dyn Store) {
    let prefecture = store.find_prefecture().await.expect("read").expect("kept");
    assert_eq!(prefecture.department.code(), "61");
    assert_eq!(store.list_sites().await.expect("sites").len(), 3);
    assert_eq!(store.list_users().await.expect("users").len(), 3);
    let items = store
        .list_correspondence(&CorrespondenceQuery::default())
        .await
        .expect("items");
    assert_eq!(items.len(), 3);
    let answered = items
        .iter()
        .find(|c| c.answered_on.is_some())
        .expect("one answered item");
    let attachments = store.list_attachments(answered.id).await.expect("list");
    assert_eq!(attachments.len(), 1);
    let (_, bytes) = store.get_attachment(attachments[0].id).await.expect("get");
    assert_eq!(bytes, b"%PDF-1.4 reponse".to_vec());
    assert!(
        !store
            .list_indicator_values(2021)
            .await
            .expect("values")
            .is_empty()
    );
    assert!(!store.list_facts(2021).await.expect("facts").is_empty());
    assert_eq!(
        store.report_texts(2022).await.expect("texts"),
        vec![(
            "introduction".to_owned(),
            "Bilan « 2022 » : $ # *".to_owned()
        )]
    );
    assert!(!store.list_audit(500, None).await.expect("audit").is_empty());
}

type Counts = BTreeMap<String, i64>;

async fn sqlite_counts(pool: &sqlx::SqlitePool) -> Counts {
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("tables");
    let mut counts = Counts::new();
    for (t,) in tables {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM \"{t}\""))
            .fetch_one(pool)
            .await
            .expect("count");
        counts.insert(t, n);
    }
    counts
}

async fn pg_counts(pool: &sqlx::PgPool) -> Counts {
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("tables");
    let mut counts = Counts::new();
    for (t,) in tables {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM \"{t}\""))
            .fetch_one(pool)
            .await
            .expect("count");
        counts.insert(t, n);
    }
    counts
}

/// Every table of the old release still holds at least its rows.
fn assert_kept(before: &Counts, after: &Counts) {
    assert!(
        before.len() >= 25,
        "the fixture has every table: {before:?}"
    );
    for (table, n) in before {
        assert!(
            *n > 0 || table == "sessions",
            "{table} is empty in the fixture"
        );
        let kept = after.get(table).copied().unwrap_or(0);
        assert!(
            kept >= *n,
            "{table}: {n} rows before the upgrade, {kept} after"
        );
    }
}

#[tokio::test]
async fn a_sqlite_database_of_the_previous_release_keeps_all_its_data() {
    let path = qep_store_sqlite::testdb::TempDbPath::new();
    let dump = std::fs::read_to_string(fixture("release-0014.sqlite.sql")).expect("fixture");
    let before = {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path.0)
            .create_if_missing(true)
            // The dump creates tables alphabetically, children before parents.
            .foreign_keys(false);
        let pool = sqlx::SqlitePool::connect_with(options).await.expect("pool");
        sqlx::raw_sql(&dump).execute(&pool).await.expect("load");
        let counts = sqlite_counts(&pool).await;
        pool.close().await;
        counts
    };
    let store = qep_store_sqlite::SqliteStore::open(&path.0, false)
        .await
        .expect("today's release opens and migrates it");
    assert_kept(&before, &sqlite_counts(store.pool()).await);
    check_contents(&store).await;
    store.close().await;
}

#[tokio::test]
async fn a_postgres_database_of_the_previous_release_keeps_all_its_data() {
    let Some(db) = qep_store_postgres::testdb::create().await else {
        eprintln!("skipped: QEP_TEST_POSTGRES_URL is not set");
        return;
    };
    let dump = std::fs::read_to_string(fixture("release-0014.postgres.sql")).expect("fixture");
    {
        // The dump resets search_path for its session: load it on a connection of its own.
        let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        sqlx::raw_sql(&dump).execute(&mut conn).await.expect("load");
        conn.close().await.expect("close");
    }
    let before = {
        let pool = sqlx::PgPool::connect(&db.url).await.expect("pool");
        let counts = pg_counts(&pool).await;
        pool.close().await;
        counts
    };
    let store = qep_store_postgres::PgStore::connect(&db.url)
        .await
        .expect("today's release opens and migrates it");
    assert_kept(&before, &pg_counts(store.pool()).await);
    check_contents(&store).await;
    store.close().await;
    db.drop_database().await;
}

/// Fills a database the way a prefecture would, so that every table has rows. Run by hand
/// on the release whose schema the fixture freezes, then dump the file:
///
/// ```sh
/// QEP_FIXTURE_URL=sqlite:///tmp/f.db cargo test -p qep --test it upgrade::build_fixture -- --ignored
/// python3 -c "import sqlite3; print('\n'.join(sqlite3.connect('/tmp/f.db').iterdump()))" \
///   > crates/qep/tests/fixtures/release-NNNN.sqlite.sql
/// QEP_FIXTURE_URL=postgres://…/fixture cargo test … ; pg_dump --inserts --no-owner \
///   --no-privileges postgres://…/fixture > crates/qep/tests/fixtures/release-NNNN.postgres.sql
/// ```
#[tokio::test]
#[ignore = "builds the upgrade fixture, by hand"]
async fn build_fixture() {
    let url = std::env::var("QEP_FIXTURE_URL").expect("QEP_FIXTURE_URL");
    let store: Arc<dyn Store> = if let Some(path) = url.strip_prefix("sqlite://") {
        Arc::new(
            qep_store_sqlite::SqliteStore::open(Path::new(path), true)
                .await
                .expect("open"),
        )
    } else {
        Arc::new(
            qep_store_postgres::PgStore::connect(&url)
                .await
                .expect("connect"),
        )
    };
    let noon = Utc
        .with_ymd_and_hms(2022, 3, 14, 11, 0, 0)
        .single()
        .expect("t");
    let clock = Arc::new(qep_app::FixedClock::new(noon));
    let ctx = qep_app::Ctx::with_clock(store.clone(), clock);
    qep::demo::seed(&ctx).await.expect("demo");
    let actor = Actor::cli();
    let d = |m, day| NaiveDate::from_ymd_opt(2022, m, day).expect("date");
    let sites = store.list_sites().await.expect("sites");
    let services = store.list_services().await.expect("services");
    let site = sites[0].id;
    let mut ids = Vec::new();
    for (kind, subject) in [
        (Kind::GeneralInformation, "Horaires « été »"),
        (Kind::Complaint, "Attente au guichet"),
        (Kind::Suggestion, "Une borne de plus"),
    ] {
        let arrival = qep_app::registers::Arrival {
            reference: None,
            channel: Channel::Email,
            kind,
            site,
            service: Some(services[0].id),
            received_at: noon - Duration::days(3),
            received_on: None,
            requester_name: "Jeanne Usagère".into(),
            requester_email: "jeanne@example.org".into(),
            requester_address: String::new(),
            subject: subject.into(),
            in_scope: true,
            out_of_scope: None,
            answered_on: None,
            answer: None,
        };
        let registered = qep_app::registers::register(&ctx, &actor, &arrival, "Bonjour", "Accueil")
            .await
            .expect("register")
            .expect("valid");
        ids.push(registered.item.id);
    }
    let reply = NewMail::automatic("jeanne@example.org", "Réponse", "Voici.", Some(ids[0]));
    store
        .answer_by_mail(&actor, ids[0], d(3, 14), AnswerType::Substantive, &reply)
        .await
        .expect("answer");
    store
        .insert_attachment(
            &actor,
            ids[0],
            "reponse.pdf",
            "application/pdf",
            b"%PDF-1.4 reponse",
        )
        .await
        .expect("attachment");
    store
        .transfer_correspondence(&actor, ids[1], services[1].id)
        .await
        .expect("transfer");
    let closure =
        Closure::range(d(5, 27), d(5, 27), "pont de l'Ascension", d(3, 1)).expect("closure");
    store
        .insert_closure(&actor, site, &closure)
        .await
        .expect("closure");
    let worked = qep_core::calendar::WorkedHoliday::every_year(
        qep_core::calendar::HolidayKind::LundiDePentecote,
        "journée de solidarité",
        d(1, 3),
    );
    store
        .insert_site_holiday(&actor, site, &qep_store::HolidaySetting::Worked(worked))
        .await
        .expect("holiday");
    let target = qep_store::LocalTarget {
        year: 2022,
        comparator: qep_core::indicators::Comparator::Ge,
        value: 92.5,
    };
    store
        .set_local_target(&actor, "m1.phone.answered", &target)
        .await
        .expect("target");
    store
        .save_local_indicator(&actor, "local.accueil", r#"{"label":"Accueil"}"#)
        .await
        .expect("local indicator");
    store
        .validate_period(&actor, "2021-Q4", "{}")
        .await
        .expect("validate");
    store
        .save_template(&actor, "acknowledgement", "Accusé {reference}", "Reçu.")
        .await
        .expect("template");
    store
        .add_sampled_week(&actor, d(3, 7), d(3, 11))
        .await
        .expect("week");
    let entry = LogEntry {
        register: LogRegister::OfficialsMeetings,
        started_on: d(3, 2),
        first_on: None,
        second_on: None,
        category: String::new(),
        minutes: None,
        label: "Maire d'Argentan".into(),
        flag: None,
        commitment: None,
    };
    store
        .insert_log_entry(&actor, site, None, &entry)
        .await
        .expect("log");
    store
        .save_report_texts(
            &actor,
            2022,
            &[("introduction".into(), "Bilan « 2022 » : $ # *".into())],
        )
        .await
        .expect("texts");
    store
        .save_mapping(&actor, "essai", "autocom", "{}")
        .await
        .expect("mapping");
    store.claim_job_run("digest", d(3, 14)).await.expect("run");
    store
        .schedule_job("retention", "2022-03-14", noon)
        .await
        .expect("job");
    let users = store.list_users().await.expect("users");
    store
        .open_session(
            users[0].id,
            &NewSession {
                token_hash: "fixture".into(),
                csrf_token: "fixture".into(),
                created_at: noon,
                expires_at: noon + Duration::days(3650 * 3),
            },
        )
        .await
        .expect("session");
}
