//! Legal time. Instants are stored in UTC; people read and write them in the legal time of
//! a site: Paris in metropolitan France and Corsica, and each overseas département's own
//! (IANA zones from `chrono-tz`, so clock changes follow the official rules, not a rule
//! written here). A site's zone defaults to its département's ([`zone_of`]) and can be
//! changed (a site abroad, a future rule change).

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
pub use chrono_tz::Tz;

use crate::prefecture::Department;

/// Metropolitan France.
pub const PARIS: Tz = chrono_tz::Europe::Paris;

/// The zones QeP offers for a site, with their French names.
pub const ZONES: [(Tz, &str); 6] = [
    (
        chrono_tz::Europe::Paris,
        "Métropole et Corse (Europe/Paris)",
    ),
    (
        chrono_tz::America::Guadeloupe,
        "Guadeloupe (America/Guadeloupe)",
    ),
    (
        chrono_tz::America::Martinique,
        "Martinique (America/Martinique)",
    ),
    (chrono_tz::America::Cayenne, "Guyane (America/Cayenne)"),
    (chrono_tz::Indian::Reunion, "La Réunion (Indian/Reunion)"),
    (chrono_tz::Indian::Mayotte, "Mayotte (Indian/Mayotte)"),
];

/// The legal time of a département.
pub fn zone_of(department: Department) -> Tz {
    match department.code() {
        "971" => chrono_tz::America::Guadeloupe,
        "972" => chrono_tz::America::Martinique,
        "973" => chrono_tz::America::Cayenne,
        "974" => chrono_tz::Indian::Reunion,
        "976" => chrono_tz::Indian::Mayotte,
        _ => PARIS,
    }
}

/// An IANA zone name (`Europe/Paris`, `America/Guadeloupe`…).
pub fn parse_zone(name: &str) -> Result<Tz, String> {
    name.trim().parse::<Tz>().map_err(|_| {
        format!(
            "fuseau horaire inconnu « {} » (attendu : un nom IANA comme Europe/Paris ou America/Guadeloupe)",
            name.trim()
        )
    })
}

/// The wall-clock time at `zone` of instant `t`.
pub fn local(t: DateTime<Utc>, zone: Tz) -> NaiveDateTime {
    t.with_timezone(&zone).naive_local()
}

/// The calendar date at `zone` of instant `t`.
pub fn local_date(t: DateTime<Utc>, zone: Tz) -> NaiveDate {
    local(t, zone).date()
}

/// The instant of a wall-clock time at `zone`. In the autumn's repeated hour the first
/// (summer-time) instant is taken; a time in the spring's skipped hour is read with the
/// offset in force before the change (so 02:30 on the last Sunday of March in Paris is
/// 01:30 UTC, the instant the clocks jumped).
pub fn to_utc(local: NaiveDateTime, zone: Tz) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            let before = zone.offset_from_utc_datetime(&(local - chrono::Duration::hours(3)));
            let offset = chrono::Offset::fix(&before).local_minus_utc();
            (local - chrono::Duration::seconds(i64::from(offset))).and_utc()
        }
    }
}

/// `23/11/2026 à 06:55`, as French users write it, at `zone`.
pub fn format_local(t: DateTime<Utc>, zone: Tz) -> String {
    local(t, zone).format("%d/%m/%Y à %H:%M").to_string()
}

/// The wall-clock time in Paris.
pub fn to_paris(t: DateTime<Utc>) -> NaiveDateTime {
    local(t, PARIS)
}

/// `23/11/2026 à 06:55` in Paris time.
pub fn format_paris(t: DateTime<Utc>) -> String {
    format_local(t, PARIS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid")
            .with_timezone(&Utc)
    }

    fn naive(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("valid")
    }

    #[test]
    fn paris_switches_at_one_utc_on_the_last_sundays() {
        assert_eq!(
            to_paris(utc("2026-03-29T00:59:59Z")),
            naive("2026-03-29 01:59") + chrono::Duration::seconds(59)
        );
        assert_eq!(
            to_paris(utc("2026-03-29T01:00:00Z")),
            naive("2026-03-29 03:00")
        );
        assert_eq!(
            to_paris(utc("2026-10-25T00:59:00Z")),
            naive("2026-10-25 02:59")
        );
        assert_eq!(
            to_paris(utc("2026-10-25T01:00:00Z")),
            naive("2026-10-25 02:00")
        );
        assert_eq!(
            format_paris(utc("2026-11-23T05:55:00Z")),
            "23/11/2026 à 06:55"
        );
        assert_eq!(
            format_paris(utc("2026-07-14T10:00:00Z")),
            "14/07/2026 à 12:00"
        );
    }

    #[test]
    fn local_times_go_back_to_the_right_instant_across_clock_changes() {
        // Repeated autumn hour: the first (summer) instant.
        assert_eq!(
            to_utc(naive("2024-10-27 02:30"), PARIS),
            utc("2024-10-27T00:30:00Z")
        );
        // Skipped spring hour: read with the winter offset.
        assert_eq!(
            to_utc(naive("2024-03-31 02:30"), PARIS),
            utc("2024-03-31T01:30:00Z")
        );
        assert_eq!(
            to_utc(naive("2024-07-01 10:15"), PARIS),
            utc("2024-07-01T08:15:00Z")
        );
        // Every instant of both change days comes back from its wall-clock time, except
        // the second pass of the repeated hour (which maps to the first).
        let mut t = utc("2024-10-26T22:00:00Z");
        while t < utc("2024-10-27T04:00:00Z") {
            let back = to_utc(local(t, PARIS), PARIS);
            let second_pass = t >= utc("2024-10-27T01:00:00Z") && t < utc("2024-10-27T02:00:00Z");
            assert_eq!(
                back,
                if second_pass {
                    t - chrono::Duration::hours(1)
                } else {
                    t
                },
                "{t}"
            );
            t += chrono::Duration::minutes(15);
        }
    }

    #[test]
    fn overseas_sites_keep_their_own_date() {
        let guadeloupe = zone_of(Department::parse("971").expect("971"));
        let reunion = zone_of(Department::parse("974").expect("974"));
        assert_eq!(guadeloupe, chrono_tz::America::Guadeloupe);
        assert_eq!(zone_of(Department::parse("2A").expect("2A")), PARIS);
        // 21:00 in Guadeloupe (UTC−4) on 5 March is already 6 March in UTC and in Paris.
        let evening = to_utc(naive("2026-03-05 21:00"), guadeloupe);
        assert_eq!(evening, utc("2026-03-06T01:00:00Z"));
        assert_eq!(
            local_date(evening, guadeloupe),
            NaiveDate::from_ymd_opt(2026, 3, 5).expect("date")
        );
        assert_eq!(
            local_date(evening, PARIS),
            NaiveDate::from_ymd_opt(2026, 3, 6).expect("date")
        );
        // 00:30 in Réunion (UTC+4) on 6 March is still 5 March in UTC and in Paris.
        let night = to_utc(naive("2026-03-06 00:30"), reunion);
        assert_eq!(night, utc("2026-03-05T20:30:00Z"));
        assert_eq!(
            local_date(night, reunion),
            NaiveDate::from_ymd_opt(2026, 3, 6).expect("date")
        );
        assert_eq!(
            local_date(night, PARIS),
            NaiveDate::from_ymd_opt(2026, 3, 5).expect("date")
        );
        assert_eq!(parse_zone(" Indian/Reunion "), Ok(reunion));
        assert!(parse_zone("Mars/Olympus").is_err());
    }
}
