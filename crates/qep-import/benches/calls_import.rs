//! Call-log import benchmark: a national-size call log (10 million rows, 450 MB, from
//! `../shared/bench/gen.py`) read under the built-in `appels` mapping, reduced to facts
//! per day and line, and saved into a fresh SQLite database in one transaction: what
//! `qep import calls FILE` does, without the terminal's progress bar.
//!
//! Run: `cargo bench -p qep-import --bench calls_import [-- FILE]` (default
//! `$QEP_BENCH_CALLS`, else `/tmp/ana-data/big/calls.csv`). Prints the phases' times,
//! rows per second and the process's peak resident memory (VmHWM). Figures go in
//! `docs/PERFORMANCE.md` (« Call-log import »).

use qep_store::prelude::*;
use std::time::Instant;

use qep_import::HashingReader;
use qep_import::mapping::builtin;
use qep_store::{Actor, ImportFile, SaveOutcome};
use qep_store_sqlite::SqliteStore;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .or_else(|| std::env::var("QEP_BENCH_CALLS").ok())
        .unwrap_or_else(|| "/tmp/ana-data/big/calls.csv".into());
    let Ok(file) = std::fs::File::open(&path) else {
        eprintln!(
            "{path} : absent. Générez-le : python3 ../shared/bench/gen.py --emails 1000000 --calls 10000000 --out /tmp/ana-data/big"
        );
        return;
    };
    let size = file.metadata().map_or(0, |m| m.len());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let db = std::env::temp_dir().join(format!("qep-bench-calls-{}.db", std::process::id()));
    let store = rt
        .block_on(SqliteStore::open(&db, true))
        .expect("sqlite store");

    let started = Instant::now();
    let mapping = builtin("appels").expect("built-in mapping");
    let mut reader = HashingReader::new(file);
    let imported = qep_import::sources::import_csv(&path, &mut reader, &mapping, &mut |_| {})
        .expect("valid call log");
    let sha256 = reader.sha256_hex();
    let read = started.elapsed();
    let saved = rt
        .block_on(store.save_facts(
            &Actor::cli(),
            &ImportFile {
                kind: "calls".into(),
                file_name: path.clone(),
                sha256,
            },
            imported.rows,
            &imported.facts,
        ))
        .expect("saved");
    assert!(matches!(saved, SaveOutcome::Saved { .. }));
    let total = started.elapsed();
    let db_size: u64 = ["", "-wal"]
        .iter()
        .map(|suffix| std::fs::metadata(format!("{}{suffix}", db.display())).map_or(0, |m| m.len()))
        .sum();
    println!(
        "calls import: {} rows ({:.0} MB) → {} facts; read+hash {:.2} s, save {:.2} s, total {:.2} s ({:.2} M rows/s); peak RSS {:.0} MiB; database {:.1} MB",
        imported.rows,
        size as f64 / 1e6,
        imported.facts.len(),
        read.as_secs_f64(),
        (total - read).as_secs_f64(),
        total.as_secs_f64(),
        imported.rows as f64 / total.as_secs_f64() / 1e6,
        peak_rss_mib(),
        db_size as f64 / 1e6
    );
    rt.block_on(store.close());
    for suffix in ["", "-wal", "-shm"] {
        std::fs::remove_file(format!("{}{suffix}", db.display())).ok();
    }
}
