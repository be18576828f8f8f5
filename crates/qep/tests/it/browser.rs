//! A real headless Chromium, driven through chromedriver (WebDriver): log in as the demo
//! admin, reach the dashboard, and check both pages with axe-core (WCAG 2.1 A/AA rules and
//! best practices): zero violations. Skipped only outside CI when chromedriver is missing.

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};
use qep_store_sqlite::SqliteStore;
use qep_store_sqlite::testdb::TempDbPath;
use serde_json::{Value, json};

use crate::helpers::ADMIN;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not start on port {port}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn axe_source() -> String {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../qep-web/assets/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (npm ci in crates/qep-web/assets installs axe-core)",
            path.display()
        )
    })
}

const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
  .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }))))
  .catch(e => done([{ id: 'axe-error', help: String(e) }]));
"#;

async fn violations(client: &fantoccini::Client, axe: &str) -> Vec<Value> {
    client.execute(axe, vec![]).await.expect("inject axe-core");
    match client
        .execute_async(RUN_AXE, vec![])
        .await
        .expect("run axe")
    {
        Value::Array(v) => v,
        other => panic!("unexpected axe result {other}"),
    }
}

/// A real server with the demo prefecture, a chromedriver and a WebDriver session.
pub(crate) struct Browser {
    pub(crate) client: fantoccini::Client,
    pub(crate) base: String,
    axe: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    profile: PathBuf,
    _driver: KillOnDrop,
    _db: TempDbPath,
}

impl Browser {
    /// `None` outside CI when chromedriver is missing.
    pub(crate) async fn start() -> Option<Browser> {
        Self::start_with(qep_app::mail::MailConfig::default()).await
    }

    async fn start_with(mail: qep_app::mail::MailConfig) -> Option<Browser> {
        if !Path::new(CHROMEDRIVER).exists() {
            assert!(
                std::env::var("CI").is_err(),
                "CI must install chromium and chromium-driver (see .ci/run)"
            );
            eprintln!("skipped: {CHROMEDRIVER} is not installed");
            return None;
        }
        let axe = axe_source();
        let db = TempDbPath::new();
        let store = std::sync::Arc::new(SqliteStore::open(&db.0, true).await.expect("open"));
        let ctx = qep_app::Ctx::new(store);
        qep::demo::seed(&ctx).await.expect("seed");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(qep::serve(
            ctx,
            qep_web::WebConfig::default(),
            mail,
            qep_app::jobs::JobsConfig::default(),
            listener,
            async {
                let _ = stopped.await;
            },
        ));
        let port = free_port();
        let driver = KillOnDrop(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start chromedriver"),
        );
        wait_for_port(port).await;
        let profile =
            std::env::temp_dir().join(format!("qep-chromium-{}-{port}", std::process::id()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.display())]
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("webdriver session");
        Some(Browser {
            client,
            base,
            axe,
            stop,
            server,
            profile,
            _driver: driver,
            _db: db,
        })
    }

    pub(crate) async fn violations(&self) -> Vec<Value> {
        violations(&self.client, &self.axe).await
    }

    pub(crate) async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.client.current_url().await.expect("url").path() != path {
            assert!(
                Instant::now() < deadline,
                "the browser did not reach {path}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) async fn finish(self) {
        let _ = self.client.close().await;
        let _ = self.stop.send(());
        let _ = self.server.await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

#[tokio::test]
async fn admin_logs_in_and_pages_pass_axe() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let client = &b.client;
    let result = async {
        client
            .goto(&format!("{}/", b.base))
            .await
            .expect("open home");
        let url = client.current_url().await.expect("url");
        assert_eq!(
            url.path(),
            "/connexion",
            "anonymous visitors land on the login page"
        );
        let login_violations = b.violations().await;

        client
            .find(Locator::Css("#email"))
            .await
            .expect("email field")
            .send_keys(ADMIN.0)
            .await
            .expect("type");
        client
            .find(Locator::Css("#password"))
            .await
            .expect("password field")
            .send_keys(ADMIN.1)
            .await
            .expect("type");
        client
            .find(Locator::Css("main form button[type=submit]"))
            .await
            .expect("submit button")
            .click()
            .await
            .expect("submit");
        b.wait_for_path("/tableau-de-bord").await;
        let h1 = client
            .find(Locator::Css("main h1"))
            .await
            .expect("dashboard h1");
        let title = h1.text().await.expect("h1 text");
        assert_eq!(title, "Tableau de bord");
        let page_title = client.title().await.expect("title");
        // The latest year with values: the demo's imported statistics reach 2022.
        assert!(
            page_title.starts_with("Tableau de bord 2022 – QeP"),
            "{page_title}"
        );
        let dashboard_violations = b.violations().await;
        client
            .goto(&format!("{}/documents", b.base))
            .await
            .expect("documents page");
        let documents_violations = b.violations().await;
        (login_violations, dashboard_violations, documents_violations)
    }
    .await;
    b.finish().await;
    let (login, dashboard, documents) = result;
    assert!(
        documents.is_empty(),
        "axe violations on the documents page: {documents:#?}"
    );
    assert!(
        login.is_empty(),
        "axe violations on the login page: {login:#?}"
    );
    assert!(
        dashboard.is_empty(),
        "axe violations on the dashboard: {dashboard:#?}"
    );
}

#[tokio::test]
async fn a_citizen_uses_the_public_form_in_a_browser() {
    let Some(smtp) = crate::mail::smtp_server().await else {
        return;
    };
    let mail = qep_app::mail::MailConfig {
        smtp_url: Some(format!("smtp://127.0.0.1:{}", smtp.port)),
        from: "Préfecture <ne-pas-repondre@demo.invalid>".into(),
        poll_interval: Duration::from_millis(300),
    };
    let Some(b) = Browser::start_with(mail).await else {
        return;
    };
    let client = &b.client;
    let xss =
        "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">";
    let result = async {
        client
            .goto(&format!("{}/contact", b.base))
            .await
            .expect("open form");
        let form_violations = b.violations().await;
        client
            .find(Locator::Css("label[for=contact-kind-1]"))
            .await
            .expect("complaint")
            .click()
            .await
            .expect("choose");
        for (id, text) in [
            ("#contact-name", xss.to_owned()),
            ("#contact-email", "usager@example.org".to_owned()),
            ("#contact-subject", format!("Objet {xss}")),
            ("#contact-message", format!("Message {xss}")),
        ] {
            client
                .find(Locator::Css(id))
                .await
                .expect(id)
                .send_keys(&text)
                .await
                .expect("type");
        }
        client
            .find(Locator::Css("main form button[type=submit]"))
            .await
            .expect("send button")
            .click()
            .await
            .expect("send");
        b.wait_for_path("/contact/merci").await;
        let notice = client
            .find(Locator::Css("main .fr-alert p"))
            .await
            .expect("notice")
            .text()
            .await
            .expect("text");
        let thanks_violations = b.violations().await;

        // The quality lead opens the item: every field comes back as text, no script runs.
        client
            .goto(&format!("{}/connexion", b.base))
            .await
            .expect("login page");
        client
            .find(Locator::Css("#email"))
            .await
            .expect("email")
            .send_keys(ADMIN.0)
            .await
            .expect("type");
        client
            .find(Locator::Css("#password"))
            .await
            .expect("password")
            .send_keys(ADMIN.1)
            .await
            .expect("type");
        client
            .find(Locator::Css("main form button[type=submit]"))
            .await
            .expect("submit")
            .click()
            .await
            .expect("log in");
        b.wait_for_path("/tableau-de-bord").await;
        client
            .goto(&format!("{}/registres/courrier/1", b.base))
            .await
            .expect("item page");
        let heading = client
            .find(Locator::Css("main h1"))
            .await
            .expect("h1")
            .text()
            .await
            .expect("text");
        let page_text = client
            .find(Locator::Css("main"))
            .await
            .expect("main")
            .text()
            .await
            .expect("text");
        let title = client.title().await.expect("title");
        let item_violations = b.violations().await;
        (
            form_violations,
            thanks_violations,
            item_violations,
            notice,
            heading,
            page_text,
            title,
        )
    }
    .await;
    b.finish().await;
    let (form, thanks, item, notice, heading, page_text, title) = result;
    assert!(
        form.is_empty(),
        "axe violations on the contact form: {form:#?}"
    );
    assert!(
        thanks.is_empty(),
        "axe violations on the thanks page: {thanks:#?}"
    );
    assert!(
        item.is_empty(),
        "axe violations on the item page: {item:#?}"
    );
    let year = chrono::Utc::now().format("%Y").to_string();
    let reference = format!("{year}-000001");
    assert!(
        notice.contains(&format!("sous la référence {reference}")),
        "{notice}"
    );
    assert!(notice.contains("usager@example.org"), "{notice}");
    assert!(
        heading.contains(&format!("Objet {xss}")),
        "the subject comes back as text: {heading}"
    );
    assert!(
        page_text.contains(&format!("Message {xss}")),
        "the message comes back as text"
    );
    assert!(!title.contains("pwned"), "no script ran: {title}");

    // The acknowledgement reached the SMTP server through the server's outbox worker.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mails = loop {
        let m = crate::mail::received(&smtp);
        if !m.is_empty() || Instant::now() > deadline {
            break m;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(mails.len(), 1, "one acknowledgement");
    assert_eq!(mails[0]["rcpt_tos"][0], "usager@example.org");
    assert!(
        mails[0]["subject"]
            .as_str()
            .unwrap_or_default()
            .contains(&reference)
    );
    assert_eq!(mails[0]["auto_submitted"], "auto-replied");
}
