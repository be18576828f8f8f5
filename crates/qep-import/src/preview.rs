//! What an upload shows before it is imported: the head of a file read as a table, its
//! first rows seen through a mapping (each field with the column or constant it comes
//! from). The import itself is `sources::import_file`, under the name the person gave.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::CellError;
use crate::limits::Limits;
use crate::mapping::{Field, FieldKind, Mapping, fields};
use crate::sources::{ImportError, import_table};
use crate::table::{Table, TableError, fold};

/// Data rows a preview shows.
pub const PREVIEW_ROWS: usize = 10;

/// A CSV's head is never read beyond this, whatever its lines.
const HEAD_BYTES: u64 = 1 << 20;

fn io_error(name: &str) -> impl Fn(std::io::Error) -> TableError + '_ {
    move |e| TableError::Io {
        file: name.to_owned(),
        problem: e.to_string(),
    }
}

/// The header and the first `rows` data rows of the file at `path`, reported as `name`
/// (whose extension says whether it is a workbook), within `limits`. A CSV is read only
/// as far as needed, and at most [`HEAD_BYTES`]; its quotes are counted once per line.
pub fn head(path: &Path, name: &str, rows: usize, limits: &Limits) -> Result<Table, TableError> {
    let io = io_error(name);
    let mut table = if crate::table::is_workbook(name) {
        let bytes = crate::table::read_file(path, name, limits)?;
        crate::workbook::read(name, &bytes, limits)?
    } else {
        let file = std::fs::File::open(path).map_err(&io)?;
        let mut input = BufReader::new(file.take(HEAD_BYTES));
        let mut buf = Vec::new();
        let mut records = 0;
        let mut quotes = 0usize;
        // Where the last complete record ends.
        let mut complete = 0;
        // Header plus `rows` complete records (a quoted field may span lines), blank
        // lines aside; a few more in case some are blank.
        while records <= rows + 5 {
            let from = buf.len();
            let n = input.read_until(b'\n', &mut buf).map_err(&io)?;
            if n == 0 {
                break;
            }
            quotes += buf[from..].iter().filter(|b| **b == b'"').count();
            if quotes.is_multiple_of(2) {
                records += 1;
                complete = buf.len();
            }
        }
        // Cut inside a quoted field: drop the unfinished record.
        buf.truncate(complete);
        crate::table::read_csv_with(name, &buf, limits)?
    };
    table.rows.truncate(rows);
    Ok(table)
}

/// Where a field's values come from, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The file's column of this header (named by the mapping, or found by its usual name).
    Column {
        header: String,
        named: bool,
    },
    Constant(String),
    /// Named by the mapping but not in the file.
    MissingColumn(String),
    /// Neither named nor found; `required` says whether that is an error.
    NotFound,
}

#[derive(Debug, Clone)]
pub struct PreviewField {
    pub field: Field,
    pub origin: Origin,
    /// Words the mapping translates for this field (`Traité` → `oui`).
    pub values: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct PreviewRow {
    pub line: usize,
    /// One value per field, in the fields' order; yes/no and fixed-choice values are
    /// shown as read (`Décroché → oui`).
    pub values: Vec<String>,
}

/// A file's head seen through a mapping.
#[derive(Debug, Clone)]
pub struct Preview {
    pub headers: Vec<String>,
    pub fields: Vec<PreviewField>,
    pub rows: Vec<PreviewRow>,
    /// What prevents the mapping from reading the file (missing columns…).
    pub problems: Vec<String>,
    /// Bad cells among the rows shown.
    pub cell_errors: Vec<CellError>,
}

impl Preview {
    pub fn is_importable(&self) -> bool {
        self.problems.is_empty() && self.cell_errors.is_empty()
    }
}

pub fn preview(table: &Table, mapping: &Mapping) -> Preview {
    let folded: Vec<String> = table.headers.iter().map(|h| fold(h)).collect();
    let mut preview_fields = Vec::new();
    let mut columns: Vec<Option<usize>> = Vec::new();
    for f in fields(mapping.source) {
        let (origin, column) = if let Some(c) = mapping.constants.get(f.name) {
            (Origin::Constant(c.clone()), None)
        } else if let Some(h) = mapping.columns.get(f.name) {
            match folded.iter().position(|x| *x == fold(h)) {
                Some(i) => (
                    Origin::Column {
                        header: table.headers[i].clone(),
                        named: true,
                    },
                    Some(i),
                ),
                None => (Origin::MissingColumn(h.clone()), None),
            }
        } else if let Some(i) = folded.iter().position(|x| f.aliases.contains(&x.as_str())) {
            (
                Origin::Column {
                    header: table.headers[i].clone(),
                    named: false,
                },
                Some(i),
            )
        } else {
            (Origin::NotFound, None)
        };
        let values = mapping
            .values
            .get(f.name)
            .map(|v| v.iter().map(|(a, b)| (a.clone(), b.clone())).collect())
            .unwrap_or_default();
        preview_fields.push(PreviewField {
            field: *f,
            origin,
            values,
        });
        columns.push(column);
    }
    let rows = table
        .rows
        .iter()
        .map(|row| PreviewRow {
            line: row.line,
            values: preview_fields
                .iter()
                .zip(&columns)
                .map(|(pf, column)| {
                    let raw = match (&pf.origin, column) {
                        (Origin::Constant(c), _) => c.as_str(),
                        (_, Some(i)) => row.cells.get(*i).map_or("", String::as_str),
                        _ => "",
                    };
                    shown(mapping, &pf.field, raw)
                })
                .collect(),
        })
        .collect();
    let mut problems = Vec::new();
    if let Err(e) = mapping.check() {
        problems.extend(e);
    }
    let mut cell_errors = Vec::new();
    match import_table(table, mapping) {
        Ok(_) => {}
        Err(ImportError::Cells { errors, .. }) => cell_errors = errors,
        Err(ImportError::Mapping { problems: p, .. }) => {
            for x in p {
                if !problems.contains(&x) {
                    problems.push(x);
                }
            }
        }
        Err(e) => problems.push(e.to_string()),
    }
    Preview {
        headers: table.headers.clone(),
        fields: preview_fields,
        rows,
        problems,
        cell_errors,
    }
}

fn shown(mapping: &Mapping, field: &Field, raw: &str) -> String {
    let raw = raw.trim();
    if raw.is_empty() {
        return String::new();
    }
    match field.kind {
        FieldKind::Bool | FieldKind::Choice(_) => match mapping.read_value(field, raw) {
            Ok(v) if v != raw => format!("{raw} → {v}"),
            Ok(v) => v,
            Err(_) => format!("{raw} → ?"),
        },
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::builtin;

    #[test]
    fn the_head_of_a_csv_is_previewed_through_a_mapping() {
        let dir = std::env::temp_dir().join(format!("qep-preview-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("upload");
        let mut text = String::from("Date;Statut;Sonneries\n");
        for i in 0..50 {
            text.push_str(&format!("0{}/01/2024 08:15;Traité;{i}\n", 1 + i % 9));
        }
        std::fs::write(&path, &text).expect("write");
        let table = head(&path, "appels.csv", 3, &Limits::DEFAULT).expect("head");
        assert_eq!(table.rows.len(), 3);
        let mut m = builtin("appels").expect("built-in");
        m.columns.insert("answered".into(), "Statut".into());
        let p = preview(&table, &m);
        assert!(p.is_importable(), "{:?} {:?}", p.problems, p.cell_errors);
        assert_eq!(p.rows[0].values[1], "Traité → oui");
        assert_eq!(
            p.fields[0].origin,
            Origin::Column {
                header: "Date".into(),
                named: false
            }
        );
        m.columns.insert("answered".into(), "Issue".into());
        let p = preview(&table, &m);
        assert_eq!(p.fields[1].origin, Origin::MissingColumn("Issue".into()));
        assert!(p.problems[0].contains("« Issue »"), "{:?}", p.problems);
        let (imported, sha) = crate::sources::import_file(
            &path,
            "appels.csv",
            &builtin("appels").expect("b"),
            &Limits::DEFAULT,
            &mut |_| {},
        )
        .expect("import");
        assert_eq!(imported.rows, 50);
        assert_eq!(sha, crate::sha256_hex(text.as_bytes()));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
