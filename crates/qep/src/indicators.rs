//! `qep import values` and `qep indicators`.

use std::io::Write as _;
use std::path::Path;

use chrono::NaiveDate;
use qep_app::Ctx;
use qep_app::indicators::{Catalogue, catalogue, results};
use qep_core::ids::SiteId;
use qep_core::indicators::FlatResult;
use qep_import::values::ParsedValue;
use qep_report::number::french as french_number;
use qep_store::{Actor, ImportFile, IndicatorValue, SaveOutcome, Store, ValueOrigin};

use crate::config::Config;
use crate::db::DatabaseUrl;
use crate::error::{CliError, CliResult};

async fn open(config: &Config) -> CliResult<std::sync::Arc<dyn Store>> {
    DatabaseUrl::parse(&config.database_url)?.open().await
}

/// Checks `bytes` as a values file against the catalogue; every error at once.
pub fn check_values(
    name: &str,
    bytes: &[u8],
    catalogue: &Catalogue,
) -> Result<Vec<ParsedValue>, Vec<String>> {
    let table = qep_import::table::read(name, bytes).map_err(|e| vec![e.to_string()])?;
    qep_import::values::parse(&table, &|code| catalogue.find(code).map(|e| e.def.clone()))
        .map_err(|errors| errors.iter().map(ToString::to_string).collect())
}

/// Saves checked values in one transaction; the same file twice changes nothing.
pub async fn save_values(
    store: &dyn Store,
    actor: &Actor,
    name: &str,
    bytes: &[u8],
    rows: &[ParsedValue],
) -> CliResult<SaveOutcome> {
    let values: Vec<IndicatorValue> = rows
        .iter()
        .map(|r| IndicatorValue {
            code: r.code.clone(),
            period: r.period.to_string(),
            site: None,
            value: r.value,
            numerator: r.numerator,
            denominator: r.denominator,
            weight: None,
            origin: ValueOrigin::Imported,
        })
        .collect();
    let file = ImportFile {
        kind: "values".into(),
        file_name: name.to_owned(),
        sha256: qep_import::sha256_hex(bytes),
    };
    Ok(store
        .save_indicator_values(actor, &values, Some(&file))
        .await?)
}

pub async fn import_values(config: &Config, path: &Path, dry_run: bool) -> CliResult {
    let name = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::Input(format!("{name} : lecture impossible ({e})")))?;
    let ctx = Ctx::open(open(config).await?).await?;
    let store = ctx.store.clone();
    let cat = catalogue(&ctx).await?;
    let rows = match check_values(&name, &bytes, &cat) {
        Ok(rows) => rows,
        Err(errors) => {
            for e in &errors {
                eprintln!("qep : {e}");
            }
            return Err(CliError::Input(format!(
                "{name} : {} erreur(s), rien n'a été importé",
                errors.len()
            )));
        }
    };
    if dry_run {
        println!(
            "{name} : {} valeur(s) valides, rien n'a été enregistré (--dry-run).",
            rows.len()
        );
        return Ok(());
    }
    match save_values(&*store, &Actor::cli(), &name, &bytes, &rows).await? {
        SaveOutcome::Saved { rows } => println!("{name} : {rows} valeur(s) importée(s)."),
        SaveOutcome::AlreadyImported { file_name, at, by } => println!(
            "{name} : fichier déjà importé ({file_name}, le {} par {by}) ; rien n'a changé.",
            qep_core::time::format_paris(at)
        ),
    }
    Ok(())
}

async fn site_id(store: &dyn Store, wanted: &str) -> CliResult<SiteId> {
    let sites = store.list_sites().await?;
    sites
        .iter()
        .find(|s| s.id.0.to_string() == wanted.trim() || s.name.eq_ignore_ascii_case(wanted.trim()))
        .map(|s| s.id)
        .ok_or_else(|| {
            let names: Vec<String> = sites
                .iter()
                .map(|s| format!("{} ({})", s.name, s.id))
                .collect();
            CliError::Input(format!(
                "site inconnu « {wanted} » (sites : {})",
                names.join(", ")
            ))
        })
}

pub async fn print(
    config: &Config,
    year: i32,
    as_of: Option<NaiveDate>,
    site: Option<&str>,
    format: &str,
) -> CliResult {
    if !(1990..=2100).contains(&year) {
        return Err(CliError::Input(format!(
            "--year : année « {year} » hors de 1990 à 2100"
        )));
    }
    let ctx = Ctx::open(open(config).await?).await?;
    let store = ctx.store.clone();
    let site = match site {
        Some(s) => Some(site_id(&*store, s).await?),
        None => None,
    };
    let cat = catalogue(&ctx).await?;
    let res = results(&ctx, &cat, year, site, as_of).await?;
    let mut out = std::io::stdout().lock();
    match format {
        "json" => {
            let flat = res.flat();
            serde_json::to_writer_pretty(&mut out, &flat)
                .map_err(|e| match e.io_error_kind() {
                    Some(std::io::ErrorKind::BrokenPipe) => CliError::BrokenPipe,
                    _ => CliError::Runtime(e.to_string()),
                })
                .and_then(|()| writeln!(out).map_err(CliError::from))
        }
        "csv" => write_csv(&mut out, &res.flat()),
        _ => write_table(&mut out, &res),
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn write_csv(out: &mut impl std::io::Write, rows: &[FlatResult]) -> CliResult {
    writeln!(
        out,
        "code,label,period,value,numerator,denominator,target,comparator,level,pending,sampled"
    )?;
    for r in rows {
        let label = qep_core::csv_cell::field(&r.label, ',');
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            qep_core::csv_cell::field(&r.code, ','),
            label,
            r.period,
            opt(r.value),
            opt(r.numerator),
            opt(r.denominator),
            opt(r.target),
            r.comparator.map(|c| c.as_str()).unwrap_or_default(),
            r.level.map(|l| l.number().to_string()).unwrap_or_default(),
            r.pending,
            r.sampled
        )?;
    }
    Ok(())
}

fn write_table(out: &mut impl std::io::Write, res: &qep_app::indicators::Results) -> CliResult {
    const MONTHS: [&str; 12] = [
        "janv", "févr", "mars", "avr", "mai", "juin", "juil", "août", "sept", "oct", "nov", "déc",
    ];
    let cell = |c: &Option<qep_core::indicators::Cell>| match c {
        Some(c) => match c.outcome.value {
            Some(v) => format!(
                "{}{}{}",
                french_number(v),
                if c.outcome.mean_of_months { "*" } else { "" },
                c.level
                    .map(|l| format!(" ({})", l.number()))
                    .unwrap_or_default()
            ),
            None => "–".into(),
        },
        None => String::new(),
    };
    writeln!(
        out,
        "Indicateurs {} (niveau entre parenthèses : 1 cible atteinte, 2 écart < 25 %, 3 de 25 à 50 %, 4 > 50 % ; * moyenne des mois, faute de numérateurs et dénominateurs)",
        res.year
    )?;
    for (title, table) in &res.sections {
        writeln!(out, "\n{title}")?;
        writeln!(out, "code\t{}\tannée\tcible", MONTHS.join("\t"))?;
        for row in &table.rows {
            let months: Vec<String> = row.months.iter().map(cell).collect();
            let target = row
                .target
                .map(|t| format!("{} {}", t.comparator.symbol(), french_number(t.value)))
                .unwrap_or_default();
            writeln!(
                out,
                "{}\t{}\t{}\t{}",
                row.code,
                months.join("\t"),
                cell(&row.annual),
                target
            )?;
        }
    }
    for (code, period, now) in &res.changed_since_validation {
        writeln!(
            out,
            "\nattention : {code} {period} a changé depuis la validation (aujourd'hui : {})",
            now.map_or_else(|| "aucune valeur".to_owned(), french_number)
        )?;
    }
    Ok(())
}

/// `qep export xlsx|csv`: the year's tables as the prefectures lay them out. `csv: None`
/// writes XLSX; `Some(comma)` writes CSV.
pub async fn export_tables(
    config: &Config,
    year: i32,
    output: &Path,
    csv: Option<bool>,
) -> CliResult {
    if !(1990..=2100).contains(&year) {
        return Err(CliError::Input(format!(
            "--year : année « {year} » hors de 1990 à 2100"
        )));
    }
    let ctx = Ctx::open(open(config).await?).await?;
    let (bytes, rows) = qep_app::documents::tables(&ctx, year, csv)
        .await
        .map_err(|e| match e {
            qep_app::documents::TablesError::Store(e) => e.into(),
            other => CliError::Runtime(other.to_string()),
        })?;
    std::fs::write(output, bytes)
        .map_err(|e| CliError::Runtime(format!("{} : {e}", output.display())))?;
    println!("{} écrit ({rows} indicateurs).", output.display());
    Ok(())
}
