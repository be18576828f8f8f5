//! The indicator engine: register items and entered values in, one [`Outcome`] per
//! indicator and period out. Pure: no I/O, no clock — the computation date `as_of` is
//! passed in, and a result is always "as known on `as_of`".
//!
//! # Register indicators ([`compute_register`])
//!
//! - An item belongs to the month of its receipt; items received outside the period, or
//!   after `as_of` (not known yet), are left out.
//! - Response time: `working_days_between(received, answered)` of the site's
//!   [`WorkingCalendar`]; on time, late and pending as the one rule of
//!   [`crate::registers::deadline`] says (response time at most the deadline).
//! - An answer dated after `as_of` is not known yet: the item counts as unanswered.
//! - On-time rate: numerator = items answered on time; denominator = answered items +
//!   unanswered items already late on `as_of` (a working day has passed after their due
//!   date, whatever happens next). Unanswered items that can still be answered on time are
//!   `pending`: counted apart and left out of the rate.
//! - Mean delay: mean response time of the answered items; `numerator` = sum of the working
//!   days, `denominator` = number of answered items, so that quarters and years pool
//!   exactly. Unanswered items are left out (their delay is not known yet); those not yet
//!   due are reported as `pending`, those past due already show as late in the on-time
//!   rate.
//! - Count: items received in the period (`numerator`/`denominator` are not set).
//! - Quarters and years are computed from their items directly, so rates pool numerators
//!   and denominators over the whole period and mean delays are weighted by item counts —
//!   never a mean of monthly rates.
//! - Sampling: when asked for and allowed by the definition, only items received in a
//!   declared sampled week count and the outcome says `sampled`; when the definition does
//!   not allow sampling, the request is ignored and every item counts.
//!
//! # Entered and imported values ([`aggregate_entered`])
//!
//! - A value stored for exactly the period wins.
//! - Otherwise the period is rolled up from its parts: for a year, each quarter's stored
//!   value when there is one, else the months of that quarter; for a quarter, its months.
//!   Missing months are simply absent; `parts` says how many values were used.
//! - Count: the sum. Share / on-time rate with a numerator and a denominator on every part:
//!   pooled, Σnum / Σden × 100 (× 1000 for a ‰ unit). Mean delay / value with a weight on
//!   every part: weighted mean, `numerator` = Σ value × weight, `denominator` = Σ weight.
//!   Anything else: the plain mean of the parts, flagged `mean_of_months`.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::definition::{IndicatorDef, Kind, Unit};
use super::period::Period;
use crate::calendar::{CalendarError, WorkingCalendar};
use crate::registers::deadline::{ItemState, state};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EngineError {
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    #[error(
        "l'indicateur « {code} » ne se calcule pas à partir d'un registre (type {kind:?} : seuls le taux de réponse dans le délai, le délai moyen et le nombre le peuvent)"
    )]
    NotARegisterKind { code: String, kind: Kind },
}

/// One register item as the engine sees it. The caller has already kept only the items in
/// the indicator's scope (channel, demande d'information générale, complaint in scope…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRecord {
    pub received: NaiveDate,
    pub answered: Option<NaiveDate>,
    /// Deadline in working days for this item (5 for an email, 10 for a letter…).
    pub deadline_days: u32,
    /// Received in a declared sampled week.
    pub sampled: bool,
}

/// The result of one indicator for one period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The result, in the indicator's unit (rates in % or ‰, full precision); `None` when
    /// there is nothing to compute it from (no item, a zero denominator, no entered value).
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    /// Register items unanswered and not yet past due at `as_of`, left out of the result.
    pub pending: u32,
    /// Computed on the sampled weeks only.
    pub sampled: bool,
    /// A plain mean of monthly (or quarterly) values, for lack of counts or weights: not
    /// the pooled figure.
    pub mean_of_months: bool,
    /// How many values it was built from: for entered values, 1 for a value stored for the
    /// period itself, else the number of sub-period values rolled up; for a register, the
    /// number of months of the period with at least one counted item.
    pub parts: u32,
}

/// A value entered or imported for one period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EnteredValue {
    pub period: Period,
    pub value: f64,
    #[serde(default)]
    pub numerator: Option<f64>,
    #[serde(default)]
    pub denominator: Option<f64>,
    /// The weight of a mean (number of files behind a mean delay, opening days behind a
    /// mean per day…).
    #[serde(default)]
    pub weight: Option<f64>,
}

/// The factor from a ratio to the indicator's unit: 1000 for ‰, otherwise 100 (%).
pub fn rate_scale(unit: Unit) -> f64 {
    match unit {
        Unit::PerMille => 1000.0,
        _ => 100.0,
    }
}

/// An indicator computed from register items, for any period (month, quarter, year).
pub fn compute_register(
    def: &IndicatorDef,
    period: Period,
    as_of: NaiveDate,
    items: &[ItemRecord],
    calendar: &WorkingCalendar,
    sampling: bool,
) -> Result<Outcome, EngineError> {
    MonthlyCounts::new(def, as_of, items, calendar, sampling)?.outcome(def, period, as_of, calendar)
}

/// What one month's items add to a register indicator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    /// Items received in the month, whatever `as_of` (a month with items has a result).
    present: u32,
    /// Items counted: received on or before `as_of`, sampled when sampling applies.
    received: u32,
    answered: u32,
    on_time: u32,
    late_open: u32,
    pending: u32,
    days_sum: u64,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.present += other.present;
        self.received += other.received;
        self.answered += other.answered;
        self.on_time += other.on_time;
        self.late_open += other.late_open;
        self.pending += other.pending;
        self.days_sum += other.days_sum;
    }
}

/// The register items of one indicator (and one site) counted once, month by month: the
/// result of any month, quarter or year is then the sum of its months, so a whole year's
/// table costs one pass over the items instead of one per cell. Each item's state (answered
/// on time or not, late, pending) comes from [`crate::registers::deadline::state`], the one
/// place that rule lives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthlyCounts {
    /// Month number (`year * 12 + month0`) of `months[0]`.
    first: i32,
    /// One tally per month from `first` to the last month with an item.
    months: Vec<Tally>,
    sampled: bool,
}

fn month_number(d: NaiveDate) -> i32 {
    d.year() * 12 + d.month0() as i32
}

impl MonthlyCounts {
    /// Counts `items` for `def` as of `as_of`; with `sampling` (weeks declared) and an
    /// indicator that allows it, only items of the sampled weeks count.
    pub fn new(
        def: &IndicatorDef,
        as_of: NaiveDate,
        items: &[ItemRecord],
        calendar: &WorkingCalendar,
        sampling: bool,
    ) -> Result<MonthlyCounts, EngineError> {
        if !matches!(
            def.kind,
            Kind::OnTimeRate | Kind::MeanDelay | Kind::Count | Kind::DailyMean
        ) {
            return Err(EngineError::NotARegisterKind {
                code: def.code.clone(),
                kind: def.kind,
            });
        }
        let sampled = sampling && def.sampling_allowed;
        let counts_states = matches!(def.kind, Kind::OnTimeRate | Kind::MeanDelay);
        let first = items.iter().map(|i| month_number(i.received)).min();
        let last = items.iter().map(|i| month_number(i.received)).max();
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(MonthlyCounts {
                sampled,
                ..MonthlyCounts::default()
            });
        };
        let mut counts = MonthlyCounts {
            first,
            months: vec![Tally::default(); usize::try_from(last - first + 1).unwrap_or(0)],
            sampled,
        };
        for item in items {
            let Some(tally) = usize::try_from(month_number(item.received) - first)
                .ok()
                .and_then(|i| counts.months.get_mut(i))
            else {
                continue;
            };
            tally.present += 1;
            if item.received > as_of || (sampled && !item.sampled) {
                continue;
            }
            tally.received += 1;
            if !counts_states {
                continue;
            }
            match state(
                calendar,
                item.received,
                item.deadline_days,
                item.answered,
                as_of,
            )? {
                ItemState::Answered { days, on_time } => {
                    tally.answered += 1;
                    tally.days_sum += u64::from(days);
                    if on_time {
                        tally.on_time += 1;
                    }
                }
                ItemState::Late => tally.late_open += 1,
                ItemState::Pending => tally.pending += 1,
            }
        }
        Ok(counts)
    }

    /// Whether some item was received during `period` (otherwise there is no result).
    pub fn has_items_in(&self, period: Period) -> bool {
        self.in_period(period).any(|t| t.present > 0)
    }

    fn in_period(&self, period: Period) -> impl Iterator<Item = &Tally> {
        let from = (month_number(period.first_day()) - self.first).max(0);
        let to = month_number(period.last_day()) - self.first;
        let (from, to) = (
            usize::try_from(from).unwrap_or(0),
            usize::try_from(to + 1).unwrap_or(0).min(self.months.len()),
        );
        self.months
            .get(from..to.max(from))
            .unwrap_or_default()
            .iter()
    }

    /// The indicator over `period`, from its months.
    pub fn outcome(
        &self,
        def: &IndicatorDef,
        period: Period,
        as_of: NaiveDate,
        calendar: &WorkingCalendar,
    ) -> Result<Outcome, EngineError> {
        let mut total = Tally::default();
        let mut parts: u32 = 0;
        for tally in self.in_period(period) {
            total.add(tally);
            if tally.received > 0 {
                parts += 1;
            }
        }
        let (value, numerator, denominator) = match def.kind {
            Kind::OnTimeRate => {
                let num = f64::from(total.on_time);
                let den = f64::from(total.answered + total.late_open);
                let value = (den > 0.0).then(|| num / den * rate_scale(def.unit));
                (value, Some(num), Some(den))
            }
            Kind::MeanDelay => {
                let num = total.days_sum as f64;
                let den = f64::from(total.answered);
                let value = (den > 0.0).then(|| num / den);
                (value, Some(num), Some(den))
            }
            Kind::DailyMean => {
                // Working days of the period known so far (a month in progress counts to as_of).
                let last = period.last_day().min(as_of);
                let days = match period.first_day().pred_opt() {
                    Some(before) if last > before => calendar.working_days_between(before, last)?,
                    _ => 0,
                };
                let num = f64::from(total.received);
                let den = f64::from(days);
                let value = (den > 0.0).then(|| num / den);
                (value, Some(num), Some(den))
            }
            _ => (Some(f64::from(total.received)), None, None),
        };
        Ok(Outcome {
            value,
            numerator,
            denominator,
            pending: total.pending,
            sampled: self.sampled,
            mean_of_months: false,
            parts,
        })
    }
}

/// An entered or imported indicator for `period`, from the values stored for it and for
/// the periods inside it. Values for other periods are ignored; when one period has
/// several values, the last one in the slice wins.
pub fn aggregate_entered(def: &IndicatorDef, period: Period, values: &[EnteredValue]) -> Outcome {
    let find = |p: Period| values.iter().rev().find(|v| v.period == p);
    if let Some(v) = find(period) {
        return Outcome {
            value: Some(v.value),
            numerator: v.numerator,
            denominator: v.denominator,
            parts: 1,
            ..Outcome::default()
        };
    }
    let parts: Vec<&EnteredValue> = match period {
        Period::Month { .. } => Vec::new(),
        Period::Quarter { .. } => period.months().into_iter().filter_map(find).collect(),
        Period::Year(_) => period
            .quarters()
            .into_iter()
            .flat_map(|q| match find(q) {
                Some(v) => vec![v],
                None => q.months().into_iter().filter_map(find).collect(),
            })
            .collect(),
    };
    combine(def, &parts)
}

/// Rolls stored values up into one, by the rules of the module documentation.
fn combine(def: &IndicatorDef, parts: &[&EnteredValue]) -> Outcome {
    let n = parts.len() as u32;
    let base = Outcome {
        parts: n,
        ..Outcome::default()
    };
    if parts.is_empty() {
        return base;
    }
    if def.kind == Kind::Count {
        return Outcome {
            value: Some(parts.iter().map(|v| v.value).sum()),
            ..base
        };
    }
    if matches!(def.kind, Kind::Share | Kind::OnTimeRate) {
        let pairs: Option<Vec<(f64, f64)>> = parts
            .iter()
            .map(|v| Some((v.numerator?, v.denominator?)))
            .collect();
        if let Some(pairs) = pairs {
            let num: f64 = pairs.iter().map(|(n, _)| n).sum();
            let den: f64 = pairs.iter().map(|(_, d)| d).sum();
            return Outcome {
                value: (den != 0.0).then(|| num / den * rate_scale(def.unit)),
                numerator: Some(num),
                denominator: Some(den),
                ..base
            };
        }
    }
    if matches!(def.kind, Kind::MeanDelay | Kind::Value | Kind::DailyMean) {
        let weighted: Option<Vec<(f64, f64)>> =
            parts.iter().map(|v| Some((v.value, v.weight?))).collect();
        if let Some(weighted) = weighted {
            let num: f64 = weighted.iter().map(|(v, w)| v * w).sum();
            let den: f64 = weighted.iter().map(|(_, w)| w).sum();
            return Outcome {
                value: (den != 0.0).then(|| num / den),
                numerator: Some(num),
                denominator: Some(den),
                ..base
            };
        }
    }
    let sum: f64 = parts.iter().map(|v| v.value).sum();
    Outcome {
        value: Some(sum / f64::from(n)),
        mean_of_months: true,
        ..base
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{CalendarSettings, Closure, Territory};
    use crate::indicators::definition::{Comparator, Periodicity, Source, Target};
    use crate::indicators::grading::{Level, grade};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn p(s: &str) -> Period {
        Period::parse(s).expect("period")
    }

    fn calendar() -> WorkingCalendar {
        WorkingCalendar::with_span(
            Territory::Metropole,
            &CalendarSettings::default(),
            d(2019, 1, 1),
            d(2022, 12, 31),
        )
        .expect("calendar")
    }

    fn def(kind: Kind, unit: Unit, comparator: Comparator, target: Option<f64>) -> IndicatorDef {
        IndicatorDef {
            code: "test".into(),
            label: "Indicateur de test".into(),
            formula: String::new(),
            kind,
            unit,
            comparator,
            periodicity: Periodicity::Monthly,
            source: Source::Register,
            register: None,
            deadline_working_days: Some(5),
            sampling_allowed: true,
            targets: target
                .map(|value| Target {
                    year: 2020,
                    comparator,
                    value,
                })
                .into_iter()
                .collect(),
        }
    }

    fn on_time_rate() -> IndicatorDef {
        def(Kind::OnTimeRate, Unit::Percent, Comparator::Gt, Some(75.0))
    }

    fn mean_delay() -> IndicatorDef {
        def(
            Kind::MeanDelay,
            Unit::WorkingDays,
            Comparator::Lt,
            Some(5.0),
        )
    }

    fn item(received: NaiveDate, answered: Option<NaiveDate>) -> ItemRecord {
        ItemRecord {
            received,
            answered,
            deadline_days: 5,
            sampled: false,
        }
    }

    /// The month-by-month counts give, for every month, quarter and year, what a direct
    /// pass over the period's items gives (the way results were computed before).
    #[test]
    fn monthly_counts_match_a_direct_pass_over_each_period() {
        let calendar = calendar();
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let items: Vec<ItemRecord> = (0..3000)
            .map(|_| {
                let received = d(2019, 1, 1) + chrono::Days::new(next() % 730);
                ItemRecord {
                    received,
                    answered: (next() % 10 < 8).then(|| received + chrono::Days::new(next() % 20)),
                    deadline_days: [5, 10, 15][(next() % 3) as usize],
                    sampled: next() % 4 == 0,
                }
            })
            .collect();
        let as_of = d(2020, 10, 15);
        let periods: Vec<Period> = [2019, 2020]
            .into_iter()
            .flat_map(|y| {
                (1..=12)
                    .filter_map(move |m| Period::month(y, m))
                    .chain((1..=4).filter_map(move |q| Period::quarter(y, q)))
                    .chain([Period::Year(y)])
            })
            .collect();
        for def in [on_time_rate(), mean_delay()] {
            for sampling in [false, true] {
                let counts =
                    MonthlyCounts::new(&def, as_of, &items, &calendar, sampling).expect("counts");
                for &period in &periods {
                    let got = counts.outcome(&def, period, as_of, &calendar).expect("o");
                    // Direct: the period's counted items, each one's state.
                    let (mut num, mut den, mut pending) = (0.0, 0.0, 0);
                    for i in items.iter().filter(|i| {
                        period.contains(i.received)
                            && i.received <= as_of
                            && (!sampling || i.sampled)
                    }) {
                        match state(&calendar, i.received, i.deadline_days, i.answered, as_of)
                            .expect("state")
                        {
                            ItemState::Answered { days, on_time } => {
                                den += 1.0;
                                num += match def.kind {
                                    Kind::OnTimeRate => f64::from(u8::from(on_time)),
                                    _ => f64::from(days),
                                };
                            }
                            ItemState::Late if def.kind == Kind::OnTimeRate => den += 1.0,
                            ItemState::Late => {}
                            ItemState::Pending => pending += 1,
                        }
                    }
                    assert_eq!(got.numerator, Some(num), "{} {period}", def.code);
                    assert_eq!(got.denominator, Some(den), "{} {period}", def.code);
                    assert_eq!(got.pending, pending, "{} {period}", def.code);
                    assert_eq!(
                        counts.has_items_in(period),
                        items.iter().any(|i| period.contains(i.received))
                    );
                }
            }
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn value(o: &Outcome) -> f64 {
        o.value.expect("a value")
    }

    // -----------------------------------------------------------------------------------
    // Register: on-time rate, pending, as_of

    #[test]
    fn deadline_counts_working_days_from_the_day_after_receipt() {
        let cal = calendar();
        // Received Monday 6 January 2020: due Monday 13 January (5 working days).
        let on_time = item(d(2020, 1, 6), Some(d(2020, 1, 13)));
        let late = item(d(2020, 1, 6), Some(d(2020, 1, 14)));
        let o = compute_register(
            &on_time_rate(),
            p("2020-01"),
            d(2020, 3, 1),
            &[on_time, late],
            &cal,
            false,
        )
        .expect("computes");
        assert_eq!(o.numerator, Some(1.0));
        assert_eq!(o.denominator, Some(2.0));
        assert!(close(value(&o), 50.0));
        assert_eq!(o.pending, 0);
        assert_eq!(o.parts, 1);
    }

    #[test]
    fn pending_items_are_counted_apart_and_overdue_ones_are_late() {
        let cal = calendar();
        let as_of = d(2020, 1, 20); // Monday
        let items = [
            // Answered on time.
            item(d(2020, 1, 6), Some(d(2020, 1, 8))),
            // Unanswered, due Monday 13 January: past due on the 20th, counts as late.
            item(d(2020, 1, 6), None),
            // Unanswered, received Wednesday 15: due Wednesday 22: pending.
            item(d(2020, 1, 15), None),
            // Unanswered, received Monday 13: due Monday 20 = as_of: still pending.
            item(d(2020, 1, 13), None),
            // Received after as_of: not known yet.
            item(d(2020, 1, 27), Some(d(2020, 1, 27))),
        ];
        let o = compute_register(&on_time_rate(), p("2020-01"), as_of, &items, &cal, false)
            .expect("computes");
        assert_eq!(o.numerator, Some(1.0));
        assert_eq!(o.denominator, Some(2.0));
        assert_eq!(o.pending, 2);
        assert!(close(value(&o), 50.0));

        // A day later the one due on the 20th is late too.
        let o = compute_register(
            &on_time_rate(),
            p("2020-01"),
            d(2020, 1, 21),
            &items,
            &cal,
            false,
        )
        .expect("computes");
        assert_eq!(o.denominator, Some(3.0));
        assert_eq!(o.pending, 1);
    }

    #[test]
    fn answers_after_as_of_are_not_known_yet() {
        let cal = calendar();
        // Received Monday 6 January, answered (on time) Friday 10 January.
        let items = [item(d(2020, 1, 6), Some(d(2020, 1, 10)))];
        // On the 8th the answer does not exist yet and the item is not due: pending.
        let o = compute_register(
            &on_time_rate(),
            p("2020-01"),
            d(2020, 1, 8),
            &items,
            &cal,
            false,
        )
        .expect("computes");
        assert_eq!((o.value, o.denominator, o.pending), (None, Some(0.0), 1));
        // With a late answer (the 20th) computed on the 15th: unanswered and past due.
        let items = [item(d(2020, 1, 6), Some(d(2020, 1, 20)))];
        let o = compute_register(
            &on_time_rate(),
            p("2020-01"),
            d(2020, 1, 15),
            &items,
            &cal,
            false,
        )
        .expect("computes");
        assert_eq!(
            (o.numerator, o.denominator, o.pending),
            (Some(0.0), Some(1.0), 0)
        );
        // Its delay is unknown on the 15th, known on the 20th (10 working days).
        let o = compute_register(
            &mean_delay(),
            p("2020-01"),
            d(2020, 1, 15),
            &items,
            &cal,
            false,
        )
        .expect("computes");
        assert_eq!((o.value, o.denominator), (None, Some(0.0)));
        let o = compute_register(
            &mean_delay(),
            p("2020-01"),
            d(2020, 1, 20),
            &items,
            &cal,
            false,
        )
        .expect("computes");
        assert_eq!(o.value, Some(10.0));
    }

    #[test]
    fn quarter_pools_numerators_and_denominators() {
        let cal = calendar();
        let mut items = Vec::new();
        // January: 9 on time out of 10.
        for i in 0..10 {
            let answered = if i < 9 { d(2020, 1, 7) } else { d(2020, 1, 31) };
            items.push(item(d(2020, 1, 6), Some(answered)));
        }
        // February: 1 on time out of 2.
        items.push(item(d(2020, 2, 3), Some(d(2020, 2, 4))));
        items.push(item(d(2020, 2, 3), Some(d(2020, 2, 28))));
        let as_of = d(2020, 6, 1);
        let jan = compute_register(&on_time_rate(), p("2020-01"), as_of, &items, &cal, false)
            .expect("computes");
        let feb = compute_register(&on_time_rate(), p("2020-02"), as_of, &items, &cal, false)
            .expect("computes");
        assert!(close(value(&jan), 90.0) && close(value(&feb), 50.0));
        let q1 = compute_register(&on_time_rate(), p("2020-Q1"), as_of, &items, &cal, false)
            .expect("computes");
        assert_eq!((q1.numerator, q1.denominator), (Some(10.0), Some(12.0)));
        assert!(close(value(&q1), 1000.0 / 12.0), "{q1:?}");
        assert!(!close(value(&q1), 70.0), "not the mean of monthly rates");
        assert_eq!(q1.parts, 2);
        let year = compute_register(&on_time_rate(), p("2020"), as_of, &items, &cal, false)
            .expect("computes");
        assert_eq!(year.value, q1.value);
    }

    #[test]
    fn mean_delays_are_weighted_by_item_counts() {
        let cal = calendar();
        let mut items = Vec::new();
        // January: 3 items answered in 1 working day each (Mon 6 → Tue 7).
        for _ in 0..3 {
            items.push(item(d(2020, 1, 6), Some(d(2020, 1, 7))));
        }
        // February: 1 item answered in 9 working days (Mon 3 → Fri 14).
        items.push(item(d(2020, 2, 3), Some(d(2020, 2, 14))));
        // An unanswered item is not in the mean.
        items.push(item(d(2020, 2, 3), None));
        let as_of = d(2020, 6, 1);
        let jan = compute_register(&mean_delay(), p("2020-01"), as_of, &items, &cal, false)
            .expect("computes");
        let feb = compute_register(&mean_delay(), p("2020-02"), as_of, &items, &cal, false)
            .expect("computes");
        assert_eq!((jan.value, feb.value), (Some(1.0), Some(9.0)));
        let q1 = compute_register(&mean_delay(), p("2020-Q1"), as_of, &items, &cal, false)
            .expect("computes");
        assert_eq!((q1.numerator, q1.denominator), (Some(12.0), Some(4.0)));
        assert!(close(value(&q1), 3.0), "(3×1 + 9)/4, not (1+9)/2");
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let cal = calendar();
        // Thursday 7 May 2020 → Monday 11 May: Friday 8 May is a holiday: 1 working day.
        let items = [item(d(2020, 5, 7), Some(d(2020, 5, 11)))];
        let o = compute_register(
            &mean_delay(),
            p("2020-05"),
            d(2020, 6, 1),
            &items,
            &cal,
            false,
        )
        .expect("computes");
        assert_eq!(o.value, Some(1.0));
    }

    #[test]
    fn counts_and_sampling() {
        let cal = calendar();
        let mut items = vec![
            item(d(2020, 3, 2), Some(d(2020, 3, 3))),
            item(d(2020, 3, 2), Some(d(2020, 3, 31))),
            item(d(2020, 3, 20), None),
        ];
        // Sampled week: one on time, one late.
        for answered in [d(2020, 3, 10), d(2020, 3, 20)] {
            items.push(ItemRecord {
                sampled: true,
                ..item(d(2020, 3, 9), Some(answered))
            });
        }
        let as_of = d(2020, 4, 30);
        let all = compute_register(&on_time_rate(), p("2020-03"), as_of, &items, &cal, false)
            .expect("computes");
        assert_eq!((all.numerator, all.denominator), (Some(2.0), Some(5.0)));
        assert!(!all.sampled);
        let s = compute_register(&on_time_rate(), p("2020-03"), as_of, &items, &cal, true)
            .expect("computes");
        assert_eq!((s.numerator, s.denominator), (Some(1.0), Some(2.0)));
        assert!(s.sampled);
        // Sampling refused by the definition: every item counts, the output says so.
        let mut no_sampling = on_time_rate();
        no_sampling.sampling_allowed = false;
        let o = compute_register(&no_sampling, p("2020-03"), as_of, &items, &cal, true)
            .expect("computes");
        assert_eq!(o.denominator, Some(5.0));
        assert!(!o.sampled);

        let count = def(Kind::Count, Unit::Count, Comparator::Ge, None);
        let c =
            compute_register(&count, p("2020-03"), as_of, &items, &cal, false).expect("computes");
        assert_eq!((c.value, c.numerator), (Some(5.0), None));
        let c =
            compute_register(&count, p("2020-03"), as_of, &items, &cal, true).expect("computes");
        assert_eq!(c.value, Some(2.0));
        assert!(c.sampled);
        let c =
            compute_register(&count, p("2020-04"), as_of, &items, &cal, false).expect("computes");
        assert_eq!((c.value, c.parts), (Some(0.0), 0));
    }

    #[test]
    fn register_refuses_kinds_it_cannot_compute_and_calendar_errors() {
        let cal = calendar();
        let share = def(Kind::Share, Unit::Percent, Comparator::Ge, None);
        let err = compute_register(&share, p("2020"), d(2020, 6, 1), &[], &cal, false)
            .expect_err("a share is not computed from a register");
        assert!(err.to_string().contains("« test »"), "{err}");
        let out = [item(d(2018, 6, 1), Some(d(2018, 6, 2)))];
        let err = compute_register(&on_time_rate(), p("2018"), d(2019, 6, 1), &out, &cal, false)
            .expect_err("outside the calendar");
        assert!(matches!(
            err,
            EngineError::Calendar(CalendarError::OutOfSpan { .. })
        ));
    }

    /// Orne 2020 (S0): "l'échantillon suivi est de 295 courriels dont 26 ont été traités
    /// hors délai", one sampled week a month, target "> 75 %".
    #[test]
    fn orne_2020_email_sample() {
        let cal = calendar();
        let def = on_time_rate();
        let mut items = Vec::new();
        // 295 sampled emails spread over the months with a sampled week (not March or
        // April 2020, absent from the table), 26 of them late; plus unsampled traffic,
        // all late, that must not count.
        let months = [1, 2, 5, 6, 7, 8, 9, 10, 11, 12];
        for i in 0..295u32 {
            let month = months[(i as usize) % months.len()];
            let received = d(2020, month, 6 + i % 3);
            let days = if i < 26 { 12 } else { 2 };
            let answered = received + chrono::Duration::days(days);
            items.push(ItemRecord {
                received,
                answered: Some(answered),
                deadline_days: 5,
                sampled: true,
            });
        }
        for month in months {
            items.push(item(d(2020, month, 20), None));
        }
        let o = compute_register(&def, Period::Year(2020), d(2021, 2, 18), &items, &cal, true)
            .expect("computes");
        assert!(o.sampled);
        assert_eq!((o.numerator, o.denominator), (Some(269.0), Some(295.0)));
        assert!(close(value(&o), 26900.0 / 295.0));
        assert_eq!(format!("{:.2}", value(&o)), "91.19");
        let target = def.target_for(2020).expect("target");
        assert_eq!(grade(value(&o), target), Some(Level::Met));
        // The plain mean of the ten monthly rates the Orne printed is 90.2 %: the annual
        // figure it gives (295 / 26) is the pooled one.
        let monthly = [
            78.0, 92.0, 91.0, 100.0, 90.0, 59.0, 100.0, 100.0, 100.0, 92.0,
        ];
        let mean = monthly.iter().sum::<f64>() / 10.0;
        assert!(close(mean, 90.2) && (mean - value(&o)).abs() > 0.9);
    }

    // -----------------------------------------------------------------------------------
    // Entered values

    fn entered(period: &str, value: f64) -> EnteredValue {
        EnteredValue {
            period: p(period),
            value,
            numerator: None,
            denominator: None,
            weight: None,
        }
    }

    fn counted(period: &str, num: f64, den: f64) -> EnteredValue {
        EnteredValue {
            numerator: Some(num),
            denominator: Some(den),
            ..entered(period, num / den * 100.0)
        }
    }

    fn weighted(period: &str, value: f64, weight: f64) -> EnteredValue {
        EnteredValue {
            weight: Some(weight),
            ..entered(period, value)
        }
    }

    const MONTHS: [&str; 12] = [
        "2020-01", "2020-02", "2020-03", "2020-04", "2020-05", "2020-06", "2020-07", "2020-08",
        "2020-09", "2020-10", "2020-11", "2020-12",
    ];

    #[test]
    fn entered_shares_pool_when_every_part_has_counts() {
        let share = def(Kind::Share, Unit::Percent, Comparator::Ge, Some(90.0));
        let values = [counted("2020-01", 9.0, 10.0), counted("2020-02", 1.0, 2.0)];
        let q1 = aggregate_entered(&share, p("2020-Q1"), &values);
        assert!(close(value(&q1), 1000.0 / 12.0));
        assert_eq!(
            (q1.numerator, q1.denominator, q1.parts),
            (Some(10.0), Some(12.0), 2)
        );
        assert!(!q1.mean_of_months);
        // One part without counts: the plain mean, flagged.
        let values = [counted("2020-01", 9.0, 10.0), entered("2020-02", 50.0)];
        let q1 = aggregate_entered(&share, p("2020-Q1"), &values);
        assert!(close(value(&q1), 70.0));
        assert!(q1.mean_of_months);
        assert_eq!((q1.numerator, q1.denominator), (None, None));
        // Per mille.
        let fraud = def(Kind::Share, Unit::PerMille, Comparator::Ge, Some(5.0));
        let values = [
            EnteredValue {
                numerator: Some(1.0),
                denominator: Some(400.0),
                ..entered("2020-01", 2.5)
            },
            EnteredValue {
                numerator: Some(3.0),
                denominator: Some(600.0),
                ..entered("2020-02", 5.0)
            },
        ];
        let q1 = aggregate_entered(&fraud, p("2020-Q1"), &values);
        assert!(close(value(&q1), 4.0), "4 / 1000 files = 4 ‰");
    }

    #[test]
    fn entered_means_are_weighted_when_every_part_has_a_weight() {
        let delay = def(Kind::MeanDelay, Unit::Days, Comparator::Lt, Some(30.0));
        let values = [
            weighted("2020-01", 10.0, 300.0),
            weighted("2020-02", 40.0, 100.0),
        ];
        let q1 = aggregate_entered(&delay, p("2020-Q1"), &values);
        assert!(close(value(&q1), 17.5), "(3000 + 4000) / 400");
        assert_eq!((q1.numerator, q1.denominator), (Some(7000.0), Some(400.0)));
        assert!(!q1.mean_of_months);
        let values = [weighted("2020-01", 10.0, 300.0), entered("2020-02", 40.0)];
        let q1 = aggregate_entered(&delay, p("2020-Q1"), &values);
        assert!(close(value(&q1), 25.0) && q1.mean_of_months);
    }

    #[test]
    fn stored_period_wins_and_years_use_stored_quarters() {
        let count = def(Kind::Count, Unit::Count, Comparator::Ge, None);
        let values = [
            entered("2020-01", 1.0),
            entered("2020-02", 2.0),
            entered("2020-Q1", 10.0),
            entered("2020-04", 4.0),
            entered("2020-12", 12.0),
            entered("2019-12", 1000.0),
        ];
        let q1 = aggregate_entered(&count, p("2020-Q1"), &values);
        assert_eq!((q1.value, q1.parts), (Some(10.0), 1));
        let q2 = aggregate_entered(&count, p("2020-Q2"), &values);
        assert_eq!((q2.value, q2.parts), (Some(4.0), 1));
        let q3 = aggregate_entered(&count, p("2020-Q3"), &values);
        assert_eq!((q3.value, q3.parts), (None, 0));
        let y = aggregate_entered(&count, p("2020"), &values);
        assert_eq!(
            (y.value, y.parts),
            (Some(26.0), 3),
            "Q1 stored + April + December"
        );
        let mut with_year = values.to_vec();
        with_year.push(entered("2020", 99.0));
        assert_eq!(
            aggregate_entered(&count, p("2020"), &with_year).value,
            Some(99.0)
        );
        let jan = aggregate_entered(&count, p("2020-01"), &values);
        assert_eq!(jan.value, Some(1.0));
        assert_eq!(aggregate_entered(&count, p("2020-03"), &values).value, None);
        // The last of two values for the same period wins.
        let twice = [entered("2020-05", 1.0), entered("2020-05", 2.0)];
        assert_eq!(
            aggregate_entered(&count, p("2020-05"), &twice).value,
            Some(2.0)
        );
    }

    /// Orne 2020 (S0), monthly tables with an annual result: which roll-up rule gives the
    /// printed annual figure.
    #[test]
    fn orne_2020_annual_results_from_the_monthly_tables() {
        let share = def(Kind::Share, Unit::Percent, Comparator::Lt, Some(10.0));
        let year = p("2020");

        // Lost calls at the switchboard, 0.27 %: monthly rates without counts, the mean of
        // the months reproduces it (0.2675).
        let lost = [
            0.15, 0.60, 0.26, 0.15, 0.19, 0.26, 0.19, 0.13, 0.26, 0.38, 0.21, 0.43,
        ];
        let values: Vec<EnteredValue> = MONTHS
            .iter()
            .zip(lost)
            .map(|(m, v)| entered(m, v))
            .collect();
        let o = aggregate_entered(&share, year, &values);
        assert!(o.mean_of_months && o.parts == 12);
        assert_eq!(format!("{:.2}", value(&o)), "0.27");

        // Answered calls, 93.84 %: the mean of the months is 93.62, so the Orne pooled the
        // calls (monthly counts not published: not reproducible from the table).
        let answered = [
            93.36, 90.86, 90.28, 94.08, 96.09, 94.38, 91.52, 93.85, 93.48, 94.30, 95.69, 95.55,
        ];
        let values: Vec<EnteredValue> = MONTHS
            .iter()
            .zip(answered)
            .map(|(m, v)| entered(m, v))
            .collect();
        let o = aggregate_entered(&share, year, &values);
        assert_eq!(format!("{:.2}", value(&o)), "93.62");
        assert!(o.mean_of_months, "flagged as a mean, not the pooled rate");

        // Website updates within 3 working days: 1, 14, 13, 11, 7, 8 requests, all on time;
        // November and December had none. Pooled: 54 / 54 = 100 %.
        let update = def(Kind::OnTimeRate, Unit::Percent, Comparator::Gt, Some(75.0));
        let values: Vec<EnteredValue> = [
            ("2020-01", 1.0),
            ("2020-06", 14.0),
            ("2020-07", 13.0),
            ("2020-08", 11.0),
            ("2020-09", 7.0),
            ("2020-10", 8.0),
        ]
        .into_iter()
        .map(|(m, n)| counted(m, n, n))
        .collect();
        let o = aggregate_entered(&update, year, &values);
        assert_eq!((o.numerator, o.denominator), (Some(54.0), Some(54.0)));
        assert_eq!(o.value, Some(100.0));

        // Social network connections: the sum, 7 594 507.
        let count = def(Kind::Count, Unit::Count, Comparator::Ge, None);
        let social = [
            217482.0, 308922.0, 953055.0, 751527.0, 640605.0, 287048.0, 565265.0, 818285.0,
            509119.0, 986866.0, 750279.0, 806054.0,
        ];
        let values: Vec<EnteredValue> = MONTHS
            .iter()
            .zip(social)
            .map(|(m, v)| entered(m, v))
            .collect();
        assert_eq!(
            aggregate_entered(&count, year, &values).value,
            Some(7_594_507.0)
        );

        // Users of the digital point (PAN): 2 463, April closed (absent, not zero).
        let pan = [
            ("2020-01", 201.0),
            ("2020-02", 199.0),
            ("2020-03", 108.0),
            ("2020-05", 122.0),
            ("2020-06", 322.0),
            ("2020-07", 265.0),
            ("2020-08", 195.0),
            ("2020-09", 259.0),
            ("2020-10", 317.0),
            ("2020-11", 264.0),
            ("2020-12", 211.0),
        ];
        let values: Vec<EnteredValue> = pan.iter().map(|(m, v)| entered(m, *v)).collect();
        let o = aggregate_entered(&count, year, &values);
        assert_eq!((o.value, o.parts), (Some(2463.0), 11));

        // Residence permits, first applications 96.50 d and renewals 76.42 d (target
        // < 90, < 30): ministry monthly delays without file counts; the mean of the twelve
        // months reproduces both.
        let delay = def(Kind::MeanDelay, Unit::Days, Comparator::Lt, Some(90.0));
        let first = [
            142.0, 108.0, 65.0, 108.0, 163.0, 143.0, 109.0, 122.0, 45.0, 65.0, 52.0, 36.0,
        ];
        let renewal = [
            114.0, 92.0, 82.0, 127.0, 114.0, 99.0, 71.0, 53.0, 56.0, 52.0, 29.0, 28.0,
        ];
        for (months, printed) in [(first, "96.50"), (renewal, "76.42")] {
            let values: Vec<EnteredValue> = MONTHS
                .iter()
                .zip(months)
                .map(|(m, v)| entered(m, v))
                .collect();
            let o = aggregate_entered(&delay, year, &values);
            assert!(o.mean_of_months);
            assert_eq!(format!("{:.2}", value(&o)), printed);
        }
    }

    /// Orne 2020 (S0): "Nombre moyen d'usagers reçus en point numérique par jour", annual
    /// 11.62. The mean of the printed monthly means is 11.55; the annual figure is the
    /// pooled one: 2 463 users over the 212 working days of 2020 outside the closure of
    /// 17 March to 17 May (reopening on 18 May) — a mean weighted by opening days.
    #[test]
    fn orne_2020_digital_point_users_per_day() {
        let settings = CalendarSettings {
            closures: vec![
                Closure::range(
                    d(2020, 3, 17),
                    d(2020, 5, 17),
                    "confinement",
                    d(2020, 3, 16),
                )
                .expect("closure"),
            ],
            ..CalendarSettings::default()
        };
        let cal = WorkingCalendar::with_span(
            Territory::Metropole,
            &settings,
            d(2019, 1, 1),
            d(2021, 12, 31),
        )
        .expect("calendar");
        let open_days = |period: Period| {
            cal.working_days_between(
                period.first_day().pred_opt().expect("a day before"),
                period.last_day(),
            )
            .expect("in span")
        };
        assert_eq!(open_days(p("2020")), 212);
        let users = [
            201.0, 199.0, 108.0, 0.0, 122.0, 322.0, 265.0, 195.0, 259.0, 317.0, 264.0, 211.0,
        ];
        let values: Vec<EnteredValue> = MONTHS
            .iter()
            .zip(users)
            .filter(|(m, _)| open_days(p(m)) > 0)
            .map(|(m, u)| {
                let days = f64::from(open_days(p(m)));
                weighted(m, u / days, days)
            })
            .collect();
        assert_eq!(values.len(), 11, "April was closed");
        let per_day = def(Kind::Value, Unit::Count, Comparator::Ge, None);
        let o = aggregate_entered(&per_day, p("2020"), &values);
        assert!(!o.mean_of_months);
        assert_eq!(o.denominator, Some(212.0));
        assert!(close(value(&o), 2463.0 / 212.0));
        assert_eq!(format!("{:.2}", value(&o)), "11.62");
        let printed_monthly = [
            9.0, 10.0, 7.0, 15.0, 15.0, 13.0, 9.0, 12.0, 14.0, 13.0, 10.0,
        ];
        let mean = printed_monthly.iter().sum::<f64>() / 11.0;
        assert_eq!(
            format!("{mean:.2}"),
            "11.55",
            "the mean of months does not match"
        );
    }

    #[test]
    fn outcome_serialises_with_every_field() {
        #[derive(Serialize, Deserialize)]
        struct W {
            o: Outcome,
        }
        let o = Outcome {
            value: Some(50.0),
            numerator: Some(1.0),
            denominator: Some(2.0),
            pending: 3,
            sampled: true,
            mean_of_months: false,
            parts: 1,
        };
        let text = toml::to_string(&W { o: o.clone() }).expect("serialises");
        for field in [
            "value",
            "numerator",
            "denominator",
            "pending",
            "sampled",
            "mean_of_months",
            "parts",
        ] {
            assert!(text.contains(field), "{text}");
        }
        let back: W = toml::from_str(&text).expect("parses");
        assert_eq!(back.o, o);
    }
}
