//! The public results page: the prefecture's latest validated figures, for anyone, with an
//! open-data file in the layout of the Services Publics + results export. Only validated
//! (frozen) periods are public: what was published never changes silently.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use minijinja::{Value, context};
use qep_core::indicators::{Period, Periodicity, grade};

use crate::AppState;
use crate::error::WebError;
use crate::render::{RequestContext, page};
use qep_app::indicators::{Catalogue, Frozen, catalogue};
use qep_report::number::{french as french_number, with_unit};

/// A validated period with its frozen values.
struct Published {
    period: Period,
    validated_at: chrono::DateTime<chrono::Utc>,
    values: Vec<Frozen>,
}

/// The latest validated period of each periodicity (month, quarter, year): from the most
/// recent year that has validations, and the year before it.
async fn latest(state: &AppState) -> Result<Vec<Published>, WebError> {
    let mut year = state.app.today().year();
    let mut found = Vec::new();
    while year >= 1990 && found.is_empty() {
        found = state.store.list_validations(year).await?;
        year -= 1;
    }
    if !found.is_empty() {
        found.extend(state.store.list_validations(year).await?);
    }
    let all: Vec<Published> = found
        .into_iter()
        .filter_map(|v| {
            Some(Published {
                period: Period::parse(&v.period).ok()?,
                validated_at: v.validated_at,
                values: serde_json::from_str(&v.snapshot).unwrap_or_default(),
            })
        })
        .collect();
    // The newest of each periodicity, keeping that order: months, quarters, year.
    let mut out: Vec<Published> = Vec::new();
    for kind in [
        Periodicity::Monthly,
        Periodicity::Quarterly,
        Periodicity::Annual,
    ] {
        if let Some(best) = all
            .iter()
            .filter(|p| p.period.periodicity() == kind)
            .max_by_key(|p| p.period.last_day())
        {
            out.push(Published {
                period: best.period,
                validated_at: best.validated_at,
                values: best.values.clone(),
            });
        }
    }
    Ok(out)
}

fn period_label(p: Period) -> String {
    super::indicators::period_label(p)
}

fn rows(cat: &Catalogue, published: &Published) -> Vec<Value> {
    cat.entries
        .iter()
        .filter_map(|e| {
            let frozen = published.values.iter().find(|v| v.code == e.def.code)?;
            let value = frozen.value?;
            let target = e.def.target_for(published.period.year());
            let level = target.and_then(|t| grade(value, t));
            Some(context! {
                section => e.section.clone(),
                label => e.def.label.clone(),
                value => with_unit(value, e.def.unit),
                target => target.map(|t| format!("{} {}", t.comparator.symbol(), with_unit(t.value, e.def.unit))),
                level => level.map(|l| l.number()),
                level_label => level.map(|l| l.label()),
            })
        })
        .collect()
}

pub async fn page_html(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, WebError> {
    let cat = catalogue(&state.app).await?;
    let blocks: Vec<Value> = latest(&state)
        .await?
        .iter()
        .map(|p| {
            context! {
                period => period_label(p.period),
                validated_at => qep_core::time::format_paris(p.validated_at),
                rows => rows(&cat, p),
            }
        })
        .collect();
    let view = context! {
        blocks => blocks,
        csv => crate::routes::RESULTS_CSV,
        levels => qep_core::indicators::Level::ALL
            .iter()
            .map(|l| context! { number => l.number(), label => l.label() })
            .collect::<Vec<_>>(),
    };
    page(&state, &ctx, "public/results.html", StatusCode::OK, view).await
}

/// The validated figures as open data: one row per indicator and period, columns after the
/// Services Publics + results export (structure, indicator, period, frequency, value, unit,
/// update date); `;` and a UTF-8 BOM for spreadsheets.
pub async fn open_data(State(state): State<AppState>) -> Result<Response, WebError> {
    let cat = catalogue(&state.app).await?;
    let prefecture = state.store.find_prefecture().await?;
    let (structure_code, structure) = prefecture
        .map(|p| (format!("PREF-{}", p.department.code()), p.name))
        .unwrap_or_default();
    let quote = |s: &str| {
        format!(
            "\"{}\"",
            qep_core::csv_cell::neutralised(s).replace('"', "\"\"")
        )
    };
    let mut out = String::from("\u{feff}");
    out.push_str("code_structure;intitule_de_la_structure;code_indicateur;intitule_indicateur;debut_periode;fin_periode;frequence;valeur;unite;date_de_mise_a_jour\r\n");
    for p in latest(&state).await? {
        let frequency = match p.period.periodicity() {
            Periodicity::Monthly => "mensuelle",
            Periodicity::Quarterly => "trimestrielle",
            Periodicity::Annual => "annuelle",
        };
        for e in &cat.entries {
            let Some(value) = p
                .values
                .iter()
                .find(|v| v.code == e.def.code)
                .and_then(|v| v.value)
            else {
                continue;
            };
            out.push_str(
                &[
                    quote(&structure_code),
                    quote(&structure),
                    quote(&e.def.code),
                    quote(&e.def.label),
                    p.period.first_day().to_string(),
                    p.period.last_day().to_string(),
                    frequency.to_owned(),
                    french_number(value).replace('\u{202f}', ""),
                    quote(e.def.unit.symbol()),
                    qep_core::time::to_paris(p.validated_at).date().to_string(),
                ]
                .join(";"),
            );
            out.push_str("\r\n");
        }
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"resultats-qualite.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}
