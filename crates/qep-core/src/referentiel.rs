//! The quality standard (référentiel) as versioned data.
//!
//! Each version is a TOML file under `referentiels/`, compiled into the binary. Code never
//! names a module's content: it reads it from these files, so that a corrected or new
//! version of the standard is a data change.

use std::sync::OnceLock;

use serde::Deserialize;

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
];

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Referentiel {
    pub code: String,
    pub title: String,
    pub modules: Vec<Module>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Module {
    pub number: u8,
    pub title: String,
    pub mandatory: bool,
}

impl Referentiel {
    pub fn module(&self, number: u8) -> Option<&Module> {
        self.modules.iter().find(|m| m.number == number)
    }

    /// Parses one version file; the error names the file and what is wrong in it.
    pub fn parse(file_name: &str, text: &str) -> Result<Referentiel, String> {
        let r: Referentiel = toml::from_str(text).map_err(|e| format!("{file_name}: {e}"))?;
        if !r.modules.iter().any(|m| m.number == 1 && m.mandatory) {
            return Err(format!(
                "{file_name}: le module 1 doit exister et être obligatoire"
            ));
        }
        let mut numbers: Vec<u8> = r.modules.iter().map(|m| m.number).collect();
        numbers.sort_unstable();
        if numbers.windows(2).any(|w| w[0] == w[1]) {
            return Err(format!("{file_name}: numéro de module en double"));
        }
        Ok(r)
    }
}

/// Every version compiled into QeP.
pub fn all() -> &'static [Referentiel] {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_version_parses() {
        for (name, text) in EMBEDDED {
            Referentiel::parse(name, text).expect("embedded référentiel parses");
        }
        assert_eq!(all().len(), EMBEDDED.len());
        let r = find(DEFAULT_CODE).expect("default version exists");
        let numbers: Vec<u8> = r.modules.iter().map(|m| m.number).collect();
        assert_eq!(numbers, vec![1, 2, 3, 4, 7]);
    }

    #[test]
    fn a_version_without_mandatory_module_one_is_refused() {
        let text = "code = \"x\"\ntitle = \"x\"\n[[modules]]\nnumber = 2\ntitle = \"t\"\nmandatory = false\n";
        assert!(Referentiel::parse("x.toml", text).is_err());
        let unknown_key = "code = \"x\"\ntitle = \"x\"\nfoo = 1\n";
        let err = Referentiel::parse("x.toml", unknown_key).expect_err("unknown key refused");
        assert!(err.starts_with("x.toml"), "{err}");
    }
}
