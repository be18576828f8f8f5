//! The correspondence register: agents register and answer items, due dates follow the
//! site's working days, and the register feeds the indicators.

use axum::http::StatusCode;
use qep_store::CorrespondenceQuery;

use crate::helpers::{ADMIN, AGENT, TestApp, VIEWER};

fn reference_in(flash_page: &str) -> Option<String> {
    let at = flash_page.find("sous la référence ")? + "sous la référence ".len();
    Some(flash_page[at..at + 11].to_owned())
}

#[tokio::test]
async fn agents_run_a_month_of_mail_and_the_dashboard_computes_from_it() {
    for app in TestApp::all().await {
        let services = app.store.list_services().await.expect("services");
        let id_of = |code: &str| {
            services
                .iter()
                .find(|s| s.code == code)
                .expect("service")
                .id
                .to_string()
        };
        let (acc, cert) = (id_of("ACC"), id_of("CERT"));

        let mut viewer = app.client();
        viewer.login(VIEWER).await;
        assert_eq!(
            viewer.get("/registres/courrier").await.status,
            StatusCode::FORBIDDEN
        );
        let mut anon = app.client();
        assert_eq!(
            anon.get("/registres/courrier").await.status,
            StatusCode::SEE_OTHER
        );

        let mut agent = app.client();
        agent.login(AGENT).await;
        assert_eq!(
            agent.get("/registres/courrier/nouveau").await.status,
            StatusCode::OK
        );
        let email = |received: &'static str, subject: &'static str, service: String| {
            vec![
                ("channel", "email".to_owned()),
                ("kind", "general_information".to_owned()),
                ("site_id", "1".to_owned()),
                ("service_id", service),
                ("received_on", received.to_owned()),
                ("received_time", "10:15".to_owned()),
                ("subject", subject.to_owned()),
                ("in_scope", "1".to_owned()),
            ]
        };
        let post = |fields: &Vec<(&'static str, String)>| {
            fields
                .iter()
                .map(|(k, v)| (*k, v.clone()))
                .collect::<Vec<_>>()
        };

        // Received Friday 3 May 2024: 8 May and Ascension (9 May) are holidays → due Tue 14 May.
        let fields = post(&email(
            "2024-05-03",
            "Horaires <script>alert('x')</script>",
            acc.clone(),
        ));
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = agent.post("/registres/courrier/nouveau", &borrowed).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let page = agent.get(res.location()).await;
        let first = reference_in(&page.body).expect("reference shown");
        assert_eq!(first, "2024-000001");
        let at = page.body.find("sous la référence").unwrap_or(0);
        let notice = page.body[at..(at + 200).min(page.body.len())].replace("&#x2f;", "/");
        assert!(
            notice.contains("au plus tard le 14/05/2024 (5 jours ouvrés)"),
            "due date: {notice}"
        );
        assert!(page.body.contains("Horaires &lt;script&gt;"), "escaped");
        assert!(!page.body.contains("<script>alert"));
        let first_id = res.location().rsplit('/').next().expect("id").to_owned();

        // An agent cannot register for a service that is not theirs.
        let fields = post(&email("2024-05-03", "Autre", cert.clone()));
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = agent.post("/registres/courrier/nouveau", &borrowed).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("aria-describedby=\"item-service-error\""));

        // Answered Monday 13 May: 4 working days, on time.
        let res = agent
            .post(
                &format!("/registres/courrier/{first_id}/reponse"),
                &[("answered_on", "2024-05-13"), ("answer", "substantive")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let page = agent.get(&format!("/registres/courrier/{first_id}")).await;
        assert!(
            page.body.contains("4 jour(s) ouvré(s), dans le délai"),
            "response time in working days"
        );

        // Received Monday 6 May, due Wed 15 May, answered Tue 21 May (Whit Monday 20 May): late, 8 working days.
        let fields = post(&email("2024-05-06", "Carte grise", acc.clone()));
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = agent.post("/registres/courrier/nouveau", &borrowed).await;
        let second_id = res.location().rsplit('/').next().expect("id").to_owned();
        agent
            .post(
                &format!("/registres/courrier/{second_id}/reponse"),
                &[("answered_on", "2024-05-21"), ("answer", "forwarded")],
            )
            .await;
        // Received 21 May and never answered: past due today, so it counts as late.
        let fields = post(&email("2024-05-21", "Sans réponse", acc.clone()));
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = agent.post("/registres/courrier/nouveau", &borrowed).await;
        let third_id = res.location().rsplit('/').next().expect("id").to_owned();
        let today_view = agent.get("/registres/courrier?vue=aujourd-hui").await;
        assert!(
            today_view.body.contains("2024-000003"),
            "past due shows in today's view"
        );
        let late = agent.get("/registres/courrier?vue=en-retard").await;
        assert!(late.body.contains("2024-000003") && !late.body.contains("2024-000001"));

        // Transferred to a service the agent does not have: the due date stays, access goes.
        let res = agent
            .post(
                &format!("/registres/courrier/{third_id}/transfert"),
                &[("service_id", &cert)],
            )
            .await;
        assert_eq!(res.location(), "/registres/courrier");
        assert_eq!(
            agent
                .get(&format!("/registres/courrier/{third_id}"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let moved = app
            .store
            .get_correspondence(qep_core::ids::ItemId(third_id.parse().expect("id")))
            .await
            .expect("item");
        assert_eq!(moved.due_on.to_string(), "2024-05-28");

        // The indicators come from the register: 1 on time out of 3 due; mean delay (4 + 8) / 2.
        let cat = qep_app::indicators::catalogue(&app.ctx)
            .await
            .expect("catalogue");
        let res = qep_app::indicators::results(&app.ctx, &cat, 2024, None, None)
            .await
            .expect("results");
        let flat = res.flat();
        let get = |code: &str, period: &str| {
            flat.iter()
                .find(|r| r.code == code && r.period.to_string() == period)
                .unwrap_or_else(|| panic!("{code} {period}"))
        };
        let rate = get("m1.email.on_time", "2024-05");
        assert_eq!((rate.numerator, rate.denominator), (Some(1.0), Some(3.0)));
        assert_eq!(
            rate.level.map(|l| l.number()),
            Some(4),
            "33 % against ≥ 75 %"
        );
        assert_eq!(get("m1.email.delay", "2024-05").value, Some(6.0));
        assert_eq!(get("m1.email.received", "2024").value, Some(3.0));

        let mut admin = app.client();
        admin.login(ADMIN).await;
        let dash = admin.get("/tableau-de-bord?annee=2024").await;
        assert!(
            dash.body.contains("33,33\u{a0}%"),
            "the dashboard shows the register's rate"
        );
        let all = app
            .store
            .list_correspondence(&CorrespondenceQuery {
                limit: 10,
                ..Default::default()
            })
            .await
            .expect("list");
        assert_eq!(all.len(), 3);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn declared_sampled_weeks_restrict_sampled_indicators_and_say_so() {
    use chrono::NaiveDate;
    use qep_core::registers::correspondence::{AnswerType, Channel, Kind};
    use qep_store::{Actor, NewCorrespondence};

    for app in TestApp::all().await {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        let site = app.store.list_sites().await.expect("sites")[0].id;
        let item = |received: NaiveDate, answered: NaiveDate, due: NaiveDate| NewCorrespondence {
            reference: None,
            channel: Channel::Email,
            kind: Kind::GeneralInformation,
            site,
            service: None,
            received_at: received.and_hms_opt(9, 0, 0).expect("t").and_utc(),
            received_on: received,
            deadline_days: 5,
            due_on: due,
            requester_name: String::new(),
            requester_email: String::new(),
            requester_address: String::new(),
            subject: "x".into(),
            in_scope: true,
            out_of_scope: None,
            answered_on: Some(answered),
            answer: Some(AnswerType::Substantive),
        };
        // On time (3 May → 6 May), late (7 May → 21 May), on time (13 May → 14 May).
        app.store
            .insert_correspondence(
                &Actor::cli(),
                &[
                    item(d(2024, 5, 3), d(2024, 5, 6), d(2024, 5, 14)),
                    item(d(2024, 5, 7), d(2024, 5, 21), d(2024, 5, 16)),
                    item(d(2024, 5, 13), d(2024, 5, 14), d(2024, 5, 21)),
                ],
            )
            .await
            .expect("register");
        let rate = |flat: &[qep_core::indicators::FlatResult]| {
            flat.iter()
                .find(|r| r.code == "m1.email.on_time" && r.period.to_string() == "2024-05")
                .map(|r| (r.numerator, r.denominator, r.sampled))
                .expect("rate")
        };
        let cat = qep_app::indicators::catalogue(&app.ctx)
            .await
            .expect("catalogue");
        let all = qep_app::indicators::results(&app.ctx, &cat, 2024, None, None)
            .await
            .expect("results")
            .flat();
        assert_eq!(rate(&all), (Some(2.0), Some(3.0), false));

        // Declare the week of 6 May as the sample, through the admin page.
        let mut admin = app.client();
        admin.login(ADMIN).await;
        let res = admin
            .post(
                "/administration/echantillonnage",
                &[("start", "2024-05-06")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(
            app.store.list_sampled_weeks().await,
            Ok(vec![(d(2024, 5, 6), d(2024, 5, 10))])
        );
        let sampled = qep_app::indicators::results(&app.ctx, &cat, 2024, None, None)
            .await
            .expect("results")
            .flat();
        assert_eq!(
            rate(&sampled),
            (Some(0.0), Some(1.0), true),
            "only the 7 May item, and the result says so"
        );
        let received = sampled
            .iter()
            .find(|r| r.code == "m1.email.received" && r.period.to_string() == "2024")
            .expect("count");
        assert_eq!(
            (received.value, received.sampled),
            (Some(3.0), false),
            "counts are never sampled"
        );
        let page = admin.get("/tableau-de-bord?annee=2024").await;
        assert!(page.body.contains("(sur les semaines échantillonnées)"));
        let bad = admin
            .post(
                "/administration/echantillonnage",
                &[("start", "2024-05-06"), ("end", "2024-04-01")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn log_registers_feed_the_update_and_pan_indicators() {
    for app in TestApp::all().await {
        let mut viewer = app.client();
        viewer.login(VIEWER).await;
        assert_eq!(viewer.get("/registres").await.status, StatusCode::FORBIDDEN);
        assert_eq!(
            viewer.get("/registres/mises-a-jour-site").await.status,
            StatusCode::FORBIDDEN
        );

        let mut agent = app.client();
        agent.login(AGENT).await;
        assert_eq!(agent.get("/registres").await.status, StatusCode::OK);
        assert_eq!(
            agent.get("/registres/inconnu").await.status,
            StatusCode::NOT_FOUND
        );
        let page = agent.get("/registres/mises-a-jour-site?annee=2024").await;
        assert_eq!(page.status, StatusCode::OK);

        // An agent files for their own services only: a forged service is refused.
        let services = app.store.list_services().await.expect("services");
        let service = |code: &str| {
            services
                .iter()
                .find(|s| s.code == code)
                .map(|s| s.id.0.to_string())
                .expect("service")
        };
        let forged = agent
            .post(
                "/registres/mises-a-jour-site",
                &[
                    ("site_id", "1"),
                    ("started_on", "2024-05-02"),
                    ("label", "Pas mon service"),
                    ("service_id", &service("CERT")),
                ],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);

        // Requested Thu 2 May, published Mon 6 May: within 3 working days (due Tue 7 May).
        let res = agent
            .post(
                "/registres/mises-a-jour-site",
                &[
                    ("site_id", "1"),
                    ("started_on", "2024-05-02"),
                    ("first_on", "2024-05-06"),
                    ("label", "Horaires d'été"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        // Requested Tue 7 May, published later on Wed 15 May: due Tue 14 May, late.
        agent
            .post(
                "/registres/mises-a-jour-site",
                &[
                    ("site_id", "1"),
                    ("started_on", "2024-05-07"),
                    ("label", "Fermeture"),
                ],
            )
            .await;
        let entries = app
            .store
            .list_log_entries(
                Some(qep_core::registers::log::LogRegister::WebUpdates),
                chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("d"),
                chrono::NaiveDate::from_ymd_opt(2024, 12, 31).expect("d"),
            )
            .await
            .expect("list");
        let pending = entries
            .iter()
            .find(|e| e.entry.first_on.is_none())
            .expect("pending");
        let bad = agent
            .post(
                &format!("/registres/mises-a-jour-site/{}", pending.id),
                &[("first_on", "2024-05-01")],
            )
            .await;
        assert!(
            bad.set_cookies()
                .iter()
                .any(|c| c.starts_with("qep_flash=")),
            "refusal notice"
        );
        assert_eq!(
            app.store
                .get_log_entry(pending.id)
                .await
                .expect("entry")
                .entry
                .first_on,
            None,
            "published before requested: refused"
        );
        agent
            .post(
                &format!("/registres/mises-a-jour-site/{}", pending.id),
                &[("first_on", "2024-05-15")],
            )
            .await;
        // Three PAN visits in May 2024.
        for day in ["2024-05-02", "2024-05-03", "2024-05-06"] {
            let res = agent
                .post(
                    "/registres/point-numerique",
                    &[
                        ("site_id", "1"),
                        ("started_on", day),
                        ("category", "titles"),
                        ("minutes", "20"),
                        ("flag", "1"),
                    ],
                )
                .await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        }
        let res = agent
            .post(
                "/registres/point-numerique",
                &[
                    ("site_id", "1"),
                    ("started_on", "2024-05-06"),
                    ("minutes", "9999"),
                ],
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "no category, impossible duration"
        );

        let cat = qep_app::indicators::catalogue(&app.ctx)
            .await
            .expect("catalogue");
        let flat = qep_app::indicators::results(&app.ctx, &cat, 2024, None, None)
            .await
            .expect("results")
            .flat();
        let get = |code: &str, period: &str| {
            flat.iter()
                .find(|r| r.code == code && r.period.to_string() == period)
                .unwrap_or_else(|| panic!("{code} {period}"))
        };
        let web = get("m1.web.update_on_time", "2024-05");
        assert_eq!(
            (web.numerator, web.denominator, web.value),
            (Some(1.0), Some(2.0), Some(50.0))
        );
        assert_eq!(get("m1.pan.visitors", "2024-05").value, Some(3.0));
        assert_eq!(get("m1.pan.visitors", "2024").value, Some(3.0));
        // May 2024: 23 weekdays, 4 of them holidays (1, 8, 9 and 20 May): 3 visits / 19 days.
        let daily = get("m1.pan.daily_mean", "2024-05");
        assert_eq!(
            (daily.numerator, daily.denominator),
            (Some(3.0), Some(19.0))
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn trainings_show_when_they_must_be_renewed() {
    for app in TestApp::all().await {
        let mut lead = app.client();
        lead.login(ADMIN).await;
        for (agent, day, commitment) in [
            ("Camille Martin", "2021-01-15", "4"),
            ("Camille Martin", "2019-03-01", "28"),
            ("Camille Martin", "2023-06-01", "28"),
            ("Louis Petit", "2024-06-01", "33"),
        ] {
            let res = lead
                .post(
                    "/registres/formations",
                    &[
                        ("site_id", "1"),
                        ("started_on", day),
                        ("label", agent),
                        ("category", "Accueil des publics"),
                        ("commitment", commitment),
                    ],
                )
                .await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        }
        let res = lead
            .post(
                "/registres/formations",
                &[
                    ("site_id", "1"),
                    ("started_on", "2024-06-01"),
                    ("commitment", "x"),
                ],
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "agent, course and commitment are checked"
        );
        let page = lead.get("/registres/formations?annee=2021").await;
        assert_eq!(page.status, StatusCode::OK);
        let alert_start = page
            .body
            .find("Formations à renouveler")
            .expect("renewal alert");
        let alert = page.body[alert_start..alert_start + 800].replace("&#x2f;", "/");
        assert!(
            alert.contains("engagement n° 4") && alert.contains("15/01/2025"),
            "{alert}"
        );
        assert!(
            !alert.contains("n° 28"),
            "renewed in 2023: the 2019 training no longer counts"
        );
        assert!(!alert.contains("Louis Petit"), "valid until 2028");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn fast_paper_entry_keeps_its_settings_and_letters_get_their_acknowledgement() {
    for app in TestApp::all().await {
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
        let mut agent = app.client();
        agent.login(AGENT).await;
        let page = agent.get("/registres/courrier/saisie-rapide").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("autofocus"),
            "the keyboard starts on the first field"
        );
        let res = agent
            .post(
                "/registres/courrier/saisie-rapide",
                &[
                    ("channel", "letter"),
                    ("kind", "complaint"),
                    ("site_id", "1"),
                    ("service_id", &acc),
                    ("received_on", "2024-05-03"),
                    ("subject", "Carte dans l'urne"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert!(
            res.location()
                .starts_with("/registres/courrier/saisie-rapide?canal=letter"),
            "{}",
            res.location()
        );
        assert!(res.location().contains("date=2024-05-03"));
        let next = agent.get(res.location()).await;
        assert!(
            next.body.contains("value=\"2024-05-03\""),
            "the date stays for the next entry"
        );
        assert!(next.body.contains("2024-000001"));
        // Paper: 10 working days from Fri 3 May 2024 (8, 9 and 20 May are holidays) → Wed 22 May.
        let item = app
            .store
            .get_correspondence(qep_core::ids::ItemId(1))
            .await
            .expect("item");
        assert_eq!(
            (item.channel.as_str(), item.due_on.to_string()),
            ("letter", "2024-05-22".to_owned())
        );
        let res = agent
            .post(
                "/registres/courrier/saisie-rapide",
                &[
                    ("channel", "email"),
                    ("kind", "complaint"),
                    ("site_id", "1"),
                    ("service_id", &acc),
                    ("received_on", "2024-05-03"),
                    ("subject", "x"),
                ],
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "fast entry is for paper"
        );

        // A letter entered after its due date: no acknowledgement promising a past date.
        let letter = |received_on: String| {
            vec![
                ("channel", "letter".to_owned()),
                ("kind", "general_information".to_owned()),
                ("site_id", "1".to_owned()),
                ("service_id", acc.clone()),
                ("received_on", received_on),
                ("subject", "Horaires".to_owned()),
                ("requester_email", "lettre@example.org".to_owned()),
                ("in_scope", "1".to_owned()),
            ]
        };
        let old = letter("2024-05-03".into());
        let old: Vec<(&str, &str)> = old.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = agent.post("/registres/courrier/nouveau", &old).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let mails = app
            .store
            .due_mails(chrono::Utc::now(), 10)
            .await
            .expect("due");
        assert!(
            mails.is_empty(),
            "registered after its due date: no acknowledgement"
        );

        // A letter received today with an e-mail address: the letter acknowledgement is queued.
        let today = app.ctx.today();
        let due = app
            .ctx
            .calendars
            .site(&*app.store, qep_core::ids::SiteId(1), today)
            .await
            .expect("calendar")
            .due_date(today, 10)
            .expect("due date");
        let new = letter(today.to_string());
        let new: Vec<(&str, &str)> = new.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = agent.post("/registres/courrier/nouveau", &new).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let mails = app
            .store
            .due_mails(chrono::Utc::now(), 10)
            .await
            .expect("due");
        assert_eq!(mails.len(), 1);
        let reference = format!("votre courrier {}-000001", today.format("%Y"));
        assert!(
            mails[0].subject.contains(&reference),
            "{}",
            mails[0].subject
        );
        assert!(
            mails[0].body.contains("10 jours ouvrés")
                && mails[0].body.contains(&due.format("%d/%m/%Y").to_string()),
            "{}",
            mails[0].body
        );
        app.cleanup().await;
    }
}

fn multipart(files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "qepboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, data) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn files_are_attached_to_items_and_only_their_services_see_them() {
    use axum::http::Method;
    use qep_core::registers::correspondence::{Channel, Kind};
    use qep_store::{Actor, NewCorrespondence};

    for app in TestApp::all().await {
        let services = app.store.list_services().await.expect("services");
        let cert = services.iter().find(|s| s.code == "CERT").expect("CERT").id;
        let day = chrono::NaiveDate::from_ymd_opt(2024, 5, 3).expect("date");
        let item = NewCorrespondence {
            reference: None,
            channel: Channel::Letter,
            kind: Kind::Complaint,
            site: services[0].site_id,
            service: None,
            received_at: day.and_hms_opt(9, 0, 0).expect("t").and_utc(),
            received_on: day,
            deadline_days: 10,
            due_on: day + chrono::Duration::days(19),
            requester_name: String::new(),
            requester_email: String::new(),
            requester_address: String::new(),
            subject: "Lettre scannée".into(),
            in_scope: true,
            out_of_scope: None,
            answered_on: None,
            answer: None,
        };
        let ids = app
            .store
            .insert_correspondence(
                &Actor::cli(),
                &[
                    item.clone(),
                    NewCorrespondence {
                        service: Some(cert),
                        ..item
                    },
                ],
            )
            .await
            .expect("register");
        let mut lead = app.client();
        lead.login(ADMIN).await;
        lead.get(&format!("/registres/courrier/{}", ids[0])).await;
        let token = lead.csrf();
        let pdf: &[u8] = b"%PDF-1.4\n% lettre de l'usager";
        let (ct, body) = multipart(&[("lettre scannée.pdf", pdf)]);
        let path = format!("/registres/courrier/{}/pieces", ids[0]);
        let res = lead
            .send_raw(Method::POST, &path, Some(&ct), body.clone())
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "no CSRF token");
        let with_token = format!("{path}?csrf_token={token}");
        let res = lead
            .send_raw(Method::POST, &with_token, Some(&ct), body)
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let (ct2, exe) = multipart(&[("virus.exe", b"MZ")]);
        lead.send_raw(Method::POST, &with_token, Some(&ct2), exe)
            .await;
        let listed = app.store.list_attachments(ids[0]).await.expect("list");
        assert_eq!(listed.len(), 1, "only allowed types");
        let page = lead.get(&format!("/registres/courrier/{}", ids[0])).await;
        assert!(page.body.contains("lettre scannée.pdf"));
        let download = lead
            .get(&format!(
                "/registres/courrier/{}/pieces/{}",
                ids[0], listed[0].id
            ))
            .await;
        assert_eq!(download.status, StatusCode::OK);
        assert_eq!(download.body.as_bytes(), pdf);
        let disposition = download
            .headers
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        // Through another item's path, or for an agent of other services: nothing.
        let other = lead
            .get(&format!(
                "/registres/courrier/{}/pieces/{}",
                ids[1], listed[0].id
            ))
            .await;
        assert_eq!(other.status, StatusCode::NOT_FOUND);
        let mut agent = app.client();
        agent.login(AGENT).await;
        let denied = agent
            .get(&format!(
                "/registres/courrier/{}/pieces/{}",
                ids[0], listed[0].id
            ))
            .await;
        assert_eq!(
            denied.status,
            StatusCode::FORBIDDEN,
            "unassigned item: quality lead only"
        );
        // Too large: refused whole.
        let big = vec![b'x'; 11 * 1024 * 1024];
        let (ct3, body3) = multipart(&[("gros.pdf", &big)]);
        let res = lead
            .send_raw(Method::POST, &with_token, Some(&ct3), body3)
            .await;
        assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            app.store
                .list_attachments(ids[0])
                .await
                .expect("list")
                .len(),
            1
        );
        app.cleanup().await;
    }
}

/// Saving an imported file is read-then-write (is this file known? then the values): with
/// SQLite's write transactions begun IMMEDIATE, concurrent saves wait their turn instead of
/// failing at once as "busy"; registrations too, each with its own reference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_on_sqlite_wait_their_turn() {
    for app in TestApp::all().await {
        let mut tasks = Vec::new();
        for i in 0..40 {
            let store = app.store.clone();
            tasks.push(tokio::spawn(async move {
                let values = [qep_store::IndicatorValue {
                    code: "m1.email.on_time".into(),
                    period: format!("2019-{:02}", i % 12 + 1),
                    site: None,
                    value: f64::from(i),
                    numerator: None,
                    denominator: None,
                    weight: None,
                    origin: qep_store::ValueOrigin::Imported,
                }];
                let file = qep_store::ImportFile {
                    kind: "values".into(),
                    file_name: format!("valeurs-{i}.csv"),
                    sha256: format!("{i:064x}"),
                };
                store
                    .save_indicator_values(&qep_store::Actor::system(), &values, Some(&file))
                    .await
            }));
        }
        for t in tasks {
            t.await.expect("joined").expect("no busy error");
        }
        let mut tasks = Vec::new();
        for i in 0..40 {
            let ctx = app.ctx.clone();
            tasks.push(tokio::spawn(async move {
                let arrival = qep_app::registers::Arrival {
                    reference: None,
                    channel: qep_core::registers::correspondence::Channel::Email,
                    kind: qep_core::registers::correspondence::Kind::GeneralInformation,
                    site: qep_core::ids::SiteId(1),
                    service: None,
                    received_at: ctx.now(),
                    received_on: None,
                    requester_name: String::new(),
                    requester_email: format!("usager{i}@example.org"),
                    requester_address: String::new(),
                    subject: format!("Demande {i}"),
                    in_scope: true,
                    out_of_scope: None,
                    answered_on: None,
                    answer: None,
                };
                qep_app::registers::register(&ctx, &qep_store::Actor::system(), &arrival, "", "x")
                    .await
            }));
        }
        let mut references = Vec::new();
        for t in tasks {
            let done = t
                .await
                .expect("joined")
                .expect("no busy error")
                .expect("registered");
            references.push(done.item.reference);
        }
        references.sort();
        references.dedup();
        assert_eq!(references.len(), 40);
    }
}

/// The register's lists page on the server: 100 items a page, in a stable order, with
/// links to the previous and next pages; no item is lost past the first page.
#[tokio::test]
async fn register_lists_page_through_every_item() {
    for app in TestApp::all().await {
        let backend = app.backend();
        let sites = app.store.list_sites().await.expect("sites");
        let today = app.ctx.today();
        let items: Vec<_> = (0..230)
            .map(|i| qep_store::NewCorrespondence {
                reference: Some(format!("PAGE-{i:03}")),
                channel: qep_core::registers::correspondence::Channel::Email,
                kind: qep_core::registers::correspondence::Kind::GeneralInformation,
                site: sites[0].id,
                service: None,
                received_at: chrono::Utc::now(),
                received_on: today,
                deadline_days: 5,
                due_on: today + chrono::Duration::days(7 + i % 5),
                requester_name: String::new(),
                requester_email: String::new(),
                requester_address: String::new(),
                subject: format!("Demande {i}"),
                in_scope: true,
                out_of_scope: None,
                answered_on: None,
                answer: None,
            })
            .collect();
        app.store
            .insert_correspondence(&qep_store::Actor::cli(), &items)
            .await
            .expect("items");
        let mut lead = app.client();
        lead.login(ADMIN).await;
        let mut seen = std::collections::BTreeSet::new();
        for page in 1..=3 {
            let res = lead
                .get(&format!("/registres/courrier?vue=tous&page={page}"))
                .await;
            assert_eq!(res.status, StatusCode::OK, "{backend}");
            let on_page: Vec<String> = res
                .body
                .match_indices("PAGE-")
                .map(|(at, _)| res.body[at..at + 8].to_owned())
                .collect();
            assert!(on_page.len() <= 100, "{backend}: page {page}");
            seen.extend(on_page);
            assert_eq!(
                res.body.contains(&format!("page={}", page + 1)),
                page < 3,
                "{backend}: a next page after page {page}"
            );
            assert_eq!(
                res.body.contains(&format!("page={}", page - 1)),
                page > 1,
                "{backend}: a previous page before page {page}"
            );
        }
        assert_eq!(
            seen.len(),
            230,
            "{backend}: every item on one page or another"
        );
    }
}
