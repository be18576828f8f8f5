//! Server-rendered pages. Each handler: extract → validate with the core → call the store
//! → render, or redirect with a one-time notice (Post/Redirect/Get).

mod admin;
mod audit;
mod calendar;
mod contact;
mod dashboard;
mod documents;
pub(crate) mod imports;
mod indicators;
mod jobs;
mod local_indicators;
mod logs;
mod public;
mod register;
mod results;
mod sampling;
mod session;
mod templates;
mod users;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Serialize;

use crate::AppState;
use crate::auth::{append_cookie, flash_cookie};
use crate::error::WebError;
use crate::routes;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(routes::HOME, get(public::home))
        .route(routes::HEALTH, get(public::healthz))
        .route(
            &format!("{}/{{*path}}", routes::ASSETS),
            get(crate::assets::serve),
        )
        .route(
            &format!("{}/{{*path}}", routes::APP_ASSETS),
            get(crate::assets::serve_app),
        )
        .route(routes::VALIDATION, post(indicators::validate))
        .route(routes::INDICATOR, get(indicators::show))
        .route(routes::INDICATOR_VALUES, post(indicators::save_value))
        .route(
            routes::INDICATOR_VALUE_DELETE,
            post(indicators::delete_value),
        )
        .route(routes::INDICATOR_TARGETS, post(indicators::set_target))
        .route(
            routes::INDICATOR_TARGET_DELETE,
            post(indicators::delete_target),
        )
        .route(routes::REGISTERS, get(logs::index))
        .route(routes::LOG_REGISTER, get(logs::list).post(logs::add))
        .route(routes::LOG_ENTRY, post(logs::update))
        .route(routes::REGISTER, get(register::list))
        .route(
            routes::REGISTER_NEW,
            get(register::new_form).post(register::create),
        )
        .route(
            routes::REGISTER_FAST,
            get(register::fast_form).post(register::fast_create),
        )
        .route(routes::REGISTER_ITEM, get(register::show))
        .route(routes::REGISTER_ANSWER, post(register::answer))
        .route(
            routes::REGISTER_ATTACHMENTS,
            post(register::attach).layer(axum::extract::DefaultBodyLimit::max(
                crate::form::MAX_UPLOAD_BYTES + crate::form::MAX_FORM_BYTES,
            )),
        )
        .route(routes::REGISTER_ATTACHMENT, get(register::download))
        .route(routes::REGISTER_ANSWER_MAIL, post(register::answer_by_mail))
        .route(routes::REGISTER_TRANSFER, post(register::transfer))
        .route(routes::REGISTER_SCOPE, post(register::scope))
        .route(routes::CONTACT, get(contact::form).post(contact::submit))
        .route(routes::CONTACT_THANKS, get(contact::thanks))
        .route(routes::RESULTS, get(results::page_html))
        .route(routes::RESULTS_CSV, get(results::open_data))
        .route(routes::ACCESSIBILITY, get(public::accessibility))
        .route(routes::LOGIN, get(session::login_form).post(session::login))
        .route(routes::LOGOUT, post(session::logout))
        .route(routes::DASHBOARD, get(dashboard::show))
        .route(routes::ADMIN, get(admin::index))
        .route(
            routes::ADMIN_PREFECTURE,
            get(admin::prefecture_form).post(admin::prefecture_save),
        )
        .route(
            routes::ADMIN_SITES,
            get(admin::sites).post(admin::site_create),
        )
        .route(
            routes::ADMIN_SITE,
            get(admin::site_form).post(admin::site_update),
        )
        .route(routes::ADMIN_SITE_DELETE, post(admin::site_delete))
        .route(routes::ADMIN_SITE_CALENDAR, get(calendar::show))
        .route(routes::ADMIN_SITE_CLOSURES, post(calendar::add_closure))
        .route(routes::ADMIN_SITE_HOLIDAYS, post(calendar::add_holiday))
        .route(routes::ADMIN_SITE_WITHDRAW, post(calendar::withdraw))
        .route(
            routes::ADMIN_SERVICES,
            get(admin::index_services).post(admin::service_create),
        )
        .route(
            routes::ADMIN_SERVICE,
            get(admin::service_form).post(admin::service_update),
        )
        .route(routes::ADMIN_SERVICE_DELETE, post(admin::service_delete))
        .route(routes::ADMIN_USERS, get(users::list).post(users::create))
        .route(
            routes::ADMIN_USER,
            get(users::edit_form).post(users::update),
        )
        .route(routes::ADMIN_USER_PASSWORD, post(users::reset_password))
        .route(routes::ADMIN_AUDIT, get(audit::list))
        .route(routes::ADMIN_JOBS, get(jobs::list))
        .route(
            routes::ADMIN_TEMPLATES,
            get(templates::list).post(templates::save),
        )
        .route(
            routes::ADMIN_SAMPLING,
            get(sampling::list).post(sampling::add),
        )
        .route(routes::ADMIN_SAMPLING_DELETE, post(sampling::remove))
        .route(routes::DOCUMENTS, get(documents::index))
        .route(routes::DOCUMENTS_BILAN, get(documents::bilan))
        .route(routes::DOCUMENTS_POSTER, get(documents::poster))
        .route(routes::DOCUMENTS_TABLES, get(documents::tables))
        .route(routes::DOCUMENTS_TEXTS, post(documents::save_texts))
        .route(
            routes::ADMIN_LOCAL_INDICATORS,
            get(local_indicators::list).post(local_indicators::create),
        )
        .merge(imports::router())
        .fallback(not_found)
        .with_state(state)
}

async fn not_found() -> WebError {
    WebError::NotFound
}

/// 303 to `to`, with a notice shown once on the next page.
fn redirect_with_notice(state: &AppState, to: &str, notice: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    append_cookie(&mut res, &flash_cookie(state, notice));
    res
}

/// Ids in paths: anything that is not a number is simply not found.
fn parse_id(raw: &str) -> Result<i64, WebError> {
    raw.parse().map_err(|_| WebError::NotFound)
}

/// A refused form is shown again with 422 and its errors.
fn form_status(has_errors: bool) -> StatusCode {
    if has_errors {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

#[derive(Serialize)]
struct SelectOption {
    value: String,
    label: String,
    locked: bool,
}

impl SelectOption {
    fn new(value: impl ToString, label: impl Into<String>) -> SelectOption {
        SelectOption {
            value: value.to_string(),
            label: label.into(),
            locked: false,
        }
    }
}

/// One option per site, valued by its id, for a site picker.
fn site_options<'a>(
    sites: impl IntoIterator<Item = &'a qep_core::prefecture::Site>,
) -> Vec<SelectOption> {
    sites
        .into_iter()
        .map(|s| SelectOption::new(s.id, s.name.clone()))
        .collect()
}

/// One option per service, valued by its id, for a service picker.
fn service_options<'a>(
    services: impl IntoIterator<Item = &'a qep_core::prefecture::Service>,
) -> Vec<SelectOption> {
    services
        .into_iter()
        .map(|s| SelectOption::new(s.id, s.name.clone()))
        .collect()
}
