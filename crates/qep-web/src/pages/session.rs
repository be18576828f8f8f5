//! Logging in and out.

use std::sync::OnceLock;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use qep_core::account::Email;
use qep_store::NewSession;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{
    self, CurrentUser, SESSION_COOKIE, SessionToken, append_cookie, cookie, expired_cookie,
};
use crate::error::WebError;
use crate::form::{FieldErrors, FormData};
use crate::limits::set_retry_after;
use crate::proxy::ClientAddr;
use crate::render::{RequestContext, page, ser};
use crate::routes;

#[derive(Deserialize)]
pub struct LoginQuery {
    suite: Option<String>,
}

const BAD_CREDENTIALS: &str = "Adresse électronique ou mot de passe incorrect.";

async fn render_login(
    state: &AppState,
    ctx: &RequestContext,
    status: StatusCode,
    email: &str,
    next: &str,
    errors: &FieldErrors,
    blocked_minutes: Option<u64>,
) -> Result<Response, WebError> {
    let view = context! {
        email => email,
        next => next,
        errors => ser(errors),
        blocked => blocked_minutes,
    };
    page(state, ctx, "login.html", status, view).await
}

pub async fn login_form(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(q): Query<LoginQuery>,
) -> Result<Response, WebError> {
    if ctx.session.is_some() {
        return Ok(Redirect::to(routes::DASHBOARD).into_response());
    }
    let next = q
        .suite
        .as_deref()
        .and_then(routes::safe_next)
        .unwrap_or_default();
    render_login(
        &state,
        &ctx,
        StatusCode::OK,
        "",
        next,
        &FieldErrors::default(),
        None,
    )
    .await
}

/// A hash to verify against when the account does not exist, so that an unknown account
/// takes as long to refuse as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        qep_app::accounts::hash_password("qep-timing-equaliser").unwrap_or_default()
    })
}

pub async fn login(
    State(state): State<AppState>,
    ctx: RequestContext,
    ClientAddr(addr): ClientAddr,
    form: FormData,
) -> Result<Response, WebError> {
    let raw_email = form.get("email").trim().to_owned();
    let password = form.get("password").to_owned();
    let next = routes::safe_next(form.get("suite"))
        .unwrap_or_default()
        .to_owned();

    let mut errors = FieldErrors::default();
    if raw_email.is_empty() {
        errors.add("email", "Saisissez votre adresse électronique.");
    }
    if password.is_empty() {
        errors.add("password", "Saisissez votre mot de passe.");
    }
    if !errors.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render_login(&state, &ctx, status, &raw_email, &next, &errors, None).await;
    }

    // What the logs say of the address: only a well-formed one (no spaces, no control
    // characters, so no forged log line), and nothing of a password typed there by mistake.
    let parsed = Email::parse(&raw_email).ok();
    let logged = parsed
        .as_ref()
        .map_or("(adresse mal formée, non journalisée)", Email::as_str)
        .to_owned();

    // Counted as a failure from here on, unless the password turns out right.
    let attempt = match state.login_limits.begin(&raw_email, addr) {
        Ok(attempt) => attempt,
        Err(wait) => {
            let minutes = wait.as_secs().div_ceil(60).max(1);
            tracing::warn!(email = %logged, "login refused: too many failures");
            let status = StatusCode::TOO_MANY_REQUESTS;
            let mut res = render_login(
                &state,
                &ctx,
                status,
                &raw_email,
                &next,
                &errors,
                Some(minutes),
            )
            .await?;
            set_retry_after(&mut res, wait);
            return Ok(res);
        }
    };

    let credentials = match &parsed {
        Some(email) => state.store.find_credentials(email).await?,
        None => None,
    };
    let (user, hash) = match credentials {
        Some((user, hash)) if user.active => (Some(user), hash),
        _ => (None, dummy_hash().to_owned()),
    };
    let verified = qep_app::accounts::verify_password_async(password, hash).await;
    let Some(user) = user.filter(|_| verified) else {
        tracing::info!(email = %logged, "login failed");
        errors.add("password", BAD_CREDENTIALS);
        let status = StatusCode::UNAUTHORIZED;
        return render_login(&state, &ctx, status, &raw_email, &next, &errors, None).await;
    };

    state.login_limits.succeeded(attempt);
    let token = auth::random_token();
    let created_at = state.app.now();
    let ttl = chrono::Duration::from_std(state.config.session_ttl)
        .map_err(|e| WebError::Internal(e.to_string()))?;
    state
        .store
        .open_session(
            user.id,
            &NewSession {
                token_hash: auth::token_hash(&token),
                csrf_token: auth::random_token(),
                created_at,
                expires_at: created_at + ttl,
            },
        )
        .await?;
    tracing::info!(user = %user.email, "login");
    let target = if next.is_empty() {
        routes::DASHBOARD
    } else {
        next.as_str()
    };
    let mut res = Redirect::to(target).into_response();
    append_cookie(
        &mut res,
        &cookie(
            &state,
            SESSION_COOKIE,
            &token,
            Some(state.config.session_ttl),
        ),
    );
    Ok(res)
}

pub async fn logout(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    token: Option<axum::Extension<SessionToken>>,
) -> Result<Response, WebError> {
    if let Some(axum::Extension(SessionToken(hash))) = token {
        state.store.close_session(&hash).await?;
    }
    tracing::info!(user = %session.user.email, "logout");
    let mut res = super::redirect_with_notice(&state, routes::LOGIN, "Vous êtes déconnecté.");
    append_cookie(&mut res, &expired_cookie(&state, SESSION_COOKIE));
    Ok(res)
}
