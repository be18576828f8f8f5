//! School holidays (vacances scolaires) by zone. They are decided by the ministry each
//! year, not computed: they come as data, either the CSV embedded in QeP
//! (`data/school-holidays.csv`) or the ministry's ICS calendar (data.education.gouv.fr,
//! dataset « fr-en-calendrier-scolaire »).
//!
//! They are not days off for a prefecture; QeP uses them to explain attendance peaks and
//! troughs, never to count deadlines.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::CalendarError;
use crate::prefecture::Department;

/// The school-holiday data shipped with QeP: see `docs/DEADLINES.md` for the years covered.
const EMBEDDED_CSV: &str = include_str!("../../data/school-holidays.csv");

/// A school-holiday zone: the three metropolitan zones, Corsica and the overseas
/// académies, which each have their own calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SchoolZone {
    A,
    B,
    C,
    Corse,
    Guadeloupe,
    Martinique,
    Guyane,
    Reunion,
    Mayotte,
}

impl SchoolZone {
    pub const ALL: [SchoolZone; 9] = [
        SchoolZone::A,
        SchoolZone::B,
        SchoolZone::C,
        SchoolZone::Corse,
        SchoolZone::Guadeloupe,
        SchoolZone::Martinique,
        SchoolZone::Guyane,
        SchoolZone::Reunion,
        SchoolZone::Mayotte,
    ];

    /// The code used in the CSV file.
    pub fn as_str(self) -> &'static str {
        match self {
            SchoolZone::A => "A",
            SchoolZone::B => "B",
            SchoolZone::C => "C",
            SchoolZone::Corse => "Corse",
            SchoolZone::Guadeloupe => "Guadeloupe",
            SchoolZone::Martinique => "Martinique",
            SchoolZone::Guyane => "Guyane",
            SchoolZone::Reunion => "Reunion",
            SchoolZone::Mayotte => "Mayotte",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SchoolZone::A => "Zone A",
            SchoolZone::B => "Zone B",
            SchoolZone::C => "Zone C",
            SchoolZone::Corse => "Corse",
            SchoolZone::Guadeloupe => "Guadeloupe",
            SchoolZone::Martinique => "Martinique",
            SchoolZone::Guyane => "Guyane",
            SchoolZone::Reunion => "La Réunion",
            SchoolZone::Mayotte => "Mayotte",
        }
    }

    /// Accepts the code (`A`, `Corse`, `Reunion`), `Zone A`, `La Réunion`, any case.
    pub fn parse(s: &str) -> Result<SchoolZone, CalendarError> {
        let n = normalize(s);
        let n = n.trim();
        let n = n.strip_prefix("zone ").unwrap_or(n).trim();
        let n = n.strip_prefix("la ").unwrap_or(n).trim();
        SchoolZone::ALL
            .into_iter()
            .find(|z| normalize(z.as_str()) == n)
            .ok_or_else(|| CalendarError::UnknownSchoolZone(s.trim().to_owned()))
    }

    /// The zone of a département's académie (zones as set by the arrêté of 2015).
    pub fn of(department: Department) -> SchoolZone {
        match department.code() {
            // Besançon, Bordeaux, Clermont-Ferrand, Dijon, Grenoble, Limoges, Lyon, Poitiers.
            "25" | "39" | "70" | "90" | "24" | "33" | "40" | "47" | "64" | "03" | "15" | "43"
            | "63" | "21" | "58" | "71" | "89" | "07" | "26" | "38" | "73" | "74" | "19" | "23"
            | "87" | "01" | "42" | "69" | "16" | "17" | "79" | "86" => SchoolZone::A,
            // Créteil, Montpellier, Paris, Toulouse, Versailles.
            "77" | "93" | "94" | "11" | "30" | "34" | "48" | "66" | "75" | "09" | "12" | "31"
            | "32" | "46" | "65" | "81" | "82" | "78" | "91" | "92" | "95" => SchoolZone::C,
            "2A" | "2B" => SchoolZone::Corse,
            "971" => SchoolZone::Guadeloupe,
            "972" => SchoolZone::Martinique,
            "973" => SchoolZone::Guyane,
            "974" => SchoolZone::Reunion,
            "976" => SchoolZone::Mayotte,
            // Aix-Marseille, Amiens, Lille, Nancy-Metz, Nantes, Nice, Normandie,
            // Orléans-Tours, Reims, Rennes, Strasbourg.
            _ => SchoolZone::B,
        }
    }
}

/// One holiday period of one zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolHoliday {
    pub zone: SchoolZone,
    pub description: String,
    /// First day without school.
    pub start: NaiveDate,
    /// Last day of the holiday (inclusive): the day before classes resume.
    pub end: NaiveDate,
}

/// A set of school-holiday periods, possibly overlapping (the ministry's ICS splits a
/// period into pieces shared by several zones).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchoolHolidays {
    entries: Vec<SchoolHoliday>,
}

const CSV_COLUMNS: [&str; 4] = ["zone", "description", "start", "end"];

impl SchoolHolidays {
    /// The data embedded in QeP (`data/school-holidays.csv`).
    pub fn embedded() -> Result<SchoolHolidays, CalendarError> {
        SchoolHolidays::parse_csv(EMBEDDED_CSV)
    }

    /// Reads `zone,description,start,end` (ISO dates, `end` inclusive), header first.
    /// Blank lines and lines starting with `#` are skipped; a field may be quoted with
    /// `"` (and `""` inside for a quote). Errors name the line and the column.
    pub fn parse_csv(text: &str) -> Result<SchoolHolidays, CalendarError> {
        let mut entries = Vec::new();
        let mut header_seen = false;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let raw = raw.trim_end_matches('\r');
            if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
                continue;
            }
            let fields = split_csv_line(raw)
                .map_err(|(column, problem)| csv_error(line, column, problem))?;
            if fields.len() != CSV_COLUMNS.len() {
                let column = fields.len().min(CSV_COLUMNS.len()) + 1;
                return Err(csv_error(
                    line,
                    column,
                    format!("4 colonnes attendues, {} trouvée(s)", fields.len()),
                ));
            }
            if !header_seen {
                for (c, (got, want)) in fields.iter().zip(CSV_COLUMNS).enumerate() {
                    if got.trim() != want {
                        return Err(csv_error(
                            line,
                            c + 1,
                            format!("en-tête « {want} » attendu, « {} » trouvé", got.trim()),
                        ));
                    }
                }
                header_seen = true;
                continue;
            }
            let zone =
                SchoolZone::parse(&fields[0]).map_err(|e| csv_error(line, 1, e.to_string()))?;
            let description = fields[1].trim().to_owned();
            if description.is_empty() {
                return Err(csv_error(line, 2, "description vide".into()));
            }
            let start = parse_iso(&fields[2]).map_err(|p| csv_error(line, 3, p))?;
            let end = parse_iso(&fields[3]).map_err(|p| csv_error(line, 4, p))?;
            if end < start {
                return Err(csv_error(
                    line,
                    4,
                    format!("la fin ({end}) précède le début ({start})"),
                ));
            }
            entries.push(SchoolHoliday {
                zone,
                description,
                start,
                end,
            });
        }
        if !header_seen {
            return Err(csv_error(
                1,
                1,
                "en-tête zone,description,start,end manquant".into(),
            ));
        }
        Ok(SchoolHolidays { entries })
    }

    /// Reads an iCalendar file such as the ministry's (data.education.gouv.fr). Each VEVENT
    /// needs DTSTART and SUMMARY; DTEND is exclusive (an all-day event ending on
    /// `20250901` ends on 31 August), and a missing or equal DTEND means one day.
    ///
    /// Only events whose summary speaks of holidays are kept (« vacances », « pont »,
    /// « sans école », « vaqueront », « férié », « banalisé »); « Rentrée scolaire » and
    /// the like are skipped. The zones are read from LOCATION, else from SUMMARY, else
    /// DESCRIPTION (« Zone A », « Zones A/B/C », « Zones A B C », « Corse », an overseas
    /// name); `default_zone` is used when none names a zone (an académie's own calendar),
    /// otherwise it is an error. Times in UTC (`…Z`) are refused: their local date depends
    /// on the zone.
    pub fn parse_ics(
        text: &str,
        default_zone: Option<SchoolZone>,
    ) -> Result<SchoolHolidays, CalendarError> {
        let mut entries = Vec::new();
        let mut event: Option<IcsEvent> = None;
        // Depth of components nested in the current VEVENT (VALARM…): their properties are
        // not the event's.
        let mut nested = 0usize;
        for (line, content) in unfold(text) {
            let Some((name, value)) = split_property(&content) else {
                if content.trim().is_empty() {
                    continue;
                }
                return Err(ics_error(line, format!("ligne illisible « {content} »")));
            };
            let is_vevent = value.trim().eq_ignore_ascii_case("VEVENT");
            if event.is_some() && !is_vevent {
                match name.as_str() {
                    "BEGIN" => {
                        nested += 1;
                        continue;
                    }
                    "END" => {
                        nested = nested.saturating_sub(1);
                        continue;
                    }
                    _ if nested > 0 => continue,
                    _ => {}
                }
            }
            match (name.as_str(), event.as_mut()) {
                ("BEGIN", None) if is_vevent => {
                    event = Some(IcsEvent {
                        line,
                        ..IcsEvent::default()
                    });
                }
                ("BEGIN", Some(_)) if is_vevent => {
                    return Err(ics_error(line, "BEGIN:VEVENT avant END:VEVENT".into()));
                }
                ("END", Some(_)) if is_vevent => {
                    nested = 0;
                    if let Some(ev) = event.take() {
                        ev.finish(default_zone, &mut entries)?;
                    }
                }
                ("DTSTART", Some(ev)) => ev.start = Some(parse_ics_date(line, &value)?),
                ("DTEND", Some(ev)) => ev.end = Some(parse_ics_date(line, &value)?),
                ("SUMMARY", Some(ev)) => ev.summary = Some(unescape(&value)),
                ("LOCATION", Some(ev)) => ev.location = Some(unescape(&value)),
                ("DESCRIPTION", Some(ev)) => ev.description = Some(unescape(&value)),
                _ => {}
            }
        }
        if let Some(ev) = event {
            return Err(ics_error(ev.line, "VEVENT sans END:VEVENT".into()));
        }
        Ok(SchoolHolidays { entries })
    }

    /// Whether `date` falls in a school holiday of `zone`. `false` outside the data's
    /// coverage: check [`SchoolHolidays::coverage`] to tell "school day" from "unknown".
    pub fn is_school_holiday(&self, zone: SchoolZone, date: NaiveDate) -> bool {
        self.entries
            .iter()
            .any(|h| h.zone == zone && h.start <= date && date <= h.end)
    }

    /// First and last day covered by the periods of `zone`, if it has any.
    pub fn coverage(&self, zone: SchoolZone) -> Option<(NaiveDate, NaiveDate)> {
        let mut of_zone = self.entries.iter().filter(|h| h.zone == zone);
        let first = of_zone.next()?;
        Some(of_zone.fold((first.start, first.end), |(s, e), h| {
            (s.min(h.start), e.max(h.end))
        }))
    }

    /// All periods, in the order read.
    pub fn entries(&self) -> &[SchoolHoliday] {
        &self.entries
    }
}

fn csv_error(line: usize, column: usize, problem: String) -> CalendarError {
    CalendarError::Csv {
        line,
        column,
        name: CSV_COLUMNS.get(column - 1).copied().unwrap_or("en trop"),
        problem,
    }
}

fn ics_error(line: usize, problem: String) -> CalendarError {
    CalendarError::Ics { line, problem }
}

fn parse_iso(field: &str) -> Result<NaiveDate, String> {
    let field = field.trim();
    NaiveDate::parse_from_str(field, "%Y-%m-%d")
        .map_err(|_| format!("date « {field} » invalide, attendu AAAA-MM-JJ"))
}

/// Splits one CSV line; on error gives the (1-based) column and the problem.
fn split_csv_line(line: &str) -> Result<Vec<String>, (usize, String)> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let column = fields.len() + 1;
        let mut field = String::new();
        // Leading spaces before a quote are tolerated.
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err((column, "guillemet non refermé".into())),
                }
            }
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(c) => {
                    return Err((
                        column,
                        format!("« {c} » inattendu après un champ entre guillemets"),
                    ));
                }
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => {
                        fields.push(field);
                        break;
                    }
                    Some(c) => field.push(c),
                }
            }
        }
    }
}

/// One VEVENT being read.
#[derive(Default)]
struct IcsEvent {
    /// Line of its BEGIN:VEVENT, for errors.
    line: usize,
    start: Option<IcsDate>,
    end: Option<IcsDate>,
    summary: Option<String>,
    location: Option<String>,
    description: Option<String>,
}

#[derive(Clone, Copy)]
struct IcsDate {
    date: NaiveDate,
    /// A DATE-TIME after midnight: DTEND's day is then partly in the event.
    after_midnight: bool,
}

impl IcsEvent {
    fn finish(
        self,
        default_zone: Option<SchoolZone>,
        out: &mut Vec<SchoolHoliday>,
    ) -> Result<(), CalendarError> {
        let Some(summary) = self.summary else {
            return Err(ics_error(self.line, "VEVENT sans SUMMARY".into()));
        };
        let Some(start) = self.start else {
            return Err(ics_error(self.line, "VEVENT sans DTSTART".into()));
        };
        if !is_holiday_summary(&summary) {
            return Ok(());
        }
        let start = start.date;
        let end = match self.end {
            None => start,
            Some(end) if end.date < start => {
                return Err(ics_error(
                    self.line,
                    format!("DTEND ({}) précède DTSTART ({start})", end.date),
                ));
            }
            Some(end) if end.after_midnight => end.date,
            // DTEND is exclusive; DTEND = DTSTART is read as one day.
            Some(end) => end.date.pred_opt().unwrap_or(end.date).max(start),
        };
        let mut zones = Vec::new();
        for text in [&self.location, &Some(summary.clone()), &self.description]
            .into_iter()
            .flatten()
        {
            zones = zones_in(text);
            if !zones.is_empty() {
                break;
            }
        }
        if zones.is_empty() {
            match default_zone {
                Some(zone) => zones.push(zone),
                None => {
                    return Err(ics_error(
                        self.line,
                        format!("aucune zone scolaire reconnue pour « {summary} »"),
                    ));
                }
            }
        }
        for zone in zones {
            out.push(SchoolHoliday {
                zone,
                description: summary.clone(),
                start,
                end,
            });
        }
        Ok(())
    }
}

fn is_holiday_summary(summary: &str) -> bool {
    let s = normalize(summary);
    [
        "vacances",
        "pont",
        "sans ecole",
        "vaqueront",
        "ferie",
        "banalise",
    ]
    .iter()
    .any(|word| s.contains(word))
}

/// Zones named in a text: « Zone A », « Zones A/B/C », « Zones A B C », « Zones A, B et
/// C », and the names of Corsica and the overseas zones.
fn zones_in(text: &str) -> Vec<SchoolZone> {
    let normalized = normalize(text);
    let tokens: Vec<&str> = normalized
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let mut zones = Vec::new();
    let mut push = |z: SchoolZone| {
        if !zones.contains(&z) {
            zones.push(z);
        }
    };
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i] {
            "zone" | "zones" => {
                let mut j = i + 1;
                while let Some(&t) = tokens.get(j) {
                    match t {
                        "a" => push(SchoolZone::A),
                        "b" => push(SchoolZone::B),
                        "c" => push(SchoolZone::C),
                        "et" => {}
                        _ => break,
                    }
                    j += 1;
                }
                i = j;
                continue;
            }
            "corse" => push(SchoolZone::Corse),
            "guadeloupe" => push(SchoolZone::Guadeloupe),
            "martinique" => push(SchoolZone::Martinique),
            "guyane" => push(SchoolZone::Guyane),
            "reunion" => push(SchoolZone::Reunion),
            "mayotte" => push(SchoolZone::Mayotte),
            _ => {}
        }
        i += 1;
    }
    zones
}

/// Lower case, French accents removed: for matching words, not for display.
fn normalize(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            '’' => '\'',
            other => other,
        })
        .collect()
}

/// Content lines with folding undone (RFC 5545 §3.1: a line starting with a space or a
/// tab continues the previous one), each with the number of its first physical line.
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.trim_end_matches('\r');
        if let Some(rest) = raw.strip_prefix([' ', '\t'])
            && let Some((_, last)) = out.last_mut()
        {
            last.push_str(rest);
            continue;
        }
        out.push((i + 1, raw.to_owned()));
    }
    out
}

/// `NAME;PARAM=…:VALUE` → (`NAME` upper-cased, `VALUE`). Colons inside quoted
/// parameter values are skipped.
fn split_property(line: &str) -> Option<(String, String)> {
    let mut in_quotes = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ':' if !in_quotes => {
                let head = &line[..i];
                let name = head.split(';').next().unwrap_or(head).trim();
                if name.is_empty() {
                    return None;
                }
                return Some((name.to_ascii_uppercase(), line[i + 1..].to_owned()));
            }
            _ => {}
        }
    }
    None
}

/// `YYYYMMDD` or `YYYYMMDDTHHMMSS` (floating or with TZID: the date is read as written).
fn parse_ics_date(line: usize, value: &str) -> Result<IcsDate, CalendarError> {
    let value = value.trim();
    let bad = || {
        ics_error(
            line,
            format!("date « {value} » illisible, attendu AAAAMMJJ"),
        )
    };
    if value.ends_with(['Z', 'z']) {
        return Err(ics_error(
            line,
            format!("heure UTC « {value} » refusée : sa date locale dépend de la zone"),
        ));
    }
    let (day, time) = match value.split_once(['T', 't']) {
        Some((day, time)) => (day, Some(time)),
        None => (value, None),
    };
    if day.len() != 8 || !day.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let date = NaiveDate::parse_from_str(day, "%Y%m%d").map_err(|_| bad())?;
    let after_midnight = match time {
        None => false,
        Some(t) if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) => t != "000000",
        Some(_) => return Err(bad()),
    };
    Ok(IcsDate {
        date,
        after_midnight,
    })
}

/// TEXT value escapes (RFC 5545 §3.3.11).
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn embedded_data_parses_and_is_consistent() {
        let s = SchoolHolidays::embedded().expect("embedded CSV parses");
        assert!(s.entries().len() > 50);
        for h in s.entries() {
            assert!(h.start <= h.end, "{h:?}");
            // A period lasts at most the summer.
            assert!((h.end - h.start).num_days() < 70, "{h:?}");
        }
        // Winter 2024: C first, then A, then B.
        assert!(s.is_school_holiday(SchoolZone::C, d(2024, 2, 12)));
        assert!(!s.is_school_holiday(SchoolZone::A, d(2024, 2, 12)));
        assert!(s.is_school_holiday(SchoolZone::A, d(2024, 3, 3)));
        assert!(!s.is_school_holiday(SchoolZone::A, d(2024, 3, 4)));
        assert!(s.is_school_holiday(SchoolZone::B, d(2024, 3, 8)));
        // Spring 2025, zone B resumes on Tuesday 22 April (Easter Monday on the 21st).
        assert!(s.is_school_holiday(SchoolZone::B, d(2025, 4, 21)));
        assert!(!s.is_school_holiday(SchoolZone::B, d(2025, 4, 22)));
        // Christmas 2025, all zones, Corsica too.
        for z in [
            SchoolZone::A,
            SchoolZone::B,
            SchoolZone::C,
            SchoolZone::Corse,
        ] {
            assert!(s.is_school_holiday(z, d(2025, 12, 24)), "{z:?}");
            assert!(!s.is_school_holiday(z, d(2026, 1, 5)), "{z:?}");
        }
        // Pont de l'Ascension 2026.
        assert!(s.is_school_holiday(SchoolZone::A, d(2026, 5, 15)));
        // No overseas data shipped.
        assert_eq!(s.coverage(SchoolZone::Reunion), None);
        let (first, last) = s.coverage(SchoolZone::A).expect("zone A covered");
        assert_eq!(first, d(2023, 10, 21));
        assert!(last >= d(2027, 5, 1));
    }

    #[test]
    fn csv_errors_name_line_and_column() {
        let head = "zone,description,start,end\n";
        let err = |body: &str| SchoolHolidays::parse_csv(&format!("{head}{body}")).err();
        assert_eq!(
            err("A,Vacances,2024-02-30,2024-03-01\n"),
            Some(CalendarError::Csv {
                line: 2,
                column: 3,
                name: "start",
                problem: "date « 2024-02-30 » invalide, attendu AAAA-MM-JJ".into(),
            })
        );
        let e = err("# comment\n\nD,Vacances,2024-02-10,2024-03-01\n").expect("error");
        assert!(
            matches!(
                e,
                CalendarError::Csv {
                    line: 4,
                    column: 1,
                    ..
                }
            ),
            "{e}"
        );
        assert!(
            e.to_string()
                .starts_with("ligne 4, colonne 1 (« zone ») : "),
            "{e}"
        );
        let e = err("A,Vacances,2024-02-10\n").expect("error");
        assert!(
            matches!(
                e,
                CalendarError::Csv {
                    line: 2,
                    column: 4,
                    ..
                }
            ),
            "{e}"
        );
        let e = err("A,Vacances,2024-02-10,2024-02-01\n").expect("error");
        assert!(
            matches!(
                e,
                CalendarError::Csv {
                    line: 2,
                    column: 4,
                    ..
                }
            ),
            "{e}"
        );
        let e = err("A,,2024-02-10,2024-02-11\n").expect("error");
        assert!(
            matches!(
                e,
                CalendarError::Csv {
                    line: 2,
                    column: 2,
                    ..
                }
            ),
            "{e}"
        );
        let e = SchoolHolidays::parse_csv("zone,desc,start,end\n").expect_err("bad header");
        assert!(
            matches!(
                e,
                CalendarError::Csv {
                    line: 1,
                    column: 2,
                    ..
                }
            ),
            "{e}"
        );
        assert!(SchoolHolidays::parse_csv("").is_err());
        let ok = SchoolHolidays::parse_csv(&format!(
            "{head}\"Zone A\",\"Vacances, \"\"hiver\"\"\",2024-02-17,2024-03-03\r\n"
        ))
        .expect("quoted fields");
        assert_eq!(ok.entries()[0].description, "Vacances, \"hiver\"");
        assert_eq!(ok.entries()[0].zone, SchoolZone::A);
    }

    const MINISTRY_ICS: &str = "BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//data.education.gouv.fr//Calendrier scolaire//FR\r
BEGIN:VEVENT\r
DTSTAMP:20250114T124531Z\r
DTSTART;VALUE=DATE:20260214\r
DTEND;VALUE=DATE:20260221\r
SUMMARY:Vacances d'Hiver - Zones A/B\r
LOCATION:Zones A/B\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20250705\r
DTEND;VALUE=DATE:20250901\r
SUMMARY:Vacances d'Été - Zones A/B/C\r
LOCATION:Zones A/B/C\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20250901\r
SUMMARY:Rentrée scolaire des élèves - Zones A/B/C\r
LOCATION:Zones A/B/C\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20260704\r
DTEND;VALUE=DATE:20260704\r
SUMMARY:Début des Vacances d'Été - Corse\r
LOCATION:Corse\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20081025\r
DTEND;VALUE=DATE:20081106\r
LOCATION:Aix-Marseille\\, Amiens\\, Besançon\\, Bordeaux\\, Caen\\, Clermont-Fe\r
 rrand\\, Créteil\r
SUMMARY:Vacances de la Toussaint - Zones A B C\r
END:VEVENT\r
END:VCALENDAR\r
";

    #[test]
    fn ics_reads_ministry_events() {
        let s = SchoolHolidays::parse_ics(MINISTRY_ICS, None).expect("parses");
        let rows: Vec<(SchoolZone, NaiveDate, NaiveDate)> = s
            .entries()
            .iter()
            .map(|h| (h.zone, h.start, h.end))
            .collect();
        assert_eq!(
            rows,
            vec![
                (SchoolZone::A, d(2026, 2, 14), d(2026, 2, 20)),
                (SchoolZone::B, d(2026, 2, 14), d(2026, 2, 20)),
                (SchoolZone::A, d(2025, 7, 5), d(2025, 8, 31)),
                (SchoolZone::B, d(2025, 7, 5), d(2025, 8, 31)),
                (SchoolZone::C, d(2025, 7, 5), d(2025, 8, 31)),
                (SchoolZone::Corse, d(2026, 7, 4), d(2026, 7, 4)),
                (SchoolZone::A, d(2008, 10, 25), d(2008, 11, 5)),
                (SchoolZone::B, d(2008, 10, 25), d(2008, 11, 5)),
                (SchoolZone::C, d(2008, 10, 25), d(2008, 11, 5)),
            ]
        );
        assert!(s.is_school_holiday(SchoolZone::B, d(2025, 8, 31)));
        // DTEND is exclusive: 1 September is the rentrée.
        assert!(!s.is_school_holiday(SchoolZone::B, d(2025, 9, 1)));
    }

    #[test]
    fn ics_zone_fallbacks_and_errors() {
        let academy = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20250215\n\
                       DTEND;VALUE=DATE:20250303\nSUMMARY:Vacances d'hiver\nEND:VEVENT\n\
                       END:VCALENDAR\n";
        let e = SchoolHolidays::parse_ics(academy, None).expect_err("no zone");
        assert!(matches!(e, CalendarError::Ics { line: 2, .. }), "{e}");
        let s = SchoolHolidays::parse_ics(academy, Some(SchoolZone::Corse)).expect("default zone");
        assert_eq!(s.entries()[0].zone, SchoolZone::Corse);
        assert_eq!(s.entries()[0].end, d(2025, 3, 2));

        let utc = "BEGIN:VEVENT\nDTSTART:20231020T220000Z\nSUMMARY:Vacances - Zone A\nEND:VEVENT\n";
        let e = SchoolHolidays::parse_ics(utc, None).expect_err("UTC refused");
        assert!(matches!(e, CalendarError::Ics { line: 2, .. }), "{e}");

        let inverted = "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20240210\nDTEND;VALUE=DATE:20240201\n\
                        SUMMARY:Vacances - Zone A\nEND:VEVENT\n";
        assert!(SchoolHolidays::parse_ics(inverted, None).is_err());
        let unclosed = "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20240210\nSUMMARY:Vacances - Zone A\n";
        assert!(SchoolHolidays::parse_ics(unclosed, None).is_err());
        let with_alarm = "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20240210\nSUMMARY:Vacances - Zone A\n\
                          BEGIN:VALARM\nDESCRIPTION:Rappel Zone B\nEND:VALARM\nEND:VEVENT\n";
        let s = SchoolHolidays::parse_ics(with_alarm, None).expect("alarm skipped");
        assert_eq!(s.entries().len(), 1);
        assert_eq!(s.entries()[0].zone, SchoolZone::A);
        let timed = "BEGIN:VEVENT\nDTSTART:20240510T080000\nDTEND:20240510T170000\n\
                     SUMMARY:Pont - Zone C\nEND:VEVENT\n";
        let s = SchoolHolidays::parse_ics(timed, None).expect("timed event");
        assert_eq!(
            (s.entries()[0].start, s.entries()[0].end),
            (d(2024, 5, 10), d(2024, 5, 10))
        );
    }

    #[test]
    fn zones_parse_and_map_departments() {
        assert_eq!(SchoolZone::parse("zone b"), Ok(SchoolZone::B));
        assert_eq!(SchoolZone::parse("La Réunion"), Ok(SchoolZone::Reunion));
        assert_eq!(SchoolZone::parse(" Corse "), Ok(SchoolZone::Corse));
        assert!(SchoolZone::parse("D").is_err());
        for z in SchoolZone::ALL {
            assert_eq!(SchoolZone::parse(z.as_str()), Ok(z));
            assert_eq!(SchoolZone::parse(z.label()), Ok(z));
        }
        let zone = |code: &str| SchoolZone::of(Department::parse(code).expect("department"));
        assert_eq!(zone("75"), SchoolZone::C);
        assert_eq!(zone("69"), SchoolZone::A);
        assert_eq!(zone("67"), SchoolZone::B);
        assert_eq!(zone("61"), SchoolZone::B);
        assert_eq!(zone("2B"), SchoolZone::Corse);
        assert_eq!(zone("974"), SchoolZone::Reunion);
        let count = |z| {
            Department::all()
                .filter(|&d| SchoolZone::of(d) == z)
                .count()
        };
        assert_eq!(count(SchoolZone::A), 32);
        assert_eq!(count(SchoolZone::B), 41);
        assert_eq!(count(SchoolZone::C), 21);
        assert_eq!(count(SchoolZone::Corse), 2);
    }
}
