//! Column mappings: how the columns of one kind of export (the telephony switch's call
//! log, the ministry's title delays…) become QeP's fields.
//!
//! A mapping is a small TOML document, saved under a name and reused for every file of
//! that shape:
//!
//! ```toml
//! name = "autocom-standard"
//! source = "calls"
//! description = "Journal d'appels de l'autocommutateur"
//! date_format = "%d/%m/%Y %H:%M"      # optional: ISO and French forms are recognised
//! [columns]                            # field = header in the file
//! started_at = "Date appel"
//! answered = "Statut"
//! rings = "Nb sonneries"
//! [constants]                          # a field every row shares
//! line = "Standard"
//! [values.answered]                    # a file's own words for a field's values
//! "Traité" = "oui"
//! "Dissuadé" = "non"
//! ```
//!
//! A field without a column or a constant is looked for under its usual header names
//! (`ligne`, `sonneries`, `période`…): the built-in mappings (`appels`, `telephonie`,
//! `titres`, …) rely on that only.

use std::collections::BTreeMap;

use qep_core::indicators::imported::{FactSource, keys};
use serde::{Deserialize, Serialize};

use crate::table::fold;

/// What a field holds, which decides how its cells are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A date with an optional time of day (`2024-01-02T08:15:00`, `02/01/2024 08:15`).
    DateTime,
    /// A month or quarter (`2020-01`, `01/2020`, `janvier 2020`, `T1 2020`…).
    Period,
    /// A whole number ≥ 0.
    Count,
    /// A decimal number ≥ 0 (comma or point).
    Decimal,
    /// Yes or no (`1`/`0`, `oui`/`non`, `répondu`/`perdu`…).
    Bool,
    /// One of a fixed set of values.
    Choice(&'static [&'static str]),
    /// Free text (a line's name, a network's name).
    Text,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    /// What it is, for people.
    pub label: &'static str,
    /// Header names it is found under when the mapping names no column (folded: lower
    /// case, no accents).
    pub aliases: &'static [&'static str],
}

const fn field(
    name: &'static str,
    kind: FieldKind,
    required: bool,
    label: &'static str,
    aliases: &'static [&'static str],
) -> Field {
    Field {
        name,
        kind,
        required,
        label,
        aliases,
    }
}

const PERIOD: Field = field(
    "period",
    FieldKind::Period,
    true,
    "mois ou trimestre",
    &["periode", "mois", "trimestre", "date", "month", "period"],
);

const CALLS: &[Field] = &[
    field(
        "started_at",
        FieldKind::DateTime,
        true,
        "date et heure de l'appel",
        &[
            "started_at",
            "date",
            "date/heure",
            "date heure",
            "date et heure",
            "horodatage",
            "debut",
            "date appel",
            "date de l'appel",
            "heure de debut",
        ],
    ),
    field(
        "answered",
        FieldKind::Bool,
        true,
        "appel décroché (oui/non)",
        &[
            "answered", "decroche", "repondu", "abouti", "statut", "etat", "resultat",
        ],
    ),
    field(
        "line",
        FieldKind::Text,
        false,
        "ligne ou service appelé (« standard » par défaut)",
        &[
            "line",
            "ligne",
            "service",
            "groupe",
            "file d'attente",
            "numero appele",
        ],
    ),
    field(
        "rings",
        FieldKind::Count,
        false,
        "nombre de sonneries avant décroché",
        &["rings", "sonneries", "nb sonneries", "nombre de sonneries"],
    ),
];

const TELEPHONY: &[Field] = &[
    PERIOD,
    field(
        "line",
        FieldKind::Text,
        false,
        "ligne ou service (« standard » par défaut)",
        &["line", "ligne", "service", "groupe"],
    ),
    field(
        "presented",
        FieldKind::Count,
        true,
        "appels présentés",
        &[
            "presented",
            "presentes",
            "appels presentes",
            "recus",
            "appels recus",
            "entrants",
        ],
    ),
    field(
        "answered",
        FieldKind::Count,
        true,
        "appels décrochés",
        &[
            "answered",
            "decroches",
            "appels decroches",
            "aboutis",
            "appels aboutis",
            "repondus",
        ],
    ),
    field(
        "lost",
        FieldKind::Count,
        false,
        "appels perdus",
        &["lost", "perdus", "appels perdus", "abandonnes"],
    ),
    field(
        "within_5_rings",
        FieldKind::Count,
        false,
        "appels décrochés en moins de 5 sonneries",
        &[
            "within_5_rings",
            "decroches en moins de 5 sonneries",
            "moins de 5 sonneries",
        ],
    ),
];

const TITLES: &[Field] = &[
    PERIOD,
    field(
        "title",
        FieldKind::Choice(&keys::TITLES),
        true,
        "titre (CNI, passeport, traitement CNI-passeports, permis de conduire, immatriculation)",
        &["title", "titre", "type de titre", "type", "nature"],
    ),
    field(
        "delay",
        FieldKind::Decimal,
        true,
        "délai moyen en jours",
        &[
            "delay",
            "delai",
            "delai moyen",
            "delai moyen (jours)",
            "jours",
        ],
    ),
    field(
        "files",
        FieldKind::Count,
        false,
        "nombre de dossiers",
        &[
            "files",
            "dossiers",
            "nombre de dossiers",
            "nb dossiers",
            "volume",
        ],
    ),
];

const FOREIGNERS: &[Field] = &[
    PERIOD,
    field(
        "kind",
        FieldKind::Choice(&keys::FOREIGNERS),
        true,
        "première demande ou renouvellement",
        &["kind", "type", "type de demande", "nature", "demande"],
    ),
    TITLES[2],
    TITLES[3],
];

const FRAUD: &[Field] = &[
    PERIOD,
    field(
        "scope",
        FieldKind::Choice(&keys::FRAUDS),
        true,
        "titres (CNI-passeports) ou étrangers",
        &["scope", "domaine", "perimetre", "module"],
    ),
    field(
        "frauds",
        FieldKind::Count,
        true,
        "dossiers frauduleux détectés",
        &[
            "frauds",
            "fraudes",
            "fraudes detectees",
            "dossiers frauduleux",
        ],
    ),
    field(
        "files",
        FieldKind::Count,
        true,
        "dossiers traités",
        &[
            "files",
            "dossiers",
            "dossiers traites",
            "nombre de dossiers",
        ],
    ),
];

const WEB: &[Field] = &[
    PERIOD,
    field(
        "visitors",
        FieldKind::Count,
        true,
        "visiteurs du site",
        &["visitors", "visiteurs", "visiteurs uniques", "visites"],
    ),
    field(
        "population",
        FieldKind::Count,
        true,
        "population du département (INSEE)",
        &["population", "habitants", "population insee"],
    ),
];

const SOCIAL: &[Field] = &[
    PERIOD,
    field(
        "network",
        FieldKind::Text,
        false,
        "réseau (Facebook, X…)",
        &["network", "reseau", "compte", "plateforme"],
    ),
    field(
        "connections",
        FieldKind::Count,
        false,
        "connexions",
        &["connections", "connexions", "visites", "vues"],
    ),
    field(
        "impressions",
        FieldKind::Count,
        false,
        "impressions des publications",
        &["impressions", "portee"],
    ),
    field(
        "engagements",
        FieldKind::Count,
        false,
        "interactions (j'aime, partages, commentaires, clics)",
        &["engagements", "interactions", "engagement"],
    ),
];

/// The fields of a source, in the order they are shown.
pub fn fields(source: FactSource) -> &'static [Field] {
    match source {
        FactSource::Calls => CALLS,
        FactSource::Telephony => TELEPHONY,
        FactSource::Titles => TITLES,
        FactSource::Foreigners => FOREIGNERS,
        FactSource::Fraud => FRAUD,
        FactSource::Web => WEB,
        FactSource::Social => SOCIAL,
    }
}

/// Words files use for the values of the fixed-choice fields and yes/no fields (folded).
fn synonyms(kind: FieldKind) -> &'static [(&'static str, &'static [&'static str])] {
    match kind {
        FieldKind::Bool => &[
            (
                "oui",
                &[
                    "1", "oui", "o", "yes", "y", "true", "vrai", "repondu", "decroche", "abouti",
                    "traite", "answered",
                ],
            ),
            (
                "non",
                &[
                    "0",
                    "non",
                    "n",
                    "no",
                    "false",
                    "faux",
                    "perdu",
                    "abandonne",
                    "non repondu",
                    "non decroche",
                    "non abouti",
                    "dissuade",
                    "lost",
                ],
            ),
        ],
        FieldKind::Choice(set) if set == keys::TITLES.as_slice() => &[
            (
                keys::ID,
                &[
                    "id",
                    "cni",
                    "carte nationale d'identite",
                    "carte d'identite",
                    "carte nationale d’identite",
                ],
            ),
            (keys::PASSPORT, &["passport", "passeport", "passeports"]),
            (
                keys::ID_PASSPORT_PROCESSING,
                &[
                    "id_passport_processing",
                    "traitement cni-passeports",
                    "traitement cni passeports",
                    "traitement cert",
                    "traitement",
                ],
            ),
            (
                keys::DRIVING_LICENCE,
                &["driving_licence", "permis", "permis de conduire", "pc"],
            ),
            (
                keys::VEHICLE_REGISTRATION,
                &[
                    "vehicle_registration",
                    "immatriculation",
                    "certificat d'immatriculation",
                    "certificats d'immatriculation",
                    "ci",
                    "siv",
                    "carte grise",
                ],
            ),
        ],
        FieldKind::Choice(set) if set == keys::FOREIGNERS.as_slice() => &[
            (
                keys::FIRST_APPLICATION,
                &[
                    "first_application",
                    "premiere demande",
                    "premieres demandes",
                    "1re demande",
                    "1ere demande",
                    "admission",
                    "admission au sejour",
                ],
            ),
            (
                keys::RENEWAL,
                &["renewal", "renouvellement", "renouvellements"],
            ),
        ],
        FieldKind::Choice(set) if set == keys::FRAUDS.as_slice() => &[
            (
                keys::FRAUD_TITLES,
                &[
                    "titles",
                    "titres",
                    "cni-passeports",
                    "cni passeports",
                    "module 2",
                    "2",
                ],
            ),
            (
                keys::FRAUD_FOREIGNERS,
                &[
                    "foreigners",
                    "etrangers",
                    "sejour",
                    "titres de sejour",
                    "module 3",
                    "3",
                ],
            ),
        ],
        _ => &[],
    }
}

/// A mapping as saved and edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub name: String,
    pub source: FactSource,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// A chrono format for dates (`%d/%m/%Y %H:%M`) when the usual forms are not enough.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_format: Option<String>,
    /// Field → header in the file.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Field → value every row shares.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub constants: BTreeMap<String, String>,
    /// Field → (the file's word → QeP's value).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}

/// The mappings every installation has; their names cannot be taken by saved ones.
pub const BUILTIN: [(&str, FactSource); 7] = [
    ("appels", FactSource::Calls),
    ("telephonie", FactSource::Telephony),
    ("titres", FactSource::Titles),
    ("titres-sejour", FactSource::Foreigners),
    ("fraude", FactSource::Fraud),
    ("site-internet", FactSource::Web),
    ("reseaux-sociaux", FactSource::Social),
];

pub fn builtin(name: &str) -> Option<Mapping> {
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name.trim())
        .map(|(n, source)| Mapping {
            name: (*n).to_owned(),
            source: *source,
            description: format!(
                "Modèle intégré : {} (colonnes reconnues par leurs noms usuels)",
                source.label()
            ),
            date_format: None,
            columns: BTreeMap::new(),
            constants: BTreeMap::new(),
            values: BTreeMap::new(),
        })
}

/// The built-in mapping of a source.
pub fn builtin_for(source: FactSource) -> Mapping {
    let name = BUILTIN
        .iter()
        .find(|(_, s)| *s == source)
        .map_or("appels", |(n, _)| n);
    builtin(name).unwrap_or_else(|| unreachable!("every source has a built-in mapping"))
}

impl Mapping {
    /// Reads a mapping file and checks it.
    pub fn from_toml(text: &str) -> Result<Mapping, Vec<String>> {
        let m: Mapping = toml::from_str(text).map_err(|e| vec![e.to_string()])?;
        m.check()?;
        Ok(m)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Every problem of the mapping itself, whatever the file.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 60
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !name_ok {
            errors.push(format!(
                "nom « {} » : attendu 1 à 60 caractères parmi a-z, 0-9, - et _",
                self.name
            ));
        }
        let fields = fields(self.source);
        let known = |f: &str| fields.iter().find(|x| x.name == f);
        let expected = || fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
        for (what, names) in [
            ("columns", self.columns.keys().collect::<Vec<_>>()),
            ("constants", self.constants.keys().collect()),
            ("values", self.values.keys().collect()),
        ] {
            for n in names {
                if known(n).is_none() {
                    errors.push(format!(
                        "[{what}] champ inconnu « {n} » pour la source {} (attendu : {})",
                        self.source,
                        expected()
                    ));
                }
            }
        }
        for (f, header) in &self.columns {
            if header.trim().is_empty() {
                errors.push(format!("[columns] {f} : nom de colonne vide"));
            }
            if self.constants.contains_key(f) {
                errors.push(format!(
                    "{f} : une colonne et une constante à la fois (choisissez l'une ou l'autre)"
                ));
            }
        }
        for (f, words) in &self.values {
            let Some(field) = known(f) else { continue };
            let allowed: Vec<&str> = match field.kind {
                FieldKind::Bool => vec!["oui", "non"],
                FieldKind::Choice(set) => set.to_vec(),
                _ => {
                    errors.push(format!(
                        "[values] {f} : seuls les champs à valeurs fixes ont une table de valeurs"
                    ));
                    continue;
                }
            };
            for (word, value) in words {
                if !allowed.contains(&value.as_str()) {
                    errors.push(format!(
                        "[values.{f}] « {word} » = « {value} » : attendu {}",
                        allowed.join(", ")
                    ));
                }
            }
        }
        for (f, value) in &self.constants {
            if let Some(field) = known(f)
                && let Err(e) = self.read_value(field, value)
            {
                errors.push(format!("[constants] {f} = « {value} » : {e}"));
            }
        }
        if let Some(fmt) = &self.date_format
            && (!fmt.contains("%d")
                || !(fmt.contains("%m") || fmt.contains("%b"))
                || !fmt.contains("%Y") && !fmt.contains("%y"))
        {
            errors.push(format!(
                "date_format « {fmt} » : attendu un format chrono avec jour, mois et année, par exemple %d/%m/%Y %H:%M"
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Where each field is found in a file with these headers; every missing required
    /// field and every mapped column absent from the file is an error.
    pub fn bind(&self, headers: &[String]) -> Result<Vec<(Field, Binding)>, Vec<String>> {
        let folded: Vec<String> = headers.iter().map(|h| fold(h)).collect();
        let mut errors = Vec::new();
        let mut out = Vec::new();
        for f in fields(self.source) {
            let binding = if let Some(c) = self.constants.get(f.name) {
                Binding::Constant(c.clone())
            } else if let Some(h) = self.columns.get(f.name) {
                match folded.iter().position(|x| *x == fold(h)) {
                    Some(i) => Binding::Column(i),
                    None => {
                        errors.push(format!(
                            "colonne « {h} » ({}) absente du fichier (colonnes présentes : {})",
                            f.name,
                            headers.join(", ")
                        ));
                        continue;
                    }
                }
            } else if let Some(i) = folded.iter().position(|x| f.aliases.contains(&x.as_str())) {
                Binding::Column(i)
            } else if f.required {
                errors.push(format!(
                    "aucune colonne pour « {} » ({}) : nommez-la dans le modèle de correspondance (colonnes présentes : {} ; noms reconnus : {})",
                    f.name,
                    f.label,
                    headers.join(", "),
                    f.aliases.join(", ")
                ));
                continue;
            } else {
                Binding::Absent
            };
            out.push((*f, binding));
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// The canonical value of a cell of a fixed-choice or yes/no field, through the
    /// mapping's own table then the usual words; other kinds are returned trimmed.
    pub fn read_value(&self, field: &Field, raw: &str) -> Result<String, String> {
        let allowed: Vec<&str> = match field.kind {
            FieldKind::Bool => vec!["oui", "non"],
            FieldKind::Choice(set) => set.to_vec(),
            _ => return Ok(raw.trim().to_owned()),
        };
        let folded = fold(raw);
        if let Some(own) = self.values.get(field.name)
            && let Some((_, v)) = own.iter().find(|(w, _)| fold(w) == folded)
        {
            return Ok(v.clone());
        }
        synonyms(field.kind)
            .iter()
            .find(|(_, words)| words.contains(&folded.as_str()))
            .map(|(v, _)| (*v).to_owned())
            .ok_or_else(|| {
                format!(
                    "valeur non reconnue (attendu : {} ; ajoutez-la à la table [values.{}] du modèle)",
                    allowed.join(", "),
                    field.name
                )
            })
    }
}

/// Where a field's value comes from in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    Column(usize),
    Constant(String),
    Absent,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_mapping_file_round_trips_and_binds_to_its_columns() {
        let text = r#"
name = "autocom"
source = "calls"
date_format = "%d/%m/%Y %H:%M"
[columns]
started_at = "Date appel"
answered = "Statut"
[constants]
line = "Standard"
[values.answered]
"Traité" = "oui"
"#;
        let m = Mapping::from_toml(text).expect("valid");
        assert_eq!(Mapping::from_toml(&m.to_toml()).expect("again"), m);
        let b = m
            .bind(&headers(&["N°", "date appel", "STATUT", "Sonneries"]))
            .expect("bound");
        let find = |n: &str| b.iter().find(|(f, _)| f.name == n).map(|(_, b)| b.clone());
        assert_eq!(find("started_at"), Some(Binding::Column(1)));
        assert_eq!(find("answered"), Some(Binding::Column(2)));
        assert_eq!(find("line"), Some(Binding::Constant("Standard".into())));
        // Not named, found by its usual header.
        assert_eq!(find("rings"), Some(Binding::Column(3)));
        let answered = fields(FactSource::Calls)[1];
        assert_eq!(m.read_value(&answered, "traité").as_deref(), Ok("oui"));
        assert_eq!(m.read_value(&answered, "Abandonné").as_deref(), Ok("non"));
        assert!(m.read_value(&answered, "peut-être").is_err());
    }

    #[test]
    fn mapping_mistakes_are_all_named() {
        let text = r#"
name = "Mon Modèle"
source = "titles"
[columns]
titre = "Type"
delay = "Délai"
[constants]
delay = "3"
[values.title]
"CNI+" = "identity"
"#;
        let errors = Mapping::from_toml(text).expect_err("invalid");
        let all = errors.join("\n");
        assert!(all.contains("nom « Mon Modèle »"), "{all}");
        assert!(all.contains("champ inconnu « titre »"), "{all}");
        assert!(
            all.contains("delay : une colonne et une constante"),
            "{all}"
        );
        assert!(all.contains("« CNI+ » = « identity »"), "{all}");
        assert_eq!(errors.len(), 4, "{all}");
        let unknown_key = Mapping::from_toml("name = \"x\"\nsource = \"titles\"\ncolour = 1\n");
        assert!(unknown_key.expect_err("unknown key")[0].contains("colour"));
    }

    #[test]
    fn a_file_without_a_required_column_says_which_and_lists_the_file_s_columns() {
        let m = builtin("titres").expect("built-in");
        let errors = m
            .bind(&headers(&["Mois", "Titre", "Nombre"]))
            .expect_err("no delay column");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("« delay »") && errors[0].contains("Mois, Titre, Nombre"));
    }
}
