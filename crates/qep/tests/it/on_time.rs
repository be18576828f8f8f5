//! One "on time" everywhere: the dashboard's indicator, the yearly report's register
//! summary, the register export and `qep analyze` give the same figure on the same items,
//! including an answer on the Saturday after a Friday due date and a closure recorded after
//! an item was registered (`docs/DEADLINES.md` §4).

use std::process::Command;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use qep_app::FixedClock;
use qep_app::registers::{Arrival, register};
use qep_core::calendar::Closure;
use qep_core::ids::SiteId;
use qep_core::registers::correspondence::{AnswerType, Channel, Kind};
use qep_store::Actor;

use crate::helpers::TestApp;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("rfc3339")
        .with_timezone(&Utc)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

fn email(received_at: &str, subject: &str) -> Arrival {
    Arrival {
        reference: None,
        channel: Channel::Email,
        kind: Kind::GeneralInformation,
        site: SiteId(1),
        service: None,
        received_at: utc(received_at),
        received_on: None,
        requester_name: String::new(),
        requester_email: String::new(),
        requester_address: String::new(),
        subject: subject.into(),
        in_scope: true,
        out_of_scope: None,
        answered_on: None,
        answer: None,
    }
}

/// `(on time, decided)` from the export's `on_time` column.
fn export_counts(csv: &str) -> (usize, usize) {
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "on_time")
        .expect("on_time");
    let (mut yes, mut decided) = (0, 0);
    for line in lines {
        match line.split(',').nth(col) {
            Some("oui") => {
                yes += 1;
                decided += 1;
            }
            Some("non") => decided += 1,
            _ => {}
        }
    }
    (yes, decided)
}

#[tokio::test]
async fn the_dashboard_the_report_the_export_and_analyze_agree_on_time() {
    let clock = Arc::new(FixedClock::new(utc("2026-03-02T08:00:00Z")));
    for app in TestApp::each_backend(clock.clone()).await {
        let backend = app.backend();
        let actor = Actor::system();
        let mut ids = Vec::new();
        // Each registered on its day; Alençon (Orne), metropolitan holidays, none in March.
        for (at, subject) in [
            ("2026-03-02T09:00:00Z", "E: never answered"),
            (
                "2026-03-06T09:00:00Z",
                "A: due Friday 13 answered Saturday 14",
            ),
            (
                "2026-03-09T09:00:00Z",
                "B: answered on the 18th: 6 working days",
            ),
            ("2026-03-10T09:00:00Z", "C: 5 working days"),
            (
                "2026-03-11T09:00:00Z",
                "D: closure on 16 March recorded after",
            ),
        ] {
            clock.set(utc(at));
            let item = register(&app.ctx, &actor, &email(at, subject), "", "x")
                .await
                .expect("store")
                .expect("registered")
                .item;
            ids.push(item.id);
        }
        // The default query lists every item, not one.
        let all = app
            .store
            .list_correspondence(&Default::default())
            .await
            .expect("list");
        assert_eq!(all.len(), 5, "{backend}");
        // The site closes on Monday 16 March, decided on the 12th, after D was registered.
        clock.set(utc("2026-03-12T09:00:00Z"));
        app.store
            .insert_closure(
                &actor,
                SiteId(1),
                &Closure::day(d(2026, 3, 16), "pont", d(2026, 3, 12)),
            )
            .await
            .expect("closure");
        // D's stored due date moved with the calendar, in the same transaction, audited;
        // answered items keep theirs.
        let item_d = app.store.get_correspondence(ids[4]).await.expect("D");
        assert_eq!(
            item_d.due_on,
            d(2026, 3, 19),
            "{backend}: D was due on the 18th"
        );
        let audit = app.store.list_audit(5, None).await.expect("audit");
        assert!(
            audit.iter().any(|e| e.action == "correspondence.due_dates"),
            "{backend}: audited"
        );
        for (id, on) in [
            (ids[1], d(2026, 3, 14)),
            (ids[2], d(2026, 3, 18)),
            (ids[3], d(2026, 3, 17)),
            (ids[4], d(2026, 3, 19)),
        ] {
            app.store
                .answer_correspondence(&actor, id, on, AnswerType::Substantive)
                .await
                .expect("answer");
        }
        clock.set(utc("2026-04-20T09:00:00Z"));
        // A, C and D on time; B late; E late (never answered): 3 / 5.
        let expected = 60.0;

        let cat = qep_app::indicators::catalogue(&app.ctx)
            .await
            .expect("catalogue");
        let res = qep_app::indicators::results(&app.ctx, &cat, 2026, None, None)
            .await
            .expect("results");
        let dashboard = res
            .flat()
            .into_iter()
            .find(|r| r.code == "m1.email.on_time" && r.period.to_string() == "2026-03")
            .and_then(|r| r.value);
        assert_eq!(dashboard, Some(expected), "{backend}: dashboard");

        // The dashboard's cached results: computed once while nothing changes, computed
        // again after any audited write.
        let march = |r: &qep_app::indicators::Results| {
            r.flat()
                .into_iter()
                .find(|r| r.code == "m1.email.on_time" && r.period.to_string() == "2026-03")
                .and_then(|r| r.value)
        };
        let first = qep_app::indicators::cached_results(&app.ctx, 2026, None, None)
            .await
            .expect("cached");
        let again = qep_app::indicators::cached_results(&app.ctx, 2026, None, None)
            .await
            .expect("cached");
        assert!(std::sync::Arc::ptr_eq(&first, &again), "{backend}: cached");
        assert_eq!(march(&first.1), Some(expected), "{backend}: cached value");
        app.store
            .set_correspondence_scope(
                &actor,
                ids[0],
                Some(qep_core::registers::correspondence::OutOfScope::Other),
            )
            .await
            .expect("scope");
        let after = qep_app::indicators::cached_results(&app.ctx, 2026, None, None)
            .await
            .expect("cached");
        assert!(
            !std::sync::Arc::ptr_eq(&first, &after),
            "{backend}: recomputed"
        );
        assert_eq!(
            march(&after.1),
            Some(75.0),
            "{backend}: E (late) out of scope: 3 / 4"
        );
        app.store
            .set_correspondence_scope(&actor, ids[0], None)
            .await
            .expect("scope");

        let bilan = qep_app::documents::bilan_input(&app.ctx, 2026, "test")
            .await
            .expect("bilan");
        let report = bilan.correspondence.and_then(|c| c.answered_on_time_rate);
        assert_eq!(report, Some(expected), "{backend}: report");

        let out =
            std::env::temp_dir().join(format!("qep-on-time-{}-{backend}.csv", std::process::id()));
        let run = Command::new(env!("CARGO_BIN_EXE_qep"))
            .args([
                "--database",
                &app.database_url(),
                "export",
                "correspondence",
            ])
            .args(["--year", "2026", "--csv-comma", "--output"])
            .arg(&out)
            .env_remove("QEP_DATABASE_URL")
            .env_remove("QEP_CONFIG")
            .current_dir(std::env::temp_dir())
            .output()
            .expect("run qep export");
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let csv = std::fs::read_to_string(&out).expect("export");
        let _ = std::fs::remove_file(&out);
        assert_eq!(export_counts(&csv), (3, 5), "{backend}: export");

        // `qep analyze` reads the network's exports without a database, with each
        // département's calendar and no site closure: on the items the closure does not
        // touch (A, B, C, E) it counts as the others do, 2 within 5 days of 4.
        let dir =
            std::env::temp_dir().join(format!("qep-on-time-{}-{backend}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let emails = dir.join("emails.csv");
        let calls = dir.join("calls.csv");
        std::fs::write(
            &emails,
            "id,prefecture,service,channel,received_at,replied_at\n\
             1,61,acc,email,2026-03-02T10:00:00,\n\
             2,61,acc,email,2026-03-06T10:00:00,2026-03-14T10:00:00\n\
             3,61,acc,email,2026-03-09T10:00:00,2026-03-18T10:00:00\n\
             4,61,acc,email,2026-03-10T10:00:00,2026-03-17T10:00:00\n",
        )
        .expect("emails");
        std::fs::write(&calls, "id,prefecture,line,started_at,answered,rings\n").expect("calls");
        let run = Command::new(env!("CARGO_BIN_EXE_qep"))
            .arg("analyze")
            .arg("--emails")
            .arg(&emails)
            .arg("--calls")
            .arg(&calls)
            .env_remove("QEP_DATABASE_URL")
            .env_remove("QEP_CONFIG")
            .output()
            .expect("run qep analyze");
        let _ = std::fs::remove_dir_all(&dir);
        let table = String::from_utf8_lossy(&run.stdout).into_owned();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let row = table
            .lines()
            .find(|l| l.starts_with("61,2026-03,email,"))
            .unwrap_or_else(|| panic!("{table}"));
        // n, answered, within5
        assert!(
            row.starts_with("61,2026-03,email,4,3,2,"),
            "{backend}: analyze {row}"
        );

        // The engine on those four items agrees: 2 on time of 4 decided (A, C; B and E late).
        let cal = app
            .ctx
            .calendars
            .site(&*app.store, SiteId(1), d(2026, 4, 20))
            .await
            .expect("calendar");
        let states: Vec<Option<bool>> = [
            (d(2026, 3, 2), None),
            (d(2026, 3, 6), Some(d(2026, 3, 14))),
            (d(2026, 3, 9), Some(d(2026, 3, 18))),
            (d(2026, 3, 10), Some(d(2026, 3, 17))),
        ]
        .into_iter()
        .map(|(r, a)| {
            qep_core::registers::deadline::state(&cal, r, 5, a, d(2026, 4, 20))
                .expect("state")
                .on_time()
        })
        .collect();
        assert_eq!(
            states,
            [Some(false), Some(true), Some(false), Some(true)],
            "{backend}"
        );
        app.cleanup().await;
    }
}
