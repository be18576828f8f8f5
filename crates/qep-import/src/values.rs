//! `qep import values FILE`: indicator values with the columns
//! `indicator,period,value[,numerator,denominator]`, checked row by row. The whole file
//! is accepted or every error is returned; nothing is half-imported.

use std::collections::HashSet;

use qep_core::indicators::{IndicatorDef, Period, Unit, ValuePart, check_value};

use crate::CellError;
use crate::number::parse_decimal;
use crate::table::Table;

/// A checked row.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedValue {
    pub line: usize,
    pub code: String,
    pub period: Period,
    pub value: f64,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
}

/// Errors beyond this many are summarised, not listed.
pub const MAX_ERRORS: usize = 50;

pub const REQUIRED: [&str; 3] = ["indicator", "period", "value"];

/// Checks every row of `table` against the indicators known in scope.
pub fn parse(
    table: &Table,
    find: &dyn Fn(&str) -> Option<IndicatorDef>,
) -> Result<Vec<ParsedValue>, Vec<CellError>> {
    let mut errors = Vec::new();
    let column = |name: &str| table.column(name);
    let header_error = |problem: String| CellError {
        file: table.file.clone(),
        line: 1,
        column: "en-tête".into(),
        problem,
    };
    let (Some(ci), Some(cp), Some(cv)) = (column("indicator"), column("period"), column("value"))
    else {
        let missing: Vec<&str> = REQUIRED
            .into_iter()
            .filter(|c| column(c).is_none())
            .collect();
        return Err(vec![header_error(format!(
            "colonne(s) {} absente(s) (attendu : indicator,period,value[,numerator,denominator])",
            missing.join(", ")
        ))]);
    };
    let (cn, cd) = (column("numerator"), column("denominator"));
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for row in &table.rows {
        let cell = |i: usize| row.cells.get(i).map_or("", String::as_str);
        let mut fail = |col: usize, problem: String| {
            errors.push(CellError {
                file: table.file.clone(),
                line: row.line,
                column: table.headers.get(col).cloned().unwrap_or_default(),
                problem,
            });
        };
        let code = cell(ci);
        let def = find(code);
        if def.is_none() {
            fail(
                ci,
                format!(
                    "indicateur inconnu « {code} » (attendu : un code du référentiel, par exemple m1.email.on_time)"
                ),
            );
        }
        let period = match Period::parse(cell(cp)) {
            Ok(p) => Some(p),
            Err(_) => {
                fail(
                    cp,
                    format!(
                        "période invalide « {} » (attendu : AAAA-MM, AAAA-QN ou AAAA, par exemple 2020-01, 2020-Q1, 2020)",
                        cell(cp)
                    ),
                );
                None
            }
        };
        let number = |col: usize, what: &str, fail: &mut dyn FnMut(usize, String)| -> Option<f64> {
            let raw = cell(col);
            let v = parse_decimal(raw);
            if v.is_none() {
                fail(
                    col,
                    format!(
                        "« {raw} » n'est pas un nombre (attendu : {what}, virgule ou point décimal)"
                    ),
                );
            }
            v
        };
        let value = number(cv, "la valeur", &mut fail);
        let optional = |col: Option<usize>,
                        what: &str,
                        fail: &mut dyn FnMut(usize, String)|
         -> Option<Option<f64>> {
            match col {
                Some(c) if !cell(c).is_empty() => number(c, what, fail).map(Some),
                _ => Some(None),
            }
        };
        let numerator = optional(cn, "le numérateur", &mut fail);
        let denominator = optional(cd, "le dénominateur", &mut fail);
        // The one rule for a value, its unit and its ratio (qep-core), on the cell it is about.
        if let (Some(v), Some(n), Some(d)) = (value, numerator, denominator) {
            let unit = def.as_ref().map_or(Unit::Count, |d| d.unit);
            for problem in check_value(unit, v, n, d) {
                let col = match problem.part {
                    ValuePart::Value => cv,
                    ValuePart::Numerator => cn.unwrap_or(cv),
                    ValuePart::Denominator => cd.or(cn).unwrap_or(cv),
                };
                fail(col, problem.message);
            }
        }
        if let (Some(def), Some(p)) = (&def, &period)
            && !seen.insert((def.code.clone(), p.to_string()))
        {
            fail(
                cp,
                format!("{} {} figure déjà plus haut dans le fichier", def.code, p),
            );
        }
        if let (Some(def), Some(period), Some(value), Some(numerator), Some(denominator)) =
            (def, period, value, numerator, denominator)
        {
            out.push(ParsedValue {
                line: row.line,
                code: def.code,
                period,
                value,
                numerator,
                denominator,
            });
        }
        if errors.len() >= MAX_ERRORS {
            break;
        }
    }
    if table.rows.is_empty() {
        errors.push(header_error(
            "aucune ligne de valeurs après l'en-tête".into(),
        ));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use qep_core::indicators::{Comparator, Kind, Periodicity, Source, Unit};

    use super::*;
    use crate::table::read;

    fn known(code: &str) -> Option<IndicatorDef> {
        ["m1.email.on_time", "m1.phone.calls"]
            .contains(&code)
            .then(|| IndicatorDef {
                code: code.into(),
                label: code.into(),
                formula: String::new(),
                kind: Kind::Value,
                unit: if code.ends_with("calls") {
                    Unit::Count
                } else {
                    Unit::Percent
                },
                comparator: Comparator::Ge,
                periodicity: Periodicity::Monthly,
                source: Source::Entered,
                register: None,
                deadline_working_days: None,
                sampling_allowed: false,
                targets: vec![],
            })
    }

    #[test]
    fn a_good_file_gives_every_row() {
        let t = read(
            "v.csv",
            "indicator;period;value;numerator;denominator\nm1.email.on_time;2020;91,19;269;295\nm1.phone.calls;2020-01;1 234;;\n".as_bytes(),
        )
        .expect("csv");
        let rows = parse(&t, &known).expect("valid");
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].value, rows[0].numerator, rows[0].denominator),
            (91.19, Some(269.0), Some(295.0))
        );
        assert_eq!(rows[1].period.to_string(), "2020-01");
        assert_eq!((rows[1].value, rows[1].line), (1234.0, 3));
    }

    #[test]
    fn every_bad_cell_is_named_and_nothing_is_returned() {
        let text = "indicator,period,value,numerator,denominator\n\
                    m1.nope,2020-01,1,,\n\
                    m1.phone.calls,2020-13,1,,\n\
                    m1.phone.calls,2020-02,9x,,\n\
                    m1.email.on_time,2020-03,90,300,295\n\
                    m1.email.on_time,2020-04,90,3,\n\
                    m1.phone.calls,2020-05,1,,\n\
                    m1.phone.calls,2020-05,2,,\n\
                    m1.email.on_time,2020-06,150,,\n\
                    m1.email.on_time,2020-07,90,39,50\n\
                    m1.phone.calls,2020-08,-3,,\n";
        let t = read("v.csv", text.as_bytes()).expect("csv");
        let errors = parse(&t, &known).expect_err("invalid");
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 9, "{messages:#?}");
        // The unit's range and the ratio, on the value's cell.
        assert!(
            messages[6].contains("ligne 9, colonne « value »")
                && messages[6].contains("entre 0 et 100"),
            "{}",
            messages[6]
        );
        assert!(
            messages[7].contains("ligne 10, colonne « value »")
                && messages[7].contains("donnent 78"),
            "{}",
            messages[7]
        );
        assert!(
            messages[8].contains("ligne 11") && messages[8].contains("positif ou nul"),
            "{}",
            messages[8]
        );
        assert!(
            messages[0].starts_with(
                "v.csv, ligne 2, colonne « indicator » : indicateur inconnu « m1.nope »"
            )
        );
        assert!(
            messages[1].contains("ligne 3, colonne « period »")
                && messages[1].contains("« 2020-13 »")
        );
        assert!(
            messages[2].contains("ligne 4, colonne « value »") && messages[2].contains("« 9x »")
        );
        assert!(messages[3].contains("ligne 5, colonne « numerator »"));
        assert!(messages[4].contains("ligne 6") && messages[4].contains("vont ensemble"));
        assert!(messages[5].contains("ligne 8") && messages[5].contains("déjà plus haut"));
    }

    #[test]
    fn missing_columns_are_reported_on_the_header() {
        let t = read("v.csv", b"code;periode;valeur\nx;2020;1\n").expect("csv");
        let errors = parse(&t, &known).expect_err("no columns");
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].to_string().contains("ligne 1")
                && errors[0].to_string().contains("indicator, period, value")
        );
    }
}
