//! Indicators a prefecture adds on its own (« indicateurs locaux »): values entered or
//! imported, graded like the référentiel's once a local target is set.

use axum::extract::State;
use axum::response::Response;
use minijinja::{Value, context};
use qep_core::indicators::{Comparator, IndicatorDef, Kind, Periodicity, Source, Unit};
use qep_core::referentiel::{LOCAL_PREFIX, check_local_indicator};
use serde::Serialize;

use super::{SelectOption, form_status, redirect_with_notice};
use crate::AppState;
use crate::auth::AdminUser;
use crate::error::WebError;
use crate::form::{FieldErrors, FormData};
use crate::render::{RequestContext, page, ser};
use crate::routes;
use qep_app::indicators::catalogue;

const KINDS: [(Kind, &str); 4] = [
    (Kind::Value, "Valeur saisie (moyenne des mois sur l'année)"),
    (Kind::Share, "Proportion (numérateur / dénominateur)"),
    (Kind::Count, "Nombre (les mois s'additionnent)"),
    (Kind::MeanDelay, "Délai moyen"),
];
const UNITS: [(Unit, &str); 7] = [
    (Unit::Percent, "%"),
    (Unit::PerMille, "‰"),
    (Unit::Days, "jours"),
    (Unit::WorkingDays, "jours ouvrés"),
    (Unit::Hours, "heures"),
    (Unit::Count, "nombre"),
    (Unit::Score, "note sur 5"),
];
const PERIODICITIES: [(Periodicity, &str); 3] = [
    (Periodicity::Monthly, "mensuelle"),
    (Periodicity::Quarterly, "trimestrielle"),
    (Periodicity::Annual, "annuelle"),
];

fn serde_name<T: Serialize>(t: &T) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn options<T: Serialize>(items: &[(T, &str)]) -> Vec<SelectOption> {
    items
        .iter()
        .map(|(t, label)| SelectOption::new(serde_name(t), *label))
        .collect()
}

fn pick<T: Serialize + Copy>(items: &[(T, &str)], raw: &str) -> Option<T> {
    items
        .iter()
        .find(|(t, _)| serde_name(t) == raw)
        .map(|(t, _)| *t)
}

#[derive(Serialize)]
struct LocalForm {
    code: String,
    label: String,
    formula: String,
    kind: String,
    unit: String,
    comparator: String,
    periodicity: String,
}

impl Default for LocalForm {
    fn default() -> Self {
        LocalForm {
            code: LOCAL_PREFIX.to_owned(),
            label: String::new(),
            formula: String::new(),
            kind: serde_name(&Kind::Value),
            unit: serde_name(&Unit::Percent),
            comparator: Comparator::Ge.as_str().to_owned(),
            periodicity: serde_name(&Periodicity::Monthly),
        }
    }
}

async fn render(
    state: &AppState,
    ctx: &RequestContext,
    form: &LocalForm,
    errors: &FieldErrors,
) -> Result<Response, WebError> {
    let cat = catalogue(&state.app).await?;
    let locals: Vec<Value> = cat
        .entries
        .iter()
        .filter(|e| e.def.code.starts_with(LOCAL_PREFIX))
        .map(|e| {
            context! {
                code => e.def.code.clone(),
                label => e.def.label.clone(),
                href => routes::with_code(routes::INDICATOR, &e.def.code),
                unit => e.def.unit.symbol(),
                comparator => e.def.comparator.symbol(),
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
    let view = context! {
        locals => locals,
        form => ser(form),
        errors => ser(errors),
        kinds => ser(options(&KINDS)),
        units => ser(options(&UNITS)),
        periodicities => ser(options(&PERIODICITIES)),
        comparators => ser(comparators),
        action => routes::ADMIN_LOCAL_INDICATORS,
    };
    page(
        state,
        ctx,
        "admin/local_indicators.html",
        form_status(!errors.is_empty()),
        view,
    )
    .await
}

pub async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
) -> Result<Response, WebError> {
    render(&state, &ctx, &LocalForm::default(), &FieldErrors::default()).await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    data: FormData,
) -> Result<Response, WebError> {
    let form = LocalForm {
        code: data.get("code").trim().to_lowercase(),
        label: data.get("label").trim().to_owned(),
        formula: data.get("formula").trim().to_owned(),
        kind: data.get("kind").to_owned(),
        unit: data.get("unit").to_owned(),
        comparator: data.get("comparator").to_owned(),
        periodicity: data.get("periodicity").to_owned(),
    };
    let mut errors = FieldErrors::default();
    let kind = pick(&KINDS, &form.kind);
    let unit = pick(&UNITS, &form.unit);
    let periodicity = pick(&PERIODICITIES, &form.periodicity);
    let comparator = Comparator::parse(&form.comparator);
    if kind.is_none() {
        errors.add("local-kind", "Choisissez un type.");
    }
    if unit.is_none() {
        errors.add("local-unit", "Choisissez une unité.");
    }
    if periodicity.is_none() {
        errors.add("local-periodicity", "Choisissez une périodicité.");
    }
    if comparator.is_none() {
        errors.add("local-comparator", "Choisissez un sens.");
    }
    if form.label.is_empty() || form.label.chars().count() > 300 {
        errors.add(
            "local-label",
            "Le libellé est obligatoire (300 caractères au plus).",
        );
    }
    if form.formula.chars().count() > 2000 {
        errors.add(
            "local-formula",
            "La formule tient en 2 000 caractères au plus.",
        );
    }
    let cat = catalogue(&state.app).await?;
    if cat.find(&form.code).is_some() {
        errors.add(
            "local-code",
            format!("Le code « {} » existe déjà.", form.code),
        );
    }
    let def = match (kind, unit, periodicity, comparator) {
        (Some(kind), Some(unit), Some(periodicity), Some(comparator)) if errors.is_empty() => {
            let def = IndicatorDef {
                code: form.code.clone(),
                label: form.label.clone(),
                formula: form.formula.clone(),
                kind,
                unit,
                comparator,
                periodicity,
                source: Source::Entered,
                register: None,
                deadline_working_days: None,
                sampling_allowed: false,
                targets: Vec::new(),
            };
            errors
                .check("local-code", check_local_indicator(&def))
                .map(|()| def)
        }
        _ => None,
    };
    let Some(def) = def else {
        return render(&state, &ctx, &form, &errors).await;
    };
    let json = serde_json::to_string(&def).map_err(|e| WebError::Internal(e.to_string()))?;
    let actor = admin.0.actor();
    state
        .store
        .save_local_indicator(&actor, &def.code, &json)
        .await?;
    Ok(redirect_with_notice(
        &state,
        &routes::with_code(routes::INDICATOR, &def.code),
        &format!(
            "Indicateur local « {} » créé : saisissez ses valeurs et sa cible ci-dessous.",
            def.label
        ),
    ))
}
