//! Accounts on the web: argon2id password hashes, server-side sessions in the store,
//! CSRF tokens on every state-changing request, and the extractors that let a handler
//! demand a logged-in user or an admin (login limits are in [`crate::limits`]).
//!
//! CSRF: a logged-in user's token is kept with their session; an anonymous visitor (the
//! login form, later the public forms) gets a random token in an HttpOnly cookie, echoed in
//! the form (double submit). Every POST must carry the token, in the `csrf_token` field or
//! the `X-CSRF-Token` header.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use qep_store::SessionUser;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::{WebError, finish_error};
use crate::form::{FormData, MAX_FORM_BYTES};
use crate::render::RequestContext;

pub const SESSION_COOKIE: &str = "qep_session";
pub const CSRF_COOKIE: &str = "qep_csrf";
pub const FLASH_COOKIE: &str = "qep_flash";
pub const CSRF_FIELD: &str = "csrf_token";
pub const CSRF_HEADER: &str = "x-csrf-token";

// ---------------------------------------------------------------------------------------
// Passwords and tokens

/// 256 random bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the store keeps of a session token: a stolen database does not give live sessions.
pub fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn plausible_token(t: &str) -> bool {
    t.len() == 43
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

// ---------------------------------------------------------------------------------------
// Cookies

pub fn parse_cookies(headers: &HeaderMap) -> HashMap<String, String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure behind TLS.
pub fn cookie(state: &AppState, name: &str, value: &str, max_age: Option<Duration>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={}", age.as_secs()));
    }
    if state.config.secure_cookies {
        c.push_str("; Secure");
    }
    c
}

pub fn expired_cookie(state: &AppState, name: &str) -> String {
    cookie(state, name, "", Some(Duration::ZERO))
}

pub fn append_cookie(res: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// A one-time notice shown on the next page (after a redirect).
pub fn flash_cookie(state: &AppState, message: &str) -> String {
    cookie(
        state,
        FLASH_COOKIE,
        &URL_SAFE_NO_PAD.encode(message.as_bytes()),
        Some(Duration::from_secs(60)),
    )
}

fn read_flash(value: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
    let s = String::from_utf8(bytes).ok()?;
    (s.chars().count() <= 300).then_some(s)
}

// ---------------------------------------------------------------------------------------
// The middleware

/// The hash of the current session's token, for logout.
#[derive(Clone)]
pub struct SessionToken(pub String);

/// Loads the session, enforces CSRF on every unsafe method, reads the form body once.
pub async fn session_and_csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let cookies = parse_cookies(req.headers());
    let mut set_cookies = Vec::new();
    let mut session: Option<SessionUser> = None;
    let mut session_hash = None;
    if let Some(token) = cookies.get(SESSION_COOKIE).filter(|t| plausible_token(t)) {
        let hash = token_hash(token);
        match state.store.find_session(&hash, state.app.now()).await {
            Ok(Some(s)) => {
                session = Some(s);
                session_hash = Some(hash);
            }
            Ok(None) => set_cookies.push(expired_cookie(&state, SESSION_COOKIE)),
            Err(e) => return finish_error(&state, None, WebError::from(e).into_response()).await,
        }
    }
    let anonymous = cookies
        .get(CSRF_COOKIE)
        .filter(|t| plausible_token(t))
        .cloned();
    let expected = match (&session, &anonymous) {
        (Some(s), _) => Some(s.csrf_token.clone()),
        (None, Some(t)) => Some(t.clone()),
        (None, None) => None,
    };
    let csrf_token = expected.clone().unwrap_or_else(|| {
        let t = random_token();
        set_cookies.push(cookie(&state, CSRF_COOKIE, &t, None));
        t
    });
    let flash = cookies.get(FLASH_COOKIE).and_then(|v| read_flash(v));
    let ctx = RequestContext {
        session,
        csrf_token,
        path: req.uri().path().to_owned(),
        flash: flash.clone(),
        request_id: req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned(),
    };

    let mut req = req;
    if !req.method().is_safe() {
        let (parts, body) = req.into_parts();
        let refuse = |e: WebError| {
            let ctx = ctx.clone();
            let state = state.clone();
            let set = set_cookies.clone();
            async move {
                let mut res = finish_error(&state, Some(&ctx), e.into_response()).await;
                for c in &set {
                    append_cookie(&mut res, c);
                }
                res
            }
        };
        let is_multipart = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        // A multipart upload is not read here: its token comes in the query string (HTML
        // forms cannot set headers), and its body streams to the handler, whose route sets
        // the size limit (`DefaultBodyLimit`): a large import never sits in memory.
        if is_multipart {
            let sent = serde_urlencoded::from_str::<Vec<(String, String)>>(
                parts.uri.query().unwrap_or_default(),
            )
            .ok()
            .and_then(|pairs| {
                pairs
                    .into_iter()
                    .find(|(k, _)| k == CSRF_FIELD)
                    .map(|(_, v)| v)
            });
            let valid = matches!((&expected, &sent), (Some(e), Some(s)) if constant_time_eq(e, s));
            if !valid {
                tracing::warn!("upload refused: missing or invalid CSRF token");
                return refuse(WebError::Csrf).await;
            }
            req = Request::from_parts(parts, body);
            req.extensions_mut().insert(FormData::default());
        } else {
            let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
                Ok(b) => b,
                Err(_) => return refuse(WebError::PayloadTooLarge).await,
            };
            let is_form = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            let form = if is_form {
                match FormData::parse(&bytes) {
                    Ok(f) => f,
                    Err(e) => return refuse(e).await,
                }
            } else {
                FormData::default()
            };
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .or_else(|| is_form.then(|| form.get(CSRF_FIELD).to_owned()));
            let valid = matches!((&expected, &sent), (Some(e), Some(s)) if constant_time_eq(e, s));
            if !valid {
                tracing::warn!("request refused: missing or invalid CSRF token");
                return refuse(WebError::Csrf).await;
            }
            req = Request::from_parts(parts, Body::from(bytes));
            req.extensions_mut().insert(form);
        }
    }
    req.extensions_mut().insert(ctx);
    if let Some(hash) = session_hash {
        req.extensions_mut().insert(SessionToken(hash));
    }

    let mut res = next.run(req).await;
    let sets_flash = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(FLASH_COOKIE.as_bytes()));
    if flash.is_some() && !sets_flash {
        set_cookies.push(expired_cookie(&state, FLASH_COOKIE));
    }
    for c in &set_cookies {
        append_cookie(&mut res, c);
    }
    res
}

// ---------------------------------------------------------------------------------------
// Extractors

/// Any logged-in account; anonymous visitors are sent to the login page.
pub struct CurrentUser(pub SessionUser);

/// The quality lead; others get the 403 page.
pub struct AdminUser(pub SessionUser);

fn context(parts: &Parts) -> Result<&RequestContext, WebError> {
    parts
        .extensions
        .get::<RequestContext>()
        .ok_or_else(|| WebError::Internal("session middleware missing".into()))
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ctx = context(parts)?;
        match &ctx.session {
            Some(s) => Ok(CurrentUser(s.clone())),
            None => Err(WebError::LoginRequired {
                next: parts
                    .uri
                    .path_and_query()
                    .map_or_else(|| ctx.path.clone(), |p| p.to_string()),
            }),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AdminUser {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let CurrentUser(s) = CurrentUser::from_request_parts(parts, state).await?;
        if s.user.role.can_administer() {
            Ok(AdminUser(s))
        } else {
            Err(WebError::Forbidden)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        context(parts).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let t = random_token();
        assert!(plausible_token(&t));
        assert_ne!(t, random_token());
        assert_ne!(token_hash(&t), t);
        assert_eq!(token_hash(&t), token_hash(&t));
        assert!(constant_time_eq("abc", "abc") && !constant_time_eq("abc", "abd"));
    }
}
