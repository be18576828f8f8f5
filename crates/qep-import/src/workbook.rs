//! The first sheet of an XLSX, ODS or XLS workbook as a [`Table`], read within
//! [`Limits`]. A workbook is checked before the spreadsheet library sees it, because that
//! library holds a sheet as one dense rectangle and would ask for whatever a file claims:
//!
//! - XLSX and ODS are zip files: every part is decompressed once into a counter, so that
//!   the whole and each part's ratio are known for real (a zip's declared sizes can lie);
//! - XLSX is then read cell by cell (no rectangle), each cell checked as it comes;
//! - ODS: the sheets' XML is scanned for the rectangle the library would build (rows and
//!   cells can be « repeated » a million times) before it builds it;
//! - XLS: the binary records of every sheet are scanned for the same rectangle.

use std::io::{Cursor, Read, Seek};

use calamine::{Data, DataType as _, Reader};

use crate::limits::{Limits, count};
use crate::table::{Row, Table, TableError};

/// Reads the first sheet of the workbook `bytes`, reported as `name`.
pub fn read(name: &str, bytes: &[u8], limits: &Limits) -> Result<Table, TableError> {
    let err = |problem: String| TableError::Spreadsheet {
        file: name.into(),
        problem,
    };
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(too_large(
            name,
            format!(
                "{} octets (au plus {})",
                count(bytes.len() as u64),
                count(limits.max_file_bytes)
            ),
        ));
    }
    if bytes.starts_with(b"PK") {
        let parts = unzipped_parts(name, bytes, limits)?;
        if parts.iter().any(|p| p == "xl/workbook.xml") {
            return read_xlsx(name, bytes, limits);
        }
        if parts.iter().any(|p| p == "content.xml") {
            check_ods(name, bytes, limits)?;
            let mut book =
                calamine::Ods::new(Cursor::new(bytes)).map_err(|e| err(e.to_string()))?;
            let range = book
                .worksheet_range_at(0)
                .ok_or_else(|| err("aucune feuille".into()))?
                .map_err(|e| err(e.to_string()))?;
            return from_range(name, &range, limits);
        }
        return Err(err(
            "archive zip qui n'est ni un classeur XLSX ni un classeur ODS".into(),
        ));
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        check_xls(name, bytes, limits)?;
        let mut book = calamine::Xls::new(Cursor::new(bytes)).map_err(|e| err(e.to_string()))?;
        let range = book
            .worksheet_range_at(0)
            .ok_or_else(|| err("aucune feuille".into()))?
            .map_err(|e| err(e.to_string()))?;
        return from_range(name, &range, limits);
    }
    Err(err(
        "ce n'est pas un classeur XLSX, ODS ou XLS (enregistrez-le sous l'un de ces formats, ou en CSV)".into(),
    ))
}

fn too_large(name: &str, problem: String) -> TableError {
    TableError::TooLarge {
        file: name.into(),
        problem,
    }
}

/// The names of the zip's parts, once each has been decompressed into a counter within
/// the limits.
fn unzipped_parts(name: &str, bytes: &[u8], limits: &Limits) -> Result<Vec<String>, TableError> {
    let err = |problem: String| TableError::Spreadsheet {
        file: name.into(),
        problem,
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| err(e.to_string()))?;
    let mut names = Vec::with_capacity(zip.len().min(1_000));
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 << 10];
    for i in 0..zip.len() {
        limits.stop.check(name)?;
        let mut part = zip.by_index(i).map_err(|e| err(e.to_string()))?;
        let part_name = part.name().map_err(|e| err(e.to_string()))?.into_owned();
        let compressed = part.compressed_size().max(1);
        let mut size = 0u64;
        loop {
            let n = part
                .read(&mut buf)
                .map_err(|e| err(format!("{part_name} : {e}")))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            total += n as u64;
            if total > limits.max_unzipped_bytes {
                return Err(too_large(
                    name,
                    format!(
                        "classeur de plus de {} octets une fois décompressé (au plus {})",
                        count(total),
                        count(limits.max_unzipped_bytes)
                    ),
                ));
            }
            if size > 1 << 20 && size / compressed > limits.max_zip_ratio {
                return Err(too_large(
                    name,
                    format!(
                        "la partie {part_name} se décompresse plus de {} fois (au plus {} fois) : fichier piégé ou corrompu",
                        size / compressed,
                        limits.max_zip_ratio
                    ),
                ));
            }
        }
        names.push(part_name);
    }
    Ok(names)
}

/// A cell as the text a person sees in it.
pub(crate) fn cell_text(cell: &Data) -> String {
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
        Data::DateTime(d) => excel_serial_text(d.as_f64()),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// An Excel serial date (days since 1899-12-30, the time of day as the fraction) as
/// `2024-05-03`, or `2024-05-03 10:15` (`10:15:30`) when it has a time of day; the time is
/// rounded to the second.
pub(crate) fn excel_serial_text(serial: f64) -> String {
    let seconds = (serial * 86_400.0).round();
    if !seconds.is_finite() || seconds.abs() > 1e13 {
        return serial.to_string();
    }
    let seconds = seconds as i64;
    let (days, secs) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let Some(date) = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
        .and_then(|epoch| epoch.checked_add_signed(chrono::Duration::days(days)))
    else {
        return serial.to_string();
    };
    match secs {
        0 => date.to_string(),
        s if s % 60 == 0 => format!("{date} {:02}:{:02}", s / 3600, s % 3600 / 60),
        s => format!("{date} {:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60),
    }
}

/// The column letters of a 0-based index: 0 → A, 16383 → XFD.
fn column_letters(mut col: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Builds the table row by row, each cell checked against the limits.
struct Builder<'a> {
    name: &'a str,
    limits: &'a Limits,
    headers: Option<Vec<String>>,
    rows: Vec<Row>,
    /// The row being filled: its 0-based index in the sheet and its cells.
    current: Option<(u32, Vec<String>)>,
    cells: u64,
}

impl<'a> Builder<'a> {
    fn new(name: &'a str, limits: &'a Limits) -> Builder<'a> {
        Builder {
            name,
            limits,
            headers: None,
            rows: Vec::new(),
            current: None,
            cells: 0,
        }
    }

    fn cell(&mut self, row: u32, col: u32, text: String) -> Result<(), TableError> {
        if text.is_empty() {
            return Ok(());
        }
        let at = || format!("cellule {}{}", column_letters(col), u64::from(row) + 1);
        if col as usize >= self.limits.max_columns {
            return Err(too_large(
                self.name,
                format!(
                    "{} : au-delà de la {}ᵉ colonne (au plus {} colonnes)",
                    at(),
                    count(self.limits.max_columns as u64),
                    count(self.limits.max_columns as u64)
                ),
            ));
        }
        let chars = text.chars().count();
        if chars > self.limits.max_cell_chars {
            return Err(too_large(
                self.name,
                format!(
                    "{} : {} caractères (au plus {})",
                    at(),
                    count(chars as u64),
                    count(self.limits.max_cell_chars as u64)
                ),
            ));
        }
        if self.current.as_ref().is_none_or(|(r, _)| *r != row) {
            self.end_row()?;
            self.current = Some((row, Vec::new()));
        }
        let Some((_, cells)) = self.current.as_mut() else {
            return Ok(());
        };
        let col = col as usize;
        if cells.len() <= col {
            cells.resize(col + 1, String::new());
        }
        cells[col] = text;
        self.cells += 1;
        if self.cells.is_multiple_of(65_536) {
            self.limits.stop.check(self.name)?;
        }
        Ok(())
    }

    fn end_row(&mut self) -> Result<(), TableError> {
        let Some((row, cells)) = self.current.take() else {
            return Ok(());
        };
        let line = row as usize + 1;
        match &self.headers {
            None => self.headers = Some(cells),
            Some(_) => {
                if self.rows.len() >= self.limits.max_rows {
                    return Err(too_large(
                        self.name,
                        format!(
                            "plus de {} lignes de données",
                            count(self.limits.max_rows as u64)
                        ),
                    ));
                }
                // Cells out of order (rare): a row seen again is merged into its first.
                match self.rows.iter_mut().rev().find(|r| r.line == line) {
                    Some(seen) => {
                        for (i, c) in cells.into_iter().enumerate() {
                            if !c.is_empty() {
                                if seen.cells.len() <= i {
                                    seen.cells.resize(i + 1, String::new());
                                }
                                seen.cells[i] = c;
                            }
                        }
                    }
                    None => self.rows.push(Row { line, cells }),
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Table, TableError> {
        self.end_row()?;
        let headers = self.headers.ok_or_else(|| TableError::Empty {
            file: self.name.into(),
        })?;
        // Every row as wide as the widest, as a rectangle would give.
        let width = self
            .rows
            .iter()
            .map(|r| r.cells.len())
            .chain([headers.len()])
            .max()
            .unwrap_or(0);
        let mut headers = headers;
        headers.resize(width, String::new());
        self.rows.sort_by_key(|r| r.line);
        for r in &mut self.rows {
            r.cells.resize(width, String::new());
        }
        Ok(Table {
            file: self.name.into(),
            headers,
            rows: self.rows,
        })
    }
}

fn read_xlsx(name: &str, bytes: &[u8], limits: &Limits) -> Result<Table, TableError> {
    let err = |problem: String| TableError::Spreadsheet {
        file: name.into(),
        problem,
    };
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| err(e.to_string()))?;
    let first = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| err("aucune feuille".into()))?;
    let mut cells = book
        .worksheet_cells_reader(&first)
        .map_err(|e| err(e.to_string()))?;
    let mut table = Builder::new(name, limits);
    while let Some(cell) = cells.next_cell().map_err(|e| err(e.to_string()))? {
        if cell.get_value().is_empty() {
            continue;
        }
        let (row, col) = cell.get_position();
        let text = cell_text(&Data::from(cell.get_value().clone()));
        table.cell(row, col, text)?;
    }
    table.finish()
}

/// A sheet the library has already built (ODS, XLS: checked beforehand).
fn from_range(
    name: &str,
    range: &calamine::Range<Data>,
    limits: &Limits,
) -> Result<Table, TableError> {
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let mut table = Builder::new(name, limits);
    for (i, row) in range.rows().enumerate() {
        for (j, cell) in row.iter().enumerate() {
            table.cell(first_row + i as u32, first_col + j as u32, cell_text(cell))?;
        }
    }
    table.finish()
}

/// The rectangle a sheet spans, from the cells met: what the library will allocate.
#[derive(Default)]
struct Span {
    rows: Option<(u64, u64)>,
    cols: Option<(u64, u64)>,
}

impl Span {
    fn add(&mut self, row_first: u64, row_last: u64, col_first: u64, col_last: u64) {
        let widen = |s: &mut Option<(u64, u64)>, a: u64, b: u64| {
            *s = Some(match *s {
                None => (a, b),
                Some((lo, hi)) => (lo.min(a), hi.max(b)),
            })
        };
        widen(&mut self.rows, row_first, row_last);
        widen(&mut self.cols, col_first, col_last);
    }

    fn cells(&self) -> u64 {
        match (self.rows, self.cols) {
            (Some((r0, r1)), Some((c0, c1))) => (r1 - r0 + 1).saturating_mul(c1 - c0 + 1),
            _ => 0,
        }
    }

    fn check(&self, name: &str, sheet: usize, limits: &Limits) -> Result<(), TableError> {
        let cells = self.cells();
        if cells > limits.max_sheet_cells {
            let (r0, r1) = self.rows.unwrap_or_default();
            let (c0, c1) = self.cols.unwrap_or_default();
            return Err(too_large(
                name,
                format!(
                    "la feuille n° {} s'étend de {}{} à {}{}, soit {} cellules (au plus {})",
                    sheet + 1,
                    column_letters(c0.min(u64::from(u32::MAX)) as u32),
                    r0 + 1,
                    column_letters(c1.min(u64::from(u32::MAX)) as u32),
                    r1 + 1,
                    count(cells),
                    count(limits.max_sheet_cells)
                ),
            ));
        }
        Ok(())
    }
}

/// The library's own caps on ODS repeats.
const ODS_MAX_ROWS: u64 = 1_048_576;
const ODS_MAX_COLUMNS: u64 = 16_384;

/// Scans `content.xml` of an ODS for what the library would hold per sheet: the cells it
/// pushes row by row (repeated cells expanded up to the last non-empty one) and the
/// rectangle of non-empty cells (repeated rows expanded).
fn check_ods(name: &str, bytes: &[u8], limits: &Limits) -> Result<(), TableError> {
    use quick_xml::events::Event;
    let err = |problem: String| TableError::Spreadsheet {
        file: name.into(),
        problem,
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| err(e.to_string()))?;
    let mut content = Vec::new();
    zip.by_name("content.xml")
        .map_err(|e| err(e.to_string()))?
        .take(limits.max_unzipped_bytes)
        .read_to_end(&mut content)
        .map_err(|e| err(e.to_string()))?;
    let mut xml = quick_xml::Reader::from_reader(content.as_slice());
    let mut buf = Vec::new();
    let repeat = |e: &quick_xml::events::BytesStart<'_>, attr: &str, cap: u64| -> u64 {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == attr)
            .and_then(|a| a.value.parse::<u64>().ok())
            .unwrap_or(1)
            .clamp(1, cap)
    };
    let mut sheet = 0usize;
    let (mut span, mut pushed) = (Span::default(), 0u64);
    let (mut row, mut row_repeat, mut col, mut row_last_full) = (0u64, 1u64, 0u64, None);
    let mut events = 0u64;
    loop {
        buf.clear();
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| err(format!("content.xml : {e}")))?;
        events += 1;
        if events.is_multiple_of(65_536) {
            limits.stop.check(name)?;
        }
        match event {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "table:table" => {
                span = Span::default();
                pushed = 0;
                row = 0;
            }
            Event::End(e) if e.name().as_ref() == "table:table" => {
                span.check(name, sheet, limits)?;
                sheet += 1;
            }
            Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                row_repeat = repeat(&e, "table:number-rows-repeated", ODS_MAX_ROWS);
                col = 0;
                row_last_full = None;
            }
            Event::Empty(e) if e.name().as_ref() == "table:table-row" => {
                row += repeat(&e, "table:number-rows-repeated", ODS_MAX_ROWS);
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                if let Some(last) = row_last_full {
                    pushed += last + 1;
                    if pushed > limits.max_sheet_cells {
                        return Err(too_large(
                            name,
                            format!(
                                "la feuille n° {} compte plus de {} cellules",
                                sheet + 1,
                                count(limits.max_sheet_cells)
                            ),
                        ));
                    }
                }
                row = (row + row_repeat).min(ODS_MAX_ROWS * 16);
                row_repeat = 1;
            }
            ref ev @ (Event::Start(ref e) | Event::Empty(ref e))
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                let n = repeat(e, "table:number-columns-repeated", ODS_MAX_COLUMNS);
                let valued = e
                    .attributes()
                    .flatten()
                    .any(|a| a.key.as_ref() == "office:value-type");
                let full = valued || matches!(ev, Event::Start(_));
                if full {
                    let last = (col + n - 1).min(ODS_MAX_COLUMNS - 1);
                    row_last_full = Some(last);
                    span.add(row, row + row_repeat - 1, col.min(last), last);
                }
                col = (col + n).min(ODS_MAX_COLUMNS);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(())
}

/// Scans the records of every sheet of an XLS (BIFF8) workbook for the rectangle its
/// cells span.
fn check_xls(name: &str, bytes: &[u8], limits: &Limits) -> Result<(), TableError> {
    let err = |problem: String| TableError::Spreadsheet {
        file: name.into(),
        problem,
    };
    let mut cfb = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|e| err(e.to_string()))?;
    let stream = ["/Workbook", "/Book"]
        .into_iter()
        .find(|s| cfb.is_stream(s))
        .ok_or_else(|| err("aucun classeur dans le fichier".into()))?;
    let mut data = Vec::new();
    let mut s = cfb.open_stream(stream).map_err(|e| err(e.to_string()))?;
    s.seek(std::io::SeekFrom::Start(0))
        .map_err(|e| err(e.to_string()))?;
    s.take(limits.max_file_bytes)
        .read_to_end(&mut data)
        .map_err(|e| err(e.to_string()))?;
    let u16_at = |d: &[u8], i: usize| -> Option<u64> {
        Some(u64::from(u16::from_le_bytes([*d.get(i)?, *d.get(i + 1)?])))
    };
    let (mut sheet, mut span, mut at) = (0usize, Span::default(), 0usize);
    while let (Some(kind), Some(len)) = (u16_at(&data, at), u16_at(&data, at + 2)) {
        let body = &data[(at + 4).min(data.len())..(at + 4 + len as usize).min(data.len())];
        at += 4 + len as usize;
        match kind {
            // BOF: a sheet (or the globals) begins.
            0x0809 => span = Span::default(),
            // EOF
            0x000A => {
                span.check(name, sheet.saturating_sub(1), limits)?;
                sheet += 1;
            }
            // FORMULA, BLANK, NUMBER, LABEL, BOOLERR, RK, LABELSST, RSTRING
            0x0006 | 0x0201 | 0x0203 | 0x0204 | 0x0205 | 0x027E | 0x00FD | 0x00D6 => {
                if let (Some(r), Some(c)) = (u16_at(body, 0), u16_at(body, 2)) {
                    span.add(r, r, c, c);
                }
            }
            // MULRK, MULBLANK: row, first column, …, last column.
            0x00BD | 0x00BE => {
                if let (Some(r), Some(c0), Some(c1)) = (
                    u16_at(body, 0),
                    u16_at(body, 2),
                    u16_at(body, body.len().saturating_sub(2)),
                ) {
                    span.add(r, r, c0.min(c1), c0.max(c1));
                }
            }
            _ => {}
        }
    }
    span.check(name, sheet.saturating_sub(1), limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_dates_keep_their_time_of_day() {
        assert_eq!(excel_serial_text(45_415.0), "2024-05-03");
        assert_eq!(excel_serial_text(45_415.427_083_333_33), "2024-05-03 10:15");
        assert_eq!(
            excel_serial_text(45_415.427_430_555_5),
            "2024-05-03 10:15:30"
        );
        assert_eq!(excel_serial_text(45_415.999_999_999), "2024-05-04");
    }

    #[test]
    fn column_letters_as_spreadsheets_show_them() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16_383), "XFD");
    }
}
