//! The corpus of hostile files (`tests/hostile/`, made by `scripts/hostile-corpus`): each
//! was an abort, gigabytes of memory or minutes of CPU before the readers had limits. Every
//! reader of the crate must now refuse it with a message that names the file and the
//! limit, or read it within the limits, and never panic.

use std::path::{Path, PathBuf};

use qep_import::limits::{Limits, Stop};
use qep_import::mapping::builtin;
use qep_import::{TableError, preview, sources, table};

/// A file of the corpus: the spreadsheets are in `tests/hostile/`; the CSV files, large
/// but simple, are written here on first use.
fn corpus(name: &str) -> PathBuf {
    if !name.ends_with(".csv") {
        return Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/hostile")
            .join(name);
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile");
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let path = dir.join(name);
    let bytes: Vec<u8> = match name {
        // An unclosed quote, then 0.42 MB of short lines (quadratic before).
        "unclosed-quote.csv" => [
            b"date;decroche\n\"2024-01-02 10:00;oui\n".to_vec(),
            b"a;b\n".repeat(105_000),
        ]
        .concat(),
        // One row, then a quote never closed over 1 MiB of short lines (the preview
        // recounted its whole head for every line).
        "quotes-everywhere.csv" => [b"a;b\n1;2\n\"".to_vec(), b"x\n".repeat(600_000)].concat(),
        // 2,000 separators on a line.
        "wide.csv" => [b"a".to_vec(), b";a".repeat(2_000), b"\n1\n".to_vec()].concat(),
        // One line of 2 MiB without a line break.
        "long-line.csv" => [b"date;decroche\n".to_vec(), b"x".repeat(2 << 20)].concat(),
        other => panic!("no corpus file {other}"),
    };
    // Written under a temporary name then renamed: tests run in parallel.
    let partial = dir.join(format!("{name}.{:?}", std::thread::current().id()));
    std::fs::write(&partial, bytes).expect("corpus file");
    std::fs::rename(&partial, &path).expect("corpus file");
    path
}

/// The table reader, the preview and the streamed import on `name`.
fn every_reader(name: &str) -> Vec<Result<(), String>> {
    let path = corpus(name);
    let bytes = std::fs::read(&path).expect("corpus file");
    let mut out = vec![
        table::read(name, &bytes)
            .map(drop)
            .map_err(|e| e.to_string()),
        preview::head(&path, name, 10, &Limits::DEFAULT)
            .map(drop)
            .map_err(|e| e.to_string()),
    ];
    let mapping = builtin("appels").expect("built-in mapping");
    out.push(
        sources::import_file(&path, name, &mapping, &Limits::DEFAULT, &mut |_| {})
            .map(drop)
            .map_err(|e| e.to_string()),
    );
    out
}

fn refused_by_every_reader(name: &str, words: &str) {
    for (i, outcome) in every_reader(name).into_iter().enumerate() {
        let message = outcome.expect_err(&format!("reader {i} accepted {name}"));
        assert!(message.starts_with(name), "reader {i}: {message}");
        assert!(
            message.contains(words),
            "reader {i} on {name}: « {message} » should say « {words} »"
        );
        assert!(message.len() < 400, "reader {i}: a long message: {message}");
    }
}

#[test]
fn a_cell_at_xfd1048576_is_refused_not_allocated() {
    refused_by_every_reader("far-cell.xlsx", "cellule XFD1048576");
}

#[test]
fn a_zip_bomb_is_refused_by_its_decompressed_size() {
    refused_by_every_reader("zip-bomb.xlsx", "se décompresse plus de");
}

#[test]
fn repeated_ods_rows_are_refused_before_they_are_expanded() {
    refused_by_every_reader("repeated.ods", "cellules");
}

#[test]
fn an_xls_spanning_its_whole_grid_is_refused() {
    refused_by_every_reader("corners.xls", "s'étend de A1 à IV65536");
}

#[test]
fn wide_rows_and_long_lines_are_refused() {
    refused_by_every_reader("wide.csv", "plus de 512 cellules");
    let table = table::read(
        "long-line.csv",
        &std::fs::read(corpus("long-line.csv")).expect("corpus file"),
    );
    assert!(
        matches!(table, Err(TableError::TooLarge { .. })),
        "{table:?}"
    );
    let streamed = sources::import_file(
        &corpus("long-line.csv"),
        "long-line.csv",
        &builtin("appels").expect("built-in mapping"),
        &Limits::DEFAULT,
        &mut |_| {},
    );
    let message = streamed.map(drop).expect_err("streamed").to_string();
    assert!(message.contains("ligne 2 : plus de"), "{message}");
}

#[test]
fn an_unclosed_quote_is_read_once_and_named() {
    // Linear now: the streamed reader names the line where the quote opens.
    let outcomes = every_reader("unclosed-quote.csv");
    let streamed = outcomes[2].clone().expect_err("streamed import");
    assert!(streamed.contains("ligne 2"), "{streamed}");
    assert!(streamed.contains("guillemet"), "{streamed}");
}

#[test]
fn a_head_full_of_quotes_is_previewed() {
    // A quote left open over the whole 1 MiB head: its quotes are counted once per
    // line, and the preview shows the complete records before it.
    let path = corpus("quotes-everywhere.csv");
    let outcome = preview::head(&path, "quotes-everywhere.csv", 10, &Limits::DEFAULT);
    let table = outcome.expect("the complete head is a table");
    assert_eq!(table.headers, ["a", "b"]);
    assert_eq!(table.rows.len(), 1);
}

#[test]
fn a_huge_cell_is_refused_and_its_error_line_stays_short() {
    let mut text = b"indicateur;periode;valeur\nm1.x;2020-01;".to_vec();
    text.extend(std::iter::repeat_n(b'9', 20 << 20));
    let err = table::read("cellule.csv", &text).expect_err("a 20 MB cell");
    let message = err.to_string();
    assert!(
        message.contains("caractères (au plus 32\u{202f}767)"),
        "{message}"
    );
    assert!(message.len() < 200, "{message}");
    // A cell within the limit but quoted in an error is cut in the message.
    let long = "x".repeat(30_000);
    let t = table::read(
        "v.csv",
        format!("indicateur;periode;valeur\n{long};2020-01;1\n").as_bytes(),
    )
    .expect("within the limits");
    let errors = qep_import::values::parse(&t, &|_| None).expect_err("unknown indicator");
    let line = errors[0].to_string();
    assert!(line.len() < 400, "{} bytes: {line}", line.len());
}

#[test]
fn a_stopped_reading_says_so() {
    let (stop, flag) = Stop::new(None);
    flag.store(true, std::sync::atomic::Ordering::Relaxed);
    let limits = Limits::with_stop(stop);
    let path = corpus("unclosed-quote.csv");
    let err = preview::head(&path, "f.csv", 10, &limits).expect_err("cancelled");
    assert!(err.to_string().contains("annulée"), "{err}");
}

#[test]
fn row_limits_hold_for_tables_and_streams() {
    let limits = Limits {
        max_rows: 3,
        max_stream_rows: 3,
        ..Limits::DEFAULT
    };
    let text = "date;decroche\n".to_owned() + &"2024-01-02 10:00;oui\n".repeat(10);
    let err = table::read_with("r.csv", text.as_bytes(), &limits).expect_err("rows");
    assert!(err.to_string().contains("plus de 3 lignes"), "{err}");
    let err = sources::import_csv_with(
        "r.csv",
        text.as_bytes(),
        &builtin("appels").expect("built-in mapping"),
        &limits,
        &mut |_| {},
    )
    .map(drop)
    .expect_err("rows");
    assert!(err.to_string().contains("plus de 3 lignes"), "{err}");
}
