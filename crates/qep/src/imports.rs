//! `qep import calls|stats` and `qep mapping list|show|save|delete`: statistics files
//! read under a column mapping and saved as facts, whole or not at all.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use qep_core::indicators::imported::FactSource;
use qep_import::mapping::{self, Mapping};
use qep_import::sources::{ImportError, Progress};
use qep_store::{Actor, ImportFile, SaveOutcome, Store};

use crate::config::Config;
use crate::db::DatabaseUrl;
use crate::error::{CliError, CliResult};

async fn open(config: &Config) -> CliResult<Arc<dyn Store>> {
    DatabaseUrl::parse(&config.database_url)?.open().await
}

/// A mapping by name: a built-in one or one saved in the database.
pub async fn find_mapping(store: &dyn Store, name: &str) -> CliResult<Mapping> {
    if let Some(m) = mapping::builtin(name) {
        return Ok(m);
    }
    let saved = store.list_mappings().await?;
    match saved.iter().find(|m| m.name == name.trim()) {
        Some(m) => Mapping::from_toml(&m.definition).map_err(|e| {
            CliError::Runtime(format!(
                "modèle « {name} » enregistré mais illisible : {}",
                e.join(" ; ")
            ))
        }),
        None => {
            let mut names: Vec<String> = mapping::BUILTIN
                .iter()
                .map(|(n, _)| (*n).to_owned())
                .collect();
            names.extend(saved.into_iter().map(|m| m.name));
            Err(CliError::Input(format!(
                "modèle de correspondance inconnu « {name} » (modèles : {})",
                names.join(", ")
            )))
        }
    }
}

/// Which command a file came through: call logs, or aggregated statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Calls,
    Stats,
}

fn progress_bar(path: &Path) -> indicatif::ProgressBar {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(size),
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:30} {percent:>3} % · {msg} · reste {eta}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

pub async fn import(
    config: &Config,
    kind: Kind,
    path: &Path,
    mapping_name: Option<&str>,
    dry_run: bool,
) -> CliResult {
    let name = path.display().to_string();
    let store = open(config).await?;
    let mapping = find_mapping(&*store, mapping_name.unwrap_or("appels")).await?;
    match (kind, mapping.source) {
        (Kind::Calls, FactSource::Calls) => {}
        (Kind::Calls, other) => {
            return Err(CliError::Input(format!(
                "le modèle « {} » est pour la source {other} ({}) : utilisez qep import stats",
                mapping.name,
                other.label()
            )));
        }
        (Kind::Stats, FactSource::Calls) => {
            return Err(CliError::Input(format!(
                "le modèle « {} » est un journal d'appels : utilisez qep import calls",
                mapping.name
            )));
        }
        (Kind::Stats, _) => {}
    }
    let bar = progress_bar(path);
    let started = std::time::Instant::now();
    let result = {
        let bar = bar.clone();
        let mapping = mapping.clone();
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            let name = path.display().to_string();
            let limits = qep_import::Limits::DEFAULT;
            qep_import::sources::import_file(&path, &name, &mapping, &limits, &mut |p: Progress| {
                bar.set_position(p.bytes);
                let secs = started.elapsed().as_secs_f64().max(1e-3);
                bar.set_message(format!(
                    "{} lignes · {} lignes/s",
                    p.rows,
                    (p.rows as f64 / secs).round()
                ));
            })
        })
        .await
        .map_err(|e| CliError::Runtime(e.to_string()))?
    };
    bar.finish_and_clear();
    let (imported, sha256) = match result {
        Ok(r) => r,
        Err(ImportError::Cells { errors, stopped }) => {
            for e in &errors {
                eprintln!("qep : {e}");
            }
            return Err(CliError::Input(format!(
                "{name} : {} erreur(s){}, rien n'a été importé",
                errors.len(),
                if stopped {
                    " (lecture arrêtée, il peut y en avoir d'autres)"
                } else {
                    ""
                }
            )));
        }
        Err(e) => return Err(CliError::Input(format!("{e} ; rien n'a été importé"))),
    };
    let span = imported
        .span
        .map(|(a, b)| format!(" du {a} au {b}"))
        .unwrap_or_default();
    let secs = started.elapsed().as_secs_f64();
    if dry_run {
        println!(
            "{name} : {} ligne(s) valides{span}, {} donnée(s) ; rien n'a été enregistré (--dry-run).",
            imported.rows,
            imported.facts.len()
        );
        return Ok(());
    }
    let file = ImportFile {
        kind: imported.source.as_str().into(),
        file_name: path
            .file_name()
            .map_or_else(|| name.clone(), |f| f.to_string_lossy().into_owned()),
        sha256,
    };
    match store
        .save_facts(&Actor::cli(), &file, imported.rows, &imported.facts)
        .await?
    {
        SaveOutcome::Saved { rows } => println!(
            "{name} : {} ligne(s) lues{span} en {secs:.1} s, {rows} donnée(s) enregistrée(s) ({}).",
            imported.rows,
            imported.source.label()
        ),
        SaveOutcome::AlreadyImported { file_name, at, by } => println!(
            "{name} : fichier déjà importé ({file_name}, le {} par {by}) ; rien n'a changé.",
            qep_core::time::format_paris(at)
        ),
    }
    Ok(())
}

pub async fn list(config: &Config) -> CliResult {
    let store = open(config).await?;
    println!("nom\tsource\tdescription");
    for (name, source) in mapping::BUILTIN {
        println!("{name}\t{source}\tmodèle intégré : {}", source.label());
    }
    for m in store.list_mappings().await? {
        let description = Mapping::from_toml(&m.definition)
            .map(|x| x.description)
            .unwrap_or_default();
        println!("{}\t{}\t{description}", m.name, m.source);
    }
    Ok(())
}

pub async fn show(config: &Config, name: &str) -> CliResult {
    let store = open(config).await?;
    let m = find_mapping(&*store, name).await?;
    print!("{}", m.to_toml());
    if mapping::builtin(name).is_some() {
        println!("# champs (colonne reconnue par ses noms usuels si elle n'est pas nommée) :");
        for f in mapping::fields(m.source) {
            let need = if f.required {
                "obligatoire"
            } else {
                "facultatif"
            };
            println!(
                "#   {} ({need}, {}) : {}",
                f.name,
                f.label,
                f.aliases.join(", ")
            );
        }
    }
    Ok(())
}

/// Checks a mapping file and saves it under `name` (the file's own `name`, if any, is
/// replaced).
pub fn parse_named(name: &str, text: &str) -> Result<Mapping, Vec<String>> {
    if mapping::builtin(name).is_some() {
        return Err(vec![format!(
            "« {name} » est le nom d'un modèle intégré : choisissez un autre nom"
        )]);
    }
    let mut table: toml::Table = toml::from_str(text).map_err(|e| vec![e.to_string()])?;
    table.insert("name".into(), toml::Value::String(name.to_owned()));
    let text = toml::to_string(&table).map_err(|e| vec![e.to_string()])?;
    Mapping::from_toml(&text)
}

pub async fn save(config: &Config, name: &str, path: &Path) -> CliResult {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Input(format!("{file} : lecture impossible ({e})")))?;
    let m = parse_named(name, &text).map_err(|errors| {
        for e in &errors {
            eprintln!("qep : {file} : {e}");
        }
        CliError::Input(format!(
            "{file} : {} erreur(s), modèle non enregistré",
            errors.len()
        ))
    })?;
    let store = open(config).await?;
    store
        .save_mapping(&Actor::cli(), &m.name, m.source.as_str(), &m.to_toml())
        .await?;
    println!("modèle « {} » enregistré (source {}).", m.name, m.source);
    Ok(())
}

pub async fn delete(config: &Config, name: &str) -> CliResult {
    let store = open(config).await?;
    store.delete_mapping(&Actor::cli(), name).await?;
    println!("modèle « {name} » supprimé.");
    Ok(())
}
