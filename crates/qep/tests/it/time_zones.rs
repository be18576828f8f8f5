//! Each site keeps its legal time: receipt days, due dates, "today" and times typed by
//! agents are read in the site's zone, across clock changes and overseas, at a fixed
//! instant (the clock is passed in, never read).

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use qep_app::FixedClock;
use qep_app::registers::{Arrival, register};
use qep_core::ids::SiteId;
use qep_core::prefecture::SiteDraft;
use qep_core::registers::correspondence::{Channel, Kind};
use qep_store::Actor;

use crate::helpers::{AGENT, TestApp};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("rfc3339")
        .with_timezone(&Utc)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

/// Gives the demo's main site (Alençon, site 1) the zone `zone`.
async fn set_zone(app: &TestApp, zone: &str) {
    let site = app
        .store
        .list_sites()
        .await
        .expect("sites")
        .into_iter()
        .find(|s| s.id == SiteId(1))
        .expect("site 1");
    let draft = SiteDraft::new(&site.name, site.kind.as_str(), &site.address)
        .and_then(|d| d.with_time_zone(zone))
        .expect("draft");
    app.store
        .update_site(&Actor::system(), site.id, &draft)
        .await
        .expect("update site");
}

fn email_now(app: &TestApp) -> Arrival {
    Arrival {
        reference: None,
        channel: Channel::Email,
        kind: Kind::GeneralInformation,
        site: SiteId(1),
        service: None,
        received_at: app.ctx.now(),
        received_on: None,
        requester_name: String::new(),
        requester_email: "usager@example.org".into(),
        requester_address: String::new(),
        subject: "Horaires".into(),
        in_scope: true,
        out_of_scope: None,
        answered_on: None,
        answer: None,
    }
}

async fn registered(app: &TestApp) -> (NaiveDate, NaiveDate, bool) {
    let done = register(
        &app.ctx,
        &Actor::system(),
        &email_now(app),
        "",
        "le service",
    )
    .await
    .expect("store")
    .expect("registered");
    (done.item.received_on, done.item.due_on, done.acknowledged)
}

#[tokio::test]
async fn an_email_received_at_21_00_in_guadeloupe_is_received_that_day() {
    // Thursday 5 March 2026, 21:00 in Guadeloupe (UTC−4): already Friday 6 in Paris.
    let clock = Arc::new(FixedClock::new(utc("2026-03-06T01:00:00Z")));
    for app in TestApp::each_backend(clock.clone()).await {
        let backend = app.backend();
        // Metropolitan site: the Paris date, Friday 6, due Friday 13.
        assert_eq!(
            registered(&app).await,
            (d(2026, 3, 6), d(2026, 3, 13), true),
            "{backend}"
        );
        set_zone(&app, "America/Guadeloupe").await;
        assert_eq!(
            registered(&app).await,
            (d(2026, 3, 5), d(2026, 3, 12), true),
            "{backend}: the day in Guadeloupe, its deadline a day earlier"
        );
        assert_eq!(
            app.ctx.today(),
            d(2026, 3, 5),
            "{backend}: today in Guadeloupe"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn an_email_received_at_00_30_in_reunion_is_received_that_day() {
    // Friday 6 March 2026, 00:30 in Réunion (UTC+4): still Thursday 5 in Paris.
    let clock = Arc::new(FixedClock::new(utc("2026-03-05T20:30:00Z")));
    for app in TestApp::each_backend(clock.clone()).await {
        let backend = app.backend();
        assert_eq!(
            registered(&app).await,
            (d(2026, 3, 5), d(2026, 3, 12), true),
            "{backend}"
        );
        set_zone(&app, "Indian/Reunion").await;
        assert_eq!(
            registered(&app).await,
            (d(2026, 3, 6), d(2026, 3, 13), true),
            "{backend}: the day in Réunion"
        );
        app.cleanup().await;
    }
}

/// The register page reads the time an agent types in the site's zone, across both clock
/// changes of Paris and in Guadeloupe.
#[tokio::test]
async fn times_typed_by_agents_are_the_sites_legal_time() {
    let clock = Arc::new(FixedClock::new(utc("2026-11-02T10:00:00Z")));
    for app in TestApp::each_backend(clock.clone()).await {
        let backend = app.backend();
        let mut agent = app.client();
        agent.login(AGENT).await;
        let acc = app
            .store
            .list_services()
            .await
            .expect("services")
            .into_iter()
            .find(|s| s.code == "ACC")
            .expect("ACC")
            .id
            .to_string();
        let mut post = async |date: &str, time: &str| {
            let res = agent
                .post(
                    "/registres/courrier/nouveau",
                    &[
                        ("channel", "email"),
                        ("kind", "general_information"),
                        ("site_id", "1"),
                        ("service_id", &acc),
                        ("received_on", date),
                        ("received_time", time),
                        ("subject", "Horaires"),
                        ("in_scope", "1"),
                    ],
                )
                .await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{backend}: {}", res.body);
            let items = app
                .store
                .list_correspondence(&qep_store::CorrespondenceQuery {
                    limit: 1000,
                    ..Default::default()
                })
                .await
                .expect("list");
            let newest = items.iter().max_by_key(|i| i.id).expect("one item");
            (newest.received_at, newest.received_on)
        };
        // Summer time in Paris (UTC+2), the autumn's repeated hour (first pass), the
        // spring's skipped hour (read with the winter offset), winter time (UTC+1).
        assert_eq!(
            post("2026-07-01", "10:15").await,
            (utc("2026-07-01T08:15:00Z"), d(2026, 7, 1))
        );
        assert_eq!(
            post("2026-10-25", "02:30").await,
            (utc("2026-10-25T00:30:00Z"), d(2026, 10, 25))
        );
        assert_eq!(
            post("2026-03-29", "02:30").await,
            (utc("2026-03-29T01:30:00Z"), d(2026, 3, 29))
        );
        assert_eq!(
            post("2026-01-15", "23:30").await,
            (utc("2026-01-15T22:30:00Z"), d(2026, 1, 15))
        );
        set_zone(&app, "America/Guadeloupe").await;
        let mut agent = app.client();
        agent.login(AGENT).await;
        let res = agent
            .post(
                "/registres/courrier/nouveau",
                &[
                    ("channel", "email"),
                    ("kind", "general_information"),
                    ("site_id", "1"),
                    ("service_id", &acc),
                    ("received_on", "2026-03-05"),
                    ("received_time", "21:00"),
                    ("subject", "Horaires"),
                    ("in_scope", "1"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{backend}: {}", res.body);
        let item = app
            .store
            .list_correspondence(&qep_store::CorrespondenceQuery {
                limit: 1000,
                ..Default::default()
            })
            .await
            .expect("list")
            .into_iter()
            .max_by_key(|i| i.id)
            .expect("item");
        assert_eq!(
            (item.received_at, item.received_on, item.due_on),
            (utc("2026-03-06T01:00:00Z"), d(2026, 3, 5), d(2026, 3, 12)),
            "{backend}"
        );
        let page = agent.get(&format!("/registres/courrier/{}", item.id)).await;
        assert!(
            page.body.contains("05&#x2f;03&#x2f;2026 à 21:00"),
            "{backend}: shown in the site's time"
        );
        app.cleanup().await;
    }
}
