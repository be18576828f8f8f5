//! The `qep` command line (French help), and what each command does.

use std::io::{IsTerminal as _, Read as _};
use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{ArgAction, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use qep_core::account::{Email, Role, validate_display_name, validate_password};
use qep_core::calendar::{CalendarSettings, Territory, WorkingCalendar};
use qep_core::prefecture::{PrefectureSettings, SiteDraft, parse_module_list};
use qep_core::referentiel;
use qep_store::{Actor, Conflict, NewUser, StoreError};

use crate::config::{self, Config};
use crate::db::DatabaseUrl;
use crate::demo;
use crate::error::{CliError, CliResult};

#[derive(Parser)]
#[command(
    name = "qep",
    version,
    about = "QeP : la démarche qualité Qual-e-pref d'une préfecture, du premier courriel au bilan annuel."
)]
pub struct Cli {
    /// Base de données : sqlite://CHEMIN (créée si besoin), CHEMIN (doit exister) ou postgres://…
    #[arg(
        long,
        global = true,
        env = "QEP_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    database: Option<String>,
    /// Fichier de configuration (par défaut ./qep.toml s'il existe)
    #[arg(
        long,
        global = true,
        env = "QEP_CONFIG",
        hide_env_values = true,
        value_name = "FICHIER"
    )]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Crée (ou reprend) qep-demo.db avec une préfecture de démonstration et la sert
    Demo(ListenArgs),
    /// Sert l'application web
    Serve(ListenArgs),
    /// Applique les migrations de la base de données
    Migrate,
    /// Initialise la préfecture : nom, département, modules du périmètre
    Init(InitArgs),
    /// Gère les comptes
    #[command(subcommand)]
    User(UserCommand),
    /// Vérifie la configuration
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Calcule des délais en jours ouvrés
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Importe des fichiers (CSV, XLSX, ODS)
    #[command(subcommand)]
    Import(ImportCommand),
    /// Documents : bilan qualité annuel (PDF ou DOCX) et affiche Transparence (PDF)
    #[command(subcommand)]
    Report(ReportCommand),
    /// Modèles de correspondance des colonnes pour les imports de statistiques
    #[command(subcommand)]
    Mapping(MappingCommand),
    /// Exporte des registres (CSV, XLSX)
    #[command(subcommand)]
    Export(ExportCommand),
    /// Résultats des indicateurs d'une année, notés selon la légende à quatre niveaux
    Indicators(IndicatorsArgs),
    /// Indicateurs nationaux depuis les exports des registres et des appels, sans base de données
    Analyze(AnalyzeArgs),
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Valeurs d'indicateurs : colonnes indicator,period,value[,numerator,denominator]
    Values {
        /// Fichier CSV (séparateur , ; ou tabulation, UTF-8 ou Windows-1252), XLSX ou ODS
        file: PathBuf,
        /// Vérifie le fichier sans rien enregistrer
        #[arg(long)]
        dry_run: bool,
    },
    /// Journal d'appels de la téléphonie (une ligne par appel), compté par jour et par ligne
    Calls {
        /// Fichier CSV (séparateur , ; ou tabulation, UTF-8 ou Windows-1252, lu en flux), XLSX ou ODS
        file: PathBuf,
        /// Modèle de correspondance des colonnes (par défaut : appels)
        #[arg(long, value_name = "NOM")]
        mapping: Option<String>,
        /// Vérifie le fichier sans rien enregistrer
        #[arg(long)]
        dry_run: bool,
    },
    /// Statistiques (téléphonie par mois, délais des titres, titres de séjour, fraude, site internet, réseaux sociaux)
    Stats {
        /// Fichier CSV, XLSX ou ODS
        file: PathBuf,
        /// Modèle de correspondance : telephonie, titres, titres-sejour, fraude, site-internet, reseaux-sociaux ou un modèle enregistré
        #[arg(long, value_name = "NOM")]
        mapping: String,
        /// Vérifie le fichier sans rien enregistrer
        #[arg(long)]
        dry_run: bool,
    },
    /// Registre du courrier : colonnes reference,channel,kind,site,service,received_at,answered_at,answer,in_scope[,…] (noms français acceptés)
    Correspondence {
        /// Fichier CSV (séparateur , ; ou tabulation, UTF-8 ou Windows-1252), XLSX ou ODS
        file: PathBuf,
        /// Vérifie le fichier sans rien enregistrer
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Bilan qualité de l'année : tableaux notés par module, graphiques, courrier, textes
    Bilan {
        /// Année
        #[arg(long)]
        year: i32,
        /// Fichier à écrire : .pdf, ou .docx pour une version modifiable
        #[arg(long, value_name = "FICHIER")]
        output: PathBuf,
        /// Auteur affiché sur la page de titre
        #[arg(long, default_value = "Le référent qualité")]
        author: String,
        /// Textes du bilan à enregistrer avec l'année (TOML : introduction, conclusion, [modules] "1" = "…")
        #[arg(long, value_name = "FICHIER")]
        texts: Option<PathBuf>,
    },
    /// Affiche trimestrielle du programme Transparence (A4, ou A3 avec --a3)
    Transparence {
        /// Trimestre, par exemple 2022-Q1
        #[arg(long)]
        quarter: String,
        /// Fichier PDF à écrire
        #[arg(long, value_name = "FICHIER")]
        output: PathBuf,
        /// Format A3 (affichage en hall d'accueil)
        #[arg(long)]
        a3: bool,
    },
}

#[derive(Subcommand)]
enum MappingCommand {
    /// Liste les modèles (intégrés et enregistrés)
    List,
    /// Affiche un modèle (TOML)
    Show {
        /// Nom du modèle
        name: String,
    },
    /// Enregistre (ou remplace) un modèle à partir d'un fichier TOML
    Save {
        /// Nom du modèle : a-z, 0-9, - et _
        name: String,
        /// Fichier TOML (source, [columns], [constants], [values.CHAMP], date_format)
        file: PathBuf,
    },
    /// Supprime un modèle enregistré
    Delete {
        /// Nom du modèle
        name: String,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Tableaux des indicateurs d'une année (une feuille par module, niveaux en couleur)
    Xlsx {
        #[arg(long)]
        year: i32,
        /// Fichier .xlsx à écrire
        #[arg(long, value_name = "FICHIER")]
        output: PathBuf,
    },
    /// Tableaux des indicateurs d'une année en CSV (point-virgule et BOM UTF-8 par défaut)
    Csv {
        #[arg(long)]
        year: i32,
        /// Fichier .csv à écrire
        #[arg(long, value_name = "FICHIER")]
        output: PathBuf,
        /// Virgule et point décimal au lieu du point-virgule et de la virgule décimale
        #[arg(long)]
        csv_comma: bool,
    },
    /// Registre du courrier d'une année (éléments reçus cette année-là), réimportable
    Correspondence {
        /// Année de réception
        #[arg(long)]
        year: i32,
        /// Fichier à écrire : .csv (séparateur ; et BOM UTF-8, pour Excel) ou .xlsx
        #[arg(long, value_name = "FICHIER")]
        output: PathBuf,
        /// CSV séparé par des virgules (sans BOM) au lieu de points-virgules
        #[arg(long)]
        csv_comma: bool,
    },
}

#[derive(Args)]
struct IndicatorsArgs {
    /// Année
    #[arg(long)]
    year: i32,
    /// Date de calcul AAAA-MM-JJ : chiffres tels que publiés ce jour-là
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Site (nom ou numéro) ; par défaut toute la préfecture
    #[arg(long)]
    site: Option<String>,
    /// Format de sortie
    #[arg(long, default_value = "table", value_parser = ["table", "csv", "json"])]
    format: String,
}

#[derive(Args)]
struct AnalyzeArgs {
    /// Registre des demandes (CSV : id,prefecture,service,channel,received_at,replied_at)
    #[arg(long, value_name = "FICHIER")]
    emails: PathBuf,
    /// Journal des appels (CSV : id,prefecture,line,started_at,answered,rings)
    #[arg(long, value_name = "FICHIER")]
    calls: PathBuf,
    /// Délai de réponse en jours ouvrés après la date de réception (jour 0)
    #[arg(long, value_name = "N", default_value_t = 5)]
    deadline: u32,
    /// Nombre de fils de calcul (par défaut : nombre de cœurs)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
}

#[derive(Args)]
struct ListenArgs {
    /// Adresse d'écoute IP:PORT (par défaut 127.0.0.1:8080)
    #[arg(long, value_name = "ADRESSE")]
    listen: Option<String>,
}

#[derive(Args)]
struct InitArgs {
    /// Nom de la préfecture, par exemple « Préfecture du Cher »
    #[arg(long)]
    name: String,
    /// Code du département : 01 à 95, 2A, 2B, 971 à 974 ou 976
    #[arg(long)]
    department: String,
    /// Modules du périmètre, par exemple 1,2,3 (le module 1 est toujours inclus)
    #[arg(long, default_value = "1")]
    modules: String,
    /// Version du référentiel
    #[arg(long, default_value = referentiel::DEFAULT_CODE)]
    referentiel: String,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Crée un compte ; le mot de passe est lu sur l'entrée standard, ou généré et affiché une fois
    Add(UserAddArgs),
}

#[derive(Args)]
struct UserAddArgs {
    /// Adresse électronique (identifiant de connexion)
    #[arg(long)]
    email: String,
    /// Rôle : admin, agent ou viewer
    #[arg(long)]
    role: String,
    /// Service de l'agent (nom ou sigle) ; répétable
    #[arg(long = "service", value_name = "SERVICE")]
    services: Vec<String>,
    /// Nom affiché (par défaut, l'adresse)
    #[arg(long)]
    name: Option<String>,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Affiche la configuration effective et vérifie l'accès à la base
    Check,
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Date d'échéance : le N-ième jour ouvré après la date de réception
    Due {
        /// Date de réception AAAA-MM-JJ (jour 0)
        #[arg(long, value_name = "DATE")]
        from: String,
        /// Nombre de jours ouvrés
        #[arg(long, value_name = "N")]
        days: u32,
        /// Département (par défaut : métropole)
        #[arg(long)]
        department: Option<String>,
    },
    /// Nombre de jours ouvrés dans l'intervalle ]DU, AU]
    Count {
        #[arg(long, value_name = "DATE")]
        from: String,
        #[arg(long, value_name = "DATE")]
        to: String,
        #[arg(long)]
        department: Option<String>,
    },
    /// Jours fériés d'une année, une ligne AAAA-MM-JJ<TAB>nom par jour
    Holidays {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        department: Option<String>,
    },
}

const TEMPLATE_WITH_COMMANDS: &str = "{about-with-newline}\nUtilisation : {usage}\n\nCommandes :\n{subcommands}\n\nOptions :\n{options}{after-help}";
const TEMPLATE: &str =
    "{about-with-newline}\nUtilisation : {usage}\n\nOptions :\n{options}{after-help}";

/// Puts the help in French: headings, and the help/version flags' own descriptions.
fn french(mut cmd: clap::Command) -> clap::Command {
    let has_subcommands = cmd.get_subcommands().next().is_some();
    cmd = cmd
        .help_template(if has_subcommands {
            TEMPLATE_WITH_COMMANDS
        } else {
            TEMPLATE
        })
        .disable_help_subcommand(true)
        .disable_help_flag(true)
        .arg(
            clap::Arg::new("aide")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("Affiche cette aide"),
        );
    if cmd.get_version().is_some() {
        cmd = cmd.disable_version_flag(true).arg(
            clap::Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("Affiche la version"),
        );
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, french);
    }
    cmd
}

/// Parses the command line and runs it; returns the process exit code.
pub fn main() -> i32 {
    let matches = match french(Cli::command()).try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return 2;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("qep : {e}");
            return 1;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => 0,
        Err(CliError::BrokenPipe) => 0,
        Err(e) => {
            eprintln!("qep : {e}");
            e.exit_code()
        }
    }
}

fn load_config(cli: &Cli, listen: Option<&str>, database: Option<&str>) -> CliResult<Config> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let config = config::load(cli.config.as_deref(), &env, database, listen)?;
    for w in &config.warnings {
        eprintln!("qep : attention : {w}");
    }
    if let Some(dir) = &config.referentiel_dir {
        config::install_referentiel(dir)?;
    }
    Ok(config)
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(format!("{},sqlx=warn", config.log))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn run(cli: Cli) -> CliResult {
    match &cli.command {
        Command::Demo(args) => {
            let database = cli
                .database
                .clone()
                .unwrap_or_else(|| demo::DEMO_DATABASE.to_owned());
            let config = load_config(&cli, args.listen.as_deref(), Some(&database))?;
            init_logging(&config);
            let url = DatabaseUrl::parse(&config.database_url)?;
            let store = url.open().await?;
            let created = demo::seed(&qep_app::Ctx::new(store.clone())).await?;
            let listener = bind(config.listen).await?;
            let addr = listener.local_addr()?;
            println!(
                "QeP (démonstration) : {} la base {}",
                if created {
                    "création de"
                } else {
                    "reprise de"
                },
                url.redacted()
            );
            println!("Ouvrez http://{addr}/ dans votre navigateur.");
            println!("Comptes de démonstration (adresse / mot de passe / rôle) :");
            for (email, password, _, role, _) in demo::DEMO_ACCOUNTS {
                println!("  {email:<34} {password:<24} {}", role.label());
            }
            println!("Arrêt : Ctrl+C.");
            serve_until_signal(store, &config, listener).await
        }
        Command::Serve(args) => {
            let config = load_config(&cli, args.listen.as_deref(), cli.database.as_deref())?;
            init_logging(&config);
            let url = DatabaseUrl::parse(&config.database_url)?;
            let store = url.open().await?;
            if store.find_prefecture().await?.is_none() {
                return Err(CliError::Input(format!(
                    "la base {} ne contient aucune préfecture : lancez d'abord « qep init --name … --department … »",
                    url.redacted()
                )));
            }
            let listener = bind(config.listen).await?;
            println!(
                "QeP sert {} sur http://{}/",
                url.redacted(),
                listener.local_addr()?
            );
            serve_until_signal(store, &config, listener).await
        }
        Command::Migrate => {
            let config = load_config(&cli, None, cli.database.as_deref())?;
            let url = DatabaseUrl::parse(&config.database_url)?;
            url.open().await?;
            println!("Base {} à jour.", url.redacted());
            Ok(())
        }
        Command::Init(args) => {
            let config = load_config(&cli, None, cli.database.as_deref())?;
            let modules =
                parse_module_list(&args.modules).map_err(|e| CliError::Input(e.to_string()))?;
            let settings =
                PrefectureSettings::new(&args.name, &args.department, &args.referentiel, &modules)
                    .map_err(|e| CliError::Input(e.to_string()))?;
            let url = DatabaseUrl::parse(&config.database_url)?;
            let store = url.open().await?;
            let main_site = SiteDraft::new(&settings.name, "prefecture", "")
                .map_err(|e| CliError::Input(e.to_string()))?;
            // The prefecture and its main site in one transaction.
            match store
                .init_prefecture(&Actor::cli(), &settings, std::slice::from_ref(&main_site))
                .await
            {
                Ok(_) => {}
                Err(StoreError::Conflict(Conflict::AlreadyInitialised)) => {
                    return Err(CliError::Input(format!(
                        "la base {} contient déjà une préfecture ; modifiez-la dans l'interface web (Administration › Préfecture)",
                        url.redacted()
                    )));
                }
                Err(e) => return Err(e.into()),
            }
            let modules: Vec<String> = settings.scope.modules.iter().map(u8::to_string).collect();
            println!(
                "{} initialisée (département {}, modules {}) dans {}.",
                settings.name,
                settings.department,
                modules.join(", "),
                url.redacted()
            );
            println!(
                "Créez ensuite un compte administrateur : qep user add --email … --role admin"
            );
            Ok(())
        }
        Command::User(UserCommand::Add(args)) => {
            let config = load_config(&cli, None, cli.database.as_deref())?;
            add_user(&config, args).await
        }
        Command::Config(ConfigCommand::Check) => {
            let config = load_config(&cli, None, cli.database.as_deref())?;
            check_config(&config).await
        }
        Command::Calendar(c) => calendar(c),
        Command::Analyze(args) => crate::analyze::run(&crate::analyze::Options {
            emails: args.emails.clone(),
            calls: args.calls.clone(),
            deadline: args.deadline,
            threads: args.threads.map(usize::from),
        }),
        Command::Import(ImportCommand::Values { file, dry_run }) => {
            let config = load_config(&cli, None, cli.database.as_deref())?;
            crate::indicators::import_values(&config, file, *dry_run).await
        }
        Command::Import(ImportCommand::Calls {
            file,
            mapping,
            dry_run,
        }) => {
            let config = load_config(&cli, None, cli.database.as_deref())?;
            let kind = crate::imports::Kind::Calls;
            crate::imports::import(&config, kind, file, mapping.as_deref(), *dry_run).await
        }
        Command::Import(ImportCommand::Stats {
            file,
            mapping,
            dry_run,
        }) => {
            let config = load_config(&cli, None, cli.database.as_deref())?;
            let kind = crate::imports::Kind::Stats;
            crate::imports::import(&config, kind, file, Some(mapping), *dry_run).await
        }
        Command::Report(ReportCommand::Bilan {
            year,
            output,
            author,
            texts,
        }) => {
            let config = load_config(&cli, None, cli.database.as_deref())?;
            crate::reports::bilan(&config, *year, output, author, texts.as_deref()).await
        }
        Command::Report(ReportCommand::Transparence {
            quarter,
            output,
            a3,
        }) => {
            let config = load_config(&cli, None, cli.database.as_deref())?;
            crate::reports::transparence(&config, quarter, output, *a3).await
        }
        Command::Mapping(command) => {
            let config = load_config(&cli, None, cli.database.as_deref())?;
            match command {
                MappingCommand::List => crate::imports::list(&config).await,
                MappingCommand::Show { name } => crate::imports::show(&config, name).await,
                MappingCommand::Save { name, file } => {
                    crate::imports::save(&config, name, file).await
                }
                MappingCommand::Delete { name } => crate::imports::delete(&config, name).await,
            }
        }
        Command::Import(ImportCommand::Correspondence { file, dry_run }) => {
            let config = load_config(&cli, None, cli.database.as_deref())?;
            crate::correspondence::import(&config, file, *dry_run).await
        }
        Command::Export(ExportCommand::Xlsx { year, output }) => {
            let config = load_config(&cli, None, cli.database.as_deref())?;
            crate::indicators::export_tables(&config, *year, output, None).await
        }
        Command::Export(ExportCommand::Csv {
            year,
            output,
            csv_comma,
        }) => {
            let config = load_config(&cli, None, cli.database.as_deref())?;
            crate::indicators::export_tables(&config, *year, output, Some(*csv_comma)).await
        }
        Command::Export(ExportCommand::Correspondence {
            year,
            output,
            csv_comma,
        }) => {
            let config = load_config(&cli, None, cli.database.as_deref())?;
            crate::correspondence::export(&config, *year, output, *csv_comma).await
        }
        Command::Indicators(args) => {
            let config = load_config(&cli, None, cli.database.as_deref())?;
            let as_of = args
                .as_of
                .as_deref()
                .map(|d| parse_date(d, "--as-of"))
                .transpose()?;
            crate::indicators::print(
                &config,
                args.year,
                as_of,
                args.site.as_deref(),
                &args.format,
            )
            .await
        }
    }
}

async fn bind(addr: SocketAddr) -> CliResult<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::Runtime(format!("impossible d'écouter sur {addr} : {e}")))
}

async fn serve_until_signal(
    store: std::sync::Arc<dyn qep_store::Store>,
    config: &Config,
    listener: tokio::net::TcpListener,
) -> CliResult {
    let shutdown = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => {
                        let _ = ctrl_c.await;
                        return;
                    }
                };
            tokio::select! {
                _ = ctrl_c => {},
                _ = term.recv() => {},
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down");
    };
    crate::serve(
        qep_app::Ctx::new(store),
        config.web(),
        config.mail(),
        config.jobs(),
        listener,
        shutdown,
    )
    .await?;
    Ok(())
}

async fn add_user(config: &Config, args: &UserAddArgs) -> CliResult {
    let input = |e: &dyn std::fmt::Display| CliError::Input(e.to_string());
    let email = Email::parse(&args.email).map_err(|e| input(&e))?;
    let role = Role::parse(&args.role).map_err(|e| input(&e))?;
    let display_name = validate_display_name(args.name.as_deref().unwrap_or(email.as_str()))
        .map_err(|e| input(&e))?;
    let url = DatabaseUrl::parse(&config.database_url)?;
    let store = url.open().await?;
    let known = store.list_services().await?;
    let mut services = Vec::new();
    for wanted in &args.services {
        let found = known.iter().find(|s| {
            s.code.eq_ignore_ascii_case(wanted.trim()) || s.name.eq_ignore_ascii_case(wanted.trim())
        });
        match found {
            Some(s) => services.push(s.id),
            None => {
                let names: Vec<&str> = known
                    .iter()
                    .map(|s| s.code.as_str())
                    .filter(|c| !c.is_empty())
                    .collect();
                return Err(CliError::Input(format!(
                    "service inconnu « {wanted} » (services connus : {})",
                    if names.is_empty() {
                        "aucun".to_owned()
                    } else {
                        names.join(", ")
                    }
                )));
            }
        }
    }
    let mut stdin = std::io::stdin();
    let supplied = if stdin.is_terminal() {
        None
    } else {
        let mut text = String::new();
        stdin.read_to_string(&mut text)?;
        let line = text.lines().next().unwrap_or_default().to_owned();
        (!line.is_empty()).then_some(line)
    };
    let (password, generated) = match supplied {
        Some(p) => {
            validate_password(&p)
                .map_err(|e| input(&format!("mot de passe lu sur l'entrée standard : {e}")))?;
            (p, false)
        }
        None => (qep_app::accounts::generate_password(), true),
    };
    let hash = qep_app::accounts::hash_password_async(password.clone())
        .await
        .map_err(|e| CliError::Runtime(e.to_string()))?;
    let user = NewUser {
        email: email.clone(),
        display_name,
        role,
        password_hash: hash,
        services,
    };
    store
        .insert_user(&Actor::cli(), &user)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(Conflict::EmailTaken) => {
                CliError::Input(format!("un compte existe déjà pour {email}"))
            }
            other => other.into(),
        })?;
    println!("Compte {email} créé ({}).", role.label());
    if generated {
        println!("Mot de passe (affiché une seule fois) : {password}");
    }
    Ok(())
}

async fn check_config(config: &Config) -> CliResult {
    println!(
        "Fichier de configuration : {}",
        config.file.as_ref().map_or_else(
            || "aucun (valeurs par défaut et variables QEP_*)".to_owned(),
            |p| p.display().to_string()
        )
    );
    let url = DatabaseUrl::parse(&config.database_url)?;
    println!("database_url = {}", url.redacted());
    println!("listen = {}", config.listen);
    println!(
        "public_url = {}",
        config.public_url.as_deref().unwrap_or("(non défini)")
    );
    println!(
        "cookies sécurisés (Secure) = {}",
        if config.web().secure_cookies {
            "oui"
        } else {
            "non"
        }
    );
    println!("session_hours = {}", config.session_hours);
    println!(
        "login_max_failures = {} par {} minutes",
        config.login_max_failures, config.login_window_minutes
    );
    println!("log = {}", config.log);
    println!("contact_per_hour = {}", config.contact_per_hour);
    println!(
        "trusted_proxies = {}",
        if config.trusted_proxies.is_empty() {
            "(aucun : l'adresse du client est celle de la connexion)".to_owned()
        } else {
            config.trusted_proxies.to_string()
        }
    );
    println!("retention_months = {}", config.retention_months);
    println!(
        "smtp_url = {}",
        config.smtp_url.as_deref().map_or_else(
            || "(non défini : les accusés de réception attendent dans la file d'envoi)".to_owned(),
            |u| match u.split_once('@') {
                Some((_, host)) => format!("***@{host}"),
                None => u.to_owned(),
            }
        )
    );
    println!("mail_from = {}", config.mail_from);
    if let Some(problem) = qep_app::mail::sender_problem(&config.mail_from) {
        eprintln!("qep : attention : {problem}");
    }
    println!(
        "referentiel_dir = {}",
        config.referentiel_dir.as_ref().map_or_else(
            || "(aucun : référentiels intégrés)".to_owned(),
            |d| d.display().to_string()
        )
    );
    if let DatabaseUrl::Sqlite { path, .. } = &url
        && !path.exists()
    {
        println!(
            "Base : {} n'existe pas encore (qep migrate ou qep init la créera).",
            path.display()
        );
        return Ok(());
    }
    let store = url.open().await?;
    store.ping().await?;
    match store.find_prefecture().await? {
        Some(p) => println!(
            "Base : accessible ({}), préfecture « {} ».",
            store.backend(),
            p.name
        ),
        None => println!(
            "Base : accessible ({}), aucune préfecture initialisée.",
            store.backend()
        ),
    }
    println!("Configuration valide.");
    Ok(())
}

fn parse_date(raw: &str, option: &str) -> CliResult<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        CliError::Input(format!(
            "{option} : date impossible « {raw} » (attendu AAAA-MM-JJ)"
        ))
    })
}

fn working_calendar(department: Option<&str>) -> CliResult<WorkingCalendar> {
    let territory = match department {
        Some(d) => Territory::from_department(d).map_err(|e| CliError::Input(e.to_string()))?,
        None => Territory::Metropole,
    };
    Ok(WorkingCalendar::new(
        territory,
        &CalendarSettings::default(),
    ))
}

fn calendar(command: &CalendarCommand) -> CliResult {
    let input = |e: qep_core::calendar::CalendarError| CliError::Input(e.to_string());
    match command {
        CalendarCommand::Due {
            from,
            days,
            department,
        } => {
            let cal = working_calendar(department.as_deref())?;
            let due = cal
                .due_date(parse_date(from, "--from")?, *days)
                .map_err(input)?;
            println!("{due}");
        }
        CalendarCommand::Count {
            from,
            to,
            department,
        } => {
            let cal = working_calendar(department.as_deref())?;
            let n = cal
                .working_days_between(parse_date(from, "--from")?, parse_date(to, "--to")?)
                .map_err(input)?;
            println!("{n}");
        }
        CalendarCommand::Holidays { year, department } => {
            let cal = working_calendar(department.as_deref())?;
            for (date, name) in cal.holidays(*year) {
                println!("{date}\t{name}");
            }
        }
    }
    Ok(())
}
