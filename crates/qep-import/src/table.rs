//! A file as a table of text cells, whatever it came as: CSV separated by `,` `;` or tab,
//! in UTF-8 (with or without BOM) or Windows-1252, or the first sheet of an XLSX, XLS or
//! ODS workbook. Line numbers are the file's own (the header is line 1), so errors point
//! where a person looks.
//!
//! The whole file is held in memory: fine for the value and mapping files of a
//! prefecture. Multi-million-row exports get a streaming reader of their own.

use std::path::Path;

use crate::limits::{Limits, count};

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
    /// Past one of the [`Limits`]: what and where.
    #[error("{file} : fichier refusé, {problem}")]
    TooLarge { file: String, problem: String },
    /// Stopped by its [`crate::limits::Stop`].
    #[error("{file} : {why}")]
    Stopped { file: String, why: String },
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

/// Lower case without French accents, surrounding spaces trimmed: how headers and coded
/// values are compared.
pub(crate) fn fold(s: &str) -> String {
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
    read_with(name, bytes, &Limits::DEFAULT)
}

/// [`read`] within `limits`.
pub fn read_with(name: &str, bytes: &[u8], limits: &Limits) -> Result<Table, TableError> {
    if is_workbook(name) {
        crate::workbook::read(name, bytes, limits)
    } else {
        read_csv_with(name, bytes, limits)
    }
}

/// Whether a file name says workbook (.xlsx, .xlsm, .xls, .ods) rather than CSV.
pub fn is_workbook(name: &str) -> bool {
    let lower = name.to_lowercase();
    [".xlsx", ".xlsm", ".xls", ".ods"]
        .iter()
        .any(|e| lower.ends_with(e))
}

pub fn read_path(path: &Path) -> Result<(Table, Vec<u8>), TableError> {
    let name = path.display().to_string();
    let bytes = read_file(path, &name, &Limits::DEFAULT)?;
    Ok((read(&name, &bytes)?, bytes))
}

/// The bytes of the file at `path` (reported as `name`), refused beyond
/// `limits.max_file_bytes` before anything is read.
pub fn read_file(path: &Path, name: &str, limits: &Limits) -> Result<Vec<u8>, TableError> {
    let io = |e: std::io::Error| TableError::Io {
        file: name.to_owned(),
        problem: e.to_string(),
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > limits.max_file_bytes {
        return Err(TableError::TooLarge {
            file: name.into(),
            problem: format!(
                "{} octets (au plus {})",
                count(size),
                count(limits.max_file_bytes)
            ),
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(
            std::fs::File::open(path).map_err(io)?,
            limits.max_file_bytes + 1,
        ),
        &mut bytes,
    )
    .map_err(io)?;
    Ok(bytes)
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
pub(crate) fn detect_delimiter(text: &str) -> u8 {
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

/// The line a byte offset falls on. The csv crate's own line count skips blank lines;
/// counting newlines up to the record's offset gives the number an editor shows. Records
/// come in file order, so the count goes on from the previous offset: reading a file stays
/// linear in its size (recounting from the start made 100,000 rows take minutes).
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Newlines in `bytes[..counted_to]`.
    newlines: usize,
    counted_to: usize,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> LineCounter<'a> {
        LineCounter {
            bytes,
            newlines: 0,
            counted_to: 0,
        }
    }

    fn line_at(&mut self, byte: u64) -> usize {
        let bytes = self.bytes;
        let mut end = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        // A record's offset may point at the blank lines skipped before it.
        while end < bytes.len() && matches!(bytes[end], b'\n' | b'\r') {
            end += 1;
        }
        if end < self.counted_to {
            self.newlines = 0;
            self.counted_to = 0;
        }
        self.newlines += bytes[self.counted_to..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.counted_to = end;
        self.newlines + 1
    }
}

pub fn read_csv(name: &str, bytes: &[u8]) -> Result<Table, TableError> {
    read_csv_with(name, bytes, &Limits::DEFAULT)
}

/// A CSV read whole, within `limits`: the file's size, its rows, each row's cells and
/// each cell's length. Linear in the file's size whatever it holds (an unclosed quote
/// included: the csv crate reads on to the end once).
pub fn read_csv_with(name: &str, bytes: &[u8], limits: &Limits) -> Result<Table, TableError> {
    let too_large = |problem: String| TableError::TooLarge {
        file: name.into(),
        problem,
    };
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(too_large(format!(
            "{} octets (au plus {})",
            count(bytes.len() as u64),
            count(limits.max_file_bytes)
        )));
    }
    let text = decode(bytes);
    if text.trim().is_empty() {
        return Err(TableError::Empty { file: name.into() });
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(detect_delimiter(&text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut lines = LineCounter::new(text.as_bytes());
    let mut headers = None;
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let more = reader
            .read_record(&mut record)
            .map_err(|e| TableError::Csv {
                file: name.into(),
                line: e.position().map_or(0, |p| lines.line_at(p.byte())),
                problem: e.to_string(),
            })?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        if rows.len() % 4_096 == 0 {
            limits.stop.check(name)?;
        }
        check_record(name, line, &record, limits)?;
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_owned()).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        match headers {
            None => headers = Some(cells),
            Some(_) => {
                if rows.len() >= limits.max_rows {
                    return Err(too_large(format!(
                        "plus de {} lignes de données",
                        count(limits.max_rows as u64)
                    )));
                }
                rows.push(Row { line, cells })
            }
        }
    }
    Ok(Table {
        file: name.into(),
        headers: headers.ok_or_else(|| TableError::Empty { file: name.into() })?,
        rows,
    })
}

/// A record's size, cells and cells' lengths against `limits`.
pub(crate) fn check_record<'r>(
    name: &str,
    line: usize,
    record: impl IntoIterator<Item = &'r str>,
    limits: &Limits,
) -> Result<(), TableError> {
    let refuse = |problem: String| TableError::TooLarge {
        file: name.into(),
        problem: format!("ligne {line} : {problem}"),
    };
    let mut total = 0usize;
    for (i, cell) in record.into_iter().enumerate() {
        if i >= limits.max_columns {
            return Err(refuse(format!(
                "plus de {} cellules",
                count(limits.max_columns as u64)
            )));
        }
        total += cell.len();
        if cell.len() > limits.max_cell_chars {
            let chars = cell.chars().count();
            if chars > limits.max_cell_chars {
                return Err(refuse(format!(
                    "cellule n° {} de {} caractères (au plus {})",
                    i + 1,
                    count(chars as u64),
                    count(limits.max_cell_chars as u64)
                )));
            }
        }
        if total > limits.max_record_bytes {
            return Err(refuse(format!(
                "enregistrement de plus de {} octets",
                count(limits.max_record_bytes as u64)
            )));
        }
    }
    Ok(())
}

/// The first sheet of a workbook, within the default limits.
pub fn read_workbook(name: &str, bytes: &[u8]) -> Result<Table, TableError> {
    crate::workbook::read(name, bytes, &Limits::DEFAULT)
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
    fn line_numbers_count_on_from_the_previous_record() {
        let text = b"a\n\nb\r\nc\n";
        let mut lines = LineCounter::new(text);
        assert_eq!(lines.line_at(0), 1);
        assert_eq!(lines.line_at(2), 3, "the blank line before b is skipped");
        assert_eq!(lines.line_at(6), 4);
        assert_eq!(lines.line_at(0), 1, "backwards recounts");
        let mut big = String::from("n\n");
        for i in 0..100_000 {
            big.push_str(&format!("{i}\n"));
        }
        let t = read("big.csv", big.as_bytes()).expect("csv");
        assert_eq!(t.rows.last().map(|r| r.line), Some(100_001));
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
