//! The correspondence register in and out of files, through the real binary: French
//! headers and values, due dates from the site's calendar, all or nothing, idempotent by
//! reference, `--dry-run`, and CSV/XLSX exports that re-import into a fresh database.

use qep_store::prelude::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use chrono::NaiveDate;
use qep_core::registers::correspondence::{AnswerType, Channel, Kind, OutOfScope};
use qep_store::{Correspondence, CorrespondenceQuery};
use qep_store_sqlite::SqliteStore;
use qep_store_sqlite::testdb::TempDbPath;

fn qep(db: &Path, args: &[&str]) -> Output {
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

/// A database seeded with the demo prefecture (Orne, département 61; sites Alençon,
/// Argentan, Mortagne; services ACC, BASE, CERT, BCI, DCL, SPA, SPM; référentiel 2018).
async fn demo_db() -> TempDbPath {
    let db = TempDbPath::new();
    let store = std::sync::Arc::new(SqliteStore::open(&db.0, true).await.expect("open sqlite"));
    qep::demo::seed(&qep_app::Ctx::new(store.clone()))
        .await
        .expect("seed demo");
    store.close().await;
    db
}

async fn items(db: &Path) -> Vec<Correspondence> {
    let store = SqliteStore::open(db, false).await.expect("open sqlite");
    let mut all = store
        .list_correspondence(&CorrespondenceQuery {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .expect("list");
    store.close().await;
    all.sort_by(|a, b| a.reference.cmp(&b.reference));
    all
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("qep-corr-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        Dir(dir)
    }

    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("write");
        path.display().to_string()
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// French headers, French values, `;`, a BOM and CRLF, four date forms.
const GOOD: &str = "\u{feff}Référence;Canal;Type;Site;Service;Date de réception;Date de réponse;Réponse;Dans le périmètre;Motif hors périmètre;Objet;Demandeur;Courriel du demandeur;Adresse du demandeur\r\n\
IMP-1;courriel;information générale;Préfecture – Alençon;ACC;03/05/2024 10:15;13/05/2024;réponse sur le fond;oui;;Horaires d'ouverture;Mme Durand;Durand@Example.fr;\r\n\
IMP-2;courrier;réclamation;1;Accueil général;2024-05-03;;;oui;;Attente au guichet;;;\"12 rue de Bretagne; 61000 Alençon\"\r\n\
IMP-3;Courrier;collectivité;Sous-préfecture d'Argentan;spa;2024-05-03T09:00:00;2024-05-27;transmise;oui;;Subvention;Mairie d'Argentan;;\r\n\
IMP-4;formulaire;dossier particulier;2;;2024-05-06 14:30;;;non;contentieux;Recours;;;\r\n";

#[tokio::test]
async fn a_french_file_imports_with_due_dates_from_the_site_calendar_once() {
    let db = demo_db().await;
    let dir = Dir::new("good");
    let file = dir.file("registre.csv", GOOD.as_bytes());

    let o = qep(&db.0, &["import", "correspondence", "--dry-run", &file]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("4 élément(s) valide(s), rien n'a été enregistré"),
        "{}",
        text(&o.stdout)
    );
    assert!(items(&db.0).await.is_empty(), "--dry-run writes nothing");

    let o = qep(&db.0, &["import", "correspondence", &file]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        format!("{file} : 4 élément(s) ajouté(s), 0 déjà présent(s)\n")
    );
    let got = items(&db.0).await;
    assert_eq!(got.len(), 4);
    let store = SqliteStore::open(&db.0, false).await.expect("open");
    let services = store.list_services().await.expect("services");
    let sites = store.list_sites().await.expect("sites");
    store.close().await;
    let service = |code: &str| services.iter().find(|s| s.code == code).map(|s| s.id);
    let site = |prefix: &str| {
        sites
            .iter()
            .find(|s| s.name.starts_with(prefix))
            .map(|s| s.id)
            .expect("site")
    };

    // Friday 3 May 2024 by e-mail: 8 May and Ascension (9 May) are holidays → Tuesday 14 May.
    let e = &got[0];
    assert_eq!(
        (e.reference.as_str(), e.channel, e.kind),
        ("IMP-1", Channel::Email, Kind::GeneralInformation)
    );
    assert_eq!((e.site, e.service), (site("Préfecture"), service("ACC")));
    assert_eq!(e.received_at.to_rfc3339(), "2024-05-03T08:15:00+00:00");
    assert_eq!(e.received_on, date("2024-05-03"));
    assert_eq!((e.deadline_days, e.due_on), (5, date("2024-05-14")));
    assert_eq!(
        (e.answered_on, e.answer),
        (Some(date("2024-05-13")), Some(AnswerType::Substantive))
    );
    assert_eq!(
        (e.requester_name.as_str(), e.requester_email.as_str()),
        ("Mme Durand", "durand@example.fr")
    );
    // The same day on paper: 10 working days (Whit Monday, 20 May, is off too).
    let l = &got[1];
    assert_eq!((l.channel, l.kind), (Channel::Letter, Kind::Complaint));
    assert_eq!(l.service, service("ACC"), "a service by its name");
    assert_eq!((l.deadline_days, l.due_on), (10, date("2024-05-22")));
    assert_eq!(l.requester_address, "12 rue de Bretagne; 61000 Alençon");
    assert_eq!(l.received_at.to_rfc3339(), "2024-05-03T10:00:00+00:00");
    // A local authority's letter: 15 working days under the 2018 référentiel.
    let m4 = &got[2];
    assert_eq!(
        (m4.kind, m4.site, m4.service),
        (
            Kind::LocalAuthority,
            site("Sous-préfecture d'Argentan"),
            service("SPA")
        )
    );
    assert_eq!((m4.deadline_days, m4.due_on), (15, date("2024-05-29")));
    assert_eq!(m4.answer, Some(AnswerType::Forwarded));
    // Out of scope, no service.
    let w = &got[3];
    assert_eq!(
        (w.channel, w.service, w.in_scope),
        (Channel::WebForm, None, false)
    );
    assert_eq!(w.out_of_scope, Some(OutOfScope::LegalDispute));
    assert_eq!(w.due_on, date("2024-05-15"));

    let o = qep(&db.0, &["import", "correspondence", &file]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        format!("{file} : 0 élément(s) ajouté(s), 4 déjà présent(s)\n")
    );
    assert_eq!(items(&db.0).await, got, "a second import changes nothing");
}

#[tokio::test]
async fn every_bad_cell_is_named_and_nothing_is_imported() {
    let db = demo_db().await;
    let dir = Dir::new("bad");
    let file = dir.file(
        "mauvais.csv",
        "reference,channel,kind,site,service,received_at,answered_at,answer,in_scope\n\
         OK-1,email,complaint,1,ACC,2024-05-03,,,oui\n\
         BAD-1,fax,complaint,1,ACC,2024-05-03,,,oui\n\
         BAD-2,email,plainte,Paris,XYZ,2024-05-03,,,oui\n\
         BAD-3,email,complaint,1,,31/02/2024,,,oui\n\
         BAD-4,email,complaint,1,,2024-05-03,2024-05-02,substantive,peut-être\n\
         OK-1,letter,suggestion,1,,2024-05-03,2024-05-06,,non\n"
            .as_bytes(),
    );
    let o = qep(&db.0, &["import", "correspondence", &file]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    let lines: Vec<&str> = err.lines().collect();
    let expected = [
        ("ligne 3, colonne « channel »", "« fax »"),
        ("ligne 4, colonne « kind »", "« plainte »"),
        ("ligne 4, colonne « site »", "« Paris »"),
        ("ligne 4, colonne « service »", "« XYZ »"),
        ("ligne 5, colonne « received_at »", "« 31/02/2024 »"),
        (
            "ligne 6, colonne « answered_at »",
            "antérieure à la réception",
        ),
        ("ligne 6, colonne « in_scope »", "« peut-être »"),
        ("ligne 7, colonne « reference »", "déjà présente ligne 2"),
        ("ligne 7, colonne « answer »", "manquant"),
    ];
    assert_eq!(lines.len(), expected.len() + 1, "{err}");
    for (line, (place, needle)) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(&format!("qep : {file}, {place} : ")) && line.contains(needle),
            "{line} ≠ {place} … {needle}"
        );
    }
    assert_eq!(
        lines[expected.len()],
        format!("qep : {file} : 9 erreur(s), rien n'a été importé")
    );
    assert!(text(&o.stdout).is_empty());
    assert!(items(&db.0).await.is_empty(), "nothing half-imported");

    // A file without the needed columns is refused on its header.
    let file = dir.file("colonnes.csv", b"reference;canal\nX;email\n");
    let o = qep(&db.0, &["import", "correspondence", &file]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("ligne 1, colonne « en-tête » : colonne(s) kind (type)"),
        "{}",
        text(&o.stderr)
    );
}

fn comparable(items: &[Correspondence]) -> Vec<Correspondence> {
    items
        .iter()
        .map(|c| Correspondence {
            id: qep_core::ids::ItemId(0),
            registered_at: chrono::DateTime::UNIX_EPOCH,
            // Requesters' personal data are not exported.
            requester_name: String::new(),
            requester_email: String::new(),
            requester_address: String::new(),
            ..c.clone()
        })
        .collect()
}

#[tokio::test]
async fn exports_to_csv_and_xlsx_re_import_into_a_fresh_database() {
    let db = demo_db().await;
    let dir = Dir::new("export");
    let file = dir.file("registre.csv", GOOD.as_bytes());
    assert_eq!(
        qep(&db.0, &["import", "correspondence", &file])
            .status
            .code(),
        Some(0)
    );
    let original = items(&db.0).await;

    let csv = dir.path("export-2024.csv");
    let o = qep(
        &db.0,
        &[
            "export",
            "correspondence",
            "--year",
            "2024",
            "--output",
            &csv,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("4 élément(s) reçu(s) en 2024 exporté(s)"),
        "{}",
        text(&o.stdout)
    );
    let bytes = std::fs::read(&csv).expect("csv");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "BOM for French Excel");
    let content = text(&bytes[3..]);
    let lines: Vec<&str> = content.lines().collect();
    assert_eq!(
        lines[0],
        "reference;channel;kind;site;service;received_at;answered_at;answer;in_scope;out_of_scope_reason;subject;due_on;response_working_days;on_time"
    );
    assert_eq!(lines.len(), 5);
    let line = |reference: &str| {
        lines
            .iter()
            .copied()
            .find(|l| l.starts_with(&format!("{reference};")))
            .unwrap_or_else(|| panic!("{reference} missing: {content}"))
    };
    // In order of receipt: IMP-3 came at 09:00, IMP-1 at 10:15, IMP-2 at noon.
    assert!(lines[1].starts_with("IMP-3;") && lines[2].starts_with("IMP-1;"));
    assert_eq!(
        line("IMP-1"),
        "IMP-1;email;general_information;Préfecture – Alençon;ACC;2024-05-03 10:15;2024-05-13;substantive;oui;;Horaires d'ouverture;2024-05-14;4;oui"
    );
    // Unanswered and past due: late; out of scope and unanswered: neither.
    assert!(
        line("IMP-2").starts_with(
            "IMP-2;letter;complaint;Préfecture – Alençon;ACC;2024-05-03 12:00;;;oui;;"
        ),
        "{}",
        line("IMP-2")
    );
    assert!(
        line("IMP-2").ends_with(";2024-05-22;;non"),
        "{}",
        line("IMP-2")
    );
    assert_eq!(
        line("IMP-3"),
        "IMP-3;letter;local_authority;Sous-préfecture d'Argentan;SPA;2024-05-03 09:00;2024-05-27;forwarded;oui;;Subvention;2024-05-29;13;oui"
    );
    assert_eq!(
        line("IMP-4"),
        "IMP-4;web_form;specific_file;Sous-préfecture d'Argentan;;2024-05-06 14:30;;;non;legal_dispute;Recours;2024-05-15;;"
    );

    let comma = dir.path("export-virgules.csv");
    let o = qep(
        &db.0,
        &[
            "export",
            "correspondence",
            "--year",
            "2024",
            "--output",
            &comma,
            "--csv-comma",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let plain = std::fs::read_to_string(&comma).expect("csv");
    assert!(plain.starts_with("reference,channel,kind,"), "{plain}");

    let xlsx = dir.path("export-2024.xlsx");
    let o = qep(
        &db.0,
        &[
            "export",
            "correspondence",
            "--year",
            "2024",
            "--output",
            &xlsx,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let workbook = std::fs::read(&xlsx).expect("xlsx");
    let table = qep_import::table::read(&xlsx, &workbook).expect("workbook reads back");
    assert_eq!(
        table.headers,
        qep::correspondence::EXPORT_COLUMNS
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(table.rows.len(), 4);
    assert_eq!(
        table.rows[1].cells,
        [
            "IMP-1",
            "email",
            "general_information",
            "Préfecture – Alençon",
            "ACC",
            "2024-05-03 10:15",
            "2024-05-13",
            "substantive",
            "true",
            "",
            "Horaires d'ouverture",
            "2024-05-14",
            "4",
            "true"
        ]
    );
    // Real dates, numbers and booleans in the cells, not text.
    {
        use calamine::{Data, Reader as _};
        let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(workbook.clone()))
            .expect("open xlsx");
        assert_eq!(wb.sheet_names(), ["Registre 2024"]);
        let range = wb.worksheet_range_at(0).expect("sheet").expect("range");
        // Row 2 of the sheet is IMP-1.
        let cell = |c: u32| range.get_value((2, c)).cloned();
        assert!(matches!(cell(5), Some(Data::DateTime(_))), "{:?}", cell(5));
        assert!(matches!(cell(6), Some(Data::DateTime(_))));
        assert!(matches!(cell(11), Some(Data::DateTime(_))));
        assert_eq!(cell(12), Some(Data::Float(4.0)));
        assert_eq!(cell(8), Some(Data::Bool(true)));
        assert_eq!(cell(13), Some(Data::Bool(true)));
    }

    // Both exports re-import into fresh databases with the same items.
    for export in [&csv, &comma, &xlsx] {
        let fresh = demo_db().await;
        let o = qep(&fresh.0, &["import", "correspondence", export]);
        assert_eq!(o.status.code(), Some(0), "{export}: {}", text(&o.stderr));
        assert!(
            text(&o.stdout).contains("4 élément(s) ajouté(s), 0 déjà présent(s)"),
            "{}",
            text(&o.stdout)
        );
        assert_eq!(
            comparable(&items(&fresh.0).await),
            comparable(&original),
            "{export}"
        );
    }

    let o = qep(
        &db.0,
        &[
            "export",
            "correspondence",
            "--year",
            "2024",
            "--output",
            "x.txt",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("« txt »"), "{}", text(&o.stderr));
}

/// A subject typed by a citizen that starts like a formula is written as text in the CSV
/// export (an apostrophe before it); the XLSX export writes strings as strings.
#[tokio::test]
async fn formulas_in_exported_cells_are_neutralised() {
    let db = demo_db().await;
    let dir = Dir::new("formula");
    let file = dir.file(
        "registre.csv",
        "Référence;Canal;Type;Site;Service;Date de réception;Date de réponse;Réponse;Dans le périmètre;Objet\r\n\
         F-1;courriel;information générale;1;ACC;2024-05-03;;;oui;\"=HYPERLINK(\"\"http://x.example\"\";\"\"clic\"\")\"\r\n\
         F-2;courriel;information générale;1;ACC;2024-05-03;;;oui;@SUM(A1)\r\n\
         F-3;courriel;information générale;1;ACC;2024-05-03;;;oui;-12,5\r\n"
            .as_bytes(),
    );
    let o = qep(&db.0, &["import", "correspondence", &file]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let csv = dir.path("export.csv");
    let o = qep(
        &db.0,
        &[
            "export",
            "correspondence",
            "--year",
            "2024",
            "--output",
            &csv,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let content = text(&std::fs::read(&csv).expect("csv"));
    assert!(
        content.contains(";\"'=HYPERLINK(\"\"http://x.example\"\";\"\"clic\"\")\";"),
        "{content}"
    );
    assert!(content.contains(";'@SUM(A1);"), "{content}");
    assert!(
        content.contains(";-12,5;"),
        "a number stays a number: {content}"
    );
    for line in content.lines() {
        for cell in line.split(';') {
            assert!(
                !cell.starts_with(['=', '@']) && !cell.starts_with("\"="),
                "{cell} in {line}"
            );
        }
    }
}
