//! The quality standard (référentiel) as versioned data.
//!
//! Each version is a TOML file under `referentiels/`, compiled into the binary. Code never
//! names a module's content: it reads it from these files, so that a corrected or new
//! version of the standard is a data change.
//!
//! Three kinds of sets share this shape (see [`ReferentielKind`]): the Qual-e-pref versions
//! a prefecture is labelled against, the Services Publics + commitment sets, and the
//! Transparence indicators. A version holds modules; a module holds numbered commitments
//! (engagements) and indicator definitions. `referentiel` stays French in the code: it is the
//! users' word and has no exact English equivalent.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::indicators::{IndicatorDef, Kind, Source, Unit};

/// The version a new prefecture starts with.
pub const DEFAULT_CODE: &str = "qualepref-2018";

const EMBEDDED: &[(&str, &str)] = &[
    (
        "qualepref-2018.toml",
        include_str!("../referentiels/qualepref-2018.toml"),
    ),
    (
        "qualepref-8-modules.toml",
        include_str!("../referentiels/qualepref-8-modules.toml"),
    ),
    (
        "services-publics-plus-2021.toml",
        include_str!("../referentiels/services-publics-plus-2021.toml"),
    ),
    (
        "services-publics-plus-2023.toml",
        include_str!("../referentiels/services-publics-plus-2023.toml"),
    ),
    (
        "transparence.toml",
        include_str!("../referentiels/transparence.toml"),
    ),
];

/// What a set is: a Qual-e-pref version (what a prefecture is labelled against), a
/// Services Publics + commitment set, or the Transparence indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferentielKind {
    /// `qual_e_pref`
    QualEPref,
    /// `services_publics_plus`
    ServicesPublicsPlus,
    /// `transparence`
    Transparence,
}

impl ReferentielKind {
    /// The value used in the data files.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferentielKind::QualEPref => "qual_e_pref",
            ReferentielKind::ServicesPublicsPlus => "services_publics_plus",
            ReferentielKind::Transparence => "transparence",
        }
    }

    /// What users read.
    pub fn label(self) -> &'static str {
        match self {
            ReferentielKind::QualEPref => "Qual-e-pref",
            ReferentielKind::ServicesPublicsPlus => "Services Publics +",
            ReferentielKind::Transparence => "Transparence",
        }
    }
}

/// One version of a set (one data file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Referentiel {
    pub code: String,
    pub title: String,
    pub kind: ReferentielKind,
    /// First year the version applies to, when known.
    #[serde(default)]
    pub valid_from: Option<i32>,
    #[serde(default)]
    pub description: Option<String>,
    pub modules: Vec<Module>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Module {
    pub number: u8,
    pub title: String,
    pub mandatory: bool,
    #[serde(default)]
    pub commitments: Vec<Commitment>,
    #[serde(default)]
    pub indicators: Vec<IndicatorDef>,
}

/// One numbered engagement, checked by auditors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    /// Unique within a version (Qual-e-pref numbers run across modules: 1–20, 21–23…).
    pub number: u16,
    pub title: String,
    /// What must be done (the exigences, sub-clauses auditors cite).
    #[serde(default)]
    pub requirements: Vec<String>,
    /// The proof auditors expect.
    #[serde(default)]
    pub evidence: Vec<String>,
}

impl Referentiel {
    pub fn module(&self, number: u8) -> Option<&Module> {
        self.modules.iter().find(|m| m.number == number)
    }

    /// Every indicator of the version with the number of its module, in file order.
    pub fn indicators(&self) -> impl Iterator<Item = (u8, &IndicatorDef)> + '_ {
        self.modules
            .iter()
            .flat_map(|m| m.indicators.iter().map(move |i| (m.number, i)))
    }

    pub fn indicator(&self, code: &str) -> Option<&IndicatorDef> {
        self.indicators().map(|(_, i)| i).find(|i| i.code == code)
    }

    pub fn commitment(&self, number: u16) -> Option<&Commitment> {
        self.modules
            .iter()
            .flat_map(|m| m.commitments.iter())
            .find(|c| c.number == number)
    }

    /// Parses one version file; the error names the file and what is wrong in it.
    pub fn parse(file_name: &str, text: &str) -> Result<Referentiel, String> {
        let r: Referentiel = toml::from_str(text).map_err(|e| format!("{file_name}: {e}"))?;
        r.validate().map_err(|e| format!("{file_name}: {e}"))?;
        Ok(r)
    }

    fn validate(&self) -> Result<(), String> {
        if self.code.trim().is_empty() {
            return Err("le code de la version est vide".into());
        }
        let mut modules = BTreeSet::new();
        for m in &self.modules {
            if !modules.insert(m.number) {
                return Err(format!("numéro de module en double : {}", m.number));
            }
        }
        if self.kind == ReferentielKind::QualEPref
            && !self.modules.iter().any(|m| m.number == 1 && m.mandatory)
        {
            return Err("le module 1 doit exister et être obligatoire".into());
        }
        let mut commitments: BTreeMap<u16, u8> = BTreeMap::new();
        for m in &self.modules {
            for c in &m.commitments {
                if let Some(first) = commitments.insert(c.number, m.number) {
                    return Err(format!(
                        "engagement n° {} en double (modules {first} et {})",
                        c.number, m.number
                    ));
                }
            }
        }
        let mut codes = BTreeSet::new();
        for (module, i) in self.indicators() {
            check_indicator(module, i)?;
            if !codes.insert(i.code.as_str()) {
                return Err(format!("indicateur « {} » en double", i.code));
            }
        }
        Ok(())
    }
}

/// `^[a-z0-9_]+(\.[a-z0-9_]+)+$`: at least two dot-separated segments.
fn is_valid_indicator_code(code: &str) -> bool {
    code.split('.').count() >= 2
        && code.split('.').all(|segment| {
            !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// Prefix of the indicators a prefecture adds itself.
pub const LOCAL_PREFIX: &str = "local.";

/// Checks an indicator a prefecture adds: a `local.` code, values entered or imported
/// (no register computes it), and the rules every indicator follows.
pub fn check_local_indicator(def: &IndicatorDef) -> Result<(), String> {
    if !def.code.starts_with(LOCAL_PREFIX) {
        return Err(format!(
            "code d'indicateur local « {} » : il doit commencer par « {LOCAL_PREFIX} » (ex. local.accueil.attente)",
            def.code
        ));
    }
    if def.source == crate::indicators::Source::Register {
        return Err(format!(
            "indicateur local « {} » : ses valeurs sont saisies ou importées, aucun registre ne le calcule",
            def.code
        ));
    }
    check_indicator(0, def)
}

fn check_indicator(module: u8, i: &IndicatorDef) -> Result<(), String> {
    let code = &i.code;
    if !is_valid_indicator_code(code) {
        return Err(format!(
            "code d'indicateur « {code} » invalide : attendu des segments en minuscules, \
             chiffres ou « _ » séparés par des points (ex. m1.email.on_time)"
        ));
    }
    // A code such as `m2.fraud_rate` names its module: it must sit in module 2.
    if let Some(n) = code
        .split('.')
        .next()
        .and_then(|first| first.strip_prefix('m'))
        .and_then(|digits| digits.parse::<u8>().ok())
        && n != module
    {
        return Err(format!(
            "indicateur « {code} » rangé dans le module {module} alors que son code annonce le module {n}"
        ));
    }
    if i.label.trim().is_empty() {
        return Err(format!("indicateur « {code} » : libellé vide"));
    }
    let mut years = BTreeSet::new();
    for t in &i.targets {
        if t.comparator != i.comparator {
            return Err(format!(
                "indicateur « {code} » : la cible {} utilise « {} » alors que l'indicateur est « {} »",
                t.year,
                t.comparator.as_str(),
                i.comparator.as_str()
            ));
        }
        if !years.insert(t.year) {
            return Err(format!(
                "indicateur « {code} » : deux cibles pour l'année {}",
                t.year
            ));
        }
        if !t.value.is_finite() {
            return Err(format!(
                "indicateur « {code} » : la cible {} n'est pas un nombre",
                t.year
            ));
        }
    }
    if i.deadline_working_days == Some(0) {
        return Err(format!(
            "indicateur « {code} » : deadline_working_days doit valoir au moins 1"
        ));
    }
    if i.kind == Kind::OnTimeRate
        && i.source == Source::Register
        && i.deadline_working_days.is_none()
    {
        return Err(format!(
            "indicateur « {code} » : un taux de réponse dans le délai (on_time_rate) calculé \
             depuis un registre doit indiquer son délai (deadline_working_days)"
        ));
    }
    if i.source == Source::Register {
        if i.register.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err(format!(
                "indicateur « {code} » : source = \"register\" exige le nom du registre (register)"
            ));
        }
        // What the indicator engine computes from register items (indicators::engine).
        if !matches!(
            i.kind,
            Kind::OnTimeRate | Kind::MeanDelay | Kind::Count | Kind::DailyMean
        ) {
            return Err(format!(
                "indicateur « {code} » : un registre ne donne qu'un taux de réponse dans le \
                 délai, un délai moyen, un nombre ou une moyenne par jour ouvré ; saisir ou \
                 importer les autres types (source = \"entered\" ou \"imported\")"
            ));
        }
        if i.kind == Kind::MeanDelay && i.unit != Unit::WorkingDays {
            return Err(format!(
                "indicateur « {code} » : un délai moyen calculé depuis un registre est en jours \
                 ouvrés (unit = \"working_days\")"
            ));
        }
    }
    Ok(())
}

static IN_FORCE: OnceLock<Vec<Referentiel>> = OnceLock::new();

/// Every set in force, of every kind: the catalogue [`install`]ed at start-up, or else the
/// compiled-in sets in the order of the embedded files.
pub fn all() -> &'static [Referentiel] {
    IN_FORCE.get().map_or_else(embedded, Vec::as_slice)
}

/// Makes a catalogue built by [`load_dir`] the one in force for this process. Called once,
/// at start-up, before any lookup; a second call is refused.
pub fn install(catalogue: Vec<Referentiel>) -> Result<(), String> {
    IN_FORCE
        .set(catalogue)
        .map_err(|_| "le référentiel en vigueur est déjà installé".to_owned())
}

/// The sets compiled into QeP.
pub fn embedded() -> &'static [Referentiel] {
    static ALL: OnceLock<Vec<Referentiel>> = OnceLock::new();
    ALL.get_or_init(|| {
        EMBEDDED
            .iter()
            // The embedded files are checked by the tests below; a broken one is a build defect.
            .filter_map(|(name, text)| Referentiel::parse(name, text).ok())
            .collect()
    })
}

pub fn find(code: &str) -> Option<&'static Referentiel> {
    all().iter().find(|r| r.code == code)
}

/// The compiled-in sets of one kind: `of_kind(ReferentielKind::QualEPref)` lists the
/// versions a prefecture can be labelled against.
pub fn of_kind(kind: ReferentielKind) -> impl Iterator<Item = &'static Referentiel> {
    all().iter().filter(move |r| r.kind == kind)
}

/// The Transparence indicators (`transparence.toml`), published quarterly.
pub fn transparence() -> &'static Referentiel {
    static MISSING: OnceLock<Referentiel> = OnceLock::new();
    of_kind(ReferentielKind::Transparence)
        .next()
        // Unreachable while the embedded file parses (tested below); an empty set is safer
        // than a panic in the server.
        .unwrap_or_else(|| {
            MISSING.get_or_init(|| Referentiel {
                code: "transparence".into(),
                title: "Programme Transparence".into(),
                kind: ReferentielKind::Transparence,
                valid_from: None,
                description: None,
                modules: Vec::new(),
            })
        })
}

/// Builds the catalogue in force from the compiled-in sets and files supplied by the
/// caller, as (file name, text) pairs (the core reads no files; the caller decides which
/// files to pass, e.g. every `*.toml` of a directory).
///
/// Rules:
/// - every file is parsed and validated like an embedded one ([`Referentiel::parse`]);
/// - a file whose code is that of a compiled-in set is a **corrected version**: it replaces
///   that set, and must keep its kind;
/// - a file named like a compiled-in file (`qualepref-2018.toml`…) must carry that file's
///   code, so that a correction cannot silently become a new version;
/// - two files may not carry the same code.
///
/// Returns the compiled-in sets in their usual order (corrected ones replaced in place),
/// then the new ones in file-name order. Errors start with the file name. Pass the result
/// to [`install`] to make it the catalogue [`all`], [`find`] and [`transparence`] return.
pub fn load_dir(dir_contents: &[(String, String)]) -> Result<Vec<Referentiel>, String> {
    let mut files: Vec<&(String, String)> = dir_contents.iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut catalogue: Vec<Referentiel> = embedded().to_vec();
    let mut added: Vec<Referentiel> = Vec::new();
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (name, text) in files {
        let r = Referentiel::parse(name, text)?;
        if let Some(first) = seen.insert(r.code.clone(), name) {
            return Err(format!(
                "{name}: le code « {} » est déjà celui du fichier {first}",
                r.code
            ));
        }
        if let Some(embedded_code) = EMBEDDED
            .iter()
            .find(|(embedded_name, _)| embedded_name == name)
            .and_then(|(_, text)| toml::from_str::<Referentiel>(text).ok())
            .map(|e| e.code)
            && embedded_code != r.code
        {
            return Err(format!(
                "{name}: ce fichier porte le nom de la version intégrée « {embedded_code} » \
                 mais a pour code « {} » ; donnez-lui le code « {embedded_code} » pour la \
                 corriger, ou renommez-le pour une nouvelle version",
                r.code
            ));
        }
        match catalogue.iter_mut().find(|e| e.code == r.code) {
            Some(embedded) if embedded.kind != r.kind => {
                return Err(format!(
                    "{name}: la version « {} » intégrée à QeP est de type {} ; \
                     une version corrigée doit garder ce type (reçu : {})",
                    r.code,
                    embedded.kind.as_str(),
                    r.kind.as_str()
                ));
            }
            Some(embedded) => *embedded = r,
            None => added.push(r),
        }
    }
    catalogue.extend(added);
    Ok(catalogue)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::{Comparator, Periodicity};

    #[test]
    fn every_embedded_version_parses() {
        for (name, text) in EMBEDDED {
            if let Err(e) = Referentiel::parse(name, text) {
                panic!("embedded référentiel does not parse: {e}");
            }
        }
        assert_eq!(all().len(), EMBEDDED.len());
        let r = find(DEFAULT_CODE).expect("default version exists");
        assert_eq!(r.kind, ReferentielKind::QualEPref);
        let numbers: Vec<u8> = r.modules.iter().map(|m| m.number).collect();
        assert_eq!(numbers, vec![1, 2, 3, 4, 7]);
        let eight = find("qualepref-8-modules").expect("8-module version");
        let numbers: Vec<u8> = eight.modules.iter().map(|m| m.number).collect();
        assert_eq!(numbers, (1..=8).collect::<Vec<u8>>());
        assert_eq!(of_kind(ReferentielKind::QualEPref).count(), 2);
        assert_eq!(of_kind(ReferentielKind::ServicesPublicsPlus).count(), 2);
    }

    #[test]
    fn commitment_counts_per_version() {
        let count = |code: &str, module: u8| {
            find(code)
                .and_then(|r| r.module(module))
                .map_or(0, |m| m.commitments.len())
        };
        for code in [DEFAULT_CODE, "qualepref-8-modules"] {
            assert_eq!(count(code, 1), 20, "{code}");
            assert_eq!(count(code, 2), 3, "{code}");
            assert_eq!(count(code, 3), 10, "{code}");
            assert_eq!(count(code, 4), 4, "{code}");
            let r = find(code).expect("version");
            let numbers: Vec<u16> = (1..=4)
                .filter_map(|m| r.module(m))
                .flat_map(|m| m.commitments.iter().map(|c| c.number))
                .collect();
            assert_eq!(numbers, (1..=37).collect::<Vec<u16>>(), "{code}");
            assert!(r.commitment(23).is_some_and(|c| c.title.contains("fraude")));
            assert!(r.commitment(33).is_some_and(|c| c.title.contains("fraude")));
        }
        let sp21 = find("services-publics-plus-2021").expect("SP+ 2021");
        assert_eq!(sp21.modules.len(), 3);
        assert_eq!(
            sp21.modules
                .iter()
                .map(|m| m.commitments.len())
                .sum::<usize>(),
            9
        );
        let sp23 = find("services-publics-plus-2023").expect("SP+ 2023");
        assert_eq!(sp23.modules.len(), 1);
        assert_eq!(sp23.modules[0].commitments.len(), 8);
    }

    const REQUIRED_2018: &[&str] = &[
        "m1.email.on_time",
        "m1.email.delay",
        "m1.letter.on_time",
        "m1.letter.delay",
        "m1.complaint.on_time",
        "m1.complaint.delay",
        "m1.phone.answered",
        "m1.phone.lost_switchboard",
        "m1.phone.answered_5_rings",
        "m1.phone.calls",
        "m1.ivr.update_on_time",
        "m1.web.update_on_time",
        "m1.web.connection_rate",
        "m1.social.connections",
        "m1.social.engagement",
        "m1.pan.visitors",
        "m1.pan.daily_mean",
        "m1.pan.satisfaction",
        "m2.id.processing_delay",
        "m2.id.availability_delay",
        "m2.passport.availability_delay",
        "m2.fraud_rate",
        "m2.art40_reports",
        "m3.first_application.delay",
        "m3.renewal.delay",
        "m3.fraud_rate",
        "m4.letter.on_time",
        "m4.email.on_time",
        "m4.meeting.fixed_on_time",
        "m4.meeting.held_on_time",
        "m7.officials_informed_delay",
        "m7.activations",
        "m7.exercises",
        "m7.public_cell_on_time",
    ];

    #[test]
    fn required_indicator_codes_exist() {
        for code in [DEFAULT_CODE, "qualepref-8-modules"] {
            let r = find(code).expect("version");
            for required in REQUIRED_2018 {
                let (module, _) = r
                    .indicators()
                    .find(|(_, i)| i.code == *required)
                    .unwrap_or_else(|| panic!("{code}: {required} missing"));
                let expected: u8 = required[1..2].parse().expect("module digit");
                assert_eq!(module, expected, "{code}: {required}");
            }
        }
        let letter_deadline = |code: &str| {
            find(code)
                .and_then(|r| r.indicator("m4.letter.on_time"))
                .and_then(|i| i.deadline_working_days)
        };
        assert_eq!(letter_deadline(DEFAULT_CODE), Some(15));
        assert_eq!(letter_deadline("qualepref-8-modules"), Some(10));
    }

    #[test]
    fn indicator_details_follow_the_sources() {
        let r = find(DEFAULT_CODE).expect("default version");
        let email = r.indicator("m1.email.on_time").expect("email rate");
        assert_eq!(email.kind, Kind::OnTimeRate);
        assert_eq!(email.unit, Unit::Percent);
        assert_eq!(email.comparator, Comparator::Ge);
        assert_eq!(email.periodicity, Periodicity::Monthly);
        assert_eq!(email.register.as_deref(), Some("correspondence"));
        assert_eq!(email.deadline_working_days, Some(5));
        assert!(email.sampling_allowed);
        assert_eq!(email.target_for(2020).map(|t| t.value), Some(75.0));
        let phone = r.indicator("m1.phone.answered").expect("phone");
        assert_eq!(phone.source, Source::Imported);
        assert_eq!(phone.target_for(2020).map(|t| t.value), Some(90.0));
        let rings = r.indicator("m1.phone.answered_5_rings").expect("rings");
        assert!(
            rings.targets.is_empty(),
            "local indicator: no national target"
        );
        let fraud = r.indicator("m2.fraud_rate").expect("fraud");
        assert_eq!(fraud.unit, Unit::PerMille);
        assert_eq!(fraud.target_for(2020).map(|t| t.value), Some(0.5));
        let renewal = r.indicator("m3.renewal.delay").expect("renewal");
        assert_eq!(renewal.comparator, Comparator::Le);
        assert_eq!(renewal.target_for(2020).map(|t| t.value), Some(30.0));
        for (module, i) in r.indicators() {
            if module <= 4 {
                assert_eq!(i.periodicity, Periodicity::Monthly, "{}", i.code);
            }
            assert!(!i.formula.trim().is_empty(), "{} has no formula", i.code);
        }
    }

    #[test]
    fn transparence_has_its_six_indicators() {
        let t = transparence();
        assert_eq!(t.kind, ReferentielKind::Transparence);
        let mut codes: Vec<&str> = t.indicators().map(|(_, i)| i.code.as_str()).collect();
        codes.sort_unstable();
        assert_eq!(
            codes,
            vec![
                "tr.driving_licence.delay",
                "tr.effort_score",
                "tr.id_passport.delay",
                "tr.phone.answered",
                "tr.titles_satisfaction",
                "tr.vehicle_registration.delay",
            ]
        );
        assert!(
            t.indicators()
                .all(|(_, i)| i.periodicity == Periodicity::Quarterly)
        );
        let m = t.module(1).expect("module 1");
        assert_eq!(m.title, "Programme Transparence");
        assert!(m.mandatory);
    }

    #[test]
    fn docs_list_every_indicator() {
        let doc = include_str!("../../../docs/INDICATORS.md");
        for r in all() {
            assert!(doc.contains(&format!("`{}`", r.code)), "{} missing", r.code);
            for (_, i) in r.indicators() {
                assert!(
                    doc.contains(&format!("| `{}` | {} |", i.code, i.label)),
                    "docs/INDICATORS.md: {} of {} missing or with another label",
                    i.code,
                    r.code
                );
            }
        }
    }

    const HEAD: &str = "code = \"x\"\ntitle = \"x\"\nkind = \"qual_e_pref\"\n\
        [[modules]]\nnumber = 1\ntitle = \"t\"\nmandatory = true\n";

    fn with_indicator(body: &str) -> String {
        format!(
            "{HEAD}[[modules.indicators]]\nlabel = \"Taux\"\nformula = \"f\"\n\
             unit = \"percent\"\nperiodicity = \"monthly\"\n{body}"
        )
    }

    fn parse_err(text: &str) -> String {
        Referentiel::parse("x.toml", text).expect_err("refused")
    }

    #[test]
    fn a_version_without_mandatory_module_one_is_refused() {
        let text = "code = \"x\"\ntitle = \"x\"\nkind = \"qual_e_pref\"\n[[modules]]\n\
                    number = 2\ntitle = \"t\"\nmandatory = false\n";
        let err = parse_err(text);
        assert!(
            err.starts_with("x.toml") && err.contains("module 1"),
            "{err}"
        );
        let unknown_key = "code = \"x\"\ntitle = \"x\"\nfoo = 1\n";
        let err = parse_err(unknown_key);
        assert!(err.starts_with("x.toml"), "{err}");
        // Only Qual-e-pref has a mandatory module 1.
        let sp = text.replace("qual_e_pref", "services_publics_plus");
        assert!(Referentiel::parse("x.toml", &sp).is_ok());
    }

    #[test]
    fn duplicate_modules_and_commitments_are_refused() {
        let text = format!("{HEAD}[[modules]]\nnumber = 1\ntitle = \"u\"\nmandatory = false\n");
        let err = parse_err(&text);
        assert!(err.starts_with("x.toml") && err.contains("module"), "{err}");
        let text = format!(
            "{HEAD}[[modules.commitments]]\nnumber = 3\ntitle = \"a\"\n\
             [[modules]]\nnumber = 2\ntitle = \"u\"\nmandatory = false\n\
             [[modules.commitments]]\nnumber = 3\ntitle = \"b\"\n"
        );
        let err = parse_err(&text);
        assert!(err.starts_with("x.toml") && err.contains("n° 3"), "{err}");
    }

    #[test]
    fn indicator_errors_name_the_file_and_the_indicator() {
        let ok = with_indicator(
            "code = \"m1.a.b\"\nkind = \"share\"\ncomparator = \">=\"\nsource = \"imported\"\n",
        );
        assert!(Referentiel::parse("x.toml", &ok).is_ok(), "{ok}");

        let twice = format!(
            "{ok}[[modules.indicators]]\ncode = \"m1.a.b\"\nlabel = \"l\"\nkind = \"count\"\n\
             unit = \"count\"\ncomparator = \">=\"\nperiodicity = \"monthly\"\nsource = \"imported\"\n"
        );
        let err = parse_err(&twice);
        assert!(
            err.starts_with("x.toml") && err.contains("« m1.a.b » en double"),
            "{err}"
        );

        for bad in ["M1.email", "m1", "m1..a", "m1.e-mail", ".m1.a", "m1.a."] {
            let text = with_indicator(&format!(
                "code = \"{bad}\"\nkind = \"share\"\ncomparator = \">=\"\nsource = \"imported\"\n"
            ));
            let err = parse_err(&text);
            assert!(
                err.starts_with("x.toml") && err.contains(&format!("« {bad} » invalide")),
                "{err}"
            );
        }

        let other_comparator = with_indicator(
            "code = \"m1.a.b\"\nkind = \"share\"\ncomparator = \">=\"\nsource = \"imported\"\n\
             targets = [{ year = 2020, comparator = \"<=\", value = 5 }]\n",
        );
        let err = parse_err(&other_comparator);
        assert!(
            err.starts_with("x.toml") && err.contains("« m1.a.b »") && err.contains("2020"),
            "{err}"
        );

        let same_year = with_indicator(
            "code = \"m1.a.b\"\nkind = \"share\"\ncomparator = \">=\"\nsource = \"imported\"\n\
             targets = [{ year = 2020, comparator = \">=\", value = 5 }, \
             { year = 2020, comparator = \">=\", value = 6 }]\n",
        );
        let err = parse_err(&same_year);
        assert!(
            err.contains("« m1.a.b »") && err.contains("deux cibles"),
            "{err}"
        );

        let no_deadline = with_indicator(
            "code = \"m1.email.on_time\"\nkind = \"on_time_rate\"\ncomparator = \">=\"\n\
             source = \"register\"\nregister = \"correspondence\"\n",
        );
        let err = parse_err(&no_deadline);
        assert!(
            err.starts_with("x.toml")
                && err.contains("« m1.email.on_time »")
                && err.contains("deadline_working_days"),
            "{err}"
        );
        // An imported or entered on-time rate carries no deadline of its own.
        let imported = no_deadline.replace(
            "source = \"register\"\nregister = \"correspondence\"\n",
            "source = \"imported\"\n",
        );
        assert!(Referentiel::parse("x.toml", &imported).is_ok());

        let no_register = with_indicator(
            "code = \"m1.pan.visitors\"\nkind = \"count\"\ncomparator = \">=\"\n\
             source = \"register\"\n",
        );
        let err = parse_err(&no_register);
        assert!(
            err.starts_with("x.toml")
                && err.contains("« m1.pan.visitors »")
                && err.contains("register"),
            "{err}"
        );

        let share_from_register = with_indicator(
            "code = \"m1.a.b\"\nkind = \"share\"\ncomparator = \">=\"\n\
             source = \"register\"\nregister = \"pan_visits\"\n",
        );
        let err = parse_err(&share_from_register);
        assert!(
            err.starts_with("x.toml") && err.contains("« m1.a.b » : un registre"),
            "{err}"
        );
        // with_indicator's unit is percent: a register mean delay must be in working days.
        let delay_in_percent = with_indicator(
            "code = \"m1.a.b\"\nkind = \"mean_delay\"\ncomparator = \"<=\"\n\
             source = \"register\"\nregister = \"correspondence\"\n",
        );
        let err = parse_err(&delay_in_percent);
        assert!(
            err.contains("« m1.a.b »") && err.contains("working_days"),
            "{err}"
        );

        let wrong_module = with_indicator(
            "code = \"m2.fraud_rate\"\nkind = \"share\"\ncomparator = \">=\"\nsource = \"entered\"\n",
        );
        let err = parse_err(&wrong_module);
        assert!(
            err.contains("« m2.fraud_rate »") && err.contains("module 2"),
            "{err}"
        );
    }

    #[test]
    fn local_indicators_follow_the_rules() {
        let base = find(DEFAULT_CODE)
            .and_then(|r| r.indicator("m1.pan.satisfaction"))
            .expect("an entered indicator")
            .clone();
        let local = IndicatorDef {
            code: "local.accueil.attente".into(),
            ..base.clone()
        };
        assert_eq!(check_local_indicator(&local), Ok(()));
        assert!(
            check_local_indicator(&base)
                .expect_err("not local")
                .contains("local.")
        );
        let bad = IndicatorDef {
            code: "local.Accueil".into(),
            ..base.clone()
        };
        assert!(check_local_indicator(&bad).is_err());
        let computed = IndicatorDef {
            source: crate::indicators::Source::Register,
            ..local
        };
        assert!(
            check_local_indicator(&computed)
                .expect_err("register")
                .contains("registre")
        );
    }

    fn file(name: &str, text: &str) -> (String, String) {
        (name.to_owned(), text.to_owned())
    }

    #[test]
    fn load_dir_replaces_an_embedded_version_and_adds_new_ones() {
        let (_, original) = EMBEDDED
            .iter()
            .find(|(n, _)| *n == "qualepref-2018.toml")
            .expect("embedded 2018");
        let corrected = original.replacen(
            "title = \"Qual-e-pref – version du 19 décembre 2018\"",
            "title = \"Qual-e-pref 2018 corrigé\"",
            1,
        );
        assert_ne!(&corrected, original);
        let new = HEAD.replace("code = \"x\"", "code = \"qualepref-local\"");
        let got = load_dir(&[
            file("local.toml", &new),
            file("qualepref-2018.toml", &corrected),
        ])
        .expect("loads");
        assert_eq!(got.len(), EMBEDDED.len() + 1);
        let codes: Vec<&str> = got.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes[0], DEFAULT_CODE, "replaced in place");
        assert_eq!(got[0].title, "Qual-e-pref 2018 corrigé");
        assert_eq!(codes.last(), Some(&"qualepref-local"));
        assert_eq!(codes.iter().filter(|c| **c == DEFAULT_CODE).count(), 1);
        // The compiled-in set is untouched.
        assert_eq!(
            find(DEFAULT_CODE).map(|r| r.title.as_str()),
            Some("Qual-e-pref – version du 19 décembre 2018")
        );
        assert_eq!(load_dir(&[]).expect("empty").len(), EMBEDDED.len());
    }

    #[test]
    fn load_dir_refuses_duplicates_and_misnamed_corrections() {
        let new = HEAD.replace("code = \"x\"", "code = \"qualepref-local\"");
        let err = load_dir(&[file("b.toml", &new), file("a.toml", &new)]).expect_err("duplicate");
        assert!(
            err.starts_with("b.toml") && err.contains("qualepref-local") && err.contains("a.toml"),
            "{err}"
        );

        let err = load_dir(&[file("qualepref-2018.toml", &new)]).expect_err("misnamed");
        assert!(
            err.starts_with("qualepref-2018.toml") && err.contains("renommez"),
            "{err}"
        );

        let kind_changed = "code = \"transparence\"\ntitle = \"T\"\nkind = \"qual_e_pref\"\n\
            [[modules]]\nnumber = 1\ntitle = \"t\"\nmandatory = true\n";
        let err = load_dir(&[file("t.toml", kind_changed)]).expect_err("kind changed");
        assert!(
            err.starts_with("t.toml") && err.contains("transparence"),
            "{err}"
        );

        let err = load_dir(&[file("broken.toml", "code = ")]).expect_err("broken");
        assert!(err.starts_with("broken.toml"), "{err}");
    }
}
