//! Each site's working-day calendar for a year: public holidays of its territory, its
//! closures, the holidays it works and the local holidays it keeps; the quality lead edits
//! them here. Entries are withdrawn, never deleted, so past calendars stay reproducible.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use minijinja::{Value, context};
use qep_core::calendar::{
    CalendarSettings, Closure, DEFAULT_SPAN_END, DEFAULT_SPAN_START, ExtraHoliday, HolidayKind,
    Territory, WorkedHoliday,
};
use qep_core::ids::{CalendarEntryId, SiteId};
use qep_core::prefecture::Site;
use qep_store::{CalendarEntry, HolidaySetting};
use serde::Deserialize;

use super::{SelectOption, form_status, parse_id, redirect_with_notice};
use crate::AppState;
use crate::auth::AdminUser;
use crate::error::WebError;
use crate::form::{FieldErrors, FormData};
use crate::render::{RequestContext, page, ser};
use crate::routes;

const MONTHS: [&str; 12] = [
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
const WEEKDAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
const REASON_MAX: usize = 200;

fn french_date(d: NaiveDate) -> String {
    format!(
        "{} {} {} {}",
        WEEKDAYS[d.weekday().num_days_from_monday() as usize],
        d.day(),
        MONTHS[d.month0() as usize],
        d.year()
    )
}

#[derive(Deserialize)]
pub struct YearQuery {
    annee: Option<i32>,
}

async fn site_and_territory(state: &AppState, id: i64) -> Result<(Site, Territory), WebError> {
    let site = state
        .store
        .list_sites()
        .await?
        .into_iter()
        .find(|s| s.id.0 == id)
        .ok_or(WebError::NotFound)?;
    let territory = state
        .store
        .find_prefecture()
        .await?
        .map_or(Territory::Metropole, |p| Territory::of(p.department));
    Ok((site, territory))
}

#[derive(Default, serde::Serialize)]
struct CalendarForms {
    start: String,
    end: String,
    reason: String,
    holiday: String,
    mode: String,
    holiday_reason: String,
}

async fn render(
    state: &AppState,
    ctx: &RequestContext,
    id: i64,
    year: i32,
    forms: &CalendarForms,
    errors: &FieldErrors,
) -> Result<Response, WebError> {
    let (site, territory) = site_and_territory(state, id).await?;
    let stored = state.store.site_calendar(site.id).await?;
    let current: CalendarSettings = stored.settings().as_of(state.app.today());
    let calendar = state.app.calendars.get(site.id, territory, current.clone());
    let year = year.clamp(DEFAULT_SPAN_START.year(), DEFAULT_SPAN_END.year());

    let months: Vec<Value> = (1..=12u32)
        .filter_map(|m| {
            let first = NaiveDate::from_ymd_opt(year, m, 1)?;
            let last = if m == 12 {
                NaiveDate::from_ymd_opt(year, 12, 31)?
            } else {
                NaiveDate::from_ymd_opt(year, m + 1, 1)?.pred_opt()?
            };
            let before = first.pred_opt()?;
            let days = calendar.working_days_between(before, last).ok()?;
            Some(context! { name => MONTHS[(m - 1) as usize], days => days })
        })
        .collect();
    let total: u32 = {
        let start = NaiveDate::from_ymd_opt(year - 1, 12, 31);
        let end = NaiveDate::from_ymd_opt(year, 12, 31);
        match (start, end) {
            (Some(s), Some(e)) => calendar.working_days_between(s, e).unwrap_or(0),
            _ => 0,
        }
    };
    let territory_holidays = territory.public_holidays(year);
    let site_holidays = calendar.holidays(year);
    let worked_dates: Vec<NaiveDate> = territory_holidays
        .iter()
        .map(|(d, _)| *d)
        .filter(|d| !site_holidays.iter().any(|(s, _)| s == d))
        .collect();
    let holidays: Vec<Value> = territory_holidays
        .iter()
        .chain(
            site_holidays
                .iter()
                .filter(|(d, _)| !territory_holidays.iter().any(|(t, _)| t == d)),
        )
        .map(|(d, name)| {
            context! {
                date => french_date(*d),
                name => *name,
                worked => worked_dates.contains(d),
                local => !territory_holidays.iter().any(|(t, _)| t == d),
            }
        })
        .collect();
    let withdraw = routes::with_id(routes::ADMIN_SITE_WITHDRAW, site.id);
    let closures: Vec<Value> = stored
        .closures
        .iter()
        .map(|c| {
            context! {
                id => c.id.0,
                start => french_date(c.item.start),
                end => french_date(c.item.end),
                single => c.item.start == c.item.end,
                reason => c.item.reason.clone(),
                recorded_on => c.item.recorded_on.format("%d/%m/%Y").to_string(),
                removed_on => c.item.removed_on.map(|d| d.format("%d/%m/%Y").to_string()),
            }
        })
        .collect();
    let years = |first: Option<i32>, last: Option<i32>| match (first, last) {
        (None, None) => "chaque année".to_owned(),
        (Some(f), None) => format!("à partir de {f}"),
        (None, Some(l)) => format!("jusqu'en {l}"),
        (Some(f), Some(l)) => format!("de {f} à {l}"),
    };
    let mut holiday_settings: Vec<Value> = stored
        .worked_holidays
        .iter()
        .map(|w| {
            context! {
                id => w.id.0,
                name => w.item.holiday.name(),
                mode => "Jour férié travaillé",
                years => years(w.item.first_year, w.item.last_year),
                reason => w.item.reason.clone(),
                recorded_on => w.item.recorded_on.format("%d/%m/%Y").to_string(),
                removed_on => w.item.removed_on.map(|d| d.format("%d/%m/%Y").to_string()),
            }
        })
        .collect();
    holiday_settings.extend(stored.extra_holidays.iter().map(|x| {
        context! {
            id => x.id.0,
            name => x.item.holiday.name(),
            mode => "Jour férié local chômé",
            years => years(x.item.first_year, x.item.last_year),
            reason => "",
            recorded_on => x.item.recorded_on.format("%d/%m/%Y").to_string(),
            removed_on => x.item.removed_on.map(|d| d.format("%d/%m/%Y").to_string()),
        }
    }));
    let mut holiday_options: Vec<SelectOption> = territory
        .holiday_kinds()
        .iter()
        .map(|h| {
            SelectOption::new(
                format!("worked:{}", h.as_str()),
                format!("Travailler : {}", h.name()),
            )
        })
        .collect();
    holiday_options.extend(territory.optional_holiday_kinds().iter().map(|h| {
        SelectOption::new(
            format!("extra:{}", h.as_str()),
            format!("Chômer (jour local) : {}", h.name()),
        )
    }));
    let view = context! {
        site => context! { name => site.name, href => routes::with_id(routes::ADMIN_SITE, site.id) },
        territory => territory.label(),
        year => year,
        previous => format!("{}?annee={}", routes::with_id(routes::ADMIN_SITE_CALENDAR, site.id), year - 1),
        next => format!("{}?annee={}", routes::with_id(routes::ADMIN_SITE_CALENDAR, site.id), year + 1),
        months => months,
        total => total,
        holidays => holidays,
        closures => closures,
        holiday_settings => holiday_settings,
        holiday_options => ser(holiday_options),
        forms => ser(forms),
        errors => ser(errors),
        closure_action => routes::with_id(routes::ADMIN_SITE_CLOSURES, site.id),
        holiday_action => routes::with_id(routes::ADMIN_SITE_HOLIDAYS, site.id),
        withdraw_action => withdraw,
        back => routes::ADMIN_SITES,
    };
    page(
        state,
        ctx,
        "admin/calendar.html",
        form_status(!errors.is_empty()),
        view,
    )
    .await
}

pub async fn show(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
    Path(id): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let year = q.annee.unwrap_or_else(|| state.app.today().year());
    render(
        &state,
        &ctx,
        id,
        year,
        &CalendarForms::default(),
        &FieldErrors::default(),
    )
    .await
}

fn parse_day(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (DEFAULT_SPAN_START..=DEFAULT_SPAN_END).contains(d))
}

fn check_reason(errors: &mut FieldErrors, field: &'static str, reason: &str, required: bool) {
    if required && reason.is_empty() {
        errors.add(field, "Indiquez le motif.");
    } else if reason.chars().count() > REASON_MAX || reason.chars().any(char::is_control) {
        errors.add(
            field,
            format!("Le motif tient en {REASON_MAX} caractères au plus."),
        );
    }
}

pub async fn add_closure(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    Path(id): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let forms = CalendarForms {
        start: data.get("start").trim().to_owned(),
        end: data.get("end").trim().to_owned(),
        reason: data.get("reason").trim().to_owned(),
        ..Default::default()
    };
    let mut errors = FieldErrors::default();
    let start = parse_day(&forms.start);
    if start.is_none() {
        errors.add(
            "closure-start",
            "Date invalide : attendu une date entre 1990 et 2100 (JJ/MM/AAAA).",
        );
    }
    let end = if forms.end.is_empty() {
        start
    } else {
        let end = parse_day(&forms.end);
        if end.is_none() {
            errors.add(
                "closure-end",
                "Date invalide : attendu une date entre 1990 et 2100 (JJ/MM/AAAA).",
            );
        }
        end
    };
    check_reason(&mut errors, "closure-reason", &forms.reason, true);
    let closure = match (start, end) {
        (Some(s), Some(e)) if errors.is_empty() => errors.check(
            "closure-end",
            Closure::range(s, e, forms.reason.clone(), state.app.today()),
        ),
        _ => None,
    };
    let Some(closure) = closure else {
        return render(
            &state,
            &ctx,
            id,
            start.map_or_else(|| state.app.today().year(), |d| d.year()),
            &forms,
            &errors,
        )
        .await;
    };
    let actor = admin.0.actor();
    state
        .store
        .insert_closure(&actor, SiteId(id), &closure)
        .await?;
    Ok(redirect_with_notice(
        &state,
        &format!(
            "{}?annee={}",
            routes::with_id(routes::ADMIN_SITE_CALENDAR, id),
            closure.start.year()
        ),
        "La fermeture est enregistrée.",
    ))
}

pub async fn add_holiday(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    Path(id): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let (_, territory) = site_and_territory(&state, id).await?;
    let forms = CalendarForms {
        holiday: data.get("holiday").to_owned(),
        holiday_reason: data.get("holiday_reason").trim().to_owned(),
        ..Default::default()
    };
    let mut errors = FieldErrors::default();
    let setting = match forms.holiday.split_once(':') {
        Some(("worked", h)) => HolidayKind::parse(h)
            .ok()
            .filter(|k| territory.holiday_kinds().contains(k))
            .map(|k| {
                HolidaySetting::Worked(WorkedHoliday::every_year(
                    k,
                    forms.holiday_reason.clone(),
                    state.app.today(),
                ))
            }),
        Some(("extra", h)) => HolidayKind::parse(h)
            .ok()
            .filter(|k| territory.optional_holiday_kinds().contains(k))
            .map(|k| HolidaySetting::Extra(ExtraHoliday::every_year(k, state.app.today()))),
        _ => None,
    };
    if setting.is_none() {
        errors.add("holiday-kind", "Choisissez un jour férié de la liste.");
    }
    check_reason(&mut errors, "holiday-reason", &forms.holiday_reason, false);
    let Some(setting) = setting.filter(|_| errors.is_empty()) else {
        return render(&state, &ctx, id, state.app.today().year(), &forms, &errors).await;
    };
    let actor = admin.0.actor();
    state
        .store
        .insert_site_holiday(&actor, SiteId(id), &setting)
        .await?;
    Ok(redirect_with_notice(
        &state,
        &routes::with_id(routes::ADMIN_SITE_CALENDAR, id),
        "Le réglage du jour férié est enregistré.",
    ))
}

pub async fn withdraw(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let entry_id = parse_id(data.get("entry"))?;
    let entry = match data.get("kind") {
        "closure" => CalendarEntry::Closure(CalendarEntryId(entry_id)),
        "holiday" => CalendarEntry::Holiday(CalendarEntryId(entry_id)),
        _ => return Err(WebError::BadRequest("type d'entrée inconnu".into())),
    };
    let actor = admin.0.actor();
    state
        .store
        .withdraw_calendar_entry(&actor, SiteId(id), entry, state.app.today())
        .await?;
    Ok(redirect_with_notice(
        &state,
        &routes::with_id(routes::ADMIN_SITE_CALENDAR, id),
        "L'entrée est retirée ; elle reste visible dans l'historique.",
    ))
}
