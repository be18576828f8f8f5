//! The one rule for a value entered or imported for an indicator: within its unit's range
//! (a percentage between 0 and 100, a per-mille between 0 and 1,000, a count or a delay
//! never negative), a numerator between 0 and a positive denominator, both or neither,
//! and a rate that agrees with them. The web form and the file import both call it.

use super::Unit;
use crate::french::{french, with_unit};

/// Which field of a value a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValuePart {
    Value,
    Numerator,
    Denominator,
}

/// One reason a value is refused, in French, without a final full stop.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueProblem {
    pub part: ValuePart,
    pub message: String,
}

/// How far a rate may be from its numerator over its denominator: the value is often
/// rounded to the unit (78 % for 39/50 = 78 %, 91 % for 91,19 %).
const RATE_TOLERANCE: f64 = 0.51;

/// The problems of `value` (with its optional `numerator` and `denominator`) for an
/// indicator measured in `unit`; empty when it may be saved.
pub fn check_value(
    unit: Unit,
    value: f64,
    numerator: Option<f64>,
    denominator: Option<f64>,
) -> Vec<ValueProblem> {
    let mut problems = Vec::new();
    let mut refuse = |part, message: String| problems.push(ValueProblem { part, message });
    let max = match unit {
        Unit::Percent => Some(100.0),
        Unit::PerMille => Some(1000.0),
        _ => None,
    };
    if !value.is_finite() || value < 0.0 || max.is_some_and(|m| value > m) {
        let range = match max {
            Some(m) => format!("entre 0 et {}", with_unit(m, unit)),
            None => "un nombre positif ou nul".to_owned(),
        };
        refuse(
            ValuePart::Value,
            format!("valeur {} : attendu {range}", french(value)),
        );
    }
    match (numerator, denominator) {
        (Some(n), Some(d)) => {
            if d <= 0.0 {
                refuse(
                    ValuePart::Denominator,
                    format!(
                        "dénominateur {} : attendu un nombre strictement positif",
                        french(d)
                    ),
                );
            } else if n < 0.0 || n > d {
                refuse(
                    ValuePart::Numerator,
                    format!(
                        "numérateur {} : attendu entre 0 et le dénominateur ({})",
                        french(n),
                        french(d)
                    ),
                );
            } else if let Some(scale) = max {
                let rate = n / d * scale;
                if (value - rate).abs() > RATE_TOLERANCE {
                    refuse(
                        ValuePart::Value,
                        format!(
                            "valeur {} : le numérateur et le dénominateur donnent {} ({} / {})",
                            with_unit(value, unit),
                            with_unit(rate, unit),
                            french(n),
                            french(d)
                        ),
                    );
                }
            }
        }
        (Some(_), None) | (None, Some(_)) => refuse(
            ValuePart::Denominator,
            "numérateur et dénominateur vont ensemble : renseignez les deux ou aucun".to_owned(),
        ),
        (None, None) => {}
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(unit: Unit, v: f64, n: Option<f64>, d: Option<f64>) -> Vec<ValuePart> {
        check_value(unit, v, n, d)
            .into_iter()
            .map(|p| p.part)
            .collect()
    }

    #[test]
    fn values_within_their_unit_and_ratio_pass() {
        assert!(parts(Unit::Percent, 78.0, Some(39.0), Some(50.0)).is_empty());
        assert!(parts(Unit::Percent, 91.0, Some(9119.0), Some(10000.0)).is_empty());
        assert!(parts(Unit::Percent, 0.0, None, None).is_empty());
        assert!(parts(Unit::Percent, 100.0, None, None).is_empty());
        assert!(parts(Unit::PerMille, 0.54, None, None).is_empty());
        assert!(parts(Unit::Count, 12_345.0, None, None).is_empty());
        assert!(parts(Unit::Days, 1.46, None, None).is_empty());
    }

    #[test]
    fn values_out_of_range_are_refused_on_their_field() {
        assert_eq!(parts(Unit::Percent, -5.0, None, None), [ValuePart::Value]);
        assert_eq!(parts(Unit::Percent, 150.0, None, None), [ValuePart::Value]);
        assert_eq!(
            parts(Unit::PerMille, 1200.0, None, None),
            [ValuePart::Value]
        );
        assert_eq!(parts(Unit::Count, -1.0, None, None), [ValuePart::Value]);
        assert_eq!(parts(Unit::Hours, f64::NAN, None, None), [ValuePart::Value]);
        let m = &check_value(Unit::Percent, 150.0, None, None)[0].message;
        assert_eq!(m, "valeur 150 : attendu entre 0 et 100\u{a0}%");
    }

    #[test]
    fn numerators_and_denominators_are_checked() {
        assert_eq!(
            parts(Unit::Percent, 100.0, Some(60.0), Some(50.0)),
            [ValuePart::Numerator]
        );
        assert_eq!(
            parts(Unit::Percent, 50.0, Some(0.0), Some(0.0)),
            [ValuePart::Denominator]
        );
        assert_eq!(
            parts(Unit::Percent, 50.0, Some(1.0), None),
            [ValuePart::Denominator]
        );
        // 39 / 50 is 78 %, not 90 %.
        let p = check_value(Unit::Percent, 90.0, Some(39.0), Some(50.0));
        assert_eq!(p[0].part, ValuePart::Value);
        assert!(p[0].message.contains("78\u{a0}%"), "{}", p[0].message);
    }
}
