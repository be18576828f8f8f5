//! Picks the storage backend from the database URL, at run time.

use std::path::PathBuf;
use std::sync::Arc;

use qep_store::Store;
use qep_store_postgres::PgStore;
use qep_store_sqlite::SqliteStore;

use crate::error::{CliError, CliResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://PATH` creates the file if needed; a bare `PATH` must already exist.
    Sqlite {
        path: PathBuf,
        create: bool,
    },
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> CliResult<DatabaseUrl> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(CliError::Input("URL de base de données vide".into()));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(raw.to_owned()));
        }
        if let Some(rest) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() || path == ":memory:" {
                return Err(CliError::Input(format!(
                    "URL SQLite sans fichier « {raw} » : attendu sqlite://CHEMIN, par exemple sqlite://qep.db"
                )));
            }
            return Ok(DatabaseUrl::Sqlite {
                path: PathBuf::from(path),
                create: true,
            });
        }
        if let Some((scheme, _)) = raw.split_once("://") {
            return Err(CliError::Input(format!(
                "type de base de données non pris en charge « {scheme} » : attendu sqlite://CHEMIN ou postgres://UTILISATEUR@HÔTE/BASE"
            )));
        }
        let path = PathBuf::from(raw);
        if path.is_file() {
            Ok(DatabaseUrl::Sqlite {
                path,
                create: false,
            })
        } else {
            Err(CliError::Input(format!(
                "le fichier de base de données « {raw} » n'existe pas ; pour en créer un, écrivez sqlite://{raw}"
            )))
        }
    }

    /// For messages and logs: a PostgreSQL password is never shown.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => redact_password(url),
        }
    }

    pub async fn open(&self) -> CliResult<Arc<dyn Store>> {
        match self {
            DatabaseUrl::Sqlite { path, create } => Ok(Arc::new(
                SqliteStore::open(path, *create)
                    .await
                    .map_err(|e| CliError::Runtime(e.to_string()))?,
            )),
            DatabaseUrl::Postgres(url) => {
                Ok(Arc::new(PgStore::connect(url).await.map_err(|e| {
                    CliError::Runtime(e.to_string().replace(url, &redact_password(url)))
                })?))
            }
        }
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://qep.db").ok(),
            Some(DatabaseUrl::Sqlite {
                path: "qep.db".into(),
                create: true
            })
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/qep/qep.db?mode=rwc").ok(),
            Some(DatabaseUrl::Sqlite {
                path: "/var/lib/qep/qep.db".into(),
                create: true
            })
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://qep@localhost/qep"),
            Ok(DatabaseUrl::Postgres(_))
        ));
    }

    #[test]
    fn wrong_urls_are_refused_with_a_message_naming_them() {
        let msg = |s: &str| DatabaseUrl::parse(s).expect_err("refused").to_string();
        assert!(msg("mysql://x/y").contains("« mysql »"));
        assert!(msg("sqlite://").contains("sqlite://CHEMIN"));
        let missing = msg("/nonexistent/qep-typo.db");
        assert!(
            missing.contains("n'existe pas")
                && missing.contains("sqlite:///nonexistent/qep-typo.db")
        );
        assert!(matches!(DatabaseUrl::parse("x"), Err(CliError::Input(_))));
    }

    #[test]
    fn passwords_are_redacted() {
        let url = DatabaseUrl::Postgres("postgres://qep:s3cret@db:5432/qep".into());
        assert_eq!(url.redacted(), "postgres://qep:***@db:5432/qep");
        assert_eq!(
            redact_password("postgres://qep@db/qep"),
            "postgres://qep@db/qep"
        );
    }
}
