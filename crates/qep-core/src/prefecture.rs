//! The prefecture being run: its département (which decides the holiday calendar), its
//! sites and services, and its labelling scope.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::{ServiceId, SiteId};
use crate::referentiel::{self, Referentiel};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PrefectureError {
    #[error("code de département inconnu « {0} » : attendu 01 à 95, 2A, 2B, 971 à 974 ou 976")]
    UnknownDepartment(String),
    #[error("{field} : {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("version de référentiel inconnue « {0} »")]
    UnknownReferentiel(String),
    #[error("le module {module} n'existe pas dans le référentiel « {version} »")]
    UnknownModule { module: u8, version: String },
    #[error("type de site inconnu « {0} »")]
    UnknownSiteKind(String),
}

/// (code, name) of every département that has a prefecture run under Qual-e-pref.
/// Overseas collectivities with calendars of their own (975, 977, 978, 986–988) are not
/// listed until their public holidays are sourced.
const DEPARTMENTS: &[(&str, &str)] = &[
    ("01", "Ain"),
    ("02", "Aisne"),
    ("03", "Allier"),
    ("04", "Alpes-de-Haute-Provence"),
    ("05", "Hautes-Alpes"),
    ("06", "Alpes-Maritimes"),
    ("07", "Ardèche"),
    ("08", "Ardennes"),
    ("09", "Ariège"),
    ("10", "Aube"),
    ("11", "Aude"),
    ("12", "Aveyron"),
    ("13", "Bouches-du-Rhône"),
    ("14", "Calvados"),
    ("15", "Cantal"),
    ("16", "Charente"),
    ("17", "Charente-Maritime"),
    ("18", "Cher"),
    ("19", "Corrèze"),
    ("2A", "Corse-du-Sud"),
    ("2B", "Haute-Corse"),
    ("21", "Côte-d'Or"),
    ("22", "Côtes-d'Armor"),
    ("23", "Creuse"),
    ("24", "Dordogne"),
    ("25", "Doubs"),
    ("26", "Drôme"),
    ("27", "Eure"),
    ("28", "Eure-et-Loir"),
    ("29", "Finistère"),
    ("30", "Gard"),
    ("31", "Haute-Garonne"),
    ("32", "Gers"),
    ("33", "Gironde"),
    ("34", "Hérault"),
    ("35", "Ille-et-Vilaine"),
    ("36", "Indre"),
    ("37", "Indre-et-Loire"),
    ("38", "Isère"),
    ("39", "Jura"),
    ("40", "Landes"),
    ("41", "Loir-et-Cher"),
    ("42", "Loire"),
    ("43", "Haute-Loire"),
    ("44", "Loire-Atlantique"),
    ("45", "Loiret"),
    ("46", "Lot"),
    ("47", "Lot-et-Garonne"),
    ("48", "Lozère"),
    ("49", "Maine-et-Loire"),
    ("50", "Manche"),
    ("51", "Marne"),
    ("52", "Haute-Marne"),
    ("53", "Mayenne"),
    ("54", "Meurthe-et-Moselle"),
    ("55", "Meuse"),
    ("56", "Morbihan"),
    ("57", "Moselle"),
    ("58", "Nièvre"),
    ("59", "Nord"),
    ("60", "Oise"),
    ("61", "Orne"),
    ("62", "Pas-de-Calais"),
    ("63", "Puy-de-Dôme"),
    ("64", "Pyrénées-Atlantiques"),
    ("65", "Hautes-Pyrénées"),
    ("66", "Pyrénées-Orientales"),
    ("67", "Bas-Rhin"),
    ("68", "Haut-Rhin"),
    ("69", "Rhône"),
    ("70", "Haute-Saône"),
    ("71", "Saône-et-Loire"),
    ("72", "Sarthe"),
    ("73", "Savoie"),
    ("74", "Haute-Savoie"),
    ("75", "Paris"),
    ("76", "Seine-Maritime"),
    ("77", "Seine-et-Marne"),
    ("78", "Yvelines"),
    ("79", "Deux-Sèvres"),
    ("80", "Somme"),
    ("81", "Tarn"),
    ("82", "Tarn-et-Garonne"),
    ("83", "Var"),
    ("84", "Vaucluse"),
    ("85", "Vendée"),
    ("86", "Vienne"),
    ("87", "Haute-Vienne"),
    ("88", "Vosges"),
    ("89", "Yonne"),
    ("90", "Territoire de Belfort"),
    ("91", "Essonne"),
    ("92", "Hauts-de-Seine"),
    ("93", "Seine-Saint-Denis"),
    ("94", "Val-de-Marne"),
    ("95", "Val-d'Oise"),
    ("971", "Guadeloupe"),
    ("972", "Martinique"),
    ("973", "Guyane"),
    ("974", "La Réunion"),
    ("976", "Mayotte"),
];

/// A French département code, checked against the official list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Department {
    code: &'static str,
    name: &'static str,
}

impl Department {
    /// Accepts `61`, `1` (for 01), `2a`, ` 974 `.
    pub fn parse(raw: &str) -> Result<Department, PrefectureError> {
        let s = raw.trim().to_ascii_uppercase();
        let s = if s.len() == 1 && s.as_bytes()[0].is_ascii_digit() {
            format!("0{s}")
        } else {
            s
        };
        DEPARTMENTS
            .iter()
            .find(|(code, _)| *code == s)
            .map(|&(code, name)| Department { code, name })
            .ok_or_else(|| PrefectureError::UnknownDepartment(raw.trim().to_owned()))
    }

    pub fn code(self) -> &'static str {
        self.code
    }

    pub fn name(self) -> &'static str {
        self.name
    }

    pub fn all() -> impl Iterator<Item = Department> {
        DEPARTMENTS
            .iter()
            .map(|&(code, name)| Department { code, name })
    }
}

impl std::fmt::Display for Department {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} – {}", self.code, self.name)
    }
}

impl Serialize for Department {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code)
    }
}

/// What kind of reception point a site is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    Prefecture,
    SubPrefecture,
    AdministrativeCentre,
    Other,
}

impl SiteKind {
    pub const ALL: [SiteKind; 4] = [
        SiteKind::Prefecture,
        SiteKind::SubPrefecture,
        SiteKind::AdministrativeCentre,
        SiteKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::Prefecture => "prefecture",
            SiteKind::SubPrefecture => "sub_prefecture",
            SiteKind::AdministrativeCentre => "administrative_centre",
            SiteKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SiteKind::Prefecture => "Préfecture",
            SiteKind::SubPrefecture => "Sous-préfecture",
            SiteKind::AdministrativeCentre => "Cité administrative",
            SiteKind::Other => "Autre site",
        }
    }

    pub fn parse(s: &str) -> Result<SiteKind, PrefectureError> {
        SiteKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| PrefectureError::UnknownSiteKind(s.to_owned()))
    }
}

pub const NAME_MAX_LEN: usize = 200;
pub const CODE_MAX_LEN: usize = 20;

fn clean_name(field: &'static str, raw: &str) -> Result<String, PrefectureError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(PrefectureError::Invalid {
            field,
            problem: "ce champ est obligatoire".into(),
        });
    }
    if name.chars().count() > NAME_MAX_LEN {
        return Err(PrefectureError::Invalid {
            field,
            problem: format!("{NAME_MAX_LEN} caractères au plus"),
        });
    }
    if name.chars().any(char::is_control) {
        return Err(PrefectureError::Invalid {
            field,
            problem: "caractères de contrôle interdits".into(),
        });
    }
    Ok(name.to_owned())
}

/// The labelling scope (périmètre de labellisation): a référentiel version and the chosen
/// modules. Module 1 (relation générale avec les usagers) is always in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    pub referentiel: String,
    pub modules: BTreeSet<u8>,
}

impl Scope {
    pub fn new(referentiel_code: &str, modules: &[u8]) -> Result<Scope, PrefectureError> {
        // Only a Qual-e-pref version can be a labelling scope; SP+ and Transparence are
        // followed alongside it.
        let r = referentiel::find(referentiel_code)
            .filter(|r| r.kind == referentiel::ReferentielKind::QualEPref)
            .ok_or_else(|| PrefectureError::UnknownReferentiel(referentiel_code.to_owned()))?;
        Scope::within(r, modules)
    }

    fn within(r: &Referentiel, modules: &[u8]) -> Result<Scope, PrefectureError> {
        let mut chosen: BTreeSet<u8> = r
            .modules
            .iter()
            .filter(|m| m.mandatory)
            .map(|m| m.number)
            .collect();
        for &m in modules {
            if r.module(m).is_none() {
                return Err(PrefectureError::UnknownModule {
                    module: m,
                    version: r.code.clone(),
                });
            }
            chosen.insert(m);
        }
        Ok(Scope {
            referentiel: r.code.clone(),
            modules: chosen,
        })
    }
}

/// Parses `1,2,3` or `1 2 3` as a list of module numbers.
pub fn parse_module_list(raw: &str) -> Result<Vec<u8>, PrefectureError> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<u8>().map_err(|_| PrefectureError::Invalid {
                field: "modules",
                problem: format!("« {s} » n'est pas un numéro de module"),
            })
        })
        .collect()
}

/// The prefecture's identity and scope, as set at `qep init` and edited by an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrefectureSettings {
    pub name: String,
    pub department: Department,
    pub scope: Scope,
}

impl PrefectureSettings {
    pub fn new(
        name: &str,
        department: &str,
        referentiel: &str,
        modules: &[u8],
    ) -> Result<PrefectureSettings, PrefectureError> {
        Ok(PrefectureSettings {
            name: clean_name("nom de la préfecture", name)?,
            department: Department::parse(department)?,
            scope: Scope::new(referentiel, modules)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    pub id: SiteId,
    pub name: String,
    pub kind: SiteKind,
    pub address: String,
    /// The site's legal time when it differs from its département's (`None`: the
    /// département's, see [`Site::zone`]).
    pub time_zone: Option<crate::time::Tz>,
}

impl Site {
    /// The site's legal time: its own, else its département's.
    pub fn zone(&self, department: Department) -> crate::time::Tz {
        self.time_zone
            .unwrap_or_else(|| crate::time::zone_of(department))
    }
}

/// The prefecture's main site: the first site of kind « préfecture », else the first site
/// (sites are listed in creation order). Web-form messages arrive there, and its calendar
/// dates what is prefecture-wide (the morning digest's next working day).
pub fn main_site(sites: &[Site]) -> Option<&Site> {
    sites
        .iter()
        .find(|s| s.kind == SiteKind::Prefecture)
        .or_else(|| sites.first())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteDraft {
    pub name: String,
    pub kind: SiteKind,
    pub address: String,
    pub time_zone: Option<crate::time::Tz>,
}

impl SiteDraft {
    pub fn new(name: &str, kind: &str, address: &str) -> Result<SiteDraft, PrefectureError> {
        let address = address.trim();
        if address.chars().count() > NAME_MAX_LEN || address.chars().any(char::is_control) {
            return Err(PrefectureError::Invalid {
                field: "adresse",
                problem: format!("{NAME_MAX_LEN} caractères au plus, sans caractère de contrôle"),
            });
        }
        Ok(SiteDraft {
            name: clean_name("nom du site", name)?,
            kind: SiteKind::parse(kind)?,
            address: address.to_owned(),
            time_zone: None,
        })
    }

    /// With its own legal time: an IANA name, or empty for the département's.
    pub fn with_time_zone(mut self, name: &str) -> Result<SiteDraft, PrefectureError> {
        self.time_zone = match name.trim() {
            "" => None,
            other => Some(crate::time::parse_zone(other).map_err(|problem| {
                PrefectureError::Invalid {
                    field: "fuseau horaire",
                    problem,
                }
            })?),
        };
        Ok(self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    pub id: ServiceId,
    pub name: String,
    /// Short office code used in action plans ("BASE", "BRECI"…).
    pub code: String,
    pub site_id: SiteId,
    /// Whether the service is inside the labelling scope.
    pub in_scope: bool,
    /// The address its agents' answers leave from (`None`: the instance's `mail_from`).
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDraft {
    pub name: String,
    pub code: String,
    pub site_id: SiteId,
    pub in_scope: bool,
    pub email: Option<String>,
}

impl ServiceDraft {
    pub fn new(
        name: &str,
        code: &str,
        site_id: SiteId,
        in_scope: bool,
    ) -> Result<ServiceDraft, PrefectureError> {
        let code = code.trim().to_uppercase();
        if code.chars().count() > CODE_MAX_LEN
            || !code
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            return Err(PrefectureError::Invalid {
                field: "sigle",
                problem: format!("{CODE_MAX_LEN} lettres, chiffres, « - » ou « _ » au plus"),
            });
        }
        Ok(ServiceDraft {
            name: clean_name("nom du service", name)?,
            code,
            site_id,
            in_scope,
            email: None,
        })
    }

    /// With the address its agents' answers leave from (empty: the instance's sender).
    pub fn with_email(mut self, email: &str) -> Result<ServiceDraft, PrefectureError> {
        self.email = match email.trim() {
            "" => None,
            raw => Some(
                crate::account::Email::parse(raw)
                    .map_err(|e| PrefectureError::Invalid {
                        field: "adresse électronique du service",
                        problem: e.to_string(),
                    })?
                    .to_string(),
            ),
        };
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departments_accept_official_codes_only() {
        assert_eq!(Department::parse("61").map(|d| d.name()), Ok("Orne"));
        assert_eq!(Department::parse("1").map(|d| d.code()), Ok("01"));
        assert_eq!(Department::parse(" 2a ").map(|d| d.code()), Ok("2A"));
        assert_eq!(Department::parse("974").map(|d| d.name()), Ok("La Réunion"));
        for bad in ["20", "96", "975", "00", "", "abc", "9711"] {
            assert_eq!(
                Department::parse(bad),
                Err(PrefectureError::UnknownDepartment(bad.trim().to_owned()))
            );
        }
        assert_eq!(Department::all().count(), 101);
    }

    #[test]
    fn module_one_is_always_in_scope() {
        let scope = Scope::new(referentiel::DEFAULT_CODE, &[2, 3]).expect("valid scope");
        assert_eq!(scope.modules.into_iter().collect::<Vec<_>>(), vec![1, 2, 3]);
        let only_default = Scope::new(referentiel::DEFAULT_CODE, &[]).expect("valid scope");
        assert_eq!(
            only_default.modules.into_iter().collect::<Vec<_>>(),
            vec![1]
        );
    }

    #[test]
    fn unknown_modules_and_versions_are_refused() {
        assert_eq!(
            Scope::new(referentiel::DEFAULT_CODE, &[5]),
            Err(PrefectureError::UnknownModule {
                module: 5,
                version: referentiel::DEFAULT_CODE.into()
            })
        );
        assert!(matches!(
            Scope::new("qualipref-1990", &[]),
            Err(PrefectureError::UnknownReferentiel(_))
        ));
        assert!(
            matches!(
                Scope::new("transparence", &[]),
                Err(PrefectureError::UnknownReferentiel(_))
            ),
            "Transparence is not a labelling scope"
        );
        assert!(parse_module_list("1,x").is_err());
        assert_eq!(parse_module_list("1, 2 3"), Ok(vec![1, 2, 3]));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        let s = PrefectureSettings::new(
            "  Préfecture du Cher ",
            "18",
            referentiel::DEFAULT_CODE,
            &[],
        )
        .expect("valid");
        assert_eq!(s.name, "Préfecture du Cher");
        assert!(PrefectureSettings::new(" ", "18", referentiel::DEFAULT_CODE, &[]).is_err());
        assert!(SiteDraft::new(&"x".repeat(201), "prefecture", "").is_err());
        assert!(ServiceDraft::new("Bureau", "B A", SiteId(1), true).is_err());
        assert_eq!(
            ServiceDraft::new("Bureau", "base", SiteId(1), true).map(|s| s.code),
            Ok("BASE".to_owned())
        );
    }
}
