//! The web import (issue 6): upload, preview under a mapping, the mapping editor, the
//! background job and its outcome, and who may do it.

use axum::http::{Method, StatusCode};

use crate::helpers::{ADMIN, AGENT, Client, TestApp, VIEWER};

const DEMO_CALL_LOG: &[u8] = include_bytes!("../../demo/imports/appels-autocom-2021-2022T1.csv");
const CALL_LOG_NAME: &str = "appels-autocom-2023.csv";

/// The demo's call log (Windows-1252, `;`) moved to 2023: the demo seed may have imported
/// the original already.
fn call_log() -> Vec<u8> {
    let mut out = Vec::with_capacity(DEMO_CALL_LOG.len());
    let mut rest = DEMO_CALL_LOG;
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix(b"/2021 ".as_slice()) {
            out.extend_from_slice(b"/2023 ");
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix(b"/2022 ".as_slice()) {
            out.extend_from_slice(b"/2023 ");
            rest = tail;
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

/// A page's text with minijinja's escapes undone, for plain assertions.
fn text(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

fn multipart(mapping: &str, file_name: &str, data: &[u8]) -> (String, Vec<u8>) {
    let boundary = "qepimportboundary1234";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"mapping\"\r\n\r\n{mapping}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploads the call log; returns the preview's path.
async fn upload(c: &mut Client<'_>, mapping: &str) -> String {
    assert_eq!(
        c.get("/administration/imports").await.status,
        StatusCode::OK
    );
    let (ct, body) = multipart(mapping, CALL_LOG_NAME, &call_log());
    let path = format!("/administration/imports?csrf_token={}", c.csrf());
    let res = c.send_raw(Method::POST, &path, Some(&ct), body).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(
        res.location()
            .starts_with("/administration/imports/fichiers/"),
        "{}",
        res.location()
    );
    res.location().to_owned()
}

/// Launches the import of an upload and waits for its job to end; returns the job's page.
async fn run(c: &mut Client<'_>, preview: &str, mapping: &str) -> String {
    let res = c.post(preview, &[("mapping", mapping)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let job = res.location().to_owned();
    assert!(job.starts_with("/administration/imports/travaux/"), "{job}");
    for _ in 0..1200 {
        let status = c.get(&format!("{job}/etat")).await;
        assert_eq!(status.status, StatusCode::OK);
        if status.body.contains("\"done\":true") {
            let page = c.get(&job).await;
            assert_eq!(page.status, StatusCode::OK);
            return text(&page.body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import job never ended");
}

#[tokio::test]
async fn admin_uploads_a_call_log_fixes_its_mapping_and_imports_it_once() {
    for app in TestApp::all().await {
        let mut admin = app.client();
        admin.login(ADMIN).await;
        let mappings_before = app.store.list_mappings().await.expect("mappings").len();
        let imports_before = app.store.list_imports(100).await.expect("imports").len();

        // The built-in mapping does not know this switch's headers: the preview says which
        // fields have no column and lists the file's columns.
        let preview = upload(&mut admin, "appels").await;
        let id = preview.rsplit('/').next().expect("id").to_owned();
        let page = admin.get(&preview).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            text(&page.body).contains("aucune colonne pour « started_at »"),
            "{}",
            page.body
        );
        assert!(
            text(&page.body).contains("Début appel, Groupe d'appel"),
            "{}",
            page.body
        );
        assert!(
            !text(&page.body).contains("Lancer l'import"),
            "no import with a bad mapping"
        );
        let edit = format!("/administration/correspondances/nouveau?copie=appels&echantillon={id}");
        assert!(text(&page.body).contains(&edit), "link to the editor");

        // The editor offers the file's headers, previews without saving, then saves.
        let editor = admin.get(&edit).await;
        assert_eq!(editor.status, StatusCode::OK);
        assert!(
            text(&editor.body).contains("<option value=\"Début appel\">"),
            "datalist of headers"
        );
        assert!(text(&editor.body).contains("value=\"appels-local\""));
        let values = "Décroché = oui\nPerdu = non\nAbandonné = non\nDébordement = non";
        let fields = |action: &'static str| {
            vec![
                ("name", "standard-autocom"),
                ("source", "calls"),
                ("description", "Journal d'appels de l'autocommutateur"),
                ("date_format", "%d/%m/%Y %H:%M:%S"),
                ("col.started_at", "Début appel"),
                ("col.line", "Groupe d'appel"),
                ("col.answered", "Issue"),
                ("col.rings", "Nb sonneries"),
                ("values.answered", values),
                ("action", action),
            ]
        };
        let mut with_sample = fields("preview");
        with_sample.push(("sample", &id));
        let res = admin
            .post("/administration/correspondances/nouveau", &with_sample)
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(text(&res.body).contains("Décroché → oui"), "{}", res.body);
        assert!(text(&res.body).contains("04/01/2023 10:09:14"));
        assert_eq!(
            app.store.list_mappings().await.expect("mappings").len(),
            mappings_before
        );
        let mut save = fields("save");
        save.push(("sample", &id));
        let res = admin
            .post("/administration/correspondances/nouveau", &save)
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(res.location(), format!("{preview}?modele=standard-autocom"));
        let saved = app.store.list_mappings().await.expect("mappings");
        let saved = saved
            .iter()
            .find(|m| m.name == "standard-autocom")
            .expect("saved");
        assert!(saved.definition.contains("Début appel"));

        // The preview now reads the rows, and the import runs as a job.
        let page = admin.get(res.location()).await;
        assert!(text(&page.body).contains("Modèle « standard-autocom » enregistré."));
        assert!(
            text(&page.body).contains("Lancer l'import"),
            "{}",
            page.body
        );
        assert!(text(&page.body).contains("Décroché → oui"));
        assert!(text(&page.body).contains("colonne « Début appel »"));
        let done = run(&mut admin, &preview, "standard-autocom").await;
        assert!(done.contains("Import terminé"), "{done}");
        assert!(!done.contains("import-job.js"), "no polling once done");
        let script = admin.get("/static/qep/import-job.js").await;
        assert_eq!(script.status, StatusCode::OK);
        let content_type = script.headers.get("content-type").expect("type");
        assert!(
            content_type
                .to_str()
                .unwrap_or_default()
                .contains("javascript"),
            "{content_type:?}"
        );
        let facts = app.store.list_facts(2023).await.expect("facts");
        assert!(!facts.is_empty(), "facts of 2023 saved");
        let imports = app.store.list_imports(100).await.expect("imports");
        assert_eq!(imports.len(), imports_before + 1);
        assert_eq!(imports[0].file_name, CALL_LOG_NAME);
        assert!(imports[0].rows > 1000, "{}", imports[0].rows);
        // The upload is gone once launched.
        assert_eq!(admin.get(&preview).await.status, StatusCode::NOT_FOUND);
        let list = admin.get("/administration/imports").await;
        assert!(text(&list.body).contains(CALL_LOG_NAME));

        // The same file again changes nothing.
        let again = upload(&mut admin, "standard-autocom").await;
        let done = run(&mut admin, &again, "standard-autocom").await;
        assert!(done.contains("déjà importé"), "{done}");
        assert_eq!(
            app.store.list_imports(100).await.expect("imports").len(),
            imports_before + 1
        );

        // The saved mapping is listed, editable and deletable; built-ins are read-only.
        let list = admin.get("/administration/correspondances").await;
        assert!(text(&list.body).contains("/administration/correspondances/standard-autocom"));
        let edit = admin
            .get("/administration/correspondances/standard-autocom")
            .await;
        assert_eq!(edit.status, StatusCode::OK);
        assert!(text(&edit.body).contains("value=\"Issue\""));
        let builtin = admin.get("/administration/correspondances/appels").await;
        assert!(text(&builtin.body).contains("Copier dans un nouveau modèle"));
        let res = admin
            .post("/administration/correspondances/appels", &fields("save"))
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let res = admin
            .post(
                "/administration/correspondances/standard-autocom/suppression",
                &[],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(
            app.store.list_mappings().await.expect("mappings").len(),
            mappings_before
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_mapping_form_with_errors_shows_them_on_their_fields_and_saves_nothing() {
    for app in TestApp::all().await {
        let mut admin = app.client();
        admin.login(ADMIN).await;
        let mappings_before = app.store.list_mappings().await.expect("mappings").len();
        assert_eq!(
            admin
                .get("/administration/correspondances/nouveau?source=titles")
                .await
                .status,
            StatusCode::OK
        );
        let res = admin
            .post(
                "/administration/correspondances/nouveau",
                &[
                    ("name", "Mon Modèle"),
                    ("source", "titles"),
                    ("date_format", "%H:%M"),
                    ("col.title", "Type"),
                    ("const.title", "cni"),
                    ("values.title", "CNI+ = identity\nsans signe égal"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        for id in [
            "mapping-name",
            "mapping-date-format",
            "mapping-col-title",
            "mapping-values-title",
        ] {
            assert!(
                text(&res.body).contains(&format!("id=\"{id}-error\"")),
                "{id}: {}",
                res.body
            );
            assert!(
                text(&res.body).contains(&format!("href=\"#{id}\"")),
                "{id} in the summary"
            );
        }
        assert!(
            text(&res.body).contains("sans signe égal"),
            "the input is kept"
        );
        assert!(text(&res.body).contains("aria-invalid=\"true\""));
        // A built-in's name cannot be taken.
        let res = admin
            .post(
                "/administration/correspondances/nouveau",
                &[("name", "titres"), ("source", "titles"), ("action", "save")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text(&res.body).contains("modèle intégré"));
        assert_eq!(
            app.store.list_mappings().await.expect("mappings").len(),
            mappings_before
        );
        app.cleanup().await;
    }
}

const PAGES: [&str; 7] = [
    "/administration/imports",
    "/administration/imports/fichiers/1",
    "/administration/imports/travaux/1",
    "/administration/imports/travaux/1/etat",
    "/administration/correspondances",
    "/administration/correspondances/nouveau",
    "/administration/correspondances/appels",
];

const POSTS: [&str; 5] = [
    "/administration/imports",
    "/administration/imports/fichiers/1",
    "/administration/correspondances/nouveau",
    "/administration/correspondances/autocom",
    "/administration/correspondances/autocom/suppression",
];

#[tokio::test]
async fn only_the_quality_lead_imports_and_every_post_needs_its_token() {
    for app in TestApp::all().await {
        let imports_before = app.store.list_imports(100).await.expect("imports").len();
        let mut anon = app.client();
        for page in PAGES {
            let res = anon.get(page).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "anonymous {page}");
            assert!(res.location().starts_with("/connexion"), "{page}");
        }
        for path in POSTS {
            let res = anon.post(path, &[("name", "x")]).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "anonymous POST {path}");
        }
        for account in [AGENT, VIEWER] {
            let mut c = app.client();
            c.login(account).await;
            assert!(
                !text(&c.get("/tableau-de-bord").await.body).contains("/administration/imports")
            );
            for page in PAGES {
                assert_eq!(
                    c.get(page).await.status,
                    StatusCode::FORBIDDEN,
                    "{} {page}",
                    account.0
                );
            }
            for path in POSTS {
                let res = c.post(path, &[("name", "x"), ("source", "calls")]).await;
                assert_eq!(
                    res.status,
                    StatusCode::FORBIDDEN,
                    "{} POST {path}",
                    account.0
                );
            }
            let (ct, body) = multipart("appels", CALL_LOG_NAME, &call_log());
            let path = format!("/administration/imports?csrf_token={}", c.csrf());
            let res = c.send_raw(Method::POST, &path, Some(&ct), body).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{} upload", account.0);
        }
        let mut admin = app.client();
        admin.login(ADMIN).await;
        assert!(
            text(&admin.get("/tableau-de-bord").await.body)
                .contains("href=\"/administration/imports\"")
        );
        for path in POSTS {
            let res = admin.post_without_token(path, &[("name", "x")]).await;
            assert_eq!(
                res.status,
                StatusCode::FORBIDDEN,
                "POST {path} without token"
            );
            assert!(text(&res.body).contains("Formulaire expiré"));
        }
        let (ct, body) = multipart("appels", CALL_LOG_NAME, &call_log());
        let res = admin
            .send_raw(Method::POST, "/administration/imports", Some(&ct), body)
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "upload without token");
        // An empty upload is refused with the error on its field.
        let (ct, body) = multipart("appels", "vide.csv", b"");
        let path = format!("/administration/imports?csrf_token={}", admin.csrf());
        let res = admin.send_raw(Method::POST, &path, Some(&ct), body).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text(&res.body).contains("id=\"import-file-error\""));
        assert_eq!(
            app.store.list_imports(100).await.expect("imports").len(),
            imports_before
        );
        app.cleanup().await;
    }
}

/// The upload, preview, editor and job pages in a real headless Chromium, checked with
/// axe-core like `browser.rs` does: zero violations. Skipped when chromedriver is missing
/// outside CI.
#[tokio::test]
async fn the_import_pages_pass_axe_in_a_browser() {
    use fantoccini::Locator;
    use serde_json::Value;
    use std::time::{Duration, Instant};

    let Some(b) = crate::browser::Browser::start().await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("qep-imports-axe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let sample = dir.join(CALL_LOG_NAME);
    std::fs::write(&sample, call_log()).expect("sample");
    let (client, base) = (&b.client, &b.base);
    let check = async |page: &str, all: &mut Vec<(String, Vec<Value>)>| {
        let found = b.violations().await;
        if !found.is_empty() {
            all.push((page.to_owned(), found));
        }
    };
    let result = async {
        let mut all = Vec::new();
        client
            .goto(&format!("{base}/connexion"))
            .await
            .expect("login page");
        for (css, value) in [("#email", ADMIN.0), ("#password", ADMIN.1)] {
            client
                .find(Locator::Css(css))
                .await
                .expect("field")
                .send_keys(value)
                .await
                .expect("type");
        }
        client
            .find(Locator::Css("main form button[type=submit]"))
            .await
            .expect("submit")
            .click()
            .await
            .expect("log in");
        b.wait_for_path("/tableau-de-bord").await;
        client
            .goto(&format!("{base}/administration/imports"))
            .await
            .expect("imports");
        check("imports", &mut all).await;
        client
            .find(Locator::Css("#import-file"))
            .await
            .expect("file input")
            .send_keys(&sample.display().to_string())
            .await
            .expect("choose file");
        client
            .find(Locator::Css("main form button[type=submit]"))
            .await
            .expect("upload button")
            .click()
            .await
            .expect("upload");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let preview = client.current_url().await.expect("url");
        assert!(
            preview
                .path()
                .starts_with("/administration/imports/fichiers/"),
            "{preview}"
        );
        check("preview (built-in mapping)", &mut all).await;
        let id = preview.path().rsplit('/').next().expect("id").to_owned();
        client
            .goto(&format!(
                "{base}/administration/correspondances/nouveau?copie=appels&echantillon={id}"
            ))
            .await
            .expect("editor");
        check("mapping editor", &mut all).await;
        client
            .goto(&format!("{base}/administration/correspondances"))
            .await
            .expect("mappings");
        check("mappings", &mut all).await;
        // The demo saves the switch's mapping as `autocom`.
        client
            .goto(&format!("{preview}?modele=autocom"))
            .await
            .expect("preview with a fitting mapping");
        check("preview (autocom)", &mut all).await;
        client
            .find(Locator::XPath("//button[contains(., \"Lancer l'import\")]"))
            .await
            .expect("launch button")
            .click()
            .await
            .expect("launch");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let body = client.source().await.unwrap_or_default();
            if body.contains("Import terminé") || body.contains("déjà importé") {
                assert!(body.contains("Import terminé"), "{body}");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the job page never showed the end: {body}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        check("job", &mut all).await;
        all
    }
    .await;
    b.finish().await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(result.is_empty(), "axe violations: {result:#?}");
}
