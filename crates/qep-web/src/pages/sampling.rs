//! Sampled weeks (« une semaine par mois »): when any are declared, indicators that allow
//! sampling are computed on the items received in these weeks only, and say so.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, NaiveDate, Weekday};
use minijinja::{Value, context};
use qep_store::{Conflict, StoreError};

use super::{form_status, redirect_with_notice};
use crate::AppState;
use crate::auth::AdminUser;
use crate::error::WebError;
use crate::form::{FieldErrors, FormData};
use crate::render::{RequestContext, page, ser};
use crate::routes;

const MAX_DAYS: i64 = 31;

async fn render(
    state: &AppState,
    ctx: &RequestContext,
    form: (&str, &str),
    errors: &FieldErrors,
    status: Option<StatusCode>,
) -> Result<Response, WebError> {
    let weeks: Vec<Value> = state
        .store
        .list_sampled_weeks()
        .await?
        .into_iter()
        .map(|(a, b)| {
            context! {
                start => a.to_string(),
                label => format!("du {} au {}", a.format("%d/%m/%Y"), b.format("%d/%m/%Y")),
            }
        })
        .collect();
    let view = context! {
        weeks => weeks,
        form => context! { start => form.0, end => form.1 },
        errors => ser(errors),
        action => routes::ADMIN_SAMPLING,
        delete_action => routes::ADMIN_SAMPLING_DELETE,
        back => routes::DASHBOARD,
    };
    page(
        state,
        ctx,
        "admin/sampling.html",
        status.unwrap_or(form_status(!errors.is_empty())),
        view,
    )
    .await
}

pub async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
) -> Result<Response, WebError> {
    render(&state, &ctx, ("", ""), &FieldErrors::default(), None).await
}

pub async fn add(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    data: FormData,
) -> Result<Response, WebError> {
    let (start_raw, end_raw) = (data.get("start").trim(), data.get("end").trim());
    let mut errors = FieldErrors::default();
    let start = NaiveDate::parse_from_str(start_raw, "%Y-%m-%d").ok();
    if start.is_none() {
        errors.add("sampling-start", "Date invalide.");
    }
    // By default the week of Monday to Friday that starts on the given day.
    let end = if end_raw.is_empty() {
        start.map(|s| {
            let to_friday = (Weekday::Fri.num_days_from_monday() as i64
                - s.weekday().num_days_from_monday() as i64)
                .max(0);
            s + chrono::Duration::days(to_friday)
        })
    } else {
        NaiveDate::parse_from_str(end_raw, "%Y-%m-%d").ok()
    };
    match (start, end) {
        (Some(s), Some(e)) if e < s => {
            errors.add("sampling-end", "Le dernier jour précède le premier.")
        }
        (Some(s), Some(e)) if (e - s).num_days() >= MAX_DAYS => {
            errors.add("sampling-end", format!("{MAX_DAYS} jours au plus."))
        }
        (Some(_), None) => errors.add("sampling-end", "Date invalide."),
        _ => {}
    }
    let (Some(start), Some(end)) = (start, end) else {
        return render(&state, &ctx, (start_raw, end_raw), &errors, None).await;
    };
    if !errors.is_empty() {
        return render(&state, &ctx, (start_raw, end_raw), &errors, None).await;
    }
    let actor = admin.0.actor();
    match state.store.add_sampled_week(&actor, start, end).await {
        Ok(()) => Ok(redirect_with_notice(
            &state,
            routes::ADMIN_SAMPLING,
            "Période échantillonnée enregistrée : les indicateurs échantillonnables ne comptent plus que ces périodes.",
        )),
        Err(StoreError::Conflict(Conflict::Constraint)) => {
            errors.add("sampling-start", "Une période commence déjà ce jour-là.");
            render(&state, &ctx, (start_raw, end_raw), &errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    admin: AdminUser,
    data: FormData,
) -> Result<Response, WebError> {
    let start =
        NaiveDate::parse_from_str(data.get("start"), "%Y-%m-%d").map_err(|_| WebError::NotFound)?;
    let actor = admin.0.actor();
    state.store.remove_sampled_week(&actor, start).await?;
    Ok(redirect_with_notice(
        &state,
        routes::ADMIN_SAMPLING,
        "Période échantillonnée retirée.",
    ))
}
