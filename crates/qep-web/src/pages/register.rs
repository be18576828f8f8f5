//! The correspondence register for agents and the quality lead: what is due, registering
//! an item (its due date computed with the site's working-day calendar), answering,
//! transferring (the due date stays), and marking out of scope. Agents see and act on
//! their own services' items only; viewers do not see the register (it holds citizens'
//! personal data).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{NaiveDate, NaiveTime};
use minijinja::{Value, context};
use qep_app::registers::Arrival;
use qep_core::calendar::WorkingCalendar;
use qep_core::ids::{AttachmentId, ItemId, ServiceId, SiteId};
use qep_core::prefecture::Service;
use qep_core::registers::correspondence::{AnswerType, Channel, Kind, OutOfScope};
use qep_core::registers::deadline::{self, ItemState};
use qep_store::{Correspondence, CorrespondenceQuery, SessionUser};
use serde::{Deserialize, Serialize};

use super::{
    SelectOption, form_status, parse_id, redirect_with_notice, service_options, site_options,
};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::form::{FieldErrors, FormData};
use crate::render::{RequestContext, page, ser};
use crate::routes;

const FIELD_MAX: usize = 300;

/// Agents work on their services' items; the quality lead on all; viewers on none.
fn require_register_access(s: &SessionUser) -> Result<(), WebError> {
    match s.user.role {
        qep_core::account::Role::Viewer => Err(WebError::Forbidden),
        _ => Ok(()),
    }
}

fn may_act_on(s: &SessionUser, item: &Correspondence) -> bool {
    !s.user.role.is_limited_to_own_services()
        || item
            .service
            .is_some_and(|svc| s.user.services.contains(&svc))
}

/// The calendar of a site, with its settings as of today.
async fn site_calendar(state: &AppState, site: SiteId) -> Result<Arc<WorkingCalendar>, WebError> {
    Ok(state
        .app
        .calendars
        .site(&*state.store, site, state.app.today())
        .await?)
}

#[derive(Deserialize)]
pub struct ListQuery {
    vue: Option<String>,
    /// The page, from 1.
    page: Option<u32>,
}

/// Items per page of the register's lists.
const PAGE_SIZE: u32 = 100;

fn service_name(services: &[Service], id: Option<ServiceId>) -> String {
    id.and_then(|id| services.iter().find(|s| s.id == id))
        .map_or_else(|| "non attribué".to_owned(), |s| s.name.clone())
}

/// Whether an open item in scope is late today, by the one rule (a working day has passed
/// after its due date).
fn is_late(item: &Correspondence, calendar: &WorkingCalendar, today: NaiveDate) -> bool {
    item.answered_on.is_none()
        && item.in_scope
        && deadline::state(calendar, item.received_on, item.deadline_days, None, today)
            == Ok(ItemState::Late)
}

fn row(
    item: &Correspondence,
    services: &[Service],
    calendar: &WorkingCalendar,
    today: NaiveDate,
) -> Value {
    let late = is_late(item, calendar, today);
    let state = match (item.answered_on, item.in_scope) {
        (Some(d), _) => format!("répondu le {}", d.format("%d/%m/%Y")),
        (None, false) => "hors périmètre".to_owned(),
        (None, true) if late => "en retard".to_owned(),
        (None, true) => "à traiter".to_owned(),
    };
    context! {
        reference => item.reference.clone(),
        href => routes::with_id(routes::REGISTER_ITEM, item.id),
        received => item.received_on.format("%d/%m/%Y").to_string(),
        channel => item.channel.label(),
        kind => item.kind.label(),
        service => service_name(services, item.service),
        subject => item.subject.clone(),
        due => item.due_on.format("%d/%m/%Y").to_string(),
        late => late,
        state => state,
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    CurrentUser(session): CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    require_register_access(&session)?;
    let today = state.app.today();
    let view_name = q.vue.as_deref().unwrap_or("a-traiter");
    let services =
        (session.user.role.is_limited_to_own_services()).then(|| session.user.services.clone());
    let page_number = q.page.unwrap_or(1).max(1);
    // One more than a page: whether there is a next one.
    let mut query = CorrespondenceQuery {
        services,
        limit: PAGE_SIZE + 1,
        offset: (page_number - 1).saturating_mul(PAGE_SIZE),
        ..Default::default()
    };
    match view_name {
        "en-retard" => {
            // Late once a working day has passed after the due date: due before the last
            // working day up to today (the main site's calendar; each row then checks its
            // own site's).
            query.open_only = true;
            let sites = state.store.list_sites().await?;
            let last_working_day = match qep_core::prefecture::main_site(&sites) {
                Some(s) => {
                    let cal = site_calendar(&state, s.id).await?;
                    (0..14)
                        .filter_map(|back| today.checked_sub_days(chrono::Days::new(back)))
                        .find(|d| cal.is_working_day(*d) == Ok(true))
                        .unwrap_or(today)
                }
                None => today,
            };
            query.due_by = last_working_day.pred_opt();
        }
        "aujourd-hui" => {
            query.open_only = true;
            query.due_by = Some(today);
        }
        "sous-2-jours" => {
            query.open_only = true;
            // Two working days ahead, with the main site's calendar.
            let sites = state.store.list_sites().await?;
            let horizon = match qep_core::prefecture::main_site(&sites) {
                Some(s) => site_calendar(&state, s.id)
                    .await?
                    .due_date(today, 2)
                    .unwrap_or(today),
                None => today,
            };
            query.due_by = Some(horizon);
        }
        "tous" => {
            query.received_from = today.checked_sub_signed(chrono::Duration::days(92));
        }
        _ => query.open_only = true,
    }
    let mut items = state.store.list_correspondence(&query).await?;
    let has_next = items.len() > PAGE_SIZE as usize;
    items.truncate(PAGE_SIZE as usize);
    let all_services = state.store.list_services().await?;
    let calendars = state
        .app
        .calendars
        .sites(&*state.store, items.iter().map(|i| i.site), today)
        .await?;
    let rows: Vec<Value> = items
        .iter()
        .filter(|i| {
            view_name != "en-retard" || calendars.get(&i.site).is_some_and(|c| is_late(i, c, today))
        })
        .filter_map(|i| Some(row(i, &all_services, calendars.get(&i.site)?, today)))
        .collect();
    let tabs: Vec<Value> = [
        ("a-traiter", "À traiter"),
        ("aujourd-hui", "Échéance aujourd'hui (ou dépassée)"),
        ("sous-2-jours", "Échéance sous 2 jours ouvrés"),
        ("en-retard", "En retard"),
        ("tous", "Trois derniers mois"),
    ]
    .into_iter()
    .map(|(key, label)| {
        context! {
            label => label,
            href => format!("{}?vue={key}", routes::REGISTER),
            current => key == view_name,
        }
    })
    .collect();
    let page_href = |n: u32| format!("{}?vue={view_name}&page={n}", routes::REGISTER);
    let view = context! {
        rows => rows,
        tabs => tabs,
        page => page_number,
        previous_href => (page_number > 1).then(|| page_href(page_number - 1)),
        next_href => has_next.then(|| page_href(page_number + 1)),
        new_href => routes::REGISTER_NEW,
        fast_href => routes::REGISTER_FAST,
        limited => session.user.role.is_limited_to_own_services(),
    };
    page(
        &state,
        &ctx,
        "register/list.html",
        axum::http::StatusCode::OK,
        view,
    )
    .await
}

#[derive(Serialize)]
struct ItemForm {
    channel: String,
    kind: String,
    site_id: String,
    service_id: String,
    received_on: String,
    received_time: String,
    requester_name: String,
    requester_email: String,
    requester_address: String,
    subject: String,
    in_scope: bool,
}

fn options<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<SelectOption> {
    all.iter()
        .map(|v| SelectOption::new(code(*v), label(*v)))
        .collect()
}

/// The sites, and the services the account may register for.
async fn site_and_service_options(
    state: &AppState,
    session: &SessionUser,
) -> Result<(Vec<SelectOption>, Vec<SelectOption>), WebError> {
    let sites = site_options(&state.store.list_sites().await?);
    let services = service_options(state.store.list_services().await?.iter().filter(|s| {
        !session.user.role.is_limited_to_own_services() || session.user.services.contains(&s.id)
    }));
    Ok((sites, services))
}

async fn render_new(
    state: &AppState,
    ctx: &RequestContext,
    session: &SessionUser,
    form: &ItemForm,
    errors: &FieldErrors,
) -> Result<Response, WebError> {
    let (sites, services) = site_and_service_options(state, session).await?;
    let view = context! {
        form => ser(form),
        errors => ser(errors),
        channels => ser(options(Channel::ALL, Channel::as_str, Channel::label)),
        kinds => ser(options(Kind::ALL, Kind::as_str, Kind::label)),
        sites => ser(sites),
        services => ser(services),
        action => routes::REGISTER_NEW,
        back => routes::REGISTER,
    };
    page(
        state,
        ctx,
        "register/new.html",
        form_status(!errors.is_empty()),
        view,
    )
    .await
}

pub async fn new_form(
    State(state): State<AppState>,
    ctx: RequestContext,
    CurrentUser(session): CurrentUser,
) -> Result<Response, WebError> {
    require_register_access(&session)?;
    let now = qep_core::time::local(state.app.now(), state.app.zone());
    let form = ItemForm {
        channel: Channel::Email.as_str().to_owned(),
        kind: Kind::GeneralInformation.as_str().to_owned(),
        site_id: String::new(),
        service_id: session
            .user
            .services
            .first()
            .map(ToString::to_string)
            .unwrap_or_default(),
        received_on: now.date().to_string(),
        received_time: now.time().format("%H:%M").to_string(),
        requester_name: String::new(),
        requester_email: String::new(),
        requester_address: String::new(),
        subject: String::new(),
        in_scope: true,
    };
    render_new(&state, &ctx, &session, &form, &FieldErrors::default()).await
}

fn bounded(errors: &mut FieldErrors, field: &'static str, value: &str, max: usize) {
    if value.chars().count() > max || value.chars().any(|c| c.is_control() && c != '\n') {
        errors.add(
            field,
            format!("{max} caractères au plus, sans caractère de contrôle."),
        );
    }
}

fn item_form(data: &FormData) -> ItemForm {
    ItemForm {
        channel: data.get("channel").to_owned(),
        kind: data.get("kind").to_owned(),
        site_id: data.get("site_id").to_owned(),
        service_id: data.get("service_id").to_owned(),
        received_on: data.get("received_on").trim().to_owned(),
        received_time: data.get("received_time").trim().to_owned(),
        requester_name: data.get("requester_name").trim().to_owned(),
        requester_email: data.get("requester_email").trim().to_owned(),
        requester_address: data.get("requester_address").trim().to_owned(),
        subject: data.get("subject").trim().to_owned(),
        in_scope: data.has("in_scope"),
    }
}

/// Checks a registration form and registers the item; the errors otherwise.
async fn register_item(
    state: &AppState,
    session: &SessionUser,
    form: &ItemForm,
) -> Result<Result<Correspondence, FieldErrors>, WebError> {
    let mut errors = FieldErrors::default();
    let channel = errors.check("item-channel", Channel::parse(&form.channel));
    let kind = errors.check("item-kind", Kind::parse(&form.kind));
    let sites = state.store.list_sites().await?;
    let site = form
        .site_id
        .parse::<i64>()
        .ok()
        .and_then(|id| sites.iter().find(|s| s.id.0 == id));
    if site.is_none() {
        errors.add("item-site", "Choisissez le site de réception.");
    }
    let services = state.store.list_services().await?;
    let service = form
        .service_id
        .parse::<i64>()
        .ok()
        .and_then(|id| services.iter().find(|s| s.id.0 == id))
        .filter(|s| {
            !session.user.role.is_limited_to_own_services() || session.user.services.contains(&s.id)
        });
    if service.is_none() {
        errors.add("item-service", "Choisissez un de vos services.");
    }
    let received_on = NaiveDate::parse_from_str(&form.received_on, "%Y-%m-%d")
        .ok()
        .filter(|d| {
            *d <= state.app.today() && *d >= NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or(*d)
        });
    if received_on.is_none() {
        errors.add(
            "item-received-on",
            "Date de réception invalide (au plus tard aujourd'hui).",
        );
    }
    let time = if form.received_time.is_empty() {
        NaiveTime::from_hms_opt(12, 0, 0)
    } else {
        NaiveTime::parse_from_str(&form.received_time, "%H:%M").ok()
    };
    if time.is_none() {
        errors.add("item-received-time", "Heure invalide (HH:MM).");
    }
    bounded(
        &mut errors,
        "item-requester-name",
        &form.requester_name,
        120,
    );
    bounded(
        &mut errors,
        "item-requester-address",
        &form.requester_address,
        FIELD_MAX,
    );
    if !form.requester_email.is_empty()
        && qep_core::account::Email::parse(&form.requester_email).is_err()
    {
        errors.add("item-requester-email", "Adresse électronique invalide.");
    }
    if form.subject.is_empty() {
        errors.add("item-subject", "Indiquez l'objet.");
    }
    bounded(&mut errors, "item-subject", &form.subject, FIELD_MAX);
    let (Some(channel), Some(kind), Some(site), Some(service), Some(received_on), Some(time)) =
        (channel, kind, site, service, received_on, time)
    else {
        return Ok(Err(errors));
    };
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    // The site's legal time to UTC.
    let zone = state.app.zones().await?.of(site.id);
    let received_at = qep_core::time::to_utc(received_on.and_time(time), zone);
    let arrival = Arrival {
        reference: None,
        channel,
        kind,
        site: site.id,
        service: Some(service.id),
        received_at,
        received_on: Some(received_on),
        requester_name: form.requester_name.clone(),
        requester_email: form.requester_email.to_lowercase(),
        requester_address: form.requester_address.clone(),
        subject: form.subject.clone(),
        in_scope: form.in_scope,
        out_of_scope: (!form.in_scope).then_some(OutOfScope::Other),
        answered_on: None,
        answer: None,
    };
    match qep_app::registers::register(&state.app, &session.actor(), &arrival, "", &service.name)
        .await?
    {
        Ok(saved) => Ok(Ok(saved.item)),
        Err(e) => Err(WebError::BadRequest(e.to_string())),
    }
}

pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    CurrentUser(session): CurrentUser,
    data: FormData,
) -> Result<Response, WebError> {
    require_register_access(&session)?;
    let form = item_form(&data);
    let saved = match register_item(&state, &session, &form).await? {
        Ok(saved) => saved,
        Err(errors) => return render_new(&state, &ctx, &session, &form, &errors).await,
    };
    Ok(redirect_with_notice(
        &state,
        &routes::with_id(routes::REGISTER_ITEM, saved.id),
        &format!(
            "Enregistré sous la référence {} ; réponse attendue au plus tard le {} ({} jours ouvrés).",
            saved.reference,
            saved.due_on.format("%d/%m/%Y"),
            saved.deadline_days
        ),
    ))
}

async fn item_for(
    state: &AppState,
    session: &SessionUser,
    id: &str,
) -> Result<Correspondence, WebError> {
    require_register_access(session)?;
    let item = state
        .store
        .get_correspondence(ItemId(parse_id(id)?))
        .await?;
    if !may_act_on(session, &item) {
        return Err(WebError::Forbidden);
    }
    Ok(item)
}

#[derive(Deserialize)]
pub struct ShowQuery {
    modele: Option<String>,
}

/// The answer template prefilled for an item: (key, subject, body).
async fn answer_draft(
    state: &AppState,
    item: &Correspondence,
    key: &str,
) -> Result<(String, String), WebError> {
    let (_, _, default_subject, default_body) = qep_app::mail::ANSWER_TEMPLATES
        .iter()
        .find(|(k, _, _, _)| *k == key)
        .copied()
        .unwrap_or(qep_app::mail::ANSWER_TEMPLATES[0]);
    let stored = state.store.find_template(key).await?;
    let prefecture = state
        .store
        .find_prefecture()
        .await?
        .map_or_else(|| "La préfecture".to_owned(), |p| p.name);
    let service = match item.service {
        Some(id) => state
            .store
            .list_services()
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .map_or_else(|| "Le service".to_owned(), |s| s.name),
        None => "Le service".to_owned(),
    };
    let (subject, body) = match &stored {
        Some(t) => (t.subject.as_str(), t.body.as_str()),
        None => (default_subject, default_body),
    };
    Ok((
        qep_app::mail::render_for(item, subject, default_subject, &prefecture, &service),
        qep_app::mail::render_for(item, body, default_body, &prefecture, &service),
    ))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: RequestContext,
    CurrentUser(session): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let item = item_for(&state, &session, &id).await?;
    let answer_key = match q.modele.as_deref() {
        Some("transmission") => "answer.forwarded",
        _ => "answer.substantive",
    };
    let (draft_subject, draft_body) = answer_draft(&state, &item, answer_key).await?;
    let services = state.store.list_services().await?;
    let sites = state.store.list_sites().await?;
    let today = state.app.today();
    let calendar = site_calendar(&state, item.site).await?;
    let response_days = item
        .answered_on
        .and_then(|a| calendar.working_days_between(item.received_on, a).ok());
    let transfer_to = service_options(services.iter().filter(|s| Some(s.id) != item.service));
    let view = context! {
        item => row(&item, &services, &calendar, today),
        detail => context! {
            received_at => qep_core::time::format_local(
                item.received_at,
                state.app.zones().await?.of(item.site),
            ),
            site => sites.iter().find(|s| s.id == item.site).map(|s| s.name.clone()),
            deadline_days => item.deadline_days,
            requester_name => item.requester_name,
            requester_email => item.requester_email.clone(),
            requester_address => item.requester_address,
            answer => item.answer.map(AnswerType::label),
            response_days => response_days,
            on_time => item
                .answered_on
                .and_then(|a| calendar.is_on_time(item.received_on, a, item.deadline_days).ok()),
            out_of_scope => item.out_of_scope.map(OutOfScope::label),
            open => item.answered_on.is_none(),
            body => item.body.clone(),
        },
        today => today.to_string(),
        answers => ser(options(AnswerType::ALL, AnswerType::as_str, AnswerType::label)),
        reasons => ser(options(OutOfScope::ALL, OutOfScope::as_str, OutOfScope::label)),
        transfer_to => ser(transfer_to),
        answer_action => routes::with_id(routes::REGISTER_ANSWER, item.id),
        answer_mail_action => routes::with_id(routes::REGISTER_ANSWER_MAIL, item.id),
        draft => context! {
            subject => draft_subject,
            body => draft_body,
            answer => if answer_key == "answer.forwarded" { "forwarded" } else { "substantive" },
            other_href => format!(
                "{}{}",
                routes::with_id(routes::REGISTER_ITEM, item.id),
                if answer_key == "answer.forwarded" { "" } else { "?modele=transmission" }
            ),
            other_label => if answer_key == "answer.forwarded" { "Modèle : réponse sur le fond" } else { "Modèle : transmission au service compétent" },
        },
        can_mail => !item.requester_email.is_empty(),
        attachments => state
            .store
            .list_attachments(item.id)
            .await?
            .into_iter()
            .map(|a| context! {
                name => a.file_name,
                size => format!("{} Ko", a.size.div_ceil(1024)),
                href => routes::with_id(routes::REGISTER_ATTACHMENT, item.id).replace("{attachment}", &a.id.to_string()),
            })
            .collect::<Vec<_>>(),
        attach_action => format!(
            "{}?csrf_token={}",
            routes::with_id(routes::REGISTER_ATTACHMENTS, item.id),
            crate::form::url_encode(&ctx.csrf_token)
        ),
        transfer_action => routes::with_id(routes::REGISTER_TRANSFER, item.id),
        scope_action => routes::with_id(routes::REGISTER_SCOPE, item.id),
        in_scope => item.in_scope,
        back => routes::REGISTER,
    };
    page(
        &state,
        &ctx,
        "register/show.html",
        axum::http::StatusCode::OK,
        view,
    )
    .await
}

pub async fn answer(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path(id): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let item = item_for(&state, &session, &id).await?;
    let on = NaiveDate::parse_from_str(data.get("answered_on").trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| *d >= item.received_on && *d <= state.app.today())
        .ok_or_else(|| {
            WebError::BadRequest(
                "date de réponse invalide : entre la réception et aujourd'hui".into(),
            )
        })?;
    let answer =
        AnswerType::parse(data.get("answer")).map_err(|e| WebError::BadRequest(e.to_string()))?;
    state
        .store
        .answer_correspondence(&session.actor(), item.id, on, answer)
        .await?;
    Ok(redirect_with_notice(
        &state,
        &routes::with_id(routes::REGISTER_ITEM, item.id),
        &format!("Réponse enregistrée pour {}.", item.reference),
    ))
}

pub async fn transfer(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path(id): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let item = item_for(&state, &session, &id).await?;
    let to = data
        .get("service_id")
        .parse::<i64>()
        .map(ServiceId)
        .map_err(|_| WebError::BadRequest("service de destination invalide".into()))?;
    state
        .store
        .transfer_correspondence(&session.actor(), item.id, to)
        .await?;
    let back = if may_act_on(
        &session,
        &Correspondence {
            service: Some(to),
            ..item.clone()
        },
    ) {
        routes::with_id(routes::REGISTER_ITEM, item.id)
    } else {
        routes::REGISTER.to_owned()
    };
    Ok(redirect_with_notice(
        &state,
        &back,
        &format!(
            "{} transféré ; l'échéance du {} est inchangée.",
            item.reference,
            item.due_on.format("%d/%m/%Y")
        ),
    ))
}

pub async fn scope(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path(id): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let item = item_for(&state, &session, &id).await?;
    let reason = match data.get("reason") {
        "" | "in_scope" => None,
        r => Some(OutOfScope::parse(r).map_err(|e| WebError::BadRequest(e.to_string()))?),
    };
    state
        .store
        .set_correspondence_scope(&session.actor(), item.id, reason)
        .await?;
    Ok(redirect_with_notice(
        &state,
        &routes::with_id(routes::REGISTER_ITEM, item.id),
        &match reason {
            Some(r) => format!("{} est hors périmètre ({}).", item.reference, r.label()),
            None => format!("{} est dans le périmètre.", item.reference),
        },
    ))
}

// ---------------------------------------------------------------------------------------
// Fast paper entry

#[derive(Deserialize)]
pub struct FastQuery {
    canal: Option<String>,
    service: Option<String>,
    site: Option<String>,
    date: Option<String>,
}

const PAPER: [Channel; 3] = [Channel::Letter, Channel::BallotBox, Channel::Counter];

async fn render_fast(
    state: &AppState,
    ctx: &RequestContext,
    session: &SessionUser,
    form: &ItemForm,
    errors: &FieldErrors,
) -> Result<Response, WebError> {
    let (sites, services) = site_and_service_options(state, session).await?;
    let recent: Vec<Value> = state
        .store
        .list_correspondence(&CorrespondenceQuery {
            services: session.user.role.is_limited_to_own_services().then(|| session.user.services.clone()),
            received_from: state.app.today().checked_sub_signed(chrono::Duration::days(31)),
            limit: 500,
            ..Default::default()
        })
        .await?
        .into_iter()
        .filter(|c| !c.channel.is_electronic())
        .rev()
        .take(10)
        .map(|c| context! { reference => c.reference, subject => c.subject, due => c.due_on.format("%d/%m/%Y").to_string() })
        .collect();
    let view = context! {
        form => ser(form),
        errors => ser(errors),
        channels => ser(PAPER.iter().map(|c| SelectOption::new(c.as_str(), c.label())).collect::<Vec<_>>()),
        kinds => ser(options(Kind::ALL, Kind::as_str, Kind::label)),
        sites => ser(sites),
        services => ser(services),
        recent => recent,
        action => routes::REGISTER_FAST,
        back => routes::REGISTER,
    };
    page(
        state,
        ctx,
        "register/fast.html",
        form_status(!errors.is_empty()),
        view,
    )
    .await
}

/// A keyboard-only screen for letters and cards: channel, site, service and date stay
/// from one entry to the next, the focus goes back to the first field, Enter registers.
pub async fn fast_form(
    State(state): State<AppState>,
    ctx: RequestContext,
    CurrentUser(session): CurrentUser,
    Query(q): Query<FastQuery>,
) -> Result<Response, WebError> {
    require_register_access(&session)?;
    let form = ItemForm {
        channel: q
            .canal
            .filter(|c| PAPER.iter().any(|p| p.as_str() == c))
            .unwrap_or_else(|| Channel::Letter.as_str().to_owned()),
        kind: Kind::GeneralInformation.as_str().to_owned(),
        site_id: q.site.unwrap_or_default(),
        service_id: q
            .service
            .or_else(|| session.user.services.first().map(ToString::to_string))
            .unwrap_or_default(),
        received_on: q.date.unwrap_or_else(|| state.app.today().to_string()),
        received_time: String::new(),
        requester_name: String::new(),
        requester_email: String::new(),
        requester_address: String::new(),
        subject: String::new(),
        in_scope: true,
    };
    render_fast(&state, &ctx, &session, &form, &FieldErrors::default()).await
}

pub async fn fast_create(
    State(state): State<AppState>,
    ctx: RequestContext,
    CurrentUser(session): CurrentUser,
    data: FormData,
) -> Result<Response, WebError> {
    require_register_access(&session)?;
    let mut form = item_form(&data);
    form.in_scope = true;
    let mut errors = FieldErrors::default();
    if !PAPER.iter().any(|p| p.as_str() == form.channel) {
        errors.add(
            "item-channel",
            "La saisie rapide sert au courrier et aux fiches papier.",
        );
        return render_fast(&state, &ctx, &session, &form, &errors).await;
    }
    let saved = match register_item(&state, &session, &form).await? {
        Ok(saved) => saved,
        Err(errors) => return render_fast(&state, &ctx, &session, &form, &errors).await,
    };
    let next = format!(
        "{}?canal={}&service={}&site={}&date={}",
        routes::REGISTER_FAST,
        crate::form::url_encode(&form.channel),
        crate::form::url_encode(&form.service_id),
        crate::form::url_encode(&form.site_id),
        crate::form::url_encode(&form.received_on),
    );
    Ok(redirect_with_notice(
        &state,
        &next,
        &format!(
            "{} enregistré, échéance le {}.",
            saved.reference,
            saved.due_on.format("%d/%m/%Y")
        ),
    ))
}

pub async fn answer_by_mail(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path(id): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let item = item_for(&state, &session, &id).await?;
    if item.requester_email.is_empty() {
        return Err(WebError::BadRequest(
            "aucune adresse électronique pour répondre".into(),
        ));
    }
    if item.answered_on.is_some() {
        return Err(WebError::Conflict("cet élément a déjà une réponse".into()));
    }
    let answer =
        AnswerType::parse(data.get("answer")).map_err(|e| WebError::BadRequest(e.to_string()))?;
    let subject = data.get("subject").trim();
    let body = data.get("body").replace("\r\n", "\n");
    if subject.is_empty() || subject.chars().count() > 200 || subject.contains('\n') {
        return Err(WebError::BadRequest(
            "objet du courriel invalide (une ligne, 200 caractères au plus)".into(),
        ));
    }
    if body.trim().is_empty() || body.chars().count() > 20_000 || body.contains("[Votre réponse]")
    {
        return Ok(redirect_with_notice(
            &state,
            &routes::with_id(routes::REGISTER_ITEM, item.id),
            "Complétez le texte de la réponse (remplacez « [Votre réponse] ») avant l'envoi.",
        ));
    }
    qep_app::registers::answer_by_mail(
        &state.app,
        &session.actor(),
        &item,
        answer,
        subject,
        &body,
        &session.user.email.to_string(),
    )
    .await?;
    Ok(redirect_with_notice(
        &state,
        &routes::with_id(routes::REGISTER_ITEM, item.id),
        &format!(
            "Réponse envoyée à {} et enregistrée pour {}.",
            item.requester_email, item.reference
        ),
    ))
}

/// File types accepted as attachments: letters and their scans, messages, office documents.
const ATTACHMENT_TYPES: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("txt", "text/plain"),
    ("eml", "message/rfc822"),
    ("odt", "application/vnd.oasis.opendocument.text"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
];

/// A file name safe to store and to send back in a header.
fn clean_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
        .take(120)
        .collect();
    if cleaned.trim().is_empty() {
        "piece-jointe".to_owned()
    } else {
        cleaned.trim().to_owned()
    }
}

pub async fn attach(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path(id): Path<String>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, WebError> {
    let item = item_for(&state, &session, &id).await?;
    let back = routes::with_id(routes::REGISTER_ITEM, item.id);
    let mut saved = Vec::new();
    // The route's body limit ends the stream: too large is refused whole.
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            WebError::PayloadTooLarge
        } else {
            WebError::BadRequest(format!("envoi de fichier illisible : {e}"))
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = clean_file_name(field.file_name().unwrap_or_default());
        let data = field.bytes().await.map_err(unreadable)?;
        if data.is_empty() {
            continue;
        }
        if data.len() > crate::form::MAX_UPLOAD_BYTES {
            return Err(WebError::PayloadTooLarge);
        }
        let extension = name.rsplit('.').next().unwrap_or_default().to_lowercase();
        let Some((_, content_type)) = ATTACHMENT_TYPES.iter().find(|(e, _)| *e == extension) else {
            return Ok(redirect_with_notice(
                &state,
                &back,
                &format!("« {name} » refusé : types acceptés PDF, PNG, JPEG, TXT, EML, ODT, DOCX."),
            ));
        };
        state
            .store
            .insert_attachment(&session.actor(), item.id, &name, content_type, &data)
            .await?;
        saved.push(name);
    }
    let notice = if saved.is_empty() {
        "Aucun fichier reçu.".to_owned()
    } else {
        format!("Pièce(s) jointe(s) enregistrée(s) : {}.", saved.join(", "))
    };
    Ok(redirect_with_notice(&state, &back, &notice))
}

pub async fn download(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((id, attachment)): Path<(String, String)>,
) -> Result<Response, WebError> {
    use axum::response::IntoResponse as _;

    let item = item_for(&state, &session, &id).await?;
    let (meta, data) = state
        .store
        .get_attachment(AttachmentId(parse_id(&attachment)?))
        .await?;
    if meta.correspondence_id != item.id {
        return Err(WebError::NotFound);
    }
    let ascii: String = meta
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, meta.content_type.clone()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    crate::form::url_encode(&meta.file_name).replace('+', "%20")
                ),
            ),
            (
                axum::http::header::CACHE_CONTROL,
                "private, no-store".to_owned(),
            ),
        ],
        data,
    )
        .into_response())
}
