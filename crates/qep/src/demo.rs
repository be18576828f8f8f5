//! The demo prefecture: a fictional prefecture in the Orne, with sites, services and one
//! account per role, so that QeP can be tried in one command.

use qep_core::account::{Email, Role};
use qep_core::prefecture::{PrefectureSettings, ServiceDraft, SiteDraft};
use qep_core::referentiel;
use qep_store::{Actor, NewUser, Store};

use crate::error::{CliError, CliResult};

pub const DEMO_DATABASE: &str = "sqlite://qep-demo.db";

const DEMO_VALUES_FILE: &str = "demo/values-2020.csv";
const DEMO_VALUES: &str = include_str!("../demo/values-2020.csv");

/// (e-mail, password, display name, role, service codes). Demo passwords are public by
/// design: never reuse this database for real data.
pub const DEMO_ACCOUNTS: &[(&str, &str, &str, Role, &[&str])] = &[
    (
        "referente.qualite@demo.invalid",
        "demo-referente-qualite",
        "Claire Martin",
        Role::Admin,
        &[],
    ),
    (
        "agent.accueil@demo.invalid",
        "demo-agent-accueil",
        "Karim Benali",
        Role::Agent,
        &["ACC", "BASE"],
    ),
    (
        "direction@demo.invalid",
        "demo-direction-lecture",
        "Sophie Lefèvre",
        Role::Viewer,
        &[],
    ),
];

/// Seeds an empty database; a database that already has a prefecture is left as it is.
pub async fn seed(ctx: &qep_app::Ctx) -> CliResult<bool> {
    let store = ctx.store();
    if store.find_prefecture().await?.is_some() {
        return Ok(false);
    }
    let actor = Actor::system();
    let settings = PrefectureSettings::new(
        "Préfecture de démonstration de l'Orne",
        "61",
        referentiel::DEFAULT_CODE,
        &[2, 3],
    )
    .map_err(|e| CliError::Runtime(e.to_string()))?;
    let mut drafts = Vec::new();
    for (name, kind, address) in [
        (
            "Préfecture – Alençon",
            "prefecture",
            "39 rue Saint-Blaise, 61000 Alençon",
        ),
        ("Sous-préfecture d'Argentan", "sub_prefecture", "Argentan"),
        (
            "Sous-préfecture de Mortagne-au-Perche",
            "sub_prefecture",
            "Mortagne-au-Perche",
        ),
    ] {
        drafts.push(
            SiteDraft::new(name, kind, address).map_err(|e| CliError::Runtime(e.to_string()))?,
        );
    }
    let site_ids: Vec<_> = store
        .init_prefecture(&actor, &settings, &drafts)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let mut services = Vec::new();
    for (name, code, site, in_scope) in [
        ("Accueil général", "ACC", 0, true),
        (
            "Bureau de l'asile et du séjour des étrangers",
            "BASE",
            0,
            true,
        ),
        (
            "Centre d'expertise et de ressources titres CNI-passeports",
            "CERT",
            0,
            true,
        ),
        (
            "Bureau de la communication interministérielle",
            "BCI",
            0,
            true,
        ),
        (
            "Direction de la citoyenneté et de la légalité",
            "DCL",
            0,
            false,
        ),
        ("Accueil de la sous-préfecture d'Argentan", "SPA", 1, true),
        (
            "Accueil de la sous-préfecture de Mortagne-au-Perche",
            "SPM",
            2,
            true,
        ),
    ] {
        let draft = ServiceDraft::new(name, code, site_ids[site], in_scope)
            .map_err(|e| CliError::Runtime(e.to_string()))?;
        services.push(store.insert_service(&actor, &draft).await?);
    }
    for (email, password, name, role, codes) in DEMO_ACCOUNTS {
        let password = (*password).to_owned();
        let hash = qep_app::accounts::hash_password_async(password)
            .await
            .map_err(|e| CliError::Runtime(e.to_string()))?;
        let user = NewUser {
            email: Email::parse(email).map_err(|e| CliError::Runtime(e.to_string()))?,
            display_name: (*name).to_owned(),
            role: *role,
            password_hash: hash,
            services: services
                .iter()
                .filter(|s| codes.contains(&s.code.as_str()))
                .map(|s| s.id)
                .collect(),
        };
        store.insert_user(&actor, &user).await?;
    }
    // The Orne's 2020 monthly values and the Cher's annual results (demo/README.md).
    let catalogue = qep_app::indicators::catalogue(ctx).await?;
    let rows =
        crate::indicators::check_values(DEMO_VALUES_FILE, DEMO_VALUES.as_bytes(), &catalogue)
            .map_err(|errors| CliError::Runtime(errors.join("; ")))?;
    crate::indicators::save_values(
        store,
        &actor,
        DEMO_VALUES_FILE,
        DEMO_VALUES.as_bytes(),
        &rows,
    )
    .await?;
    import_samples(store, &actor, &catalogue).await?;
    Ok(true)
}

/// The sample statistics exports of `demo/imports/` (January 2021 to March 2022), read
/// as the command line reads them, so that the phone, titles, web and Transparence
/// indicators have figures; the switch's call log goes through the saved mapping
/// `autocom`.
const SAMPLES: [(&str, &str, &[u8]); 7] = [
    (
        "autocom",
        "appels-autocom-2021-2022T1.csv",
        include_bytes!("../demo/imports/appels-autocom-2021-2022T1.csv"),
    ),
    (
        "telephonie",
        "telephonie-sous-prefectures.tsv",
        include_bytes!("../demo/imports/telephonie-sous-prefectures.tsv"),
    ),
    (
        "titres",
        "delais-titres-2021-2022T1.csv",
        include_bytes!("../demo/imports/delais-titres-2021-2022T1.csv"),
    ),
    (
        "titres-sejour",
        "delais-titres-sejour-2021-2022T1.csv",
        include_bytes!("../demo/imports/delais-titres-sejour-2021-2022T1.csv"),
    ),
    (
        "fraude",
        "fraude-2021-2022T1.csv",
        include_bytes!("../demo/imports/fraude-2021-2022T1.csv"),
    ),
    (
        "site-internet",
        "site-internet-2021-2022T1.csv",
        include_bytes!("../demo/imports/site-internet-2021-2022T1.csv"),
    ),
    (
        "reseaux-sociaux",
        "reseaux-sociaux-2021-2022T1.csv",
        include_bytes!("../demo/imports/reseaux-sociaux-2021-2022T1.csv"),
    ),
];

async fn import_samples(
    store: &dyn Store,
    actor: &Actor,
    catalogue: &qep_app::indicators::Catalogue,
) -> CliResult {
    let autocom =
        crate::imports::parse_named("autocom", include_str!("../demo/imports/autocom.toml"))
            .map_err(|e| CliError::Runtime(e.join("; ")))?;
    store
        .save_mapping(
            actor,
            &autocom.name,
            autocom.source.as_str(),
            &autocom.to_toml(),
        )
        .await?;
    for (mapping, name, bytes) in SAMPLES {
        let mapping = crate::imports::find_mapping(store, mapping).await?;
        let imported = qep_import::sources::import_csv(name, bytes, &mapping, &mut |_| {})
            .map_err(|e| CliError::Runtime(format!("{name} : {e}")))?;
        let file = qep_store::ImportFile {
            kind: imported.source.as_str().into(),
            file_name: name.into(),
            sha256: qep_import::sha256_hex(bytes),
        };
        store
            .save_facts(actor, &file, imported.rows, &imported.facts)
            .await?;
    }
    const NATIONAL: &str = "imports/transparence-nationales.csv";
    let national = include_str!("../demo/imports/transparence-nationales.csv");
    let rows = crate::indicators::check_values(NATIONAL, national.as_bytes(), catalogue)
        .map_err(|errors| CliError::Runtime(errors.join("; ")))?;
    crate::indicators::save_values(store, actor, NATIONAL, national.as_bytes(), &rows).await?;
    Ok(())
}
