//! Files into QeP. A file is read into a [`table::Table`] (CSV with its separator and
//! encoding detected, or the first sheet of an XLSX/ODS workbook); importers then check
//! every row and either return all of it or every error, each naming the file, the line,
//! the column, the value and what was expected. Nothing here touches the database.

pub mod correspondence;
pub mod limits;
pub mod mapping;
pub mod number;
pub mod preview;
pub mod sources;
pub mod table;
pub mod values;
pub mod workbook;

pub use limits::Limits;
pub use table::{Row, Table, TableError};

use sha2::{Digest, Sha256};

/// Hex SHA-256 of a file's bytes: the same file imported twice is recognised by it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A reader that hashes what goes through it, so that a large file is read once for
/// both its SHA-256 and its rows.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R> HashingReader<R> {
    pub fn new(inner: R) -> HashingReader<R> {
        HashingReader {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// The hex SHA-256 of the bytes read so far.
    pub fn sha256_hex(&self) -> String {
        hex(&self.hasher.clone().finalize())
    }
}

impl<R: std::io::Read> std::io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// One problem in one cell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{file}, ligne {line}, colonne « {column} » : {}",
    limits::clip_quoted(problem)
)]
pub struct CellError {
    pub file: String,
    /// 1-based line of the file (the header is line 1).
    pub line: usize,
    pub column: String,
    pub problem: String,
}
