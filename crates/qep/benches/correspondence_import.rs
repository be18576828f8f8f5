//! Correspondence import benchmark: 100,000 generated rows into a fresh SQLite database
//! (no criterion: plain `Instant` timing).
//!
//! Run: `cargo bench -p qep --bench correspondence_import [-- ROWS]`. Figures go in
//! `docs/PERFORMANCE.md` (« Correspondence import »).
//!
//! Phases, timed apart: generating the CSV (not part of an import), reading and checking
//! it (`qep_import`), computing deadlines and due dates with each site's calendar, and the
//! one-transaction insert. Then the same file again (every reference present: nothing
//! added), a year's listing as the export reads it, and the real `qep` binary end to end
//! (`import correspondence` into another fresh database, `export correspondence` to CSV and
//! XLSX).

use qep_store::prelude::*;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use qep::correspondence::Register;
use qep_core::prefecture::{PrefectureSettings, ServiceDraft, SiteDraft};
use qep_core::referentiel;
use qep_store::{Actor, CorrespondenceQuery};
use qep_store_sqlite::SqliteStore;
use qep_store_sqlite::testdb::TempDbPath;

/// xorshift64*: deterministic, so every run times the same file.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const SITES: [&str; 3] = [
    "Préfecture du Cher",
    "Sous-préfecture de Vierzon",
    "Sous-préfecture de Saint-Amand-Montrond",
];
const SERVICES: [(&str, &str, usize); 5] = [
    ("Accueil général", "ACC", 0),
    ("Bureau de l'asile et du séjour des étrangers", "BASE", 0),
    ("Bureau des usagers de la route", "BUR", 0),
    ("Accueil de Vierzon", "SPV", 1),
    ("Accueil de Saint-Amand-Montrond", "SPS", 2),
];

/// The `qep init` set-up (prefecture in the Cher, its main site) plus two sub-prefectures
/// and five services, through the library.
async fn prepared(path: &Path) -> SqliteStore {
    let store = SqliteStore::open(path, true).await.expect("open sqlite");
    let actor = Actor::cli();
    let settings =
        PrefectureSettings::new(SITES[0], "18", referentiel::DEFAULT_CODE, &[1, 2, 3, 4])
            .expect("settings");
    store
        .init_prefecture(&actor, &settings, &[])
        .await
        .expect("init");
    let mut ids = Vec::new();
    for (i, name) in SITES.iter().enumerate() {
        let kind = if i == 0 {
            "prefecture"
        } else {
            "sub_prefecture"
        };
        let draft = SiteDraft::new(name, kind, "").expect("site");
        ids.push(store.insert_site(&actor, &draft).await.expect("site").id);
    }
    for (name, code, site) in SERVICES {
        let draft = ServiceDraft::new(name, code, ids[site], true).expect("service");
        store.insert_service(&actor, &draft).await.expect("service");
    }
    store
}

/// `rows` register items received in 2024, in the French form of the import file.
fn generate(rows: usize) -> String {
    const CHANNELS: [&str; 6] = [
        "courriel",
        "email",
        "courrier",
        "formulaire",
        "urne",
        "guichet",
    ];
    const KINDS: [&str; 5] = [
        "information générale",
        "réclamation",
        "suggestion",
        "collectivité",
        "dossier particulier",
    ];
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
    let mut rng = XorShift(0x5EED_2024);
    let mut out = String::with_capacity(rows * 160);
    out.push_str(
        "Référence;Canal;Type;Site;Service;Date de réception;Date de réponse;Réponse;Dans le périmètre;Objet;Demandeur;Courriel du demandeur\n",
    );
    for i in 0..rows {
        let received = start + Days::new(rng.below(366));
        let site = rng.below(3) as usize;
        let service = match rng.below(10) {
            0 => "",
            n => SERVICES[(n % 5) as usize].1,
        };
        let answered = (rng.below(10) < 8).then(|| received + Days::new(rng.below(25)));
        let in_scope = rng.below(20) != 0;
        let _ = writeln!(
            out,
            "BENCH-{i:06};{};{};{};{service};{} {:02}:{:02};{};{};{};Demande n° {i} au sujet d'un titre;Usager {i};usager{i}@example.fr",
            CHANNELS[rng.below(6) as usize],
            KINDS[rng.below(5) as usize],
            SITES[site],
            received.format("%d/%m/%Y"),
            8 + rng.below(10),
            rng.below(60),
            answered
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            if answered.is_some() {
                if rng.below(4) == 0 {
                    "transmise"
                } else {
                    "réponse sur le fond"
                }
            } else {
                ""
            },
            if in_scope { "oui" } else { "non" },
        );
    }
    out
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn rate(rows: usize, d: Duration) -> String {
    format!("{:.0} lignes/s", rows as f64 / d.as_secs_f64())
}

/// The `qep` binary, under GNU time when it is installed (its peak memory, in MB, is then
/// the second value).
fn qep_command(db: &Path, args: &[&str]) -> Command {
    let time = Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.args(["-f", "qep-peak-kb=%M", env!("CARGO_BIN_EXE_qep")]);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_qep"))
    };
    cmd.arg("--database")
        .arg(db)
        .args(args)
        .env_remove("QEP_DATABASE_URL")
        .env_remove("QEP_CONFIG")
        .current_dir(std::env::temp_dir());
    cmd
}

fn peak_mb(stderr: &[u8]) -> Option<f64> {
    String::from_utf8_lossy(stderr)
        .lines()
        .find_map(|l| l.strip_prefix("qep-peak-kb="))
        .and_then(|kb| kb.trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
}

fn run_qep(db: &Path, args: &[&str]) -> (Duration, Option<f64>) {
    let start = Instant::now();
    let out = qep_command(db, args).output().expect("run qep");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "qep {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    print!("    {}", String::from_utf8_lossy(&out.stdout));
    (took, peak_mb(&out.stderr))
}

fn mb(peak: Option<f64>) -> String {
    peak.map_or_else(String::new, |m| format!(", pic mémoire {m:.0} Mo"))
}

/// The peer: the same file inserted by a plain Python script (csv + sqlite3, executemany,
/// one transaction), when python3 is there.
fn python_peer(file: &Path) -> Option<Duration> {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench/sqlite_insert_peer.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(file)
        .output()
        .ok()?;
    out.status.success().then_some(())?;
    let secs: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    Some(Duration::from_secs_f64(secs))
}

/// While `qep import correspondence` runs in another process, writes like a citizen's
/// message and an agent's login (one item registered, one session opened) every 20 ms on the
/// same database: how long each waited, and how many failed.
async fn writers_during_import(db: &Path, file: &str) -> (Duration, Vec<Duration>, usize) {
    let store = SqliteStore::open(db, false).await.expect("open");
    let ctx = qep_app::Ctx::open(std::sync::Arc::new(store))
        .await
        .expect("ctx");
    let sites = ctx.store.list_sites().await.expect("sites");
    let users = ctx.store.list_users().await.expect("users");
    let start = Instant::now();
    let mut import = qep_command(db, &["import", "correspondence", file])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("import");
    let mut waits = Vec::new();
    let mut failures = 0;
    let mut n = 0u32;
    while import.try_wait().expect("wait").is_none() {
        n += 1;
        let t = Instant::now();
        let ok = if n.is_multiple_of(2) {
            let arrival = qep_app::registers::Arrival {
                reference: None,
                channel: qep_core::registers::correspondence::Channel::WebForm,
                kind: qep_core::registers::correspondence::Kind::Complaint,
                site: sites[0].id,
                service: None,
                received_at: chrono::Utc::now(),
                received_on: None,
                requester_name: String::new(),
                requester_email: "usager@example.org".into(),
                requester_address: String::new(),
                subject: format!("Attente n° {n}"),
                in_scope: true,
                out_of_scope: None,
                answered_on: None,
                answer: None,
            };
            qep_app::registers::register(&ctx, &Actor::system(), &arrival, "Une heure.", "Accueil")
                .await
                .is_ok_and(|r| r.is_ok())
        } else {
            ctx.store
                .open_session(
                    users.first().map_or(qep_core::ids::UserId(1), |u| u.id),
                    &qep_store::NewSession {
                        token_hash: format!("bench-{n}"),
                        csrf_token: "c".into(),
                        created_at: chrono::Utc::now(),
                        expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
                    },
                )
                .await
                .is_ok()
        };
        waits.push(t.elapsed());
        if !ok {
            failures += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = start.elapsed();
    let out = import.wait_with_output().expect("import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (took, waits, failures)
}

async fn bench(rows: usize) {
    let db = TempDbPath::new();
    let store = std::sync::Arc::new(prepared(&db.0).await);
    let ctx = qep_app::Ctx::open(store.clone()).await.expect("ctx");
    let today = ctx.today();

    let t = Instant::now();
    let csv = generate(rows);
    let generated = t.elapsed();
    let dir = std::env::temp_dir().join(format!("qep-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("registre.csv");
    std::fs::write(&file, &csv).expect("write");
    let name = file.display().to_string();
    println!(
        "{rows} lignes, {:.1} Mo ({name}), générées en {}",
        csv.len() as f64 / 1e6,
        secs(generated)
    );

    let total = Instant::now();
    let t = Instant::now();
    let register = Register::load(&ctx, today).await.expect("register");
    let loaded = t.elapsed();
    let t = Instant::now();
    let bytes = std::fs::read(&file).expect("read");
    let items = register.check(&name, &bytes, today).expect("valid file");
    let parsed = t.elapsed();
    let t = Instant::now();
    let rules = qep_app::registers::Rules::load(&ctx).await.expect("rules");
    let new = qep_app::registers::prepare(&ctx, &rules, &qep::correspondence::arrivals(&items))
        .await
        .expect("store")
        .expect("due dates");
    let due = t.elapsed();
    let t = Instant::now();
    let added = store
        .insert_correspondence(&Actor::cli(), &new)
        .await
        .expect("insert");
    let inserted = t.elapsed();
    let total = total.elapsed();
    assert_eq!(added.len(), rows);

    let t = Instant::now();
    let again = store
        .insert_correspondence(&Actor::cli(), &new)
        .await
        .expect("insert again");
    let reinserted = t.elapsed();
    assert!(again.is_empty());

    let t = Instant::now();
    let listed = store
        .list_correspondence(&CorrespondenceQuery {
            received_from: NaiveDate::from_ymd_opt(2024, 1, 1),
            received_to: NaiveDate::from_ymd_opt(2024, 12, 31),
            limit: u32::MAX,
            ..Default::default()
        })
        .await
        .expect("list");
    let listing = t.elapsed();
    assert_eq!(listed.len(), rows);
    store.close().await;

    println!("Bibliothèque (une base SQLite neuve) :");
    println!("  préfecture, sites, calendriers      {}", secs(loaded));
    println!(
        "  lecture + contrôle du fichier       {}  ({})",
        secs(parsed),
        rate(rows, parsed)
    );
    println!(
        "  délais et échéances                 {}  ({})",
        secs(due),
        rate(rows, due)
    );
    println!(
        "  insertion (une transaction)         {}  ({})",
        secs(inserted),
        rate(rows, inserted)
    );
    println!(
        "  total de l'import                   {}  ({})",
        secs(total),
        rate(rows, total)
    );
    println!(
        "  même fichier à nouveau (0 ajout)    {}  ({})",
        secs(reinserted),
        rate(rows, reinserted)
    );
    println!(
        "  lecture d'une année (export)        {}  ({})",
        secs(listing),
        rate(rows, listing)
    );

    let fresh = TempDbPath::new();
    prepared(&fresh.0).await.close().await;
    println!("Binaire qep (processus complet) :");
    let (import, peak) = run_qep(&fresh.0, &["import", "correspondence", &name]);
    println!(
        "  qep import correspondence           {}  ({}{})",
        secs(import),
        rate(rows, import),
        mb(peak)
    );
    if let Some(peer) = python_peer(&file) {
        println!(
            "  pair : script Python (csv + sqlite3, executemany, une transaction) {}  (qep : {:.2} × le pair)",
            secs(peer),
            import.as_secs_f64() / peer.as_secs_f64()
        );
    }
    let busy = TempDbPath::new();
    prepared(&busy.0).await.close().await;
    // A user account, for the logins.
    {
        let store = SqliteStore::open(&busy.0, false).await.expect("open");
        store
            .insert_user(
                &Actor::cli(),
                &qep_store::NewUser {
                    email: qep_core::account::Email::parse("agent@bench.invalid").expect("email"),
                    display_name: "Agent".into(),
                    role: qep_core::account::Role::Agent,
                    password_hash: "$argon2id$bench".into(),
                    services: vec![],
                },
            )
            .await
            .expect("user");
        store.close().await;
    }
    let (took, mut waits, failures) = writers_during_import(&busy.0, &name).await;
    waits.sort();
    let at = |q: f64| {
        waits
            .get(((waits.len() as f64 * q) as usize).min(waits.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "  pendant un import ({}) : {} écritures (message du formulaire, ouverture de session), {failures} échec(s), attente médiane {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        secs(took),
        waits.len(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        waits.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    let out_csv = dir.join("export.csv").display().to_string();
    let (export_csv, csv_peak) = run_qep(
        &fresh.0,
        &[
            "export",
            "correspondence",
            "--year",
            "2024",
            "--output",
            &out_csv,
        ],
    );
    println!(
        "  qep export correspondence (CSV)     {}  ({}{})",
        secs(export_csv),
        rate(rows, export_csv),
        mb(csv_peak)
    );
    let out_xlsx = dir.join("export.xlsx").display().to_string();
    let (export_xlsx, xlsx_peak) = run_qep(
        &fresh.0,
        &[
            "export",
            "correspondence",
            "--year",
            "2024",
            "--output",
            &out_xlsx,
        ],
    );
    println!(
        "  qep export correspondence (XLSX)    {}  ({}{})",
        secs(export_xlsx),
        rate(rows, export_xlsx),
        mb(xlsx_peak)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    // `cargo bench` passes `--bench`; run in test mode (`cargo test --all-targets`), a
    // thousand rows are enough to see it work.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let default = if args.iter().any(|a| a == "--bench") {
        100_000
    } else {
        1_000
    };
    let rows = args
        .iter()
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(default);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench(rows));
}
