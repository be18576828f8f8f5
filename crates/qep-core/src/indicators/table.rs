//! The year table prefectures print in their quality review: one row per indicator, a
//! column per month, per quarter and for the year, each cell graded against the year's
//! target, with the trend against the previous year.
//!
//! The table does not know where outcomes come from: an [`OutcomeSource`] yields the
//! [`Outcome`] of any (code, period) — the storage layer computes it with the engine, the
//! tests feed a closure or a map.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use serde::{Deserialize, Serialize};

use super::definition::{Comparator, IndicatorDef, Periodicity, Target, Unit};
use super::engine::Outcome;
use super::grading::{Level, Trend, grade, trend};
use super::period::Period;

/// Where a table reads outcomes from. `None`: nothing for that indicator and period (the
/// cell stays empty).
pub trait OutcomeSource {
    fn outcome(&self, code: &str, period: Period) -> Option<Outcome>;
}

impl<F> OutcomeSource for F
where
    F: Fn(&str, Period) -> Option<Outcome>,
{
    fn outcome(&self, code: &str, period: Period) -> Option<Outcome> {
        self(code, period)
    }
}

impl<S: BuildHasher> OutcomeSource for HashMap<(String, Period), Outcome, S> {
    fn outcome(&self, code: &str, period: Period) -> Option<Outcome> {
        self.get(&(code.to_owned(), period)).cloned()
    }
}

impl OutcomeSource for BTreeMap<(String, Period), Outcome> {
    fn outcome(&self, code: &str, period: Period) -> Option<Outcome> {
        self.get(&(code.to_owned(), period)).cloned()
    }
}

/// One result and its level against the year's target (`None` without a target or a
/// value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub outcome: Outcome,
    pub level: Option<Level>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub code: String,
    pub label: String,
    /// The référentiel module the indicator belongs to.
    pub module: u8,
    pub unit: Unit,
    pub comparator: Comparator,
    /// Only for monthly indicators.
    pub months: [Option<Cell>; 12],
    /// For monthly and quarterly indicators.
    pub quarters: [Option<Cell>; 4],
    pub annual: Option<Cell>,
    /// The target in force for the year (that year's or the latest earlier one).
    pub target: Option<Target>,
    /// Last year's annual value.
    pub previous_annual: Option<f64>,
    /// This year's annual value against last year's.
    pub trend: Option<Trend>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearTable {
    pub year: i32,
    pub rows: Vec<Row>,
}

/// Builds the table of `year` for the indicators given with their module, in that order.
pub fn year_table<'a, I, S>(indicators: I, year: i32, source: &S) -> YearTable
where
    I: IntoIterator<Item = (u8, &'a IndicatorDef)>,
    S: OutcomeSource + ?Sized,
{
    let rows = indicators
        .into_iter()
        .map(|(module, def)| row(module, def, year, source))
        .collect();
    YearTable { year, rows }
}

fn row<S: OutcomeSource + ?Sized>(module: u8, def: &IndicatorDef, year: i32, source: &S) -> Row {
    let target = def.target_for(year);
    let cell = |period: Period| {
        source.outcome(&def.code, period).map(|outcome| {
            let level = match (outcome.value, target) {
                (Some(v), Some(t)) => grade(v, t),
                _ => None,
            };
            Cell { outcome, level }
        })
    };
    let months: [Option<Cell>; 12] = std::array::from_fn(|i| {
        (def.periodicity == Periodicity::Monthly)
            .then(|| {
                cell(Period::Month {
                    year,
                    month: i as u32 + 1,
                })
            })
            .flatten()
    });
    let quarters: [Option<Cell>; 4] = std::array::from_fn(|i| {
        (def.periodicity <= Periodicity::Quarterly)
            .then(|| {
                cell(Period::Quarter {
                    year,
                    quarter: i as u32 + 1,
                })
            })
            .flatten()
    });
    let annual = cell(Period::Year(year));
    let previous_annual = source
        .outcome(&def.code, Period::Year(year - 1))
        .and_then(|o| o.value);
    let direction = target.map_or(def.comparator, |t| t.comparator);
    let trend = match (
        annual.as_ref().and_then(|c| c.outcome.value),
        previous_annual,
    ) {
        (Some(current), Some(previous)) => trend(current, previous, direction),
        _ => None,
    };
    Row {
        code: def.code.clone(),
        label: def.label.clone(),
        module,
        unit: def.unit,
        comparator: def.comparator,
        months,
        quarters,
        annual,
        target,
        previous_annual,
        trend,
    }
}

/// One line of the flat export (command line, JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlatResult {
    pub code: String,
    pub label: String,
    /// `2020-01`, `2020-Q1` or `2020`.
    pub period: Period,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    /// The target's value, or null.
    pub target: Option<f64>,
    /// The target's comparator (`">="`, `">"`, `"<="`, `"<"`), or null without a target.
    pub comparator: Option<Comparator>,
    /// 1 to 4, or null.
    pub level: Option<Level>,
    pub pending: u32,
    pub sampled: bool,
}

/// Every non-empty cell of the table, row by row, each row's months, then quarters, then
/// the year.
pub fn flatten(table: &YearTable) -> Vec<FlatResult> {
    let mut out = Vec::new();
    for row in &table.rows {
        let months = (1..=12).map(|month| Period::Month {
            year: table.year,
            month,
        });
        let quarters = (1..=4).map(|quarter| Period::Quarter {
            year: table.year,
            quarter,
        });
        let cells = row
            .months
            .iter()
            .zip(months)
            .chain(row.quarters.iter().zip(quarters))
            .chain(std::iter::once((&row.annual, Period::Year(table.year))));
        for (cell, period) in cells {
            let Some(cell) = cell else { continue };
            out.push(FlatResult {
                code: row.code.clone(),
                label: row.label.clone(),
                period,
                value: cell.outcome.value,
                numerator: cell.outcome.numerator,
                denominator: cell.outcome.denominator,
                target: row.target.map(|t| t.value),
                comparator: row.target.map(|t| t.comparator),
                level: cell.level,
                pending: cell.outcome.pending,
                sampled: cell.outcome.sampled,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::calendar::{CalendarSettings, Territory, WorkingCalendar};
    use crate::indicators::definition::{Kind, Source};
    use crate::indicators::engine::{
        EnteredValue, ItemRecord, aggregate_entered, compute_register,
    };

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn def(
        code: &str,
        kind: Kind,
        unit: Unit,
        comparator: Comparator,
        periodicity: Periodicity,
        targets: &[(i32, f64)],
    ) -> IndicatorDef {
        IndicatorDef {
            code: code.into(),
            label: format!("Libellé {code}"),
            formula: String::new(),
            kind,
            unit,
            comparator,
            periodicity,
            source: Source::Entered,
            register: None,
            deadline_working_days: None,
            sampling_allowed: true,
            targets: targets
                .iter()
                .map(|&(year, value)| Target {
                    year,
                    comparator,
                    value,
                })
                .collect(),
        }
    }

    fn entered(period: Period, value: f64) -> EnteredValue {
        EnteredValue {
            period,
            value,
            numerator: None,
            denominator: None,
            weight: None,
        }
    }

    /// Three indicators fed by the engine: a monthly on-time rate from a register, a
    /// quarterly Transparence delay entered per quarter, an annual count.
    #[test]
    fn year_table_from_the_engine() {
        let emails = def(
            "m1.email.on_time",
            Kind::OnTimeRate,
            Unit::Percent,
            Comparator::Gt,
            Periodicity::Monthly,
            &[(2019, 75.0)],
        );
        let cni = def(
            "transparence.cni",
            Kind::MeanDelay,
            Unit::Days,
            Comparator::Le,
            Periodicity::Quarterly,
            &[(2020, 10.0), (2021, 9.0)],
        );
        let exercises = def(
            "m7.exercises",
            Kind::Count,
            Unit::Count,
            Comparator::Ge,
            Periodicity::Annual,
            &[],
        );
        let cal = WorkingCalendar::with_span(
            Territory::Metropole,
            &CalendarSettings::default(),
            d(2019, 1, 1),
            d(2021, 12, 31),
        )
        .expect("calendar");
        let item = |received: NaiveDate, answered: Option<NaiveDate>| ItemRecord {
            received,
            answered,
            deadline_days: 5,
            sampled: false,
        };
        let items = [
            // January 2020: 1 on time, 1 late → 50 %.
            item(d(2020, 1, 6), Some(d(2020, 1, 7))),
            item(d(2020, 1, 6), Some(d(2020, 1, 31))),
            // February 2020: 2 on time → 100 %.
            item(d(2020, 2, 3), Some(d(2020, 2, 4))),
            item(d(2020, 2, 3), Some(d(2020, 2, 5))),
            // 2019: 1 on time, 3 late → 25 %.
            item(d(2019, 6, 3), Some(d(2019, 6, 4))),
            item(d(2019, 6, 3), None),
            item(d(2019, 6, 3), None),
            item(d(2019, 6, 3), None),
        ];
        let entered_values = [
            entered(
                Period::Quarter {
                    year: 2020,
                    quarter: 1,
                },
                12.0,
            ),
            entered(
                Period::Quarter {
                    year: 2020,
                    quarter: 2,
                },
                8.0,
            ),
            entered(
                Period::Month {
                    year: 2020,
                    month: 1,
                },
                99.0,
            ),
            entered(Period::Year(2019), 15.0),
            entered(Period::Year(2020), 3.0),
        ];
        let as_of = d(2021, 1, 15);
        let defs = [(1u8, &emails), (2, &cni), (7, &exercises)];
        let source = |code: &str, period: Period| -> Option<Outcome> {
            if code == emails.code {
                compute_register(&emails, period, as_of, &items, &cal, false).ok()
            } else if code == cni.code {
                let o = aggregate_entered(&cni, period, &entered_values);
                o.value.map(|_| o)
            } else if code == exercises.code {
                (period == Period::Year(2020)).then(|| Outcome {
                    value: Some(2.0),
                    ..Outcome::default()
                })
            } else {
                None
            }
        };
        let table = year_table(defs, 2020, &source);
        assert_eq!(table.year, 2020);
        assert_eq!(table.rows.len(), 3);

        let r = &table.rows[0];
        assert_eq!((r.module, r.code.as_str()), (1, "m1.email.on_time"));
        let jan = r.months[0].as_ref().expect("January");
        assert_eq!(jan.outcome.value, Some(50.0));
        // 50 % against > 75 %: gap 33 % → level 3.
        assert_eq!(jan.level, Some(Level::Gap25To50));
        let feb = r.months[1].as_ref().expect("February");
        assert_eq!(feb.level, Some(Level::Met));
        // March has no item: an outcome with no value, no level.
        let mar = r.months[2].as_ref().expect("March outcome");
        assert_eq!((mar.outcome.value, mar.level), (None, None));
        let q1 = r.quarters[0].as_ref().expect("Q1");
        assert_eq!(q1.outcome.value, Some(75.0), "3 / 4 pooled");
        // 75 is not > 75: missed with no gap → level 2.
        assert_eq!(q1.level, Some(Level::GapUnder25));
        // Target of 2019 still in force in 2020.
        assert_eq!(r.target.map(|t| (t.year, t.value)), Some((2019, 75.0)));
        assert_eq!(r.previous_annual, Some(25.0));
        assert_eq!(r.trend, Some(Trend::Better));

        let r = &table.rows[1];
        assert!(r.months.iter().all(Option::is_none), "quarterly: no months");
        let q1 = r.quarters[0].as_ref().expect("Q1");
        assert_eq!(
            (q1.outcome.value, q1.level),
            (Some(12.0), Some(Level::GapUnder25))
        );
        assert_eq!(
            r.quarters[1].as_ref().and_then(|c| c.level),
            Some(Level::Met)
        );
        assert!(r.quarters[2].is_none() && r.quarters[3].is_none());
        let year = r.annual.as_ref().expect("annual");
        assert_eq!(
            year.outcome.value,
            Some(3.0),
            "the stored annual value wins"
        );
        assert_eq!(r.trend, Some(Trend::Better), "15 → 3 days, lower is better");

        let r = &table.rows[2];
        assert!(r.months.iter().all(Option::is_none));
        assert!(
            r.quarters.iter().all(Option::is_none),
            "annual: no quarters"
        );
        let year = r.annual.as_ref().expect("annual");
        assert_eq!((year.outcome.value, year.level), (Some(2.0), None));
        assert_eq!((r.target, r.previous_annual, r.trend), (None, None, None));

        let flat = flatten(&table);
        let keys: Vec<String> = flat
            .iter()
            .map(|f| format!("{} {}", f.code, f.period))
            .collect();
        let mut expected: Vec<String> = (1..=12)
            .map(|m| format!("m1.email.on_time 2020-{m:02}"))
            .collect();
        expected.extend((1..=4).map(|q| format!("m1.email.on_time 2020-Q{q}")));
        expected.push("m1.email.on_time 2020".into());
        expected.extend([
            "transparence.cni 2020-Q1".to_owned(),
            "transparence.cni 2020-Q2".to_owned(),
            "transparence.cni 2020".to_owned(),
            "m7.exercises 2020".to_owned(),
        ]);
        assert_eq!(keys, expected);
        let jan = &flat[0];
        assert_eq!(
            (jan.value, jan.numerator, jan.denominator),
            (Some(50.0), Some(1.0), Some(2.0))
        );
        assert_eq!(
            (jan.target, jan.comparator, jan.level),
            (Some(75.0), Some(Comparator::Gt), Some(Level::Gap25To50))
        );
        let last = flat.last().expect("a line");
        assert_eq!(
            (last.target, last.comparator, last.level),
            (None, None, None)
        );
    }

    #[test]
    fn flat_results_serialise_with_the_agreed_field_names() {
        let line = FlatResult {
            code: "m1.email.on_time".into(),
            label: "Taux de réponse aux courriels".into(),
            period: Period::Year(2020),
            value: Some(91.2),
            numerator: Some(269.0),
            denominator: Some(295.0),
            target: Some(75.0),
            comparator: Some(Comparator::Ge),
            level: Some(Level::Met),
            pending: 0,
            sampled: true,
        };
        #[derive(Serialize, Deserialize)]
        struct W {
            line: FlatResult,
        }
        let text = toml::to_string(&W { line: line.clone() }).expect("serialises");
        let fields: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
            .collect();
        assert_eq!(
            fields,
            [
                "code",
                "label",
                "period",
                "value",
                "numerator",
                "denominator",
                "target",
                "comparator",
                "level",
                "pending",
                "sampled"
            ]
        );
        assert!(text.contains("period = \"2020\""), "{text}");
        assert!(text.contains("comparator = \">=\""), "{text}");
        assert!(text.contains("level = 1\n"), "{text}");
        let back: W = toml::from_str(&text).expect("parses");
        assert_eq!(back.line, line);
    }

    #[test]
    fn maps_are_sources_too() {
        let mut map = HashMap::new();
        map.insert(
            ("x".to_owned(), Period::Year(2020)),
            Outcome {
                value: Some(1.0),
                ..Outcome::default()
            },
        );
        let x = def(
            "x",
            Kind::Count,
            Unit::Count,
            Comparator::Ge,
            Periodicity::Monthly,
            &[(2020, 1.0)],
        );
        let table = year_table([(1, &x)], 2020, &map);
        let r = &table.rows[0];
        assert!(r.months.iter().all(Option::is_none));
        assert_eq!(r.annual.as_ref().and_then(|c| c.level), Some(Level::Met));
        let btree: BTreeMap<(String, Period), Outcome> = map.into_iter().collect();
        assert_eq!(year_table([(1, &x)], 2020, &btree), table);
    }
}
