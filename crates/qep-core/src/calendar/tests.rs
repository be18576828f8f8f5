//! Tests of the working-day engine: golden values (Easter, holiday lists, the CLI
//! examples) and property tests against a naive day-by-day reference.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};

use super::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

fn bare(territory: Territory) -> WorkingCalendar {
    WorkingCalendar::new(territory, &CalendarSettings::default())
}

// ---------------------------------------------------------------------------------------
// Easter

#[test]
fn easter_matches_known_dates() {
    let known = [
        (1583, 4, 10),
        (1818, 3, 22),
        (1900, 4, 15),
        (1943, 4, 25),
        (1954, 4, 18),
        (1961, 4, 2),
        (1981, 4, 19),
        (1990, 4, 15),
        (1999, 4, 4),
        (2000, 4, 23),
        (2008, 3, 23),
        (2011, 4, 24),
        (2016, 3, 27),
        (2018, 4, 1),
        (2019, 4, 21),
        (2020, 4, 12),
        (2021, 4, 4),
        (2022, 4, 17),
        (2023, 4, 9),
        (2024, 3, 31),
        (2025, 4, 20),
        (2026, 4, 5),
        (2027, 3, 28),
        (2028, 4, 16),
        (2029, 4, 1),
        (2030, 4, 21),
        (2038, 4, 25),
        (2049, 4, 18),
        (2062, 3, 26),
        (2100, 3, 28),
        (2285, 3, 22),
    ];
    for (y, m, day) in known {
        assert_eq!(easter_sunday(y), d(y, m, day), "Easter {y}");
    }
}

#[test]
fn easter_is_a_sunday_between_22_march_and_25_april() {
    for y in 1..=5000 {
        let e = easter_sunday(y);
        assert_eq!(e.weekday(), chrono::Weekday::Sun, "{y}");
        assert!(e >= d(y, 3, 22) && e <= d(y, 4, 25), "{y}: {e}");
    }
    // Far years work too: no table runs out.
    assert_eq!(easter_sunday(100_000).year(), 100_000);
    assert_eq!(easter_sunday(-500).weekday(), chrono::Weekday::Sun);
}

// ---------------------------------------------------------------------------------------
// Holidays, every territory, written out

fn listed(territory: Territory, year: i32) -> Vec<String> {
    territory
        .public_holidays(year)
        .into_iter()
        .map(|(date, name)| format!("{date} {name}"))
        .collect()
}

const METROPOLE_2024: [&str; 11] = [
    "2024-01-01 Jour de l'an",
    "2024-04-01 Lundi de Pâques",
    "2024-05-01 Fête du Travail",
    "2024-05-08 Victoire 1945",
    "2024-05-09 Ascension",
    "2024-05-20 Lundi de Pentecôte",
    "2024-07-14 Fête nationale",
    "2024-08-15 Assomption",
    "2024-11-01 Toussaint",
    "2024-11-11 Armistice 1918",
    "2024-12-25 Noël",
];
const METROPOLE_2025: [&str; 11] = [
    "2025-01-01 Jour de l'an",
    "2025-04-21 Lundi de Pâques",
    "2025-05-01 Fête du Travail",
    "2025-05-08 Victoire 1945",
    "2025-05-29 Ascension",
    "2025-06-09 Lundi de Pentecôte",
    "2025-07-14 Fête nationale",
    "2025-08-15 Assomption",
    "2025-11-01 Toussaint",
    "2025-11-11 Armistice 1918",
    "2025-12-25 Noël",
];
const METROPOLE_2026: [&str; 11] = [
    "2026-01-01 Jour de l'an",
    "2026-04-06 Lundi de Pâques",
    "2026-05-01 Fête du Travail",
    "2026-05-08 Victoire 1945",
    "2026-05-14 Ascension",
    "2026-05-25 Lundi de Pentecôte",
    "2026-07-14 Fête nationale",
    "2026-08-15 Assomption",
    "2026-11-01 Toussaint",
    "2026-11-11 Armistice 1918",
    "2026-12-25 Noël",
];
const ALSACE_MOSELLE_2024: [&str; 13] = [
    "2024-01-01 Jour de l'an",
    "2024-03-29 Vendredi saint",
    "2024-04-01 Lundi de Pâques",
    "2024-05-01 Fête du Travail",
    "2024-05-08 Victoire 1945",
    "2024-05-09 Ascension",
    "2024-05-20 Lundi de Pentecôte",
    "2024-07-14 Fête nationale",
    "2024-08-15 Assomption",
    "2024-11-01 Toussaint",
    "2024-11-11 Armistice 1918",
    "2024-12-25 Noël",
    "2024-12-26 Saint-Étienne",
];
const ALSACE_MOSELLE_2025: [&str; 13] = [
    "2025-01-01 Jour de l'an",
    "2025-04-18 Vendredi saint",
    "2025-04-21 Lundi de Pâques",
    "2025-05-01 Fête du Travail",
    "2025-05-08 Victoire 1945",
    "2025-05-29 Ascension",
    "2025-06-09 Lundi de Pentecôte",
    "2025-07-14 Fête nationale",
    "2025-08-15 Assomption",
    "2025-11-01 Toussaint",
    "2025-11-11 Armistice 1918",
    "2025-12-25 Noël",
    "2025-12-26 Saint-Étienne",
];
const ALSACE_MOSELLE_2026: [&str; 13] = [
    "2026-01-01 Jour de l'an",
    "2026-04-03 Vendredi saint",
    "2026-04-06 Lundi de Pâques",
    "2026-05-01 Fête du Travail",
    "2026-05-08 Victoire 1945",
    "2026-05-14 Ascension",
    "2026-05-25 Lundi de Pentecôte",
    "2026-07-14 Fête nationale",
    "2026-08-15 Assomption",
    "2026-11-01 Toussaint",
    "2026-11-11 Armistice 1918",
    "2026-12-25 Noël",
    "2026-12-26 Saint-Étienne",
];
const GUADELOUPE_2024: [&str; 12] = [
    "2024-01-01 Jour de l'an",
    "2024-04-01 Lundi de Pâques",
    "2024-05-01 Fête du Travail",
    "2024-05-08 Victoire 1945",
    "2024-05-09 Ascension",
    "2024-05-20 Lundi de Pentecôte",
    "2024-05-27 Abolition de l'esclavage",
    "2024-07-14 Fête nationale",
    "2024-08-15 Assomption",
    "2024-11-01 Toussaint",
    "2024-11-11 Armistice 1918",
    "2024-12-25 Noël",
];
const GUADELOUPE_2025: [&str; 12] = [
    "2025-01-01 Jour de l'an",
    "2025-04-21 Lundi de Pâques",
    "2025-05-01 Fête du Travail",
    "2025-05-08 Victoire 1945",
    "2025-05-27 Abolition de l'esclavage",
    "2025-05-29 Ascension",
    "2025-06-09 Lundi de Pentecôte",
    "2025-07-14 Fête nationale",
    "2025-08-15 Assomption",
    "2025-11-01 Toussaint",
    "2025-11-11 Armistice 1918",
    "2025-12-25 Noël",
];
const GUADELOUPE_2026: [&str; 12] = [
    "2026-01-01 Jour de l'an",
    "2026-04-06 Lundi de Pâques",
    "2026-05-01 Fête du Travail",
    "2026-05-08 Victoire 1945",
    "2026-05-14 Ascension",
    "2026-05-25 Lundi de Pentecôte",
    "2026-05-27 Abolition de l'esclavage",
    "2026-07-14 Fête nationale",
    "2026-08-15 Assomption",
    "2026-11-01 Toussaint",
    "2026-11-11 Armistice 1918",
    "2026-12-25 Noël",
];
const MARTINIQUE_2024: [&str; 12] = [
    "2024-01-01 Jour de l'an",
    "2024-04-01 Lundi de Pâques",
    "2024-05-01 Fête du Travail",
    "2024-05-08 Victoire 1945",
    "2024-05-09 Ascension",
    "2024-05-20 Lundi de Pentecôte",
    "2024-05-22 Abolition de l'esclavage",
    "2024-07-14 Fête nationale",
    "2024-08-15 Assomption",
    "2024-11-01 Toussaint",
    "2024-11-11 Armistice 1918",
    "2024-12-25 Noël",
];
const MARTINIQUE_2025: [&str; 12] = [
    "2025-01-01 Jour de l'an",
    "2025-04-21 Lundi de Pâques",
    "2025-05-01 Fête du Travail",
    "2025-05-08 Victoire 1945",
    "2025-05-22 Abolition de l'esclavage",
    "2025-05-29 Ascension",
    "2025-06-09 Lundi de Pentecôte",
    "2025-07-14 Fête nationale",
    "2025-08-15 Assomption",
    "2025-11-01 Toussaint",
    "2025-11-11 Armistice 1918",
    "2025-12-25 Noël",
];
const MARTINIQUE_2026: [&str; 12] = [
    "2026-01-01 Jour de l'an",
    "2026-04-06 Lundi de Pâques",
    "2026-05-01 Fête du Travail",
    "2026-05-08 Victoire 1945",
    "2026-05-14 Ascension",
    "2026-05-22 Abolition de l'esclavage",
    "2026-05-25 Lundi de Pentecôte",
    "2026-07-14 Fête nationale",
    "2026-08-15 Assomption",
    "2026-11-01 Toussaint",
    "2026-11-11 Armistice 1918",
    "2026-12-25 Noël",
];
const GUYANE_2024: [&str; 12] = [
    "2024-01-01 Jour de l'an",
    "2024-04-01 Lundi de Pâques",
    "2024-05-01 Fête du Travail",
    "2024-05-08 Victoire 1945",
    "2024-05-09 Ascension",
    "2024-05-20 Lundi de Pentecôte",
    "2024-06-10 Abolition de l'esclavage",
    "2024-07-14 Fête nationale",
    "2024-08-15 Assomption",
    "2024-11-01 Toussaint",
    "2024-11-11 Armistice 1918",
    "2024-12-25 Noël",
];
const GUYANE_2025: [&str; 12] = [
    "2025-01-01 Jour de l'an",
    "2025-04-21 Lundi de Pâques",
    "2025-05-01 Fête du Travail",
    "2025-05-08 Victoire 1945",
    "2025-05-29 Ascension",
    "2025-06-09 Lundi de Pentecôte",
    "2025-06-10 Abolition de l'esclavage",
    "2025-07-14 Fête nationale",
    "2025-08-15 Assomption",
    "2025-11-01 Toussaint",
    "2025-11-11 Armistice 1918",
    "2025-12-25 Noël",
];
const GUYANE_2026: [&str; 12] = [
    "2026-01-01 Jour de l'an",
    "2026-04-06 Lundi de Pâques",
    "2026-05-01 Fête du Travail",
    "2026-05-08 Victoire 1945",
    "2026-05-14 Ascension",
    "2026-05-25 Lundi de Pentecôte",
    "2026-06-10 Abolition de l'esclavage",
    "2026-07-14 Fête nationale",
    "2026-08-15 Assomption",
    "2026-11-01 Toussaint",
    "2026-11-11 Armistice 1918",
    "2026-12-25 Noël",
];
const REUNION_2024: [&str; 12] = [
    "2024-01-01 Jour de l'an",
    "2024-04-01 Lundi de Pâques",
    "2024-05-01 Fête du Travail",
    "2024-05-08 Victoire 1945",
    "2024-05-09 Ascension",
    "2024-05-20 Lundi de Pentecôte",
    "2024-07-14 Fête nationale",
    "2024-08-15 Assomption",
    "2024-11-01 Toussaint",
    "2024-11-11 Armistice 1918",
    "2024-12-20 Abolition de l'esclavage",
    "2024-12-25 Noël",
];
const REUNION_2025: [&str; 12] = [
    "2025-01-01 Jour de l'an",
    "2025-04-21 Lundi de Pâques",
    "2025-05-01 Fête du Travail",
    "2025-05-08 Victoire 1945",
    "2025-05-29 Ascension",
    "2025-06-09 Lundi de Pentecôte",
    "2025-07-14 Fête nationale",
    "2025-08-15 Assomption",
    "2025-11-01 Toussaint",
    "2025-11-11 Armistice 1918",
    "2025-12-20 Abolition de l'esclavage",
    "2025-12-25 Noël",
];
const REUNION_2026: [&str; 12] = [
    "2026-01-01 Jour de l'an",
    "2026-04-06 Lundi de Pâques",
    "2026-05-01 Fête du Travail",
    "2026-05-08 Victoire 1945",
    "2026-05-14 Ascension",
    "2026-05-25 Lundi de Pentecôte",
    "2026-07-14 Fête nationale",
    "2026-08-15 Assomption",
    "2026-11-01 Toussaint",
    "2026-11-11 Armistice 1918",
    "2026-12-20 Abolition de l'esclavage",
    "2026-12-25 Noël",
];
const MAYOTTE_2024: [&str; 12] = [
    "2024-01-01 Jour de l'an",
    "2024-04-01 Lundi de Pâques",
    "2024-04-27 Abolition de l'esclavage",
    "2024-05-01 Fête du Travail",
    "2024-05-08 Victoire 1945",
    "2024-05-09 Ascension",
    "2024-05-20 Lundi de Pentecôte",
    "2024-07-14 Fête nationale",
    "2024-08-15 Assomption",
    "2024-11-01 Toussaint",
    "2024-11-11 Armistice 1918",
    "2024-12-25 Noël",
];
const MAYOTTE_2025: [&str; 12] = [
    "2025-01-01 Jour de l'an",
    "2025-04-21 Lundi de Pâques",
    "2025-04-27 Abolition de l'esclavage",
    "2025-05-01 Fête du Travail",
    "2025-05-08 Victoire 1945",
    "2025-05-29 Ascension",
    "2025-06-09 Lundi de Pentecôte",
    "2025-07-14 Fête nationale",
    "2025-08-15 Assomption",
    "2025-11-01 Toussaint",
    "2025-11-11 Armistice 1918",
    "2025-12-25 Noël",
];
const MAYOTTE_2026: [&str; 12] = [
    "2026-01-01 Jour de l'an",
    "2026-04-06 Lundi de Pâques",
    "2026-04-27 Abolition de l'esclavage",
    "2026-05-01 Fête du Travail",
    "2026-05-08 Victoire 1945",
    "2026-05-14 Ascension",
    "2026-05-25 Lundi de Pentecôte",
    "2026-07-14 Fête nationale",
    "2026-08-15 Assomption",
    "2026-11-01 Toussaint",
    "2026-11-11 Armistice 1918",
    "2026-12-25 Noël",
];

#[test]
fn holidays_of_every_territory_are_as_written() {
    let cases: [(Territory, i32, &[&str]); 21] = [
        (Territory::Metropole, 2024, &METROPOLE_2024),
        (Territory::Metropole, 2025, &METROPOLE_2025),
        (Territory::Metropole, 2026, &METROPOLE_2026),
        (Territory::AlsaceMoselle, 2024, &ALSACE_MOSELLE_2024),
        (Territory::AlsaceMoselle, 2025, &ALSACE_MOSELLE_2025),
        (Territory::AlsaceMoselle, 2026, &ALSACE_MOSELLE_2026),
        (Territory::Guadeloupe, 2024, &GUADELOUPE_2024),
        (Territory::Guadeloupe, 2025, &GUADELOUPE_2025),
        (Territory::Guadeloupe, 2026, &GUADELOUPE_2026),
        (Territory::Martinique, 2024, &MARTINIQUE_2024),
        (Territory::Martinique, 2025, &MARTINIQUE_2025),
        (Territory::Martinique, 2026, &MARTINIQUE_2026),
        (Territory::Guyane, 2024, &GUYANE_2024),
        (Territory::Guyane, 2025, &GUYANE_2025),
        (Territory::Guyane, 2026, &GUYANE_2026),
        (Territory::Reunion, 2024, &REUNION_2024),
        (Territory::Reunion, 2025, &REUNION_2025),
        (Territory::Reunion, 2026, &REUNION_2026),
        (Territory::Mayotte, 2024, &MAYOTTE_2024),
        (Territory::Mayotte, 2025, &MAYOTTE_2025),
        (Territory::Mayotte, 2026, &MAYOTTE_2026),
    ];
    for (territory, year, expected) in cases {
        assert_eq!(listed(territory, year), expected, "{territory:?} {year}");
        // A bare calendar lists the same days.
        let from_calendar: Vec<String> = bare(territory)
            .holidays(year)
            .into_iter()
            .map(|(date, name)| format!("{date} {name}"))
            .collect();
        assert_eq!(from_calendar, expected, "{territory:?} {year}");
    }
}

#[test]
fn two_holidays_on_one_day_are_both_listed() {
    // 2008: Easter on 23 March, so Ascension fell on 1 May.
    let may_first: Vec<&str> = Territory::Metropole
        .public_holidays(2008)
        .into_iter()
        .filter(|&(date, _)| date == d(2008, 5, 1))
        .map(|(_, name)| name)
        .collect();
    assert_eq!(may_first, ["Fête du Travail", "Ascension"]);
}

#[test]
fn departments_map_to_territories() {
    let t = |code: &str| Territory::from_department(code);
    assert_eq!(t("61"), Ok(Territory::Metropole));
    assert_eq!(t("2A"), Ok(Territory::Metropole));
    assert_eq!(t("2B"), Ok(Territory::Metropole));
    assert_eq!(t("57"), Ok(Territory::AlsaceMoselle));
    assert_eq!(t("67"), Ok(Territory::AlsaceMoselle));
    assert_eq!(t("68"), Ok(Territory::AlsaceMoselle));
    assert_eq!(t("971"), Ok(Territory::Guadeloupe));
    assert_eq!(t("972"), Ok(Territory::Martinique));
    assert_eq!(t("973"), Ok(Territory::Guyane));
    assert_eq!(t("974"), Ok(Territory::Reunion));
    assert_eq!(t("976"), Ok(Territory::Mayotte));
    for bad in ["99", "20", "975", "00", "", "2C"] {
        let err = t(bad).expect_err("unknown department");
        assert_eq!(err, CalendarError::UnknownDepartment(bad.to_owned()));
        assert!(
            err.to_string()
                .starts_with(&format!("code de département inconnu « {bad} »")),
            "{err}"
        );
    }
    // Every département QeP knows has a territory.
    let alsace_moselle = Department::all()
        .filter(|&dep| Territory::of(dep) == Territory::AlsaceMoselle)
        .count();
    assert_eq!(alsace_moselle, 3);
}

#[test]
fn holiday_identifiers_round_trip() {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Wrap {
        holiday: HolidayKind,
    }
    for kind in HolidayKind::ALL {
        assert_eq!(HolidayKind::parse(kind.as_str()), Ok(kind));
        let text = toml::to_string(&Wrap { holiday: kind }).expect("serialize");
        assert_eq!(text.trim(), format!("holiday = \"{}\"", kind.as_str()));
    }
    assert!(HolidayKind::parse("paques").is_err());
}

// ---------------------------------------------------------------------------------------
// Due dates and counts: the CLI examples and the rules of DEADLINES.md

#[test]
fn cli_examples_hold() {
    let metro = bare(Territory::Metropole);
    assert_eq!(metro.due_date(d(2024, 5, 3), 5), Ok(d(2024, 5, 14)));
    assert_eq!(
        metro.working_days_between(d(2024, 5, 3), d(2024, 5, 14)),
        Ok(5)
    );

    // Alsace-Moselle and La Réunion have the same days off in May 2024: same answer.
    let alsace = bare(Territory::from_department("67").expect("67"));
    let reunion = bare(Territory::from_department("974").expect("974"));
    for cal in [&alsace, &reunion] {
        assert_eq!(cal.due_date(d(2024, 5, 3), 5), Ok(d(2024, 5, 14)));
        assert_eq!(
            cal.working_days_between(d(2024, 5, 3), d(2024, 5, 14)),
            Ok(5)
        );
    }
    // They differ on their own days. Good Friday 29 March 2024 in 67:
    assert_eq!(metro.due_date(d(2024, 3, 28), 1), Ok(d(2024, 3, 29)));
    assert_eq!(alsace.due_date(d(2024, 3, 28), 1), Ok(d(2024, 4, 2)));
    // 26 December 2024 (Thursday) in 67:
    assert_eq!(metro.due_date(d(2024, 12, 24), 1), Ok(d(2024, 12, 26)));
    assert_eq!(alsace.due_date(d(2024, 12, 24), 1), Ok(d(2024, 12, 27)));
    assert_eq!(
        alsace.working_days_between(d(2024, 12, 20), d(2024, 12, 31)),
        Ok(5)
    );
    assert_eq!(
        metro.working_days_between(d(2024, 12, 20), d(2024, 12, 31)),
        Ok(6)
    );
    // 20 December 2024 (Friday) in 974:
    assert_eq!(metro.due_date(d(2024, 12, 19), 1), Ok(d(2024, 12, 20)));
    assert_eq!(reunion.due_date(d(2024, 12, 19), 1), Ok(d(2024, 12, 23)));
    assert_eq!(reunion.due_date(d(2024, 12, 16), 5), Ok(d(2024, 12, 24)));
    assert_eq!(metro.due_date(d(2024, 12, 16), 5), Ok(d(2024, 12, 23)));
    assert_eq!(reunion.due_date(d(2024, 12, 16), 10), Ok(d(2025, 1, 2)));
    assert_eq!(metro.due_date(d(2024, 12, 16), 10), Ok(d(2024, 12, 31)));
}

#[test]
fn counting_starts_the_day_after_receipt() {
    let metro = bare(Territory::Metropole);
    // Saturday receipt: first day counted is Monday.
    assert_eq!(metro.due_date(d(2024, 5, 4), 1), Ok(d(2024, 5, 6)));
    // Sunday and Friday receipts too.
    assert_eq!(metro.due_date(d(2024, 5, 5), 1), Ok(d(2024, 5, 6)));
    assert_eq!(metro.due_date(d(2024, 5, 17), 1), Ok(d(2024, 5, 21))); // Whit Monday 20 May
    // n = 0 is the receipt date, even on a non-working day.
    assert_eq!(metro.due_date(d(2024, 5, 4), 0), Ok(d(2024, 5, 4)));
    assert_eq!(metro.due_date(d(2024, 5, 8), 0), Ok(d(2024, 5, 8)));
    // Response times: same day 0, earlier answer 0, half-open interval.
    assert_eq!(
        metro.working_days_between(d(2024, 5, 6), d(2024, 5, 6)),
        Ok(0)
    );
    assert_eq!(
        metro.working_days_between(d(2024, 5, 6), d(2024, 5, 2)),
        Ok(0)
    );
    assert_eq!(
        metro.working_days_between(d(2024, 5, 6), d(2024, 5, 7)),
        Ok(1)
    );
    assert_eq!(
        metro.working_days_between(d(2024, 5, 3), d(2024, 5, 5)),
        Ok(0)
    );
    assert_eq!(
        metro.working_days_between(d(2024, 5, 4), d(2024, 5, 6)),
        Ok(1)
    );
    // On time: response time at most the deadline.
    assert_eq!(metro.is_on_time(d(2024, 5, 3), d(2024, 5, 14), 5), Ok(true));
    assert_eq!(
        metro.is_on_time(d(2024, 5, 3), d(2024, 5, 15), 5),
        Ok(false)
    );
    assert_eq!(metro.is_on_time(d(2024, 5, 3), d(2024, 5, 2), 5), Ok(true));
    assert_eq!(metro.is_on_time(d(2024, 5, 3), d(2024, 5, 3), 0), Ok(true));
    assert_eq!(metro.is_on_time(d(2024, 5, 3), d(2024, 5, 6), 0), Ok(false));
    assert_eq!(metro.is_working_day(d(2024, 5, 8)), Ok(false));
    assert_eq!(metro.is_working_day(d(2024, 5, 7)), Ok(true));
    assert_eq!(metro.is_working_day(d(2024, 5, 11)), Ok(false));
}

#[test]
fn the_span_is_enforced() {
    let metro = bare(Territory::Metropole);
    assert_eq!(metro.span(), (d(1990, 1, 1), d(2100, 12, 31)));
    let before = d(1989, 12, 31);
    assert_eq!(
        metro.is_working_day(before),
        Err(CalendarError::OutOfSpan {
            date: before,
            first: d(1990, 1, 1),
            last: d(2100, 12, 31)
        })
    );
    assert!(
        metro
            .working_days_between(d(2024, 1, 1), d(2101, 1, 3))
            .is_err()
    );
    assert!(metro.due_date(d(2101, 1, 3), 0).is_err());
    assert_eq!(metro.due_date(d(1990, 1, 1), 0), Ok(d(1990, 1, 1)));
    assert_eq!(metro.is_working_day(d(2100, 12, 31)), Ok(true)); // a Friday
    let err = metro
        .due_date(d(2100, 12, 30), 2)
        .expect_err("beyond the span");
    assert_eq!(
        err,
        CalendarError::DueDateBeyondSpan {
            from: d(2100, 12, 30),
            n: 2,
            last: d(2100, 12, 31)
        }
    );
    assert!(err.to_string().contains("2100-12-31"), "{err}");
    assert_eq!(metro.due_date(d(2100, 12, 30), 1), Ok(d(2100, 12, 31)));
    assert!(metro.due_date(d(2024, 1, 1), u32::MAX).is_err());
    // An answer in the span is on time for a deadline beyond it.
    assert_eq!(
        metro.is_on_time(d(2100, 12, 30), d(2100, 12, 31), 9),
        Ok(true)
    );

    let small = WorkingCalendar::with_span(
        Territory::Metropole,
        &CalendarSettings::default(),
        d(2024, 5, 1),
        d(2024, 5, 31),
    )
    .expect("valid span");
    assert_eq!(small.due_date(d(2024, 5, 3), 5), Ok(d(2024, 5, 14)));
    assert!(small.is_working_day(d(2024, 6, 1)).is_err());
    assert!(
        WorkingCalendar::with_span(
            Territory::Metropole,
            &CalendarSettings::default(),
            d(2024, 5, 2),
            d(2024, 5, 1),
        )
        .is_err()
    );
    let one_day = WorkingCalendar::with_span(
        Territory::Metropole,
        &CalendarSettings::default(),
        d(2024, 5, 1),
        d(2024, 5, 1),
    )
    .expect("one day");
    assert_eq!(one_day.is_working_day(d(2024, 5, 1)), Ok(false));
    assert!(one_day.due_date(d(2024, 5, 1), 1).is_err());
}

// ---------------------------------------------------------------------------------------
// Site settings

#[test]
fn closures_worked_and_extra_holidays() {
    let recorded = d(2023, 12, 1);
    let settings = CalendarSettings {
        closures: vec![
            Closure::day(d(2024, 5, 10), "pont de l'Ascension", recorded),
            Closure::range(d(2024, 12, 23), d(2024, 12, 31), "fin d'année", recorded)
                .expect("valid range"),
        ],
        worked_holidays: vec![WorkedHoliday::every_year(
            HolidayKind::LundiDePentecote,
            "journée de solidarité",
            recorded,
        )],
        extra_holidays: vec![],
    };
    let cal = WorkingCalendar::new(Territory::Metropole, &settings);
    // Closed on the bridge day: 5 days from 3 May now end on 15 May.
    assert_eq!(cal.is_working_day(d(2024, 5, 10)), Ok(false));
    assert_eq!(cal.due_date(d(2024, 5, 3), 5), Ok(d(2024, 5, 15)));
    // Whit Monday is worked.
    assert_eq!(cal.is_working_day(d(2024, 5, 20)), Ok(true));
    assert_eq!(cal.due_date(d(2024, 5, 17), 1), Ok(d(2024, 5, 20)));
    assert!(
        !cal.holidays(2024)
            .iter()
            .any(|&(_, name)| name == "Lundi de Pentecôte")
    );
    assert_eq!(cal.holidays(2024).len(), 10);
    // Closure over Christmas week.
    assert_eq!(cal.due_date(d(2024, 12, 20), 1), Ok(d(2025, 1, 2)));
    assert!(Closure::range(d(2024, 1, 2), d(2024, 1, 1), "x", recorded).is_err());

    // A worked holiday still yields to another holiday on the same day: in 2019, Whit
    // Monday fell on 10 June, the abolition day in Guyane.
    let guyane = WorkingCalendar::new(Territory::Guyane, &settings);
    assert_eq!(easter_sunday(2019) + chrono::Days::new(50), d(2019, 6, 10));
    assert_eq!(guyane.is_working_day(d(2019, 6, 10)), Ok(false));
    assert_eq!(guyane.is_working_day(d(2024, 5, 20)), Ok(true));
    // And to a closure.
    let closed_whit_monday = CalendarSettings {
        closures: vec![Closure::day(d(2024, 5, 20), "fermeture", recorded)],
        ..settings.clone()
    };
    let cal = WorkingCalendar::new(Territory::Metropole, &closed_whit_monday);
    assert_eq!(cal.is_working_day(d(2024, 5, 20)), Ok(false));

    // A worked holiday limited to some years.
    let only_2025 = CalendarSettings {
        worked_holidays: vec![WorkedHoliday {
            first_year: Some(2025),
            last_year: Some(2025),
            ..WorkedHoliday::every_year(HolidayKind::LundiDePentecote, "solidarité", recorded)
        }],
        ..CalendarSettings::default()
    };
    let cal = WorkingCalendar::new(Territory::Metropole, &only_2025);
    assert_eq!(cal.is_working_day(d(2024, 5, 20)), Ok(false));
    assert_eq!(cal.is_working_day(d(2025, 6, 9)), Ok(true));
    assert_eq!(cal.is_working_day(d(2026, 5, 25)), Ok(false));

    // Optional local days are off only when switched on.
    let martinique = bare(Territory::Martinique);
    assert_eq!(martinique.is_working_day(d(2025, 7, 21)), Ok(true));
    assert!(
        Territory::Martinique
            .optional_holiday_kinds()
            .contains(&HolidayKind::FeteVictorSchoelcher)
    );
    let with_extras = CalendarSettings {
        extra_holidays: vec![
            ExtraHoliday::every_year(HolidayKind::FeteVictorSchoelcher, recorded),
            ExtraHoliday::every_year(HolidayKind::MiCareme, recorded),
        ],
        ..CalendarSettings::default()
    };
    let martinique = WorkingCalendar::new(Territory::Martinique, &with_extras);
    assert_eq!(martinique.is_working_day(d(2025, 7, 21)), Ok(false));
    // Mi-Carême 2025: Thursday 27 March (Easter 20 April − 24 days).
    assert_eq!(martinique.is_working_day(d(2025, 3, 27)), Ok(false));
    assert_eq!(
        martinique.holidays(2025).first().copied(),
        Some((d(2025, 1, 1), "Jour de l'an"))
    );
    assert!(
        martinique
            .holidays(2025)
            .contains(&(d(2025, 3, 27), "Mi-Carême"))
    );
    assert!(
        martinique
            .holidays(2025)
            .contains(&(d(2025, 7, 21), "Fête Victor Schœlcher"))
    );
    let h = martinique.holidays(2025);
    assert!(h.windows(2).all(|w| w[0].0 <= w[1].0), "sorted: {h:?}");
    // An extra holiday that is already statutory is listed once.
    let alsace = WorkingCalendar::new(
        Territory::AlsaceMoselle,
        &CalendarSettings {
            extra_holidays: vec![ExtraHoliday::every_year(
                HolidayKind::VendrediSaint,
                recorded,
            )],
            ..CalendarSettings::default()
        },
    );
    assert_eq!(alsace.holidays(2025).len(), 13);
    // The abolition day has no date in metropolitan France: switching it on does nothing.
    let metro = WorkingCalendar::new(
        Territory::Metropole,
        &CalendarSettings {
            extra_holidays: vec![ExtraHoliday::every_year(
                HolidayKind::AbolitionEsclavage,
                recorded,
            )],
            ..CalendarSettings::default()
        },
    );
    assert_eq!(metro.holidays(2025).len(), 11);
}

#[test]
fn as_of_keeps_only_what_was_recorded_by_then() {
    let closure = Closure::day(d(2024, 6, 14), "fermeture exceptionnelle", d(2024, 6, 10));
    let settings = CalendarSettings {
        closures: vec![closure],
        worked_holidays: vec![WorkedHoliday::every_year(
            HolidayKind::LundiDePentecote,
            "journée de solidarité",
            d(2024, 6, 20),
        )],
        extra_holidays: vec![],
    };
    let early = WorkingCalendar::new(Territory::Metropole, &settings.as_of(d(2024, 6, 1)));
    let late = WorkingCalendar::new(Territory::Metropole, &settings.as_of(d(2024, 6, 30)));
    assert_eq!(early.is_working_day(d(2024, 6, 14)), Ok(true));
    assert_eq!(late.is_working_day(d(2024, 6, 14)), Ok(false));
    // The day it was recorded counts.
    let same_day = WorkingCalendar::new(Territory::Metropole, &settings.as_of(d(2024, 6, 10)));
    assert_eq!(same_day.is_working_day(d(2024, 6, 14)), Ok(false));
    // Worked holidays are dated the same way.
    assert_eq!(early.is_working_day(d(2024, 5, 20)), Ok(false));
    assert_eq!(late.is_working_day(d(2024, 5, 20)), Ok(true));
    assert_eq!(settings.as_of(d(2024, 6, 1)).closures.len(), 0);
    assert_eq!(settings.as_of(d(2030, 1, 1)), settings);
}

#[test]
fn settings_read_from_toml() {
    let text = r#"
        [[closures]]
        start = "2024-05-10"
        end = "2024-05-10"
        reason = "pont de l'Ascension"
        recorded_on = "2024-01-15"

        [[worked_holidays]]
        holiday = "lundi_de_pentecote"
        reason = "journée de solidarité"
        recorded_on = "2024-01-15"

        [[extra_holidays]]
        holiday = "fete_victor_schoelcher"
        first_year = 2024
        recorded_on = "2024-01-15"
    "#;
    let settings: CalendarSettings = toml::from_str(text).expect("valid TOML settings");
    assert_eq!(settings.closures[0].start, d(2024, 5, 10));
    assert_eq!(
        settings.worked_holidays[0].holiday,
        HolidayKind::LundiDePentecote
    );
    assert_eq!(settings.worked_holidays[0].first_year, None);
    assert_eq!(settings.extra_holidays[0].first_year, Some(2024));
    let empty: CalendarSettings = toml::from_str("").expect("empty settings");
    assert_eq!(empty, CalendarSettings::default());
}

// ---------------------------------------------------------------------------------------
// Property tests against a naive reference

/// xorshift64*: small, deterministic, good enough to spread test cases.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform enough in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn date_between(&mut self, first: NaiveDate, last: NaiveDate) -> NaiveDate {
        let days = (last - first).num_days() as u64 + 1;
        first + chrono::Days::new(self.below(days))
    }
}

/// The rules of DEADLINES.md applied one day at a time, with no tables.
struct Naive {
    off: HashSet<NaiveDate>,
}

impl Naive {
    fn new(territory: Territory, settings: &CalendarSettings) -> Naive {
        let mut off = HashSet::new();
        for year in 1989..=2102 {
            let mut kinds: Vec<HolidayKind> = territory.holiday_kinds().to_vec();
            for extra in &settings.extra_holidays {
                let after = extra.first_year.is_none_or(|f| year >= f);
                let before = extra.last_year.is_none_or(|l| year <= l);
                if after && before {
                    kinds.push(extra.holiday);
                }
            }
            for kind in kinds {
                let worked = settings.worked_holidays.iter().any(|w| {
                    w.holiday == kind
                        && w.first_year.is_none_or(|f| year >= f)
                        && w.last_year.is_none_or(|l| year <= l)
                });
                if let (false, Some(date)) = (worked, kind.date_in(year, territory)) {
                    off.insert(date);
                }
            }
        }
        for c in &settings.closures {
            let mut day = c.start;
            while day <= c.end {
                off.insert(day);
                day = day.succ_opt().expect("next day");
            }
        }
        Naive { off }
    }

    fn is_working(&self, date: NaiveDate) -> bool {
        date.weekday().num_days_from_monday() < 5 && !self.off.contains(&date)
    }

    fn due(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut date = from;
        let mut left = n;
        while left > 0 {
            date = date.succ_opt().expect("next day");
            if self.is_working(date) {
                left -= 1;
            }
        }
        date
    }

    fn count(&self, a: NaiveDate, b: NaiveDate) -> u32 {
        let mut n = 0;
        let mut date = a;
        while date < b {
            date = date.succ_opt().expect("next day");
            if self.is_working(date) {
                n += 1;
            }
        }
        n
    }
}

fn random_settings(rng: &mut XorShift, territory: Territory) -> CalendarSettings {
    let mut settings = CalendarSettings::default();
    for _ in 0..40 {
        let start = rng.date_between(d(1990, 1, 1), d(2100, 12, 31));
        let end = start + chrono::Days::new(rng.below(12));
        let recorded_on = rng.date_between(d(2000, 1, 1), d(2030, 12, 31));
        settings
            .closures
            .push(Closure::range(start, end, "fermeture", recorded_on).expect("valid"));
    }
    // A few closures straddling the span's ends.
    settings.closures.push(Closure {
        start: d(1989, 12, 20),
        end: d(1990, 1, 3),
        reason: "avant".into(),
        recorded_on: d(1989, 1, 1),
        removed_on: None,
    });
    settings.closures.push(Closure {
        start: d(2100, 12, 28),
        end: d(2101, 1, 5),
        reason: "après".into(),
        recorded_on: d(2000, 1, 1),
        removed_on: None,
    });
    let worked_kinds = [
        HolidayKind::LundiDePentecote,
        HolidayKind::Ascension,
        HolidayKind::Victoire1945,
        HolidayKind::SaintEtienne,
        HolidayKind::AbolitionEsclavage,
    ];
    for kind in worked_kinds {
        if rng.below(2) == 0 {
            let first = 1990 + rng.below(100) as i32;
            settings.worked_holidays.push(WorkedHoliday {
                first_year: Some(first),
                last_year: (rng.below(2) == 0).then(|| first + rng.below(30) as i32),
                ..WorkedHoliday::every_year(
                    kind,
                    "travaillé",
                    rng.date_between(d(2000, 1, 1), d(2030, 12, 31)),
                )
            });
        }
    }
    let mut extra_kinds: Vec<HolidayKind> = territory.optional_holiday_kinds().to_vec();
    extra_kinds.push(HolidayKind::SaintEtienne);
    for kind in extra_kinds {
        if rng.below(2) == 0 {
            settings.extra_holidays.push(ExtraHoliday {
                first_year: (rng.below(2) == 0).then(|| 1990 + rng.below(100) as i32),
                ..ExtraHoliday::every_year(kind, rng.date_between(d(2000, 1, 1), d(2030, 12, 31)))
            });
        }
    }
    settings
}

#[test]
fn properties_hold_against_the_naive_reference() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let (first, last) = (DEFAULT_SPAN_START, DEFAULT_SPAN_END);
    for territory in Territory::ALL {
        let full = random_settings(&mut rng, territory);
        let as_of = full.as_of(rng.date_between(d(2000, 1, 1), d(2030, 12, 31)));
        for settings in [CalendarSettings::default(), full, as_of] {
            let cal = WorkingCalendar::new(territory, &settings);
            let naive = Naive::new(territory, &settings);

            // Every day of the span.
            let mut day = first;
            while day <= last {
                assert_eq!(
                    cal.is_working_day(day),
                    Ok(naive.is_working(day)),
                    "{territory:?} {day}"
                );
                day = day.succ_opt().expect("next day");
            }

            for _ in 0..1500 {
                let from = rng.date_between(first, d(2100, 6, 30));
                let n = rng.below(41) as u32;
                let due = cal.due_date(from, n).expect("due date in span");
                assert_eq!(due, naive.due(from, n), "{territory:?} due({from}, {n})");
                assert_eq!(cal.working_days_between(from, due), Ok(n), "{from} {n}");
                if n >= 1 {
                    assert_eq!(cal.is_working_day(due), Ok(true), "{from} {n}");
                    assert!(due > from);
                }
                let next = cal.due_date(from, n + 1).expect("due date in span");
                assert!(next > due, "monotonic: {from} {n}");
                assert_eq!(cal.is_on_time(from, due, n), Ok(true));
                // Until the next working day the answer is still on time (a weekend
                // after the due date); from it, late.
                assert_eq!(
                    cal.is_on_time(from, next - chrono::Days::new(1), n),
                    Ok(true)
                );
                assert_eq!(cal.is_on_time(from, next, n), Ok(false));

                let b = rng.date_between(
                    from - chrono::Days::new(30),
                    (from + chrono::Days::new(120)).min(last),
                );
                let b = b.max(first);
                assert_eq!(
                    cal.working_days_between(from, b),
                    Ok(naive.count(from, b)),
                    "{territory:?} count({from}, {b})"
                );
            }

            // Near the end of the span, due dates past it are errors, not guesses.
            for _ in 0..50 {
                let from = rng.date_between(d(2100, 11, 1), last);
                let n = rng.below(60) as u32;
                let expected = naive.due(from, n);
                match cal.due_date(from, n) {
                    Ok(due) => assert_eq!(due, expected),
                    Err(CalendarError::DueDateBeyondSpan { .. }) => assert!(expected > last),
                    Err(e) => panic!("unexpected {e}"),
                }
            }
        }
    }
}

#[test]
fn debug_output_stays_small() {
    let text = format!("{:?}", bare(Territory::Reunion));
    assert!(text.len() < 200, "{text}");
    assert!(text.contains("Reunion"));
}

#[test]
fn a_withdrawn_closure_stops_applying_but_stays_in_earlier_calendars() {
    let closure = Closure {
        removed_on: Some(d(2024, 6, 20)),
        ..Closure::day(d(2024, 6, 14), "travaux", d(2024, 6, 1))
    };
    let settings = CalendarSettings {
        closures: vec![closure],
        ..Default::default()
    };
    let before = WorkingCalendar::new(Territory::Metropole, &settings.as_of(d(2024, 6, 19)));
    let after = WorkingCalendar::new(Territory::Metropole, &settings.as_of(d(2024, 6, 20)));
    assert_eq!(before.is_working_day(d(2024, 6, 14)), Ok(false));
    assert_eq!(after.is_working_day(d(2024, 6, 14)), Ok(true));
}
