//! The acknowledgement templates, edited by the quality lead. A template is checked by
//! rendering it with every merge field before it is saved.

use axum::extract::State;
use axum::response::Response;
use minijinja::{Value, context};

use super::{form_status, redirect_with_notice};
use crate::AppState;
use crate::auth::AdminUser;
use crate::error::WebError;
use crate::form::{FieldErrors, FormData};
use crate::render::{RequestContext, page, ser};
use crate::routes;
use qep_app::mail::{ANSWER_TEMPLATES, TEMPLATES, check_template, default_template};

const SUBJECT_MAX: usize = 200;
const BODY_MAX: usize = 10_000;

async fn render(
    state: &AppState,
    ctx: &RequestContext,
    edited: Option<(&str, &str, &str)>,
    errors: &FieldErrors,
) -> Result<Response, WebError> {
    let mut items: Vec<Value> = Vec::new();
    let all = TEMPLATES
        .iter()
        .map(|(key, purpose, channel, kind)| {
            let (_, s, b) = default_template(*channel, *kind);
            (*key, *purpose, s, b)
        })
        .chain(ANSWER_TEMPLATES.iter().map(|(k, p, s, b)| (*k, *p, *s, *b)));
    for (key, purpose, default_subject, default_body) in all {
        let stored = state.store.find_template(key).await?;
        let (subject, body) = match (edited, &stored) {
            (Some((k, s, b)), _) if k == key => (s.to_owned(), b.to_owned()),
            (_, Some(t)) => (t.subject.clone(), t.body.clone()),
            _ => (default_subject.to_owned(), default_body.to_owned()),
        };
        items.push(context! {
            key => key,
            purpose => purpose,
            subject => subject,
            body => body,
            custom => stored.as_ref().map(|t| format!("modifié le {} par {}", qep_core::time::format_paris(t.updated_at), t.updated_by)),
            errors => edited.is_some_and(|(k, _, _)| k == key),
        });
    }
    let view = context! {
        items => items,
        errors => ser(errors),
        action => routes::ADMIN_TEMPLATES,
    };
    page(
        state,
        ctx,
        "admin/templates.html",
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
    render(&state, &ctx, None, &FieldErrors::default()).await
}

pub async fn save(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    data: FormData,
) -> Result<Response, WebError> {
    let key = data.get("key");
    if !TEMPLATES.iter().any(|(k, _, _, _)| *k == key)
        && !ANSWER_TEMPLATES.iter().any(|(k, _, _, _)| *k == key)
    {
        return Err(WebError::BadRequest(format!("modèle inconnu « {key} »")));
    }
    let subject = data.get("subject").trim();
    let body = data.get("body").replace("\r\n", "\n");
    let mut errors = FieldErrors::default();
    if subject.is_empty() || subject.chars().count() > SUBJECT_MAX || subject.contains('\n') {
        errors.add(
            "template-subject",
            format!("L'objet tient sur une ligne de {SUBJECT_MAX} caractères au plus."),
        );
    } else if let Err(e) = check_template(subject) {
        errors.add("template-subject", e);
    }
    if body.trim().is_empty() || body.chars().count() > BODY_MAX {
        errors.add(
            "template-body",
            format!("Le texte est obligatoire ({BODY_MAX} caractères au plus)."),
        );
    } else if let Err(e) = check_template(&body) {
        errors.add("template-body", e);
    }
    if !errors.is_empty() {
        return render(&state, &ctx, Some((key, subject, &body)), &errors).await;
    }
    let actor = admin.0.actor();
    state
        .store
        .save_template(&actor, key, subject, &body)
        .await?;
    Ok(redirect_with_notice(
        &state,
        routes::ADMIN_TEMPLATES,
        "Modèle enregistré : il sert aux prochains accusés de réception.",
    ))
}
