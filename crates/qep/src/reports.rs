//! `qep report bilan|transparence`: the yearly quality report (PDF, or DOCX to edit) and
//! the quarterly Transparence poster, from the database.

use std::path::Path;

use qep_core::indicators::Period;
use qep_store::{Actor, Store};

use crate::config::Config;
use crate::db::DatabaseUrl;
use crate::error::{CliError, CliResult};

fn write(output: &Path, bytes: &[u8]) -> CliResult {
    std::fs::write(output, bytes)
        .map_err(|e| CliError::Runtime(format!("{} : {e}", output.display())))?;
    println!(
        "{} écrit ({} Ko).",
        output.display(),
        bytes.len().div_ceil(1024)
    );
    Ok(())
}

/// Reads a texts file (TOML: `introduction`, `conclusion`, `[modules]` "1" = "…") into
/// the stored sections.
pub fn parse_texts(text: &str) -> Result<Vec<(String, String)>, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (key, value) in table {
        match (key.as_str(), value) {
            ("introduction" | "conclusion", toml::Value::String(s)) => out.push((key, s)),
            ("modules", toml::Value::Table(modules)) => {
                for (n, v) in modules {
                    let number: u8 = n.parse().map_err(|_| {
                        format!("[modules] « {n} » : attendu un numéro de module (1 à 8)")
                    })?;
                    let toml::Value::String(s) = v else {
                        return Err(format!("[modules] {n} : attendu un texte"));
                    };
                    out.push((format!("module-{number}"), s));
                }
            }
            (other, _) => {
                return Err(format!(
                    "clé inconnue ou mal formée « {other} » (attendu : introduction, conclusion, [modules])"
                ));
            }
        }
    }
    Ok(out)
}

pub async fn bilan(
    config: &Config,
    year: i32,
    output: &Path,
    author: &str,
    texts: Option<&Path>,
) -> CliResult {
    if !(1990..=2100).contains(&year) {
        return Err(CliError::Input(format!(
            "--year : année « {year} » hors de 1990 à 2100"
        )));
    }
    let lower = output.display().to_string().to_lowercase();
    let docx = lower.ends_with(".docx");
    if !docx && !lower.ends_with(".pdf") {
        return Err(CliError::Input(format!(
            "--output : « {} » doit finir par .pdf ou .docx",
            output.display()
        )));
    }
    let store: std::sync::Arc<dyn Store> = DatabaseUrl::parse(&config.database_url)?.open().await?;
    if let Some(path) = texts {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::Input(format!("{} : lecture impossible ({e})", path.display()))
        })?;
        let sections =
            parse_texts(&text).map_err(|e| CliError::Input(format!("{} : {e}", path.display())))?;
        store
            .save_report_texts(&Actor::cli(), year, &sections)
            .await?;
    }
    let input =
        qep_app::documents::bilan_input(&qep_app::Ctx::open(store.clone()).await?, year, author)
            .await?;
    let bytes = tokio::task::spawn_blocking(move || {
        if docx {
            qep_pdf::bilan_docx(&input)
        } else {
            qep_pdf::bilan(&input)
        }
    })
    .await
    .map_err(|e| CliError::Runtime(e.to_string()))?
    .map_err(|e| CliError::Runtime(e.to_string()))?;
    write(output, &bytes)
}

pub async fn transparence(config: &Config, quarter: &str, output: &Path, a3: bool) -> CliResult {
    let Ok(Period::Quarter { year, quarter }) = Period::parse(quarter) else {
        return Err(CliError::Input(format!(
            "--quarter : « {quarter} » n'est pas un trimestre (attendu : 2022-Q1)"
        )));
    };
    let store: std::sync::Arc<dyn Store> = DatabaseUrl::parse(&config.database_url)?.open().await?;
    let input =
        qep_app::documents::poster_input(&qep_app::Ctx::open(store).await?, year, quarter).await?;
    let size = if a3 {
        qep_pdf::PaperSize::A3
    } else {
        qep_pdf::PaperSize::A4
    };
    let bytes = tokio::task::spawn_blocking(move || qep_pdf::transparence(&input, size))
        .await
        .map_err(|e| CliError::Runtime(e.to_string()))?
        .map_err(|e| CliError::Runtime(e.to_string()))?;
    write(output, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_files_name_their_mistakes() {
        let ok =
            parse_texts("introduction = \"Bonjour\"\n[modules]\n2 = \"CNI\"\n").expect("valid");
        assert_eq!(
            ok,
            vec![
                ("introduction".to_owned(), "Bonjour".to_owned()),
                ("module-2".to_owned(), "CNI".to_owned())
            ]
        );
        assert!(
            parse_texts("intro = \"x\"")
                .expect_err("unknown")
                .contains("« intro »")
        );
        assert!(
            parse_texts("[modules]\nun = \"x\"")
                .expect_err("bad")
                .contains("« un »")
        );
    }
}
