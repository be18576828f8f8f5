//! What a reader accepts before it refuses a file: sizes, rows, columns, cells, the
//! decompressed size of a workbook, and how long it may run. Every reader of
//! `qep-import` checks them as it goes, so that no file, however it is made, can make
//! QeP ask for more memory or time than these allow: a refusal is a [`TableError`] that
//! says which limit and where, never an abort.
//!
//! The figures are in `docs/SECURITY.md`; [`Limits::DEFAULT`] is what the command line and
//! the web use.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::table::TableError;

#[derive(Debug, Clone)]
pub struct Limits {
    /// A file read whole into memory (workbooks, values, correspondence, mappings).
    pub max_file_bytes: u64,
    /// A workbook's parts once decompressed, all together.
    pub max_unzipped_bytes: u64,
    /// Decompressed size over compressed size, for a part of more than 1 MiB.
    pub max_zip_ratio: u64,
    /// Data rows of a table read into memory.
    pub max_rows: usize,
    /// Data rows of a streamed CSV (call logs).
    pub max_stream_rows: u64,
    /// Cells in one row.
    pub max_columns: usize,
    /// Characters in one cell (Excel's own limit).
    pub max_cell_chars: usize,
    /// Bytes in one CSV record (its lines, when a quoted field spans several).
    pub max_record_bytes: usize,
    /// Cells of the rectangle a workbook's sheet spans (the spreadsheet library holds it
    /// whole for XLS and ODS).
    pub max_sheet_cells: u64,
    pub stop: Stop,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        max_file_bytes: 100 << 20,
        max_unzipped_bytes: 256 << 20,
        max_zip_ratio: 100,
        max_rows: 1_048_576,
        max_stream_rows: 50_000_000,
        max_columns: 512,
        max_cell_chars: 32_767,
        max_record_bytes: 1 << 20,
        max_sheet_cells: 8_000_000,
        stop: Stop::NEVER,
    };

    /// The default limits, stopped by `stop`.
    pub fn with_stop(stop: Stop) -> Limits {
        Limits {
            stop,
            ..Limits::DEFAULT
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// When a reading must stop although the file is acceptable: past a deadline, or because
/// the person who asked went away or pressed « Annuler ».
#[derive(Debug, Clone)]
pub struct Stop {
    deadline: Option<Instant>,
    cancelled: Option<Arc<AtomicBool>>,
}

impl Stop {
    pub const NEVER: Stop = Stop {
        deadline: None,
        cancelled: None,
    };

    /// Stops at `deadline`, or when the returned flag is set.
    pub fn new(deadline: Option<Instant>) -> (Stop, Arc<AtomicBool>) {
        let flag = Arc::new(AtomicBool::new(false));
        (
            Stop {
                deadline,
                cancelled: Some(flag.clone()),
            },
            flag,
        )
    }

    /// `Err` once the reading should stop.
    pub fn check(&self, file: &str) -> Result<(), TableError> {
        if self
            .cancelled
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
        {
            return Err(TableError::Stopped {
                file: file.into(),
                why: "lecture annulée".into(),
            });
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(TableError::Stopped {
                file: file.into(),
                why: "lecture trop longue, interrompue".into(),
            });
        }
        Ok(())
    }
}

/// Sets the flag it holds when dropped: a web handler keeps one while a blocking reading
/// runs, so that the reading stops when the browser goes away (the handler's future is
/// then dropped).
pub struct CancelOnDrop(pub Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A count as French text: `1 048 576`.
pub(crate) fn count(n: u64) -> String {
    qep_core::french::french(n as f64)
}

/// `problem` with every « quoted » part longer than 60 characters cut, so that an error
/// line quoting a huge cell stays a line.
pub fn clip_quoted(problem: &str) -> std::borrow::Cow<'_, str> {
    const KEEP: usize = 60;
    let too_long = problem.split('«').skip(1).any(|part| {
        part.split_once('»')
            .map_or(part, |(q, _)| q)
            .chars()
            .count()
            > KEEP + 1
    });
    if !too_long && problem.chars().count() <= 2_000 {
        return problem.into();
    }
    let mut out = String::new();
    let mut parts = problem.split('«');
    out.push_str(parts.next().unwrap_or_default());
    for part in parts {
        out.push('«');
        let (quoted, rest) = part.split_once('»').unwrap_or((part, ""));
        let n = quoted.chars().count();
        if n > KEEP + 1 {
            out.extend(quoted.chars().take(KEEP));
            out.push_str(&format!("… ({} caractères)", count(n as u64)));
        } else {
            out.push_str(quoted);
        }
        if part.contains('»') {
            out.push('»');
            out.push_str(rest);
        }
    }
    if out.chars().count() > 2_000 {
        out = out.chars().take(2_000).collect::<String>() + "…";
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quotes_are_cut_and_short_ones_kept() {
        assert_eq!(clip_quoted("« abc » : attendu x"), "« abc » : attendu x");
        let long = format!("valeur « {} » : attendu un nombre", "x".repeat(5_000));
        let clipped = clip_quoted(&long);
        assert!(clipped.len() < 200, "{clipped}");
        assert!(clipped.ends_with("» : attendu un nombre"), "{clipped}");
        assert!(clipped.contains("5\u{202f}002 caractères"), "{clipped}");
        let unclosed = format!("« {}", "y".repeat(10_000));
        assert!(clip_quoted(&unclosed).len() < 200);
    }

    #[test]
    fn stop_on_flag_or_deadline() {
        let (stop, flag) = Stop::new(None);
        assert!(stop.check("f").is_ok());
        drop(CancelOnDrop(flag));
        assert!(stop.check("f").is_err());
        let (past, _flag) = Stop::new(Some(Instant::now()));
        assert!(matches!(past.check("f"), Err(TableError::Stopped { .. })));
        assert!(Stop::NEVER.check("f").is_ok());
    }

    #[test]
    fn counts_have_thin_spaces() {
        assert_eq!(count(1_048_576), "1\u{202f}048\u{202f}576");
        assert_eq!(count(512), "512");
    }
}
