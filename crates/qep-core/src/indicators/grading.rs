//! Grading a result against its target: the four-level legend of the Cher's 2020 quality
//! review, and the trend against the previous year.
//!
//! Rules (REFERENTIEL.md §7, open question 14, decided here):
//!
//! - level 1 when the target's comparator holds (`≥`, `>`, `≤`, `<`);
//! - otherwise the gap is `|result − target| / target`, whatever the direction (the result
//!   is on the wrong side, so this is the shortfall for "higher is better" and the excess
//!   for "lower is better");
//! - level 2 when the gap is under 25 %, level 3 from 25 % to 50 % **both included**,
//!   level 4 over 50 %. Exactly 25 % is level 3, exactly 50 % is level 3; the gap is
//!   compared with a tolerance of 1e-9 so that float error does not move a result that is
//!   exactly on a boundary (75 against ≥ 100, 150 against ≤ 100);
//! - a strict target (`> 90`) with the result exactly on it is missed with a gap of 0:
//!   level 2;
//! - a target of 0 whose comparator fails (`< 0` with a result of 0, `≤ 0` with a positive
//!   result…) has no relative gap: level 4;
//! - a result or target that is not a finite number is not graded (`None`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::definition::{Comparator, Target};

/// Tolerance on the relative gap at the 25 % and 50 % boundaries.
pub const GAP_TOLERANCE: f64 = 1e-9;

/// The four levels of the legend. Serialised as its number, 1 to 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// 1: the target is met.
    Met,
    /// 2: gap under 25 % of the target.
    GapUnder25,
    /// 3: gap from 25 % to 50 % of the target (both included).
    Gap25To50,
    /// 4: gap over 50 % of the target.
    GapOver50,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::Met,
        Level::GapUnder25,
        Level::Gap25To50,
        Level::GapOver50,
    ];

    /// 1 to 4.
    pub fn number(self) -> u8 {
        match self {
            Level::Met => 1,
            Level::GapUnder25 => 2,
            Level::Gap25To50 => 3,
            Level::GapOver50 => 4,
        }
    }

    pub fn from_number(n: u8) -> Option<Level> {
        match n {
            1 => Some(Level::Met),
            2 => Some(Level::GapUnder25),
            3 => Some(Level::Gap25To50),
            4 => Some(Level::GapOver50),
            _ => None,
        }
    }

    /// The legend as printed in reports.
    pub fn label(self) -> &'static str {
        match self {
            Level::Met => "Cible atteinte",
            Level::GapUnder25 => "Écart inférieur à 25 %",
            Level::Gap25To50 => "Écart de 25 à 50 %",
            Level::GapOver50 => "Écart supérieur à 50 %",
        }
    }

    /// A colour name, usable as a CSS class suffix (`level-green`…).
    pub fn color(self) -> &'static str {
        match self {
            Level::Met => "green",
            Level::GapUnder25 => "yellow",
            Level::Gap25To50 => "orange",
            Level::GapOver50 => "red",
        }
    }
}

impl Serialize for Level {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.number())
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Level, D::Error> {
        let n = u8::deserialize(d)?;
        Level::from_number(n).ok_or_else(|| {
            serde::de::Error::custom(format!("niveau inconnu {n} (attendu : 1 à 4)"))
        })
    }
}

/// The relative gap between a result and its target, when the target is missed: `None`
/// when it is met, when the target is 0, or when a value is not finite.
pub fn gap(result: f64, target: Target) -> Option<f64> {
    if !result.is_finite() || !target.value.is_finite() {
        return None;
    }
    if target.comparator.holds(result, target.value) || target.value == 0.0 {
        return None;
    }
    Some((result - target.value).abs() / target.value.abs())
}

/// The level of `result` against `target`; see the module documentation for the rules.
pub fn grade(result: f64, target: Target) -> Option<Level> {
    if !result.is_finite() || !target.value.is_finite() {
        return None;
    }
    if target.comparator.holds(result, target.value) {
        return Some(Level::Met);
    }
    let Some(g) = gap(result, target) else {
        // Target 0 missed: no relative gap exists, the result is as far as it can be.
        return Some(Level::GapOver50);
    };
    Some(if g < 0.25 - GAP_TOLERANCE {
        Level::GapUnder25
    } else if g <= 0.50 + GAP_TOLERANCE {
        Level::Gap25To50
    } else {
        Level::GapOver50
    })
}

/// How a result moved against the previous year's, in the indicator's direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Better,
    Worse,
    Same,
}

impl Trend {
    pub fn label(self) -> &'static str {
        match self {
            Trend::Better => "En amélioration",
            Trend::Worse => "En dégradation",
            Trend::Same => "Stable",
        }
    }

    /// An arrow for tables: up when better, down when worse, whatever the direction of the
    /// indicator (a delay that fell is "better", shown ↗).
    pub fn arrow(self) -> &'static str {
        match self {
            Trend::Better => "↗",
            Trend::Worse => "↘",
            Trend::Same => "→",
        }
    }
}

/// `current` against `previous` for an indicator whose targets use `comparator`: higher is
/// better for `≥`/`>`, lower for `≤`/`<`. Values within 1e-9 (relative) are the same.
/// `None` when a value is not finite.
pub fn trend(current: f64, previous: f64, comparator: Comparator) -> Option<Trend> {
    if !current.is_finite() || !previous.is_finite() {
        return None;
    }
    let diff = current - previous;
    if diff.abs() <= GAP_TOLERANCE * previous.abs().max(1.0) {
        return Some(Trend::Same);
    }
    let up = diff > 0.0;
    Some(if up == comparator.higher_is_better() {
        Trend::Better
    } else {
        Trend::Worse
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(comparator: Comparator, value: f64) -> Target {
        Target {
            year: 2020,
            comparator,
            value,
        }
    }

    fn level(result: f64, comparator: Comparator, value: f64) -> Option<u8> {
        grade(result, t(comparator, value)).map(Level::number)
    }

    #[test]
    fn met_targets_are_level_one_in_every_direction() {
        assert_eq!(level(100.0, Comparator::Ge, 100.0), Some(1));
        assert_eq!(level(100.1, Comparator::Gt, 100.0), Some(1));
        assert_eq!(level(100.0, Comparator::Le, 100.0), Some(1));
        assert_eq!(level(99.9, Comparator::Lt, 100.0), Some(1));
        // A strict target hit exactly is missed, with no gap: level 2.
        assert_eq!(level(100.0, Comparator::Gt, 100.0), Some(2));
        assert_eq!(level(100.0, Comparator::Lt, 100.0), Some(2));
    }

    #[test]
    fn legend_boundaries_higher_is_better() {
        assert_eq!(level(75.01, Comparator::Ge, 100.0), Some(2));
        assert_eq!(level(75.0, Comparator::Ge, 100.0), Some(3), "exactly 25 %");
        assert_eq!(level(50.0, Comparator::Ge, 100.0), Some(3), "exactly 50 %");
        assert_eq!(level(49.99, Comparator::Ge, 100.0), Some(4));
        // Boundaries that are inexact in binary floating point.
        assert_eq!(level(0.3, Comparator::Ge, 0.4), Some(3), "0.1/0.4 = 25 %");
        assert_eq!(level(0.225, Comparator::Gt, 0.3), Some(3), "25 % of 0.3");
        assert_eq!(level(3.75, Comparator::Ge, 5.0), Some(3));
        assert_eq!(level(2.5, Comparator::Ge, 5.0), Some(3));
        assert_eq!(level(67.5, Comparator::Gt, 90.0), Some(3));
        assert_eq!(level(45.0, Comparator::Gt, 90.0), Some(3));
        assert_eq!(level(44.99, Comparator::Gt, 90.0), Some(4));
    }

    #[test]
    fn legend_boundaries_lower_is_better() {
        assert_eq!(level(124.99, Comparator::Le, 100.0), Some(2));
        assert_eq!(level(125.0, Comparator::Le, 100.0), Some(3), "exactly 25 %");
        assert_eq!(level(150.0, Comparator::Le, 100.0), Some(3), "exactly 50 %");
        assert_eq!(level(150.01, Comparator::Le, 100.0), Some(4));
        assert_eq!(level(0.125, Comparator::Lt, 0.1), Some(3), "25 % of 0.1");
        assert_eq!(level(0.15, Comparator::Lt, 0.1), Some(3), "50 % of 0.1");
        assert_eq!(level(37.5, Comparator::Le, 30.0), Some(3));
        assert_eq!(level(45.0, Comparator::Le, 30.0), Some(3));
    }

    #[test]
    fn zero_targets_and_non_finite_values() {
        assert_eq!(level(0.0, Comparator::Le, 0.0), Some(1));
        assert_eq!(level(0.001, Comparator::Le, 0.0), Some(4));
        assert_eq!(level(0.0, Comparator::Lt, 0.0), Some(4));
        assert_eq!(level(0.0, Comparator::Gt, 0.0), Some(4));
        assert_eq!(level(f64::NAN, Comparator::Ge, 5.0), None);
        assert_eq!(level(1.0, Comparator::Ge, f64::INFINITY), None);
        assert_eq!(gap(0.0, t(Comparator::Gt, 0.0)), None);
    }

    /// Cher, 2020 quality review (S2): the results and national targets it prints, graded
    /// with its legend (REFERENTIEL.md §7.2).
    #[test]
    fn cher_2020_grades() {
        // Renewal of residence permits: 64 d against 30 d: gap 113 %.
        assert_eq!(level(64.0, Comparator::Le, 30.0), Some(4));
        let g = gap(64.0, t(Comparator::Le, 30.0)).expect("missed");
        assert!((g - 34.0 / 30.0).abs() < 1e-12);
        // First residence permit: 81 d against 90 d.
        assert_eq!(level(81.0, Comparator::Le, 90.0), Some(1));
        // Foreigners' office fraud: 3.10 ‰ against 5 ‰: gap 38 %.
        assert_eq!(level(3.10, Comparator::Ge, 5.0), Some(3));
        let g = gap(3.10, t(Comparator::Ge, 5.0)).expect("missed");
        assert!((g - 0.38).abs() < 1e-12);
        // The other lines of the review: all met.
        assert_eq!(level(5.9, Comparator::Le, 9.0), Some(1), "CNI/passeports");
        assert_eq!(
            level(91.96, Comparator::Ge, 90.0),
            Some(1),
            "appels décrochés"
        );
        assert_eq!(
            level(5.53, Comparator::Ge, 2.0),
            Some(1),
            "engagement réseaux"
        );
        assert_eq!(level(12.41, Comparator::Ge, 5.0), Some(1), "connexions");
        assert_eq!(level(0.54, Comparator::Ge, 0.5), Some(1), "fraude CERT");
    }

    /// Orne, 2020 annual results (S0) against its "Cible 2020" column.
    #[test]
    fn orne_2020_grades() {
        assert_eq!(level(91.19, Comparator::Gt, 75.0), Some(1), "courriels");
        assert_eq!(level(0.27, Comparator::Lt, 10.0), Some(1), "appels perdus");
        assert_eq!(
            level(93.84, Comparator::Gt, 90.0),
            Some(1),
            "appels aboutis"
        );
        assert_eq!(level(14.24, Comparator::Gt, 5.0), Some(1), "connexions");
        assert_eq!(
            level(99.05, Comparator::Gt, 75.0),
            Some(1),
            "satisfaction PAN"
        );
        // CNI delay 24.48 d against < 14 d: gap 75 %.
        assert_eq!(level(24.48, Comparator::Lt, 14.0), Some(4), "délai CNI");
        // First applications 96.50 d against < 90 d: gap 7 %.
        assert_eq!(
            level(96.50, Comparator::Lt, 90.0),
            Some(2),
            "premières demandes"
        );
        // Renewals 76.42 d against < 30 d: gap 155 %.
        assert_eq!(
            level(76.42, Comparator::Lt, 30.0),
            Some(4),
            "renouvellements"
        );
        // The worst email month, August: 59 % against > 75 %: gap 21 %; 5.24 d against < 5.
        assert_eq!(level(59.0, Comparator::Gt, 75.0), Some(2));
        assert_eq!(level(5.24, Comparator::Lt, 5.0), Some(2));
    }

    #[test]
    fn levels_have_labels_colours_and_numbers() {
        let labels: Vec<&str> = Level::ALL.iter().map(|l| l.label()).collect();
        assert_eq!(
            labels,
            [
                "Cible atteinte",
                "Écart inférieur à 25 %",
                "Écart de 25 à 50 %",
                "Écart supérieur à 50 %"
            ]
        );
        for l in Level::ALL {
            assert_eq!(Level::from_number(l.number()), Some(l));
            assert!(!l.color().is_empty());
        }
        assert_eq!(Level::from_number(0), None);
        assert_eq!(Level::from_number(5), None);
    }

    #[test]
    fn trends_follow_the_direction() {
        assert_eq!(trend(93.84, 96.35, Comparator::Gt), Some(Trend::Worse));
        assert_eq!(trend(0.27, 0.33, Comparator::Lt), Some(Trend::Better));
        assert_eq!(trend(64.0, 52.1, Comparator::Le), Some(Trend::Worse));
        assert_eq!(trend(12.41, 8.25, Comparator::Ge), Some(Trend::Better));
        assert_eq!(trend(0.1 + 0.2, 0.3, Comparator::Ge), Some(Trend::Same));
        assert_eq!(trend(f64::NAN, 0.3, Comparator::Ge), None);
    }
}
