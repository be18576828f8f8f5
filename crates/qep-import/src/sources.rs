//! Statistics files into facts: `qep import calls` and `qep import stats`.
//!
//! A file is read under a [`Mapping`], row by row, and reduced to
//! [`Fact`]s: call logs are counted per day and line, other sources per period and key
//! (title, line, network…), so memory stays constant whatever the file's size. CSV files
//! are streamed; workbooks (XLSX, ODS) are read whole, which their row limit allows.
//!
//! Every bad cell is an error that names the file, the line, the column, the value and
//! what was expected; one error is enough for nothing to be imported.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use qep_core::indicators::Period;
use qep_core::indicators::imported::{Fact, FactPeriod, FactSource, Measure};

use crate::CellError;
use crate::limits::Limits;
use crate::mapping::{Binding, Field, FieldKind, Mapping};
use crate::number::parse_decimal;
use crate::table::{Table, TableError, fold};

/// Reading stops after this many errors: one wrong column would otherwise list millions.
pub const MAX_ERRORS: usize = 50;

/// The line name used when a file has none.
pub const DEFAULT_LINE: &str = "standard";

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("{file} : le modèle de correspondance « {mapping} » ne convient pas : {}", problems.join(" ; "))]
    Mapping {
        file: String,
        mapping: String,
        problems: Vec<String>,
    },
    #[error("{} erreur(s){}", errors.len(), if *stopped { " (lecture arrêtée)" } else { "" })]
    Cells {
        errors: Vec<CellError>,
        /// Reading stopped at [`MAX_ERRORS`]: there may be more.
        stopped: bool,
    },
}

/// What a file gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub source: FactSource,
    /// Data rows read (blank lines aside).
    pub rows: u64,
    pub facts: Vec<Fact>,
    /// The first and last periods (days for call logs) the facts cover.
    pub span: Option<(FactPeriod, FactPeriod)>,
}

/// How far a long import has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub bytes: u64,
    pub rows: u64,
}

/// Reads the file at `path` under `mapping`: a CSV streamed, or a workbook read whole.
/// `name` is how errors name the file, and its extension says workbook or CSV (an upload's
/// temporary path has none). Returns what was read and the file's SHA-256, computed while
/// reading.
pub fn import_file(
    path: &Path,
    name: &str,
    mapping: &Mapping,
    limits: &Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Imported, String), ImportError> {
    let io = |e: std::io::Error| TableError::Io {
        file: name.to_owned(),
        problem: e.to_string(),
    };
    if crate::table::is_workbook(name) {
        let bytes = crate::table::read_file(path, name, limits)?;
        let table = crate::workbook::read(name, &bytes, limits)?;
        let imported = import_table(&table, mapping)?;
        return Ok((imported, crate::sha256_hex(&bytes)));
    }
    let mut reader = crate::HashingReader::new(std::fs::File::open(path).map_err(io)?);
    let imported = import_csv_with(name, &mut reader, mapping, limits, progress)?;
    Ok((imported, reader.sha256_hex()))
}

/// A file already read as a table (a workbook, or a small CSV upload).
pub fn import_table(table: &Table, mapping: &Mapping) -> Result<Imported, ImportError> {
    let mut reader = RowReader::new(&table.file, mapping, &table.headers)?;
    for row in &table.rows {
        if row.cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        if !reader.row(row.line, &cells) {
            break;
        }
    }
    reader.finish()
}

/// Streams a CSV file: `,` `;` or tab, UTF-8 (with or without BOM) or Windows-1252.
///
/// Lines are split here rather than by the csv crate so that line numbers are the file's
/// own, blank lines included; a line with quotes (and the lines a quoted field spans) is
/// handed to the csv crate.
pub fn import_csv<R: Read>(
    name: &str,
    input: R,
    mapping: &Mapping,
    progress: &mut dyn FnMut(Progress),
) -> Result<Imported, ImportError> {
    import_csv_with(name, input, mapping, &Limits::DEFAULT, progress)
}

/// [`import_csv`] within `limits`: each record's size, cells and cells' lengths, the
/// number of rows, and its [`crate::limits::Stop`]. Linear in the file's size, unclosed
/// quotes included (the quotes are counted once, as lines come).
pub fn import_csv_with<R: Read>(
    name: &str,
    input: R,
    mapping: &Mapping,
    limits: &Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<Imported, ImportError> {
    let mut input = BufReader::with_capacity(1 << 20, input);
    let io = |e: std::io::Error| TableError::Io {
        file: name.into(),
        problem: e.to_string(),
    };
    let head = input.fill_buf().map_err(io)?;
    let first_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = crate::table::detect_delimiter(&crate::table::decode(first_line));
    let mut buf = Vec::new();
    let mut line = 0usize;
    let mut bytes = 0u64;
    let mut reader: Option<RowReader<'_>> = None;
    loop {
        buf.clear();
        let cap = limits.max_record_bytes as u64 + 1;
        let n = (&mut input)
            .take(cap)
            .read_until(b'\n', &mut buf)
            .map_err(io)?;
        if n == 0 {
            break;
        }
        line += 1;
        let first = line;
        bytes += n as u64;
        // A quoted field may span lines: read on until the quotes pair up. Each line's
        // quotes are counted once, and a record stops at `max_record_bytes`.
        let mut quotes = buf.iter().filter(|b| **b == b'"').count();
        while quotes % 2 == 1 {
            if buf.len() > limits.max_record_bytes {
                return Err(TableError::TooLarge {
                    file: name.into(),
                    problem: format!(
                        "ligne {first} : enregistrement de plus de {} octets (un guillemet ouvert n'est-il pas refermé ?)",
                        crate::limits::count(limits.max_record_bytes as u64)
                    ),
                }
                .into());
            }
            let from = buf.len();
            let more = (&mut input)
                .take(cap)
                .read_until(b'\n', &mut buf)
                .map_err(io)?;
            quotes += buf[from..].iter().filter(|b| **b == b'"').count();
            if more == 0 {
                return Err(TableError::Csv {
                    file: name.into(),
                    line: first,
                    problem: "guillemet ouvert jamais refermé".into(),
                }
                .into());
            }
            line += 1;
            bytes += more as u64;
        }
        if buf.len() > limits.max_record_bytes {
            return Err(TableError::TooLarge {
                file: name.into(),
                problem: format!(
                    "ligne {first} : plus de {} octets",
                    crate::limits::count(limits.max_record_bytes as u64)
                ),
            }
            .into());
        }
        let mut record: &[u8] = &buf;
        if first == 1 {
            record = record.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(record);
        }
        while let [rest @ .., b'\n' | b'\r'] = record {
            record = rest;
        }
        let cells: Vec<Cow<'_, str>> = if record.contains(&b'"') {
            split_quoted(record, delimiter).map_err(|problem| TableError::Csv {
                file: name.into(),
                line: first,
                problem,
            })?
        } else {
            record.split(|b| *b == delimiter).map(text).collect()
        };
        crate::table::check_record(name, first, cells.iter().map(|c| c.as_ref()), limits)?;
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let refs: Vec<&str> = cells.iter().map(|c| c.as_ref()).collect();
        match reader.as_mut() {
            None => {
                let headers: Vec<String> = refs.iter().map(|c| c.trim().to_owned()).collect();
                reader = Some(RowReader::new(name, mapping, &headers)?);
            }
            Some(r) => {
                if !r.row(first, &refs) {
                    break;
                }
                if r.rows > limits.max_stream_rows {
                    return Err(TableError::TooLarge {
                        file: name.into(),
                        problem: format!(
                            "plus de {} lignes de données",
                            crate::limits::count(limits.max_stream_rows)
                        ),
                    }
                    .into());
                }
                if r.rows % 65_536 == 0 {
                    limits.stop.check(name)?;
                    progress(Progress {
                        bytes,
                        rows: r.rows,
                    });
                }
            }
        }
    }
    let reader = reader.ok_or_else(|| TableError::Empty { file: name.into() })?;
    progress(Progress {
        bytes,
        rows: reader.rows,
    });
    reader.finish()
}

/// The cells of a record with quotes, through the csv crate.
fn split_quoted(record: &[u8], delimiter: u8) -> Result<Vec<Cow<'static, str>>, String> {
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(record);
    let mut out = csv::ByteRecord::new();
    csv.read_byte_record(&mut out).map_err(|e| e.to_string())?;
    Ok(out
        .iter()
        .map(|c| Cow::Owned(text(c).into_owned()))
        .collect())
}

fn text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0,
    }
}

/// Per (period, key) running sums.
#[derive(Default, Clone)]
struct Acc {
    sums: [f64; Measure::ALL.len()],
    seen: u16,
    /// Σ delay × files, Σ delay, rows with a delay, rows with a delay but no file count.
    weighted: f64,
    plain: f64,
    delays: u32,
    unweighted: u32,
}

impl Acc {
    fn add(&mut self, m: Measure, v: f64) {
        let i = m as usize;
        self.sums[i] += v;
        self.seen |= 1 << i;
    }

    fn max(&mut self, m: Measure, v: f64) {
        let i = m as usize;
        self.sums[i] = self.sums[i].max(v);
        self.seen |= 1 << i;
    }

    fn get(&self, m: Measure) -> Option<f64> {
        (self.seen & (1 << m as usize) != 0).then(|| self.sums[m as usize])
    }
}

struct RowReader<'a> {
    file: String,
    mapping: &'a Mapping,
    headers: Vec<String>,
    bindings: Vec<(Field, Binding)>,
    keys: Vec<String>,
    key_ids: HashMap<String, u32>,
    acc: HashMap<(FactPeriod, u32), Acc>,
    errors: Vec<CellError>,
    rows: u64,
}

/// A cell's value, read by the field's kind.
enum Value {
    Day(NaiveDate),
    Period(Period),
    Number(f64),
    Bool(bool),
    Text(String),
}

impl<'a> RowReader<'a> {
    fn new(
        file: &str,
        mapping: &'a Mapping,
        headers: &[String],
    ) -> Result<RowReader<'a>, ImportError> {
        let bad = |problems: Vec<String>| ImportError::Mapping {
            file: file.into(),
            mapping: mapping.name.clone(),
            problems,
        };
        mapping.check().map_err(bad)?;
        let bindings = mapping.bind(headers).map_err(bad)?;
        debug_assert_eq!(bindings.len(), crate::mapping::fields(mapping.source).len());
        if mapping.source == FactSource::Social
            && !bindings.iter().any(|(f, b)| {
                matches!(f.name, "connections" | "impressions" | "engagements")
                    && *b != Binding::Absent
            })
        {
            return Err(bad(vec![
                "aucune colonne de connexions, d'impressions ou d'interactions".into(),
            ]));
        }
        Ok(RowReader {
            file: file.into(),
            mapping,
            headers: headers.to_vec(),
            bindings,
            keys: Vec::new(),
            key_ids: HashMap::new(),
            acc: HashMap::new(),
            errors: Vec::new(),
            rows: 0,
        })
    }

    fn bound(&self, name: &str) -> bool {
        self.bindings
            .iter()
            .any(|(f, b)| f.name == name && *b != Binding::Absent)
    }

    /// Reads one field of a row; `Ok(None)` for an absent field or an empty optional cell.
    fn read(
        &self,
        line: usize,
        cells: &[&str],
        (field, binding): &(Field, Binding),
    ) -> Result<Option<Value>, CellError> {
        let raw = match binding {
            Binding::Absent => return Ok(None),
            Binding::Constant(c) => c.as_str(),
            Binding::Column(i) => cells.get(*i).copied().unwrap_or(""),
        };
        let raw = raw.trim();
        // The column is named only when something is wrong (this runs for every cell).
        let fail = |expected: &str| CellError {
            file: self.file.clone(),
            line,
            column: match binding {
                Binding::Column(i) => self.headers.get(*i).cloned().unwrap_or_default(),
                _ => format!("{} (constante)", field.name),
            },
            problem: format!("« {raw} » : {expected}"),
        };
        if raw.is_empty() {
            return if field.required {
                Err(fail(&format!(
                    "valeur manquante (attendu : {})",
                    field.label
                )))
            } else {
                Ok(None)
            };
        }
        let value = match field.kind {
            FieldKind::DateTime => Value::Day(
                parse_day(raw, self.mapping.date_format.as_deref()).ok_or_else(|| {
                    fail(
                        "date invalide (attendu : 2024-01-31 08:15, 31/01/2024 08:15 ou le format date_format du modèle)",
                    )
                })?,
            ),
            FieldKind::Period => Value::Period(parse_period(raw).ok_or_else(|| {
                fail("période invalide (attendu : un mois « 2020-01 », « 01/2020 », « janvier 2020 » ou un trimestre « 2020-Q1 », « T1 2020 »)")
            })?),
            FieldKind::Count => {
                let v = parse_decimal(raw)
                    .filter(|v| *v >= 0.0 && v.fract() == 0.0)
                    .ok_or_else(|| fail("attendu un nombre entier positif ou nul"))?;
                Value::Number(v)
            }
            FieldKind::Decimal => {
                let v = parse_decimal(raw)
                    .filter(|v| *v >= 0.0)
                    .ok_or_else(|| fail("attendu un nombre positif ou nul (virgule ou point décimal)"))?;
                Value::Number(v)
            }
            FieldKind::Bool => {
                Value::Bool(quick_bool(raw).map_or_else(
                    || self.mapping.read_value(field, raw).map(|v| v == "oui"),
                    Ok,
                ).map_err(|e| fail(&e))?)
            }
            FieldKind::Choice(_) => {
                Value::Text(self.mapping.read_value(field, raw).map_err(|e| fail(&e))?)
            }
            FieldKind::Text => Value::Text(raw.to_owned()),
        };
        Ok(Some(value))
    }

    fn key_id(&mut self, key: &str) -> u32 {
        if let Some(id) = self.key_ids.get(key) {
            return *id;
        }
        let id = self.keys.len() as u32;
        self.keys.push(key.to_owned());
        self.key_ids.insert(key.to_owned(), id);
        id
    }

    /// Reads a row; `false` once reading must stop.
    fn row(&mut self, line: usize, cells: &[&str]) -> bool {
        self.rows += 1;
        if let Err(e) = self.row_inner(line, cells) {
            self.errors.extend(e);
        }
        self.errors.len() < MAX_ERRORS
    }

    fn row_inner(&mut self, line: usize, cells: &[&str]) -> Result<(), Vec<CellError>> {
        let source = self.mapping.source;
        // One value per binding, in the bindings' (the source's fields') order.
        let mut values: Vec<Option<Value>> = Vec::with_capacity(self.bindings.len());
        let mut errors = Vec::new();
        for b in &self.bindings {
            match self.read(line, cells, b) {
                Ok(v) => values.push(v),
                Err(e) => {
                    errors.push(e);
                    values.push(None);
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // The bindings follow the source's fields, one each.
        let fields = crate::mapping::fields(source);
        let get = |n: &str| {
            fields
                .iter()
                .position(|f| f.name == n)
                .and_then(|i| values[i].as_ref())
        };
        let number = |n: &str| match get(n) {
            Some(Value::Number(v)) => Some(*v),
            _ => None,
        };
        let text = |n: &str| match get(n) {
            Some(Value::Text(t)) => Some(t.clone()),
            _ => None,
        };
        // A call's day, or the row's period: both are required fields, so a row
        // without one has failed above.
        let period = match (get("started_at"), get("period")) {
            (Some(Value::Day(d)), _) => FactPeriod::Day(*d),
            (_, Some(Value::Period(p))) => FactPeriod::Period(*p),
            _ => return Ok(()),
        };
        let key = match source {
            FactSource::Calls | FactSource::Telephony => {
                text("line").unwrap_or_else(|| DEFAULT_LINE.into())
            }
            FactSource::Titles => text("title").unwrap_or_default(),
            FactSource::Foreigners => text("kind").unwrap_or_default(),
            FactSource::Fraud => text("scope").unwrap_or_default(),
            FactSource::Web => "site".into(),
            FactSource::Social => text("network").unwrap_or_else(|| "réseaux sociaux".into()),
        };
        let cross = |problem: String| {
            vec![CellError {
                file: self.file.clone(),
                line,
                column: String::new(),
                problem,
            }]
        };
        // Checks across cells.
        match source {
            FactSource::Telephony => {
                let (p, a) = (
                    number("presented").unwrap_or(0.0),
                    number("answered").unwrap_or(0.0),
                );
                if a > p {
                    return Err(cross(format!(
                        "appels décrochés ({a}) supérieurs aux appels présentés ({p})"
                    )));
                }
                if number("lost").is_some_and(|l| l > p) {
                    return Err(cross(format!(
                        "appels perdus supérieurs aux appels présentés ({p})"
                    )));
                }
                if number("within_5_rings").is_some_and(|w| w > a) {
                    return Err(cross(format!(
                        "appels décrochés en moins de 5 sonneries supérieurs aux appels décrochés ({a})"
                    )));
                }
            }
            FactSource::Fraud => {
                let (f, n) = (
                    number("frauds").unwrap_or(0.0),
                    number("files").unwrap_or(0.0),
                );
                if f > n {
                    return Err(cross(format!(
                        "dossiers frauduleux ({f}) supérieurs aux dossiers traités ({n})"
                    )));
                }
            }
            FactSource::Web if number("population") == Some(0.0) => {
                return Err(cross(
                    "population nulle : attendu la population INSEE du département".into(),
                ));
            }
            _ => {}
        }
        let id = self.key_id(&key);
        let rings_bound = self.bound("rings");
        let acc = self.acc.entry((period, id)).or_default();
        match source {
            FactSource::Calls => {
                let answered = matches!(get("answered"), Some(Value::Bool(true)));
                acc.add(Measure::Presented, 1.0);
                acc.add(Measure::Answered, if answered { 1.0 } else { 0.0 });
                if rings_bound {
                    let within = answered && number("rings").is_some_and(|r| r < 5.0);
                    acc.add(Measure::Within5Rings, if within { 1.0 } else { 0.0 });
                }
            }
            FactSource::Telephony => {
                for (n, m) in [
                    ("presented", Measure::Presented),
                    ("answered", Measure::Answered),
                    ("lost", Measure::Lost),
                    ("within_5_rings", Measure::Within5Rings),
                ] {
                    if let Some(v) = number(n) {
                        acc.add(m, v);
                    }
                }
            }
            FactSource::Titles | FactSource::Foreigners => {
                if let Some(d) = number("delay") {
                    acc.delays += 1;
                    acc.plain += d;
                    match number("files") {
                        Some(f) => {
                            acc.weighted += d * f;
                            acc.add(Measure::Files, f);
                        }
                        None => acc.unweighted += 1,
                    }
                }
            }
            FactSource::Fraud => {
                acc.add(Measure::Frauds, number("frauds").unwrap_or(0.0));
                acc.add(Measure::Files, number("files").unwrap_or(0.0));
            }
            FactSource::Web => {
                acc.add(Measure::Visitors, number("visitors").unwrap_or(0.0));
                acc.max(Measure::Population, number("population").unwrap_or(0.0));
            }
            FactSource::Social => {
                for (n, m) in [
                    ("connections", Measure::Connections),
                    ("impressions", Measure::Impressions),
                    ("engagements", Measure::Engagements),
                ] {
                    if let Some(v) = number(n) {
                        acc.add(m, v);
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<Imported, ImportError> {
        if !self.errors.is_empty() {
            let stopped = self.errors.len() >= MAX_ERRORS;
            return Err(ImportError::Cells {
                errors: self.errors,
                stopped,
            });
        }
        if self.rows == 0 {
            return Err(ImportError::Cells {
                errors: vec![CellError {
                    file: self.file.clone(),
                    line: 1,
                    column: "en-tête".into(),
                    problem: "aucune ligne de données après l'en-tête".into(),
                }],
                stopped: false,
            });
        }
        let source = self.mapping.source;
        let mut entries: Vec<((FactPeriod, u32), Acc)> = self.acc.into_iter().collect();
        entries.sort_by(|a, b| {
            (a.0.0, &self.keys[a.0.1 as usize]).cmp(&(b.0.0, &self.keys[b.0.1 as usize]))
        });
        let span = entries
            .first()
            .zip(entries.last())
            .map(|(a, b)| (a.0.0, b.0.0));
        let mut facts = Vec::new();
        for ((period, id), acc) in entries {
            let key = &self.keys[id as usize];
            let mut emit = |measure: Measure, value: f64| {
                facts.push(Fact {
                    source,
                    period,
                    key: key.clone(),
                    measure,
                    value,
                });
            };
            if acc.delays > 0 {
                let files = acc.get(Measure::Files).unwrap_or(0.0);
                if acc.unweighted == 0 && files > 0.0 {
                    emit(Measure::Delay, acc.weighted / files);
                    emit(Measure::Files, files);
                } else {
                    emit(Measure::Delay, acc.plain / f64::from(acc.delays));
                }
                continue;
            }
            for m in Measure::ALL {
                if let Some(v) = acc.get(m) {
                    emit(m, v);
                }
            }
        }
        Ok(Imported {
            source,
            rows: self.rows,
            facts,
            span,
        })
    }
}

/// The common spellings of yes and no, without folding (the hot path of call logs).
fn quick_bool(raw: &str) -> Option<bool> {
    match raw {
        "1" | "oui" | "Oui" | "OUI" | "true" | "TRUE" | "True" | "O" => Some(true),
        "0" | "non" | "Non" | "NON" | "false" | "FALSE" | "False" | "N" => Some(false),
        _ => None,
    }
}

/// The day of a date, with or without a time of day: `2024-01-31`, `2024-01-31T08:15:00`,
/// `2024-01-31 08:15`, `31/01/2024`, `31/01/2024 08:15:00`, or `format` (chrono).
pub fn parse_day(raw: &str, format: Option<&str>) -> Option<NaiveDate> {
    if let Some(fmt) = format {
        return NaiveDateTime::parse_from_str(raw, fmt)
            .map(|d| d.date())
            .or_else(|_| NaiveDate::parse_from_str(raw, fmt))
            .ok();
    }
    let b = raw.as_bytes();
    let num = |s: &[u8]| -> Option<u32> {
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        s.iter()
            .try_fold(0u32, |acc, d| Some(acc * 10 + u32::from(d - b'0')))
    };
    let (date, rest) = if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
        let y = num(&b[0..4])?;
        (
            NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, num(&b[5..7])?, num(&b[8..10])?)?,
            &raw[10..],
        )
    } else {
        // d/m/yyyy with one or two digits for the day and the month.
        let mut parts = raw.splitn(3, '/');
        let d = num(parts.next()?.as_bytes())?;
        let m = num(parts.next()?.as_bytes())?;
        let tail = parts.next()?;
        let end = tail.find([' ', 'T']).unwrap_or(tail.len());
        let y = num(&tail.as_bytes()[..end])?;
        if end != 4 {
            return None;
        }
        (
            NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?,
            &tail[end..],
        )
    };
    let time = rest.trim_start_matches(['T', ' ']);
    if rest.is_empty() {
        return Some(date);
    }
    // hh:mm or hh:mm:ss (fractions of a second and a zone are tolerated).
    let t = time.as_bytes();
    let ok = t.len() >= 4
        && t.iter().take_while(|c| c.is_ascii_digit()).count() >= 1
        && time.split(':').count() >= 2
        && time
            .split(':')
            .take(2)
            .all(|p| p.len() <= 2 && !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
    ok.then_some(date)
}

const MONTHS: [&[&str]; 12] = [
    &["janvier", "janv", "jan"],
    &["fevrier", "fevr", "fev", "feb"],
    &["mars", "mar"],
    &["avril", "avr", "apr"],
    &["mai", "may"],
    &["juin", "jun"],
    &["juillet", "juil", "jul"],
    &["aout", "aou", "aug"],
    &["septembre", "sept", "sep"],
    &["octobre", "oct"],
    &["novembre", "nov"],
    &["decembre", "dec"],
];

/// A month or a quarter as files write it: `2020-01`, `2020-Q1`, `01/2020`, `1/2020`,
/// `2020/01`, `janvier 2020`, `janv.-20`, `T1 2020`, `1T2020`, `Q1 2020`, or a date
/// (`01/03/2020`, `2020-03-01`), which stands for its month.
pub fn parse_period(raw: &str) -> Option<Period> {
    let t = raw.trim();
    if let Ok(p) = Period::parse(t)
        && !matches!(p, Period::Year(_))
    {
        return Some(p);
    }
    if let Some(d) = parse_day(t, None) {
        return Some(Period::of_month(d));
    }
    let f = fold(t).replace(['.', '-', '/', '_', ','], " ");
    let words: Vec<&str> = f.split_whitespace().collect();
    let year = |s: &str| -> Option<i32> {
        let y: i32 = s.parse().ok()?;
        match s.len() {
            4 => Some(y),
            2 => Some(2000 + y),
            _ => None,
        }
    };
    match words.as_slice() {
        [a, b] => {
            // Quarters: T1 2020, Q1 2020, 1T 2020, 2020 T1.
            let quarter = |w: &str| -> Option<u32> {
                let q = w
                    .strip_prefix('t')
                    .or_else(|| w.strip_prefix('q'))
                    .or_else(|| w.strip_suffix('t'))?;
                q.parse().ok()
            };
            if let (Some(q), Some(y)) = (quarter(a), year(b)) {
                return Period::quarter(y, q);
            }
            if let (Some(y), Some(q)) = (year(a), quarter(b)) {
                return Period::quarter(y, q);
            }
            // Months: 01 2020, 2020 01, janvier 2020, janv 20.
            let month = |w: &str| -> Option<u32> {
                if let Ok(m) = w.parse::<u32>() {
                    return (w.len() <= 2).then_some(m);
                }
                MONTHS
                    .iter()
                    .position(|names| names.contains(&w))
                    .map(|i| i as u32 + 1)
            };
            if let (Some(m), Some(y)) = (month(a), year(b)) {
                return Period::month(y, m);
            }
            if a.len() == 4
                && let (Some(y), Some(m)) = (year(a), month(b))
            {
                return Period::month(y, m);
            }
            None
        }
        [one] => {
            // 1T2020
            let (q, y) = one.split_once('t')?;
            Period::quarter(year(y)?, q.parse().ok()?)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::builtin;

    fn p(s: &str) -> Period {
        Period::parse(s).expect("period")
    }

    #[test]
    fn periods_as_french_files_write_them() {
        for (raw, want) in [
            ("2020-01", "2020-01"),
            ("01/2020", "2020-01"),
            ("1/2020", "2020-01"),
            ("2020/03", "2020-03"),
            ("janvier 2020", "2020-01"),
            ("Janv.-20", "2020-01"),
            ("FÉVRIER 2021", "2021-02"),
            ("août 2020", "2020-08"),
            ("T1 2022", "2022-Q1"),
            ("2022-Q2", "2022-Q2"),
            ("1T2022", "2022-Q1"),
            ("Q3 2022", "2022-Q3"),
            ("01/03/2020", "2020-03"),
            ("2020-03-01", "2020-03"),
        ] {
            assert_eq!(parse_period(raw), Some(p(want)), "{raw}");
        }
        for bad in [
            "",
            "2020",
            "13/2020",
            "T5 2020",
            "mois 2020",
            "2020-13",
            "hier",
        ] {
            assert_eq!(parse_period(bad), None, "{bad}");
        }
    }

    #[test]
    fn days_with_or_without_a_time() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 31);
        for raw in [
            "2024-01-31",
            "2024-01-31T08:15:00",
            "2024-01-31 08:15",
            "31/01/2024",
            "31/01/2024 08:15:59",
            "31/1/2024 8:15",
        ] {
            assert_eq!(parse_day(raw, None), d, "{raw}");
        }
        for bad in [
            "31/01/24",
            "2024-02-30",
            "31-01-2024",
            "2024-01-31 midi",
            "x",
        ] {
            assert_eq!(parse_day(bad, None), None, "{bad}");
        }
        assert_eq!(parse_day("31.01.2024 08h15", Some("%d.%m.%Y %Hh%M")), d);
    }

    fn facts_of(i: &Imported) -> Vec<(String, String, &'static str, f64)> {
        i.facts
            .iter()
            .map(|f| {
                (
                    f.period.to_string(),
                    f.key.clone(),
                    f.measure.as_str(),
                    f.value,
                )
            })
            .collect()
    }

    #[test]
    fn a_windows_1252_call_log_with_french_dates_is_counted_per_day_and_line() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(b"Date/heure;Ligne;R\xe9pondu;Sonneries\r\n");
        bytes.extend_from_slice(b"02/03/2020 08:30:12;Standard;oui;2\r\n");
        bytes.extend_from_slice(b"02/03/2020 09:00:00;Standard;non;9\r\n");
        bytes.extend_from_slice(b"02/03/2020 09:05:00;Etrangers;oui;7\r\n");
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(b"03/03/2020 10:00:00;Standard;r\xe9pondu;1\r\n");
        let m = builtin("appels").expect("built-in");
        let mut seen = Vec::new();
        let i = import_csv("appels.csv", &bytes[..], &m, &mut |p| seen.push(p)).expect("valid");
        assert_eq!(i.rows, 4);
        assert_eq!(
            facts_of(&i),
            vec![
                ("2020-03-02".into(), "Etrangers".into(), "presented", 1.0),
                ("2020-03-02".into(), "Etrangers".into(), "answered", 1.0),
                (
                    "2020-03-02".into(),
                    "Etrangers".into(),
                    "within_5_rings",
                    0.0
                ),
                ("2020-03-02".into(), "Standard".into(), "presented", 2.0),
                ("2020-03-02".into(), "Standard".into(), "answered", 1.0),
                (
                    "2020-03-02".into(),
                    "Standard".into(),
                    "within_5_rings",
                    1.0
                ),
                ("2020-03-03".into(), "Standard".into(), "presented", 1.0),
                ("2020-03-03".into(), "Standard".into(), "answered", 1.0),
                (
                    "2020-03-03".into(),
                    "Standard".into(),
                    "within_5_rings",
                    1.0
                ),
            ]
        );
    }

    #[test]
    fn bad_cells_name_the_line_column_value_and_what_was_expected() {
        let text = "started_at,line,answered,rings\n\
                    2024-01-02T08:00:00,standard,1,2\n\
                    \n\
                    2024-13-02T08:00:00,standard,1,2\n\
                    2024-01-02T08:00:00,standard,peut-être,2\n\
                    2024-01-02T08:00:00,standard,1,-3\n";
        let m = builtin("appels").expect("built-in");
        let Err(ImportError::Cells { errors, stopped }) =
            import_csv("c.csv", text.as_bytes(), &m, &mut |_| {})
        else {
            panic!("errors expected");
        };
        assert!(!stopped);
        let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(all.len(), 3, "{all:#?}");
        assert!(
            all[0].starts_with(
                "c.csv, ligne 4, colonne « started_at » : « 2024-13-02T08:00:00 » : date invalide"
            ),
            "{}",
            all[0]
        );
        assert!(all[1].starts_with("c.csv, ligne 5, colonne « answered » : « peut-être » : valeur non reconnue (attendu : oui, non"), "{}", all[1]);
        assert!(
            all[2].starts_with(
                "c.csv, ligne 6, colonne « rings » : « -3 » : attendu un nombre entier"
            ),
            "{}",
            all[2]
        );
    }

    #[test]
    fn reading_stops_after_fifty_errors() {
        let mut text = String::from("started_at,answered\n");
        for _ in 0..1000 {
            text.push_str("hier,1\n");
        }
        let m = builtin("appels").expect("built-in");
        let Err(ImportError::Cells { errors, stopped }) =
            import_csv("c.csv", text.as_bytes(), &m, &mut |_| {})
        else {
            panic!("errors expected");
        };
        assert_eq!((errors.len(), stopped), (MAX_ERRORS, true));
    }

    #[test]
    fn title_delays_are_weighted_by_their_files() {
        let text = "Mois;Titre;Délai moyen;Nombre de dossiers\n\
                    janv.-22;CNI;20,0;300\n\
                    janv.-22;Passeport;40;100\n\
                    janv.-22;CNI;30;100\n\
                    T1 2022;Permis de conduire;12,5;\n";
        let t = crate::table::read("titres.csv", text.as_bytes()).expect("csv");
        let i = import_table(&t, &builtin("titres").expect("built-in")).expect("valid");
        assert_eq!(
            facts_of(&i),
            vec![
                ("2022-01".into(), "id".into(), "delay", 22.5),
                ("2022-01".into(), "id".into(), "files", 400.0),
                ("2022-01".into(), "passport".into(), "delay", 40.0),
                ("2022-01".into(), "passport".into(), "files", 100.0),
                ("2022-Q1".into(), "driving_licence".into(), "delay", 12.5),
            ]
        );
    }

    #[test]
    fn checks_across_cells_and_constants() {
        let text = "Période;Présentés;Décrochés\n2020-01;100;120\n";
        let m = builtin("telephonie").expect("built-in");
        let Err(ImportError::Cells { errors, .. }) =
            import_csv("t.csv", text.as_bytes(), &m, &mut |_| {})
        else {
            panic!("errors expected");
        };
        assert!(
            errors[0].to_string().contains("ligne 2") && errors[0].problem.contains("supérieurs")
        );
        let mut web = builtin("site-internet").expect("built-in");
        web.constants.insert("population".into(), "283 372".into());
        let text = "Mois;Visiteurs\n01/2020;14 168\n02/2020;15 000\n";
        let i = import_csv("w.csv", text.as_bytes(), &web, &mut |_| {}).expect("valid");
        assert_eq!(i.facts.len(), 4);
        assert_eq!(i.facts[1].value, 283_372.0);
        assert_eq!(
            i.span.map(|(a, b)| (a.to_string(), b.to_string())),
            Some(("2020-01".into(), "2020-02".into()))
        );
    }

    #[test]
    fn quoted_cells_may_hold_separators_and_span_lines() {
        let text = "Période;Ligne;Présentés;Décrochés\n\
                    2020-01;\"Standard; accueil\";10;9\n\
                    2020-01;\"Service\nétrangers\";5;4\n\
                    2020-01;étrangers;x;4\n";
        let m = builtin("telephonie").expect("built-in");
        let Err(ImportError::Cells { errors, .. }) =
            import_csv("t.csv", text.as_bytes(), &m, &mut |_| {})
        else {
            panic!("errors expected");
        };
        // The quoted line break counts: the bad row is the file's fifth line.
        assert!(
            errors[0]
                .to_string()
                .starts_with("t.csv, ligne 5, colonne « Présentés »"),
            "{}",
            errors[0]
        );
        let ok = text.replace(";x;", ";6;");
        let i = import_csv("t.csv", ok.as_bytes(), &m, &mut |_| {}).expect("valid");
        let keys: Vec<&str> = i.facts.iter().map(|f| f.key.as_str()).collect();
        assert!(
            keys.contains(&"Standard; accueil") && keys.contains(&"Service\nétrangers"),
            "{keys:?}"
        );
    }
}
