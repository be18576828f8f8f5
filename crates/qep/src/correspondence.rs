//! `qep import correspondence` and `qep export correspondence`: the correspondence register
//! in and out of files. The file format and the rules are in `docs/REGISTERS.md`.
//!
//! Import: the file is read and checked whole by `qep_import::correspondence`, due dates are
//! computed with each site's working-day calendar, then everything goes to the store in one
//! transaction; items whose reference is already registered are skipped, so the same file
//! imported twice adds nothing.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{Datelike as _, NaiveDate, NaiveDateTime, Timelike as _};
use qep_app::registers::Arrival;
use qep_core::calendar::WorkingCalendar;
use qep_core::ids::{ServiceId, SiteId};
use qep_core::prefecture::{Service, Site};
use qep_core::registers::deadline::{self, ItemState};
use qep_import::correspondence::{self as import, ParsedItem};
use qep_store::{Actor, Correspondence, Store};

use crate::config::Config;
use crate::db::DatabaseUrl;
use crate::error::{CliError, CliResult};

/// What the register needs of the prefecture: its sites and services (to resolve names),
/// each site's working-day calendar as of today, and the module 4 letter deadline.
pub struct Register {
    sites: Vec<Site>,
    services: Vec<Service>,
    site_keys: HashMap<String, SiteId>,
    service_keys: HashMap<String, ServiceId>,
    calendars: HashMap<SiteId, Arc<WorkingCalendar>>,
    zones: qep_app::Zones,
}

impl Register {
    /// `today` decides which calendar settings apply (those recorded by then, not withdrawn).
    pub async fn load(ctx: &qep_app::Ctx, today: NaiveDate) -> CliResult<Register> {
        let store = ctx.store();
        store.find_prefecture().await?.ok_or_else(|| {
            CliError::Input(
                "la base ne contient aucune préfecture : lancez d'abord « qep init --name … --department … »"
                    .into(),
            )
        })?;
        let sites = store.list_sites().await?;
        let services = store.list_services().await?;
        let zones = ctx.zones().await?;
        let calendars = ctx
            .calendars
            .sites(store, sites.iter().map(|s| s.id), today)
            .await?;
        let mut site_keys = HashMap::new();
        for s in &sites {
            site_keys.insert(s.id.to_string(), s.id);
            site_keys.insert(import::key(&s.name), s.id);
        }
        let mut service_keys = HashMap::new();
        for s in &services {
            service_keys.insert(s.id.to_string(), s.id);
            service_keys.insert(import::key(&s.name), s.id);
            if !s.code.is_empty() {
                service_keys.insert(import::key(&s.code), s.id);
            }
        }
        Ok(Register {
            sites,
            services,
            site_keys,
            service_keys,
            calendars,
            zones,
        })
    }

    /// A site's legal time.
    pub fn zone(&self, site: SiteId) -> qep_core::time::Tz {
        self.zones.of(site)
    }

    fn calendar(&self, site: SiteId) -> CliResult<&WorkingCalendar> {
        self.calendars
            .get(&site)
            .map(|c| &**c)
            .ok_or_else(|| CliError::Runtime(format!("site {site} sans calendrier")))
    }

    fn site_name(&self, id: SiteId) -> String {
        self.sites
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_string(), |s| s.name.clone())
    }

    /// The service's code, or its name when it has none: what the importer resolves.
    fn service_name(&self, id: Option<ServiceId>) -> String {
        id.map_or_else(String::new, |id| {
            self.services.iter().find(|s| s.id == id).map_or_else(
                || id.to_string(),
                |s| {
                    if s.code.is_empty() {
                        s.name.clone()
                    } else {
                        s.code.clone()
                    }
                },
            )
        })
    }

    /// Reads and checks a file; every error as one line.
    pub fn check(
        &self,
        name: &str,
        bytes: &[u8],
        today: NaiveDate,
    ) -> Result<Vec<ParsedItem>, Vec<String>> {
        let table = qep_import::table::read(name, bytes).map_err(|e| vec![e.to_string()])?;
        let known_sites: Vec<String> = self
            .sites
            .iter()
            .map(|s| format!("{} ({})", s.name, s.id))
            .collect();
        let mut known_services: Vec<&str> = self
            .services
            .iter()
            .map(|s| {
                if s.code.is_empty() {
                    s.name.as_str()
                } else {
                    s.code.as_str()
                }
            })
            .collect();
        if known_services.len() > 20 {
            known_services.truncate(20);
            known_services.push("…");
        }
        let known_services = if known_services.is_empty() {
            "aucun service enregistré".to_owned()
        } else {
            known_services.join(", ")
        };
        let site = |raw: &str| self.site_keys.get(&import::key(raw)).copied();
        let service = |raw: &str| self.service_keys.get(&import::key(raw)).copied();
        let ctx = import::Context {
            site: &site,
            service: &service,
            known_sites: &known_sites.join(", "),
            known_services: &known_services,
            today,
            zone: &|site| self.zone(site),
        };
        import::parse(&table, &ctx)
            .map_err(|errors| errors.iter().map(ToString::to_string).collect())
    }
}

/// The parsed items as the register receives them.
pub fn arrivals(items: &[ParsedItem]) -> Vec<Arrival> {
    items
        .iter()
        .map(|item| Arrival {
            reference: Some(item.reference.clone()),
            channel: item.channel,
            kind: item.kind,
            site: item.site,
            service: item.service,
            received_at: item.received_at,
            received_on: Some(item.received_on),
            requester_name: item.requester_name.clone(),
            requester_email: item.requester_email.clone(),
            requester_address: item.requester_address.clone(),
            subject: item.subject.clone(),
            in_scope: item.in_scope,
            out_of_scope: item.out_of_scope,
            answered_on: item.answered_on,
            answer: item.answer,
        })
        .collect()
}

async fn open(config: &Config) -> CliResult<Arc<dyn Store>> {
    DatabaseUrl::parse(&config.database_url)?.open().await
}

/// `qep import correspondence FILE [--dry-run]`.
pub async fn import(config: &Config, path: &Path, dry_run: bool) -> CliResult {
    let name = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::Input(format!("{name} : lecture impossible ({e})")))?;
    let ctx = qep_app::Ctx::open(open(config).await?).await?;
    let store = ctx.store.clone();
    let today = ctx.today();
    let register = Register::load(&ctx, today).await?;
    let items = match register.check(&name, &bytes, today) {
        Ok(items) => items,
        Err(errors) => {
            for e in &errors {
                eprintln!("qep : {e}");
            }
            let count = if errors.len() >= import::MAX_ERRORS {
                format!("au moins {} erreurs", errors.len())
            } else {
                format!("{} erreur(s)", errors.len())
            };
            return Err(CliError::Input(format!(
                "{name} : {count}, rien n'a été importé"
            )));
        }
    };
    let rules = qep_app::registers::Rules::load(&ctx).await?;
    let items = match qep_app::registers::prepare(&ctx, &rules, &arrivals(&items)).await? {
        Ok(prepared) => prepared,
        Err(errors) => {
            let first = errors.first().map_or_else(String::new, |e| {
                let line = items.get(e.index).map_or(0, |i| i.line);
                format!("{name}, ligne {line} : {}", e.problem)
            });
            return Err(CliError::Input(first));
        }
    };
    if dry_run {
        println!(
            "{name} : {} élément(s) valide(s), rien n'a été enregistré (--dry-run).",
            items.len()
        );
        return Ok(());
    }
    let added = store.insert_correspondence(&Actor::cli(), &items).await?;
    println!(
        "{name} : {} élément(s) ajouté(s), {} déjà présent(s)",
        added.len(),
        items.len() - added.len()
    );
    Ok(())
}

/// The export's columns: the importer's first (so an export re-imports), then what was
/// computed. Requesters' names and addresses are personal data and stay in the database.
pub const EXPORT_COLUMNS: [&str; 14] = [
    "reference",
    "channel",
    "kind",
    "site",
    "service",
    "received_at",
    "answered_at",
    "answer",
    "in_scope",
    "out_of_scope_reason",
    "subject",
    "due_on",
    "response_working_days",
    "on_time",
];

/// One exported item, typed: the CSV writes text, the workbook real dates and numbers.
struct ExportRow {
    reference: String,
    channel: &'static str,
    kind: &'static str,
    site: String,
    service: String,
    /// Paris time.
    received_at: NaiveDateTime,
    answered_on: Option<NaiveDate>,
    answer: Option<&'static str>,
    in_scope: bool,
    out_of_scope: Option<&'static str>,
    subject: String,
    due_on: NaiveDate,
    response_working_days: Option<u32>,
    /// `None` while an item is unanswered and not yet due, or unanswered and out of scope.
    on_time: Option<bool>,
}

fn export_row(
    register: &Register,
    item: &Correspondence,
    today: NaiveDate,
) -> CliResult<ExportRow> {
    let response_working_days = match item.answered_on {
        Some(a) => Some(
            register
                .calendar(item.site)?
                .working_days_between(item.received_on, a)
                .map_err(|e| CliError::Runtime(format!("{} : {e}", item.reference)))?,
        ),
        None => None,
    };
    // The one rule; out-of-scope items are never late.
    let state = deadline::state(
        register.calendar(item.site)?,
        item.received_on,
        item.deadline_days,
        item.answered_on,
        today,
    )
    .map_err(|e| CliError::Runtime(format!("{} : {e}", item.reference)))?;
    let on_time = match state {
        ItemState::Late if !item.in_scope => None,
        s => s.on_time(),
    };
    Ok(ExportRow {
        reference: item.reference.clone(),
        channel: item.channel.as_str(),
        kind: item.kind.as_str(),
        site: register.site_name(item.site),
        service: register.service_name(item.service),
        received_at: qep_core::time::local(item.received_at, register.zone(item.site)),
        answered_on: item.answered_on,
        answer: item.answer.map(|a| a.as_str()),
        in_scope: item.in_scope,
        out_of_scope: item.out_of_scope.map(|o| o.as_str()),
        subject: item.subject.clone(),
        due_on: item.due_on,
        response_working_days,
        on_time,
    })
}

fn oui_non(b: bool) -> &'static str {
    if b { "oui" } else { "non" }
}

/// `2024-05-03 10:15`, with the seconds only when there are some.
fn local_text(t: NaiveDateTime) -> String {
    if t.second() == 0 {
        t.format("%Y-%m-%d %H:%M").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// Writes export rows as CSV to `out`, one at a time.
struct CsvSink<W: std::io::Write> {
    w: csv::Writer<W>,
}

impl<W: std::io::Write> CsvSink<W> {
    fn new(mut out: W, comma: bool) -> CliResult<CsvSink<W>> {
        let io = |e: std::io::Error| CliError::Runtime(e.to_string());
        if !comma {
            // French Excel reads `;` files as UTF-8 only with the byte order mark.
            out.write_all(b"\xEF\xBB\xBF").map_err(io)?;
        }
        let mut w = csv::WriterBuilder::new()
            .delimiter(if comma { b',' } else { b';' })
            .from_writer(out);
        w.write_record(EXPORT_COLUMNS)
            .map_err(|e| CliError::Runtime(e.to_string()))?;
        Ok(CsvSink { w })
    }

    fn write(&mut self, r: &ExportRow) -> CliResult {
        let error = |e: csv::Error| CliError::Runtime(e.to_string());
        let due = r.due_on.to_string();
        let days = r
            .response_working_days
            .map(|d| d.to_string())
            .unwrap_or_default();
        let cells: [&str; 14] = [
            r.reference.as_str(),
            r.channel,
            r.kind,
            &r.site,
            &r.service,
            &local_text(r.received_at),
            &r.answered_on.map(|d| d.to_string()).unwrap_or_default(),
            r.answer.unwrap_or_default(),
            oui_non(r.in_scope),
            r.out_of_scope.unwrap_or_default(),
            &r.subject,
            &due,
            &days,
            r.on_time.map(oui_non).unwrap_or_default(),
        ];
        // Field by field: a subject or a name typed by a citizen may start like a formula.
        for cell in cells {
            self.w
                .write_field(qep_core::csv_cell::neutralised(cell).as_bytes())
                .map_err(error)?;
        }
        self.w.write_record(None::<&[u8]>).map_err(error)
    }

    fn finish(self) -> CliResult<W> {
        self.w
            .into_inner()
            .map_err(|e| CliError::Runtime(e.to_string()))
    }
}

fn excel_date(d: NaiveDate) -> Result<rust_xlsxwriter::ExcelDateTime, rust_xlsxwriter::XlsxError> {
    rust_xlsxwriter::ExcelDateTime::from_ymd(
        u16::try_from(d.year()).unwrap_or(1900),
        u8::try_from(d.month()).unwrap_or(1),
        u8::try_from(d.day()).unwrap_or(1),
    )
}

fn excel_datetime(
    t: NaiveDateTime,
) -> Result<rust_xlsxwriter::ExcelDateTime, rust_xlsxwriter::XlsxError> {
    excel_date(t.date())?.and_hms(
        u16::try_from(t.hour()).unwrap_or(0),
        u8::try_from(t.minute()).unwrap_or(0),
        t.second(),
    )
}

/// The XLSX register's formats.
struct XlsxFormats {
    bold: rust_xlsxwriter::Format,
    date: rust_xlsxwriter::Format,
    datetime: rust_xlsxwriter::Format,
}

impl XlsxFormats {
    fn new() -> XlsxFormats {
        use rust_xlsxwriter::Format;
        XlsxFormats {
            bold: Format::new().set_bold(),
            date: Format::new().set_num_format("dd/mm/yyyy"),
            datetime: Format::new().set_num_format("dd/mm/yyyy hh:mm"),
        }
    }
}

/// The header row, frozen, and the column widths, before any data row (a constant-memory
/// sheet writes rows in order and forgets them).
fn xlsx_header(
    sheet: &mut rust_xlsxwriter::Worksheet,
    year: i32,
    f: &XlsxFormats,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    sheet.set_name(format!("Registre {year}"))?;
    for (c, width) in (0u16..).zip([13, 11, 20, 24, 10, 17, 12, 12, 9, 18, 40, 12, 12, 9]) {
        sheet.set_column_width(c, width)?;
    }
    for (c, name) in (0u16..).zip(EXPORT_COLUMNS) {
        sheet.write_string_with_format(0, c, name, &f.bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn xlsx_row(
    sheet: &mut rust_xlsxwriter::Worksheet,
    r: u32,
    row: &ExportRow,
    f: &XlsxFormats,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    sheet.write_string(r, 0, &row.reference)?;
    sheet.write_string(r, 1, row.channel)?;
    sheet.write_string(r, 2, row.kind)?;
    sheet.write_string(r, 3, &row.site)?;
    sheet.write_string(r, 4, &row.service)?;
    sheet.write_datetime_with_format(r, 5, &excel_datetime(row.received_at)?, &f.datetime)?;
    if let Some(d) = row.answered_on {
        sheet.write_datetime_with_format(r, 6, &excel_date(d)?, &f.date)?;
    }
    if let Some(a) = row.answer {
        sheet.write_string(r, 7, a)?;
    }
    sheet.write_boolean(r, 8, row.in_scope)?;
    if let Some(o) = row.out_of_scope {
        sheet.write_string(r, 9, o)?;
    }
    if !row.subject.is_empty() {
        sheet.write_string(r, 10, &row.subject)?;
    }
    sheet.write_datetime_with_format(r, 11, &excel_date(row.due_on)?, &f.date)?;
    if let Some(n) = row.response_working_days {
        sheet.write_number(r, 12, f64::from(n))?;
    }
    if let Some(b) = row.on_time {
        sheet.write_boolean(r, 13, b)?;
    }
    Ok(())
}

/// Deletes a partly written file unless it was kept.
struct Partial<'a>(&'a Path, bool);

impl Drop for Partial<'_> {
    fn drop(&mut self) {
        if !self.1 {
            let _ = std::fs::remove_file(self.0);
        }
    }
}

/// `qep export correspondence --year Y --output F.csv|F.xlsx [--csv-comma]`.
pub async fn export(config: &Config, year: i32, output: &Path, csv_comma: bool) -> CliResult {
    if !(1990..=2100).contains(&year) {
        return Err(CliError::Input(format!(
            "--year : année « {year} » hors de 1990 à 2100"
        )));
    }
    let extension = output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase)
        .unwrap_or_default();
    let xlsx = match extension.as_str() {
        "csv" => false,
        "xlsx" => true,
        other => {
            return Err(CliError::Input(format!(
                "--output : extension « {other} » de {} non prise en charge (attendu : .csv ou .xlsx)",
                output.display()
            )));
        }
    };
    let ctx = qep_app::Ctx::open(open(config).await?).await?;
    let store = ctx.store.clone();
    let today = ctx.today();
    let register = Register::load(&ctx, today).await?;
    let (from, to) = match (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) {
        (Some(f), Some(t)) => (f, t),
        _ => {
            return Err(CliError::Input(format!(
                "--year : année « {year} » invalide"
            )));
        }
    };
    let until = to.succ_opt().unwrap_or(to);
    // Written next to the output and renamed at the end: a failed export leaves nothing
    // half-written, and the previous file stays until the new one is complete.
    let partial = output.with_file_name(format!(
        ".{}.{}.partial",
        output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let mut guard = Partial(&partial, false);
    let write_err = |e: std::io::Error| {
        CliError::Runtime(format!("{} : écriture impossible ({e})", output.display()))
    };
    let xlsx_err =
        |e: rust_xlsxwriter::XlsxError| CliError::Runtime(format!("classeur XLSX : {e}"));
    // The visitor cannot return a CLI error: keep it, stop with a marker.
    let mut failure: Option<CliError> = None;
    let stop = || qep_store::StoreError::Backend("export interrompu".into());
    let visited = if xlsx {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let formats = XlsxFormats::new();
        let visited = {
            let sheet = workbook
                .add_worksheet_with_constant_memory()
                .map_err(xlsx_err)?;
            xlsx_header(sheet, year, &formats).map_err(xlsx_err)?;
            let mut r = 0u32;
            let visited = store
                .for_each_received(from, until, &mut |item| {
                    let done = export_row(&register, &item, today).and_then(|row| {
                        r += 1;
                        xlsx_row(sheet, r, &row, &formats).map_err(xlsx_err)
                    });
                    done.map_err(|e| {
                        failure = Some(e);
                        stop()
                    })
                })
                .await;
            if visited.is_ok() {
                sheet.autofilter(0, 0, r, 13).map_err(xlsx_err)?;
            }
            visited
        };
        if visited.is_ok() {
            workbook.save(&partial).map_err(xlsx_err)?;
        }
        visited
    } else {
        let file = std::fs::File::create(&partial).map_err(write_err)?;
        let mut sink = CsvSink::new(std::io::BufWriter::new(file), csv_comma)?;
        let visited = store
            .for_each_received(from, until, &mut |item| {
                export_row(&register, &item, today)
                    .and_then(|row| sink.write(&row))
                    .map_err(|e| {
                        failure = Some(e);
                        stop()
                    })
            })
            .await;
        if visited.is_ok() {
            use std::io::Write as _;
            sink.finish()?.flush().map_err(write_err)?;
        }
        visited
    };
    let visited = match (visited, failure) {
        (_, Some(e)) => return Err(e),
        (Err(e), None) => return Err(e.into()),
        (Ok(n), None) => n,
    };
    std::fs::rename(&partial, output).map_err(write_err)?;
    guard.1 = true;
    println!(
        "{} : {visited} élément(s) reçu(s) en {year} exporté(s).",
        output.display(),
    );
    Ok(())
}
