//! Every path of the application, named once. Paths are in French: people read them.

pub const HOME: &str = "/";
pub const HEALTH: &str = "/healthz";
pub const ASSETS: &str = "/static/dsfr";
pub const APP_ASSETS: &str = "/static/qep";
pub const LOGIN: &str = "/connexion";
pub const LOGOUT: &str = "/deconnexion";
pub const ACCESSIBILITY: &str = "/accessibilite";
pub const CONTACT: &str = "/contact";
pub const RESULTS: &str = "/resultats";
pub const RESULTS_CSV: &str = "/resultats/donnees.csv";
pub const CONTACT_THANKS: &str = "/contact/merci";
pub const DASHBOARD: &str = "/tableau-de-bord";
pub const INDICATOR: &str = "/indicateurs/{code}";
pub const INDICATOR_VALUES: &str = "/indicateurs/{code}/valeurs";
pub const INDICATOR_VALUE_DELETE: &str = "/indicateurs/{code}/valeurs/suppression";
pub const INDICATOR_TARGETS: &str = "/indicateurs/{code}/cibles";
pub const INDICATOR_TARGET_DELETE: &str = "/indicateurs/{code}/cibles/suppression";
pub const VALIDATION: &str = "/indicateurs/validation";
pub const REGISTERS: &str = "/registres";
pub const LOG_REGISTER: &str = "/registres/{register}";
pub const LOG_ENTRY: &str = "/registres/{register}/{id}";
pub const REGISTER: &str = "/registres/courrier";
pub const REGISTER_NEW: &str = "/registres/courrier/nouveau";
pub const REGISTER_FAST: &str = "/registres/courrier/saisie-rapide";
pub const REGISTER_ITEM: &str = "/registres/courrier/{id}";
pub const REGISTER_ANSWER: &str = "/registres/courrier/{id}/reponse";
pub const REGISTER_ANSWER_MAIL: &str = "/registres/courrier/{id}/reponse-courriel";
pub const REGISTER_ATTACHMENTS: &str = "/registres/courrier/{id}/pieces";
pub const REGISTER_ATTACHMENT: &str = "/registres/courrier/{id}/pieces/{attachment}";
pub const REGISTER_TRANSFER: &str = "/registres/courrier/{id}/transfert";
pub const REGISTER_SCOPE: &str = "/registres/courrier/{id}/perimetre";
pub const ADMIN: &str = "/administration";
pub const ADMIN_PREFECTURE: &str = "/administration/prefecture";
pub const ADMIN_SITES: &str = "/administration/sites";
pub const ADMIN_SITE: &str = "/administration/sites/{id}";
pub const ADMIN_SITE_DELETE: &str = "/administration/sites/{id}/suppression";
pub const ADMIN_SITE_CALENDAR: &str = "/administration/sites/{id}/calendrier";
pub const ADMIN_SITE_CLOSURES: &str = "/administration/sites/{id}/calendrier/fermetures";
pub const ADMIN_SITE_HOLIDAYS: &str = "/administration/sites/{id}/calendrier/jours-feries";
pub const ADMIN_SITE_WITHDRAW: &str = "/administration/sites/{id}/calendrier/retrait";
pub const ADMIN_SERVICES: &str = "/administration/services";
pub const ADMIN_SERVICE: &str = "/administration/services/{id}";
pub const ADMIN_SERVICE_DELETE: &str = "/administration/services/{id}/suppression";
pub const ADMIN_USERS: &str = "/administration/utilisateurs";
pub const ADMIN_USER: &str = "/administration/utilisateurs/{id}";
pub const ADMIN_USER_PASSWORD: &str = "/administration/utilisateurs/{id}/mot-de-passe";
pub const ADMIN_LOCAL_INDICATORS: &str = "/administration/indicateurs-locaux";
pub const DOCUMENTS: &str = "/documents";
pub const DOCUMENTS_BILAN: &str = "/documents/bilan";
pub const DOCUMENTS_POSTER: &str = "/documents/transparence";
pub const DOCUMENTS_TABLES: &str = "/documents/tableaux";
pub const DOCUMENTS_TEXTS: &str = "/documents/bilan/textes";
pub const ADMIN_SAMPLING: &str = "/administration/echantillonnage";
pub const ADMIN_SAMPLING_DELETE: &str = "/administration/echantillonnage/suppression";
pub const ADMIN_TEMPLATES: &str = "/administration/modeles";
pub const ADMIN_AUDIT: &str = "/administration/journal";
pub const ADMIN_JOBS: &str = "/administration/taches";
pub const ADMIN_IMPORTS: &str = "/administration/imports";
pub const ADMIN_IMPORT_FILE: &str = "/administration/imports/fichiers/{id}";
pub const ADMIN_IMPORT_JOB: &str = "/administration/imports/travaux/{id}";
pub const ADMIN_IMPORT_JOB_STATUS: &str = "/administration/imports/travaux/{id}/etat";
pub const ADMIN_IMPORT_JOB_CANCEL: &str = "/administration/imports/travaux/{id}/annuler";
pub const ADMIN_MAPPINGS: &str = "/administration/correspondances";
pub const ADMIN_MAPPING_NEW: &str = "/administration/correspondances/nouveau";
pub const ADMIN_MAPPING: &str = "/administration/correspondances/{name}";
pub const ADMIN_MAPPING_DELETE: &str = "/administration/correspondances/{name}/suppression";

/// `/administration/sites/{id}` with the id filled in.
pub fn with_id(pattern: &str, id: impl std::fmt::Display) -> String {
    pattern.replace("{id}", &id.to_string())
}

/// `/administration/correspondances/{name}` with the mapping's name filled in.
pub fn with_name(pattern: &str, name: &str) -> String {
    pattern.replace("{name}", &crate::form::url_encode(name))
}

/// `/registres/{register}` (and `/{id}`) with the slug filled in.
pub fn with_register(pattern: &str, slug: &str) -> String {
    pattern.replace("{register}", slug)
}

/// `/indicateurs/{code}` with the code filled in.
pub fn with_code(pattern: &str, code: &str) -> String {
    pattern.replace("{code}", code)
}

/// Only local paths are accepted as a place to go back to after login (no open redirect).
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_safe_to_return_to() {
        assert_eq!(
            safe_next("/administration/sites"),
            Some("/administration/sites")
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "",
            "javascript:x",
        ] {
            assert_eq!(safe_next(bad), None, "{bad}");
        }
        assert_eq!(with_id(ADMIN_SITE, 3), "/administration/sites/3");
    }
}
