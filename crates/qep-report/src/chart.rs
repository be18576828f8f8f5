//! The bar chart of an indicator's months (or quarters), drawn as plain SVG with the
//! target as a dashed line. The same string goes inline into the web page and into the
//! printed report, so colours are presentation attributes (the web's stylesheet may
//! still restyle the classes) and the text alternative travels with it.

use qep_core::indicators::Cell;

use crate::number::french;

/// Bar fill per level of the legend, 1 to 4 (DSFR success, warning, orange, error).
pub const LEVEL_BAR_FILLS: [&str; 4] = ["#18753c", "#b87e00", "#c9491c", "#ce0500"];
/// Bar fill of a value without a level (no target).
pub const NO_LEVEL_BAR_FILL: &str = "#929292";
/// The target line (DSFR blue France).
pub const TARGET_STROKE: &str = "#000091";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart of `cells` (label under each bar, e.g. `J` or `T1`) for `year`, titled
/// `title` in its text alternative; `target` draws the dashed line.
pub fn bars(
    title: &str,
    year: i32,
    cells: &[(String, Option<Cell>)],
    target: Option<f64>,
) -> String {
    let (w, h, left, bottom, top) = (720.0_f64, 260.0_f64, 56.0_f64, 28.0_f64, 16.0_f64);
    let max = cells
        .iter()
        .filter_map(|(_, c)| c.as_ref().and_then(|c| c.outcome.value))
        .chain(target)
        .fold(0.0_f64, f64::max);
    let max = if max <= 0.0 { 1.0 } else { max * 1.1 };
    let plot_h = h - bottom - top;
    let y = |v: f64| top + plot_h - (v / max) * plot_h;
    let slot = (w - left - 8.0) / cells.len().max(1) as f64;
    let mut svg = format!(
        "<svg class=\"qep-chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" \
         font-family=\"Marianne, Arial, sans-serif\" font-size=\"12\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"chart-title\">{} en {year}</title><desc id=\"chart-desc\">Valeurs par période ; la ligne pointillée est la cible. Les valeurs figurent aussi dans le tableau ci-dessous.</desc>\
         <line class=\"axis\" stroke=\"#929292\" x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
        esc(title),
        top + plot_h,
        w - 8.0,
        top + plot_h
    );
    for tick in 0..=4 {
        let v = max * f64::from(tick) / 4.0;
        svg.push_str(&format!(
            "<text fill=\"#161616\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            y(v) + 4.0,
            esc(&french(v))
        ));
    }
    for (i, (label, cell)) in cells.iter().enumerate() {
        let x = left + slot * i as f64 + slot * 0.15;
        if let Some(v) = cell.as_ref().and_then(|c| c.outcome.value) {
            let level = cell.as_ref().and_then(|c| c.level).map(|l| l.number());
            let (class, fill) = match level {
                Some(n @ 1..=4) => (format!("bar--{n}"), LEVEL_BAR_FILLS[usize::from(n - 1)]),
                _ => ("bar--none".to_owned(), NO_LEVEL_BAR_FILL),
            };
            svg.push_str(&format!(
                "<rect class=\"{class}\" fill=\"{fill}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>",
                y(v),
                slot * 0.7,
                (top + plot_h - y(v)).max(0.0)
            ));
        }
        svg.push_str(&format!(
            "<text fill=\"#161616\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x + slot * 0.35,
            h - 8.0,
            esc(label)
        ));
    }
    if let Some(t) = target {
        svg.push_str(&format!(
            "<line class=\"target\" stroke=\"{TARGET_STROKE}\" stroke-width=\"2\" stroke-dasharray=\"6 4\" x1=\"{left}\" y1=\"{:.1}\" x2=\"{}\" y2=\"{:.1}\"/>",
            y(t),
            w - 8.0,
            y(t)
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use qep_core::indicators::{Level, Outcome};

    fn cell(v: f64, level: Option<Level>) -> Option<Cell> {
        Some(Cell {
            outcome: Outcome {
                value: Some(v),
                ..Outcome::default()
            },
            level,
        })
    }

    #[test]
    fn bars_carry_their_colours_classes_and_text_alternative() {
        let cells = vec![
            ("J".to_owned(), cell(90.0, Some(Level::Met))),
            ("F".to_owned(), cell(40.0, Some(Level::GapOver50))),
            ("M".to_owned(), cell(12.0, None)),
            ("A".to_owned(), None),
        ];
        let svg = bars("Taux d'appels <aboutis>", 2020, &cells, Some(85.0));
        assert!(
            svg.contains("<title id=\"chart-title\">Taux d'appels &lt;aboutis&gt; en 2020</title>")
        );
        assert!(svg.contains("<desc id=\"chart-desc\">"));
        assert!(svg.contains("class=\"bar--1\" fill=\"#18753c\""));
        assert!(svg.contains("class=\"bar--4\" fill=\"#ce0500\""));
        assert!(svg.contains("class=\"bar--none\" fill=\"#929292\""));
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains(
            "class=\"target\" stroke=\"#000091\" stroke-width=\"2\" stroke-dasharray=\"6 4\""
        ));
        // Axis ticks read the French way: 90 × 1.1 = 99 at the top, 24,75 at the first tick.
        assert!(svg.contains(">24,75</text>"), "{svg}");
        assert!(!bars("x", 2020, &[], None).contains("class=\"target\""));
    }
}
