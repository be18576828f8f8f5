//! Working days (jours ouvrés): which days a site works, deadlines counted in working
//! days, response times, and school holidays by zone.
//!
//! This module owns the rules written in `docs/DEADLINES.md`:
//!
//! - a working day is Monday to Friday, not a public holiday of the site's territory
//!   (unless the site works that holiday) and not a local closure of the site;
//! - the due date for `n` working days is the `n`-th working day strictly after the
//!   receipt date (day 0); `n = 0` gives the receipt date itself;
//! - a response time is the number of working days in `(received, answered]`.
//!
//! It is pure: no clock, no files, no I/O. A [`WorkingCalendar`] is built once per site
//! from its [`Territory`] and its [`CalendarSettings`]; it precomputes two tables over a
//! span of dates (1990-01-01 to 2100-12-31 by default) so that every query afterwards is
//! a couple of array reads. A date outside the span is an error
//! ([`CalendarError::OutOfSpan`]), never a silent guess.
//!
//! Settings are dated (`recorded_on`), so a calendar can be rebuilt exactly as it was on a
//! past day with [`CalendarSettings::as_of`]: an indicator computed then can be recomputed
//! identically later.

mod holidays;
mod school;

#[cfg(test)]
mod tests;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::prefecture::Department;

pub use holidays::{HolidayKind, easter_sunday};
pub use school::{SchoolHoliday, SchoolHolidays, SchoolZone};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    #[error(
        "code de département inconnu « {0} » (attendu : 01 à 95, 2A, 2B, 971, 972, 973, 974 ou 976)"
    )]
    UnknownDepartment(String),
    #[error("le {date} est hors de la période couverte par le calendrier (du {first} au {last})")]
    OutOfSpan {
        date: NaiveDate,
        first: NaiveDate,
        last: NaiveDate,
    },
    #[error(
        "l'échéance de {n} jours ouvrés après le {from} tombe après la fin du calendrier ({last})"
    )]
    DueDateBeyondSpan {
        from: NaiveDate,
        n: u32,
        last: NaiveDate,
    },
    #[error("période invalide : la fin ({end}) précède le début ({start})")]
    InvalidRange { start: NaiveDate, end: NaiveDate },
    #[error("jour férié inconnu « {0} »")]
    UnknownHoliday(String),
    #[error("zone scolaire inconnue « {0} »")]
    UnknownSchoolZone(String),
    #[error("ligne {line}, colonne {column} (« {name} ») : {problem}")]
    Csv {
        line: usize,
        column: usize,
        name: &'static str,
        problem: String,
    },
    #[error("ligne {line} : {problem}")]
    Ics { line: usize, problem: String },
}

/// The territory whose public holidays apply, decided by the département.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Territory {
    /// Metropolitan France, Corsica included: the 11 national holidays.
    Metropole,
    /// Moselle, Bas-Rhin, Haut-Rhin (57, 67, 68): adds Good Friday and 26 December.
    AlsaceMoselle,
    /// 971: adds 27 May.
    Guadeloupe,
    /// 972: adds 22 May.
    Martinique,
    /// 973: adds 10 June.
    Guyane,
    /// 974: adds 20 December.
    Reunion,
    /// 976: adds 27 April.
    Mayotte,
}

impl Territory {
    pub const ALL: [Territory; 7] = [
        Territory::Metropole,
        Territory::AlsaceMoselle,
        Territory::Guadeloupe,
        Territory::Martinique,
        Territory::Guyane,
        Territory::Reunion,
        Territory::Mayotte,
    ];

    /// From a département code: `"01"`…`"95"` (no `"20"`), `"2A"`, `"2B"`, `"971"`…`"974"`,
    /// `"976"`. The check is [`Department::parse`]'s, so `"1"` and `" 2a "` are accepted too.
    pub fn from_department(code: &str) -> Result<Territory, CalendarError> {
        Department::parse(code)
            .map(Territory::of)
            .map_err(|_| CalendarError::UnknownDepartment(code.trim().to_owned()))
    }

    pub fn of(department: Department) -> Territory {
        match department.code() {
            "57" | "67" | "68" => Territory::AlsaceMoselle,
            "971" => Territory::Guadeloupe,
            "972" => Territory::Martinique,
            "973" => Territory::Guyane,
            "974" => Territory::Reunion,
            "976" => Territory::Mayotte,
            _ => Territory::Metropole,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Territory::Metropole => "France métropolitaine",
            Territory::AlsaceMoselle => "Alsace-Moselle",
            Territory::Guadeloupe => "Guadeloupe",
            Territory::Martinique => "Martinique",
            Territory::Guyane => "Guyane",
            Territory::Reunion => "La Réunion",
            Territory::Mayotte => "Mayotte",
        }
    }

    /// The statutory holidays of this territory.
    pub fn holiday_kinds(self) -> &'static [HolidayKind] {
        holidays::statutory(self)
    }

    /// Local days a site of this territory may switch on with an [`ExtraHoliday`]; none is
    /// on by default.
    pub fn optional_holiday_kinds(self) -> &'static [HolidayKind] {
        holidays::optional(self)
    }

    /// The statutory holidays of `year` with their French names, sorted by date. Two
    /// holidays on the same day (1 May 2008 was also Ascension) are both listed.
    pub fn public_holidays(self, year: i32) -> Vec<(NaiveDate, &'static str)> {
        holidays::dated(self, year, self.holiday_kinds().iter().copied())
            .into_iter()
            .map(|(date, kind)| (date, kind.name()))
            .collect()
    }
}

/// A day or a run of days the site is closed (« pont de l'Ascension », works…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    /// First closed day.
    pub start: NaiveDate,
    /// Last closed day (inclusive). A closure whose end precedes its start closes nothing.
    pub end: NaiveDate,
    pub reason: String,
    /// When the closure was entered: see [`CalendarSettings::as_of`].
    pub recorded_on: NaiveDate,
    /// When it was withdrawn, if it was: it then stops applying from that day on,
    /// while calendars "as of" an earlier date still see it.
    #[serde(default)]
    pub removed_on: Option<NaiveDate>,
}

impl Closure {
    pub fn day(date: NaiveDate, reason: impl Into<String>, recorded_on: NaiveDate) -> Closure {
        Closure {
            start: date,
            end: date,
            reason: reason.into(),
            recorded_on,
            removed_on: None,
        }
    }

    pub fn range(
        start: NaiveDate,
        end: NaiveDate,
        reason: impl Into<String>,
        recorded_on: NaiveDate,
    ) -> Result<Closure, CalendarError> {
        if end < start {
            return Err(CalendarError::InvalidRange { start, end });
        }
        Ok(Closure {
            start,
            end,
            reason: reason.into(),
            recorded_on,
            removed_on: None,
        })
    }
}

/// A holiday the site works (for instance Whit Monday as journée de solidarité): that day
/// is a working day for the site if it is a weekday, another holiday does not fall on it
/// and no closure covers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkedHoliday {
    pub holiday: HolidayKind,
    /// First year it applies to; `None`: no lower bound.
    #[serde(default)]
    pub first_year: Option<i32>,
    /// Last year it applies to; `None`: no upper bound.
    #[serde(default)]
    pub last_year: Option<i32>,
    pub reason: String,
    pub recorded_on: NaiveDate,
    /// When it was withdrawn, if it was: it then stops applying from that day on,
    /// while calendars "as of" an earlier date still see it.
    #[serde(default)]
    pub removed_on: Option<NaiveDate>,
}

impl WorkedHoliday {
    pub fn every_year(
        holiday: HolidayKind,
        reason: impl Into<String>,
        recorded_on: NaiveDate,
    ) -> WorkedHoliday {
        WorkedHoliday {
            holiday,
            first_year: None,
            last_year: None,
            reason: reason.into(),
            recorded_on,
            removed_on: None,
        }
    }

    fn applies_to(&self, year: i32) -> bool {
        in_years(year, self.first_year, self.last_year)
    }
}

/// A local holiday the site switches on (« Fête Victor Schœlcher », « Mi-Carême »…); see
/// [`Territory::optional_holiday_kinds`] for the usual ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraHoliday {
    pub holiday: HolidayKind,
    #[serde(default)]
    pub first_year: Option<i32>,
    #[serde(default)]
    pub last_year: Option<i32>,
    pub recorded_on: NaiveDate,
    /// When it was withdrawn, if it was: it then stops applying from that day on,
    /// while calendars "as of" an earlier date still see it.
    #[serde(default)]
    pub removed_on: Option<NaiveDate>,
}

impl ExtraHoliday {
    pub fn every_year(holiday: HolidayKind, recorded_on: NaiveDate) -> ExtraHoliday {
        ExtraHoliday {
            holiday,
            first_year: None,
            last_year: None,
            recorded_on,
            removed_on: None,
        }
    }

    fn applies_to(&self, year: i32) -> bool {
        in_years(year, self.first_year, self.last_year)
    }
}

fn in_years(year: i32, first: Option<i32>, last: Option<i32>) -> bool {
    first.is_none_or(|f| year >= f) && last.is_none_or(|l| year <= l)
}

/// A site's own calendar choices. The default (all empty) is the bare territory calendar.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CalendarSettings {
    pub closures: Vec<Closure>,
    pub worked_holidays: Vec<WorkedHoliday>,
    pub extra_holidays: Vec<ExtraHoliday>,
}

impl CalendarSettings {
    /// The settings as they stood at the end of `date`: only what was recorded on or before
    /// it and not withdrawn by then. A validated period is recomputed with the calendar as of its validation day, so
    /// a closure entered afterwards cannot change a published indicator.
    pub fn as_of(&self, date: NaiveDate) -> CalendarSettings {
        CalendarSettings {
            closures: self
                .closures
                .iter()
                .filter(|c| c.recorded_on <= date && c.removed_on.is_none_or(|r| r > date))
                .cloned()
                .collect(),
            worked_holidays: self
                .worked_holidays
                .iter()
                .filter(|w| w.recorded_on <= date && w.removed_on.is_none_or(|r| r > date))
                .cloned()
                .collect(),
            extra_holidays: self
                .extra_holidays
                .iter()
                .filter(|e| e.recorded_on <= date && e.removed_on.is_none_or(|r| r > date))
                .cloned()
                .collect(),
        }
    }
}

/// Start of the default span of a [`WorkingCalendar`].
pub const DEFAULT_SPAN_START: NaiveDate = ymd(1990, 1, 1);
/// End (inclusive) of the default span of a [`WorkingCalendar`].
pub const DEFAULT_SPAN_END: NaiveDate = ymd(2100, 12, 31);

const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("date constante invalide"),
    }
}

/// The working days of one site over a span of dates, answering every query in constant
/// time.
///
/// Two tables are built once: `cum[i]`, the number of working days strictly before day `i`
/// of the span, and `nth[k]`, the date of the `(k+1)`-th working day of the span. Then a
/// count is a difference of two `cum` entries and a due date is one `nth` lookup.
#[derive(Clone)]
pub struct WorkingCalendar {
    territory: Territory,
    worked_holidays: Vec<WorkedHoliday>,
    extra_holidays: Vec<ExtraHoliday>,
    first: NaiveDate,
    last: NaiveDate,
    /// `first.num_days_from_ce()`, to turn a date into an index with one subtraction.
    first_ce: i32,
    /// `cum[i]`: working days in `[first, first + i)`; `days + 1` entries.
    cum: Vec<u32>,
    /// `nth[k]`: the `(k + 1)`-th working day of the span.
    nth: Vec<NaiveDate>,
}

impl std::fmt::Debug for WorkingCalendar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The tables are tens of thousands of entries: leave them out.
        f.debug_struct("WorkingCalendar")
            .field("territory", &self.territory)
            .field("first", &self.first)
            .field("last", &self.last)
            .field("working_days", &self.nth.len())
            .finish_non_exhaustive()
    }
}

impl WorkingCalendar {
    /// A calendar over the default span, [`DEFAULT_SPAN_START`] to [`DEFAULT_SPAN_END`].
    pub fn new(territory: Territory, settings: &CalendarSettings) -> WorkingCalendar {
        Self::build(territory, settings, DEFAULT_SPAN_START, DEFAULT_SPAN_END)
    }

    /// A calendar over `first..=last`. Memory is about 8 bytes per day of the span.
    pub fn with_span(
        territory: Territory,
        settings: &CalendarSettings,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<WorkingCalendar, CalendarError> {
        if last < first {
            return Err(CalendarError::InvalidRange {
                start: first,
                end: last,
            });
        }
        Ok(Self::build(territory, settings, first, last))
    }

    fn build(
        territory: Territory,
        settings: &CalendarSettings,
        first: NaiveDate,
        last: NaiveDate,
    ) -> WorkingCalendar {
        let first_ce = first.num_days_from_ce();
        let days = usize::try_from(last.num_days_from_ce() - first_ce + 1).unwrap_or(0);
        let index = |d: NaiveDate| usize::try_from(d.num_days_from_ce() - first_ce).ok();

        let mut working = vec![true; days];
        let monday_offset = first.weekday().num_days_from_monday() as usize;
        for (i, w) in working.iter_mut().enumerate() {
            // 5 and 6 are Saturday and Sunday counted from Monday.
            *w = (monday_offset + i) % 7 < 5;
        }
        for year in first.year()..=last.year() {
            for (date, _) in site_holidays(
                territory,
                year,
                &settings.worked_holidays,
                &settings.extra_holidays,
            ) {
                if let Some(w) = index(date).and_then(|i| working.get_mut(i)) {
                    *w = false;
                }
            }
        }
        for closure in &settings.closures {
            let start = closure.start.max(first);
            let end = closure.end.min(last);
            if let (Some(s), Some(e)) = (index(start), index(end))
                && s <= e
            {
                working[s..=e].iter_mut().for_each(|w| *w = false);
            }
        }

        let mut cum = Vec::with_capacity(days + 1);
        let mut nth = Vec::with_capacity(days * 5 / 7 + 1);
        let mut count: u32 = 0;
        cum.push(0);
        let mut date = first;
        for &w in &working {
            if w {
                count += 1;
                nth.push(date);
            }
            cum.push(count);
            date = date.succ_opt().unwrap_or(date);
        }

        WorkingCalendar {
            territory,
            worked_holidays: settings.worked_holidays.clone(),
            extra_holidays: settings.extra_holidays.clone(),
            first,
            last,
            first_ce,
            cum,
            nth,
        }
    }

    pub fn territory(&self) -> Territory {
        self.territory
    }

    /// First and last (inclusive) dates the calendar answers for.
    pub fn span(&self) -> (NaiveDate, NaiveDate) {
        (self.first, self.last)
    }

    #[inline]
    fn index(&self, date: NaiveDate) -> Result<usize, CalendarError> {
        let offset = date.num_days_from_ce() - self.first_ce;
        // `cum` has one entry more than there are days in the span.
        match usize::try_from(offset) {
            Ok(i) if i + 1 < self.cum.len() => Ok(i),
            _ => Err(self.out_of_span(date)),
        }
    }

    #[cold]
    fn out_of_span(&self, date: NaiveDate) -> CalendarError {
        CalendarError::OutOfSpan {
            date,
            first: self.first,
            last: self.last,
        }
    }

    /// Working days in `[first, date]`.
    #[inline]
    fn rank(&self, i: usize) -> u32 {
        self.cum[i + 1]
    }

    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        let i = self.index(date)?;
        Ok(self.cum[i + 1] != self.cum[i])
    }

    /// The `n`-th working day strictly after `from` (the receipt date, day 0); `from` itself
    /// when `n == 0`. A receipt on a Saturday starts counting on Monday.
    #[inline]
    pub fn due_date(&self, from: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let i = self.index(from)?;
        if n == 0 {
            return Ok(from);
        }
        // `rank(i) + n` is the 1-based rank of the due day among the span's working days.
        let k = self.rank(i) as usize + n as usize - 1;
        match self.nth.get(k) {
            Some(&date) => Ok(date),
            None => Err(self.beyond_span(from, n)),
        }
    }

    #[cold]
    fn beyond_span(&self, from: NaiveDate, n: u32) -> CalendarError {
        CalendarError::DueDateBeyondSpan {
            from,
            n,
            last: self.last,
        }
    }

    /// Working days in `(a, b]`: the response time of an item received on `a` and
    /// answered on `b`. 0 when `b <= a`, including an answer dated before the receipt.
    #[inline]
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> Result<u32, CalendarError> {
        let i = self.index(a)?;
        let j = self.index(b)?;
        Ok(self.rank(j).saturating_sub(self.rank(i)))
    }

    /// Whether an answer dated `answered` meets a deadline of `n` working days from
    /// `received`: the rule of [`crate::registers::deadline`] (response time at most `n`),
    /// so an answer on the weekend after the due date is still on time, and an answer
    /// before the receipt is on time.
    pub fn is_on_time(
        &self,
        received: NaiveDate,
        answered: NaiveDate,
        n: u32,
    ) -> Result<bool, CalendarError> {
        let days = self.working_days_between(received, answered)?;
        Ok(crate::registers::deadline::is_on_time(days, n))
    }

    /// The holidays that are days off for this site in `year`: the territory's statutory
    /// ones and the site's extra ones, minus those it works; sorted by date, with French
    /// names. Closures are not holidays and are not listed. Works for any year, inside the
    /// span or not.
    pub fn holidays(&self, year: i32) -> Vec<(NaiveDate, &'static str)> {
        site_holidays(
            self.territory,
            year,
            &self.worked_holidays,
            &self.extra_holidays,
        )
        .into_iter()
        .map(|(date, kind)| (date, kind.name()))
        .collect()
    }
}

/// The site's days off for holidays in `year`: statutory and switched-on extra holidays,
/// minus the worked ones, sorted by date.
fn site_holidays(
    territory: Territory,
    year: i32,
    worked: &[WorkedHoliday],
    extras: &[ExtraHoliday],
) -> Vec<(NaiveDate, HolidayKind)> {
    let kinds = territory.holiday_kinds().iter().copied().chain(
        extras
            .iter()
            .filter(|e| e.applies_to(year))
            .map(|e| e.holiday),
    );
    let mut days = holidays::dated(territory, year, kinds);
    days.retain(|&(_, kind)| {
        !worked
            .iter()
            .any(|w| w.holiday == kind && w.applies_to(year))
    });
    days
}
