//! Layered configuration: built-in defaults < `qep.toml` < environment `QEP_*` < command
//! line. Unknown keys in the file are errors; unknown `QEP_*` variables are reported.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{CliError, CliResult};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://qep.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_CONFIG_FILE: &str = "qep.toml";

/// The file `qep.toml`; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    listen: Option<String>,
    public_url: Option<String>,
    session_hours: Option<u64>,
    log: Option<String>,
    login_max_failures: Option<u32>,
    login_window_minutes: Option<u64>,
    referentiel_dir: Option<PathBuf>,
    contact_per_hour: Option<u32>,
    trusted_proxies: Option<Vec<String>>,
    retention_months: Option<u32>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    outbox_interval_seconds: Option<u64>,
    jobs_interval_seconds: Option<u64>,
}

/// Every `QEP_*` variable QeP reads, with the key it sets.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("QEP_CONFIG", "chemin du fichier de configuration"),
    ("QEP_DATABASE_URL", "database_url"),
    ("QEP_LISTEN", "listen"),
    ("QEP_PUBLIC_URL", "public_url"),
    ("QEP_SESSION_HOURS", "session_hours"),
    ("QEP_LOG", "log"),
    ("QEP_LOGIN_MAX_FAILURES", "login_max_failures"),
    ("QEP_LOGIN_WINDOW_MINUTES", "login_window_minutes"),
    ("QEP_REFERENTIEL_DIR", "referentiel_dir"),
    ("QEP_CONTACT_PER_HOUR", "contact_per_hour"),
    ("QEP_TRUSTED_PROXIES", "trusted_proxies"),
    ("QEP_RETENTION_MONTHS", "retention_months"),
    ("QEP_SMTP_URL", "smtp_url"),
    ("QEP_MAIL_FROM", "mail_from"),
    ("QEP_OUTBOX_INTERVAL_SECONDS", "outbox_interval_seconds"),
    ("QEP_JOBS_INTERVAL_SECONDS", "jobs_interval_seconds"),
    (
        "QEP_TEST_POSTGRES_URL",
        "tests seulement : serveur PostgreSQL des tests",
    ),
];

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub listen: SocketAddr,
    /// The address people use (behind a reverse proxy); `https://…` turns on Secure cookies.
    pub public_url: Option<String>,
    pub session_hours: u64,
    pub log: String,
    pub login_max_failures: u32,
    pub login_window_minutes: u64,
    /// A folder of référentiel files (`*.toml`) correcting or extending the compiled-in ones.
    pub referentiel_dir: Option<PathBuf>,
    /// Messages one address may send through the public form per hour.
    pub contact_per_hour: u32,
    /// Reverse proxies whose forwarding headers name the client (empty: none).
    pub trusted_proxies: qep_web::TrustedProxies,
    /// Months citizens' personal data is kept after an item is closed.
    pub retention_months: u32,
    /// Secret: may hold a password; never printed whole.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub outbox_interval_seconds: u64,
    /// How often the job scheduler looks for work (digest, retention, sessions).
    pub jobs_interval_seconds: u64,
    /// Where the file came from, if any.
    pub file: Option<PathBuf>,
    pub warnings: Vec<String>,
}

impl Config {
    pub fn web(&self) -> qep_web::WebConfig {
        qep_web::WebConfig {
            secure_cookies: self
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
            session_ttl: Duration::from_secs(self.session_hours * 3600),
            login_max_failures: self.login_max_failures,
            login_window: Duration::from_secs(self.login_window_minutes * 60),
            contact_per_hour: self.contact_per_hour,
            trusted_proxies: self.trusted_proxies.clone(),
            retention_months: self.retention_months,
        }
    }

    pub fn mail(&self) -> qep_app::mail::MailConfig {
        qep_app::mail::MailConfig {
            smtp_url: self.smtp_url.clone(),
            from: self.mail_from.clone(),
            poll_interval: Duration::from_secs(self.outbox_interval_seconds),
        }
    }

    pub fn jobs(&self) -> qep_app::jobs::JobsConfig {
        qep_app::jobs::JobsConfig {
            interval: Duration::from_secs(self.jobs_interval_seconds),
            retention_months: self.retention_months,
        }
    }
}

fn parse_number<T>(value: &str, origin: &str, min: T, max: T) -> CliResult<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    match value.trim().parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(CliError::Input(format!(
            "{origin} : « {value} » n'est pas un nombre entre {min} et {max}"
        ))),
    }
}

/// Loads the configuration. `explicit_file` comes from `--config` or `QEP_CONFIG`; without
/// it, `./qep.toml` is read if present. `env` is the process environment.
pub fn load(
    explicit_file: Option<&Path>,
    env: &[(String, String)],
    cli_database: Option<&str>,
    cli_listen: Option<&str>,
) -> CliResult<Config> {
    let env_get = |k: &str| {
        env.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    };
    let file_path = explicit_file
        .map(Path::to_path_buf)
        .or_else(|| env_get("QEP_CONFIG").map(PathBuf::from))
        .or_else(|| {
            let default = PathBuf::from(DEFAULT_CONFIG_FILE);
            default.is_file().then_some(default)
        });
    let file = match &file_path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                CliError::Input(format!("fichier de configuration {} : {e}", p.display()))
            })?;
            toml::from_str::<FileConfig>(&text).map_err(|e| {
                CliError::Input(format!(
                    "fichier de configuration {} : {}",
                    p.display(),
                    e.to_string().trim()
                ))
            })?
        }
        None => FileConfig::default(),
    };

    let mut warnings: Vec<String> = env
        .iter()
        .filter(|(k, _)| k.starts_with("QEP_") && !ENV_VARS.iter().any(|(known, _)| known == k))
        .map(|(k, _)| format!("variable d'environnement inconnue ignorée : {k}"))
        .collect();
    warnings.sort();

    let pick = |cli: Option<&str>, env_key: &str, file: Option<String>, default: &str| {
        cli.map(str::to_owned)
            .or_else(|| env_get(env_key))
            .or(file)
            .unwrap_or_else(|| default.to_owned())
    };
    let database_url = pick(
        cli_database,
        "QEP_DATABASE_URL",
        file.database_url,
        DEFAULT_DATABASE_URL,
    );
    let listen_raw = pick(cli_listen, "QEP_LISTEN", file.listen, DEFAULT_LISTEN);
    let listen: SocketAddr = listen_raw.parse().map_err(|_| {
        CliError::Input(format!(
            "adresse d'écoute invalide « {listen_raw} » : attendu IP:PORT, par exemple 127.0.0.1:8080"
        ))
    })?;
    let public_url = env_get("QEP_PUBLIC_URL").or(file.public_url);
    if let Some(u) = &public_url
        && !(u.starts_with("http://") || u.starts_with("https://"))
    {
        return Err(CliError::Input(format!(
            "public_url invalide « {u} » : attendu http://… ou https://…"
        )));
    }
    let number = |env_key: &str, file: Option<u64>, default: u64, max: u64| -> CliResult<u64> {
        match env_get(env_key) {
            Some(v) => parse_number(&v, env_key, 1, max),
            None => match file {
                Some(n) if (1..=max).contains(&n) => Ok(n),
                Some(n) => Err(CliError::Input(format!(
                    "{} : {n} hors de l'intervalle 1 à {max}",
                    env_key.trim_start_matches("QEP_").to_lowercase()
                ))),
                None => Ok(default),
            },
        }
    };
    let session_hours = number("QEP_SESSION_HOURS", file.session_hours, 12, 24 * 30)?;
    let login_max_failures = number(
        "QEP_LOGIN_MAX_FAILURES",
        file.login_max_failures.map(u64::from),
        5,
        1000,
    )? as u32;
    let login_window_minutes = number(
        "QEP_LOGIN_WINDOW_MINUTES",
        file.login_window_minutes,
        15,
        24 * 60,
    )?;
    let contact_per_hour = number(
        "QEP_CONTACT_PER_HOUR",
        file.contact_per_hour.map(u64::from),
        5,
        10_000,
    )? as u32;
    // A list in the file, comma-separated in the environment; an empty one trusts nobody.
    let (origin, trusted_proxies) = match env_get("QEP_TRUSTED_PROXIES") {
        Some(list) => (
            "QEP_TRUSTED_PROXIES",
            qep_web::TrustedProxies::parse(list.split(',')),
        ),
        None => (
            "trusted_proxies",
            qep_web::TrustedProxies::parse(
                file.trusted_proxies.iter().flatten().map(String::as_str),
            ),
        ),
    };
    let trusted_proxies = trusted_proxies.map_err(|bad| {
        CliError::Input(format!(
            "{origin} : « {bad} » n'est ni une adresse IP ni une plage CIDR (par exemple 127.0.0.1, ::1 ou 10.0.0.0/8)"
        ))
    })?;
    let retention_months = number(
        "QEP_RETENTION_MONTHS",
        file.retention_months.map(u64::from),
        12,
        120,
    )? as u32;
    let outbox_interval_seconds = number(
        "QEP_OUTBOX_INTERVAL_SECONDS",
        file.outbox_interval_seconds,
        30,
        24 * 3600,
    )?;
    let jobs_interval_seconds = number(
        "QEP_JOBS_INTERVAL_SECONDS",
        file.jobs_interval_seconds,
        60,
        3600,
    )?;
    let smtp_url = env_get("QEP_SMTP_URL")
        .or(file.smtp_url)
        .filter(|u| !u.is_empty());
    if let Some(u) = &smtp_url
        && !(u.starts_with("smtp://") || u.starts_with("smtps://"))
    {
        return Err(CliError::Input(format!(
            "smtp_url invalide « {} » : attendu smtp://HÔTE:PORT ou smtps://UTILISATEUR:MOT_DE_PASSE@HÔTE",
            u.split('@').next_back().unwrap_or_default()
        )));
    }
    Ok(Config {
        database_url,
        listen,
        public_url,
        session_hours,
        log: env_get("QEP_LOG")
            .or(file.log)
            .unwrap_or_else(|| "info".to_owned()),
        login_max_failures,
        login_window_minutes,
        contact_per_hour,
        trusted_proxies,
        retention_months,
        smtp_url,
        mail_from: env_get("QEP_MAIL_FROM")
            .or(file.mail_from)
            .unwrap_or_else(|| "QeP <ne-pas-repondre@localhost>".to_owned()),
        outbox_interval_seconds,
        jobs_interval_seconds,
        referentiel_dir: env_get("QEP_REFERENTIEL_DIR")
            .map(PathBuf::from)
            .or(file.referentiel_dir),
        file: file_path,
        warnings,
    })
}

/// Reads every `*.toml` of `dir` and installs the resulting référentiel catalogue (compiled-in
/// sets, corrected or extended by these files) for this process.
pub fn install_referentiel(dir: &Path) -> CliResult<usize> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| CliError::Input(format!("referentiel_dir {} : {e}", dir.display())))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| CliError::Input(format!("referentiel_dir {} : {e}", dir.display())))?
            .path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| CliError::Input(format!("{} : {e}", path.display())))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push((name, text));
        }
    }
    let catalogue = qep_core::referentiel::load_dir(&files)
        .map_err(|e| CliError::Input(format!("{} : {e}", dir.display())))?;
    qep_core::referentiel::install(catalogue).map_err(CliError::Runtime)?;
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn write(text: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!(
            "qep-config-test-{}-{}.toml",
            std::process::id(),
            text.len()
        ));
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn layers_apply_in_order() {
        let file = write(
            "database_url = \"sqlite://file.db\"\nlisten = \"0.0.0.0:9000\"\nsession_hours = 8\n",
        );
        let c = load(Some(&file), &env(&[]), None, None).expect("load");
        assert_eq!(
            (c.database_url.as_str(), c.listen.port(), c.session_hours),
            ("sqlite://file.db", 9000, 8)
        );
        let c = load(
            Some(&file),
            &env(&[("QEP_DATABASE_URL", "sqlite://env.db")]),
            None,
            None,
        )
        .expect("load");
        assert_eq!(c.database_url, "sqlite://env.db");
        let c = load(
            Some(&file),
            &env(&[("QEP_DATABASE_URL", "sqlite://env.db")]),
            Some("sqlite://cli.db"),
            Some("127.0.0.1:1"),
        )
        .expect("load");
        assert_eq!(
            (c.database_url.as_str(), c.listen.port()),
            ("sqlite://cli.db", 1)
        );
        let _ = std::fs::remove_file(file);
    }

    #[test]
    fn trusted_proxies_come_from_the_file_or_the_environment() {
        let c = load(None, &env(&[]), None, None).expect("load");
        assert!(c.web().trusted_proxies.is_empty());
        let file = write("trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\", \"::1\"]\n");
        let c = load(Some(&file), &env(&[]), None, None).expect("load");
        let proxies = c.web().trusted_proxies;
        assert!(proxies.contains("10.1.2.3".parse().expect("ip")));
        assert!(proxies.contains("::1".parse().expect("ip")));
        let c = load(
            Some(&file),
            &env(&[("QEP_TRUSTED_PROXIES", " 192.0.2.1 , fd00::/8")]),
            None,
            None,
        )
        .expect("load");
        assert_eq!(c.trusted_proxies.to_string(), "192.0.2.1/32, fd00::/8");
        let c = load(
            Some(&file),
            &env(&[("QEP_TRUSTED_PROXIES", "")]),
            None,
            None,
        )
        .expect("load");
        assert!(
            c.trusted_proxies.is_empty(),
            "the environment empties the list"
        );
        let _ = std::fs::remove_file(file);
    }

    #[test]
    fn bad_values_are_named() {
        let file = write("databse_url = \"typo\"\n");
        let err = load(Some(&file), &env(&[]), None, None).expect_err("unknown key");
        assert!(err.to_string().contains("databse_url"), "{err}");
        let _ = std::fs::remove_file(file);
        let err = load(None, &env(&[("QEP_SESSION_HOURS", "zero")]), None, None).expect_err("nan");
        assert!(err.to_string().contains("QEP_SESSION_HOURS") && err.to_string().contains("zero"));
        let err = load(None, &env(&[]), None, Some("localhost")).expect_err("listen");
        assert!(err.to_string().contains("« localhost »"));
        let c = load(None, &env(&[("QEP_DATABSE_URL", "x")]), None, None).expect("warn only");
        assert_eq!(
            c.warnings,
            vec!["variable d'environnement inconnue ignorée : QEP_DATABSE_URL"]
        );
        let file = write("trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/33\"]\n");
        let err = load(Some(&file), &env(&[]), None, None).expect_err("bad range");
        assert!(
            err.to_string()
                .contains("trusted_proxies : « 10.0.0.0/33 »"),
            "{err}"
        );
        let _ = std::fs::remove_file(file);
        let err = load(
            None,
            &env(&[("QEP_TRUSTED_PROXIES", "::1,proxy")]),
            None,
            None,
        )
        .expect_err("bad address");
        assert!(
            err.to_string().contains("QEP_TRUSTED_PROXIES : « proxy »"),
            "{err}"
        );
        assert!(
            load(
                None,
                &env(&[("QEP_PUBLIC_URL", "https://qualite.pref.gouv.fr")]),
                None,
                None
            )
            .expect("load")
            .web()
            .secure_cookies
        );
    }
}
