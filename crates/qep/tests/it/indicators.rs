//! Indicators end to end: import through the real binary, the JSON/CSV interface, the
//! dashboard, value entry, local targets, and validation that freezes a period.

use std::process::{Command, Output, Stdio};

use axum::http::StatusCode;
use qep_store_sqlite::testdb::TempDbPath;
use serde_json::Value;

use crate::helpers::{ADMIN, TestApp, VIEWER};

const DEMO_VALUES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/values-2020.csv");

fn qep(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qep"))
        .arg("--database")
        .arg(db)
        .args(args)
        .env_remove("QEP_DATABASE_URL")
        .env_remove("QEP_CONFIG")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .output()
        .expect("run qep")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn prepared_db() -> (TempDbPath, String) {
    let db = TempDbPath::new();
    let url = format!("sqlite://{}", db.0.display());
    let o = qep(
        &url,
        &[
            "init",
            "--name",
            "Préfecture de l'Orne",
            "--department",
            "61",
            "--modules",
            "1,2,3",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    (db, url)
}

#[test]
fn import_values_is_all_or_nothing_and_idempotent() {
    let (_db, url) = prepared_db();
    let dir = std::env::temp_dir().join(format!("qep-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    // Windows-1252, semicolons, decimal commas, one bad row: nothing is written.
    let bad = dir.join("valeurs.csv");
    std::fs::write(
        &bad,
        b"indicator;period;value;numerator;denominator\r\nm1.email.on_time;2020-01;78;;\r\nm1.email.delay;2020-02;1,46;;\r\nm1.phone.answered;2020-14;90,5;;\r\n",
    )
    .expect("write");
    let o = qep(&url, &["import", "values", bad.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("valeurs.csv, ligne 4, colonne « period »") && err.contains("« 2020-14 »"),
        "{err}"
    );
    assert!(err.contains("rien n'a été importé"));
    let json = qep(&url, &["indicators", "--year", "2020", "--format", "json"]);
    let rows: Vec<Value> = serde_json::from_slice(&json.stdout).expect("json");
    assert!(rows.is_empty(), "nothing half-imported: {rows:?}");

    let o = qep(&url, &["import", "values", "--dry-run", DEMO_VALUES]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("rien n'a été enregistré"));
    let o = qep(&url, &["import", "values", DEMO_VALUES]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("182 valeur(s) importée(s)"),
        "{}",
        text(&o.stdout)
    );
    let o = qep(&url, &["import", "values", DEMO_VALUES]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        text(&o.stdout).contains("déjà importé"),
        "the same file changes nothing"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn indicators_json_has_the_documented_shape_and_the_sources_grades() {
    let (_db, url) = prepared_db();
    assert_eq!(
        qep(&url, &["import", "values", DEMO_VALUES]).status.code(),
        Some(0)
    );
    let o = qep(&url, &["indicators", "--year", "2020", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let rows: Vec<Value> = serde_json::from_slice(&o.stdout).expect("json array");
    let keys: Vec<&str> = rows[0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "code",
        "label",
        "period",
        "value",
        "numerator",
        "denominator",
        "target",
        "comparator",
        "level",
        "pending",
        "sampled",
    ];
    let mut got = keys.clone();
    got.sort_unstable();
    expected.sort_unstable();
    assert_eq!(got, expected);
    let find = |code: &str, period: &str| {
        rows.iter()
            .find(|r| r["code"] == code && r["period"] == period)
            .unwrap_or_else(|| panic!("{code} {period} missing"))
    };
    // Orne 2020: 295 emails sampled, 26 late → 91.19 %, met (target ≥ 75).
    let email = find("m1.email.on_time", "2020");
    assert_eq!(
        (email["numerator"].as_f64(), email["denominator"].as_f64()),
        (Some(269.0), Some(295.0))
    );
    assert_eq!(
        (email["level"].as_u64(), email["comparator"].as_str()),
        (Some(1), Some(">="))
    );
    // August 2020: 59 % against ≥ 75 → gap 21 % → level 2.
    assert_eq!(
        find("m1.email.on_time", "2020-08")["level"].as_u64(),
        Some(2)
    );
    // ID cards made available in 24.48 days against ≤ 14 → level 4; Cher's renewals 76.42 vs ≤ 30 → 4.
    assert_eq!(
        find("m2.id.availability_delay", "2020")["level"].as_u64(),
        Some(4)
    );
    // Counts add up across months: 2 463 PAN visitors in 2020.
    assert_eq!(
        find("m1.pan.visitors", "2020")["value"].as_f64(),
        Some(2463.0)
    );
    // Pooled web updates: 54/54.
    let web = find("m1.web.update_on_time", "2020");
    assert_eq!(
        (web["value"].as_f64(), web["denominator"].as_f64()),
        (Some(100.0), Some(54.0))
    );
    // Quarters are there too.
    assert!(rows.iter().any(|r| r["period"] == "2020-Q3"));

    let csv = qep(&url, &["indicators", "--year", "2020", "--format", "csv"]);
    let out = text(&csv.stdout);
    assert!(out.starts_with(
        "code,label,period,value,numerator,denominator,target,comparator,level,pending,sampled\n"
    ));
    let table = qep(&url, &["indicators", "--year", "2020"]);
    assert!(text(&table.stdout).contains("m1.email.on_time\t78 (1)"));
    let o = qep(
        &url,
        &["indicators", "--year", "2020", "--site", "Nulle part"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("« Nulle part »"));
}

#[tokio::test]
async fn the_dashboard_grades_values_and_validation_freezes_a_month() {
    for app in TestApp::all().await {
        let mut admin = app.client();
        admin.login(ADMIN).await;
        let latest = admin.get("/tableau-de-bord").await;
        assert!(
            latest.body.contains("Tableau de bord 2022"),
            "defaults to the latest year with data (the demo's imported statistics)"
        );
        let page = admin.get("/tableau-de-bord?annee=2020").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Tableau de bord 2020"));
        assert!(
            page.body.contains("qep-level--4"),
            "a level-4 cell is shown"
        );
        assert!(
            page.body.contains("niveau 4 : Écart supérieur à 50 %"),
            "levels are not colour-only"
        );
        assert!(page.body.contains("91,19\u{a0}%"));

        // Freeze January 2020, then change its email rate: the published figure stays.
        let res = admin
            .post("/indicateurs/validation", &[("period", "2020-01")])
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let res = admin
            .post(
                "/indicateurs/m1.email.on_time/valeurs",
                &[("period", "2020-01"), ("value", "50")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let page = admin.get("/tableau-de-bord?annee=2020").await;
        assert!(page.body.contains("Données modifiées depuis la validation"));
        assert!(
            page.body.contains("janvier 2020 : aujourd'hui 50\u{a0}%"),
            "{}",
            &page.body[page.body.find("modifiées").unwrap_or(0)..][..600]
        );
        assert!(
            page.body
                .contains("validé par referente.qualite@demo.invalid")
        );
        let again = admin
            .post("/indicateurs/validation", &[("period", "2020-01")])
            .await;
        assert_eq!(
            again.status,
            StatusCode::SEE_OTHER,
            "a second validation is refused with a notice"
        );
        let validations = app.store.list_validations(2020).await.expect("validations");
        assert_eq!(validations.len(), 1);

        // Bad entries are refused on their fields.
        let res = admin
            .post(
                "/indicateurs/m1.email.on_time/valeurs",
                &[("period", "2020-13"), ("value", "x"), ("numerator", "5")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("aria-describedby=\"value-period-error\""));
        assert!(res.body.contains("aria-describedby=\"value-value-error\""));
        // Out of the unit's range, a numerator over its denominator, a rate that its
        // numerator and denominator contradict: each refused on its field, nothing saved.
        for (fields, field, words) in [
            (&[("value", "-5")][..], "value-value", "entre 0 et 100"),
            (&[("value", "150")], "value-value", "entre 0 et 100"),
            (
                &[("value", "100"), ("numerator", "60"), ("denominator", "50")],
                "value-numerator",
                "entre 0 et le dénominateur",
            ),
            (
                &[("value", "90"), ("numerator", "39"), ("denominator", "50")],
                "value-value",
                "donnent 78",
            ),
        ] {
            let mut form = vec![("period", "2020-05")];
            form.extend_from_slice(fields);
            let res = admin
                .post("/indicateurs/m1.email.on_time/valeurs", &form)
                .await;
            assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
            assert!(
                res.body
                    .contains(&format!("aria-describedby=\"{field}-error\"")),
                "{fields:?}"
            );
            assert!(res.body.contains(words), "{fields:?}: {words}");
        }

        // A local target replaces the national one for its year and changes the grade.
        let res = admin
            .post(
                "/indicateurs/m1.phone.answered/cibles",
                &[("year", "2020"), ("comparator", ">="), ("value", "95")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let page = admin.get("/indicateurs/m1.phone.answered?annee=2020").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("<svg class=\"qep-chart\""),
            "chart of the months"
        );
        assert!(page.body.contains("≥ 95\u{a0}%"), "local target shown");
        assert!(
            page.body.contains("≥ 90\u{a0}%"),
            "national target kept visible"
        );
        assert!(
            page.body.contains("niveau 2"),
            "93.84 vs ≥ 95 is now level 2"
        );

        // Viewers read the indicator pages but change nothing.
        let mut viewer = app.client();
        viewer.login(VIEWER).await;
        let page = viewer
            .get("/indicateurs/m1.phone.answered?annee=2020")
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("Saisir une valeur"));
        for (path, fields) in [
            (
                "/indicateurs/m1.email.on_time/valeurs",
                vec![("period", "2020-02"), ("value", "1")],
            ),
            (
                "/indicateurs/m1.email.on_time/cibles",
                vec![("year", "2020"), ("comparator", ">="), ("value", "1")],
            ),
            ("/indicateurs/validation", vec![("period", "2020-02")]),
        ] {
            assert_eq!(
                viewer.post(path, &fields).await.status,
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
        assert_eq!(
            viewer.get("/indicateurs/m9.inconnu").await.status,
            StatusCode::NOT_FOUND
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn admins_add_local_indicators_that_are_graded_like_the_others() {
    for app in TestApp::all().await {
        let mut admin = app.client();
        admin.login(ADMIN).await;
        let page = admin.get("/administration/indicateurs-locaux").await;
        assert_eq!(page.status, StatusCode::OK);
        let res = admin
            .post(
                "/administration/indicateurs-locaux",
                &[
                    ("code", "m1.email.on_time"),
                    ("label", "x"),
                    ("kind", "value"),
                    ("unit", "percent"),
                    ("comparator", ">="),
                    ("periodicity", "monthly"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("existe déjà"));
        let res = admin
            .post(
                "/administration/indicateurs-locaux",
                &[
                    ("code", "accueil.attente"),
                    ("label", "Attente"),
                    ("kind", "value"),
                    ("unit", "percent"),
                    ("comparator", ">="),
                    ("periodicity", "monthly"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("doit commencer par « local. »"));
        let res = admin
            .post(
                "/administration/indicateurs-locaux",
                &[
                    ("code", "local.accueil.attente"),
                    ("label", "Temps d'attente moyen à l'accueil"),
                    ("kind", "value"),
                    ("unit", "hours"),
                    ("comparator", "<="),
                    ("periodicity", "monthly"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert!(
            res.location()
                .starts_with("/indicateurs/local.accueil.attente")
        );
        admin
            .post(
                "/indicateurs/local.accueil.attente/cibles",
                &[("year", "2020"), ("comparator", "<="), ("value", "0,5")],
            )
            .await;
        admin
            .post(
                "/indicateurs/local.accueil.attente/valeurs",
                &[("period", "2020-03"), ("value", "0,9")],
            )
            .await;
        let page = admin.get("/tableau-de-bord?annee=2020").await;
        assert!(
            page.body.contains("Indicateurs locaux")
                && page.body.contains("Temps d&#x27;attente moyen")
                || page.body.contains("Temps d'attente moyen")
        );
        // 0.9 h against ≤ 0.5 h: gap 80 % → level 4.
        let cat = qep_app::indicators::catalogue(&app.ctx)
            .await
            .expect("catalogue");
        let res = qep_app::indicators::results(&app.ctx, &cat, 2020, None, None)
            .await
            .expect("results");
        let flat = res.flat();
        let march = flat
            .iter()
            .find(|r| r.code == "local.accueil.attente" && r.period.to_string() == "2020-03")
            .expect("local value");
        assert_eq!(march.level.map(|l| l.number()), Some(4));
        app.cleanup().await;
    }
}

#[test]
fn a_referentiel_folder_corrects_the_compiled_in_version() {
    let (_db, url) = prepared_db();
    assert_eq!(
        qep(&url, &["import", "values", DEMO_VALUES]).status.code(),
        Some(0)
    );
    let dir = std::env::temp_dir().join(format!("qep-referentiel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let original = include_str!("../../../qep-core/referentiels/qualepref-2018.toml");
    let needle = r#"targets = [{ year = 2020, comparator = ">=", value = 75 }]"#;
    let at = original
        .find(r#"code = "m1.email.on_time""#)
        .expect("email indicator");
    let offset = original[at..].find(needle).expect("its 2020 target") + at;
    let corrected = format!(
        "{}{}{}",
        &original[..offset],
        r#"targets = [{ year = 2020, comparator = ">=", value = 95 }]"#,
        &original[offset + needle.len()..]
    );
    std::fs::write(dir.join("qualepref-2018.toml"), corrected).expect("write");
    let run = |extra_env: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_qep"));
        cmd.args([
            "--database",
            &url,
            "indicators",
            "--year",
            "2020",
            "--format",
            "json",
        ])
        .env_remove("QEP_DATABASE_URL")
        .env_remove("QEP_CONFIG")
        .current_dir(std::env::temp_dir());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd.output().expect("run")
    };
    let o = run(&[("QEP_REFERENTIEL_DIR", dir.to_str().expect("dir"))]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let rows: Vec<Value> = serde_json::from_slice(&o.stdout).expect("json");
    let email = rows
        .iter()
        .find(|r| r["code"] == "m1.email.on_time" && r["period"] == "2020")
        .expect("email 2020");
    // 91.19 % against the corrected ≥ 95 target: gap 4 % → level 2.
    assert_eq!(
        (email["target"].as_f64(), email["level"].as_u64()),
        (Some(95.0), Some(2))
    );

    std::fs::write(
        dir.join("local-2026.toml"),
        "code = \"local-2026\"\ntitle = \"x\"\nkind = \"qual_e_pref\"\n",
    )
    .expect("write");
    let o = run(&[("QEP_REFERENTIEL_DIR", dir.to_str().expect("dir"))]);
    assert_eq!(o.status.code(), Some(2), "a broken file stops the command");
    assert!(
        text(&o.stderr).contains("local-2026.toml"),
        "{}",
        text(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_year_exports_as_a_workbook_and_csv_matching_the_json() {
    use calamine::{Data, Reader as _};

    let (_db, url) = prepared_db();
    assert_eq!(
        qep(&url, &["import", "values", DEMO_VALUES]).status.code(),
        Some(0)
    );
    let dir = std::env::temp_dir().join(format!("qep-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let xlsx = dir.join("indicateurs-2020.xlsx");
    let o = qep(
        &url,
        &[
            "export",
            "xlsx",
            "--year",
            "2020",
            "--output",
            xlsx.to_str().expect("path"),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));

    let mut book = calamine::open_workbook_auto(&xlsx).expect("open workbook");
    let names = book.sheet_names();
    assert_eq!(
        names[..3],
        ["Module 1", "Module 2", "Module 3"],
        "{names:?}"
    );
    assert!(names.iter().any(|n| n == "Programme Transparence"));
    let sheet = book.worksheet_range("Module 1").expect("Module 1");
    let header: Vec<String> = (0..17)
        .map(|c| {
            sheet
                .get((2, c))
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(&header[..3], ["Indicateur", "Code", "J"]);
    assert_eq!(header[14], "Résultat 2020");
    let row = (3..sheet.height())
        .find(|r| sheet.get((*r, 1)) == Some(&Data::String("m1.email.on_time".into())))
        .expect("email row");
    // Numbers, not text, equal to the JSON values: August 59 %, the year 91.19 %.
    assert_eq!(sheet.get((row, 2 + 7)), Some(&Data::Float(59.0)));
    assert_eq!(sheet.get((row, 14)), Some(&Data::Float(91.19)));
    assert_eq!(sheet.get((row, 15)), Some(&Data::String("≥ 75".into())));
    assert_eq!(
        sheet.get((row, 2 + 2)),
        Some(&Data::Empty),
        "no March value"
    );

    let csv = dir.join("indicateurs-2020.csv");
    let o = qep(
        &url,
        &[
            "export",
            "csv",
            "--year",
            "2020",
            "--output",
            csv.to_str().expect("path"),
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let bytes = std::fs::read(&csv).expect("csv");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "BOM for French Excel");
    let content = String::from_utf8(bytes).expect("utf-8");
    let line = content
        .lines()
        .find(|l| l.contains(";m1.email.on_time;"))
        .expect("email line");
    assert!(
        line.contains(";59;") && line.contains(";91,19;75;>=;1"),
        "{line}"
    );
    let o = qep(
        &url,
        &[
            "export",
            "csv",
            "--year",
            "2020",
            "--output",
            csv.to_str().expect("path"),
            "--csv-comma",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let content = std::fs::read_to_string(&csv).expect("csv");
    assert!(!content.starts_with('\u{feff}'));
    assert!(content.contains(",91.19,75,>=,1"));

    // A year without data is still a valid workbook.
    let empty = dir.join("indicateurs-2019.xlsx");
    let o = qep(
        &url,
        &[
            "export",
            "xlsx",
            "--year",
            "2019",
            "--output",
            empty.to_str().expect("path"),
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(calamine::open_workbook_auto(&empty).is_ok());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_public_results_page_shows_validated_figures_only() {
    for app in TestApp::all().await {
        let mut public = app.client();
        let page = public.get("/resultats").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body
                .contains("Aucun résultat n&#x27;a encore été validé")
                || page.body.contains("Aucun résultat n'a encore été validé")
        );
        assert!(!page.body.contains("91,19"), "nothing before validation");

        let mut admin = app.client();
        admin.login(ADMIN).await;
        for period in ["2020", "2020-12"] {
            let res = admin
                .post("/indicateurs/validation", &[("period", period)])
                .await;
            assert_eq!(res.status, StatusCode::SEE_OTHER);
        }
        // A later change does not reach the public page.
        admin
            .post(
                "/indicateurs/m1.email.on_time/valeurs",
                &[
                    ("period", "2020"),
                    ("value", "12"),
                    ("numerator", "12"),
                    ("denominator", "100"),
                ],
            )
            .await;
        let page = public.get("/resultats").await;
        assert!(
            page.body.contains("Résultats – année 2020")
                && page.body.contains("Résultats – décembre 2020")
        );
        assert!(page.body.contains("91,19\u{a0}%"), "the validated figure");
        assert!(!page.body.contains("12\u{a0}%"), "not the later change");
        let csv = public.get("/resultats/donnees.csv").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.body.starts_with('\u{feff}'));
        let line = csv
            .body
            .lines()
            .find(|l| l.contains("\"m1.email.on_time\"") && l.contains("annuelle"))
            .expect("email line");
        assert!(
            line.starts_with("\"PREF-61\";\"Préfecture de démonstration de l'Orne\""),
            "{line}"
        );
        assert!(
            line.contains(";2020-01-01;2020-12-31;annuelle;91,19;\"%\";"),
            "{line}"
        );
        app.cleanup().await;
    }
}

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/imports");

fn sample(name: &str) -> String {
    format!("{SAMPLES}/{name}")
}

fn json_rows(url: &str, year: &str) -> Vec<Value> {
    let o = qep(url, &["indicators", "--year", year, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("json array")
}

fn value_of(rows: &[Value], code: &str, period: &str) -> Option<f64> {
    rows.iter()
        .find(|r| r["code"] == code && r["period"] == period)
        .and_then(|r| r["value"].as_f64())
}

/// The sample exports, shaped like the prefectures' (a Windows-1252 `;` call log with
/// French dates read under a saved mapping, a tab-separated UTF-8 file with a BOM, French
/// month names and quarters), give the figures computed from them independently (by a
/// separate script over the same files).
#[test]
fn statistics_files_give_the_phone_titles_and_web_indicators() {
    let (_db, url) = prepared_db();
    let calls = sample("appels-autocom-2021-2022T1.csv");
    // The switch's own headers are not the usual ones: the built-in mapping says which
    // columns are missing and lists the file's.
    let o = qep(&url, &["import", "calls", &calls]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("aucune colonne pour « started_at »")
            && err.contains("Début appel, Groupe d'appel"),
        "{err}"
    );
    let o = qep(
        &url,
        &["mapping", "save", "autocom", &sample("autocom.toml")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = qep(&url, &["mapping", "list"]);
    assert!(text(&o.stdout).contains("autocom\tcalls\tJournal d'appels"));
    // A dry run checks and writes nothing.
    let o = qep(
        &url,
        &[
            "import",
            "calls",
            &calls,
            "--mapping",
            "autocom",
            "--dry-run",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("30409 ligne(s) valides"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(
        value_of(&json_rows(&url, "2022"), "m1.phone.calls", "2022-01"),
        None
    );
    let o = qep(&url, &["import", "calls", &calls, "--mapping", "autocom"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for (mapping, file) in [
        ("telephonie", "telephonie-sous-prefectures.tsv"),
        ("titres", "delais-titres-2021-2022T1.csv"),
        ("titres-sejour", "delais-titres-sejour-2021-2022T1.csv"),
        ("fraude", "fraude-2021-2022T1.csv"),
        ("site-internet", "site-internet-2021-2022T1.csv"),
        ("reseaux-sociaux", "reseaux-sociaux-2021-2022T1.csv"),
    ] {
        let o = qep(
            &url,
            &["import", "stats", &sample(file), "--mapping", mapping],
        );
        assert_eq!(o.status.code(), Some(0), "{file}: {}", text(&o.stderr));
    }
    // The same file again changes nothing.
    let o = qep(&url, &["import", "calls", &calls, "--mapping", "autocom"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        text(&o.stdout).contains("fichier déjà importé"),
        "{}",
        text(&o.stdout)
    );

    let rows = json_rows(&url, "2022");
    let close = |code: &str, period: &str, want: f64| {
        let got = value_of(&rows, code, period).unwrap_or_else(|| panic!("{code} {period}"));
        assert!((got - want).abs() < 1e-6, "{code} {period}: {got} ≠ {want}");
    };
    // Call log (3 lines of the prefecture) + monthly statistics of 2 sub-prefectures.
    close("m1.phone.calls", "2022-01", 3681.0);
    close("m1.phone.calls", "2022-Q1", 11012.0);
    close("m1.phone.answered", "2022-Q1", 87.577_188_521_612_78);
    close("tr.phone.answered", "2022-Q1", 87.577_188_521_612_78);
    close(
        "m1.phone.lost_switchboard",
        "2022-01",
        6.779_661_016_949_152,
    );
    close(
        "m1.phone.answered_5_rings",
        "2022-Q1",
        79.530_638_852_672_75,
    );
    // CNI and passports weighted by their files.
    close("tr.id_passport.delay", "2022-Q1", 17.925_345_260_514_753);
    assert!(value_of(&rows, "m1.web.connection_rate", "2022-01").is_some());
    assert!(value_of(&rows, "m1.social.engagement", "2022-01").is_some());
    assert!(value_of(&rows, "m2.fraud_rate", "2022-01").is_some());
    assert!(value_of(&rows, "m3.renewal.delay", "2022-Q1").is_some());
    // A full year, 2021: every call of the log and of the sub-prefectures' statistics.
    let y2021 = json_rows(&url, "2021");
    assert_eq!(value_of(&y2021, "m1.phone.calls", "2021"), Some(43382.0));
    let answered = value_of(&y2021, "m1.phone.answered", "2021").expect("2021 rate");
    assert!(
        (answered - 88.080_309_805_910_29).abs() < 1e-6,
        "{answered}"
    );
    assert!(value_of(&y2021, "tr.phone.answered", "2021-Q4").is_some());
}

#[test]
fn a_bad_statistics_file_names_every_bad_cell_and_imports_nothing() {
    let (_db, url) = prepared_db();
    let dir = std::env::temp_dir().join(format!("qep-stats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let bad = dir.join("titres.csv");
    std::fs::write(
        &bad,
        b"Mois;Titre;D\xe9lai moyen;Dossiers\r\njanv.-22;CNI;12,5;300\r\nfoo 2022;CNI;12;10\r\nf\xe9vr.-22;Visa;12;10\r\nmars-22;Passeport;-4;10\r\n",
    )
    .expect("write");
    let path = bad.display().to_string();
    let o = qep(&url, &["import", "stats", &path, "--mapping", "titres"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    for want in [
        "ligne 3, colonne « Mois » : « foo 2022 » : période invalide",
        "ligne 4, colonne « Titre » : « Visa » : valeur non reconnue",
        "ligne 5, colonne « Délai moyen » : « -4 » : attendu un nombre positif",
        "3 erreur(s), rien n'a été importé",
    ] {
        assert!(err.contains(want), "missing « {want} » in:\n{err}");
    }
    assert_eq!(
        value_of(
            &json_rows(&url, "2022"),
            "m2.id.availability_delay",
            "2022-01"
        ),
        None
    );
    // A stats mapping through `import calls` is refused with the right command named.
    let o = qep(&url, &["import", "calls", &path, "--mapping", "titres"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("utilisez qep import stats"));
    let o = qep(&url, &["import", "stats", &path, "--mapping", "inconnu"]);
    assert!(text(&o.stderr).contains("modèle de correspondance inconnu « inconnu »"));
    std::fs::remove_dir_all(&dir).ok();
}

fn pdf_text(path: &std::path::Path) -> String {
    let o = Command::new("pdftotext")
        .arg("-layout")
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils, installed by .ci/run) must be installed");
    assert!(o.status.success(), "pdftotext: {}", text(&o.stderr));
    text(&o.stdout)
}

/// The documents a quality lead downloads, read back as text: the figures of the
/// database, French formatting, levels, the stored free texts, and honest sentences
/// where there is nothing.
#[test]
fn the_report_and_the_poster_print_the_database_figures() {
    let (_db, url) = prepared_db();
    assert_eq!(
        qep(&url, &["import", "values", DEMO_VALUES]).status.code(),
        Some(0)
    );
    for (mapping, file) in [
        ("telephonie", "telephonie-sous-prefectures.tsv"),
        ("titres", "delais-titres-2021-2022T1.csv"),
    ] {
        let o = qep(
            &url,
            &["import", "stats", &sample(file), "--mapping", mapping],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
    let dir = std::env::temp_dir().join(format!("qep-reports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let texts = dir.join("textes.toml");
    std::fs::write(
        &texts,
        "introduction = \"Bilan #2020 : *tout* [comme] $prévu\"\n[modules]\n2 = \"Délais allongés par le confinement.\"\n",
    )
    .expect("write");
    let pdf = dir.join("bilan-2020.pdf");
    let o = qep(
        &url,
        &[
            "report",
            "bilan",
            "--year",
            "2020",
            "--output",
            &pdf.display().to_string(),
            "--texts",
            &texts.display().to_string(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let t = pdf_text(&pdf);
    for want in [
        "Bilan #2020 : *tout* [comme] $prévu",
        "Délais allongés par le confinement.",
        // Orne 2020, e-mails answered on time: 269/295.
        "91,19",
        "Aucune enquête de satisfaction n'est enregistrée pour 2020.",
    ] {
        assert!(t.contains(want), "« {want} » missing from the report:\n{t}");
    }
    // The texts are kept with the year: the next edition prints them without --texts.
    let docx = dir.join("bilan-2020.docx");
    let o = qep(
        &url,
        &[
            "report",
            "bilan",
            "--year",
            "2020",
            "--output",
            &docx.display().to_string(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(std::fs::read(&docx).expect("docx").starts_with(b"PK"));

    let poster = dir.join("affiche.pdf");
    let o = qep(
        &url,
        &[
            "report",
            "transparence",
            "--quarter",
            "2022-Q1",
            "--output",
            &poster.display().to_string(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let t = pdf_text(&poster);
    // Sub-prefecture statistics only here: answered over presented for January to March.
    assert!(
        t.contains("1er trimestre 2022") && t.contains("Au 4e trimestre 2021"),
        "{t}"
    );
    assert!(
        t.contains("non disponible"),
        "no national figures imported: {t}"
    );

    let empty = dir.join("bilan-2015.pdf");
    let o = qep(
        &url,
        &[
            "report",
            "bilan",
            "--year",
            "2015",
            "--output",
            &empty.display().to_string(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        pdf_text(&empty)
            .contains("Aucune correspondance ni réclamation n'est enregistrée pour 2015.")
    );
    let o = qep(
        &url,
        &["report", "bilan", "--year", "2020", "--output", "bilan.txt"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("doit finir par .pdf ou .docx"));
    std::fs::remove_dir_all(&dir).ok();
}

/// The documents page: every signed-in user downloads the report, the poster and the
/// tables; the quality lead writes the report's texts, which the next download prints.
#[tokio::test]
async fn documents_are_downloaded_from_the_web_and_texts_kept_with_the_year() {
    for app in TestApp::all().await {
        let mut anonymous = app.client();
        let res = anonymous.get("/documents/bilan?annee=2020").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);

        let mut viewer = app.client();
        viewer.login(VIEWER).await;
        let page = viewer.get("/documents").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            !page.body.contains("Textes du bilan"),
            "viewers do not edit texts"
        );
        let pdf = viewer.get("/documents/bilan?annee=2020&format=pdf").await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert_eq!(pdf.headers["content-type"], "application/pdf");
        assert!(pdf.bytes.starts_with(b"%PDF"));
        let docx = viewer.get("/documents/bilan?annee=2020&format=docx").await;
        assert!(docx.bytes.starts_with(b"PK"));
        let poster = viewer
            .get("/documents/transparence?trimestre=2022-Q1&format=a3")
            .await;
        assert!(poster.bytes.starts_with(b"%PDF"));
        let dir = std::env::temp_dir().join(format!("qep-docs-web-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let poster_path = dir.join("affiche.pdf");
        std::fs::write(&poster_path, &poster.bytes).expect("write");
        // Demo: the sample call log and sub-prefecture statistics for January to March 2022.
        assert!(pdf_text(&poster_path).contains("87,58 %"));
        let xlsx = viewer.get("/documents/tableaux?annee=2020").await;
        assert!(xlsx.bytes.starts_with(b"PK"));
        assert_eq!(
            viewer
                .get("/documents/transparence?trimestre=2022-Q5")
                .await
                .status,
            StatusCode::BAD_REQUEST
        );
        let refused = viewer
            .post(
                "/documents/bilan/textes",
                &[("year", "2020"), ("introduction", "x")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);

        let mut admin = app.client();
        admin.login(ADMIN).await;
        let page = admin.get("/documents?annee=2020").await;
        assert!(page.body.contains("Textes du bilan 2020"));
        let saved = admin
            .post(
                "/documents/bilan/textes",
                &[
                    ("year", "2020"),
                    ("introduction", "Une année <b>hors norme</b> & #confinée"),
                    ("module-2", "Délais allongés."),
                    ("conclusion", ""),
                ],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER);
        let page = admin.get("/documents?annee=2020").await;
        // Shown escaped in the form, kept as written.
        assert!(page.body.contains("Une année &lt;b&gt;hors norme&lt;"));
        assert!(!page.body.contains("<b>hors norme"));
        let pdf = admin.get("/documents/bilan?annee=2020").await;
        let path = dir.join("bilan.pdf");
        std::fs::write(&path, &pdf.bytes).expect("write");
        let t = pdf_text(&path);
        assert!(
            t.contains("Une année <b>hors norme</b> & #confinée") && t.contains("Délais allongés."),
            "{t}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// The hostile workbooks of qep-import's corpus: each aborted the process (exit 134) or
/// took gigabytes; each `qep import` now refuses them with exit 2 and a short message
/// naming the file.
#[test]
fn hostile_workbooks_exit_2_on_every_import_command() {
    let (_db, url) = prepared_db();
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../qep-import/tests/hostile");
    for (file, words) in [
        ("far-cell.xlsx", "XFD1048576"),
        ("zip-bomb.xlsx", "se décompresse"),
        ("repeated.ods", "cellules"),
        ("corners.xls", "IV65536"),
    ] {
        let path = format!("{corpus}/{file}");
        for args in [
            &["import", "values", &path][..],
            &["import", "calls", &path],
            &["import", "stats", "--mapping", "telephonie", &path],
            &["import", "correspondence", &path],
        ] {
            let o = qep(&url, args);
            let err = text(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains(file) && err.contains(words), "{args:?}: {err}");
            assert!(err.len() < 600, "{args:?}: {err}");
        }
    }
}
