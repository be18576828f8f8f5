//! Legal time in metropolitan France, for displaying stored UTC instants to people.
//!
//! The EU rule (summer time from the last Sunday of March to the last Sunday of October,
//! switching at 01:00 UTC) is a few lines; a time-zone database is not needed for it.
//! Overseas sites will need their own offsets when sites carry a time zone.

#[cfg(test)]
use chrono::Weekday;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};

fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = first_next.pred_opt()?;
    let back = last.weekday().num_days_from_sunday();
    Some(last - Duration::days(i64::from(back)))
}

/// UTC offset in hours in Paris at instant `t` (1 in winter, 2 in summer).
pub fn paris_offset_hours(t: DateTime<Utc>) -> i64 {
    let year = t.year();
    let switch = |d: Option<NaiveDate>| d.and_then(|d| d.and_hms_opt(1, 0, 0)).map(|n| n.and_utc());
    match (switch(last_sunday(year, 3)), switch(last_sunday(year, 10))) {
        (Some(start), Some(end)) if t >= start && t < end => 2,
        _ => 1,
    }
}

/// The wall-clock time in Paris.
pub fn to_paris(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc() + Duration::hours(paris_offset_hours(t))
}

/// `23/11/2026 à 06:55`, as French users write it.
pub fn format_paris(t: DateTime<Utc>) -> String {
    to_paris(t).format("%d/%m/%Y à %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid")
            .with_timezone(&Utc)
    }

    #[test]
    fn summer_time_switches_at_one_utc_on_the_last_sundays() {
        assert_eq!(
            last_sunday(2026, 3).map(|d| d.weekday()),
            Some(Weekday::Sun)
        );
        assert_eq!(last_sunday(2026, 3), NaiveDate::from_ymd_opt(2026, 3, 29));
        assert_eq!(last_sunday(2026, 10), NaiveDate::from_ymd_opt(2026, 10, 25));
        assert_eq!(paris_offset_hours(utc("2026-03-29T00:59:59Z")), 1);
        assert_eq!(paris_offset_hours(utc("2026-03-29T01:00:00Z")), 2);
        assert_eq!(paris_offset_hours(utc("2026-10-25T00:59:59Z")), 2);
        assert_eq!(paris_offset_hours(utc("2026-10-25T01:00:00Z")), 1);
        assert_eq!(
            format_paris(utc("2026-11-23T05:55:00Z")),
            "23/11/2026 à 06:55"
        );
        assert_eq!(
            format_paris(utc("2026-07-14T10:00:00Z")),
            "14/07/2026 à 12:00"
        );
    }
}
