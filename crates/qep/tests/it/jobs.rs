//! Durable jobs as the server runs them: the morning digest queued by the server itself
//! from 07:00 at the main site, once; retention of citizens' personal data on both
//! databases; two servers on one PostgreSQL database sending every message exactly once to
//! a real SMTP server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use qep_app::registers::{Arrival, register};
use qep_app::{Clock as _, Ctx, FixedClock};
use qep_core::ids::{ServiceId, SiteId};
use qep_core::registers::correspondence::{AnswerType, Channel, Kind, OutOfScope};
use qep_store::{Actor, NewMail, Store};

use crate::helpers::{ADMIN, TestApp};
use crate::mail::{received, smtp_server};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("rfc3339")
        .with_timezone(&Utc)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

async fn service(store: &dyn Store, code: &str) -> ServiceId {
    store
        .list_services()
        .await
        .expect("services")
        .into_iter()
        .find(|s| s.code == code)
        .expect("service")
        .id
}

fn arrival(received_at: DateTime<Utc>, service: ServiceId) -> Arrival {
    Arrival {
        reference: None,
        channel: Channel::Email,
        kind: Kind::GeneralInformation,
        site: SiteId(1),
        service: Some(service),
        received_at,
        received_on: None,
        requester_name: "Camille Martin".into(),
        requester_email: "camille.martin@example.org".into(),
        requester_address: "1 rue de la Poste, Alençon".into(),
        subject: "Horaires".into(),
        in_scope: true,
        out_of_scope: None,
        answered_on: None,
        answer: None,
    }
}

/// Starts the real server (web, outbox, scheduler) on `ctx`, polling every 50 ms.
async fn start_server(
    ctx: Ctx,
    mail: qep_app::mail::MailConfig,
) -> tokio::sync::oneshot::Sender<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(qep::serve(
        ctx,
        qep_web::WebConfig::default(),
        mail,
        qep_app::jobs::JobsConfig {
            interval: Duration::from_millis(50),
            retention_months: 12,
        },
        listener,
        async {
            let _ = stopped.await;
        },
    ));
    stop
}

/// The digests in the outbox (the store dates what it queues by the machine's clock).
async fn digests(store: &dyn Store, _now: DateTime<Utc>) -> usize {
    store
        .due_mails(Utc::now() + chrono::Duration::days(1), 1000)
        .await
        .expect("outbox")
        .iter()
        .filter(|m| m.subject.starts_with("QeP – "))
        .count()
}

#[tokio::test]
async fn the_server_queues_the_morning_digest_once_from_seven_at_the_main_site() {
    // Tuesday 10 March 2026, 06:55 in Alençon (UTC+1).
    let clock = Arc::new(FixedClock::new(utc("2026-03-10T05:55:00Z")));
    for app in TestApp::each_backend(clock.clone()).await {
        let backend = app.backend();
        clock.set(utc("2026-03-10T05:55:00Z"));
        let acc = service(&*app.store, "ACC").await;
        // Received Tuesday 3 March: due Tuesday 10 March, in today's digest.
        register(
            &app.ctx,
            &Actor::system(),
            &arrival(utc("2026-03-03T09:00:00Z"), acc),
            "",
            "l'accueil",
        )
        .await
        .expect("store")
        .expect("registered");
        let stop = start_server(app.ctx.clone(), qep_app::mail::MailConfig::default()).await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(
            digests(&*app.store, clock.now()).await,
            0,
            "{backend}: not before 07:00"
        );

        clock.set(utc("2026-03-10T06:01:00Z"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while digests(&*app.store, clock.now()).await == 0 {
            assert!(
                Instant::now() < deadline,
                "{backend}: the server queued no digest"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(600)).await;
        let queued = digests(&*app.store, clock.now()).await;
        assert!(queued >= 1, "{backend}");
        let mails = app
            .store
            .due_mails(Utc::now() + chrono::Duration::days(1), 1000)
            .await
            .expect("outbox");
        let digest = mails
            .iter()
            .find(|m| m.subject.starts_with("QeP – Accueil"))
            .expect("the ACC service's digest");
        assert!(
            digest.body.contains("Horaires"),
            "{backend}: {}",
            digest.body
        );
        assert_eq!(digest.to, "agent.accueil@demo.invalid", "{backend}");
        // Later the same day, and after a restart: still once.
        clock.set(utc("2026-03-10T15:00:00Z"));
        let _ = stop.send(());
        let stop = start_server(app.ctx.clone(), qep_app::mail::MailConfig::default()).await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(
            digests(&*app.store, clock.now()).await,
            queued,
            "{backend}: once a day"
        );

        // The jobs page shows it done.
        let mut admin = app.client();
        admin.login(ADMIN).await;
        let page = admin.get("/administration/taches").await;
        assert!(page.body.contains("Récapitulatif du matin"), "{backend}");
        assert!(page.body.contains("2026-03-10"), "{backend}");
        assert!(page.body.contains("terminée"), "{backend}");
        let _ = stop.send(());
        app.cleanup().await;
    }
}

#[tokio::test]
async fn retention_purges_answered_out_of_scope_and_abandoned_items_on_both_databases() {
    let clock = Arc::new(FixedClock::new(utc("2026-06-15T10:00:00Z")));
    for app in TestApp::each_backend(clock.clone()).await {
        let backend = app.backend();
        let acc = service(&*app.store, "ACC").await;
        let actor = Actor::system();
        let mut ids = Vec::new();
        // Registered on the day they arrived (the clock follows).
        for (received, label) in [
            ("2025-03-02T09:00:00Z", "answered"),
            ("2025-03-03T09:00:00Z", "out of scope"),
            ("2025-03-04T09:00:00Z", "abandoned"),
            ("2025-03-05T09:00:00Z", "answered recently"),
            ("2026-05-04T09:00:00Z", "recent"),
        ] {
            clock.set(utc(received));
            let item = register(
                &app.ctx,
                &actor,
                &arrival(utc(received), acc),
                "Mon texte",
                "x",
            )
            .await
            .expect("store")
            .expect("registered")
            .item;
            ids.push((item.id, label));
        }
        app.store
            .answer_correspondence(&actor, ids[0].0, d(2025, 3, 5), AnswerType::Substantive)
            .await
            .expect("answer");
        app.store
            .set_correspondence_scope(&actor, ids[1].0, Some(OutOfScope::LegalDispute))
            .await
            .expect("scope");
        app.store
            .answer_correspondence(&actor, ids[3].0, d(2025, 7, 1), AnswerType::Substantive)
            .await
            .expect("answer");
        // 15 June 2026, retention 12 months: closed before 15 June 2025 is purged.
        clock.set(utc("2026-06-15T10:00:00Z"));
        let config = qep_app::jobs::JobsConfig {
            interval: Duration::from_secs(60),
            retention_months: 12,
        };
        let ran = qep_app::jobs::tick(&app.ctx, &config).await.expect("tick");
        assert!(ran.iter().any(|j| j.kind == "retention"), "{backend}");
        for (id, label) in &ids {
            let item = app.store.get_correspondence(*id).await.expect("item");
            let purged = item.requester_name.is_empty()
                && item.requester_email.is_empty()
                && item.requester_address.is_empty()
                && item.body.is_empty();
            let expected = matches!(*label, "answered" | "out of scope" | "abandoned");
            assert_eq!(purged, expected, "{backend}: {label}");
            assert_eq!(item.subject, "Horaires", "{backend}: the item stays");
        }
        // The same hour again: the job exists once.
        let again = qep_app::jobs::tick(&app.ctx, &config).await.expect("tick");
        assert!(!again.iter().any(|j| j.kind == "retention"), "{backend}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn two_servers_on_one_postgresql_database_send_every_message_exactly_once() {
    let Some(smtp) = smtp_server().await else {
        return;
    };
    let Some(app) = TestApp::postgres().await else {
        eprintln!("skipped: no PostgreSQL server configured");
        return;
    };
    const MESSAGES: usize = 60;
    for i in 0..MESSAGES {
        app.store
            .enqueue_mail(&NewMail::automatic(
                &format!("usager{i}@example.org"),
                &format!("Message {i}"),
                "Bonjour.",
                None,
            ))
            .await
            .expect("enqueue");
    }
    let mail = qep_app::mail::MailConfig {
        smtp_url: Some(format!("smtp://127.0.0.1:{}", smtp.port)),
        from: "Préfecture de démonstration <ne-pas-repondre@demo.gouv.fr>".into(),
        poll_interval: Duration::from_millis(20),
    };
    // Two processes' worth of servers: each with its own context and connection pool.
    let second_store: Arc<dyn Store> = Arc::new(
        qep_store_postgres::PgStore::connect(&app.postgres_url().expect("url"))
            .await
            .expect("connect"),
    );
    let stop_a = start_server(Ctx::new(app.store.clone()), mail.clone()).await;
    let stop_b = start_server(Ctx::new(second_store), mail).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while received(&smtp).len() < MESSAGES {
        assert!(
            Instant::now() < deadline,
            "only {} received",
            received(&smtp).len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = (stop_a.send(()), stop_b.send(()));
    let got = received(&smtp);
    let mut subjects: Vec<&str> = got.iter().filter_map(|m| m["subject"].as_str()).collect();
    subjects.sort_unstable();
    let before = subjects.len();
    subjects.dedup();
    assert_eq!(
        (before, subjects.len()),
        (MESSAGES, MESSAGES),
        "each exactly once"
    );
    for m in &got {
        let id = m["message_id"].as_str().expect("Message-ID");
        assert!(
            id.starts_with("<qep.") && id.ends_with("@demo.gouv.fr>"),
            "{id}"
        );
        assert_eq!(m["mime_version"], "1.0");
        assert!(m["date"].is_string());
        assert_eq!(m["auto_submitted"], "auto-generated");
    }
    assert_eq!(app.store.outbox_counts().await, Ok((0, 0)));
    app.cleanup().await;
}
