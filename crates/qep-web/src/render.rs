//! Server-rendered HTML: minijinja templates embedded in the binary, and the context every
//! page shares (the prefecture, the account, the CSRF token, the navigation).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior, Value, context};
use qep_store::SessionUser;
use rust_embed::RustEmbed;
use serde::Serialize;

use crate::AppState;
use crate::error::WebError;
use crate::routes;

#[derive(RustEmbed)]
#[folder = "templates/"]
struct TemplateFiles;

pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Loads every embedded template; a syntax error stops start-up with the file's name.
    pub fn load() -> anyhow::Result<Templates> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        for name in TemplateFiles::iter() {
            let file = TemplateFiles::get(&name)
                .ok_or_else(|| anyhow::anyhow!("template {name} vanished"))?;
            let source = String::from_utf8(file.data.into_owned())
                .map_err(|_| anyhow::anyhow!("template {name} is not UTF-8"))?;
            env.add_template_owned(name.to_string(), source)
                .map_err(|e| anyhow::anyhow!("template {name}: {e:#}"))?;
        }
        Ok(Templates { env })
    }

    pub fn names() -> Vec<String> {
        TemplateFiles::iter().map(|n| n.to_string()).collect()
    }

    pub fn render(&self, name: &str, ctx: Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(ctx)
    }
}

/// Any serialisable view model as a template value.
pub fn ser<T: Serialize>(t: T) -> Value {
    Value::from(Serde(t))
}

/// What the session middleware learnt about the request, for handlers and templates.
#[derive(Clone)]
pub struct RequestContext {
    pub session: Option<SessionUser>,
    pub csrf_token: String,
    pub path: String,
    pub flash: Option<String>,
    pub request_id: String,
}

#[derive(Serialize)]
struct NavItem {
    label: &'static str,
    href: &'static str,
    current: bool,
}

fn navigation(ctx: &RequestContext) -> Vec<NavItem> {
    let Some(s) = &ctx.session else {
        return Vec::new();
    };
    let mut items = vec![(routes::DASHBOARD, "Tableau de bord")];
    if s.user.role != qep_core::account::Role::Viewer {
        items.push((routes::REGISTERS, "Registres"));
    }
    if s.user.role.can_administer() {
        items.extend([
            (routes::ADMIN_PREFECTURE, "Préfecture"),
            (routes::ADMIN_SITES, "Sites et services"),
            (routes::ADMIN_USERS, "Utilisateurs"),
            (routes::ADMIN_LOCAL_INDICATORS, "Indicateurs locaux"),
            (routes::ADMIN_TEMPLATES, "Modèles"),
            (routes::ADMIN_AUDIT, "Journal"),
            (routes::ADMIN_JOBS, "Tâches"),
        ]);
    }
    items
        .into_iter()
        .map(|(href, label)| NavItem {
            label,
            href,
            current: ctx.path == href
                || (href != routes::DASHBOARD && ctx.path.starts_with(&format!("{href}/"))),
        })
        .collect()
}

/// Renders `template` with the shared context plus `view`.
pub async fn page(
    state: &AppState,
    ctx: &RequestContext,
    template: &str,
    status: StatusCode,
    view: Value,
) -> Result<Response, WebError> {
    let prefecture = state.store.find_prefecture().await?.map(|p| {
        context! {
            name => p.name,
            department => p.department.to_string(),
        }
    });
    let user = ctx.session.as_ref().map(|s| {
        context! {
            email => s.user.email.as_str(),
            display_name => s.user.display_name.clone(),
            role => s.user.role.as_str(),
            role_label => s.user.role.label(),
            is_admin => s.user.role.can_administer(),
        }
    });
    let base = context! {
        prefecture => prefecture,
        user => user,
        csrf_token => ctx.csrf_token.clone(),
        path => ctx.path.clone(),
        flash => ctx.flash.clone(),
        nav => ser(navigation(ctx)),
        routes => context! {
            home => routes::HOME,
            login => routes::LOGIN,
            logout => routes::LOGOUT,
            dashboard => routes::DASHBOARD,
            accessibility => routes::ACCESSIBILITY,
            contact => routes::CONTACT,
            results => routes::RESULTS,
            assets => routes::ASSETS,
            app_assets => routes::APP_ASSETS,
        },
    };
    let html = state
        .templates
        .render(template, context! { ..view, ..base })?;
    Ok((status, Html(html)).into_response())
}
