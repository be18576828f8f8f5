//! The web application: roles, CSRF, login, forms, escaping, error pages.

use axum::http::StatusCode;

use crate::helpers::{ADMIN, AGENT, TestApp, VIEWER};

/// Pages reachable by a GET, with who may see them.
const ADMIN_PAGES: &[&str] = &[
    "/administration/prefecture",
    "/administration/sites",
    "/administration/sites/1",
    "/administration/sites/1/calendrier",
    "/administration/sites/1/calendrier?annee=2024",
    "/administration/services/1",
    "/administration/utilisateurs",
    "/administration/utilisateurs/1",
    "/administration/journal",
    "/administration/indicateurs-locaux",
    "/administration/echantillonnage",
    "/administration/modeles",
];
const USER_PAGES: &[&str] = &["/tableau-de-bord"];
const PUBLIC_PAGES: &[&str] = &[
    "/connexion",
    "/accessibilite",
    "/healthz",
    "/contact",
    "/resultats",
];

/// State-changing requests an admin may make, with a harmless but valid body.
const ADMIN_POSTS: &[(&str, &[(&str, &str)])] = &[
    (
        "/administration/prefecture",
        &[
            ("name", "X"),
            ("department", "61"),
            ("referentiel", "qualepref-2018"),
        ],
    ),
    (
        "/administration/sites",
        &[("name", "Site"), ("kind", "other")],
    ),
    (
        "/administration/sites/1",
        &[("name", "Site"), ("kind", "prefecture")],
    ),
    ("/administration/sites/3/suppression", &[]),
    (
        "/administration/sites/1/calendrier/fermetures",
        &[("start", "2026-05-15"), ("reason", "pont")],
    ),
    (
        "/administration/sites/1/calendrier/jours-feries",
        &[("holiday", "worked:lundi_de_pentecote")],
    ),
    (
        "/administration/sites/1/calendrier/retrait",
        &[("kind", "closure"), ("entry", "1")],
    ),
    (
        "/administration/services",
        &[("name", "S"), ("site_id", "1")],
    ),
    (
        "/administration/services/1",
        &[("name", "S"), ("site_id", "1")],
    ),
    ("/administration/services/7/suppression", &[]),
    (
        "/administration/utilisateurs",
        &[
            ("email", "n@x.fr"),
            ("display_name", "N"),
            ("role", "viewer"),
        ],
    ),
    (
        "/administration/utilisateurs/2",
        &[("display_name", "N"), ("role", "viewer")],
    ),
    ("/administration/utilisateurs/2/mot-de-passe", &[]),
    (
        "/administration/echantillonnage",
        &[("start", "2024-05-06")],
    ),
    (
        "/administration/echantillonnage/suppression",
        &[("start", "2024-05-06")],
    ),
    ("/indicateurs/validation", &[("period", "2020-02")]),
    (
        "/administration/modeles",
        &[("key", "ack.general"), ("subject", "s"), ("body", "b")],
    ),
    (
        "/administration/indicateurs-locaux",
        &[
            ("code", "local.x.y"),
            ("label", "X"),
            ("kind", "value"),
            ("unit", "percent"),
            ("comparator", ">="),
            ("periodicity", "monthly"),
        ],
    ),
];

#[tokio::test]
async fn role_matrix_for_pages() {
    for app in TestApp::all().await {
        // Anonymous: public pages only; the rest sends to the login page, showing no data.
        let mut anon = app.client();
        for page in PUBLIC_PAGES {
            assert_eq!(
                anon.get(page).await.status,
                StatusCode::OK,
                "anonymous {page}"
            );
        }
        for page in ADMIN_PAGES.iter().chain(USER_PAGES) {
            let res = anon.get(page).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "anonymous {page}");
            assert!(
                res.location().starts_with("/connexion?suite="),
                "{page}: {}",
                res.location()
            );
            assert!(res.body.is_empty(), "anonymous {page} got a body");
        }
        for (who, account) in [("agent", AGENT), ("viewer", VIEWER)] {
            let mut c = app.client();
            c.login(account).await;
            for page in USER_PAGES.iter().chain(&PUBLIC_PAGES[1..]) {
                assert_eq!(c.get(page).await.status, StatusCode::OK, "{who} {page}");
            }
            assert_eq!(
                c.get("/connexion").await.location(),
                "/tableau-de-bord",
                "{who} is logged in"
            );
            for page in ADMIN_PAGES {
                let res = c.get(page).await;
                assert_eq!(res.status, StatusCode::FORBIDDEN, "{who} {page}");
                assert!(
                    res.body.contains("Accès refusé"),
                    "{who} {page}: DSFR 403 page expected"
                );
                assert!(
                    !res.body.contains("referente.qualite@demo.invalid"),
                    "{who} {page} leaked data"
                );
            }
        }
        let mut admin = app.client();
        admin.login(ADMIN).await;
        for page in ADMIN_PAGES
            .iter()
            .chain(USER_PAGES)
            .chain(&PUBLIC_PAGES[1..])
        {
            assert_eq!(admin.get(page).await.status, StatusCode::OK, "admin {page}");
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn role_matrix_for_changes() {
    for app in TestApp::all().await {
        let before = app.store.list_audit(1000, None).await.expect("audit").len();
        for (who, account) in [("agent", AGENT), ("viewer", VIEWER)] {
            let mut c = app.client();
            c.login(account).await;
            for (path, fields) in ADMIN_POSTS {
                let res = c.post(path, fields).await;
                assert_eq!(res.status, StatusCode::FORBIDDEN, "{who} POST {path}");
            }
        }
        let mut anon = app.client();
        for (path, fields) in ADMIN_POSTS {
            let res = anon.post(path, fields).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "anonymous POST {path}");
            assert!(
                res.location().starts_with("/connexion"),
                "anonymous POST {path}"
            );
        }
        // Logins are audited; nothing else may have been written.
        let after = app.store.list_audit(1000, None).await.expect("audit");
        assert!(
            after[..after.len() - before]
                .iter()
                .all(|e| e.action == "login")
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn every_post_needs_a_valid_csrf_token() {
    for app in TestApp::all().await {
        let mut admin = app.client();
        admin.login(ADMIN).await;
        let mut paths: Vec<&str> = ADMIN_POSTS.iter().map(|(p, _)| *p).collect();
        paths.extend(["/connexion", "/deconnexion"]);
        for path in &paths {
            let res = admin.post_without_token(path, &[("name", "x")]).await;
            assert_eq!(
                res.status,
                StatusCode::FORBIDDEN,
                "POST {path} without token"
            );
            assert!(
                res.body.contains("Formulaire expiré"),
                "POST {path}: DSFR page expected"
            );
            let res = admin
                .post_without_token(
                    path,
                    &[("csrf_token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")],
                )
                .await;
            assert_eq!(
                res.status,
                StatusCode::FORBIDDEN,
                "POST {path} with a forged token"
            );
        }
        // The anonymous login form needs its cookie's token too.
        let mut anon = app.client();
        let res = anon
            .post_without_token("/connexion", &[("email", ADMIN.0), ("password", ADMIN.1)])
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert!(anon.cookie("qep_session").is_none());
        app.cleanup().await;
    }
}

#[tokio::test]
async fn login_failures_look_alike_and_are_throttled() {
    let config = qep_web::WebConfig {
        login_max_failures: 3,
        ..Default::default()
    };
    let app = TestApp::sqlite_with(config).await;
    let mut c = app.client();
    let wrong = c
        .post(
            "/connexion",
            &[("email", ADMIN.0), ("password", "mauvais-mot-de-passe")],
        )
        .await;
    let unknown = c
        .post(
            "/connexion",
            &[
                ("email", "personne@demo.invalid"),
                ("password", "mauvais-mot-de-passe"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, wrong.status);
    let message = "Adresse électronique ou mot de passe incorrect.";
    assert!(wrong.body.contains(message) && unknown.body.contains(message));
    assert!(wrong.body.contains("aria-describedby=\"password-error\""));
    for attempt in ["encore-faux-1234", "encore-faux-5678"] {
        c.post("/connexion", &[("email", ADMIN.0), ("password", attempt)])
            .await;
    }
    // Third failure for this account reached: even the right password is refused for now.
    let blocked = c
        .post("/connexion", &[("email", ADMIN.0), ("password", ADMIN.1)])
        .await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.body.contains("Trop de tentatives"));
    assert!(c.cookie("qep_session").is_none());
    // Another account is not affected.
    let other = c
        .post("/connexion", &[("email", VIEWER.0), ("password", VIEWER.1)])
        .await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
    app.cleanup().await;
}

#[tokio::test]
async fn sessions_are_server_side_and_end_at_logout() {
    for app in TestApp::all().await {
        let mut c = app.client();
        let res = c.login(VIEWER).await;
        assert_eq!(res.location(), "/tableau-de-bord");
        let cookie = res
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("qep_session="))
            .expect("session cookie");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        assert!(!cookie.contains("Secure"), "no TLS in this test: {cookie}");
        let token = c.cookie("qep_session").cloned().expect("token");
        assert!(
            c.get("/tableau-de-bord")
                .await
                .body
                .contains("Sophie Lefèvre")
        );
        let out = c.post("/deconnexion", &[]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert_eq!(out.location(), "/connexion");
        // Replaying the old cookie no longer opens the dashboard.
        let mut replay = app.client();
        replay.set_cookie("qep_session", &token);
        assert_eq!(
            replay.get("/tableau-de-bord").await.status,
            StatusCode::SEE_OTHER
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn secure_cookies_behind_tls() {
    let app = TestApp::sqlite_with(qep_web::WebConfig {
        secure_cookies: true,
        ..Default::default()
    })
    .await;
    let mut c = app.client();
    let res = c.login(ADMIN).await;
    assert!(res.set_cookies().iter().all(|c| c.contains("; Secure")));
    app.cleanup().await;
}

#[tokio::test]
async fn login_returns_only_to_local_pages() {
    for app in TestApp::all().await {
        let mut c = app.client();
        c.get("/connexion").await;
        let res = c
            .post(
                "/connexion",
                &[
                    ("email", ADMIN.0),
                    ("password", ADMIN.1),
                    ("suite", "//evil.example/x"),
                ],
            )
            .await;
        assert_eq!(res.location(), "/tableau-de-bord");
        let mut c = app.client();
        let res = c.get("/administration/journal").await;
        assert_eq!(
            res.location(),
            "/connexion?suite=%2Fadministration%2Fjournal"
        );
        c.get(res.location()).await;
        let res = c
            .post(
                "/connexion",
                &[
                    ("email", ADMIN.0),
                    ("password", ADMIN.1),
                    ("suite", "/administration/journal"),
                ],
            )
            .await;
        assert_eq!(res.location(), "/administration/journal");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn admin_sets_up_sites_services_and_accounts_with_an_audit_trail() {
    for app in TestApp::all().await {
        let mut c = app.client();
        c.login(ADMIN).await;

        // A refused form keeps the values and binds the error to the field.
        let res = c
            .post(
                "/administration/sites",
                &[
                    ("name", ""),
                    ("kind", "sub_prefecture"),
                    ("address", "Rue <b>"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("aria-describedby=\"site-name-error\""));
        assert!(
            res.body.contains("href=\"#site-name\""),
            "error summary links to the field"
        );
        assert!(res.body.contains("Rue &lt;b&gt;"), "kept and escaped");
        assert!(res.body.contains("<title>Erreur"));

        let res = c
            .post(
                "/administration/sites",
                &[
                    ("name", "Cité <script>alert(1)</script>"),
                    ("kind", "administrative_centre"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let page = c.get("/administration/sites").await;
        assert!(
            page.body
                .contains("Cité &lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
                || page
                    .body
                    .contains("Cité &lt;script&gt;alert(1)&lt;/script&gt;")
        );
        assert!(!page.body.contains("<script>alert(1)"));
        assert!(
            page.body.contains("est ajouté"),
            "one-time notice after redirect"
        );
        assert!(
            !c.get("/administration/sites")
                .await
                .body
                .contains("est ajouté"),
            "notice shown once"
        );

        let sites = app.store.list_sites().await.expect("sites");
        let cite = sites.last().expect("new site");
        let res = c
            .post(
                "/administration/services",
                &[
                    ("name", "Pôle usagers"),
                    ("code", "PU"),
                    ("site_id", &cite.id.to_string()),
                    ("in_scope", "1"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        // A site with services cannot be deleted.
        let res = c
            .post(
                &format!("/administration/sites/{}/suppression", cite.id),
                &[],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert!(
            app.store
                .list_sites()
                .await
                .expect("sites")
                .iter()
                .any(|s| s.id == cite.id)
        );

        // Creating an account shows its password once; a duplicate is refused on the field.
        let service = app
            .store
            .list_services()
            .await
            .expect("services")
            .into_iter()
            .find(|s| s.code == "PU")
            .expect("PU");
        let res = c
            .post(
                "/administration/utilisateurs",
                &[
                    ("email", "Nouvel.Agent@orne.gouv.fr"),
                    ("display_name", "Nouvel Agent"),
                    ("role", "agent"),
                    ("services", &service.id.to_string()),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.body.contains("affiché une seule fois"));
        let res = c
            .post(
                "/administration/utilisateurs",
                &[
                    ("email", "nouvel.agent@orne.gouv.fr"),
                    ("display_name", "Doublon"),
                    ("role", "viewer"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("un compte existe déjà"));

        // The quality lead cannot lock themselves out.
        let me = app
            .store
            .list_users()
            .await
            .expect("users")
            .into_iter()
            .find(|u| u.email.as_str() == ADMIN.0)
            .expect("admin");
        let res = c
            .post(
                &format!("/administration/utilisateurs/{}", me.id),
                &[("display_name", "Claire"), ("role", "viewer")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

        let audit = c.get("/administration/journal").await.body;
        for action in ["site.create", "service.create", "user.create", "login"] {
            assert!(audit.contains(action), "audit log lacks {action}");
        }
        assert!(audit.contains(ADMIN.0), "the actor is recorded");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn prefecture_settings_are_validated_and_module_one_stays() {
    for app in TestApp::all().await {
        let mut c = app.client();
        c.login(ADMIN).await;
        let res = c
            .post(
                "/administration/prefecture",
                &[
                    ("name", "Préfecture du Cher"),
                    ("department", "20"),
                    ("referentiel", "qualepref-2018"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("code de département inconnu « 20 »"));
        let res = c
            .post(
                "/administration/prefecture",
                &[
                    ("name", "Préfecture du Cher"),
                    ("department", "18"),
                    ("referentiel", "qualepref-2018"),
                    ("modules", "4"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let p = app
            .store
            .find_prefecture()
            .await
            .expect("read")
            .expect("present");
        assert_eq!(p.department.code(), "18");
        assert_eq!(p.scope.modules.into_iter().collect::<Vec<_>>(), vec![1, 4]);
        assert!(
            c.get("/tableau-de-bord")
                .await
                .body
                .contains("Préfecture du Cher")
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn unknown_pages_and_bad_ids_get_the_dsfr_404() {
    for app in TestApp::all().await {
        let mut c = app.client();
        let res = c.get("/nulle-part").await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert!(res.body.contains("Page non trouvée") && res.body.contains("fr-header"));
        c.login(ADMIN).await;
        for page in [
            "/administration/sites/abc",
            "/administration/sites/999",
            "/administration/utilisateurs/999",
        ] {
            assert_eq!(c.get(page).await.status, StatusCode::NOT_FOUND, "{page}");
        }
        assert_eq!(
            c.get("/static/dsfr/dsfr.min.css").await.status,
            StatusCode::OK
        );
        assert_eq!(
            c.get("/static/dsfr/../Cargo.toml").await.status,
            StatusCode::NOT_FOUND
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn oversized_forms_are_refused() {
    for app in TestApp::all().await {
        let mut c = app.client();
        c.login(ADMIN).await;
        let big = "x".repeat(100 * 1024);
        let res = c
            .post(
                "/administration/sites",
                &[("name", &big), ("kind", "other")],
            )
            .await;
        assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(app.store.list_sites().await.expect("sites").len(), 3);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_web_application_runs_on_postgres_too() {
    let Some(app) = TestApp::postgres().await else {
        eprintln!("skipped: QEP_TEST_POSTGRES_URL is not set");
        return;
    };
    let mut c = app.client();
    c.login(ADMIN).await;
    let res = c
        .post(
            "/administration/sites",
            &[("name", "Maison France Services"), ("kind", "other")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(
        c.get("/tableau-de-bord")
            .await
            .body
            .contains("Maison France Services")
    );
    let health = c.get("/healthz").await;
    assert!(
        health.body.contains("\"database\":\"postgres\""),
        "{}",
        health.body
    );
    app.cleanup().await;
}

#[tokio::test]
async fn admin_edits_a_site_calendar_and_the_engine_uses_it() {
    use chrono::NaiveDate;
    use qep_core::calendar::{Territory, WorkingCalendar};
    use qep_core::ids::SiteId;

    for app in TestApp::all().await {
        let mut c = app.client();
        c.login(ADMIN).await;
        let page = c.get("/administration/sites/1/calendrier?annee=2024").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("jeudi 9 mai 2024") && page.body.contains("Ascension"),
            "holidays listed"
        );
        assert!(
            page.body.contains("<strong>252</strong>"),
            "working days of 2024 in metropolitan France"
        );

        // Refused: impossible date, end before start, no reason.
        let res = c
            .post(
                "/administration/sites/1/calendrier/fermetures",
                &[("start", "2024-02-30"), ("reason", "")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.body
                .contains("aria-describedby=\"closure-start-error\"")
        );
        assert!(
            res.body
                .contains("aria-describedby=\"closure-reason-error\"")
        );
        let res = c
            .post(
                "/administration/sites/1/calendrier/fermetures",
                &[
                    ("start", "2024-05-10"),
                    ("end", "2024-05-09"),
                    ("reason", "pont"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

        let res = c
            .post(
                "/administration/sites/1/calendrier/fermetures",
                &[("start", "2024-05-10"), ("reason", "pont de l'Ascension")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let res = c
            .post(
                "/administration/sites/1/calendrier/jours-feries",
                &[
                    ("holiday", "worked:lundi_de_pentecote"),
                    ("holiday_reason", "journée de solidarité"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let res = c
            .post(
                "/administration/sites/1/calendrier/jours-feries",
                &[("holiday", "extra:mi_careme")],
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Mi-Carême is not a local day in the Orne"
        );

        let page = c.get("/administration/sites/1/calendrier?annee=2024").await;
        assert!(
            page.body.contains("pont de l&#x27;Ascension")
                || page.body.contains("pont de l'Ascension")
        );
        assert!(page.body.contains("travaillé"), "Whit Monday worked");
        // 252 - 1 closure (Fri 10 May) + 1 worked Whit Monday (20 May)
        assert!(
            page.body.contains("<strong>252</strong>"),
            "net change is zero in 2024"
        );

        // The engine, built from what the store holds, sees the site's choices.
        let stored = app.store.site_calendar(SiteId(1)).await.expect("calendar");
        let cal = WorkingCalendar::new(Territory::Metropole, &stored.settings());
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        assert_eq!(cal.is_working_day(d(2024, 5, 10)), Ok(false));
        assert_eq!(cal.is_working_day(d(2024, 5, 20)), Ok(true));
        assert_eq!(cal.due_date(d(2024, 5, 3), 5), Ok(d(2024, 5, 15)));

        let closure_id = stored.closures[0].id.to_string();
        let res = c
            .post(
                "/administration/sites/1/calendrier/retrait",
                &[("kind", "closure"), ("entry", &closure_id)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let page = c.get("/administration/sites/1/calendrier?annee=2024").await;
        assert!(
            page.body.contains("retirée le"),
            "withdrawn closures stay in the history"
        );
        assert!(page.body.contains("<strong>253</strong>"));
        let audit = c.get("/administration/journal").await.body;
        assert!(
            audit.contains("calendar.closure.add") && audit.contains("calendar.closure.withdraw")
        );
        app.cleanup().await;
    }
}

/// Pages carry citizens' names and messages: no browser or proxy keeps them; the static
/// assets alone are cached.
#[tokio::test]
async fn pages_with_personal_data_are_never_stored_by_a_cache() {
    for app in TestApp::all().await {
        let mut c = app.client();
        let no_store = |res: &crate::helpers::Response, page: &str| {
            assert_eq!(
                res.headers
                    .get("cache-control")
                    .and_then(|v| v.to_str().ok()),
                Some("no-store"),
                "{page}"
            );
        };
        no_store(&c.get("/contact").await, "/contact");
        let sent = c
            .post(
                "/contact",
                &[
                    ("kind", "complaint"),
                    ("name", "Mme Durand"),
                    ("email", "usager@example.org"),
                    ("subject", "Attente"),
                    ("message", "Une heure d'attente au guichet."),
                    ("site_web", ""),
                ],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
        c.login(ADMIN).await;
        let list = c.get("/registres/courrier").await;
        no_store(&list, "list");
        let body = list.body.replace("&#x2f;", "/");
        let item = body
            .split("href=\"")
            .filter_map(|rest| rest.split('"').next())
            .find(|link| {
                link.strip_prefix("/registres/courrier/")
                    .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
            })
            .expect("an item link")
            .to_owned();
        let res = c.get(&item).await;
        assert_eq!(res.status, StatusCode::OK, "{item}");
        no_store(&res, &item);
        no_store(&c.get("/administration/utilisateurs").await, "users");
        let css = c.get("/static/dsfr/dsfr.min.css").await;
        assert_eq!(
            css.headers
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("public, max-age=86400")
        );
        app.cleanup().await;
    }
}
