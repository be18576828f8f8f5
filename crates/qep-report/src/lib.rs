//! Documents made from the indicator results: the month-by-month tables as an Excel
//! workbook (one sheet per module, laid out like the prefectures' own tables) and as CSV.
//! The input is the core's [`YearTable`]s, one per section; nothing here reads a database.
//! [`chart`] draws the SVG bar chart shared by the web pages and the printed report;
//! [`number`] writes figures the French way.

pub mod chart;
/// Numbers the French way: the rule lives in `qep-core`, where every crate reads it.
pub mod number {
    pub use qep_core::french::*;
}

use qep_core::indicators::{Cell, Row, Unit, YearTable};
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

pub const MONTHS: [&str; 12] = ["J", "F", "M", "A", "M", "J", "J", "A", "S", "O", "N", "D"];

/// Fill colours of the 4-level legend (level 1 met … level 4 over 50 % off).
pub const LEVEL_FILLS: [u32; 4] = [0xB8FEC9, 0xFEECC2, 0xFFCA9E, 0xFFB7B7];

/// An Excel number format per unit: the value is stored as the number shown in QeP
/// (91.19 for 91.19 %), so the file matches the JSON export; French Excel shows commas.
fn number_format(unit: Unit) -> &'static str {
    match unit {
        Unit::Percent => r#"0.00" %""#,
        Unit::PerMille => r#"0.00" ‰""#,
        Unit::Days => r#"0.0" j""#,
        Unit::WorkingDays => r#"0.0" j.o.""#,
        Unit::Hours => r#"0.0" h""#,
        Unit::Score => r#"0.00"/5""#,
        Unit::Count => "#,##0",
    }
}

/// Sheet names: Excel allows 31 characters and none of `[]:*?/\`.
fn sheet_name(title: &str, taken: &[String]) -> String {
    let base: String = match title.split_once(" – ") {
        Some((head, _)) if head.starts_with("Module") => head.to_owned(),
        _ => title.to_owned(),
    }
    .chars()
    .filter(|c| !"[]:*?/\\".contains(*c))
    .take(28)
    .collect();
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        name = format!("{base} {n}");
        n += 1;
    }
    name
}

/// The twelve month cells of a row as printed: a monthly indicator's months, or a
/// quarterly indicator's quarters under each quarter's last month (M, J, S, D).
pub fn row_cells(row: &Row) -> Vec<&Option<Cell>> {
    let monthly = row.months.iter().any(Option::is_some);
    if monthly {
        row.months.iter().collect()
    } else {
        // Quarterly indicators: each quarter's value under its last month.
        (0..12)
            .map(|m| {
                if m % 3 == 2 {
                    &row.quarters[m / 3]
                } else {
                    &None
                }
            })
            .collect()
    }
}

fn cell_value(cell: &Option<Cell>) -> Option<(f64, Option<u8>)> {
    cell.as_ref()
        .and_then(|c| c.outcome.value.map(|v| (v, c.level.map(|l| l.number()))))
}

/// The workbook of a year: a sheet per section, the legend on each.
pub fn workbook(
    prefecture: &str,
    year: i32,
    sections: &[(String, YearTable)],
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xE3E3FD))
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let label = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let mut names: Vec<String> = Vec::new();
    for (section, table) in sections {
        let name = sheet_name(section, &names);
        names.push(name.clone());
        let sheet = book.add_worksheet();
        sheet.set_name(&name)?;
        sheet.write_string_with_format(
            0,
            0,
            format!("{prefecture} – {section} – {year}"),
            &title,
        )?;
        let columns: Vec<String> = ["Indicateur", "Code"]
            .into_iter()
            .map(str::to_owned)
            .chain(MONTHS.iter().map(|m| (*m).to_owned()))
            .chain([
                format!("Résultat {year}"),
                "Cible".to_owned(),
                format!("Résultat {}", year - 1),
            ])
            .collect();
        for (c, text) in columns.iter().enumerate() {
            sheet.write_string_with_format(2, c as u16, text, &header)?;
        }
        sheet.set_column_width(0, 60)?;
        sheet.set_column_width(1, 28)?;
        for c in 2..14u16 {
            sheet.set_column_width(c, 9)?;
        }
        sheet.set_column_width(14, 12)?;
        sheet.set_column_width(15, 12)?;
        sheet.set_column_width(16, 12)?;
        sheet.set_freeze_panes(3, 2)?;
        for (i, row) in table.rows.iter().enumerate() {
            let r = 3 + i as u32;
            sheet.write_string_with_format(r, 0, &row.label, &label)?;
            sheet.write_string_with_format(r, 1, &row.code, &label)?;
            let base = Format::new()
                .set_num_format(number_format(row.unit))
                .set_border(FormatBorder::Thin);
            let fill = |level: Option<u8>| match level {
                Some(l @ 1..=4) => base
                    .clone()
                    .set_background_color(Color::RGB(LEVEL_FILLS[usize::from(l - 1)])),
                _ => base.clone(),
            };
            for (m, cell) in row_cells(row).into_iter().enumerate() {
                let c = 2 + m as u16;
                match cell_value(cell) {
                    Some((v, level)) => sheet.write_number_with_format(r, c, v, &fill(level))?,
                    None => sheet.write_blank(r, c, &base)?,
                };
            }
            match cell_value(&row.annual) {
                Some((v, level)) => {
                    sheet.write_number_with_format(r, 14, v, &fill(level).set_bold())?
                }
                None => sheet.write_blank(r, 14, &base)?,
            };
            match row.target {
                Some(t) => sheet.write_string_with_format(
                    r,
                    15,
                    format!("{} {}", t.comparator.symbol(), french(t.value)),
                    &label,
                )?,
                None => sheet.write_blank(r, 15, &base)?,
            };
            match row.previous_annual {
                Some(v) => sheet.write_number_with_format(r, 16, v, &base)?,
                None => sheet.write_blank(r, 16, &base)?,
            };
        }
        // The legend under the table.
        let legend_row = 4 + table.rows.len() as u32;
        let legend = [
            "1 – cible atteinte",
            "2 – écart inférieur à 25 %",
            "3 – écart de 25 à 50 %",
            "4 – écart supérieur à 50 %",
        ];
        sheet.write_string(legend_row, 0, "Légende")?;
        for (i, text) in legend.iter().enumerate() {
            let f = Format::new().set_background_color(Color::RGB(LEVEL_FILLS[i]));
            sheet.write_string_with_format(legend_row + 1 + i as u32, 0, *text, &f)?;
        }
    }
    if sections.is_empty() {
        let sheet = book.add_worksheet();
        sheet.write_string(
            0,
            0,
            format!("{prefecture} – {year} : aucun indicateur dans le périmètre"),
        )?;
    }
    book.save_to_buffer()
}

fn french(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0')
        .trim_end_matches('.')
        .replace('.', ",")
}

/// The same tables as CSV: `;` and decimal commas with a UTF-8 BOM for French Excel, or
/// `,` and decimal points (`comma`).
pub fn csv(year: i32, sections: &[(String, YearTable)], comma: bool) -> String {
    let sep = if comma { "," } else { ";" };
    let number = |v: f64| {
        let s = format!("{v}");
        if comma { s } else { s.replace('.', ",") }
    };
    let quote = |s: &str| qep_core::csv_cell::field(s, if comma { ',' } else { ';' });
    let mut out = String::new();
    if !comma {
        out.push('\u{feff}');
    }
    let mut header = vec!["module".to_owned(), "code".to_owned(), "libelle".to_owned()];
    header.extend(
        [
            "janv", "fevr", "mars", "avr", "mai", "juin", "juil", "aout", "sept", "oct", "nov",
            "dec",
        ]
        .iter()
        .map(|m| (*m).to_owned()),
    );
    header.extend([
        format!("annee_{year}"),
        "cible".to_owned(),
        "comparateur".to_owned(),
        "niveau_annuel".to_owned(),
    ]);
    out.push_str(&header.join(sep));
    out.push_str("\r\n");
    for (section, table) in sections {
        for row in &table.rows {
            let mut fields = vec![quote(section), quote(&row.code), quote(&row.label)];
            for cell in row_cells(row) {
                fields.push(cell_value(cell).map(|(v, _)| number(v)).unwrap_or_default());
            }
            let annual = cell_value(&row.annual);
            fields.push(annual.map(|(v, _)| number(v)).unwrap_or_default());
            fields.push(row.target.map(|t| number(t.value)).unwrap_or_default());
            fields.push(
                row.target
                    .map(|t| t.comparator.as_str().to_owned())
                    .unwrap_or_default(),
            );
            fields.push(
                annual
                    .and_then(|(_, l)| l)
                    .map(|l| l.to_string())
                    .unwrap_or_default(),
            );
            out.push_str(&fields.join(sep));
            out.push_str("\r\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_short_unique_and_legal() {
        let taken = vec!["Module 1".to_owned()];
        assert_eq!(
            sheet_name("Module 1 – Relation générale avec les usagers", &taken),
            "Module 1 2"
        );
        assert_eq!(
            sheet_name("Programme Transparence", &[]),
            "Programme Transparence"
        );
        assert_eq!(sheet_name("a/b[c]:d", &[]), "abcd");
    }
}
