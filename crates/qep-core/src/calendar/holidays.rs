//! Public holidays (jours fériés): which ones each territory has, and on which date they
//! fall in a given year. Everything is computed from a rule (a fixed day, or an offset
//! from Easter Sunday), so there is no table that runs out.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{CalendarError, Territory};

/// Easter Sunday of `year` in the Gregorian calendar (anonymous Gregorian computus, also
/// known as Meeus/Jones/Butcher), valid for any year: proleptic before 1583.
///
/// # Panics
///
/// Only if `year` is outside the range `NaiveDate` can represent (about ±262 000).
pub fn easter_sunday(year: i32) -> NaiveDate {
    match easter_opt(year) {
        Some(date) => date,
        None => panic!("année {year} hors de la plage des dates représentables"),
    }
}

/// Easter Sunday, or `None` when the year cannot be represented by `NaiveDate`.
pub(crate) fn easter_opt(year: i32) -> Option<NaiveDate> {
    // Euclidean division keeps the arithmetic right for negative (proleptic) years too.
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    // 107 ≤ n ≤ 149: month 3 or 4.
    let n = h + l - 7 * m + 114;
    let month = u32::try_from(n / 31).ok()?;
    let day = u32::try_from(n % 31 + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Every holiday QeP knows: the statutory ones (national, Alsace-Moselle, overseas
/// abolition of slavery) and the local days a site may switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// 1 January.
    JourDeLAn,
    /// Easter − 2; statutory in Alsace-Moselle only.
    VendrediSaint,
    /// Easter + 1.
    LundiDePaques,
    /// 1 May.
    FeteDuTravail,
    /// 8 May.
    Victoire1945,
    /// Easter + 39.
    Ascension,
    /// Easter + 50.
    LundiDePentecote,
    /// 14 July.
    FeteNationale,
    /// 15 August.
    Assomption,
    /// 1 November.
    Toussaint,
    /// 11 November.
    Armistice1918,
    /// 25 December.
    Noel,
    /// 26 December; statutory in Alsace-Moselle only.
    SaintEtienne,
    /// Overseas only; the date depends on the territory.
    AbolitionEsclavage,
    /// Easter − 48 (carnival, Antilles and Guyane); optional.
    LundiGras,
    /// Easter − 47 (carnival, Antilles and Guyane); optional.
    MardiGras,
    /// Easter − 46 (carnival, Antilles and Guyane); optional.
    MercrediDesCendres,
    /// Easter − 24, the Thursday in the middle of Lent (Antilles); optional.
    MiCareme,
    /// 21 July (Guadeloupe, Martinique); optional.
    FeteVictorSchoelcher,
}

/// How a holiday's date is found.
enum Rule {
    Fixed {
        month: u32,
        day: u32,
    },
    /// Days after (or, negative, before) Easter Sunday.
    Easter(i32),
    /// The territory's own date for the abolition of slavery.
    Abolition,
}

impl HolidayKind {
    pub const ALL: [HolidayKind; 19] = [
        HolidayKind::JourDeLAn,
        HolidayKind::VendrediSaint,
        HolidayKind::LundiDePaques,
        HolidayKind::FeteDuTravail,
        HolidayKind::Victoire1945,
        HolidayKind::Ascension,
        HolidayKind::LundiDePentecote,
        HolidayKind::FeteNationale,
        HolidayKind::Assomption,
        HolidayKind::Toussaint,
        HolidayKind::Armistice1918,
        HolidayKind::Noel,
        HolidayKind::SaintEtienne,
        HolidayKind::AbolitionEsclavage,
        HolidayKind::LundiGras,
        HolidayKind::MardiGras,
        HolidayKind::MercrediDesCendres,
        HolidayKind::MiCareme,
        HolidayKind::FeteVictorSchoelcher,
    ];

    /// Stable identifier, as stored in settings (same as the serde form).
    pub fn as_str(self) -> &'static str {
        match self {
            HolidayKind::JourDeLAn => "jour_de_l_an",
            HolidayKind::VendrediSaint => "vendredi_saint",
            HolidayKind::LundiDePaques => "lundi_de_paques",
            HolidayKind::FeteDuTravail => "fete_du_travail",
            HolidayKind::Victoire1945 => "victoire1945",
            HolidayKind::Ascension => "ascension",
            HolidayKind::LundiDePentecote => "lundi_de_pentecote",
            HolidayKind::FeteNationale => "fete_nationale",
            HolidayKind::Assomption => "assomption",
            HolidayKind::Toussaint => "toussaint",
            HolidayKind::Armistice1918 => "armistice1918",
            HolidayKind::Noel => "noel",
            HolidayKind::SaintEtienne => "saint_etienne",
            HolidayKind::AbolitionEsclavage => "abolition_esclavage",
            HolidayKind::LundiGras => "lundi_gras",
            HolidayKind::MardiGras => "mardi_gras",
            HolidayKind::MercrediDesCendres => "mercredi_des_cendres",
            HolidayKind::MiCareme => "mi_careme",
            HolidayKind::FeteVictorSchoelcher => "fete_victor_schoelcher",
        }
    }

    /// The French name a user reads.
    pub fn name(self) -> &'static str {
        match self {
            HolidayKind::JourDeLAn => "Jour de l'an",
            HolidayKind::VendrediSaint => "Vendredi saint",
            HolidayKind::LundiDePaques => "Lundi de Pâques",
            HolidayKind::FeteDuTravail => "Fête du Travail",
            HolidayKind::Victoire1945 => "Victoire 1945",
            HolidayKind::Ascension => "Ascension",
            HolidayKind::LundiDePentecote => "Lundi de Pentecôte",
            HolidayKind::FeteNationale => "Fête nationale",
            HolidayKind::Assomption => "Assomption",
            HolidayKind::Toussaint => "Toussaint",
            HolidayKind::Armistice1918 => "Armistice 1918",
            HolidayKind::Noel => "Noël",
            HolidayKind::SaintEtienne => "Saint-Étienne",
            HolidayKind::AbolitionEsclavage => "Abolition de l'esclavage",
            HolidayKind::LundiGras => "Lundi gras",
            HolidayKind::MardiGras => "Mardi gras",
            HolidayKind::MercrediDesCendres => "Mercredi des Cendres",
            HolidayKind::MiCareme => "Mi-Carême",
            HolidayKind::FeteVictorSchoelcher => "Fête Victor Schœlcher",
        }
    }

    /// Reads the identifier of [`HolidayKind::as_str`].
    pub fn parse(s: &str) -> Result<HolidayKind, CalendarError> {
        let wanted = s.trim().to_ascii_lowercase();
        HolidayKind::ALL
            .into_iter()
            .find(|k| k.as_str() == wanted)
            .ok_or_else(|| CalendarError::UnknownHoliday(s.trim().to_owned()))
    }

    fn rule(self) -> Rule {
        let fixed = |month, day| Rule::Fixed { month, day };
        match self {
            HolidayKind::JourDeLAn => fixed(1, 1),
            HolidayKind::VendrediSaint => Rule::Easter(-2),
            HolidayKind::LundiDePaques => Rule::Easter(1),
            HolidayKind::FeteDuTravail => fixed(5, 1),
            HolidayKind::Victoire1945 => fixed(5, 8),
            HolidayKind::Ascension => Rule::Easter(39),
            HolidayKind::LundiDePentecote => Rule::Easter(50),
            HolidayKind::FeteNationale => fixed(7, 14),
            HolidayKind::Assomption => fixed(8, 15),
            HolidayKind::Toussaint => fixed(11, 1),
            HolidayKind::Armistice1918 => fixed(11, 11),
            HolidayKind::Noel => fixed(12, 25),
            HolidayKind::SaintEtienne => fixed(12, 26),
            HolidayKind::AbolitionEsclavage => Rule::Abolition,
            HolidayKind::LundiGras => Rule::Easter(-48),
            HolidayKind::MardiGras => Rule::Easter(-47),
            HolidayKind::MercrediDesCendres => Rule::Easter(-46),
            HolidayKind::MiCareme => Rule::Easter(-24),
            HolidayKind::FeteVictorSchoelcher => fixed(7, 21),
        }
    }

    /// The date of this holiday in `year` for `territory`; `None` when it has no date
    /// there (the abolition of slavery in metropolitan France) or the year cannot be
    /// represented.
    pub fn date_in(self, year: i32, territory: Territory) -> Option<NaiveDate> {
        match self.rule() {
            Rule::Fixed { month, day } => NaiveDate::from_ymd_opt(year, month, day),
            Rule::Easter(offset) => {
                let easter = easter_opt(year)?;
                NaiveDate::from_num_days_from_ce_opt(easter.num_days_from_ce() + offset)
            }
            Rule::Abolition => {
                let (month, day) = abolition_day(territory)?;
                NaiveDate::from_ymd_opt(year, month, day)
            }
        }
    }
}

impl std::fmt::Display for HolidayKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Abolition of slavery day (loi n° 83-550 and décret n° 83-1003): one date per
/// overseas département.
fn abolition_day(territory: Territory) -> Option<(u32, u32)> {
    match territory {
        Territory::Guadeloupe => Some((5, 27)),
        Territory::Martinique => Some((5, 22)),
        Territory::Guyane => Some((6, 10)),
        Territory::Reunion => Some((12, 20)),
        Territory::Mayotte => Some((4, 27)),
        Territory::Metropole | Territory::AlsaceMoselle => None,
    }
}

const NATIONAL: [HolidayKind; 11] = [
    HolidayKind::JourDeLAn,
    HolidayKind::LundiDePaques,
    HolidayKind::FeteDuTravail,
    HolidayKind::Victoire1945,
    HolidayKind::Ascension,
    HolidayKind::LundiDePentecote,
    HolidayKind::FeteNationale,
    HolidayKind::Assomption,
    HolidayKind::Toussaint,
    HolidayKind::Armistice1918,
    HolidayKind::Noel,
];

const ALSACE_MOSELLE: [HolidayKind; 13] = [
    HolidayKind::JourDeLAn,
    HolidayKind::VendrediSaint,
    HolidayKind::LundiDePaques,
    HolidayKind::FeteDuTravail,
    HolidayKind::Victoire1945,
    HolidayKind::Ascension,
    HolidayKind::LundiDePentecote,
    HolidayKind::FeteNationale,
    HolidayKind::Assomption,
    HolidayKind::Toussaint,
    HolidayKind::Armistice1918,
    HolidayKind::Noel,
    HolidayKind::SaintEtienne,
];

const OVERSEAS: [HolidayKind; 12] = [
    HolidayKind::JourDeLAn,
    HolidayKind::LundiDePaques,
    HolidayKind::FeteDuTravail,
    HolidayKind::Victoire1945,
    HolidayKind::Ascension,
    HolidayKind::LundiDePentecote,
    HolidayKind::FeteNationale,
    HolidayKind::Assomption,
    HolidayKind::Toussaint,
    HolidayKind::Armistice1918,
    HolidayKind::Noel,
    HolidayKind::AbolitionEsclavage,
];

const ANTILLES_OPTIONAL: [HolidayKind; 6] = [
    HolidayKind::LundiGras,
    HolidayKind::MardiGras,
    HolidayKind::MercrediDesCendres,
    HolidayKind::MiCareme,
    HolidayKind::VendrediSaint,
    HolidayKind::FeteVictorSchoelcher,
];

const GUYANE_OPTIONAL: [HolidayKind; 4] = [
    HolidayKind::LundiGras,
    HolidayKind::MardiGras,
    HolidayKind::MercrediDesCendres,
    HolidayKind::VendrediSaint,
];

/// The statutory holidays of a territory (always days off unless the site works them).
pub(crate) fn statutory(territory: Territory) -> &'static [HolidayKind] {
    match territory {
        Territory::Metropole => &NATIONAL,
        Territory::AlsaceMoselle => &ALSACE_MOSELLE,
        Territory::Guadeloupe
        | Territory::Martinique
        | Territory::Guyane
        | Territory::Reunion
        | Territory::Mayotte => &OVERSEAS,
    }
}

/// Local days commonly off in a territory but not statutory: offered to the site, off by
/// default.
pub(crate) fn optional(territory: Territory) -> &'static [HolidayKind] {
    match territory {
        Territory::Guadeloupe | Territory::Martinique => &ANTILLES_OPTIONAL,
        Territory::Guyane => &GUYANE_OPTIONAL,
        Territory::Metropole
        | Territory::AlsaceMoselle
        | Territory::Reunion
        | Territory::Mayotte => &[],
    }
}

/// Dates of the given kinds in `year`, sorted by date (ties keep the order of `kinds`),
/// skipping kinds without a date there and duplicate kinds.
pub(crate) fn dated(
    territory: Territory,
    year: i32,
    kinds: impl IntoIterator<Item = HolidayKind>,
) -> Vec<(NaiveDate, HolidayKind)> {
    let mut seen: Vec<HolidayKind> = Vec::new();
    let mut out: Vec<(NaiveDate, HolidayKind)> = Vec::new();
    for kind in kinds {
        if seen.contains(&kind) {
            continue;
        }
        seen.push(kind);
        if let Some(date) = kind.date_in(year, territory) {
            out.push((date, kind));
        }
    }
    out.sort_by_key(|&(date, _)| date);
    out
}
