//! The simpler registers: elected officials' meeting requests (module 4), website and
//! voice-server update requests, digital access point (PAN) visits, and the module 7 crisis
//! log. Each entry has a start date and up to two later dates; which dates an indicator
//! compares is decided here, once.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogRegister {
    /// Requested on → date fixed on (4 working days) → meeting held on (10 working days).
    OfficialsMeetings,
    /// Requested on → published on (3 working days).
    WebUpdates,
    /// Requested on → published on (3 working days).
    IvrUpdates,
    /// A visit on a day: procedure, duration, outcome, mediation mandate.
    PanVisits,
    /// An activation of the emergency communication cell or an exercise.
    CrisisLog,
    /// A training followed by an agent, renewed every 4 years.
    Trainings,
}

impl LogRegister {
    pub const ALL: [LogRegister; 6] = [
        LogRegister::OfficialsMeetings,
        LogRegister::WebUpdates,
        LogRegister::IvrUpdates,
        LogRegister::PanVisits,
        LogRegister::CrisisLog,
        LogRegister::Trainings,
    ];

    /// The name the référentiel files use (`register = "web_updates"`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogRegister::OfficialsMeetings => "officials_meetings",
            LogRegister::WebUpdates => "web_updates",
            LogRegister::IvrUpdates => "ivr_updates",
            LogRegister::PanVisits => "pan_visits",
            LogRegister::CrisisLog => "crisis_log",
            LogRegister::Trainings => "trainings",
        }
    }

    /// The path segment of its pages (French: people read it).
    pub fn slug(self) -> &'static str {
        match self {
            LogRegister::OfficialsMeetings => "rendez-vous-elus",
            LogRegister::WebUpdates => "mises-a-jour-site",
            LogRegister::IvrUpdates => "mises-a-jour-svi",
            LogRegister::PanVisits => "point-numerique",
            LogRegister::CrisisLog => "crise",
            LogRegister::Trainings => "formations",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LogRegister::OfficialsMeetings => "Rendez-vous des élus",
            LogRegister::WebUpdates => "Mises à jour du site internet",
            LogRegister::IvrUpdates => "Mises à jour du serveur vocal (SVI)",
            LogRegister::PanVisits => "Point d'accès numérique",
            LogRegister::CrisisLog => "Communication d'urgence",
            LogRegister::Trainings => "Formations des agents",
        }
    }

    pub fn parse(s: &str) -> Option<LogRegister> {
        LogRegister::ALL
            .into_iter()
            .find(|r| r.as_str() == s || r.slug() == s)
    }

    /// Labels of the start date and of the later dates this register records.
    pub fn date_labels(self) -> (&'static str, Option<&'static str>, Option<&'static str>) {
        match self {
            LogRegister::OfficialsMeetings => (
                "Demande reçue le",
                Some("Date du rendez-vous fixée le"),
                Some("Rendez-vous tenu le"),
            ),
            LogRegister::WebUpdates | LogRegister::IvrUpdates => {
                ("Demande reçue le", Some("Publiée le"), None)
            }
            LogRegister::PanVisits => ("Visite le", None, None),
            LogRegister::CrisisLog => ("Le", None, None),
            LogRegister::Trainings => ("Formation suivie le", None, None),
        }
    }

    /// Allowed categories, as (code, label); empty when the register has none.
    pub fn categories(self) -> &'static [(&'static str, &'static str)] {
        match self {
            LogRegister::PanVisits => &[
                ("titles", "Titres (CNI, passeport)"),
                ("foreigners", "Étrangers (ANEF)"),
                ("driving_licence", "Permis de conduire"),
                ("vehicle_registration", "Certificat d'immatriculation"),
                ("other", "Autre démarche"),
            ],
            LogRegister::CrisisLog => &[
                (
                    "activation",
                    "Activation de la cellule de communication d'urgence",
                ),
                ("exercise", "Exercice"),
            ],
            _ => &[],
        }
    }
}

/// One entry of a log register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    pub register: LogRegister,
    pub started_on: NaiveDate,
    pub first_on: Option<NaiveDate>,
    pub second_on: Option<NaiveDate>,
    pub category: String,
    /// PAN: visit length; crisis log: minutes to inform elected officials.
    pub minutes: Option<u32>,
    /// Who or what: the elected official, the page updated, the event.
    pub label: String,
    /// PAN: mediation mandate signed.
    pub flag: Option<bool>,
    /// Trainings: the commitment concerned (n° 4 reception, 28 foreigners, 23/33 fraud…).
    pub commitment: Option<u16>,
}

/// Trainings are renewed every 4 years.
pub const TRAINING_VALIDITY_YEARS: u32 = 4;

/// When a training must be renewed.
pub fn renewal_due(e: &LogEntry) -> Option<NaiveDate> {
    (e.register == LogRegister::Trainings)
        .then(|| {
            e.started_on
                .checked_add_months(chrono::Months::new(12 * TRAINING_VALIDITY_YEARS))
        })
        .flatten()
}

/// The dates an indicator compares for an entry: (start, end). `end: None` is not done yet
/// (pending until its deadline passes). `None` when the entry does not count in `code`.
pub fn dates_for(code: &str, e: &LogEntry) -> Option<(NaiveDate, Option<NaiveDate>)> {
    match (e.register, code) {
        (LogRegister::OfficialsMeetings, "m4.meeting.fixed_on_time") => {
            Some((e.started_on, e.first_on))
        }
        (LogRegister::OfficialsMeetings, "m4.meeting.held_on_time") => {
            Some((e.started_on, e.second_on))
        }
        (LogRegister::WebUpdates, "m1.web.update_on_time")
        | (LogRegister::IvrUpdates, "m1.ivr.update_on_time") => Some((e.started_on, e.first_on)),
        (LogRegister::PanVisits, "m1.pan.visitors" | "m1.pan.daily_mean") => {
            Some((e.started_on, None))
        }
        (LogRegister::CrisisLog, "m7.activations") if e.category == "activation" => {
            Some((e.started_on, None))
        }
        (LogRegister::CrisisLog, "m7.exercises") if e.category == "exercise" => {
            Some((e.started_on, None))
        }
        _ => None,
    }
}

/// Checks an entry's dates: later steps cannot precede earlier ones.
pub fn check_dates(e: &LogEntry) -> Result<(), String> {
    if let Some(f) = e.first_on
        && f < e.started_on
    {
        return Err("la deuxième date précède la première".into());
    }
    if let Some(s) = e.second_on {
        if s < e.started_on {
            return Err("la dernière date précède la première".into());
        }
        if e.first_on.is_none_or(|f| s < f) {
            return Err("un rendez-vous se tient après avoir été fixé".into());
        }
    }
    // Trainings name their course freely; other registers choose from their list.
    if e.register != LogRegister::Trainings
        && !e.category.is_empty()
        && !e
            .register
            .categories()
            .iter()
            .any(|(c, _)| *c == e.category)
    {
        return Err(format!("catégorie inconnue « {} »", e.category));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, m, day).expect("date")
    }

    fn meeting(fixed: Option<NaiveDate>, held: Option<NaiveDate>) -> LogEntry {
        LogEntry {
            register: LogRegister::OfficialsMeetings,
            started_on: d(5, 2),
            first_on: fixed,
            second_on: held,
            category: String::new(),
            minutes: None,
            label: "Maire d'Argentan".into(),
            flag: None,
            commitment: None,
        }
    }

    #[test]
    fn trainings_are_renewed_after_four_years() {
        let t = LogEntry {
            register: LogRegister::Trainings,
            category: "Accueil des publics".into(),
            commitment: Some(4),
            ..meeting(None, None)
        };
        assert_eq!(renewal_due(&t), NaiveDate::from_ymd_opt(2028, 5, 2));
        assert!(check_dates(&t).is_ok(), "free course names");
        assert_eq!(renewal_due(&meeting(None, None)), None);
    }

    #[test]
    fn each_indicator_compares_its_own_dates() {
        let m = meeting(Some(d(5, 6)), Some(d(5, 15)));
        assert_eq!(
            dates_for("m4.meeting.fixed_on_time", &m),
            Some((d(5, 2), Some(d(5, 6))))
        );
        assert_eq!(
            dates_for("m4.meeting.held_on_time", &m),
            Some((d(5, 2), Some(d(5, 15))))
        );
        assert_eq!(dates_for("m1.web.update_on_time", &m), None);
        let crisis = LogEntry {
            register: LogRegister::CrisisLog,
            category: "exercise".into(),
            ..m
        };
        assert_eq!(
            dates_for("m7.exercises", &crisis).map(|x| x.0),
            Some(d(5, 2))
        );
        assert_eq!(dates_for("m7.activations", &crisis), None);
    }

    #[test]
    fn dates_must_follow_each_other() {
        assert!(check_dates(&meeting(Some(d(5, 6)), Some(d(5, 15)))).is_ok());
        assert!(check_dates(&meeting(Some(d(4, 30)), None)).is_err());
        assert!(
            check_dates(&meeting(None, Some(d(5, 15)))).is_err(),
            "held before being fixed"
        );
        assert!(check_dates(&meeting(Some(d(5, 10)), Some(d(5, 6)))).is_err());
        for r in LogRegister::ALL {
            assert_eq!(LogRegister::parse(r.as_str()), Some(r));
            assert_eq!(LogRegister::parse(r.slug()), Some(r));
        }
    }
}
