//! The public form and its acknowledgement, sent by SMTP to a real server (Debian's
//! aiosmtpd, started here) and read back decoded.

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use qep_app::mail::{MailConfig, send_due};
use serde_json::Value;

use crate::helpers::{ADMIN, TestApp};

pub struct SmtpServer {
    child: Child,
    pub port: u16,
    out: PathBuf,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.out);
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// `None` outside CI when Debian's python3-aiosmtpd is missing.
pub async fn smtp_server() -> Option<SmtpServer> {
    let has_aiosmtpd = Command::new("/usr/bin/python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_aiosmtpd {
        assert!(
            std::env::var("CI").is_err(),
            "CI must install python3-aiosmtpd (see .ci/run)"
        );
        eprintln!("skipped: python3-aiosmtpd is not installed");
        return None;
    }
    let port = free_port();
    let out = std::env::temp_dir().join(format!("qep-smtp-{}-{port}.jsonl", std::process::id()));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/smtp_capture.py");
    let child = Command::new("/usr/bin/python3")
        .args([script, &port.to_string(), out.to_str().expect("path")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the SMTP server");
    let deadline = Instant::now() + Duration::from_secs(15);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "SMTP server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some(SmtpServer { child, port, out })
}

pub fn received(server: &SmtpServer) -> Vec<Value> {
    std::fs::read_to_string(&server.out)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

#[tokio::test]
async fn a_citizen_writes_gets_a_reference_and_an_acknowledgement() {
    let Some(server) = smtp_server().await else {
        return;
    };
    for app in TestApp::all().await {
        // The capture server is shared by both backends' runs.
        let already = received(&server).len();
        let mut citizen = app.client();
        let page = citizen.get("/contact").await;
        assert_eq!(page.status, StatusCode::OK);
        let xss = "<img src=x onerror=alert(1)>";
        let res = citizen
            .post(
                "/contact",
                &[
                    ("kind", "complaint"),
                    ("name", xss),
                    ("email", "Usager@Example.org"),
                    ("subject", &format!("Attente {xss}")),
                    (
                        "message",
                        "Une heure d'attente au guichet des cartes grises.",
                    ),
                    ("site_web", ""),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let thanks = citizen.get(res.location()).await;
        assert!(
            thanks.body.contains("enregistré sous la référence"),
            "reference shown"
        );
        let items = app
            .store
            .list_correspondence(&qep_store::CorrespondenceQuery {
                limit: 10,
                ..Default::default()
            })
            .await
            .expect("list");
        assert_eq!(items.len(), 1);
        let item = &items[0];
        assert_eq!(
            (
                item.channel.as_str(),
                item.kind.as_str(),
                item.deadline_days
            ),
            ("web_form", "complaint", 5)
        );
        assert_eq!(item.requester_email, "usager@example.org");
        assert_eq!(
            item.body,
            "Une heure d'attente au guichet des cartes grises."
        );
        assert!(thanks.body.contains(&item.reference));

        // The register shows the citizen's text escaped.
        let mut admin = app.client();
        admin.login(ADMIN).await;
        let page = admin.get(&format!("/registres/courrier/{}", item.id)).await;
        assert!(page.body.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(
            page.body.contains("Une heure d&#x27;attente")
                || page.body.contains("Une heure d'attente"),
            "message shown"
        );
        assert!(!page.body.contains("<img src=x"));

        let config = MailConfig {
            smtp_url: Some(format!("smtp://127.0.0.1:{}", server.port)),
            from: "Préfecture de démonstration <ne-pas-repondre@demo.invalid>".into(),
            poll_interval: Duration::from_secs(1),
        };
        assert_eq!(send_due(&app.ctx, &config).await, Ok(1));
        assert_eq!(send_due(&app.ctx, &config).await, Ok(0), "sent once");
        let deadline = Instant::now() + Duration::from_secs(10);
        let mails = loop {
            let m: Vec<_> = received(&server).into_iter().skip(already).collect();
            if !m.is_empty() || Instant::now() > deadline {
                break m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(mails.len(), 1);
        let m = &mails[0];
        assert_eq!(m["rcpt_tos"][0], "usager@example.org");
        assert_eq!(m["auto_submitted"], "auto-replied");
        assert_eq!(m["content_type"], "text/plain");
        let subject = m["subject"].as_str().expect("subject");
        assert!(
            subject.contains(&item.reference)
                && subject.contains("Préfecture de démonstration de l'Orne"),
            "{subject}"
        );
        let body = m["body"].as_str().expect("body");
        assert!(
            body.contains(&format!("référence {}", item.reference)),
            "{body}"
        );
        assert!(
            body.contains(&format!(
                "au plus tard le {}",
                item.due_on.format("%d/%m/%Y")
            )),
            "{body}"
        );
        assert!(body.contains("votre réclamation"), "{body}");
    }
}

#[tokio::test]
async fn a_failed_send_waits_and_the_registration_stays() {
    for app in TestApp::all().await {
        let mut citizen = app.client();
        citizen.get("/contact").await;
        let res = citizen
            .post(
                "/contact",
                &[
                    ("kind", "general_information"),
                    ("email", "a@example.org"),
                    ("subject", "Horaires"),
                    ("message", "Quels horaires ?"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let closed = MailConfig {
            smtp_url: Some(format!("smtp://127.0.0.1:{}", free_port())),
            ..MailConfig::default()
        };
        assert_eq!(send_due(&app.ctx, &closed).await, Ok(0));
        assert_eq!(
            app.store.outbox_counts().await,
            Ok((1, 0)),
            "still waiting, to retry"
        );
        assert!(
            app.store
                .due_mails(chrono::Utc::now(), 10)
                .await
                .expect("due")
                .is_empty(),
            "not before its back-off"
        );
        let items = app
            .store
            .list_correspondence(&qep_store::CorrespondenceQuery {
                limit: 10,
                ..Default::default()
            })
            .await
            .expect("list");
        assert_eq!(items.len(), 1, "the registration is kept");
    }
}

#[tokio::test]
async fn the_public_form_resists_abuse() {
    let app = TestApp::sqlite_with(qep_web::WebConfig {
        contact_per_hour: 2,
        ..Default::default()
    })
    .await;
    let mut bot = app.client();
    bot.get("/contact").await;
    let good = [
        ("kind", "suggestion"),
        ("email", "b@example.org"),
        ("subject", "Idée"),
        ("message", "Un banc."),
    ];
    // A filled honeypot looks like success and registers nothing.
    let mut trap = good.to_vec();
    trap.push(("site_web", "http://spam.example"));
    let res = bot.post("/contact", &trap).await;
    assert_eq!(
        (res.status, res.location()),
        (StatusCode::SEE_OTHER, "/contact/merci")
    );
    let count = || async {
        app.store
            .list_correspondence(&qep_store::CorrespondenceQuery {
                limit: 10,
                ..Default::default()
            })
            .await
            .expect("list")
            .len()
    };
    assert_eq!(count().await, 0);
    // Without the CSRF token: refused.
    let res = bot.post_without_token("/contact", &good).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Field limits, errors bound to fields.
    let long = "x".repeat(151);
    let res = bot
        .post(
            "/contact",
            &[
                ("kind", "suggestion"),
                ("email", "pas-une-adresse"),
                ("subject", &long),
                ("message", ""),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["contact-email", "contact-subject", "contact-message"] {
        assert!(
            res.body
                .contains(&format!("aria-describedby=\"{field}-error\"")),
            "{field}"
        );
    }
    // Two messages per hour from one address, then refused.
    for _ in 0..2 {
        assert_eq!(
            bot.post("/contact", &good).await.status,
            StatusCode::SEE_OTHER
        );
    }
    let res = bot.post("/contact", &good).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(count().await, 2);
}

#[tokio::test]
async fn the_quality_lead_edits_the_acknowledgement_templates() {
    for app in TestApp::all().await {
        let mut admin = app.client();
        admin.login(ADMIN).await;
        let page = admin.get("/administration/modeles").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Modèle par défaut."));
        let res = admin
            .post(
                "/administration/modeles",
                &[
                    ("key", "ack.general"),
                    ("subject", "Demande {{ reference }}"),
                    ("body", "Bonjour {{ nom }}"),
                ],
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown merge field refused"
        );
        assert!(
            res.body
                .contains("aria-describedby=\"template-body-error\"")
        );
        let res = admin
        .post(
            "/administration/modeles",
            &[
                ("key", "ack.general"),
                ("subject", "Demande {{ reference }}"),
                (
                    "body",
                    "Référence {{ reference }}, réponse avant le {{ due_on }}.\r\n{{ prefecture }}",
                ),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);

        let mut citizen = app.client();
        citizen.get("/contact").await;
        citizen
            .post(
                "/contact",
                &[
                    ("kind", "general_information"),
                    ("email", "c@example.org"),
                    ("subject", "Horaires"),
                    ("message", "?"),
                ],
            )
            .await;
        let item = app
            .store
            .list_correspondence(&qep_store::CorrespondenceQuery {
                limit: 1,
                ..Default::default()
            })
            .await
            .expect("list")
            .remove(0);
        let mail = app
            .store
            .due_mails(chrono::Utc::now(), 10)
            .await
            .expect("due")
            .remove(0);
        assert_eq!(mail.subject, format!("Demande {}", item.reference));
        assert_eq!(
            mail.body,
            format!(
                "Référence {}, réponse avant le {}.\nPréfecture de démonstration de l'Orne",
                item.reference,
                item.due_on.format("%d/%m/%Y")
            )
        );
    }
}

#[tokio::test]
async fn the_morning_digest_lists_each_services_late_and_due_items_once_a_day() {
    use chrono::NaiveDate;
    use qep_core::registers::correspondence::{Channel, Kind};
    use qep_store::{Actor, NewCorrespondence};

    for app in TestApp::all().await {
        let d = |m, day| NaiveDate::from_ymd_opt(2024, m, day).expect("date");
        let services = app.store.list_services().await.expect("services");
        let acc = services.iter().find(|s| s.code == "ACC").expect("ACC").id;
        let item = |subject: &str, service, due| NewCorrespondence {
            reference: None,
            channel: Channel::Letter,
            kind: Kind::GeneralInformation,
            site: services[0].site_id,
            service,
            received_at: d(5, 2).and_hms_opt(9, 0, 0).expect("t").and_utc(),
            received_on: d(5, 2),
            deadline_days: 10,
            due_on: due,
            requester_name: String::new(),
            requester_email: String::new(),
            requester_address: String::new(),
            subject: subject.into(),
            in_scope: true,
            out_of_scope: None,
            answered_on: None,
            answer: None,
        };
        app.store
            .insert_correspondence(
                &Actor::cli(),
                &[
                    item("En retard", Some(acc), d(5, 10)),
                    item("Pour demain", Some(acc), d(5, 14)),
                    item("Plus tard", Some(acc), d(5, 31)),
                    item("Sans service", None, d(5, 13)),
                ],
            )
            .await
            .expect("register");
        let queued = qep_app::mail::daily_digest(&app.ctx, d(5, 13), d(5, 14))
            .await
            .expect("digest");
        assert_eq!(
            queued, 2,
            "the reception agent, and the quality lead for the unassigned item"
        );
        let mails = app
            .store
            .due_mails(chrono::Utc::now(), 10)
            .await
            .expect("due");
        let agent = mails
            .iter()
            .find(|m| m.to == "agent.accueil@demo.invalid")
            .expect("agent's digest");
        assert!(
            agent.subject.contains("1 en retard, 1 à traiter"),
            "{}",
            agent.subject
        );
        assert!(agent.body.contains("En retard") && agent.body.contains("Pour demain"));
        assert!(!agent.body.contains("Plus tard") && !agent.body.contains("Sans service"));
        let lead = mails
            .iter()
            .find(|m| m.to == "referente.qualite@demo.invalid")
            .expect("lead's digest");
        assert!(lead.body.contains("Sans service"));
        assert_eq!(
            qep_app::mail::daily_digest(&app.ctx, d(5, 13), d(5, 14)).await,
            Ok(0),
            "once a day"
        );
    }
}

#[tokio::test]
async fn an_agent_answers_by_mail_from_a_template() {
    for app in TestApp::all().await {
        let mut citizen = app.client();
        citizen.get("/contact").await;
        citizen
            .post(
                "/contact",
                &[
                    ("kind", "general_information"),
                    ("email", "d@example.org"),
                    ("subject", "Horaires"),
                    ("message", "Ouvert le samedi ?"),
                ],
            )
            .await;
        let item = app
            .store
            .list_correspondence(&qep_store::CorrespondenceQuery {
                limit: 1,
                ..Default::default()
            })
            .await
            .expect("list")
            .remove(0);
        let mut lead = app.client();
        lead.login(ADMIN).await;
        let page = lead.get(&format!("/registres/courrier/{}", item.id)).await;
        assert!(
            page.body.contains("Répondre par courriel") && page.body.contains("[Votre réponse]")
        );
        assert!(
            page.body
                .contains(&format!("réponse à votre demande {}", item.reference))
        );
        let forwarded = lead
            .get(&format!(
                "/registres/courrier/{}?modele=transmission",
                item.id
            ))
            .await;
        assert!(forwarded.body.contains("transmise au service compétent"));

        let action = format!("/registres/courrier/{}/reponse-courriel", item.id);
        let subject = format!("Réponse à votre demande {}", item.reference);
        lead.post(
            &action,
            &[
                ("answer", "substantive"),
                ("subject", &subject),
                ("body", "Bonjour,\n[Votre réponse]"),
            ],
        )
        .await;
        assert_eq!(
            app.store
                .get_correspondence(item.id)
                .await
                .expect("item")
                .answered_on,
            None,
            "the placeholder must be replaced"
        );
        let res = lead
            .post(
                &action,
                &[
                    ("answer", "substantive"),
                    ("subject", &subject),
                    ("body", "Bonjour,\nNon, du lundi au vendredi."),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let answered = app.store.get_correspondence(item.id).await.expect("item");
        assert_eq!(answered.answer.map(|a| a.as_str()), Some("substantive"));
        assert!(answered.answered_on.is_some());
        let mails = app
            .store
            .due_mails(chrono::Utc::now(), 10)
            .await
            .expect("due");
        assert_eq!(mails.len(), 2, "the acknowledgement and the answer");
        assert!(
            mails
                .iter()
                .any(|m| m.subject == subject && m.body.contains("du lundi au vendredi"))
        );
        let again = lead
            .post(
                &action,
                &[
                    ("answer", "substantive"),
                    ("subject", &subject),
                    ("body", "x"),
                ],
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "answered once");
    }
}
