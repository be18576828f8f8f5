//! Statistics files through the web (issue 6), for the quality lead: an upload is kept in
//! a temporary file, previewed under a column mapping, then imported by a background job
//! whose progress and outcome have their own page; and the column mapping editor.
//!
//! Jobs and uploads live in memory ([`Imports`]): a restart forgets them, the imported
//! files stay listed from the store.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use qep_core::indicators::imported::FactSource;
use qep_import::mapping::{self, FieldKind, Mapping};
use qep_import::preview::{self, Origin, PREVIEW_ROWS, Preview};
use qep_import::sources::{ImportError, Progress};
use qep_store::{Actor, ImportFile, SaveOutcome};
use serde::{Deserialize, Serialize};

use super::{SelectOption, redirect_with_notice};
use crate::AppState;
use crate::auth::AdminUser;
use crate::error::WebError;
use crate::form::{FormData, MAX_FORM_BYTES, url_encode};
use crate::render::{RequestContext, page, ser};
use crate::routes;

/// Largest file imported through the web: the upload streams to a temporary file (the
/// CSRF layer does not read multipart bodies); bigger exports go through `qep import` on
/// the server.
pub const MAX_IMPORT_BYTES: usize = 200 * 1024 * 1024;

/// Uploads never launched are forgotten (and their file deleted) after this.
const UPLOAD_TTL: Duration = Duration::from_secs(24 * 3600);

/// Finished jobs kept in memory for their pages.
const MAX_JOBS: usize = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            routes::ADMIN_IMPORTS,
            get(list)
                .post(upload)
                .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES + MAX_FORM_BYTES)),
        )
        .route(routes::ADMIN_IMPORT_FILE, get(preview_page).post(launch))
        .route(routes::ADMIN_IMPORT_JOB, get(job_page))
        .route(routes::ADMIN_IMPORT_JOB_STATUS, get(job_status))
        .route(routes::ADMIN_IMPORT_JOB_CANCEL, post(cancel_job))
        .route(routes::ADMIN_MAPPINGS, get(mappings))
        .route(
            routes::ADMIN_MAPPING_NEW,
            get(mapping_new).post(mapping_create),
        )
        .route(
            routes::ADMIN_MAPPING,
            get(mapping_show).post(mapping_update),
        )
        .route(routes::ADMIN_MAPPING_DELETE, post(mapping_delete))
}

// ---------------------------------------------------------------------------------------
// Uploads and jobs in memory

/// Uploads waiting to be imported and import jobs, by random id.
#[derive(Clone, Default)]
pub struct Imports(Arc<Mutex<Registry>>);

#[derive(Default)]
struct Registry {
    uploads: HashMap<u64, Upload>,
    jobs: HashMap<u64, Job>,
}

#[derive(Clone)]
struct Upload {
    path: PathBuf,
    file_name: String,
    size: u64,
    mapping: String,
    at: Instant,
}

struct Job {
    file_name: String,
    mapping: String,
    total: u64,
    bytes: u64,
    rows: u64,
    started: Instant,
    took: Option<Duration>,
    state: JobState,
    /// Set by « Annuler »: the reading stops at its next check.
    cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

enum JobState {
    Running,
    Saved {
        rows: u64,
        facts: usize,
        span: Option<String>,
        source: &'static str,
    },
    AlreadyImported {
        file_name: String,
        at: String,
        by: String,
    },
    Failed {
        summary: String,
        problems: Vec<String>,
        cells: Vec<qep_import::CellError>,
        stopped: bool,
    },
}

impl Imports {
    fn lock(&self) -> MutexGuard<'_, Registry> {
        // A panic elsewhere leaves plain data behind: keep using it.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Where uploads wait for their import: one directory per server process, so that a
/// server starting after a crash knows which files nobody will come back for.
fn uploads_root() -> PathBuf {
    std::env::temp_dir().join("qep-uploads")
}

fn temp_path(id: u64) -> PathBuf {
    uploads_root()
        .join(std::process::id().to_string())
        .join(format!("qep-import-{id:016x}"))
}

/// Removes the uploads left by server processes that are gone (a crash, a `kill -9`):
/// the directories of `qep-uploads` named after a process that no longer runs. Returns
/// how many files were removed. Called when the server starts.
pub fn remove_orphan_uploads() -> usize {
    let Ok(entries) = std::fs::read_dir(uploads_root()) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let alive = pid == std::process::id()
            || std::path::Path::new("/proc").join(pid.to_string()).exists();
        if alive {
            continue;
        }
        let dir = entry.path();
        removed += std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            tracing::warn!(dir = %dir.display(), error = %e, "orphan uploads not removed");
        }
    }
    removed
}

fn parse_key(raw: &str) -> Result<u64, WebError> {
    raw.parse().map_err(|_| WebError::NotFound)
}

/// A file name safe to show and store.
fn clean_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    if cleaned.trim().is_empty() {
        "fichier.csv".to_owned()
    } else {
        cleaned.trim().to_owned()
    }
}

/// A mapping by name: built-in or saved. `Ok(Err(message))` when there is none usable.
async fn find_mapping(state: &AppState, name: &str) -> Result<Result<Mapping, String>, WebError> {
    if let Some(m) = mapping::builtin(name) {
        return Ok(Ok(m));
    }
    let saved = state.store.list_mappings().await?;
    Ok(match saved.iter().find(|m| m.name == name.trim()) {
        Some(m) => Mapping::from_toml(&m.definition).map_err(|e| {
            format!(
                "Le modèle « {name} » est enregistré mais illisible : {}",
                e.join(" ; ")
            )
        }),
        None => Err(format!("Modèle de correspondance inconnu « {name} ».")),
    })
}

#[derive(Serialize)]
struct OptionGroup {
    label: String,
    options: Vec<SelectOption>,
}

/// Every mapping, grouped by source, for a picker.
async fn mapping_groups(state: &AppState) -> Result<Vec<OptionGroup>, WebError> {
    let saved = state.store.list_mappings().await?;
    Ok(FactSource::ALL
        .iter()
        .map(|source| {
            let mut options: Vec<SelectOption> = mapping::BUILTIN
                .iter()
                .filter(|(_, s)| s == source)
                .map(|(n, _)| SelectOption::new(n, format!("{n} (intégré)")))
                .collect();
            options.extend(
                saved
                    .iter()
                    .filter(|m| m.source == source.as_str())
                    .map(|m| SelectOption::new(&m.name, m.name.clone())),
            );
            OptionGroup {
                label: capitalise(source.label()),
                options,
            }
        })
        .collect())
}

use qep_core::french::capitalised as capitalise;

fn size_label(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} Mo", bytes as f64 / (1 << 20) as f64).replace('.', ",")
    } else {
        format!("{} ko", bytes.div_ceil(1024))
    }
}

// ---------------------------------------------------------------------------------------
// History and upload

async fn render_list(
    state: &AppState,
    ctx: &RequestContext,
    selected: &str,
    errors: &BTreeMap<String, String>,
) -> Result<Response, WebError> {
    let history: Vec<Value> = state
        .store
        .list_imports(100)
        .await?
        .into_iter()
        .map(|r| {
            context! {
                at => qep_core::time::format_paris(r.imported_at),
                file => r.file_name,
                kind => FactSource::parse(&r.kind).map_or(r.kind.clone(), |s| capitalise(s.label())),
                rows => r.rows,
                by => r.imported_by,
            }
        })
        .collect();
    let jobs: Vec<Value> = {
        let registry = state.imports.lock();
        let mut jobs: Vec<(&u64, &Job)> = registry.jobs.iter().collect();
        jobs.sort_by_key(|(_, j)| std::cmp::Reverse(j.started));
        jobs.into_iter()
            .take(10)
            .map(|(id, j)| {
                context! {
                    href => routes::with_id(routes::ADMIN_IMPORT_JOB, id),
                    file => j.file_name.clone(),
                    status => job_summary(j),
                }
            })
            .collect()
    };
    let view = context! {
        history => history,
        jobs => jobs,
        groups => ser(mapping_groups(state).await?),
        selected => selected,
        errors => ser(errors),
        action => format!("{}?csrf_token={}", routes::ADMIN_IMPORTS, url_encode(&ctx.csrf_token)),
        mappings_href => routes::ADMIN_MAPPINGS,
        max_size => size_label(MAX_IMPORT_BYTES as u64),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page(state, ctx, "admin/imports.html", status, view).await
}

pub async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
) -> Result<Response, WebError> {
    render_list(&state, &ctx, "appels", &BTreeMap::new()).await
}

pub async fn upload(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    forget_stale_uploads(&state);
    let id: u64 = rand::random();
    let path = temp_path(id);
    let mut mapping_name = String::new();
    let mut file_name = String::new();
    let mut size = 0u64;
    let bad = |e: axum::extract::multipart::MultipartError| {
        WebError::BadRequest(format!("envoi de fichier illisible : {e}"))
    };
    let written: Result<(), WebError> = async {
        while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
            match field.name() {
                Some("mapping") => mapping_name = field.text().await.map_err(bad)?,
                Some("file") if file_name.is_empty() => {
                    file_name = clean_file_name(field.file_name().unwrap_or_default());
                    let io =
                        |e: std::io::Error| WebError::Internal(format!("fichier temporaire : {e}"));
                    if let Some(dir) = path.parent() {
                        std::fs::create_dir_all(dir).map_err(io)?;
                    }
                    let mut out = std::fs::File::create_new(&path).map_err(io)?;
                    while let Some(chunk) = field.chunk().await.map_err(bad)? {
                        size += chunk.len() as u64;
                        if size > MAX_IMPORT_BYTES as u64 {
                            return Err(WebError::PayloadTooLarge);
                        }
                        out.write_all(&chunk).map_err(io)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = written {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    let mut errors = BTreeMap::new();
    if size == 0 {
        errors.insert(
            "import-file".to_owned(),
            "Choisissez un fichier non vide (CSV, XLSX ou ODS).".to_owned(),
        );
    }
    let mapping_name = mapping_name.trim().to_owned();
    if let Err(message) = find_mapping(&state, &mapping_name).await? {
        errors.insert("import-mapping".to_owned(), message);
    }
    if !errors.is_empty() {
        let _ = std::fs::remove_file(&path);
        return render_list(&state, &ctx, &mapping_name, &errors).await;
    }
    state.imports.lock().uploads.insert(
        id,
        Upload {
            path,
            file_name,
            size,
            mapping: mapping_name,
            at: Instant::now(),
        },
    );
    Ok(Redirect::to(&routes::with_id(routes::ADMIN_IMPORT_FILE, id)).into_response())
}

fn forget_stale_uploads(state: &AppState) {
    let mut registry = state.imports.lock();
    registry.uploads.retain(|_, u| {
        let keep = u.at.elapsed() < UPLOAD_TTL;
        if !keep {
            let _ = std::fs::remove_file(&u.path);
        }
        keep
    });
}

// ---------------------------------------------------------------------------------------
// Preview

#[derive(Deserialize)]
pub struct PreviewQuery {
    modele: Option<String>,
}

/// How long a preview may read before it gives up.
const PREVIEW_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// The head of an upload as a table, read off the async threads within the readers'
/// limits and [`PREVIEW_TIME`]; the reading stops when the browser goes away (this
/// future is then dropped, and with it the guard that cancels the reading).
async fn upload_head(upload: &Upload) -> Result<qep_import::Table, String> {
    let (path, name) = (upload.path.clone(), upload.file_name.clone());
    let (stop, flag) =
        qep_import::limits::Stop::new(Some(std::time::Instant::now() + PREVIEW_TIME));
    let _cancel = qep_import::limits::CancelOnDrop(flag);
    let limits = qep_import::Limits::with_stop(stop);
    tokio::task::spawn_blocking(move || preview::head(&path, &name, PREVIEW_ROWS, &limits))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

fn find_upload(state: &AppState, id: u64) -> Result<Upload, WebError> {
    state
        .imports
        .lock()
        .uploads
        .get(&id)
        .cloned()
        .ok_or(WebError::NotFound)
}

#[derive(Serialize)]
struct FieldView {
    name: &'static str,
    label: &'static str,
    required: bool,
    origin: String,
    missing: bool,
    values: String,
}

#[derive(Serialize)]
struct CellErrorView {
    line: usize,
    column: String,
    problem: String,
}

fn cell_views(errors: &[qep_import::CellError]) -> Vec<CellErrorView> {
    errors
        .iter()
        .map(|e| CellErrorView {
            line: e.line,
            column: e.column.clone(),
            problem: e.problem.clone(),
        })
        .collect()
}

/// A preview as the templates show it.
fn preview_view(p: &Preview) -> Value {
    let fields: Vec<FieldView> = p
        .fields
        .iter()
        .map(|f| {
            let (origin, missing) = match &f.origin {
                Origin::Column {
                    header,
                    named: true,
                } => (format!("colonne « {header} »"), false),
                Origin::Column {
                    header,
                    named: false,
                } => (format!("colonne « {header} » (nom usuel)"), false),
                Origin::Constant(c) => (format!("constante « {c} »"), false),
                Origin::MissingColumn(h) => (format!("colonne « {h} » absente du fichier"), true),
                Origin::NotFound if f.field.required => ("aucune colonne trouvée".to_owned(), true),
                Origin::NotFound => ("non fournie (facultative)".to_owned(), false),
            };
            FieldView {
                name: f.field.name,
                label: f.field.label,
                required: f.field.required,
                origin,
                missing,
                values: f
                    .values
                    .iter()
                    .map(|(a, b)| format!("{a} → {b}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })
        .collect();
    let rows: Vec<Value> = p
        .rows
        .iter()
        .map(|r| context! { line => r.line, values => r.values.clone() })
        .collect();
    context! {
        headers => p.headers.clone(),
        fields => ser(fields),
        rows => rows,
        problems => p.problems.clone(),
        cells => ser(cell_views(&p.cell_errors)),
        importable => p.is_importable(),
    }
}

/// Where to edit `name` with `sample` as the example file.
fn edit_href(name: &str, sample: u64) -> String {
    if mapping::builtin(name).is_some() {
        format!(
            "{}?copie={}&echantillon={sample}",
            routes::ADMIN_MAPPING_NEW,
            url_encode(name)
        )
    } else {
        format!(
            "{}?echantillon={sample}",
            routes::with_name(routes::ADMIN_MAPPING, name)
        )
    }
}

pub async fn preview_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
    Path(id): Path<String>,
    Query(q): Query<PreviewQuery>,
) -> Result<Response, WebError> {
    let id = parse_key(&id)?;
    let upload = find_upload(&state, id)?;
    let name = q
        .modele
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| upload.mapping.clone());
    let mut problems = Vec::new();
    let mut shown = Value::UNDEFINED;
    match (
        find_mapping(&state, &name).await?,
        upload_head(&upload).await,
    ) {
        (Ok(m), Ok(table)) => shown = preview_view(&preview::preview(&table, &m)),
        (m, t) => {
            problems.extend(m.err());
            problems.extend(t.err());
        }
    }
    let view = context! {
        file => upload.file_name.clone(),
        size => size_label(upload.size),
        mapping => name.clone(),
        preview => shown,
        problems => problems,
        groups => ser(mapping_groups(&state).await?),
        edit_href => edit_href(&name, id),
        self_href => routes::with_id(routes::ADMIN_IMPORT_FILE, id),
        back => routes::ADMIN_IMPORTS,
        preview_rows => PREVIEW_ROWS,
    };
    page(
        &state,
        &ctx,
        "admin/imports_preview.html",
        StatusCode::OK,
        view,
    )
    .await
}

// ---------------------------------------------------------------------------------------
// The background job

pub async fn launch(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    let id = parse_key(&id)?;
    let name = data.get("mapping").trim().to_owned();
    let mapping = match find_mapping(&state, &name).await? {
        Ok(m) => m,
        Err(message) => return Err(WebError::BadRequest(message)),
    };
    let upload = state
        .imports
        .lock()
        .uploads
        .remove(&id)
        .ok_or(WebError::NotFound)?;
    let job_id: u64 = rand::random();
    // Recorded as a durable job: an import cut by a restart shows as failed on the jobs page.
    let durable = qep_app::jobs::start(&state.app, "import", &format!("{job_id:016x}")).await?;
    let (stop, cancel) = qep_import::limits::Stop::new(None);
    let mut registry = state.imports.lock();
    // Keep the latest finished jobs only: the history of files is in the store.
    while registry.jobs.len() >= MAX_JOBS {
        let oldest = registry
            .jobs
            .iter()
            .filter(|(_, j)| !matches!(j.state, JobState::Running))
            .min_by_key(|(_, j)| j.started)
            .map(|(id, _)| *id);
        match oldest {
            Some(id) => registry.jobs.remove(&id),
            None => break,
        };
    }
    registry.jobs.insert(
        job_id,
        Job {
            file_name: upload.file_name.clone(),
            mapping: name,
            total: upload.size,
            bytes: 0,
            rows: 0,
            started: Instant::now(),
            took: None,
            state: JobState::Running,
            cancel,
        },
    );
    drop(registry);
    tokio::spawn(run_job(
        state.clone(),
        job_id,
        upload,
        mapping,
        qep_import::Limits::with_stop(stop),
        admin.0.actor(),
        durable,
    ));
    Ok(Redirect::to(&routes::with_id(routes::ADMIN_IMPORT_JOB, job_id)).into_response())
}

async fn run_job(
    state: AppState,
    id: u64,
    upload: Upload,
    mapping: Mapping,
    limits: qep_import::Limits,
    actor: Actor,
    durable: qep_app::jobs::RunningJob,
) {
    let imports = state.imports.clone();
    let heartbeat = {
        let ctx = state.app.clone();
        let id = durable.id;
        tokio::spawn(async move {
            let mut beat = tokio::time::interval(qep_app::jobs::HEARTBEAT);
            beat.tick().await;
            loop {
                beat.tick().await;
                let job = qep_app::jobs::RunningJob::resume(id);
                if let Err(e) = job.heartbeat(&ctx).await {
                    tracing::warn!(error = %e, "import job lease not renewed");
                }
            }
        })
    };
    let (path, name) = (upload.path.clone(), upload.file_name.clone());
    let read = tokio::task::spawn_blocking(move || {
        qep_import::sources::import_file(&path, &name, &mapping, &limits, &mut |p: Progress| {
            if let Some(job) = imports.lock().jobs.get_mut(&id) {
                job.bytes = p.bytes;
                job.rows = p.rows;
            }
        })
    })
    .await;
    let outcome = match read {
        Err(e) => JobState::Failed {
            summary: format!("La lecture du fichier s'est interrompue ({e})."),
            problems: Vec::new(),
            cells: Vec::new(),
            stopped: false,
        },
        Ok(Err(ImportError::Cells { errors, stopped })) => JobState::Failed {
            summary: format!(
                "{} erreur(s){} : rien n'a été importé.",
                errors.len(),
                if stopped {
                    " (lecture arrêtée, il peut y en avoir d'autres)"
                } else {
                    ""
                }
            ),
            problems: Vec::new(),
            cells: errors,
            stopped,
        },
        Ok(Err(ImportError::Mapping { problems, .. })) => JobState::Failed {
            summary: "Le modèle de correspondance ne convient pas : rien n'a été importé."
                .to_owned(),
            problems,
            cells: Vec::new(),
            stopped: false,
        },
        Ok(Err(e)) => JobState::Failed {
            summary: "Fichier illisible : rien n'a été importé.".to_owned(),
            problems: vec![e.to_string()],
            cells: Vec::new(),
            stopped: false,
        },
        Ok(Ok((imported, sha256))) => {
            let file = ImportFile {
                kind: imported.source.as_str().into(),
                file_name: upload.file_name.clone(),
                sha256,
            };
            match state
                .store
                .save_facts(&actor, &file, imported.rows, &imported.facts)
                .await
            {
                Ok(SaveOutcome::Saved { .. }) => JobState::Saved {
                    rows: imported.rows,
                    facts: imported.facts.len(),
                    span: imported.span.map(|(a, b)| format!("du {a} au {b}")),
                    source: imported.source.label(),
                },
                Ok(SaveOutcome::AlreadyImported { file_name, at, by }) => {
                    JobState::AlreadyImported {
                        file_name,
                        at: qep_core::time::format_paris(at),
                        by,
                    }
                }
                Err(e) => {
                    tracing::error!("import job {id}: {e}");
                    JobState::Failed {
                        summary: "L'enregistrement a échoué : rien n'a été importé.".to_owned(),
                        problems: vec![e.to_string()],
                        cells: Vec::new(),
                        stopped: false,
                    }
                }
            }
        }
    };
    let _ = std::fs::remove_file(&upload.path);
    heartbeat.abort();
    let recorded = match &outcome {
        JobState::Saved { rows, facts, .. } => Ok(format!(
            "{} : {rows} ligne(s), {facts} valeur(s) enregistrée(s)",
            upload.file_name
        )),
        JobState::AlreadyImported { .. } => Ok(format!("{} : déjà importé", upload.file_name)),
        JobState::Failed { summary, .. } => Err(format!("{} : {summary}", upload.file_name)),
        JobState::Running => Ok(String::new()),
    };
    if let Err(e) = durable.finish(&state.app, recorded).await {
        tracing::warn!(error = %e, "import job not recorded");
    }
    if let Some(job) = state.imports.lock().jobs.get_mut(&id) {
        job.took = Some(job.started.elapsed());
        if let JobState::Saved { rows, .. } = outcome {
            job.rows = rows;
            job.bytes = job.total;
        }
        job.state = outcome;
    }
}

fn job_summary(j: &Job) -> String {
    match &j.state {
        JobState::Running => {
            let secs = j.started.elapsed().as_secs_f64().max(1e-3);
            let percent = (j.bytes * 100).checked_div(j.total).unwrap_or(0);
            format!(
                "En cours : {percent} % lu, {} ligne(s), {} ligne(s)/s.",
                j.rows,
                (j.rows as f64 / secs).round()
            )
        }
        JobState::Saved { rows, facts, .. } => {
            format!("Terminé : {rows} ligne(s) lues, {facts} donnée(s) enregistrée(s).")
        }
        JobState::AlreadyImported { .. } => "Fichier déjà importé : rien n'a changé.".to_owned(),
        JobState::Failed { summary, .. } => format!("Échec : {summary}"),
    }
}

fn find_job<T>(state: &AppState, raw: &str, f: impl FnOnce(&Job) -> T) -> Result<T, WebError> {
    let id = parse_key(raw)?;
    state
        .imports
        .lock()
        .jobs
        .get(&id)
        .map(f)
        .ok_or(WebError::NotFound)
}

pub async fn job_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let view = find_job(&state, &id, |j| {
        let (outcome, detail) = match &j.state {
            JobState::Running => ("running", Value::UNDEFINED),
            JobState::Saved {
                rows,
                facts,
                span,
                source,
            } => (
                "saved",
                context! { rows => rows, facts => facts, span => span, source => *source },
            ),
            JobState::AlreadyImported { file_name, at, by } => (
                "already",
                context! { file_name => file_name, at => at, by => by },
            ),
            JobState::Failed {
                summary,
                problems,
                cells,
                stopped,
            } => (
                "failed",
                context! {
                    summary => summary,
                    problems => problems,
                    cells => ser(cell_views(cells)),
                    stopped => stopped,
                },
            ),
        };
        context! {
            file => j.file_name.clone(),
            mapping => j.mapping.clone(),
            outcome => outcome,
            detail => detail,
            summary => job_summary(j),
            bytes => j.bytes,
            total => j.total.max(1),
            took => j.took.map(|d| format!("{:.1}", d.as_secs_f64()).replace('.', ",")),
            status_href => routes::with_id(routes::ADMIN_IMPORT_JOB_STATUS, &id),
            cancel_href => routes::with_id(routes::ADMIN_IMPORT_JOB_CANCEL, &id),
            self_href => routes::with_id(routes::ADMIN_IMPORT_JOB, &id),
            back => routes::ADMIN_IMPORTS,
        }
    })?;
    page(&state, &ctx, "admin/imports_job.html", StatusCode::OK, view).await
}

/// « Annuler » on a running import: its reading stops at its next check (within 65,536
/// rows) and the job ends as refused, with nothing imported.
pub async fn cancel_job(
    State(state): State<AppState>,
    _: AdminUser,
    Path(id): Path<String>,
    _data: FormData,
) -> Result<Response, WebError> {
    find_job(&state, &id, |j| {
        j.cancel.store(true, std::sync::atomic::Ordering::Relaxed)
    })?;
    Ok(Redirect::to(&routes::with_id(routes::ADMIN_IMPORT_JOB, &id)).into_response())
}

/// The job's progress for the page's script: `{"done":…,"bytes":…,"total":…,"text":…}`.
pub async fn job_status(
    State(state): State<AppState>,
    _: AdminUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let json = find_job(&state, &id, |j| {
        serde_json::json!({
            "done": !matches!(j.state, JobState::Running),
            "bytes": j.bytes,
            "total": j.total.max(1),
            "text": job_summary(j),
        })
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        json.to_string(),
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------
// Mappings

pub async fn mappings(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
) -> Result<Response, WebError> {
    let builtins: Vec<Value> = mapping::BUILTIN
        .iter()
        .map(|(name, source)| {
            context! {
                name => *name,
                source => capitalise(source.label()),
                href => routes::with_name(routes::ADMIN_MAPPING, name),
                copy_href => format!("{}?copie={name}", routes::ADMIN_MAPPING_NEW),
            }
        })
        .collect();
    let saved: Vec<Value> = state
        .store
        .list_mappings()
        .await?
        .into_iter()
        .map(|m| {
            let description = Mapping::from_toml(&m.definition)
                .map(|x| x.description)
                .unwrap_or_default();
            context! {
                name => m.name.clone(),
                source => FactSource::parse(&m.source).map_or(m.source.clone(), |s| capitalise(s.label())),
                description => description,
                by => m.updated_by,
                at => qep_core::time::format_paris(m.updated_at),
                href => routes::with_name(routes::ADMIN_MAPPING, &m.name),
            }
        })
        .collect();
    let view = context! {
        builtins => builtins,
        saved => saved,
        new_href => routes::ADMIN_MAPPING_NEW,
        imports_href => routes::ADMIN_IMPORTS,
    };
    page(&state, &ctx, "admin/mappings.html", StatusCode::OK, view).await
}

#[derive(Serialize, Default)]
struct MappingForm {
    name: String,
    source: String,
    description: String,
    date_format: String,
    fields: Vec<FieldForm>,
    sample: String,
}

#[derive(Serialize)]
struct FieldForm {
    name: &'static str,
    label: &'static str,
    required: bool,
    aliases: String,
    column: String,
    constant: String,
    /// Yes/no and fixed-choice fields have a table of the file's own words.
    has_values: bool,
    allowed: String,
    values: String,
}

fn field_forms(source: FactSource, get: impl Fn(&str, &str) -> String) -> Vec<FieldForm> {
    mapping::fields(source)
        .iter()
        .map(|f| {
            let allowed = match f.kind {
                FieldKind::Bool => "oui, non".to_owned(),
                FieldKind::Choice(set) => set.join(", "),
                _ => String::new(),
            };
            FieldForm {
                name: f.name,
                label: f.label,
                required: f.required,
                aliases: f.aliases.join(", "),
                column: get("col", f.name),
                constant: get("const", f.name),
                has_values: !allowed.is_empty(),
                allowed,
                values: get("values", f.name),
            }
        })
        .collect()
}

impl MappingForm {
    fn from_mapping(m: &Mapping, sample: &str) -> MappingForm {
        MappingForm {
            name: m.name.clone(),
            source: m.source.as_str().to_owned(),
            description: m.description.clone(),
            date_format: m.date_format.clone().unwrap_or_default(),
            fields: field_forms(m.source, |what, f| match what {
                "col" => m.columns.get(f).cloned().unwrap_or_default(),
                "const" => m.constants.get(f).cloned().unwrap_or_default(),
                _ => m
                    .values
                    .get(f)
                    .map(|v| {
                        v.iter()
                            .map(|(a, b)| format!("{a} = {b}"))
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default(),
            }),
            sample: sample.to_owned(),
        }
    }

    fn from_data(data: &FormData) -> (MappingForm, FactSource) {
        let source = FactSource::parse(data.get("source")).unwrap_or(FactSource::Calls);
        let form = MappingForm {
            name: data.get("name").trim().to_owned(),
            source: source.as_str().to_owned(),
            description: data.get("description").trim().to_owned(),
            date_format: data.get("date_format").trim().to_owned(),
            fields: field_forms(source, |what, f| {
                data.get(&format!("{what}.{f}")).trim().to_owned()
            }),
            sample: data.get("sample").trim().to_owned(),
        };
        (form, source)
    }

    /// The mapping the form describes, or its errors keyed by the inputs' ids.
    fn to_mapping(&self, source: FactSource) -> Result<Mapping, BTreeMap<String, String>> {
        let mut errors = BTreeMap::new();
        let mut m = Mapping {
            name: self.name.clone(),
            source,
            description: self.description.clone(),
            date_format: (!self.date_format.is_empty()).then(|| self.date_format.clone()),
            columns: BTreeMap::new(),
            constants: BTreeMap::new(),
            values: BTreeMap::new(),
        };
        for f in &self.fields {
            if !f.column.is_empty() {
                m.columns.insert(f.name.to_owned(), f.column.clone());
            }
            if !f.constant.is_empty() {
                m.constants.insert(f.name.to_owned(), f.constant.clone());
            }
            let mut words = BTreeMap::new();
            for (i, line) in f.values.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match line.split_once('=') {
                    Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
                        let unquote = |s: &str| s.trim().trim_matches('"').trim().to_owned();
                        words.insert(unquote(a), unquote(b));
                    }
                    _ => add_error(
                        &mut errors,
                        format!("mapping-values-{}", f.name),
                        format!(
                            "{} : ligne {} « {} » : attendu « mot du fichier = valeur »",
                            f.name,
                            i + 1,
                            line.trim()
                        ),
                    ),
                }
            }
            if !words.is_empty() {
                m.values.insert(f.name.to_owned(), words);
            }
        }
        if let Err(problems) = m.check() {
            for p in problems {
                add_error(&mut errors, error_field(&p), p);
            }
        }
        if errors.is_empty() {
            Ok(m)
        } else {
            Err(errors)
        }
    }
}

fn add_error(errors: &mut BTreeMap<String, String>, field: String, message: String) {
    errors
        .entry(field)
        .and_modify(|e| {
            e.push_str(" ; ");
            e.push_str(&message);
        })
        .or_insert(message);
}

/// The input a message of [`Mapping::check`] is about.
fn error_field(message: &str) -> String {
    let word = |s: &str| {
        s.split([' ', ']'])
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    if message.starts_with("nom ") {
        "mapping-name".to_owned()
    } else if message.starts_with("date_format") {
        "mapping-date-format".to_owned()
    } else if let Some(rest) = message.strip_prefix("[values.") {
        format!("mapping-values-{}", word(rest))
    } else if let Some(rest) = message.strip_prefix("[values] ") {
        format!("mapping-values-{}", word(rest))
    } else if let Some(rest) = message.strip_prefix("[constants] ") {
        format!("mapping-const-{}", word(rest))
    } else if let Some(rest) = message.strip_prefix("[columns] ") {
        format!("mapping-col-{}", word(rest).trim_end_matches(':'))
    } else if message.contains(" : une colonne et une constante") {
        format!("mapping-col-{}", word(message))
    } else {
        "mapping-name".to_owned()
    }
}

#[derive(Deserialize)]
pub struct EditorQuery {
    copie: Option<String>,
    echantillon: Option<String>,
    source: Option<String>,
}

/// The sample upload the editor previews with, when it still exists.
fn sample(state: &AppState, raw: &str) -> Option<(u64, Upload)> {
    let id = raw.parse().ok()?;
    find_upload(state, id).ok().map(|u| (id, u))
}

async fn render_editor(
    state: &AppState,
    ctx: &RequestContext,
    form: &MappingForm,
    errors: &BTreeMap<String, String>,
    editing: Option<&str>,
    preview_of: Option<&Mapping>,
) -> Result<Response, WebError> {
    let mut headers = Vec::new();
    let mut sample_view = Value::UNDEFINED;
    let mut shown = Value::UNDEFINED;
    if let Some((id, upload)) = sample(state, &form.sample) {
        match upload_head(&upload).await {
            Ok(table) => {
                headers = table.headers.clone();
                if let Some(m) = preview_of {
                    shown = preview_view(&preview::preview(&table, m));
                }
            }
            Err(e) => shown = context! { problems => vec![e] },
        }
        sample_view = context! {
            file => upload.file_name.clone(),
            href => routes::with_id(routes::ADMIN_IMPORT_FILE, id),
        };
    }
    let sources: Vec<SelectOption> = FactSource::ALL
        .iter()
        .map(|s| SelectOption::new(s.as_str(), capitalise(s.label())))
        .collect();
    let action = match editing {
        Some(name) => routes::with_name(routes::ADMIN_MAPPING, name),
        None => routes::ADMIN_MAPPING_NEW.to_owned(),
    };
    let view = context! {
        form => ser(form),
        errors => ser(errors),
        editing => editing,
        sources => ser(sources),
        headers => headers,
        sample => sample_view,
        preview => shown,
        action => action,
        delete_action => editing.map(|n| routes::with_name(routes::ADMIN_MAPPING_DELETE, n)),
        back => routes::ADMIN_MAPPINGS,
        imports_href => routes::ADMIN_IMPORTS,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page(state, ctx, "admin/mapping.html", status, view).await
}

pub async fn mapping_new(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
    Query(q): Query<EditorQuery>,
) -> Result<Response, WebError> {
    let sample_id = q.echantillon.unwrap_or_default();
    let mut form = match q.copie.as_deref() {
        Some(name) => match find_mapping(&state, name).await? {
            Ok(m) => {
                let mut form = MappingForm::from_mapping(&m, &sample_id);
                form.name = format!("{}-local", m.name);
                form
            }
            Err(_) => return Err(WebError::NotFound),
        },
        None => {
            let source = q
                .source
                .as_deref()
                .and_then(FactSource::parse)
                .unwrap_or(FactSource::Calls);
            MappingForm::from_mapping(&mapping::builtin_for(source), &sample_id)
        }
    };
    if q.copie.is_none() {
        form.name = String::new();
        form.description = String::new();
    }
    render_editor(&state, &ctx, &form, &BTreeMap::new(), None, None).await
}

pub async fn mapping_show(
    State(state): State<AppState>,
    ctx: RequestContext,
    _: AdminUser,
    Path(name): Path<String>,
    Query(q): Query<EditorQuery>,
) -> Result<Response, WebError> {
    if let Some(m) = mapping::builtin(&name) {
        let fields: Vec<Value> = mapping::fields(m.source)
            .iter()
            .map(|f| {
                context! {
                    name => f.name,
                    label => f.label,
                    required => f.required,
                    aliases => f.aliases.join(", "),
                }
            })
            .collect();
        let view = context! {
            name => m.name.clone(),
            description => m.description.clone(),
            fields => fields,
            copy_href => format!("{}?copie={}", routes::ADMIN_MAPPING_NEW, url_encode(&m.name)),
            back => routes::ADMIN_MAPPINGS,
        };
        return page(
            &state,
            &ctx,
            "admin/mapping_builtin.html",
            StatusCode::OK,
            view,
        )
        .await;
    }
    let m = match find_mapping(&state, &name).await? {
        Ok(m) => m,
        Err(_) => return Err(WebError::NotFound),
    };
    let form = MappingForm::from_mapping(&m, &q.echantillon.unwrap_or_default());
    let shown = sample(&state, &form.sample).is_some().then_some(&m);
    render_editor(&state, &ctx, &form, &BTreeMap::new(), Some(&m.name), shown).await
}

pub async fn mapping_create(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    data: FormData,
) -> Result<Response, WebError> {
    submit(&state, &ctx, &admin, &data, None).await
}

pub async fn mapping_update(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AdminUser,
    Path(name): Path<String>,
    data: FormData,
) -> Result<Response, WebError> {
    if mapping::builtin(&name).is_some() {
        return Err(WebError::Forbidden);
    }
    if !state
        .store
        .list_mappings()
        .await?
        .iter()
        .any(|m| m.name == name)
    {
        return Err(WebError::NotFound);
    }
    submit(&state, &ctx, &admin, &data, Some(&name)).await
}

/// Saves the form (`action=save`), or shows it again with the fields of its source
/// (`action=source`) or with the sample file's first rows read through it (`action=preview`).
async fn submit(
    state: &AppState,
    ctx: &RequestContext,
    admin: &AdminUser,
    data: &FormData,
    editing: Option<&str>,
) -> Result<Response, WebError> {
    let (mut form, source) = MappingForm::from_data(data);
    if let Some(name) = editing {
        form.name = name.to_owned();
    }
    let checked = form.to_mapping(source);
    match data.get("action") {
        "source" => {
            return render_editor(state, ctx, &form, &BTreeMap::new(), editing, None).await;
        }
        "preview" => {
            let (errors, m) = match &checked {
                Ok(m) => (BTreeMap::new(), Some(m)),
                Err(e) => (e.clone(), None),
            };
            return render_editor(state, ctx, &form, &errors, editing, m).await;
        }
        _ => {}
    }
    let mut errors = checked.as_ref().err().cloned().unwrap_or_default();
    if editing.is_none() {
        if mapping::builtin(&form.name).is_some() {
            add_error(
                &mut errors,
                "mapping-name".into(),
                format!(
                    "« {} » est le nom d'un modèle intégré : choisissez un autre nom.",
                    form.name
                ),
            );
        } else if form.name == "nouveau" {
            add_error(
                &mut errors,
                "mapping-name".into(),
                "« nouveau » est réservé : choisissez un autre nom.".into(),
            );
        } else if state
            .store
            .list_mappings()
            .await?
            .iter()
            .any(|m| m.name == form.name)
        {
            add_error(
                &mut errors,
                "mapping-name".into(),
                format!(
                    "Un modèle « {} » existe déjà : modifiez-le depuis la liste des modèles.",
                    form.name
                ),
            );
        }
    }
    let m = match checked {
        Ok(m) if errors.is_empty() => m,
        _ => return render_editor(state, ctx, &form, &errors, editing, None).await,
    };
    state
        .store
        .save_mapping(&admin.0.actor(), &m.name, m.source.as_str(), &m.to_toml())
        .await?;
    let notice = format!("Modèle « {} » enregistré.", m.name);
    let to = match sample(state, &form.sample) {
        Some((id, _)) => format!(
            "{}?modele={}",
            routes::with_id(routes::ADMIN_IMPORT_FILE, id),
            url_encode(&m.name)
        ),
        None => routes::with_name(routes::ADMIN_MAPPING, &m.name),
    };
    Ok(redirect_with_notice(state, &to, &notice))
}

pub async fn mapping_delete(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(name): Path<String>,
) -> Result<Response, WebError> {
    if mapping::builtin(&name).is_some() {
        return Err(WebError::Forbidden);
    }
    state.store.delete_mapping(&admin.0.actor(), &name).await?;
    Ok(redirect_with_notice(
        &state,
        routes::ADMIN_MAPPINGS,
        &format!("Modèle « {name} » supprimé."),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_errors_land_on_their_inputs() {
        for (message, field) in [
            ("nom « X » : attendu", "mapping-name"),
            ("date_format « %H » : attendu", "mapping-date-format"),
            (
                "[values.answered] « a » = « b » : attendu oui, non",
                "mapping-values-answered",
            ),
            ("[constants] rings = « x » : attendu", "mapping-const-rings"),
            ("[columns] line : nom de colonne vide", "mapping-col-line"),
            (
                "line : une colonne et une constante à la fois",
                "mapping-col-line",
            ),
        ] {
            assert_eq!(error_field(message), field, "{message}");
        }
    }
}
