//! The `qep` command as scripts use it: output on stdout, exit codes 0 / 1 / 2.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use qep_store_sqlite::testdb::TempDbPath;

fn qep(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qep"));
    cmd.args(args)
        .env_remove("QEP_DATABASE_URL")
        .env_remove("QEP_CONFIG")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn qep");
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(stdin.unwrap_or_default().as_bytes())
            .expect("stdin");
    }
    child.wait_with_output().expect("run qep")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn calendar_answers_are_pipeable() {
    let o = qep(
        &["calendar", "due", "--from", "2024-05-03", "--days", "5"],
        None,
    );
    assert_eq!(
        (o.status.code(), stdout(&o).as_str()),
        (Some(0), "2024-05-14\n")
    );
    let o = qep(
        &[
            "calendar",
            "count",
            "--from",
            "2024-05-03",
            "--to",
            "2024-05-14",
        ],
        None,
    );
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "5\n"));
    let o = qep(
        &[
            "calendar",
            "holidays",
            "--year",
            "2025",
            "--department",
            "974",
        ],
        None,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        out.lines()
            .all(|l| l.len() > 11 && l.as_bytes()[10] == b'\t'),
        "{out}"
    );
    assert!(
        out.contains("2025-12-20\tAbolition de l'esclavage"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 12);
}

#[test]
fn bad_input_exits_2_naming_the_value() {
    for (args, needle) in [
        (
            vec!["calendar", "due", "--from", "2024-02-30", "--days", "5"],
            "« 2024-02-30 »",
        ),
        (
            vec![
                "calendar",
                "count",
                "--from",
                "2024-01-01",
                "--to",
                "2024-01-09",
                "--department",
                "99",
            ],
            "« 99 »",
        ),
        (vec!["--database", "mysql://h/db", "migrate"], "« mysql »"),
        (
            vec!["--database", "/nonexistent/typo.db", "migrate"],
            "sqlite:///nonexistent/typo.db",
        ),
        (
            vec![
                "init",
                "--name",
                "Préfecture du Cher",
                "--department",
                "18",
                "--modules",
                "1,9",
                "--database",
                "sqlite://x.db",
            ],
            "module 9",
        ),
    ] {
        let o = qep(&args, None);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert_eq!(
            stderr(&o).lines().count(),
            1,
            "one-line message: {}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty());
    }
    let o = qep(&["calendar", "due", "--days", "5"], None);
    assert_eq!(o.status.code(), Some(2), "clap usage error");
    let o = qep(&["--help"], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("Commandes :") && stdout(&o).contains("Affiche cette aide"));
}

#[test]
fn init_and_user_add_set_up_a_prefecture() {
    let db = TempDbPath::new();
    let url = format!("sqlite://{}", db.0.display());
    let init = [
        "--database",
        url.as_str(),
        "init",
        "--name",
        "Préfecture du Cher",
        "--department",
        "18",
        "--modules",
        "2,3",
    ];
    let o = qep(&init, None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("modules 1, 2, 3"));
    let o = qep(&init, None);
    assert_eq!(o.status.code(), Some(2), "a second init is refused");
    assert!(stderr(&o).contains("déjà une préfecture"));

    let path = db.0.display().to_string();
    let o = qep(
        &[
            "--database",
            &path,
            "user",
            "add",
            "--email",
            "RQ@cher.gouv.fr",
            "--role",
            "admin",
        ],
        Some("un-mot-de-passe-solide\n"),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        !stdout(&o).contains("Mot de passe"),
        "a supplied password is not printed"
    );
    let o = qep(
        &[
            "--database",
            &path,
            "user",
            "add",
            "--email",
            "lecteur@cher.gouv.fr",
            "--role",
            "viewer",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let printed = stdout(&o);
    let password = printed
        .split("une seule fois) : ")
        .nth(1)
        .expect("generated password printed")
        .trim();
    assert_eq!(password.len(), 23);
    for (args, needle) in [
        (
            vec![
                "--database",
                path.as_str(),
                "user",
                "add",
                "--email",
                "rq@cher.gouv.fr",
                "--role",
                "admin",
            ],
            "existe déjà",
        ),
        (
            vec![
                "--database",
                path.as_str(),
                "user",
                "add",
                "--email",
                "x@cher.gouv.fr",
                "--role",
                "root",
            ],
            "« root »",
        ),
        (
            vec![
                "--database",
                path.as_str(),
                "user",
                "add",
                "--email",
                "pas-une-adresse",
                "--role",
                "agent",
            ],
            "« pas-une-adresse »",
        ),
        (
            vec![
                "--database",
                path.as_str(),
                "user",
                "add",
                "--email",
                "y@cher.gouv.fr",
                "--role",
                "agent",
                "--service",
                "BASE",
            ],
            "« BASE »",
        ),
    ] {
        let o = qep(&args, None);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
    let o = qep(
        &[
            "--database",
            &path,
            "user",
            "add",
            "--email",
            "z@cher.gouv.fr",
            "--role",
            "viewer",
        ],
        Some("court\n"),
    );
    assert_eq!(o.status.code(), Some(2), "short password refused");
    for weak in ["            \n", "aaaaaaaaaaaaaa\n", "ab ab ab ab ab ab\n"] {
        let o = qep(
            &[
                "--database",
                &path,
                "user",
                "add",
                "--email",
                "z@cher.gouv.fr",
                "--role",
                "viewer",
            ],
            Some(weak),
        );
        assert_eq!(o.status.code(), Some(2), "{weak:?} refused");
        assert!(
            stderr(&o).contains("trop simple"),
            "{weak:?}: {}",
            stderr(&o)
        );
    }

    let o = qep(&["--database", &path, "config", "check"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("préfecture « Préfecture du Cher »"));
}

#[test]
fn serve_refuses_an_uninitialised_database() {
    let db = TempDbPath::new();
    let url = format!("sqlite://{}", db.0.display());
    let o = qep(
        &["--database", &url, "serve", "--listen", "127.0.0.1:0"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("qep init"), "{}", stderr(&o));
}
