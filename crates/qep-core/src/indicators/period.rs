//! Reporting periods: a month, a quarter or a year, written `2020-01`, `2020-Q1`, `2020`.
//!
//! The string form is the one people and files use (exports, the command line, JSON): it is
//! what [`Period::parse`] reads, what `Display` writes and what serde stores.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::definition::Periodicity;

/// A value that is not a period, with the forms that are expected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "période invalide « {0} » (attendu : une année « 2020 », un mois « 2020-01 » ou un trimestre « 2020-Q1 »)"
)]
pub struct PeriodError(pub String);

/// A month, a quarter or a calendar year.
///
/// Periods built by [`Period::parse`], [`Period::month`], [`Period::quarter`] or
/// deserialised are always valid (month 1 to 12, quarter 1 to 4). The variants' fields are
/// public, so a hand-built `Month { month: 13, .. }` is possible: the date methods then
/// clamp the month (or quarter) into its range rather than panic; [`Period::is_valid`]
/// tells such a value apart.
///
/// The derived order sorts all months before all quarters before all years; within a kind,
/// chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
    Year(i32),
}

impl Period {
    /// A month; `None` unless `1 <= month <= 12`.
    pub fn month(year: i32, month: u32) -> Option<Period> {
        (1..=12)
            .contains(&month)
            .then_some(Period::Month { year, month })
    }

    /// A quarter; `None` unless `1 <= quarter <= 4`.
    pub fn quarter(year: i32, quarter: u32) -> Option<Period> {
        (1..=4)
            .contains(&quarter)
            .then_some(Period::Quarter { year, quarter })
    }

    /// `2020-01` (a month), `2020-Q1` (a quarter, `q1` accepted) or `2020` (a year). The
    /// year has four digits, the month two; surrounding spaces are ignored.
    pub fn parse(s: &str) -> Result<Period, PeriodError> {
        let bad = || PeriodError(s.to_owned());
        let t = s.trim();
        let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
        let (year_part, rest) = match t.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (t, None),
        };
        if !digits(year_part, 4) {
            return Err(bad());
        }
        let year: i32 = year_part.parse().map_err(|_| bad())?;
        match rest {
            None => Ok(Period::Year(year)),
            Some(r) => {
                if let Some(q) = r.strip_prefix('Q').or_else(|| r.strip_prefix('q')) {
                    if !digits(q, 1) {
                        return Err(bad());
                    }
                    let quarter: u32 = q.parse().map_err(|_| bad())?;
                    Period::quarter(year, quarter).ok_or_else(bad)
                } else {
                    if !digits(r, 2) {
                        return Err(bad());
                    }
                    let month: u32 = r.parse().map_err(|_| bad())?;
                    Period::month(year, month).ok_or_else(bad)
                }
            }
        }
    }

    /// Month 1 to 12, quarter 1 to 4.
    pub fn is_valid(self) -> bool {
        match self {
            Period::Month { month, .. } => (1..=12).contains(&month),
            Period::Quarter { quarter, .. } => (1..=4).contains(&quarter),
            Period::Year(_) => true,
        }
    }

    /// The month containing `date`.
    pub fn of_month(date: NaiveDate) -> Period {
        Period::Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// The quarter (1 to 4) a month (1 to 12) falls in; out-of-range months are clamped.
    pub fn quarter_of(month: u32) -> u32 {
        (month.clamp(1, 12) - 1) / 3 + 1
    }

    pub fn year(self) -> i32 {
        match self {
            Period::Month { year, .. } | Period::Quarter { year, .. } | Period::Year(year) => year,
        }
    }

    /// Which kind of period this is, as an indicator's periodicity.
    pub fn periodicity(self) -> Periodicity {
        match self {
            Period::Month { .. } => Periodicity::Monthly,
            Period::Quarter { .. } => Periodicity::Quarterly,
            Period::Year(_) => Periodicity::Annual,
        }
    }

    /// First and last month (1 to 12) covered.
    fn month_range(self) -> (u32, u32) {
        match self {
            Period::Month { month, .. } => {
                let m = month.clamp(1, 12);
                (m, m)
            }
            Period::Quarter { quarter, .. } => {
                let q = quarter.clamp(1, 4);
                (3 * q - 2, 3 * q)
            }
            Period::Year(_) => (1, 12),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        let (first, _) = self.month_range();
        first_of_month(self.year(), first)
    }

    pub fn last_day(self) -> NaiveDate {
        let (_, last) = self.month_range();
        let (y, m) = if last == 12 {
            (self.year().saturating_add(1), 1)
        } else {
            (self.year(), last + 1)
        };
        first_of_month(y, m).pred_opt().unwrap_or(NaiveDate::MIN)
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        let (first, last) = self.month_range();
        date.year() == self.year() && (first..=last).contains(&date.month())
    }

    /// The months covered, in order: one for a month, three for a quarter, twelve for a
    /// year.
    pub fn months(self) -> Vec<Period> {
        let (first, last) = self.month_range();
        let year = self.year();
        (first..=last)
            .map(|month| Period::Month { year, month })
            .collect()
    }

    /// The quarters covered: none for a month, itself for a quarter, four for a year.
    pub fn quarters(self) -> Vec<Period> {
        let year = self.year();
        match self {
            Period::Month { .. } => Vec::new(),
            Period::Quarter { quarter, .. } => vec![Period::Quarter {
                year,
                quarter: quarter.clamp(1, 4),
            }],
            Period::Year(_) => (1..=4)
                .map(|quarter| Period::Quarter { year, quarter })
                .collect(),
        }
    }
}

/// The 1st of a month, or the nearest representable date for a year beyond chrono's range.
fn first_of_month(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(if year < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Period::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
            Period::Year(year) => write!(f, "{year:04}"),
        }
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Period, PeriodError> {
        Period::parse(s)
    }
}

impl TryFrom<String> for Period {
    type Error = PeriodError;

    fn try_from(s: String) -> Result<Period, PeriodError> {
        Period::parse(&s)
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn parses_and_displays_the_three_forms() {
        for (text, period) in [
            (
                "2020-01",
                Period::Month {
                    year: 2020,
                    month: 1,
                },
            ),
            (
                "2020-12",
                Period::Month {
                    year: 2020,
                    month: 12,
                },
            ),
            (
                "2020-Q1",
                Period::Quarter {
                    year: 2020,
                    quarter: 1,
                },
            ),
            (
                "2021-Q4",
                Period::Quarter {
                    year: 2021,
                    quarter: 4,
                },
            ),
            ("2020", Period::Year(2020)),
        ] {
            assert_eq!(Period::parse(text), Ok(period), "{text}");
            assert_eq!(period.to_string(), text);
            assert_eq!(text.parse::<Period>(), Ok(period));
        }
        assert_eq!(
            Period::parse(" 2020-q2 "),
            Ok(Period::Quarter {
                year: 2020,
                quarter: 2
            })
        );
    }

    #[test]
    fn bad_periods_are_refused_with_the_value_and_the_expected_forms() {
        for bad in [
            "",
            "20",
            "2020-13",
            "2020-00",
            "2020-1",
            "2020-Q0",
            "2020-Q5",
            "2020-Q12",
            "2020-T1",
            "2020-01-01",
            "janvier",
            "2020/01",
            "-2020",
            "20201",
            "2020-",
        ] {
            let err = Period::parse(bad).expect_err(bad);
            let msg = err.to_string();
            assert!(msg.contains(&format!("« {bad} »")), "{msg}");
            assert!(msg.contains("2020-01") && msg.contains("2020-Q1"), "{msg}");
            assert!(msg.starts_with("période invalide"), "{msg}");
        }
    }

    #[test]
    fn dates_months_and_membership() {
        let feb = Period::parse("2020-02").expect("period");
        assert_eq!(feb.first_day(), d(2020, 2, 1));
        assert_eq!(feb.last_day(), d(2020, 2, 29));
        assert!(feb.contains(d(2020, 2, 29)));
        assert!(!feb.contains(d(2020, 3, 1)));
        assert!(!feb.contains(d(2021, 2, 1)));
        assert_eq!(feb.months(), vec![feb]);
        assert!(feb.quarters().is_empty());

        let q4 = Period::parse("2020-Q4").expect("period");
        assert_eq!(q4.first_day(), d(2020, 10, 1));
        assert_eq!(q4.last_day(), d(2020, 12, 31));
        assert!(q4.contains(d(2020, 11, 15)));
        assert!(!q4.contains(d(2020, 9, 30)));
        assert_eq!(
            q4.months()
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>(),
            ["2020-10", "2020-11", "2020-12"]
        );

        let y = Period::Year(2020);
        assert_eq!(y.first_day(), d(2020, 1, 1));
        assert_eq!(y.last_day(), d(2020, 12, 31));
        assert_eq!(y.months().len(), 12);
        assert_eq!(y.quarters().len(), 4);
        assert_eq!(y.year(), 2020);
        assert_eq!(y.periodicity(), Periodicity::Annual);

        assert_eq!(Period::of_month(d(2020, 7, 14)).to_string(), "2020-07");
        let quarters: Vec<u32> = (1..=12).map(Period::quarter_of).collect();
        assert_eq!(quarters, [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    }

    #[test]
    fn hand_built_invalid_periods_do_not_panic() {
        let p = Period::Month {
            year: 2020,
            month: 13,
        };
        assert!(!p.is_valid());
        assert_eq!(p.first_day(), d(2020, 12, 1));
        assert!(Period::month(2020, 13).is_none());
        assert!(Period::quarter(2020, 0).is_none());
    }

    #[test]
    fn serde_uses_the_string_form() {
        let p = Period::Quarter {
            year: 2020,
            quarter: 3,
        };
        let json = serde_json_like(&p);
        assert_eq!(json, "\"2020-Q3\"");
        let back: Period = toml::from_str::<Wrapper>("p = \"2020-Q3\"")
            .expect("parses")
            .p;
        assert_eq!(back, p);
        let err = toml::from_str::<Wrapper>("p = \"2020-13\"").expect_err("refused");
        assert!(err.to_string().contains("2020-13"), "{err}");
    }

    #[derive(Debug, Deserialize, Serialize)]
    struct Wrapper {
        p: Period,
    }

    /// The crate has no JSON dependency: check the serialised form through TOML.
    fn serde_json_like(p: &Period) -> String {
        let text = toml::to_string(&Wrapper { p: *p }).expect("serialises");
        text.trim().trim_start_matches("p = ").to_owned()
    }
}
