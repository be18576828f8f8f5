//! The printed documents of a prefecture's quality approach: the yearly quality report
//! ("bilan qualité") as PDF and as an editable DOCX, and the quarterly Transparence
//! poster for the hall, as PDF.
//!
//! A pure renderer: the inputs are plain structs built by the caller (the year tables are
//! the same [`YearTable`]s as the XLSX export), nothing here reads a database, the network
//! or the clock. The PDFs are laid out by Typst, used as a library, with its open fonts
//! (Libertinus Serif) compiled into the binary. Data reaches the Typst templates as JSON
//! through `sys.inputs`, never spliced into markup, so user-entered text is printed
//! literally whatever characters it holds.

mod docx;
mod view;
mod world;

use chrono::NaiveDate;
use qep_core::indicators::{Unit, YearTable};
use serde::Serialize;

/// Why a document could not be produced: a bug in this crate (a template error, an
/// unwritable archive) or a chart whose SVG cannot be read; never the user's texts, which
/// are printed whatever they hold.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// Typst refused the template or its data; the diagnostics, one per line.
    #[error("mise en page du document impossible : {0}")]
    Typst(String),
    /// The DOCX archive could not be written.
    #[error("écriture du document modifiable impossible : {0}")]
    Docx(String),
}

/// Everything the yearly quality report shows. `None` in an optional part prints an
/// honest sentence saying that nothing is recorded for it.
#[derive(Debug, Clone, Serialize)]
pub struct BilanInput {
    /// "Préfecture de l'Orne": also gives the header block ("PRÉFET DE L'ORNE").
    pub prefecture: String,
    /// "Orne", printed under the prefecture's name when given.
    pub department_name: Option<String>,
    pub year: i32,
    /// The edition date (the caller passes today's date).
    pub edited_on: NaiveDate,
    /// Who edited the report ("Mission pilotage – qualité", a name…).
    pub author: String,
    pub scope: Scope,
    /// The graded tables, one per module, exactly as the XLSX export gets them: (module
    /// title, table).
    pub sections: Vec<(String, YearTable)>,
    /// Charts of the main indicators, as SVG (e.g. from `qep_report::chart::bars`).
    pub charts: Vec<Chart>,
    pub correspondence: Option<CorrespondenceSummary>,
    pub surveys: Option<Vec<SurveyResult>>,
    pub actions: Option<Vec<ActionItem>>,
    pub calendar: Option<Vec<CalendarEvent>>,
    pub texts: Texts,
}

/// The labelling scope.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Scope {
    /// The modules in the scope: (number, title).
    pub modules: Vec<(u8, String)>,
    /// The sites (prefecture, sub-prefectures…) covered.
    pub sites: Vec<String>,
    /// The référentiel and its version, e.g. "Qual-e-pref 2018".
    pub referentiel: String,
    /// "Label obtenu le 18 décembre 2019, audit de suivi en juin 2021"; `None` when unknown.
    pub label_status: Option<String>,
}

/// One chart: its caption and the SVG drawing.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub title: String,
    pub svg: String,
}

/// The year's correspondence and complaints register, counted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CorrespondenceSummary {
    /// (channel, count): "Courriel", "Courrier", "Formulaire de contact"…
    pub by_channel: Vec<(String, u64)>,
    /// (theme, count): "Réclamation", "Suggestion", "Demande d'information"…
    pub by_theme: Vec<(String, u64)>,
    /// Items outside the labelling scope.
    pub out_of_scope: u64,
    pub total: u64,
    /// Share answered within the deadline, in % (e.g. 91.19).
    pub answered_on_time_rate: Option<f64>,
}

/// One criterion of the satisfaction survey.
#[derive(Debug, Clone, Serialize)]
pub struct SurveyResult {
    pub criterion: String,
    /// Satisfied or very satisfied, in %.
    pub satisfied_percent: f64,
    pub responses: u64,
}

/// One line of the action plan.
#[derive(Debug, Clone, Serialize)]
pub struct ActionItem {
    pub title: String,
    /// The commitment of the référentiel it answers, e.g. "Engagement 4".
    pub commitment: Option<String>,
    /// "En cours", "Réalisée", "Abandonnée"…
    pub status: String,
    pub owner: String,
    pub due: Option<NaiveDate>,
}

/// One audit or users' committee meeting.
#[derive(Debug, Clone, Serialize)]
pub struct CalendarEvent {
    pub date: NaiveDate,
    /// "Audit de suivi", "Comité local des usagers"…
    pub kind: String,
    pub note: Option<String>,
}

/// The free texts written by the quality referent.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Texts {
    pub introduction: Option<String>,
    pub conclusion: Option<String>,
    /// (module number, comment) printed under that module's table.
    pub module_comments: Vec<(u8, String)>,
}

/// What the quarterly Transparence poster shows.
#[derive(Debug, Clone, Serialize)]
pub struct PosterInput {
    pub prefecture: String,
    pub year: i32,
    /// 1 to 4.
    pub quarter: u32,
    /// The date the figures were updated.
    pub updated_on: NaiveDate,
    /// The six figures of the programme, in the order to print them.
    pub figures: Vec<PosterFigure>,
}

/// One figure of the poster; `None` values print « non disponible ».
#[derive(Debug, Clone, Serialize)]
pub struct PosterFigure {
    /// The label in plain French: "Délai moyen de délivrance des cartes d'identité et passeports".
    pub label: String,
    pub unit: Unit,
    pub value: Option<f64>,
    /// The previous quarter's value.
    pub previous: Option<f64>,
    pub target: Option<f64>,
}

/// The poster's paper, portrait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PaperSize {
    A4,
    A3,
}

const COMMON: &str = include_str!("templates/common.typ");
const BILAN: &str = include_str!("templates/bilan.typ");
const TRANSPARENCE: &str = include_str!("templates/transparence.typ");

/// The yearly quality report as PDF (A4; the graded tables on landscape pages, their
/// header rows repeated when they break across pages).
pub fn bilan(input: &BilanInput) -> Result<Vec<u8>, PdfError> {
    let data = view::bilan(input);
    world::render(&format!("{COMMON}\n{BILAN}"), &data)
}

/// The quarterly Transparence poster as PDF, portrait, on A4 or A3 (same layout, scaled).
pub fn transparence(input: &PosterInput, size: PaperSize) -> Result<Vec<u8>, PdfError> {
    let data = view::poster(input, size);
    world::render(&format!("{COMMON}\n{TRANSPARENCE}"), &data)
}

/// The yearly quality report as an editable Word document (DOCX): the same headings,
/// tables (level fills and level numbers) and texts as the PDF. The charts are left out:
/// DOCX cannot hold SVG drawings portably, so a sentence points to the PDF instead.
pub fn bilan_docx(input: &BilanInput) -> Result<Vec<u8>, PdfError> {
    docx::bilan(&view::bilan(input))
}
