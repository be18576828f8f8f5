//! The indicator tables: the month-by-month view of the dashboard, one page per indicator
//! (chart, values, how it is computed, targets), value entry, local targets and the
//! validation that freezes a period.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::Datelike;
use minijinja::{Value, context};
use qep_core::indicators::{
    Cell, Comparator, Kind, Level, Period, Periodicity, Row, Source, Unit, ValuePart, YearTable,
};
use qep_store::{Conflict, IndicatorValue, LocalTarget, StoreError, ValueOrigin};
use serde::{Deserialize, Serialize};

use super::{SelectOption, form_status, redirect_with_notice};
use crate::AppState;
use crate::auth::{AdminUser, CurrentUser};
use crate::error::WebError;
use crate::form::{FieldErrors, FormData};
use crate::render::{RequestContext, page, ser};
use crate::routes;
use qep_app::indicators::{Catalogue, Entry, Results, catalogue, results};
use qep_report::number::{french as french_number, with_unit};

pub const MONTHS: [&str; 12] = [
    "Janv.", "Févr.", "Mars", "Avr.", "Mai", "Juin", "Juil.", "Août", "Sept.", "Oct.", "Nov.",
    "Déc.",
];
pub const MONTH_NAMES: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

#[derive(Deserialize)]
pub struct YearQuery {
    pub annee: Option<i32>,
}

/// The year shown by default: the latest with data, or the current one.
pub async fn default_year(state: &AppState, asked: Option<i32>) -> Result<i32, WebError> {
    if let Some(y) = asked {
        return if (1990..=2100).contains(&y) {
            Ok(y)
        } else {
            Err(WebError::NotFound)
        };
    }
    Ok(match state.store.latest_value_year().await? {
        Some(y) => y,
        None => state.app.today().year(),
    })
}

#[derive(Serialize)]
struct CellView {
    text: String,
    sampled: bool,
    level: Option<u8>,
    level_label: &'static str,
    mean_of_months: bool,
    changed: bool,
    frozen: bool,
}

fn cell_view(cell: &Option<Cell>, unit: Unit, frozen: bool, changed: bool) -> CellView {
    let (text, level, mean, sampled) = match cell {
        Some(c) => (
            c.outcome
                .value
                .map_or_else(|| "–".to_owned(), |v| with_unit(v, unit)),
            c.level,
            c.outcome.mean_of_months,
            c.outcome.sampled,
        ),
        None => (String::new(), None, false, false),
    };
    CellView {
        text,
        sampled,
        level: level.map(Level::number),
        level_label: level.map_or("", Level::label),
        mean_of_months: mean,
        changed,
        frozen,
    }
}

#[derive(Serialize)]
struct RowView {
    code: String,
    label: String,
    href: String,
    cells: Vec<CellView>,
    annual: CellView,
    target: String,
    trend: Option<(&'static str, &'static str)>,
}

#[derive(Serialize)]
struct SectionView {
    title: String,
    columns: Vec<String>,
    rows: Vec<RowView>,
}

fn row_view(row: &Row, year: i32, quarterly: bool, res: &Results) -> RowView {
    let changed = |p: Period| {
        res.changed_since_validation
            .iter()
            .any(|(c, q, _)| *c == row.code && *q == p)
    };
    let frozen = |p: Period| res.frozen.contains_key(&p);
    let cells: Vec<CellView> = if quarterly {
        (1..=4u32)
            .map(|q| {
                let p = Period::Quarter { year, quarter: q };
                cell_view(
                    &row.quarters[(q - 1) as usize],
                    row.unit,
                    frozen(p),
                    changed(p),
                )
            })
            .collect()
    } else {
        (1..=12u32)
            .map(|m| {
                let p = Period::Month { year, month: m };
                cell_view(
                    &row.months[(m - 1) as usize],
                    row.unit,
                    frozen(p),
                    changed(p),
                )
            })
            .collect()
    };
    RowView {
        code: row.code.clone(),
        label: row.label.clone(),
        href: format!(
            "{}?annee={year}",
            routes::with_code(routes::INDICATOR, &row.code)
        ),
        cells,
        annual: cell_view(
            &row.annual,
            row.unit,
            frozen(Period::Year(year)),
            changed(Period::Year(year)),
        ),
        target: row
            .target
            .map(|t| format!("{} {}", t.comparator.symbol(), with_unit(t.value, row.unit)))
            .unwrap_or_default(),
        trend: row.trend.map(|t| (t.arrow(), t.label())),
    }
}

/// The dashboard's tables: one per section of the catalogue.
pub fn sections(res: &Results) -> Vec<Value> {
    res.sections
        .iter()
        .map(|(title, table): &(String, YearTable)| {
            let quarterly = !table.rows.is_empty()
                && table
                    .rows
                    .iter()
                    .all(|r| r.months.iter().all(Option::is_none))
                && table
                    .rows
                    .iter()
                    .any(|r| r.quarters.iter().any(Option::is_some));
            let columns: Vec<String> = if quarterly {
                (1..=4).map(|q| format!("T{q}")).collect()
            } else {
                MONTHS.iter().map(|m| (*m).to_owned()).collect()
            };
            ser(SectionView {
                title: title.clone(),
                columns,
                rows: table
                    .rows
                    .iter()
                    .map(|r| row_view(r, res.year, quarterly, res))
                    .collect(),
            })
        })
        .collect()
}

/// Periods of `year` that may be validated, for the validation form.
pub fn validation_options(res: &Results) -> Vec<SelectOption> {
    let y = res.year;
    let mut periods: Vec<Period> = (1..=12).filter_map(|m| Period::month(y, m)).collect();
    periods.extend((1..=4).filter_map(|q| Period::quarter(y, q)));
    periods.push(Period::Year(y));
    periods
        .into_iter()
        .filter(|p| !res.frozen.contains_key(p))
        .map(|p| SelectOption::new(p, period_label(p)))
        .collect()
}

pub fn period_label(p: Period) -> String {
    match p {
        Period::Month { year, month } => {
            format!("{} {year}", MONTH_NAMES[(month.clamp(1, 12) - 1) as usize])
        }
        Period::Quarter { year, quarter } => format!(
            "{quarter}{} trimestre {year}",
            if quarter == 1 { "er" } else { "e" }
        ),
        Period::Year(y) => format!("année {y}"),
    }
}

pub fn frozen_list(res: &Results) -> Vec<Value> {
    res.frozen
        .iter()
        .map(|(p, f)| {
            context! {
                period => period_label(*p),
                by => f.by.clone(),
                at => qep_core::time::format_paris(f.at),
            }
        })
        .collect()
}

pub fn changed_list(res: &Results, cat: &Catalogue) -> Vec<Value> {
    res.changed_since_validation
        .iter()
        .map(|(code, p, now)| {
            let entry = cat.find(code);
            context! {
                label => entry.map_or_else(|| code.clone(), |e| e.def.label.clone()),
                period => period_label(*p),
                now => match (now, entry) {
                    (Some(v), Some(e)) => with_unit(*v, e.def.unit),
                    (Some(v), None) => french_number(*v),
                    (None, _) => "aucune valeur".to_owned(),
                },
            }
        })
        .collect()
}

/// POST: freeze a period (quality lead).
pub async fn validate(
    State(state): State<AppState>,
    admin: AdminUser,
    data: FormData,
) -> Result<Response, WebError> {
    let period =
        Period::parse(data.get("period")).map_err(|e| WebError::BadRequest(e.to_string()))?;
    let cat = catalogue(&state.app).await?;
    let actor = admin.0.actor();
    let back = format!("{}?annee={}", routes::DASHBOARD, period.year());
    match qep_app::indicators::validate(&state.app, &actor, &cat, period).await {
        Ok(n) => Ok(redirect_with_notice(
            &state,
            &back,
            &format!("{} validé : {n} résultat(s) figé(s).", period_label(period)),
        )),
        Err(StoreError::Conflict(Conflict::AlreadyValidated)) => Ok(redirect_with_notice(
            &state,
            &back,
            &format!("{} était déjà validé.", period_label(period)),
        )),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// One indicator

fn entry_or_404<'a>(cat: &'a Catalogue, code: &str) -> Result<&'a Entry, WebError> {
    cat.find(code).ok_or(WebError::NotFound)
}

fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::OnTimeRate => "taux de réponses dans le délai",
        Kind::MeanDelay => "délai moyen",
        Kind::Count => "nombre",
        Kind::Share => "proportion",
        Kind::Value => "valeur saisie ou importée",
        Kind::DailyMean => "moyenne par jour ouvré",
    }
}

fn source_label(s: Source) -> &'static str {
    match s {
        Source::Register => "calculé à partir d'un registre de QeP",
        Source::Imported => "importé (fichier)",
        Source::Entered => "saisi par le référent qualité",
    }
}

fn periodicity_label(p: Periodicity) -> &'static str {
    match p {
        Periodicity::Monthly => "mensuelle",
        Periodicity::Quarterly => "trimestrielle",
        Periodicity::Annual => "annuelle",
    }
}

/// A bar chart of the months (or quarters) with the target as a dashed line, as SVG
/// drawn by `qep_report::chart` (no script, text alternative included), the same as in
/// the printed report.
fn chart(entry: &Entry, cells: &[(String, Option<Cell>)], year: i32) -> String {
    let target = entry.def.target_for(year).map(|t| t.value);
    qep_report::chart::bars(&entry.def.label, year, cells, target)
}

#[derive(Serialize, Default)]
struct ValueForm {
    period: String,
    value: String,
    numerator: String,
    denominator: String,
}

#[derive(Serialize)]
struct TargetForm {
    year: String,
    comparator: String,
    value: String,
}

#[allow(clippy::too_many_arguments)]
async fn render_indicator(
    state: &AppState,
    ctx: &RequestContext,
    code: &str,
    year: i32,
    value_form: &ValueForm,
    target_form: Option<&TargetForm>,
    errors: &FieldErrors,
) -> Result<Response, WebError> {
    let cat = catalogue(&state.app).await?;
    let entry = entry_or_404(&cat, code)?.clone();
    let res = results(&state.app, &cat, year, None, None).await?;
    let row = res
        .sections
        .iter()
        .flat_map(|(_, t)| t.rows.iter())
        .find(|r| r.code == code)
        .ok_or(WebError::NotFound)?;
    let quarterly = entry.def.periodicity != Periodicity::Monthly;
    let cells: Vec<(String, Option<Cell>)> = if quarterly {
        (0..4)
            .map(|q| (format!("T{}", q + 1), row.quarters[q].clone()))
            .collect()
    } else {
        (0..12)
            .map(|m| (MONTHS[m].to_owned(), row.months[m].clone()))
            .collect()
    };
    let svg = chart(&entry, &cells, year);
    let stored: Vec<Value> = state
        .store
        .list_indicator_values(year)
        .await?
        .into_iter()
        .filter(|v| v.code == code && v.site.is_none())
        .map(|v| {
            let level = Period::parse(&v.period)
                .ok()
                .and_then(|p| qep_app::indicators::level_of(&entry.def, p, v.value));
            context! {
                period => v.period.clone(),
                label => Period::parse(&v.period).map(period_label).unwrap_or_default(),
                value => with_unit(v.value, entry.def.unit),
                numerator => v.numerator.map(french_number),
                denominator => v.denominator.map(french_number),
                origin => if v.origin == ValueOrigin::Imported { "importée" } else { "saisie" },
                level => level,
            }
        })
        .collect();
    let locals: Vec<(String, LocalTarget)> = state
        .store
        .list_local_targets()
        .await?
        .into_iter()
        .filter(|(c, _)| c == code)
        .collect();
    let mut years: Vec<i32> = entry
        .national
        .iter()
        .map(|t| t.year)
        .chain(locals.iter().map(|(_, t)| t.year))
        .collect();
    years.sort_unstable();
    years.dedup();
    let targets: Vec<Value> = years
        .into_iter()
        .map(|y| {
            let national = entry.national.iter().find(|t| t.year == y);
            let local = locals.iter().find(|(_, t)| t.year == y).map(|(_, t)| t);
            context! {
                year => y,
                national => national.map(|t| format!("{} {}", t.comparator.symbol(), with_unit(t.value, entry.def.unit))),
                local => local.map(|t| format!("{} {}", t.comparator.symbol(), with_unit(t.value, entry.def.unit))),
            }
        })
        .collect();
    let comparators: Vec<SelectOption> = [
        Comparator::Ge,
        Comparator::Gt,
        Comparator::Le,
        Comparator::Lt,
    ]
    .into_iter()
    .map(|c| SelectOption::new(c.as_str(), c.symbol()))
    .collect();
    let default_target = TargetForm {
        year: year.to_string(),
        comparator: entry.def.comparator.as_str().to_owned(),
        value: String::new(),
    };
    let view = context! {
        code => code,
        def => context! {
            label => entry.def.label,
            formula => entry.def.formula,
            kind => kind_label(entry.def.kind),
            unit => entry.def.unit.symbol(),
            periodicity => periodicity_label(entry.def.periodicity),
            source => source_label(entry.def.source),
            register => entry.def.register,
            deadline => entry.def.deadline_working_days,
            sampling => entry.def.sampling_allowed,
            comparator => entry.def.comparator.symbol(),
        },
        section => entry.section,
        year => year,
        previous => format!("{}?annee={}", routes::with_code(routes::INDICATOR, code), year - 1),
        next => format!("{}?annee={}", routes::with_code(routes::INDICATOR, code), year + 1),
        chart => Value::from_safe_string(svg),
        cells => ser(cells.iter().map(|(label, c)| (label.clone(), cell_view(c, entry.def.unit, false, false))).collect::<Vec<_>>()),
        annual => ser(cell_view(&row.annual, entry.def.unit, false, false)),
        target => row.target.map(|t| format!("{} {}", t.comparator.symbol(), with_unit(t.value, entry.def.unit))),
        stored => stored,
        targets => targets,
        comparators => ser(comparators),
        value_form => ser(value_form),
        target_form => ser(target_form.unwrap_or(&default_target)),
        errors => ser(errors),
        values_action => routes::with_code(routes::INDICATOR_VALUES, code),
        delete_value_action => routes::with_code(routes::INDICATOR_VALUE_DELETE, code),
        targets_action => routes::with_code(routes::INDICATOR_TARGETS, code),
        delete_target_action => routes::with_code(routes::INDICATOR_TARGET_DELETE, code),
        back => format!("{}?annee={year}", routes::DASHBOARD),
        register_based => entry.def.source == Source::Register,
    };
    page(
        state,
        ctx,
        "indicators/show.html",
        form_status(!errors.is_empty()),
        view,
    )
    .await
}

pub async fn show(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: CurrentUser,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<Response, WebError> {
    let year = default_year(&state, q.annee).await?;
    render_indicator(
        &state,
        &ctx,
        &code,
        year,
        &ValueForm::default(),
        None,
        &FieldErrors::default(),
    )
    .await
}

pub async fn save_value(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    Path(code): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let cat = catalogue(&state.app).await?;
    let entry = entry_or_404(&cat, &code)?;
    let form = ValueForm {
        period: data.get("period").trim().to_owned(),
        value: data.get("value").trim().to_owned(),
        numerator: data.get("numerator").trim().to_owned(),
        denominator: data.get("denominator").trim().to_owned(),
    };
    let mut errors = FieldErrors::default();
    let period = errors.check("value-period", Period::parse(&form.period));
    let number = qep_import::number::parse_decimal;
    let value = number(&form.value);
    if value.is_none() {
        errors.add(
            "value-value",
            format!(
                "« {} » n'est pas un nombre (virgule ou point décimal).",
                form.value
            ),
        );
    }
    let optional = |raw: &str, field: &'static str, errors: &mut FieldErrors| -> Option<f64> {
        if raw.is_empty() {
            return None;
        }
        let v = number(raw);
        if v.is_none() {
            errors.add(field, format!("« {raw} » n'est pas un nombre."));
        }
        v
    };
    let numerator = optional(&form.numerator, "value-numerator", &mut errors);
    let denominator = optional(&form.denominator, "value-denominator", &mut errors);
    // The one rule for a value, its unit and its ratio (qep-core), on the field it is about.
    if let Some(v) = value
        && (form.numerator.is_empty() || numerator.is_some())
        && (form.denominator.is_empty() || denominator.is_some())
    {
        for problem in qep_core::indicators::check_value(entry.def.unit, v, numerator, denominator)
        {
            let field = match problem.part {
                ValuePart::Value => "value-value",
                ValuePart::Numerator => "value-numerator",
                ValuePart::Denominator => "value-denominator",
            };
            errors.add(field, qep_core::french::sentence(&problem.message));
        }
    }
    let year = period.map_or_else(|| state.app.today().year(), Period::year);
    let (Some(period), Some(value)) = (period, value) else {
        return render_indicator(&state, &ctx, &code, year, &form, None, &errors).await;
    };
    if !errors.is_empty() {
        return render_indicator(&state, &ctx, &code, year, &form, None, &errors).await;
    }
    let actor = admin.0.actor();
    let v = IndicatorValue {
        code: entry.def.code.clone(),
        period: period.to_string(),
        site: None,
        value,
        numerator,
        denominator,
        weight: None,
        origin: ValueOrigin::Entered,
    };
    state
        .store
        .save_indicator_values(&actor, &[v], None)
        .await?;
    Ok(redirect_with_notice(
        &state,
        &format!(
            "{}?annee={}",
            routes::with_code(routes::INDICATOR, &code),
            period.year()
        ),
        &format!("Valeur de {} enregistrée.", period_label(period)),
    ))
}

pub async fn delete_value(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(code): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let period = Period::parse(data.get("period")).map_err(|_| WebError::NotFound)?;
    let actor = admin.0.actor();
    state
        .store
        .delete_indicator_value(&actor, &code, &period.to_string(), None)
        .await?;
    Ok(redirect_with_notice(
        &state,
        &format!(
            "{}?annee={}",
            routes::with_code(routes::INDICATOR, &code),
            period.year()
        ),
        &format!("Valeur de {} supprimée.", period_label(period)),
    ))
}

pub async fn set_target(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    Path(code): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let cat = catalogue(&state.app).await?;
    entry_or_404(&cat, &code)?;
    let form = TargetForm {
        year: data.get("year").trim().to_owned(),
        comparator: data.get("comparator").to_owned(),
        value: data.get("value").trim().to_owned(),
    };
    let mut errors = FieldErrors::default();
    let year = form
        .year
        .parse::<i32>()
        .ok()
        .filter(|y| (1990..=2100).contains(y));
    if year.is_none() {
        errors.add(
            "target-year",
            format!(
                "Année invalide « {} » (attendu : de 1990 à 2100).",
                form.year
            ),
        );
    }
    let comparator = Comparator::parse(&form.comparator);
    if comparator.is_none() {
        errors.add("target-comparator", "Choisissez un sens de comparaison.");
    }
    let value = qep_import::number::parse_decimal(&form.value);
    if value.is_none() {
        errors.add(
            "target-value",
            format!("« {} » n'est pas un nombre.", form.value),
        );
    }
    let (Some(year), Some(comparator), Some(value)) = (year, comparator, value) else {
        let shown = year.unwrap_or_else(|| state.app.today().year());
        return render_indicator(
            &state,
            &ctx,
            &code,
            shown,
            &ValueForm::default(),
            Some(&form),
            &errors,
        )
        .await;
    };
    let actor = admin.0.actor();
    state
        .store
        .set_local_target(
            &actor,
            &code,
            &LocalTarget {
                year,
                comparator,
                value,
            },
        )
        .await?;
    Ok(redirect_with_notice(
        &state,
        &format!(
            "{}?annee={year}",
            routes::with_code(routes::INDICATOR, &code)
        ),
        &format!("Cible locale {year} enregistrée."),
    ))
}

pub async fn delete_target(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(code): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let year: i32 = data.get("year").parse().map_err(|_| WebError::NotFound)?;
    let actor = admin.0.actor();
    state.store.delete_local_target(&actor, &code, year).await?;
    Ok(redirect_with_notice(
        &state,
        &format!(
            "{}?annee={year}",
            routes::with_code(routes::INDICATOR, &code)
        ),
        &format!("Cible locale {year} supprimée : la cible nationale s'applique."),
    ))
}
