//! Indicators computed from imported statistics.
//!
//! Files from the telephony switch, the ministry (title and residence-permit delays,
//! fraud counts), web analytics and social networks are reduced at import to *facts*: one
//! number per (source, period, key, measure), e.g. (`telephony`, `2020-03`, `standard`,
//! `answered`) = 1 204. A fact's natural key is those four parts: a corrected file
//! replaces the facts it carries and leaves the others.
//!
//! [`derive`] turns facts into the values of the référentiel's indicators (`m1.phone.*`,
//! `m1.web.connection_rate`, `m1.social.*`, `m2.*`, `m3.*`, `tr.*`), with numerators,
//! denominators and weights so that quarters and years roll up by the usual rules
//! (pooled rates, means weighted by the number of files).

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::engine::EnteredValue;
use super::period::Period;

/// Where a fact comes from: which kind of file, and so which indicators it feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactSource {
    /// Call logs, one row per call, counted per day and line.
    Calls,
    /// Telephony statistics already counted per line and month.
    Telephony,
    /// Title delays (identity cards, passports, driving licences, vehicle registrations).
    Titles,
    /// Residence-permit delays (first applications, renewals).
    Foreigners,
    /// Document fraud detected, with the files processed.
    Fraud,
    /// Website visitors and the département's population.
    Web,
    /// Social network statistics.
    Social,
}

impl FactSource {
    pub const ALL: [FactSource; 7] = [
        FactSource::Calls,
        FactSource::Telephony,
        FactSource::Titles,
        FactSource::Foreigners,
        FactSource::Fraud,
        FactSource::Web,
        FactSource::Social,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FactSource::Calls => "calls",
            FactSource::Telephony => "telephony",
            FactSource::Titles => "titles",
            FactSource::Foreigners => "foreigners",
            FactSource::Fraud => "fraud",
            FactSource::Web => "web",
            FactSource::Social => "social",
        }
    }

    pub fn parse(s: &str) -> Option<FactSource> {
        FactSource::ALL.into_iter().find(|f| f.as_str() == s.trim())
    }

    /// What the source is, for people.
    pub fn label(self) -> &'static str {
        match self {
            FactSource::Calls => "journal d'appels (une ligne par appel)",
            FactSource::Telephony => "statistiques téléphoniques par ligne et par mois",
            FactSource::Titles => "délais de délivrance des titres",
            FactSource::Foreigners => "délais des titres de séjour",
            FactSource::Fraud => "fraude documentaire",
            FactSource::Web => "fréquentation du site internet",
            FactSource::Social => "statistiques des réseaux sociaux",
        }
    }
}

impl fmt::Display for FactSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a fact counts or measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Calls presented.
    Presented,
    /// Calls answered.
    Answered,
    /// Calls answered in fewer than 5 rings.
    Within5Rings,
    /// Calls lost (not answered or abandoned).
    Lost,
    /// A mean delay in calendar days.
    Delay,
    /// Files behind a mean delay or a fraud rate.
    Files,
    /// Fraud detected.
    Frauds,
    Visitors,
    Population,
    Connections,
    Impressions,
    Engagements,
}

impl Measure {
    pub const ALL: [Measure; 12] = [
        Measure::Presented,
        Measure::Answered,
        Measure::Within5Rings,
        Measure::Lost,
        Measure::Delay,
        Measure::Files,
        Measure::Frauds,
        Measure::Visitors,
        Measure::Population,
        Measure::Connections,
        Measure::Impressions,
        Measure::Engagements,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Presented => "presented",
            Measure::Answered => "answered",
            Measure::Within5Rings => "within_5_rings",
            Measure::Lost => "lost",
            Measure::Delay => "delay",
            Measure::Files => "files",
            Measure::Frauds => "frauds",
            Measure::Visitors => "visitors",
            Measure::Population => "population",
            Measure::Connections => "connections",
            Measure::Impressions => "impressions",
            Measure::Engagements => "engagements",
        }
    }

    pub fn parse(s: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.as_str() == s.trim())
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A day (call logs are counted per day, so that weekly exports add up) or a reporting
/// period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FactPeriod {
    Day(NaiveDate),
    Period(Period),
}

impl FactPeriod {
    /// `2020-03-02` or any [`Period`] form.
    pub fn parse(s: &str) -> Option<FactPeriod> {
        let t = s.trim();
        if t.len() == 10 {
            return NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .map(FactPeriod::Day);
        }
        Period::parse(t).ok().map(FactPeriod::Period)
    }

    /// The reporting period the fact counts in: its month for a day.
    pub fn bucket(self) -> Period {
        match self {
            FactPeriod::Day(d) => Period::of_month(d),
            FactPeriod::Period(p) => p,
        }
    }

    pub fn year(self) -> i32 {
        self.bucket().year()
    }
}

impl fmt::Display for FactPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FactPeriod::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            FactPeriod::Period(p) => write!(f, "{p}"),
        }
    }
}

/// One imported number.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub source: FactSource,
    pub period: FactPeriod,
    /// The telephone line, the title, the kind of application, the network…
    pub key: String,
    pub measure: Measure,
    pub value: f64,
}

/// Keys of the title and residence-permit sources, and of fraud counts.
pub mod keys {
    /// Identity cards, availability delay (application to availability in the town hall).
    pub const ID: &str = "id";
    pub const PASSPORT: &str = "passport";
    /// Identity cards and passports, processing delay at the CERT.
    pub const ID_PASSPORT_PROCESSING: &str = "id_passport_processing";
    pub const DRIVING_LICENCE: &str = "driving_licence";
    pub const VEHICLE_REGISTRATION: &str = "vehicle_registration";
    pub const TITLES: [&str; 5] = [
        ID,
        PASSPORT,
        ID_PASSPORT_PROCESSING,
        DRIVING_LICENCE,
        VEHICLE_REGISTRATION,
    ];
    pub const FIRST_APPLICATION: &str = "first_application";
    pub const RENEWAL: &str = "renewal";
    pub const FOREIGNERS: [&str; 2] = [FIRST_APPLICATION, RENEWAL];
    /// Fraud among identity cards and passports (module 2) or residence permits (module 3).
    pub const FRAUD_TITLES: &str = "titles";
    pub const FRAUD_FOREIGNERS: &str = "foreigners";
    pub const FRAUDS: [&str; 2] = [FRAUD_TITLES, FRAUD_FOREIGNERS];
}

/// A line is the switchboard's when its name contains « standard » (any case).
pub fn is_switchboard(line: &str) -> bool {
    line.to_lowercase().contains("standard")
}

#[derive(Default, Clone, Copy)]
struct PhoneCounts {
    presented: f64,
    answered: f64,
    within_5_rings: Option<f64>,
    lost: Option<f64>,
}

impl PhoneCounts {
    fn add(&mut self, measure: Measure, v: f64) {
        match measure {
            Measure::Presented => self.presented += v,
            Measure::Answered => self.answered += v,
            Measure::Within5Rings => *self.within_5_rings.get_or_insert(0.0) += v,
            Measure::Lost => *self.lost.get_or_insert(0.0) += v,
            _ => {}
        }
    }
}

/// A mean and its weight (`None`: no file count given).
#[derive(Default, Clone, Copy)]
struct Mean {
    delay: Option<f64>,
    files: Option<f64>,
}

/// The indicator values the facts give, as (indicator code, value) pairs, in a stable
/// order. Codes the référentiel in use does not have are simply not looked up.
///
/// Telephony: for a month and a line, counts from a monthly statistics file take the
/// place of counts summed from call logs (the same calls must not be counted twice).
pub fn derive(facts: &[Fact]) -> Vec<(String, EnteredValue)> {
    // (month, line) → counts, from monthly statistics and from daily call logs.
    let mut stats: BTreeMap<(Period, &str), PhoneCounts> = BTreeMap::new();
    let mut logs: BTreeMap<(Period, &str), PhoneCounts> = BTreeMap::new();
    // (source, period, key) → measure → value.
    let mut other: BTreeMap<(FactSource, Period, &str), BTreeMap<Measure, f64>> = BTreeMap::new();
    for f in facts {
        let bucket = f.period.bucket();
        match f.source {
            FactSource::Telephony => stats
                .entry((bucket, f.key.as_str()))
                .or_default()
                .add(f.measure, f.value),
            FactSource::Calls => logs
                .entry((bucket, f.key.as_str()))
                .or_default()
                .add(f.measure, f.value),
            source => {
                *other
                    .entry((source, bucket, f.key.as_str()))
                    .or_default()
                    .entry(f.measure)
                    .or_insert(0.0) += f.value;
            }
        }
    }
    for (k, v) in logs {
        stats.entry(k).or_insert(v);
    }
    let mut out = Vec::new();
    phone(&stats, &mut out);
    means_and_rates(&other, &mut out);
    out
}

fn push(
    out: &mut Vec<(String, EnteredValue)>,
    code: &str,
    period: Period,
    value: f64,
    fraction: Option<(f64, f64)>,
    weight: Option<f64>,
) {
    out.push((
        code.to_owned(),
        EnteredValue {
            period,
            value,
            numerator: fraction.map(|f| f.0),
            denominator: fraction.map(|f| f.1),
            weight,
        },
    ));
}

fn rate(
    out: &mut Vec<(String, EnteredValue)>,
    code: &str,
    period: Period,
    num: f64,
    den: f64,
    scale: f64,
) {
    if den > 0.0 {
        push(out, code, period, num / den * scale, Some((num, den)), None);
    }
}

fn phone(stats: &BTreeMap<(Period, &str), PhoneCounts>, out: &mut Vec<(String, EnteredValue)>) {
    let mut by_period: BTreeMap<Period, Vec<(&str, PhoneCounts)>> = BTreeMap::new();
    for ((period, line), c) in stats {
        by_period.entry(*period).or_default().push((line, *c));
    }
    for (period, lines) in by_period {
        let presented: f64 = lines.iter().map(|(_, c)| c.presented).sum();
        let answered: f64 = lines.iter().map(|(_, c)| c.answered).sum();
        push(out, "m1.phone.calls", period, presented, None, None);
        rate(out, "m1.phone.answered", period, answered, presented, 100.0);
        rate(out, "tr.phone.answered", period, answered, presented, 100.0);
        let rings: Vec<(f64, f64)> = lines
            .iter()
            .filter_map(|(_, c)| Some((c.within_5_rings?, c.answered)))
            .collect();
        if !rings.is_empty() {
            let within: f64 = rings.iter().map(|r| r.0).sum();
            let of: f64 = rings.iter().map(|r| r.1).sum();
            rate(out, "m1.phone.answered_5_rings", period, within, of, 100.0);
        }
        let board: Vec<&PhoneCounts> = lines
            .iter()
            .filter(|(l, _)| is_switchboard(l))
            .map(|(_, c)| c)
            .collect();
        if !board.is_empty() {
            let lost: f64 = board
                .iter()
                .map(|c| c.lost.unwrap_or(c.presented - c.answered))
                .sum();
            let presented: f64 = board.iter().map(|c| c.presented).sum();
            rate(
                out,
                "m1.phone.lost_switchboard",
                period,
                lost,
                presented,
                100.0,
            );
        }
    }
}

fn means_and_rates(
    other: &BTreeMap<(FactSource, Period, &str), BTreeMap<Measure, f64>>,
    out: &mut Vec<(String, EnteredValue)>,
) {
    use keys::*;
    let get = |m: &BTreeMap<Measure, f64>, k: Measure| m.get(&k).copied();
    // Identity cards and passports together, per period, for the Transparence figure.
    let mut id_passport: BTreeMap<Period, Vec<Mean>> = BTreeMap::new();
    let mut web: BTreeMap<Period, (f64, f64)> = BTreeMap::new();
    let mut social: BTreeMap<Period, (Option<f64>, f64, f64)> = BTreeMap::new();
    for ((source, period, key), m) in other {
        let (period, key) = (*period, *key);
        let mean = Mean {
            delay: get(m, Measure::Delay),
            files: get(m, Measure::Files),
        };
        let mut delay = |code: &str| {
            if let Some(d) = mean.delay {
                push(out, code, period, d, None, mean.files);
            }
        };
        match source {
            FactSource::Titles => match key {
                ID | PASSPORT => {
                    delay(if key == ID {
                        "m2.id.availability_delay"
                    } else {
                        "m2.passport.availability_delay"
                    });
                    id_passport.entry(period).or_default().push(mean);
                }
                ID_PASSPORT_PROCESSING => delay("m2.id.processing_delay"),
                DRIVING_LICENCE => delay("tr.driving_licence.delay"),
                VEHICLE_REGISTRATION => delay("tr.vehicle_registration.delay"),
                _ => {}
            },
            FactSource::Foreigners => match key {
                FIRST_APPLICATION => delay("m3.first_application.delay"),
                RENEWAL => delay("m3.renewal.delay"),
                _ => {}
            },
            FactSource::Fraud => {
                let code = match key {
                    FRAUD_TITLES => "m2.fraud_rate",
                    FRAUD_FOREIGNERS => "m3.fraud_rate",
                    _ => continue,
                };
                if let (Some(frauds), Some(files)) = (get(m, Measure::Frauds), mean.files) {
                    rate(out, code, period, frauds, files, 1000.0);
                }
            }
            FactSource::Web => {
                let e = web.entry(period).or_default();
                e.0 += get(m, Measure::Visitors).unwrap_or(0.0);
                e.1 = e.1.max(get(m, Measure::Population).unwrap_or(0.0));
            }
            FactSource::Social => {
                let e = social.entry(period).or_default();
                if let Some(c) = get(m, Measure::Connections) {
                    *e.0.get_or_insert(0.0) += c;
                }
                e.1 += get(m, Measure::Engagements).unwrap_or(0.0);
                e.2 += get(m, Measure::Impressions).unwrap_or(0.0);
            }
            FactSource::Calls | FactSource::Telephony => {}
        }
    }
    for (period, means) in id_passport {
        let delays: Vec<Mean> = means.into_iter().filter(|m| m.delay.is_some()).collect();
        if delays.is_empty() {
            continue;
        }
        let weighted: Option<Vec<(f64, f64)>> =
            delays.iter().map(|m| Some((m.delay?, m.files?))).collect();
        match weighted {
            Some(w) if w.iter().map(|x| x.1).sum::<f64>() > 0.0 => {
                let files: f64 = w.iter().map(|x| x.1).sum();
                let value = w.iter().map(|(d, f)| d * f).sum::<f64>() / files;
                push(
                    out,
                    "tr.id_passport.delay",
                    period,
                    value,
                    None,
                    Some(files),
                );
            }
            _ => {
                let value =
                    delays.iter().filter_map(|m| m.delay).sum::<f64>() / delays.len() as f64;
                push(out, "tr.id_passport.delay", period, value, None, None);
            }
        }
    }
    for (period, (visitors, population)) in web {
        rate(
            out,
            "m1.web.connection_rate",
            period,
            visitors,
            population,
            100.0,
        );
    }
    for (period, (connections, engagements, impressions)) in social {
        if let Some(c) = connections {
            push(out, "m1.social.connections", period, c, None, None);
        }
        rate(
            out,
            "m1.social.engagement",
            period,
            engagements,
            impressions,
            100.0,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(source: FactSource, period: &str, key: &str, measure: Measure, value: f64) -> Fact {
        Fact {
            source,
            period: FactPeriod::parse(period).expect("period"),
            key: key.into(),
            measure,
            value,
        }
    }

    fn find<'a>(out: &'a [(String, EnteredValue)], code: &str, period: &str) -> &'a EnteredValue {
        let p = Period::parse(period).expect("period");
        &out.iter()
            .find(|(c, v)| c == code && v.period == p)
            .unwrap_or_else(|| panic!("{code} {period} missing in {out:#?}"))
            .1
    }

    #[test]
    fn call_log_days_add_up_to_months_and_the_switchboard_is_found_by_name() {
        use FactSource::Calls;
        use Measure::*;
        let facts = vec![
            fact(Calls, "2020-03-02", "Standard", Presented, 100.0),
            fact(Calls, "2020-03-02", "Standard", Answered, 90.0),
            fact(Calls, "2020-03-02", "Standard", Within5Rings, 45.0),
            fact(Calls, "2020-03-03", "Standard", Presented, 100.0),
            fact(Calls, "2020-03-03", "Standard", Answered, 80.0),
            fact(Calls, "2020-03-03", "Standard", Within5Rings, 75.0),
            fact(Calls, "2020-03-03", "Étrangers", Presented, 50.0),
            fact(Calls, "2020-03-03", "Étrangers", Answered, 10.0),
        ];
        let out = derive(&facts);
        assert_eq!(find(&out, "m1.phone.calls", "2020-03").value, 250.0);
        let answered = find(&out, "m1.phone.answered", "2020-03");
        assert_eq!(
            (answered.numerator, answered.denominator),
            (Some(180.0), Some(250.0))
        );
        assert!((answered.value - 72.0).abs() < 1e-9);
        // Rings are known on the switchboard only: 120 of its 170 answered calls.
        let rings = find(&out, "m1.phone.answered_5_rings", "2020-03");
        assert_eq!(
            (rings.numerator, rings.denominator),
            (Some(120.0), Some(170.0))
        );
        // Lost at the switchboard: 30 of 200; the other line does not count.
        let lost = find(&out, "m1.phone.lost_switchboard", "2020-03");
        assert!((lost.value - 15.0).abs() < 1e-9);
        assert_eq!(
            find(&out, "tr.phone.answered", "2020-03").value,
            answered.value
        );
    }

    #[test]
    fn monthly_statistics_replace_the_call_logs_of_the_same_line_and_month() {
        use FactSource::{Calls, Telephony};
        use Measure::*;
        let facts = vec![
            fact(Calls, "2020-03-02", "standard", Presented, 10.0),
            fact(Calls, "2020-03-02", "standard", Answered, 1.0),
            fact(Telephony, "2020-03", "standard", Presented, 1000.0),
            fact(Telephony, "2020-03", "standard", Answered, 950.0),
            fact(Telephony, "2020-03", "standard", Lost, 20.0),
            fact(Calls, "2020-04-01", "standard", Presented, 10.0),
            fact(Calls, "2020-04-01", "standard", Answered, 5.0),
        ];
        let out = derive(&facts);
        assert_eq!(find(&out, "m1.phone.calls", "2020-03").value, 1000.0);
        assert!((find(&out, "m1.phone.answered", "2020-03").value - 95.0).abs() < 1e-9);
        // An explicit lost count wins over presented − answered.
        assert!((find(&out, "m1.phone.lost_switchboard", "2020-03").value - 2.0).abs() < 1e-9);
        assert_eq!(find(&out, "m1.phone.calls", "2020-04").value, 10.0);
    }

    #[test]
    fn title_delays_keep_their_file_counts_and_make_the_transparence_figure() {
        use FactSource::Titles;
        use Measure::*;
        let facts = vec![
            fact(Titles, "2022-01", keys::ID, Delay, 20.0),
            fact(Titles, "2022-01", keys::ID, Files, 300.0),
            fact(Titles, "2022-01", keys::PASSPORT, Delay, 40.0),
            fact(Titles, "2022-01", keys::PASSPORT, Files, 100.0),
            fact(Titles, "2022-Q1", keys::DRIVING_LICENCE, Delay, 12.5),
        ];
        let out = derive(&facts);
        let id = find(&out, "m2.id.availability_delay", "2022-01");
        assert_eq!((id.value, id.weight), (20.0, Some(300.0)));
        assert_eq!(
            find(&out, "m2.passport.availability_delay", "2022-01").value,
            40.0
        );
        // (20 × 300 + 40 × 100) / 400 = 25.
        let tr = find(&out, "tr.id_passport.delay", "2022-01");
        assert_eq!((tr.value, tr.weight), (25.0, Some(400.0)));
        assert_eq!(
            find(&out, "tr.driving_licence.delay", "2022-Q1").value,
            12.5
        );
    }

    #[test]
    fn fraud_web_and_social_rates() {
        use FactSource::*;
        use Measure::*;
        let facts = vec![
            fact(Fraud, "2020-01", keys::FRAUD_TITLES, Frauds, 3.0),
            fact(Fraud, "2020-01", keys::FRAUD_TITLES, Files, 1000.0),
            fact(Fraud, "2020-01", keys::FRAUD_FOREIGNERS, Frauds, 2.0),
            fact(Web, "2020-01", "site", Visitors, 14_000.0),
            fact(Web, "2020-01", "site", Population, 280_000.0),
            fact(Social, "2020-01", "facebook", Connections, 500.0),
            fact(Social, "2020-01", "facebook", Impressions, 1000.0),
            fact(Social, "2020-01", "facebook", Engagements, 30.0),
            fact(Social, "2020-01", "twitter", Connections, 300.0),
            fact(Social, "2020-01", "twitter", Impressions, 1000.0),
            fact(Social, "2020-01", "twitter", Engagements, 10.0),
        ];
        let out = derive(&facts);
        assert!((find(&out, "m2.fraud_rate", "2020-01").value - 3.0).abs() < 1e-9);
        // No file count for foreigners: no rate rather than a wrong one.
        assert!(!out.iter().any(|(c, _)| c == "m3.fraud_rate"));
        assert!((find(&out, "m1.web.connection_rate", "2020-01").value - 5.0).abs() < 1e-9);
        assert_eq!(find(&out, "m1.social.connections", "2020-01").value, 800.0);
        assert!((find(&out, "m1.social.engagement", "2020-01").value - 2.0).abs() < 1e-9);
    }

    #[test]
    fn periods_and_names_round_trip() {
        for s in ["2020-03-02", "2020-03", "2020-Q1", "2020"] {
            assert_eq!(FactPeriod::parse(s).expect(s).to_string(), s);
        }
        assert_eq!(FactPeriod::parse("2020-02-30"), None);
        for f in FactSource::ALL {
            assert_eq!(FactSource::parse(f.as_str()), Some(f));
        }
        for m in Measure::ALL {
            assert_eq!(Measure::parse(m.as_str()), Some(m));
        }
    }
}
