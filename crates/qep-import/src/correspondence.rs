//! `qep import correspondence FILE`: items of the correspondence register, one a row,
//! checked cell by cell. The whole file is accepted or every error is returned (up to
//! [`MAX_ERRORS`]); nothing is half-imported.
//!
//! Columns are found by header, in English or French, case and accents ignored (see
//! [`COLUMNS`]); unknown columns are ignored, so a file exported by `qep export
//! correspondence` (which adds `due_on`, `response_working_days`, `on_time`) re-imports.
//! Coded values (channel, kind, answer, reason) accept the code or the French name.
//!
//! Nothing here reads the store or the clock: sites and services are resolved through the
//! closures of [`Context`], and due dates are the caller's business (they need the site's
//! working-day calendar).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use qep_core::account::Email;
use qep_core::ids::{ServiceId, SiteId};
use qep_core::registers::correspondence::{AnswerType, Channel, Kind, OutOfScope};
use qep_core::time::{PARIS, Tz, to_paris};

use crate::CellError;
use crate::table::{Table, fold};

/// Errors beyond this many are not listed.
pub const MAX_ERRORS: usize = crate::values::MAX_ERRORS;

/// Every column the importer reads, in export order, with the French headers it accepts.
pub const COLUMNS: &[(&str, &[&str])] = &[
    ("reference", &["référence", "réf", "numéro"]),
    ("channel", &["canal"]),
    ("kind", &["type", "nature"]),
    ("site", &["site de réception"]),
    ("service", &["service compétent"]),
    (
        "received_at",
        &["date de réception", "reçu le", "réception"],
    ),
    ("answered_at", &["date de réponse", "répondu le"]),
    ("answer", &["réponse", "type de réponse"]),
    (
        "in_scope",
        &[
            "dans le périmètre",
            "périmètre",
            "dans le périmètre qualité",
        ],
    ),
    (
        "out_of_scope_reason",
        &["motif hors périmètre", "motif de hors périmètre", "motif"],
    ),
    ("subject", &["objet"]),
    ("requester_name", &["demandeur", "nom du demandeur"]),
    (
        "requester_email",
        &["courriel du demandeur", "adresse électronique du demandeur"],
    ),
    ("requester_address", &["adresse du demandeur", "adresse"]),
];

/// The columns a file must have (the rest are optional).
pub const REQUIRED: [&str; 9] = [
    "reference",
    "channel",
    "kind",
    "site",
    "service",
    "received_at",
    "answered_at",
    "answer",
    "in_scope",
];

/// Time of day given to a receipt written as a date alone (as the web form does).
pub const DEFAULT_RECEIPT_TIME: NaiveTime = match NaiveTime::from_hms_opt(12, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

/// Earliest receipt accepted: the working-day calendars start on 1 January 1990.
const EARLIEST: NaiveDate = match NaiveDate::from_ymd_opt(1990, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

const REFERENCE_MAX: usize = 40;
const SUBJECT_MAX: usize = 300;
const NAME_MAX: usize = 120;
const ADDRESS_MAX: usize = 300;

const DATE_FORMS: &str = "AAAA-MM-JJ, AAAA-MM-JJ HH:MM ou JJ/MM/AAAA [HH:MM], par exemple 2024-05-03 10:15 ou 03/05/2024 ; heure de Paris";

/// What the importer needs to know of the prefecture.
pub struct Context<'a> {
    /// A site by its name or number, as written in the file (trimmed).
    pub site: &'a dyn Fn(&str) -> Option<SiteId>,
    /// A service by its name, code or number, as written in the file (trimmed, not empty).
    pub service: &'a dyn Fn(&str) -> Option<ServiceId>,
    /// The known sites and services, named in the error for an unknown one.
    pub known_sites: &'a str,
    pub known_services: &'a str,
    /// Receipts and answers dated after this day (the prefecture's time) are refused.
    pub today: NaiveDate,
    /// A site's legal time: local times in the file are read in it.
    pub zone: &'a dyn Fn(SiteId) -> Tz,
}

/// A checked row: everything of a register item but its deadline and due date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedItem {
    pub line: usize,
    pub reference: String,
    pub channel: Channel,
    pub kind: Kind,
    pub site: SiteId,
    pub service: Option<ServiceId>,
    pub received_at: DateTime<Utc>,
    /// The receipt day in Paris time (day 0 of the deadline).
    pub received_on: NaiveDate,
    pub answered_on: Option<NaiveDate>,
    pub answer: Option<AnswerType>,
    pub in_scope: bool,
    pub out_of_scope: Option<OutOfScope>,
    pub subject: String,
    pub requester_name: String,
    pub requester_email: String,
    pub requester_address: String,
}

/// Paris legal time to UTC. In the autumn's repeated hour the first (summer-time) instant
/// is taken; a time in the spring's skipped hour is read with the winter offset.
pub fn paris_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    qep_core::time::to_utc(local, PARIS)
}

/// How names and codes in a file are compared: lower case, no accents, `_` and `-` as
/// spaces, typographic apostrophes as `'`, single spaces (`Web_Form`, `web-form` and
/// `web form` are one value). Callers resolving sites and services key them the same way.
pub fn key(s: &str) -> String {
    let folded = fold(&s.replace(['’', 'ʼ'], "'"));
    folded
        .split(|c: char| c.is_whitespace() || c == '_' || c == '-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A coded value by its code, its French label or a usual French name.
struct Codes<T> {
    by_name: HashMap<String, T>,
    expected: String,
}

impl<T: Copy> Codes<T> {
    fn new(
        all: &[T],
        code: fn(T) -> &'static str,
        label: fn(T) -> &'static str,
        aliases: &[(&str, T)],
    ) -> Codes<T> {
        let mut by_name = HashMap::new();
        for v in all {
            by_name.insert(key(code(*v)), *v);
            by_name.insert(key(label(*v)), *v);
        }
        for (name, v) in aliases {
            by_name.insert(key(name), *v);
        }
        let codes: Vec<&str> = all.iter().map(|v| code(*v)).collect();
        let names: Vec<&str> = aliases.iter().map(|(n, _)| *n).collect();
        Codes {
            by_name,
            expected: format!(
                "{}, ou en français : {}",
                codes.join(", "),
                names.join(", ")
            ),
        }
    }

    fn find(&self, raw: &str) -> Option<T> {
        self.by_name.get(&key(raw)).copied()
    }
}

fn channels() -> Codes<Channel> {
    Codes::new(
        Channel::ALL,
        Channel::as_str,
        Channel::label,
        &[
            ("courriel", Channel::Email),
            ("mail", Channel::Email),
            ("e-mail", Channel::Email),
            ("courrier", Channel::Letter),
            ("lettre", Channel::Letter),
            ("formulaire", Channel::WebForm),
            ("formulaire web", Channel::WebForm),
            ("urne", Channel::BallotBox),
            ("guichet", Channel::Counter),
        ],
    )
}

fn kinds() -> Codes<Kind> {
    Codes::new(
        Kind::ALL,
        Kind::as_str,
        Kind::label,
        &[
            ("information générale", Kind::GeneralInformation),
            ("information", Kind::GeneralInformation),
            ("dossier particulier", Kind::SpecificFile),
            ("réclamation", Kind::Complaint),
            ("suggestion", Kind::Suggestion),
            ("collectivité", Kind::LocalAuthority),
            ("demande d'une collectivité", Kind::LocalAuthority),
        ],
    )
}

fn answers() -> Codes<AnswerType> {
    Codes::new(
        AnswerType::ALL,
        AnswerType::as_str,
        AnswerType::label,
        &[
            ("réponse sur le fond", AnswerType::Substantive),
            ("fond", AnswerType::Substantive),
            ("transmise", AnswerType::Forwarded),
            ("transmise au service compétent", AnswerType::Forwarded),
        ],
    )
}

fn reasons() -> Codes<OutOfScope> {
    Codes::new(
        OutOfScope::ALL,
        OutOfScope::as_str,
        OutOfScope::label,
        &[
            ("contentieux", OutOfScope::LegalDispute),
            ("intervention", OutOfScope::Intervention),
            (
                "demande d'information",
                OutOfScope::DisguisedInformationRequest,
            ),
            ("dossier particulier", OutOfScope::SpecificFile),
            ("autre", OutOfScope::Other),
        ],
    )
}

fn parse_bool(raw: &str) -> Option<bool> {
    match key(raw).as_str() {
        "oui" | "true" | "vrai" | "1" | "yes" | "o" => Some(true),
        "non" | "false" | "faux" | "0" | "no" | "n" => Some(false),
        _ => None,
    }
}

/// A receipt or answer instant: Paris local time unless the text carries its own offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    Local(NaiveDateTime),
    Zoned(DateTime<Utc>),
}

impl When {
    fn utc(self, zone: Tz) -> DateTime<Utc> {
        match self {
            When::Local(l) => qep_core::time::to_utc(l, zone),
            When::Zoned(t) => t,
        }
    }

    /// The day at `zone`.
    fn date_at(self, zone: Tz) -> NaiveDate {
        match self {
            When::Local(l) => l.date(),
            When::Zoned(t) => qep_core::time::local_date(t, zone),
        }
    }

    /// The day in Paris.
    fn paris_date(self) -> NaiveDate {
        match self {
            When::Local(l) => l.date(),
            When::Zoned(t) => to_paris(t).date(),
        }
    }
}

/// `2024-05-03`, `2024-05-03 10:15[:00]`, `2024-05-03T10:15[:00]`, `03/05/2024`,
/// `03/05/2024 10:15[:00]`, `03/05/2024 à 10:15`, or RFC 3339 with an offset
/// (`2024-05-03T08:15:00Z`). A date alone is [`DEFAULT_RECEIPT_TIME`].
fn parse_when(raw: &str) -> Option<When> {
    let s = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(When::Zoned(t.with_timezone(&Utc)));
    }
    for form in ["%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, form) {
            return Some(When::Zoned(t.with_timezone(&Utc)));
        }
    }
    for form in ["%Y-%m-%d", "%d/%m/%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, form) {
            return Some(When::Local(d.and_time(DEFAULT_RECEIPT_TIME)));
        }
    }
    let s = s.replacen(" à ", " ", 1);
    for form in [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%d/%m/%Y %H:%M",
        "%d/%m/%Y %H:%M:%S",
    ] {
        if let Ok(l) = NaiveDateTime::parse_from_str(&s, form) {
            return Some(When::Local(l));
        }
    }
    None
}

fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\n')
}

/// Column indexes, found by header.
struct Columns {
    index: HashMap<&'static str, usize>,
}

impl Columns {
    fn find(table: &Table) -> Columns {
        let headers: Vec<String> = table.headers.iter().map(|h| key(h)).collect();
        let mut index = HashMap::new();
        for (name, aliases) in COLUMNS {
            let wanted: Vec<String> = std::iter::once(*name)
                .chain(aliases.iter().copied())
                .map(key)
                .collect();
            if let Some(i) = headers.iter().position(|h| wanted.contains(h)) {
                index.insert(*name, i);
            }
        }
        Columns { index }
    }

    fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// Checks every row of `table`; the items in file order, or every error.
pub fn parse(table: &Table, ctx: &Context<'_>) -> Result<Vec<ParsedItem>, Vec<CellError>> {
    let header_error = |problem: String| CellError {
        file: table.file.clone(),
        line: 1,
        column: "en-tête".into(),
        problem,
    };
    let columns = Columns::find(table);
    let missing: Vec<String> = REQUIRED
        .iter()
        .filter(|c| columns.get(c).is_none())
        .map(|c| {
            let aliases = COLUMNS
                .iter()
                .find(|(n, _)| n == c)
                .map(|(_, a)| a.first().copied().unwrap_or(c))
                .unwrap_or(c);
            format!("{c} ({aliases})")
        })
        .collect();
    if !missing.is_empty() {
        return Err(vec![header_error(format!(
            "colonne(s) {} absente(s) (attendu au moins : {})",
            missing.join(", "),
            REQUIRED.join(",")
        ))]);
    }
    if table.rows.is_empty() {
        return Err(vec![header_error(
            "aucun élément après la ligne d'en-tête".into(),
        )]);
    }
    let col = |name: &str| columns.get(name).unwrap_or(usize::MAX);
    let (c_ref, c_channel, c_kind, c_site, c_service) = (
        col("reference"),
        col("channel"),
        col("kind"),
        col("site"),
        col("service"),
    );
    let (c_received, c_answered, c_answer, c_scope) = (
        col("received_at"),
        col("answered_at"),
        col("answer"),
        col("in_scope"),
    );
    let (c_reason, c_subject, c_name, c_email, c_address) = (
        columns.get("out_of_scope_reason"),
        columns.get("subject"),
        columns.get("requester_name"),
        columns.get("requester_email"),
        columns.get("requester_address"),
    );
    let (channels, kinds, answers, reasons) = (channels(), kinds(), answers(), reasons());

    let mut errors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(table.rows.len());
    let mut out = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let cell = |i: usize| row.cells.get(i).map_or("", |c| c.trim());
        let optional = |i: Option<usize>| i.map_or("", cell);
        let mut fail = |col: usize, problem: String| {
            errors.push(CellError {
                file: table.file.clone(),
                line: row.line,
                column: table.headers.get(col).cloned().unwrap_or_default(),
                problem,
            });
        };

        let reference = cell(c_ref);
        let reference_ok = if reference.is_empty() {
            fail(
                c_ref,
                "référence vide (attendu : la référence de l'élément, par exemple 2024-000123)"
                    .into(),
            );
            false
        } else if reference.chars().count() > REFERENCE_MAX || has_control(reference) {
            fail(
                c_ref,
                format!(
                    "référence « {reference} » : {REFERENCE_MAX} caractères au plus, sur une ligne"
                ),
            );
            false
        } else if let Some(first) = seen.get(reference) {
            fail(
                c_ref,
                format!("référence « {reference} » déjà présente ligne {first} du fichier"),
            );
            false
        } else {
            seen.insert(reference.to_owned(), row.line);
            true
        };

        let channel = channels.find(cell(c_channel));
        if channel.is_none() {
            fail(
                c_channel,
                format!(
                    "canal inconnu « {} » (attendu : {})",
                    cell(c_channel),
                    channels.expected
                ),
            );
        }
        let kind = kinds.find(cell(c_kind));
        if kind.is_none() {
            fail(
                c_kind,
                format!(
                    "type inconnu « {} » (attendu : {})",
                    cell(c_kind),
                    kinds.expected
                ),
            );
        }
        let site = (ctx.site)(cell(c_site));
        if site.is_none() {
            fail(
                c_site,
                format!(
                    "site inconnu « {} » (attendu : le nom ou le numéro d'un site : {})",
                    cell(c_site),
                    ctx.known_sites
                ),
            );
        }
        let service = match cell(c_service) {
            "" => Some(None),
            raw => {
                let found = (ctx.service)(raw);
                if found.is_none() {
                    fail(
                        c_service,
                        format!(
                            "service inconnu « {raw} » (attendu : vide, ou le nom, le sigle ou le numéro d'un service : {})",
                            ctx.known_services
                        ),
                    );
                }
                found.map(Some)
            }
        };

        let raw_received = cell(c_received);
        let received = match parse_when(raw_received) {
            None if raw_received.is_empty() => {
                fail(
                    c_received,
                    format!("date de réception vide (attendu : {DATE_FORMS})"),
                );
                None
            }
            None => {
                fail(
                    c_received,
                    format!(
                        "date de réception impossible « {raw_received} » (attendu : {DATE_FORMS})"
                    ),
                );
                None
            }
            Some(w) if w.paris_date() < EARLIEST || w.paris_date() > ctx.today => {
                fail(
                    c_received,
                    format!(
                        "date de réception « {raw_received} » hors de la plage admise (attendu : du 01/01/1990 au {})",
                        ctx.today.format("%d/%m/%Y")
                    ),
                );
                None
            }
            Some(w) => Some(w),
        };

        let raw_answered = cell(c_answered);
        let answered_on = match raw_answered {
            "" => Some(None),
            raw => match parse_when(raw).map(When::paris_date) {
                None => {
                    fail(
                        c_answered,
                        format!(
                            "date de réponse impossible « {raw} » (attendu : vide, ou {DATE_FORMS})"
                        ),
                    );
                    None
                }
                Some(d) if received.is_some_and(|r| d < r.paris_date()) => {
                    fail(
                        c_answered,
                        format!(
                            "date de réponse « {raw} » antérieure à la réception (attendu : le {} ou après)",
                            received.map_or(d, When::paris_date).format("%d/%m/%Y")
                        ),
                    );
                    None
                }
                Some(d) if d > ctx.today => {
                    fail(
                        c_answered,
                        format!(
                            "date de réponse « {raw} » dans le futur (attendu : au plus tard le {})",
                            ctx.today.format("%d/%m/%Y")
                        ),
                    );
                    None
                }
                Some(d) => Some(Some(d)),
            },
        };

        let raw_answer = cell(c_answer);
        let answer = match (raw_answer, raw_answered.is_empty()) {
            ("", true) => Some(None),
            ("", false) => {
                fail(
                    c_answer,
                    format!(
                        "type de réponse manquant alors que la date de réponse est renseignée (attendu : {})",
                        answers.expected
                    ),
                );
                None
            }
            (raw, true) => {
                fail(
                    c_answer,
                    format!(
                        "type de réponse « {raw} » sans date de réponse (attendu : une date dans la colonne « {} », ou cette cellule vide)",
                        table
                            .headers
                            .get(c_answered)
                            .map_or("answered_at", String::as_str)
                    ),
                );
                None
            }
            (raw, false) => {
                let found = answers.find(raw);
                if found.is_none() {
                    fail(
                        c_answer,
                        format!(
                            "type de réponse inconnu « {raw} » (attendu : {})",
                            answers.expected
                        ),
                    );
                }
                found.map(Some)
            }
        };

        let in_scope = parse_bool(cell(c_scope));
        if in_scope.is_none() {
            fail(
                c_scope,
                format!(
                    "« {} » n'est ni oui ni non (attendu : oui, non, true, false, 1 ou 0)",
                    cell(c_scope)
                ),
            );
        }
        let raw_reason = optional(c_reason);
        let out_of_scope = match (in_scope, raw_reason, c_reason) {
            (None, "", _) => None,
            (Some(true), "", _) => Some(None),
            (Some(false), "", _) => Some(Some(OutOfScope::Other)),
            (Some(true), raw, Some(c)) => {
                fail(
                    c,
                    format!(
                        "motif « {raw} » alors que l'élément est dans le périmètre (attendu : cette cellule vide, ou « non » dans la colonne « {} »)",
                        table
                            .headers
                            .get(c_scope)
                            .map_or("in_scope", String::as_str)
                    ),
                );
                None
            }
            (_, raw, Some(c)) => {
                let found = reasons.find(raw);
                if found.is_none() {
                    fail(
                        c,
                        format!(
                            "motif de hors périmètre inconnu « {raw} » (attendu : {})",
                            reasons.expected
                        ),
                    );
                }
                found.map(Some)
            }
            _ => None,
        };

        let mut text = |c: Option<usize>, what: &str, max: usize| -> Option<String> {
            let raw = optional(c);
            if raw.chars().count() > max || has_control(raw) {
                fail(
                    c.unwrap_or(0),
                    format!(
                        "{what} trop long ou illisible ({} caractères ; attendu : {max} caractères au plus, sans caractère de contrôle)",
                        raw.chars().count()
                    ),
                );
                None
            } else {
                Some(raw.to_owned())
            }
        };
        let subject = text(c_subject, "objet", SUBJECT_MAX);
        let requester_name = text(c_name, "nom du demandeur", NAME_MAX);
        let requester_address = text(c_address, "adresse du demandeur", ADDRESS_MAX);
        let requester_email = match optional(c_email) {
            "" => Some(String::new()),
            raw => match Email::parse(raw) {
                Ok(e) => Some(e.to_string()),
                Err(_) => {
                    fail(
                        c_email.unwrap_or(0),
                        format!(
                            "adresse électronique invalide « {raw} » (attendu : vide, ou nom@domaine.fr)"
                        ),
                    );
                    None
                }
            },
        };

        if let (
            true,
            Some(channel),
            Some(kind),
            Some(site),
            Some(service),
            Some(received),
            Some(answered_on),
            Some(answer),
            Some(in_scope),
            Some(out_of_scope),
            Some(subject),
            Some(requester_name),
            Some(requester_address),
            Some(requester_email),
        ) = (
            reference_ok,
            channel,
            kind,
            site,
            service,
            received,
            answered_on,
            answer,
            in_scope,
            out_of_scope,
            subject,
            requester_name,
            requester_address,
            requester_email,
        ) && errors.is_empty()
        {
            out.push(ParsedItem {
                line: row.line,
                reference: reference.to_owned(),
                channel,
                kind,
                site,
                service,
                received_at: received.utc((ctx.zone)(site)),
                received_on: received.date_at((ctx.zone)(site)),
                answered_on,
                answer,
                in_scope,
                out_of_scope,
                subject,
                requester_name,
                requester_email,
                requester_address,
            });
        }
        if errors.len() >= MAX_ERRORS {
            errors.truncate(MAX_ERRORS);
            break;
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::read;

    fn site(s: &str) -> Option<SiteId> {
        match key(s).as_str() {
            "1" | "prefecture alencon" => Some(SiteId(1)),
            "2" | "argentan" => Some(SiteId(2)),
            _ => None,
        }
    }

    fn service(s: &str) -> Option<ServiceId> {
        match key(s).as_str() {
            "acc" | "accueil general" | "10" => Some(ServiceId(10)),
            _ => None,
        }
    }

    fn ctx() -> Context<'static> {
        Context {
            site: &site,
            service: &service,
            known_sites: "Préfecture Alençon (1), Argentan (2)",
            known_services: "ACC",
            today: NaiveDate::from_ymd_opt(2024, 12, 31).expect("date"),
            zone: &|_| PARIS,
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("rfc3339")
            .with_timezone(&Utc)
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn french_headers_aliases_and_date_forms() {
        let text = "Référence;Canal;Type;Site;Service;Date de réception;Date de réponse;Réponse;Dans le périmètre;Objet;Demandeur;Courriel du demandeur\n\
                    A-1;Courriel;Réclamation;Préfecture Alençon;ACC;03/05/2024 10:15;13/05/2024;Réponse sur le fond;oui;Horaires;Mme Dupont;Dupont@Example.FR\n\
                    A-2;courrier;information générale;2;;2024-05-03;;;non;;;\n\
                    A-3;web_form;Demande d'une collectivité (information ou conseil);argentan;10;2024-01-15T09:30:00;2024-01-16 08:00;transmise;1;;;\n\
                    A-4;EMAIL;suggestion;1;acc;2024-05-03T08:15:00Z;;;true;;;\n";
        let t = read("c.csv", text.as_bytes()).expect("csv");
        let items = parse(&t, &ctx()).expect("valid");
        assert_eq!(items.len(), 4);
        let a1 = &items[0];
        assert_eq!(
            (a1.channel, a1.kind, a1.site, a1.service),
            (
                Channel::Email,
                Kind::Complaint,
                SiteId(1),
                Some(ServiceId(10))
            )
        );
        // 10:15 in Paris in May is 08:15 UTC.
        assert_eq!(a1.received_at, utc("2024-05-03T08:15:00Z"));
        assert_eq!(a1.received_on, date("2024-05-03"));
        assert_eq!(
            (a1.answered_on, a1.answer),
            (Some(date("2024-05-13")), Some(AnswerType::Substantive))
        );
        assert_eq!(
            (a1.subject.as_str(), a1.requester_email.as_str()),
            ("Horaires", "dupont@example.fr")
        );
        let a2 = &items[1];
        assert_eq!(
            (a2.channel, a2.kind),
            (Channel::Letter, Kind::GeneralInformation)
        );
        assert_eq!((a2.service, a2.in_scope), (None, false));
        assert_eq!(a2.out_of_scope, Some(OutOfScope::Other));
        assert_eq!(a2.received_at, utc("2024-05-03T10:00:00Z"), "noon in Paris");
        let a3 = &items[2];
        assert_eq!(
            (a3.channel, a3.kind),
            (Channel::WebForm, Kind::LocalAuthority)
        );
        // Winter time: UTC+1.
        assert_eq!(a3.received_at, utc("2024-01-15T08:30:00Z"));
        assert_eq!(a3.answer, Some(AnswerType::Forwarded));
        assert_eq!(items[3].received_at, utc("2024-05-03T08:15:00Z"));
    }

    #[test]
    fn every_bad_cell_is_named_and_nothing_is_returned() {
        let text = "reference,channel,kind,site,service,received_at,answered_at,answer,in_scope,out_of_scope_reason\n\
                    R1,fax,complaint,1,,2024-05-03,,,oui,\n\
                    R2,email,plainte,Lyon,XYZ,2024-05-03,,,oui,\n\
                    R3,email,complaint,1,,2024-02-30,,,oui,\n\
                    R4,email,complaint,1,,2024-05-03,2024-05-02,substantive,oui,\n\
                    R5,email,complaint,1,,2024-05-03,2024-05-06,,peut-être,\n\
                    R1,email,complaint,1,,2024-05-03,,substantive,non,contentieux\n\
                    R7,email,complaint,1,,2024-05-03,,,oui,contentieux\n";
        let t = read("c.csv", text.as_bytes()).expect("csv");
        let errors = parse(&t, &ctx()).expect_err("invalid");
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let expected = [
            ("ligne 2, colonne « channel »", "« fax »"),
            ("ligne 3, colonne « kind »", "« plainte »"),
            ("ligne 3, colonne « site »", "« Lyon »"),
            ("ligne 3, colonne « service »", "« XYZ »"),
            ("ligne 4, colonne « received_at »", "« 2024-02-30 »"),
            (
                "ligne 5, colonne « answered_at »",
                "antérieure à la réception",
            ),
            ("ligne 6, colonne « answer »", "manquant"),
            ("ligne 6, colonne « in_scope »", "« peut-être »"),
            ("ligne 7, colonne « reference »", "déjà présente ligne 2"),
            ("ligne 7, colonne « answer »", "sans date de réponse"),
            (
                "ligne 8, colonne « out_of_scope_reason »",
                "dans le périmètre",
            ),
        ];
        assert_eq!(messages.len(), expected.len(), "{messages:#?}");
        for (m, (place, needle)) in messages.iter().zip(expected) {
            assert!(
                m.starts_with("c.csv, ") && m.contains(place) && m.contains(needle),
                "{m} ≠ {place} … {needle}"
            );
        }
    }

    #[test]
    fn missing_columns_and_empty_files_are_reported_on_the_header() {
        let t = read("c.csv", b"reference;canal;type\nR1;email;complaint\n").expect("csv");
        let errors = parse(&t, &ctx()).expect_err("columns");
        assert_eq!(errors.len(), 1);
        let m = errors[0].to_string();
        assert!(
            m.contains("ligne 1")
                && m.contains("site")
                && m.contains("received_at (date de réception)"),
            "{m}"
        );
        let t = read(
            "c.csv",
            "reference;channel;kind;site;service;received_at;answered_at;answer;in_scope\n"
                .as_bytes(),
        )
        .expect("csv");
        let errors = parse(&t, &ctx()).expect_err("empty");
        assert!(errors[0].to_string().contains("aucun élément"));
    }

    #[test]
    fn paris_time_round_trips_except_in_the_repeated_autumn_hour() {
        for s in [
            "2024-05-03T08:15:00Z",
            "2024-01-15T23:30:00Z",
            "2024-03-31T00:59:00Z",
            "2024-03-31T01:00:00Z",
            "2024-10-27T00:30:00Z",
            "2024-10-27T02:00:00Z",
        ] {
            let t = utc(s);
            assert_eq!(paris_to_utc(to_paris(t)), t, "{s}");
        }
        // 02:30 on 27 October 2024 happened twice: the first time is taken.
        let repeated = NaiveDate::from_ymd_opt(2024, 10, 27)
            .and_then(|d| d.and_hms_opt(2, 30, 0))
            .expect("time");
        assert_eq!(paris_to_utc(repeated), utc("2024-10-27T00:30:00Z"));
    }

    #[test]
    fn too_many_errors_stop_at_the_limit() {
        let mut text = String::from(
            "reference,channel,kind,site,service,received_at,answered_at,answer,in_scope\n",
        );
        for i in 0..200 {
            text.push_str(&format!("R{i},fax,complaint,1,,2024-05-03,,,oui\n"));
        }
        let t = read("c.csv", text.as_bytes()).expect("csv");
        assert_eq!(parse(&t, &ctx()).expect_err("invalid").len(), MAX_ERRORS);
    }
}
