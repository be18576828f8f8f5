//! A large import never makes users fail: while the real binary imports a big register
//! file into the server's database, citizens write through the public form and agents sign
//! in, and every one of them succeeds. (How long they wait is measured by the import
//! benchmark, not asserted here.)

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;

use crate::helpers::{ADMIN, Client, TestApp};

const ROWS: usize = 20_000;

fn big_file() -> String {
    let mut csv = String::from(
        "Référence;Canal;Type;Site;Service;Date de réception;Date de réponse;Réponse;\
         Dans le périmètre;Objet\r\n",
    );
    for i in 0..ROWS {
        let day = 1 + i % 28;
        let month = 1 + (i / 28) % 12;
        let _ = write!(
            csv,
            "BIG-{i};courriel;information générale;Préfecture – Alençon;ACC;\
             {day:02}/{month:02}/2024 10:15;{:02}/{month:02}/2024;réponse sur le fond;oui;\
             Demande n° {i}\r\n",
            (day + 2).min(28)
        );
    }
    csv
}

#[tokio::test]
async fn a_big_import_never_makes_the_public_form_or_logins_fail() {
    let file = std::env::temp_dir().join(format!("qep-busy-{}.csv", std::process::id()));
    std::fs::write(&file, big_file()).expect("file");
    for app in TestApp::each_backend(Arc::new(qep_app::SystemClock)).await {
        let backend = app.backend();
        let server = app.serve(qep_web::WebConfig::default()).await;
        let mut import = Command::new(env!("CARGO_BIN_EXE_qep"))
            .args([
                "--database",
                &app.database_url(),
                "import",
                "correspondence",
            ])
            .arg(&file)
            .env_remove("QEP_CONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("import");
        let mut during = 0;
        let mut failures = Vec::new();
        for n in 0u8.. {
            let running = import.try_wait().expect("wait").is_none();
            if !running && n > 3 {
                break;
            }
            // A citizen of its own address (the form limits each address).
            let mut citizen =
                Client::over_http(server.addr, IpAddr::V4(Ipv4Addr::new(127, 0, 2, n.max(1))));
            citizen.get("/contact").await;
            let sent = citizen
                .post(
                    "/contact",
                    &[
                        ("kind", "complaint"),
                        ("name", ""),
                        ("email", "usager@example.org"),
                        ("subject", &format!("Attente n° {n}")),
                        ("message", "Une heure d'attente au guichet."),
                        ("site_web", ""),
                    ],
                )
                .await;
            if sent.status != StatusCode::SEE_OTHER {
                failures.push(format!("public form: {} {}", sent.status, sent.body));
            }
            let mut agent =
                Client::over_http(server.addr, IpAddr::V4(Ipv4Addr::new(127, 0, 3, n.max(1))));
            agent.get("/connexion").await;
            let login = agent
                .post("/connexion", &[("email", ADMIN.0), ("password", ADMIN.1)])
                .await;
            if login.status != StatusCode::SEE_OTHER {
                failures.push(format!("login: {} {}", login.status, login.body));
            }
            if running {
                during += 1;
            }
            if n == u8::MAX - 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let out = import.wait_with_output().expect("import");
        assert!(
            out.status.success(),
            "{backend}: import: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(failures.is_empty(), "{backend}: {failures:#?}");
        eprintln!("{backend}: {during} rounds of requests during the import");
        assert!(during > 0, "{backend}: requests ran during the import");
        let items = app
            .store
            .list_correspondence(&Default::default())
            .await
            .expect("list");
        let form = items
            .iter()
            .filter(|i| i.subject.starts_with("Attente"))
            .count();
        assert_eq!(items.len() - form, ROWS, "{backend}: the whole file");
        assert!(form >= 4, "{backend}: every message registered");
        drop(server);
        app.cleanup().await;
    }
    let _ = std::fs::remove_file(&file);
}
