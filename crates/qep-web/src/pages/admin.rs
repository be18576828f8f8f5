//! Prefecture set-up for the quality lead: identity, labelling scope, sites, services.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use qep_core::ids::{ServiceId, SiteId};
use qep_core::prefecture::{
    Department, PrefectureError, PrefectureSettings, Scope, ServiceDraft, SiteDraft, SiteKind,
};
use qep_core::referentiel;
use qep_store::{Conflict, StoreError};
use serde::Serialize;

use super::{SelectOption, form_status, parse_id, redirect_with_notice, site_options};
use crate::AppState;
use crate::auth::AdminUser;
use crate::error::WebError;
use crate::form::{FieldErrors, FormData};
use crate::render::{RequestContext, page, ser};
use crate::routes;

pub async fn index(_: AdminUser) -> Redirect {
    Redirect::to(routes::ADMIN_PREFECTURE)
}

pub async fn index_services(_: AdminUser) -> Redirect {
    Redirect::to(&format!("{}#services", routes::ADMIN_SITES))
}

// ---------------------------------------------------------------------------------------
// Prefecture

#[derive(Serialize, Default)]
struct PrefectureForm {
    name: String,
    department: String,
    referentiel: String,
    modules: Vec<String>,
}

async fn render_prefecture(
    state: &AppState,
    ctx: &RequestContext,
    form: &PrefectureForm,
    errors: &FieldErrors,
) -> Result<Response, WebError> {
    let departments: Vec<SelectOption> = Department::all()
        .map(|d| SelectOption::new(d.code(), d.to_string()))
        .collect();
    let referentiels: Vec<SelectOption> =
        referentiel::of_kind(referentiel::ReferentielKind::QualEPref)
            .map(|r| SelectOption::new(&r.code, r.title.clone()))
            .collect();
    let version = referentiel::find(&form.referentiel)
        .or_else(|| referentiel::find(referentiel::DEFAULT_CODE));
    let modules: Vec<SelectOption> = version
        .map(|r| {
            r.modules
                .iter()
                .map(|m| SelectOption {
                    locked: m.mandatory,
                    ..SelectOption::new(
                        m.number,
                        format!(
                            "Module {} – {}{}",
                            m.number,
                            m.title,
                            if m.mandatory { " (obligatoire)" } else { "" }
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let view = context! {
        form => ser(form),
        errors => ser(errors),
        departments => ser(departments),
        referentiels => ser(referentiels),
        modules => ser(modules),
        action => routes::ADMIN_PREFECTURE,
    };
    page(
        state,
        ctx,
        "admin/prefecture.html",
        form_status(!errors.is_empty()),
        view,
    )
    .await
}

pub async fn prefecture_form(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
) -> Result<Response, WebError> {
    let form = match state.store.find_prefecture().await? {
        Some(p) => PrefectureForm {
            name: p.name,
            department: p.department.code().to_owned(),
            referentiel: p.scope.referentiel,
            modules: p.scope.modules.iter().map(u8::to_string).collect(),
        },
        None => PrefectureForm {
            referentiel: referentiel::DEFAULT_CODE.to_owned(),
            ..Default::default()
        },
    };
    render_prefecture(&state, &ctx, &form, &FieldErrors::default()).await
}

pub async fn prefecture_save(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    data: FormData,
) -> Result<Response, WebError> {
    let form = PrefectureForm {
        name: data.get("name").trim().to_owned(),
        department: data.get("department").to_owned(),
        referentiel: data.get("referentiel").to_owned(),
        modules: data.all("modules").into_iter().map(str::to_owned).collect(),
    };
    let mut errors = FieldErrors::default();
    let modules: Vec<u8> = form.modules.iter().filter_map(|m| m.parse().ok()).collect();
    errors.check("department", Department::parse(&form.department));
    match Scope::new(&form.referentiel, &modules) {
        Ok(_) => {}
        Err(e @ PrefectureError::UnknownReferentiel(_)) => errors.add("referentiel", e.to_string()),
        Err(e) => errors.add("modules", e.to_string()),
    }
    let settings = if errors.is_empty() {
        errors.check(
            "name",
            PrefectureSettings::new(&form.name, &form.department, &form.referentiel, &modules),
        )
    } else {
        None
    };
    let Some(settings) = settings else {
        return render_prefecture(&state, &ctx, &form, &errors).await;
    };
    let actor = admin.0.actor();
    match state.store.find_prefecture().await? {
        Some(_) => state.store.update_prefecture(&actor, &settings).await?,
        None => {
            state.store.init_prefecture(&actor, &settings, &[]).await?;
        }
    }
    Ok(redirect_with_notice(
        &state,
        routes::ADMIN_PREFECTURE,
        "Les paramètres de la préfecture sont enregistrés.",
    ))
}

// ---------------------------------------------------------------------------------------
// Sites and services

#[derive(Serialize)]
struct SiteForm {
    name: String,
    kind: String,
    address: String,
    /// An IANA zone name, or empty for the département's.
    time_zone: String,
}

impl Default for SiteForm {
    fn default() -> Self {
        SiteForm {
            name: String::new(),
            kind: SiteKind::Prefecture.as_str().to_owned(),
            address: String::new(),
            time_zone: String::new(),
        }
    }
}

impl SiteForm {
    fn from_data(data: &FormData) -> SiteForm {
        SiteForm {
            name: data.get("name").trim().to_owned(),
            kind: data.get("kind").to_owned(),
            address: data.get("address").trim().to_owned(),
            time_zone: data.get("time_zone").trim().to_owned(),
        }
    }

    fn validate(&self, errors: &mut FieldErrors) -> Option<SiteDraft> {
        match SiteDraft::new(&self.name, &self.kind, &self.address)
            .and_then(|d| d.with_time_zone(&self.time_zone))
        {
            Ok(d) => Some(d),
            Err(e @ PrefectureError::UnknownSiteKind(_)) => {
                errors.add("site-kind", e.to_string());
                None
            }
            Err(
                e @ PrefectureError::Invalid {
                    field: "adresse", ..
                },
            ) => {
                errors.add("site-address", e.to_string());
                None
            }
            Err(
                e @ PrefectureError::Invalid {
                    field: "fuseau horaire",
                    ..
                },
            ) => {
                errors.add("site-time-zone", e.to_string());
                None
            }
            Err(e) => {
                errors.add("site-name", e.to_string());
                None
            }
        }
    }
}

#[derive(Serialize, Default)]
struct ServiceForm {
    name: String,
    code: String,
    site_id: String,
    in_scope: bool,
    /// The address its agents' answers leave from; empty for `mail_from`.
    email: String,
}

impl ServiceForm {
    fn from_data(data: &FormData) -> ServiceForm {
        ServiceForm {
            name: data.get("name").trim().to_owned(),
            code: data.get("code").trim().to_owned(),
            site_id: data.get("site_id").to_owned(),
            in_scope: data.has("in_scope"),
            email: data.get("email").trim().to_owned(),
        }
    }

    fn validate(&self, errors: &mut FieldErrors) -> Option<ServiceDraft> {
        let Ok(site) = self.site_id.parse::<i64>() else {
            errors.add("service-site", "Choisissez un site.");
            return None;
        };
        match ServiceDraft::new(&self.name, &self.code, SiteId(site), self.in_scope)
            .and_then(|d| d.with_email(&self.email))
        {
            Ok(d) => Some(d),
            Err(e @ PrefectureError::Invalid { field: "sigle", .. }) => {
                errors.add("service-code", e.to_string());
                None
            }
            Err(
                e @ PrefectureError::Invalid {
                    field: "adresse électronique du service",
                    ..
                },
            ) => {
                errors.add("service-email", e.to_string());
                None
            }
            Err(e) => {
                errors.add("service-name", e.to_string());
                None
            }
        }
    }
}

/// The zones a site may take; the first, empty, keeps the département's.
fn time_zones() -> Vec<SelectOption> {
    std::iter::once(SelectOption::new("", "Celui du département"))
        .chain(
            qep_core::time::ZONES
                .iter()
                .map(|(zone, label)| SelectOption::new(zone.name(), *label)),
        )
        .collect()
}

fn site_kinds() -> Vec<SelectOption> {
    SiteKind::ALL
        .into_iter()
        .map(|k| SelectOption::new(k.as_str(), k.label()))
        .collect()
}

async fn render_sites(
    state: &AppState,
    ctx: &RequestContext,
    site_form: &SiteForm,
    site_errors: &FieldErrors,
    service_form: &ServiceForm,
    service_errors: &FieldErrors,
) -> Result<Response, WebError> {
    let sites = state.store.list_sites().await?;
    let services = state.store.list_services().await?;
    let site_rows: Vec<Value> = sites
        .iter()
        .map(|s| {
            context! {
                name => s.name.clone(),
                kind => s.kind.label(),
                address => s.address.clone(),
                time_zone => s.time_zone.map(|z| z.name()),
                services => services.iter().filter(|x| x.site_id == s.id).count(),
                href => routes::with_id(routes::ADMIN_SITE, s.id),
                calendar => routes::with_id(routes::ADMIN_SITE_CALENDAR, s.id),
            }
        })
        .collect();
    let service_rows: Vec<Value> = services
        .iter()
        .map(|s| {
            context! {
                name => s.name.clone(),
                code => s.code.clone(),
                site => sites.iter().find(|x| x.id == s.site_id).map(|x| x.name.clone()),
                in_scope => s.in_scope,
                href => routes::with_id(routes::ADMIN_SERVICE, s.id),
            }
        })
        .collect();
    let has_errors = !site_errors.is_empty() || !service_errors.is_empty();
    let view = context! {
        sites => site_rows,
        services => service_rows,
        site_form => ser(site_form),
        site_errors => ser(site_errors),
        site_kinds => ser(site_kinds()),
        time_zones => ser(time_zones()),
        site_action => routes::ADMIN_SITES,
        service_form => ser(service_form),
        service_errors => ser(service_errors),
        site_options => ser(site_options(&sites)),
        service_action => routes::ADMIN_SERVICES,
        errors => has_errors,
    };
    page(
        state,
        ctx,
        "admin/sites.html",
        form_status(has_errors),
        view,
    )
    .await
}

pub async fn sites(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
) -> Result<Response, WebError> {
    let none = FieldErrors::default();
    let service_form = ServiceForm {
        in_scope: true,
        ..Default::default()
    };
    render_sites(
        &state,
        &ctx,
        &SiteForm::default(),
        &none,
        &service_form,
        &none,
    )
    .await
}

pub async fn site_create(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    data: FormData,
) -> Result<Response, WebError> {
    let form = SiteForm::from_data(&data);
    let mut errors = FieldErrors::default();
    let Some(draft) = form.validate(&mut errors) else {
        let none = FieldErrors::default();
        return render_sites(&state, &ctx, &form, &errors, &ServiceForm::default(), &none).await;
    };
    let site = state.store.insert_site(&admin.0.actor(), &draft).await?;
    Ok(redirect_with_notice(
        &state,
        routes::ADMIN_SITES,
        &format!("Le site « {} » est ajouté.", site.name),
    ))
}

async fn render_site(
    state: &AppState,
    ctx: &RequestContext,
    id: i64,
    form: &SiteForm,
    errors: &FieldErrors,
) -> Result<Response, WebError> {
    let view = context! {
        site_form => ser(form),
        site_errors => ser(errors),
        site_kinds => ser(site_kinds()),
        time_zones => ser(time_zones()),
        action => routes::with_id(routes::ADMIN_SITE, id),
        delete_action => routes::with_id(routes::ADMIN_SITE_DELETE, id),
        calendar => routes::with_id(routes::ADMIN_SITE_CALENDAR, id),
        back => routes::ADMIN_SITES,
    };
    page(
        state,
        ctx,
        "admin/site.html",
        form_status(!errors.is_empty()),
        view,
    )
    .await
}

pub async fn site_form(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let site = state
        .store
        .list_sites()
        .await?
        .into_iter()
        .find(|s| s.id.0 == id)
        .ok_or(WebError::NotFound)?;
    let form = SiteForm {
        name: site.name,
        kind: site.kind.as_str().to_owned(),
        address: site.address,
        time_zone: site
            .time_zone
            .map(|z| z.name().to_owned())
            .unwrap_or_default(),
    };
    render_site(&state, &ctx, id, &form, &FieldErrors::default()).await
}

pub async fn site_update(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    Path(id): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let form = SiteForm::from_data(&data);
    let mut errors = FieldErrors::default();
    let Some(draft) = form.validate(&mut errors) else {
        return render_site(&state, &ctx, id, &form, &errors).await;
    };
    let site = state
        .store
        .update_site(&admin.0.actor(), SiteId(id), &draft)
        .await?;
    Ok(redirect_with_notice(
        &state,
        routes::ADMIN_SITES,
        &format!("Le site « {} » est modifié.", site.name),
    ))
}

pub async fn site_delete(
    State(state): State<AppState>,
    _ctx: RequestContext,
    admin: AdminUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    match state.store.delete_site(&admin.0.actor(), SiteId(id)).await {
        Ok(()) => Ok(redirect_with_notice(
            &state,
            routes::ADMIN_SITES,
            "Le site est supprimé.",
        )),
        Err(StoreError::Conflict(
            c @ (Conflict::SiteHasServices
            | Conflict::SiteHasItems
            | Conflict::SiteHasLogEntries
            | Conflict::SiteHasValues),
        )) => Ok(redirect_with_notice(
            &state,
            &routes::with_id(routes::ADMIN_SITE, id),
            &format!("Suppression impossible : {c}."),
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn service_create(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    data: FormData,
) -> Result<Response, WebError> {
    let form = ServiceForm::from_data(&data);
    let mut errors = FieldErrors::default();
    let draft = form.validate(&mut errors);
    let created = match draft {
        Some(d) => match state.store.insert_service(&admin.0.actor(), &d).await {
            Ok(s) => Some(s),
            Err(StoreError::NotFound(_)) => {
                errors.add("service-site", "Ce site n'existe plus.");
                None
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let Some(service) = created else {
        let none = FieldErrors::default();
        return render_sites(&state, &ctx, &SiteForm::default(), &none, &form, &errors).await;
    };
    Ok(redirect_with_notice(
        &state,
        &format!("{}#services", routes::ADMIN_SITES),
        &format!("Le service « {} » est ajouté.", service.name),
    ))
}

async fn render_service(
    state: &AppState,
    ctx: &RequestContext,
    id: i64,
    form: &ServiceForm,
    errors: &FieldErrors,
) -> Result<Response, WebError> {
    let view = context! {
        service_form => ser(form),
        service_errors => ser(errors),
        site_options => ser(site_options(&state.store.list_sites().await?)),
        action => routes::with_id(routes::ADMIN_SERVICE, id),
        delete_action => routes::with_id(routes::ADMIN_SERVICE_DELETE, id),
        back => routes::ADMIN_SITES,
    };
    page(
        state,
        ctx,
        "admin/service.html",
        form_status(!errors.is_empty()),
        view,
    )
    .await
}

pub async fn service_form(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let service = state
        .store
        .list_services()
        .await?
        .into_iter()
        .find(|s| s.id.0 == id)
        .ok_or(WebError::NotFound)?;
    let form = ServiceForm {
        name: service.name,
        code: service.code,
        site_id: service.site_id.to_string(),
        in_scope: service.in_scope,
        email: service.email.unwrap_or_default(),
    };
    render_service(&state, &ctx, id, &form, &FieldErrors::default()).await
}

pub async fn service_update(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    Path(id): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let form = ServiceForm::from_data(&data);
    let mut errors = FieldErrors::default();
    let updated = match form.validate(&mut errors) {
        Some(d) => match state
            .store
            .update_service(&admin.0.actor(), ServiceId(id), &d)
            .await
        {
            Ok(s) => Some(s),
            Err(StoreError::NotFound("site")) => {
                errors.add("service-site", "Ce site n'existe plus.");
                None
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let Some(service) = updated else {
        return render_service(&state, &ctx, id, &form, &errors).await;
    };
    Ok(redirect_with_notice(
        &state,
        &format!("{}#services", routes::ADMIN_SITES),
        &format!("Le service « {} » est modifié.", service.name),
    ))
}

pub async fn service_delete(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    state
        .store
        .delete_service(&admin.0.actor(), ServiceId(id))
        .await?;
    Ok(redirect_with_notice(
        &state,
        &format!("{}#services", routes::ADMIN_SITES),
        "Le service est supprimé.",
    )
    .into_response())
}
