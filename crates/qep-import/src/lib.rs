//! Files into QeP. A file is read into a [`table::Table`] (CSV with its separator and
//! encoding detected, or the first sheet of an XLSX/ODS workbook); importers then check
//! every row and either return all of it or every error, each naming the file, the line,
//! the column, the value and what was expected. Nothing here touches the database.

pub mod correspondence;
pub mod mapping;
pub mod number;
pub mod sources;
pub mod table;
pub mod values;

pub use table::{Row, Table, TableError};

use sha2::{Digest, Sha256};

/// Hex SHA-256 of a file's bytes: the same file imported twice is recognised by it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One problem in one cell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}, ligne {line}, colonne « {column} » : {problem}")]
pub struct CellError {
    pub file: String,
    /// 1-based line of the file (the header is line 1).
    pub line: usize,
    pub column: String,
    pub problem: String,
}
