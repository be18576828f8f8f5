//! What the documents print, worked out once for the PDF and the DOCX: every figure
//! already written the French way, every level with its fill and its number, and the
//! honest sentence for each part without data.

use chrono::{Datelike, NaiveDate};
use qep_core::indicators::{Cell, Row, Unit};
use qep_report::number::{french, with_unit};
use qep_report::{LEVEL_FILLS, MONTHS, row_cells};
use serde::Serialize;

use crate::{BilanInput, Chart, PaperSize, PosterInput};

const MONTH_NAMES: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `1er avril 2022`, `23 novembre 2026`.
pub(crate) fn long_date(d: NaiveDate) -> String {
    let day = if d.day() == 1 {
        "1er".to_owned()
    } else {
        d.day().to_string()
    };
    format!("{day} {} {}", MONTH_NAMES[d.month0() as usize], d.year())
}

/// `03/02/2021`.
pub(crate) fn short_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// The State's header block from the prefecture's name: "Préfecture de l'Orne" →
/// ["PRÉFET", "DE L'ORNE"]; any other name is printed in capitals as it is.
pub(crate) fn header_block(prefecture: &str) -> Vec<String> {
    let name = prefecture.trim();
    let rest = name
        .strip_prefix("Préfecture ")
        .or_else(|| name.strip_prefix("préfecture "))
        .or_else(|| name.strip_prefix("PRÉFECTURE "));
    match rest {
        Some(rest) if !rest.trim().is_empty() => {
            vec!["PRÉFET".to_owned(), rest.trim().to_uppercase()]
        }
        _ => vec![name.to_uppercase()],
    }
}

/// Free text as paragraphs: one per non-blank line.
fn paragraphs(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn non_empty_text(text: &Option<String>) -> Option<Vec<String>> {
    text.as_deref().map(paragraphs).filter(|p| !p.is_empty())
}

fn fill(level: u8) -> String {
    format!("#{:06X}", LEVEL_FILLS[usize::from(level - 1)])
}

#[derive(Debug, Serialize)]
pub(crate) struct CellView {
    pub text: String,
    pub level: Option<u8>,
    /// `#B8FEC9`, with a level only.
    pub fill: Option<String>,
}

fn cell_view(cell: &Option<Cell>) -> CellView {
    let value = cell.as_ref().and_then(|c| c.outcome.value);
    let level = value
        .and(cell.as_ref().and_then(|c| c.level))
        .map(|l| l.number());
    CellView {
        text: value.map(french).unwrap_or_default(),
        level,
        fill: level.map(fill),
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct RowView {
    pub label: String,
    pub code: String,
    /// The unit's symbol, empty for counts.
    pub unit: String,
    pub cells: Vec<CellView>,
    pub annual: CellView,
    pub previous: String,
    pub target: String,
}

fn row_view(row: &Row) -> RowView {
    RowView {
        label: row.label.clone(),
        code: row.code.clone(),
        unit: row.unit.symbol().to_owned(),
        cells: row_cells(row).into_iter().map(cell_view).collect(),
        annual: cell_view(&row.annual),
        previous: row.previous_annual.map(french).unwrap_or_default(),
        target: row
            .target
            .map(|t| format!("{} {}", t.comparator.symbol(), french(t.value)))
            .unwrap_or_default(),
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct SectionView {
    pub title: String,
    pub rows: Vec<RowView>,
    /// The referent's comment, as paragraphs.
    pub comment: Option<Vec<String>>,
    /// The sentence printed instead of (or under) a table without any value.
    pub empty: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct LegendItem {
    pub level: u8,
    pub label: &'static str,
    pub fill: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct ScopeView {
    pub referentiel: Option<String>,
    pub modules: Vec<String>,
    pub sites: Vec<String>,
    pub label_status: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct CorrespondenceView {
    pub total: String,
    pub out_of_scope: String,
    pub on_time: Option<String>,
    /// (channel, count, share of the total).
    pub by_channel: Vec<[String; 3]>,
    /// (theme, count, share of the total).
    pub by_theme: Vec<[String; 3]>,
}

/// The sentences for the parts without data, in the document's words.
#[derive(Debug, Serialize)]
pub(crate) struct Empty {
    pub introduction: String,
    pub modules: String,
    pub sites: String,
    pub referentiel: String,
    pub label_status: String,
    pub sections: String,
    pub charts: String,
    pub correspondence: String,
    pub surveys: String,
    pub actions: String,
    pub calendar: String,
    pub conclusion: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct BilanView {
    pub header: Vec<String>,
    pub prefecture: String,
    pub department: Option<String>,
    pub year: i32,
    pub previous_year: i32,
    pub edited_on: String,
    /// The edition date as (year, month, day), for the documents' metadata.
    pub edited_ymd: (i32, u32, u32),
    pub author: String,
    pub months: [&'static str; 12],
    pub scope: ScopeView,
    pub sections: Vec<SectionView>,
    pub legend: Vec<LegendItem>,
    pub charts: Vec<Chart>,
    pub correspondence: Option<CorrespondenceView>,
    /// (criterion, satisfied share, responses).
    pub surveys: Option<Vec<[String; 3]>>,
    /// (action, commitment, status, owner, due date).
    pub actions: Option<Vec<[String; 5]>>,
    /// (date, kind, note).
    pub calendar: Option<Vec<[String; 3]>>,
    pub introduction: Option<Vec<String>>,
    pub conclusion: Option<Vec<String>>,
    pub empty: Empty,
}

/// The module a section belongs to: its rows', or the number in "Module 3 – …".
fn section_module(title: &str, rows: &[Row]) -> Option<u8> {
    rows.first().map(|r| r.module).or_else(|| {
        title
            .strip_prefix("Module ")
            .and_then(|rest| {
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()
                    .map(str::to_owned)
            })
            .and_then(|n| n.parse().ok())
    })
}

fn share(count: u64, total: u64) -> String {
    if total == 0 {
        String::new()
    } else {
        with_unit(count as f64 * 100.0 / total as f64, Unit::Percent)
    }
}

pub(crate) fn bilan(input: &BilanInput) -> BilanView {
    let year = input.year;
    let sections = input
        .sections
        .iter()
        .map(|(title, table)| {
            let module = section_module(title, &table.rows);
            let comment = input
                .texts
                .module_comments
                .iter()
                .filter(|(m, _)| Some(*m) == module)
                .flat_map(|(_, text)| paragraphs(text))
                .collect::<Vec<_>>();
            let has_value = table.rows.iter().any(|r| {
                r.annual.as_ref().and_then(|c| c.outcome.value).is_some()
                    || row_cells(r)
                        .iter()
                        .any(|c| c.as_ref().and_then(|c| c.outcome.value).is_some())
            });
            let empty = if table.rows.is_empty() {
                Some(format!(
                    "Aucun indicateur de ce module n'est suivi en {year}."
                ))
            } else if !has_value {
                Some(format!(
                    "Aucune valeur n'est enregistrée pour les indicateurs de ce module en {year}."
                ))
            } else {
                None
            };
            SectionView {
                title: title.clone(),
                rows: table.rows.iter().map(row_view).collect(),
                comment: (!comment.is_empty()).then_some(comment),
                empty,
            }
        })
        .collect();
    let legend = [
        "objectif atteint",
        "écart < 25 %",
        "écart de 25 à 50 %",
        "écart > 50 %",
    ]
    .into_iter()
    .zip(1u8..)
    .map(|(label, level)| LegendItem {
        level,
        label,
        fill: fill(level),
    })
    .collect();
    let correspondence = input.correspondence.as_ref().map(|c| {
        let rows = |list: &[(String, u64)]| {
            list.iter()
                .map(|(name, n)| [name.clone(), french(*n as f64), share(*n, c.total)])
                .collect()
        };
        CorrespondenceView {
            total: french(c.total as f64),
            out_of_scope: french(c.out_of_scope as f64),
            on_time: c.answered_on_time_rate.map(|r| with_unit(r, Unit::Percent)),
            by_channel: rows(&c.by_channel),
            by_theme: rows(&c.by_theme),
        }
    });
    let surveys = input
        .surveys
        .as_ref()
        .filter(|s| !s.is_empty())
        .map(|list| {
            list.iter()
                .map(|s| {
                    [
                        s.criterion.clone(),
                        with_unit(s.satisfied_percent, Unit::Percent),
                        french(s.responses as f64),
                    ]
                })
                .collect()
        });
    let actions = input
        .actions
        .as_ref()
        .filter(|a| !a.is_empty())
        .map(|list| {
            list.iter()
                .map(|a| {
                    [
                        a.title.clone(),
                        a.commitment.clone().unwrap_or_default(),
                        a.status.clone(),
                        a.owner.clone(),
                        a.due.map(short_date).unwrap_or_default(),
                    ]
                })
                .collect()
        });
    let calendar = input
        .calendar
        .as_ref()
        .filter(|c| !c.is_empty())
        .map(|list| {
            let mut list = list.clone();
            list.sort_by_key(|e| e.date);
            list.iter()
                .map(|e| {
                    [
                        long_date(e.date),
                        e.kind.clone(),
                        e.note.clone().unwrap_or_default(),
                    ]
                })
                .collect()
        });
    let scope = &input.scope;
    BilanView {
        header: header_block(&input.prefecture),
        prefecture: input.prefecture.clone(),
        department: input.department_name.clone(),
        year,
        previous_year: year - 1,
        edited_on: long_date(input.edited_on),
        edited_ymd: (
            input.edited_on.year(),
            input.edited_on.month(),
            input.edited_on.day(),
        ),
        author: input.author.clone(),
        months: MONTHS,
        scope: ScopeView {
            referentiel: Some(scope.referentiel.trim().to_owned()).filter(|r| !r.is_empty()),
            modules: scope
                .modules
                .iter()
                .map(|(n, title)| format!("Module {n} – {title}"))
                .collect(),
            sites: scope.sites.clone(),
            label_status: scope.label_status.clone().filter(|s| !s.trim().is_empty()),
        },
        sections,
        legend,
        charts: input.charts.clone(),
        correspondence,
        surveys,
        actions,
        calendar,
        introduction: non_empty_text(&input.texts.introduction),
        conclusion: non_empty_text(&input.texts.conclusion),
        empty: Empty {
            introduction: format!("Aucune introduction n'a été rédigée pour le bilan {year}."),
            modules: "Aucun module n'est enregistré dans le périmètre de labellisation.".to_owned(),
            sites: "Aucun site n'est enregistré.".to_owned(),
            referentiel: "Le référentiel suivi n'est pas renseigné.".to_owned(),
            label_status: "Le statut du label n'est pas renseigné.".to_owned(),
            sections: format!(
                "Aucun indicateur n'est suivi pour {year} : aucun tableau de résultats ne peut être présenté."
            ),
            charts: format!("Aucun graphique n'est disponible pour {year}."),
            correspondence: format!(
                "Aucune correspondance ni réclamation n'est enregistrée pour {year}."
            ),
            surveys: format!("Aucune enquête de satisfaction n'est enregistrée pour {year}."),
            actions: format!("Aucun plan d'actions n'est enregistré pour {year}."),
            calendar: format!(
                "Aucun audit ni comité local des usagers n'est enregistré pour {year}."
            ),
            conclusion: format!("Aucune conclusion n'a été rédigée pour le bilan {year}."),
        },
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct FigureView {
    pub label: String,
    /// The figure without its unit, or `None` (« non disponible »).
    pub number: Option<String>,
    pub unit: String,
    pub previous: String,
    pub target: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct PosterView {
    pub header: Vec<String>,
    pub prefecture: String,
    pub quarter: String,
    pub previous_quarter: String,
    pub updated_on: String,
    pub paper: &'static str,
    /// Text size in points: A3 is A4 scaled by √2.
    pub base_size: f64,
    pub figures: Vec<FigureView>,
}

fn quarter_label(quarter: u32, year: i32) -> String {
    match quarter {
        1 => format!("1er trimestre {year}"),
        q => format!("{q}e trimestre {year}"),
    }
}

const NOT_AVAILABLE: &str = "non disponible";

pub(crate) fn poster(input: &PosterInput, size: PaperSize) -> PosterView {
    let (pq, py) = if input.quarter <= 1 {
        (4, input.year - 1)
    } else {
        (input.quarter - 1, input.year)
    };
    PosterView {
        header: header_block(&input.prefecture),
        prefecture: input.prefecture.clone(),
        quarter: quarter_label(input.quarter.clamp(1, 4), input.year),
        previous_quarter: quarter_label(pq.min(4), py),
        updated_on: long_date(input.updated_on),
        paper: match size {
            PaperSize::A4 => "a4",
            PaperSize::A3 => "a3",
        },
        base_size: match size {
            PaperSize::A4 => 11.0,
            PaperSize::A3 => 15.5,
        },
        figures: input
            .figures
            .iter()
            .map(|f| {
                let number = f.value.filter(|v| v.is_finite()).map(|v| {
                    let text = with_unit(v, f.unit);
                    // The unit is printed smaller beside the figure.
                    text.strip_suffix(f.unit.symbol())
                        .unwrap_or(&text)
                        .trim_end()
                        .to_owned()
                });
                FigureView {
                    label: f.label.clone(),
                    number,
                    unit: f.unit.symbol().to_owned(),
                    previous: f
                        .previous
                        .filter(|v| v.is_finite())
                        .map_or_else(|| NOT_AVAILABLE.to_owned(), |v| with_unit(v, f.unit)),
                    target: f
                        .target
                        .filter(|v| v.is_finite())
                        .map(|v| with_unit(v, f.unit)),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_block_and_dates_read_the_french_way() {
        assert_eq!(
            header_block("Préfecture de l'Orne"),
            ["PRÉFET", "DE L'ORNE"]
        );
        assert_eq!(header_block("Préfecture du Cher"), ["PRÉFET", "DU CHER"]);
        assert_eq!(
            header_block("Sous-préfecture de Vierzon"),
            ["SOUS-PRÉFECTURE DE VIERZON"]
        );
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("valid date");
        assert_eq!(long_date(d(2022, 4, 1)), "1er avril 2022");
        assert_eq!(long_date(d(2026, 11, 23)), "23 novembre 2026");
        assert_eq!(short_date(d(2021, 2, 3)), "03/02/2021");
        assert_eq!(quarter_label(1, 2022), "1er trimestre 2022");
        assert_eq!(quarter_label(3, 2022), "3e trimestre 2022");
    }

    #[test]
    fn module_of_a_section_comes_from_its_rows_or_its_title() {
        assert_eq!(section_module("Module 12 – Fraude", &[]), Some(12));
        assert_eq!(section_module("Programme Transparence", &[]), None);
    }
}
