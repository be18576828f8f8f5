//! The public contact form: a citizen sends a request, a complaint or a suggestion; it is
//! registered with its working-day deadline, the reference is shown, and the
//! acknowledgement is queued in the same transaction. Anonymous, so it resists abuse:
//! field limits, a honeypot field, a per-address rate limit, CSRF; no third-party captcha.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use qep_app::registers::Arrival;
use qep_core::registers::correspondence::{Channel, Kind};
use qep_store::Actor;
use serde::Serialize;

use super::{form_status, redirect_with_notice};
use crate::AppState;
use crate::error::WebError;
use crate::form::{FieldErrors, FormData};
use crate::limits::{address_key, set_retry_after};
use crate::proxy::ClientAddr;
use crate::render::{RequestContext, page, ser};
use crate::routes;

/// Name of the honeypot field: hidden from people, filled by bots.
pub const HONEYPOT: &str = "site_web";
const SUBJECT_MAX: usize = 150;
const MESSAGE_MAX: usize = 5000;
const NAME_MAX: usize = 120;

const KINDS: [(Kind, &str); 3] = [
    (Kind::GeneralInformation, "Une demande d'information"),
    (Kind::Complaint, "Une réclamation"),
    (Kind::Suggestion, "Une suggestion"),
];

#[derive(Serialize, Default)]
struct ContactForm {
    kind: String,
    name: String,
    email: String,
    subject: String,
    message: String,
}

async fn render(
    state: &AppState,
    ctx: &RequestContext,
    form: &ContactForm,
    errors: &FieldErrors,
    status: Option<StatusCode>,
) -> Result<Response, WebError> {
    let kinds: Vec<_> = KINDS
        .iter()
        .map(|(k, label)| context! { value => k.as_str(), label => *label })
        .collect();
    let view = context! {
        form => ser(form),
        errors => ser(errors),
        kinds => kinds,
        honeypot => HONEYPOT,
        action => routes::CONTACT,
        limits => context! { subject => SUBJECT_MAX, message => MESSAGE_MAX },
    };
    page(
        state,
        ctx,
        "public/contact.html",
        status.unwrap_or(form_status(!errors.is_empty())),
        view,
    )
    .await
}

pub async fn form(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, WebError> {
    let form = ContactForm {
        kind: Kind::GeneralInformation.as_str().to_owned(),
        ..Default::default()
    };
    render(&state, &ctx, &form, &FieldErrors::default(), None).await
}

fn too_long(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

fn has_controls(s: &str, allow_newlines: bool) -> bool {
    s.chars()
        .any(|c| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\r' | '\t')))
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    ClientAddr(addr): ClientAddr,
    data: FormData,
) -> Result<Response, WebError> {
    // A filled honeypot: answer as if all went well, register nothing.
    if !data.get(HONEYPOT).is_empty() {
        tracing::warn!("public form: honeypot filled, message dropped");
        return Ok(Redirect::to(routes::CONTACT_THANKS).into_response());
    }
    let form = ContactForm {
        kind: data.get("kind").to_owned(),
        name: data.get("name").trim().to_owned(),
        email: data.get("email").trim().to_owned(),
        subject: data.get("subject").trim().to_owned(),
        message: data.get("message").trim().to_owned(),
    };
    let mut errors = FieldErrors::default();
    let kind = KINDS
        .iter()
        .map(|(k, _)| *k)
        .find(|k| k.as_str() == form.kind);
    if kind.is_none() {
        errors.add("contact-kind-0", "Choisissez le type de message.");
    }
    if too_long(&form.name, NAME_MAX) || has_controls(&form.name, false) {
        errors.add(
            "contact-name",
            format!("Le nom tient en {NAME_MAX} caractères au plus."),
        );
    }
    let email = qep_core::account::Email::parse(&form.email);
    if email.is_err() {
        errors.add("contact-email", "Saisissez une adresse électronique valide, par exemple nom@domaine.fr : l'accusé de réception et la réponse y seront envoyés.");
    }
    if form.subject.is_empty() {
        errors.add("contact-subject", "Indiquez l'objet de votre message.");
    } else if too_long(&form.subject, SUBJECT_MAX) || has_controls(&form.subject, false) {
        errors.add(
            "contact-subject",
            format!("L'objet tient en {SUBJECT_MAX} caractères au plus."),
        );
    }
    if form.message.is_empty() {
        errors.add("contact-message", "Écrivez votre message.");
    } else if too_long(&form.message, MESSAGE_MAX) || has_controls(&form.message, true) {
        errors.add(
            "contact-message",
            format!("Le message tient en {MESSAGE_MAX} caractères au plus."),
        );
    }
    let (Some(kind), Ok(email)) = (kind, email) else {
        return render(&state, &ctx, &form, &errors, None).await;
    };
    if !errors.is_empty() {
        return render(&state, &ctx, &form, &errors, None).await;
    }
    // Only messages that would be registered count; taking one is atomic, so parallel
    // posts cannot all slip under the limit.
    if let Err(wait) = state.contact_limit.take(&address_key(addr)) {
        tracing::warn!("public form: too many messages from one address");
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let plural = if minutes > 1 { "s" } else { "" };
        let mut errors = FieldErrors::default();
        errors.add(
            "contact-message",
            format!("Trop de messages envoyés depuis votre connexion : réessayez dans {minutes} minute{plural}, ou écrivez par courrier."),
        );
        let status = Some(StatusCode::TOO_MANY_REQUESTS);
        let mut res = render(&state, &ctx, &form, &errors, status).await?;
        set_retry_after(&mut res, wait);
        return Ok(res);
    }

    // Web-form items arrive at the prefecture's main site; the quality lead dispatches them.
    let sites = state.store.list_sites().await?;
    let site = qep_core::prefecture::main_site(&sites)
        .ok_or_else(|| WebError::Internal("no site to receive public messages".into()))?;
    let arrival = Arrival {
        reference: None,
        channel: Channel::WebForm,
        kind,
        site: site.id,
        service: None,
        received_at: state.app.now(),
        received_on: None,
        requester_name: form.name.clone(),
        requester_email: email.to_string(),
        requester_address: String::new(),
        subject: form.subject.clone(),
        in_scope: true,
        out_of_scope: None,
        answered_on: None,
        answer: None,
    };
    let actor = Actor {
        user_id: None,
        label: "formulaire public".into(),
    };
    let saved = qep_app::registers::register(
        &state.app,
        &actor,
        &arrival,
        &form.message,
        "le service compétent",
    )
    .await?
    .map_err(|e| WebError::Internal(e.to_string()))?
    .item;
    tracing::info!(reference = %saved.reference, "public message registered");
    Ok(redirect_with_notice(
        &state,
        routes::CONTACT_THANKS,
        &format!(
            "Votre message est enregistré sous la référence {}. Un accusé de réception vous est envoyé à {} ; une réponse vous sera apportée au plus tard le {}.",
            saved.reference,
            saved.requester_email,
            saved.due_on.format("%d/%m/%Y")
        ),
    ))
}

pub async fn thanks(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, WebError> {
    page(
        &state,
        &ctx,
        "public/thanks.html",
        StatusCode::OK,
        context! {},
    )
    .await
}
