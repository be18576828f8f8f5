//! Accounts: roles, what each role may do, and the rules an e-mail address and a password
//! must follow. Hashing and sessions are I/O and live in the web layer.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What an account may do in QeP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The quality lead (référent qualité): everything, including set-up and accounts.
    Admin,
    /// An agent: works on the registers of their own service(s).
    Agent,
    /// Directors, committee members: read-only dashboards and reports.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Agent, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }

    /// The name a user reads.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrateur (référent qualité)",
            Role::Agent => "Agent",
            Role::Viewer => "Lecteur",
        }
    }

    pub fn parse(s: &str) -> Result<Role, AccountError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "agent" => Ok(Role::Agent),
            "viewer" => Ok(Role::Viewer),
            _ => Err(AccountError::UnknownRole(s.to_owned())),
        }
    }

    /// Prefecture set-up, accounts and the audit log.
    pub fn can_administer(self) -> bool {
        self == Role::Admin
    }

    /// Only agents are limited to the services they belong to.
    pub fn is_limited_to_own_services(self) -> bool {
        self == Role::Agent
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AccountError {
    #[error("rôle inconnu « {0} » : attendu admin, agent ou viewer")]
    UnknownRole(String),
    #[error("adresse électronique invalide « {0} »")]
    InvalidEmail(String),
    #[error("le mot de passe doit contenir au moins {min} caractères")]
    PasswordTooShort { min: usize },
    #[error("le mot de passe ne doit pas dépasser {max} caractères")]
    PasswordTooLong { max: usize },
    #[error(
        "le mot de passe est trop simple : il doit contenir au moins {distinct} caractères différents, espaces non comptés"
    )]
    PasswordTooSimple { distinct: usize },
    #[error("le nom affiché doit contenir entre 1 et {max} caractères")]
    InvalidDisplayName { max: usize },
}

/// A normalised (trimmed, lower-case) e-mail address used as a login.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Email, AccountError> {
        let s = raw.trim().to_lowercase();
        let invalid = || AccountError::InvalidEmail(raw.trim().to_owned());
        if s.len() > Self::MAX_LEN || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || !domain_ok {
            return Err(invalid());
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub const PASSWORD_MIN_LEN: usize = 12;
pub const PASSWORD_MAX_LEN: usize = 256;
/// Distinct characters a password needs, spaces aside: twelve spaces or « aaaaaaaaaaaa »
/// are long but guessed first.
pub const PASSWORD_MIN_DISTINCT: usize = 5;

/// Length is what matters (ANSSI guidance); no composition rules that push users to
/// predictable patterns.
pub fn validate_password(password: &str) -> Result<(), AccountError> {
    let n = password.chars().count();
    if n < PASSWORD_MIN_LEN {
        return Err(AccountError::PasswordTooShort {
            min: PASSWORD_MIN_LEN,
        });
    }
    if n > PASSWORD_MAX_LEN {
        return Err(AccountError::PasswordTooLong {
            max: PASSWORD_MAX_LEN,
        });
    }
    let distinct: std::collections::BTreeSet<char> =
        password.chars().filter(|c| !c.is_whitespace()).collect();
    if distinct.len() < PASSWORD_MIN_DISTINCT {
        return Err(AccountError::PasswordTooSimple {
            distinct: PASSWORD_MIN_DISTINCT,
        });
    }
    Ok(())
}

pub const DISPLAY_NAME_MAX_LEN: usize = 120;

pub fn validate_display_name(name: &str) -> Result<String, AccountError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > DISPLAY_NAME_MAX_LEN {
        return Err(AccountError::InvalidDisplayName {
            max: DISPLAY_NAME_MAX_LEN,
        });
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_length_and_some_variety() {
        assert!(validate_password("correct horse battery").is_ok());
        assert!(validate_password("demo-agent-accueil").is_ok());
        for weak in [
            "            ",
            "aaaaaaaaaaaaaa",
            "abab abab abab",
            "1 2 3 4 1 2 3 4",
        ] {
            assert!(
                matches!(
                    validate_password(weak),
                    Err(AccountError::PasswordTooSimple { distinct: 5 })
                ),
                "{weak:?}"
            );
        }
        assert!(matches!(
            validate_password("court"),
            Err(AccountError::PasswordTooShort { .. })
        ));
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Qualite@Orne.Gouv.fr ").map(|e| e.to_string()),
            Ok("qualite@orne.gouv.fr".to_owned())
        );
        for bad in [
            "",
            "sans-arobase",
            "a@b",
            "a@@b.fr",
            "@b.fr",
            "a@.fr",
            "a b@c.fr",
            "a@b..fr",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn roles_round_trip_and_refuse_unknown() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert_eq!(
            Role::parse("root"),
            Err(AccountError::UnknownRole("root".into()))
        );
        assert!(Role::Admin.can_administer());
        assert!(!Role::Agent.can_administer() && !Role::Viewer.can_administer());
    }

    #[test]
    fn password_length_is_enforced_in_characters() {
        assert!(validate_password("court").is_err());
        assert!(validate_password("éàèùçéàèùçéà").is_ok());
        assert!(
            validate_password("éééééééééééé").is_err(),
            "one character repeated"
        );
        assert!(validate_password(&"x".repeat(257)).is_err());
    }
}
