//! « Documents »: the yearly quality report (PDF, or DOCX to edit), the Transparence
//! poster (A4/A3) and the year's tables (XLSX/CSV) for every signed-in user; the report's
//! free texts for the quality lead.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use minijinja::context;
use qep_core::indicators::Period;
use serde::Deserialize;

use super::redirect_with_notice;
use crate::AppState;
use crate::auth::{AdminUser, CurrentUser};
use crate::error::WebError;
use crate::form::FormData;
use crate::render::{RequestContext, page};
use crate::routes;

/// Free texts are long but bounded.
const MAX_TEXT_CHARS: usize = 20_000;

#[derive(Deserialize, Default)]
pub struct DocQuery {
    annee: Option<i32>,
    trimestre: Option<String>,
    format: Option<String>,
}

fn file(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn render_failed(e: impl std::fmt::Display) -> WebError {
    WebError::Internal(format!("document : {e}"))
}

pub async fn index(
    State(state): State<AppState>,
    ctx: RequestContext,
    CurrentUser(user): CurrentUser,
    Query(q): Query<DocQuery>,
) -> Result<Response, WebError> {
    let year = super::indicators::default_year(&state, q.annee).await?;
    let texts = qep_app::documents::texts_of(state.store.report_texts(year).await?);
    let modules: Vec<minijinja::Value> = match state.store.find_prefecture().await? {
        Some(p) => p
            .scope
            .modules
            .iter()
            .map(|n| {
                let comment = texts
                    .module_comments
                    .iter()
                    .find(|(m, _)| m == n)
                    .map_or("", |(_, c)| c.as_str());
                context! { number => n, comment => comment }
            })
            .collect(),
        None => Vec::new(),
    };
    // This quarter, offered for the poster.
    let today = state.app.today();
    let quarter = format!("{}-Q{}", today.year(), Period::quarter_of(today.month()));
    let view = context! {
        year => year,
        quarter => quarter,
        admin => user.user.role == qep_core::account::Role::Admin,
        introduction => texts.introduction.unwrap_or_default(),
        conclusion => texts.conclusion.unwrap_or_default(),
        modules => modules,
        bilan_action => routes::DOCUMENTS_BILAN,
        poster_action => routes::DOCUMENTS_POSTER,
        tables_action => routes::DOCUMENTS_TABLES,
        texts_action => routes::DOCUMENTS_TEXTS,
    };
    page(&state, &ctx, "documents.html", StatusCode::OK, view).await
}

pub async fn bilan(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<DocQuery>,
) -> Result<Response, WebError> {
    let year = super::indicators::default_year(&state, q.annee).await?;
    let docx = match q.format.as_deref() {
        None | Some("pdf") => false,
        Some("docx") => true,
        Some(_) => return Err(WebError::BadRequest("format : pdf ou docx".into())),
    };
    let input = qep_app::documents::bilan_input(&state.app, year, &user.user.display_name).await?;
    let bytes = tokio::task::spawn_blocking(move || {
        if docx {
            qep_pdf::bilan_docx(&input)
        } else {
            qep_pdf::bilan(&input)
        }
    })
    .await
    .map_err(render_failed)?
    .map_err(render_failed)?;
    Ok(if docx {
        file(
            bytes,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            &format!("bilan-qualite-{year}.docx"),
        )
    } else {
        file(
            bytes,
            "application/pdf",
            &format!("bilan-qualite-{year}.pdf"),
        )
    })
}

pub async fn poster(
    State(state): State<AppState>,
    _: CurrentUser,
    Query(q): Query<DocQuery>,
) -> Result<Response, WebError> {
    let raw = q.trimestre.unwrap_or_default();
    let Ok(Period::Quarter { year, quarter }) = Period::parse(&raw) else {
        return Err(WebError::BadRequest(format!(
            "trimestre « {raw} » invalide (attendu : 2022-Q1)"
        )));
    };
    let size = match q.format.as_deref() {
        None | Some("a4") => qep_pdf::PaperSize::A4,
        Some("a3") => qep_pdf::PaperSize::A3,
        Some(_) => return Err(WebError::BadRequest("format : a4 ou a3".into())),
    };
    let input = qep_app::documents::poster_input(&state.app, year, quarter).await?;
    let bytes = tokio::task::spawn_blocking(move || qep_pdf::transparence(&input, size))
        .await
        .map_err(render_failed)?
        .map_err(render_failed)?;
    Ok(file(
        bytes,
        "application/pdf",
        &format!("transparence-{year}-T{quarter}.pdf"),
    ))
}

pub async fn tables(
    State(state): State<AppState>,
    _: CurrentUser,
    Query(q): Query<DocQuery>,
) -> Result<Response, WebError> {
    let year = super::indicators::default_year(&state, q.annee).await?;
    let (csv, content_type, extension) = match q.format.as_deref() {
        None | Some("xlsx") => (
            None,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        Some("csv") => (Some(false), "text/csv; charset=utf-8", "csv"),
        Some(_) => return Err(WebError::BadRequest("format : xlsx ou csv".into())),
    };
    let (bytes, _) = qep_app::documents::tables(&state.app, year, csv)
        .await
        .map_err(|e| match e {
            qep_app::documents::TablesError::Store(e) => e.into(),
            other => render_failed(other),
        })?;
    Ok(file(
        bytes,
        content_type,
        &format!("indicateurs-{year}.{extension}"),
    ))
}

/// Saves the year's texts (all sections of the form at once).
pub async fn save_texts(
    State(state): State<AppState>,
    admin: AdminUser,
    data: FormData,
) -> Result<Response, WebError> {
    let year: i32 = data
        .get("year")
        .trim()
        .parse()
        .ok()
        .filter(|y| (1990..=2100).contains(y))
        .ok_or_else(|| WebError::BadRequest("année invalide".into()))?;
    let mut sections = vec![
        (
            "introduction".to_owned(),
            data.get("introduction").to_owned(),
        ),
        ("conclusion".to_owned(), data.get("conclusion").to_owned()),
    ];
    for n in 1..=8u8 {
        let key = format!("module-{n}");
        let text = data.get(&key);
        if !text.is_empty() {
            sections.push((key, text.to_owned()));
        }
    }
    if let Some((name, _)) = sections
        .iter()
        .find(|(_, t)| t.chars().count() > MAX_TEXT_CHARS)
    {
        return Err(WebError::BadRequest(format!(
            "texte « {name} » trop long (au plus {MAX_TEXT_CHARS} caractères)"
        )));
    }
    state
        .store
        .save_report_texts(&admin.0.actor(), year, &sections)
        .await?;
    Ok(redirect_with_notice(
        &state,
        &format!("{}?annee={year}", routes::DOCUMENTS),
        &format!("Textes du bilan {year} enregistrés."),
    ))
}
