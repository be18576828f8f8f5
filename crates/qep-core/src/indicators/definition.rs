//! What an indicator is: its code, unit, direction, periodicity, where its values come from,
//! and its targets per year. Definitions are data (the référentiel files); these types are
//! what those files are read into.

use serde::{Deserialize, Serialize};

/// How an indicator's value is obtained from its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Share of items answered within their deadline (numerator / denominator, in %).
    OnTimeRate,
    /// Mean delay of answered items (working days or days), weighted by item counts.
    MeanDelay,
    /// A number of things (calls, visitors, exercises); periods add up.
    Count,
    /// A share computed from two counts (answered calls / presented calls…), in % or ‰.
    Share,
    /// A value entered or imported as such (a survey score, a ministry delay).
    Value,
    /// Items per working day of the period (visitors per opening day), from a register;
    /// entered values roll up like [`Kind::Value`].
    DailyMean,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Percent,
    PerMille,
    Days,
    WorkingDays,
    Hours,
    Count,
    /// A score on a scale (e.g. effort score out of 5).
    Score,
}

impl Unit {
    /// The symbol people read after a value.
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Percent => "%",
            Unit::PerMille => "‰",
            Unit::Days => "j",
            Unit::WorkingDays => "j.o.",
            Unit::Hours => "h",
            Unit::Count => "",
            Unit::Score => "/5",
        }
    }
}

/// The direction of a target: the result must be ≥, >, ≤ or < the target value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Comparator {
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "<")]
    Lt,
}

impl Comparator {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Ge => "≥",
            Comparator::Gt => ">",
            Comparator::Le => "≤",
            Comparator::Lt => "<",
        }
    }

    /// `>=`, `>`, `<=`, `<`, and the symbols `≥`, `≤`.
    pub fn parse(s: &str) -> Option<Comparator> {
        match s.trim() {
            ">=" | "≥" => Some(Comparator::Ge),
            ">" => Some(Comparator::Gt),
            "<=" | "≤" => Some(Comparator::Le),
            "<" => Some(Comparator::Lt),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::Ge => ">=",
            Comparator::Gt => ">",
            Comparator::Le => "<=",
            Comparator::Lt => "<",
        }
    }

    /// Higher results are better (≥, >).
    pub fn higher_is_better(self) -> bool {
        matches!(self, Comparator::Ge | Comparator::Gt)
    }

    pub fn holds(self, result: f64, target: f64) -> bool {
        match self {
            Comparator::Ge => result >= target,
            Comparator::Gt => result > target,
            Comparator::Le => result <= target,
            Comparator::Lt => result < target,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Periodicity {
    Monthly,
    Quarterly,
    Annual,
}

/// Where the values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Computed from one of QeP's registers.
    Register,
    /// Imported from a file (telephony, ministry data, web statistics…).
    Imported,
    /// Typed in by the quality lead.
    Entered,
}

/// A target for one year: national in the référentiel, overridable locally.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub year: i32,
    pub comparator: Comparator,
    pub value: f64,
}

/// One indicator as the référentiel defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDef {
    /// Stable code used by exports and scripts, e.g. `m1.email.on_time`.
    pub code: String,
    /// French label as prefectures print it.
    pub label: String,
    /// How it is computed, in French, for the indicator's page and docs/INDICATORS.md.
    #[serde(default)]
    pub formula: String,
    pub kind: Kind,
    pub unit: Unit,
    /// Direction of the targets (and of the grading when no target is set).
    pub comparator: Comparator,
    pub periodicity: Periodicity,
    pub source: Source,
    /// Register the values are computed from, for `source = "register"` (e.g. `emails`).
    #[serde(default)]
    pub register: Option<String>,
    /// Deadline in working days for on-time rates (5 for emails…).
    #[serde(default)]
    pub deadline_working_days: Option<u32>,
    /// Whether a prefecture may compute it on sampled weeks only.
    #[serde(default)]
    pub sampling_allowed: bool,
    /// National targets by year.
    #[serde(default)]
    pub targets: Vec<Target>,
}

impl IndicatorDef {
    /// The target in force for `year`: that year's, or else the latest earlier one.
    pub fn target_for(&self, year: i32) -> Option<Target> {
        self.targets
            .iter()
            .filter(|t| t.year <= year)
            .max_by_key(|t| t.year)
            .copied()
    }
}
