//! The one place that chooses status codes. Handlers return [`WebError`]; its response
//! carries an [`ErrorPage`] extension that [`render_error_pages`] turns into a DSFR page,
//! logging internal errors once, with the request id.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use qep_store::StoreError;

use crate::AppState;
use crate::render::RequestContext;
use crate::routes;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("page introuvable")]
    NotFound,
    #[error("accès refusé")]
    Forbidden,
    #[error("jeton de sécurité (CSRF) absent ou invalide")]
    Csrf,
    #[error("connexion requise")]
    LoginRequired { next: String },
    #[error("requête trop volumineuse")]
    PayloadTooLarge,
    #[error("requête invalide : {0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("service momentanément indisponible")]
    Unavailable,
    #[error("erreur interne : {0}")]
    Internal(String),
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => WebError::NotFound,
            StoreError::Conflict(c) => WebError::Conflict(c.to_string()),
            StoreError::Busy => WebError::Unavailable,
            StoreError::Corrupt(_) | StoreError::Backend(_) => WebError::Internal(e.to_string()),
        }
    }
}

impl From<qep_app::accounts::PasswordError> for WebError {
    fn from(e: qep_app::accounts::PasswordError) -> Self {
        WebError::Internal(e.to_string())
    }
}

impl From<minijinja::Error> for WebError {
    fn from(e: minijinja::Error) -> Self {
        WebError::Internal(format!("gabarit : {e:#}"))
    }
}

/// What the error page shows; internal details are logged, never shown.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
    pub internal: Option<String>,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message, internal) = match self {
            WebError::LoginRequired { next } => {
                let target = match routes::safe_next(&next) {
                    Some(next) if next != routes::HOME => {
                        format!("{}?suite={}", routes::LOGIN, crate::form::url_encode(next))
                    }
                    _ => routes::LOGIN.to_owned(),
                };
                return Redirect::to(&target).into_response();
            }
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page non trouvée",
                "La page que vous cherchez est introuvable. Excusez-nous pour la gêne occasionnée."
                    .to_owned(),
                None,
            ),
            WebError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Accès refusé",
                "Votre compte ne donne pas accès à cette page.".to_owned(),
                None,
            ),
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "Formulaire expiré",
                "Le jeton de sécurité du formulaire est absent ou invalide. Rechargez la page puis recommencez."
                    .to_owned(),
                None,
            ),
            WebError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Envoi trop volumineux",
                "Les données envoyées dépassent la taille autorisée.".to_owned(),
                None,
            ),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Requête invalide", m, None),
            WebError::Conflict(m) => (StatusCode::CONFLICT, "Opération impossible", m, None),
            WebError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Service momentanément indisponible",
                "La base de données est occupée. Réessayez dans quelques instants.".to_owned(),
                None,
            ),
            WebError::Internal(detail) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erreur inattendue",
                "Une erreur est survenue de notre côté. Si elle persiste, transmettez l'identifiant de la requête ci-dessous à votre administrateur."
                    .to_owned(),
                Some(detail),
            ),
        };
        let page = ErrorPage {
            status,
            title,
            message: message.clone(),
            internal,
        };
        let mut res = (status, format!("{title} : {message}")).into_response();
        res.extensions_mut().insert(page);
        res
    }
}

/// Renders an [`ErrorPage`] found on a response as a full DSFR page.
pub async fn render_error_pages(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let ctx = req.extensions().get::<RequestContext>().cloned();
    let res = next.run(req).await;
    finish_error(&state, ctx.as_ref(), res).await
}

/// Turns a response carrying an [`ErrorPage`] into the DSFR error page (other responses
/// pass through), logging internal errors once.
pub async fn finish_error(
    state: &AppState,
    ctx: Option<&RequestContext>,
    res: Response,
) -> Response {
    let Some(page) = res.extensions().get::<ErrorPage>().cloned() else {
        return res;
    };
    if let Some(internal) = &page.internal {
        tracing::error!(error = %internal, "request failed");
    }
    let Some(ctx) = ctx else { return res };
    let view = minijinja::context! {
        status => page.status.as_u16(),
        title => page.title,
        message => page.message,
        request_id => ctx.request_id.clone(),
    };
    match crate::render::page(state, ctx, "error.html", page.status, view).await {
        Ok(mut rendered) => {
            // Keep the cookies the inner layers set (e.g. a cleared session).
            for cookie in res.headers().get_all(axum::http::header::SET_COOKIE) {
                rendered
                    .headers_mut()
                    .append(axum::http::header::SET_COOKIE, cookie.clone());
            }
            rendered
        }
        Err(e) => {
            tracing::error!(error = %e, "error page could not be rendered");
            res
        }
    }
}
