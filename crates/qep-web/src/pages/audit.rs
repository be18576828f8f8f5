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

/// What an audit action code means, for people; unknown codes are shown as they are.
pub fn action_label(code: &str) -> &str {
    match code {
        "login" => "Connexion",
        "prefecture.init" => "Initialisation de la préfecture",
        "prefecture.update" => "Modification de la préfecture",
        "site.create" => "Création d'un site",
        "site.update" => "Modification d'un site",
        "site.delete" => "Suppression d'un site",
        "service.create" => "Création d'un service",
        "service.update" => "Modification d'un service",
        "service.delete" => "Suppression d'un service",
        "user.create" => "Création d'un compte",
        "user.update" => "Modification d'un compte",
        "user.password" => "Nouveau mot de passe",
        "calendar.closure.add" => "Ajout d'une fermeture",
        "calendar.closure.withdraw" => "Retrait d'une fermeture",
        "calendar.worked_holiday.add" => "Jour férié travaillé",
        "calendar.local_holiday.add" => "Jour férié local",
        "calendar.holiday.withdraw" => "Retrait d'un réglage de jour férié",
        "indicator.values" => "Valeurs d'indicateurs",
        "indicator.value.delete" => "Suppression d'une valeur",
        "indicator.target.set" => "Cible locale",
        "indicator.target.delete" => "Suppression d'une cible locale",
        "indicator.local.save" => "Indicateur local",
        "indicator.period.validate" => "Validation d'une période",
        "correspondence.register" => "Enregistrement au registre du courrier",
        "correspondence.answer" => "Réponse",
        "correspondence.transfer" => "Transfert à un autre service",
        "correspondence.scope" => "Périmètre d'un élément du registre",
        "correspondence.anonymise" => "Anonymisation (durée de conservation)",
        "correspondence.due_dates" => "Échéances recalculées (calendrier du site modifié)",
        "template.save" => "Modèle de message",
        "sampling.add" => "Semaine échantillonnée",
        "sampling.remove" => "Retrait d'une semaine échantillonnée",
        "log.add" => "Ajout à un registre",
        "log.update" => "Mise à jour d'un registre",
        "correspondence.attach" => "Pièce jointe",
        other => other,
    }
}

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
                action => action_label(&e.action),
                code => e.action,
                target => e.target,
                detail => e.detail,
            }
        })
        .collect();
    let view = context! { entries => rows, older => older };
    page(&state, &ctx, "admin/audit.html", StatusCode::OK, view).await
}
