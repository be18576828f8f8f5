//! The one rule for "answered on time", and what an item's state is on a given day.
//!
//! An item is **on time** when its response time — the working days in `(received,
//! answered]` of its site's calendar — is at most its deadline. This is what the
//! indicator's label says (« réponse dans un délai de N jours ouvrés »), what the mean delay
//! beside it counts, and what prefectures compute in their spreadsheets. So an answer on
//! the Saturday after a Friday due date is on time: no working day has passed since the
//! due date. An **unanswered** item is late once it can no longer be on time, that is once
//! a working day has passed after its due date.
//!
//! Every caller — the indicator engine, the register pages and exports, the yearly report,
//! the public results, `qep analyze` — uses [`is_on_time`] or [`state`]; the rule is
//! written nowhere else (`docs/DEADLINES.md` §4).

use chrono::NaiveDate;

use crate::calendar::{CalendarError, WorkingCalendar};

/// Whether a response time of `response_days` working days meets a deadline of
/// `deadline_days`.
#[inline]
pub fn is_on_time(response_days: u32, deadline_days: u32) -> bool {
    response_days <= deadline_days
}

/// What is known of an item on a day (`as_of`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    /// Answered on or before `as_of`, after `days` working days.
    Answered { days: u32, on_time: bool },
    /// Unanswered on `as_of`, and already too late to be answered on time.
    Late,
    /// Unanswered on `as_of`, and still able to be answered on time.
    Pending,
}

impl ItemState {
    /// `Some(true)` answered on time, `Some(false)` answered late or unanswered and already
    /// late, `None` while the outcome is still open.
    pub fn on_time(self) -> Option<bool> {
        match self {
            ItemState::Answered { on_time, .. } => Some(on_time),
            ItemState::Late => Some(false),
            ItemState::Pending => None,
        }
    }

    /// The response time of an answered item.
    pub fn response_days(self) -> Option<u32> {
        match self {
            ItemState::Answered { days, .. } => Some(days),
            _ => None,
        }
    }
}

/// The state on `as_of` of an item received on `received` with a deadline of
/// `deadline_days`, answered on `answered` (an answer dated after `as_of` is not known on
/// `as_of`: the item counts as unanswered).
pub fn state(
    calendar: &WorkingCalendar,
    received: NaiveDate,
    deadline_days: u32,
    answered: Option<NaiveDate>,
    as_of: NaiveDate,
) -> Result<ItemState, CalendarError> {
    match answered.filter(|a| *a <= as_of) {
        Some(a) => {
            let days = calendar.working_days_between(received, a)?;
            Ok(ItemState::Answered {
                days,
                on_time: is_on_time(days, deadline_days),
            })
        }
        None => {
            // Answered on `as_of` it would take this many working days: past the deadline,
            // no answer can be on time any more.
            let days = if as_of > received {
                calendar.working_days_between(received, as_of)?
            } else {
                calendar.is_working_day(received)?;
                0
            };
            Ok(if is_on_time(days, deadline_days) {
                ItemState::Pending
            } else {
                ItemState::Late
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{CalendarSettings, Closure, Territory};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn metro() -> WorkingCalendar {
        WorkingCalendar::new(Territory::Metropole, &CalendarSettings::default())
    }

    #[test]
    fn a_saturday_answer_after_a_friday_due_date_is_on_time() {
        let cal = metro();
        // Received Friday 6 March 2026, 5 working days: due Friday 13 March.
        assert_eq!(cal.due_date(d(2026, 3, 6), 5), Ok(d(2026, 3, 13)));
        let sat = state(&cal, d(2026, 3, 6), 5, Some(d(2026, 3, 14)), d(2026, 3, 20));
        assert_eq!(
            sat,
            Ok(ItemState::Answered {
                days: 5,
                on_time: true
            })
        );
        let mon = state(&cal, d(2026, 3, 6), 5, Some(d(2026, 3, 16)), d(2026, 3, 20));
        assert_eq!(
            mon,
            Ok(ItemState::Answered {
                days: 6,
                on_time: false
            })
        );
    }

    #[test]
    fn an_unanswered_item_is_late_once_a_working_day_has_passed_after_its_due_date() {
        let cal = metro();
        let at = |as_of| state(&cal, d(2026, 3, 6), 5, None, as_of);
        assert_eq!(at(d(2026, 3, 13)), Ok(ItemState::Pending));
        // Still answerable on time over the weekend.
        assert_eq!(at(d(2026, 3, 14)), Ok(ItemState::Pending));
        assert_eq!(at(d(2026, 3, 15)), Ok(ItemState::Pending));
        assert_eq!(at(d(2026, 3, 16)), Ok(ItemState::Late));
        // An answer after `as_of` is not known yet.
        assert_eq!(
            state(&cal, d(2026, 3, 6), 5, Some(d(2026, 3, 10)), d(2026, 3, 9)),
            Ok(ItemState::Pending)
        );
        // Received on `as_of`, or recorded with a receipt after it.
        assert_eq!(
            state(&cal, d(2026, 3, 7), 5, None, d(2026, 3, 7)),
            Ok(ItemState::Pending)
        );
        assert_eq!(
            state(&cal, d(2026, 3, 9), 0, None, d(2026, 3, 9)),
            Ok(ItemState::Pending)
        );
        assert_eq!(
            state(&cal, d(2026, 3, 9), 0, None, d(2026, 3, 10)),
            Ok(ItemState::Late)
        );
    }

    #[test]
    fn a_closure_is_not_a_working_day_of_the_response_time() {
        let mut settings = CalendarSettings::default();
        settings
            .closures
            .push(Closure::day(d(2026, 3, 12), "pont", d(2026, 3, 1)));
        let cal = WorkingCalendar::new(Territory::Metropole, &settings);
        assert_eq!(cal.due_date(d(2026, 3, 6), 5), Ok(d(2026, 3, 16)));
        assert_eq!(
            state(&cal, d(2026, 3, 6), 5, Some(d(2026, 3, 16)), d(2026, 3, 20))
                .map(ItemState::on_time),
            Ok(Some(true))
        );
    }
}
