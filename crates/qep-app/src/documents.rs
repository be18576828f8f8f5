//! What the printed documents are made of, gathered from the store: the yearly quality
//! report's input and the quarterly Transparence poster's. The command line and the web
//! pages both render from these.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use qep_core::indicators::{Cell, Row};
use qep_core::referentiel;
use qep_pdf::{BilanInput, Chart, CorrespondenceSummary, PosterFigure, PosterInput, Scope, Texts};
use qep_store::{CorrespondenceQuery, Store, StoreError, StoreResult};

use qep_core::registers::deadline::{self, ItemState};

use crate::Ctx;
use crate::indicators::{Catalogue, catalogue, results};

/// The six Transparence figures, with the plain words the poster uses.
pub const TRANSPARENCE: [(&str, &str); 6] = [
    (
        "tr.titles_satisfaction",
        "Usagers satisfaits de la délivrance de leur titre",
    ),
    ("tr.phone.answered", "Appels décrochés en préfecture"),
    (
        "tr.id_passport.delay",
        "Délai moyen de délivrance des cartes d'identité et passeports",
    ),
    (
        "tr.driving_licence.delay",
        "Délai moyen de délivrance des permis de conduire",
    ),
    (
        "tr.vehicle_registration.delay",
        "Délai moyen de délivrance des certificats d'immatriculation",
    ),
    (
        "tr.effort_score",
        "Score d'effort ressenti pour les démarches en ligne",
    ),
];

/// The prefecture's name as documents print it.
pub async fn prefecture_name(store: &dyn Store) -> StoreResult<String> {
    Ok(store
        .find_prefecture()
        .await?
        .map_or_else(|| "Préfecture".to_owned(), |p| p.name))
}

#[derive(Debug, thiserror::Error)]
pub enum TablesError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("classeur : {0}")]
    Workbook(String),
}

/// The year's tables as the prefectures lay them out: an XLSX workbook (`csv: None`) or
/// CSV (`Some(comma)`: `,` separator, else `;` with a BOM for French Excel). Also returns
/// how many indicators they hold.
pub async fn tables(
    ctx: &Ctx,
    year: i32,
    csv: Option<bool>,
) -> Result<(Vec<u8>, usize), TablesError> {
    let store = ctx.store();
    let cat = catalogue(ctx).await?;
    let res = results(ctx, &cat, year, None, None).await?;
    let bytes = match csv {
        Some(comma) => qep_report::csv(year, &res.sections, comma).into_bytes(),
        None => qep_report::workbook(&prefecture_name(store).await?, year, &res.sections)
            .map_err(|e| TablesError::Workbook(e.to_string()))?,
    };
    let rows = res.sections.iter().map(|(_, t)| t.rows.len()).sum();
    Ok((bytes, rows))
}

const MONTH_LABELS: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

/// Charts for a module: its first two indicators with a target and values in the year.
fn charts(year: i32, sections: &[(String, qep_core::indicators::YearTable)]) -> Vec<Chart> {
    let mut out = Vec::new();
    for (_, table) in sections {
        let mut taken = 0;
        for row in &table.rows {
            if taken == 2 || row.target.is_none() {
                continue;
            }
            let cells: Vec<(String, Option<Cell>)> = if row.months.iter().any(Option::is_some) {
                MONTH_LABELS
                    .iter()
                    .zip(&row.months)
                    .map(|(l, c)| ((*l).to_owned(), c.clone()))
                    .collect()
            } else if row.quarters.iter().any(Option::is_some) {
                (1..=4)
                    .zip(&row.quarters)
                    .map(|(q, c)| (format!("T{q}"), c.clone()))
                    .collect()
            } else {
                continue;
            };
            taken += 1;
            out.push(Chart {
                title: format!("{} ({})", row.label, row.code),
                svg: qep_report::chart::bars(&row.label, year, &cells, row.target.map(|t| t.value)),
            });
        }
    }
    out
}

/// The year's correspondence in scope by channel and theme, and its on-time rate by the
/// one rule ([`deadline::state`] as of `as_of`, as the indicator engine counts it: items
/// answered on time over items answered or already late).
async fn correspondence(
    ctx: &Ctx,
    year: i32,
    as_of: NaiveDate,
) -> StoreResult<Option<CorrespondenceSummary>> {
    let store = ctx.store();
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(None);
    };
    let items = store
        .list_correspondence(&CorrespondenceQuery {
            services: None,
            open_only: false,
            due_by: None,
            received_from: Some(from),
            received_to: Some(to),
            // Every item of the year (0: no limit).
            limit: 0,
            offset: 0,
        })
        .await?;
    if items.is_empty() {
        return Ok(None);
    }
    let calendars = ctx
        .calendars
        .sites(store, items.iter().map(|i| i.site), as_of)
        .await?;
    let mut by_channel: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_theme: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut out_of_scope, mut decided, mut on_time) = (0, 0u64, 0u64);
    for item in &items {
        if !item.in_scope {
            out_of_scope += 1;
            continue;
        }
        *by_channel.entry(item.channel.label()).or_default() += 1;
        *by_theme.entry(item.kind.label()).or_default() += 1;
        let Some(calendar) = calendars.get(&item.site) else {
            continue;
        };
        let state = deadline::state(
            calendar,
            item.received_on,
            item.deadline_days,
            item.answered_on,
            as_of,
        );
        match state.map(ItemState::on_time) {
            Ok(Some(ok)) => {
                decided += 1;
                on_time += u64::from(ok);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(item = %item.reference, error = %e, "outside the calendar"),
        }
    }
    Ok(Some(CorrespondenceSummary {
        by_channel: by_channel
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        by_theme: by_theme
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        out_of_scope,
        total: items.len() as u64,
        answered_on_time_rate: (decided > 0).then(|| on_time as f64 / decided as f64 * 100.0),
    }))
}

/// The report's stored texts: `introduction`, `conclusion` and `module-N`.
pub fn texts_of(pairs: Vec<(String, String)>) -> Texts {
    let mut texts = Texts::default();
    for (section, body) in pairs {
        match section.as_str() {
            "introduction" => texts.introduction = Some(body),
            "conclusion" => texts.conclusion = Some(body),
            other => {
                if let Some(n) = other.strip_prefix("module-").and_then(|n| n.parse().ok()) {
                    texts.module_comments.push((n, body));
                }
            }
        }
    }
    texts
}

/// The yearly quality report of `year`. Surveys, the action plan and the audit calendar
/// are not kept in QeP yet: those sections say so.
pub async fn bilan_input(ctx: &Ctx, year: i32, author: &str) -> StoreResult<BilanInput> {
    let store = ctx.store();
    let today = ctx.today();
    let texts = texts_of(store.report_texts(year).await?);
    let settings = store.find_prefecture().await?;
    let cat: Catalogue = catalogue(ctx).await?;
    let res = results(ctx, &cat, year, None, None).await?;
    let (prefecture, department_name, scope) = match &settings {
        Some(s) => {
            let version = referentiel::find(&s.scope.referentiel);
            let modules = s
                .scope
                .modules
                .iter()
                .map(|n| {
                    let title = version
                        .and_then(|v| v.modules.iter().find(|m| m.number == *n))
                        .map_or_else(String::new, |m| m.title.clone());
                    (*n, title)
                })
                .collect();
            let sites = store
                .list_sites()
                .await?
                .into_iter()
                .map(|s| s.name)
                .collect();
            (
                s.name.clone(),
                Some(s.department.name().to_owned()),
                Scope {
                    modules,
                    sites,
                    referentiel: version
                        .map_or_else(|| s.scope.referentiel.clone(), |v| v.title.clone()),
                    label_status: None,
                },
            )
        }
        None => (prefecture_name(store).await?, None, Scope::default()),
    };
    Ok(BilanInput {
        prefecture,
        department_name,
        year,
        edited_on: today,
        author: author.to_owned(),
        scope,
        charts: charts(year, &res.sections),
        sections: res.sections,
        correspondence: correspondence(ctx, year, today).await?,
        surveys: None,
        actions: None,
        calendar: None,
        texts,
    })
}

fn quarter_cell(row: &Row, quarter: u32) -> Option<f64> {
    let i = usize::try_from(quarter.checked_sub(1)?).ok()?;
    row.quarters.get(i)?.as_ref()?.outcome.value
}

/// The Transparence poster of `quarter` (1 to 4) of `year`, with the previous quarter.
pub async fn poster_input(ctx: &Ctx, year: i32, quarter: u32) -> StoreResult<PosterInput> {
    let store = ctx.store();
    let today = ctx.today();
    let cat = catalogue(ctx).await?;
    let current = results(ctx, &cat, year, None, None).await?;
    let previous_year = if quarter == 1 {
        Some(results(ctx, &cat, year - 1, None, None).await?)
    } else {
        None
    };
    let find = |res: &crate::indicators::Results, code: &str| -> Option<Row> {
        res.sections
            .iter()
            .flat_map(|(_, t)| t.rows.iter())
            .find(|r| r.code == code)
            .cloned()
    };
    let mut figures = Vec::new();
    for (code, label) in TRANSPARENCE {
        let row = find(&current, code);
        let value = row.as_ref().and_then(|r| quarter_cell(r, quarter));
        let previous = match &previous_year {
            Some(prev) => find(prev, code).and_then(|r| quarter_cell(&r, 4)),
            None => row.as_ref().and_then(|r| quarter_cell(r, quarter - 1)),
        };
        let def = cat.find(code).map(|e| &e.def);
        figures.push(PosterFigure {
            label: label.to_owned(),
            unit: def.map_or(qep_core::indicators::Unit::Count, |d| d.unit),
            value,
            previous,
            target: row.as_ref().and_then(|r| r.target).map(|t| t.value),
        });
    }
    Ok(PosterInput {
        prefecture: prefecture_name(store).await?,
        year,
        quarter,
        updated_on: today,
        figures,
    })
}
