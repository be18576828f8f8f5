//! The append-only audit log, newest first.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{Value, context};
use qep_core::time::format_paris;
use serde::Deserialize;

use crate::AppState;
use crate::auth::AdminUser;
use crate::error::WebError;
use crate::render::{RequestContext, page};
use crate::routes;

const PAGE: u32 = 50;

#[derive(Deserialize)]
pub struct AuditQuery {
    avant: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    let entries = state.store.list_audit(PAGE, q.avant).await?;
    let older = (entries.len() == PAGE as usize)
        .then(|| {
            entries
                .last()
                .map(|e| format!("{}?avant={}", routes::ADMIN_AUDIT, e.id))
        })
        .flatten();
    let rows: Vec<Value> = entries
        .into_iter()
        .map(|e| {
            context! {
                at => format_paris(e.at),
                actor => e.actor,
                action => e.action,
                target => e.target,
                detail => e.detail,
            }
        })
        .collect();
    let view = context! { entries => rows, older => older };
    page(&state, &ctx, "admin/audit.html", StatusCode::OK, view).await
}
