//! The editable quality report (DOCX), from the same view as the PDF: headings as Word
//! headings, the graded tables with their fills and level numbers, every text. Charts are
//! not included (DOCX has no portable SVG); a sentence says they are in the PDF. Word
//! tables here do not repeat their header row on each page (docx-rs cannot mark it).

use std::io::Cursor;

use docx_rs::{
    AlignmentType, BreakType, Docx, Paragraph, Run, RunFonts, Shading, Style, StyleType, Table,
    TableCell, TableRow, WidthType,
};

use crate::PdfError;
use crate::view::{BilanView, CellView};

const BLUE_FRANCE: &str = "000091";
const HEADER_FILL: &str = "E3E3FD";

fn text(s: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(s))
}

fn italic(s: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(s).italic())
}

fn heading(level: u8, s: &str) -> Paragraph {
    Paragraph::new()
        .style(if level == 1 { "Heading1" } else { "Heading2" })
        .add_run(Run::new().add_text(s))
}

/// A table cell of small text; `fill` without `#`.
fn cell(paragraph: Paragraph, width: usize, fill: Option<&str>) -> TableCell {
    let c = TableCell::new()
        .add_paragraph(paragraph)
        .width(width, WidthType::Dxa);
    match fill {
        Some(f) => c.shading(Shading::new().fill(f.trim_start_matches('#'))),
        None => c,
    }
}

fn small(s: &str, bold: bool) -> Paragraph {
    let run = Run::new().add_text(s).size(14);
    Paragraph::new().add_run(if bold { run.bold() } else { run })
}

/// A value and its level printed under it, "(2)", so that the level is never colour alone.
fn graded(c: &CellView, width: usize, bold: bool) -> TableCell {
    let mut run = Run::new().add_text(&c.text).size(14);
    if bold {
        run = run.bold();
    }
    if let Some(level) = c.level {
        run = run
            .add_break(BreakType::TextWrapping)
            .add_text(format!("({level})"));
    }
    cell(
        Paragraph::new().add_run(run).align(AlignmentType::Right),
        width,
        c.fill.as_deref(),
    )
}

fn header_row(titles: &[&str], widths: &[usize]) -> TableRow {
    TableRow::new(
        titles
            .iter()
            .zip(widths)
            .map(|(t, w)| cell(small(t, true), *w, Some(HEADER_FILL)))
            .collect(),
    )
    .cant_split()
}

/// A plain table of strings with a header row.
fn simple_table<const N: usize>(
    titles: [&str; N],
    widths: [usize; N],
    rows: &[[String; N]],
) -> Table {
    let mut out = vec![header_row(&titles, &widths)];
    for row in rows {
        out.push(
            TableRow::new(
                row.iter()
                    .zip(widths)
                    .map(|(t, w)| cell(text(t), w, None))
                    .collect(),
            )
            .cant_split(),
        );
    }
    Table::new(out).set_grid(widths.to_vec())
}

pub(crate) fn bilan(v: &BilanView) -> Result<Vec<u8>, PdfError> {
    let year = v.year.to_string();
    let (y, m, d) = v.edited_ymd;
    let edited = format!("{y:04}-{m:02}-{d:02}T00:00:00Z");
    let mut doc = Docx::new()
        .created_at(&edited)
        .updated_at(&edited)
        .default_fonts(RunFonts::new().ascii("Arial").hi_ansi("Arial"))
        .default_size(20)
        .add_style(
            Style::new("Heading1", StyleType::Paragraph)
                .name("heading 1")
                .bold()
                .size(30)
                .color(BLUE_FRANCE)
                .outline_lvl(0),
        )
        .add_style(
            Style::new("Heading2", StyleType::Paragraph)
                .name("heading 2")
                .bold()
                .size(24)
                .color(BLUE_FRANCE)
                .outline_lvl(1),
        );
    // Title block.
    for line in &v.header {
        doc = doc.add_paragraph(Paragraph::new().add_run(Run::new().add_text(line).bold()));
    }
    doc = doc.add_paragraph(
        Paragraph::new().add_run(
            Run::new()
                .add_text("Liberté")
                .add_break(BreakType::TextWrapping)
                .add_text("Égalité")
                .add_break(BreakType::TextWrapping)
                .add_text("Fraternité")
                .italic(),
        ),
    );
    doc = doc
        .add_paragraph(
            Paragraph::new().add_run(
                Run::new()
                    .add_text(format!("Bilan qualité {year}"))
                    .bold()
                    .size(48)
                    .color(BLUE_FRANCE),
            ),
        )
        .add_paragraph(Paragraph::new().add_run(Run::new().add_text(&v.prefecture).size(30)));
    if let Some(dep) = &v.department {
        doc = doc.add_paragraph(text(&format!("Département : {dep}")));
    }
    if let Some(r) = &v.scope.referentiel {
        doc = doc.add_paragraph(text(&format!("Référentiel : {r}")));
    }
    doc = doc.add_paragraph(text(&format!("Édité le {} par {}", v.edited_on, v.author)));

    doc = doc.add_paragraph(heading(1, "Introduction"));
    doc = paragraphs(doc, v.introduction.as_deref(), &v.empty.introduction);

    // 1. Scope.
    doc = doc.add_paragraph(heading(1, "1. Périmètre et statut du label"));
    doc = doc.add_paragraph(match &v.scope.referentiel {
        Some(r) => text(&format!("Référentiel : {r}")),
        None => italic(&v.empty.referentiel),
    });
    doc = doc.add_paragraph(match &v.scope.label_status {
        Some(s) => text(&format!("Statut du label : {s}")),
        None => italic(&v.empty.label_status),
    });
    doc = doc.add_paragraph(heading(2, "Modules du périmètre"));
    doc = list(doc, &v.scope.modules, &v.empty.modules);
    doc = doc.add_paragraph(heading(2, "Sites"));
    doc = list(doc, &v.scope.sites, &v.empty.sites);

    // 2. Graded tables.
    doc = doc.add_paragraph(heading(1, &format!("2. Résultats des indicateurs {year}")));
    doc = doc.add_paragraph(text(
        "Chaque résultat est comparé à l'objectif de l'année ; la couleur de la case et le chiffre \
         entre parenthèses donnent le niveau atteint (1 à 4). Les indicateurs trimestriels figurent \
         sous le dernier mois de chaque trimestre.",
    ));
    let legend: Vec<TableCell> = v
        .legend
        .iter()
        .map(|l| {
            cell(
                small(&format!("{} = {}", l.level, l.label), false),
                2400,
                Some(&l.fill),
            )
        })
        .collect();
    doc = doc.add_table(Table::new(vec![TableRow::new(legend)]).set_grid(vec![2400; 4]));
    if v.sections.is_empty() {
        doc = doc.add_paragraph(italic(&v.empty.sections));
    }
    let previous = format!("Résultat {}", v.previous_year);
    let annual = format!("Résultat {year}");
    let mut titles: Vec<&str> = vec!["Indicateur"];
    titles.extend(v.months);
    titles.extend([annual.as_str(), previous.as_str(), "Objectif"]);
    let mut widths = vec![2300usize];
    widths.extend([470; 12]);
    widths.extend([620, 560, 560]);
    for s in &v.sections {
        doc = doc.add_paragraph(heading(2, &s.title));
        if !s.rows.is_empty() {
            let mut rows = vec![header_row(&titles, &widths)];
            for r in &s.rows {
                let label = if r.unit.is_empty() {
                    r.label.clone()
                } else {
                    format!("{} ({})", r.label, r.unit)
                };
                let mut cells = vec![cell(small(&label, false), widths[0], None)];
                cells.extend(r.cells.iter().map(|c| graded(c, 470, false)));
                cells.push(graded(&r.annual, 620, true));
                cells.push(cell(small(&r.previous, false), 560, None));
                cells.push(cell(small(&r.target, false), 560, None));
                rows.push(TableRow::new(cells).cant_split());
            }
            doc = doc.add_table(Table::new(rows).set_grid(widths.clone()));
        }
        if let Some(e) = &s.empty {
            doc = doc.add_paragraph(italic(e));
        }
        if let Some(comment) = &s.comment {
            doc = doc
                .add_paragraph(Paragraph::new().add_run(Run::new().add_text("Commentaire").bold()));
            for p in comment {
                doc = doc.add_paragraph(text(p));
            }
        }
    }

    // 3. Charts.
    doc = doc.add_paragraph(heading(1, "3. Graphiques des principaux indicateurs"));
    doc = doc.add_paragraph(if v.charts.is_empty() {
        italic(&v.empty.charts)
    } else {
        italic("Les graphiques figurent dans la version PDF du bilan.")
    });

    // 4. Correspondence.
    doc = doc.add_paragraph(heading(1, "4. Correspondances et réclamations"));
    match &v.correspondence {
        None => doc = doc.add_paragraph(italic(&v.empty.correspondence)),
        Some(c) => {
            let mut sentence = format!(
                "En {year}, {} demandes ont été enregistrées, dont {} hors du périmètre du label.",
                c.total, c.out_of_scope
            );
            if let Some(rate) = &c.on_time {
                sentence.push_str(&format!(" Taux de réponse dans les délais : {rate}."));
            }
            doc = doc.add_paragraph(text(&sentence));
            doc = doc.add_paragraph(heading(2, "Par canal"));
            doc = doc.add_table(simple_table(
                ["Canal", "Nombre", "Part"],
                [4000, 1500, 1500],
                &c.by_channel,
            ));
            doc = doc.add_paragraph(heading(2, "Par thème"));
            doc = doc.add_table(simple_table(
                ["Thème", "Nombre", "Part"],
                [4000, 1500, 1500],
                &c.by_theme,
            ));
        }
    }

    // 5. Surveys.
    doc = doc.add_paragraph(heading(1, "5. Enquêtes de satisfaction"));
    match &v.surveys {
        None => doc = doc.add_paragraph(italic(&v.empty.surveys)),
        Some(rows) => {
            doc = doc.add_table(simple_table(
                ["Critère", "Usagers satisfaits", "Réponses"],
                [5000, 2000, 1500],
                rows,
            ));
        }
    }

    // 6. Action plan.
    doc = doc.add_paragraph(heading(1, "6. Plan d'actions"));
    match &v.actions {
        None => doc = doc.add_paragraph(italic(&v.empty.actions)),
        Some(rows) => {
            doc = doc.add_table(simple_table(
                ["Action", "Engagement", "Statut", "Pilote", "Échéance"],
                [3600, 1500, 1300, 1800, 1300],
                rows,
            ));
        }
    }

    // 7. Calendar.
    doc = doc.add_paragraph(heading(
        1,
        "7. Calendrier des audits et des comités locaux des usagers",
    ));
    match &v.calendar {
        None => doc = doc.add_paragraph(italic(&v.empty.calendar)),
        Some(rows) => {
            doc = doc.add_table(simple_table(
                ["Date", "Événement", "Observations"],
                [2000, 2800, 4700],
                rows,
            ));
        }
    }

    doc = doc.add_paragraph(heading(1, "Conclusion"));
    doc = paragraphs(doc, v.conclusion.as_deref(), &v.empty.conclusion);

    let mut out = Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| PdfError::Docx(e.to_string()))?;
    Ok(out.into_inner())
}

fn paragraphs(mut doc: Docx, list: Option<&[String]>, empty: &str) -> Docx {
    match list {
        Some(list) => {
            for p in list {
                doc = doc.add_paragraph(text(p));
            }
            doc
        }
        None => doc.add_paragraph(italic(empty)),
    }
}

fn list(mut doc: Docx, items: &[String], empty: &str) -> Docx {
    if items.is_empty() {
        return doc.add_paragraph(italic(empty));
    }
    for item in items {
        doc = doc.add_paragraph(text(&format!("• {item}")));
    }
    doc
}
