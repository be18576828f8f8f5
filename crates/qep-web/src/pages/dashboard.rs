//! The landing page of every account.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use qep_core::referentiel;
use qep_core::time::format_paris;
use serde::Serialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::render::{RequestContext, page, ser};

#[derive(Serialize)]
struct ModuleView {
    number: u8,
    title: String,
    mandatory: bool,
}

#[derive(Serialize)]
struct SiteRow {
    name: String,
    services: usize,
    in_scope: usize,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: RequestContext,
    CurrentUser(session): CurrentUser,
    axum::extract::Query(q): axum::extract::Query<super::indicators::YearQuery>,
) -> Result<Response, WebError> {
    let year = super::indicators::default_year(&state, q.annee).await?;
    let cached = qep_app::indicators::cached_results(&state.app, year, None, None).await?;
    let (cat, res) = (&cached.0, &cached.1);
    let prefecture = state.store.find_prefecture().await?;
    let scope = prefecture.map(|p| {
        let r = referentiel::find(&p.scope.referentiel);
        let modules: Vec<ModuleView> = p
            .scope
            .modules
            .iter()
            .map(|&n| {
                let m = r.and_then(|r| r.module(n));
                ModuleView {
                    number: n,
                    title: m.map(|m| m.title.clone()).unwrap_or_default(),
                    mandatory: m.is_some_and(|m| m.mandatory),
                }
            })
            .collect();
        context! {
            referentiel => r.map_or(p.scope.referentiel.clone(), |r| r.title.clone()),
            modules => ser(modules),
        }
    });
    let sites = state.store.list_sites().await?;
    let services = state.store.list_services().await?;
    let site_rows: Vec<SiteRow> = sites
        .iter()
        .map(|site| {
            let of_site = services.iter().filter(|s| s.site_id == site.id);
            SiteRow {
                name: site.name.clone(),
                services: of_site.clone().count(),
                in_scope: of_site.filter(|s| s.in_scope).count(),
            }
        })
        .collect();
    let my_services: Vec<String> = services
        .iter()
        .filter(|s| session.user.services.contains(&s.id))
        .map(|s| s.name.clone())
        .collect();
    let recent = if session.user.role.can_administer() {
        state
            .store
            .list_audit(5, None)
            .await?
            .into_iter()
            .map(|e| {
                context! {
                    at => format_paris(e.at),
                    actor => e.actor,
                    action => super::audit::action_label(&e.action),
                    target => e.target,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let view = context! {
        scope => scope,
        sites => ser(site_rows),
        my_services => my_services,
        recent => recent,
        audit_href => crate::routes::ADMIN_AUDIT,
        year => year,
        previous_year => format!("{}?annee={}", crate::routes::DASHBOARD, year - 1),
        next_year => format!("{}?annee={}", crate::routes::DASHBOARD, year + 1),
        sections => super::indicators::sections(res),
        frozen => super::indicators::frozen_list(res),
        changed => super::indicators::changed_list(res, cat),
        validation_options => ser(super::indicators::validation_options(res)),
        validation_action => crate::routes::VALIDATION,
        sampling_href => crate::routes::ADMIN_SAMPLING,
        levels => qep_core::indicators::Level::ALL.iter().map(|l| minijinja::context! { number => l.number(), label => l.label() }).collect::<Vec<_>>(),
    };
    page(&state, &ctx, "dashboard.html", StatusCode::OK, view).await
}
