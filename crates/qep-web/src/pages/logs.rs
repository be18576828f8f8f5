//! The registers' index and the simpler registers' pages: elected officials' meetings,
//! website and voice-server updates, PAN visits, crisis log. Agents and the quality lead
//! record entries; later dates (a meeting fixed, then held; an update published) are added
//! as they happen. The indicators read these registers directly.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use minijinja::{Value, context};
use qep_core::account::Role;
use qep_core::ids::{LogEntryId, ServiceId, SiteId};
use qep_core::registers::log::{LogEntry, LogRegister, check_dates};
use qep_store::SessionUser;
use serde::{Deserialize, Serialize};

use super::{SelectOption, form_status, parse_id, redirect_with_notice, site_options};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::form::{FieldErrors, FormData};
use crate::render::{RequestContext, page, ser};
use crate::routes;

fn require_access(s: &SessionUser) -> Result<(), WebError> {
    if s.user.role == Role::Viewer {
        Err(WebError::Forbidden)
    } else {
        Ok(())
    }
}

fn register_of(slug: &str) -> Result<LogRegister, WebError> {
    LogRegister::parse(slug).ok_or(WebError::NotFound)
}

pub async fn index(
    State(state): State<AppState>,
    ctx: RequestContext,
    CurrentUser(session): CurrentUser,
) -> Result<Response, WebError> {
    require_access(&session)?;
    let mut registers = vec![context! {
        label => "Courrier, courriels et réclamations",
        href => routes::REGISTER,
        description => "Demandes d'information, réclamations, suggestions, demandes des collectivités : échéances en jours ouvrés, réponses, transferts.",
    }];
    for r in LogRegister::ALL {
        registers.push(context! {
            label => r.label(),
            href => routes::with_register(routes::LOG_REGISTER, r.slug()),
            description => match r {
                LogRegister::OfficialsMeetings => "Demandes de rendez-vous des élus : fixé sous 4 jours ouvrés, tenu sous 10.",
                LogRegister::WebUpdates => "Demandes de mise à jour du site internet : publiées sous 3 jours ouvrés.",
                LogRegister::IvrUpdates => "Demandes de mise à jour du serveur vocal : publiées sous 3 jours ouvrés.",
                LogRegister::PanVisits => "Visites au point d'accès numérique : démarche, durée, issue, mandat de médiation.",
                LogRegister::CrisisLog => "Activations de la cellule de communication d'urgence et exercices.",
                LogRegister::Trainings => "Formations des agents par engagement, avec le renouvellement tous les 4 ans.",
            },
        });
    }
    page(
        &state,
        &ctx,
        "registers/index.html",
        StatusCode::OK,
        context! { registers => registers },
    )
    .await
}

#[derive(Deserialize)]
pub struct YearQuery {
    annee: Option<i32>,
}

#[derive(Serialize, Default)]
struct EntryForm {
    site_id: String,
    service_id: String,
    started_on: String,
    first_on: String,
    second_on: String,
    category: String,
    minutes: String,
    label: String,
    flag: bool,
    commitment: String,
}

fn date_text(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

async fn render(
    state: &AppState,
    ctx: &RequestContext,
    register: LogRegister,
    year: i32,
    form: &EntryForm,
    errors: &FieldErrors,
) -> Result<Response, WebError> {
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Err(WebError::NotFound);
    };
    let sites = state.store.list_sites().await?;
    let entries = state
        .store
        .list_log_entries(Some(register), from, to)
        .await?;
    let (start_label, first_label, second_label) = register.date_labels();
    let category_label = |c: &str| {
        register
            .categories()
            .iter()
            .find(|(code, _)| *code == c)
            .map_or_else(String::new, |(_, l)| (*l).to_owned())
    };
    let rows: Vec<Value> = entries
        .iter()
        .map(|e| {
            context! {
                id => e.id.0,
                action => format!("{}/{}", routes::with_register(routes::LOG_REGISTER, register.slug()), e.id),
                site => sites.iter().find(|s| s.id == e.site).map(|s| s.name.clone()),
                started_on => date_text(Some(e.entry.started_on)),
                first_on => date_text(e.entry.first_on),
                first_raw => e.entry.first_on.map(|d| d.to_string()).unwrap_or_default(),
                second_on => date_text(e.entry.second_on),
                second_raw => e.entry.second_on.map(|d| d.to_string()).unwrap_or_default(),
                category => if register == LogRegister::Trainings { e.entry.category.clone() } else { category_label(&e.entry.category) },
                minutes => e.entry.minutes,
                label => e.entry.label.clone(),
                flag => e.entry.flag,
                commitment => e.entry.commitment,
                renewal => date_text(qep_core::registers::log::renewal_due(&e.entry)),
                open => (first_label.is_some() && e.entry.first_on.is_none())
                    || (second_label.is_some() && e.entry.second_on.is_none()),
            }
        })
        .collect();
    // Trainings due for renewal within 90 days (the latest per agent and commitment), from
    // every year, not only the one shown.
    let renewals: Vec<Value> = if register == LogRegister::Trainings {
        let all = state
            .store
            .list_log_entries(
                Some(register),
                NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or(from),
                state.app.today(),
            )
            .await?;
        let mut latest: Vec<&qep_store::StoredLogEntry> = Vec::new();
        for e in &all {
            match latest.iter_mut().find(|l| {
                l.entry.label == e.entry.label && l.entry.commitment == e.entry.commitment
            }) {
                Some(l) if l.entry.started_on < e.entry.started_on => *l = e,
                Some(_) => {}
                None => latest.push(e),
            }
        }
        let horizon = state.app.today() + chrono::Duration::days(90);
        latest
            .into_iter()
            .filter_map(|e| qep_core::registers::log::renewal_due(&e.entry).map(|due| (e, due)))
            .filter(|(_, due)| *due <= horizon)
            .map(|(e, due)| {
                context! {
                    agent => e.entry.label.clone(),
                    training => e.entry.category.clone(),
                    commitment => e.entry.commitment,
                    due => date_text(Some(due)),
                    overdue => due < state.app.today(),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let categories: Vec<SelectOption> = register
        .categories()
        .iter()
        .map(|(c, l)| SelectOption::new(c, *l))
        .collect();
    let base = routes::with_register(routes::LOG_REGISTER, register.slug());
    let view = context! {
        register => context! {
            label => register.label(),
            code => register.as_str(),
            minutes_label => match register {
                LogRegister::PanVisits => Some("Durée de la visite (minutes)"),
                LogRegister::CrisisLog => Some("Délai d'information des élus (minutes)"),
                _ => None,
            },
            label_label => match register {
                LogRegister::OfficialsMeetings => "Élu ou collectivité",
                LogRegister::WebUpdates | LogRegister::IvrUpdates => "Contenu à mettre à jour",
                LogRegister::PanVisits => "Issue de la visite",
                LogRegister::CrisisLog => "Évènement",
                LogRegister::Trainings => "Agent",
            },
            is_training => register == LogRegister::Trainings,
            has_flag => register == LogRegister::PanVisits,
        },
        start_label => start_label,
        first_label => first_label,
        second_label => second_label,
        rows => rows,
        renewals => renewals,
        year => year,
        previous => format!("{base}?annee={}", year - 1),
        next => format!("{base}?annee={}", year + 1),
        sites => ser(site_options(&sites)),
        categories => ser(categories),
        form => ser(form),
        errors => ser(errors),
        action => base,
        back => routes::REGISTERS,
    };
    page(
        state,
        ctx,
        "registers/log.html",
        form_status(!errors.is_empty()),
        view,
    )
    .await
}

pub async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    CurrentUser(session): CurrentUser,
    Path(slug): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<Response, WebError> {
    require_access(&session)?;
    let register = register_of(&slug)?;
    let year = q
        .annee
        .filter(|y| (1990..=2100).contains(y))
        .unwrap_or_else(|| state.app.today().year());
    let form = EntryForm {
        started_on: state.app.today().to_string(),
        ..Default::default()
    };
    render(&state, &ctx, register, year, &form, &FieldErrors::default()).await
}

fn optional_date(
    raw: &str,
    field: &'static str,
    today: NaiveDate,
    errors: &mut FieldErrors,
) -> Option<NaiveDate> {
    if raw.is_empty() {
        return None;
    }
    let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|d| *d <= today);
    if d.is_none() {
        errors.add(field, "Date invalide (au plus tard aujourd'hui).");
    }
    d
}

pub async fn add(
    State(state): State<AppState>,
    ctx: RequestContext,
    CurrentUser(session): CurrentUser,
    Path(slug): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    require_access(&session)?;
    let register = register_of(&slug)?;
    let form = EntryForm {
        site_id: data.get("site_id").to_owned(),
        service_id: data.get("service_id").to_owned(),
        started_on: data.get("started_on").trim().to_owned(),
        first_on: data.get("first_on").trim().to_owned(),
        second_on: data.get("second_on").trim().to_owned(),
        category: data.get("category").to_owned(),
        minutes: data.get("minutes").trim().to_owned(),
        label: data.get("label").trim().to_owned(),
        flag: data.has("flag"),
        commitment: data.get("commitment").trim().to_owned(),
    };
    let mut errors = FieldErrors::default();
    let sites = state.store.list_sites().await?;
    let site = form
        .site_id
        .parse::<i64>()
        .ok()
        .filter(|id| sites.iter().any(|s| s.id.0 == *id))
        .map(SiteId);
    if site.is_none() {
        errors.add("log-site", "Choisissez le site.");
    }
    let started_on = NaiveDate::parse_from_str(&form.started_on, "%Y-%m-%d")
        .ok()
        .filter(|d| *d <= state.app.today());
    if started_on.is_none() {
        errors.add(
            "log-started-on",
            "Date invalide (au plus tard aujourd'hui).",
        );
    }
    let first_on = optional_date(
        &form.first_on,
        "log-first-on",
        state.app.today(),
        &mut errors,
    );
    let second_on = optional_date(
        &form.second_on,
        "log-second-on",
        state.app.today(),
        &mut errors,
    );
    let minutes = if form.minutes.is_empty() {
        None
    } else {
        let m = form.minutes.parse::<u32>().ok().filter(|m| *m <= 24 * 60);
        if m.is_none() {
            errors.add("log-minutes", "Nombre de minutes invalide (0 à 1 440).");
        }
        m
    };
    if form.label.chars().count() > 200 || form.label.chars().any(char::is_control) {
        errors.add("log-label", "200 caractères au plus.");
    }
    if !register.categories().is_empty() && form.category.is_empty() {
        errors.add("log-category", "Choisissez une catégorie.");
    }
    let commitment = if register != LogRegister::Trainings || form.commitment.is_empty() {
        None
    } else {
        let c = form
            .commitment
            .parse::<u16>()
            .ok()
            .filter(|c| (1..=200).contains(c));
        if c.is_none() {
            errors.add(
                "log-commitment",
                "Numéro d'engagement invalide (par exemple 4, 28 ou 33).",
            );
        }
        c
    };
    if register == LogRegister::Trainings {
        if form.label.is_empty() {
            errors.add("log-label", "Indiquez l'agent formé.");
        }
        if form.category.is_empty() || form.category.chars().count() > 200 {
            errors.add(
                "log-category",
                "Indiquez la formation (200 caractères au plus).",
            );
        }
    }
    let (Some(site), Some(started_on)) = (site, started_on) else {
        return render(
            &state,
            &ctx,
            register,
            state.app.today().year(),
            &form,
            &errors,
        )
        .await;
    };
    let entry = LogEntry {
        register,
        started_on,
        first_on,
        second_on,
        category: form.category.clone(),
        minutes,
        label: form.label.clone(),
        flag: (register == LogRegister::PanVisits).then_some(form.flag),
        commitment,
    };
    if errors.is_empty()
        && let Err(e) = check_dates(&entry)
    {
        errors.add("log-started-on", format!("Dates incohérentes : {e}."));
    }
    if !errors.is_empty() {
        return render(&state, &ctx, register, started_on.year(), &form, &errors).await;
    }
    let service = form.service_id.parse::<i64>().ok().map(ServiceId);
    // An agent files entries for their own services only (the form offers no other).
    if session.user.role.is_limited_to_own_services()
        && service.is_some_and(|s| !session.user.services.contains(&s))
    {
        return Err(WebError::Forbidden);
    }
    let actor = session.actor();
    state
        .store
        .insert_log_entry(&actor, site, service, &entry)
        .await?;
    Ok(redirect_with_notice(
        &state,
        &format!(
            "{}?annee={}",
            routes::with_register(routes::LOG_REGISTER, register.slug()),
            started_on.year()
        ),
        "Entrée enregistrée.",
    ))
}

pub async fn update(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    data: FormData,
) -> Result<Response, WebError> {
    require_access(&session)?;
    let register = register_of(&slug)?;
    let stored = state
        .store
        .get_log_entry(LogEntryId(parse_id(&id)?))
        .await?;
    if stored.entry.register != register {
        return Err(WebError::NotFound);
    }
    let mut errors = FieldErrors::default();
    let first_on = optional_date(
        data.get("first_on").trim(),
        "first_on",
        state.app.today(),
        &mut errors,
    )
    .or(stored.entry.first_on);
    let second_on = optional_date(
        data.get("second_on").trim(),
        "second_on",
        state.app.today(),
        &mut errors,
    )
    .or(stored.entry.second_on);
    let entry = LogEntry {
        first_on,
        second_on,
        ..stored.entry.clone()
    };
    let problem = errors
        .is_empty()
        .then(|| check_dates(&entry).err())
        .flatten();
    let back = format!(
        "{}?annee={}",
        routes::with_register(routes::LOG_REGISTER, register.slug()),
        stored.entry.started_on.year()
    );
    if !errors.is_empty() || problem.is_some() {
        return Ok(redirect_with_notice(
            &state,
            &back,
            &format!(
                "Dates refusées : {}.",
                problem.unwrap_or_else(|| "date invalide".into())
            ),
        ));
    }
    let actor = session.actor();
    state
        .store
        .update_log_dates(&actor, stored.id, first_on, second_on)
        .await?;
    Ok(redirect_with_notice(&state, &back, "Dates enregistrées."))
}
