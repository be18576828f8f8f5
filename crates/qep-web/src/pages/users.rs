//! Accounts, managed by the quality lead. Passwords are generated, shown once, and only
//! their argon2id hash is stored.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{Value, context};
use qep_core::account::{Email, Role, validate_display_name};
use qep_core::ids::{ServiceId, UserId};
use qep_core::time::format_paris;
use qep_store::{Conflict, NewUser, StoreError, User, UserUpdate};
use serde::Serialize;

use super::{SelectOption, form_status, parse_id, service_options};
use crate::AppState;
use qep_app::accounts::{generate_password, hash_password_async};

use crate::auth::AdminUser;
use crate::error::WebError;
use crate::form::{FieldErrors, FormData};
use crate::render::{RequestContext, page, ser};
use crate::routes;

#[derive(Serialize)]
struct UserForm {
    email: String,
    display_name: String,
    role: String,
    services: Vec<String>,
    active: bool,
}

impl Default for UserForm {
    fn default() -> Self {
        UserForm {
            email: String::new(),
            display_name: String::new(),
            role: Role::Agent.as_str().to_owned(),
            services: Vec::new(),
            active: true,
        }
    }
}

impl UserForm {
    fn from_data(data: &FormData) -> UserForm {
        UserForm {
            email: data.get("email").trim().to_owned(),
            display_name: data.get("display_name").trim().to_owned(),
            role: data.get("role").to_owned(),
            services: data
                .all("services")
                .into_iter()
                .map(str::to_owned)
                .collect(),
            active: data.has("active"),
        }
    }

    fn of(user: &User) -> UserForm {
        UserForm {
            email: user.email.to_string(),
            display_name: user.display_name.clone(),
            role: user.role.as_str().to_owned(),
            services: user.services.iter().map(ToString::to_string).collect(),
            active: user.active,
        }
    }

    /// Display name, role and services, checked against the services that exist.
    async fn validate_common(
        &self,
        state: &AppState,
        errors: &mut FieldErrors,
    ) -> Result<Option<(String, Role, Vec<ServiceId>)>, WebError> {
        let name = errors.check("user-name", validate_display_name(&self.display_name));
        let role = errors.check("user-role", Role::parse(&self.role));
        let known = state.store.list_services().await?;
        let mut services = Vec::new();
        for raw in &self.services {
            match raw
                .parse::<i64>()
                .ok()
                .filter(|id| known.iter().any(|s| s.id.0 == *id))
            {
                Some(id) => services.push(ServiceId(id)),
                None => errors.add("user-services", "Un des services choisis n'existe pas."),
            }
        }
        if role == Some(Role::Agent) && services.is_empty() && !known.is_empty() {
            errors.add(
                "user-services",
                "Un agent doit être rattaché à au moins un service.",
            );
        }
        Ok(match (name, role) {
            (Some(n), Some(r)) if errors.is_empty() => Some((n, r, services)),
            _ => None,
        })
    }
}

fn roles() -> Vec<SelectOption> {
    Role::ALL
        .into_iter()
        .map(|r| SelectOption::new(r.as_str(), r.label()))
        .collect()
}

async fn render_list(
    state: &AppState,
    ctx: &RequestContext,
    form: &UserForm,
    errors: &FieldErrors,
    new_password: Option<Value>,
) -> Result<Response, WebError> {
    let services = state.store.list_services().await?;
    let users: Vec<Value> = state
        .store
        .list_users()
        .await?
        .into_iter()
        .map(|u| {
            let names: Vec<&str> = services
                .iter()
                .filter(|s| u.services.contains(&s.id))
                .map(|s| s.name.as_str())
                .collect();
            context! {
                display_name => u.display_name,
                email => u.email.as_str(),
                role => u.role.label(),
                services => names.join(", "),
                active => u.active,
                last_login => u.last_login_at.map_or_else(|| "jamais".to_owned(), format_paris),
                href => routes::with_id(routes::ADMIN_USER, u.id),
            }
        })
        .collect();
    let view = context! {
        users => users,
        form => ser(form),
        errors => ser(errors),
        roles => ser(roles()),
        services => ser(service_options(&services)),
        action => routes::ADMIN_USERS,
        new_password => new_password,
    };
    page(
        state,
        ctx,
        "admin/users.html",
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
    render_list(
        &state,
        &ctx,
        &UserForm::default(),
        &FieldErrors::default(),
        None,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    data: FormData,
) -> Result<Response, WebError> {
    let form = UserForm::from_data(&data);
    let mut errors = FieldErrors::default();
    let email = errors.check("user-email", Email::parse(&form.email));
    let common = form.validate_common(&state, &mut errors).await?;
    let (Some(email), Some((display_name, role, services))) = (email, common) else {
        return render_list(&state, &ctx, &form, &errors, None).await;
    };
    let password = generate_password();
    let new = NewUser {
        email: email.clone(),
        display_name,
        role,
        password_hash: hash_password_async(password.clone()).await?,
        services,
    };
    let actor = admin.0.actor();
    match state.store.insert_user(&actor, &new).await {
        Ok(_) => {}
        Err(StoreError::Conflict(c @ Conflict::EmailTaken)) => {
            errors.add("user-email", format!("{c}."));
            return render_list(&state, &ctx, &form, &errors, None).await;
        }
        Err(e) => return Err(e.into()),
    }
    let shown = context! { email => email.as_str(), password => password };
    render_list(
        &state,
        &ctx,
        &UserForm::default(),
        &FieldErrors::default(),
        Some(shown),
    )
    .await
}

async fn render_user(
    state: &AppState,
    ctx: &RequestContext,
    user: &User,
    form: &UserForm,
    errors: &FieldErrors,
    new_password: Option<String>,
) -> Result<Response, WebError> {
    let view = context! {
        account => context! { email => user.email.as_str(), display_name => user.display_name.clone() },
        form => ser(form),
        errors => ser(errors),
        roles => ser(roles()),
        services => ser(service_options(&state.store.list_services().await?)),
        action => routes::with_id(routes::ADMIN_USER, user.id),
        password_action => routes::with_id(routes::ADMIN_USER_PASSWORD, user.id),
        back => routes::ADMIN_USERS,
        new_password => new_password,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page(state, ctx, "admin/user.html", status, view).await
}

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let user = state.store.get_user(UserId(parse_id(&id)?)).await?;
    render_user(
        &state,
        &ctx,
        &user,
        &UserForm::of(&user),
        &FieldErrors::default(),
        None,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    Path(id): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let user = state.store.get_user(UserId(parse_id(&id)?)).await?;
    let form = UserForm::from_data(&data);
    let mut errors = FieldErrors::default();
    let common = form.validate_common(&state, &mut errors).await?;
    // The quality lead cannot lock themselves out.
    if user.id == admin.0.user.id {
        if !form.active {
            errors.add(
                "user-active",
                "Vous ne pouvez pas désactiver votre propre compte.",
            );
        }
        if form.role != Role::Admin.as_str() {
            errors.add(
                "user-role",
                "Vous ne pouvez pas retirer votre propre rôle d'administrateur.",
            );
        }
    }
    let Some((display_name, role, services)) = common.filter(|_| errors.is_empty()) else {
        return render_user(&state, &ctx, &user, &form, &errors, None).await;
    };
    let actor = admin.0.actor();
    let update = UserUpdate {
        display_name,
        role,
        active: form.active,
        services,
    };
    state.store.update_user(&actor, user.id, &update).await?;
    Ok(super::redirect_with_notice(
        &state,
        routes::ADMIN_USERS,
        &format!("Le compte {} est modifié.", user.email),
    ))
}

pub async fn reset_password(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let user = state.store.get_user(UserId(parse_id(&id)?)).await?;
    let password = generate_password();
    let hash = hash_password_async(password.clone()).await?;
    let actor = admin.0.actor();
    state.store.set_password(&actor, user.id, &hash).await?;
    render_user(
        &state,
        &ctx,
        &user,
        &UserForm::of(&user),
        &FieldErrors::default(),
        Some(password),
    )
    .await
}
