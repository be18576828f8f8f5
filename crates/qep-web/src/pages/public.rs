//! Pages anyone may see: home (a redirect), accessibility statement, health check.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use crate::AppState;
use crate::error::WebError;
use crate::render::{RequestContext, page};
use crate::routes;

pub async fn home(ctx: RequestContext) -> Redirect {
    Redirect::to(if ctx.session.is_some() {
        routes::DASHBOARD
    } else {
        routes::LOGIN
    })
}

pub async fn accessibility(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, WebError> {
    page(
        &state,
        &ctx,
        "accessibility.html",
        StatusCode::OK,
        context! {},
    )
    .await
}

/// For load balancers and supervision: 200 when the database answers, 503 otherwise.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(serde_json::json!({
            "status": "ok",
            "database": state.store.backend(),
        }))
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({
                    "status": "unavailable",
                    "database": state.store.backend(),
                })),
            )
                .into_response()
        }
    }
}
