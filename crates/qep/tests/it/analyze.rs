//! `qep analyze` on hand-made exports: prefectures 2A, 67 (Alsace-Moselle), 75 and 974
//! (La Réunion), holidays around 8 May, Good Friday and 20 December; expected tables computed
//! by hand (delay = working days in (received, replied]).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EMAILS: &str = "\
id,prefecture,service,channel,received_at,replied_at
1,67,titres,email,2025-05-07T10:00:00,2025-05-09T09:00:00
2,67,titres,email,2025-04-17T16:00:00,2025-04-24T10:00:00
3,67,cabinet,courrier,2025-05-02T09:00:00,
4,67,titres,email,2025-04-30T10:00:00,2025-05-12T10:00:00
5,974,titres,email,2025-12-19T10:00:00,2025-12-29T10:00:00
6,974,etrangers,telephone,2024-12-19T11:00:00,2024-12-23T09:00:00
7,974,etrangers,telephone,2024-12-18T11:00:00,2024-12-31T09:00:00
8,75,titres,email,2025-05-07T10:00:00,2025-05-07T15:00:00
9,75,titres,email,2025-05-10T10:00:00,2025-05-12T09:00:00
10,75,titres,email,2025-04-17T10:00:00,2025-04-24T10:00:00
11,2A,titres,courrier,2025-05-09T09:00:00,2025-05-16T09:00:00
";

// 1: 67, (7 May, 9 May] = 9 May (8 May is a holiday)                      -> 1
// 2: 67, (17 Apr, 24 Apr]: Good Friday 18 and Easter Monday 21 off        -> 3
// 4: 67, (30 Apr, 12 May]: 1 and 8 May off                                -> 6, late
// 5: 974, (19 Dec, 29 Dec]: 22, 23, 24, 26, 29 (25 off)                   -> 5, on time
// 6: 974, (19 Dec, 23 Dec]: 20 December is a holiday in La Réunion        -> 1
// 7: 974, (18 Dec, 31 Dec]: 19, 23, 24, 26, 27, 30, 31                    -> 7, late
// 8: same day -> 0; 9: received Saturday, replied Monday -> 1
// 10: 75, (17 Apr, 24 Apr]: Good Friday is worked in Paris: 18, 22, 23, 24 -> 4
// 11: 2A, (9 May, 16 May]: 12..16                                         -> 5, on time
const EXPECTED_EMAILS: &str = "\
# emails
prefecture,month,channel,n,answered,within5,sum_delay,rate_within5,mean_delay
2A,2025-05,courrier,1,1,1,5,1.000000,5.000000
67,2025-04,email,2,2,1,9,0.500000,4.500000
67,2025-05,courrier,1,0,0,0,0.000000,
67,2025-05,email,1,1,1,1,1.000000,1.000000
75,2025-04,email,1,1,1,4,1.000000,4.000000
75,2025-05,email,2,2,2,1,1.000000,0.500000
974,2024-12,telephone,2,2,1,8,0.500000,4.000000
974,2025-12,email,1,1,1,5,1.000000,5.000000
";

const CALLS: &str = "\
id,prefecture,line,started_at,answered,rings
1,67,standard,2025-05-07T09:00:00,1,3
2,67,standard,2025-05-08T10:00:00,0,5
3,67,titres,2025-05-20T10:00:00,1,2
4,974,standard,2024-12-20T10:00:00,0,4
5,75,standard,2025-04-30T17:00:00,1,1
6,75,standard,2025-05-01T09:00:00,0,2
";

const EXPECTED_CALLS: &str = "\
# calls
prefecture,month,n,answered,sum_rings_answered,rate_answered
67,2025-05,3,2,5,0.666667
75,2025-04,1,1,1,1.000000
75,2025-05,1,0,0,0.000000
974,2024-12,1,0,0,0.000000
";

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("qep-analyze-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Dir(dir)
    }

    fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, content).expect("write csv");
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn analyze(emails: &Path, calls: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qep"))
        .arg("analyze")
        .arg("--emails")
        .arg(emails)
        .arg("--calls")
        .arg(calls)
        .args(extra)
        .env_remove("QEP_DATABASE_URL")
        .env_remove("QEP_CONFIG")
        .output()
        .expect("run qep analyze")
}

#[test]
fn analyze_prints_the_peers_table() {
    let dir = Dir::new("ok");
    let emails = dir.file("emails.csv", EMAILS);
    let calls = dir.file("calls.csv", CALLS);
    let expected = format!("{EXPECTED_EMAILS}{EXPECTED_CALLS}");
    // One thread, and more threads than lines: the chunks are cut at line boundaries.
    for threads in ["1", "2", "3", "16"] {
        let o = analyze(&emails, &calls, &["--threads", threads]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "stderr: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            expected,
            "{threads} threads"
        );
    }
    // CRLF line endings and no final newline give the same table.
    let crlf = dir.file("emails-crlf.csv", &EMAILS.trim_end().replace('\n', "\r\n"));
    let o = analyze(&crlf, &calls, &["--threads", "2"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), expected);
}

#[test]
fn analyze_deadline_option() {
    let dir = Dir::new("deadline");
    let emails = dir.file("emails.csv", EMAILS);
    let calls = dir.file("calls.csv", CALLS);
    let o = analyze(&emails, &calls, &["--deadline", "4"]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(
        "prefecture,month,channel,n,answered,within4,sum_delay,rate_within4,mean_delay\n"
    ));
    // The two 5-day answers are now late.
    assert!(out.contains("2A,2025-05,courrier,1,1,0,5,0.000000,5.000000\n"));
    assert!(out.contains("974,2025-12,email,1,1,0,5,0.000000,5.000000\n"));
    assert!(out.contains("67,2025-04,email,2,2,1,9,0.500000,4.500000\n"));
}

#[test]
fn analyze_reports_the_malformed_line() {
    let dir = Dir::new("bad");
    let emails = dir.file("emails.csv", EMAILS);
    let calls = dir.file(
        "calls.csv",
        &CALLS.replace("2025-05-20T10:00:00", "2025-02-30T10:00:00"),
    );
    for threads in ["1", "2"] {
        let o = analyze(&emails, &calls, &["--threads", threads]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "stderr: {err}");
        assert!(err.contains("calls.csv ligne 4 : started_at"), "{err}");
        assert!(err.contains("2025-02-30T10:00:00"), "{err}");
        assert!(o.stdout.is_empty());
    }

    let bad = dir.file(
        "emails-bad.csv",
        &EMAILS.replace("9,75,titres", "9,20,titres"),
    );
    let o = analyze(&bad, &calls, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(
        err.contains("emails-bad.csv ligne 10 : code de département inconnu « 20 »"),
        "{err}"
    );

    let short = dir.file(
        "emails-short.csv",
        &EMAILS.replace(",2025-05-07T15:00:00", ""),
    );
    let o = analyze(&short, &calls, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains("ligne 9 : 5 colonne(s) au lieu de 6"), "{err}");
}
