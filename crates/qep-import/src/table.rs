//! A file as a table of text cells, whatever it came as: CSV separated by `,` `;` or tab,
//! in UTF-8 (with or without BOM) or Windows-1252, or the first sheet of an XLSX, XLS or
//! ODS workbook. Line numbers are the file's own (the header is line 1), so errors point
//! where a person looks.
//!
//! The whole file is held in memory: fine for the value and mapping files of a
//! prefecture. Multi-million-row exports get a streaming reader of their own.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("{file} : lecture impossible ({problem})")]
    Io { file: String, problem: String },
    #[error("{file} : le fichier est vide (une ligne d'en-tête est attendue)")]
    Empty { file: String },
    #[error("{file}, ligne {line} : {problem}")]
    Csv {
        file: String,
        line: usize,
        problem: String,
    },
    #[error("{file} : classeur illisible ({problem})")]
    Spreadsheet { file: String, problem: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line in the file.
    pub line: usize,
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub file: String,
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

impl Table {
    /// Index of a column by header name (case, accents and surrounding spaces ignored).
    pub fn column(&self, name: &str) -> Option<usize> {
        let wanted = fold(name);
        self.headers.iter().position(|h| fold(h) == wanted)
    }
}

fn fold(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'à' | 'â' => 'a',
            'î' | 'ï' => 'i',
            'ô' => 'o',
            'ù' | 'û' => 'u',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

/// Reads `bytes` as the file `name`: a workbook if the name ends in .xlsx/.xlsm/.xls/.ods,
/// CSV otherwise.
pub fn read(name: &str, bytes: &[u8]) -> Result<Table, TableError> {
    let lower = name.to_lowercase();
    if [".xlsx", ".xlsm", ".xls", ".ods"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        read_workbook(name, bytes)
    } else {
        read_csv(name, bytes)
    }
}

pub fn read_path(path: &Path) -> Result<(Table, Vec<u8>), TableError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| TableError::Io {
        file: name.clone(),
        problem: e.to_string(),
    })?;
    Ok((read(&name, &bytes)?, bytes))
}

/// UTF-8 (BOM removed) when the bytes are valid UTF-8, Windows-1252 otherwise: French
/// exports from older software are in Windows-1252, and every byte sequence decodes in it.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// The separator used in the header line: the most frequent of `;`, tab and `,`
/// outside quotes.
fn detect_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    let mut in_quotes = false;
    let (mut semi, mut tab, mut comma) = (0, 0, 0);
    for c in header.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            ';' if !in_quotes => semi += 1,
            '\t' if !in_quotes => tab += 1,
            ',' if !in_quotes => comma += 1,
            _ => {}
        }
    }
    if semi >= tab && semi >= comma && semi > 0 {
        b';'
    } else if tab >= comma && tab > 0 {
        b'\t'
    } else {
        b','
    }
}

pub fn read_csv(name: &str, bytes: &[u8]) -> Result<Table, TableError> {
    let text = decode(bytes);
    if text.trim().is_empty() {
        return Err(TableError::Empty { file: name.into() });
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(detect_delimiter(&text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    // The csv crate's own line count skips blank lines; count newlines up to the
    // record's byte offset instead, so the number is the one an editor shows.
    // A record's offset may point at the blank lines skipped before it.
    let line_at = |byte: u64| {
        let bytes = text.as_bytes();
        let mut end = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        while end < bytes.len() && matches!(bytes[end], b'\n' | b'\r') {
            end += 1;
        }
        bytes[..end].iter().filter(|&&b| b == b'\n').count() + 1
    };
    let mut headers = None;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| TableError::Csv {
            file: name.into(),
            line: e.position().map_or(0, |p| line_at(p.byte())),
            problem: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_owned()).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        match headers {
            None => headers = Some(cells),
            Some(_) => rows.push(Row { line, cells }),
        }
    }
    Ok(Table {
        file: name.into(),
        headers: headers.ok_or_else(|| TableError::Empty { file: name.into() })?,
        rows,
    })
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{f:.0}")
            } else {
                f.to_string()
            }
        }
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => {
            // Excel serial date: days since 1899-12-30.
            let days = d.as_f64().floor() as i64;
            chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                .and_then(|epoch| epoch.checked_add_signed(chrono::Duration::days(days)))
                .map_or_else(|| d.as_f64().to_string(), |date| date.to_string())
        }
        Data::Error(e) => format!("#{e:?}"),
    }
}

pub fn read_workbook(name: &str, bytes: &[u8]) -> Result<Table, TableError> {
    let err = |problem: String| TableError::Spreadsheet {
        file: name.into(),
        problem,
    };
    let mut workbook =
        calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| err(e.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| err("aucune feuille".into()))?
        .map_err(|e| err(e.to_string()))?;
    // Line numbers as the spreadsheet shows them.
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut headers = None;
    let mut rows = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        let line = first_row + i + 1;
        match headers {
            None => headers = Some(cells),
            Some(_) => rows.push(Row { line, cells }),
        }
    }
    Ok(Table {
        file: name.into(),
        headers: headers.ok_or_else(|| TableError::Empty { file: name.into() })?,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_encodings_are_detected() {
        let t = read("a.csv", b"indicator;period;value\nm1.x;2020-01;91,5\n").expect("csv");
        assert_eq!(t.headers, vec!["indicator", "period", "value"]);
        assert_eq!(t.rows[0].cells, vec!["m1.x", "2020-01", "91,5"]);
        assert_eq!(t.rows[0].line, 2);
        let t = read("b.csv", b"\xEF\xBB\xBFa,b\n1,2\n\n3,4\n").expect("bom");
        assert_eq!(t.headers, vec!["a", "b"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].line, 4, "blank lines keep the numbering");
        let t = read("c.csv", b"libell\xe9\tvaleur\nd\xe9lai\t5\n").expect("cp1252");
        assert_eq!(t.headers, vec!["libellé", "valeur"]);
        assert_eq!(t.rows[0].cells[0], "délai");
        assert_eq!(t.column("LIBELLE"), Some(0));
        let t = read("d.csv", b"\"a;b\",c\n\"x;y\",z\n").expect("quoted");
        assert_eq!(t.headers, vec!["a;b", "c"]);
    }

    #[test]
    fn empty_and_broken_files_are_named() {
        assert_eq!(
            read("e.csv", b"  \n"),
            Err(TableError::Empty {
                file: "e.csv".into()
            })
        );
        let err = read("f.xlsx", b"not a zip").expect_err("broken workbook");
        assert!(err.to_string().starts_with("f.xlsx"), "{err}");
    }
}
