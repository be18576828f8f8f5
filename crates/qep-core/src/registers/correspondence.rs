//! The correspondence and feedback register: e-mails, letters, web-form messages,
//! ballot-box cards and counter notes, typed as information requests, specific-file
//! requests, complaints, suggestions or local authorities' requests (module 4).
//!
//! Rules (REFERENTIEL.md §4): 5 working days for what arrives electronically, 10 for paper;
//! a local authority's letter gets the deadline of the référentiel version in force (15 or
//! 10). An automatic acknowledgement is never an answer. A transfer between services does
//! not restart the clock.

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CorrespondenceError {
    #[error("canal inconnu « {0} » (attendu : email, letter, web_form, ballot_box, counter)")]
    UnknownChannel(String),
    #[error(
        "type inconnu « {0} » (attendu : general_information, specific_file, complaint, suggestion, local_authority)"
    )]
    UnknownKind(String),
    #[error("type de réponse inconnu « {0} » (attendu : substantive, forwarded)")]
    UnknownAnswer(String),
    #[error("motif de hors périmètre inconnu « {0} »")]
    UnknownReason(String),
}

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident, $err:ident { $($variant:ident => $code:literal, $label:literal;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),* }
            }

            /// The name a user reads.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),* }
            }

            pub fn parse(s: &str) -> Result<$name, CorrespondenceError> {
                match s.trim() {
                    $($code => Ok($name::$variant),)*
                    other => Err(CorrespondenceError::$err(other.to_owned())),
                }
            }
        }
    };
}

string_enum!(
    /// How an item reached the prefecture.
    Channel, UnknownChannel {
        Email => "email", "Courriel";
        Letter => "letter", "Courrier";
        WebForm => "web_form", "Formulaire du site";
        BallotBox => "ballot_box", "Urne (fiche papier)";
        Counter => "counter", "Guichet (fiche papier)";
    }
);

string_enum!(
    /// What an item asks for.
    Kind, UnknownKind {
        GeneralInformation => "general_information", "Demande d'information générale";
        SpecificFile => "specific_file", "Demande sur un dossier particulier";
        Complaint => "complaint", "Réclamation";
        Suggestion => "suggestion", "Suggestion";
        LocalAuthority => "local_authority", "Demande d'une collectivité (information ou conseil)";
    }
);

string_enum!(
    /// What counts as an answer.
    AnswerType, UnknownAnswer {
        Substantive => "substantive", "Réponse sur le fond";
        Forwarded => "forwarded", "Transmise au service compétent, demandeur informé";
    }
);

string_enum!(
    /// Why an item is outside the Qual-e-pref scope (it stays registered).
    OutOfScope, UnknownReason {
        LegalDispute => "legal_dispute", "Contentieux";
        Intervention => "intervention", "Intervention en faveur d'un tiers";
        DisguisedInformationRequest => "information_request", "Demande d'information présentée comme une réclamation";
        SpecificFile => "specific_file", "Dossier particulier";
        Other => "other", "Autre motif";
    }
);

impl Channel {
    /// E-mails and web-form messages; letters and cards are paper.
    pub fn is_electronic(self) -> bool {
        matches!(self, Channel::Email | Channel::WebForm)
    }
}

/// The deadline in working days. `local_authority_letter_days` comes from the référentiel
/// version in force (`m4.letter.on_time`'s deadline: 15 in 2018, 10 later).
pub fn deadline_days(channel: Channel, kind: Kind, local_authority_letter_days: u32) -> u32 {
    match (kind, channel.is_electronic()) {
        (_, true) => 5,
        (Kind::LocalAuthority, false) => local_authority_letter_days,
        (_, false) => 10,
    }
}

/// A local authority's letter deadline under référentiel version `referentiel` (its
/// `m4.letter.on_time` deadline: 15 working days in 2018, 10 later); 15 when the version
/// is unknown.
pub fn local_authority_letter_days(referentiel: &str) -> u32 {
    crate::referentiel::find(referentiel)
        .and_then(|r| r.indicator("m4.letter.on_time"))
        .and_then(|d| d.deadline_working_days)
        .unwrap_or(15)
}

/// The register-computed indicators an item counts in: the on-time rate, the mean delay
/// and the count of its family. Items out of scope or about a specific file feed none.
pub fn indicator_family(channel: Channel, kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::GeneralInformation if channel.is_electronic() => Some("m1.email"),
        Kind::GeneralInformation => Some("m1.letter"),
        Kind::Complaint | Kind::Suggestion => Some("m1.complaint"),
        Kind::LocalAuthority if channel.is_electronic() => Some("m4.email"),
        Kind::LocalAuthority => Some("m4.letter"),
        Kind::SpecificFile => None,
    }
}

/// Whether an item with `family` counts in indicator `code` (e.g. `m1.email.on_time`).
pub fn feeds(family: &str, code: &str) -> bool {
    code.strip_prefix(family)
        .is_some_and(|rest| rest.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_follow_the_channel_and_the_version() {
        assert_eq!(
            deadline_days(Channel::Email, Kind::GeneralInformation, 15),
            5
        );
        assert_eq!(deadline_days(Channel::WebForm, Kind::Complaint, 15), 5);
        assert_eq!(deadline_days(Channel::Letter, Kind::Complaint, 15), 10);
        assert_eq!(deadline_days(Channel::BallotBox, Kind::Suggestion, 15), 10);
        assert_eq!(deadline_days(Channel::Letter, Kind::LocalAuthority, 15), 15);
        assert_eq!(deadline_days(Channel::Letter, Kind::LocalAuthority, 10), 10);
        assert_eq!(deadline_days(Channel::Email, Kind::LocalAuthority, 15), 5);
    }

    #[test]
    fn items_feed_their_family_only() {
        assert_eq!(
            indicator_family(Channel::Email, Kind::GeneralInformation),
            Some("m1.email")
        );
        assert_eq!(
            indicator_family(Channel::Counter, Kind::Suggestion),
            Some("m1.complaint")
        );
        assert_eq!(
            indicator_family(Channel::Letter, Kind::LocalAuthority),
            Some("m4.letter")
        );
        assert_eq!(indicator_family(Channel::Email, Kind::SpecificFile), None);
        assert_eq!(local_authority_letter_days("qualepref-2018"), 15);
        assert_eq!(local_authority_letter_days("qualepref-8-modules"), 10);
        assert_eq!(local_authority_letter_days("inconnu"), 15);
        assert!(feeds("m1.email", "m1.email.on_time"));
        assert!(!feeds("m1.email", "m1.emails.on_time"));
        assert!(!feeds("m4.email", "m1.email.on_time"));
    }

    #[test]
    fn codes_round_trip_and_unknown_ones_are_named() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Ok(*c));
        }
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Ok(*k));
        }
        assert_eq!(
            Channel::parse("fax").map_err(|e| e.to_string()),
            Err(
                "canal inconnu « fax » (attendu : email, letter, web_form, ballot_box, counter)"
                    .into()
            )
        );
    }
}
